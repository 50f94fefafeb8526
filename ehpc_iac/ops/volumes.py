"""Shared storage: GetClusterVolumes, DescribeNFSClientStatus, InstallNFSClient.

On the docker engine the shared directories are Docker volumes that the engine mounts
into every node's container when it makes it: ``<id>-home`` at /home and one volume per
``AdditionalVolumes`` entry (an NFS export when ``VolumeMountpoint`` is given, mounted by
the Docker host through Docker's ``local`` driver). No node needs an NFS client, so:

* GetClusterVolumes lists them as they are: ``VolumeType`` ``docker`` and
  ``VolumeProtocol`` ``local`` for engine volumes, ``nas``/``nfs`` with the server and
  directory for NFS-backed ones; ``MountedBy`` says who mounts them (the engine). The
  controller's internal state volume is not listed.
* DescribeNFSClientStatus checks on the node, over SSH, that each of its volumes' paths is
  a mount point (``mountpoint``/``findmnt``): ``Finished`` when all are, ``NotInstalled``
  otherwise (``Running`` while an InstallNFSClient runs there); ``Result.Output`` is the
  check's report, base64-encoded as in the reference.
* InstallNFSClient installs nothing (it would be a client nobody uses): it runs the same
  check as a recorded shell command (``InvokeId`` is its CommandId, visible with
  ListCommands/ListInvocationResults), logs that the engine provides the volumes, and
  answers ``Finished`` when they are mounted, ``NotInstalled`` when not.
"""
from __future__ import annotations

import base64
import shlex
import uuid
from typing import Any, Mapping, Optional

from ..engines.base import RUNNING as NODE_RUNNING
from ..errors import EngineUnavailable, InvalidClusterStatus, ObjectNotFound
from ..plan import NodePlan, VolumePlan
from ..spec.commands import DescribeNFSClientStatusRequest, GetClusterVolumesRequest, InstallNFSClientRequest
from .commands import CommandOps, ShellTarget
from .commands_state import FAILED, FINISHED, RUNNING
from .core import RUNNING as CLUSTER_RUNNING
from .core import new_request_id
from .logs import LogOps
from .state import ClusterRecord
from .views import LOCATION

INTERNAL_PURPOSES = ("slurm-state",)
ENGINES_PROVIDING_VOLUMES = ("docker",)
CHECK_TIMEOUT_S = 30
NFS_KIND = "nfs-client"


def volume_source(vol: VolumePlan, engine: str) -> str:
    if vol.remote_server:
        return f"NFS export {vol.remote_server}:{vol.remote_dir} mounted by the {engine} host as volume {vol.name}"
    return f"{engine} volume {vol.name}"


def check_script(node: NodePlan, volumes: list[VolumePlan], engine: str) -> str:
    """A bash script that reports, per volume of ``node``, whether its path is a mount point; exit 1 if not."""
    lines = ["rc=0",
             "check() {",
             "  if mountpoint -q \"$1\"; then",
             "    printf '%s: mounted (%s; %s)\\n' \"$1\" \"$2\" \"$(findmnt -n -o FSTYPE -M \"$1\" 2>/dev/null)\"",
             "  else",
             "    printf '%s: NOT mounted (expected: %s)\\n' \"$1\" \"$2\"; rc=1",
             "  fi",
             "}"]
    for v in volumes:
        lines.append(f"check {shlex.quote(v.mount_path)} {shlex.quote(volume_source(v, engine))}")
    lines.append(f"echo {shlex.quote(f'{node.hostname}: no NFS client needed, the {engine} engine provides these volumes')}")
    lines.append("exit $rc")
    return "\n".join(lines) + "\n"


class VolumeOps(CommandOps):

    # --- GetClusterVolumes ------------------------------------------------------------------
    def get_cluster_volumes(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(GetClusterVolumesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        region = rec.spec.get("RegionId", "local")
        extra = list(rec.spec.get("AdditionalVolumes") or [])
        shared = [v for v in rec.plan.volumes if v.purpose == "shared"]
        roles_of = {v.name: [r["Name"] for r in (av.get("Roles") or [])] for v, av in zip(shared, extra)}
        infos = []
        for v in rec.plan.volumes:
            if v.purpose in INTERNAL_PURPOSES:
                continue
            infos.append({
                "ClusterId": rec.id, "RegionId": region, "VolumeId": v.name,
                "VolumeType": (rec.spec.get("VolumeType", "nas") if v.remote_server else rec.engine),
                "VolumeProtocol": "nfs" if v.remote_server else "local",
                "VolumeMountpoint": v.remote_server or "",
                "RemoteDirectory": v.remote_dir if v.remote_server else "",
                "LocalDirectory": v.mount_path,
                "MustKeep": v.purpose == "home",
                "Location": LOCATION,
                "MountedBy": rec.engine,
                "Roles": {"RoleInfo": [{"Name": r} for r in roles_of.get(v.name, [])]},
                "HostNames": [n.hostname for n in rec.plan.nodes if v.name in n.volumes],
            })
        return {"RequestId": new_request_id(), "RegionId": region, "Volumes": {"VolumeInfo": infos}}

    # --- NFS client ---------------------------------------------------------------------------
    def _node_by_instance(self, instance_id: str) -> tuple[ClusterRecord, NodePlan]:
        _total, recs = self.core.state.list_clusters(0, 1_000_000)
        for rec in recs:
            for n in rec.plan.nodes:
                if n.instance_id == instance_id:
                    return self.core._settle(rec), n
        raise ObjectNotFound(f"The specified InstanceId {instance_id} does not exist in any cluster.",
                             field="InstanceId")

    def _node_volumes(self, rec: ClusterRecord, node: NodePlan) -> list[VolumePlan]:
        return [rec.plan.volume(v) for v in node.volumes if rec.plan.volume(v).purpose not in INTERNAL_PURPOSES]

    def describe_nfs_client_status(self, params: Optional[Mapping[str, Any]] = None, /,
                                   **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DescribeNFSClientStatusRequest, params, kwargs)
        rec, node = self._node_by_instance(req.InstanceId)
        last = self._command_store().latest_for_instance(node.instance_id, NFS_KIND)
        if last and last["result"] and last["result"]["status"] == RUNNING:
            return {"RequestId": new_request_id(), "Status": "Running",
                    "Result": {"InvokeRecordStatus": RUNNING, "ExitCode": None, "Success": False, "Output": ""}}
        out = self.core.engine(rec.engine).inspect(rec.plan).get(node.hostname)
        if out is None or out.status != NODE_RUNNING or not out.address:
            state = out.status if out is not None else "missing"
            status, rec_status, code, text = "NotInstalled", FAILED, None, f"node {node.hostname} is {state}\n"
        else:
            target = ShellTarget(node.hostname, node.instance_id, out.address, out.port,
                                 self.core.access(rec.id).private_key_file)
            run = self.core.shell_runner(target, check_script(node, self._node_volumes(rec, node), rec.engine), "/",
                                    CHECK_TIMEOUT_S)
            text = run.output if run.status == FINISHED else (run.output + run.error + "\n")
            code, rec_status = run.exit_code, run.status
            status = "Finished" if run.status == FINISHED and run.exit_code == 0 else "NotInstalled"
        return {"RequestId": new_request_id(), "Status": status,
                "Result": {"InvokeRecordStatus": rec_status, "ExitCode": code,
                           "Success": rec_status == FINISHED and code == 0,
                           "Output": base64.b64encode(text.encode()).decode()}}

    def install_nfs_client(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(InstallNFSClientRequest, params, kwargs)
        rec, node = self._node_by_instance(req.InstanceId)
        if rec.status != CLUSTER_RUNNING:
            raise InvalidClusterStatus(rec.id, rec.status, "InstallNFSClient", [CLUSTER_RUNNING])
        if rec.engine not in ENGINES_PROVIDING_VOLUMES:
            raise EngineUnavailable(f"InstallNFSClient is not implemented for the {rec.engine} engine yet")
        vols = self._node_volumes(rec, node)
        request_id = new_request_id()
        command_id = "c-" + uuid.uuid4().hex
        self.core.state.add_log(rec.id, request_id, "InstallNFSClient", "info",
                           f"InstallNFSClient on {node.hostname} ({node.instance_id}): nothing to install, the "
                           f"{rec.engine} engine mounts {', '.join(v.mount_path for v in vols) or 'no volume'}; "
                           f"checking the mounts (command {command_id})")
        self._run_command(rec, command_id, request_id, "InstallNFSClient", NFS_KIND,
                          check_script(node, vols, rec.engine), "/", CHECK_TIMEOUT_S, [node], wait=True)
        res = self._command_store().results(command_id)[0]
        status = "Finished" if res["status"] == FINISHED and res["exit_code"] == 0 else "NotInstalled"
        return {"RequestId": request_id, "Status": status, "InvokeId": command_id}


__all__ = ["CommandOps", "LogOps", "VolumeOps", "check_script"]

"""Cluster operations: CreateCluster, DescribeCluster, ListClusters, ListClustersMeta,
ModifyClusterAttributes, StartCluster, StopCluster, DeleteCluster.

Status machine (reference): uninit -> creating (machines) -> init (software)
-> running; running <-> stopped; any failure -> exception (with the reason);
delete: -> releasing -> gone.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping, Optional

from ..configure import sha512_crypt
from ..engines import Progress, no_progress
from ..errors import EngineError, EngineUnavailable, InvalidOpt, InvalidParams, SchedulerError
from ..plan import ClusterPlan, plan_cluster, random_cluster_id
from ..spec import ClusterSpec, load_cluster_spec
from ..scheduler import get_scheduler
from ..spec.hosts import HOSTS_LABEL, check_hosts_against_plan, hosts_label, parse_hosts, pop_hosts
from ..spec.requests import (DeleteClusterRequest, DescribeClusterRequest, ListClustersMetaRequest,
                             ListClustersRequest, ModifyClusterAttributesRequest, StartClusterRequest,
                             StopClusterRequest)
from .lock import ClusterLock, cluster_lock
from .core import (CREATING, EXCEPTION, INIT, RELEASING, RUNNING, STOPPED, UNINIT, Area,
                   new_request_id)
from .state import ClusterRecord, now_iso
from .views import cluster_info, cluster_simple, plan_view


class ClusterOps(Area):

    # --- CreateCluster ------------------------------------------------------
    def create_cluster(self, params: Optional[Mapping[str, Any]] = None, /, *,
                       progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        data = {**(params or {}), **kwargs}
        data.pop("Action", None)
        data.pop("Version", None)
        engine_name = data.pop("Engine", "docker")
        hosts_raw = pop_hosts(data)
        dry_run = _bool_param(data.pop("DryRun", False), "DryRun")
        async_ = _bool_param(data.pop("Async", False), "Async")
        spec = load_cluster_spec(data)
        hosts = self._check_hosts_input(engine_name, hosts_raw, spec)
        request_id = new_request_id()
        if dry_run:
            self._check_create_inputs(spec)
            self.core.engine(engine_name).check()
            out = {"RequestId": request_id, "DryRun": True,
                   "Plan": plan_view(plan_cluster(spec, "ehpc-lo-DRYRUN0000", lambda: "(assigned at create)"))}
            if hosts is not None:
                out["HostsPublicKey"] = self.core.engine(engine_name).admin_access(self.core.home).public_key
            return out
        if spec.ClientToken:
            earlier = self.core.state.find_by_token(spec.ClientToken)
            if earlier is not None:
                return {"RequestId": request_id, "ClusterId": earlier.id, "TaskId": earlier.id}
        authorized = self._check_create_inputs(spec)
        engine = self.core.engine(engine_name)
        engine.check()  # Docker missing or stopped: say so before anything is recorded
        if hosts is not None and hasattr(engine, "check_hosts"):
            # existing machines must answer with the hosts key before anything is recorded
            engine.check_hosts(hosts, engine.admin_access(self.core.home))

        cluster_id = random_cluster_id(spec.RegionId)
        plan = plan_cluster(spec, cluster_id)
        if hosts is not None:
            plan = plan.replace(labels={**plan.labels, HOSTS_LABEL: hosts_label(hosts)})
        rec = ClusterRecord(
            id=cluster_id, name=spec.Name, description=spec.Description, status=UNINIT, status_reason="",
            engine=engine_name, spec=spec.public_dict(), plan=plan,
            root_password_hash=sha512_crypt(spec.Password.get_secret_value()) if spec.Password else "",
            client_token=spec.ClientToken, create_time=now_iso(), update_time=now_iso())
        lock = ClusterLock(self.core.home / "locks", cluster_id, "CreateCluster").acquire()
        try:
            self.core.state.insert_cluster(rec)
            if hosts is not None:
                engine.adopt_access(self.core.home, self.core.state.cluster_dir(cluster_id) / "ssh")
            if authorized:
                d = self.core.state.cluster_dir(cluster_id)
                d.mkdir(parents=True, exist_ok=True)
                (d / "authorized_keys").write_text(authorized + "\n")
        except BaseException:
            lock.release()
            raise
        self.core._operation(rec, "CreateCluster", lambda step: self._provision(rec, step), progress=progress,
                        async_=async_, request_id=request_id, lock=lock)
        return {"RequestId": request_id, "ClusterId": cluster_id, "TaskId": request_id}

    @staticmethod
    def _check_hosts_input(engine_name: str, hosts_raw, spec: ClusterSpec):
        """``Hosts`` goes with ``Engine: hosts`` only; checked against the plan's host names."""
        if engine_name != "hosts":
            if hosts_raw is not None:
                raise InvalidParams("Hosts", "is only for Engine: hosts (existing machines)")
            return None
        if hosts_raw is None:
            raise InvalidParams("Hosts", "Engine: hosts needs Hosts: one {HostName, Address} per planned node")
        hosts = parse_hosts(hosts_raw)
        planned = plan_cluster(spec, "ehpc-lo-HOSTS00000", lambda: "i-hosts")
        check_hosts_against_plan(hosts, [(n.hostname, n.roles) for n in planned.nodes])
        return hosts

    def _check_create_inputs(self, spec: ClusterSpec) -> str:
        """Checks that need the file system; returns the key pair's public key (or '')."""
        get_scheduler(spec.SchedulerType).check_cluster(spec)
        for i, script in enumerate(spec.PostInstallScript, start=1):
            if not script.Url.startswith("http"):
                path = Path(script.Url.removeprefix("file://"))
                if not path.is_file():
                    raise InvalidParams(f"PostInstallScript.{i}.Url", f"{path} is not a readable file")
        if spec.KeyPairName:
            pub = self.core.home / "keypairs" / f"{spec.KeyPairName}.pub"
            if not pub.is_file():
                raise InvalidParams("KeyPairName", f"no key pair {spec.KeyPairName!r}: put its public key in {pub}")
            return pub.read_text().strip()
        return ""

    def _provision(self, rec: ClusterRecord, step: Progress) -> None:
        """Make machines, then configure them; status creating -> init -> running."""
        engine = self.core.engine(rec.engine)
        access = self.core.access(rec.id)
        self.core.state.update_cluster(rec.id, status=CREATING, status_reason="")
        step(f"creating {len(rec.plan.nodes)} node(s) with the {rec.engine} engine")
        result = engine.converge(rec.plan, access, step)
        self.core.state.update_cluster(rec.id, status=INIT)
        step("configuring nodes (Ansible)")
        self.core.configure(rec, result.nodes, step)
        self.core.state.update_cluster(rec.id, status=RUNNING, status_reason="")
        step("cluster is running")

    def reconverge(self, cluster_id: str, progress: Progress = no_progress) -> dict[str, Any]:
        """Engine converge plus configuration on an existing cluster; returns change counts.

        The idempotence check of the tests and benchmarks: on a healthy cluster the
        engine creates, replaces and removes nothing and Ansible changes nothing.
        """
        rec = self.core._cluster(cluster_id)
        with cluster_lock(self.core.home / "locks", cluster_id, "Converge"):
            result = self.core.engine(rec.engine).converge(rec.plan, self.core.access(cluster_id), progress)
            conf = self.core.configure(rec, result.nodes, progress)
        return {"EngineChanged": result.changed, "Created": result.created, "Replaced": result.replaced,
                "Removed": result.removed, "Started": result.started, "AnsibleChanged": conf.changed}

    # --- reads ---------------------------------------------------------------------
    def describe_cluster(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DescribeClusterRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        return {"RequestId": new_request_id(), "ClusterInfo": cluster_info(rec)}

    def list_clusters(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListClustersRequest, params, kwargs)
        total, recs = self.core.state.list_clusters((req.PageNumber - 1) * req.PageSize, req.PageSize)
        items = []
        for rec in map(self.core._settle, recs):
            nodes = self.core._inspect_quietly(rec)
            used = self._used_resources(rec, nodes) if rec.status == RUNNING else None
            items.append(cluster_simple(rec, nodes, used))
        return {"RequestId": new_request_id(), "TotalCount": total, "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "Clusters": {"ClusterInfoSimple": items}}

    def list_clusters_meta(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListClustersMetaRequest, params, kwargs)
        total, recs = self.core.state.list_clusters((req.PageNumber - 1) * req.PageSize, req.PageSize)
        return {"RequestId": new_request_id(), "TotalCount": total, "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "Clusters": {"ClusterInfoSimple": [cluster_simple(self.core._settle(r), None, meta=True)
                                                   for r in recs]}}

    def _used_resources(self, rec: ClusterRecord, nodes) -> Optional[dict[str, int]]:
        try:
            nodes_sched = self.core._node_scheduler(rec, nodes)
            try:
                alloc, _total = nodes_sched.used_cpus()
            finally:
                nodes_sched.close()
            return {"Cpu": alloc, "Memory": 0, "Gpu": 0}
        except Exception:  # a read must not fail because one cluster's scheduler is down
            return None

    # --- ModifyClusterAttributes ---------------------------------------------------------
    def modify_cluster_attributes(self, params: Optional[Mapping[str, Any]] = None, /,
                                  **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ModifyClusterAttributesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "ModifyClusterAttributes", (RUNNING, STOPPED, EXCEPTION, INIT))
        if req.ImageId is not None and req.ImageId != (rec.plan.image_id or ""):
            raise InvalidParams("ImageId", "changing the image of an existing cluster is not supported yet; "
                                "create a new cluster with the image")
        changes: dict[str, Any] = {}
        if req.Name is not None:
            changes["name"] = req.Name
        if req.Description is not None:
            changes["description"] = req.Description

        def body(step: Progress) -> None:
            if changes:
                spec = dict(rec.spec)
                spec.update({k.capitalize(): v for k, v in changes.items()})
                self.core.state.update_cluster(rec.id, spec=spec, **changes)
            step(f"{', '.join(sorted(changes)) or 'nothing'} changed")

        return {"RequestId": self.core._operation(rec, "ModifyClusterAttributes", body, on_error_status=None)}

    # --- StopCluster / StartCluster --------------------------------------------------------
    def stop_cluster(self, params: Optional[Mapping[str, Any]] = None, /, *,
                     progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(StopClusterRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "StopCluster", (RUNNING, EXCEPTION))
        self.core._require_powered(rec, "StopCluster")

        def body(step: Progress) -> None:
            self.core.engine(rec.engine).stop(rec.plan, step)
            self.core.state.update_cluster(rec.id, status=STOPPED, status_reason="")

        task = self.core._operation(rec, "StopCluster", body, progress=progress, async_=req.Async)
        return {"RequestId": task, "TaskId": task}

    def start_cluster(self, params: Optional[Mapping[str, Any]] = None, /, *,
                      progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(StartClusterRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "StartCluster", (STOPPED,))
        self.core._require_powered(rec, "StartCluster")

        def body(step: Progress) -> None:
            nodes = self.core.engine(rec.engine).start(rec.plan, step)
            missing = sorted(h for h, n in nodes.items() if n.status != "running")
            if missing:
                raise EngineError(f"nodes could not be started: {', '.join(missing)}; "
                                  "RecoverCluster re-creates them")
            step("re-applying configuration and waiting for compute nodes")
            self.core.configure(rec, nodes, step)
            self.core.state.update_cluster(rec.id, status=RUNNING, status_reason="")

        task = self.core._operation(rec, "StartCluster", body, progress=progress, async_=req.Async)
        return {"RequestId": task, "TaskId": task}

    # --- DeleteCluster -----------------------------------------------------------------------
    def delete_cluster(self, params: Optional[Mapping[str, Any]] = None, /, *,
                       progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DeleteClusterRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)

        def body(step: Progress) -> None:
            self.core.state.update_cluster(rec.id, status=RELEASING, status_reason="")
            engine = self.core.engine(rec.engine)
            removed = engine.destroy(rec.id, step)
            left = engine.leftovers(rec.id) if hasattr(engine, "leftovers") else []
            if left:
                raise EngineError(f"could not remove: {', '.join(left)}")
            step(f"removed {len(removed)} resource(s)")
            shutil.rmtree(self.core.state.cluster_dir(rec.id), ignore_errors=True)
            self.core.state.delete_cluster(rec.id)

        task = self.core._operation(rec, "DeleteCluster", body, progress=progress, async_=req.Async)
        return {"RequestId": task, "TaskId": task}


def _bool_param(v: Any, field: str) -> bool:
    if isinstance(v, bool):
        return v
    if str(v).lower() in ("true", "1", "yes"):
        return True
    if str(v).lower() in ("false", "0", "no", ""):
        return False
    raise InvalidParams(field, "must be true or false")


__all__ = ["ClusterOps", "ClusterPlan", "EXCEPTION"]

"""The embedded default engine: one container per planned node on a per-cluster network.

Per cluster: a bridge network ``<id>-net``, a shared volume mounted at /home
(NFS-backed through Docker's local volume driver when VolumeMountpoint is
given), a slurmctld state volume on scheduler nodes, additional volumes. Per
node: a container ``<id>-<hostname>`` with ``--init``, the node's host name, the
cluster's NIS domain, a network alias equal to the host name, CPU and memory
limits from the instance type, and labels tying it to its cluster and roles.

Converge is idempotent: each container carries a hash of the settings it was
created from; an equal hash is kept (and started if stopped), a different one is
replaced, containers of the cluster that are no longer planned are removed.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from ..errors import EngineError, EngineUnavailable
from ..plan import SCHEDULER, SCHEDULER_BACKUP, ClusterPlan, NodePlan, VolumePlan
from .base import (EXCEPTION, MISSING, RUNNING, STOPPED, Access, ConvergeResult, Engine,
                   NodeOutput, Progress, no_progress)
from .docker_client import HOW_TO_START, _docker_module, _short, engine_call as _engine_call, unreachable
from .image import node_image_for

LABEL_CLUSTER = "ehpc.cluster-id"
LABEL_HOST = "ehpc.hostname"
LABEL_INSTANCE = "ehpc.instance-id"
LABEL_ROLES = "ehpc.roles"
LABEL_HASH = "ehpc.config-hash"
LABEL_MANAGED = "ehpc.managed-by"
LABEL_IP = "ehpc.ip"
FIRST_HOST_OFFSET = 10   # node addresses start at .10 of the cluster subnet
MANAGED_BY = "ehpc-iac"
SSH_WAIT_S = 60
PARALLEL = 4

def volume_driver_opts(vol: VolumePlan) -> dict[str, str] | None:
    """An NFS export as a Docker local volume (needs an NFS-capable kernel on the Docker host)."""
    if not vol.remote_server:
        return None
    opts = f"addr={vol.remote_server},{vol.options or 'rw,nfsvers=4'}"
    return {"type": "nfs", "o": opts, "device": f":{vol.remote_dir}"}


def node_limits(node: NodePlan, host_cpus: int) -> tuple[int, int]:
    """(cpus, memory MiB) a node gets: its instance type, capped by the Docker host's CPUs."""
    return max(1, min(node.cpus, host_cpus)), node.memory_mb


def container_spec(plan: ClusterPlan, node: NodePlan, image: str, access: Access, host_cpus: int,
                   ip: str | None = None) -> dict[str, Any]:
    """Everything a node's container is created from (also what the Pulumi docker stack declares).

    ``ip`` pins the node's address on the cluster network, so names in /etc/hosts (which HA
    failover needs: Docker's DNS forgets a stopped container) stay true across restarts.
    """
    cpus, memory_mb = node_limits(node, host_cpus)
    mounts = {plan.volume(v).name: {"bind": plan.volume(v).mount_path, "mode": "rw"} for v in node.volumes}
    labels = {
        **plan.labels,
        LABEL_CLUSTER: plan.cluster_id,
        LABEL_HOST: node.hostname,
        LABEL_INSTANCE: node.instance_id,
        LABEL_ROLES: ",".join(node.roles),
        LABEL_MANAGED: MANAGED_BY,
    }
    if ip:
        labels[LABEL_IP] = ip
    spec = {
        "name": plan.container_name(node.hostname),
        "image": image,
        "hostname": node.hostname,
        "domainname": plan.nis_domain,
        "network": plan.network,
        "aliases": [node.hostname],
        "ipv4_address": ip,
        "volumes": mounts,
        "environment": {"EHPC_AUTHORIZED_KEY": access.public_key},
        "nano_cpus": cpus * 1_000_000_000,
        "mem_limit": f"{memory_mb}m",
        "labels": labels,
        "init": True,
        "restart_policy": {"Name": "unless-stopped"},
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    spec["labels"] = {**labels, LABEL_HASH: digest}
    return spec


class DockerEngine(Engine):
    name = "docker"

    def __init__(self, client=None):
        self._client = self._given_client = client
        self._local = threading.local()

    # --- plumbing -----------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self.check()
        return self._client

    def _thread_client(self):
        """docker-py clients are not shared across threads: one per worker thread."""
        c = getattr(self._local, "client", None)
        if c is None:
            docker = _docker_module()
            c = docker.from_env(timeout=120)
            self._local.client = c
        return c

    def check(self) -> None:
        docker = _docker_module()
        try:
            client = self._client or docker.from_env(timeout=120)
            client.ping()
        except docker.errors.DockerException as exc:
            raise EngineUnavailable(f"The Docker engine is not reachable ({_short(exc)}). {HOW_TO_START}") from None
        except Exception as exc:  # requests/urllib3 connection errors
            raise EngineUnavailable(f"The Docker engine is not reachable ({_short(exc)}). {HOW_TO_START}") from None
        self._client = client

    @_engine_call
    def host_cpus(self) -> int:
        return int(self.client.info().get("NCPU") or 1)

    def _containers(self, cluster_id: str, all_: bool = True):
        return self.client.containers.list(all=all_, filters={"label": f"{LABEL_CLUSTER}={cluster_id}"})

    # --- converge -------------------------------------------------------------
    @_engine_call
    def ensure_image(self, plan: ClusterPlan, progress: Progress = no_progress) -> str:
        return node_image_for(self.client, plan, progress)

    def _ensure_network(self, plan: ClusterPlan) -> ipaddress.IPv4Network:
        """The cluster's bridge network, with a user-configured subnet so nodes can have fixed IPs.

        Docker picks a free subnet for a new network; the network is then re-created with
        that subnet pinned (Docker accepts fixed container IPs only on such networks).
        """
        docker = _docker_module()
        labels = {LABEL_CLUSTER: plan.cluster_id, LABEL_MANAGED: MANAGED_BY}
        try:
            net = self.client.networks.get(plan.network)
        except docker.errors.NotFound:
            probe = self.client.networks.create(plan.network, driver="bridge", check_duplicate=True, labels=labels)
            probe.reload()
            subnet = probe.attrs["IPAM"]["Config"][0]["Subnet"]
            gateway = probe.attrs["IPAM"]["Config"][0].get("Gateway")
            probe.remove()
            pool = docker.types.IPAMPool(subnet=subnet, gateway=gateway)
            net = self.client.networks.create(plan.network, driver="bridge", check_duplicate=True, labels=labels,
                                              ipam=docker.types.IPAMConfig(pool_configs=[pool]))
            net.reload()
        return ipaddress.ip_network(net.attrs["IPAM"]["Config"][0]["Subnet"])

    def _ensure_volumes(self, plan: ClusterPlan) -> None:
        docker = _docker_module()
        for vol in plan.volumes:
            try:
                self.client.volumes.get(vol.name)
            except docker.errors.NotFound:
                opts = volume_driver_opts(vol)
                self.client.volumes.create(name=vol.name, driver="local", driver_opts=opts or {},
                                           labels={LABEL_CLUSTER: plan.cluster_id, LABEL_MANAGED: MANAGED_BY,
                                                   "ehpc.volume-purpose": vol.purpose})

    def _create(self, spec: dict[str, Any]) -> None:
        client = self._thread_client()
        kwargs = {k: v for k, v in spec.items() if k not in ("aliases", "image", "ipv4_address")}
        endpoint = client.api.create_endpoint_config(aliases=spec["aliases"], ipv4_address=spec["ipv4_address"])
        kwargs["networking_config"] = {spec["network"]: endpoint}
        try:
            c = client.containers.create(spec["image"], detach=True, **kwargs)
            c.start()
        except Exception as exc:
            if unreachable(exc):
                raise
            raise EngineError(f"creating container {spec['name']} failed: {_short(exc)}") from None

    def _remove(self, container) -> None:
        try:
            container.remove(force=True, v=False)
        except Exception as exc:
            docker = _docker_module()
            if unreachable(exc):
                raise
            if not isinstance(exc, docker.errors.NotFound):
                raise EngineError(f"removing container {container.name} failed: {_short(exc)}") from None

    @_engine_call
    def converge(self, plan: ClusterPlan, access: Access, progress: Progress = no_progress) -> ConvergeResult:
        image = self.ensure_image(plan, progress)
        subnet = self._ensure_network(plan)
        self._ensure_volumes(plan)
        host_cpus = self.host_cpus()
        existing = {c.labels.get(LABEL_HOST): c for c in self._containers(plan.cluster_id)}
        ips = _assign_ips(subnet, plan, {h: c.labels.get(LABEL_IP) for h, c in existing.items()})
        result = ConvergeResult(nodes={})
        planned = {n.hostname for n in plan.nodes}
        to_create: list[dict[str, Any]] = []
        to_start = []
        for host, c in existing.items():
            if host not in planned:
                progress(f"removing {c.name}: no longer planned")
                self._remove(c)
                result.removed.append(host)
        for node in plan.nodes:
            spec = container_spec(plan, node, image, access, host_cpus, ips[node.hostname])
            c = existing.get(node.hostname)
            if c is None:
                to_create.append(spec)
                result.created.append(node.hostname)
            elif c.labels.get(LABEL_HASH) != spec["labels"][LABEL_HASH]:
                progress(f"replacing {c.name}: its settings changed")
                self._remove(c)
                to_create.append(spec)
                result.replaced.append(node.hostname)
            elif c.status != "running":
                to_start.append(c)
                result.started.append(node.hostname)
            else:
                result.unchanged.append(node.hostname)
        if to_create:
            progress(f"creating {len(to_create)} container(s)")
            self._parallel(self._create, to_create)
        for c in to_start:
            progress(f"starting {c.name}")
            c.start()
        result.nodes = self.inspect(plan)
        bad = [h for h, n in result.nodes.items() if n.status != RUNNING]
        if bad:
            raise EngineError(f"nodes not running after converge: {', '.join(sorted(bad))}")
        self.wait_ssh(result.nodes.values(), progress)
        return result

    def _parallel(self, fn, items) -> None:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(items))) as pool:
            for fut in [pool.submit(fn, item) for item in items]:
                fut.result()

    def wait_ssh(self, nodes, progress: Progress = no_progress, timeout: float = SSH_WAIT_S) -> None:
        wait_ssh(nodes, progress, timeout)

    # --- inspection -------------------------------------------------------------
    @_engine_call
    def inspect(self, plan: ClusterPlan) -> dict[str, NodeOutput]:
        host_cpus = self.host_cpus()
        found = {c.labels.get(LABEL_HOST): c for c in self._containers(plan.cluster_id)}
        out: dict[str, NodeOutput] = {}
        for node in plan.nodes:
            cpus, mem = node_limits(node, host_cpus)
            c = found.get(node.hostname)
            if c is None:
                out[node.hostname] = NodeOutput(node.hostname, node.instance_id, MISSING, cpus=cpus, memory_mb=mem)
                continue
            nets = c.attrs.get("NetworkSettings", {}).get("Networks", {})
            ip = (nets.get(plan.network) or {}).get("IPAddress") or None
            state = c.attrs.get("State", {})
            status = {"running": RUNNING, "exited": STOPPED, "created": STOPPED}.get(c.status, EXCEPTION)
            if status == STOPPED and state.get("ExitCode") not in (0, 137, 143, None) and not state.get("Restarting"):
                status = EXCEPTION
            if c.labels.get(LABEL_INSTANCE) != node.instance_id:
                status = EXCEPTION
            out[node.hostname] = NodeOutput(node.hostname, node.instance_id, status, address=ip, port=22,
                                            private_ip=ip, cpus=cpus, memory_mb=mem,
                                            created_at=_docker_time(c.attrs.get("Created")))
        return out

    # --- lifecycle ----------------------------------------------------------------
    @_engine_call
    def stop(self, plan: ClusterPlan, progress: Progress = no_progress,
             hostnames: list[str] | None = None) -> None:
        containers = [c for c in self._containers(plan.cluster_id) if c.status == "running"
                      and (hostnames is None or c.labels.get(LABEL_HOST) in hostnames)]
        # Compute and login first, managers last, so slurmctld sees nodes go away cleanly.
        containers.sort(key=lambda c: SCHEDULER in c.labels.get(LABEL_ROLES, ""))
        for c in containers:
            progress(f"stopping {c.name}")
            c.stop(timeout=10)

    @_engine_call
    def start(self, plan: ClusterPlan, progress: Progress = no_progress,
              hostnames: list[str] | None = None) -> dict[str, NodeOutput]:
        containers = [c for c in self._containers(plan.cluster_id)
                      if hostnames is None or c.labels.get(LABEL_HOST) in hostnames]
        # Managers first (NIS and slurmctld must be up before clients bind and register).
        containers.sort(key=lambda c: not any(r in c.labels.get(LABEL_ROLES, "")
                                              for r in (SCHEDULER, SCHEDULER_BACKUP, "Account")))
        for c in containers:
            if c.status != "running":
                progress(f"starting {c.name}")
                c.start()
        nodes = self.inspect(plan)
        self.wait_ssh([n for h, n in nodes.items() if n.status == RUNNING and (hostnames is None or h in hostnames)],
                      progress)
        return nodes

    @_engine_call
    def remove_nodes(self, plan: ClusterPlan, hostnames: list[str], progress: Progress = no_progress) -> None:
        doomed = [c for c in self._containers(plan.cluster_id) if c.labels.get(LABEL_HOST) in hostnames]
        for c in doomed:
            progress(f"removing {c.name}")
        if doomed:
            self._parallel(self._remove, doomed)

    @_engine_call
    def destroy(self, cluster_id: str, progress: Progress = no_progress) -> list[str]:
        docker = _docker_module()
        removed: list[str] = []
        flt = {"label": f"{LABEL_CLUSTER}={cluster_id}"}
        containers = self._containers(cluster_id)
        if containers:
            progress(f"removing {len(containers)} container(s)")
            self._parallel(self._remove, containers)
            removed += [c.name for c in containers]
        for net in self.client.networks.list(filters=flt):
            progress(f"removing network {net.name}")
            try:
                net.remove()
            except docker.errors.NotFound:
                pass
            removed.append(net.name)
        for vol in self.client.volumes.list(filters=flt):
            progress(f"removing volume {vol.name}")
            try:
                vol.remove(force=True)
            except docker.errors.NotFound:
                pass
            removed.append(vol.name)
        return removed

    @_engine_call
    def leftovers(self, cluster_id: str) -> list[str]:
        """Names of anything still labelled with the cluster (empty after destroy)."""
        flt = {"label": f"{LABEL_CLUSTER}={cluster_id}"}
        return ([c.name for c in self._containers(cluster_id)]
                + [n.name for n in self.client.networks.list(filters=flt)]
                + [v.name for v in self.client.volumes.list(filters=flt)])


def _assign_ips(subnet: ipaddress.IPv4Network, plan: ClusterPlan,
                current: dict[str, str | None]) -> dict[str, str]:
    """Keep every node's address; give new nodes the lowest free ones from .10 upwards."""
    planned = {n.hostname for n in plan.nodes}
    taken = {ip for h, ip in current.items() if ip and h in planned}
    free = (str(a) for a in subnet.hosts() if int(a) - int(subnet.network_address) >= FIRST_HOST_OFFSET
            and str(a) not in taken)
    out: dict[str, str] = {}
    for node in plan.nodes:
        ip = current.get(node.hostname)
        out[node.hostname] = ip if ip else next(free)
    return out


def wait_ssh(nodes, progress: Progress = no_progress, timeout: float = SSH_WAIT_S) -> None:
    """Wait until every node's sshd answers with its banner (EngineError naming the silent ones)."""
    pending = {n.hostname: n for n in nodes}
    deadline = time.monotonic() + timeout
    while pending:
        for host, n in list(pending.items()):
            if _ssh_banner(n.address, n.port):
                del pending[host]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise EngineError(f"SSH did not come up on: {', '.join(sorted(pending))}")
        time.sleep(0.2)
    progress("all nodes answer on SSH")


def _ssh_banner(address: str | None, port: int) -> bool:
    if not address:
        return False
    try:
        with socket.create_connection((address, port), timeout=1) as s:
            s.settimeout(1)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def _docker_time(value: str | None) -> str | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value[:26].rstrip("Z"))
        return dt.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    except ValueError:
        return value

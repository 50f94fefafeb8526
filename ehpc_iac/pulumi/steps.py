"""What the configuration resource does on the machines: the project's own steps, no Pulumi here.

- ``configure``: the cluster play (``playbooks/cluster.yml``, the same roles as every engine) over
  the nodes the machines resources made, with the declared users (SHA-512 crypt hashes only);
- ``drain_and_delete``: compute nodes leaving the cluster are drained through the cluster's
  scheduler back end, their running jobs are waited for (never killed), then they are deleted
  from the scheduler;
- ``detach``: every compute drained and deleted, the declared users removed from the directory,
  the scheduler, munge and account daemons stopped and their configuration removed
  (``playbooks/detach.yml``): the machines stay, unconfigured.

``ConfigInputs`` is the resource's input bag as plain data (``inputs``/``outputs`` dicts of the
provider) with the accessors the steps need.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from ..accounts import UserEntry
from ..configure import AnsibleConfigurator, ConfigureResult, build_extravars, build_inventory, ensure_cluster_key
from ..engines.base import RUNNING, Access, NodeOutput
from ..engines.docker import wait_ssh
from ..errors import ConfigureError, SchedulerError
from ..plan import ClusterPlan
from ..scheduler import get_scheduler
from ..ssh import SSHNode

log = logging.getLogger("ehpc_iac.pulumi")
Progress = Callable[[str], None]
SSH_WAIT_S = 180
DRAIN_POLL_S = 2.0
DEFAULT_DRAIN_TIMEOUT = 3600


@dataclass(frozen=True)
class ConfigInputs:
    """The configuration resource's properties (inputs, or the outputs of the last run)."""
    data: Mapping[str, Any]

    @property
    def cluster_id(self) -> str:
        return str(self.data["cluster_id"])

    @property
    def plan(self) -> ClusterPlan:
        return ClusterPlan.from_dict(dict(self.data["plan"]))

    @property
    def state_dir(self) -> Path:
        return Path(self.data["state_dir"])

    @property
    def access(self) -> Access:
        return ensure_cluster_key(self.state_dir / "ssh", f"ehpc-iac@{self.cluster_id}")

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def drain_timeout(self) -> int:
        return int(self.data.get("drain_timeout") or DEFAULT_DRAIN_TIMEOUT)

    def nodes(self) -> dict[str, NodeOutput]:
        """The machines as the configuration sees them (address, CPUs, memory) by host name."""
        plan = self.plan
        given = {d["hostname"]: d for d in self.data.get("nodes") or ()}
        out = {}
        for node in plan.nodes:
            d = given.get(node.hostname)
            if d is None or not d.get("address"):
                raise ConfigureError(f"no address for node {node.hostname} of cluster {plan.cluster_id}")
            out[node.hostname] = NodeOutput(
                hostname=node.hostname, instance_id=node.instance_id, status=RUNNING, address=str(d["address"]),
                port=int(d.get("port") or 22), private_ip=d.get("private_ip") or str(d["address"]),
                cpus=int(d.get("cpus") or node.cpus), memory_mb=int(d.get("memory_mb") or node.memory_mb))
        return out

    def users(self, uids: Mapping[str, int]) -> list[UserEntry]:
        return [UserEntry(u["name"], int(uids[u["name"]]), u.get("group") or "users", u["password_hash"])
                for u in self.data.get("users") or ()]


def configure(cfg: ConfigInputs, uids: Mapping[str, int], *, limit: Optional[list[str]] = None,
              progress: Progress = log.info) -> ConfigureResult:
    """The cluster play over the nodes (only ``limit`` when given), with the declared users."""
    plan, nodes, access = cfg.plan, cfg.nodes(), cfg.access
    wait_ssh([n for h, n in nodes.items() if limit is None or h in limit], progress, SSH_WAIT_S)
    users = tuple(u.as_vars() for u in cfg.users(uids))
    extravars = build_extravars(plan, nodes, root_password_hash=cfg.data.get("root_password_hash") or None,
                                authorized_keys=tuple(cfg.data.get("authorized_keys") or ()), users=users,
                                shared_storage=dict(cfg.data.get("shared_storage") or {}) or None)
    if cfg.data.get("munge_key"):
        extravars["ehpc_munge_key"] = cfg.data["munge_key"]
    progress(f"configuring {', '.join(limit) if limit else f'{len(nodes)} node(s)'} of {plan.cluster_id}")
    return AnsibleConfigurator().run_playbook("cluster.yml", build_inventory(plan, nodes, access), extravars,
                                              log_dir=cfg.log_dir, limit=limit, progress=progress,
                                              forks=len(nodes))


def _controller(cfg: ConfigInputs) -> SSHNode:
    plan = cfg.plan
    primary = cfg.nodes()[plan.schedulers[0].hostname]
    return SSHNode(primary.address, cfg.access.private_key_file, port=primary.port, timeout=10)


def drain_and_delete(cfg: ConfigInputs, hosts: list[str], reason: str, progress: Progress = log.info) -> None:
    """Drain ``hosts``, wait (up to the drain timeout) until no job runs on them, delete them from the
    scheduler. Jobs are never killed: on timeout the nodes stay drained and this fails."""
    if not hosts:
        return
    with _controller(cfg) as ssh:
        sched = get_scheduler(cfg.plan.scheduler_type).nodes(ssh)
        progress(f"draining {', '.join(hosts)}")
        sched.drain(hosts, reason)
        deadline = time.monotonic() + cfg.drain_timeout
        while True:
            busy = {h: n for h, n in sched.jobs_on(hosts).items() if n}
            if not busy:
                break
            if time.monotonic() >= deadline:
                raise SchedulerError(f"jobs still running after {cfg.drain_timeout}s on {', '.join(sorted(busy))}; "
                                     "the nodes stay drained")
            progress("waiting for running jobs: " + ", ".join(f"{h} ({n})" for h, n in sorted(busy.items())))
            time.sleep(DRAIN_POLL_S)
        sched.delete(hosts)
    progress(f"removed {', '.join(hosts)} from the scheduler")


def detach(cfg: ConfigInputs, progress: Progress = log.info) -> ConfigureResult:
    """Drain and delete every compute, then un-configure every node (``playbooks/detach.yml``)."""
    plan, nodes, access = cfg.plan, cfg.nodes(), cfg.access
    wait_ssh(nodes.values(), progress, 30)
    drain_and_delete(cfg, [n.hostname for n in plan.computes], "cluster deleted", progress)
    extravars = build_extravars(plan, nodes, users=())
    return AnsibleConfigurator().run_playbook("detach.yml", build_inventory(plan, nodes, access), extravars,
                                              log_dir=cfg.log_dir, progress=progress, forks=len(nodes))

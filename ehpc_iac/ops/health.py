"""Cluster health from cheap live checks, so the reported status follows reality.

A cluster recorded as ``running`` is checked, at most every ``HEALTH_TTL_S`` seconds per cluster:

1. the machines the cluster cannot work without (the account server, the login nodes, and at
   least one scheduler node) are running, from the engine's inspection (one Docker call);
2. the scheduler's controller answers (``NodeScheduler.problem``: ``scontrol ping`` for Slurm);
3. the account service answers on its server (``AccountBackend.service_problem``: ``rpcinfo -u``
   for NIS).

Each probe is bounded (``CHECK_TIMEOUT_S``). A failed check is a ``Fault`` naming the node and
the check; DescribeCluster, ListClusters and ListNodes then report the cluster as ``exception``
with the fault as its reason (not recorded: the status comes back by itself when the fault goes,
e.g. an unpaused node), and job calls fail at once with it instead of hanging on the node.
The engine being unreachable is not a fault of the cluster: EngineUnavailable propagates.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..engines.base import RUNNING as NODE_RUNNING
from ..errors import EngineUnavailable, SchedulerError
from ..plan import ACCOUNT, LOGIN, SCHEDULER, SCHEDULER_BACKUP

if TYPE_CHECKING:  # pragma: no cover
    from .core import OpsCore
    from .state import ClusterRecord

HEALTH_TTL_S = 5.0
CHECK_TIMEOUT_S = 4.0


@dataclass(frozen=True)
class Fault:
    node: str
    check: str          # "machine", "scheduler" or "account"
    detail: str

    @property
    def message(self) -> str:
        return f"{self.check} check failed on {self.node}: {self.detail}"


class HealthChecker:
    """Live checks with a short cache; one per ``OpsCore`` (no module state)."""

    def __init__(self, core: "OpsCore", ttl: float = HEALTH_TTL_S):
        self.core, self.ttl = core, ttl
        self.ssh_checks = True   # checks of daemons over SSH (tests of the operations turn them off)
        self._cache: dict[str, tuple[float, Optional[Fault]]] = {}
        self._lock = threading.Lock()

    def forget(self, cluster_id: str) -> None:
        with self._lock:
            self._cache.pop(cluster_id, None)

    def fault(self, rec: "ClusterRecord", nodes=None) -> Optional[Fault]:
        """The first failing check of a running cluster (or of one in exception, whose faults job
        calls must name), or None (also for other statuses)."""
        from .core import EXCEPTION, RUNNING
        if rec.status not in (RUNNING, EXCEPTION):
            return None
        with self._lock:
            hit = self._cache.get(rec.id)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        found = self.probe(rec, nodes)
        with self._lock:
            self._cache[rec.id] = (time.monotonic(), found)
        return found

    def probe(self, rec: "ClusterRecord", nodes=None) -> Optional[Fault]:
        plan = rec.plan
        nodes = nodes if nodes is not None else self.core.engine(rec.engine).inspect(plan)

        def down(hostname: str) -> Optional[str]:
            out = nodes.get(hostname)
            if out is None:
                return "unknown to the engine"
            if out.status != NODE_RUNNING or not out.address:
                return f"the machine is {out.status}"
            return None

        essential = [n for n in plan.nodes if n.has(ACCOUNT) or n.has(LOGIN)]
        for n in essential:
            why = down(n.hostname)
            if why:
                return Fault(n.hostname, "machine", why)
        controllers = [n for n in plan.nodes if n.has(SCHEDULER) or n.has(SCHEDULER_BACKUP)]
        up = [n for n in controllers if not down(n.hostname)]
        if controllers and not up:
            first = controllers[0].hostname
            return Fault(first, "machine", down(first) or "not running")
        if not (self.ssh_checks and getattr(self.core.engine(rec.engine), "daemons_reachable", True)):
            return None
        if up:
            fault = self._scheduler_fault(rec, up[0].hostname, nodes)
            if fault:
                return fault
        return self._account_fault(rec, nodes)

    def _scheduler_fault(self, rec: "ClusterRecord", host: str, nodes) -> Optional[Fault]:
        try:
            if host == rec.plan.schedulers[0].hostname:
                sched = self.core._node_scheduler(rec, nodes)
            else:  # the primary is down: ask the backup controller
                sched = self.core.scheduler_backend(rec).nodes(self.core.ssh_to(rec.id, nodes[host]))
            problem = sched.problem()
        except (SchedulerError, OSError) as exc:
            problem = str(exc)
        return Fault(host, "scheduler", problem) if problem else None

    def _account_fault(self, rec: "ClusterRecord", nodes) -> Optional[Fault]:
        host = rec.plan.account_server.hostname
        try:
            problem = self.core.accounts(rec).service_problem(self.core.ssh_to(rec.id, nodes[host]), CHECK_TIMEOUT_S)
        except (OSError, EngineUnavailable) as exc:
            problem = str(exc)
        return Fault(host, "account", problem) if problem else None


__all__ = ["CHECK_TIMEOUT_S", "Fault", "HEALTH_TTL_S", "HealthChecker"]

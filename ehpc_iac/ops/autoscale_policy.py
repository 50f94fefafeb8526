"""The scaler's arithmetic, pure: effective settings per queue, nodes a queue's pending jobs
need, how many nodes one grow round adds, which idle nodes a shrink round may remove.

Settings come from the stored SetAutoScaleConfig (``ops/autoscale.py``); a queue's
``Queues.N.*`` entry wins over the global values, and a queue without an entry follows the
global ones (MinNodesInQueue 0, MaxNodesInQueue = MaxNodesInCluster).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..scheduler import PendingJob

MAX_ADD_PER_CALL = 99   # AddNodes' Count


@dataclass(frozen=True)
class QueuePolicy:
    name: str
    grow: bool
    shrink: bool
    min_nodes: int
    max_nodes: int
    max_per_cycle: int          # 0: no limit (but AddNodes' 99)
    min_per_cycle: int
    instance_type: Optional[str] = None
    prefix: Optional[str] = None
    suffix: Optional[str] = None


@dataclass(frozen=True)
class ScalePolicy:
    grow_interval_s: float
    shrink_interval_s: float
    shrink_idle_times: int
    grow_timeout_s: float
    extra_ratio: int
    grow_ratio: int
    max_nodes_in_cluster: int
    exclude: frozenset[str]
    shrink_manual: bool
    queues: dict[str, QueuePolicy]

    @classmethod
    def of(cls, cfg: dict[str, Any], queue_names: Iterable[str]) -> "ScalePolicy":
        """Effective settings of a cluster whose queues are ``queue_names`` (stored settings ``cfg``)."""
        per_queue = {q["QueueName"]: q for q in cfg.get("Queues", [])}
        cap = cfg["MaxNodesInCluster"]
        queues = {}
        for name in queue_names:
            q = per_queue.get(name, {})

            def pick(key: str, default: Any, q: dict = q) -> Any:
                return default if q.get(key) is None else q[key]
            queues[name] = QueuePolicy(
                name=name, grow=bool(pick("EnableAutoGrow", cfg["EnableAutoGrow"])),
                shrink=bool(pick("EnableAutoShrink", cfg["EnableAutoShrink"])),
                min_nodes=pick("MinNodesInQueue", 0), max_nodes=min(pick("MaxNodesInQueue", cap), cap),
                max_per_cycle=pick("MaxNodesPerCycle", 0), min_per_cycle=pick("MinNodesPerCycle", 1),
                instance_type=q.get("InstanceType"), prefix=q.get("HostNamePrefix"), suffix=q.get("HostNameSuffix"))
        return cls(
            grow_interval_s=cfg.get("GrowIntervalInSeconds") or 60 * cfg["GrowIntervalInMinutes"],
            shrink_interval_s=cfg.get("ShrinkIntervalInSeconds") or 60 * cfg["ShrinkIntervalInMinutes"],
            shrink_idle_times=cfg["ShrinkIdleTimes"],
            grow_timeout_s=cfg.get("GrowTimeoutInSeconds") or 60 * cfg["GrowTimeoutInMinutes"],
            extra_ratio=cfg["ExtraNodesGrowRatio"], grow_ratio=cfg["GrowRatio"], max_nodes_in_cluster=cap,
            exclude=frozenset(x for x in cfg.get("ExcludeNodes", "").split(",") if x),
            shrink_manual=bool(cfg.get("ShrinkManualNodes")), queues=queues)

    @property
    def active(self) -> bool:
        return any(q.grow or q.shrink for q in self.queues.values())


def nodes_needed(jobs: Iterable[PendingJob], node_cpus: int) -> int:
    """Nodes the pending jobs of one queue need: each multi-node job its node count; one-node
    jobs packed by CPUs onto nodes of ``node_cpus``."""
    whole, small_cpus = 0, 0
    node_cpus = max(node_cpus, 1)
    for j in jobs:
        if j.nodes > 1 or j.cpus > node_cpus:
            whole += max(j.nodes, math.ceil(j.cpus / node_cpus))
        else:
            small_cpus += max(j.cpus, 1)
    return whole + math.ceil(small_cpus / node_cpus)


def fits(job: PendingJob, qp: QueuePolicy, node_cpus: int) -> bool:
    """Whether the queue could ever hold the job at its largest size."""
    return max(job.nodes, math.ceil(job.cpus / max(node_cpus, 1))) <= qp.max_nodes


@dataclass(frozen=True)
class GrowDecision:
    count: int
    reason: str


def grow_count(need: int, in_queue: int, in_cluster: int, qp: QueuePolicy, policy: ScalePolicy,
               backend_max: int) -> GrowDecision:
    """Nodes to add in one round for ``need`` more nodes (0 with the limit that stopped it)."""
    need = max(need, qp.min_nodes - in_queue)
    if need <= 0:
        return GrowDecision(0, "no unmet demand")
    want = math.ceil(need * (100 + policy.extra_ratio) / 100)
    count = max(math.ceil(want * policy.grow_ratio / 100), qp.min_per_cycle)
    limits = [(count, "")]
    if qp.max_per_cycle:
        limits.append((qp.max_per_cycle, f"MaxNodesPerCycle={qp.max_per_cycle}"))
    limits += [(qp.max_nodes - in_queue, f"MaxNodesInQueue={qp.max_nodes}"),
               (policy.max_nodes_in_cluster - in_cluster, f"MaxNodesInCluster={policy.max_nodes_in_cluster}"),
               (backend_max - in_cluster, f"the scheduler's limit of {backend_max} compute nodes"),
               (MAX_ADD_PER_CALL, f"AddNodes' {MAX_ADD_PER_CALL} per call")]
    count, why = min(limits, key=lambda lv: lv[0])
    count = max(count, 0)
    reason = f"{need} more node(s) needed" + (f" (+{policy.extra_ratio}% extra)" if policy.extra_ratio else "")
    if policy.grow_ratio < 100:
        reason += f", {policy.grow_ratio}% per round"
    if why:
        reason += f"; limited by {why}"
    return GrowDecision(count, reason)


def removable(ready: list[str], in_queue: int, qp: QueuePolicy) -> list[str]:
    """The idle nodes that may go without taking the queue below MinNodesInQueue."""
    return ready[:max(in_queue - qp.min_nodes, 0)]

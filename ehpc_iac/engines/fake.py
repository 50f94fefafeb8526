"""An in-memory engine for unit tests of the operations layer (no machines are made)."""
from __future__ import annotations

from ..errors import EngineError
from ..plan import ClusterPlan
from .base import (MISSING, RUNNING, STOPPED, Access, ConvergeResult, Engine, NodeOutput, Progress,
                   no_progress)


class FakeEngine(Engine):
    name = "fake"
    daemons_reachable = False   # no SSH behind the fake machines: health looks at the machines only

    def __init__(self, fail_converge: str | None = None):
        self.machines: dict[str, dict[str, NodeOutput]] = {}
        self.fail_converge = fail_converge
        self.calls: list[str] = []

    def check(self) -> None:
        self.calls.append("check")

    def converge(self, plan: ClusterPlan, access: Access, progress: Progress = no_progress) -> ConvergeResult:
        self.calls.append("converge")
        if self.fail_converge:
            raise EngineError(self.fail_converge)
        have = self.machines.setdefault(plan.cluster_id, {})
        res = ConvergeResult(nodes={})
        planned = {n.hostname for n in plan.nodes}
        for h in [h for h in have if h not in planned]:
            del have[h]
            res.removed.append(h)
        for n in plan.nodes:
            cur = have.get(n.hostname)
            if cur is None:
                have[n.hostname] = NodeOutput(n.hostname, n.instance_id, RUNNING, address=f"fake-{n.hostname}",
                                              cpus=n.cpus, memory_mb=n.memory_mb)
                res.created.append(n.hostname)
            elif cur.status != RUNNING:
                cur.status = RUNNING
                res.started.append(n.hostname)
            else:
                res.unchanged.append(n.hostname)
        res.nodes = self.inspect(plan)
        return res

    def inspect(self, plan: ClusterPlan) -> dict[str, NodeOutput]:
        have = self.machines.get(plan.cluster_id, {})
        return {n.hostname: have.get(n.hostname) or NodeOutput(n.hostname, n.instance_id, MISSING)
                for n in plan.nodes}

    def stop(self, plan: ClusterPlan, progress: Progress = no_progress, hostnames=None) -> None:
        for h, n in self.machines.get(plan.cluster_id, {}).items():
            if hostnames is None or h in hostnames:
                n.status = STOPPED

    def start(self, plan: ClusterPlan, progress: Progress = no_progress, hostnames=None) -> dict[str, NodeOutput]:
        for h, n in self.machines.get(plan.cluster_id, {}).items():
            if hostnames is None or h in hostnames:
                n.status = RUNNING
        return self.inspect(plan)

    def remove_nodes(self, plan: ClusterPlan, hostnames, progress: Progress = no_progress) -> None:
        for h in hostnames:
            self.machines.get(plan.cluster_id, {}).pop(h, None)

    def destroy(self, cluster_id: str, progress: Progress = no_progress) -> list[str]:
        return list(self.machines.pop(cluster_id, {}))

    def leftovers(self, cluster_id: str) -> list[str]:
        return list(self.machines.get(cluster_id, {}))

"""RecoverCluster: from any state back to ``running``, or an error naming the node and the check
that still fails.

1. the engine re-creates missing or crashed machines and starts stopped ones (shared volumes,
   the controller's state volume among them, stay);
2. the configuration is applied again; its verify step accepts drained nodes here (the back end's
   ``present_states``): a drained node never makes a recovery fail;
3. nodes the scheduler took out of service because of the fault (``NodeScheduler.fault_drained``:
   for Slurm, the reason slurmctld itself recorded, e.g. "Duplicate jobid" or "Not responding") are
   resumed and named in the log; an admin's or an operation's drain stays, and is named too;
4. jobs the restarted controller launched a second time from state saved before they started,
   and that a node refused, are removed from the queue so they never run twice
   (``settle_duplicate_launches``), each named in the log;
5. the live checks of health.py must pass: otherwise the recovery fails with the node and check.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from ..engines import Progress, no_progress
from ..errors import InvalidParams, SchedulerError
from ..scheduler import NODE_BAD_STATES
from ..spec.nodes import RecoverClusterRequest
from .core import EXCEPTION, INIT, RUNNING, STOPPED, Area
from .state import ClusterRecord

# Passes of the node repair after the configuration run, SETTLE_GAP_S apart: about two scheduling
# cycles (slurm.conf sched_interval=5, bf_interval=5), in which a restarted controller relaunches.
SETTLE_PASSES, SETTLE_GAP_S = 3, 6.0


class RecoveryOps(Area):

    def recover_cluster(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                        **kwargs: Any) -> dict[str, Any]:
        """Re-converge the whole cluster: re-create missing or crashed nodes, restart stopped daemons,
        re-apply the configuration, repair what the fault did to nodes and jobs; users and shared data stay."""
        req = self.core._request(RecoverClusterRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        current = {"ImageId": rec.plan.image_id or "", "OsTag": rec.spec.get("OsTag"),
                   "SchedulerType": rec.spec.get("SchedulerType"), "AccountType": rec.spec.get("AccountType")}
        for field, have in current.items():
            want = getattr(req, field)
            if want and want != have:
                raise InvalidParams(field, f"RecoverCluster cannot change {field} from {have or '(default)'!r} to "
                                           f"{want!r} yet; create a new cluster with it")
        allowed = (RUNNING, EXCEPTION, STOPPED)
        self.core._require_status(rec, "RecoverCluster", allowed)
        lock, rec = self.core._begin(req.ClusterId, "RecoverCluster", allowed)
        task = self.core._operation(rec, "RecoverCluster", lambda step: self._recover(rec, step), progress=progress,
                                    async_=req.Async, lock=lock)
        return {"RequestId": task, "TaskId": task}

    def _recover(self, rec: ClusterRecord, step: Progress) -> None:
        self.core.state.update_cluster(rec.id, status=INIT, status_reason="")
        step("re-creating missing nodes and starting stopped ones")
        result = self.core.engine(rec.engine).converge(rec.plan, self.core.access(rec.id), step)
        if result.created or result.replaced or result.started:
            step(f"re-created {', '.join(result.created + result.replaced) or 'none'}, "
                 f"started {', '.join(result.started) or 'none'}")
        step("re-applying the configuration (Ansible)")
        present = self.core.scheduler_backend(rec).present_states
        self.core.configure(rec, result.nodes, step, verify_node_states=present or None)
        sched = self.core._node_scheduler(rec, result.nodes)
        try:
            # a controller restarted from stale state launches its jobs again within a scheduling
            # cycle or two, possibly after the verify step: look again a few times
            for n in range(SETTLE_PASSES):
                self._repair_nodes(sched, step, last=n == SETTLE_PASSES - 1)
                if n < SETTLE_PASSES - 1:
                    time.sleep(SETTLE_GAP_S)
        finally:
            sched.close()
        self.core.node_state.clear(rec.id)
        fault = self.core.health.probe(rec, result.nodes)
        if fault:
            raise SchedulerError(f"the cluster is still not healthy: {fault.message}")
        self.core.state.update_cluster(rec.id, status=RUNNING, status_reason="")
        step("cluster is running")

    @staticmethod
    def _repair_nodes(sched, step: Progress, last: bool = True) -> None:
        fault = sched.fault_drained()
        for job_id in sched.settle_duplicate_launches(fault):
            step(f"job {job_id}: its node had already started it before the controller lost its state; "
                 "the second launch was refused and its held copy removed from the queue (it never runs twice)")
        info = sched.info()
        down = [h for h, i in info.items() if i["state"] in NODE_BAD_STATES and h not in fault]
        if fault:
            step("resuming node(s) taken out of service by the fault: "
                 + "; ".join(f"{h} ({why})" for h, why in sorted(fault.items())))
        if fault or down:
            sched.resume(sorted(set(fault) | set(down)))
        kept = sorted(h for h, i in info.items() if i["state"].startswith("drain") and h not in fault)
        if kept and last:
            step(f"left drained by an admin or an operation (not a fault): {', '.join(kept)}")


__all__ = ["RecoveryOps"]

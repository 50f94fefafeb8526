"""Queue operations: ListQueues, AddQueue, DeleteQueue, UpdateQueueConfig.

A queue is the scheduler's queue (a Slurm partition). Its node set is the compute nodes whose plan says they
serve it (``NodePlan.queue``); its default instance type (``QueuePlan.instance_type``) is
what AddNodes gives a node added to the queue without an InstanceType (when unset: the
cluster's compute instance type).

AddQueue and DeleteQueue change the plan, then run the cluster playbook limited to the hosts
that hold the scheduler's queue settings (``SchedulerBackend.config_hosts``); the scheduler's
roles apply them without a daemon restart, so running jobs keep running (Slurm: slurm.conf gets
the partitions and ``scontrol reconfigure`` applies them). If the Ansible
run fails, the stored plan is put back and the error raised; the cluster keeps its
status (the next configuration run converges the nodes to the stored plan).
UpdateQueueConfig only changes the plan (nothing on the nodes depends on it).

Refusals: an unknown queue -> ``ObjectNotFound`` naming QueueName; adding a queue that
exists -> ``InvalidParams`` (QueueName); deleting the default queue, or a queue that
still has compute nodes (DeleteNodes them, or add them to another queue, first) ->
``InvalidOpt`` (QueueName). Cloud-only parameters: see ``ehpc_iac/spec/queues.py``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping, Optional

from ..engines import Progress, no_progress
from ..errors import InvalidOpt, InvalidParams, ObjectNotFound
from ..plan import ClusterPlan, QueuePlan
from ..spec.catalog import DEFAULT_INSTANCE_TYPE
from ..spec.queues import AddQueueRequest, DeleteQueueRequest, ListQueuesRequest, UpdateQueueConfigRequest
from .core import RUNNING, STOPPED, Area, new_request_id
from .state import ClusterRecord

def queue_nodes(plan: ClusterPlan, name: str) -> list[str]:
    return [n.hostname for n in plan.computes if n.queue == name]


def find_queue(plan: ClusterPlan, name: str) -> QueuePlan:
    for q in plan.queues:
        if q.name == name:
            return q
    raise ObjectNotFound(f"The specified queue {name} does not exist (QueueName); queues: "
                         f"{', '.join(q.name for q in plan.queues)}.", field="QueueName")


def cluster_compute_type(rec: ClusterRecord) -> str:
    """The cluster's compute instance type (CreateCluster's EcsOrder.Compute.InstanceType)."""
    order = (rec.spec.get("EcsOrder") or {}).get("Compute") or {}
    return order.get("InstanceType") or DEFAULT_INSTANCE_TYPE


class QueueOps(Area):

    # --- ListQueues -------------------------------------------------------------------
    def list_queues(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """The reference's QueueInfo (QueueName, Type, ResourceGroupId, ComputeInstanceType), plus
        ``Default`` (the queue jobs go to without -p) and ``Nodes`` (host names of its compute nodes)."""
        req = self.core._request(ListQueuesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        fallback = cluster_compute_type(rec)
        items = [{"QueueName": q.name, "Type": "Execution", "ResourceGroupId": "",
                  "ComputeInstanceType": q.instance_type or fallback, "Default": q.default,
                  "Nodes": queue_nodes(rec.plan, q.name)}
                 for q in rec.plan.queues]
        return {"RequestId": new_request_id(), "Queues": {"QueueInfo": items}}

    # --- AddQueue -------------------------------------------------------------------------
    def add_queue(self, params: Optional[Mapping[str, Any]] = None, /, *,
                  progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(AddQueueRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "AddQueue", (RUNNING,))

        def new_queues(plan: ClusterPlan) -> tuple[QueuePlan, ...]:
            if any(q.name == req.QueueName for q in plan.queues):
                raise InvalidParams("QueueName", f"the queue {req.QueueName} already exists")
            return plan.queues + (QueuePlan(req.QueueName),)

        new_queues(rec.plan)
        return self._queue_operation(rec, "AddQueue", f"adding the {self.core.scheduler_backend(rec).queue_noun} {req.QueueName}",
                                     new_queues, progress, req.Async)

    # --- DeleteQueue ----------------------------------------------------------------------
    def delete_queue(self, params: Optional[Mapping[str, Any]] = None, /, *,
                     progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DeleteQueueRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "DeleteQueue", (RUNNING,))
        name = req.QueueName

        def new_queues(plan: ClusterPlan) -> tuple[QueuePlan, ...]:
            q = find_queue(plan, name)
            if q.default:
                raise InvalidOpt(f"The queue {name} (QueueName) is the cluster's default queue and cannot be "
                                 "deleted.", field="QueueName")
            members = queue_nodes(plan, name)
            if members:
                raise InvalidOpt(f"The queue {name} (QueueName) still has compute nodes: {', '.join(members)}; "
                                 "delete them (DeleteNodes) first.", field="QueueName")
            return tuple(x for x in plan.queues if x.name != name)

        new_queues(rec.plan)
        return self._queue_operation(rec, "DeleteQueue", f"removing the {self.core.scheduler_backend(rec).queue_noun} {name}",
                                     new_queues, progress, req.Async)

    # --- UpdateQueueConfig ----------------------------------------------------------------
    def update_queue_config(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """ComputeInstanceType becomes the queue's default instance type for nodes added later
        (existing nodes keep theirs). Nothing runs on the nodes."""
        req = self.core._request(UpdateQueueConfigRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "UpdateQueueConfig", (RUNNING, STOPPED))
        find_queue(rec.plan, req.QueueName)

        def body(step: Progress) -> None:
            cur = self.core._cluster(rec.id)
            find_queue(cur.plan, req.QueueName)
            if req.ComputeInstanceType is None:
                step("nothing to change")
                return
            queues = tuple(replace(q, instance_type=req.ComputeInstanceType) if q.name == req.QueueName else q
                           for q in cur.plan.queues)
            self.core.state.update_cluster(rec.id, plan=cur.plan.replace(queues=queues))
            step(f"queue {req.QueueName}: ComputeInstanceType {req.ComputeInstanceType}")

        return {"RequestId": self.core._operation(rec, "UpdateQueueConfig", body, on_error_status=None, needs_engine=False,
                                             async_=req.Async)}

    # --- shared -----------------------------------------------------------------------------
    def _queue_operation(self, rec: ClusterRecord, operation: str, message: str,
                         new_queues: Callable[[ClusterPlan], tuple[QueuePlan, ...]],
                         progress: Progress, async_: bool = False) -> dict[str, Any]:
        """New plan (checked again under the lock, on the stored plan), then Ansible on the hosts
        that hold the queue settings; the stored plan is put back if anything fails."""

        def body(step: Progress) -> None:
            cur = self.core._cluster(rec.id)   # the plan as it is now that we hold the lock
            self.core.apply_scheduler_plan(cur, cur.plan.replace(queues=new_queues(cur.plan)), message, step)

        task = self.core._operation(rec, operation, body, progress=progress, on_error_status=None, async_=async_)
        return {"RequestId": task}

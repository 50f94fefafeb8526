"""Node operations: AddNodes, DeleteNodes, ListNodes, ListNodesNoPaging, ListNodesByQueue,
StartNodes, StopNodes, ResetNodes (RecoverCluster: recovery.py).

Every change is: a new plan (under the cluster lock, from the plan as the last writer left
it), an engine converge, an Ansible run limited to the nodes concerned (plus the primary
scheduler, which holds the scheduler's keys and runs the verify step), then commands of the
cluster's scheduler back end (``NodeScheduler``: drain, resume, delete). Nodes join and leave
without a restart of the scheduler, so running jobs are never disturbed.

Busy nodes are drained first: DeleteNodes, StopNodes and ResetNodes wait until the jobs on
them have finished (``DrainTimeout`` seconds, default 3600), and fail with the nodes left
drained if they have not.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from ..engines import Progress, no_progress
from ..engines.base import EXCEPTION as NODE_EXCEPTION
from ..engines.base import RUNNING as NODE_RUNNING
from ..scheduler import NODE_BAD_STATES
from ..errors import ComputeNotFound, InvalidParams, SchedulerError
from ..plan import COMPUTE, LOGIN, ClusterPlan, NodePlan, add_compute_nodes, remove_nodes
from ..spec import load_cluster_spec
from ..spec.nodes import (AddNodesRequest, DeleteNodesRequest, InstanceRef, ListNodesByQueueRequest,
                          ListNodesNoPagingRequest, ListNodesRequest, ResetNodesRequest,
                          StartNodesRequest, StopNodesRequest)
from .core import EXCEPTION, INIT, RUNNING, Area, new_request_id
from .lock import is_locked
from .state import ClusterRecord, now_iso

DRAIN_POLL_S = 2.0


class NodeOps(Area):

    # --- helpers ----------------------------------------------------------------------
    @staticmethod
    def _resolve(plan: ClusterPlan, refs: list[InstanceRef], allowed_roles: tuple[str, ...],
                 operation: str) -> list[NodePlan]:
        by_id = {n.instance_id: n for n in plan.nodes}
        seen: set[str] = set()
        nodes = []
        for i, ref in enumerate(refs, start=1):
            field = f"Instance.{i}.Id"
            node = by_id.get(ref.Id)
            if node is None:
                raise ComputeNotFound(f"The node {ref.Id} ({field}) does not exist in cluster {plan.cluster_id}.",
                                      field=field)
            if ref.Id in seen:
                raise InvalidParams(field, f"{ref.Id} is listed twice")
            seen.add(ref.Id)
            bad = [r for r in node.roles if r not in allowed_roles]
            if bad:
                raise InvalidParams(field, f"{ref.Id} ({node.hostname}) is a {'/'.join(node.roles)} node; "
                                           f"{operation} applies to {' and '.join(allowed_roles)} nodes only")
            nodes.append(node)
        return nodes

    def _drain_and_wait(self, rec: ClusterRecord, hosts: list[str], reason: str, timeout: int,
                        step: Progress) -> None:
        """Drain the compute nodes and wait until no job runs on them."""
        if not hosts:
            return
        sched = self.core._node_scheduler(rec)
        sched.drain(hosts, reason)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            busy = {h: n for h, n in sched.jobs_on(hosts).items() if n}
            if not busy:
                return
            msg = "waiting for running jobs to finish: " + ", ".join(f"{h} ({n})" for h, n in sorted(busy.items()))
            if msg != last:
                step(msg)
                last = msg
            if time.monotonic() >= deadline:
                raise SchedulerError(f"jobs still running after {timeout}s on {', '.join(sorted(busy))}; "
                                     "the nodes stay drained")
            time.sleep(DRAIN_POLL_S)

    def _limit(self, rec_plan: ClusterPlan, hosts: list[str]) -> list[str]:
        return sorted(set(hosts) | {rec_plan.schedulers[0].hostname})

    # --- AddNodes -------------------------------------------------------------------------
    def add_nodes(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                  **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(AddNodesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        if req.ClientToken:
            earlier = self.core.node_state.token(rec.id, req.ClientToken)
            if earlier:
                return {"RequestId": new_request_id(), "TaskId": earlier["task_id"],
                        "InstanceIds": {"InstanceId": earlier["instance_ids"]}}
        self.core._require_status(rec, "AddNodes", (RUNNING,))
        lock, rec = self.core._begin(req.ClusterId, "AddNodes", (RUNNING,))
        try:
            plan = rec.plan
            queues = {q.name: q for q in plan.queues}
            queue_name = req.JobQueue or next((q.name for q in plan.queues if q.default), plan.queues[0].name)
            if queue_name not in queues:
                raise InvalidParams("JobQueue", f"no queue {queue_name!r} in the cluster; queues: "
                                                f"{', '.join(sorted(queues))}")
            spec = load_cluster_spec(rec.spec)
            itype = req.InstanceType or queues[queue_name].instance_type or spec.EcsOrder.Compute.InstanceType
            if req.ImageId and req.ImageId != (plan.image_id or ""):
                raise InvalidParams("ImageId", "the nodes of a cluster share its image; leave ImageId empty")
            max_nodes = self.core.scheduler_backend(rec).max_compute_nodes
            if len(plan.computes) + req.Count > max_nodes:
                raise InvalidParams("Count", f"the cluster has {len(plan.computes)} compute nodes; at most "
                                             f"{max_nodes} are allowed")
            new_plan, new = add_compute_nodes(plan, spec, req.Count, itype, queue_name,
                                              prefix=req.HostNamePrefix or "compute",
                                              suffix=req.HostNameSuffix or "", create_mode=req.CreateMode,
                                              add_time=now_iso())
            clash = {n.hostname for n in plan.nodes} & {n.hostname for n in new}
            if clash:
                raise InvalidParams("HostNamePrefix", f"host names already in use: {', '.join(sorted(clash))}")
        except BaseException:
            lock.release()
            raise
        hosts = [n.hostname for n in new]
        ids = [n.instance_id for n in new]
        request_id = new_request_id()
        if req.ClientToken:
            self.core.node_state.save_token(rec.id, req.ClientToken, ids, request_id)
        self.core.state.update_cluster(rec.id, plan=new_plan)
        self.core.node_state.set(rec.id, hosts, INIT)

        def body(step: Progress) -> None:
            try:
                step(f"adding {len(hosts)} node(s): {', '.join(hosts)}")
                result = self.core.engine(rec.engine).converge(new_plan, self.core.access(rec.id), step)
                fresh = self.core.state.get_cluster(rec.id)
                step("configuring the new nodes (Ansible)")
                self.core.configure(fresh, result.nodes, step, limit=self._limit(new_plan, hosts))
            except BaseException:
                step("rolling back: removing the new nodes")
                self._undo_add(rec, plan, hosts, step)
                raise
            finally:
                self.core.node_state.clear(rec.id, hosts)
            step(f"{len(hosts)} node(s) idle in the scheduler")

        self.core._operation(rec, "AddNodes", body, progress=progress, async_=req.background, request_id=request_id,
                        on_error_status=None, lock=lock)
        return {"RequestId": request_id, "TaskId": request_id, "InstanceIds": {"InstanceId": ids}}

    def _undo_add(self, rec: ClusterRecord, old_plan: ClusterPlan, hosts: list[str], step: Progress) -> None:
        """Leave the cluster as it was: the old plan, no new containers, no new scheduler nodes."""
        self.core.state.update_cluster(rec.id, plan=old_plan)
        try:
            self.core.engine(rec.engine).remove_nodes(old_plan, hosts, step)
            self.core._node_scheduler(rec).delete(hosts)
        except Exception as exc:  # the failure being rolled back is what the caller needs to see
            step(f"rollback incomplete ({exc}); RecoverCluster repairs the cluster")

    # --- DeleteNodes -------------------------------------------------------------------------
    def delete_nodes(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                     **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DeleteNodesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self._resolve(rec.plan, req.Instance, (COMPUTE,), "DeleteNodes")
        if not req.ReleaseInstance:
            raise InvalidParams("ReleaseInstance", "false is not supported by the docker engine: a node's "
                                                   "container cannot be kept outside its cluster")
        self.core._require_status(rec, "DeleteNodes", (RUNNING, EXCEPTION))
        lock, rec = self.core._begin(req.ClusterId, "DeleteNodes", (RUNNING, EXCEPTION))
        try:
            nodes = self._resolve(rec.plan, req.Instance, (COMPUTE,), "DeleteNodes")
        except BaseException:
            lock.release()
            raise
        hosts = [n.hostname for n in nodes]

        def body(step: Progress) -> None:
            self.core.node_state.set(rec.id, hosts, "releasing")
            try:
                step(f"draining {', '.join(hosts)}")
                self._drain_and_wait(rec, hosts, "DeleteNodes", req.DrainTimeout, step)
                plan = remove_nodes(self.core.state.get_cluster(rec.id).plan, hosts)
                self.core.engine(rec.engine).remove_nodes(rec.plan, hosts, step)
                self.core._node_scheduler(rec).delete(hosts)
                self.core.state.update_cluster(rec.id, plan=plan)
                step(f"removed {', '.join(hosts)}")
            finally:
                self.core.node_state.clear(rec.id, hosts)

        task = self.core._operation(rec, "DeleteNodes", body, progress=progress,
                               async_=req.Async or req.Sync is False, on_error_status=None, lock=lock)
        return {"RequestId": task, "TaskId": task}

    # --- StopNodes / StartNodes / ResetNodes ------------------------------------------------------
    def stop_nodes(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                   **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(StopNodesRequest, params, kwargs)
        lock, rec, nodes = self._begin_nodes(req, "StopNodes")
        hosts = [n.hostname for n in nodes]
        computes = [n.hostname for n in nodes if n.is_compute]

        def body(step: Progress) -> None:
            self._drain_and_wait(rec, computes, "StopNodes", req.DrainTimeout, step)
            self.core.engine(rec.engine).stop(rec.plan, step, hostnames=hosts)
            step(f"stopped {', '.join(hosts)}")

        task = self.core._operation(rec, "StopNodes", body, progress=progress, async_=req.Async, on_error_status=None,
                               lock=lock)
        return {"RequestId": task, "TaskId": task}

    def start_nodes(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                    **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(StartNodesRequest, params, kwargs)
        lock, rec, nodes = self._begin_nodes(req, "StartNodes")
        hosts = [n.hostname for n in nodes]
        computes = [n.hostname for n in nodes if n.is_compute]

        def body(step: Progress) -> None:
            outs = self.core.engine(rec.engine).start(rec.plan, step, hostnames=hosts)
            down = [h for h in hosts if outs[h].status != NODE_RUNNING]
            if down:
                raise SchedulerError(f"could not start {', '.join(down)} ({outs[down[0]].status}); "
                                     "ResetNodes or RecoverCluster re-creates them")
            self.core._node_scheduler(rec).resume(computes)  # before the verify step, which wants them idle
            self.core.configure(rec, outs, step, limit=self._limit(rec.plan, hosts))
            step(f"started {', '.join(hosts)}")

        task = self.core._operation(rec, "StartNodes", body, progress=progress, async_=req.Async, on_error_status=None,
                               lock=lock)
        return {"RequestId": task, "TaskId": task}

    def reset_nodes(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                    **kwargs: Any) -> dict[str, Any]:
        """Re-create the nodes from the image and configure them again (data on shared volumes stays)."""
        req = self.core._request(ResetNodesRequest, params, kwargs)
        lock, rec, nodes = self._begin_nodes(req, "ResetNodes")
        hosts = [n.hostname for n in nodes]
        computes = [n.hostname for n in nodes if n.is_compute]

        def body(step: Progress) -> None:
            self.core.node_state.set(rec.id, hosts, INIT)
            try:
                self._drain_and_wait(rec, computes, "ResetNodes", req.DrainTimeout, step)
                engine = self.core.engine(rec.engine)
                engine.remove_nodes(rec.plan, hosts, step)
                result = engine.converge(rec.plan, self.core.access(rec.id), step)
                self.core._node_scheduler(rec).resume(computes)  # before the verify step, which wants them idle
                self.core.configure(rec, result.nodes, step, limit=self._limit(rec.plan, hosts))
            finally:
                self.core.node_state.clear(rec.id, hosts)
            step(f"reset {', '.join(hosts)}")

        task = self.core._operation(rec, "ResetNodes", body, progress=progress, async_=req.Async, on_error_status=None,
                               lock=lock)
        return {"RequestId": task, "TaskId": task}

    def _begin_nodes(self, req, operation: str):
        rec = self.core._cluster(req.ClusterId)
        self.core._require_powered(rec, operation)
        roles = (COMPUTE, LOGIN)
        self._resolve(rec.plan, req.Instance, roles, operation)
        if getattr(req, "Role", None) and req.Role not in roles:
            raise InvalidParams("Role", f"{operation} applies to Compute and Login nodes only")
        self.core._require_status(rec, operation, (RUNNING, EXCEPTION))
        lock, rec = self.core._begin(req.ClusterId, operation, (RUNNING, EXCEPTION))
        try:
            nodes = self._resolve(rec.plan, req.Instance, roles, operation)
        except BaseException:
            lock.release()
            raise
        return lock, rec, nodes

    # --- ListNodes* ------------------------------------------------------------------------------
    def _node_views(self, rec: ClusterRecord) -> list[dict[str, Any]]:
        outs = self.core._inspect_quietly(rec)
        sched: dict[str, dict] = {}
        fault = self.core.health.fault(rec, outs) if outs else None
        if rec.status in (RUNNING, EXCEPTION) and outs and (fault is None or fault.check == "account"):
            try:
                sched = self.core._node_scheduler(rec).info()
            except Exception:  # a listing must not fail because the controller is down
                sched = {}
        transient = self.core.node_state.all(rec.id)
        if transient and not is_locked(self.core.home / "locks", rec.id):
            # left by an operation whose process died: the nodes are in an unknown state
            transient = {h: {"status": NODE_EXCEPTION, "reason": "interrupted"} for h in transient}
        views = []
        for n in rec.plan.nodes:
            out = outs.get(n.hostname)
            status = out.status if out else "unknown"
            if status == "missing":
                status = NODE_EXCEPTION
            s = sched.get(n.hostname, {})
            if n.is_compute and status == NODE_RUNNING and s.get("state") in NODE_BAD_STATES:
                status = NODE_EXCEPTION
            if n.hostname in transient:
                status = transient[n.hostname]["status"]
            views.append({
                "Id": n.instance_id,
                "RegionId": rec.spec.get("RegionId", "local"),
                "ZoneId": rec.spec.get("ZoneId", ""),
                "HostName": n.hostname,
                "Status": status,
                "Roles": {"Role": list(n.roles)},
                "Role": n.roles[0],
                "IpAddress": out.private_ip if out and out.private_ip else "",
                "PrivateIpAddress": out.private_ip if out and out.private_ip else "",
                "AddTime": n.add_time or rec.create_time,
                "CreateMode": n.create_mode,
                "CreatedByEhpc": True,
                "Expired": False,
                "SpotStrategy": "NoSpot",
                "LockReason": "",
                "ImageOwnerAlias": "self" if rec.plan.image_id else "system",
                "ImageId": rec.plan.image_id or "",
                "Location": "OnPremise",
                "InstanceType": n.instance_type,
                "JobQueue": n.queue or "",
                "SchedulerState": s.get("state", ""),
                "VpcId": rec.plan.network,
                "VSwitchId": rec.plan.network,
                "HtEnabled": False,
                "TotalResources": {"Cpu": out.cpus if out else n.cpus, "Memory": n.memory_mb, "Gpu": 0},
                "UsedResources": {"Cpu": s.get("cpus_alloc", 0), "Memory": 0, "Gpu": 0},
            })
        return views

    @staticmethod
    def _filter(views: list[dict], role=None, hostname=None, prefix=None, suffix=None, ip=None,
                only_detached=False, sequence="forward", sort_by=None) -> list[dict]:
        out = [v for v in views
               if (not role or role in v["Roles"]["Role"]) and (not hostname or v["HostName"] == hostname)
               and (not prefix or v["HostName"].startswith(prefix)) and (not suffix or v["HostName"].endswith(suffix))
               and (not ip or v["PrivateIpAddress"] == ip) and not only_detached]
        if sort_by:
            out.sort(key=lambda v: v["AddTime"] if sort_by == "addedtime" else v["HostName"])
        if sequence == "backward":
            out.reverse()
        return out

    def list_nodes(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListNodesRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        views = self._filter(self._node_views(rec), req.Role, req.HostName, req.HostNamePrefix, req.HostNameSuffix,
                             req.PrivateIpAddress, req.OnlyDetached, req.Sequence, req.SortBy)
        page = views[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(views), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "Nodes": {"NodeInfo": page}}

    def list_nodes_no_paging(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListNodesNoPagingRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        views = self._filter(self._node_views(rec), req.Role, req.HostName, only_detached=req.OnlyDetached,
                             sequence=req.Sequence)
        return {"RequestId": new_request_id(), "TotalCount": len(views), "Nodes": {"NodeInfo": views}}

    def list_nodes_by_queue(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListNodesByQueueRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        if req.QueueName not in {q.name for q in rec.plan.queues}:
            raise InvalidParams("QueueName", f"no queue {req.QueueName!r} in the cluster")
        views = [v for v in self._node_views(rec) if v["JobQueue"] == req.QueueName]
        page = views[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(views), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "Nodes": {"NodeInfo": page}}

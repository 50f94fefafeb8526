"""DAG jobs (BatchCompute CreateJob, seed 002): create_dag_job, describe_dag_job, list_dag_jobs,
stop_dag_job.

Slurm enforces the order. Every task becomes one Slurm job, submitted in topological order through
the same ``JobScheduler.submit`` path as SubmitJob (sbatch on stdin as RunasUser, one argv element
per option):

- ``InstanceCount`` N > 1 -> a job array ``--array=0-(N-1)`` (``EHPC_DAG_INSTANCE_ID`` = the index);
- ``Dependencies`` -> ``--dependency=afterok:<Slurm ids of the task's sources>`` with
  ``--kill-on-invalid-dep=yes``: a source that fails (any of its instances) makes slurmctld cancel
  its targets, which never run. With ``JobFailOnInstanceFail: false`` the dependency is
  ``afterany``: targets run once their sources have ended, whatever the outcome, and the job ends
  Finished (failed tasks still report Failed);
- ``Timeout`` (seconds, per instance run) -> ``timeout`` around each attempt inside the script, and
  Slurm ``--time`` = every attempt's Timeout plus a minute, in minutes, rounded up;
- ``MaxRetryCount`` N -> the job script runs a failing instance again, up to N more times, before
  it fails (inside the same Slurm job, so the dependency waits for the final outcome;
  ``EHPC_DAG_ATTEMPT`` = 1, 2 ...); a retry is logged on the instance's stderr;
- ``Priority`` 0-1000 (higher first) -> ``--nice=1000-Priority`` (users may only lower theirs);
- ``EnvVars`` -> exported with quoted values, as SubmitJob's Variables;
- ``StdoutRedirectPath``/``StderrRedirectPath`` -> ``--output``/``--error`` in the user's home or
  /tmp; a path ending in ``/`` is a directory (which must exist) that gets
  ``<job name>.<task>.<slurm id>[.<index>].out|err``.

States (the seed's names): a task is Waiting, Running, Finished, Failed or Stopped (a target
cancelled because its source failed is Stopped, with the reason), derived from the Slurm states
of its job (array elements combined); the job is Waiting until a task starts, Running while any
runs or waits after another ended, Finished when all finished, Failed when a task failed (with
JobFailOnInstanceFail), Stopped after StopJob. The DAG job and its task -> Slurm job ids are kept
in ops/dag_state.py; the Slurm jobs are also recorded like SubmitJob's, so ListJobs shows them.
"""
from __future__ import annotations

import json
import math
import posixpath
import shlex
import uuid
from typing import Any, Mapping, Optional

from ..errors import InvalidParams, ObjectNotFound, SchedulerError
from ..scheduler import (AFTER_ANY, AFTER_OK, ARRAY_INDEX_VAR, FAILED, FINISHED, QUEUED, RUNNING, STOPPED, UNKNOWN,
                         JobRequest)
from ..spec.dag import PRIORITY_MAX, DagJobRequest, DagTask, parse_dag_request
from ..spec.params import unflatten
from .core import new_request_id
from .dag_state import DagStore
from .jobs import JobOps, aggregate_state, base_id
from .state import ClusterRecord

# the seed's state names
WAITING, D_RUNNING, D_FINISHED, D_FAILED, D_STOPPED, D_UNKNOWN = (
    "Waiting", "Running", "Finished", "Failed", "Stopped", "Unknown")
DAG_STATES = (WAITING, D_RUNNING, D_FINISHED, D_FAILED, D_STOPPED)
_FROM_JOB = {QUEUED: WAITING, RUNNING: D_RUNNING, FINISHED: D_FINISHED, FAILED: D_FAILED, STOPPED: D_STOPPED,
             UNKNOWN: D_UNKNOWN}
_ENDED = (D_FINISHED, D_FAILED, D_STOPPED, D_UNKNOWN)


def priority_to_nice(priority: int) -> int:
    """Priority 0-1000 (higher first) -> nice (0 for the highest; users may only lower theirs)."""
    return PRIORITY_MAX - priority


def time_limit_minutes(task: DagTask) -> int:
    """Every attempt may take the whole Timeout; plus a minute for the script around them."""
    return math.ceil(task.timeout * (task.max_retry + 1) / 60) + 1


def task_command(job_id: str, task: DagTask) -> str:
    """The task's shell text for the job script: each attempt runs CommandLine with ``bash -c`` (the
    text quoted, so only the job's own shell interprets it) under ``timeout``, again on failure up
    to MaxRetryCount times; ends with the last attempt's exit status."""
    return "\n".join([
        f"export EHPC_DAG_JOB_ID={job_id} EHPC_DAG_TASK_NAME={task.name}",   # both validated names
        f'export EHPC_DAG_INSTANCE_ID="${{{ARRAY_INDEX_VAR}:-0}}"',
        "__ehpc_try=0",
        "while :; do",
        "  __ehpc_try=$((__ehpc_try + 1))",
        "  export EHPC_DAG_ATTEMPT=$__ehpc_try",
        f"  timeout --kill-after=10 {task.timeout} bash -c {shlex.quote(task.command)}",
        "  __ehpc_rc=$?",
        f"  if [ $__ehpc_rc -eq 0 ] || [ $__ehpc_try -gt {task.max_retry} ]; then break; fi",
        f'  echo "ehpc-iac: task {task.name} attempt $__ehpc_try failed (exit $__ehpc_rc), retrying" >&2',
        "done",
        "(exit $__ehpc_rc)",
    ])


def job_request(req: DagJobRequest, job_id: str, task: DagTask, source_ids: list[str],
                stdout: Optional[str], stderr: Optional[str]) -> JobRequest:
    """The submission of one task (its sources already submitted, their ids given)."""
    return JobRequest(
        command=task_command(job_id, task), user=req.runas_user, workdir=f"/home/{req.runas_user}",
        name=f"{req.name}.{task.name}", nice=priority_to_nice(req.priority), rerunable=False,
        array=f"0-{task.instance_count - 1}" if task.instance_count > 1 else None, env=dict(task.env),
        stdout=stdout, stderr=stderr, time_s=time_limit_minutes(task) * 60,
        after=list(source_ids), after_policy=AFTER_OK if req.fail_on_instance_fail else AFTER_ANY,
        cancel_if_dependency_fails=True if source_ids else None)


def job_state(task_states: list[str], stopped: bool, fail_on_instance_fail: bool) -> str:
    if stopped:
        return D_STOPPED
    if task_states and all(s == D_FINISHED for s in task_states):
        return D_FINISHED
    if fail_on_instance_fail and D_FAILED in task_states:
        return D_FAILED
    if D_RUNNING in task_states:
        return D_RUNNING
    if WAITING in task_states:
        return D_RUNNING if any(s in _ENDED for s in task_states) else WAITING
    return D_FAILED if fail_on_instance_fail else D_FINISHED


class DagJobOps(JobOps):

    @property
    def dag_store(self) -> DagStore:
        if getattr(self, "_dag_store", None) is None or self._dag_store.state is not self.core.state:
            self._dag_store = DagStore(self.core.state)
        return self._dag_store

    def _output_path(self, rec: ClusterRecord, req: DagJobRequest, task: DagTask, path: Optional[str], field: str,
                     ext: str) -> Optional[str]:
        if path is None:
            return None
        full = self._user_path(req.runas_user, path, field)
        if path.endswith("/"):
            pattern = self.core.scheduler_backend(rec).output_pattern(task.instance_count > 1)
            full = posixpath.join(full, f"{req.name}.{task.name}.{pattern}.{ext}")
        return full

    # --- CreateJob (DAG) ------------------------------------------------------------------
    def create_dag_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """Validate everything (seed 002's codes), then submit the tasks in topological order; returns
        ``{"Id": job id}``. When a submission fails, the tasks already submitted are cancelled."""
        data = dict(params or {})
        data.update(kwargs)
        req = parse_dag_request(unflatten(data) if any("." in str(k) for k in data) else data)
        rec = self._jobs_cluster(req.cluster_id, "CreateJob")
        self._check_runas(rec, req.runas_user, None, "RunasUser")
        paths = {}
        for name, task in req.tasks.items():
            pre = f"DAG.Tasks.{name}."
            paths[name] = (self._output_path(rec, req, task, task.stdout, pre + "StdoutRedirectPath", "out"),
                           self._output_path(rec, req, task, task.stderr, pre + "StderrRedirectPath", "err"))
        job_id = "job-" + uuid.uuid4().hex[:20].upper()
        slurm_ids: dict[str, str] = {}
        try:
            for name in req.order:
                task = req.tasks[name]
                sources = [slurm_ids[s] for s in req.sources(name)]
                jr = job_request(req, job_id, task, sources, *paths[name])
                slurm_ids[name] = self._submit(rec, jr, None)
        except BaseException:
            if slurm_ids:
                sched = self.core._job_scheduler(rec)
                try:
                    sched.stop(list(slurm_ids.values()))
                finally:
                    sched.close()
            raise
        self.dag_store.add_job(
            rec.id, job_id, name=req.name, description=req.description, owner=req.runas_user,
            priority=req.priority, fail_on_instance_fail=int(req.fail_on_instance_fail), state=WAITING,
            request_json=_dump_deps(req),
            tasks=[{"name": n, "position": i, "slurm_id": slurm_ids[n], "instance_count": req.tasks[n].instance_count,
                    "max_retry": req.tasks[n].max_retry, "timeout": req.tasks[n].timeout,
                    "sources": req.sources(n), "state": WAITING, "raw_state": "PENDING", "reason": ""}
                   for i, n in enumerate(req.order)])
        self.core.state.add_log(rec.id, new_request_id(), "CreateJob", "info",
                           f"DAG job {job_id} ({req.name}) submitted as {req.runas_user}: " +
                           ", ".join(f"{n}={slurm_ids[n]}" for n in req.order))
        return {"RequestId": new_request_id(), "Id": job_id}

    # --- reads ------------------------------------------------------------------------------
    def _refresh_dag(self, rec: ClusterRecord, job: dict, live_by_base: dict[str, list]) -> dict[str, Any]:
        tasks = self.dag_store.tasks(rec.id, job["id"])
        for t in tasks:
            els = live_by_base.get(t["slurm_id"] or "", [])
            if els:
                state = _FROM_JOB[aggregate_state([e.state for e in els])]
                raw = ",".join(sorted({e.raw_state.split()[0] for e in els if e.raw_state}))
                reason = next((e.reason for e in els if e.reason), "")
                starts = sorted(e.start_time for e in els if e.start_time)
                ends = sorted(e.end_time for e in els if e.end_time)
                seen = {"state": state, "raw_state": raw, "reason": reason,
                        "start_time": starts[0] if starts and state != WAITING else "",
                        "end_time": ends[-1] if ends and state in _ENDED else ""}
            elif t["state"] in (WAITING, D_RUNNING):    # gone from slurmctld before we saw it end
                seen = {"state": D_UNKNOWN, "raw_state": "", "reason": "no longer known to the scheduler"}
            else:
                seen = {}
            if seen and any(t.get(k) != v for k, v in seen.items()):
                self.dag_store.update_task(rec.id, job["id"], t["name"], **seen)
                t.update(seen)
        state = job_state([t["state"] for t in tasks], bool(job["stopped"]), bool(job["fail_on_instance_fail"]))
        if state != job["state"]:
            self.dag_store.update_job(rec.id, job["id"], state=state)
        return _dag_view(rec.id, {**job, "state": state}, tasks)

    def _live_by_base(self, sched) -> dict[str, list]:
        out: dict[str, list] = {}
        for j in sched.list_jobs():
            out.setdefault(base_id(j.id), []).append(j)
        return out

    def _dag_job(self, rec: ClusterRecord, job_id: Any) -> dict:
        if not isinstance(job_id, str) or not job_id:
            raise InvalidParams("JobId", "this parameter is required")
        job = self.dag_store.get_job(rec.id, job_id)
        if job is None:
            raise ObjectNotFound(f"The job {job_id} does not exist (JobId).", field="JobId")
        return job

    def describe_dag_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """The job's state and each task's state (GetJob + ListTasks of seed 002's API)."""
        data = {**dict(params or {}), **kwargs}
        rec = self._jobs_cluster(_cluster_param(data), "GetJob")
        job = self._dag_job(rec, data.get("JobId"))
        sched = self.core._job_scheduler(rec)
        try:
            view = self._refresh_dag(rec, job, self._live_by_base(sched))
        finally:
            sched.close()
        return {"RequestId": new_request_id(), "Job": view}

    def list_dag_jobs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        data = {**dict(params or {}), **kwargs}
        rec = self._jobs_cluster(_cluster_param(data), "ListJobs")
        page, size = data.get("PageNumber", 1), data.get("PageSize", 10)
        for fld, v, hi in (("PageNumber", page, 100000), ("PageSize", size, 50)):
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
                raise InvalidParams(fld, f"must be an integer between 1 and {hi}")
        jobs = self.dag_store.jobs(rec.id)
        sched = self.core._job_scheduler(rec)
        try:
            live = self._live_by_base(sched) if jobs else {}
            views = [self._refresh_dag(rec, j, live) for j in jobs]
        finally:
            sched.close()
        state = data.get("State")
        if state:
            views = [v for v in views if v["State"] == state]
        start = (page - 1) * size
        return {"RequestId": new_request_id(), "TotalCount": len(views), "PageNumber": page, "PageSize": size,
                "Jobs": views[start:start + size]}

    # --- StopJob ------------------------------------------------------------------------------
    def stop_dag_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """Cancel every task's Slurm job that has not ended; the job becomes Stopped. A job that has
        already ended is left as it is."""
        data = {**dict(params or {}), **kwargs}
        rec = self._jobs_cluster(_cluster_param(data), "StopJob")
        job = self._dag_job(rec, data.get("JobId"))
        sched = self.core._job_scheduler(rec)
        try:
            view = self._refresh_dag(rec, job, self._live_by_base(sched))
            if view["State"] in (WAITING, D_RUNNING):
                ids = [t["SchedulerJobId"] for t in view["Tasks"] if t["State"] in (WAITING, D_RUNNING)]
                failed = sched.stop(ids) if ids else {}
                if failed:
                    raise SchedulerError("could not stop " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
                self.dag_store.update_job(rec.id, job["id"], stopped=1, state=D_STOPPED)
                self.core.state.add_log(rec.id, new_request_id(), "StopJob", "info",
                                   f"DAG job {job['id']} stopped ({', '.join(ids)})")
        finally:
            sched.close()
        return {"RequestId": new_request_id()}


def _cluster_param(data: Mapping[str, Any]) -> str:
    cid = data.get("ClusterId")
    if not isinstance(cid, str) or not cid:
        raise InvalidParams("ClusterId", "this parameter is required")
    return cid


def _dump_deps(req: DagJobRequest) -> str:
    return json.dumps({"Dependencies": req.dependencies, "Order": req.order})


def _dag_view(cluster_id: str, job: dict, tasks: list[dict]) -> dict[str, Any]:
    deps = json.loads(job.get("request_json") or "{}").get("Dependencies", {})
    metrics = {f"{s}Count": sum(1 for t in tasks if t["state"] == s) for s in DAG_STATES}
    return {
        "Id": job["id"], "Name": job["name"], "Description": job["description"] or "", "ClusterId": cluster_id,
        "Owner": job["owner"], "Priority": job["priority"], "State": job["state"],
        "JobFailOnInstanceFail": bool(job["fail_on_instance_fail"]), "Type": "DAG",
        "CreationTime": job["create_time"], "LastModifyTime": job["last_modify_time"],
        "Dependencies": deps, "TaskMetrics": metrics,
        "Tasks": [{"TaskName": t["name"], "State": t["state"], "SchedulerJobId": t["slurm_id"],
                   "SchedulerState": t["raw_state"] or "", "Reason": t["reason"] or "",
                   "InstanceCount": t["instance_count"], "MaxRetryCount": t["max_retry"], "Timeout": t["timeout"],
                   "DependsOn": t["sources"], "StartTime": t["start_time"] or "", "EndTime": t["end_time"] or ""}
                  for t in tasks],
    }


__all__ = ["DagJobOps", "job_request", "job_state", "task_command", "priority_to_nice", "DAG_STATES"]

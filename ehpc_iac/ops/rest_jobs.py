"""The REST job service of seed 003 (the Ray Jobs REST API shape) over SubmitJob and friends.

    from ehpc_iac.ops.rest_jobs import RestJobService, TenantMap
    jobs = RestJobService(ehpc)
    target = TenantMap.load("tenants.yaml").resolve("team-a", None, access_key_id)
    sid = jobs.submit(target, {"entrypoint": "python x.py", "runtime_env": {"working_dir": "/home/u"}},
                      access_key_id=access_key_id)
    jobs.details(target.tenant, sid)["status"]          # PENDING RUNNING STOPPED SUCCEEDED FAILED

A submission is recorded (rest_jobs_state.py) before SubmitJob runs, under its tenant: a tenant
sees only its own jobs. Its status is derived from the cluster's view of the job each time it
is read, until it has ended; then the record alone answers. What a request becomes is
rest_jobs_params.py; the tenant map (rest_tenants.py) says where it runs.

This module is the public face of the service for the HTTP front end (api/rest_jobs.py): it
re-exports what that needs, so the front end imports neither the scheduler nor private names.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional

from ..errors import ApiRequestError, ClusterNotFound, EhpcError, JobPartFailure, NotFoundError, SchedulerError
from ..scheduler.base import FAILED, FINISHED, QUEUED, RUNNING, STOPPED
from .rest_jobs_params import MIB, new_submission_id, rest_error, submit_params
from .rest_jobs_state import TERMINAL, JobStatus, RestJobStore, SubmissionIdExists, now_ms
from .rest_tenants import DEFAULT_TENANT, NAME_PATTERN, Target, TenantMap

if TYPE_CHECKING:
    from . import Ehpc

__all__ = ["DEFAULT_TENANT", "NAME_PATTERN", "TERMINAL", "JobStatus", "RestJobService", "SubmissionIdExists",
           "Target", "TenantMap"]

log = logging.getLogger("ehpc_iac.ops.rest_jobs")

LOG_SIZE = 16 * MIB
STALE_SUBMISSION_MS = 10 * 60 * 1000    # a record still without job id after this: the server died submitting
STATUS_OF = {QUEUED: JobStatus.PENDING, RUNNING: JobStatus.RUNNING, FINISHED: JobStatus.SUCCEEDED,
             FAILED: JobStatus.FAILED, STOPPED: JobStatus.STOPPED}


def _not_found(submission_id: str) -> ApiRequestError:
    return ApiRequestError(f"The job {submission_id} does not exist.", code="JobNotFound", http_status=404,
                           field="submission_id")


def _gone(exc: EhpcError) -> bool:
    """The cluster or the job is gone for good (not: the node that submits jobs is unreachable)."""
    return isinstance(exc, ClusterNotFound) or (isinstance(exc, NotFoundError) and exc.field == "JobId")


def _message(status: JobStatus, view: dict[str, Any]) -> str:
    raw = view.get("SchedulerState") or "-"
    if status == JobStatus.PENDING:
        why = f": {view['Comment']}" if view.get("Comment") else ""
        return f"waiting in queue {view.get('JobQueue') or '-'}{why}"
    if status == JobStatus.RUNNING:
        return f"running on {view.get('NodeList') or '-'}"
    if status == JobStatus.SUCCEEDED:
        return "the job finished successfully"
    if status == JobStatus.STOPPED:
        return f"the job was stopped (scheduler state {raw})"
    if not view.get("SchedulerState"):
        return "the scheduler no longer knows the job and did not report its end"
    return f"the job failed (scheduler state {raw})"


class RestJobService:
    """Submit, list, read, stop and delete the REST jobs of a tenant. Blocking: the HTTP front end
    runs each call in a worker thread. Tenants are keys of the tenant map (``Target.tenant``)."""

    def __init__(self, ehpc: "Ehpc"):
        self.ehpc = ehpc
        self.store = RestJobStore(ehpc.home)

    # writes
    def submit(self, target: Target, request: dict[str, Any], *, access_key_id: str,
               pool_label: Optional[str] = None) -> str:
        """Submit a request (its validated fields as JSON values: ``entrypoint``, ``runtime_env``, ...,
        ``submission_id`` when given); returns its submission id, made when the request has none.
        ``pool_label`` only names the header at fault when the queue it picked is refused."""
        submission_id = request.get("submission_id") or new_submission_id()
        params = submit_params(request, target, submission_id)
        try:
            self._submit(target, submission_id, request, params, access_key_id)
        except EhpcError as exc:
            raise rest_error(exc, pool_label) from None
        return submission_id

    def _submit(self, target: Target, submission_id: str, request: dict[str, Any], params: dict[str, Any],
                access_key_id: str) -> None:
        recorded = {k: v for k, v in request.items() if k not in ("submission_id", "job_id")}
        self.store.reserve(target.tenant, submission_id, cluster_id=target.cluster_id, job_queue=target.queue,
                           runas_user=target.user, access_key_id=access_key_id, request=recorded,
                           status=JobStatus.PENDING.value)
        try:
            job_id = self.ehpc.submit_job(params)["JobId"]
        except BaseException:
            self.store.delete(target.tenant, submission_id)
            raise
        self.store.update(target.tenant, submission_id, job_id=job_id, message="submitted")

    def stop(self, tenant: str, submission_id: str) -> bool:
        """Stop the job; False when it had already ended."""
        rec = self._refresh(self._get(tenant, submission_id))
        if rec["status"] in TERMINAL:
            return False
        if not rec["job_id"]:
            raise ApiRequestError(f"The job {submission_id} is being submitted; try again in a moment.",
                                  code="JobBeingSubmitted", http_status=409, field="submission_id")
        try:
            self.ehpc.stop_jobs(ClusterId=rec["cluster_id"], Jobs=[{"Id": rec["job_id"]}])
        except JobPartFailure:
            if self._refresh(rec)["status"] in TERMINAL:   # it ended meanwhile
                return False
            raise
        return True

    def delete(self, tenant: str, submission_id: str) -> bool:
        """Forget an ended job (and have the cluster forget it); a job still running is refused."""
        rec = self._refresh(self._get(tenant, submission_id))
        if rec["status"] not in TERMINAL:
            raise ApiRequestError(f"The job {submission_id} is {rec['status']}: stop it first; only ended jobs "
                                  "can be deleted.", code="InvalidJobState", http_status=409, field="submission_id")
        if rec["job_id"]:
            try:
                self.ehpc.delete_jobs(ClusterId=rec["cluster_id"], Jobs=[{"Id": rec["job_id"]}])
            except (NotFoundError, JobPartFailure) as exc:   # the cluster forgot it already
                log.info("delete of REST job %s: the cluster's job %s: %s", submission_id, rec["job_id"], exc.message)
        return self.store.delete(tenant, submission_id)

    # reads
    def details(self, tenant: str, submission_id: str) -> dict[str, Any]:
        return self._details(self._refresh(self._get(tenant, submission_id)))

    def list(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's jobs, oldest first; one job listing per cluster and user refreshes them all."""
        recs = self.store.list(tenant)
        groups: dict[tuple[str, str], set[str]] = {}
        for rec in recs:
            if rec["job_id"] and rec["status"] not in TERMINAL:
                groups.setdefault((rec["cluster_id"], rec["runas_user"]), set()).add(rec["job_id"])
        views: dict[tuple[str, str], Optional[dict[str, Any]]] = {}
        for (cluster_id, user), wanted in groups.items():
            try:
                found = self._listed(cluster_id, user, wanted)
            except EhpcError as exc:
                if not _gone(exc):
                    log.warning("REST job list: the jobs of cluster %s not refreshed: %s", cluster_id, exc.message)
                    continue
                found = {}
            views.update({(cluster_id, jid): found.get(jid) for jid in wanted})
        out = []
        for rec in recs:
            key = (rec["cluster_id"], rec["job_id"])
            if rec["job_id"] and rec["status"] not in TERMINAL and key in views:
                rec = self._observe(rec, views[key])
            out.append(self._details(rec))
        return out

    def logs(self, tenant: str, submission_id: str) -> str:
        """The job's output (stdout and stderr), at most LOG_SIZE from the start; "" before it has any."""
        rec = self._get(tenant, submission_id)
        if not rec["job_id"]:
            return ""
        try:
            return self.ehpc.get_job_log(ClusterId=rec["cluster_id"], JobId=rec["job_id"], Size=LOG_SIZE)["OutputLog"]
        except SchedulerError as exc:
            if "No such file or directory" in exc.message:    # not started yet: no output file
                return ""
            raise
        except NotFoundError as exc:
            if _gone(exc):
                raise ApiRequestError(f"The cluster no longer knows the job of {submission_id}: its log cannot be "
                                      "found.", code="JobLogNotFound", http_status=404,
                                      field="submission_id") from None
            raise

    # helpers
    def _get(self, tenant: str, submission_id: str) -> dict[str, Any]:
        rec = self.store.get(tenant, submission_id)
        if rec is None:
            raise _not_found(submission_id)
        return rec

    def _listed(self, cluster_id: str, user: str, wanted: set[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            res = self.ehpc.list_jobs(ClusterId=cluster_id, Owner=user, PageSize=50, PageNumber=page)
            found.update({v["Id"]: v for v in res["Jobs"]["JobInfo"] if v["Id"] in wanted})
            if len(found) == len(wanted) or page * 50 >= res["TotalCount"]:
                return found
            page += 1

    def _refresh(self, rec: dict[str, Any]) -> dict[str, Any]:
        if not rec["job_id"] or rec["status"] in TERMINAL:
            return rec
        try:
            view = self.ehpc.describe_job(ClusterId=rec["cluster_id"], JobId=rec["job_id"])["Message"]
        except EhpcError as exc:
            if not _gone(exc):
                raise
            view = None
        return self._observe(rec, view)

    def _observe(self, rec: dict[str, Any], view: Optional[dict[str, Any]]) -> dict[str, Any]:
        """Record what the cluster says of the job (None: it no longer knows it)."""
        if view is None:
            upd: dict[str, Any] = {"status": JobStatus.FAILED.value,
                                   "message": "the cluster no longer knows the job (deleted outside this API?)"}
        else:
            status = STATUS_OF.get(view["State"])
            if status is None:    # Unknown: gone before its end was seen, or a state we do not map
                status = JobStatus.FAILED if not view.get("SchedulerState") else JobStatus(rec["status"])
            ended = status in TERMINAL
            upd = {"status": status.value, "message": _message(status, view),
                   "scheduler_state": view.get("SchedulerState") or "",
                   "scheduler_start_time": view.get("StartTime", "") if status != JobStatus.PENDING else "",
                   "scheduler_end_time": view.get("EndTime", "") if ended else ""}
        if upd["status"] in TERMINAL and not rec["end_time"]:
            upd["end_time"] = now_ms()
        changed = {k: v for k, v in upd.items() if rec.get(k) != v}
        if changed:
            self.store.update(rec["tenant"], rec["submission_id"], **changed)
        return {**rec, **changed}

    @staticmethod
    def _details(rec: dict[str, Any]) -> dict[str, Any]:
        status, message = rec["status"], rec["message"]
        if not rec["job_id"]:
            stale = now_ms() - rec["start_time"] > STALE_SUBMISSION_MS
            status = JobStatus.FAILED.value if stale else JobStatus.PENDING.value
            message = "the submission did not complete (the server stopped meanwhile)" if stale else \
                "being submitted"
        req = rec["request"]
        return {"type": "SUBMISSION", "submission_id": rec["submission_id"], "job_id": rec["job_id"],
                "status": status, "message": message, "entrypoint": req["entrypoint"],
                "metadata": req.get("metadata") or {}, "runtime_env": req.get("runtime_env") or {},
                "entrypoint_num_cpus": req.get("entrypoint_num_cpus"),
                "entrypoint_num_gpus": req.get("entrypoint_num_gpus"),
                "entrypoint_memory": req.get("entrypoint_memory"),
                "entrypoint_resources": req.get("entrypoint_resources"),
                "start_time": rec["start_time"], "end_time": rec["end_time"], "cluster_id": rec["cluster_id"],
                "job_queue": rec["job_queue"], "scheduler_state": rec["scheduler_state"],
                "scheduler_start_time": rec["scheduler_start_time"], "scheduler_end_time": rec["scheduler_end_time"]}

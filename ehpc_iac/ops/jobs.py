"""Job operations: SubmitJob, CreateJob, ListJobs, DescribeJob, GetJobLog, StopJobs, RerunJobs, DeleteJobs.

The operations talk only to ``JobScheduler`` (scheduler/base.py); ``_job_scheduler`` picks the
implementation (Slurm over SSH on the login node, or on the manager when there is none).

Checks before anything is submitted: RunasUser must be a NIS user of the cluster
(``AgentError.Account.UserNotExist`` naming RunasUser) and never root; RunasUserPassword, when
given, must match the stored hash (``IncorrectCredential``; the password is never logged or
stored); JobQueue must be one of the cluster's queues; output paths must be inside the user's
home or /tmp. Jobs do not take the cluster lock: they do not change the cluster.

Slurm here has no accounting database, so every submitted job is recorded (ops/jobs_state.py)
and merged with what slurmctld still knows: finished jobs keep listing with their last
observed state.
"""
from __future__ import annotations

import posixpath
import shlex
import threading
from typing import Any, Mapping, Optional

from ..configure import passwords
from ..errors import IncorrectCredential, InvalidParams, JobPartFailure, ObjectNotFound, RerunFailure, UserNotExist
from ..scheduler import (ACTIVE_STATES, FAILED, FINISHED, JOB_STATES, QUEUED, RUNNING, STOPPED, UNKNOWN,
                              JobInfo, JobRequest, JobScheduler)
from ..spec.jobs import (CreateJobRequest, DeleteJobsRequest, DescribeJobRequest, GetJobLogRequest, ListJobsRequest,
                         RerunJobsRequest, StopJobsRequest, SubmitJobRequest, mem_mb, time_seconds)
from .core import EXCEPTION as CLUSTER_EXCEPTION, RUNNING as CLUSTER_RUNNING, Area, new_request_id
from .state import ClusterRecord

JOB_OPS_STATUSES = (CLUSTER_RUNNING,)
# reads of jobs also in exception: a person must see the jobs of a broken cluster
JOB_READS, JOB_READ_STATUSES = ("ListJobs", "DescribeJob", "GetJobLog", "GetJob"), (CLUSTER_RUNNING, CLUSTER_EXCEPTION)
# InputFileUrl over http(s), on the node with its python3 (the image has no curl or wget)
_FETCH = ("import shutil,sys,urllib.request as u; "
          "shutil.copyfileobj(u.urlopen(sys.argv[1], timeout=60), open(sys.argv[2], 'wb'))")


def priority_to_nice(priority: Optional[int]) -> Optional[int]:
    """API Priority 0-9 (9 highest) -> nice 0..900 (how far below the top; users may only lower theirs)."""
    return None if priority is None else (9 - priority) * 100


def base_id(job_id: str) -> str:
    return job_id.split("_", 1)[0]


class JobOps(Area):

    def _jobs_cluster(self, cluster_id: str, operation: str) -> ClusterRecord:
        rec = self.core._cluster(cluster_id)
        self.core._check_status(rec, operation, JOB_READ_STATUSES if operation in JOB_READS else JOB_OPS_STATUSES)
        return rec

    # --- checks -------------------------------------------------------------------
    def _check_runas(self, rec: ClusterRecord, user: str, password: Optional[str], field: str) -> None:
        if user == "root":
            raise InvalidParams(field, "jobs never run as root: give a cluster user (AddUsers)")
        users = {u["name"]: u for u in self.core.state.users(rec.id)}
        if user not in users:
            raise UserNotExist(user, field=field)
        if password is not None and not passwords.verify(password, users[user]["password_hash"]):
            raise IncorrectCredential(f"The username or password is incorrect ({field}Password).",
                                      field=f"{field}Password")

    @staticmethod
    def _check_queue(rec: ClusterRecord, queue: Optional[str], field: str) -> Optional[str]:
        if queue is None:
            return None
        if queue not in {q.name for q in rec.plan.queues}:
            raise ObjectNotFound(f"The queue {queue} does not exist ({field}).", field=field)
        return queue

    @staticmethod
    def _user_path(user: str, path: Optional[str], field: str) -> Optional[str]:
        """Relative paths are under the user's home; absolute ones must be inside it or /tmp."""
        if path is None:
            return None
        home = f"/home/{user}"
        full = posixpath.normpath(path if path.startswith("/") else posixpath.join(home, path))
        if not (full == home or full.startswith(home + "/") or full == "/tmp" or full.startswith("/tmp/")):
            raise InvalidParams(field, f"must be inside the user's home {home} or /tmp")
        return full

    def _stage_lines(self, user: str, workdir: str, url: Optional[str], unzip: Optional[str]) -> list[str]:
        """Script lines that fetch InputFileUrl into the working directory (PackagePath) on the node,
        as the job's user, then run UnzipCmd on it. The URL and paths are quoted; UnzipCmd is the
        user's own shell text, like CommandLine."""
        if not url:
            return []
        if url.startswith(("http://", "https://")):
            name = posixpath.basename(url.split("?", 1)[0].split("#", 1)[0].rstrip("/")) or "input"
            dest = posixpath.join(workdir, name)
            lines = [f"python3 -c {shlex.quote(_FETCH)} {shlex.quote(url)} {shlex.quote(dest)} || exit 1"]
        else:
            src = self._user_path(user, url, "InputFileUrl")
            dest = posixpath.join(workdir, posixpath.basename(src))
            lines = [] if src == dest else [f"cp -- {shlex.quote(src)} {shlex.quote(dest)} || exit 1"]
        if unzip:
            lines.append(f"{unzip} {shlex.quote(dest)} || exit 1")
        return lines

    # --- SubmitJob ------------------------------------------------------------------
    def submit_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(SubmitJobRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "SubmitJob")
        pw = req.RunasUserPassword.get_secret_value() if req.RunasUserPassword else None
        self._check_runas(rec, req.RunasUser, pw, "RunasUser")
        home = f"/home/{req.RunasUser}"
        package = self._user_path(req.RunasUser, req.PackagePath, "PackagePath")
        prologue = [f"mkdir -p -- {shlex.quote(package)} && cd -- {shlex.quote(package)} || exit 1"] if package else []
        prologue += self._stage_lines(req.RunasUser, package or home, req.InputFileUrl, req.UnzipCmd)
        job = JobRequest(
            command=req.CommandLine, user=req.RunasUser, workdir=home, name=req.Name, prologue=prologue,
            queue=self._check_queue(rec, req.JobQueue, "JobQueue"), nice=priority_to_nice(req.Priority),
            rerunable=req.ReRunable, array=req.ArrayRequest,
            env={v.Name: v.Value for v in (req.Variables or [])},
            stdout=self._user_path(req.RunasUser, req.StdoutRedirectPath, "StdoutRedirectPath"),
            stderr=self._user_path(req.RunasUser, req.StderrRedirectPath, "StderrRedirectPath"),
            post_command=req.PostCmdLine, nodes=req.Node, tasks=req.Task, cpus_per_task=req.Thread or req.Cpu,
            mem_mb=mem_mb(req.Mem), time_s=time_seconds(req.ClockTime))
        return {"RequestId": new_request_id(), "JobId": self._submit(rec, job, req.Priority)}

    def _submit(self, rec: ClusterRecord, job: JobRequest, priority: Optional[int]) -> str:
        sched = self.core._job_scheduler(rec)
        try:
            job_id = sched.submit(job)
        finally:
            sched.close()
        self.core.jobs_store.add(rec.id, job_id, name=job.name or "", owner=job.user, queue=job.queue or "",
                            stdout=job.stdout or "", stderr=job.stderr or "", workdir=job.workdir,
                            array_request=job.array or "", priority=priority,
                            rerunable=None if job.rerunable is None else int(job.rerunable),
                            state=QUEUED, raw_state="PENDING", nodes=job.nodes or 0, cores=0)
        self.core.state.add_log(rec.id, new_request_id(), "SubmitJob", "info",
                           f"job {job_id} submitted as {job.user}")
        return job_id

    # --- CreateJob (E-HPC 2.0 shape) ----------------------------------------------------
    def create_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """JobName + JobSpec. A CommandLine of the form ``-- /bin/cmd args`` is a direct command: its
        words are quoted, so the job's shell runs it without interpreting anything."""
        req = self.core._request(CreateJobRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "CreateJob")
        spec = req.JobSpec
        password = spec.RunasUserPassword.get_secret_value() if spec.RunasUserPassword else None
        self._check_runas(rec, spec.RunasUser, password, "JobSpec.RunasUser")
        command = spec.CommandLine
        stripped = command.strip()
        if stripped.startswith("-- ") or stripped == "--":
            try:
                words = shlex.split(stripped[2:])
            except ValueError as exc:
                raise InvalidParams("JobSpec.CommandLine", f"cannot split the direct command: {exc}") from None
            if not words:
                raise InvalidParams("JobSpec.CommandLine", "'--' must be followed by a command")
            command = "exec " + " ".join(shlex.quote(w) for w in words) if not spec.PostCmdLine else \
                " ".join(shlex.quote(w) for w in words)
        res = spec.Resources
        job = JobRequest(
            command=command, user=spec.RunasUser, workdir=f"/home/{spec.RunasUser}", name=req.JobName,
            queue=self._check_queue(rec, spec.JobQueue, "JobSpec.JobQueue"), nice=priority_to_nice(spec.Priority),
            array=spec.ArrayRequest, env={v.Name: v.Value for v in (spec.Variables or [])},
            stdout=self._user_path(spec.RunasUser, spec.StdoutPath, "JobSpec.StdoutPath"),
            stderr=self._user_path(spec.RunasUser, spec.StderrPath, "JobSpec.StderrPath"),
            post_command=spec.PostCmdLine, nodes=res.Nodes if res else None,
            cpus_per_task=res.Cores if res else None, mem_mb=mem_mb(res.Memory) if res else None,
            time_s=time_seconds(spec.WallTime))
        return {"RequestId": new_request_id(), "JobId": self._submit(rec, job, spec.Priority)}

    # --- reads ------------------------------------------------------------------------
    def _merged_jobs(self, rec: ClusterRecord, sched: JobScheduler) -> list[tuple[Optional[JobInfo], dict]]:
        """(scheduler's view or None, our record or {}) for every job; records are refreshed."""
        live = sched.list_jobs()
        records = {r["id"]: r for r in self.core.jobs_store.all(rec.id)}
        seen_bases: set[str] = set()
        out: list[tuple[Optional[JobInfo], dict]] = []
        for j in live:
            b = base_id(j.id)
            seen_bases.add(b)
            r = records.get(b, {})
            if r.get("deleted"):
                continue
            if r and j.id == b and (r.get("raw_state") != j.raw_state or r.get("node_list") != j.node_list):
                seen = {"state": j.state, "raw_state": j.raw_state, "node_list": j.node_list,
                        "start_time": j.start_time, "end_time": j.end_time, "cores": j.cores, "nodes": j.nodes}
                if j.rerunable is not None:
                    seen["rerunable"] = int(j.rerunable)
                self.core.jobs_store.update(rec.id, b, **seen)
                r = {**r, **seen}
            out.append((j, r))
        for b, r in records.items():
            elements = [j for j in live if base_id(j.id) == b and j.id != b]
            if r.get("array_request") and elements and not r.get("deleted"):
                self._refresh_array(rec, r, elements)
            if b in seen_bases or r.get("deleted"):
                continue
            if r.get("state") in ACTIVE_STATES:   # gone from slurmctld before we saw it end
                self.core.jobs_store.update(rec.id, b, state=UNKNOWN, raw_state="")
                r = {**r, "state": UNKNOWN, "raw_state": ""}
            out.append((None, r))
        out.sort(key=lambda p: _sort_key(p[0].id if p[0] else p[1]["id"]))
        return out

    @staticmethod
    def _job_view(j: Optional[JobInfo], r: dict) -> dict[str, Any]:
        jid = j.id if j else r["id"]
        own = bool(r) and (j is None or j.id == base_id(jid))
        rerunable = j.rerunable if j and j.rerunable is not None else (
            bool(r["rerunable"]) if r and r.get("rerunable") is not None else False)
        state = j.state if j else r.get("state", UNKNOWN)
        comment = (j.reason if j else "") or ("" if j else "no longer known to the scheduler; last observed state")
        return {
            "Id": jid, "Name": (j.name if j else r.get("name")) or "",
            "Owner": (j.owner if j else r.get("owner")) or "",
            "NodeList": (j.node_list if j else r.get("node_list")) or "",
            "Priority": r.get("priority") if r and r.get("priority") is not None else 0,
            "State": state, "SchedulerState": (j.raw_state if j else r.get("raw_state")) or "",
            "SubmitTime": (j.submit_time if j else "") or r.get("submit_time", ""),
            "StartTime": (j.start_time if j else r.get("start_time")) or "",
            "EndTime": (j.end_time if j else r.get("end_time")) or "",
            "LastModifyTime": r.get("last_modify_time", "") if r else "",
            "Stdout": (r.get("stdout") if own else "") or (j.stdout if j else ""),
            "Stderr": (r.get("stderr") if own else "") or (j.stderr if j else ""),
            "Comment": comment, "ArrayRequest": (j.array_request if j else "") or (r.get("array_request") or ""),
            "Rerunable": rerunable, "JobQueue": (j.queue if j else r.get("queue")) or "",
            "Resources": {"Nodes": (j.nodes if j else r.get("nodes")) or 0,
                          "Cores": (j.cores if j else r.get("cores")) or 0},
        }

    def list_jobs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListJobsRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "ListJobs")
        sched = self.core._job_scheduler(rec)
        try:
            views = [self._job_view(j, r) for j, r in self._merged_jobs(rec, sched)]
        finally:
            sched.close()
        if req.Owner:
            views = [v for v in views if v["Owner"] == req.Owner]
        if req.Nodes:
            hosts = self.core.scheduler_backend(rec).expand_hostlist
            wanted = set(req.Nodes)
            views = [v for v in views if wanted.intersection(hosts(v["NodeList"]))]
        if req.State != "all":
            views = [v for v in views if v["State"] == req.State]
        if req.Rerunable != "all":
            views = [v for v in views if v["Rerunable"] == (req.Rerunable == "true")]
        start = (req.PageNumber - 1) * req.PageSize
        return {"RequestId": new_request_id(), "TotalCount": len(views), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "Jobs": {"JobInfo": views[start:start + req.PageSize]}}

    def _refresh_array(self, rec: ClusterRecord, r: dict, elements: list[JobInfo]) -> dict:
        """An array job's record takes the combined state of the elements slurmctld still knows."""
        state = aggregate_state([e.state for e in elements])
        nodes = sorted({e.node_list for e in elements if e.node_list})
        seen = {"state": state, "raw_state": "ARRAY", "node_list": ",".join(nodes)}
        if any(r.get(k) != v for k, v in seen.items()):
            self.core.jobs_store.update(rec.id, r["id"], **seen)
        return {**r, **seen}

    def _find_job(self, rec: ClusterRecord, sched: JobScheduler, job_id: str, field: str) -> dict[str, Any]:
        r = self.core.jobs_store.get(rec.id, base_id(job_id)) or {}
        if r.get("deleted"):
            raise ObjectNotFound(f"The job {job_id} does not exist ({field}).", field=field)
        if r.get("array_request") and job_id == r["id"]:   # the array as a whole
            elements = [j for j in sched.list_jobs() if base_id(j.id) == job_id]
            if elements:
                r = self._refresh_array(rec, r, elements)
            view = self._job_view(None, r)
            view["Comment"] = ", ".join(f"{e.id}: {e.state}" for e in elements) if elements else view["Comment"]
            return view
        j = sched.describe(job_id)
        if j is None and not r:
            raise ObjectNotFound(f"The job {job_id} does not exist ({field}).", field=field)
        if j is None and "_" in job_id:
            raise ObjectNotFound(f"The array element {job_id} is no longer known ({field}).", field=field)
        if j is not None and r and j.id == base_id(job_id):
            self.core.jobs_store.update(rec.id, j.id, state=j.state, raw_state=j.raw_state, node_list=j.node_list,
                                   start_time=j.start_time, end_time=j.end_time, cores=j.cores, nodes=j.nodes)
            r = self.core.jobs_store.get(rec.id, j.id) or r
        return self._job_view(j, r)

    def describe_job(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(DescribeJobRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "DescribeJob")
        sched = self.core._job_scheduler(rec)
        try:
            view = self._find_job(rec, sched, req.JobId, "JobId")
        finally:
            sched.close()
        return {"RequestId": new_request_id(), "Message": view}

    def get_job_log(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """The job's output and error files (read as the job's owner), from Offset, at most Size bytes."""
        req = self.core._request(GetJobLogRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "GetJobLog")
        sched = self.core._job_scheduler(rec)
        try:
            view = self._find_job(rec, sched, req.JobId, "JobId")
            owner = view["Owner"]
            self._check_runas(rec, owner, None, "JobId")
            backend = self.core.scheduler_backend(rec)
            out_path = backend.expand_output(view["Stdout"] or backend.default_stdout(owner), req.JobId, owner,
                                             view["Name"])
            err_path = backend.expand_output(view["Stderr"], req.JobId, owner, view["Name"]) if view["Stderr"] else ""
            out = sched.log(req.JobId, out_path, req.Offset, req.Size, owner)   # type: ignore[call-arg]
            err = sched.log(req.JobId, err_path, req.Offset, req.Size, owner) \
                if err_path and err_path != out_path else ""  # type: ignore[call-arg]
        finally:
            sched.close()
        return {"RequestId": new_request_id(), "JobId": req.JobId, "OutputLog": out, "ErrorLog": err}

    # --- writes -----------------------------------------------------------------------
    def stop_jobs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(StopJobsRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "StopJobs")
        ids = [j.Id for j in req.Jobs]
        return self._batch(rec, "StopJobs", ids, req.Async, lambda s, v: s.stop(v))

    def delete_jobs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """Cancel the jobs that still run and forget them: they no longer list."""
        req = self.core._request(DeleteJobsRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "DeleteJobs")
        ids = [j.Id for j in req.Jobs]

        def act(s: JobScheduler, valid: list[str]) -> dict[str, str]:
            failed = s.delete(valid)
            for jid in valid:
                if jid not in failed and jid == base_id(jid):
                    self.core.jobs_store.mark_deleted(rec.id, jid)
            return failed

        return self._batch(rec, "DeleteJobs", ids, req.Async, act)

    def rerun_jobs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """Requeue RUNNING or QUEUED jobs (seed 000); a finished job fails with
        AgentError.Job.RerunFailure, some failures of several with PartFailure (409)."""
        req = self.core._request(RerunJobsRequest, params, kwargs)
        rec = self._jobs_cluster(req.ClusterId, "RerunJobs")
        ids = [j.Id for j in req.Jobs]
        return self._batch(rec, "RerunJobs", ids, req.Async, lambda s, v: s.rerun(v),
                           allowed=(RUNNING, QUEUED), single_error=RerunFailure)

    def _batch(self, rec: ClusterRecord, operation: str, ids: list[str], async_: bool, act, *,
               allowed: Optional[tuple[str, ...]] = None, single_error=None) -> dict[str, Any]:
        request_id = new_request_id()
        seen: set[str] = set()
        for i, jid in enumerate(ids, start=1):
            if jid in seen:
                raise InvalidParams(f"Jobs.{i}.Id", f"the job {jid} is listed more than once")
            seen.add(jid)
        sched = self.core._job_scheduler(rec)
        try:
            failed: dict[str, str] = {}
            valid: list[str] = []
            for jid in ids:
                r = self.core.jobs_store.get(rec.id, base_id(jid)) or {}
                j = None if r.get("deleted") else sched.describe(jid)
                if j is None and not (r and not r.get("deleted") and operation == "DeleteJobs"):
                    failed[jid] = "the job does not exist"
                    continue
                if allowed and j is not None and j.state not in allowed:
                    failed[jid] = f"the job is {j.state} ({j.raw_state}); only {' or '.join(allowed)} jobs qualify"
                    continue
                valid.append(jid)
        except BaseException:
            sched.close()
            raise

        def run() -> dict[str, str]:
            try:
                errs = dict(failed)
                if valid:
                    errs.update(act(sched, valid))
            finally:
                sched.close()
            level = "error" if errs else "info"
            msg = f"{operation} {', '.join(ids)}: " + ("; ".join(f"{k}: {v}" for k, v in errs.items()) or "done")
            self.core.state.add_log(rec.id, request_id, operation, level, msg)
            return errs

        if async_ and not failed:
            threading.Thread(target=run, name=f"{operation}-{rec.id}", daemon=False).start()
            return {"RequestId": request_id, "TaskId": request_id}
        errs = run()
        if errs:
            detail = "; ".join(f"{k}: {v}" for k, v in errs.items())
            if len(errs) < len(ids):
                raise JobPartFailure(f"Part of the batch operation failed: {detail}", failed=sorted(errs))
            if single_error is not None:
                raise single_error(detail)
            raise JobPartFailure(f"The batch operation failed: {detail}", failed=sorted(errs))
        return {"RequestId": request_id}


def aggregate_state(states: list[str]) -> str:
    """The state of an array job from its elements' states."""
    for s in (RUNNING, QUEUED, FAILED, STOPPED):
        if s in states:
            return s
    return FINISHED if states and all(s == FINISHED for s in states) else UNKNOWN


def _sort_key(job_id: str) -> tuple[int, str]:
    b, _, rest = job_id.partition("_")
    return (int(b) if b.isdigit() else 0, rest.zfill(8))


__all__ = ["JobOps", "JOB_STATES", "priority_to_nice"]

"""Slurm implementation of ``JobScheduler``: sbatch, scontrol, scancel over SSH (argv lists, no shell
on the control plane). The job script reaches ``sbatch`` on its standard input, and sbatch runs as
the job's user through ``runuser``, so the job belongs to that user and never to root."""
from __future__ import annotations

import re
from typing import Optional

from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import (AFTER_OK, ARRAY_INDEX_VAR, FAILED, FINISHED, QUEUED, RUNNING, STOPPED, UNKNOWN, JobInfo,
                    JobRequest, JobScheduler, script_body)
from ..remote import reach, read_as, run_checked

_STATE_MAP = {
    "PENDING": QUEUED, "REQUEUED": QUEUED, "REQUEUE_HOLD": QUEUED, "REQUEUE_FED": QUEUED, "SUSPENDED": QUEUED,
    "RESV_DEL_HOLD": QUEUED, "STOPPED": QUEUED, "SPECIAL_EXIT": QUEUED,
    "RUNNING": RUNNING, "COMPLETING": RUNNING, "CONFIGURING": RUNNING, "STAGE_OUT": RUNNING,
    "SIGNALING": RUNNING, "RESIZING": RUNNING,
    "COMPLETED": FINISHED,
    "CANCELLED": STOPPED, "PREEMPTED": STOPPED, "REVOKED": STOPPED,
    "FAILED": FAILED, "TIMEOUT": FAILED, "NODE_FAIL": FAILED, "OUT_OF_MEMORY": FAILED, "BOOT_FAIL": FAILED,
    "DEADLINE": FAILED,
}
_KEY = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=")


def map_state(raw: str) -> str:
    return _STATE_MAP.get(raw.split()[0].upper() if raw.strip() else "", UNKNOWN)


def build_script(req: JobRequest) -> str:
    """The batch script: variables exported with quoted values, then the user's command and PostCmdLine.
    A first no-op line ends sbatch's ``#SBATCH`` parsing, so options come only from the argv."""
    lines = ["#!/bin/bash", ": ehpc-iac job", f'export {ARRAY_INDEX_VAR}="${{SLURM_ARRAY_TASK_ID:-}}"']
    return "\n".join(lines + script_body(req)) + "\n"


def sbatch_argv(req: JobRequest) -> list[str]:
    """``runuser -u USER -- sbatch ...``: one argv element per option, values never shell-parsed."""
    a = ["runuser", "-u", req.user, "--", "sbatch", "--parsable", f"--chdir={req.workdir}"]
    if req.name:
        a.append(f"--job-name={req.name}")
    if req.queue:
        a.append(f"--partition={req.queue}")
    if req.nice is not None:
        a.append(f"--nice={req.nice}")
    if req.rerunable is not None:
        a.append("--requeue" if req.rerunable else "--no-requeue")
    if req.array:
        a.append(f"--array={req.array}")
    if req.stdout:
        a.append(f"--output={req.stdout}")
    if req.stderr:
        a.append(f"--error={req.stderr}")
    if req.nodes:
        a.append(f"--nodes={req.nodes}")
    if req.tasks:
        a.append(f"--ntasks={req.tasks}")
    if req.cpus_per_task:
        a.append(f"--cpus-per-task={req.cpus_per_task}")
    if req.mem_mb:
        a.append(f"--mem={req.mem_mb}M")
    if req.time_s:
        a.append(f"--time={slurm_time(req.time_s)}")
    if req.after:
        a.append(f"--dependency={'afterok' if req.after_policy == AFTER_OK else 'afterany'}:{':'.join(req.after)}")
    if req.cancel_if_dependency_fails is not None:
        a.append(f"--kill-on-invalid-dep={'yes' if req.cancel_if_dependency_fails else 'no'}")
    return a


def slurm_time(seconds: int) -> str:
    """Seconds -> sbatch --time: whole minutes as minutes (``60``), else ``minutes:seconds``."""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}" if s else str(m)


def parse_sbatch_id(text: str) -> str:
    """``sbatch --parsable`` prints ``id`` or ``id;cluster``."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    jid = first.split(";")[0].strip()
    if not jid.isdigit():
        raise SchedulerError(f"sbatch printed no job id: {text.strip()[:200]!r}")
    return jid


def parse_kv_line(line: str) -> dict[str, str]:
    """One ``scontrol -o show job`` record -> {key: value} (values may contain '=' but not ' Key=')."""
    out: dict[str, str] = {}
    matches = list(_KEY.finditer(line))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        out[m.group(1)] = line[m.end():end].strip()
    return out


def _t(v: str) -> str:
    return "" if v in ("", "Unknown", "None", "(null)", "N/A") else v


def _int(v: str) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def job_from_kv(kv: dict[str, str]) -> JobInfo:
    jid = kv.get("JobId", "")
    task = kv.get("ArrayTaskId", "")
    array = ""
    if task and kv.get("ArrayJobId"):
        if task.isdigit():
            jid = f"{kv['ArrayJobId']}_{task}"
        else:
            jid = f"{kv['ArrayJobId']}_[{task.split('%')[0]}]"
            array = task.split("%")[0]
    raw = kv.get("JobState", "")
    reason = kv.get("Reason", "")
    return JobInfo(
        id=jid, name=kv.get("JobName", ""), owner=kv.get("UserId", "").split("(")[0],
        state=map_state(raw), raw_state=raw, queue=_t(kv.get("Partition", "")),
        node_list=_t(kv.get("NodeList", "")), priority=_int(kv.get("Priority", "0")),
        submit_time=_t(kv.get("SubmitTime", "")), start_time=_t(kv.get("StartTime", "")),
        end_time=_t(kv.get("EndTime", "")), stdout=_t(kv.get("StdOut", "")), stderr=_t(kv.get("StdErr", "")),
        array_request=array, nodes=_int(kv.get("NumNodes", "0").split("-")[0]),
        cores=_int(kv.get("NumCPUs", "0").split("-")[0]), reason="" if reason == "None" else reason,
        exit_code=kv.get("ExitCode", ""), rerunable=(kv["Requeue"] == "1") if "Requeue" in kv else None)


def parse_show_jobs(text: str) -> list[JobInfo]:
    """``scontrol -o show job`` -> jobs (one line each; "No jobs in the system" -> [])."""
    jobs = []
    for line in text.splitlines():
        if line.startswith("JobId="):
            jobs.append(job_from_kv(parse_kv_line(line)))
    return jobs


class SlurmJobs(JobScheduler):
    def __init__(self, node: SSHNode):
        self.ssh = node

    def _run(self, argv: list[str], timeout: float = 60, stdin: Optional[str] = None) -> str:
        return run_checked(self.ssh, argv, timeout, stdin, label=argv[0] if argv[0] != "runuser" else argv[4])

    def submit(self, req: JobRequest) -> str:
        return parse_sbatch_id(self._run(sbatch_argv(req), stdin=build_script(req)))

    def list_jobs(self, owner: Optional[str] = None) -> list[JobInfo]:
        jobs = parse_show_jobs(self._run(["scontrol", "-o", "show", "job"]))
        return [j for j in jobs if owner is None or j.owner == owner]

    def describe(self, job_id: str) -> Optional[JobInfo]:
        r = reach(self.ssh, ["scontrol", "-o", "show", "job", job_id], timeout=30)
        if r.exit_code != 0:
            if "Invalid job id" in r.stderr:
                return None
            raise SchedulerError(f"scontrol show job {job_id} failed: {r.stderr.strip()[:300]}")
        jobs = parse_show_jobs(r.stdout)
        return jobs[0] if jobs else None

    def log(self, job_id: str, path: str, offset: int, size: int, user: str = "root") -> str:
        return read_as(self.ssh, user, path, offset, size, f"job {job_id}")

    def _each(self, argv: list[str], job_ids: list[str], ok_if: tuple[str, ...] = ()) -> dict[str, str]:
        failed: dict[str, str] = {}
        for jid in job_ids:
            r = reach(self.ssh, argv + [jid], timeout=30)
            if r.exit_code != 0 and not any(s in r.stderr for s in ok_if):
                failed[jid] = r.stderr.strip()[:300] or f"exit {r.exit_code}"
        return failed

    def stop(self, job_ids: list[str]) -> dict[str, str]:
        return self._each(["scancel"], job_ids, ok_if=("already completing or completed",))

    def rerun(self, job_ids: list[str]) -> dict[str, str]:
        # a pending job is already queued: requeueing it again is a no-op, not a failure
        return self._each(["scontrol", "requeue"], job_ids, ok_if=("pending execution",))

    def delete(self, job_ids: list[str]) -> dict[str, str]:
        return self._each(["scancel"], job_ids, ok_if=("already completing or completed", "Invalid job id"))

    def close(self) -> None:
        self.ssh.close()

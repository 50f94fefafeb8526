"""OpenPBS implementation of ``JobScheduler``: qsub, qstat, qdel, qrerun over SSH (argv lists, no shell
on the control plane). The job script reaches ``qsub`` on its standard input, run as the job's user
through ``runuser`` from the job's working directory.

Job ids: PBS says ``12.manager0`` (a job), ``12[].manager0`` (an array) and ``12[3].manager0`` (an
array element); the operations see ``12`` and ``12_3`` (the neutral form the Slurm back end uses).

Output: the script itself sends its stdout/stderr to the requested files (PBS cannot put the job id
in a file name, and it would copy the files back to the submission host): the path patterns ``%j``
(job number, ``.index`` for array elements), ``%A`` (job number), ``%a`` (array index), ``%u``, ``%x``
and ``%%`` are filled on the execution host. PBS's own streams are written directly to /dev/null.
"""
from __future__ import annotations

import json
import re
import shlex
from datetime import datetime
from typing import Optional

from ...errors import InvalidParams, SchedulerError
from ...ssh import SSHNode
from ..base import (AFTER_OK, ARRAY_INDEX_VAR, FAILED, FINISHED, QUEUED, RUNNING, STOPPED, UNKNOWN, JobInfo,
                    JobRequest, JobScheduler)
from ..script import script_body
from ..remote import reach, read_as, run_checked

_STATE_MAP = {"Q": QUEUED, "H": QUEUED, "W": QUEUED, "T": QUEUED, "S": QUEUED, "U": QUEUED, "M": QUEUED,
              "R": RUNNING, "E": RUNNING, "B": RUNNING}
_ENDED = ("F", "X")
_ARRAY = re.compile(r"^(\d+)-(\d+)(?::(\d+))?$")
_PBS_ID = re.compile(r"^(\d+)(?:\[(\d*)\])?(?:\.(.*))?$")
UNKNOWN_JOB = "Unknown Job Id"
# the variables the script reads to name its output files
_SEQ = '${PBS_JOBID%%[.[]*}'


def map_state(raw: str, exit_status: Optional[int], array: bool = False) -> str:
    """PBS job state letter (+ Exit_status for ended jobs) -> the API's state."""
    if raw in _ENDED:
        if exit_status is None:
            return STOPPED                      # deleted before it ran (or by a failed dependency)
        if array:                               # array parents: 0 all ok, 1 some failed, 2 some deleted
            return {0: FINISHED, 1: FAILED}.get(exit_status, STOPPED)
        if exit_status == 0:
            return FINISHED
        return STOPPED if exit_status >= 256 else FAILED   # 256+signal: killed by PBS (qdel)
    return _STATE_MAP.get(raw, UNKNOWN)


def neutral_id(pbs_id: str) -> str:
    """``12.server`` -> ``12``; ``12[].server`` -> ``12``; ``12[3].server`` -> ``12_3``."""
    m = _PBS_ID.match(pbs_id.strip())
    if not m:
        return pbs_id.strip()
    return f"{m.group(1)}_{m.group(2)}" if m.group(2) else m.group(1)


def pbs_forms(job_id: str) -> list[str]:
    """The PBS ids a neutral id may stand for: an element ``12_3`` -> ``12[3]``; ``12`` -> ``12``, ``12[]``."""
    base, _, index = job_id.partition("_")
    if index:
        return [f"{base}[{index}]"]
    return [base, f"{base}[]"]


def pbs_time(seconds: int) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def pbs_array(expr: str) -> str:
    """"X-Y:Z" (the API's form) -> qsub -J's; PBS needs at least two elements."""
    m = _ARRAY.match(expr.strip())
    if not m:
        raise InvalidParams("ArrayRequest", "must be X-Y or X-Y:Z")
    lo, hi, step = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    if step < 1 or hi < lo + step:
        raise InvalidParams("ArrayRequest", "a PBS job array needs at least two elements (X-Y:Z with Y >= X+Z)")
    return f"{lo}-{hi}" + (f":{step}" if step != 1 else "")


def select_spec(req: JobRequest) -> list[str]:
    """``-l select=...`` (+ ``place``): one chunk per node, each with its share of the tasks."""
    cpt = req.cpus_per_task or 1
    mem = f":mem={req.mem_mb}mb" if req.mem_mb else ""
    if req.nodes:
        per_node = -(-(req.tasks or req.nodes) // req.nodes)
        out = [f"select={req.nodes}:ncpus={per_node * cpt}:mpiprocs={per_node}{mem}"]
        if req.nodes > 1:
            out.append("place=scatter")
        return out
    if req.tasks and req.tasks > 1:
        return [f"select={req.tasks}:ncpus={cpt}:mpiprocs=1{mem}", "place=free"]
    if req.cpus_per_task or req.mem_mb:
        return [f"select=1:ncpus={cpt}{mem}"]
    return []


def output_target(pattern: str, user: str, name: str) -> str:
    """A path pattern -> shell words that expand to the file name on the execution host."""
    parts: list[str] = []
    lit = ""
    i = 0
    subst = {"j": _SEQ + "${PBS_ARRAY_INDEX:+.$PBS_ARRAY_INDEX}", "A": _SEQ, "a": "${PBS_ARRAY_INDEX:-}",
             "u": None, "x": None}
    while i < len(pattern):
        c = pattern[i]
        if c == "%" and i + 1 < len(pattern) and pattern[i + 1] in "%jAaux":
            k = pattern[i + 1]
            if k == "%":
                lit += "%"
            elif k == "u":
                lit += user
            elif k == "x":
                lit += name
            else:
                parts.append(shlex.quote(lit) if lit else "")
                parts.append(f'"{subst[k]}"')
                lit = ""
            i += 2
            continue
        lit += c
        i += 1
    parts.append(shlex.quote(lit) if lit else "")
    return "".join(parts)


def build_script(req: JobRequest, default_stdout: str) -> str:
    """The job script: its own output redirection, the array index, the user's variables, then the
    working directory, then ``script_body`` (variables, prologue, command, PostCmdLine). The first no-op line ends qsub's
    ``#PBS`` directive scanning, so options come only from the argv."""
    name = req.name or "STDIN"
    out = output_target(req.stdout or default_stdout, req.user, name)
    err = output_target(req.stderr, req.user, name) if req.stderr else "&1"
    lines = ["#!/bin/bash", ": ehpc-iac job", f"exec >{out} 2>{err}",
             f'export {ARRAY_INDEX_VAR}="${{PBS_ARRAY_INDEX:-}}"', f"cd -- {shlex.quote(req.workdir)} || exit 1"]
    return "\n".join(lines + script_body(req)) + "\n"


def qsub_argv(req: JobRequest, after: Optional[list[str]] = None) -> list[str]:
    """``runuser -u USER -- env -C WORKDIR qsub ...``: one argv element per option (never shell-parsed).
    ``after``: the PBS ids of the jobs this one depends on (``12`` or ``12[]``)."""
    a = ["runuser", "-u", req.user, "--", "env", "-C", req.workdir, "qsub", "-S", "/bin/bash",
         "-j", "oe", "-k", "oed", "-o", "/dev/null"]
    if req.name:
        a += ["-N", req.name]
    if req.queue:
        a += ["-q", req.queue]
    if req.nice is not None:
        a += ["-p", str(-min(max(int(req.nice), 0), 1024))]
    if req.rerunable is not None:
        a += ["-r", "y" if req.rerunable else "n"]
    if req.array:
        a += ["-J", pbs_array(req.array)]
    for spec in select_spec(req):
        a += ["-l", spec]
    if req.time_s:
        a += ["-l", f"walltime={pbs_time(req.time_s)}"]
    if after:
        a += ["-W", f"depend={'afterok' if req.after_policy == AFTER_OK else 'afterany'}:{':'.join(after)}"]
    return a


def parse_qsub_id(text: str) -> str:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not _PBS_ID.match(first):
        raise SchedulerError(f"qsub printed no job id: {text.strip()[:200]!r}")
    return neutral_id(first)


def _t(v: Optional[str]) -> str:
    if not v:
        return ""
    try:
        return datetime.strptime(v, "%a %b %d %H:%M:%S %Y").isoformat()
    except ValueError:
        return v


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _hosts(exec_host: str) -> str:
    """``compute0/0*1+compute1/0`` -> ``compute0,compute1``."""
    seen: list[str] = []
    for part in (exec_host or "").split("+"):
        h = part.split("/")[0].strip()
        if h and h not in seen:
            seen.append(h)
    return ",".join(seen)


def job_from_json(pbs_id: str, d: dict) -> JobInfo:
    raw = d.get("job_state", "")
    array = bool(d.get("array")) and "[]" in pbs_id
    exit_status = d.get("Exit_status")
    res = d.get("Resource_List", {}) or {}
    rerun = d.get("Rerunable")
    return JobInfo(
        id=neutral_id(pbs_id), name=d.get("Job_Name", ""), owner=d.get("Job_Owner", "").split("@")[0],
        state=map_state(raw, None if exit_status is None else _int(exit_status), array), raw_state=raw,
        queue=d.get("queue", ""), node_list=_hosts(d.get("exec_host", "")), priority=_int(d.get("Priority")),
        submit_time=_t(d.get("qtime") or d.get("ctime")), start_time=_t(d.get("stime")),
        end_time=_t(d.get("obittime")) if raw in _ENDED else "",
        array_request=d.get("array_indices_submitted", "") if array else "",
        nodes=_int(res.get("nodect")), cores=_int(res.get("ncpus")), reason=d.get("comment", ""),
        exit_code="" if exit_status is None else str(exit_status),
        rerunable=None if rerun is None else str(rerun).lower() in ("true", "y", "1"))


def parse_qstat_json(text: str) -> dict[str, dict]:
    """``qstat -f -F json`` -> {PBS job id: attributes} (no "Jobs" key when there is none)."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text, strict=False)
    except ValueError as exc:
        raise SchedulerError(f"qstat printed no JSON: {exc}") from None
    return data.get("Jobs", {}) or {}


def parse_jobs(text: str) -> list[JobInfo]:
    """Every job of a ``qstat -x -t -f -F json`` listing; arrays show as their elements."""
    jobs = parse_qstat_json(text)
    return [job_from_json(k, v) for k, v in jobs.items() if not (v.get("array") and "[]" in k)]


class PbsJobs(JobScheduler):
    def __init__(self, node: SSHNode, default_stdout):
        self.ssh = node
        self.default_stdout = default_stdout

    def _qstat(self, ids: list[str]) -> dict[str, dict]:
        """The jobs of ``ids`` (PBS forms) that exist; SchedulerError on other failures."""
        r = reach(self.ssh, ["qstat", "-x", "-f", "-F", "json", *ids], timeout=60)
        if r.exit_code != 0 and not all(UNKNOWN_JOB in line or "Job has finished" in line
                                        for line in r.stderr.strip().splitlines()):
            raise SchedulerError(f"qstat failed on the scheduler (exit {r.exit_code}): {r.stderr.strip()[:300]}")
        return parse_qstat_json(r.stdout)

    def _resolve(self, job_ids: list[str]) -> dict[str, str]:
        """{neutral id: PBS id} for the ids PBS knows (``12`` may be a job or an array ``12[]``)."""
        if not job_ids:
            return {}
        found = self._qstat([f for jid in job_ids for f in pbs_forms(jid)])
        out: dict[str, str] = {}
        for pbs_id in found:
            nid = neutral_id(pbs_id)
            if nid in job_ids:
                out[nid] = pbs_id
        return out

    def submit(self, req: JobRequest) -> str:
        after: list[str] = []
        if req.after:
            known = self._resolve(req.after)
            missing = [a for a in req.after if a not in known]
            if missing:
                raise SchedulerError(f"the jobs {', '.join(missing)} this job depends on are unknown to PBS")
            after = [known[a] for a in req.after]
        argv = qsub_argv(req, after)
        out = run_checked(self.ssh, argv, 60, build_script(req, self.default_stdout(req.user)), label="qsub")
        return parse_qsub_id(out)

    def list_jobs(self, owner: Optional[str] = None) -> list[JobInfo]:
        jobs = parse_jobs(run_checked(self.ssh, ["qstat", "-x", "-t", "-f", "-F", "json"], 60, label="qstat"))
        return [j for j in jobs if owner is None or j.owner == owner]

    def describe(self, job_id: str) -> Optional[JobInfo]:
        for pbs_id, d in self._qstat(pbs_forms(job_id)).items():
            return job_from_json(pbs_id, d)
        return None

    def log(self, job_id: str, path: str, offset: int, size: int, user: str = "root") -> str:
        return read_as(self.ssh, user, path, offset, size, f"job {job_id}")

    def _each(self, argv: list[str], job_ids: list[str], ok_if: tuple[str, ...] = ()) -> dict[str, str]:
        known = self._resolve(job_ids)
        failed: dict[str, str] = {}
        for jid in job_ids:
            if jid not in known:
                if UNKNOWN_JOB not in ok_if:
                    failed[jid] = "the job does not exist"
                continue
            r = reach(self.ssh, argv + [known[jid]], timeout=30)
            if r.exit_code != 0 and not any(s in r.stderr for s in ok_if):
                failed[jid] = r.stderr.strip()[:300] or f"exit {r.exit_code}"
        return failed

    def stop(self, job_ids: list[str]) -> dict[str, str]:
        return self._each(["qdel"], job_ids, ok_if=("Job has finished",))

    def rerun(self, job_ids: list[str]) -> dict[str, str]:
        # a queued job is already waiting to run: rerunning it is a no-op, not a failure
        return self._each(["qrerun"], job_ids, ok_if=("Request invalid for state of job",))

    def delete(self, job_ids: list[str]) -> dict[str, str]:
        # -x: also forget finished jobs (their history)
        return self._each(["qdel", "-x"], job_ids, ok_if=("Job has finished", UNKNOWN_JOB))

    def close(self) -> None:
        self.ssh.close()

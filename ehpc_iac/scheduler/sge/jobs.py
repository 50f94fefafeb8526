"""Grid Engine implementation of ``JobScheduler``: qsub, qstat, qacct, qdel, qmod over SSH (argv lists,
no shell on the control plane). The job script reaches ``qsub`` on its standard input and qsub runs as
the job's user through ``runuser``.

Ids: Grid Engine names an array task ``ID.TASK``; the operations layer uses ``ID_TASK`` (as for
every back end), translated here both ways.

Finished jobs leave ``qstat``: their final state comes from the accounting file (``qacct``), which the
sge roles keep on the shared /home so that every node can read it (login nodes for ListJobs, compute
nodes for the dependency guard below). A job stopped through ``stop`` is marked first with the
account string ``ehpc_stopped`` (``qalter -A``), so its accounting record says Stopped, not Failed.

Dependencies: ``-hold_jid`` starts a job when its predecessors have ended, whatever their exit status
(Grid Engine has no ``afterok``). For ``AFTER_OK`` the job script begins with a guard that reads the
predecessors' accounting records (every record: ``failed`` 0 and ``exit_status`` 0; records of a
rescheduled run, ``failed`` 25, are skipped) and, when one did not succeed, does not run the command:
with ``cancel_if_dependency_fails`` it marks itself ``ehpc_stopped`` (Stopped, like Slurm's
kill-on-invalid-dep), and exits 1. Its own successors then see it as not succeeded, so the
cancellation runs down the whole chain.
"""
from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from typing import Optional

from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import (AFTER_OK, ARRAY_INDEX_VAR, FAILED, FINISHED, QUEUED, RUNNING, STOPPED, UNKNOWN, JobInfo,
                    JobRequest, JobScheduler)
from ..remote import reach, read_as, run_checked
from ..script import script_body

STOPPED_ACCOUNT = "ehpc_stopped"
MAX_POSIX_PRIORITY = 1023          # qsub -p: -1023 (lowest) .. 0 for users
GUARD_WAIT_S = 30                  # how long the guard waits for a predecessor's accounting record
# parallel environments the sge_master role creates: ehpc_N places N slots on each host
PE_PREFIX = "ehpc_"


def pe_name(slots_per_node: int) -> str:
    return f"{PE_PREFIX}{slots_per_node}"


def to_sge_id(job_id: str) -> str:
    """``12_3`` -> ``12.3`` (an array task); a plain id stays."""
    return job_id.replace("_", ".", 1)


def map_state(raw: str) -> str:
    """qstat's state letters -> the API's states (sge_status(5))."""
    if not raw:
        return UNKNOWN
    if "E" in raw:
        return FAILED
    if "d" in raw:
        return STOPPED
    if raw == "z":
        return FINISHED
    if any(c in raw for c in "sST"):
        return QUEUED
    if "r" in raw or "t" in raw:
        return RUNNING
    if "q" in raw or "w" in raw or "h" in raw:
        return QUEUED
    return UNKNOWN


def _slots(req: JobRequest) -> tuple[int, int]:
    """(nodes, slots per node) of the request."""
    nodes = max(req.nodes or 1, 1)
    per_task = max(req.cpus_per_task or 1, 1)
    tasks_per_node = -(-(req.tasks or nodes) // nodes)
    return nodes, max(tasks_per_node, 1) * per_task


def _guard(req: JobRequest) -> list[str]:
    """Script lines that refuse to run when an ``AFTER_OK`` predecessor did not succeed."""
    if not req.after or req.after_policy != AFTER_OK:
        return []
    stop = (f"qalter -A {STOPPED_ACCOUNT} \"$JOB_ID\" >/dev/null 2>&1; "
            if req.cancel_if_dependency_fails is not False else "")
    check = ("awk '$1==\"failed\"{f=$2} $1==\"exit_status\"{if((f!=0&&f!=25)||(f==0&&$2!=0))bad=1} "
             "END{exit bad}'")
    return [
        f"for __ehpc_dep in {' '.join(shlex.quote(to_sge_id(a)) for a in req.after)}; do",
        "  __ehpc_n=0",
        "  until __ehpc_acct=$(qacct -j \"${__ehpc_dep%%.*}\" 2>/dev/null); do",
        f"    __ehpc_n=$((__ehpc_n + 1)); [ $__ehpc_n -ge {GUARD_WAIT_S} ] && break; sleep 1",
        "  done",
        f"  if ! printf '%s\\n' \"$__ehpc_acct\" | grep -q '^failed' || ! printf '%s\\n' \"$__ehpc_acct\" | {check}; then",
        "    echo \"ehpc-iac: dependency $__ehpc_dep did not succeed; not run\" >&2",
        f"    {stop}exit 1",
        "  fi",
        "done",
    ]


def build_script(req: JobRequest) -> str:
    """The job script: the dependency guard, variables exported with quoted values, then the user's
    command and PostCmdLine. SGE_TASK_ID is ``undefined`` outside arrays: EHPC_ARRAY_INDEX is then empty."""
    lines = ["#!/bin/bash", ": ehpc-iac job",
             f'if [ "${{SGE_TASK_ID:-undefined}}" = undefined ]; then export {ARRAY_INDEX_VAR}=; '
             f'else export {ARRAY_INDEX_VAR}="$SGE_TASK_ID"; fi']
    lines += _guard(req)
    lines += script_body(req)
    return "\n".join(lines) + "\n"


def qsub_argv(req: JobRequest, default_stdout: str) -> list[str]:
    """``runuser -u USER -- qsub ...``: one argv element per option, values never shell-parsed."""
    a = ["runuser", "-u", req.user, "--", "qsub", "-terse", "-S", "/bin/bash", "-wd", req.workdir]
    if req.name:
        a += ["-N", req.name]
    if req.queue:
        a += ["-q", req.queue]
    if req.nice is not None:
        a += ["-p", str(-min(int(req.nice), MAX_POSIX_PRIORITY))]
    if req.rerunable is not None:
        a += ["-r", "y" if req.rerunable else "n"]
    if req.array:
        a += ["-t", req.array]
    a += ["-o", req.stdout or default_stdout]
    a += ["-e", req.stderr] if req.stderr else ["-j", "y"]
    nodes, per_node = _slots(req)
    if nodes > 1 or per_node > 1:
        a += ["-pe", pe_name(per_node), str(nodes * per_node)]
    limits = []
    if req.mem_mb:
        limits.append(f"h_vmem={-(-req.mem_mb // per_node)}M")   # h_vmem is per slot
    if req.time_s:
        limits.append(f"h_rt={int(req.time_s)}")
    if limits:
        a += ["-l", ",".join(limits)]
    if req.after:
        a += ["-hold_jid", ",".join(to_sge_id(j).split(".")[0] for j in req.after)]
    return a


def parse_qsub_id(text: str) -> str:
    """``qsub -terse`` prints ``id`` or, for an array, ``id.X-Y:Z``."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    jid = first.split(".")[0].strip()
    if not jid.isdigit():
        raise SchedulerError(f"qsub printed no job id: {text.strip()[:200]!r}")
    return jid


def _text(el: ET.Element, tag: str) -> str:
    found = el.find(tag)
    return (found.text or "").strip() if found is not None and found.text else ""


def _sge_time(v: str) -> str:
    return v.replace("T", " ").split(".")[0] if v else ""


def parse_qstat_xml(text: str) -> list[JobInfo]:
    """``qstat -u '*' -xml -g t -r`` -> jobs; a parallel job appears once per host (-g t): hosts merge;
    pending array tasks are one entry ``ID_[X-Y:Z]``, running ones ``ID_TASK``."""
    if not text.strip():
        return []
    root = ET.fromstring(text)
    jobs: dict[str, JobInfo] = {}
    for el in root.iter("job_list"):
        num = _text(el, "JB_job_number")
        tasks = _text(el, "tasks")
        array = ""
        jid = num
        if tasks:
            if re.fullmatch(r"\d+", tasks):
                jid = f"{num}_{tasks}"
            else:
                jid, array = f"{num}_[{tasks}]", tasks
        queue_inst = _text(el, "queue_name")
        queue, _, host = queue_inst.partition("@")
        raw = _text(el, "state")
        slots = int(_text(el, "slots") or 0)
        if jid in jobs:
            j = jobs[jid]
            if host and host not in j.node_list.split(","):
                j.node_list = ",".join(filter(None, [j.node_list, host]))
                j.nodes += 1
            continue
        jobs[jid] = JobInfo(
            id=jid, name=_text(el, "JB_name"), owner=_text(el, "JB_owner"), state=map_state(raw), raw_state=raw,
            queue=queue or _text(el, "hard_req_queue"), node_list=host,
            submit_time=_sge_time(_text(el, "JB_submission_time")),
            start_time=_sge_time(_text(el, "JAT_start_time")), array_request=array,
            nodes=1 if host else 0, cores=slots)
    return list(jobs.values())


def parse_qacct(text: str) -> list[dict[str, str]]:
    """``qacct -j ...`` -> one {field: value} per record (records are separated by ``====`` lines)."""
    records: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("====="):
            if cur:
                records.append(cur)
            cur = {}
            continue
        key, _, value = line.partition(" ")
        if key:
            cur[key] = value.strip()
    if cur:
        records.append(cur)
    return records


def _code(v: str) -> int:
    try:
        return int(v.split()[0])
    except (IndexError, ValueError):
        return -1


def job_from_qacct(job_id: str, records: list[dict[str, str]]) -> Optional[JobInfo]:
    """The final state of a finished job from its accounting records (the last run of each task)."""
    runs = [r for r in records if _code(r.get("failed", "0")) != 25] or records
    if not runs:
        return None
    last = runs[-1]
    if any(r.get("account") == STOPPED_ACCOUNT for r in runs):
        state = STOPPED
    elif all(_code(r.get("failed", "0")) == 0 and _code(r.get("exit_status", "0")) == 0 for r in runs):
        state = FINISHED
    else:
        state = FAILED
    hosts = sorted({r.get("hostname", "") for r in runs if r.get("hostname")})
    return JobInfo(
        id=job_id, name=last.get("jobname", ""), owner=last.get("owner", ""), state=state,
        raw_state="z", queue=last.get("qname", ""), node_list=",".join(hosts),
        submit_time=last.get("qsub_time", ""), start_time=last.get("start_time", ""),
        end_time=last.get("end_time", ""), nodes=len(hosts), cores=_code(last.get("slots", "0")),
        exit_code=last.get("exit_status", "").split()[0] if last.get("exit_status") else "")


class SgeJobs(JobScheduler):
    def __init__(self, node: SSHNode, default_stdout: str):
        self.ssh = node
        self.default_stdout = default_stdout

    def _run(self, argv: list[str], timeout: float = 60, stdin: Optional[str] = None) -> str:
        return run_checked(self.ssh, argv, timeout, stdin, label=argv[0] if argv[0] != "runuser" else argv[4])

    def submit(self, req: JobRequest) -> str:
        return parse_qsub_id(self._run(qsub_argv(req, self.default_stdout), stdin=build_script(req)))

    def _live(self) -> list[JobInfo]:
        return parse_qstat_xml(self._run(["qstat", "-u", "*", "-xml", "-g", "t", "-r", "-s", "prs"]))

    def _finished(self) -> list[JobInfo]:
        """Jobs qmaster still remembers as finished (``finished_jobs``), with their accounting state."""
        zombies = {j.id.split("_")[0] for j in parse_qstat_xml(self._run(["qstat", "-u", "*", "-xml", "-s", "z"]))}
        out = []
        for jid in sorted(zombies, key=int):
            j = self._accounted(jid)
            if j is not None:
                out.append(j)
        return out

    def _accounted(self, job_id: str) -> Optional[JobInfo]:
        base, _, task = to_sge_id(job_id).partition(".")
        argv = ["qacct", "-j", base] + (["-t", task] if task else [])
        r = reach(self.ssh, argv, timeout=30)
        if r.exit_code != 0:
            return None
        return job_from_qacct(job_id, parse_qacct(r.stdout))

    def list_jobs(self, owner: Optional[str] = None) -> list[JobInfo]:
        jobs = self._live()
        live = {j.id.split("_")[0] for j in jobs}
        jobs += [j for j in self._finished() if j.id not in live]
        return [j for j in jobs if owner is None or j.owner == owner]

    def describe(self, job_id: str) -> Optional[JobInfo]:
        for j in self._live():
            if j.id == job_id:
                return j
        if "_" in job_id and "[" not in job_id:
            base, task = job_id.split("_", 1)
            for j in self._live():   # a pending task inside a range ID_[X-Y:Z]
                if j.id.startswith(f"{base}_[") and _in_range(int(task), j.array_request):
                    return JobInfo(**{**j.__dict__, "id": job_id, "array_request": ""})
        return self._accounted(job_id)

    def log(self, job_id: str, path: str, offset: int, size: int, user: str = "root") -> str:
        return read_as(self.ssh, user, path, offset, size, f"job {job_id}")

    def _each(self, argvs, job_ids: list[str], ok_if: tuple[str, ...] = ()) -> dict[str, str]:
        failed: dict[str, str] = {}
        for jid in job_ids:
            r = reach(self.ssh, argvs(jid), timeout=30)
            text = (r.stderr + r.stdout).strip()
            if r.exit_code != 0 and not any(s in text for s in ok_if):
                failed[jid] = text[:300] or f"exit {r.exit_code}"
        return failed

    @staticmethod
    def _qdel(jid: str) -> list[str]:
        base, _, task = to_sge_id(jid).partition(".")
        return ["qdel", base] + (["-t", task] if task else [])

    def stop(self, job_ids: list[str]) -> dict[str, str]:
        for jid in job_ids:   # the mark that makes the accounting record say Stopped
            reach(self.ssh, ["qalter", "-A", STOPPED_ACCOUNT, to_sge_id(jid).split(".")[0]], timeout=30)
        return self._each(self._qdel, job_ids, ok_if=("does not exist",))

    def rerun(self, job_ids: list[str]) -> dict[str, str]:
        # qmod -rj reschedules a running job (it must be rerunnable: qsub -r y); a pending one is queued already
        return self._each(lambda j: ["qmod", "-rj", to_sge_id(j)], job_ids, ok_if=("is not running",))

    def delete(self, job_ids: list[str]) -> dict[str, str]:
        return self._each(self._qdel, job_ids, ok_if=("does not exist",))

    def close(self) -> None:
        self.ssh.close()


def _in_range(task: int, spec: str) -> bool:
    """Is ``task`` in a qstat task range (``1-5:2``, ``3``, ``1,4``)?"""
    for part in spec.split(","):
        rng, _, step = part.partition(":")
        lo, _, hi = rng.partition("-")
        try:
            lo_i, hi_i, st = int(lo), int(hi or lo), int(step or 1)
        except ValueError:
            continue
        if lo_i <= task <= hi_i and (task - lo_i) % st == 0:
            return True
    return False

"""Slurm nodes: what the operations need to know from slurmctld, read and changed with Slurm's own commands."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import NodeScheduler, PendingJob
from ..hostlist import expand_hostlist
from ..remote import reach, run_checked


def parse_cpu_counts(text: str) -> tuple[int, int]:
    """`sinfo -h -o '%C'` (allocated/idle/other/total) -> (allocated, total)."""
    a, _i, _o, t = (int(x) for x in text.strip().split()[0].split("/"))
    return a, t


def parse_node_info(text: str) -> dict[str, dict]:
    """`sinfo -h -N -o '%N|%T|%C|%f'` -> {node: {state, cpus_alloc, cpus_total, features}}."""
    out: dict[str, dict] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 4:
            continue
        name, state, cpus, feats = parts[:4]
        a, _i, _o, t = (int(x) for x in cpus.split("/"))
        out[name] = {"state": state.rstrip("*~#!%$@^-").lower(), "cpus_alloc": a, "cpus_total": t,
                     "features": [f for f in feats.split(",") if f and f != "(null)"]}
    return out


# squeue reasons of a pending job that more nodes would end (the others wait for a dependency, a hold,
# a start time, a limit or a reservation, which no node helps)
WAITS_FOR_NODES = ("None", "Resources", "Priority", "PartitionConfig", "PartitionNodeLimit", "NodeDown",
                   "ReqNodeNotAvail", "Nodes_required_for_job_are_DOWN")


def parse_pending(text: str) -> list[PendingJob]:
    """`squeue -h -r -t PENDING -o '%i|%P|%D|%C|%r'` -> the jobs waiting for nodes."""
    jobs = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 5:
            continue
        job_id, partitions, nodes, cpus, reason = parts[:5]
        if not reason.startswith(WAITS_FOR_NODES):
            continue
        try:
            n, c = int(nodes.split("-")[0] or 1), int(cpus or 1)
        except ValueError:
            n, c = 1, 1
        jobs.append(PendingJob(id=job_id, queue=partitions.split(",")[0], nodes=max(n, 1), cpus=max(c, 1),
                               reason=reason))
    return jobs

# who set a node's Reason ("Reason=... [user@time]"): slurmctld records its own SlurmUser
SLURM_USER = "slurm"
# slurmd refused a launch because it had already started that job (a replay from stale controller state)
DUPLICATE_REASON = "duplicate jobid"
_FIELD = re.compile(r"(\w+)=")


def parse_show_oneliners(text: str) -> list[dict[str, str]]:
    """`scontrol show node|job -o` -> one dict per line. Values may hold spaces (Reason=...), so a
    value runs until the next ``Key=`` that starts a word."""
    out = []
    for line in text.splitlines():
        marks = [m for m in _FIELD.finditer(line) if m.start() == 0 or line[m.start() - 1] == " "]
        rec = {}
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(line)
            rec[m.group(1)] = line[m.end():end].strip()
        if rec:
            out.append(rec)
    return out


def fault_drained_nodes(text: str, slurm_user: str = SLURM_USER) -> dict[str, str]:
    """Nodes out of service (drain, down, fail) whose Reason slurmctld itself set (``[slurm@...]``),
    or down without any reason (not responding) -> {node: reason}. An admin's drain (``[root@...]``,
    also every drain of ehpc-iac's own operations) is not a fault."""
    out = {}
    for rec in parse_show_oneliners(text):
        state = rec.get("State", "").upper()
        if not any(w in state for w in ("DRAIN", "DOWN", "FAIL")):
            continue
        reason = rec.get("Reason", "")
        m = re.search(r"\[([^@\]]+)@([^\]]*)\]\s*$", reason)
        setter = m.group(1) if m else ""
        text_only = reason[:m.start()].strip() if m else reason.strip()
        if setter == slurm_user or (not reason and "DOWN" in state):
            out[rec.get("NodeName", "?")] = (text_only or "not responding") + (f" (at {m.group(2)})" if m else "")
    return out


def _when(stamp: str) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(stamp.strip())
    except ValueError:
        return None


def held_duplicates(text: str, drains: dict[str, str], slack_s: float = 5) -> list[str]:
    """`scontrol show job -o` -> ids of jobs held after a refused launch on one of the ``drains``
    ({node: reason ending "(at TIME)"}). Slurm clears such a job's BatchHost, but its requeue
    stamps SubmitTime with the moment the node was drained for the refused launch."""
    times = [t for t in (_when(m.group(1)) for m in (re.search(r"\(at ([^)]*)\)$", r) for r in drains.values())
                         if m) if t]
    held = []
    for r in parse_show_oneliners(text):
        if r.get("JobState") != "PENDING" or r.get("Reason") != "launch_failed_requeued_held":
            continue
        submitted = _when(r.get("SubmitTime", ""))
        if r.get("BatchHost") in drains or (submitted and any(abs((submitted - t).total_seconds()) <= slack_s
                                                                 for t in times)):
            held.append(r["JobId"])
    return held


class SlurmNodes(NodeScheduler):
    """Node life-cycle commands on the controller (argv lists: no shell involved)."""

    def __init__(self, controller: SSHNode):
        self.ssh = controller

    def _run(self, argv: list[str], timeout: float = 30) -> str:
        return run_checked(self.ssh, argv, timeout)

    def info(self) -> dict[str, dict]:
        return parse_node_info(self._run(["sinfo", "-h", "-N", "-o", "%N|%T|%C|%f"]))

    def used_cpus(self) -> tuple[int, int]:
        return parse_cpu_counts(self._run(["sinfo", "-h", "-o", "%C"]))

    def pending_demand(self) -> list[PendingJob]:
        return parse_pending(self._run(["squeue", "-h", "-r", "-t", "PENDING", "-o", "%i|%P|%D|%C|%r"]))

    def drain(self, nodes: list[str], reason: str) -> None:
        known = set(self.info())
        present = [n for n in nodes if n in known]
        if present:
            self._run(["scontrol", "update", f"NodeName={','.join(present)}", "State=DRAIN", f"Reason={reason}"])

    def resume(self, nodes: list[str]) -> None:
        for n in nodes:
            r = reach(self.ssh, ["scontrol", "update", f"NodeName={n}", "State=RESUME"], timeout=30)
            if r.exit_code != 0 and "Invalid node state specified" not in r.stderr:
                raise SchedulerError(f"scontrol update NodeName={n} State=RESUME failed: {r.stderr.strip()[:300]}")

    def jobs_on(self, nodes: list[str]) -> dict[str, int]:
        text = self._run(["squeue", "-h", "-t", "RUNNING,COMPLETING,CONFIGURING", "-o", "%N"])
        counts = {n: 0 for n in nodes}
        for line in text.splitlines():
            for n in expand_hostlist(line.strip()):
                if n in counts:
                    counts[n] += 1
        return counts

    def delete(self, nodes: list[str]) -> None:
        known = set(self.info())
        for n in nodes:
            if n in known:
                self._run(["scontrol", "delete", f"NodeName={n}"])

    def problem(self) -> Optional[str]:
        """``scontrol ping``, bounded: some controller must say UP."""
        try:
            r = reach(self.ssh, ["timeout", "-k", "1", "4", "scontrol", "ping"], timeout=8)
        except SchedulerError as exc:
            return str(exc)
        if " is UP" in r.stdout:
            return None
        return "slurmctld does not answer: " + ((r.stdout + r.stderr).strip()[:200] or "scontrol ping timed out")

    def fault_drained(self) -> dict[str, str]:
        return fault_drained_nodes(self._run(["scontrol", "show", "node", "-o"]))

    def settle_duplicate_launches(self, fault: dict[str, str]) -> list[str]:
        """Jobs that slurmctld, restarted from state saved before they started, launched again and
        that the node refused ("Duplicate jobid": it had started them already): they are held in
        the queue and would run a second time if released, so they are cancelled. Returns their ids."""
        dup = {n: reason for n, reason in fault.items() if reason.lower().startswith(DUPLICATE_REASON)}
        if not dup:
            return []
        ids = held_duplicates(self._run(["scontrol", "show", "job", "-o"]), dup)
        if ids:
            self._run(["scancel", *ids])
        return ids

    def close(self) -> None:
        self.ssh.close()


__all__ = ["SlurmNodes", "expand_hostlist", "parse_cpu_counts", "parse_node_info", "parse_pending"]

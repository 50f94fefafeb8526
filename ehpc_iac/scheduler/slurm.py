"""Slurm adapter: what the operations need to know from slurmctld, read with Slurm's own commands."""
from __future__ import annotations

from typing import Optional

from ..errors import SchedulerError
from ..ssh import SSH_ERRORS, CommandResult, SSHNode


def reach(ssh: SSHNode, argv: list[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
    """``argv`` on the scheduler node; SchedulerError when the node cannot be reached over SSH."""
    try:
        return ssh.run(argv, timeout=timeout, stdin=stdin)
    except SSH_ERRORS as exc:
        raise SchedulerError(f"the scheduler node {ssh.address} cannot be reached over SSH: "
                             f"{type(exc).__name__}: {exc}") from None


def run_checked(ssh: SSHNode, argv: list[str], timeout: float, stdin: Optional[str] = None,
                label: Optional[str] = None) -> str:
    """stdout of ``argv`` on the scheduler node; SchedulerError when it fails or cannot be reached."""
    r = reach(ssh, argv, timeout, stdin)
    if r.exit_code != 0:
        raise SchedulerError(f"{label or argv[0]} failed on the scheduler (exit {r.exit_code}): "
                             f"{r.stderr.strip()[:300]}")
    return r.stdout


def parse_sinfo_nodes(text: str) -> dict[str, str]:
    """`sinfo -h -N -o '%N %T'` -> {node: state}; a node in several partitions appears once."""
    states: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            states[parts[0]] = parts[1].rstrip("*~#!%$@^-").lower()
    return states


def parse_cpu_counts(text: str) -> tuple[int, int]:
    """`sinfo -h -o '%C'` (allocated/idle/other/total) -> (allocated, total)."""
    a, _i, _o, t = (int(x) for x in text.strip().split()[0].split("/"))
    return a, t


class SlurmAdapter:
    def __init__(self, controller: SSHNode):
        self.ssh = controller

    def _run(self, argv: list[str], timeout: float = 30) -> str:
        return run_checked(self.ssh, argv, timeout)

    def node_states(self) -> dict[str, str]:
        return parse_sinfo_nodes(self._run(["sinfo", "-h", "-N", "-o", "%N %T"]))

    def used_cpus(self) -> tuple[int, int]:
        return parse_cpu_counts(self._run(["sinfo", "-h", "-o", "%C"]))

    @property
    def nodes(self) -> "SlurmNodes":
        return SlurmNodes(self)


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


class SlurmNodes:
    """Node life-cycle commands on the controller (argv lists: no shell involved)."""

    def __init__(self, adapter: "SlurmAdapter"):
        self.a = adapter

    def info(self) -> dict[str, dict]:
        return parse_node_info(self.a._run(["sinfo", "-h", "-N", "-o", "%N|%T|%C|%f"]))

    def drain(self, nodes: list[str], reason: str) -> None:
        known = set(self.info())
        present = [n for n in nodes if n in known]
        if present:
            self.a._run(["scontrol", "update", f"NodeName={','.join(present)}", "State=DRAIN", f"Reason={reason}"])

    def resume(self, nodes: list[str]) -> None:
        for n in nodes:
            r = reach(self.a.ssh, ["scontrol", "update", f"NodeName={n}", "State=RESUME"], timeout=30)
            if r.exit_code != 0 and "Invalid node state specified" not in r.stderr:
                raise SchedulerError(f"scontrol update NodeName={n} State=RESUME failed: {r.stderr.strip()[:300]}")

    def jobs_on(self, nodes: list[str]) -> dict[str, int]:
        text = self.a._run(["squeue", "-h", "-t", "RUNNING,COMPLETING,CONFIGURING", "-o", "%N"])
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
                self.a._run(["scontrol", "delete", f"NodeName={n}"])


def expand_hostlist(expr: str) -> list[str]:
    """compute[0-2,5],login0 -> [compute0, compute1, compute2, compute5, login0] (what squeue prints)."""
    out: list[str] = []
    token, depth = "", 0
    parts: list[str] = []
    for ch in expr:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(token)
            token = ""
        else:
            token += ch
    if token:
        parts.append(token)
    for p in parts:
        if "[" not in p:
            if p:
                out.append(p)
            continue
        prefix, rest = p.split("[", 1)
        body, suffix = rest.split("]", 1)
        for rng in body.split(","):
            if "-" in rng:
                lo, hi = rng.split("-")
                width = len(lo)
                out += [f"{prefix}{str(k).zfill(width)}{suffix}" for k in range(int(lo), int(hi) + 1)]
            else:
                out.append(f"{prefix}{rng}{suffix}")
    return out

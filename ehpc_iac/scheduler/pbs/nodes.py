"""OpenPBS nodes: read with ``pbsnodes -av -F json``, changed with ``pbsnodes -o/-r`` and ``qmgr`` on the
server host (argv lists: no shell involved)."""
from __future__ import annotations

import json

from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import NODE_ALLOCATED, NODE_DRAINED, NODE_IDLE, NODE_MIXED, NodeScheduler
from ..remote import run_checked

# PBS node states (comma-separated words) -> the neutral words, first match wins
_BAD = ("down", "state-unknown", "stale", "unresolvable")


def node_state(words: str, cpus_alloc: int) -> str:
    """``free`` / ``job-busy`` / ``offline`` / ``down,offline`` ... -> lower-case neutral state."""
    ws = {w.strip() for w in words.split(",") if w.strip()}
    if ws & set(_BAD):
        return "down"
    if "offline" in ws:
        return NODE_DRAINED if cpus_alloc == 0 else "draining"
    if ws & {"job-busy", "job-exclusive", "busy"}:
        return NODE_ALLOCATED
    return NODE_MIXED if cpus_alloc else NODE_IDLE


def parse_pbsnodes(text: str) -> dict[str, dict]:
    """``pbsnodes -av -F json`` -> {node: {state, cpus_alloc, cpus_total, features, jobs}}."""
    if not text.strip():
        return {}
    try:
        nodes = json.loads(text, strict=False).get("nodes", {}) or {}
    except ValueError as exc:
        raise SchedulerError(f"pbsnodes printed no JSON: {exc}") from None
    out: dict[str, dict] = {}
    for name, d in nodes.items():
        alloc = int((d.get("resources_assigned") or {}).get("ncpus", 0) or 0)
        total = int((d.get("resources_available") or {}).get("ncpus", 0) or 0)
        jobs = {j.split("/")[0].strip() for j in (d.get("jobs") or [])}
        out[name] = {"state": node_state(d.get("state", ""), alloc), "cpus_alloc": alloc, "cpus_total": total,
                     "features": [d["queue"]] if d.get("queue") else [], "jobs": len(jobs)}
    return out


class PbsNodes(NodeScheduler):
    """Node life-cycle commands on the PBS server host."""

    def __init__(self, server: SSHNode):
        self.ssh = server

    def _run(self, argv: list[str], timeout: float = 30) -> str:
        return run_checked(self.ssh, argv, timeout)

    def info(self) -> dict[str, dict]:
        r = self.ssh.run(["pbsnodes", "-av", "-F", "json"], timeout=30)
        if r.exit_code != 0 and "Server has no node list" in r.stderr:
            return {}
        if r.exit_code != 0:
            raise SchedulerError(f"pbsnodes failed on the scheduler (exit {r.exit_code}): {r.stderr.strip()[:300]}")
        return parse_pbsnodes(r.stdout)

    def used_cpus(self) -> tuple[int, int]:
        info = self.info().values()
        return sum(i["cpus_alloc"] for i in info), sum(i["cpus_total"] for i in info)

    def drain(self, nodes: list[str], reason: str) -> None:
        present = [n for n in nodes if n in self.info()]
        if present:
            self._run(["pbsnodes", "-o", "-C", reason, *present])

    def resume(self, nodes: list[str]) -> None:
        present = [n for n in nodes if n in self.info()]
        if present:
            self._run(["pbsnodes", "-r", *present])

    def jobs_on(self, nodes: list[str]) -> dict[str, int]:
        info = self.info()
        return {n: info.get(n, {}).get("jobs", 0) for n in nodes}

    def delete(self, nodes: list[str]) -> None:
        known = self.info()
        for n in nodes:
            if n in known:
                self._run(["qmgr", "-c", f"delete node {n}"])

    def close(self) -> None:
        self.ssh.close()


__all__ = ["PbsNodes", "node_state", "parse_pbsnodes"]

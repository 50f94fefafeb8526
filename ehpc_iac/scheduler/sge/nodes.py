"""Grid Engine nodes: execution hosts as qmaster sees them, read and changed with qstat, qmod and qconf
on the master (argv lists: no shell involved).

A compute node is an execution host in one cluster queue (hostgroup ``@QUEUE``, the queue's hostlist),
with ``slots`` = its CPUs (the queue's per-host slots value). Queue-instance states (``qstat -f``):
``d`` disabled -> drained, ``u`` unknown / ``E`` error / ``o`` orphaned -> down, else by slots in use.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import NODE_ALLOCATED, NODE_DOWN, NODE_DRAINED, NODE_IDLE, NODE_MIXED, NodeScheduler
from ..remote import reach, run_checked


def node_state(states: str, used: int, total: int) -> str:
    if any(c in states for c in "uEo"):
        return NODE_DOWN
    if "d" in states:
        return NODE_DRAINED
    if used <= 0:
        return NODE_IDLE
    return NODE_ALLOCATED if used >= total else NODE_MIXED


def parse_queue_instances(text: str) -> dict[str, dict]:
    """``qstat -f -xml`` -> {host: {state, cpus_alloc, cpus_total, features (queues)}}."""
    out: dict[str, dict] = {}
    if not text.strip():
        return out
    for q in ET.fromstring(text).iter("Queue-List"):
        name = (q.findtext("name") or "").strip()
        queue, _, host = name.partition("@")
        if not host:
            continue
        used = int(q.findtext("slots_used") or 0)
        total = int(q.findtext("slots_total") or 0)
        states = (q.findtext("state") or "").strip()
        cur = out.setdefault(host, {"states": "", "cpus_alloc": 0, "cpus_total": 0, "features": []})
        cur["states"] += states
        cur["cpus_alloc"] += used
        cur["cpus_total"] += total
        cur["features"].append(queue)
    for info in out.values():
        info["state"] = node_state(info.pop("states"), info["cpus_alloc"], info["cpus_total"])
    return out


def parse_running_hosts(text: str) -> list[str]:
    """``qstat -u '*' -s r -g t -xml`` -> one host per running (job, host) pair."""
    if not text.strip():
        return []
    hosts = []
    for el in ET.fromstring(text).iter("job_list"):
        _, _, host = (el.findtext("queue_name") or "").partition("@")
        if host:
            hosts.append(host.strip())
    return hosts


class SgeNodes(NodeScheduler):
    def __init__(self, master: SSHNode):
        self.ssh = master

    def _run(self, argv: list[str], timeout: float = 30) -> str:
        return run_checked(self.ssh, argv, timeout)

    def info(self) -> dict[str, dict]:
        return parse_queue_instances(self._run(["qstat", "-f", "-xml", "-u", "*"]))

    def used_cpus(self) -> tuple[int, int]:
        info = self.info().values()
        return sum(i["cpus_alloc"] for i in info), sum(i["cpus_total"] for i in info)

    def drain(self, nodes: list[str], reason: str) -> None:
        known = set(self.info())
        for n in nodes:
            if n in known:
                self._run(["qmod", "-d", f"*@{n}"])

    def resume(self, nodes: list[str]) -> None:
        known = set(self.info())
        for n in nodes:
            if n in known:
                self._run(["qmod", "-c", f"*@{n}"])   # clear an error state
                self._run(["qmod", "-e", f"*@{n}"])

    def jobs_on(self, nodes: list[str]) -> dict[str, int]:
        counts = {n: 0 for n in nodes}
        for host in parse_running_hosts(self._run(["qstat", "-u", "*", "-s", "r", "-g", "t", "-xml"])):
            if host in counts:
                counts[host] += 1
        return counts

    def delete(self, nodes: list[str]) -> None:
        """Out of its queues' hostgroups, host-specific queue settings purged, then the execution and
        submit host entries removed (qconf refuses while jobs run)."""
        info = self.info()
        sel = reach(self.ssh, ["qconf", "-sel"], timeout=30)
        execs = set(sel.stdout.split()) if sel.exit_code == 0 else set()
        for n in nodes:
            for queue in info.get(n, {}).get("features", []):
                self._run(["qconf", "-dattr", "hostgroup", "hostlist", n, f"@{queue}"])
                reach(self.ssh, ["qconf", "-purge", "queue", "*", f"{queue}@{n}"], timeout=30)
            if n in execs or n in info:
                r = reach(self.ssh, ["qconf", "-de", n], timeout=30)
                if r.exit_code != 0 and "does not exist" not in r.stderr + r.stdout:
                    raise SchedulerError(f"qconf -de {n} failed: {(r.stderr + r.stdout).strip()[:300]}")
            reach(self.ssh, ["qconf", "-ds", n], timeout=30)

    def close(self) -> None:
        self.ssh.close()


__all__ = ["SgeNodes", "node_state", "parse_queue_instances", "parse_running_hosts"]

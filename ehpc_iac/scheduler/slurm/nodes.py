"""Slurm nodes: what the operations need to know from slurmctld, read and changed with Slurm's own commands."""
from __future__ import annotations


from ...errors import SchedulerError
from ...ssh import SSHNode
from ..base import NodeScheduler, PendingJob
from ..hostlist import expand_hostlist
from ..remote import reach, run_checked


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


class SlurmNodes(NodeScheduler):
    """Node life-cycle commands on the controller (argv lists: no shell involved)."""

    def __init__(self, controller: SSHNode):
        self.ssh = controller

    def _run(self, argv: list[str], timeout: float = 30) -> str:
        return run_checked(self.ssh, argv, timeout)

    def info(self) -> dict[str, dict]:
        return parse_node_info(self._run(["sinfo", "-h", "-N", "-o", "%N|%T|%C|%f"]))

    def node_states(self) -> dict[str, str]:
        return parse_sinfo_nodes(self._run(["sinfo", "-h", "-N", "-o", "%N %T"]))

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

    def close(self) -> None:
        self.ssh.close()


__all__ = ["SlurmNodes", "expand_hostlist", "parse_cpu_counts", "parse_node_info", "parse_pending", "parse_sinfo_nodes"]

"""Slurm adapter: what the operations need to know from slurmctld, read with Slurm's own commands."""
from __future__ import annotations

from ..errors import SchedulerError
from ..ssh import SSHNode


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
        r = self.ssh.run(argv, timeout=timeout)
        if r.exit_code != 0:
            raise SchedulerError(f"{argv[0]} failed on the scheduler (exit {r.exit_code}): {r.stderr.strip()[:300]}")
        return r.stdout

    def node_states(self) -> dict[str, str]:
        return parse_sinfo_nodes(self._run(["sinfo", "-h", "-N", "-o", "%N %T"]))

    def used_cpus(self) -> tuple[int, int]:
        return parse_cpu_counts(self._run(["sinfo", "-h", "-o", "%C"]))

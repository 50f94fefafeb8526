"""Slurm (``SchedulerType: slurm``): dynamic compute nodes (``slurmd -Z``), partitions as queues.

Jobs go through ``sbatch``/``scontrol``/``scancel`` on a login node (jobs.py); node life-cycle
through ``sinfo``/``scontrol`` on the controller (nodes.py). The plays are
``playbooks/scheduler_slurm.yml`` (roles ``slurm_*`` and ``munge``), chosen by the inventory group
``slurm``.
"""
from __future__ import annotations

from typing import Any

from ...plan import COMPUTE, LOGIN, SCHEDULER, SCHEDULER_BACKUP
from ...ssh import SSHNode
from ..base import SchedulerBackend
from ..hostlist import expand_hostlist
from .jobs import SlurmJobs
from .nodes import SlurmNodes


class SlurmBackend(SchedulerBackend):
    name = "slurm"
    label = "Slurm"
    present_states = ("idle", "mix", "alloc", "comp", "drain", "drng")   # sinfo %t
    queue_noun = "Slurm partition"
    # slurm.conf (with the partitions) is on every Slurm host; the play applies partition changes
    # with `scontrol reconfigure`, so queue changes touch no running job
    config_roles = (SCHEDULER, SCHEDULER_BACKUP, LOGIN, COMPUTE)
    max_compute_nodes = 1000   # slurm.conf MaxNodeCount is 1024 (managers and logins are not Slurm nodes)
    settings_field = "SlurmInfo"
    sched_names = ("slurm", "slurm19", "slurm20", "slurm22")

    def jobs(self, ssh: SSHNode) -> SlurmJobs:
        return SlurmJobs(ssh)

    def nodes(self, ssh: SSHNode) -> SlurmNodes:
        return SlurmNodes(ssh)

    def default_stdout(self, user: str) -> str:
        return f"/home/{user}/slurm-%j.out"

    def output_pattern(self, array: bool) -> str:
        return "%A.%a" if array else "%j"

    def expand_output(self, path: str, job_id: str, user: str, name: str) -> str:
        """Slurm's output file name patterns, for the ones that need it (%j %A %a %u %x %%)."""
        b, _, task = job_id.partition("_")
        out = path.replace("%%", "\0").replace("%A", b).replace("%a", task or "4294967294")
        out = out.replace("%j", b).replace("%u", user).replace("%x", name or "")
        return out.replace("\0", "%")

    def default_settings(self) -> dict[str, Any]:
        """slurm_common's SchedulerParameters: bf_interval=5,sched_interval=5."""
        return {"SchedInterval": 5, "BackfillInterval": 5}

    def config_vars(self, settings: dict[str, Any]) -> dict[str, Any]:
        """SchedInterval / BackfillInterval -> SchedulerParameters sched_interval / bf_interval (slurm.conf;
        the controller restarts on the change, running jobs stay)."""
        if not settings:
            return {}
        s = {**self.default_settings(), **settings}
        return {"ehpc_slurm_config_overrides": {
            "SchedulerParameters": f"bf_interval={s['BackfillInterval']},sched_interval={s['SchedInterval']}"}}

    def expand_hostlist(self, expr: str) -> list[str]:
        return expand_hostlist(expr)


__all__ = ["SlurmBackend", "SlurmJobs", "SlurmNodes"]

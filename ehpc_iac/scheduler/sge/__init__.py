"""Grid Engine (``SchedulerType: opengridscheduler``): Debian's gridengine 8.1.9.

sge_qmaster on the manager, sge_execd on computes (execution hosts registered and removed with
``qconf``), client commands on login nodes; each queue is a cluster queue over the hostgroup
``@QUEUE``; parallel environments ``ehpc_N`` (N slots per host) carry multi-node jobs. Jobs go through
qsub/qstat/qacct/qdel/qmod on a login node (jobs.py); node life-cycle through qstat/qmod/qconf on the
master (nodes.py). The plays are ``playbooks/scheduler_opengridscheduler.yml`` (roles ``sge_*``),
chosen by the inventory group ``opengridscheduler``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidParams
from ...plan import SCHEDULER
from ...ssh import SSHNode
from ..base import SchedulerBackend
from .jobs import SgeJobs, to_sge_id
from .nodes import SgeNodes

if TYPE_CHECKING:  # pragma: no cover
    from ...spec.cluster import ClusterSpec


class SgeBackend(SchedulerBackend):
    name = "opengridscheduler"
    label = "Grid Engine"
    queue_noun = "Grid Engine cluster queue"
    # queues, hostgroups and parallel environments live in qmaster: the master's play changes them
    # with qconf (no daemon restart); computes are re-run so that their queue membership is current
    config_roles = (SCHEDULER,)
    max_compute_nodes = 1000

    def check_cluster(self, spec: "ClusterSpec") -> None:
        if spec.HaEnable:
            raise InvalidParams("HaEnable", "Grid Engine clusters have one qmaster here (no shadow master); "
                                            "HaEnable must be false with SchedulerType opengridscheduler")

    def jobs(self, ssh: SSHNode) -> SgeJobs:
        return SgeJobs(ssh, self.default_stdout("$USER").replace("/home/$USER", "$HOME"))

    def nodes(self, ssh: SSHNode) -> SgeNodes:
        return SgeNodes(ssh)

    def default_stdout(self, user: str) -> str:
        return f"/home/{user}/sge-$JOB_ID.out"

    def output_pattern(self, array: bool) -> str:
        return "$JOB_ID.$TASK_ID" if array else "$JOB_ID"

    def expand_output(self, path: str, job_id: str, user: str, name: str) -> str:
        """Grid Engine's pseudo variables of -o/-e paths ($JOB_ID $TASK_ID $USER $JOB_NAME $HOME)."""
        base, _, task = to_sge_id(job_id).partition(".")
        out = path.replace("$JOB_ID", base).replace("$TASK_ID", task or "undefined")
        return out.replace("$USER", user).replace("$JOB_NAME", name or "").replace("$HOME", f"/home/{user}")

    def expand_hostlist(self, expr: str) -> list[str]:
        return [h for h in expr.split(",") if h]


__all__ = ["SgeBackend", "SgeJobs", "SgeNodes"]

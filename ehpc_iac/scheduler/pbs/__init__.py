"""OpenPBS (``SchedulerType: pbs``): pbs_server, pbs_sched and pbs_comm (with its PostgreSQL data
service) on the manager, pbs_mom on computes, client commands on login nodes.

Compute nodes are created and deleted with ``qmgr`` while the server runs, and each one's ``queue``
attribute ties it to its queue (a PBS execution queue). Jobs go through ``qsub``/``qstat``/``qdel``/
``qrerun`` on a login node (jobs.py); node life-cycle through ``pbsnodes``/``qmgr`` on the server
(nodes.py). The plays are ``playbooks/scheduler_pbs.yml`` (roles ``pbs_*``), chosen by the inventory
group ``pbs``; the node image is built by engines/image_pbs.py.
"""
from __future__ import annotations

from typing import Any

from ...errors import InvalidParams
from ...plan import SCHEDULER
from ...ssh import SSHNode
from ..base import SchedulerBackend
from .jobs import PbsJobs, neutral_id
from .nodes import PbsNodes


class PbsBackend(SchedulerBackend):
    name = "pbs"
    label = "OpenPBS"
    queue_noun = "PBS queue"
    # queues and the nodes' queue attributes live in the server's database: qmgr on the manager
    config_roles = (SCHEDULER,)
    max_compute_nodes = 1000
    settings_field = "PbsInfo"
    sched_names = ("pbs", "pbs19")
    # pbs_server resolves a node's address back to a name and that name forward again: every node
    # gets /etc/hosts entries (playbooks/group_vars/pbs.yml)

    def default_settings(self) -> dict[str, Any]:
        """pbs_server's defaults (roles/pbs_server/defaults): a scheduling cycle every 10 s, no job limits."""
        return {"SchedInterval": 10}

    def check_settings(self, settings: dict[str, Any]) -> None:
        for name in ("AclLimit", "ResourceLimit", "JobHistoryDuration"):
            if settings.get(name):
                raise InvalidParams(f"PbsInfo.1.{name}", "is not supported by ehpc-iac yet; SchedInterval, "
                                                         "SchedMaxJobs and SchedMaxQueuedJobs are")

    def config_vars(self, settings: dict[str, Any]) -> dict[str, Any]:
        """SchedInterval -> scheduler_iteration; SchedMaxJobs / SchedMaxQueuedJobs -> the server's
        max_run / max_queued limits over all users ([o:PBS_ALL=N]); applied with qmgr by ehpc-pbs-sync."""
        if not settings:
            return {}
        attrs = {"flatuid": "True", "job_history_enable": "True",
                 "scheduler_iteration": str(settings.get("SchedInterval", 10))}
        for field, attr in (("SchedMaxJobs", "max_run"), ("SchedMaxQueuedJobs", "max_queued")):
            if settings.get(field):
                attrs[attr] = f"[o:PBS_ALL={int(settings[field])}]"
        return {"ehpc_pbs_server_attributes": attrs}

    def check_cluster(self, spec) -> None:
        if spec.HaEnable:
            raise InvalidParams("HaEnable", "OpenPBS clusters have a single PBS server here (no failover "
                                            "server); set HaEnable to false")

    def jobs(self, ssh: SSHNode) -> PbsJobs:
        return PbsJobs(ssh, self.default_stdout)

    def nodes(self, ssh: SSHNode) -> PbsNodes:
        return PbsNodes(ssh)

    def default_stdout(self, user: str) -> str:
        return f"/home/{user}/pbs-%j.out"

    def output_pattern(self, array: bool) -> str:
        return "%A.%a" if array else "%j"

    def expand_output(self, path: str, job_id: str, user: str, name: str) -> str:
        """The patterns the job script fills in (jobs.output_target): %j %A %a %u %x %%."""
        b, _, task = neutral_id(job_id).partition("_")
        out = path.replace("%%", "\0").replace("%j", f"{b}.{task}" if task else b).replace("%A", b)
        out = out.replace("%a", task).replace("%u", user).replace("%x", name or "STDIN")
        return out.replace("\0", "%")

    def expand_hostlist(self, expr: str) -> list[str]:
        """PBS lists every host: ``compute0,compute1`` (as jobs.py reports exec_host)."""
        return [h for h in (p.strip() for p in expr.split(",")) if h]


__all__ = ["PbsBackend", "PbsJobs", "PbsNodes"]

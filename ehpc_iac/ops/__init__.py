"""The facade: one method per E-HPC action, a per-cluster lock, state in SQLite.

    from ehpc_iac.ops import Ehpc
    ehpc = Ehpc()                       # state in $EHPC_IAC_HOME or ~/.ehpc-iac
    cid = ehpc.create_cluster(Name="demo", DeployMode="Standard")["ClusterId"]
    ehpc.describe_cluster(ClusterId=cid)

``Ehpc`` is the shared core (ops/core.py: state, engines, locks, the cluster's scheduler and
account back ends) and holds one object per area of the API (clusters, users, nodes ...), each
over that core. Each action is forwarded to its area by name (``ACTIONS``), so the facade has
one method per action and the areas share nothing but the core.
"""
from __future__ import annotations

from typing import Any, Callable

from .autoscale import AutoScaleOps
from .clusters import ClusterOps
from .commands import CommandOps, ssh_shell
from .core import STATUSES, OpsCore, new_request_id
from ..scheduler import ACTIVE_STATES as ACTIVE_JOB_STATES  # the front ends import no scheduler
from .dag import DagJobOps  # DAG jobs (seed 002)
from .job_templates import JobTemplateOps
from .jobs import JobOps
from .logs import LogOps
from .nodes import NodeOps
from .queues import QueueOps
from .scheduler_info import SchedulerInfoOps
from .recovery import RecoveryOps
from .state import StateStore, default_home
from .users import UserOps
from .volumes import VolumeOps

# area attribute -> (its class, the actions it serves)
AREAS: dict[str, tuple[type, tuple[str, ...]]] = {
    "clusters": (ClusterOps, ("create_cluster", "describe_cluster", "list_clusters", "list_clusters_meta",
                              "modify_cluster_attributes", "stop_cluster", "start_cluster", "delete_cluster",
                              "reconverge")),
    "users": (UserOps, ("add_users", "delete_users", "modify_user_passwords", "modify_user_groups", "list_users")),
    "nodes": (NodeOps, ("add_nodes", "delete_nodes", "stop_nodes", "start_nodes", "reset_nodes",
                        "list_nodes", "list_nodes_no_paging", "list_nodes_by_queue")),
    "recovery": (RecoveryOps, ("recover_cluster",)),
    "queues": (QueueOps, ("list_queues", "add_queue", "delete_queue", "update_queue_config")),
    "scheduler_info": (SchedulerInfoOps, ("get_scheduler_info", "set_scheduler_info")),
    "jobs": (JobOps, ("submit_job", "create_job", "list_jobs", "describe_job", "get_job_log", "stop_jobs",
                      "delete_jobs", "rerun_jobs")),
    "dags": (DagJobOps, ("create_dag_job", "describe_dag_job", "list_dag_jobs", "stop_dag_job")),
    "templates": (JobTemplateOps, ("create_job_template", "edit_job_template", "list_job_templates",
                                   "delete_job_templates", "submit_job_from_template")),
    "commands": (CommandOps, ("invoke_shell_command", "list_commands", "list_invocation_status",
                              "list_invocation_results")),
    "volumes": (VolumeOps, ("get_cluster_volumes", "describe_nfs_client_status", "install_nfs_client")),
    "logs": (LogOps, ("list_cluster_logs",)),
    "autoscale": (AutoScaleOps, ("set_auto_scale_config", "get_auto_scale_config", "describe_auto_scale_config")),
}
ACTIONS: dict[str, str] = {action: area for area, (_cls, actions) in AREAS.items() for action in actions}


def _forward(area: str, action: str) -> Callable[..., Any]:
    cls = AREAS[area][0]

    def method(self: "Ehpc", *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self, area), action)(*args, **kwargs)

    method.__name__ = method.__qualname__ = action
    method.__doc__ = getattr(cls, action).__doc__
    return method


class Ehpc(OpsCore):
    """Every operation implemented so far (``ACTIONS``), over one core."""

    #: Runs one command on one node; tests replace it (fake nodes have no SSH).
    shell_runner = staticmethod(ssh_shell)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for area, (cls, _actions) in AREAS.items():
            setattr(self, area, cls(self))


for _action, _area in ACTIONS.items():
    setattr(Ehpc, _action, _forward(_area, _action))

__all__ = ["ACTIONS", "ACTIVE_JOB_STATES", "Ehpc", "STATUSES", "StateStore", "default_home", "new_request_id"]

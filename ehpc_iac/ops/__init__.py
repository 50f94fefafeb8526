"""The facade: one method per E-HPC action, a per-cluster lock, state in SQLite.

    from ehpc_iac.ops import Ehpc
    ehpc = Ehpc()                       # state in $EHPC_IAC_HOME or ~/.ehpc-iac
    cid = ehpc.create_cluster(Name="demo", DeployMode="Standard")["ClusterId"]
    ehpc.describe_cluster(ClusterId=cid)

Each area of the API is a mixin over ``OpsCore`` (ops/core.py): clusters, users ...;
``Ehpc`` combines them.
"""
from .clusters import ClusterOps
from .volumes import CommandOps, LogOps, VolumeOps  # shell commands, logs, volumes
from ..scheduler.base import ACTIVE_STATES as ACTIVE_JOB_STATES  # the front ends import no scheduler
from .core import STATUSES, new_request_id
from .state import StateStore, default_home
from .users import UserOps
from .nodes import NodeOps
from .queues import QueueOps
from .jobs import JobOps
from .dag import DagJobOps  # DAG jobs (seed 002)
from .job_templates import JobTemplateOps


class Ehpc(DagJobOps, JobTemplateOps, JobOps, NodeOps, VolumeOps, CommandOps, LogOps, UserOps, QueueOps, ClusterOps):
    """All operations implemented so far."""


__all__ = ["ACTIVE_JOB_STATES", "Ehpc", "STATUSES", "StateStore", "default_home", "new_request_id"]

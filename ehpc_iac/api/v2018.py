"""E-HPC 2018-04-12 actions -> the operations facade.

The parameters arrive as the SDK sends them (query or form, flat ``User.1.Name`` lists,
JSON strings where the reference says so) and go to the facade unchanged: the spec layer
validates them and names the field of any bad value. Long actions are started with
``Async=true`` whatever the caller sent: the response (ids, RequestId) comes back at once,
as from E-HPC, and the work goes on in the server; DescribeCluster, ListNodes and
ListClusterLogs show its progress.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import UnsupportedAction
from ..ops import Ehpc
from .catalog_2018 import E_HPC_2018_ACTIONS

VERSION = "2018-04-12"

IMPLEMENTED = (
    "CreateCluster", "DescribeCluster", "ListClusters", "ListClustersMeta", "ModifyClusterAttributes",
    "StartCluster", "StopCluster", "DeleteCluster", "RecoverCluster",
    "AddNodes", "DeleteNodes", "ListNodes", "ListNodesNoPaging", "ListNodesByQueue", "StartNodes", "StopNodes",
    "ResetNodes",
    "AddUsers", "DeleteUsers", "ListUsers", "ModifyUserPasswords", "ModifyUserGroups",
    "ListQueues", "AddQueue", "DeleteQueue", "UpdateQueueConfig",
    "GetClusterVolumes", "DescribeNFSClientStatus",
    "InvokeShellCommand", "ListCommands", "ListInvocationStatus", "ListInvocationResults",
    "ListClusterLogs",
    "SubmitJob", "ListJobs", "DescribeJob", "GetJobLog", "StopJobs", "RerunJobs", "DeleteJobs",
    "CreateJobTemplate", "EditJobTemplate", "ListJobTemplates", "DeleteJobTemplates",
    "SetAutoScaleConfig", "GetAutoScaleConfig", "DescribeAutoScaleConfig",
    "GetSchedulerInfo", "SetSchedulerInfo",
)
# Actions ehpc-iac adds under the same version: E-HPC 2.0's CreateJob (seed 001), DAG jobs
# (seed 002), submitting from a template, and installing the NFS client on one node.
EXTENSIONS = ("CreateJob", "CreateDagJob", "DescribeDagJob", "ListDagJobs", "StopDagJob", "SubmitJobFromTemplate",
              "InstallNFSClient")
# Actions that run engines, Ansible or drains: always in the background.
BACKGROUND = frozenset((
    "CreateCluster", "DeleteCluster", "StartCluster", "StopCluster", "RecoverCluster",
    "AddNodes", "DeleteNodes", "StartNodes", "StopNodes", "ResetNodes",
    "AddUsers", "DeleteUsers", "ModifyUserPasswords", "ModifyUserGroups",
    "AddQueue", "DeleteQueue", "UpdateQueueConfig", "SetSchedulerInfo",
))


def snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower().replace("n_f_s", "nfs")


def handler(action: str) -> Callable[[Ehpc, dict[str, Any]], dict[str, Any]]:
    """The function that runs ``action``; UnsupportedAction when there is none."""
    if action not in IMPLEMENTED and action not in EXTENSIONS:
        raise UnsupportedAction(action, VERSION, known=action in E_HPC_2018_ACTIONS)
    method = snake(action)

    def run(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
        if action in BACKGROUND:
            params = {**params, "Async": True}
            params.pop("Sync", None)
        return getattr(ehpc, method)(params)

    return run

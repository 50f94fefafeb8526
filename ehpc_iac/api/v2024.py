"""E-HPC 2.0 (2024-07-30) actions -> the operations facade.

Each action is a small function (modules ``v2024_clusters``, ``v2024_nodes``, ``v2024_jobs``)
that translates the 2.0 request into the 2018 facade parameters and the 2018 response into the
2.0 body the official SDK (``alibabacloud-ehpc20240730``) reads. Long actions (CreateCluster,
DeleteCluster, CreateNodes, DeleteNodes, CreateUsers) start the work with ``Async=True`` and
answer at once; GetCluster and ListNodes show its progress. Errors of the facade pass through
(code, HTTP status), naming the caller's 2.0 field where the 2018 one differs. 2.0 options that
only mean something on Alibaba Cloud are accepted and ignored through the one cloud-only table
(spec/cloud_only.py); the others that cannot be honoured are refused with InvalidParams naming
them, saying why.
"""
from __future__ import annotations

from typing import Any, Callable

from ..errors import UnsupportedAction
from ..ops import Ehpc
from . import v2024_clusters, v2024_jobs, v2024_nodes

VERSION = "2024-07-30"

# Every action of the official 2.0 SDK (alibabacloud-ehpc20240730 2.4.0, plus DeleteJobs of later
# releases): one of these that is not mapped gets UnsupportedOperation naming it.
E_HPC_2024_ACTIONS = frozenset((
    "AttachNodes", "AttachSharedStorages", "CreateCluster", "CreateJob", "CreateNodes", "CreateQueue",
    "CreateReservedNodePool", "CreateUsers", "DeleteCluster", "DeleteJobs", "DeleteNodes", "DeleteQueues",
    "DeleteReservedNodePool", "DeleteUsers", "DescribeAddonTemplate", "DetachSharedStorages", "GetAddon",
    "GetCluster", "GetCommonLogDetail", "GetJob", "GetJobLog", "GetQueue", "GetUser", "InstallAddon",
    "InstallSoftwares", "ListAddonTemplates", "ListAddons", "ListAvailableFileSystems", "ListAvailableImages",
    "ListClusters", "ListCommonLogs", "ListInstalledSoftwares", "ListJobs", "ListNodes", "ListQueues",
    "ListRegions", "ListSharedStorages", "ListSoftwares", "ListUsers", "StopJobs", "UnInstallAddon",
    "UninstallSoftwares", "UpdateCluster", "UpdateNodes", "UpdateQueue", "UpdateUser",
))

ACTIONS: dict[str, Callable[[Ehpc, dict[str, Any]], dict[str, Any]]] = {
    **v2024_clusters.ACTIONS, **v2024_nodes.ACTIONS, **v2024_jobs.ACTIONS,
}


def handler(action: str) -> Callable[[Ehpc, dict[str, str]], dict]:
    """The function that runs ``action``; UnsupportedAction when there is none."""
    run = ACTIONS.get(action)
    if run is None:
        raise UnsupportedAction(action, VERSION, known=action in E_HPC_2024_ACTIONS)
    return run

"""Imports every module that adds verbs to `ehpc-iac` (each defines commands on ``main.cli``)."""
from . import ops_verbs_users  # noqa: F401  delete-users, modify-user-*, *-queue(s)
from . import ops_verbs_commands  # noqa: F401  InvokeShellCommand, ListClusterLogs, GetClusterVolumes ...
from . import ops_verbs_nodes  # noqa: F401  nodes, recover-cluster, wait
from . import ops_verbs_jobs  # noqa: F401  submit-job, create-job, list-jobs, *-job(s)

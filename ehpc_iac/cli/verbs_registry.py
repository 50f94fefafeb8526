"""Imports every module that adds verbs to `ehpc-iac` (each defines commands on ``main.cli``)."""
from . import ops_verbs_users  # noqa: F401  delete-users, modify-user-*, *-queue(s)
from . import ops_verbs_commands  # noqa: F401  InvokeShellCommand, ListClusterLogs, GetClusterVolumes ...
from . import ops_verbs_nodes  # noqa: F401  nodes, recover-cluster, wait
from . import ops_verbs_jobs  # noqa: F401  submit-job, create-job, list-jobs, *-job(s)
from . import ops_verbs_templates  # noqa: F401  *-job-template(s), submit-job-from-template
from . import ops_verbs_dag  # noqa: F401  create-dag-job, describe-dag-job, list-dag-jobs, stop-dag-job
from . import ops_verbs_api  # noqa: F401  serve, access-key create|list|disable|enable|delete

"""`ehpc-iac`: kebab-case verbs over the operations facade.

Every verb takes the whole request as ``--cli-input-json FILE`` (API parameter
names, nested or flat ``User.1.Name`` form); flags override single parameters.
Output is the API response as JSON (default) or a table (``--output table``).

Exit codes: 0 success, 1 operation failed, 2 bad input, 3 not found,
4 conflicting operation or wrong cluster status, 5 engine unavailable.

This module is the entry point only: the group lives in ``group.py``, what the verbs share in
``common.py``, and each ``ops_verbs_*`` module adds its verbs to the group when imported here.
"""
from __future__ import annotations

from . import ops_verbs_clusters  # noqa: F401  *-cluster(s), list-clusters(-meta), add-users, list-users
from . import ops_verbs_users  # noqa: F401  delete-users, modify-user-*, *-queue(s)
from . import ops_verbs_commands  # noqa: F401  InvokeShellCommand, ListClusterLogs, GetClusterVolumes ...
from . import ops_verbs_nodes  # noqa: F401  nodes, recover-cluster, wait
from . import ops_verbs_jobs  # noqa: F401  submit-job, create-job, list-jobs, *-job(s)
from . import ops_verbs_templates  # noqa: F401  *-job-template(s), submit-job-from-template
from . import ops_verbs_dag  # noqa: F401  create-dag-job, describe-dag-job, list-dag-jobs, stop-dag-job
from . import ops_verbs_api  # noqa: F401  serve, access-key create|list|disable|enable|delete
from . import ops_verbs_autoscale  # noqa: F401  *-auto-scale-config, autoscale (the scaler)
from .group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="ehpc-iac")


if __name__ == "__main__":  # pragma: no cover
    main()

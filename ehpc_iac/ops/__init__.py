"""The facade: one method per E-HPC action, a per-cluster lock, state in SQLite.

    from ehpc_iac.ops import Ehpc
    ehpc = Ehpc()                       # state in $EHPC_IAC_HOME or ~/.ehpc-iac
    cid = ehpc.create_cluster(Name="demo", DeployMode="Standard")["ClusterId"]
    ehpc.describe_cluster(ClusterId=cid)
"""
from .users import UserOps
from .core import STATUSES
from .state import StateStore, default_home


class Ehpc(UserOps):
    """All operations implemented so far."""


__all__ = ["Ehpc", "STATUSES", "StateStore", "default_home"]

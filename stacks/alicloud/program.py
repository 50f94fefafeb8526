"""The machines-only program of this stack (what the pulumi engine of ehpc-iac drives); it lives in
the package as ``ehpc_iac.pulumi.machines_alicloud``, which the ``Cluster`` component also uses."""
from ehpc_iac.pulumi.machines_alicloud import AliConfig, declare, program

__all__ = ["AliConfig", "declare", "program"]

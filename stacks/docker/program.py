"""The machines-only program of this stack (what the pulumi engine of ehpc-iac drives); it lives in
the package as ``ehpc_iac.pulumi.machines_docker``, which the ``Cluster`` component also uses."""
from ehpc_iac.pulumi.machines_docker import DEFAULT_SUBNET, assign_ips, container_args, declare, program

__all__ = ["DEFAULT_SUBNET", "assign_ips", "container_args", "declare", "program"]

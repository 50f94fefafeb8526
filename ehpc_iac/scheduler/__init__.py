"""Scheduler adapters (Slurm now) for node states, queues and jobs, over SSH."""
from .slurm import SlurmAdapter, SlurmNodes, expand_hostlist, parse_node_info, parse_sinfo_nodes

__all__ = ["SlurmAdapter", "SlurmNodes", "expand_hostlist", "parse_node_info", "parse_sinfo_nodes"]

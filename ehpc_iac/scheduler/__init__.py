"""Scheduler adapters (Slurm now) for node states, queues and jobs, over SSH."""
from .slurm import SlurmAdapter, parse_sinfo_nodes

__all__ = ["SlurmAdapter", "parse_sinfo_nodes"]

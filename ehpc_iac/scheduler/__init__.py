"""Scheduler adapters (Slurm now) for node states, queues and jobs, over SSH.

``JobScheduler`` (base.py) is the job interface the operations use; ``SlurmJobs``
(slurm_jobs.py) implements it for Slurm.
"""
from .base import JobInfo, JobRequest, JobScheduler
from .slurm import SlurmAdapter, SlurmNodes, expand_hostlist, parse_node_info, parse_sinfo_nodes

__all__ = ["JobInfo", "JobRequest", "JobScheduler", "SlurmAdapter", "SlurmNodes", "expand_hostlist",
           "parse_node_info", "parse_sinfo_nodes"]

"""GetSchedulerInfo / SetSchedulerInfo: the scheduler's own settings, with the reference's names.

``SlurmInfo.N`` (SchedInterval, BackfillInterval) is for Slurm clusters and ``PbsInfo.N``
(SchedInterval, SchedMaxJobs, SchedMaxQueuedJobs, JobHistoryDuration, AclLimit.N, ResourceLimit.N)
for PBS clusters. The request is checked here for shape and ranges; whether the cluster's
scheduler has such settings is the scheduler back end's to say (a SlurmInfo for a PBS cluster is
refused naming SlurmInfo). ``Scheduler.N.SchedName`` names the scheduler the caller expects
(``pbs``, ``pbs19``, ``slurm``, ``slurm19``, ``slurm20`` ..., the reference's values); a name of
another scheduler family than the cluster's is refused.
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from .requests import ClusterRequest, Strict

SCHED_NAMES = ("pbs", "pbs19", "slurm", "slurm19", "slurm20", "slurm22", "opengridscheduler")


class SchedulerName(Strict):
    SchedName: str = Field(pattern=r"^(pbs|pbs19|slurm|slurm19|slurm20|slurm22|opengridscheduler)$")


class SlurmSettings(Strict):
    SchedInterval: Optional[int] = Field(default=None, ge=1, le=3600)      # seconds between main scheduling passes
    BackfillInterval: Optional[int] = Field(default=None, ge=1, le=10800)  # seconds between backfill passes


class PbsAclLimit(Strict):
    Queue: Optional[str] = None
    AclUsers: Optional[str] = None


class PbsResourceLimit(Strict):
    Queue: Optional[str] = None
    User: Optional[str] = None
    Nodes: Optional[int] = Field(default=None, ge=0)
    Cpus: Optional[int] = Field(default=None, ge=0)
    Mem: Optional[str] = None
    MaxJobs: Optional[int] = Field(default=None, ge=0)


class PbsSettings(Strict):
    SchedInterval: Optional[int] = Field(default=None, ge=1, le=3600)
    SchedMaxJobs: Optional[int] = Field(default=None, ge=0)
    SchedMaxQueuedJobs: Optional[int] = Field(default=None, ge=0)
    JobHistoryDuration: Optional[int] = Field(default=None, ge=0)
    AclLimit: list[PbsAclLimit] = Field(default_factory=list, max_length=100)
    ResourceLimit: list[PbsResourceLimit] = Field(default_factory=list, max_length=100)


class GetSchedulerInfoRequest(ClusterRequest):
    Scheduler: list[SchedulerName] = Field(default_factory=list, max_length=10)


class SetSchedulerInfoRequest(ClusterRequest):
    Scheduler: list[SchedulerName] = Field(default_factory=list, max_length=10)
    SlurmInfo: list[SlurmSettings] = Field(default_factory=list, max_length=1)
    PbsInfo: list[PbsSettings] = Field(default_factory=list, max_length=1)
    Async: bool = False


__all__ = ["GetSchedulerInfoRequest", "SCHED_NAMES", "SetSchedulerInfoRequest"]

"""Schedulers, chosen by ``plan.scheduler_type`` through ``get_scheduler``.

The operations layer sees only the interfaces of base.py (``SchedulerBackend``, ``JobScheduler``,
``NodeScheduler``, ``JobRequest``, ``JobInfo``); each back end is a sub-package (``slurm/``) that
the factory imports when a cluster of that type is used. docs/adding-a-scheduler.md says how to
add one.
"""
from __future__ import annotations

from ..registry import load_backend
from .base import (ACTIVE_STATES, AFTER_ANY, AFTER_OK, ARRAY_INDEX_VAR, FAILED, FINISHED, JOB_STATES,
                   NODE_BAD_STATES, QUEUED, RUNNING, STOPPED, UNKNOWN, JobInfo, JobRequest, JobScheduler,
                   NodeScheduler, PendingJob, SchedulerBackend)

# SchedulerType -> "module:class" of its back end (imported on first use)
BACKENDS: dict[str, str] = {
    "slurm": "ehpc_iac.scheduler.slurm:SlurmBackend",
    "opengridscheduler": "ehpc_iac.scheduler.sge:SgeBackend",
    "pbs": "ehpc_iac.scheduler.pbs:PbsBackend",
}


def scheduler_types() -> tuple[str, ...]:
    return tuple(BACKENDS)


def get_scheduler(scheduler_type: str) -> SchedulerBackend:
    """The back end of ``scheduler_type``; InvalidParams naming SchedulerType when there is none."""
    return load_backend(BACKENDS, scheduler_type, "SchedulerType")


__all__ = ["ACTIVE_STATES", "AFTER_ANY", "AFTER_OK", "ARRAY_INDEX_VAR", "BACKENDS", "FAILED", "FINISHED",
           "JOB_STATES", "JobInfo", "JobRequest", "JobScheduler", "NODE_BAD_STATES", "NodeScheduler", "PendingJob",
           "QUEUED", "RUNNING", "STOPPED", "SchedulerBackend", "UNKNOWN", "get_scheduler", "scheduler_types"]

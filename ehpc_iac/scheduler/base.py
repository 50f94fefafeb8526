"""The job side of a scheduler, as the operations layer sees it: a small abstract interface with
plain dataclasses, so schedulers other than Slurm can be added without touching the operations."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Optional

# The job states the API reports (ListJobs State filter values, besides "all").
QUEUED, RUNNING, FINISHED, FAILED, STOPPED, UNKNOWN = "Queued", "Running", "Finished", "Failed", "Stopped", "Unknown"
JOB_STATES = (QUEUED, RUNNING, FINISHED, FAILED, STOPPED, UNKNOWN)
ACTIVE_STATES = (QUEUED, RUNNING)


@dataclass
class JobRequest:
    """What to run. ``command`` and ``post_command`` are shell text the job's own shell runs as
    ``user``; everything else reaches the scheduler as separate arguments."""
    command: str
    user: str
    workdir: str
    name: Optional[str] = None
    queue: Optional[str] = None
    nice: Optional[int] = None
    rerunable: Optional[bool] = None
    array: Optional[str] = None              # "X-Y:Z"
    env: dict[str, str] = field(default_factory=dict)
    stdout: Optional[str] = None
    stderr: Optional[str] = None
    post_command: Optional[str] = None
    prologue: list[str] = field(default_factory=list)   # shell lines run before the command (package staging)
    nodes: Optional[int] = None
    tasks: Optional[int] = None
    cpus_per_task: Optional[int] = None
    mem: Optional[str] = None                # Slurm --mem value, e.g. "512M"
    time_limit: Optional[str] = None         # Slurm -t value, e.g. "01:00:00"
    dependency: Optional[str] = None         # Slurm --dependency value, e.g. "afterok:12:13"
    kill_on_invalid_dep: Optional[bool] = None   # cancel the job when its dependency can never be satisfied


@dataclass
class JobInfo:
    id: str
    name: str = ""
    owner: str = ""
    state: str = UNKNOWN                     # one of JOB_STATES
    raw_state: str = ""                      # the scheduler's own state word
    queue: str = ""
    node_list: str = ""
    priority: int = 0
    submit_time: str = ""
    start_time: str = ""
    end_time: str = ""
    stdout: str = ""
    stderr: str = ""
    array_request: str = ""
    nodes: int = 0
    cores: int = 0
    reason: str = ""
    exit_code: str = ""
    rerunable: Optional[bool] = None


class JobScheduler(ABC):
    @abstractmethod
    def submit(self, req: JobRequest) -> str:
        """Submit; returns the job id."""

    @abstractmethod
    def list_jobs(self, owner: Optional[str] = None) -> list[JobInfo]:
        """Every job the scheduler still knows (running, queued, recently finished)."""

    @abstractmethod
    def describe(self, job_id: str) -> Optional[JobInfo]:
        """The job, or None when the scheduler no longer knows it."""

    @abstractmethod
    def log(self, job_id: str, path: str, offset: int, size: int) -> str:
        """``size`` bytes of the job's output file from ``offset``."""

    @abstractmethod
    def stop(self, job_ids: list[str]) -> dict[str, str]:
        """Cancel; returns {job id: error} for the ones that failed."""

    @abstractmethod
    def rerun(self, job_ids: list[str]) -> dict[str, str]:
        """Requeue; returns {job id: error} for the ones that failed."""

    @abstractmethod
    def delete(self, job_ids: list[str]) -> dict[str, str]:
        """Cancel and forget; returns {job id: error} for the ones that failed."""

    def close(self) -> None:
        pass

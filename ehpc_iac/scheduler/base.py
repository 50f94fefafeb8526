"""What the operations layer knows of a scheduler: plain dataclasses and three small interfaces.

* ``JobScheduler``: submit, list, describe, read output, stop, rerun, delete jobs;
* ``NodeScheduler``: the compute nodes as the scheduler sees them (state, CPUs, queue), drain,
  resume, remove, jobs on a node;
* ``SchedulerBackend``: one per ``plan.scheduler_type`` (``scheduler.get_scheduler``), which makes
  the two above for a node reached over SSH and answers the few questions the operations ask about
  the scheduler's conventions (output file patterns, host lists, which hosts hold queue settings).

``JobRequest`` holds neutral fields: each back end renders its own syntax (``sbatch`` options,
``qsub -l``, ...). Nothing here names a concrete scheduler.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ..plan import ClusterPlan
    from ..spec.cluster import ClusterSpec
    from ..ssh import SSHNode

# The job states the API reports (ListJobs State filter values, besides "all").
QUEUED, RUNNING, FINISHED, FAILED, STOPPED, UNKNOWN = "Queued", "Running", "Finished", "Failed", "Stopped", "Unknown"
JOB_STATES = (QUEUED, RUNNING, FINISHED, FAILED, STOPPED, UNKNOWN)
ACTIVE_STATES = (QUEUED, RUNNING)

# Dependency policies: start after the sources succeeded / after they ended, whatever their exit.
AFTER_OK, AFTER_ANY = "ok", "any"

# The environment variable every back end's job script sets to the array index (empty outside arrays).
ARRAY_INDEX_VAR = "EHPC_ARRAY_INDEX"

# Node states the operations act on (NodeScheduler.info()[node]["state"]), normalised by each back end.
NODE_IDLE, NODE_ALLOCATED, NODE_MIXED, NODE_DRAINED, NODE_DOWN = "idle", "allocated", "mixed", "drained", "down"
NODE_BAD_STATES = ("down", "fail", "failing", "unknown", "not_responding", "no_respond")


@dataclass
class JobRequest:
    """What to run. ``command`` and ``post_command`` are shell text the job's own shell runs as
    ``user``; everything else reaches the scheduler as separate arguments, rendered by the back end."""
    command: str
    user: str
    workdir: str
    name: Optional[str] = None
    queue: Optional[str] = None
    nice: Optional[int] = None               # how far below the highest priority, 0 (top) to 1000
    rerunable: Optional[bool] = None
    array: Optional[str] = None              # "X-Y:Z" (the API's ArrayRequest form)
    env: dict[str, str] = field(default_factory=dict)
    stdout: Optional[str] = None
    stderr: Optional[str] = None
    post_command: Optional[str] = None
    prologue: list[str] = field(default_factory=list)   # shell lines run before the command (package staging)
    nodes: Optional[int] = None
    tasks: Optional[int] = None
    cpus_per_task: Optional[int] = None
    mem_mb: Optional[int] = None             # memory per node, MiB
    time_s: Optional[int] = None             # wall-clock limit, seconds
    after: list[str] = field(default_factory=list)   # job ids this job waits for
    after_policy: str = AFTER_OK             # AFTER_OK or AFTER_ANY
    cancel_if_dependency_fails: Optional[bool] = None   # cancel when ``after`` can never be satisfied


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


@dataclass
class PendingJob:
    """A job (or array element) waiting for nodes: what auto scaling reads (``NodeScheduler.pending_demand``)."""
    id: str
    queue: str
    nodes: int = 1                           # nodes it asks for
    cpus: int = 1                            # CPUs it asks for, over all its nodes
    reason: str = ""                         # the scheduler's own word for why it waits


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
    def log(self, job_id: str, path: str, offset: int, size: int, user: str = "root") -> str:
        """``size`` bytes of the job's output file from ``offset``, read as ``user``."""

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


class NodeScheduler(ABC):
    """Compute nodes as the scheduler sees them; commands run on the primary controller."""

    @abstractmethod
    def info(self) -> dict[str, dict]:
        """{node: {"state", "cpus_alloc", "cpus_total", "features"}}; states are lower case, with
        ``NODE_BAD_STATES`` for nodes that need to be returned to service."""

    @abstractmethod
    def drain(self, nodes: list[str], reason: str) -> None:
        """No new jobs on these nodes; running jobs go on. Unknown nodes are skipped."""

    @abstractmethod
    def resume(self, nodes: list[str]) -> None:
        """Return drained or down nodes to service (a node already in service is not an error)."""

    @abstractmethod
    def jobs_on(self, nodes: list[str]) -> dict[str, int]:
        """{node: number of jobs running on it}."""

    @abstractmethod
    def delete(self, nodes: list[str]) -> None:
        """Remove the nodes from the scheduler (they must be idle). Unknown nodes are skipped."""

    @abstractmethod
    def used_cpus(self) -> tuple[int, int]:
        """(allocated, total) CPUs over every node."""

    def pending_demand(self) -> list[PendingJob]:
        """Jobs waiting for nodes (not for a dependency, a hold or a start time), one entry per job or
        array element, with the queue it waits in. Auto scaling reads demand only through this."""
        from ..errors import SchedulerError
        raise SchedulerError(f"pending demand (auto scaling) is not available for this scheduler "
                             f"({type(self).__name__})")

    def problem(self) -> Optional[str]:
        """A cheap live check of the controller: what is wrong, or None when it answers. The
        default asks for the CPU counts; back ends may check their daemon more directly."""
        try:
            self.used_cpus()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return str(exc)[:300]
        return None

    def fault_drained(self) -> dict[str, str]:
        """{node: reason} of nodes the scheduler itself took out of service because of a fault
        (a failed launch, a lost node), as opposed to an admin's or an operation's drain; the
        default knows none."""
        return {}

    def settle_duplicate_launches(self, fault: dict[str, str]) -> list[str]:
        """After a recovery: jobs the controller started again from stale state and that a node
        refused (``fault``: fault_drained()), which would otherwise run twice, are removed from the
        queue; returns their ids. The default knows no such case."""
        return []

    def close(self) -> None:
        pass


class SchedulerBackend(ABC):
    """One scheduler type: makes the job and node interfaces, and knows its conventions."""

    name: str = ""
    label: str = ""            # how messages name the scheduler ("Slurm")
    queue_noun: str = "queue"  # how messages name one of its queues ("Slurm partition")
    #: the hosts where the configuration play keeps the scheduler's queues (QueueOps re-runs them)
    config_roles: tuple[str, ...] = ()
    #: the largest number of compute nodes one cluster may have
    max_compute_nodes: int = 1000
    #: SetSchedulerInfo's request field for this scheduler's settings ("SlurmInfo", "PbsInfo"), "" if none
    settings_field: str = ""
    #: the reference's SchedName values of this scheduler (GetSchedulerInfo / SetSchedulerInfo)
    sched_names: tuple[str, ...] = ()

    #: the node states (as the verify play reads them) that count as present after a recovery,
    #: drained ones included: RecoverCluster never fails because a node is drained
    present_states: tuple[str, ...] = ()

    def check_cluster(self, spec: "ClusterSpec") -> None:
        """Refuse (InvalidParams naming the field) what this scheduler lacks, before anything is made."""

    @abstractmethod
    def jobs(self, ssh: "SSHNode") -> JobScheduler:
        """The job interface, on a node that may submit (a login node, else the manager)."""

    @abstractmethod
    def nodes(self, ssh: "SSHNode") -> NodeScheduler:
        """The node interface, on the primary controller."""

    @abstractmethod
    def default_stdout(self, user: str) -> str:
        """Where a job's output goes when it names no file (a pattern ``expand_output`` fills in)."""

    @abstractmethod
    def output_pattern(self, array: bool) -> str:
        """The file-name part that makes an output file unique per job (or array element)."""

    @abstractmethod
    def expand_output(self, path: str, job_id: str, user: str, name: str) -> str:
        """An output path pattern with this job's values (the patterns the scheduler itself fills)."""

    @abstractmethod
    def expand_hostlist(self, expr: str) -> list[str]:
        """The scheduler's compact node list (as jobs report it) -> host names."""

    def default_settings(self) -> dict[str, Any]:
        """The settings SetSchedulerInfo can change, as the configuration has them by default."""
        return {}

    def check_settings(self, settings: dict[str, Any]) -> None:
        """Refuse (InvalidParams naming ``<settings_field>.1.<name>``) a setting this back end cannot apply."""

    def config_vars(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Ansible variables that apply ``settings`` (the plan's SetSchedulerInfo values) in the roles."""
        return {}

    def config_hosts(self, plan: "ClusterPlan") -> list[str]:
        """Hosts whose scheduler configuration holds the queues."""
        return [n.hostname for n in plan.nodes if any(r in n.roles for r in self.config_roles)]

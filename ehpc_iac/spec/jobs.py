"""Job requests (SubmitJob, ListJobs, DescribeJob, GetJobLog, StopJobs, RerunJobs, DeleteJobs, CreateJob)
with the API's parameter names. Values that reach the scheduler are checked here; the checks that
need the cluster (user exists, queue exists, path inside the user's home) are in ops/jobs.py."""
from __future__ import annotations

import json
import re
from typing import Any, Literal, Optional

from pydantic import Field, SecretStr, field_validator, model_validator

from .cluster import Strict
from .requests import ClusterRequest

MAX_JOBS = 100
JOB_NAME_RE = re.compile(r"^[A-Za-z0-9_.:+@-]{1,64}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
PATH_RE = re.compile(r"^[A-Za-z0-9_./%@+=,-]{1,1024}$")
ARRAY_RE = re.compile(r"^(\d+)-(\d+)(?::(\d+))?$")
MEM_RE = re.compile(r"^(\d+)\s*([KMGT]?)(?:i?B)?$", re.I)
TIME_RE = re.compile(r"^(?:\d+-)?\d{1,3}(?::\d{2}){0,2}$")
JOB_ID_RE = re.compile(r"^\d+(?:_(?:\d+|\[[0-9,:%-]+\]))?$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]{1,2040}$")
MAX_ARRAY_INDEX = 1000
PRIORITY_MAX = 9


def check_array(v: Optional[str]) -> Optional[str]:
    """``X-Y:Z`` with X <= Y and Z >= 1 (Z defaults to 1); returned in Slurm's ``--array`` form."""
    if v is None or v == "":
        return None
    m = ARRAY_RE.match(v.strip())
    if not m:
        raise ValueError("must be X-Y:Z (first index, last index, step), e.g. 1-10:2")
    x, y, z = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    if x > y:
        raise ValueError(f"the first index {x} is greater than the last index {y}")
    if z < 1:
        raise ValueError("the step must be at least 1")
    if y > MAX_ARRAY_INDEX:
        raise ValueError(f"the last index must be at most {MAX_ARRAY_INDEX}")
    return f"{x}-{y}:{z}"


def check_path(v: Optional[str]) -> Optional[str]:
    if v is None or v == "":
        return None
    if not PATH_RE.match(v) or ".." in v.split("/"):
        raise ValueError("must be a path of letters, digits and _ . / % @ + = , - without '..' components")
    return v


def check_mem(v: Optional[str]) -> Optional[str]:
    """``512M``, ``1G``, ``1GB``, ``1024`` (MB) -> Slurm's --mem value."""
    if v is None or v == "":
        return None
    m = MEM_RE.match(str(v).strip())
    if not m or int(m.group(1)) < 1:
        raise ValueError("must be a positive size such as 512M, 1G or 1024 (megabytes)")
    return f"{int(m.group(1))}{m.group(2).upper() or 'M'}"


def check_time(v: Optional[str]) -> Optional[str]:
    if v is None or v == "":
        return None
    if not TIME_RE.match(v.strip()):
        raise ValueError("must be a time limit such as 30 (minutes), 01:30:00 or 2-00:00:00")
    return v.strip()


_UNIT_MB = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}


def mem_mb(v: Optional[str]) -> Optional[int]:
    """A checked size (``512M``, ``1G``) -> MiB, rounded up."""
    if not v:
        return None
    m = MEM_RE.match(str(v).strip())
    if not m:
        raise ValueError(f"not a size: {v!r}")
    return max(1, -(-int(int(m.group(1)) * _UNIT_MB[m.group(2).upper() or "M"] * 1024) // 1024))


def time_seconds(v: Optional[str]) -> Optional[int]:
    """A checked time limit -> seconds. The forms are the API's (Slurm's): ``M``, ``M:S``, ``H:M:S``,
    ``D-H``, ``D-H:M``, ``D-H:M:S``."""
    if not v:
        return None
    days, _, rest = v.strip().rpartition("-")
    parts = [int(x) for x in rest.split(":")]
    if days:
        h, m, s = (parts + [0, 0])[:3]
        return int(days) * 86400 + h * 3600 + m * 60 + s
    if len(parts) == 1:
        return parts[0] * 60
    if len(parts) == 2:
        return parts[0] * 60 + parts[1]
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


class Variable(Strict):
    Name: str
    Value: str = ""

    @field_validator("Name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not ENV_NAME_RE.match(v):
            raise ValueError("must be an environment variable name (a letter or '_', then letters, digits, '_')")
        return v


def _json_list(v: Any, what: str) -> Any:
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError:
            raise ValueError(f"must be a JSON list of {what}") from None
    return v


class JobRetrySpec(Strict):
    """SubmitJob's JobRetry.Count/OnExitCode/Priority (reference): only Count 0 (no retry) is possible."""
    Count: Optional[int] = Field(default=None, ge=0, le=10)
    OnExitCode: Optional[int] = None
    Priority: Optional[int] = None


class SubmitJobRequest(ClusterRequest):
    CommandLine: str = Field(min_length=1, max_length=65536)
    Name: Optional[str] = None
    JobQueue: Optional[str] = None
    RunasUser: str = Field(min_length=1, max_length=32)
    RunasUserPassword: Optional[SecretStr] = None
    Priority: Optional[int] = Field(default=None, ge=0, le=PRIORITY_MAX)
    ReRunable: Optional[bool] = None
    ArrayRequest: Optional[str] = None
    Variables: Optional[list[Variable]] = Field(default=None, max_length=256)
    StdoutRedirectPath: Optional[str] = None
    StderrRedirectPath: Optional[str] = None
    PostCmdLine: Optional[str] = Field(default=None, max_length=65536)
    Node: Optional[int] = Field(default=None, ge=1, le=99)
    Task: Optional[int] = Field(default=None, ge=1, le=100000)
    Thread: Optional[int] = Field(default=None, ge=1, le=1024)
    Cpu: Optional[int] = Field(default=None, ge=1, le=1024)
    Mem: Optional[str] = None
    Gpu: Optional[int] = Field(default=None, ge=0, le=64)
    ClockTime: Optional[str] = None
    PackagePath: Optional[str] = None
    InputFileUrl: Optional[str] = None
    UnzipCmd: Optional[str] = None
    JobRetry: Optional[JobRetrySpec] = None
    ContainerId: Optional[str] = None
    Async: bool = False

    @field_validator("CommandLine")
    @classmethod
    def _cmd(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("Name")
    @classmethod
    def _name(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not JOB_NAME_RE.match(v):
            raise ValueError("must be 1-64 letters, digits or _ . : + @ -")
        return v

    _array = field_validator("ArrayRequest")(classmethod(lambda cls, v: check_array(v)))
    _paths = field_validator("StdoutRedirectPath", "StderrRedirectPath", "PackagePath")(
        classmethod(lambda cls, v: check_path(v)))
    _mem = field_validator("Mem", mode="before")(classmethod(lambda cls, v: check_mem(None if v is None else str(v))))
    _time = field_validator("ClockTime")(classmethod(lambda cls, v: check_time(v)))

    @field_validator("Variables", mode="before")
    @classmethod
    def _vars(cls, v: Any) -> Any:
        return None if v in (None, "", "[]") else _json_list(v, "{Name, Value} objects")

    @field_validator("Gpu")
    @classmethod
    def _gpu(cls, v: Optional[int]) -> Optional[int]:
        if v:
            raise ValueError("this cluster has no GPUs (Docker nodes); Gpu must be 0")
        return v

    @field_validator("InputFileUrl")
    @classmethod
    def _url(cls, v: Optional[str]) -> Optional[str]:
        if v is None or v == "":
            return None
        if URL_RE.match(v):
            return v
        if v.startswith("file://"):
            v = v[len("file://"):]
        if not v.startswith("/"):
            raise ValueError("must be an http(s):// or file:// URL or an absolute path on the shared /home")
        return check_path(v)

    @model_validator(mode="after")
    def _unsupported(self) -> "SubmitJobRequest":
        from ..errors import InvalidParams
        if self.UnzipCmd and not self.InputFileUrl:
            raise InvalidParams("UnzipCmd", "needs InputFileUrl: the file the command unpacks")
        if self.JobRetry is not None and self.JobRetry.Count:
            raise InvalidParams("JobRetry.Count", "automatic job retries are not supported yet: resubmit the job, "
                                                  "or mark it ReRunable so that RerunJobs can run it again")
        if self.ContainerId:
            raise InvalidParams("ContainerId", "container jobs are not supported")
        if self.Thread and self.Cpu and self.Thread != self.Cpu:
            raise InvalidParams("Cpu", "Thread and Cpu both set the CPUs per task (Slurm -c); give one of them "
                                       "or the same value")
        return self


class JobRef(Strict):
    Id: str

    @field_validator("Id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not JOB_ID_RE.match(v):
            raise ValueError("must be a job id such as 12 or 12_3")
        return v


class _JobsRequest(ClusterRequest):
    Jobs: list[JobRef] = Field(min_length=1, max_length=MAX_JOBS)
    Async: bool = False

    @field_validator("Jobs", mode="before")
    @classmethod
    def _jobs(cls, v: Any) -> Any:
        return _json_list(v, '{"Id": ...} objects')


class StopJobsRequest(_JobsRequest):
    pass


class RerunJobsRequest(_JobsRequest):
    pass


class DeleteJobsRequest(_JobsRequest):
    pass


class ListJobsRequest(ClusterRequest):
    Owner: Optional[str] = None
    # ehpc-iac: only jobs that ran on any of these nodes (host names); the 2.0 JobFilter.Nodes
    Nodes: Optional[list[str]] = None
    State: Literal["all", "Running", "Queued", "Finished", "Failed", "Stopped", "Unknown"] = "all"
    Rerunable: Literal["all", "true", "false"] = "all"
    PageNumber: int = Field(default=1, ge=1, le=100000)
    PageSize: int = Field(default=10, ge=1, le=50)

    @field_validator("Rerunable", mode="before")
    @classmethod
    def _rr(cls, v: Any) -> Any:
        return str(v).lower() if isinstance(v, (bool, str)) and str(v).lower() in ("true", "false") else v


class DescribeJobRequest(ClusterRequest):
    JobId: str
    Async: bool = False

    _id = field_validator("JobId")(classmethod(lambda cls, v: JobRef._id(v)))


class GetJobLogRequest(ClusterRequest):
    JobId: str
    Offset: int = Field(default=0, ge=0)
    Size: int = Field(default=262144, ge=1, le=16 * 1024 * 1024)
    ExecHost: Optional[str] = None   # output is on the shared /home: every host sees the same file

    _id = field_validator("JobId")(classmethod(lambda cls, v: JobRef._id(v)))


class JobResources(Strict):
    Nodes: Optional[int] = Field(default=None, ge=1, le=99)
    Cores: Optional[int] = Field(default=None, ge=1, le=1024)
    Memory: Optional[str] = None
    Gpus: Optional[int] = Field(default=None, ge=0, le=64)

    _mem = field_validator("Memory", mode="before")(
        classmethod(lambda cls, v: check_mem(None if v is None else str(v))))

    @field_validator("Gpus")
    @classmethod
    def _gpu(cls, v: Optional[int]) -> Optional[int]:
        if v:
            raise ValueError("this cluster has no GPUs (Docker nodes); Gpus must be 0")
        return v


class JobSpec(Strict):
    CommandLine: str = Field(min_length=1, max_length=65536)
    RunasUser: str = Field(min_length=1, max_length=32)
    RunasUserPassword: Optional[SecretStr] = None   # seed 001: checked against the user's password hash
    Priority: Optional[int] = Field(default=None, ge=0, le=PRIORITY_MAX)
    StdoutPath: Optional[str] = None
    StderrPath: Optional[str] = None
    JobQueue: Optional[str] = None
    ArrayRequest: Optional[str] = None
    Variables: Optional[list[Variable]] = Field(default=None, max_length=256)
    PostCmdLine: Optional[str] = Field(default=None, max_length=65536)
    WallTime: Optional[str] = None
    Resources: Optional[JobResources] = None

    _array = field_validator("ArrayRequest")(classmethod(lambda cls, v: check_array(v)))
    _paths = field_validator("StdoutPath", "StderrPath")(classmethod(lambda cls, v: check_path(v)))
    _time = field_validator("WallTime")(classmethod(lambda cls, v: check_time(v)))

    @field_validator("Variables", mode="before")
    @classmethod
    def _vars(cls, v: Any) -> Any:
        return None if v in (None, "", "[]") else _json_list(v, "{Name, Value} objects")


class CreateJobRequest(ClusterRequest):
    JobName: Optional[str] = None
    JobSpec: JobSpec

    @field_validator("JobName")
    @classmethod
    def _name(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not JOB_NAME_RE.match(v):
            raise ValueError("must be 1-64 letters, digits or _ . : + @ -")
        return v

    @field_validator("JobSpec", mode="before")
    @classmethod
    def _spec(cls, v: Any) -> Any:
        return _json_list(v, "JobSpec fields") if isinstance(v, str) else v

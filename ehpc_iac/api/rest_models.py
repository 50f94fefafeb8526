"""Request and response bodies of the REST job API (seed 003, the Ray Jobs REST API shape).

The limits here are the ones the OpenAPI document shows; a request outside them is answered
400 ``InvalidParams`` naming the field (``runtime_env.env_vars.FOO``, ``runtime_env.pip[0]``).
"""
from __future__ import annotations

from typing import Annotated, Any, Optional

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..errors import InvalidParams
from ..ops.rest_jobs import JobStatus
from ..spec.jobs import ENV_NAME_RE

SUBMISSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MIN_CPUS, MAX_CPUS = 0.3, 16
MIN_MEMORY, MAX_MEMORY = 134217728, 1125899906842624
MAX_GPUS = 64
MAX_ENTRYPOINT = 32768     # SubmitJob's CommandLine takes 65536: room for the pip and unpacking lines


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


def _requirement(v: str) -> str:
    try:
        req = Requirement(v)
    except InvalidRequirement as exc:
        raise ValueError(f"{v!r} is not a PEP 508 requirement: {exc}") from None
    if req.url:
        raise ValueError(f"{v!r}: URL requirements are not accepted; packages come from the package index")
    return v


SubmissionId = Annotated[str, StringConstraints(pattern=SUBMISSION_ID_PATTERN)]
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME_RE.pattern)]
Text = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_no_nul)]
MetaKey = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_nul)]
ResourceName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Requirement508 = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_requirement)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuntimeEnv(_Body):
    working_dir: Optional[str] = Field(
        default=None, min_length=1, max_length=1024,
        description="The job's working directory on the cluster (default: the run-as user's home, so that "
                    "Ray's JobSubmissionClient may leave it out): an absolute path or file:// URL of a directory "
                    "(inside the run-as user's home or /tmp; made when missing), or a file:// or http(s):// URL of a "
                    ".zip, .tar.gz, .tgz or .tar archive, unpacked into a directory of its own for the job (an "
                    "archive holding one top-level directory runs in that directory).",
        examples=["file:///home/alice/deploy/app.zip", "/home/alice/project"])
    env_vars: Optional[dict[EnvName, Text]] = Field(
        default=None, max_length=256, description="Environment variables of the job (names: letters, digits, _).")
    pip: Optional[list[Requirement508]] = Field(
        default=None, max_length=64,
        description="PEP 508 requirements (name, extras, version specifiers, markers; no URLs), installed for "
                    "this job only, as the run-as user, with `python3 -m pip install --target` before the "
                    "entrypoint runs, from the tenant's package index when the tenant map names one. The "
                    "cluster's nodes need pip (python3 -m pip): without it the job fails and its log says so.",
        examples=[["numpy==1.24", "scipy==1.11.0"]])

    _nul = field_validator("working_dir")(classmethod(lambda cls, v: v if v is None else _no_nul(v)))


class JobSubmitRequest(_Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "entrypoint": "python script.py",
        "metadata": {"autoscenes_ids": "auto_1-test", "task_type": "task_1", "ttl": "1250"},
        "runtime_env": {"working_dir": "file:///home/alice/deploy/file.zip",
                        "env_vars": {"SOURCE_REGION": "suzhou_std", "DEPLOY_REGION": "suzhou_std"},
                        "pip": ["numpy==1.24", "scipy==1.11.0"]},
        "entrypoint_num_cpus": 3, "entrypoint_memory": 134217728, "entrypoint_resources": {"NPU": 0},
        "submission_id": "app-1234"}]})

    entrypoint: str = Field(min_length=1, max_length=MAX_ENTRYPOINT,
                            description="Shell command line the job runs (as the tenant's run-as user).")
    runtime_env: RuntimeEnv = Field(default_factory=RuntimeEnv)
    metadata: Optional[dict[MetaKey, Text]] = Field(default=None, max_length=64,
                                                    description="User-defined tags, returned with the job.")
    entrypoint_num_cpus: Optional[float] = Field(
        default=None, ge=MIN_CPUS, le=MAX_CPUS, allow_inf_nan=False, strict=True,
        description="CPUs of the job; the scheduler allocates whole CPUs (rounded up).")
    entrypoint_memory: Optional[int] = Field(
        default=None, ge=MIN_MEMORY, le=MAX_MEMORY, strict=True,
        description="Memory of the job in bytes (the scheduler allocates whole MiB, rounded up).")
    entrypoint_num_gpus: Optional[float] = Field(
        default=None, ge=0, le=MAX_GPUS, allow_inf_nan=False, strict=True,
        description="GPUs of the job: a whole number (fractional GPUs are refused).")
    entrypoint_resources: Optional[dict[ResourceName, Annotated[float, Field(ge=0, allow_inf_nan=False,
                                                                                 strict=True)]]] = Field(
        default=None, max_length=32,
        description="Custom resources (e.g. NPU). Amounts of 0 are ignored; others must be allowed to the tenant "
                    "or pool label by the server's tenant map, at most the amount it gives.")
    submission_id: Optional[SubmissionId] = Field(
        default=None, description="The job's id; `app-` and a random suffix when absent. Unique per tenant.")
    job_id: Optional[SubmissionId] = Field(default=None, json_schema_extra={"deprecated": True},
                                           description="Ray's older name of submission_id (deprecated).")

    @field_validator("entrypoint")
    @classmethod
    def _entrypoint(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return _no_nul(v)

    @field_validator("entrypoint_num_gpus")
    @classmethod
    def _gpus(cls, v: Optional[float]) -> Optional[float]:
        if v is not None and v != int(v):
            raise ValueError("fractional GPUs are not supported: give a whole number")
        return v

    @model_validator(mode="after")
    def _ids(self) -> "JobSubmitRequest":
        if self.job_id is not None and self.submission_id is not None and self.job_id != self.submission_id:
            # not a ValueError: pydantic lets it through, naming its field (as spec/cluster.py does)
            raise InvalidParams("job_id", "job_id (deprecated) and submission_id differ: give submission_id only")
        if self.submission_id is None and self.job_id is not None:
            self.submission_id = self.job_id
        return self


class JobSubmitResponse(BaseModel):
    submission_id: str
    job_id: str = Field(json_schema_extra={"deprecated": True},
                        description="Ray's older name of submission_id (deprecated; the same value).")


# The Ray Jobs REST API level this API answers as (GET /api/version): Ray's JobSubmissionClient
# asks for it first and needs 2.0 or later (submission_id).
RAY_JOBS_API = {"version": "4", "ray_version": "2.9.0", "ray_commit": ""}


class VersionResponse(BaseModel):
    version: str = Field(description="The Ray Jobs REST API version this API follows.")
    ray_version: str = Field(description="The Ray release whose job REST API this API answers as.")
    ray_commit: str
    session_name: str = Field(description="ehpc-iac and its version.")


class JobDetails(BaseModel):
    type: str = Field(default="SUBMISSION", description="Always SUBMISSION (jobs submitted through this API).")
    submission_id: str
    job_id: Optional[str] = Field(description="The cluster's (Slurm) job id; null while being submitted.")
    status: JobStatus
    message: str
    entrypoint: str
    metadata: dict[str, str]
    runtime_env: dict[str, Any]
    entrypoint_num_cpus: Optional[float] = None
    entrypoint_num_gpus: Optional[float] = None
    entrypoint_memory: Optional[int] = None
    entrypoint_resources: Optional[dict[str, float]] = None
    start_time: int = Field(description="Submission time, milliseconds since the epoch.")
    end_time: Optional[int] = Field(description="When the job was first seen ended (ms since the epoch).")
    cluster_id: str
    job_queue: Optional[str] = None
    scheduler_state: str = Field(description="The scheduler's own state word (e.g. COMPLETED, CANCELLED).")
    scheduler_start_time: str = Field(description="Start time as the scheduler reports it (its local time).")
    scheduler_end_time: str = Field(description="End time as the scheduler reports it, once the job ended.")


class JobLogsResponse(BaseModel):
    logs: str = Field(description="The job's output (stdout and stderr), at most 16 MiB from the start.")


class StopJobResponse(BaseModel):
    stopped: bool = Field(description="false when the job had already ended.")


class DeleteJobResponse(BaseModel):
    deleted: bool


class ErrorBody(BaseModel):
    code: str = Field(examples=["InvalidParams"])
    message: str
    request_id: str
    field: Optional[str] = Field(default=None, description="The parameter, header or body field at fault.")

"""Requests of the shell-command, log and volume operations (API parameter names).

InvokeShellCommand (ClusterId, Command, Instance.N.Id, WorkingDir, Timeout), ListCommands,
ListInvocationStatus, ListInvocationResults, ListClusterLogs, GetClusterVolumes,
DescribeNFSClientStatus and InstallNFSClient. Limits follow the E-HPC reference: Command
2-2048 characters, WorkingDir default /root, Timeout default 60 s, pages of 1-50 (1-100 for
ListClusterLogs).
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, field_validator

from .cluster import Strict
from .requests import ClusterRequest, PagedRequest

COMMAND_MAX = 2048
TIMEOUT_DEFAULT = 60
TIMEOUT_MAX = 86400       # one day
MAX_INSTANCES = 500


def _no_bool(v: Any, what: str) -> Any:
    if isinstance(v, bool):
        raise ValueError(f"must be {what}, not true/false")
    return v


class InstanceRef(Strict):
    Id: str = Field(min_length=1, max_length=64)


class InvokeShellCommandRequest(ClusterRequest):
    Command: str = Field(min_length=2, max_length=COMMAND_MAX)
    Instance: list[InstanceRef] = Field(default_factory=list, max_length=MAX_INSTANCES)
    WorkingDir: str = Field(default="/root", min_length=1, max_length=1024)
    Timeout: int = Field(default=TIMEOUT_DEFAULT, ge=1, le=TIMEOUT_MAX)

    @field_validator("Command")
    @classmethod
    def _command(cls, v: str) -> str:
        if "\x00" in v:
            raise ValueError("must not contain NUL characters")
        return v

    @field_validator("WorkingDir")
    @classmethod
    def _working_dir(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must be an absolute path")
        if any(c in v for c in "\x00\n\r"):
            raise ValueError("must not contain NUL or line breaks")
        return v

    @field_validator("Timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> Any:
        return _no_bool(v, f"a number of seconds between 1 and {TIMEOUT_MAX}")


class ListCommandsRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None
    CommandId: Optional[str] = Field(default=None, min_length=1, max_length=64)


class ListInvocationStatusRequest(ClusterRequest):
    CommandId: str = Field(min_length=1, max_length=64)


class ListInvocationResultsRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None
    CommandId: str = Field(min_length=1, max_length=64)
    Instance: list[InstanceRef] = Field(default_factory=list, max_length=MAX_INSTANCES)
    InvokeRecordStatus: Optional[Literal["Finished", "Running", "Failed", "Stopped"]] = None


class ListClusterLogsRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None
    PageSize: int = Field(default=10, ge=1, le=100)
    # Not in the reference: also return the ``debug`` rows (one per Ansible task).
    IncludeDebug: bool = False


class GetClusterVolumesRequest(ClusterRequest):
    pass


class InstanceRequest(Strict):
    RegionId: Optional[str] = None
    InstanceId: str = Field(min_length=1, max_length=64)


class DescribeNFSClientStatusRequest(InstanceRequest):
    pass


class InstallNFSClientRequest(InstanceRequest):
    pass

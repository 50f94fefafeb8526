"""Node requests: AddNodes, DeleteNodes, ListNodes, ListNodesNoPaging, ListNodesByQueue,
StartNodes, StopNodes, ResetNodes, RecoverCluster (API parameter names)."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from .catalog import check_instance_type
from .cluster import QUEUE_RE, Strict
from .requests import ClusterRequest, PagedRequest

HOST_PART_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
SUFFIX_RE = re.compile(r"^[a-z0-9-]{0,10}$")
ROLE = Literal["Scheduler", "SchedulerBackup", "Account", "Login", "Compute"]
MAX_ADD = 99
DRAIN_TIMEOUT_S = 3600


def check_host_prefix(v: Optional[str]) -> Optional[str]:
    if v is not None and not HOST_PART_RE.match(v):
        raise ValueError("must be 1-15 characters: a lower-case letter, then lower-case letters, digits or '-'")
    return v


def check_host_suffix(v: Optional[str]) -> Optional[str]:
    if v is not None and not SUFFIX_RE.match(v):
        raise ValueError("must be up to 10 lower-case letters, digits or '-'")
    return v


class InstanceRef(Strict):
    Id: str = Field(min_length=1, max_length=64)


class AddNodesRequest(ClusterRequest):
    Count: int = Field(ge=1, le=MAX_ADD)
    MinCount: Optional[int] = Field(default=None, ge=1, le=MAX_ADD)
    InstanceType: Optional[str] = None
    JobQueue: Optional[str] = None
    HostNamePrefix: Optional[str] = None
    HostNameSuffix: Optional[str] = None
    CreateMode: Literal["manual", "autoscale"] = "manual"
    ClientToken: Optional[str] = Field(default=None, max_length=64, pattern=r"^[\x21-\x7e]+$")
    ImageId: Optional[str] = None
    ImageOwnerAlias: Optional[str] = None
    Async: bool = False
    Sync: Optional[bool] = None
    # Cloud purchase, network and disk options: spec/cloud_only.py (accepted, ignored).

    @field_validator("InstanceType")
    @classmethod
    def _type(cls, v: Optional[str]) -> Optional[str]:
        return check_instance_type(v)

    @field_validator("JobQueue")
    @classmethod
    def _queue(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not QUEUE_RE.match(v):
            raise ValueError("must be 1-15 characters: a lower-case letter, then lower-case letters, digits or '_'")
        return v

    @field_validator("HostNamePrefix")
    @classmethod
    def _prefix(cls, v: Optional[str]) -> Optional[str]:
        return check_host_prefix(v)

    @field_validator("HostNameSuffix")
    @classmethod
    def _suffix(cls, v: Optional[str]) -> Optional[str]:
        return check_host_suffix(v)

    @model_validator(mode="after")
    def _min(self) -> "AddNodesRequest":
        if self.MinCount is not None and self.MinCount > self.Count:
            from ..errors import InvalidParams
            raise InvalidParams("MinCount", "must not be greater than Count")
        return self

    @property
    def background(self) -> bool:
        return self.Async or self.Sync is False


class InstancesRequest(ClusterRequest):
    Instance: list[InstanceRef] = Field(min_length=1, max_length=100)


class DeleteNodesRequest(InstancesRequest):
    ReleaseInstance: bool = True
    Async: bool = False
    Sync: Optional[bool] = None
    DrainTimeout: int = Field(default=DRAIN_TIMEOUT_S, ge=0, le=7 * 86400)


class StartNodesRequest(InstancesRequest):
    Role: Optional[ROLE] = None
    Async: bool = False


class StopNodesRequest(InstancesRequest):
    Role: Optional[ROLE] = None
    Async: bool = False
    DrainTimeout: int = Field(default=DRAIN_TIMEOUT_S, ge=0, le=7 * 86400)


class ResetNodesRequest(InstancesRequest):
    Async: bool = False
    DrainTimeout: int = Field(default=DRAIN_TIMEOUT_S, ge=0, le=7 * 86400)


class ListNodesRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None
    Role: Optional[ROLE] = None
    HostName: Optional[str] = Field(default=None, max_length=64)
    HostNamePrefix: Optional[str] = Field(default=None, max_length=64)
    HostNameSuffix: Optional[str] = Field(default=None, max_length=64)
    PrivateIpAddress: Optional[str] = Field(default=None, max_length=64)
    OnlyDetached: bool = False
    Filter: Optional[str] = None
    Sequence: Literal["forward", "backward"] = "forward"
    SortBy: Optional[Literal["addedtime", "hostname"]] = None
    PageSize: int = Field(default=10, ge=1, le=100)


class ListNodesNoPagingRequest(ClusterRequest):
    Role: Optional[ROLE] = None
    HostName: Optional[str] = Field(default=None, max_length=64)
    OnlyDetached: bool = False
    Sequence: Literal["forward", "backward"] = "forward"


class ListNodesByQueueRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None
    QueueName: str = Field(min_length=1, max_length=64)
    Async: bool = False


class RecoverClusterRequest(ClusterRequest):
    ImageId: Optional[str] = None
    ImageOwnerAlias: Optional[str] = None
    OsTag: Optional[str] = None
    SchedulerType: Optional[str] = None
    AccountType: Optional[str] = None
    ClientVersion: Optional[str] = None
    Async: bool = False

"""Auto scaling requests: SetAutoScaleConfig, GetAutoScaleConfig, DescribeAutoScaleConfig (2018-04-12).

Names, ranges and defaults are the reference's (SetAutoScaleConfig):

| parameter | range | default |
| --- | --- | --- |
| EnableAutoGrow / EnableAutoShrink | true, false | false |
| GrowIntervalInMinutes / ShrinkIntervalInMinutes | 2-10 | 2 |
| ShrinkIdleTimes | 2-5 | 3 (rounds in a row a node must be idle before it is removed) |
| GrowTimeoutInMinutes | 10-60 | 20 (a node not running by then is removed and replaced) |
| ExtraNodesGrowRatio | 0-100 | 0 (percent added on top of what the jobs need) |
| GrowRatio | 1-100 | 100 (percent of the need added per round) |
| MaxNodesInCluster | 0-500 | 100 (compute nodes of the cluster, all queues) |
| ExcludeNodes | instance ids or host names, comma separated | "" (never removed by the scaler) |

``Queues.N.*`` (QueueName, InstanceType or InstanceTypes.N.InstanceType, EnableAutoGrow,
EnableAutoShrink, MinNodesInQueue 0-500, MaxNodesInQueue 0-500, MaxNodesPerCycle 0-99 (0: no
limit but AddNodes' 99), MinNodesPerCycle 1-99, HostNamePrefix, HostNameSuffix) win over the
global ones for their queue. Cloud-only fields (spot strategy and price, disks, zones,
vSwitches, resource groups, DNS, hyper-threading, inventory sorting) are accepted and ignored.

Extensions, not E-HPC (documented as such): ``GrowIntervalInSeconds``,
``ShrinkIntervalInSeconds`` (1-600) and ``GrowTimeoutInSeconds`` (5-3600) take the place of the
minute settings when given, for tests and impatient users; ``ShrinkManualNodes`` (default
false) lets the scaler remove idle nodes that were added by hand (CreateMode=manual, or made
by CreateCluster), which it otherwise always spares.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from ..errors import InvalidParams
from .catalog import check_instance_type
from .cluster import Strict
from .nodes import MAX_ADD, check_host_prefix, check_host_suffix
from .queues import check_queue_name
from .requests import ClusterRequest

MAX_NODES = 500


class InstanceTypeChoice(Strict):
    InstanceType: Optional[str] = None
    # cloud-only: accepted and ignored
    VSwitchId: Optional[str] = None
    ZoneId: Optional[str] = None
    SpotStrategy: Optional[str] = None
    SpotPriceLimit: Optional[float] = None
    SpotDuration: Optional[int] = None
    SpotInterruptionBehavior: Optional[str] = None

    @field_validator("InstanceType")
    @classmethod
    def _type(cls, v: Optional[str]) -> Optional[str]:
        return check_instance_type(v)


class QueueScaleConfig(Strict):
    QueueName: str = Field(min_length=1)
    InstanceType: Optional[str] = None
    InstanceTypes: list[InstanceTypeChoice] = Field(default_factory=list, max_length=10)
    EnableAutoGrow: Optional[bool] = None      # None: the global setting
    EnableAutoShrink: Optional[bool] = None
    MinNodesInQueue: int = Field(default=0, ge=0, le=MAX_NODES)
    MaxNodesInQueue: Optional[int] = Field(default=None, ge=0, le=MAX_NODES)   # None: MaxNodesInCluster
    MaxNodesPerCycle: int = Field(default=0, ge=0, le=MAX_ADD)
    MinNodesPerCycle: int = Field(default=1, ge=1, le=MAX_ADD)
    HostNamePrefix: Optional[str] = None
    HostNameSuffix: Optional[str] = None
    QueueImageId: Optional[str] = None
    # cloud-only: accepted and ignored
    AutoMinNodesPerCycle: Optional[bool] = None
    SpotStrategy: Optional[str] = None
    SpotPriceLimit: Optional[float] = None
    SystemDiskCategory: Optional[str] = None
    SystemDiskSize: Optional[int] = None
    SystemDiskLevel: Optional[str] = None
    DataDisks: Optional[list[dict[str, Any]]] = None
    SortedByInventory: Optional[bool] = None
    ResourceGroupId: Optional[str] = None

    @field_validator("QueueName")
    @classmethod
    def _queue(cls, v: str) -> str:
        return check_queue_name(v)

    @field_validator("InstanceType")
    @classmethod
    def _type(cls, v: Optional[str]) -> Optional[str]:
        return check_instance_type(v)

    _prefix = field_validator("HostNamePrefix")(classmethod(lambda cls, v: check_host_prefix(v)))
    _suffix = field_validator("HostNameSuffix")(classmethod(lambda cls, v: check_host_suffix(v)))

    @property
    def instance_type(self) -> Optional[str]:
        """InstanceType, else the first of InstanceTypes that names one."""
        return self.InstanceType or next((t.InstanceType for t in self.InstanceTypes if t.InstanceType), None)


class SetAutoScaleConfigRequest(ClusterRequest):
    EnableAutoGrow: bool = False
    EnableAutoShrink: bool = False
    GrowIntervalInMinutes: int = Field(default=2, ge=2, le=10)
    ShrinkIntervalInMinutes: int = Field(default=2, ge=2, le=10)
    ShrinkIdleTimes: int = Field(default=3, ge=2, le=5)
    GrowTimeoutInMinutes: int = Field(default=20, ge=10, le=60)
    ExtraNodesGrowRatio: int = Field(default=0, ge=0, le=100)
    GrowRatio: int = Field(default=100, ge=1, le=100)
    MaxNodesInCluster: int = Field(default=100, ge=0, le=MAX_NODES)
    ExcludeNodes: str = Field(default="", max_length=4096)
    Queues: list[QueueScaleConfig] = Field(default_factory=list, max_length=64)
    ImageId: Optional[str] = None
    # extensions (not E-HPC): seconds instead of minutes; removing idle nodes added by hand
    GrowIntervalInSeconds: Optional[int] = Field(default=None, ge=1, le=600)
    ShrinkIntervalInSeconds: Optional[int] = Field(default=None, ge=1, le=600)
    GrowTimeoutInSeconds: Optional[int] = Field(default=None, ge=5, le=3600)
    ShrinkManualNodes: bool = False
    # cloud-only: accepted and ignored
    SpotStrategy: Optional[str] = None
    SpotPriceLimit: Optional[float] = None
    DnsConfig: Optional[str] = None
    ComputeEnableHt: Optional[bool] = None

    @field_validator("ExcludeNodes")
    @classmethod
    def _exclude(cls, v: str) -> str:
        return ",".join(x.strip() for x in v.split(",") if x.strip())

    @model_validator(mode="after")
    def _queues(self) -> "SetAutoScaleConfigRequest":
        seen: set[str] = set()
        for i, q in enumerate(self.Queues, start=1):
            if q.QueueName in seen:
                raise InvalidParams(f"Queues.{i}.QueueName", f"the queue {q.QueueName} is listed twice")
            seen.add(q.QueueName)
            if q.MaxNodesInQueue is not None and q.MinNodesInQueue > q.MaxNodesInQueue:
                raise InvalidParams(f"Queues.{i}.MinNodesInQueue", "must not be greater than MaxNodesInQueue")
            if q.MaxNodesPerCycle and q.MinNodesPerCycle > q.MaxNodesPerCycle:
                raise InvalidParams(f"Queues.{i}.MinNodesPerCycle", "must not be greater than MaxNodesPerCycle")
        return self

    @property
    def exclude_nodes(self) -> list[str]:
        return [x for x in self.ExcludeNodes.split(",") if x]


class GetAutoScaleConfigRequest(ClusterRequest):
    pass


class DescribeAutoScaleConfigRequest(ClusterRequest):
    pass


# The settings SetAutoScaleConfig keeps (everything else is accepted and ignored).
KEPT_GLOBAL = ("EnableAutoGrow", "EnableAutoShrink", "GrowIntervalInMinutes", "ShrinkIntervalInMinutes",
               "ShrinkIdleTimes", "GrowTimeoutInMinutes", "ExtraNodesGrowRatio", "GrowRatio", "MaxNodesInCluster",
               "ExcludeNodes", "GrowIntervalInSeconds", "ShrinkIntervalInSeconds", "GrowTimeoutInSeconds",
               "ShrinkManualNodes")
KEPT_QUEUE = ("QueueName", "InstanceType", "EnableAutoGrow", "EnableAutoShrink", "MinNodesInQueue",
              "MaxNodesInQueue", "MaxNodesPerCycle", "MinNodesPerCycle", "HostNamePrefix", "HostNameSuffix")

"""Queue requests (ListQueues, AddQueue, DeleteQueue, UpdateQueueConfig): a queue is a Slurm partition.

Parameters are the SDK's (``aliyunsdkehpc/request/v20180412``). The ones that only mean
something on Alibaba Cloud are accepted only with the value that describes what this
project does, and refused clearly otherwise:

- ``NetworkInterfaceTrafficMode``: ``Standard`` (ordinary networking) is accepted;
  ``HighPerformance`` (ERI/eRDMA NICs) is refused.
- ``UseESS`` (Elastic Scaling Service): ``false`` is accepted, ``true`` is refused.
- ``DeploymentSetId`` (ECS placement groups) and ``ResourceGroupId`` (account resource
  groups): an empty value is accepted, anything else is refused.
- ``Async`` of ListQueues is accepted and ignored (the list is read from the cluster's
  plan, at once).
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from .catalog import check_instance_type
from .cluster import QUEUE_RE
from .requests import ClusterRequest

# "default" is Slurm's keyword for partition defaults (PartitionName=DEFAULT, any case).
RESERVED_QUEUES = {"default"}
CLOUD_ONLY = "is an Alibaba Cloud feature that is not available on infrastructure you own"


def check_queue_name(v: str) -> str:
    if not QUEUE_RE.match(v):
        raise ValueError("must be 1-15 characters: a lower-case letter, then lower-case letters, digits or '_'")
    if v in RESERVED_QUEUES:
        raise ValueError(f"{v!r} is reserved by Slurm")
    return v


def _refuse_non_empty(name: str, v: Optional[str]) -> Optional[str]:
    if v:
        raise ValueError(f"{name} {CLOUD_ONLY}; leave it empty")
    return v or None


class _QueueRequest(ClusterRequest):
    QueueName: str = Field(min_length=1)
    Async: bool = False   # AddQueue, DeleteQueue, UpdateQueueConfig run Ansible: Async returns at once

    @field_validator("QueueName")
    @classmethod
    def _queue(cls, v: str) -> str:
        return check_queue_name(v)


class _PlacementParams(_QueueRequest):
    DeploymentSetId: Optional[str] = None
    NetworkInterfaceTrafficMode: Optional[str] = None

    @field_validator("DeploymentSetId")
    @classmethod
    def _deployment_set(cls, v: Optional[str]) -> Optional[str]:
        return _refuse_non_empty("a deployment set (DeploymentSetId)", v)

    @field_validator("NetworkInterfaceTrafficMode")
    @classmethod
    def _nic_mode(cls, v: Optional[str]) -> Optional[str]:
        if v in (None, "", "Standard"):
            return v or None
        if v == "HighPerformance":
            raise ValueError(f"HighPerformance (ERI/eRDMA network interfaces) {CLOUD_ONLY}; use Standard")
        raise ValueError("must be Standard or HighPerformance")


class ListQueuesRequest(ClusterRequest):
    Async: bool = False


class AddQueueRequest(_PlacementParams):
    UseESS: bool = False

    @field_validator("UseESS")
    @classmethod
    def _ess(cls, v: bool) -> bool:
        if v:
            raise ValueError(f"the Elastic Scaling Service (UseESS) {CLOUD_ONLY}; leave it false")
        return v


class DeleteQueueRequest(_QueueRequest):
    pass


class UpdateQueueConfigRequest(_PlacementParams):
    ComputeInstanceType: Optional[str] = None
    ResourceGroupId: Optional[str] = None

    @field_validator("ComputeInstanceType")
    @classmethod
    def _itype(cls, v: Optional[str]) -> Optional[str]:
        return check_instance_type(v)

    @field_validator("ResourceGroupId")
    @classmethod
    def _resource_group(cls, v: Optional[str]) -> Optional[str]:
        return _refuse_non_empty("a resource group (ResourceGroupId)", v)

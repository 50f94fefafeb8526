"""Queue requests (ListQueues, AddQueue, DeleteQueue, UpdateQueueConfig): a queue is a Slurm partition.

Parameters are the SDK's (``aliyunsdkehpc/request/v20180412``). The ones that only mean
something on Alibaba Cloud (``DeploymentSetId``, ``ResourceGroupId``, ``NetworkInterfaceTrafficMode``,
``UseESS``) are in the one table of spec/cloud_only.py: accepted and ignored, except the values
that table refuses (``HighPerformance`` network interfaces, ``UseESS=true``), refused the same way
in every action. ``Async`` of ListQueues is accepted and ignored (the list is read from the
cluster's plan, at once).
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from .catalog import check_instance_type
from .cluster import QUEUE_RE
from .requests import ClusterRequest

# "default" is Slurm's keyword for partition defaults (PartitionName=DEFAULT, any case).
RESERVED_QUEUES = {"default"}


def check_queue_name(v: str) -> str:
    if not QUEUE_RE.match(v):
        raise ValueError("must be 1-15 characters: a lower-case letter, then lower-case letters, digits or '_'")
    if v in RESERVED_QUEUES:
        raise ValueError(f"{v!r} is reserved by Slurm")
    return v


class _QueueRequest(ClusterRequest):
    QueueName: str = Field(min_length=1)
    Async: bool = False   # AddQueue, DeleteQueue, UpdateQueueConfig run Ansible: Async returns at once

    @field_validator("QueueName")
    @classmethod
    def _queue(cls, v: str) -> str:
        return check_queue_name(v)


class ListQueuesRequest(ClusterRequest):
    Async: bool = False


class AddQueueRequest(_QueueRequest):
    pass


class DeleteQueueRequest(_QueueRequest):
    pass


class UpdateQueueConfigRequest(_QueueRequest):
    ComputeInstanceType: Optional[str] = None

    @field_validator("ComputeInstanceType")
    @classmethod
    def _itype(cls, v: Optional[str]) -> Optional[str]:
        return check_instance_type(v)

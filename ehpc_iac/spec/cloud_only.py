"""The one table of parameters that only mean something on Alibaba Cloud.

E-HPC's SDKs send these with many actions (where to place, bill, network and store ECS
instances). On infrastructure you own they select nothing, so every action accepts them and
ignores them, whatever its version (2018-04-12 or 2.0), unless the action's model declares
the name itself (then the model's rule applies). A few values promise something ehpc-iac
cannot give (elastic scaling, eRDMA networking); those values are refused with InvalidParams
naming the parameter, the same way in every action.

Each entry: the parameter name (at any depth: ``DataDisks`` of AddNodes and of a 2.0
``ComputeNode`` alike) -> what it means on Alibaba Cloud, and optionally the refused values
and why. README.md ("Parameters that only mean something on Alibaba Cloud") shows this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import InvalidParams


@dataclass(frozen=True)
class CloudOnly:
    means: str
    refused: tuple[str, ...] = ()      # values (compared as lower-case strings) that are refused
    reason: str = ""


def _entries(names: str, means: str) -> dict[str, CloudOnly]:
    return {n: CloudOnly(means) for n in names.split()}


NOT_HERE = "is an Alibaba Cloud feature that is not available on infrastructure you own"

CLOUD_ONLY: dict[str, CloudOnly] = {
    **_entries("RegionId ZoneId", "the region and zone of the ECS instances"),
    **_entries("VpcId VSwitchId VSwitchIds ClusterVpcId ClusterVSwitchId SecurityGroupId SecurityGroupName "
               "IsEnterpriseSecurityGroup DnsConfig",
               "the VPC, vSwitches, security group and DNS of the instances (the engine makes the cluster's network)"),
    **_entries("AllocatePublicAddress InternetChargeType InternetMaxBandWidthIn InternetMaxBandWidthOut "
               "WithoutElasticIp", "public addresses and their bandwidth"),
    **_entries("EcsChargeType InstanceChargeType Period PeriodUnit AutoRenew AutoRenewPeriod Duration",
               "how the instances are billed and for how long"),
    **_entries("ComputeSpotStrategy ComputeSpotPriceLimit ComputeSpotDuration ComputeSpotInterruptionBehavior "
               "SpotStrategy SpotPriceLimit", "preemptible (spot) instances and their price"),
    **_entries("SystemDiskType SystemDiskSize SystemDiskLevel SystemDisk DataDisks",
               "the cloud disks of the instances (nodes use the engine's storage; shared data lives on /home "
               "and the cluster's volumes)"),
    **_entries("ComputeEnableHt EnableHT", "hyper-threading of the ECS instance type"),
    **_entries("DeploymentSetId", "an ECS deployment set (placement group)"),
    **_entries("ResourceGroupId", "the account's resource group"),
    **_entries("Tag Tags", "resource tags of the account"),
    **_entries("RamRoleName RamNodeTypes RamRole", "a RAM role attached to the instances"),
    **_entries("ClientVersion EhpcVersion ClusterVersion WithoutAgent",
               "the version of the E-HPC agent on the instances (ehpc-iac runs none)"),
    **_entries("Domain", "the cluster's private DNS domain (the engine's network resolves the host names)"),
    **_entries("WithoutNas", "whether E-HPC makes a NAS file system (/home is always the cluster's shared volume)"),
    "RemoteVisEnable": CloudOnly("E-HPC's remote visualization service", ("true",),
                                 f"the remote visualization service {NOT_HERE}; leave it false"),
    **_entries("SccClusterId", "a super computing cluster (SCC) instance family"),
    **_entries("ReservedNodePoolId", "a pool of reserved ECS instances"),
    **_entries("KeepAlive KeepAliveNodes", "protection of instances against release by auto scaling"),
    "NetworkInterfaceTrafficMode": CloudOnly("the network interface mode of the instances", ("highperformance",),
                                             f"HighPerformance (ERI/eRDMA network interfaces) {NOT_HERE}; use "
                                             "Standard"),
    "InterConnect": CloudOnly("the interconnect between a queue's compute nodes", ("erdma",),
                              f"eRDMA {NOT_HERE}; the nodes share an engine network (vpc)"),
    "HPCInterConnect": CloudOnly("the interconnect between compute nodes", ("erdma",),
                                 f"eRDMA {NOT_HERE}; the nodes share an engine network (vpc)"),
    "UseESS": CloudOnly("the Elastic Scaling Service", ("true",), f"the Elastic Scaling Service {NOT_HERE}; leave it "
                                                                   "false"),
    "IsComputeEss": CloudOnly("the Elastic Scaling Service for compute nodes", ("true",),
                              f"the Elastic Scaling Service {NOT_HERE}; leave it false"),
}


def is_cloud_only(name: str) -> bool:
    return name in CLOUD_ONLY


def check(name: str, value: Any, field: str | None = None) -> None:
    """InvalidParams naming ``field`` (default ``name``) when ``value`` is one the table refuses."""
    entry = CLOUD_ONLY[name]
    if entry.refused and str(value).strip().lower() in entry.refused:
        raise InvalidParams(field or name, entry.reason)


def drop(data: Mapping[str, Any], declared: Any = (), prefix: str = "") -> dict[str, Any]:
    """``data`` without the cloud-only parameters the model does not declare (refused values raise)."""
    out = {}
    for key, value in data.items():
        if key in CLOUD_ONLY and key not in declared:
            check(key, value, f"{prefix}{key}")
            continue
        out[key] = value
    return out


def table_markdown() -> str:
    """The table as README.md shows it."""
    rows = ["| parameter | what it means on Alibaba Cloud | refused values |", "| --- | --- | --- |"]
    for name, e in CLOUD_ONLY.items():
        rows.append(f"| `{name}` | {e.means} | {', '.join(e.refused) or '-'} |")
    return "\n".join(rows)


__all__ = ["CLOUD_ONLY", "CloudOnly", "check", "drop", "is_cloud_only", "table_markdown"]

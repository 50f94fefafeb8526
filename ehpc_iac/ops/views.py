"""Response bodies shaped like the E-HPC reference (JSON form: lists wrapped in their item name)."""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..engines.base import EXCEPTION, MISSING, RUNNING, STOPPED, NodeOutput
from ..plan import ClusterPlan
from ..plan.model import COMPUTE_GROUP, LOGIN_GROUP, MANAGER_GROUP
from .state import ClusterRecord

LOCATION = "OnPremise"


def ecs_info(plan: ClusterPlan) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for group in (MANAGER_GROUP, COMPUTE_GROUP, LOGIN_GROUP):
        nodes = [n for n in plan.nodes if n.group == group]
        itype = nodes[0].instance_type if nodes else ""
        info[group] = {"Count": len(nodes), "InstanceType": itype}
    return info


def node_counts(plan: ClusterPlan, nodes: Mapping[str, NodeOutput], group: str) -> dict[str, int]:
    # A OneBox manager is a compute node as well, and counts in both groups.
    members = plan.computes if group == COMPUTE_GROUP else [n for n in plan.nodes if n.group == group]
    c = {"Total": len(members), "NormalCount": 0, "OperatingCount": 0, "StoppedCount": 0, "ExceptionCount": 0}
    for n in members:
        st = nodes[n.hostname].status if n.hostname in nodes else MISSING
        key = {RUNNING: "NormalCount", STOPPED: "StoppedCount", EXCEPTION: "ExceptionCount",
               MISSING: "ExceptionCount"}.get(st, "OperatingCount")
        c[key] += 1
    return c


def total_resources(plan: ClusterPlan, nodes: Mapping[str, NodeOutput]) -> dict[str, int]:
    cpu = mem = 0
    for n in plan.computes:
        out = nodes.get(n.hostname)
        cpu += out.cpus if out else n.cpus
        mem += out.memory_mb if out else n.memory_mb
    return {"Cpu": cpu, "Memory": mem, "Gpu": 0}


def _common(rec: ClusterRecord) -> dict[str, Any]:
    """Fields ClusterInfo and ClusterInfoSimple share."""
    spec, plan = rec.spec, rec.plan
    return {
        "Id": rec.id,
        "RegionId": spec.get("RegionId", "local"),
        "ZoneId": spec.get("ZoneId", ""),
        "Name": rec.name,
        "Description": rec.description,
        "Status": rec.status,
        "OsTag": spec.get("OsTag", ""),
        "AccountType": spec.get("AccountType", "nis"),
        "SchedulerType": spec.get("SchedulerType", "slurm"),
        "DeployMode": plan.deploy_mode,
        "ImageOwnerAlias": spec.get("ImageOwnerAlias") or ("self" if plan.image_id else "system"),
        "ImageId": plan.image_id or "",
        "Location": LOCATION,
        "ClientVersion": spec.get("ClientVersion") or "ehpc-iac",
        "VpcId": plan.network,
        "CreateTime": rec.create_time,
    }


def cluster_info(rec: ClusterRecord) -> dict[str, Any]:
    spec, plan = rec.spec, rec.plan
    home = next(v for v in plan.volumes if v.purpose == "home")
    return {
        **_common(rec),
        "StatusReason": rec.status_reason,
        "BaseOsTag": spec.get("OsTag", ""),
        "SecurityGroupId": "",
        "VSwitchId": plan.network,
        "VolumeType": spec.get("VolumeType", "nas"),
        "VolumeId": home.name,
        "VolumeProtocol": spec.get("VolumeProtocol", "nfs"),
        "VolumeMountpoint": home.remote_server or f"docker-volume:{home.name}",
        "RemoteDirectory": home.remote_dir,
        "HaEnable": plan.ha_enable,
        "KeyPairName": spec.get("KeyPairName", ""),
        "EcsChargeType": "PostPaid",
        "Engine": rec.engine,
        "Applications": {"ApplicationInfo": [{"Tag": a["Tag"], "Name": a["Tag"].split("_")[0],
                                              "Version": (a["Tag"].split("_") + [""])[1]}
                                             for a in spec.get("Application", [])]},
        "PostInstallScripts": {"PostInstallScriptInfo": [{"Url": p["Url"], "Args": p.get("Args", "")}
                                                         for p in spec.get("PostInstallScript", [])]},
        "EcsInfo": ecs_info(plan),
    }


def cluster_simple(rec: ClusterRecord, nodes: Optional[Mapping[str, NodeOutput]],
                   used: Optional[dict[str, int]] = None, meta: bool = False) -> dict[str, Any]:
    plan = rec.plan
    d: dict[str, Any] = {**_common(rec), "HasPlugin": False}
    if meta:
        return d
    nodes = nodes or {}
    d.update({
        "Count": len(plan.computes),
        "InstanceType": plan.computes[0].instance_type if plan.computes else "",
        "LoginNodes": json.dumps([{"Id": n.instance_id} for n in plan.logins]),
        "Managers": node_counts(plan, nodes, MANAGER_GROUP),
        "Computes": node_counts(plan, nodes, COMPUTE_GROUP),
        "TotalResources": total_resources(plan, nodes),
        "UsedResources": used or {"Cpu": 0, "Memory": 0, "Gpu": 0},
    })
    return d


def plan_view(plan: ClusterPlan) -> dict[str, Any]:
    """What a CreateCluster would make (DryRun)."""
    return {
        "DeployMode": plan.deploy_mode,
        "HaEnable": plan.ha_enable,
        "Nodes": {"NodeInfo": [{"HostName": n.hostname, "Roles": list(n.roles), "InstanceType": n.instance_type,
                                "Cpu": n.cpus, "Memory": n.memory_mb, "JobQueue": n.queue or "",
                                "Volumes": [plan.volume(v).mount_path for v in n.volumes]} for n in plan.nodes]},
        "Queues": {"QueueInfo": [{"QueueName": q.name, "Default": q.default} for q in plan.queues]},
        "Volumes": {"VolumeInfo": [{"LocalDirectory": v.mount_path, "Purpose": v.purpose,
                                    "RemoteServer": v.remote_server or "", "RemoteDirectory": v.remote_dir}
                                   for v in plan.volumes]},
    }

"""E-HPC 2.0 cluster actions: CreateCluster, GetCluster, ListClusters, DeleteCluster.

A 2.0 cluster is a manager node (scheduler, directory service, DNS) plus the compute nodes of
its queues; a login node is the ``Login`` addon. ehpc-iac makes it as the 2018 DeployMode
``Tiny`` (the manager is also the login node), or ``Simple`` (a separate login node) with the
Login addon, with one queue.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidParams
from ..ops import Ehpc
from ..spec import parse
from ..spec.autoscale import SetAutoScaleConfigRequest
from ..spec.catalog import APPLICATIONS
from .v2024_common import ANY, Args, Out, all_pages, compact, page, sliced

CLUSTER_STATUS = {"init": "initing"}      # 2018 -> 2.0 where they differ
CATEGORY, MODE = "Standard", "Integrated"

# 2.0 queue scaling fields -> SetAutoScaleConfig's Queues.N fields (set once the cluster record exists)
QUEUE_SCALING = {"EnableScaleOut": "EnableAutoGrow", "EnableScaleIn": "EnableAutoShrink", "MinCount": "MinNodesInQueue",
                 "MaxCount": "MaxNodesInQueue", "MaxCountPerCycle": "MaxNodesPerCycle"}
# Options of a node template (Manager.ManagerNode, Queues.N.ComputeNodes.N, CreateNodes' ComputeNode)
# besides InstanceType and ImageId are all in the cloud-only table (spec/cloud_only.py).
QUEUE_RULES: dict[str, tuple[Any, str]] = {
    "HostnamePrefix": ((), "the first compute nodes are named compute0, compute1 ...; CreateNodes takes a "
                           "HostnamePrefix"),
    "HostnameSuffix": ((), "the first compute nodes are named compute0, compute1 ...; CreateNodes takes a "
                           "HostnameSuffix"),
    "AllocationStrategy": (ANY, ""),
}
CLUSTER_RULES: dict[str, tuple[Any, str]] = {
    "ClusterCategory": ((CATEGORY,), "ehpc-iac makes Standard clusters; Serverless clusters are not available"),
    "ClusterMode": ((MODE,), "ehpc-iac makes every node of the cluster itself (Integrated); Hybrid and Custom "
                             "clusters are not available"),
    "DeletionProtection": (("false",), "deletion protection is not available"),
    # auto scaling limits: without auto scaling they limit nothing
    "GrowInterval": (ANY, ""), "IdleInterval": (ANY, ""), "MaxCount": (ANY, ""), "MaxCoreCount": (ANY, ""),
}


def node_template(t: Args, out: Out, instance_type_key: str) -> Any:
    """InstanceType into ``instance_type_key``; returns the template's ImageId (or None)."""
    out.set(instance_type_key, t.take("InstanceType"), t.field("InstanceType"))
    image = t.take("ImageId")
    t.done()
    return image


def _image(out: Out, image: Any, field: str) -> None:
    if image is None:
        return
    have = out.params.get("ImageId")
    if have is not None and have != image:
        raise InvalidParams(field, f"every node of an ehpc-iac cluster runs the cluster's image ({have}); "
                                   "give the same ImageId or leave it out")
    out.set("ImageId", image, field)


def _manager(m: Args, out: Out) -> None:
    for part, key in (("Scheduler", "SchedulerType"), ("DirectoryService", "AccountType"), ("DNS", None)):
        sub = m.obj(part)
        kind = sub.take("Type")
        if key:
            out.set(key, None if kind is None else str(kind).lower(), sub.field("Type"))
        elif kind is not None and str(kind).upper() != "NIS":
            raise InvalidParams(sub.field("Type"), "names are resolved as with NIS; only NIS is accepted")
        sub.ignore("Version")     # the version is the one in the nodes' image
        sub.done()
    node = m.obj("ManagerNode")
    _image(out, node_template(node, out, "EcsOrder.Manager.InstanceType"), node.field("ImageId"))
    m.done()


def _queues(queues: list[Args], out: Out) -> dict[str, Any]:
    """The queue into CreateCluster's parameters; returns its scaling settings (SetAutoScaleConfig), if any."""
    if len(queues) > 1:
        raise InvalidParams(queues[1].prefix, "ehpc-iac creates a cluster with one queue")
    scaling: dict[str, Any] = {}
    for q in queues:
        scaling = _queue_scaling(q)
        out.set("JobQueue", q.take("QueueName"), q.field("QueueName"))
        out.set("EcsOrder.Compute.Count", q.take("InitialCount"), q.field("InitialCount"))
        nodes = q.objs("ComputeNodes")
        if len(nodes) > 1:
            raise InvalidParams(nodes[1].prefix, "a queue of an ehpc-iac cluster has one instance type")
        for t in nodes:
            _image(out, node_template(t, out, "EcsOrder.Compute.InstanceType"), t.field("ImageId"))
        q.policy(QUEUE_RULES)
        q.done()
    return scaling


def _queue_scaling(q: Args) -> dict[str, Any]:
    """EnableScaleOut/In, MinCount, MaxCount, MaxCountPerCycle, checked now (before anything is made)."""
    fields = {name: q.take(name) for name in QUEUE_SCALING}
    given = {QUEUE_SCALING[k]: v for k, v in fields.items() if v is not None}
    if not given:
        return {}
    entry = {"QueueName": q.data.get("QueueName") or "comp", **given}
    try:
        parse(SetAutoScaleConfigRequest, {"ClusterId": "ehpc-lo-0000000000", "Queues": [entry]})
    except InvalidParams as exc:
        back = {f"Queues.1.{v}": q.field(k) for k, v in QUEUE_SCALING.items()}
        raise InvalidParams(back.get(exc.field or "", q.prefix), exc.reason) from None
    return entry


def _storages(storages: list[Args], out: Out) -> None:
    """The one mounted on /home is the cluster's home volume; the others are additional volumes."""
    extra = 0
    for s in storages:
        mount = s.take("MountDirectory")
        if mount is None:
            raise InvalidParams(s.field("MountDirectory"), "this parameter is required")
        if mount == "/home" and "VolumeProtocol" not in out.params:
            key = "Volume{}"
            remote_dir = "RemoteDirectory"
        else:
            extra += 1
            key = f"AdditionalVolumes.{extra}.Volume{{}}"
            remote_dir = f"AdditionalVolumes.{extra}.RemoteDirectory"
            out.set(f"AdditionalVolumes.{extra}.LocalDirectory", mount, s.field("MountDirectory"))
        protocol = s.take("ProtocolType", "nfs")
        out.set(key.format("Protocol"), str(protocol).lower(), s.field("ProtocolType"))
        out.set(key.format("Id"), s.take("FileSystemId"), s.field("FileSystemId"))
        out.set(key.format("Mountpoint"), s.take("MountTargetDomain"), s.field("MountTargetDomain"))
        out.set(key.format("MountOption"), s.take("MountOptions"), s.field("MountOptions"))
        out.set(remote_dir, s.take("NASDirectory"), s.field("NASDirectory"))
        s.done()


def _packages(packages: list[Args], out: Out) -> None:
    """AdditionalPackages {Name, Version} -> Application.N.Tag of the catalog (``Name_Version`` or ``Name``)."""
    known = {tag.lower(): tag for tag in APPLICATIONS}
    for i, p in enumerate(packages, start=1):
        name, version = p.take("Name"), p.take("Version")
        if name is None:
            raise InvalidParams(p.field("Name"), "this parameter is required")
        wanted = f"{name}_{version}" if version else str(name)
        tag = known.get(wanted.lower())
        if tag is None:
            raise InvalidParams(p.field("Version" if version else "Name"),
                                f"no package {wanted!r}; known: {', '.join(sorted(APPLICATIONS))}")
        out.set(f"Application.{i}.Tag", tag, p.field("Name"))
        p.done()


def _addons(addons: list[Args], out: Out) -> None:
    """The Login addon: a login node besides the manager (DeployMode Simple)."""
    out.set("DeployMode", "Tiny")
    for a in addons:
        name = a.take("Name")
        if str(name) != "Login":
            raise InvalidParams(a.field("Name"), "the one addon available is Login (a login node)")
        out.set("DeployMode", "Simple", a.field("Name"))
        out.set("EcsOrder.Login.Count", 1, a.prefix)
        spec = a.take("ResourcesSpec")
        try:
            spec = json.loads(spec) if isinstance(spec, str) else (spec or {})
            itype = ((spec.get("EcsResources") or [{}])[0]).get("InstanceType")
        except (ValueError, AttributeError, IndexError, TypeError):
            raise InvalidParams(a.field("ResourcesSpec"), "must be a JSON object with EcsResources") from None
        out.set("EcsOrder.Login.InstanceType", itype, a.field("ResourcesSpec"))
        a.ignore("Version", "ServicesSpec")
        a.done()


def create_cluster(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(Async=True)
    for key, name in (("Name", "ClusterName"), ("Description", "ClusterDescription"),
                      ("ClientVersion", "ClientVersion")):
        out.set(key, a.take(name), name)
    creds = a.obj("ClusterCredentials")
    for key in ("Password", "KeyPairName"):
        out.set(key, creds.take(key), creds.field(key))
    creds.done()
    custom = a.obj("ClusterCustomConfiguration")
    script, script_args = custom.take("Script"), custom.take("Args")
    if script_args is not None and script is None:
        raise InvalidParams(custom.field("Script"), "Args needs a Script")
    out.set("PostInstallScript.1.Url", script, custom.field("Script"))
    out.set("PostInstallScript.1.Args", script_args if script else None, custom.field("Args"))
    custom.done()
    _manager(a.obj("Manager"), out)
    scaling = _queues(a.objs("Queues"), out)
    _storages(a.objs("SharedStorages"), out)
    _packages(a.objs("AdditionalPackages"), out)
    addons = a.objs("Addons")
    if len(addons) > 1:
        raise InvalidParams(addons[1].prefix, "one addon at most")
    _addons(addons, out)
    a.policy(CLUSTER_RULES)
    a.done()
    with out.errors_named():
        r = ehpc.create_cluster(out.params)
    if str(scaling.get("EnableAutoGrow")).lower() == "true" or str(scaling.get("EnableAutoShrink")).lower() == "true":
        # the settings the scaler acts on once the cluster runs (without either, MaxCount & co. mean nothing)
        ehpc.set_auto_scale_config({"ClusterId": r["ClusterId"], "Queues": [scaling]})
    return {"RequestId": r["RequestId"], "ClusterId": r["ClusterId"], "TaskId": r["TaskId"], "Success": True}


# --- reads ---------------------------------------------------------------------------------------
def _services(info: dict[str, Any]) -> dict[str, Any]:
    return {"Scheduler": {"Type": info["SchedulerType"].upper()},
            "DirectoryService": {"Type": info["AccountType"].upper()},
            "DNS": {"Type": "NIS"}}


def get_cluster(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    cid = a.take("ClusterId")
    a.done()
    info = ehpc.describe_cluster(Out(ClusterId=cid).params)["ClusterInfo"]
    managers = ehpc.list_nodes_no_paging({"ClusterId": info["Id"], "Role": "Scheduler"})["Nodes"]["NodeInfo"]
    manager = managers[0] if managers else {}
    scripts = info["PostInstallScripts"]["PostInstallScriptInfo"]
    return compact({
        "ClusterId": info["Id"], "ClusterName": info["Name"], "ClusterStatus": cluster_status(info["Status"]),
        "ClusterCategory": CATEGORY, "ClusterMode": MODE, "ClusterCreateTime": info["CreateTime"],
        "ClusterVpcId": info["VpcId"], "ClusterVSwitchId": info["VSwitchId"],
        "ClientVersion": info["ClientVersion"], "DeleteProtection": "false",
        "ClusterCustomConfiguration": {"Script": scripts[0]["Url"], "Args": scripts[0]["Args"]} if scripts else {},
        "Manager": {**_services(info), "ManagerNode": {
            "InstanceId": manager.get("Id"), "InstanceType": info["EcsInfo"]["Manager"]["InstanceType"],
            "ImageId": info["ImageId"], "InstanceChargeType": info["EcsChargeType"],
            "SpotStrategy": manager.get("SpotStrategy"), "EnableHt": manager.get("HtEnabled")}},
    })


def cluster_status(status: str) -> str:
    return CLUSTER_STATUS.get(status, status)


def _listed(c: dict[str, Any]) -> dict[str, Any]:
    computes = c["Computes"]
    return compact({
        "ClusterId": c["Id"], "ClusterName": c["Name"], "ClusterDescription": c["Description"],
        "ClusterStatus": cluster_status(c["Status"]), "ClusterCategory": CATEGORY, "ClusterMode": MODE,
        "ClusterCreateTime": c["CreateTime"], "ClusterVpcId": c["VpcId"], "DeletionProtection": False,
        "Manager": _services(c),
        "Nodes": {"RunningCounts": computes["NormalCount"], "CreatingCounts": computes["OperatingCount"],
                  "AbnormalCounts": computes["ExceptionCount"]},
    })


def list_clusters(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    ids, names = set(a.strings("ClusterIds")), set(a.strings("ClusterNames"))
    number, size = page(a, 50)
    a.done()
    clusters = all_pages(lambda n, s: ehpc.list_clusters({"PageNumber": n, "PageSize": s}),
                         ("Clusters", "ClusterInfoSimple"))
    clusters = [c for c in clusters if (not ids or c["Id"] in ids) and (not names or c["Name"] in names)]
    return {"TotalCount": len(clusters), "PageNumber": str(number), "PageSize": size,
            "Clusters": [_listed(c) for c in sliced(clusters, number, size)]}


def delete_cluster(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    cid = a.take("ClusterId")
    a.done()
    r = ehpc.delete_cluster(Out(ClusterId=cid, Async=True).params)
    return {"RequestId": r["RequestId"], "TaskId": r["TaskId"], "Success": True}


ACTIONS = {"CreateCluster": create_cluster, "GetCluster": get_cluster, "ListClusters": list_clusters,
           "DeleteCluster": delete_cluster}

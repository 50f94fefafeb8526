"""E-HPC 2.0 node and user actions: CreateNodes, DeleteNodes, ListNodes, CreateUsers, ListUsers."""
from __future__ import annotations

from typing import Any

from ..ops import Ehpc
from .v2024_clusters import node_template
from .v2024_common import Args, Out, compact, page, sliced

NODE_STATUS = {"init": "initing", "installing": "uninit"}    # 2018 -> 2.0 where they differ
SORT_KEYS = {"addedtime": "AddTime", "hostname": "HostName"}
CREATE_NODES_RULES: dict[str, tuple[Any, str]] = {
    "Hostnames": ((), "host names are made from HostnamePrefix, a number and HostnameSuffix; a list of names "
                      "is not available"),
}


def create_nodes(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(Async=True)
    for key, name in (("ClusterId", "ClusterId"), ("Count", "Count"), ("MinCount", "MinCount"),
                      ("JobQueue", "QueueName"), ("HostNamePrefix", "HostnamePrefix"),
                      ("HostNameSuffix", "HostnameSuffix")):
        out.set(key, a.take(name), name)
    template = a.obj("ComputeNode")
    out.set("ImageId", node_template(template, out, "InstanceType"), template.field("ImageId"))
    a.policy(CREATE_NODES_RULES)
    a.done()
    with out.errors_named():
        r = ehpc.add_nodes(out.params)
    return {"RequestId": r["RequestId"], "InstanceIds": r["InstanceIds"]["InstanceId"], "Success": True}


def delete_nodes(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"), Async=True)
    out.ids("Instance", a, "InstanceIds")
    a.done()
    with out.errors_named():
        r = ehpc.delete_nodes(out.params)
    return {"RequestId": r["RequestId"], "TaskId": r["TaskId"], "Success": True}


def _node(n: dict[str, Any]) -> dict[str, Any]:
    res = n["TotalResources"]
    return compact({
        "Id": n["Id"], "Hostname": n["HostName"], "Status": NODE_STATUS.get(n["Status"], n["Status"]),
        "StateInSched": n["SchedulerState"], "IpAddress": n["PrivateIpAddress"], "InstanceType": n["InstanceType"],
        "QueueName": n["JobQueue"], "AddTime": n["AddTime"], "ImageId": n["ImageId"], "HtEnabled": n["HtEnabled"],
        "SpotStrategy": n["SpotStrategy"], "KeepAlive": False, "VpcId": n["VpcId"], "VSwitchId": n["VSwitchId"],
        "ZoneId": n["ZoneId"],
        "TotalResources": {"Cpu": res["Cpu"], "Memory": round(res["Memory"] / 1024), "Gpu": res["Gpu"]},  # GiB
    })


def list_nodes(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    """The compute nodes (2.0 shows the manager in GetCluster), filtered, sorted and paged here."""
    a = Args.of(params)
    cid = a.take("ClusterId")
    filters = {key: set(a.strings(name)) for key, name in (("Hostname", "Hostnames"), ("IpAddress", "PrivateIpAddress"),
                                                             ("QueueName", "QueueNames"), ("Status", "Status"))}
    sort_by = str(a.only("SortBy", SORT_KEYS, "must be AddedTime or HostName") or "addedtime").lower()
    backward = str(a.only("Sequence", ("Forward", "Backward"), "must be Forward or Backward") or "").lower() \
        == "backward"
    number, size = page(a, 100)
    a.done()
    views = ehpc.list_nodes_no_paging(Out(ClusterId=cid, Role="Compute").params)["Nodes"]["NodeInfo"]
    views = sorted(views, key=lambda v: v[SORT_KEYS[sort_by]], reverse=backward)
    nodes = [_node(v) for v in views]
    nodes = [n for n in nodes if all(not want or n.get(key) in want for key, want in filters.items())]
    return {"TotalCount": len(nodes), "PageNumber": number, "PageSize": size, "Nodes": sliced(nodes, number, size)}


def create_users(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"), Async=True)
    out.name("User", "User")
    for i, u in enumerate(a.objs("User"), start=1):
        for key, name in (("Name", "UserName"), ("Password", "Password"), ("Group", "Group")):
            out.set(f"User.{i}.{key}", u.take(name), u.field(name))
        u.only("AuthKey", (), "users log in with their password; key-only accounts are not available")
        u.done()
    a.done()
    with out.errors_named():
        r = ehpc.add_users(out.params)
    return {"RequestId": r["RequestId"]}


def list_users(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"), PageNumber=a.take("PageNumber"), PageSize=a.take("PageSize"))
    a.done()
    r = ehpc.list_users(out.params)
    users = [{"UserName": u["Name"], "Group": u["Group"], "GroupId": u["GroupId"], "UserId": u["UserId"],
              "AddTime": u["AddTime"]} for u in r["Users"]["UserInfo"]]
    return {"TotalCount": r["TotalCount"], "PageNumber": r["PageNumber"], "PageSize": r["PageSize"],
            "Users": {"UserInfo": users}}


ACTIONS = {"CreateNodes": create_nodes, "DeleteNodes": delete_nodes, "ListNodes": list_nodes,
           "CreateUsers": create_users, "ListUsers": list_users}

import pytest

from ehpc_iac.errors import ComputeNotFound, ConfigureError, ConflictOpt, InvalidClusterStatus, InvalidParams


def cluster(ehpc, **kw):
    return ehpc.create_cluster({"Name": "n1", "DeployMode": "Simple", "EcsOrder.Compute.Count": 1, **kw})["ClusterId"]


def hosts(ehpc, cid, role=None):
    return [n["HostName"] for n in ehpc.list_nodes_no_paging(ClusterId=cid, Role=role)["Nodes"]["NodeInfo"]]


def test_add_nodes_returns_ids_and_configures_only_new_nodes(ehpc, fake, conf, slurm):
    cid = cluster(ehpc)
    resp = ehpc.add_nodes(ClusterId=cid, Count=2, InstanceType="ecs.n1.medium")
    ids = resp["InstanceIds"]["InstanceId"]
    assert len(ids) == 2 and all(i.startswith("i-") for i in ids)
    assert hosts(ehpc, cid, "Compute") == ["compute0", "compute1", "compute2"]
    assert conf.calls[-1]["limit"] == ["compute1", "compute2", "manager0"]
    nodes = {n["HostName"]: n for n in ehpc.list_nodes(ClusterId=cid, PageSize=50)["Nodes"]["NodeInfo"]}
    assert nodes["compute2"]["InstanceType"] == "ecs.n1.medium" and nodes["compute2"]["Status"] == "running"
    assert nodes["compute2"]["TotalResources"]["Cpu"] == 2 and nodes["compute2"]["JobQueue"] == "comp"
    assert set(fake.machines[cid]) == {"manager0", "login0", "compute0", "compute1", "compute2"}


def test_add_nodes_prefix_suffix_token_and_bad_input(ehpc, fake, slurm):
    cid = cluster(ehpc)
    a = ehpc.add_nodes(ClusterId=cid, Count=1, HostNamePrefix="big", HostNameSuffix="-x", ClientToken="t1")
    b = ehpc.add_nodes(ClusterId=cid, Count=1, HostNamePrefix="big", HostNameSuffix="-x", ClientToken="t1")
    assert a["InstanceIds"] == b["InstanceIds"] and "big0-x" in hosts(ehpc, cid)
    assert len(hosts(ehpc, cid, "Compute")) == 2
    for bad, field in (({"Count": 0}, "Count"), ({"Count": 100}, "Count"), ({"Count": 1, "JobQueue": "nope"}, "JobQueue"),
                       ({"Count": 1, "InstanceType": "ecs.huge"}, "InstanceType"),
                       ({"Count": 1, "HostNamePrefix": "Bad_Prefix"}, "HostNamePrefix"),
                       ({"Count": 2, "MinCount": 3}, "MinCount"), ({"Count": 1, "ImageId": "other"}, "ImageId")):
        with pytest.raises(InvalidParams) as ei:
            ehpc.add_nodes(ClusterId=cid, **bad)
        assert ei.value.field == field, (bad, ei.value.message)
    assert len(hosts(ehpc, cid, "Compute")) == 2  # nothing changed


def test_failed_add_rolls_back(ehpc, fake, conf, slurm):
    cid = cluster(ehpc)
    conf.fail = "slurmd did not register"
    with pytest.raises(ConfigureError):
        ehpc.add_nodes(ClusterId=cid, Count=2)
    assert hosts(ehpc, cid, "Compute") == ["compute0"]
    assert set(fake.machines[cid]) == {"manager0", "login0", "compute0"}
    assert slurm.deleted == ["compute1", "compute2"]
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_delete_nodes_drains_waits_then_removes(ehpc, fake, slurm):
    cid = cluster(ehpc, **{"EcsOrder.Compute.Count": 2})
    node = next(n for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"] if n["HostName"] == "compute1")
    slurm.jobs["compute1"] = 3  # busy for three polls
    steps = []
    ehpc.delete_nodes({"ClusterId": cid, "Instance.1.Id": node["Id"]}, progress=steps.append)
    assert slurm.drained == ["compute1"] and slurm.deleted == ["compute1"]
    assert any("waiting for running jobs" in s for s in steps)
    assert hosts(ehpc, cid, "Compute") == ["compute0"] and "compute1" not in fake.machines[cid]


def test_delete_nodes_bad_input(ehpc, fake, slurm):
    cid = cluster(ehpc)
    mgr = next(n["Id"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"] if n["HostName"] == "manager0")
    with pytest.raises(ComputeNotFound) as ei:
        ehpc.delete_nodes({"ClusterId": cid, "Instance.1.Id": "i-doesnotexist"})
    assert ei.value.http_status == 404 and ei.value.field == "Instance.1.Id"
    with pytest.raises(InvalidParams) as ei:
        ehpc.delete_nodes({"ClusterId": cid, "Instance.1.Id": mgr})
    assert ei.value.field == "Instance.1.Id" and "Compute" in ei.value.message
    with pytest.raises(InvalidParams):
        ehpc.delete_nodes({"ClusterId": cid})
    assert len(hosts(ehpc, cid)) == 3


def test_stop_start_reset_nodes(ehpc, fake, conf, slurm):
    cid = cluster(ehpc)
    nid = next(n["Id"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"] if n["HostName"] == "compute0")
    ehpc.stop_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert fake.machines[cid]["compute0"].status == "stopped" and slurm.drained == ["compute0"]
    st = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert st["compute0"] == "stopped" and st["manager0"] == "running"
    ehpc.start_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert fake.machines[cid]["compute0"].status == "running" and slurm.resumed == ["compute0"]
    before = fake.machines[cid]["compute0"]
    ehpc.reset_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert fake.machines[cid]["compute0"] is not before  # re-created
    assert conf.calls[-1]["limit"] == ["compute0", "manager0"]


def test_recover_cluster(ehpc, fake, conf, slurm):
    cid = cluster(ehpc)
    del fake.machines[cid]["compute0"]
    fake.machines[cid]["login0"].status = "stopped"
    slurm.states = {"compute0": "down", "manager0": "idle"}
    assert {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}["compute0"] \
        == "exception"
    ehpc.recover_cluster(ClusterId=cid)
    assert set(fake.machines[cid]) == {"manager0", "login0", "compute0"}
    assert fake.machines[cid]["login0"].status == "running" and slurm.resumed == ["compute0"]
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"
    with pytest.raises(InvalidParams) as ei:
        ehpc.recover_cluster(ClusterId=cid, SchedulerType="pbs")
    assert ei.value.field == "SchedulerType"
    with pytest.raises(InvalidParams) as ei:
        ehpc.recover_cluster(ClusterId=cid, ImageId="other:img")
    assert ei.value.field == "ImageId"


def test_list_filters_paging_and_queue(ehpc, slurm):
    cid = cluster(ehpc, **{"EcsOrder.Compute.Count": 3})
    r = ehpc.list_nodes(ClusterId=cid, Role="Compute", PageSize=2, PageNumber=2)
    assert r["TotalCount"] == 3 and [n["HostName"] for n in r["Nodes"]["NodeInfo"]] == ["compute2"]
    assert [n["HostName"] for n in ehpc.list_nodes(ClusterId=cid, HostNamePrefix="log")["Nodes"]["NodeInfo"]] \
        == ["login0"]
    assert ehpc.list_nodes(ClusterId=cid, HostName="compute1")["TotalCount"] == 1
    assert ehpc.list_nodes(ClusterId=cid, OnlyDetached=True)["TotalCount"] == 0
    back = ehpc.list_nodes_no_paging(ClusterId=cid, Sequence="backward")["Nodes"]["NodeInfo"]
    assert back[0]["HostName"] == "compute2"
    q = ehpc.list_nodes_by_queue(ClusterId=cid, QueueName="comp")
    assert q["TotalCount"] == 3
    with pytest.raises(InvalidParams) as ei:
        ehpc.list_nodes_by_queue(ClusterId=cid, QueueName="nope")
    assert ei.value.field == "QueueName"
    with pytest.raises(InvalidParams) as ei:
        ehpc.list_nodes(ClusterId=cid, Role="Boss")
    assert ei.value.field == "Role"


def test_node_ops_need_a_running_cluster(ehpc, slurm):
    cid = cluster(ehpc)
    ehpc.stop_cluster(ClusterId=cid)
    with pytest.raises(InvalidClusterStatus):
        ehpc.add_nodes(ClusterId=cid, Count=1)


def test_async_add_nodes_then_conflict(ehpc, fake, conf, slurm):
    import threading
    gate, entered = threading.Event(), threading.Event()
    real = conf.configure

    def slow(*a, **kw):
        entered.set()
        gate.wait(10)
        return real(*a, **kw)

    cid = cluster(ehpc)
    conf.configure = slow
    resp = ehpc.add_nodes(ClusterId=cid, Count=1, Async=True)
    assert entered.wait(5) and len(resp["InstanceIds"]["InstanceId"]) == 1
    st = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert st["compute1"] == "init"
    with pytest.raises(ConflictOpt):
        ehpc.add_nodes(ClusterId=cid, Count=1)
    gate.set()
    assert ehpc.wait_operation(cid, resp["TaskId"], timeout=10)["message"] == "AddNodes succeeded"
    assert {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}["compute1"] \
        == "running"

"""ListQueues, AddQueue, DeleteQueue, UpdateQueueConfig with the fake engine and configurator."""
from dataclasses import replace

import pytest

from ehpc_iac.errors import (ConfigureError, ConflictOpt, EngineError, InvalidClusterStatus, InvalidOpt,
                             InvalidParams, ObjectNotFound)
from ehpc_iac.ops.lock import cluster_lock


def create(ehpc, mode="Standard", **kw):
    return ehpc.create_cluster({"Name": "demo", "DeployMode": mode, "EcsOrder.Compute.Count": 2,
                                "EcsOrder.Compute.InstanceType": "ecs.n1.small", **kw})["ClusterId"]


def queues(ehpc, cid):
    return {q["QueueName"]: q for q in ehpc.list_queues(ClusterId=cid)["Queues"]["QueueInfo"]}


def plan(ehpc, cid):
    return ehpc.state.get_cluster(cid).plan


def test_list_queues_shape(ehpc):
    cid = create(ehpc, JobQueue="work")
    resp = ehpc.list_queues({"ClusterId": cid, "Async": "true"})
    assert set(resp) == {"RequestId", "Queues"}
    assert resp["Queues"]["QueueInfo"] == [{"QueueName": "work", "Type": "Execution", "ResourceGroupId": "",
                                            "ComputeInstanceType": "ecs.n1.small", "Default": True,
                                            "Nodes": ["compute0", "compute1"]}]


def test_add_queue_runs_ansible_on_the_slurm_hosts(ehpc, conf):
    cid = create(ehpc)
    resp = ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    assert set(resp) == {"RequestId"}
    call = conf.calls[-1]
    assert call["playbook"] == "cluster.yml"
    assert sorted(call["limit"]) == ["compute0", "compute1", "login0", "scheduler0"]  # not account0
    assert [q.name for q in call["plan"].queues] == ["comp", "gpu"]
    assert call["users"] == ()
    got = queues(ehpc, cid)
    assert got["gpu"] == {"QueueName": "gpu", "Type": "Execution", "ResourceGroupId": "",
                          "ComputeInstanceType": "ecs.n1.small", "Default": False, "Nodes": []}
    assert got["comp"]["Default"] is True
    logs = [l["message"] for l in ehpc.state.logs(cid) if l["operation"] == "AddQueue"]
    assert logs == ["AddQueue started", "adding the Slurm partition gpu (Slurm configuration on 4 node(s))",
                    "AddQueue succeeded"]


def test_users_are_kept_when_the_account_host_is_configured(ehpc, conf):
    """Tiny: manager0 is account server and scheduler; the run must keep the NIS users."""
    cid = create(ehpc, mode="Tiny")
    ehpc.add_users(ClusterId=cid, User=[{"Name": "alice", "Password": "Alic3!pass"}])
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    assert sorted(conf.calls[-1]["limit"]) == ["compute0", "compute1", "manager0"]
    assert [u["name"] for u in conf.calls[-1]["users"]] == ["alice"]


def test_add_queue_refusals_change_nothing(ehpc, conf):
    cid = create(ehpc)
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    before, calls = plan(ehpc, cid), len(conf.calls)
    with pytest.raises(InvalidParams) as ei:
        ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    assert ei.value.field == "QueueName" and "already exists" in ei.value.message
    for bad in ("GPU", "1gpu", "a-b", "x" * 16, "default", ""):
        with pytest.raises(InvalidParams) as ei:
            ehpc.add_queue(ClusterId=cid, QueueName=bad)
        assert ei.value.field == "QueueName", bad
    with pytest.raises(InvalidParams) as ei:
        ehpc.add_queue(ClusterId=cid)
    assert ei.value.field == "QueueName"
    for field, value in (("UseESS", True), ("NetworkInterfaceTrafficMode", "HighPerformance"), ("Color", "red")):
        with pytest.raises(InvalidParams) as ei:
            ehpc.add_queue(ClusterId=cid, QueueName="cpu", **{field: value})
        assert ei.value.field == field
    assert plan(ehpc, cid) == before and len(conf.calls) == calls
    # what describes this project is accepted; cloud-only placement (spec/cloud_only.py) is ignored
    ehpc.add_queue(ClusterId=cid, QueueName="cpu", UseESS=False, NetworkInterfaceTrafficMode="Standard",
                   DeploymentSetId="ds-123")
    assert list(queues(ehpc, cid)) == ["comp", "gpu", "cpu"]


def test_delete_queue(ehpc, conf):
    cid = create(ehpc)
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    ehpc.delete_queue(ClusterId=cid, QueueName="gpu")
    assert list(queues(ehpc, cid)) == ["comp"]
    assert [q.name for q in conf.calls[-1]["plan"].queues] == ["comp"]
    assert sorted(conf.calls[-1]["limit"]) == ["compute0", "compute1", "login0", "scheduler0"]


def test_delete_queue_refusals(ehpc, conf):
    cid = create(ehpc)
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    calls = len(conf.calls)
    with pytest.raises(InvalidOpt) as ei:
        ehpc.delete_queue(ClusterId=cid, QueueName="comp")
    assert ei.value.field == "QueueName" and "default queue" in ei.value.message
    assert (ei.value.code, ei.value.http_status, ei.value.exit_code) == ("InvalidOpt", 403, 2)
    with pytest.raises(ObjectNotFound) as ei:
        ehpc.delete_queue(ClusterId=cid, QueueName="nope")
    assert ei.value.field == "QueueName" and "nope" in ei.value.message and ei.value.http_status == 404
    # a queue that still serves compute nodes (as AddNodes with JobQueue=gpu leaves it)
    p = plan(ehpc, cid)
    nodes = tuple(replace(n, queue="gpu") if n.hostname == "compute1" else n for n in p.nodes)
    ehpc.state.update_cluster(cid, plan=p.replace(nodes=nodes))
    with pytest.raises(InvalidOpt) as ei:
        ehpc.delete_queue(ClusterId=cid, QueueName="gpu")
    assert "compute1" in ei.value.message and ei.value.field == "QueueName"
    assert queues(ehpc, cid)["gpu"]["Nodes"] == ["compute1"]
    assert len(conf.calls) == calls and list(queues(ehpc, cid)) == ["comp", "gpu"]


@pytest.mark.parametrize("op", ["add_queue", "delete_queue"])
def test_failed_ansible_restores_the_plan(ehpc, conf, op):
    cid = create(ehpc)
    if op == "delete_queue":
        ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    before = plan(ehpc, cid)
    conf.fail = "slurmctld: reconfigure failed"
    with pytest.raises(ConfigureError):
        getattr(ehpc, op)(ClusterId=cid, QueueName="gpu")
    assert plan(ehpc, cid) == before
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"
    conf.fail = None
    getattr(ehpc, op)(ClusterId=cid, QueueName="gpu")


def test_stopped_node_refuses_and_restores(ehpc, fake, conf):
    cid = create(ehpc)
    fake.machines[cid]["compute1"].status = "stopped"
    before, calls = plan(ehpc, cid), len(conf.calls)
    with pytest.raises(EngineError) as ei:
        ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    assert "compute1" in ei.value.message
    assert plan(ehpc, cid) == before and len(conf.calls) == calls


def test_plan_changed_meanwhile_is_not_overwritten(ehpc, fake, conf):
    """The new queues are applied to the plan as stored once the lock is held (a node added by a
    writer that finished in between is kept)."""
    cid = create(ehpc)
    real = ehpc._operation

    def racing(rec, operation, body, **kw):
        p = plan(ehpc, cid)
        ehpc.state.update_cluster(cid, plan=p.replace(nodes=p.nodes + (replace(p.nodes[-1], hostname="compute9"),)))
        fake.machines[cid]["compute9"] = replace(fake.machines[cid]["compute1"], hostname="compute9")
        return real(rec, operation, body, **kw)

    ehpc._operation = racing
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    p = plan(ehpc, cid)
    assert "compute9" in [n.hostname for n in p.nodes] and [q.name for q in p.queues] == ["comp", "gpu"]


def test_update_queue_config(ehpc, conf):
    cid = create(ehpc)
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    calls = len(conf.calls)
    resp = ehpc.update_queue_config(ClusterId=cid, QueueName="gpu", ComputeInstanceType="ecs.g5.large",
                                    ResourceGroupId="", NetworkInterfaceTrafficMode="Standard")
    assert set(resp) == {"RequestId"}
    got = queues(ehpc, cid)
    assert got["gpu"]["ComputeInstanceType"] == "ecs.g5.large" and got["comp"]["ComputeInstanceType"] == "ecs.n1.small"
    assert next(q for q in plan(ehpc, cid).queues if q.name == "gpu").instance_type == "ecs.g5.large"
    assert len(conf.calls) == calls  # nothing to do on the nodes
    before = plan(ehpc, cid)
    for kw, field in (({"ComputeInstanceType": "ecs.huge"}, "ComputeInstanceType"),
                      ({"NetworkInterfaceTrafficMode": "HighPerformance"}, "NetworkInterfaceTrafficMode")):
        with pytest.raises(InvalidParams) as ei:
            ehpc.update_queue_config(ClusterId=cid, QueueName="gpu", **kw)
        assert ei.value.field == field
    with pytest.raises(ObjectNotFound) as ei:
        ehpc.update_queue_config(ClusterId=cid, QueueName="nope", ComputeInstanceType="ecs.n1.tiny")
    assert ei.value.field == "QueueName"
    assert plan(ehpc, cid) == before
    ehpc.update_queue_config(ClusterId=cid, QueueName="gpu", ResourceGroupId="rg-acfm123", DeploymentSetId="ds-1")
    assert plan(ehpc, cid) == before          # cloud-only: accepted, ignored
    ehpc.stop_cluster(ClusterId=cid)  # a plan-only change: allowed while stopped
    ehpc.update_queue_config(ClusterId=cid, QueueName="comp", ComputeInstanceType="ecs.n1.medium")
    assert queues(ehpc, cid)["comp"]["ComputeInstanceType"] == "ecs.n1.medium"


def test_status_conflict_and_unknown_cluster(ehpc):
    cid = create(ehpc)
    with cluster_lock(ehpc.home / "locks", cid, "AddNodes"):
        with pytest.raises(ConflictOpt):
            ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    ehpc.stop_cluster(ClusterId=cid)
    for op, kw in (("add_queue", {"QueueName": "gpu"}), ("delete_queue", {"QueueName": "gpu"})):
        with pytest.raises(InvalidClusterStatus):
            getattr(ehpc, op)(ClusterId=cid, **kw)
    assert list(queues(ehpc, cid)) == ["comp"]  # reads work in any status
    from ehpc_iac.errors import ClusterNotFound
    with pytest.raises(ClusterNotFound):
        ehpc.list_queues(ClusterId="ehpc-lo-0000000000")

import json
import threading

import pytest

from ehpc_iac.errors import (ClusterNotFound, ConfigureError, ConflictOpt, EngineError, InvalidClusterStatus,
                             InvalidParams)
from ehpc_iac.ops.lock import cluster_lock


def resp_id(ehpc, cid):
    return ehpc.state.logs(cid)[0]["request_id"]


def create(ehpc, **kw):
    return ehpc.create_cluster({"Name": "demo", "DeployMode": "Standard", **kw})["ClusterId"]


def test_create_describe_list(ehpc, fake, conf):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 2}})
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Id"] == cid and info["Status"] == "running" and info["DeployMode"] == "Standard"
    assert info["EcsInfo"]["Compute"] == {"Count": 2, "InstanceType": "ecs.n1.tiny"}
    assert info["EcsInfo"]["Manager"]["Count"] == 2  # account0 + scheduler0
    assert info["EcsInfo"]["Login"]["Count"] == 1
    lst = ehpc.list_clusters()
    assert lst["TotalCount"] == 1
    simple = lst["Clusters"]["ClusterInfoSimple"][0]
    assert simple["Computes"]["Total"] == 2 and simple["Computes"]["NormalCount"] == 2
    assert json.loads(simple["LoginNodes"])[0]["Id"].startswith("i-")
    meta = ehpc.list_clusters_meta(PageSize=5)["Clusters"]["ClusterInfoSimple"][0]
    assert meta["Id"] == cid and "Computes" not in meta
    assert len(conf.calls) == 1 and set(conf.calls[0]["nodes"]) == {"account0", "scheduler0", "login0",
                                                                    "compute0", "compute1"}
    logs = ehpc.state.logs(cid)
    assert [l["message"] for l in logs] == ["CreateCluster started", "creating 5 node(s) with the docker engine",
                                            "configuring nodes (Ansible)", "cluster is running",
                                            "CreateCluster succeeded"]
    assert {l["request_id"] for l in logs} == {resp_id(ehpc, cid)}


def test_password_only_as_hash(ehpc, conf, tmp_path):
    cid = create(ehpc, Password="Sup3r!secret")
    assert conf.calls[0]["root_password_hash"].startswith("$6$")
    db = (tmp_path / "home" / "state.db").read_bytes()
    assert b"Sup3r!secret" not in db
    assert "Sup3r" not in json.dumps(ehpc.describe_cluster(ClusterId=cid))


def test_bad_input_creates_nothing(ehpc, fake):
    for bad in ({"Name": "bad name"}, {"Name": "ok1", "EcsOrder": {"Compute": {"Count": 0}}},
                {"Name": "ok1", "DeployMode": "Huge"}, {"Name": "ok1", "PostInstallScript": [{"Url": "/nope.sh"}]},
                {"Name": "ok1", "KeyPairName": "missing"}):
        with pytest.raises(InvalidParams):
            ehpc.create_cluster(bad)
    assert ehpc.list_clusters()["TotalCount"] == 0 and fake.machines == {}


def test_client_token_is_idempotent(ehpc, fake):
    a = create(ehpc, ClientToken="tok-1")
    b = create(ehpc, ClientToken="tok-1")
    assert a == b and ehpc.list_clusters()["TotalCount"] == 1


def test_failed_create_marks_exception_with_reason(ehpc, fake, conf):
    conf.fail = "slurmctld did not start"
    with pytest.raises(ConfigureError):
        create(ehpc)
    rec = ehpc.list_clusters()["Clusters"]["ClusterInfoSimple"][0]
    info = ehpc.describe_cluster(ClusterId=rec["Id"])["ClusterInfo"]
    assert info["Status"] == "exception" and "slurmctld did not start" in info["StatusReason"]
    # delete always cleans up, even from exception
    ehpc.delete_cluster(ClusterId=rec["Id"])
    assert fake.machines == {} and ehpc.list_clusters()["TotalCount"] == 0


def test_engine_failure_marks_exception(ehpc, fake):
    fake.fail_converge = "no space left"
    with pytest.raises(EngineError):
        create(ehpc)
    info = ehpc.list_clusters()["Clusters"]["ClusterInfoSimple"][0]
    assert info["Status"] == "exception"


def test_stop_start_status_machine(ehpc, fake):
    cid = create(ehpc)
    with pytest.raises(InvalidClusterStatus):
        ehpc.start_cluster(ClusterId=cid)
    ehpc.stop_cluster(ClusterId=cid)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "stopped"
    assert {n.status for n in fake.machines[cid].values()} == {"stopped"}
    with pytest.raises(InvalidClusterStatus) as ei:
        ehpc.stop_cluster(ClusterId=cid)
    assert ei.value.code == "InvalidClusterStatus" and ei.value.http_status == 403
    ehpc.start_cluster(ClusterId=cid)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_modify_attributes(ehpc):
    cid = create(ehpc)
    ehpc.modify_cluster_attributes(ClusterId=cid, Name="renamed", Description="new text")
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert (info["Name"], info["Description"]) == ("renamed", "new text")
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_cluster_attributes(ClusterId=cid, Name="bad name")
    assert ei.value.field == "Name"
    with pytest.raises(InvalidParams):
        ehpc.modify_cluster_attributes(ClusterId=cid, ImageId="other:image")


def test_unknown_cluster_and_paging(ehpc):
    with pytest.raises(ClusterNotFound) as ei:
        ehpc.describe_cluster(ClusterId="ehpc-lo-0000000000")
    assert ei.value.http_status == 404
    with pytest.raises(InvalidParams) as ei:
        ehpc.describe_cluster({})
    assert ei.value.field == "ClusterId"
    for i in range(3):
        create(ehpc, Name=f"c{i}x")
    page = ehpc.list_clusters(PageNumber=2, PageSize=2)
    assert page["TotalCount"] == 3 and len(page["Clusters"]["ClusterInfoSimple"]) == 1
    with pytest.raises(InvalidParams) as ei:
        ehpc.list_clusters(PageSize=500)
    assert ei.value.field == "PageSize"


def test_second_writer_gets_conflict(ehpc, tmp_path):
    cid = create(ehpc)
    with cluster_lock(ehpc.home / "locks", cid, "AddNodes"):
        with pytest.raises(ConflictOpt) as ei:
            ehpc.stop_cluster(ClusterId=cid)
        assert "AddNodes" in ei.value.message and ei.value.http_status == 403
    ehpc.stop_cluster(ClusterId=cid)  # lock released


def test_lock_conflicts_across_threads(tmp_path):
    inside = threading.Event()
    release = threading.Event()

    def hold():
        with cluster_lock(tmp_path, "c1", "first"):
            inside.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(5)
    with pytest.raises(ConflictOpt):
        with cluster_lock(tmp_path, "c1", "second"):
            pass
    release.set()
    t.join()


def test_delete_removes_state(ehpc, fake):
    cid = create(ehpc)
    assert ehpc.state.cluster_dir(cid).exists()
    ehpc.delete_cluster(ClusterId=cid)
    assert not ehpc.state.cluster_dir(cid).exists()
    with pytest.raises(ClusterNotFound):
        ehpc.describe_cluster(ClusterId=cid)


def test_cluster_key_is_private(ehpc):
    cid = create(ehpc)
    key = ehpc.access(cid).private_key_file
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_add_and_list_users(ehpc, conf, tmp_path):
    from ehpc_iac.errors import UsernameExist
    cid = create(ehpc)
    ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass",
                    "User.2.Name": "bob", "User.2.Password": "B0b!passwd", "User.2.Group": "wheel"})
    assert conf.calls[-1]["playbook"] == "users.yml"
    sent = conf.calls[-1]["users"]
    assert [(u["name"], u["uid"], u["group"]) for u in sent] == [("alice", 1001, "users"), ("bob", 1002, "wheel")]
    assert all(u["password_hash"].startswith("$6$") for u in sent)
    assert b"Alic3!pass" not in (tmp_path / "home" / "state.db").read_bytes()
    users = ehpc.list_users(ClusterId=cid)["Users"]["UserInfo"]
    assert [u["Name"] for u in users] == ["alice", "bob"]
    with pytest.raises(UsernameExist) as ei:
        ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass"})
    assert ei.value.field == "User.1.Name"
    for bad, field in ((("Bad Name", "users"), "User.1.Name"), (("carol", "admins"), "User.1.Group"),
                       (("root", "users"), "User.1.Name")):
        with pytest.raises(InvalidParams) as ei:
            ehpc.add_users({"ClusterId": cid, "User.1.Name": bad[0], "User.1.Password": "C4rol!pass",
                            "User.1.Group": bad[1]})
        assert ei.value.field == field
    many = {"ClusterId": cid, **{f"User.{i}.Name": f"u{i:03d}" for i in range(1, 102)},
            **{f"User.{i}.Password": "Many!pass1" for i in range(1, 102)}}
    with pytest.raises(InvalidParams) as ei:
        ehpc.add_users(many)
    assert ei.value.field == "User"
    assert len(ehpc.list_users(ClusterId=cid)["Users"]["UserInfo"]) == 2


def test_failed_user_configuration_changes_nothing(ehpc, conf):
    cid = create(ehpc)
    conf.fail = "ypserv down"
    with pytest.raises(ConfigureError):
        ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass"})
    assert ehpc.list_users(ClusterId=cid)["TotalCount"] == 0
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_operation_killed_halfway_is_reported_as_exception(ehpc, fake):
    """A create whose process died leaves 'creating' with no lock holder: reads report exception."""
    cid = create(ehpc)
    ehpc.state.update_cluster(cid, status="creating")  # as a killed process would leave it
    with cluster_lock(ehpc.home / "locks", cid, "CreateCluster"):
        # while the lock is held the operation is genuinely running
        assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "creating"
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "exception" and "interrupted while creating" in info["StatusReason"]
    ehpc.delete_cluster(ClusterId=cid)
    assert fake.machines == {}


def test_dry_run_validates_and_creates_nothing(ehpc, fake):
    resp = ehpc.create_cluster({"Name": "demo", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 2, "DryRun": True})
    nodes = resp["Plan"]["Nodes"]["NodeInfo"]
    assert resp["DryRun"] is True and [n["HostName"] for n in nodes] == ["manager0", "compute0", "compute1"]
    assert nodes[0]["Roles"] == ["Scheduler", "Account", "Login"] and nodes[1]["JobQueue"] == "comp"
    assert ehpc.list_clusters()["TotalCount"] == 0 and fake.machines == {}
    with pytest.raises(InvalidParams) as ei:
        ehpc.create_cluster({"Name": "demo", "DryRun": "maybe"})
    assert ei.value.field == "DryRun"
    with pytest.raises(InvalidParams):
        ehpc.create_cluster({"Name": "demo", "DryRun": True, "EcsOrder.Compute.Count": 0})


def test_async_returns_at_once_and_holds_the_lock(ehpc, fake, conf):
    """Async: the call returns with its task id while the work runs; a second writer gets ConflictOpt."""
    import threading as th
    gate = th.Event()
    entered = th.Event()
    real = conf.configure

    def slow(*a, **kw):
        entered.set()
        gate.wait(10)
        return real(*a, **kw)

    cid = create(ehpc)
    conf.configure = slow
    ehpc.stop_cluster(ClusterId=cid)
    resp = ehpc.start_cluster(ClusterId=cid, Async=True)
    assert entered.wait(5)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "stopped"  # still working
    with pytest.raises(ConflictOpt) as ei:
        ehpc.stop_cluster(ClusterId=cid)
    assert "StartCluster" in ei.value.message
    gate.set()
    final = ehpc.wait_operation(cid, resp["TaskId"], timeout=10)
    assert final["message"] == "StartCluster succeeded"
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_scheduler_capabilities_refuse_before_anything_is_made(ehpc, fake):
    with pytest.raises(InvalidParams) as ei:
        ehpc.create_cluster({"Name": "grid", "SchedulerType": "opengridscheduler", "HaEnable": True})
    assert ei.value.field == "HaEnable"
    assert fake.machines == {} and ehpc.list_clusters()["TotalCount"] == 0
    cid = ehpc.create_cluster({"Name": "grid", "SchedulerType": "opengridscheduler"})["ClusterId"]
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["SchedulerType"] == "opengridscheduler"

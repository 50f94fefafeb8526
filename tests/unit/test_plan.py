import itertools

import pytest

from ehpc_iac.plan import ACCOUNT, COMPUTE, LOGIN, SCHEDULER, SCHEDULER_BACKUP, ClusterPlan, plan_cluster
from ehpc_iac.spec import load_cluster_spec

CID = "ehpc-lo-AbCdEfGhIj"


def plan(**spec):
    counter = itertools.count()
    return plan_cluster(load_cluster_spec({"Name": "demo", **spec}), CID, lambda: f"i-{next(counter):04d}")


def roles(p):
    return {n.hostname: set(n.roles) for n in p.nodes}


def test_standard_separates_every_role():
    p = plan(DeployMode="Standard", EcsOrder={"Compute": {"Count": 2}})
    assert roles(p) == {"account0": {ACCOUNT}, "scheduler0": {SCHEDULER}, "login0": {LOGIN},
                        "compute0": {COMPUTE}, "compute1": {COMPUTE}}
    assert [n.instance_id for n in p.nodes] == ["i-0000", "i-0001", "i-0002", "i-0003", "i-0004"]
    assert p.account_server.hostname == "account0"
    assert [n.hostname for n in p.schedulers] == ["scheduler0"]


def test_simple_tiny_onebox():
    assert roles(plan(DeployMode="Simple"))["manager0"] == {SCHEDULER, ACCOUNT}
    t = plan(DeployMode="Tiny", EcsOrder={"Compute": {"Count": 3}})
    assert roles(t)["manager0"] == {SCHEDULER, ACCOUNT, LOGIN} and len(t.computes) == 3 and not any(
        n.hostname.startswith("login") for n in t.nodes)
    o = plan(DeployMode="OneBox")
    assert roles(o) == {"manager0": {SCHEDULER, ACCOUNT, LOGIN, COMPUTE}}
    assert [n.hostname for n in o.computes] == ["manager0"]
    o2 = plan(DeployMode="OneBox", EcsOrder={"Compute": {"Count": 2}})
    assert [n.hostname for n in o2.computes] == ["manager0", "compute0", "compute1"]


@pytest.mark.parametrize("mode,backup", [("Standard", "scheduler1"), ("Simple", "manager1"),
                                         ("Tiny", "manager1"), ("OneBox", "manager1")])
def test_ha_adds_a_backup_scheduler(mode, backup):
    p = plan(DeployMode=mode, HaEnable=True)
    assert roles(p)[backup] == {SCHEDULER_BACKUP}
    assert [n.hostname for n in p.schedulers][1] == backup
    assert p.volume(f"{CID}-slurmctld").name in p.node(backup).volumes


def test_volumes_queue_and_names():
    p = plan(DeployMode="Standard", JobQueue="work",
             AdditionalVolumes=[{"LocalDirectory": "/data", "Roles": [{"Name": "Compute"}]}])
    home = p.volume(f"{CID}-home")
    assert home.mount_path == "/home" and all(home.name in n.volumes for n in p.nodes)
    data = p.volume(f"{CID}-vol1")
    assert [n.hostname for n in p.nodes if data.name in n.volumes] == ["compute0"]
    assert p.computes[0].queue == "work" and p.queues[0].name == "work" and p.queues[0].default
    assert p.node("login0").queue is None
    assert p.container_name("compute0") == f"{CID}-compute0" and p.network == f"{CID}-net"
    assert p.nis_domain == CID.lower()


def test_instance_type_sets_resources_and_plan_round_trips():
    p = plan(EcsOrder={"Compute": {"Count": 1, "InstanceType": "ecs.n1.medium"}})
    c = p.computes[0]
    assert (c.cpus, c.memory_mb) == (2, 4096)
    assert ClusterPlan.from_dict(p.to_dict()) == p


def test_nfs_volume_when_mountpoint_given():
    p = plan(VolumeMountpoint="nas.example:/", RemoteDirectory="/exports/home")
    home = p.volume(f"{CID}-home")
    assert home.remote_server == "nas.example:/" and home.remote_dir == "/exports/home"

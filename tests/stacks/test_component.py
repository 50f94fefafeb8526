"""The Cluster and User components under mocks: children per DeployMode and machines, users as
resources, secrets kept secret, queues and counts as day-2 changes of the program."""
from __future__ import annotations

import json

import pulumi
import pytest

from ehpc_iac.configure.passwords import verify
from ehpc_iac.errors import InvalidParams
from ehpc_iac.plan import ClusterPlan
from ehpc_iac.pulumi import AliCloudMachines, Cluster, DockerMachines, ExistingHosts, Queue, User

from .conftest import CONFIGURATION, MODES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTAINER = "docker:index/container:Container"
INSTANCE = "alicloud:ecs/instance:Instance"
USER = "ehpc:index:User"
PASSWORD = "Alic3!secret"
ROOT_PASSWORD = "Root!pass123"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EHPC_IAC_HOME", str(tmp_path))
    return tmp_path


def spec(mode="Standard", ha=False, computes=2, **more):
    login = 1 if mode in ("Standard", "Simple") else 0
    return {"Name": "component", "DeployMode": mode, "HaEnable": ha,
            "EcsOrder": {"Login": {"Count": login}, "Compute": {"Count": computes}}, **more}


def docker_machines():
    return DockerMachines(image="ehpc-iac/node:test", host_cpus=2, subnet="172.29.0.0/24")


def config_inputs(mocks, raw=False):
    """The configuration's inputs as the engine gets them (``raw``: secrets still wrapped), or plain."""
    from ehpc_iac.pulumi.provider import _plain
    [conf] = mocks.of_type(CONFIGURATION)
    return conf["inputs"] if raw else _plain(conf["inputs"])


def is_secret(value) -> bool:
    from pulumi.runtime import rpc
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def after(cluster, check):
    """Run ``check`` once the cluster's configuration (the last child) has registered."""
    return pulumi.Output.all(cluster.configuration.id, cluster.nodes, cluster.queues).apply(lambda a: check(*a[1:]))


@pytest.mark.parametrize("mode,ha", MODES)
@pulumi.runtime.test
def test_docker_children_per_mode(mocks, mode, ha):
    c = Cluster("hpc", spec=spec(mode, ha), machines=docker_machines(), root_password=ROOT_PASSWORD)
    plan = c.plan

    def check(nodes, queues):
        names = sorted(r["name"] for r in mocks.of_type(CONTAINER))
        assert names == sorted(plan.container_name(n.hostname) for n in plan.nodes)
        assert len(mocks.of_type("docker:index/network:Network")) == 1
        assert len(mocks.of_type("docker:index/volume:Volume")) == len(plan.volumes)
        inputs = config_inputs(mocks)
        assert ClusterPlan.from_dict(inputs["plan"]) == plan
        assert [n["hostname"] for n in inputs["nodes"]] == [n.hostname for n in plan.nodes]
        assert all(n["address"].startswith("172.29.0.") for n in inputs["nodes"])
        assert inputs["shared_storage"] == {}     # Docker mounts /home
        assert verify(ROOT_PASSWORD, inputs["root_password_hash"])
        assert [n["hostname"] for n in nodes] == [n.hostname for n in plan.nodes]
        assert queues == [{"name": "comp", "default": True}]

    return after(c, check)


@pulumi.runtime.test
def test_children_are_parented_by_the_cluster(mocks):
    c = Cluster("hpc", spec=spec("Tiny"), machines=docker_machines())
    urns = [r.urn for r in c.machines["_resources"]] + [c.configuration.urn]
    return pulumi.Output.all(*urns).apply(
        lambda us: [pytest.fail(u) for u in us if "ehpc:index:Cluster$" not in u] and None)


@pulumi.runtime.test
def test_alicloud_children_and_nas_storage(mocks):
    machines = AliCloudMachines(image_id="img-1", zone_id="cn-hangzhou-k", allowed_ssh_cidr="198.51.100.0/24")
    c = Cluster("hpc", spec=spec("Simple", computes=3), machines=machines)

    def check(nodes, _queues):
        assert len(mocks.of_type(INSTANCE)) == 5
        inputs = config_inputs(mocks)
        assert inputs["shared_storage"]["mode"] == "nfs"
        assert inputs["shared_storage"]["server"] == "abc123-xyz.cn-hangzhou.nas.aliyuncs.com"
        # nodes are reached on their public address (internet_max_bandwidth_out > 0)
        assert all(n["address"].startswith("47.0.0.") for n in inputs["nodes"])
        assert [n["hostname"] for n in nodes] == ["manager0", "login0", "compute0", "compute1", "compute2"]

    return after(c, check)


@pulumi.runtime.test
def test_existing_hosts_make_no_machines(mocks):
    hosts = {"manager0": "10.0.0.5", "compute0": {"address": "10.0.0.6", "cpus": 8, "memory_mb": 16000}}
    c = Cluster("hpc", spec=spec("Tiny", computes=1), machines=ExistingHosts(hosts))

    def check(nodes, _queues):
        assert not mocks.of_type(CONTAINER) and not mocks.of_type(INSTANCE)
        inputs = config_inputs(mocks)
        by_host = {n["hostname"]: n for n in inputs["nodes"]}
        assert by_host["manager0"]["address"] == "10.0.0.5"
        assert (by_host["compute0"]["cpus"], by_host["compute0"]["memory_mb"]) == (8, 16000)
        assert {n["hostname"]: n["address"] for n in nodes} == {"manager0": "10.0.0.5", "compute0": "10.0.0.6"}

    return after(c, check)


def test_existing_hosts_must_cover_the_plan(mocks):
    with pytest.raises(InvalidParams) as e:
        Cluster("hpc", spec=spec("Tiny", computes=2), machines=ExistingHosts({"manager0": "10.0.0.5"}))
    assert e.value.field == "Hosts" and "compute1" in e.value.message


@pulumi.runtime.test
def test_users_are_resources_and_secrets_stay_secret(mocks):
    alice = User("alice", password=pulumi.Output.secret(PASSWORD))
    c = Cluster("hpc", spec=spec("Tiny"), machines=docker_machines(), root_password=pulumi.Output.secret(ROOT_PASSWORD),
                users=[alice, {"Name": "bob", "Password": pulumi.Output.secret("B0b!secret"), "Group": "wheel"}])

    def check(entry_secret, names, registered):
        assert entry_secret
        users = sorted(r["name"] for r in mocks.of_type(USER))
        assert users == ["alice", "hpc-bob"]
        inputs = config_inputs(mocks)
        by_name = {u["name"]: u for u in inputs["users"]}
        assert verify(PASSWORD, by_name["alice"]["password_hash"]) and by_name["bob"]["group"] == "wheel"
        raw = config_inputs(mocks, raw=True)
        assert is_secret(raw["users"]) and is_secret(raw["root_password_hash"]) and is_secret(raw["munge_key"])
        assert not is_secret(raw["plan"])
        assert names == ["alice", "bob"]
        # the configuration's outputs (its state) and the cluster's outputs hold no password nor hash
        [conf] = mocks.of_type(CONFIGURATION)
        state = json.dumps({k: v for k, v in mocks.states[conf["name"]].items() if k != "__provider"})
        for secret in (PASSWORD, "B0b!secret", ROOT_PASSWORD, by_name["alice"]["password_hash"],
                       inputs["root_password_hash"]):
            assert secret not in state and secret not in json.dumps(registered)

    return pulumi.Output.all(alice.entry.is_secret(), c.users, c.nodes, c.queues, c.login_address,
                             c.cluster_id, c.configuration.id).apply(lambda a: check(a[0], a[1], a[2:]))


@pulumi.runtime.test
def test_root_password_and_munge_key_inputs_are_secret(mocks):
    from ehpc_iac.pulumi.component import _munge, _root_hash
    key = "k" * 40
    outs = [_root_hash(ROOT_PASSWORD), _munge(key), User("carol", password=PASSWORD).entry]
    return pulumi.Output.all(*[o.is_secret() for o in outs]).apply(lambda flags: _assert(all(flags)))


def _assert(cond):
    assert cond


def test_bad_user_and_munge_key_are_invalid_params(mocks):
    with pytest.raises(InvalidParams) as e:
        User("root", password=PASSWORD)
    assert e.value.field == "User.Name"
    with pytest.raises(InvalidParams) as e:
        User("dave", password=PASSWORD, group="admins")
    assert e.value.field == "User.Group"


@pulumi.runtime.test
def test_queues_and_counts_are_the_program(mocks):
    c = Cluster("hpc", spec=spec("Tiny"), machines=docker_machines(),
                queues=[Queue("comp", compute_count=3), Queue("gpu_a", compute_count=1, instance_type="ecs.n1.small")])

    def check(nodes, queues):
        assert [n.hostname for n in c.plan.computes] == ["compute0", "compute1", "compute2", "compute-gpu-a0"]
        assert c.plan.node("compute-gpu-a0").queue == "gpu_a"
        assert c.plan.node("compute-gpu-a0").instance_type == "ecs.n1.small"
        assert queues == [{"name": "comp", "default": True}, {"name": "gpu_a", "default": False}]
        assert len(mocks.of_type(CONTAINER)) == 5

    return after(c, check)


def test_lower_count_removes_the_highest_nodes_and_ids_are_stable():
    from ehpc_iac.pulumi.model import cluster_plan
    three = cluster_plan(spec("Tiny"), "ehpc-lo-abcdefghij", [Queue("comp", compute_count=3)])
    two = cluster_plan(spec("Tiny"), "ehpc-lo-abcdefghij", [Queue("comp", compute_count=2)])
    assert [n.hostname for n in two.computes] == ["compute0", "compute1"]
    assert {n.hostname: n.instance_id for n in two.nodes} == \
        {n.hostname: n.instance_id for n in three.nodes if n.hostname != "compute2"}


@pulumi.runtime.test
def test_cluster_id_is_stable_per_project_stack_and_name(mocks):
    a = Cluster("hpc", spec=spec("Tiny"), machines=docker_machines())
    assert a.plan.cluster_id.startswith("ehpc-lo-") and len(a.plan.cluster_id) == 18
    from ehpc_iac.pulumi.model import stable_cluster_id
    assert a.plan.cluster_id == stable_cluster_id(pulumi.get_project(), pulumi.get_stack(), "hpc")
    assert stable_cluster_id("p", "s", "hpc") != stable_cluster_id("p", "s2", "hpc")
    return a.configuration.id.apply(lambda _: None)

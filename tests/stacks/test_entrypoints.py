"""The `pulumi up` entry points (__main__.py) read stack config, plan, and declare the plan."""
from __future__ import annotations

import json
import os
import runpy

import pulumi
import pytest

from ehpc_iac.pulumi.provider import _plain

from .conftest import CONFIGURATION, ROOT

# pulumi_alicloud warns about its own deprecated resource types while the SDK loads them
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CLUSTER = {"Name": "fromconfig", "DeployMode": "Simple",
           "EcsOrder": {"Login": {"Count": 1, "InstanceType": "ecs.n1.tiny"},
                        "Compute": {"Count": 3, "InstanceType": "ecs.n1.tiny"}}}


DOCKER_CFG = {"cluster": json.dumps(CLUSTER), "clusterId": "ehpc-lo-cfgcfgcfgc", "image": "ehpc-iac/node:x",
              "hostCpus": "4", "queues": json.dumps([{"name": "comp", "computeCount": 2},
                                                     {"name": "big", "computeCount": 1, "instanceType": "ecs.n1.large"}]),
              "users": json.dumps([{"name": "alice"}, {"name": "bob", "group": "wheel"}]),
              "userPasswords": json.dumps({"alice": "Alic3!secret", "bob": "B0b!secret1"}),
              "rootPassword": "Root!pass123"}
ALI_CFG = {"cluster": json.dumps(CLUSTER), "clusterId": "ehpc-cn-cfgcfgcfgc", "imageId": "img-1",
           "zoneId": "cn-hangzhou-k", "allowedSshCidr": "198.51.100.7/32"}
ENGINE_CFG = {"cluster": json.dumps(CLUSTER), "clusterId": "ehpc-lo-cfgcfgcfgc", "image": "ehpc-iac/node:x",
              "publicKey": "ssh-ed25519 AAAA test", "hostCpus": "4"}


def run_main(name):
    return runpy.run_path(os.path.join(ROOT, "stacks", name, "__main__.py"), run_name="__main__")


@pytest.mark.parametrize("project_mocks", [("ehpc-docker", DOCKER_CFG)], indirect=True)
@pulumi.runtime.test
def test_docker_main_declares_the_whole_cluster(project_mocks):
    cluster = run_main("docker")["cluster"]

    def check(_):
        names = sorted(r["name"] for r in project_mocks.of_type("docker:index/container:Container"))
        assert names == sorted(f"ehpc-lo-cfgcfgcfgc-{h}" for h in
                               ["manager0", "login0", "compute0", "compute1", "compute-big0"])
        assert sorted(r["name"] for r in project_mocks.of_type("ehpc:index:User")) == ["cluster-alice", "cluster-bob"]
        [conf] = project_mocks.of_type(CONFIGURATION)
        users = _plain(conf["inputs"]["users"])
        assert [(u["name"], u["group"]) for u in users] == [("alice", "users"), ("bob", "wheel")]
        assert "Alic3!secret" not in json.dumps(users)

    return pulumi.Output.all(cluster.configuration.id, cluster.nodes).apply(check)


@pytest.mark.parametrize("project_mocks", [("ehpc-docker", ENGINE_CFG)], indirect=True)
@pulumi.runtime.test
def test_docker_main_of_an_engine_stack_declares_machines_only(project_mocks):
    """A stack the pulumi engine made (config ``plan``): machines only, the engine configures them."""
    from stacks.stack_config import plan_from_config
    plan = plan_from_config(CLUSTER, "ehpc-lo-cfgcfgcfgc")
    pulumi.runtime.set_all_config({**{f"ehpc-docker:{k}": v for k, v in ENGINE_CFG.items()},
                                   "ehpc-docker:plan": json.dumps(plan.to_dict())})
    done = run_main("docker")["outputs"]["_resources"]

    def check(_):
        assert len(project_mocks.of_type("docker:index/container:Container")) == 5
        assert not project_mocks.of_type(CONFIGURATION)

    return pulumi.Output.all(*[r.id for r in done]).apply(check)


@pytest.mark.parametrize("project_mocks", [("ehpc-alicloud", ALI_CFG)], indirect=True)
@pulumi.runtime.test
def test_alicloud_main(project_mocks):
    cluster = run_main("alicloud")["cluster"]

    def check(_):
        inst = project_mocks.of_type("alicloud:ecs/instance:Instance")
        assert len(inst) == 5
        [ssh] = [r for r in project_mocks.of_type("alicloud:ecs/securityGroupRule:SecurityGroupRule")
                 if r["inputs"]["portRange"] == "22/22"]
        assert ssh["inputs"]["cidrIp"] == "198.51.100.7/32"
        [key] = project_mocks.of_type("alicloud:ecs/keyPair:KeyPair")
        [conf] = project_mocks.of_type(CONFIGURATION)
        assert key["inputs"]["publicKey"].startswith("ssh-ed25519 ")   # the key the configuration uses
        assert _plain(conf["inputs"])["shared_storage"]["mode"] == "nfs"

    return pulumi.Output.all(cluster.configuration.id, cluster.nodes).apply(check)


def test_plan_from_config_is_stable_across_runs():
    from stacks.stack_config import plan_from_config, stable_instance_id
    a = plan_from_config(CLUSTER, "ehpc-lo-cfgcfgcfgc")
    b = plan_from_config(CLUSTER, "ehpc-lo-cfgcfgcfgc")
    assert [n.instance_id for n in a.nodes] == [n.instance_id for n in b.nodes]
    assert len({n.instance_id for n in a.nodes}) == len(a.nodes)
    assert all(n.instance_id.startswith("i-") and len(n.instance_id) == 22 for n in a.nodes)
    assert a.node("compute0").instance_id == stable_instance_id("ehpc-lo-cfgcfgcfgc", "compute0")
    # a saved plan (after AddNodes/DeleteNodes) is declared as is
    assert plan_from_config({}, "ignored", a.to_dict()) == a


def test_ips_are_kept_when_nodes_go():
    from stacks.docker.program import assign_ips
    from stacks.stack_config import plan_from_config
    from ehpc_iac.plan import remove_nodes
    plan = plan_from_config(CLUSTER, "ehpc-lo-cfgcfgcfgc")
    first = assign_ips(plan)
    assert first["manager0"] == "172.28.0.10"
    later = assign_ips(remove_nodes(plan, ["compute0"]), current=first)
    assert later == {h: ip for h, ip in first.items() if h != "compute0"}

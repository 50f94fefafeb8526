"""stacks/alicloud under mocks: instances, security-group rules, key pair and NAS follow the plan."""
from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime import rpc

from ehpc_iac.plan import add_compute_nodes, remove_nodes
from stacks.alicloud.program import AliConfig, program

from .conftest import MODES, make_plan, wait_all

# pulumi_alicloud warns about its own deprecated resource types while the SDK loads them
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

INSTANCE = "alicloud:ecs/instance:Instance"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
KEYPAIR = "alicloud:ecs/keyPair:KeyPair"
NAS = "alicloud:nas/fileSystem:FileSystem"
MOUNT = "alicloud:nas/mountTarget:MountTarget"
SSH_CIDR = "203.0.113.0/24"
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest ehpc"


def config(**more):
    return AliConfig(image_id="debian_12_5_x64_20G_alibase_20240717.vhd", zone_id="cn-hangzhou-k",
                     allowed_ssh_cidr=SSH_CIDR, public_key=pulumi.Output.secret(PUBKEY), **more)


def run(plan, cfg=None):
    out = program(plan, cfg or config())
    return out, out["_resources"]


def instances(mocks):
    return {r["name"]: r["inputs"] for r in mocks.of_type(INSTANCE)}


@pytest.mark.parametrize("mode,ha", MODES)
@pulumi.runtime.test
def test_graph_matches_plan(mocks, mode, ha):
    _, plan = make_plan(mode, ha)
    out, resources = run(plan)

    def check():
        inst = instances(mocks)
        assert sorted(inst) == sorted(plan.container_name(n.hostname) for n in plan.nodes)
        for node in plan.nodes:
            i = inst[plan.container_name(node.hostname)]
            assert i["hostName"] == node.hostname
            assert i["instanceName"] == plan.container_name(node.hostname)
            assert i["instanceType"] == node.instance_type
            assert i["imageId"] == "debian_12_5_x64_20G_alibase_20240717.vhd"
            assert i["tags"]["ehpc.roles"] == ",".join(node.roles)
            assert i["tags"]["ehpc.cluster-id"] == plan.cluster_id
            assert i["tags"]["ehpc.instance-id"] == node.instance_id
            assert i["vswitchId"] == f"{plan.cluster_id}-vsw-id"          # network membership
            assert i["securityGroups"] == [f"{plan.cluster_id}-sg-id"]
            assert i["keyName"] == f"{plan.cluster_id}-key"
            assert "password" not in i
        # a NAS file system + mount target in the vSwitch is the shared /home
        [fs] = mocks.of_type(NAS)
        assert fs["inputs"]["protocolType"] == "NFS"
        [mt] = mocks.of_type(MOUNT)
        assert mt["inputs"]["vswitchId"] == f"{plan.cluster_id}-vsw-id"
        [key] = mocks.of_type(KEYPAIR)
        pub = key["inputs"]["publicKey"]                               # a secret on the wire, never clear text
        assert pub["value"] == PUBKEY and rpc._special_secret_sig in pub.values()
        assert "keyFile" not in key["inputs"]

    return wait_all(resources, check)


@pulumi.runtime.test
def test_security_group_rules(mocks):
    _, plan = make_plan("Standard")
    _, resources = run(plan)

    def check():
        rules = [r["inputs"] for r in mocks.of_type(RULE)]
        assert all(r["type"] == "ingress" and r["securityGroupId"] == f"{plan.cluster_id}-sg-id" for r in rules)
        ssh = [r for r in rules if r["portRange"] == "22/22"]
        assert len(ssh) == 1 and ssh[0]["cidrIp"] == SSH_CIDR and ssh[0]["ipProtocol"] == "tcp"
        # nothing else is open to any outside source
        for r in rules:
            if r is ssh[0]:
                continue
            assert r.get("sourceSecurityGroupId") == f"{plan.cluster_id}-sg-id" or r.get("cidrIp") == "10.60.1.0/24"
        assert not any(r.get("cidrIp") == "0.0.0.0/0" for r in rules)
        assert any(r.get("sourceSecurityGroupId") == f"{plan.cluster_id}-sg-id" and r["ipProtocol"] == "all"
                   for r in rules)                                    # intra-cluster, from the group itself
        assert any(r.get("cidrIp") == "10.60.1.0/24" and r["ipProtocol"] == "all" for r in rules)

    return wait_all(resources, check)


@pytest.mark.parametrize("cidr", ["", "0.0.0.0/0"])
def test_ssh_cidr_is_required_and_not_the_internet(cidr):
    with pytest.raises(ValueError, match="allowedSshCidr"):
        AliConfig(image_id="img", zone_id="z", allowed_ssh_cidr=cidr, public_key=PUBKEY)


@pulumi.runtime.test
def test_outputs_inventory(mocks):
    _, plan = make_plan("Simple")
    out, resources = run(plan)

    def check(values):
        nodes, domain = values
        assert [n["hostname"] for n in nodes] == [n.hostname for n in plan.nodes]
        assert all(n["private_ip"].startswith("10.60.1.") and n["public_ip"] for n in nodes)
        assert [n["roles"] for n in nodes] == [list(n.roles) for n in plan.nodes]
        assert domain == "abc123-xyz.cn-hangzhou.nas.aliyuncs.com"

    return pulumi.Output.all(pulumi.Output.from_input(out["nodes"]), out["nasMountTargetDomain"]).apply(check)


@pulumi.runtime.test
def test_given_volume_mountpoint_skips_nas(mocks):
    _, plan = make_plan("Tiny", VolumeMountpoint="nfs.example.com")
    out, resources = run(plan)

    def check():
        assert mocks.of_type(NAS) == [] and mocks.of_type(MOUNT) == []
        assert out["nasMountTargetDomain"] == "nfs.example.com"

    return wait_all(resources, check)


@pulumi.runtime.test
def test_add_two_nodes_adds_exactly_two_instances(mocks):
    spec, plan = make_plan("OneBox")
    bigger, _ = add_compute_nodes(plan, spec, 2, "ecs.n1.small", "comp", new_instance_id=iter(["i-a", "i-b"]).__next__)
    _, resources = run(bigger)

    def check():
        names = set(instances(mocks))
        before = {plan.container_name(n.hostname) for n in plan.nodes}
        assert names - before == {plan.container_name("compute2"), plan.container_name("compute3")}
        assert len(names) == len(before) + 2
        assert instances(mocks)[plan.container_name("compute2")]["instanceType"] == "ecs.n1.small"

    return wait_all(resources, check)


@pulumi.runtime.test
def test_remove_nodes_removes_exactly_the_chosen(mocks):
    _, plan = make_plan("Standard", True)
    smaller = remove_nodes(plan, ["compute1", "login0"])
    _, resources = run(smaller)

    def check():
        assert set(instances(mocks)) == ({plan.container_name(n.hostname) for n in plan.nodes}
                                         - {plan.container_name("compute1"), plan.container_name("login0")})

    return wait_all(resources, check)

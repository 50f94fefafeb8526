"""stacks/docker under mocks: the resource graph is the plan, and equals container_spec."""
from __future__ import annotations

import pulumi
import pytest

from ehpc_iac.engines.base import Access
from ehpc_iac.engines.docker import LABEL_HASH, LABEL_ROLES, container_spec, volume_driver_opts
from ehpc_iac.plan import add_compute_nodes, remove_nodes
from stacks.docker.program import assign_ips, program

from .conftest import MODES, make_plan, wait_all

IMAGE = "ehpc-iac/node:test"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest ehpc"
CPUS = 2
CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"


def run(plan):
    ips = assign_ips(plan)
    out = program(plan, IMAGE, KEY, CPUS, ips)
    return out, ips, out["_resources"]


def labels(inputs):
    return {d["label"]: d["value"] for d in inputs.get("labels", [])}


def by_name(mocks, typ):
    return {r["name"]: r["inputs"] for r in mocks.of_type(typ)}


@pytest.mark.parametrize("mode,ha", MODES)
@pulumi.runtime.test
def test_graph_matches_plan(mocks, mode, ha):
    _, plan = make_plan(mode, ha)
    out, ips, resources = run(plan)

    def check():
        nets = mocks.of_type(NETWORK)
        assert len(nets) == 1 and nets[0]["inputs"]["name"] == plan.network
        assert nets[0]["inputs"]["driver"] == "bridge"
        vols = by_name(mocks, VOLUME)
        assert set(vols) == {v.name for v in plan.volumes}
        cons = by_name(mocks, CONTAINER)
        assert sorted(cons) == sorted(plan.container_name(n.hostname) for n in plan.nodes)
        for node in plan.nodes:
            c = cons[plan.container_name(node.hostname)]
            assert c["hostname"] == node.hostname
            assert c["domainname"] == plan.nis_domain
            assert labels(c)[LABEL_ROLES] == ",".join(node.roles)
            assert {v["volumeName"]: v["containerPath"] for v in c["volumes"]} == \
                {plan.volume(v).name: plan.volume(v).mount_path for v in node.volumes}
            [net] = c["networksAdvanced"]
            assert net["name"] == plan.network and net["aliases"] == [node.hostname]
            assert net["ipv4Address"] == ips[node.hostname]
            assert c["init"] is True and c["restart"] == "unless-stopped"
        assert len(set(ips.values())) == len(plan.nodes)
        assert [n["hostname"] for n in out["nodes"]] == [n.hostname for n in plan.nodes]
        assert out["queues"] == [{"name": "comp", "default": True}]
        assert {v["name"] for v in out["volumes"]} == {v.name for v in plan.volumes}

    return wait_all(resources, check)


@pulumi.runtime.test
def test_nfs_home_volume_uses_engine_driver_opts(mocks):
    _, plan = make_plan("Simple", VolumeMountpoint="nas.example.com", RemoteDirectory="/export")
    _, _, resources = run(plan)

    def check():
        home = by_name(mocks, VOLUME)[plan.volumes[0].name]
        assert home["driverOpts"] == volume_driver_opts(plan.volumes[0])
        assert home["driverOpts"]["device"] == ":/export"
        assert "driverOpts" not in by_name(mocks, VOLUME)[plan.volumes[1].name]

    return wait_all(resources, check)


@pulumi.runtime.test
def test_add_two_nodes_adds_exactly_two_containers(mocks):
    spec, plan = make_plan("Standard")
    bigger, new = add_compute_nodes(plan, spec, 2, "ecs.n1.small", "comp", new_instance_id=iter(["i-a", "i-b"]).__next__)
    assert len(new) == 2
    _, _, resources = run(bigger)

    def check():
        names = set(by_name(mocks, CONTAINER))
        before = {plan.container_name(n.hostname) for n in plan.nodes}
        assert names - before == {plan.container_name("compute2"), plan.container_name("compute3")}
        assert before <= names and len(names) == len(before) + 2

    return wait_all(resources, check)


@pulumi.runtime.test
def test_remove_nodes_removes_exactly_the_chosen(mocks):
    _, plan = make_plan("Simple")
    smaller = remove_nodes(plan, ["compute0"])
    _, _, resources = run(smaller)

    def check():
        names = set(by_name(mocks, CONTAINER))
        assert names == {plan.container_name(n.hostname) for n in plan.nodes} - {plan.container_name("compute0")}

    return wait_all(resources, check)


@pytest.mark.parametrize("mode,ha", MODES)
@pulumi.runtime.test
def test_parity_with_container_spec(mocks, mode, ha):
    """What stacks/docker declares == what the docker engine creates (container_spec), per property."""
    _, plan = make_plan(mode, ha, AdditionalVolumes=[{"LocalDirectory": "/data", "Roles": [{"Name": "Compute"}]}])
    _, ips, resources = run(plan)
    access = Access(public_key=KEY, private_key_file=None)

    def check():
        cons = by_name(mocks, CONTAINER)
        for node in plan.nodes:
            want = container_spec(plan, node, IMAGE, access, CPUS, ips[node.hostname])
            got = cons[want["name"]]
            assert got["name"] == want["name"]
            assert got["image"] == want["image"]
            assert got["hostname"] == want["hostname"]
            assert got["domainname"] == want["domainname"]
            assert labels(got) == want["labels"]           # includes the config hash
            assert LABEL_HASH in labels(got)
            assert dict(e.split("=", 1) for e in got["envs"]) == want["environment"]
            assert {v["volumeName"]: {"bind": v["containerPath"], "mode": "ro" if v.get("readOnly") else "rw"}
                    for v in got["volumes"]} == want["volumes"]
            assert float(got["cpus"]) * 1_000_000_000 == want["nano_cpus"]
            assert f"{int(got['memory'])}m" == want["mem_limit"]   # numbers cross the wire as floats
            [net] = got["networksAdvanced"]
            assert net["name"] == want["network"]
            assert net["aliases"] == want["aliases"]
            assert net["ipv4Address"] == want["ipv4_address"]
            assert got["init"] == want["init"]
            assert got["restart"] == want["restart_policy"]["Name"]

    return wait_all(resources, check)


def test_checks_inside_apply_really_run(mocks):
    """Guard against vacuous passes: a failing check inside wait_all fails the test."""
    _, plan = make_plan("Tiny")

    @pulumi.runtime.test
    def inner():
        _, _, resources = run(plan)

        def check():
            raise AssertionError("the check ran")
        return wait_all(resources, check)

    with pytest.raises(AssertionError, match="the check ran"):
        inner()

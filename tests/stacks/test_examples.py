"""The example programs of the README (examples/pulumi-docker, examples/pulumi-alicloud) under mocks:
each declares a whole cluster (machines, configuration, user) from its stack config."""
from __future__ import annotations

import os
import runpy

import pulumi
import pytest

from ehpc_iac.pulumi.provider import _plain

from .conftest import CONFIGURATION, ROOT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(folder):
    return runpy.run_path(os.path.join(ROOT, "examples", folder, "__main__.py"), run_name="__main__")["cluster"]


@pytest.mark.parametrize("project_mocks", [("hpc-docker", {"alicePassword": "Alic3!secret", "computeCount": "3"})],
                         indirect=True)
@pulumi.runtime.test
def test_docker_example(project_mocks, monkeypatch):
    import ehpc_iac.pulumi.component as component
    monkeypatch.setattr(component, "_local_docker", lambda plan, image, cpus: ("ehpc-iac/node:test", 2))

    cluster = run("pulumi-docker")

    def check(nodes):
        assert [n["hostname"] for n in nodes] == ["manager0", "compute0", "compute1", "compute2"]
        assert len(project_mocks.of_type("docker:index/container:Container")) == 4
        [conf] = project_mocks.of_type(CONFIGURATION)
        assert [u["name"] for u in _plain(conf["inputs"])["users"]] == ["alice"]

    return cluster.nodes.apply(check)


@pytest.mark.parametrize("project_mocks", [("hpc-alicloud", {"alicePassword": "Alic3!secret", "imageId": "m-1",
                                                       "zoneId": "cn-hangzhou-k",
                                                       "allowedSshCidr": "203.0.113.0/24"})], indirect=True)
@pulumi.runtime.test
def test_alicloud_example(project_mocks):
    cluster = run("pulumi-alicloud")

    def check(nodes):
        assert [n["hostname"] for n in nodes] == ["manager0", "login0", "compute0", "compute1"]
        types = {r["inputs"]["hostName"]: r["inputs"]["instanceType"]
                 for r in project_mocks.of_type("alicloud:ecs/instance:Instance")}
        assert types["compute0"] == "ecs.c6.xlarge" and types["manager0"] == "ecs.c6.large"

    return cluster.nodes.apply(check)

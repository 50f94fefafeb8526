"""Pulumi programs under mocks: no CLI, no provider plugins, no cloud.

Rules measured in /work/shared/notes/containers-slurm-nis.md ("Pulumi without the CLI"):
programs are functions; the root stack is reset between tests; ``project=`` is passed to
set_mocks; assertions run inside ``apply`` under ``@pulumi.runtime.test``; inputs arrive
with camelCase wire names.
"""
from __future__ import annotations

import os
import sys
import warnings

import pulumi
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

with warnings.catch_warnings():   # the SDK warns about its own deprecated resources at import
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_alicloud  # noqa: E402,F401
    import pulumi_alicloud.ecs  # noqa: E402,F401
    import pulumi_alicloud.nas  # noqa: E402,F401
    import pulumi_alicloud.vpc  # noqa: E402,F401

from ehpc_iac.plan import plan_cluster  # noqa: E402
from ehpc_iac.spec import load_cluster_spec  # noqa: E402

CLUSTER_ID = "ehpc-lo-abcdefghij"
CONFIGURATION = "pulumi-python:dynamic/ehpc:Configuration"
MODES = [("Standard", False), ("Standard", True), ("Simple", False), ("Simple", True),
         ("Tiny", False), ("Tiny", True), ("OneBox", False), ("OneBox", True)]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[dict] = []
        self.states: dict[str, dict] = {}      # name -> the state (outputs) the mock returned

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append({"type": args.typ, "name": args.name, "inputs": dict(args.inputs)})
        state = dict(args.inputs)
        if args.typ == "alicloud:ecs/instance:Instance":
            n = len(self.resources)
            state.update(privateIp=f"10.60.1.{n}", publicIp=f"47.0.0.{n}")
        if args.typ == "alicloud:nas/mountTarget:MountTarget":
            state["mountTargetDomain"] = "abc123-xyz.cn-hangzhou.nas.aliyuncs.com"
        if args.typ == CONFIGURATION:
            # what the provider's create returns, without running anything on machines
            from ehpc_iac.pulumi.model import assign_uids
            from ehpc_iac.pulumi.provider import _outputs, _plain
            plain = _plain(state)
            uids = assign_uids([u["name"] for u in plain.get("users") or ()], {})
            state = {**_outputs(plain, uids), "__provider": state["__provider"]}
            self.states[args.name] = state
            return state["cluster_id"], state
        self.states[args.name] = state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of_type(self, typ: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == typ]


def make_spec(mode: str = "Standard", ha: bool = False, computes: int = 2, **more):
    login = 1 if mode in ("Standard", "Simple") else 0
    return load_cluster_spec({"Name": "stacktest", "DeployMode": mode, "HaEnable": ha,
                              "EcsOrder": {"Login": {"Count": login, "InstanceType": "ecs.n1.tiny"},
                                           "Compute": {"Count": computes, "InstanceType": "ecs.n1.medium"}},
                              **more})


def make_plan(mode: str = "Standard", ha: bool = False, **more):
    ids = iter(f"i-{k:08d}" for k in range(1000))
    spec = make_spec(mode, ha, **more)
    return spec, plan_cluster(spec, CLUSTER_ID, new_instance_id=lambda: next(ids))


@pytest.fixture
def mocks():
    pulumi.runtime.settings.ROOT.set(None)
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, project="ehpc-test", stack="test", preview=False)
    yield m
    pulumi.runtime.settings.ROOT.set(None)


def wait_all(resources, check):
    """An Output that runs ``check()`` once every given resource has registered (its id comes from
    the mock's new_resource; a urn can resolve before that call)."""
    return pulumi.Output.all(*[r.id for r in resources]).apply(lambda _: check())


@pytest.fixture
def project_mocks(request, tmp_path, monkeypatch):
    """Mocks for a program run as a project with stack config: ``request.param`` = (project, config)."""
    project, config = request.param
    monkeypatch.setenv("EHPC_IAC_HOME", str(tmp_path))      # the cluster's key and logs
    pulumi.runtime.settings.ROOT.set(None)
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, project=project, stack="dev", preview=False)
    pulumi.runtime.set_all_config({f"{project}:{k}": v for k, v in config.items()})
    yield m
    pulumi.runtime.set_all_config({})
    pulumi.runtime.settings.ROOT.set(None)

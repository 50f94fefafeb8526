"""A real `pulumi up` / `pulumi destroy` of examples/pulumi-docker (the README's walk-through):
the cluster comes up configured, the declared user runs a job, a larger computeCount adds an idle
node, destroy removes everything. Needs the Pulumi CLI and its docker plugin; skipped without
the CLI only."""
from __future__ import annotations

import shlex
import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import dexec, labelled, sinfo_states

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("pulumi") is None,
                                 reason="the Pulumi CLI (`pulumi`) is not installed "
                                        "(https://www.pulumi.com/docs/install/)")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pulumi-docker"
PASSWORD = "Alic3!secret"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from pulumi import automation as auto
    work = tmp_path_factory.mktemp("pulumi-up")
    shutil.copy(EXAMPLE / "__main__.py", work / "__main__.py")
    backend = tmp_path_factory.mktemp("pulumi-state")
    settings = auto.ProjectSettings(name="hpc-docker", runtime=auto.ProjectRuntimeInfo(
        name="python", options={"virtualenv": sys.prefix}))
    env = {"PULUMI_BACKEND_URL": f"file://{backend}", "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex,
           "PULUMI_SKIP_UPDATE_CHECK": "true", "EHPC_IAC_HOME": str(tmp_path_factory.mktemp("ehpc-home"))}
    ws = auto.LocalWorkspaceOptions(work_dir=str(work), project_settings=settings, env_vars=env)
    s = auto.create_stack(f"e2e{uuid.uuid4().hex[:6]}", work_dir=str(work), opts=ws)
    s.set_config("alicePassword", auto.ConfigValue(PASSWORD, secret=True))
    s.set_config("computeCount", auto.ConfigValue("1"))
    s.set_config("subnet", auto.ConfigValue("172.31.250.0/24"))
    try:
        yield s
    finally:
        s.destroy(color="never")
        s.workspace.remove_stack(s.name)


def test_up_makes_a_cluster_where_the_declared_user_runs_a_job(stack):
    res = stack.up(color="never")
    cid = res.outputs["clusterId"].value
    manager = f"{cid}-manager0"
    assert sinfo_states(manager) == {"compute0": "idle"}
    dexec(manager, shlex.join(["sbatch", "-o", "/home/alice/up.out", "--wrap", "hostname"]), user="alice")
    deadline = time.monotonic() + 60
    while "compute0" not in dexec(manager, "cat", "/home/alice/up.out", check=False):
        assert time.monotonic() < deadline, "the job did not run"
        time.sleep(1)
    assert PASSWORD not in stack.export_stack().deployment.__repr__()


def test_a_larger_count_adds_an_idle_node_and_a_second_up_changes_nothing(stack):
    from pulumi import automation as auto
    stack.set_config("computeCount", auto.ConfigValue("2"))
    res = stack.up(color="never")
    cid = res.outputs["clusterId"].value
    assert sinfo_states(f"{cid}-manager0") == {"compute0": "idle", "compute1": "idle"}
    again = stack.up(color="never")
    assert set(again.summary.resource_changes) == {"same"}


def test_destroy_removes_the_cluster(stack):
    cid = stack.outputs()["clusterId"].value
    stack.destroy(color="never")
    assert labelled(cid) == {"containers": [], "networks": [], "volumes": []}

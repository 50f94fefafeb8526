"""OneBox end to end, bad input through the CLI, and a stopped Docker engine."""
import json
import os
import subprocess
import sys

import pytest

from ehpc_iac.engines.docker import DockerEngine
from ehpc_iac.errors import EngineUnavailable

from .conftest import dexec, docker, labelled, sinfo_states


def test_onebox_with_an_extra_compute(ehpc):
    cid = ehpc.create_cluster({"Name": "e2e-onebox", "DeployMode": "OneBox",
                               "EcsOrder": {"Compute": {"Count": 1}}, "JobQueue": "work"})["ClusterId"]
    try:
        mgr = f"{cid}-manager0"
        assert sinfo_states(mgr) == {"manager0": "idle", "compute0": "idle"}
        out = dexec(mgr, "srun", "-N2", "-p", "work", "hostname")
        assert sorted(out.split()) == ["compute0", "manager0"]
        assert "work*" in dexec(mgr, "sinfo", "-h", "-o", "%P")
    finally:
        ehpc.delete_cluster(ClusterId=cid)
    assert labelled(cid) == {"containers": [], "networks": [], "volumes": []}


@pytest.mark.parametrize("yaml_text,field", [
    ("Name: bad\nEcsOrder:\n  Compute:\n    Count: 0\n", "EcsOrder.Compute.Count"),
    ("Name: bad\nEcsOrder:\n  Compute:\n    Count: 1000\n", "EcsOrder.Compute.Count"),
    ("Name: bad\nDeployMode: Huge\n", "DeployMode"),
    ("Name: has spaces\n", "Name"),
])
def test_bad_yaml_fails_with_invalid_params_and_creates_nothing(tmp_path, home, yaml_text, field):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml_text)
    before = docker("ps", "-aq", "--filter", "label=ehpc.managed-by=ehpc-iac").split()
    cli = os.path.join(os.path.dirname(sys.executable), "ehpc-iac")
    p = subprocess.run([cli, "--home", str(home), "-q", "create-cluster", "--file", str(f)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    err = json.loads(p.stderr)
    assert err["Code"] == "InvalidParams" and field in err["Message"]
    after = docker("ps", "-aq", "--filter", "label=ehpc.managed-by=ehpc-iac").split()
    assert after == before


def test_unreachable_docker_engine_says_how_to_start_it(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(EngineUnavailable) as ei:
        DockerEngine().check()
    assert "not reachable" in ei.value.message and "dockerd" in ei.value.message
    assert ei.value.exit_code == 5

"""OneBox end to end, bad input through the CLI, and a stopped Docker engine."""
import functools
import http.server
import ipaddress
import json
import os
import threading
import subprocess
import sys

import pytest

from ehpc_iac.engines.docker import DockerEngine
from ehpc_iac.errors import EngineUnavailable

from .conftest import dexec, docker, labelled, sinfo_states


@pytest.fixture
def script_server(tmp_path):
    """An HTTP server on the host's docker0 address (reachable from the nodes) serving one script."""
    (tmp_path / "remote.sh").write_text('#!/bin/sh\necho "remote $*" > /home/pi-remote-$(hostname)\n')
    cfg = json.loads(docker("network", "inspect", "bridge"))[0]["IPAM"]["Config"][0]
    gw = cfg.get("Gateway") or str(ipaddress.ip_network(cfg["Subnet"])[1])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    srv = http.server.ThreadingHTTPServer((gw, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://{gw}:{srv.server_address[1]}/remote.sh"
    srv.shutdown()


def test_onebox_with_extra_compute_post_install_and_application(ehpc, tmp_path, script_server):
    local = tmp_path / "local.sh"
    local.write_text('#!/bin/sh\necho "local $# $*" >> /home/pi-local-$(hostname)\n')
    cid = ehpc.create_cluster({"Name": "e2e-onebox", "DeployMode": "OneBox", "JobQueue": "work",
                               "EcsOrder": {"Compute": {"Count": 1}}, "Application": [{"Tag": "Lmod"}],
                               "PostInstallScript": [{"Url": str(local), "Args": "two words"},
                                                     {"Url": script_server, "Args": "x"}]})["ClusterId"]
    try:
        mgr = f"{cid}-manager0"
        assert sinfo_states(mgr) == {"manager0": "idle", "compute0": "idle"}
        out = dexec(mgr, "srun", "-N2", "-p", "work", "hostname")
        assert sorted(out.split()) == ["compute0", "manager0"]
        assert "work*" in dexec(mgr, "sinfo", "-h", "-o", "%P")
        # post-install scripts ran once on every node, with their arguments
        for host in ("manager0", "compute0"):
            assert dexec(mgr, "cat", f"/home/pi-local-{host}") == "local 2 two words\n"
            assert dexec(mgr, "cat", f"/home/pi-remote-{host}") == "remote x\n"
        # the application is installed on the compute nodes
        assert "Modules based on Lua" in dexec(f"{cid}-compute0", "bash", "-lc", "module --version 2>&1")
        res = ehpc.reconverge(cid)  # and nothing runs or changes twice
        assert res["AnsibleChanged"] == {"manager0": 0, "compute0": 0}
        assert dexec(mgr, "cat", "/home/pi-local-compute0") == "local 2 two words\n"
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

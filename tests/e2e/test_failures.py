"""Failure paths on real Docker: a failing create is marked exception, a killed one too, and
DeleteCluster always removes everything."""
import os
import signal
import subprocess
import sys
import time

import pytest

from ehpc_iac.errors import ConfigureError

from .conftest import docker, labelled


def test_failing_post_install_marks_exception_then_delete_cleans_up(ehpc, tmp_path):
    script = tmp_path / "fail.sh"
    script.write_text("#!/bin/sh\necho 'disk check failed' >&2\nexit 3\n")
    with pytest.raises(ConfigureError) as ei:  # the error is raised to the caller...
        ehpc.create_cluster({"Name": "e2e-fail", "DeployMode": "OneBox",
                             "PostInstallScript": [{"Url": str(script)}]})
    assert "manager0" in ei.value.message and "disk check failed" in ei.value.message
    _, recs = ehpc.state.list_clusters(0, 50)
    cid = next(r.id for r in recs if r.name == "e2e-fail")
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    # ...and recorded on the cluster, with the reason
    assert info["Status"] == "exception"
    assert info["StatusReason"].startswith("CreateCluster: configuration failed (manager0: task 'Run post-install")
    assert any(l["level"] == "error" for l in ehpc.state.logs(cid))
    assert labelled(cid)["containers"]  # the machines are kept for inspection
    ehpc.delete_cluster(ClusterId=cid)
    assert labelled(cid) == {"containers": [], "networks": [], "volumes": []}


def test_killed_create_is_reported_and_delete_cleans_up(ehpc, home):
    cli = os.path.join(os.path.dirname(sys.executable), "ehpc-iac")
    p = subprocess.Popen([cli, "--home", str(home), "-q", "create-cluster", "--name", "e2e-killed",
                          "--deploy-mode", "Tiny", "--compute-count", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    cid = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once its containers exist (mid-create)
        _, recs = ehpc.state.list_clusters(0, 50)
        rec = next((r for r in recs if r.name == "e2e-killed"), None)
        if rec and len(labelled(rec.id)["containers"]) == 3:
            cid = rec.id
            break
        time.sleep(0.1)
    assert cid, "the create never made its containers"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(10)
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "exception" and "interrupted" in info["StatusReason"]
    ehpc.delete_cluster(ClusterId=cid)
    assert labelled(cid) == {"containers": [], "networks": [], "volumes": []}
    assert ehpc.state.get_cluster(cid) is None

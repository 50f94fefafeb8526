"""A Standard cluster, end to end: create, Slurm and NIS work, idempotent, stop/start, delete."""
import json
import time

import pytest

from .conftest import dexec, docker, labelled, sinfo_states

SPEC = {"Name": "e2e-standard", "DeployMode": "Standard", "Password": "Root!pass123",
        "EcsOrder": {"Compute": {"Count": 2}}}


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


def name(cid, host):
    return f"{cid}-{host}"


def test_created_running_with_every_node(ehpc, cluster):
    info = ehpc.describe_cluster(ClusterId=cluster)["ClusterInfo"]
    assert info["Status"] == "running", info["StatusReason"]
    got = labelled(cluster)
    assert sorted(got["containers"]) == sorted(name(cluster, h) for h in
                                               ("account0", "scheduler0", "login0", "compute0", "compute1"))
    assert got["networks"] == [f"{cluster}-net"]
    simple = ehpc.list_clusters()["Clusters"]["ClusterInfoSimple"]
    me = next(c for c in simple if c["Id"] == cluster)
    assert me["Computes"] == {"Total": 2, "NormalCount": 2, "OperatingCount": 0, "StoppedCount": 0,
                              "ExceptionCount": 0}


def test_every_compute_idle_and_srun_spans_them(cluster):
    assert sinfo_states(name(cluster, "scheduler0")) == {"compute0": "idle", "compute1": "idle"}
    out = dexec(name(cluster, "login0"), "srun", "-N2", "hostname")
    assert sorted(out.split()) == ["compute0", "compute1"]


def test_nis_user_batch_job_writes_to_shared_home(ehpc, cluster):
    ehpc.add_users({"ClusterId": cluster, "User.1.Name": "alice", "User.1.Password": "Alic3!pass"})
    for host in ("login0", "compute0", "compute1", "scheduler0"):
        assert "uid=1001(alice)" in dexec(name(cluster, host), "id", "alice")
    dexec(name(cluster, "login0"),
          "sbatch --wait -N1 -o /home/alice/job-%j.out --wrap 'id -un; hostname; pwd'", user="alice")
    # the output is on the shared volume: read it from another node
    out = dexec(name(cluster, "account0"), "sh", "-c", "cat /home/alice/job-*.out")
    lines = out.split()
    assert lines[0] == "alice" and lines[1] in ("compute0", "compute1") and lines[2] == "/home/alice"
    owner = dexec(name(cluster, "compute0"), "stat", "-c", "%U", "/home/alice")
    assert owner.strip() == "alice"


def test_root_password_is_set_and_not_in_logs(ehpc, cluster):
    shadow = dexec(name(cluster, "login0"), "getent", "shadow", "root")
    assert shadow.split(":")[1].startswith("$6$")
    for log in ehpc.log_dir(cluster).glob("*.log"):
        text = log.read_text()
        assert "Root!pass123" not in text and "Alic3!pass" not in text
        assert shadow.split(":")[1] not in text  # not even the hash
    munge_key = dexec(name(cluster, "scheduler0"), "base64", "-w0", "/etc/munge/munge.key").strip()
    assert munge_key and all(munge_key not in l.read_text() for l in ehpc.log_dir(cluster).glob("*.log"))


def test_munge_key_is_per_cluster_and_shared_by_nodes(cluster):
    keys = {h: dexec(name(cluster, h), "sha256sum", "/etc/munge/munge.key").split()[0]
            for h in ("scheduler0", "compute0", "login0")}
    assert len(set(keys.values())) == 1


def test_second_converge_changes_nothing(ehpc, cluster):
    before = {c: docker("inspect", "-f", "{{.Id}}", c).strip() for c in labelled(cluster)["containers"]}
    res = ehpc.reconverge(cluster)
    assert res["EngineChanged"] is False and res["Created"] == [] and res["Replaced"] == []
    assert res["AnsibleChanged"] == {h: 0 for h in ("account0", "scheduler0", "login0", "compute0", "compute1")}
    after = {c: docker("inspect", "-f", "{{.Id}}", c).strip() for c in labelled(cluster)["containers"]}
    assert before == after


def test_converge_recreates_missing_and_removes_unplanned(ehpc, cluster):
    docker("rm", "-f", name(cluster, "compute1"))
    stray = f"{cluster}-stray0"
    image = docker("inspect", "-f", "{{.Config.Image}}", name(cluster, "compute0")).strip()
    docker("create", "--name", stray, "--label", f"ehpc.cluster-id={cluster}", "--label", "ehpc.hostname=stray0",
           image)
    res = ehpc.reconverge(cluster)
    assert res["Created"] == ["compute1"] and res["Removed"] == ["stray0"] and res["Replaced"] == []
    assert res["AnsibleChanged"]["compute1"] > 0 and res["AnsibleChanged"]["compute0"] == 0
    assert stray not in labelled(cluster)["containers"]
    assert sinfo_states(name(cluster, "scheduler0")) == {"compute0": "idle", "compute1": "idle"}
    # the new node has the cluster's munge key and NIS: a job as alice runs on it
    out = dexec(name(cluster, "login0"), "srun -N1 -w compute1 sh -c 'id -un; hostname'", user="alice")
    assert out.split() == ["alice", "compute1"]


def test_stop_then_start(ehpc, cluster):
    ehpc.stop_cluster(ClusterId=cluster)
    assert ehpc.describe_cluster(ClusterId=cluster)["ClusterInfo"]["Status"] == "stopped"
    states = docker("ps", "-a", "--filter", f"label=ehpc.cluster-id={cluster}", "--format", "{{.State}}").split()
    assert set(states) == {"exited"}
    ehpc.start_cluster(ClusterId=cluster)
    assert ehpc.describe_cluster(ClusterId=cluster)["ClusterInfo"]["Status"] == "running"
    assert sinfo_states(name(cluster, "scheduler0")) == {"compute0": "idle", "compute1": "idle"}
    # users and their files survive
    assert "alice" in dexec(name(cluster, "compute1"), "id", "alice")


def test_delete_leaves_nothing(ehpc, cluster):
    ehpc.delete_cluster(ClusterId=cluster)
    assert labelled(cluster) == {"containers": [], "networks": [], "volumes": []}
    assert ehpc.state.get_cluster(cluster) is None
    assert not ehpc.state.cluster_dir(cluster).exists()

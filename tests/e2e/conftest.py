"""End-to-end fixtures: real Docker, real Ansible over SSH, real Slurm and NIS."""
import subprocess
import time

import pytest

from ehpc_iac.ops import Ehpc


def docker(*args: str, check: bool = True) -> str:
    p = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {p.stderr}")
    return p.stdout


def dexec(container: str, *cmd: str, user: str | None = None, check: bool = True) -> str:
    if user:
        return docker("exec", container, "su", "-", user, "-c", " ".join(cmd), check=check)
    return docker("exec", container, *cmd, check=check)


def labelled(cluster_id: str) -> dict[str, list[str]]:
    flt = f"label=ehpc.cluster-id={cluster_id}"
    return {
        "containers": docker("ps", "-a", "--filter", flt, "--format", "{{.Names}}").split(),
        "networks": docker("network", "ls", "--filter", flt, "--format", "{{.Name}}").split(),
        "volumes": docker("volume", "ls", "--filter", flt, "--format", "{{.Name}}").split(),
    }


def sinfo_states(container: str) -> dict[str, str]:
    out = dexec(container, "sinfo", "-h", "-N", "-o", "%N %T")
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}


def wait_state(ehpc, cid, jid, states, timeout=120):
    """DescribeJob until the job is in one of ``states``; its view."""
    deadline = time.monotonic() + timeout
    while True:
        job = ehpc.describe_job(ClusterId=cid, JobId=jid)["Message"]
        if job["State"] in states:
            return job
        assert time.monotonic() < deadline, f"job {jid} stayed {job['State']} ({job['SchedulerState']})"
        time.sleep(1)


def cluster_with_user(ehpc, spec: dict, user: str, password: str):
    """Module fixture body: a cluster with one NIS user, deleted at the end (if a test did not)."""
    cid = ehpc.create_cluster(spec)["ClusterId"]
    ehpc.add_users({"ClusterId": cid, "User.1.Name": user, "User.1.Password": password})
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


@pytest.fixture(scope="session")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("ehpc-home")


@pytest.fixture(scope="session")
def ehpc(home):
    ops = Ehpc(home)
    yield ops
    # whatever a failed test left behind is removed, so no container outlives the run
    _, recs = ops.state.list_clusters(0, 1000)
    for rec in recs:
        ops.delete_cluster(ClusterId=rec.id)

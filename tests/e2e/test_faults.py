"""Fault injection on real Docker, one Tiny cluster for the module (manager0: NIS master, slurmctld
and login; compute0). Each fault ends with the cluster running after at most one RecoverCluster,
the user able to log in with the password, /home's data byte-identical, and every job submitted
before the fault started exactly once (its own record of starts on /home says so)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

from ehpc_iac.errors import EhpcError

from .conftest import cluster_with_user, dexec, docker

USER, PASSWORD = "fay", "Fay!pass77"
# each job records its start and end on the shared /home; a second start would show
JOB = "echo start $SLURM_JOB_ID >> $HOME/starts.log; sleep {secs}; echo end $SLURM_JOB_ID >> $HOME/starts.log"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, {"Name": "e2e-faults", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 1},
                                 USER, PASSWORD)


@pytest.fixture(scope="module")
def data(ehpc, cluster):
    """Files on /home whose checksums must survive every fault."""
    c = ehpc.state.get_cluster(cluster).plan.container_name("manager0")
    dexec(c, "su", "-", USER, "-c", "mkdir -p data && head -c 200000 /dev/urandom > data/a && seq 1 5000 > data/b")
    return _checksums(ehpc, cluster)


def _container(ehpc, cid, host):
    return ehpc.state.get_cluster(cid).plan.container_name(host)


def _checksums(ehpc, cid) -> str:
    return dexec(_container(ehpc, cid, "compute0"), "sh", "-c", f"cd /home/{USER}/data && sha256sum a b")


def _status(ehpc, cid) -> dict:
    ehpc.health.forget(cid)
    return ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]


def _recover(ehpc, cid, label: str) -> None:
    t0 = time.monotonic()
    ehpc.recover_cluster(ClusterId=cid)
    TIMINGS[label] = round(time.monotonic() - t0, 1)


def _healthy(ehpc, cid, data) -> None:
    info = _status(ehpc, cid)
    assert info["Status"] == "running", info["StatusReason"]
    addr = next(n for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"] if n["HostName"] == "manager0")
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(addr["PrivateIpAddress"], username=USER, password=PASSWORD, timeout=15, allow_agent=False,
              look_for_keys=False)
    c.close()
    assert _checksums(ehpc, cid) == data


def _starts(ehpc, cid) -> list[str]:
    out = dexec(_container(ehpc, cid, "compute0"), "sh", "-c", f"cat /home/{USER}/starts.log 2>/dev/null; true")
    return out.split()


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _job_state(ehpc, cid, jid) -> str:
    return ehpc.describe_job(ClusterId=cid, JobId=jid)["Message"]["State"]


def test_controller_removed_just_after_a_job_starts(ehpc, cluster, data):
    jid = ehpc.submit_job(ClusterId=cluster, CommandLine=JOB.format(secs=15), RunasUser=USER)["JobId"]
    _wait(lambda: f"start {jid}" in " ".join(_starts(ehpc, cluster)), 60, "the job's start")
    time.sleep(1)
    docker("rm", "-f", _container(ehpc, cluster, "manager0"))
    info = _status(ehpc, cluster)
    assert info["Status"] == "exception" and "manager0" in info["StatusReason"]
    t0 = time.monotonic()
    with pytest.raises(EhpcError) as ei:  # fails at once, naming the node, instead of hanging
        ehpc.list_jobs(ClusterId=cluster)
    assert time.monotonic() - t0 < 8 and "manager0" in ei.value.message
    assert (ei.value.code, ei.value.http_status) == ("ManagerNotFound", 404)   # the reference's code
    _recover(ehpc, cluster, "controller removed 1 s into a job")
    _healthy(ehpc, cluster, data)
    _wait(lambda: f"end {jid}" in " ".join(_starts(ehpc, cluster)), 60, "the job's end")
    time.sleep(6)  # a second launch, if any, would have started by now
    starts = " ".join(_starts(ehpc, cluster)).split("start ")[1:]
    assert [s.split()[0] for s in starts].count(jid) == 1, _starts(ehpc, cluster)
    assert _job_state(ehpc, cluster, jid) in ("Finished", "Stopped", "Running")


def test_slurmctld_killed(ehpc, cluster, data):
    manager = _container(ehpc, cluster, "manager0")
    dexec(manager, "pkill", "-9", "-x", "slurmctld")
    info = _wait(lambda: (lambda i: i if i["Status"] == "exception" else None)(_status(ehpc, cluster)), 20,
                 "the status to follow the fault")
    assert "scheduler check failed on manager0" in info["StatusReason"]
    _recover(ehpc, cluster, "slurmctld killed")
    _healthy(ehpc, cluster, data)
    jid = ehpc.submit_job(ClusterId=cluster, CommandLine=JOB.format(secs=1), RunasUser=USER)["JobId"]
    _wait(lambda: f"end {jid}" in " ".join(_starts(ehpc, cluster)), 60, "a job after the recovery")


def test_compute_paused_then_unpaused(ehpc, cluster, data):
    compute = _container(ehpc, cluster, "compute0")
    docker("pause", compute)
    try:
        nodes = {n["HostName"]: n for n in ehpc.list_nodes(ClusterId=cluster)["Nodes"]["NodeInfo"]}
        assert nodes["compute0"]["Status"] == "exception"
        assert _status(ehpc, cluster)["Status"] == "running"   # the cluster still works without it
    finally:
        docker("unpause", compute)
    _wait(lambda: {n["HostName"]: n["Status"] for n in
                   ehpc.list_nodes(ClusterId=cluster)["Nodes"]["NodeInfo"]}["compute0"] == "running", 30,
          "compute0 back")
    _healthy(ehpc, cluster, data)


def _playbook_pids(run_root: Path) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if str(run_root).encode() in (p / "cmdline").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


def test_cli_sigkilled_during_add_nodes(ehpc, cluster, data, home):
    run_root = ehpc.state.cluster_dir(cluster) / "run"
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    # the CLI of the code under test (python -m from the project root, not an installed entry point)
    p = subprocess.Popen([sys.executable, "-m", "ehpc_iac.cli.main", "--home", str(home), "-q", "add-nodes",
                          "--cluster-id", cluster, "--count", "1"], cwd=Path(__file__).resolve().parents[2],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait(lambda: _playbook_pids(run_root), 120, "the AddNodes playbook")
    finally:
        os.kill(p.pid, signal.SIGKILL)   # the owner only, as a crash would
        p.wait(10)
    _wait(lambda: not _playbook_pids(run_root), 10, "the orphaned playbook to stop")
    assert ehpc.state.get_cluster(cluster).status == "running"   # the record is consistent: no lock, no status lost
    left = list(run_root.iterdir())   # what the killed owner left: inside the 0700 state directory only
    assert left and oct(run_root.stat().st_mode & 0o777) == "0o700"
    secret = ehpc.state.users(cluster)[0]["password_hash"]   # in the run's extravars: nowhere else in /tmp
    leaked = subprocess.run(["grep", "-rlF", "--", secret, "/tmp"], capture_output=True, text=True).stdout.split()
    assert not [f for f in leaked if not f.startswith(str(home))], leaked
    _recover(ehpc, cluster, "CLI SIGKILLed during AddNodes")
    assert not any(d.exists() for d in left)   # swept by the next operation
    _healthy(ehpc, cluster, data)
    assert len(ehpc.state.get_cluster(cluster).plan.computes) == 2   # the added node was completed


def test_no_secret_in_state_logs_or_container_environments(ehpc, cluster):
    cdir = ehpc.state.cluster_dir(cluster)
    hashes = [u["password_hash"] for u in ehpc.state.users(cluster)]
    for f in cdir.rglob("*"):
        if f.is_file() and f.suffix in (".log", ".json", ".yml", ""):
            text = f.read_text(errors="replace")
            assert not any(h in text for h in hashes), f
    for host in ("manager0", "compute0"):
        env = docker("inspect", "-f", "{{json .Config.Env}}", _container(ehpc, cluster, host))
        assert PASSWORD not in env and not any(h in env for h in hashes)


@pytest.fixture(scope="module", autouse=True)
def report_timings():
    yield
    print("\nrecovery times (s):", TIMINGS)   # for the note's table (pytest -s)


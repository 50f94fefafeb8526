"""Nodes and recovery on real Docker: AddNodes while a job runs (no slurmctld restart),
DeleteNodes drains a busy node first, a concurrent writer gets ConflictOpt, Stop/Start/Reset,
RecoverCluster after a lost compute and after slurmctld was killed."""
import time

import pytest

from ehpc_iac.errors import ConflictOpt

from .conftest import dexec, docker, labelled, sinfo_states


def wait_until(fn, timeout=90, step=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="module")
def cid(ehpc):
    c = ehpc.create_cluster({"Name": "e2e-nodes", "DeployMode": "Simple",
                             "EcsOrder": {"Compute": {"Count": 1}}})["ClusterId"]
    yield c
    if ehpc.state.get_cluster(c):
        ehpc.delete_cluster(ClusterId=c)


def node_id(ehpc, cid, host):
    return next(n["Id"] for n in ehpc.list_nodes_no_paging(ClusterId=cid)["Nodes"]["NodeInfo"]
                if n["HostName"] == host)


def slurmctld_started(cid):
    return dexec(f"{cid}-manager0", "ps", "-C", "slurmctld", "-o", "lstart=").strip()


def job_state(cid, job):
    return dexec(f"{cid}-manager0", "squeue", "-h", "-j", job, "-o", "%T", check=False).strip()


def test_add_nodes_idle_while_an_earlier_job_keeps_running(ehpc, cid):
    mgr = f"{cid}-manager0"
    job = dexec(mgr, "sbatch", "--parsable", "-N1", "-w", "compute0", "--wrap", "sleep 900").strip()
    wait_until(lambda: job_state(cid, job) == "RUNNING")
    ctld = slurmctld_started(cid)
    resp = ehpc.add_nodes(ClusterId=cid, Count=2)
    assert len(resp["InstanceIds"]["InstanceId"]) == 2
    states = sinfo_states(mgr)
    assert states["compute1"] == "idle" and states["compute2"] == "idle"
    assert job_state(cid, job) == "RUNNING"             # the earlier job was not disturbed
    assert slurmctld_started(cid) == ctld               # and slurmctld was not restarted
    out = dexec(f"{cid}-login0", "srun", "-N2", "-w", "compute1,compute2", "hostname")
    assert sorted(out.split()) == ["compute1", "compute2"]
    nodes = {n["HostName"]: n for n in ehpc.list_nodes(ClusterId=cid, PageSize=50)["Nodes"]["NodeInfo"]}
    assert nodes["compute0"]["SchedulerState"] in ("allocated", "mixed") and nodes["compute0"]["UsedResources"]["Cpu"] == 1
    assert nodes["compute2"]["Status"] == "running" and nodes["compute2"]["PrivateIpAddress"]
    dexec(mgr, "scancel", job)


def test_delete_busy_node_drains_first_and_conflicts(ehpc, cid):
    mgr = f"{cid}-manager0"
    job = dexec(mgr, "sbatch", "--parsable", "-N1", "-w", "compute2", "-o", "/home/drain-job.out",
                "--wrap", "sleep 8; echo finished").strip()
    wait_until(lambda: job_state(cid, job) == "RUNNING")
    resp = ehpc.delete_nodes({"ClusterId": cid, "Instance.1.Id": node_id(ehpc, cid, "compute2"), "Async": True})
    wait_until(lambda: dexec(mgr, "sinfo", "-h", "-n", "compute2", "-o", "%T").strip() in ("draining", "drained"),
               timeout=20, step=0.5)
    assert job_state(cid, job) == "RUNNING"            # drained, not killed
    with pytest.raises(ConflictOpt):                    # one writer at a time
        ehpc.add_nodes(ClusterId=cid, Count=1)
    final = ehpc.wait_operation(cid, resp["TaskId"], timeout=120)
    assert final["message"] == "DeleteNodes succeeded", final
    assert dexec(mgr, "cat", "/home/drain-job.out").strip() == "finished"   # the job completed
    assert "compute2" not in sinfo_states(mgr)
    assert f"{cid}-compute2" not in labelled(cid)["containers"]


def test_stop_start_and_reset_a_node(ehpc, cid):
    mgr, nid = f"{cid}-manager0", node_id(ehpc, cid, "compute1")
    ehpc.stop_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert docker("inspect", "-f", "{{.State.Status}}", f"{cid}-compute1").strip() == "exited"
    status = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert status["compute1"] == "stopped"
    ehpc.start_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert sinfo_states(mgr)["compute1"] == "idle"
    dexec(f"{cid}-compute1", "touch", "/root/marker")
    ehpc.reset_nodes({"ClusterId": cid, "Instance.1.Id": nid})
    assert dexec(f"{cid}-compute1", "test", "-e", "/root/marker", check=False) == ""
    assert docker("exec", f"{cid}-compute1", "test", "-e", "/root/marker", check=False) == ""
    assert sinfo_states(mgr)["compute1"] == "idle"
    assert dexec(f"{cid}-login0", "srun", "-w", "compute1", "hostname").strip() == "compute1"


def test_recover_after_losing_a_compute_and_killing_slurmctld(ehpc, cid):
    mgr = f"{cid}-manager0"
    job = dexec(mgr, "sbatch", "--parsable", "-N1", "-w", "compute0", "--wrap", "sleep 900").strip()
    wait_until(lambda: job_state(cid, job) == "RUNNING")
    # a crash loses what slurmctld had not saved yet. Saves of the start may share a second with it, so
    # change the running job a full second later (which schedules a save) and wait for a newer state file.
    time.sleep(2)
    t_mark = int(dexec(mgr, "date", "+%s"))
    dexec(mgr, "scontrol", "update", f"jobid={job}", "comment=saved-while-running")
    wait_until(lambda: int(dexec(mgr, "stat", "-c", "%Y", "/var/spool/slurmctld/job_state")) >= t_mark, timeout=60)
    docker("rm", "-f", f"{cid}-compute1")
    dexec(mgr, "pkill", "-9", "slurmctld")
    status = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert status["compute1"] == "exception"
    assert dexec(mgr, "sinfo", check=False) == ""       # the controller is gone
    ehpc.recover_cluster(ClusterId=cid)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"
    states = sinfo_states(mgr)
    assert states["compute1"] == "idle" and states["compute0"] in ("allocated", "mixed")
    assert job_state(cid, job) == "RUNNING"             # the running job survived the crash
    out = dexec(f"{cid}-login0", "srun", "-w", "compute1", "sh", "-c", "hostname; ls -d /home")
    assert out.split() == ["compute1", "/home"]
    dexec(mgr, "scancel", job)


def test_add_nodes_killed_halfway_then_recover(ehpc, cid, home):
    import os
    import signal
    import subprocess
    import sys
    cli = os.path.join(os.path.dirname(sys.executable), "ehpc-iac")
    before = set(labelled(cid)["containers"])
    p = subprocess.Popen([cli, "--home", str(home), "-q", "add-nodes", "--cluster-id", cid, "--count", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    added = wait_until(lambda: set(labelled(cid)["containers"]) - before, timeout=60, step=0.2)
    os.killpg(p.pid, signal.SIGKILL)  # mid-way: the container exists, configuration has not finished
    p.wait(10)
    host = next(iter(added)).removeprefix(f"{cid}-")
    status = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert status[host] == "exception", status     # not "init" forever
    ehpc.recover_cluster(ClusterId=cid)
    assert sinfo_states(f"{cid}-manager0")[host] == "idle"
    status = {n["HostName"]: n["Status"] for n in ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]}
    assert status[host] == "running"
    assert dexec(f"{cid}-login0", "srun", "-w", host, "hostname").strip() == host

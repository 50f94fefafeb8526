"""DAG jobs end to end on one Tiny cluster (manager0 submits, 2 computes, one NIS user): a 3-task DAG
A -> B, A -> C runs in order, a failing A prevents B and C, MaxRetryCount retries a failing task,
a cycle is refused with InvalidDependencies and submits nothing."""
import subprocess
import time

import pytest

from ehpc_iac.errors import EhpcError

from .conftest import dexec

SPEC = {"Name": "e2e-dag", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 2}}}
USER = "dora"
HOME = f"/home/{USER}"


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    ehpc.add_users({"ClusterId": cid, "User.1.Name": USER, "User.1.Password": "D0ra!pass"})
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


def mgr(cid):
    return f"{cid}-manager0"


def exists(cid, path):
    return subprocess.run(["docker", "exec", mgr(cid), "test", "-e", path]).returncode == 0


def dag(cid, name, tasks, deps, **kw):
    return {"ClusterId": cid, "RunasUser": USER, "Name": name, "Priority": 500, "JobFailOnInstanceFail": True,
            "DAG": {"Tasks": tasks, "Dependencies": deps}, **kw}


def task(cmd, **kw):
    return {"InstanceCount": 1, "Timeout": 120, "MaxRetryCount": 0,
            "Parameters": {"Command": {"CommandLine": cmd, "EnvVars": kw.pop("EnvVars", {})}}, **kw}


def wait_job(ehpc, cid, jid, states=("Finished", "Failed", "Stopped"), timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job = ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]
        ended = all(t["State"] in ("Finished", "Failed", "Stopped") for t in job["Tasks"])
        if job["State"] in states and ended:
            return job
        assert time.monotonic() < deadline, f"DAG job {jid} stayed {job['State']}: {job['Tasks']}"
        time.sleep(1)


def test_three_tasks_run_in_dependency_order(ehpc, cluster):
    stamp = "date +%s.%N"
    tasks = {
        "A": task(f'{stamp} > {HOME}/a.start; sleep 4; echo "$GREETING" > {HOME}/a.env; {stamp} > {HOME}/a.end',
                  EnvVars={"GREETING": "hi; $(touch /tmp/pwned) there"}),
        "B": task(f"{stamp} > {HOME}/b.start; id -un > {HOME}/b.user"),
        "C": task(f"{stamp} > {HOME}/c.start", InstanceCount=2,
                  Parameters={"Command": {"CommandLine": f"{stamp} > {HOME}/c.start.$EHPC_DAG_INSTANCE_ID"}}),
    }
    jid = ehpc.create_dag_job(dag(cluster, "order", tasks, {"A": ["B", "C"]}))["Id"]
    job = wait_job(ehpc, cluster, jid)
    assert job["State"] == "Finished", job
    assert [t["State"] for t in job["Tasks"]] == ["Finished"] * 3
    m = mgr(cluster)
    a_end = float(dexec(m, "cat", f"{HOME}/a.end"))
    for f in ("b.start", "c.start.0", "c.start.1"):
        assert float(dexec(m, "cat", f"{HOME}/{f}")) >= a_end, f
    assert dexec(m, "cat", f"{HOME}/b.user").strip() == USER
    assert dexec(m, "cat", f"{HOME}/a.env") == "hi; $(touch /tmp/pwned) there\n"
    assert not exists(cluster, "/tmp/pwned")
    listed = {j["Id"]: j for j in ehpc.list_dag_jobs(ClusterId=cluster, PageSize=50)["Jobs"]}
    assert listed[jid]["State"] == "Finished"


def test_failing_source_prevents_its_targets(ehpc, cluster):
    tasks = {"A": task("exit 3"), "B": task(f"touch {HOME}/fail.b"), "C": task(f"touch {HOME}/fail.c")}
    jid = ehpc.create_dag_job(dag(cluster, "fails", tasks, {"A": ["B", "C"]}))["Id"]
    job = wait_job(ehpc, cluster, jid)
    states = {t["TaskName"]: t["State"] for t in job["Tasks"]}
    print("failing DAG:", [(t["TaskName"], t["State"], t["SchedulerState"], t["Reason"]) for t in job["Tasks"]])
    assert job["State"] == "Failed" and states["A"] == "Failed", job
    assert states["B"] in ("Stopped", "Failed") and states["C"] in ("Stopped", "Failed"), job
    for f in ("fail.b", "fail.c"):
        assert not exists(cluster, f"{HOME}/{f}"), f


def test_max_retry_count_retries_a_failing_task(ehpc, cluster):
    counter = f"{HOME}/retry.count"
    cmd = (f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; "
           f"[ $n -ge 2 ]")
    tasks = {"R": task(cmd, MaxRetryCount=2), "After": task(f"touch {HOME}/after.retry")}
    jid = ehpc.create_dag_job(dag(cluster, "retry", tasks, {"R": ["After"]}))["Id"]
    job = wait_job(ehpc, cluster, jid)
    assert job["State"] == "Finished", job
    assert dexec(mgr(cluster), "cat", counter).strip() == "2"
    assert exists(cluster, f"{HOME}/after.retry")


def test_cycle_is_refused_and_nothing_is_submitted(ehpc, cluster):
    before = dexec(mgr(cluster), "squeue", "-h", "-a", "-o", "%i")
    n_jobs = len(ehpc.list_dag_jobs(ClusterId=cluster, PageSize=50)["Jobs"])
    tasks = {"A": task("true"), "B": task("true"), "C": task("true")}
    with pytest.raises(EhpcError) as e:
        ehpc.create_dag_job(dag(cluster, "cycle", tasks, {"A": ["B"], "B": ["C"], "C": ["A"]}))
    assert e.value.code == "InvalidDependencies" and e.value.http_status == 400
    assert e.value.field == "DAG.Dependencies"
    assert dexec(mgr(cluster), "squeue", "-h", "-a", "-o", "%i") == before
    assert len(ehpc.list_dag_jobs(ClusterId=cluster, PageSize=50)["Jobs"]) == n_jobs


def test_stop_cancels_running_and_waiting_tasks(ehpc, cluster):
    tasks = {"Long": task("sleep 100", InstanceCount=2), "Next": task(f"touch {HOME}/stop.next")}
    jid = ehpc.create_dag_job(dag(cluster, "stopme", tasks, {"Long": ["Next"]}))["Id"]
    deadline = time.monotonic() + 60
    while ehpc.describe_dag_job(ClusterId=cluster, JobId=jid)["Job"]["State"] != "Running":
        assert time.monotonic() < deadline
        time.sleep(1)
    ehpc.stop_dag_job(ClusterId=cluster, JobId=jid)
    job = wait_job(ehpc, cluster, jid, timeout=60)
    assert job["State"] == "Stopped" and [t["State"] for t in job["Tasks"]] == ["Stopped", "Stopped"], job
    assert dexec(mgr(cluster), "squeue", "-h", "-u", USER) == ""
    assert not exists(cluster, f"{HOME}/stop.next")

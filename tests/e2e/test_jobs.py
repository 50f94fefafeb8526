"""Jobs end to end on a Tiny cluster (manager0 submits, 2 computes): a NIS user's job writes its
output in /home, an array 1-5:2 runs 3 elements, Variables reach the job, StopJobs stops a running
job, RerunJobs requeues a running job and refuses a finished one, bad input submits nothing."""
import time

import pytest

from ehpc_iac.errors import EhpcError

from .conftest import cluster_with_user, dexec, wait_state

SPEC = {"Name": "e2e-jobs", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 2}}}
PW = "Carl0s!pass"


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, SPEC, "carol", PW)


def mgr(cid):
    return f"{cid}-manager0"


def squeue_count(cid):
    return len(dexec(mgr(cid), "squeue", "-h", "-a").splitlines())


def test_job_as_nis_user_writes_output_in_home_with_variables(ehpc, cluster):
    # the output directory must exist before the job starts: Slurm opens the files first
    dexec(mgr(cluster), "runuser", "-u", "carol", "--", "mkdir", "-p", "/home/carol/out")
    jid = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", RunasUserPassword=PW, Name="hello",
                          CommandLine='echo "user=$(id -un) greet=$GREETING"; echo oops >&2',
                          Variables='[{"Name": "GREETING", "Value": "hi; $(rm -rf ~) `x` there"}]',
                          PostCmdLine="echo post-done", StdoutRedirectPath="/home/carol/out/hello.out",
                          StderrRedirectPath="out/hello.err", Priority=5)["JobId"]
    job = wait_state(ehpc, cluster, jid, ("Finished", "Failed"))
    assert job["State"] == "Finished" and job["Owner"] == "carol" and job["Name"] == "hello"
    out = dexec(mgr(cluster), "cat", "/home/carol/out/hello.out")
    assert out == "user=carol greet=hi; $(rm -rf ~) `x` there\npost-done\n"
    assert dexec(mgr(cluster), "stat", "-c", "%U", "/home/carol/out/hello.out").strip() == "carol"
    log = ehpc.get_job_log(ClusterId=cluster, JobId=jid)
    assert log["OutputLog"] == out and log["ErrorLog"] == "oops\n"
    listed = {j["Id"]: j for j in ehpc.list_jobs(ClusterId=cluster, PageSize=50)["Jobs"]["JobInfo"]}
    assert listed[jid]["State"] == "Finished" and listed[jid]["Priority"] == 5


def test_package_from_input_file_unpacked_in_package_path(ehpc, cluster):
    dexec(mgr(cluster), "runuser", "-u", "carol", "--", "sh", "-c",
          "mkdir -p /home/carol/src/p && echo payload > /home/carol/src/p/data.txt && "
          "tar czf /home/carol/pkg.tgz -C /home/carol/src p")
    jid = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", CommandLine="pwd; cat p/data.txt",
                          PackagePath="/home/carol/work", InputFileUrl="/home/carol/pkg.tgz", UnzipCmd="tar xzf",
                          StdoutRedirectPath="/home/carol/pkg.out")["JobId"]
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"))["State"] == "Finished"
    assert dexec(mgr(cluster), "cat", "/home/carol/pkg.out") == "/home/carol/work\npayload\n"


def test_array_runs_exactly_three_elements(ehpc, cluster):
    jid = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", ArrayRequest="1-5:2",
                          CommandLine="echo $SLURM_ARRAY_TASK_ID > /home/carol/arr-$SLURM_ARRAY_TASK_ID.txt",
                          StdoutRedirectPath="/tmp/arr-%a.out")["JobId"]
    deadline = time.monotonic() + 120
    while True:
        files = dexec(mgr(cluster), "sh", "-c", "ls /home/carol | grep '^arr-' || true").split()
        active = [l for l in dexec(mgr(cluster), "squeue", "-h", "-j", jid).splitlines() if l.strip()]
        if not active and len(files) >= 3:
            break
        assert time.monotonic() < deadline, (files, active)
        time.sleep(1)
    assert sorted(files) == ["arr-1.txt", "arr-3.txt", "arr-5.txt"]
    listed = [j["Id"] for j in ehpc.list_jobs(ClusterId=cluster, PageSize=50)["Jobs"]["JobInfo"]]
    assert sorted(i for i in listed if i.startswith(f"{jid}_")) == [f"{jid}_1", f"{jid}_3", f"{jid}_5"]
    assert ehpc.describe_job(ClusterId=cluster, JobId=jid)["Message"]["State"] == "Finished"


def test_stop_jobs_stops_a_running_job(ehpc, cluster):
    jid = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", CommandLine="sleep 300")["JobId"]
    wait_state(ehpc, cluster, jid, ("Running",))
    ehpc.stop_jobs(ClusterId=cluster, Jobs=f'[{{"Id": "{jid}"}}]')
    job = wait_state(ehpc, cluster, jid, ("Stopped",), timeout=60)
    assert job["SchedulerState"].startswith("CANCELLED")


def test_rerun_requeues_running_job_and_refuses_finished(ehpc, cluster):
    jid = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", CommandLine="sleep 300", ReRunable=True)["JobId"]
    wait_state(ehpc, cluster, jid, ("Running",))
    ehpc.rerun_jobs(ClusterId=cluster, Jobs=[{"Id": jid}])
    raw = dexec(mgr(cluster), "squeue", "-h", "-j", jid, "-o", "%T").strip()
    assert raw in ("PENDING", "REQUEUED", "REQUEUE_HOLD"), raw
    assert ehpc.describe_job(ClusterId=cluster, JobId=jid)["Message"]["State"] == "Queued"
    done = ehpc.submit_job(ClusterId=cluster, RunasUser="carol", CommandLine="true")["JobId"]
    wait_state(ehpc, cluster, done, ("Finished",))
    with pytest.raises(EhpcError) as e:
        ehpc.rerun_jobs(ClusterId=cluster, Jobs=[{"Id": done}])
    assert e.value.code == "AgentError.Job.RerunFailure" and done in e.value.message
    with pytest.raises(EhpcError) as e:
        ehpc.rerun_jobs(ClusterId=cluster, Jobs=[{"Id": done}, {"Id": jid}])
    assert e.value.code == "PartFailure" and e.value.http_status == 409
    ehpc.delete_jobs(ClusterId=cluster, Jobs=[{"Id": jid}])
    assert jid not in {j["Id"] for j in ehpc.list_jobs(ClusterId=cluster, PageSize=50)["Jobs"]["JobInfo"]}


@pytest.mark.parametrize("params, code, field", [
    ({"RunasUser": "carol"}, "InvalidParams", "CommandLine"),
    ({"RunasUser": "carol", "CommandLine": "true", "ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
    ({"RunasUser": "carol", "CommandLine": "true", "Priority": 2000}, "InvalidParams", "Priority"),
    ({"RunasUser": "nobody2", "CommandLine": "true"}, "AgentError.Account.UserNotExist", "RunasUser"),
    ({"RunasUser": "root", "CommandLine": "true"}, "InvalidParams", "RunasUser"),
    ({"RunasUser": "carol", "CommandLine": "true", "StdoutRedirectPath": "/etc/x"}, "InvalidParams",
     "StdoutRedirectPath"),
])
def test_bad_submit_submits_nothing(ehpc, cluster, params, code, field):
    before = ehpc.jobs_store.all(cluster)
    n = squeue_count(cluster)
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job(ClusterId=cluster, **params)
    assert e.value.code == code and field in e.value.message
    assert ehpc.jobs_store.all(cluster) == before and squeue_count(cluster) == n


def test_rerun_101_jobs_refused(ehpc, cluster):
    with pytest.raises(EhpcError) as e:
        ehpc.rerun_jobs(ClusterId=cluster, Jobs=[{"Id": str(i)} for i in range(1, 102)])
    assert e.value.code == "InvalidParams" and "Jobs" in e.value.message


def test_create_job_direct_command(ehpc, cluster):
    jid = ehpc.create_job(ClusterId=cluster, JobName="cj", JobSpec={
        "CommandLine": "-- /bin/echo 'a b' $HOME;id", "RunasUser": "carol", "StdoutPath": "cj.out",
        "Variables": [{"Name": "V", "Value": "1"}], "WallTime": "5", "Resources": {"Nodes": 1, "Cores": 1}})["JobId"]
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"))["State"] == "Finished"
    assert dexec(mgr(cluster), "cat", "/home/carol/cj.out") == "a b $HOME;id\n"

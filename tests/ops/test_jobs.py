"""Job operations over a fake JobScheduler: validation before anything is submitted, the job
record merged with the scheduler's view, batch failures (PartFailure, RerunFailure)."""
import json

import pytest

from ehpc_iac.errors import EhpcError, InvalidParams
from ehpc_iac.scheduler.base import FINISHED, QUEUED, RUNNING, STOPPED, JobInfo
from tests.fakes import cluster_with_user


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "j1", 2)


def submit(ehpc, cid, **kw):
    return ehpc.submit_job(ClusterId=cid, **{"RunasUser": "carol", "CommandLine": "echo hi", **kw})["JobId"]


def test_submit_maps_every_parameter(ehpc, cid, sched):
    jid = submit(ehpc, cid, Name="hello", JobQueue="comp", Priority=9, ReRunable=True, ArrayRequest="1-5:2",
                 Variables='[{"Name": "A", "Value": "1 2"}]', StdoutRedirectPath="out/%j.out",
                 StderrRedirectPath="/tmp/e.err", PostCmdLine="echo post", Node=2, Task=2, Thread=1, Mem="1GB",
                 ClockTime="01:00:00", Gpu=0, RunasUserPassword="Carl0s!pass")
    assert jid == "101"
    r = sched.submitted[0]
    assert (r.user, r.workdir, r.name, r.queue, r.nice, r.rerunable, r.array) == (
        "carol", "/home/carol", "hello", "comp", 0, True, "1-5:2")
    assert r.env == {"A": "1 2"} and r.stdout == "/home/carol/out/%j.out" and r.stderr == "/tmp/e.err"
    assert (r.post_command, r.nodes, r.tasks, r.cpus_per_task, r.mem_mb, r.time_s) == (
        "echo post", 2, 2, 1, 1024, 3600)
    assert submit(ehpc, cid, Priority=0) and sched.submitted[1].nice == 900
    assert sched.submitted[1].nice is not None and sched.submitted[1].env == {}


@pytest.mark.parametrize("params, code, field", [
    ({"CommandLine": None}, "InvalidParams", "CommandLine"),
    ({"CommandLine": "  "}, "InvalidParams", "CommandLine"),
    ({"ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
    ({"ArrayRequest": "1-5:0"}, "InvalidParams", "ArrayRequest"),
    ({"ArrayRequest": "abc"}, "InvalidParams", "ArrayRequest"),
    ({"Priority": 2000}, "InvalidParams", "Priority"),
    ({"Priority": -1}, "InvalidParams", "Priority"),
    ({"RunasUser": "dave"}, "AgentError.Account.UserNotExist", "RunasUser"),
    ({"RunasUser": "root"}, "InvalidParams", "RunasUser"),
    ({"RunasUser": None}, "InvalidParams", "RunasUser"),
    ({"RunasUserPassword": "Wr0ng!pass"}, "IncorrectCredential", "RunasUserPassword"),
    ({"JobQueue": "nope"}, "ObjectNotFound", "JobQueue"),
    ({"StdoutRedirectPath": "/etc/passwd"}, "InvalidParams", "StdoutRedirectPath"),
    ({"StdoutRedirectPath": "/home/bob/x"}, "InvalidParams", "StdoutRedirectPath"),
    ({"StderrRedirectPath": "../bob/x"}, "InvalidParams", "StderrRedirectPath"),
    ({"StderrRedirectPath": "/tmp/a b"}, "InvalidParams", "StderrRedirectPath"),
    ({"Variables": '[{"Name": "1A", "Value": "x"}]'}, "InvalidParams", "Variables"),
    ({"Variables": "not json"}, "InvalidParams", "Variables"),
    ({"Name": "a b"}, "InvalidParams", "Name"),
    ({"Gpu": 1}, "InvalidParams", "Gpu"),
    ({"Mem": "lots"}, "InvalidParams", "Mem"),
    ({"ClockTime": "soon"}, "InvalidParams", "ClockTime"),
    ({"Thread": 2, "Cpu": 4}, "InvalidParams", "Cpu"),
    ({"PackagePath": "/etc"}, "InvalidParams", "PackagePath"),
    ({"InputFileUrl": "ftp://x/y"}, "InvalidParams", "InputFileUrl"),
    ({"InputFileUrl": "/home/bob/x.tgz"}, "InvalidParams", "InputFileUrl"),
    ({"InputFileUrl": "http://x/a b"}, "InvalidParams", "InputFileUrl"),
    ({"UnzipCmd": "unzip"}, "InvalidParams", "UnzipCmd"),
    ({"JobRetry.Count": 2}, "InvalidParams", "JobRetry.Count"),
    ({"Bogus": 1}, "InvalidParams", "Bogus"),
])
def test_bad_submit_names_field_and_submits_nothing(ehpc, cid, sched, params, code, field):
    p = {"RunasUser": "carol", "CommandLine": "echo hi", **params}
    p = {k: v for k, v in p.items() if v is not None}
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job(ClusterId=cid, **p)
    assert e.value.code == code and field in e.value.message
    assert sched.submitted == [] and ehpc.jobs_store.all(cid) == []


def test_password_never_in_logs(ehpc, cid, sched):
    submit(ehpc, cid, RunasUserPassword="Carl0s!pass")
    assert "Carl0s" not in json.dumps(ehpc.state.logs(cid))
    assert "Carl0s" not in json.dumps(ehpc.jobs_store.all(cid))


def test_list_merges_record_and_scheduler_and_keeps_finished_jobs(ehpc, cid, sched):
    a = submit(ehpc, cid, Name="a", Priority=3, StdoutRedirectPath="a.out", ReRunable=True)
    b = submit(ehpc, cid, Name="b", ReRunable=False)
    sched.jobs[a].state, sched.jobs[a].raw_state, sched.jobs[a].node_list = RUNNING, "RUNNING", "compute0"
    jobs = {j["Id"]: j for j in ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]}
    assert jobs[a]["State"] == "Running" and jobs[a]["NodeList"] == "compute0" and jobs[a]["Priority"] == 3
    assert jobs[a]["Stdout"] == "/home/carol/a.out" and jobs[a]["Owner"] == "carol"
    assert set(jobs[a]) >= {"Id", "Name", "Owner", "NodeList", "Priority", "State", "SubmitTime", "StartTime",
                            "LastModifyTime", "Stdout", "Stderr", "Comment", "ArrayRequest", "Resources"}
    sched.jobs[a].state, sched.jobs[a].raw_state = FINISHED, "COMPLETED"
    ehpc.list_jobs(ClusterId=cid)
    del sched.jobs[a]   # slurmctld forgot it (MinJobAge): our record keeps it
    del sched.jobs[b]   # forgotten before we saw it end
    jobs = {j["Id"]: j for j in ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]}
    assert jobs[a]["State"] == "Finished" and jobs[b]["State"] == "Unknown"
    assert ehpc.list_jobs(ClusterId=cid, State="Finished")["TotalCount"] == 1
    assert ehpc.list_jobs(ClusterId=cid, Rerunable="false")["Jobs"]["JobInfo"][0]["Id"] == b
    assert ehpc.list_jobs(ClusterId=cid, Owner="bob")["TotalCount"] == 0
    page = ehpc.list_jobs(ClusterId=cid, PageSize=1, PageNumber=2)
    assert page["TotalCount"] == 2 and [j["Id"] for j in page["Jobs"]["JobInfo"]] == [b]
    with pytest.raises(InvalidParams, match="State"):
        ehpc.list_jobs(ClusterId=cid, State="Sleeping")


def test_describe_and_log(ehpc, cid, sched):
    a = submit(ehpc, cid, StdoutRedirectPath="o-%j.out", StderrRedirectPath="e.err")
    sched.files = {f"/home/carol/o-{a}.out": "hello\n", "/home/carol/e.err": "oops\n"}
    assert ehpc.describe_job(ClusterId=cid, JobId=a)["Message"]["Id"] == a
    log = ehpc.get_job_log(ClusterId=cid, JobId=a)
    assert log["OutputLog"] == "hello\n" and log["ErrorLog"] == "oops\n"
    assert ehpc.get_job_log(ClusterId=cid, JobId=a, Offset=2, Size=2)["OutputLog"] == "ll"
    assert ("log", f"/home/carol/o-{a}.out", "carol") in sched.calls
    with pytest.raises(EhpcError) as e:
        ehpc.describe_job(ClusterId=cid, JobId="999")
    assert e.value.code == "ObjectNotFound" and "JobId" in e.value.message


def test_stop_and_delete(ehpc, cid, sched):
    a, b = submit(ehpc, cid), submit(ehpc, cid)
    ehpc.stop_jobs(ClusterId=cid, Jobs=json.dumps([{"Id": a}]))
    assert sched.jobs[a].state == STOPPED
    ehpc.delete_jobs(ClusterId=cid, Jobs=[{"Id": a}, {"Id": b}])
    assert ehpc.list_jobs(ClusterId=cid)["TotalCount"] == 0
    with pytest.raises(EhpcError) as e:
        ehpc.stop_jobs(ClusterId=cid, Jobs=[{"Id": a}])
    assert e.value.code == "PartFailure" and e.value.http_status == 409


def test_rerun_only_running_or_queued(ehpc, cid, sched):
    a, b = submit(ehpc, cid), submit(ehpc, cid)
    sched.jobs[a].state, sched.jobs[a].raw_state = RUNNING, "RUNNING"
    sched.jobs[b].state, sched.jobs[b].raw_state = FINISHED, "COMPLETED"
    with pytest.raises(EhpcError) as e:
        ehpc.rerun_jobs(ClusterId=cid, Jobs=[{"Id": b}])
    assert e.value.code == "AgentError.Job.RerunFailure" and e.value.http_status == 406 and b in e.value.message
    assert sched.calls == []
    with pytest.raises(EhpcError) as e:
        ehpc.rerun_jobs(ClusterId=cid, Jobs=[{"Id": a}, {"Id": b}])
    assert e.value.code == "PartFailure" and e.value.failed == [b]
    assert sched.calls == [("rerun", [a])] and sched.jobs[a].state == QUEUED
    assert "RequestId" in ehpc.rerun_jobs(ClusterId=cid, Jobs=[{"Id": a}])


def test_rerun_async_returns_task(ehpc, cid, sched):
    a = submit(ehpc, cid)
    resp = ehpc.rerun_jobs(ClusterId=cid, Jobs=[{"Id": a}], Async=True)
    assert resp["TaskId"] == resp["RequestId"]


@pytest.mark.parametrize("jobs, field", [
    ([{"Id": str(i)} for i in range(1, 102)], "Jobs"),
    ([], "Jobs"),
    ("nope", "Jobs"),
    ([{"Id": "1; rm"}], "Jobs.1.Id"),
    ([{"Id": "1"}, {"Id": "1"}], "Jobs.2.Id"),
])
def test_rerun_bad_jobs(ehpc, cid, sched, jobs, field):
    with pytest.raises(InvalidParams) as e:
        ehpc.rerun_jobs(ClusterId=cid, Jobs=jobs)
    assert e.value.field == field and sched.calls == []


def test_jobs_need_running_cluster(ehpc, cid, sched):
    ehpc.stop_cluster(ClusterId=cid)
    with pytest.raises(EhpcError) as e:
        submit(ehpc, cid)
    assert e.value.code == "InvalidClusterStatus" and sched.submitted == []


def test_create_job_2_0_shape(ehpc, cid, sched):
    jid = ehpc.create_job(ClusterId=cid, JobName="cj", JobSpec={
        "CommandLine": "-- /bin/echo 'a b' $HOME", "RunasUser": "carol", "Priority": 4, "StdoutPath": "cj.out",
        "JobQueue": "comp", "ArrayRequest": "1-3", "Variables": [{"Name": "X", "Value": "y"}],
        "WallTime": "10", "Resources": {"Nodes": 1, "Cores": 1, "Memory": "256M", "Gpus": 0}})["JobId"]
    r = sched.submitted[0]
    assert jid == "101" and r.command == "exec /bin/echo 'a b' '$HOME'" and r.name == "cj"
    assert (r.nice, r.stdout, r.queue, r.array, r.env, r.time_s, r.nodes, r.cpus_per_task, r.mem_mb) == (
        500, "/home/carol/cj.out", "comp", "1-3:1", {"X": "y"}, 600, 1, 1, 256)
    ehpc.create_job(ClusterId=cid, JobSpec=json.dumps({"CommandLine": "echo $HOME", "RunasUser": "carol"}))
    assert sched.submitted[1].command == "echo $HOME"
    for spec, field in [({"RunasUser": "carol"}, "JobSpec.CommandLine"),
                        ({"CommandLine": "x", "RunasUser": "zed"}, "JobSpec.RunasUser"),
                        ({"CommandLine": "x", "RunasUser": "carol", "Resources": {"Gpus": 1}},
                         "JobSpec.Resources.Gpus"),
                        ({"CommandLine": "--", "RunasUser": "carol"}, "JobSpec.CommandLine"),
                        ({"CommandLine": "x", "RunasUser": "carol", "StdoutPath": "/etc/x"}, "JobSpec.StdoutPath")]:
        with pytest.raises(EhpcError) as e:
            ehpc.create_job(ClusterId=cid, JobSpec=spec)
        assert field in e.value.message, (spec, e.value.message)
    assert len(sched.submitted) == 2
    spec = {"CommandLine": "x", "RunasUser": "carol", "RunasUserPassword": "Wr0ng!pass"}
    with pytest.raises(EhpcError) as e:
        ehpc.create_job(ClusterId=cid, JobSpec=spec)
    assert e.value.code == "IncorrectCredential" and len(sched.submitted) == 2
    ehpc.create_job(ClusterId=cid, JobSpec={**spec, "RunasUserPassword": "Carl0s!pass"})
    assert len(sched.submitted) == 3


def test_package_staging(ehpc, cid, sched):
    submit(ehpc, cid, PackagePath="/home/carol/pkg", InputFileUrl="https://example.com/d/p.tgz?x=1",
           UnzipCmd="tar xzf")
    r = sched.submitted[0]
    assert r.workdir == "/home/carol" and len(r.prologue) == 3
    assert r.prologue[0] == "mkdir -p -- /home/carol/pkg && cd -- /home/carol/pkg || exit 1"
    assert r.prologue[1].startswith("python3 -c ") and r.prologue[1].endswith(
        "'https://example.com/d/p.tgz?x=1' /home/carol/pkg/p.tgz || exit 1")
    assert r.prologue[2] == "tar xzf /home/carol/pkg/p.tgz || exit 1"
    submit(ehpc, cid, InputFileUrl="file:///tmp/in put.zip".replace(" ", "_"), UnzipCmd="python3 -m zipfile -e")
    assert sched.submitted[1].workdir == "/home/carol"
    assert sched.submitted[1].prologue == ["cp -- /tmp/in_put.zip /home/carol/in_put.zip || exit 1",
                                           "python3 -m zipfile -e /home/carol/in_put.zip || exit 1"]


def test_array_job_takes_its_elements_state(ehpc, cid, sched):
    from ehpc_iac.ops.jobs import aggregate_state
    assert aggregate_state(["Finished", "Running"]) == "Running" and aggregate_state(["Finished"] * 3) == "Finished"
    assert aggregate_state(["Finished", "Failed"]) == "Failed" and aggregate_state([]) == "Unknown"
    a = submit(ehpc, cid, ArrayRequest="1-5:2")
    base = sched.jobs.pop(a)
    for i, st in (("1", FINISHED), ("3", RUNNING), ("5", QUEUED)):
        sched.jobs[f"{a}_{i}"] = JobInfo(id=f"{a}_{i}", owner="carol", state=st, raw_state=st.upper(),
                                         node_list="compute0" if st == RUNNING else "")
    d = ehpc.describe_job(ClusterId=cid, JobId=a)["Message"]
    assert d["State"] == "Running" and d["ArrayRequest"] == "1-5:2" and f"{a}_3: Running" in d["Comment"]
    ids = [j["Id"] for j in ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]]
    assert ids == [f"{a}_1", f"{a}_3", f"{a}_5"]
    for i in ("3", "5"):
        sched.jobs[f"{a}_{i}"].state = FINISHED
    ehpc.list_jobs(ClusterId=cid)
    sched.jobs.clear()
    jobs = ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]
    assert [(j["Id"], j["State"]) for j in jobs] == [(a, "Finished")] and base.id == a


def test_list_jobs_by_node_reads_the_schedulers_host_lists(ehpc, cid, sched):
    a, b, c = (submit(ehpc, cid) for _ in range(3))
    sched.jobs[a].node_list, sched.jobs[b].node_list = "compute[0-1]", "compute1"

    def ids(nodes):
        return sorted(j["Id"] for j in ehpc.list_jobs(ClusterId=cid, Nodes=nodes)["Jobs"]["JobInfo"])
    assert ids(["compute0"]) == [a] and ids(["compute1"]) == [a, b] and ids(["compute7"]) == []
    assert len(ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]) == 3 and c


def test_a_manager_without_an_address_is_the_references_manager_not_found(ehpc, fake):
    """The node that submits jobs has crashed (the engine has no address for it): 404 ManagerNotFound."""
    from tests.fakes import cluster_with_user
    cid = cluster_with_user(ehpc, "nomgr")
    node = fake.inspect(ehpc.state.get_cluster(cid).plan)["manager0"]
    node.address, node.status = "", "exited"
    with pytest.raises(EhpcError) as ei:
        ehpc.submit_job(ClusterId=cid, CommandLine="echo hi", RunasUser="carol")
    assert (ei.value.code, ei.value.http_status) == ("ManagerNotFound", 404)
    assert "manager0" in ei.value.message and "exited" in ei.value.message


def test_an_unreachable_scheduler_node_is_the_references_agent_response_timeout():
    from ehpc_iac.errors import AgentResponseTimeout
    from ehpc_iac.scheduler.remote import reach

    class Down:
        address = "10.9.9.9"

        def run(self, argv, timeout, stdin=None):
            raise TimeoutError("timed out")

    with pytest.raises(AgentResponseTimeout) as ei:
        reach(Down(), ["squeue"], timeout=1)
    assert (ei.value.code, ei.value.http_status) == ("AgentResponseTimeout", 406)
    assert "10.9.9.9" in ei.value.message

"""DAG job operations over a fake JobScheduler: tasks submitted in topological order with afterok
dependencies on their sources' ids, arrays, nice, time limits; checks before anything is submitted;
task and job states derived from the scheduler's; StopJob."""
import pytest

from ehpc_iac.errors import EhpcError
from ehpc_iac.scheduler.base import FAILED, FINISHED, RUNNING, STOPPED, JobInfo
from ehpc_iac.scheduler.slurm.jobs import build_script, sbatch_argv

from tests.fakes import cluster_with_user


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "d1", 2)


def t(cmd="true", **kw):
    return {"InstanceCount": 1, "Parameters": {"Command": {"CommandLine": cmd}}, **kw}


def req(cid, tasks=None, deps=None, **kw):
    return {"ClusterId": cid, "RunasUser": "carol", "Name": "dj", "Priority": 100,
            "DAG": {"Tasks": tasks if tasks is not None else {"C": t(), "B": t(), "A": t()},
                    "Dependencies": deps if deps is not None else {"A": ["B", "C"]}}, **kw}


def test_tasks_submitted_in_topological_order_with_dependencies(ehpc, cid, sched):
    jid = ehpc.create_dag_job(req(cid, tasks={"C": t("echo c"), "B": t("echo b", InstanceCount=3),
                                              "A": t("echo a", Timeout=90, MaxRetryCount=2)}))["Id"]
    assert jid.startswith("job-")
    names = [r.name for r in sched.submitted]
    assert names == ["dj.A", "dj.C", "dj.B"]
    a, c, b = sched.submitted
    assert a.after == [] and a.cancel_if_dependency_fails is None
    assert (c.after, c.after_policy) == (["101"], "ok") and (b.after, b.after_policy) == (["101"], "ok")
    assert b.cancel_if_dependency_fails is True
    assert b.array == "0-2" and a.array is None
    assert a.nice == 900 and a.user == "carol" and a.workdir == "/home/carol" and a.rerunable is False
    assert a.time_s == 6 * 60    # 3 attempts x 90 s = 4.5 min -> 5, plus 1
    argv = sbatch_argv(b)
    assert "--dependency=afterok:101" in argv and "--kill-on-invalid-dep=yes" in argv and "--array=0-2" in argv
    assert argv[:5] == ["runuser", "-u", "carol", "--", "sbatch"]
    job = ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]
    assert job["State"] == "Waiting" and [x["TaskName"] for x in job["Tasks"]] == ["A", "C", "B"]
    assert {x["TaskName"]: x["SchedulerJobId"] for x in job["Tasks"]} == {"A": "101", "C": "102", "B": "103"}
    assert job["Tasks"][1]["DependsOn"] == ["A"] and job["Dependencies"] == {"A": ["B", "C"]}
    # ListJobs shows the Slurm jobs too (the SubmitJob record path)
    assert {j["Id"] for j in ehpc.list_jobs(ClusterId=cid, PageSize=50)["Jobs"]["JobInfo"]} == {"101", "102", "103"}


def test_multiple_sources_and_afterany_without_job_fail_on_instance_fail(ehpc, cid, sched):
    ehpc.create_dag_job(req(cid, tasks={"A": t(), "B": t(), "D": t()}, deps={"A": ["D"], "B": ["D"]},
                            JobFailOnInstanceFail=False))
    assert sched.submitted[2].name == "dj.D" and (sched.submitted[2].after, sched.submitted[2].after_policy) == (
        ["101", "102"], "any")


def test_env_vars_exported_quoted_and_retry_loop_in_script(ehpc, cid, sched):
    ehpc.create_dag_job(req(cid, tasks={"A": {"InstanceCount": 1, "MaxRetryCount": 2, "Timeout": 30,
                                              "Parameters": {"Command": {"CommandLine": "echo 'x' $(date)",
                                                                         "EnvVars": {"V": "a b; $(rm -rf ~)"}}}}},
                            deps={}))
    script = build_script(sched.submitted[0])
    assert "export V='a b; $(rm -rf ~)'" in script
    assert "timeout --kill-after=10 30 bash -c 'echo '\"'\"'x'\"'\"' $(date)'" in script
    assert "[ $__ehpc_try -gt 2 ]" in script and script.rstrip().endswith("exit $__ehpc_rc")


@pytest.mark.parametrize("mutate,code,field", [
    (lambda r: r["DAG"].update(Dependencies={"A": ["B"], "B": ["A"]}), "InvalidDependencies", "DAG.Dependencies"),
    (lambda r: r["DAG"].update(Dependencies={"A": ["Z"]}), "InvalidDependencies.A.value", "DAG.Dependencies.A.value"),
    (lambda r: r["DAG"].update(Dependencies={"Z": ["A"]}), "InvalidDependencies.Z", "DAG.Dependencies.Z"),
    (lambda r: r["DAG"].update(Tasks={}), "InvalidTasks", "DAG.Tasks"),
    (lambda r: r.update(Priority=2000), "InvalidPriority", "Priority"),
    (lambda r: r["DAG"]["Tasks"]["A"].update(InstanceCount=0), "InvalidInstanceCount", "DAG.Tasks.A.InstanceCount"),
    (lambda r: r["DAG"]["Tasks"]["A"].update(Timeout=-1), "InvalidTimeout", "DAG.Tasks.A.Timeout"),
    (lambda r: r.update(RunasUser="root"), "InvalidRunasUser", "RunasUser"),
    (lambda r: r.update(RunasUser="nobody"), "AgentError.Account.UserNotExist", "RunasUser"),
    (lambda r: r["DAG"]["Tasks"]["A"].update(StdoutRedirectPath="/etc/x"), "InvalidParams",
     "DAG.Tasks.A.StdoutRedirectPath"),
])
def test_bad_requests_submit_nothing(ehpc, cid, sched, mutate, code, field):
    r = req(cid)
    mutate(r)
    with pytest.raises(EhpcError) as e:
        ehpc.create_dag_job(r)
    assert (e.value.code, e.value.field) == (code, field)
    assert sched.submitted == [] and ehpc.list_dag_jobs(ClusterId=cid)["TotalCount"] == 0


def test_a_failed_submission_cancels_the_tasks_already_submitted(ehpc, cid, sched):
    real = sched.submit

    def flaky(r):
        if r.name == "dj.C":
            raise EhpcError("sbatch failed")
        return real(r)

    sched.submit = flaky
    with pytest.raises(EhpcError):
        ehpc.create_dag_job(req(cid))
    assert ("stop", ["101", "102"]) in sched.calls or ("stop", ["101"]) in sched.calls
    assert ehpc.list_dag_jobs(ClusterId=cid)["TotalCount"] == 0


def _set(sched, jid, state, raw):
    sched.jobs[jid].state, sched.jobs[jid].raw_state = state, raw


def test_states_follow_the_scheduler(ehpc, cid, sched):
    jid = ehpc.create_dag_job(req(cid))["Id"]     # A=101, B=102, C=103
    _set(sched, "101", RUNNING, "RUNNING")
    assert ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]["State"] == "Running"
    _set(sched, "101", FINISHED, "COMPLETED")
    job = ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]
    assert job["State"] == "Running" and job["TaskMetrics"]["FinishedCount"] == 1
    _set(sched, "102", FINISHED, "COMPLETED")
    _set(sched, "103", FINISHED, "COMPLETED")
    assert ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]["State"] == "Finished"
    # Slurm forgets the jobs: the last observed states stay
    sched.jobs.clear()
    assert ehpc.list_dag_jobs(ClusterId=cid)["Jobs"][0]["State"] == "Finished"


def test_failed_source_and_cancelled_targets(ehpc, cid, sched):
    jid = ehpc.create_dag_job(req(cid))["Id"]
    _set(sched, "101", FAILED, "FAILED")
    _set(sched, "102", STOPPED, "CANCELLED")
    sched.jobs["102"].reason = "DependencyNeverSatisfied"
    job = ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]
    assert job["State"] == "Failed"
    assert [x["State"] for x in job["Tasks"]] == ["Failed", "Stopped", "Waiting"]
    assert job["Tasks"][1]["Reason"] == "DependencyNeverSatisfied"


def test_array_task_state_combines_elements(ehpc, cid, sched):
    jid = ehpc.create_dag_job(req(cid, tasks={"A": t(InstanceCount=2)}, deps={}))["Id"]
    del sched.jobs["101"]
    sched.jobs["101_0"] = JobInfo(id="101_0", owner="carol", state=FINISHED, raw_state="COMPLETED")
    sched.jobs["101_1"] = JobInfo(id="101_1", owner="carol", state=RUNNING, raw_state="RUNNING")
    assert ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]["Tasks"][0]["State"] == "Running"
    sched.jobs["101_1"].state = FAILED
    assert ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]["State"] == "Failed"


def test_stop_cancels_active_tasks(ehpc, cid, sched):
    jid = ehpc.create_dag_job(req(cid))["Id"]
    _set(sched, "101", FINISHED, "COMPLETED")
    ehpc.stop_dag_job(ClusterId=cid, JobId=jid)
    assert ("stop", ["102", "103"]) in sched.calls
    job = ehpc.describe_dag_job(ClusterId=cid, JobId=jid)["Job"]
    assert job["State"] == "Stopped" and [x["State"] for x in job["Tasks"]] == ["Finished", "Stopped", "Stopped"]


def test_unknown_job_and_listing(ehpc, cid, sched):
    with pytest.raises(EhpcError) as e:
        ehpc.describe_dag_job(ClusterId=cid, JobId="job-nope")
    assert e.value.code == "ObjectNotFound" and e.value.field == "JobId"
    a = ehpc.create_dag_job(req(cid))["Id"]
    b = ehpc.create_dag_job(req(cid, Name="second"))["Id"]
    listed = ehpc.list_dag_jobs(ClusterId=cid)
    assert listed["TotalCount"] == 2 and [j["Id"] for j in listed["Jobs"]] == [a, b]
    assert ehpc.list_dag_jobs(ClusterId=cid, State="Finished")["TotalCount"] == 0

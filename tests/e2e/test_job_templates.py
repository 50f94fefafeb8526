"""Job templates end to end on a Tiny cluster (manager0 submits, 1 compute, one NIS user): create ->
list -> edit -> list shows the change -> submit from the template (request fields override it) ->
the job runs as the user and writes its output in /home -> delete -> gone. Bad input gets the
documented code naming the field and stores nothing."""
import json
import time

import pytest

from ehpc_iac.errors import EhpcError

from .conftest import cluster_with_user, dexec

SPEC = {"Name": "e2e-tmpl", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}}}
PW = "Carl0s!pass"


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, SPEC, "carol", PW)


def mgr(cid):
    return f"{cid}-manager0"


def templates(ehpc, cid, **kw):
    return ehpc.list_job_templates(ClusterId=cid, PageSize=50, **kw)["Templates"]["JobTemplates"]


def wait_done(ehpc, cid, jid, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job = ehpc.describe_job(ClusterId=cid, JobId=jid)["Message"]
        if job["State"] in ("Finished", "Failed", "Stopped"):
            return job
        assert time.monotonic() < deadline, f"job {jid} stayed {job['State']} ({job['SchedulerState']})"
        time.sleep(1)


def test_template_round_trip(ehpc, cluster):
    tid = ehpc.create_job_template(
        ClusterId=cluster, Name="greet", RunasUser="carol", Queue="comp", Priority=3, ReRunable=False,
        CommandLine='echo "greet=$GREETING user=$(id -un) name=$SLURM_JOB_NAME"',
        Variables='[{"Name": "GREETING", "Value": "one"}]', StdoutRedirectPath="/home/carol/tmpl-one.out",
    )["TemplateId"]
    assert tid.startswith("ehpc-job-tmpl-")
    [t] = templates(ehpc, cluster)
    assert (t["Id"], t["Name"], t["RunasUser"], t["Queue"], t["Priority"], t["ReRunable"]) == (
        tid, "greet", "carol", "comp", 3, False)
    assert json.loads(t["Variables"]) == [{"Name": "GREETING", "Value": "one"}]

    ehpc.edit_job_template(ClusterId=cluster, TemplateId=tid, StdoutRedirectPath="tmpl-two.out",
                           Variables=[{"Name": "GREETING", "Value": "two; $(id) `x`"}])
    [t] = templates(ehpc, cluster, Name="greet")
    assert t["StdoutRedirectPath"] == "tmpl-two.out" and t["CommandLine"].startswith("echo")
    assert json.loads(t["Variables"]) == [{"Name": "GREETING", "Value": "two; $(id) `x`"}]
    assert templates(ehpc, cluster, Name="other") == []

    jid = ehpc.submit_job_from_template(ClusterId=cluster, TemplateId=tid, Name="fromtmpl", Priority=7,
                                        RunasUserPassword=PW)["JobId"]
    job = wait_done(ehpc, cluster, jid)
    assert job["State"] == "Finished" and job["Owner"] == "carol" and job["Name"] == "fromtmpl"
    assert job["Priority"] == 7 and job["Stdout"] == "/home/carol/tmpl-two.out"
    out = dexec(mgr(cluster), "cat", "/home/carol/tmpl-two.out")
    assert out == "greet=two; $(id) `x` user=carol name=fromtmpl\n"
    assert dexec(mgr(cluster), "stat", "-c", "%U", "/home/carol/tmpl-two.out").strip() == "carol"
    assert ehpc.get_job_log(ClusterId=cluster, JobId=jid)["OutputLog"] == out

    ehpc.delete_job_templates(ClusterId=cluster, Templates=json.dumps([{"Id": tid}]))
    assert templates(ehpc, cluster) == []
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job_from_template(ClusterId=cluster, TemplateId=tid)
    assert e.value.code == "ObjectNotFound" and "TemplateId" in e.value.message


def squeue_count(cid):
    return len(dexec(mgr(cid), "squeue", "-h", "-a").splitlines())


GOOD = {"Name": "t", "RunasUser": "carol", "CommandLine": "true"}


@pytest.mark.parametrize("op, params, code, field", [
    ("create_job_template", {"Name": "t", "RunasUser": "carol"}, "InvalidParams", "CommandLine"),
    ("create_job_template", {**GOOD, "Priority": 2000}, "InvalidParams", "Priority"),
    ("create_job_template", {**GOOD, "ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
    ("create_job_template", {**GOOD, "RunasUser": "nobody2"}, "AgentError.Account.UserNotExist", "RunasUser"),
    ("edit_job_template", {"TemplateId": "ehpc-job-tmpl-NoSuchTmpl", "Priority": 1}, "ObjectNotFound",
     "TemplateId"),
    ("submit_job_from_template", {"TemplateId": "ehpc-job-tmpl-NoSuchTmpl"}, "ObjectNotFound", "TemplateId"),
    ("delete_job_templates", {"Templates": [{"Id": "ehpc-job-tmpl-NoSuchTmpl"}]}, "ObjectNotFound",
     "Templates.1.Id"),
])
def test_bad_input_stores_nothing(ehpc, cluster, op, params, code, field):
    keep = ehpc.create_job_template(ClusterId=cluster, **GOOD)["TemplateId"]
    before, jobs, n = templates(ehpc, cluster), ehpc.jobs_store.all(cluster), squeue_count(cluster)
    with pytest.raises(EhpcError) as e:
        getattr(ehpc, op)(ClusterId=cluster, **params)
    assert e.value.code == code and field in e.value.message
    assert templates(ehpc, cluster) == before
    assert ehpc.jobs_store.all(cluster) == jobs and squeue_count(cluster) == n
    # an edit that breaks the template is refused and leaves it as it was
    with pytest.raises(EhpcError) as e:
        ehpc.edit_job_template(ClusterId=cluster, TemplateId=keep, ArrayRequest="5-1")
    assert e.value.code == "InvalidParams" and "ArrayRequest" in e.value.message
    assert templates(ehpc, cluster) == before
    ehpc.delete_job_templates(ClusterId=cluster, Templates=[{"Id": keep}])

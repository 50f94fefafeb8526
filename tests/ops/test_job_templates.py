"""Job template operations over the fake engine and a fake JobScheduler: SubmitJob's validation for
templates, per-cluster storage, edit semantics, list/paging, all-or-nothing delete, and submitting
from a template (template fields are defaults, request fields override, the normal submit path)."""
import json

import pytest

from ehpc_iac.errors import EhpcError
from ehpc_iac.ops.job_templates_state import JobTemplateStore
from tests.fakes import cluster_with_user


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "t1", 1)


def create(ehpc, cid, **kw):
    return ehpc.create_job_template(ClusterId=cid, **{"Name": "tmpl", "CommandLine": "echo hi", **kw})["TemplateId"]


def listed(ehpc, cid, **kw):
    return ehpc.list_job_templates(ClusterId=cid, **kw)["Templates"]["JobTemplates"]


def test_create_and_list_in_reference_shape(ehpc, cid):
    tid = create(ehpc, cid, RunasUser="carol", Priority="5", ReRunable=True, ArrayRequest="1-10:2",
                 Variables='[{"Name": "A", "Value": "1 2"}]', StdoutRedirectPath="./out", Queue="comp",
                 PackagePath="work", InputFileUrl="/home/carol/p.tgz", UnzipCmd="tar xzf", WithUnzipCmd=True,
                 Node=1, Task=2, Thread=1, Mem="1GB", Gpu=0, ClockTime="01:00:00")
    assert tid.startswith("ehpc-job-tmpl-") and len(tid) == len("ehpc-job-tmpl-6RxO5yVcMK")
    resp = ehpc.list_job_templates(ClusterId=cid)
    assert (resp["TotalCount"], resp["PageNumber"], resp["PageSize"]) == (1, 1, 10) and "RequestId" in resp
    [t] = resp["Templates"]["JobTemplates"]
    assert t == {"Id": tid, "Name": "tmpl", "CommandLine": "echo hi", "RunasUser": "carol", "Priority": 5,
                 "ReRunable": True, "ArrayRequest": "1-10:2", "Variables": '[{"Name": "A", "Value": "1 2"}]',
                 "StdoutRedirectPath": "./out", "Queue": "comp", "PackagePath": "work",
                 "InputFileUrl": "/home/carol/p.tgz", "UnzipCmd": "tar xzf", "WithUnzipCmd": True, "Node": 1,
                 "Task": 2, "Thread": 1, "Mem": "1G", "Gpu": 0, "ClockTime": "01:00:00"}
    tid2 = create(ehpc, cid, Name="other")
    t2 = {t["Id"]: t for t in listed(ehpc, cid)}[tid2]
    assert t2 == {"Id": tid2, "Name": "other", "CommandLine": "echo hi", "Priority": 0, "ReRunable": False}


@pytest.mark.parametrize("params, code, field", [
    ({"CommandLine": None}, "InvalidParams", "CommandLine"),
    ({"CommandLine": "  "}, "InvalidParams", "CommandLine"),
    ({"Name": None}, "InvalidParams", "Name"),
    ({"Name": "a b"}, "InvalidParams", "Name"),
    ({"ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
    ({"Priority": 2000}, "InvalidParams", "Priority"),
    ({"Priority": -1}, "InvalidParams", "Priority"),
    ({"Variables": '[{"Name": "1A"}]'}, "InvalidParams", "Variables"),
    ({"Gpu": 1}, "InvalidParams", "Gpu"),
    ({"Mem": "lots"}, "InvalidParams", "Mem"),
    ({"ClockTime": "soon"}, "InvalidParams", "ClockTime"),
    ({"UnzipCmd": "unzip"}, "InvalidParams", "UnzipCmd"),
    ({"StdoutRedirectPath": "../x"}, "InvalidParams", "StdoutRedirectPath"),
    ({"RunasUser": "carol", "StdoutRedirectPath": "/etc/x"}, "InvalidParams", "StdoutRedirectPath"),
    ({"RunasUser": "dave"}, "AgentError.Account.UserNotExist", "RunasUser"),
    ({"RunasUser": "root"}, "InvalidParams", "RunasUser"),
    ({"RunasUserPassword": "Carl0s!pass"}, "InvalidParams", "RunasUserPassword"),
    ({"Queue": "nope"}, "ObjectNotFound", "Queue"),
    ({"Queue": "comp", "JobQueue": "other"}, "InvalidParams", "Queue"),
    ({"JobRetry.Count": 1}, "InvalidParams", "JobRetry.Count"),
    ({"Bogus": 1}, "InvalidParams", "Bogus"),
])
def test_bad_template_names_field_and_stores_nothing(ehpc, cid, params, code, field):
    p = {k: v for k, v in {"Name": "tmpl", "CommandLine": "echo", **params}.items() if v is not None}
    with pytest.raises(EhpcError) as e:
        ehpc.create_job_template(ClusterId=cid, **p)
    assert e.value.code == code and field in e.value.message
    assert listed(ehpc, cid) == []


def test_unknown_cluster(ehpc):
    with pytest.raises(EhpcError) as e:
        ehpc.create_job_template(ClusterId="ehpc-lo-XXXXXXXXXX", Name="t", CommandLine="x")
    assert e.value.code == "ClusterNotFound"


def test_templates_belong_to_the_account(ehpc, cid, sched):
    """As in the reference: no ClusterId on the template actions; one given (older scripts) is checked."""
    other = ehpc.create_cluster({"Name": "t2", "DeployMode": "Tiny"})["ClusterId"]
    tid = create(ehpc, cid)
    bare = ehpc.create_job_template(Name="bare", CommandLine="echo hi", RunasUser="nobody9")["TemplateId"]
    assert [t["Id"] for t in ehpc.list_job_templates()["Templates"]["JobTemplates"]] == [tid, bare]
    assert [t["Id"] for t in listed(ehpc, other)] == [tid, bare]
    ehpc.edit_job_template(TemplateId=tid, Priority=1)
    with pytest.raises(EhpcError) as e:
        ehpc.list_job_templates(ClusterId="ehpc-lo-NoSuchClus")
    assert e.value.code == "ClusterNotFound"
    with pytest.raises(EhpcError) as e:      # the cluster checks run when a job is submitted from it
        ehpc.submit_job_from_template(ClusterId=cid, TemplateId=bare)
    assert e.value.code == "AgentError.Account.UserNotExist" and sched.submitted == []
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job_from_template(TemplateId=tid)
    assert e.value.code == "InvalidParams" and e.value.field == "ClusterId"
    ehpc.delete_cluster(ClusterId=cid)
    assert [t["Id"] for t in listed(ehpc, other)] == [tid, bare]      # they outlive the cluster
    ehpc.delete_job_templates(Templates=[{"Id": tid}, {"Id": bare}])
    assert listed(ehpc, other) == []


def test_a_template_stored_under_a_cluster_is_still_found(ehpc, cid, sched):
    """A state.db from before templates belonged to the account keyed them by cluster."""
    with ehpc.state._conn() as c:
        c.execute("INSERT INTO job_templates (cluster_id, id, name, fields, create_time, modify_time) VALUES "
                  "(?, 'ehpc-job-tmpl-OldOne0000', 'old', ?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
                  (cid, json.dumps({"Name": "old", "CommandLine": "echo old", "RunasUser": "carol"})))
    assert [t["Id"] for t in ehpc.list_job_templates()["Templates"]["JobTemplates"]] == ["ehpc-job-tmpl-OldOne0000"]
    ehpc.edit_job_template(TemplateId="ehpc-job-tmpl-OldOne0000", Priority=4)
    job = ehpc.submit_job_from_template(ClusterId=cid, TemplateId="ehpc-job-tmpl-OldOne0000")
    assert job["JobId"] and sched.submitted[-1].user == "carol"
    ehpc.delete_job_templates(Templates=[{"Id": "ehpc-job-tmpl-OldOne0000"}])
    assert listed(ehpc, cid) == []


def test_edit_replaces_given_fields_keeps_others_and_clears_empty(ehpc, cid):
    tid = create(ehpc, cid, RunasUser="carol", Priority=3, Queue="comp", StdoutRedirectPath="a.out")
    resp = ehpc.edit_job_template({"ClusterId": cid, "TemplateId": tid, "CommandLine": "echo new", "Priority": 9,
                                   "StdoutRedirectPath": "", "Variables.1.Name": "X", "Variables.1.Value": "y"})
    assert resp["TemplateId"] == tid and "RequestId" in resp
    [t] = listed(ehpc, cid)
    assert (t["CommandLine"], t["Priority"], t["RunasUser"], t["Queue"], t["Name"]) == (
        "echo new", 9, "carol", "comp", "tmpl")
    assert "StdoutRedirectPath" not in t and json.loads(t["Variables"]) == [{"Name": "X", "Value": "y"}]
    ehpc.edit_job_template(ClusterId=cid, TemplateId=tid, Queue=None, Name="renamed")
    [t] = listed(ehpc, cid)
    assert "Queue" not in t and t["Name"] == "renamed"


@pytest.mark.parametrize("params, code, field", [
    ({"ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
    ({"Priority": 2000}, "InvalidParams", "Priority"),
    ({"CommandLine": ""}, "InvalidParams", "CommandLine"),
    ({"Name": None}, "InvalidParams", "Name"),
    ({"RunasUser": "dave"}, "AgentError.Account.UserNotExist", "RunasUser"),
    ({"Queue": "nope"}, "ObjectNotFound", "Queue"),
    ({"UnzipCmd": "tar xf"}, "InvalidParams", "UnzipCmd"),
    ({"TemplateId": "ehpc-job-tmpl-NoSuchTmpl"}, "ObjectNotFound", "TemplateId"),
    ({"TemplateId": None}, "InvalidParams", "TemplateId"),
])
def test_bad_edit_changes_nothing(ehpc, cid, params, code, field):
    tid = create(ehpc, cid, RunasUser="carol")
    before = listed(ehpc, cid)
    p = {"TemplateId": tid, **params}
    if p["TemplateId"] is None:
        del p["TemplateId"]
    with pytest.raises(EhpcError) as e:
        ehpc.edit_job_template(ClusterId=cid, **p)
    assert e.value.code == code and field in e.value.message
    assert listed(ehpc, cid) == before


def test_list_filters_by_name_and_pages(ehpc, cid):
    ids = [create(ehpc, cid, Name=f"t{i}") for i in range(5)]
    create(ehpc, cid, Name="t1")
    assert [t["Name"] for t in listed(ehpc, cid, Name="t1")] == ["t1", "t1"]
    assert listed(ehpc, cid, Name="nope") == []
    page = ehpc.list_job_templates(ClusterId=cid, PageSize=2, PageNumber=2)
    assert page["TotalCount"] == 6 and [t["Id"] for t in page["Templates"]["JobTemplates"]] == ids[2:4]
    with pytest.raises(EhpcError) as e:
        ehpc.list_job_templates(ClusterId=cid, PageSize=51)
    assert e.value.code == "InvalidParams" and "PageSize" in e.value.message


def test_delete_all_or_nothing(ehpc, cid):
    a, b, c = create(ehpc, cid), create(ehpc, cid), create(ehpc, cid)
    with pytest.raises(EhpcError) as e:
        ehpc.delete_job_templates(ClusterId=cid, Templates=[{"Id": a}, {"Id": "ehpc-job-tmpl-NoSuchTmpl"}])
    assert e.value.code == "ObjectNotFound" and "Templates.2.Id" in e.value.message
    assert len(listed(ehpc, cid)) == 3
    with pytest.raises(EhpcError) as e:
        ehpc.delete_job_templates(ClusterId=cid, Templates=[{"Id": a}, {"Id": a}])
    assert e.value.code == "InvalidParams" and "Templates.2.Id" in e.value.message
    for bad in ([], "not json", [{"Id": ""}]):
        with pytest.raises(EhpcError) as e:
            ehpc.delete_job_templates(ClusterId=cid, Templates=bad)
        assert e.value.code == "InvalidParams" and "Templates" in e.value.message
    assert "RequestId" in ehpc.delete_job_templates(ClusterId=cid, Templates=json.dumps([{"Id": a}, {"Id": c}]))
    assert [t["Id"] for t in listed(ehpc, cid)] == [b]
    ehpc.delete_job_templates({"ClusterId": cid, "Templates.1.Id": b})
    assert listed(ehpc, cid) == []


def test_submit_from_template_defaults_and_overrides(ehpc, cid, sched):
    tid = create(ehpc, cid, Name="tjob", RunasUser="carol", Priority=2, Queue="comp", ReRunable=True,
                 Variables=[{"Name": "A", "Value": "1"}], StdoutRedirectPath="o.out", ArrayRequest="1-3",
                 Mem="512M", ClockTime="10")
    jid = ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid)["JobId"]
    r = sched.submitted[0]
    assert (r.command, r.user, r.name, r.queue, r.nice, r.rerunable, r.array, r.env, r.stdout, r.mem_mb,
            r.time_s) == ("echo hi", "carol", "tjob", "comp", 700, True, "1-3:1", {"A": "1"},
                          "/home/carol/o.out", 512, 600)
    assert ehpc.jobs_store.get(cid, jid)["priority"] == 2
    ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid, Name="over", Priority=9, CommandLine="echo x",
                                  Variables='[{"Name": "B", "Value": "2"}]', ReRunable=False, JobQueue="comp",
                                  ArrayRequest=None, RunasUserPassword="Carl0s!pass")
    r = sched.submitted[1]
    assert (r.command, r.name, r.nice, r.rerunable, r.env, r.array) == (
        "echo x", "over", 0, False, {"B": "2"}, "1-3:1")
    # the template is unchanged by submitting from it
    assert listed(ehpc, cid)[0]["CommandLine"] == "echo hi"


def test_submit_from_template_needs_runas_user_and_checks_like_submit_job(ehpc, cid, sched):
    tid = create(ehpc, cid)   # no RunasUser in the template
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid)
    assert e.value.code == "InvalidParams" and "RunasUser" in e.value.message
    for params, code, field in [({"RunasUser": "dave"}, "AgentError.Account.UserNotExist", "RunasUser"),
                                ({"RunasUser": "carol", "Priority": 2000}, "InvalidParams", "Priority"),
                                ({"RunasUser": "carol", "ArrayRequest": "5-1"}, "InvalidParams", "ArrayRequest"),
                                ({"RunasUser": "carol", "RunasUserPassword": "Wr0ng!pw"}, "IncorrectCredential",
                                 "RunasUserPassword"),
                                ({"RunasUser": "carol", "Bogus": 1}, "InvalidParams", "Bogus"),
                                ({"RunasUser": "carol", "Queue": "comp", "JobQueue": "x"}, "InvalidParams", "Queue")]:
        with pytest.raises(EhpcError) as e:
            ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid, **params)
        assert e.value.code == code and field in e.value.message, params
    with pytest.raises(EhpcError) as e:
        ehpc.submit_job_from_template(ClusterId=cid, TemplateId="ehpc-job-tmpl-NoSuchTmpl", RunasUser="carol")
    assert e.value.code == "ObjectNotFound" and "TemplateId" in e.value.message
    assert sched.submitted == [] and ehpc.jobs_store.all(cid) == []
    ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid, RunasUser="carol", Queue="comp")
    assert sched.submitted[0].user == "carol" and sched.submitted[0].queue == "comp"


def test_with_unzip_cmd_false_drops_unzip(ehpc, cid, sched):
    tid = create(ehpc, cid, RunasUser="carol", InputFileUrl="/home/carol/p.tgz", UnzipCmd="tar xzf",
                 WithUnzipCmd=False, PackagePath="work")
    ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid)
    assert not any("tar xzf" in line for line in sched.submitted[0].prologue)
    ehpc.submit_job_from_template(ClusterId=cid, TemplateId=tid, WithUnzipCmd="true")
    assert any(line.startswith("tar xzf ") for line in sched.submitted[1].prologue)


def test_store_survives_new_facade(ehpc, cid, tmp_path):
    tid = create(ehpc, cid)
    from ehpc_iac.ops import Ehpc
    again = Ehpc(ehpc.home, engine_factory=lambda name: None)
    assert [t["Id"] for t in listed(again, cid)] == [tid]
    assert JobTemplateStore(ehpc.state).get(tid)["fields"]["Name"] == "tmpl"

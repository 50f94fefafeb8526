"""CLI verbs of the job template operations (ehpc_iac/cli/ops_verbs_templates.py) over the fakes."""
import json

import pytest
from click.testing import CliRunner

from ehpc_iac.cli.main import cli
from tests.fakes import cluster_with_user


def run(ehpc, *args, input=None):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc}, input=input)


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "demo")


def templates(ehpc, cid, *args):
    r = run(ehpc, "list-job-templates", "--cluster-id", cid, *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["Templates"]["JobTemplates"]


def test_create_flags_and_file_list_edit_delete(ehpc, cid, tmp_path):
    r = run(ehpc, "create-job-template", "--cluster-id", cid, "--name", "flags", "--command-line", "echo $X",
            "--runas-user", "carol", "--priority", "4", "--no-rerunable", "--array-request", "1-5:2",
            "--variables", '[{"Name": "X", "Value": "1"}]', "--queue", "comp", "--mem", "1G", "--node", "1")
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)["TemplateId"]
    f = tmp_path / "t.yaml"
    f.write_text(f"ClusterId: {cid}\nName: fromfile\nCommandLine: |\n  echo one\n  echo two\nRunasUser: carol\n"
                 "Variables:\n  - {Name: A, Value: 'b c'}\n")
    r = run(ehpc, "create-job-template", "--file", str(f), "--priority", "1")
    assert r.exit_code == 0, r.output
    b = json.loads(r.stdout)["TemplateId"]
    ts = {t["Id"]: t for t in templates(ehpc, cid)}
    assert ts[a]["Priority"] == 4 and ts[a]["ReRunable"] is False and ts[a]["ArrayRequest"] == "1-5:2"
    assert ts[a]["Queue"] == "comp" and json.loads(ts[a]["Variables"]) == [{"Name": "X", "Value": "1"}]
    assert ts[b]["CommandLine"] == "echo one\necho two" and ts[b]["Priority"] == 1
    assert [t["Id"] for t in templates(ehpc, cid, "--name", "fromfile")] == [b]

    r = run(ehpc, "edit-job-template", "--cluster-id", cid, "--template-id", a, "--command-line", "echo edited",
            "--stdout-redirect-path", "o.out")
    assert r.exit_code == 0 and json.loads(r.stdout)["TemplateId"] == a
    t = {t["Id"]: t for t in templates(ehpc, cid)}[a]
    assert t["CommandLine"] == "echo edited" and t["StdoutRedirectPath"] == "o.out" and t["Priority"] == 4

    r = run(ehpc, "delete-job-templates", "--cluster-id", cid, "--template-id", a, "--template-id", b)
    assert r.exit_code == 0, r.output
    assert templates(ehpc, cid) == []


def test_table_output(ehpc, cid):
    run(ehpc, "create-job-template", "--cluster-id", cid, "--name", "tbl", "--command-line", "true")
    r = run(ehpc, "list-job-templates", "--cluster-id", cid, "-o", "table")
    assert r.exit_code == 0 and "tbl" in r.stdout


def test_errors(ehpc, cid, sched):
    r = run(ehpc, "create-job-template", "--cluster-id", cid, "--name", "x")
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidParams" and "CommandLine" in r.stderr
    r = run(ehpc, "create-job-template", "--cluster-id", cid, "--name", "x", "--command-line", "y",
            "--priority", "2000")
    assert r.exit_code == 2 and "Priority" in json.loads(r.stderr)["Message"]
    r = run(ehpc, "create-job-template", "--cluster-id", cid, "--name", "x", "--command-line", "y",
            "--array-request", "5-1")
    assert r.exit_code == 2 and "ArrayRequest" in json.loads(r.stderr)["Message"]
    r = run(ehpc, "submit-job-from-template", "--template-id", "ehpc-job-tmpl-NoSuchTmpl")
    assert r.exit_code == 2 and "ClusterId" in r.stderr
    r = run(ehpc, "create-job-template", "--file", "/nonexistent/t.yaml")
    assert r.exit_code != 0
    r = run(ehpc, "edit-job-template", "--cluster-id", cid, "--template-id", "ehpc-job-tmpl-NoSuchTmpl",
            "--priority", "1")
    assert r.exit_code == 3 and json.loads(r.stderr)["Code"] == "ObjectNotFound" and "TemplateId" in r.stderr
    r = run(ehpc, "delete-job-templates", "--cluster-id", cid, "--template-id", "ehpc-job-tmpl-NoSuchTmpl")
    assert r.exit_code == 3 and "Templates.1.Id" in r.stderr
    r = run(ehpc, "submit-job-from-template", "--cluster-id", cid, "--template-id", "ehpc-job-tmpl-NoSuchTmpl")
    assert r.exit_code == 3 and "TemplateId" in r.stderr
    assert templates(ehpc, cid) == [] and sched.submitted == []


def test_submit_from_template_with_overrides_and_password(ehpc, cid, sched, tmp_path):
    tid = ehpc.create_job_template(ClusterId=cid, Name="base", CommandLine="echo $X", RunasUser="carol",
                                   Variables=[{"Name": "X", "Value": "1"}], Priority=2)["TemplateId"]
    r = run(ehpc, "submit-job-from-template", "--cluster-id", cid, "--template-id", tid)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["JobId"] == "101"
    assert (sched.submitted[0].command, sched.submitted[0].name, sched.submitted[0].nice) == ("echo $X", "base", 700)
    r = run(ehpc, "submit-job-from-template", "--cluster-id", cid, "--template-id", tid, "--name", "over",
            "--priority", "9", "--job-queue", "comp", "--password-stdin", input="Carl0s!pass\n")
    assert r.exit_code == 0, r.output
    s = sched.submitted[1]
    assert (s.name, s.nice, s.queue, s.env) == ("over", 0, "comp", {"X": "1"})
    r = run(ehpc, "submit-job-from-template", "--cluster-id", cid, "--template-id", tid, "--password-stdin",
            input="Wr0ng!pass\n")
    assert r.exit_code != 0 and json.loads(r.stderr)["Code"] == "IncorrectCredential"
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"ClusterId": cid, "TemplateId": tid, "CommandLine": "echo file"}))
    r = run(ehpc, "submit-job-from-template", "--file", str(f))
    assert r.exit_code == 0, r.output
    assert sched.submitted[2].command == "echo file" and len(sched.submitted) == 3

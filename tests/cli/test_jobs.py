"""CLI verbs of the job operations (ehpc_iac/cli/ops_verbs_jobs.py) over the fakes."""
import json

import pytest
from click.testing import CliRunner

from ehpc_iac.cli.main import cli


def run(ehpc, *args, input=None):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc}, input=input)


@pytest.fixture
def cid(ehpc):
    r = run(ehpc, "create-cluster", "--name", "demo", "--deploy-mode", "Tiny")
    assert r.exit_code == 0, r.output
    cid = json.loads(r.stdout)["ClusterId"]
    ehpc.add_users(ClusterId=cid, User=[{"Name": "carol", "Password": "Carl0s!pass"}])
    return cid


def test_submit_job_flags_file_and_password_stdin(ehpc, cid, sched, tmp_path):
    r = run(ehpc, "submit-job", "--cluster-id", cid, "--runas-user", "carol", "--command-line", "echo $X",
            "--variables", '[{"Name": "X", "Value": "1"}]', "--priority", "9", "--array-request", "1-5:2",
            "--no-rerunable", "--password-stdin", input="Carl0s!pass\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["JobId"] == "101"
    assert sched.submitted[0].env == {"X": "1"} and sched.submitted[0].rerunable is False
    f = tmp_path / "job.yaml"
    f.write_text(f"ClusterId: {cid}\nCommandLine: |\n  echo one\n  echo two\nRunasUser: carol\nName: fromfile\n"
                 "Variables:\n  - {Name: A, Value: 'b c'}\n")
    r = run(ehpc, "submit-job", "--file", str(f))
    assert r.exit_code == 0, r.output
    assert sched.submitted[1].command == "echo one\necho two" and sched.submitted[1].name == "fromfile"
    assert sched.submitted[1].env == {"A": "b c"}


def test_submit_job_errors(ehpc, cid, sched):
    r = run(ehpc, "submit-job", "--cluster-id", cid, "--runas-user", "carol", "--command-line", "x",
            "--array-request", "5-1")
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidParams" and "ArrayRequest" in r.stderr
    r = run(ehpc, "submit-job", "--cluster-id", cid, "--runas-user", "zed", "--command-line", "x")
    assert r.exit_code == 3 and "RunasUser" in json.loads(r.stderr)["Message"]
    r = run(ehpc, "submit-job", "--runas-user", "carol", "--command-line", "x")
    assert r.exit_code == 2 and "ClusterId" in r.stderr
    assert sched.submitted == []


def test_list_describe_log_stop_rerun_delete(ehpc, cid, sched):
    jid = ehpc.submit_job(ClusterId=cid, RunasUser="carol", CommandLine="x", StdoutRedirectPath="o.out")["JobId"]
    sched.files = {"/home/carol/o.out": "out\n"}
    r = run(ehpc, "list-jobs", "--cluster-id", cid, "--state", "Queued")
    assert r.exit_code == 0 and json.loads(r.stdout)["Jobs"]["JobInfo"][0]["Id"] == jid
    r = run(ehpc, "describe-job", "--cluster-id", cid, "--job-id", jid)
    assert r.exit_code == 0 and json.loads(r.stdout)["Message"]["Owner"] == "carol"
    r = run(ehpc, "get-job-log", "--cluster-id", cid, "--job-id", jid)
    assert r.exit_code == 0 and json.loads(r.stdout)["OutputLog"] == "out\n"
    assert run(ehpc, "rerun-jobs", "--cluster-id", cid, "--job-id", jid).exit_code == 0
    assert run(ehpc, "stop-jobs", "--cluster-id", cid, "--job-id", jid).exit_code == 0
    r = run(ehpc, "rerun-jobs", "--cluster-id", cid, "--job-id", jid)
    assert r.exit_code != 0 and json.loads(r.stderr)["Code"] == "AgentError.Job.RerunFailure"
    assert run(ehpc, "delete-jobs", "--cluster-id", cid, "--job-id", jid).exit_code == 0
    assert json.loads(run(ehpc, "list-jobs", "--cluster-id", cid).stdout)["TotalCount"] == 0
    r = run(ehpc, "rerun-jobs", "--cluster-id", cid, *sum([["--job-id", str(i)] for i in range(1, 102)], []))
    assert r.exit_code == 2 and "Jobs" in json.loads(r.stderr)["Message"]


def test_create_job_file(ehpc, cid, sched, tmp_path):
    f = tmp_path / "cj.yaml"
    f.write_text(f"ClusterId: {cid}\nJobName: cj\nJobSpec:\n  CommandLine: -- /bin/echo hi\n  RunasUser: carol\n"
                 "  Resources: {Nodes: 1, Cores: 1}\n")
    r = run(ehpc, "create-job", "--file", str(f))
    assert r.exit_code == 0, r.output
    assert sched.submitted[0].command == "exec /bin/echo hi" and sched.submitted[0].name == "cj"

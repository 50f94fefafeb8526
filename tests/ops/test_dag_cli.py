"""CLI verbs of DAG jobs (ehpc_iac/cli/ops_verbs_dag.py) over the fakes."""
import json

import pytest
from click.testing import CliRunner

from ehpc_iac.cli.main import cli
from ehpc_iac.scheduler.base import FINISHED

from tests.fakes import cluster_with_user


def run(ehpc, *args, input=None):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc}, input=input)


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "dc", 1)


YAML = """\
Name: pipeline
Priority: 1000
JobFailOnInstanceFail: true
RunasUser: carol
DAG:
  Tasks:
    prep: {InstanceCount: 1, Timeout: 60, Parameters: {Command: {CommandLine: "echo prep"}}}
    work: {InstanceCount: 4, MaxRetryCount: 1, Parameters: {Command: {CommandLine: "echo $X", EnvVars: {X: "1"}}}}
  Dependencies:
    prep: [work]
"""


def test_create_describe_list_stop(ehpc, cid, sched, tmp_path):
    f = tmp_path / "job.yaml"
    f.write_text(YAML)
    r = run(ehpc, "create-dag-job", "--file", str(f), "--cluster-id", cid)
    assert r.exit_code == 0, r.output
    jid = json.loads(r.stdout)["Id"]
    assert [s.name for s in sched.submitted] == ["pipeline.prep", "pipeline.work"]
    assert sched.submitted[0].nice == 0 and sched.submitted[1].array == "0-3"
    r = run(ehpc, "describe-dag-job", "--cluster-id", cid, "--job-id", jid)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["Job"]["State"] == "Waiting"
    sched.jobs["101"].state = FINISHED
    r = run(ehpc, "list-dag-jobs", "--cluster-id", cid)
    assert json.loads(r.stdout)["Jobs"][0]["State"] == "Running"
    r = run(ehpc, "stop-dag-job", "--cluster-id", cid, "--job-id", jid)
    assert r.exit_code == 0, r.output
    assert ("stop", ["102"]) in sched.calls
    r = run(ehpc, "list-dag-jobs", "--cluster-id", cid, "--state", "Stopped", "--output", "table")
    assert r.exit_code == 0, r.output


def test_cycle_from_a_json_file_exits_2_with_the_seed_code(ehpc, cid, sched, tmp_path):
    f = tmp_path / "job.json"
    f.write_text(json.dumps({"ClusterId": cid, "Name": "c", "RunasUser": "carol", "DAG": {
        "Tasks": {"A": {"InstanceCount": 1, "CommandLine": "true"}, "B": {"InstanceCount": 1, "CommandLine": "true"}},
        "Dependencies": {"A": ["B"], "B": ["A"]}}}))
    r = run(ehpc, "create-dag-job", "--file", str(f))
    assert r.exit_code == 2
    body = json.loads(r.stderr)
    assert body["Code"] == "InvalidDependencies" and body["HttpStatus"] == 400 and "cycle" in body["Message"]
    assert sched.submitted == []

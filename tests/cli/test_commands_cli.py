"""CLI verbs of shell commands, logs and volumes (fakes; commands answered by FakeShell)."""
import base64
import json

import pytest
from click.testing import CliRunner

from ehpc_iac.cli.main import cli
from ehpc_iac.ops.commands import ShellRun
from tests.ops.test_commands import FakeShell


def run(ehpc, *args, input=None):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc}, input=input)


@pytest.fixture
def shell(ehpc):
    s = FakeShell()
    ehpc.shell_runner = s
    return s


@pytest.fixture
def cid(ehpc):
    return ehpc.create_cluster({"Name": "cli", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 2})["ClusterId"]


def iid(ehpc, cid, host):
    return ehpc.state.get_cluster(cid).plan.node(host).instance_id


def test_invoke_waits_then_results_are_there(ehpc, cid, shell):
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "hostname",
            "--instance-id", iid(ehpc, cid, "compute0"), "--instance-id", iid(ehpc, cid, "compute1"),
            "--working-dir", "/tmp", "--timeout", "20")
    assert r.exit_code == 0, r.output
    resp = json.loads(r.stdout)
    assert resp["InstanceIds"]["InstanceId"] == [iid(ehpc, cid, "compute0"), iid(ehpc, cid, "compute1")]
    assert sorted((c["host"], c["working_dir"], c["timeout"]) for c in shell.calls) == [
        ("compute0", "/tmp", 20), ("compute1", "/tmp", 20)]
    r = run(ehpc, "list-invocation-status", "--cluster-id", cid, "--command-id", resp["CommandId"])
    assert json.loads(r.stdout)["InvokeStatus"] == "Finished"  # waited: nothing is running any more
    r = run(ehpc, "list-invocation-results", "--cluster-id", cid, "--command-id", resp["CommandId"],
            "--instance-id", iid(ehpc, cid, "compute1"))
    res = json.loads(r.stdout)["InvocationResults"]["InvocationResult"]
    assert [(x["HostName"], x["Message"], x["ExitCode"]) for x in res] == [("compute1", "compute1\n", 0)]
    r = run(ehpc, "list-commands", "--cluster-id", cid, "-o", "table")
    assert r.exit_code == 0 and resp["CommandId"] in r.stdout


def test_invoke_table_shows_each_node(ehpc, cid, shell):
    shell.behaviour["compute1"] = lambda t, c, w, to: ShellRun("Finished", 2, "nope\n", "")
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "hostname", "-o", "table")
    assert r.exit_code == 0, r.output
    for host in ("manager0", "compute0", "compute1"):
        assert host in r.stdout
    assert "nope" in r.stdout and "Finished" in r.stdout


def test_invoke_no_wait_and_cli_input_json(ehpc, cid, shell, tmp_path):
    f = tmp_path / "req.json"
    f.write_text(json.dumps({"ClusterId": cid, "Command": "uptime", "Instance.1.Id": iid(ehpc, cid, "manager0")}))
    r = run(ehpc, "invoke-shell-command", "--cli-input-json", str(f), "--no-wait")
    assert r.exit_code == 0, r.output
    cmd = json.loads(r.stdout)["CommandId"]
    assert json.loads(r.stdout)["InstanceIds"]["InstanceId"] == [iid(ehpc, cid, "manager0")]
    from tests.ops.test_commands import wait_done
    assert wait_done(ehpc, cid, cmd)["InvokeStatus"] == "Finished"
    r = run(ehpc, "invoke-shell-command", "--cli-input-json", str(f), "--no-wait", "-o", "table")
    assert r.exit_code == 0 and iid(ehpc, cid, "manager0") in r.stdout
    # the flag replaces the file's list
    r = run(ehpc, "invoke-shell-command", "--cli-input-json", str(f), "--instance-id", iid(ehpc, cid, "compute0"))
    assert json.loads(r.stdout)["InstanceIds"]["InstanceId"] == [iid(ehpc, cid, "compute0")]
    for verb in ("list-commands", "list-cluster-logs", "get-cluster-volumes"):
        g = tmp_path / f"{verb}.json"
        g.write_text(json.dumps({"ClusterId": cid}))
        assert run(ehpc, verb, "--cli-input-json", str(g)).exit_code == 0
    g = tmp_path / "st.json"
    g.write_text(json.dumps({"ClusterId": cid, "CommandId": cmd}))
    for verb in ("list-invocation-status", "list-invocation-results"):
        assert run(ehpc, verb, "--cli-input-json", str(g)).exit_code == 0


def test_bad_input_exit_codes(ehpc, cid, shell):
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "")
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidParams" and "Command" in r.stderr
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "hostname", "--timeout", "soon")
    assert r.exit_code == 2 and "Timeout" in r.stderr
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "hostname", "--instance-id", "i-nope")
    assert r.exit_code == 3 and json.loads(r.stderr)["Code"] == "ObjectNotFound" and "Instance.1.Id" in r.stderr
    r = run(ehpc, "invoke-shell-command", "--command", "hostname")
    assert r.exit_code == 2 and "ClusterId" in r.stderr
    r = run(ehpc, "list-invocation-results", "--cluster-id", cid, "--command-id", "c-nope")
    assert r.exit_code == 3 and "CommandId" in r.stderr
    r = run(ehpc, "describe-nfs-client-status")
    assert r.exit_code == 2 and "InstanceId" in r.stderr
    assert shell.calls == [] and ehpc.list_commands(ClusterId=cid)["TotalCount"] == 0
    ehpc.stop_cluster(ClusterId=cid)
    r = run(ehpc, "invoke-shell-command", "--cluster-id", cid, "--command", "hostname")
    assert r.exit_code == 4 and json.loads(r.stderr)["Code"] == "InvalidClusterStatus"


def test_logs_and_volumes_verbs(ehpc, cid, shell):
    ehpc.state.add_log(cid, "R", "CreateCluster", "debug", "configure: a task")
    r = run(ehpc, "list-cluster-logs", "--cluster-id", cid, "--page-size", "2")
    body = json.loads(r.stdout)
    assert body["TotalCount"] == 5 and len(body["Logs"]["LogInfo"]) == 2
    r = run(ehpc, "list-cluster-logs", "--cluster-id", cid, "--include-debug", "-o", "table")
    assert r.exit_code == 0 and "configure: a task" in r.stdout
    r = run(ehpc, "get-cluster-volumes", "--cluster-id", cid)
    assert [v["LocalDirectory"] for v in json.loads(r.stdout)["Volumes"]["VolumeInfo"]] == ["/home"]
    r = run(ehpc, "describe-nfs-client-status", "--instance-id", iid(ehpc, cid, "compute0"))
    body = json.loads(r.stdout)
    assert body["Status"] == "Finished" and base64.b64decode(body["Result"]["Output"]) == b"compute0\n"
    r = run(ehpc, "install-nfs-client", "--instance-id", iid(ehpc, cid, "compute0"))
    assert r.exit_code == 0 and json.loads(r.stdout)["Status"] == "Finished"

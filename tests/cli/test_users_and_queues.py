"""CLI verbs of the user and queue operations (ehpc_iac/cli/ops_verbs_users.py) over the fakes."""
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
    ehpc.add_users(ClusterId=cid, User=[{"Name": "alice", "Password": "Alic3!pass"},
                                        {"Name": "bob", "Password": "B0b!passwd"}])
    return cid


def names(ehpc, cid):
    return {u["Name"]: u["Group"] for u in ehpc.list_users(ClusterId=cid)["Users"]["UserInfo"]}


def test_delete_users_flags_and_json(ehpc, cid, tmp_path):
    r = run(ehpc, "delete-users", "--cluster-id", cid, "--name", "alice")
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)) == {"RequestId", "TaskId"} and names(ehpc, cid) == {"bob": "users"}
    f = tmp_path / "d.json"
    f.write_text(json.dumps({"ClusterId": cid, "User.1.Name": "bob"}))
    assert run(ehpc, "delete-users", "--cli-input-json", str(f)).exit_code == 0
    assert names(ehpc, cid) == {}
    r = run(ehpc, "delete-users", "--cluster-id", cid, "--name", "bob")
    assert r.exit_code == 3
    err = json.loads(r.stderr)
    assert err["Code"] == "AgentError.Account.UserNotExist" and "User.1.Name" in err["Message"]


def test_modify_passwords_only_from_stdin_or_file(ehpc, conf, cid, tmp_path):
    before = {u["name"]: u["password_hash"] for u in ehpc.state.users(cid)}
    r = run(ehpc, "modify-user-passwords", "--cluster-id", cid, "--name", "alice", "--password-stdin",
            input="N3w!alicepw\n")
    assert r.exit_code == 0, r.output
    after = {u["name"]: u["password_hash"] for u in ehpc.state.users(cid)}
    assert after["alice"] != before["alice"] and after["bob"] == before["bob"]
    r = run(ehpc, "modify-user-passwords", "--cluster-id", cid, "--name", "alice")
    assert r.exit_code == 2 and "--password-stdin" in r.stderr
    r = run(ehpc, "modify-user-passwords", "--cluster-id", cid, "--name", "alice", "--password", "x")
    assert r.exit_code == 2  # there is no such flag
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"ClusterId": cid, "User": [{"Name": "bob", "Password": "N3w!bobpass"}]}))
    assert run(ehpc, "modify-user-passwords", "--cli-input-json", str(f)).exit_code == 0
    r = run(ehpc, "modify-user-passwords", "--cluster-id", cid, "--name", "bob", "--password-stdin",
            input="weakweak\n")
    assert r.exit_code == 2 and "User.1.Password" in r.stderr and "weakweak" not in r.stderr


def test_modify_groups(ehpc, cid, tmp_path):
    r = run(ehpc, "modify-user-groups", "--cluster-id", cid, "--name", "alice", "--name", "bob", "--group", "wheel")
    assert r.exit_code == 0, r.output
    assert names(ehpc, cid) == {"alice": "wheel", "bob": "wheel"}
    f = tmp_path / "g.json"
    f.write_text(json.dumps({"ClusterId": cid, "User.1.Name": "bob", "User.1.Group": "users"}))
    assert run(ehpc, "modify-user-groups", "--cli-input-json", str(f)).exit_code == 0
    assert names(ehpc, cid) == {"alice": "wheel", "bob": "users"}
    r = run(ehpc, "modify-user-groups", "--cluster-id", cid, "--name", "alice")
    assert r.exit_code == 2 and "User.1.Group" in r.stderr
    f.write_text(json.dumps({"ClusterId": cid, "User.1.Name": "bob", "User.1.Group": "admins"}))
    r = run(ehpc, "modify-user-groups", "--cli-input-json", str(f))
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidParams" and "User.1.Group" in r.stderr


def test_async_flag(ehpc, cid):
    r = run(ehpc, "modify-user-groups", "--cluster-id", cid, "--name", "alice", "--group", "wheel", "--async")
    assert r.exit_code == 0, r.output
    task = json.loads(r.stdout)["TaskId"]
    assert ehpc.wait_operation(cid, task, timeout=10)["message"] == "ModifyUserGroups succeeded"


def test_queue_verbs(ehpc, cid, tmp_path):
    r = run(ehpc, "add-queue", "--cluster-id", cid, "--queue-name", "gpu")
    assert r.exit_code == 0, r.output
    r = run(ehpc, "update-queue-config", "--cluster-id", cid, "--queue-name", "gpu",
            "--compute-instance-type", "ecs.g5.large")
    assert r.exit_code == 0, r.output
    r = run(ehpc, "list-queues", "--cluster-id", cid)
    got = {q["QueueName"]: q for q in json.loads(r.stdout)["Queues"]["QueueInfo"]}
    assert got["gpu"]["ComputeInstanceType"] == "ecs.g5.large" and got["comp"]["Default"] is True
    r = run(ehpc, "list-queues", "--cluster-id", cid, "-o", "table")
    assert r.exit_code == 0 and "gpu" in r.stdout and "comp" in r.stdout
    r = run(ehpc, "delete-queue", "--cluster-id", cid, "--queue-name", "comp")
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidOpt"
    r = run(ehpc, "delete-queue", "--cluster-id", cid, "--queue-name", "nope")
    assert r.exit_code == 3 and json.loads(r.stderr)["Code"] == "ObjectNotFound" and "QueueName" in r.stderr
    f = tmp_path / "q.json"
    f.write_text(json.dumps({"ClusterId": cid, "QueueName": "gpu"}))
    assert run(ehpc, "delete-queue", "--cli-input-json", str(f)).exit_code == 0
    r = run(ehpc, "add-queue", "--cluster-id", cid, "--queue-name", "Bad-Name")
    assert r.exit_code == 2 and "QueueName" in r.stderr
    r = run(ehpc, "update-queue-config", "--cluster-id", cid, "--queue-name", "comp", "--resource-group-id", "rg-1")
    assert r.exit_code == 0, r.output           # Alibaba Cloud only: accepted and ignored
    r = run(ehpc, "list-queues")
    assert r.exit_code == 2 and "ClusterId" in r.stderr
    assert list(json.loads(run(ehpc, "list-queues", "--cluster-id", cid).stdout)["Queues"]["QueueInfo"][0]) \
        [:4] == ["QueueName", "Type", "ResourceGroupId", "ComputeInstanceType"]

"""DeleteUsers, ModifyUserPasswords, ModifyUserGroups (and AddUsers' shared machinery) with fakes."""
import json

import pytest

from ehpc_iac.configure.passwords import verify
from ehpc_iac.errors import (ConfigureError, ConflictOpt, InvalidClusterStatus, InvalidParams, UsernameExist,
                             UserNotExist)
from ehpc_iac.ops.lock import cluster_lock


def create(ehpc):
    return ehpc.create_cluster({"Name": "demo", "DeployMode": "Tiny"})["ClusterId"]


@pytest.fixture
def cid(ehpc):
    cid = create(ehpc)
    ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass",
                    "User.2.Name": "bob", "User.2.Password": "B0b!passwd", "User.2.Group": "wheel"})
    return cid


def stored(ehpc, cid):
    return {u["name"]: u for u in ehpc.state.users(cid)}


def sent(conf):
    return {u["name"]: u for u in conf.calls[-1]["users"]}


def test_delete_users(ehpc, conf, cid):
    resp = ehpc.delete_users({"ClusterId": cid, "User.1.Name": "alice"})
    assert resp["RequestId"] == resp["TaskId"]
    assert conf.calls[-1]["playbook"] == "users.yml"
    assert list(sent(conf)) == ["bob"]  # the role removes accounts no longer listed
    assert [u["Name"] for u in ehpc.list_users(ClusterId=cid)["Users"]["UserInfo"]] == ["bob"]
    logs = [l["message"] for l in ehpc.state.logs(cid) if l["operation"] == "DeleteUsers"]
    assert logs == ["DeleteUsers started", "deleting 1 NIS account(s)", "DeleteUsers succeeded"]


def test_deleted_uid_is_never_given_again(ehpc, conf, cid):
    """The deleted user's home stays on /home: a new user must not inherit its uid."""
    ehpc.delete_users(ClusterId=cid, User=[{"Name": "bob"}])
    ehpc.add_users(ClusterId=cid, User=[{"Name": "carol", "Password": "C4rol!pass"}])
    assert {n: u["uid"] for n, u in stored(ehpc, cid).items()} == {"alice": 1001, "carol": 1003}
    ehpc.delete_users(ClusterId=cid, User=[{"Name": "carol"}, {"Name": "alice"}])
    ehpc.add_users(ClusterId=cid, User=[{"Name": "dave", "Password": "D4ve!pass"}])
    assert stored(ehpc, cid)["dave"]["uid"] == 1004


def test_modify_passwords_sends_new_hashes_only(ehpc, conf, cid, tmp_path):
    before = stored(ehpc, cid)
    ehpc.modify_user_passwords(ClusterId=cid, User=[{"Name": "alice", "Password": "N3w!alicepw"}])
    after = stored(ehpc, cid)
    assert verify("N3w!alicepw", after["alice"]["password_hash"])
    assert not verify("Alic3!pass", after["alice"]["password_hash"])
    assert after["bob"] == before["bob"]
    assert sent(conf)["alice"]["password_hash"] == after["alice"]["password_hash"]
    assert {k: v for k, v in after["alice"].items() if k != "password_hash"} == \
           {k: v for k, v in before["alice"].items() if k != "password_hash"}
    db = (tmp_path / "home" / "state.db").read_bytes()
    assert b"N3w!alicepw" not in db and b"Alic3!pass" not in db
    assert "N3w!alicepw" not in json.dumps(ehpc.state.logs(cid))


def test_modify_groups(ehpc, conf, cid):
    ehpc.modify_user_groups({"ClusterId": cid, "User.1.Name": "alice", "User.1.Group": "wheel",
                             "User.2.Name": "bob", "User.2.Group": "users"})
    assert {n: u["group"] for n, u in sent(conf).items()} == {"alice": "wheel", "bob": "users"}
    info = {u["Name"]: u for u in ehpc.list_users(ClusterId=cid)["Users"]["UserInfo"]}
    assert (info["alice"]["Group"], info["alice"]["GroupId"]) == ("wheel", "990")
    assert (info["bob"]["Group"], info["bob"]["GroupId"]) == ("users", "100")


@pytest.mark.parametrize("op,extra", [("delete_users", {}), ("modify_user_passwords", {"Password": "Zz!passwd1"}),
                                      ("modify_user_groups", {"Group": "wheel"})])
def test_unknown_user_changes_nothing(ehpc, conf, cid, op, extra):
    before, calls = stored(ehpc, cid), len(conf.calls)
    with pytest.raises(UserNotExist) as ei:
        getattr(ehpc, op)(ClusterId=cid, User=[{"Name": "alice", **extra}, {"Name": "zed", **extra}])
    assert ei.value.field == "User.2.Name" and "zed" in ei.value.message
    assert ei.value.code == "AgentError.Account.UserNotExist" and ei.value.http_status == 406
    assert ei.value.exit_code == 3
    assert stored(ehpc, cid) == before and len(conf.calls) == calls


@pytest.mark.parametrize("op,extra", [("delete_users", {}), ("modify_user_passwords", {"Password": "Zz!passwd1"}),
                                      ("modify_user_groups", {"Group": "wheel"})])
def test_bad_input_names_the_field(ehpc, conf, cid, op, extra):
    before, calls = stored(ehpc, cid), len(conf.calls)
    fn = getattr(ehpc, op)
    with pytest.raises(InvalidParams) as ei:   # the same name twice
        fn(ClusterId=cid, User=[{"Name": "alice", **extra}, {"Name": "bob", **extra}, {"Name": "alice", **extra}])
    assert ei.value.field == "User.3.Name" and "more than once" in ei.value.message
    with pytest.raises(InvalidParams) as ei:   # 101 users
        fn(ClusterId=cid, User=[{"Name": f"u{i:03d}", **extra} for i in range(101)])
    assert ei.value.field == "User"
    with pytest.raises(InvalidParams) as ei:   # none
        fn(ClusterId=cid, User=[])
    assert ei.value.field == "User"
    with pytest.raises(InvalidParams) as ei:
        fn(ClusterId=cid, User=[{"Name": "Root Admin", **extra}])
    assert ei.value.field == "User.1.Name"
    with pytest.raises(InvalidParams) as ei:
        fn({"ClusterId": cid, "User.1.Name": "alice", "User.1.Shell": "/bin/zsh", **{f"User.1.{k}": v
                                                                                     for k, v in extra.items()}})
    assert ei.value.field == "User.1.Shell"
    assert stored(ehpc, cid) == before and len(conf.calls) == calls


def test_bad_group_and_password(ehpc, conf, cid):
    before = stored(ehpc, cid)
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_user_groups(ClusterId=cid, User=[{"Name": "alice", "Group": "admins"}])
    assert ei.value.field == "User.1.Group"
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_user_groups(ClusterId=cid, User=[{"Name": "alice"}])
    assert ei.value.field == "User.1.Group" and "required" in ei.value.message
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_user_passwords(ClusterId=cid, User=[{"Name": "alice", "Password": "weakweak"}])
    assert ei.value.field == "User.1.Password" and "weakweak" not in ei.value.message
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_user_passwords(ClusterId=cid, User=[{"Name": "alice"}])
    assert ei.value.field == "User.1.Password"
    assert stored(ehpc, cid) == before


@pytest.mark.parametrize("op,extra", [("delete_users", {}), ("modify_user_passwords", {"Password": "Zz!passwd1"}),
                                      ("modify_user_groups", {"Group": "wheel"}),
                                      ("add_users", {"Password": "Zz!passwd1"})])
def test_failed_ansible_restores_stored_users(ehpc, conf, cid, op, extra):
    before = stored(ehpc, cid)
    conf.fail = "ypserv down"
    name = "zoe" if op == "add_users" else "alice"
    with pytest.raises(ConfigureError):
        getattr(ehpc, op)(ClusterId=cid, User=[{"Name": name, **extra}])
    assert stored(ehpc, cid) == before
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "running"
    assert any(l["level"] == "error" and "ypserv down" in l["message"] for l in ehpc.state.logs(cid))
    conf.fail = None
    getattr(ehpc, op)(ClusterId=cid, User=[{"Name": name, **extra}])  # and it works once the cause is gone


def test_add_users_duplicate_in_request_is_username_exist(ehpc, cid):
    with pytest.raises(UsernameExist) as ei:
        ehpc.add_users(ClusterId=cid, User=[{"Name": "zoe", "Password": "Zz!passwd1"},
                                            {"Name": "zoe", "Password": "Zz!passwd1"}])
    assert ei.value.field == "User.2.Name"


def test_status_and_conflict(ehpc, cid):
    with cluster_lock(ehpc.home / "locks", cid, "AddNodes"):
        with pytest.raises(ConflictOpt):
            ehpc.delete_users(ClusterId=cid, User=[{"Name": "alice"}])
    ehpc.stop_cluster(ClusterId=cid)
    with pytest.raises(InvalidClusterStatus):
        ehpc.modify_user_groups(ClusterId=cid, User=[{"Name": "alice", "Group": "wheel"}])
    assert stored(ehpc, cid)["alice"]["grp"] == "users"


def test_async_returns_task_and_finishes(ehpc, conf, cid):
    resp = ehpc.modify_user_groups(ClusterId=cid, User=[{"Name": "alice", "Group": "wheel"}], Async=True)
    final = ehpc.wait_operation(cid, resp["TaskId"], timeout=10)
    assert final["message"] == "ModifyUserGroups succeeded"
    assert stored(ehpc, cid)["alice"]["grp"] == "wheel"


def test_user_deleted_meanwhile_is_caught_under_the_lock(ehpc, conf, cid):
    """The request is checked again once the lock is held (another writer may have run in between)."""
    real = ehpc._operation

    def racing(rec, operation, body, **kw):
        ehpc.state.delete_users(cid, ["alice"])  # what a writer finishing just before us would do
        return real(rec, operation, body, **kw)

    ehpc._operation = racing
    calls = len(conf.calls)
    with pytest.raises(UserNotExist):
        ehpc.modify_user_passwords(ClusterId=cid, User=[{"Name": "alice", "Password": "N3w!alicepw"}])
    assert len(conf.calls) == calls

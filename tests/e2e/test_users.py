"""NIS users end to end: a user added with AddUsers logs in on the login node over SSH with
their password and runs jobs; ModifyUserPasswords, ModifyUserGroups (wheel -> sudo) and
DeleteUsers take effect on the nodes."""
import paramiko
import pytest

from ehpc_iac.errors import UserNotExist

from .conftest import dexec, docker

SPEC = {"Name": "e2e-users", "DeployMode": "Simple", "EcsOrder": {"Compute": {"Count": 1}}}
ALICE, ALICE2, BOB = "Alic3!pass", "N3w!alice-pw", "B0b!passwd"


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


@pytest.fixture(scope="module")
def login(ehpc, cluster):
    """The login node's address, as the engine reports it."""
    nodes = ehpc.engine("docker").inspect(ehpc.state.get_cluster(cluster).plan)
    return nodes["login0"].address


def ssh(address, user, password):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(address, username=user, password=password, timeout=15, allow_agent=False, look_for_keys=False)
    return c


def sh(client, cmd, stdin=None, timeout=180):
    i, o, e = client.exec_command(cmd, timeout=timeout)
    if stdin is not None:
        i.write(stdin)
        i.channel.shutdown_write()
    out, err = o.read().decode(), e.read().decode()
    return o.channel.recv_exit_status(), out, err


def refused(address, user, password):
    try:
        ssh(address, user, password).close()
    except paramiko.AuthenticationException:
        return True
    return False


def name(cid, host):
    return f"{cid}-{host}"


def test_new_user_logs_in_with_password_and_runs_jobs(ehpc, cluster, login):
    ehpc.add_users({"ClusterId": cluster, "User.1.Name": "alice", "User.1.Password": ALICE,
                    "User.2.Name": "bob", "User.2.Password": BOB})
    with ssh(login, "alice", ALICE) as c:
        rc, out, _ = sh(c, "id -un; id -gn; hostname; pwd")
        assert rc == 0 and out.split() == ["alice", "users", "login0", "/home/alice"]
        rc, out, err = sh(c, "srun -N1 hostname")
        assert rc == 0 and out.strip() == "compute0", err
        rc, out, err = sh(c, "sbatch --wait -N1 -o job-%j.out --wrap 'id -un; hostname; pwd'")
        assert rc == 0 and out.startswith("Submitted batch job"), err
        job = out.split()[-1]
        rc, out, _ = sh(c, f"cat ~/job-{job}.out; stat -c %U ~/job-{job}.out")
        assert out.split() == ["alice", "compute0", "/home/alice", "alice"]
    # the output is on the shared /home: the compute node wrote it, the manager sees it
    assert dexec(name(cluster, "manager0"), "cat", f"/home/alice/job-{job}.out").split()[0] == "alice"
    users = ehpc.list_users(ClusterId=cluster)["Users"]["UserInfo"]
    assert [(u["Name"], u["Group"], u["UserId"], u["GroupId"]) for u in users] == \
        [("alice", "users", "1001", "100"), ("bob", "users", "1002", "100")]
    assert dexec(name(cluster, "compute0"), "id", "-g", "alice").strip() == "100"


def test_modify_password_old_refused_new_accepted(ehpc, cluster, login):
    ehpc.modify_user_passwords(ClusterId=cluster, User=[{"Name": "alice", "Password": ALICE2}])
    assert refused(login, "alice", ALICE)
    with ssh(login, "alice", ALICE2) as c:
        assert sh(c, "id -un")[1].strip() == "alice"
    with ssh(login, "bob", BOB) as c:  # the others keep theirs
        assert sh(c, "id -un")[1].strip() == "bob"


def test_wheel_group_gets_sudo_with_own_password(ehpc, cluster, login):
    with ssh(login, "alice", ALICE2) as c:
        rc, _, err = sh(c, "sudo -S -k -p '' true", stdin=ALICE2 + "\n")
        assert rc != 0 and "sudoers" in err
    ehpc.modify_user_groups({"ClusterId": cluster, "User.1.Name": "alice", "User.1.Group": "wheel"})
    with ssh(login, "alice", ALICE2) as c:
        assert sh(c, "id -gn")[1].strip() == "wheel"
        rc, out, err = sh(c, "sudo -S -k -p '' id -un", stdin=ALICE2 + "\n")
        assert rc == 0 and out.strip() == "root", err
        rc, _, err = sh(c, "sudo -S -k -p '' true", stdin="wrong-password\n")
        assert rc != 0  # their own password, not any
    assert ehpc.list_users(ClusterId=cluster)["Users"]["UserInfo"][0]["Group"] == "wheel"
    ehpc.modify_user_groups(ClusterId=cluster, User=[{"Name": "alice", "Group": "users"}])
    with ssh(login, "alice", ALICE2) as c:
        rc, _, err = sh(c, "sudo -S -k -p '' true", stdin=ALICE2 + "\n")
        assert rc != 0 and "sudoers" in err


def test_bad_input_changes_nothing_on_the_nodes(ehpc, cluster, login):
    before = ehpc.state.users(cluster)
    with pytest.raises(UserNotExist) as ei:
        ehpc.delete_users(ClusterId=cluster, User=[{"Name": "bob"}, {"Name": "mallory"}])
    assert ei.value.field == "User.2.Name"
    assert ehpc.state.users(cluster) == before
    assert "bob" in dexec(name(cluster, "compute0"), "id", "bob")


def test_delete_user_is_gone_from_the_nodes_home_kept(ehpc, cluster, login):
    ehpc.delete_users(ClusterId=cluster, User=[{"Name": "bob"}])
    p = docker("exec", name(cluster, "compute0"), "sh", "-c", "id bob; echo rc=$?", check=False)
    assert "rc=1" in p
    assert refused(login, "bob", BOB)
    assert dexec(name(cluster, "manager0"), "stat", "-c", "%u", "/home/bob").strip() == "1002"  # data kept
    assert [u["Name"] for u in ehpc.list_users(ClusterId=cluster)["Users"]["UserInfo"]] == ["alice"]
    # a new user never gets the deleted user's uid (and so never owns their files)
    ehpc.add_users(ClusterId=cluster, User=[{"Name": "carol", "Password": BOB}])
    assert dexec(name(cluster, "compute0"), "id", "-u", "carol").strip() == "1003"


def test_no_password_or_hash_in_logs(ehpc, cluster):
    hashes = [u["password_hash"] for u in ehpc.state.users(cluster)]
    logs = list(ehpc.log_dir(cluster).glob("*.log"))
    assert logs
    for log in logs:
        text = log.read_text()
        for secret in (ALICE, ALICE2, BOB, *hashes):
            assert secret not in text, log
    db_logs = " ".join(l["message"] for l in ehpc.state.logs(cluster))
    assert all(s not in db_logs for s in (ALICE, ALICE2, BOB))

"""LDAP accounts end to end (AccountType ldap, the cluster's own directory): slapd on the account
node, nslcd everywhere, TLS with the per-cluster CA; a user added with AddUsers logs in on a
compute node over SSH with their password and runs jobs; ModifyUserGroups, ModifyUserPasswords
and DeleteUsers take effect at once; no NIS daemon runs; no clear password anywhere."""
import subprocess

import paramiko
import pytest

from ehpc_iac.errors import InvalidParams, UsernameExist, UserNotExist

from .conftest import cluster_with_user, dexec
from .test_users import refused, sh, ssh

SPEC = {"Name": "e2e-ldap", "DeployMode": "Tiny", "AccountType": "ldap", "EcsOrder": {"Compute": {"Count": 1}}}
ALICE, ALICE2, BOB = "Ld4p!alice", "N3w!ldap-pw", "B0b!ldap-pw"
NIS_DAEMONS = ("ypbind", "ypserv", "rpcbind", "rpc.yppasswdd")


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, SPEC, "alice", ALICE)


@pytest.fixture(scope="module")
def compute(ehpc, cluster):
    """compute0's address, as the engine reports it."""
    return ehpc.engine("docker").inspect(ehpc.state.get_cluster(cluster).plan)["compute0"].address


def manager(cid):
    return f"{cid}-manager0"


def test_directory_over_tls_only_and_no_nis(ehpc, cluster):
    for host in ("manager0", "compute0"):
        procs = dexec(f"{cluster}-{host}", "ps", "-eo", "comm=").split()
        assert "nslcd" in procs and not set(NIS_DAEMONS) & set(procs), (host, procs)
    assert "slapd" in dexec(manager(cluster), "ps", "-eo", "comm=").split()
    # from the compute node: ldaps with the cluster CA works, plain LDAP and an untrusted CA do not
    base = f"dc={cluster.lower()}"
    ok = dexec(f"{cluster}-compute0", "env", "LDAPTLS_CACERT=/etc/ldap/ehpc-ca.crt", "ldapsearch", "-x", "-LLL",
               "-H", "ldaps://manager0", "-b", base, "-s", "base", "dn")
    assert f"dn: {base}" in ok
    plain = dexec(f"{cluster}-compute0", "ldapsearch", "-x", "-H", "ldap://manager0", "-b", base, "-s", "base",
                  check=False)
    assert f"dn: {base}" not in plain
    untrusted = dexec(f"{cluster}-compute0", "env", "LDAPTLS_CACERT=/etc/ssl/certs/ca-certificates.crt",
                      "LDAPTLS_REQCERT=demand", "ldapsearch", "-x", "-H", "ldaps://manager0", "-b", base, "-s",
                      "base", check=False)
    assert f"dn: {base}" not in untrusted
    # the CA key stays with the control plane (0600)
    ca_key = ehpc.state.cluster_dir(cluster) / "accounts" / "ca.key"
    assert ca_key.stat().st_mode & 0o777 == 0o600
    assert dexec(manager(cluster), "sh", "-c", "grep -rl 'PRIVATE KEY' /etc/ldap/ehpc/ | sort").split() == [
        "/etc/ldap/ehpc/server.key"]


def test_user_logs_in_on_a_compute_with_password_and_runs_a_job(ehpc, cluster, compute):
    ehpc.add_users({"ClusterId": cluster, "User.1.Name": "bob", "User.1.Password": BOB})
    assert [u["Name"] for u in ehpc.list_users(ClusterId=cluster)["Users"]["UserInfo"]] == ["alice", "bob"]
    c = ssh(compute, "alice", ALICE)
    try:
        rc, out, _ = sh(c, "id -un; id -gn; echo $HOME; srun -N1 hostname")
        assert rc == 0 and out.split() == ["alice", "users", "/home/alice", "compute0"], out
        rc, out, err = sh(c, "cd && sbatch --wait -o job.out --wrap 'id -un; hostname' >/dev/null && cat job.out")
        assert rc == 0 and out.split() == ["alice", "compute0"], (out, err)
    finally:
        c.close()
    assert refused(compute, "alice", "wrong-Passw0rd")
    # stored as a SHA-512 crypt hash, readable by root on the account node only
    entry = dexec(manager(cluster), "ldapsearch", "-Q", "-LLL", "-Y", "EXTERNAL", "-H", "ldapi:///",
                  "-b", f"uid=alice,ou=people,dc={cluster.lower()}", "userPassword")
    assert "userPassword:: " in entry  # base64 of {CRYPT}$6$...
    anon = dexec(f"{cluster}-compute0", "env", "LDAPTLS_CACERT=/etc/ldap/ehpc-ca.crt", "ldapsearch", "-x", "-LLL",
                 "-H", "ldaps://manager0", "-b", f"uid=alice,ou=people,dc={cluster.lower()}", "userPassword",
                 "uidNumber")
    assert "uidNumber:" in anon and "userPassword" not in anon


def test_group_and_password_changes_take_effect(ehpc, cluster, compute):
    ehpc.modify_user_groups(ClusterId=cluster, User=[{"Name": "alice", "Group": "wheel"}])
    ehpc.modify_user_passwords(ClusterId=cluster, User=[{"Name": "alice", "Password": ALICE2}])
    assert refused(compute, "alice", ALICE)
    c = ssh(compute, "alice", ALICE2)
    try:
        rc, out, _ = sh(c, "id -gn")
        assert (rc, out.strip()) == (0, "wheel")
        rc, out, _ = sh(c, "sudo -S -k -p '' id -u", stdin=ALICE2 + "\n")
        assert (rc, out.strip()) == (0, "0")
    finally:
        c.close()


def test_bad_input_answers_the_nis_codes(ehpc, cluster):
    with pytest.raises(UsernameExist) as ei:
        ehpc.add_users({"ClusterId": cluster, "User.1.Name": "alice", "User.1.Password": ALICE})
    assert ei.value.field == "User.1.Name"
    with pytest.raises(UserNotExist) as ei:
        ehpc.delete_users({"ClusterId": cluster, "User.1.Name": "bob", "User.2.Name": "nosuchuser"})
    assert ei.value.field == "User.2.Name"
    with pytest.raises(InvalidParams) as ei:
        ehpc.add_users({"ClusterId": cluster, "User.1.Name": "carl", "User.1.Password": "short"})
    assert ei.value.field == "User.1.Password"
    with pytest.raises(InvalidParams) as ei:
        ehpc.modify_user_groups(ClusterId=cluster, User=[{"Name": "bob", "Group": "root"}])
    assert ei.value.field == "User.1.Group"
    assert {u["Name"] for u in ehpc.list_users(ClusterId=cluster)["Users"]["UserInfo"]} == {"alice", "bob"}
    assert "carl" not in dexec(f"{cluster}-compute0", "getent", "passwd", check=False)


def test_deleted_user_can_no_longer_log_in(ehpc, cluster, compute):
    ehpc.delete_users(ClusterId=cluster, User=[{"Name": "bob"}])
    assert refused(compute, "bob", BOB)
    assert dexec(f"{cluster}-compute0", "getent", "passwd", "bob", check=False) == ""
    assert dexec(f"{cluster}-compute0", "sh", "-c", "test -d /home/bob && echo kept") == "kept\n"


def test_no_clear_password_in_state_logs_or_directory_logs(ehpc, cluster):
    home = ehpc.state.home
    for pw in (ALICE, ALICE2, BOB):
        grep = subprocess.run(["grep", "-rlaF", pw, str(home)], capture_output=True, text=True)
        assert grep.returncode == 1, f"clear password found in {grep.stdout}"
        for host in ("manager0", "compute0"):
            found = dexec(f"{cluster}-{host}", "grep", "-rlaF", pw, "/var/log", "/etc", "/var/lib/ehpc-ldap",
                          check=False)
            assert found == "", f"clear password found on {host}: {found}"
    # the directory's own log shows the binds of the logins, never a password or hash
    slapd_log = dexec(manager(cluster), "cat", "/var/log/ehpc/slapd.log")
    assert 'BIND dn="uid=alice,ou=people' in slapd_log
    for u in ehpc.state.users(cluster):
        assert u["password_hash"] not in slapd_log


def test_second_converge_changes_nothing(ehpc, cluster):
    out = ehpc.clusters.reconverge(cluster)
    assert not out["EngineChanged"]
    assert out["AnsibleChanged"] == {"manager0": 0, "compute0": 0}

"""Shell commands, logs and volumes on a real Tiny cluster (Docker, SSH with paramiko, Slurm)."""
import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ehpc_iac.errors import InvalidParams, ObjectNotFound

from .conftest import dexec, docker

SPEC = {"Name": "e2e-commands", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 2}}}
HOSTS = ("manager0", "compute0", "compute1")


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


def iid(ehpc, cid, host):
    return ehpc.state.get_cluster(cid).plan.node(host).instance_id


def wait_done(ehpc, cid, command_id, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        st = ehpc.list_invocation_status(ClusterId=cid, CommandId=command_id)
        if st["InvokeStatus"] != "Running":
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.2)


def results(ehpc, cid, command_id):
    r = ehpc.list_invocation_results(ClusterId=cid, CommandId=command_id, PageSize=50)
    return {x["HostName"]: x for x in r["InvocationResults"]["InvocationResult"]}


def test_every_node_returns_its_own_hostname(ehpc, cluster):
    t0 = time.monotonic()
    resp = ehpc.invoke_shell_command(ClusterId=cluster, Command="hostname; id -un; sleep 3")
    returned = time.monotonic() - t0
    assert returned < 3, returned  # the CommandId comes back at once
    assert sorted(resp["InstanceIds"]["InstanceId"]) == sorted(iid(ehpc, cluster, h) for h in HOSTS)
    assert ehpc.list_invocation_status(ClusterId=cluster, CommandId=resp["CommandId"])["InvokeStatus"] == "Running"
    st = wait_done(ehpc, cluster, resp["CommandId"])
    elapsed = time.monotonic() - t0
    assert st["InvokeStatus"] == "Finished"
    assert elapsed < 3 * 3, elapsed  # three nodes sleeping 3 s each, in parallel
    res = results(ehpc, cluster, resp["CommandId"])
    assert set(res) == set(HOSTS)
    for host, r in res.items():
        assert r["Message"].split() == [host, "root"], r
        assert r["ExitCode"] == 0 and r["Success"] is True and r["InvokeRecordStatus"] == "Finished"
        assert r["InstanceId"] == iid(ehpc, cluster, host)
    print(f"\nInvokeShellCommand on {len(HOSTS)} nodes: returned in {returned:.2f}s, all finished in {elapsed:.1f}s")


def test_named_node_working_dir_and_exit_code(ehpc, cluster):
    resp = ehpc.invoke_shell_command({"ClusterId": cluster, "Instance.1.Id": iid(ehpc, cluster, "compute1"),
                                      "Command": "pwd; echo oops >&2; exit 7", "WorkingDir": "/home"},
                                     wait=True)
    assert resp["InstanceIds"]["InstanceId"] == [iid(ehpc, cluster, "compute1")]
    r = results(ehpc, cluster, resp["CommandId"])["compute1"]
    assert (r["InvokeRecordStatus"], r["ExitCode"], r["Success"], r["Message"]) == \
        ("Finished", 7, False, "/home\noops\n")
    missing = ehpc.invoke_shell_command(ClusterId=cluster, Command="pwd", WorkingDir="/no/such/dir",
                                        Instance=[{"Id": iid(ehpc, cluster, "compute0")}], wait=True)
    r = results(ehpc, cluster, missing["CommandId"])["compute0"]
    assert r["InvokeRecordStatus"] == "Failed" and "/no/such/dir" in r["ErrorInfo"]


def test_timeout_kills_a_sleep(ehpc, cluster):
    t0 = time.monotonic()
    resp = ehpc.invoke_shell_command(ClusterId=cluster, Command="sleep 120 & sleep 121; echo never", Timeout=2,
                                     Instance=[{"Id": iid(ehpc, cluster, "compute0")}], wait=True)
    elapsed = time.monotonic() - t0
    r = results(ehpc, cluster, resp["CommandId"])["compute0"]
    assert r["InvokeRecordStatus"] == "Failed" and r["ExitCode"] == 124 and "Timeout=2s" in r["ErrorInfo"]
    assert "never" not in r["Message"] and elapsed < 15, elapsed
    left = dexec(f"{cluster}-compute0", "pgrep", "-f", "sleep 12[01]", check=False)
    assert left.strip() == "", left
    print(f"\nTimeout=2 killed the sleeps after {elapsed:.1f}s")


def test_a_process_left_running_does_not_hold_the_result(ehpc, cluster):
    """A command that starts a background process holding its output still ends with the shell."""
    t0 = time.monotonic()
    resp = ehpc.invoke_shell_command(ClusterId=cluster, Command="sleep 25 & echo started", Timeout=60,
                                     Instance=[{"Id": iid(ehpc, cluster, "compute0")}], wait=True)
    elapsed = time.monotonic() - t0
    r = results(ehpc, cluster, resp["CommandId"])["compute0"]
    assert (r["InvokeRecordStatus"], r["ExitCode"], r["Message"]) == ("Finished", 0, "started\n")
    print(f"\nbackground process left running: result after {elapsed:.1f}s")
    assert elapsed < 20, elapsed


def test_cli_runs_commands_over_ssh(ehpc, cluster, home):
    cli = [str(Path(sys.executable).parent / "ehpc-iac"), "--home", str(home)]
    p = subprocess.run([*cli, "-q", "invoke-shell-command", "--cluster-id", cluster, "--command", "hostname",
                        "-o", "table"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    for host in HOSTS:
        assert host in p.stdout
    t0 = time.monotonic()
    p = subprocess.run([*cli, "invoke-shell-command", "--cluster-id", cluster, "--command", "sleep 2; hostname",
                        "--no-wait"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 10
    cmd = json.loads(p.stdout)["CommandId"]
    assert wait_done(ehpc, cluster, cmd)["InvokeStatus"] == "Finished"  # finished by the CLI's detached child
    assert {h: r["Message"] for h, r in results(ehpc, cluster, cmd).items()} == {h: f"{h}\n" for h in HOSTS}


def test_list_cluster_logs_shows_the_create(ehpc, cluster):
    logs = ehpc.list_cluster_logs(ClusterId=cluster, PageSize=100)
    infos = logs["Logs"]["LogInfo"]
    assert logs["TotalCount"] >= 5 and logs["ClusterId"] == cluster
    msgs = [(l["Operation"], l["Message"]) for l in infos]
    assert ("CreateCluster", "CreateCluster started") in msgs and ("CreateCluster", "CreateCluster succeeded") in msgs
    assert msgs.index(("CreateCluster", "CreateCluster succeeded")) < msgs.index(("CreateCluster",
                                                                                 "CreateCluster started"))
    assert infos[0]["Operation"] == "InvokeShellCommand"  # newest first
    assert all(l["Level"] != "debug" for l in infos)
    debug = ehpc.list_cluster_logs(ClusterId=cluster, PageSize=100, IncludeDebug=True)
    assert debug["TotalCount"] > logs["TotalCount"]
    assert any(l["Level"] == "debug" and l["Message"].startswith("configure:") for l in debug["Logs"]["LogInfo"])


def test_get_cluster_volumes_lists_home(ehpc, cluster):
    vols = ehpc.get_cluster_volumes(ClusterId=cluster)["Volumes"]["VolumeInfo"]
    assert [v["LocalDirectory"] for v in vols] == ["/home"]
    home = vols[0]
    assert home["VolumeId"] == f"{cluster}-home" and home["VolumeType"] == "docker" and home["MustKeep"] is True
    assert sorted(home["HostNames"]) == sorted(HOSTS)
    assert json.loads(docker("volume", "inspect", home["VolumeId"]))[0]["Labels"]["ehpc.cluster-id"] == cluster
    mounts = json.loads(docker("inspect", "-f", "{{json .Mounts}}", f"{cluster}-compute0"))
    assert {"Name": home["VolumeId"], "Destination": "/home"}.items() <= next(
        m for m in mounts if m["Destination"] == "/home").items()


def test_nfs_client_status_and_install_tell_the_truth(ehpc, cluster):
    node = iid(ehpc, cluster, "compute0")
    st = ehpc.describe_nfs_client_status(InstanceId=node)
    out = base64.b64decode(st["Result"]["Output"]).decode()
    assert st["Status"] == "Finished" and st["Result"]["ExitCode"] == 0, out
    assert f"/home: mounted (docker volume {cluster}-home;" in out
    inst = ehpc.install_nfs_client(InstanceId=node)
    assert inst["Status"] == "Finished"
    r = results(ehpc, cluster, inst["InvokeId"])["compute0"]
    assert r["ExitCode"] == 0 and "no NFS client needed" in r["Message"]
    # nothing was installed
    assert "install ok installed" not in dexec(f"{cluster}-compute0", "dpkg-query", "-W", "-f=${Status}",
                                               "nfs-common", check=False)
    # a volume that is not mounted is reported as such
    docker("exec", f"{cluster}-compute0", "mkdir", "-p", "/srv/plain")
    from ehpc_iac.ops.volumes import check_script
    from ehpc_iac.plan import VolumePlan
    rec = ehpc.state.get_cluster(cluster)
    script = check_script(rec.plan.node("compute0"), [VolumePlan("x", "/home"), VolumePlan("y", "/srv/plain")],
                          "docker")
    p = subprocess.run(["docker", "exec", "-i", f"{cluster}-compute0", "bash", "-s"], input=script,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "/srv/plain: NOT mounted" in p.stdout and "/home: mounted" in p.stdout


def test_bad_input_gets_the_code_naming_the_field_and_changes_nothing(ehpc, cluster):
    before_cmds = ehpc.list_commands(ClusterId=cluster)["TotalCount"]
    before_logs = ehpc.list_cluster_logs(ClusterId=cluster)["TotalCount"]
    with pytest.raises(ObjectNotFound) as e:
        ehpc.invoke_shell_command({"ClusterId": cluster, "Command": "hostname",
                                   "Instance.1.Id": iid(ehpc, cluster, "compute0"),
                                   "Instance.2.Id": "i-unknown0000000000000"})
    assert e.value.code == "ObjectNotFound" and "Instance.2.Id" in e.value.message
    for bad, field in (({"Command": ""}, "Command"), ({"Timeout": 0}, "Timeout"), ({"Timeout": "abc"}, "Timeout"),
                       ({"Timeout": 100000}, "Timeout")):
        with pytest.raises(InvalidParams) as e:
            ehpc.invoke_shell_command({"ClusterId": cluster, "Command": "hostname", **bad})
        assert e.value.code == "InvalidParams" and field in e.value.message
    assert ehpc.list_commands(ClusterId=cluster)["TotalCount"] == before_cmds
    assert ehpc.list_cluster_logs(ClusterId=cluster)["TotalCount"] == before_logs


def test_a_stopped_node_fails_alone(ehpc, cluster):
    name = f"{cluster}-compute1"
    docker("stop", "-t", "2", name)
    try:
        resp = ehpc.invoke_shell_command(ClusterId=cluster, Command="hostname", wait=True)
        res = results(ehpc, cluster, resp["CommandId"])
        assert res["compute1"]["InvokeRecordStatus"] == "Failed" and "stopped" in res["compute1"]["ErrorInfo"]
        assert res["manager0"]["Message"] == "manager0\n" and res["compute0"]["Message"] == "compute0\n"
        st = ehpc.list_invocation_status(ClusterId=cluster, CommandId=resp["CommandId"])
        assert st["InvokeStatus"] == "Failed"
    finally:
        docker("start", name)

"""GetClusterVolumes, DescribeNFSClientStatus, InstallNFSClient with the fakes (+ the check script on bash)."""
import base64
import subprocess

import pytest

from ehpc_iac.errors import InvalidClusterStatus, ObjectNotFound
from ehpc_iac.ops.commands import ShellRun
from ehpc_iac.ops.volumes import check_script
from ehpc_iac.plan import NodePlan, VolumePlan

from .test_commands import FakeShell


@pytest.fixture
def shell(ehpc):
    s = FakeShell()
    ehpc.shell_runner = s
    return s


def create(ehpc, **kw):
    return ehpc.create_cluster({"Name": "vols", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}},
                                **kw})["ClusterId"]


def node_id(ehpc, cid, host):
    return ehpc.state.get_cluster(cid).plan.node(host).instance_id


def test_get_cluster_volumes_reports_docker_volumes(ehpc):
    cid = create(ehpc, AdditionalVolumes=[
        {"LocalDirectory": "/data", "Roles": [{"Name": "Compute"}]},
        {"LocalDirectory": "/nas", "VolumeMountpoint": "nas.example.com", "RemoteDirectory": "/exports/x"}])
    resp = ehpc.get_cluster_volumes(ClusterId=cid)
    assert resp["RegionId"] == "local"
    vols = {v["LocalDirectory"]: v for v in resp["Volumes"]["VolumeInfo"]}
    assert set(vols) == {"/home", "/data", "/nas"}  # the controller's state volume is internal
    home = vols["/home"]
    assert home == {"ClusterId": cid, "RegionId": "local", "VolumeId": f"{cid}-home", "VolumeType": "docker",
                    "VolumeProtocol": "local", "VolumeMountpoint": "", "RemoteDirectory": "",
                    "LocalDirectory": "/home", "MustKeep": True, "Location": home["Location"],
                    "MountedBy": "docker", "Roles": {"RoleInfo": []}, "HostNames": ["manager0", "compute0"]}
    assert vols["/data"]["VolumeId"] == f"{cid}-vol1" and vols["/data"]["MustKeep"] is False
    assert vols["/data"]["Roles"] == {"RoleInfo": [{"Name": "Compute"}]} and vols["/data"]["HostNames"] == ["compute0"]
    nas = vols["/nas"]
    assert (nas["VolumeType"], nas["VolumeProtocol"], nas["VolumeMountpoint"], nas["RemoteDirectory"]) == \
        ("nas", "nfs", "nas.example.com", "/exports/x")


def test_describe_nfs_client_status_checks_the_mounts(ehpc, fake, shell):
    cid = create(ehpc)
    iid = node_id(ehpc, cid, "compute0")
    shell.behaviour["compute0"] = lambda t, c, w, to: ShellRun("Finished", 0, "/home: mounted (docker volume)\n", "")
    resp = ehpc.describe_nfs_client_status(InstanceId=iid)
    assert resp["Status"] == "Finished"
    assert resp["Result"]["InvokeRecordStatus"] == "Finished" and resp["Result"]["ExitCode"] == 0
    assert resp["Result"]["Success"] is True
    assert base64.b64decode(resp["Result"]["Output"]).decode() == "/home: mounted (docker volume)\n"
    script = shell.calls[-1]["command"]
    assert "mountpoint -q" in script and "check /home" in script and f"{cid}-home" in script
    assert shell.calls[-1]["host"] == "compute0"
    # a read: no command recorded
    assert ehpc.list_commands(ClusterId=cid)["TotalCount"] == 0
    shell.behaviour["compute0"] = lambda t, c, w, to: ShellRun("Finished", 1, "/home: NOT mounted\n", "")
    assert ehpc.describe_nfs_client_status(InstanceId=iid)["Status"] == "NotInstalled"
    fake.machines[cid]["compute0"].status = "stopped"
    resp = ehpc.describe_nfs_client_status(InstanceId=iid)
    assert resp["Status"] == "NotInstalled" and resp["Result"]["InvokeRecordStatus"] == "Failed"
    assert b"stopped" in base64.b64decode(resp["Result"]["Output"])
    with pytest.raises(ObjectNotFound) as e:
        ehpc.describe_nfs_client_status(InstanceId="i-nope")
    assert e.value.field == "InstanceId"


def test_install_nfs_client_installs_nothing_and_records_the_check(ehpc, shell):
    cid = create(ehpc)
    iid = node_id(ehpc, cid, "manager0")
    resp = ehpc.install_nfs_client(InstanceId=iid)
    assert resp["Status"] == "Finished" and resp["InvokeId"].startswith("c-")
    assert [c["host"] for c in shell.calls] == ["manager0"]
    assert "apt" not in shell.calls[0]["command"]
    cmds = ehpc.list_commands(ClusterId=cid)["Commands"]["Command"]
    assert [c["CommandId"] for c in cmds] == [resp["InvokeId"]]
    res = ehpc.list_invocation_results(ClusterId=cid, CommandId=resp["InvokeId"])
    assert res["InvocationResults"]["InvocationResult"][0]["InstanceId"] == iid
    msgs = [l["message"] for l in ehpc.state.logs(cid) if l["operation"] == "InstallNFSClient"]
    assert "nothing to install, the docker engine mounts /home" in msgs[0]
    # DescribeNFSClientStatus afterwards
    assert ehpc.describe_nfs_client_status(InstanceId=iid)["Status"] == "Finished"
    shell.behaviour["manager0"] = lambda t, c, w, to: ShellRun("Finished", 1, "/home: NOT mounted\n", "")
    assert ehpc.install_nfs_client(InstanceId=iid)["Status"] == "NotInstalled"


def test_install_nfs_client_needs_running_cluster(ehpc, shell):
    cid = create(ehpc)
    ehpc.stop_cluster(ClusterId=cid)
    with pytest.raises(InvalidClusterStatus):
        ehpc.install_nfs_client(InstanceId=node_id(ehpc, cid, "compute0"))
    with pytest.raises(ObjectNotFound):
        ehpc.install_nfs_client(InstanceId="i-nope")
    assert shell.calls == []


def test_check_script_on_this_machine(tmp_path):
    """The script really tells a mount point from a plain directory (run here with bash)."""
    plain = tmp_path / "plain dir"
    plain.mkdir()
    node = NodePlan("n0", "i-x", ("Compute",), "Compute", "ecs.n1.tiny", 1, 1024)
    ok = check_script(node, [VolumePlan("v-proc", "/proc")], "docker")
    p = subprocess.run(["bash", "-c", ok], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("/proc: mounted (docker volume v-proc; proc)"), p.stdout
    bad = check_script(node, [VolumePlan("v-proc", "/proc"), VolumePlan("v-plain", str(plain))], "docker")
    p = subprocess.run(["bash", "-c", bad], capture_output=True, text=True)
    assert p.returncode == 1 and f"{plain}: NOT mounted (expected: docker volume v-plain)" in p.stdout
    nfs = check_script(node, [VolumePlan("v-n", "/nas", remote_server="srv", remote_dir="/e")], "docker")
    assert "NFS export srv:/e mounted by the docker host as volume v-n" in nfs

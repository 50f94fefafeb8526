"""InvokeShellCommand, ListCommands, ListInvocationStatus, ListInvocationResults with the fakes.

The fake engine's nodes have fake addresses, so the per-node SSH execution is replaced by
``FakeShell`` (``Ehpc.shell_runner``); the wrapper that runs on the nodes is tested on this
machine's bash in test_commands_wrapper.py and over real SSH in tests/e2e/test_commands.py.
"""
import os
import subprocess
import threading
import time

import pytest

from ehpc_iac.errors import ClusterNotFound, InvalidClusterStatus, InvalidParams, ObjectNotFound
from ehpc_iac.ops import Ehpc
from ehpc_iac.ops.commands import ShellRun
from ehpc_iac.ops.commands_state import CommandStore
from ehpc_iac.ops.lock import cluster_lock


class FakeShell:
    """Answers each node with its host name, or what ``behaviour[host]`` returns."""

    def __init__(self):
        self.calls = []
        self.behaviour = {}
        self.lock = threading.Lock()

    def __call__(self, target, command, working_dir, timeout):
        with self.lock:
            self.calls.append({"host": target.hostname, "address": target.address, "command": command,
                               "working_dir": working_dir, "timeout": timeout, "key": target.key_file})
        fn = self.behaviour.get(target.hostname)
        if fn:
            return fn(target, command, working_dir, timeout)
        return ShellRun("Finished", 0, f"{target.hostname}\n", "")


@pytest.fixture
def shell(ehpc):
    s = FakeShell()
    ehpc.shell_runner = s
    return s


def create(ehpc, **kw):
    spec = {"Name": "cmds", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 2}}, **kw}
    return ehpc.create_cluster(spec)["ClusterId"]


def ids(ehpc, cid):
    rec = ehpc.state.get_cluster(cid)
    return {n.hostname: n.instance_id for n in rec.plan.nodes}


def wait_done(ehpc, cid, command_id, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        st = ehpc.list_invocation_status(ClusterId=cid, CommandId=command_id)
        if st["InvokeStatus"] != "Running":
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.02)


def results(ehpc, cid, command_id, **kw):
    r = ehpc.list_invocation_results(ClusterId=cid, CommandId=command_id, PageSize=50, **kw)
    return {x["HostName"]: x for x in r["InvocationResults"]["InvocationResult"]}


def test_invoke_on_every_node_returns_each_output(ehpc, shell):
    cid = create(ehpc)
    iids = ids(ehpc, cid)
    resp = ehpc.invoke_shell_command(ClusterId=cid, Command="hostname")
    assert resp["CommandId"].startswith("c-") and resp["RequestId"]
    assert resp["InstanceIds"]["InstanceId"] == list(iids.values())  # no Instance: every node, plan order
    st = wait_done(ehpc, cid, resp["CommandId"])
    assert st["InvokeStatus"] == "Finished" and st["CommandId"] == resp["CommandId"]
    assert {i["InstanceId"]: i["InstanceInvokeStatus"] for i in st["InvokeInstances"]["InvokeInstance"]} == \
        {i: "Finished" for i in iids.values()}
    res = results(ehpc, cid, resp["CommandId"])
    assert set(res) == {"manager0", "compute0", "compute1"}
    for host, r in res.items():
        assert r["Message"] == f"{host}\n" and r["ExitCode"] == 0 and r["Success"] is True
        assert r["InvokeRecordStatus"] == "Finished" and r["InstanceId"] == iids[host]
        assert r["CommandId"] == resp["CommandId"] and r["FinishedTime"].endswith("Z") and r["ErrorInfo"] == ""
    # defaults of the reference; the cluster key; the node's address
    assert {c["working_dir"] for c in shell.calls} == {"/root"} and {c["timeout"] for c in shell.calls} == {60}
    assert {c["key"] for c in shell.calls} == {ehpc.access(cid).private_key_file}
    assert {c["address"] for c in shell.calls} == {"fake-manager0", "fake-compute0", "fake-compute1"}


def test_named_nodes_flat_form_and_parameters(ehpc, shell):
    cid = create(ehpc)
    iids = ids(ehpc, cid)
    resp = ehpc.invoke_shell_command({"ClusterId": cid, "Command": "ls -la", "Instance.1.Id": iids["compute1"],
                                      "Instance.2.Id": iids["manager0"], "WorkingDir": "/home",
                                      "Timeout": "30"}, wait=True)
    assert resp["InstanceIds"]["InstanceId"] == [iids["compute1"], iids["manager0"]]
    assert sorted((c["host"], c["command"], c["working_dir"], c["timeout"]) for c in shell.calls) == [
        ("compute1", "ls -la", "/home", 30), ("manager0", "ls -la", "/home", 30)]
    cmds = ehpc.list_commands(ClusterId=cid)
    assert cmds["TotalCount"] == 1
    assert cmds["Commands"]["Command"][0] | {"CreateTime": None} == {
        "CommandId": resp["CommandId"], "CommandContent": "ls -la", "WorkingDir": "/home", "Timeout": 30,
        "CreateTime": None}


def test_failing_command_reports_exit_code_and_down_node_fails_alone(ehpc, fake, shell):
    cid = create(ehpc)
    shell.behaviour["compute0"] = lambda t, c, w, to: ShellRun("Finished", 3, "boom\n", "")
    fake.machines[cid]["compute1"].status = "stopped"
    resp = ehpc.invoke_shell_command(ClusterId=cid, Command="false # not-in-logs", wait=True)
    res = results(ehpc, cid, resp["CommandId"])
    assert res["compute0"]["ExitCode"] == 3 and res["compute0"]["Success"] is False
    assert res["compute0"]["InvokeRecordStatus"] == "Finished" and res["compute0"]["Message"] == "boom\n"
    assert res["compute1"]["InvokeRecordStatus"] == "Failed" and res["compute1"]["ExitCode"] is None
    assert "stopped" in res["compute1"]["ErrorInfo"]
    assert res["manager0"]["Success"] is True
    assert "compute1" not in {c["host"] for c in shell.calls}  # nothing was tried on the down node
    st = ehpc.list_invocation_status(ClusterId=cid, CommandId=resp["CommandId"])
    assert st["InvokeStatus"] == "Failed"
    # filters and paging
    failed = ehpc.list_invocation_results(ClusterId=cid, CommandId=resp["CommandId"], InvokeRecordStatus="Failed")
    assert failed["TotalCount"] == 1 and failed["InvocationResults"]["InvocationResult"][0]["HostName"] == "compute1"
    one = ehpc.list_invocation_results({"ClusterId": cid, "CommandId": resp["CommandId"],
                                        "Instance.1.Id": ids(ehpc, cid)["compute0"]})
    assert [r["HostName"] for r in one["InvocationResults"]["InvocationResult"]] == ["compute0"]
    p2 = ehpc.list_invocation_results(ClusterId=cid, CommandId=resp["CommandId"], PageSize=2, PageNumber=2)
    assert p2["TotalCount"] == 3 and len(p2["InvocationResults"]["InvocationResult"]) == 1
    # the cluster log has the start and a warning summary, not the command text
    logs = [l for l in ehpc.state.logs(cid) if l["operation"] == "InvokeShellCommand"]
    assert [l["level"] for l in logs] == ["info", "warn"]
    assert "1 of 3 node(s) exited 0, 1 with another exit code, 1 failed" in logs[-1]["message"]
    assert all("not-in-logs" not in l["message"] for l in ehpc.state.logs(cid))


def test_runs_in_parallel_and_shows_running(ehpc, shell):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 3}})
    barrier = threading.Barrier(4, timeout=5)
    release = threading.Event()

    def meet(t, c, w, to):
        barrier.wait()          # all four nodes must be in flight together
        release.wait(5)
        return ShellRun("Finished", 0, "ok\n", "")

    for h in ("manager0", "compute0", "compute1", "compute2"):
        shell.behaviour[h] = meet
    t0 = time.monotonic()
    resp = ehpc.invoke_shell_command(ClusterId=cid, Command="sleep 1")
    assert time.monotonic() - t0 < 2  # returned at once
    st = ehpc.list_invocation_status(ClusterId=cid, CommandId=resp["CommandId"])
    assert st["InvokeStatus"] == "Running"
    assert results(ehpc, cid, resp["CommandId"])["compute2"]["Success"] is False
    release.set()
    assert wait_done(ehpc, cid, resp["CommandId"])["InvokeStatus"] == "Finished"


def test_no_write_lock_taken_or_needed(ehpc, shell):
    cid = create(ehpc)
    with cluster_lock(ehpc.home / "locks", cid, "AddNodes"):
        resp = ehpc.invoke_shell_command(ClusterId=cid, Command="uptime", wait=True)
        resp2 = ehpc.invoke_shell_command(ClusterId=cid, Command="uptime", wait=True)
    assert resp["CommandId"] != resp2["CommandId"]
    assert ehpc.list_commands(ClusterId=cid)["TotalCount"] == 2


def test_wait_reports_progress(ehpc, shell):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 1}})
    seen = []
    ehpc.invoke_shell_command(ClusterId=cid, Command="hostname", wait=True, progress=seen.append)
    assert len(seen) == 2 and seen[-1].startswith("2/2 ") and all("Finished (exit code 0)" in s for s in seen)


@pytest.mark.parametrize("bad, field", [
    ({"Command": ""}, "Command"),
    ({"Command": "   "}, "Command"),
    ({"Command": "x"}, "Command"),
    ({"Command": "x" * 2049}, "Command"),
    ({"Command": "a\x00b"}, "Command"),
    ({"Timeout": 0}, "Timeout"),
    ({"Timeout": -5}, "Timeout"),
    ({"Timeout": "abc"}, "Timeout"),
    ({"Timeout": 1.5}, "Timeout"),
    ({"Timeout": True}, "Timeout"),
    ({"Timeout": 86401}, "Timeout"),
    ({"WorkingDir": "tmp"}, "WorkingDir"),
    ({"Instance.1.Id": ""}, "Instance.1.Id"),
    ({"Bogus": 1}, "Bogus"),
])
def test_bad_input_names_the_field_and_changes_nothing(ehpc, shell, bad, field):
    cid = create(ehpc)
    before = ehpc.state.logs(cid)
    with pytest.raises(InvalidParams) as e:
        ehpc.invoke_shell_command({"ClusterId": cid, "Command": "hostname", **bad})
    assert e.value.field == field and field in e.value.message and e.value.code == "InvalidParams"
    assert ehpc.list_commands(ClusterId=cid)["TotalCount"] == 0 and shell.calls == []
    assert ehpc.state.logs(cid) == before


def test_unknown_and_duplicate_instance_ids(ehpc, shell):
    cid = create(ehpc)
    iids = ids(ehpc, cid)
    with pytest.raises(ObjectNotFound) as e:
        ehpc.invoke_shell_command({"ClusterId": cid, "Command": "hostname", "Instance.1.Id": iids["compute0"],
                                   "Instance.2.Id": "i-doesnotexist000000"})
    assert e.value.code == "ObjectNotFound" and e.value.http_status == 404
    assert e.value.field == "Instance.2.Id" and "Instance.2.Id" in e.value.message
    assert "i-doesnotexist000000" in e.value.message
    with pytest.raises(InvalidParams) as e:
        ehpc.invoke_shell_command(ClusterId=cid, Command="hostname",
                                  Instance=[{"Id": iids["compute0"]}, {"Id": iids["compute0"]}])
    assert e.value.field == "Instance.2.Id"
    # an instance of another cluster is unknown in this one
    other = create(ehpc)
    with pytest.raises(ObjectNotFound):
        ehpc.invoke_shell_command(ClusterId=cid, Command="hostname", Instance=[{"Id": ids(ehpc, other)["compute0"]}])
    assert ehpc.list_commands(ClusterId=cid)["TotalCount"] == 0 and shell.calls == []


def test_needs_a_running_cluster(ehpc, shell):
    with pytest.raises(ClusterNotFound):
        ehpc.invoke_shell_command(ClusterId="ehpc-lo-0000000000", Command="hostname")
    cid = create(ehpc)
    ehpc.stop_cluster(ClusterId=cid)
    with pytest.raises(InvalidClusterStatus) as e:
        ehpc.invoke_shell_command(ClusterId=cid, Command="hostname")
    assert e.value.code == "InvalidClusterStatus" and "stopped" in e.value.message
    assert ehpc.list_commands(ClusterId=cid)["TotalCount"] == 0 and shell.calls == []


def test_unknown_command_ids(ehpc, shell):
    a, b = create(ehpc), create(ehpc)
    cmd = ehpc.invoke_shell_command(ClusterId=a, Command="hostname", wait=True)["CommandId"]
    for fn in (ehpc.list_invocation_status, ehpc.list_invocation_results):
        with pytest.raises(ObjectNotFound) as e:
            fn(ClusterId=a, CommandId="c-nope")
        assert e.value.field == "CommandId"
        with pytest.raises(ObjectNotFound):
            fn(ClusterId=b, CommandId=cmd)  # belongs to another cluster
    with pytest.raises(InvalidParams) as e:
        ehpc.list_invocation_results(ClusterId=a, CommandId=cmd, InvokeRecordStatus="Done")
    assert e.value.field == "InvokeRecordStatus"
    assert ehpc.list_commands(ClusterId=a, CommandId="c-nope")["TotalCount"] == 0
    assert ehpc.list_commands(ClusterId=b)["TotalCount"] == 0


def test_list_commands_newest_first_and_paged(ehpc, shell):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 1}})
    made = [ehpc.invoke_shell_command(ClusterId=cid, Command=f"echo {i}", wait=True)["CommandId"]
            for i in range(3)]
    page1 = ehpc.list_commands(ClusterId=cid, PageSize=2)
    page2 = ehpc.list_commands(ClusterId=cid, PageSize=2, PageNumber=2)
    assert page1["TotalCount"] == 3 and page1["PageSize"] == 2
    got = [c["CommandId"] for c in page1["Commands"]["Command"] + page2["Commands"]["Command"]]
    assert got == made[::-1]
    assert ehpc.list_commands(ClusterId=cid, CommandId=made[1])["Commands"]["Command"][0]["CommandContent"] == \
        "echo 1"
    with pytest.raises(InvalidParams):
        ehpc.list_commands(ClusterId=cid, PageSize=51)


def test_a_runner_crash_fails_that_node_only(ehpc, shell):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 1}})

    def crash(*_a):
        raise RuntimeError("kaboom")

    shell.behaviour["compute0"] = crash
    cmd = ehpc.invoke_shell_command(ClusterId=cid, Command="hostname", wait=True)["CommandId"]
    res = results(ehpc, cid, cmd)
    assert res["compute0"]["InvokeRecordStatus"] == "Failed" and "kaboom" in res["compute0"]["ErrorInfo"]
    assert res["manager0"]["InvokeRecordStatus"] == "Finished"


def test_rows_of_a_dead_runner_become_stopped(ehpc, shell):
    cid = create(ehpc, EcsOrder={"Compute": {"Count": 1}})
    release = threading.Event()
    shell.behaviour["compute0"] = lambda *a: (release.wait(5), ShellRun("Finished", 0, "late\n", ""))[1]
    cmd = ehpc.invoke_shell_command(ClusterId=cid, Command="hostname")["CommandId"]
    p = subprocess.Popen(["true"])
    p.wait()
    CommandStore(ehpc.state).set_runner(cmd, p.pid)  # as if the process running it had been killed
    res = results(ehpc, cid, cmd)
    assert res["compute0"]["InvokeRecordStatus"] == "Stopped" and "interrupted" in res["compute0"]["ErrorInfo"]
    assert ehpc.list_invocation_status(ClusterId=cid, CommandId=cmd)["InvokeStatus"] == "Stopped"
    release.set()
    time.sleep(0.2)  # the late answer does not overwrite Stopped
    assert results(ehpc, cid, cmd)["compute0"]["InvokeRecordStatus"] == "Stopped"


def test_fork_mode_runs_in_a_detached_child(tmp_path, fake, conf):
    ops = Ehpc(tmp_path / "home", engine_factory=lambda name: fake, configurator=conf, async_mode="fork")
    shell = FakeShell()
    shell.behaviour["compute0"] = lambda t, c, w, to: ShellRun("Finished", 0, f"pid {os.getpid()}\n", "")
    ops.shell_runner = shell
    cid = create(ops, EcsOrder={"Compute": {"Count": 1}})
    cmd = ops.invoke_shell_command(ClusterId=cid, Command="hostname")["CommandId"]
    st = wait_done(ops, cid, cmd)
    assert st["InvokeStatus"] == "Finished"
    res = results(ops, cid, cmd)
    assert res["compute0"]["Message"] != f"pid {os.getpid()}\n"  # ran in another process
    assert CommandStore(ops.state).get(cmd)["runner_pid"] != os.getpid()
    assert shell.calls == []  # not in this process

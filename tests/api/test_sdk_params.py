"""Every parameter of every served action, as the installed official SDKs define them.

The parameters come from the SDKs themselves (tests/api/sdk_params.py): the 2018-04-12 request
classes' setters and the 2.0 request models' fields. Each one is sent, through the SDK's own
setter or model field and nothing added by hand, with a plausible value, on a fresh cluster of
the fake-engine facade. Each must be one of:

- honoured or accepted: the call succeeds (and a background operation it started succeeds);
  a parameter in ehpc_iac/spec/cloud_only.py is accepted and ignored;
- refused with a code of the reference, naming the parameter, with a reason that is not
  "unknown parameter".

Parameters the action needs (ClusterId, CommandLine ...) are found the way a new user finds
them: from the error that names them. A newer SDK's parameter is covered by itself, and a
failure names it.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from alibabacloud_tea_openapi.exceptions import ClientException

from ehpc_iac.api import v2018, v2024
from ehpc_iac.ops.commands import ShellRun
from ehpc_iac.errors import InvalidParams
from ehpc_iac.spec.cloud_only import is_cloud_only, table_markdown
from tests.api.sdk2018 import client as client_2018
from tests.api.sdk2018 import request_2018_raw
from tests.api.sdk_params import (fields_2024, leaf, model_with, params_2018, request_2024, sdk_method, top)
from tests.api.test_v2024 import make_client
from tests.fakes import cluster_with_user

# Codes of the reference a refusal may carry (seed 000/001/004 error tables).
REFUSALS = {"InvalidParams", "InvalidOpt", "ObjectNotFound", "ComputeNotFound", "ImageNotSupported",
            "ImageNotFound", "AgentError.Account.UserNotExist", "UsernameExist", "IncorrectCredential"}
SERVED_2018 = sorted(a for a in v2018.IMPLEMENTED)
SERVED_2024 = sorted(v2024.ACTIONS)
_names = itertools.count(1)


def fresh(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


class Shell:
    """Every node answers the command (and the NFS check) at once."""

    def __call__(self, target, command, working_dir, timeout):
        if "findmnt" in command:
            return ShellRun("Finished", 0, "", "")
        return ShellRun("Finished", 0, f"{target.hostname}\n", "")


@dataclass
class World:
    """A fresh Tiny cluster with two computes and the user carol; objects made on demand."""
    ehpc: Any
    sched: Any
    cid: str = ""
    made: dict = field(default_factory=dict)

    def __post_init__(self):
        self.cid = cluster_with_user(self.ehpc, fresh("w"), computes=2)

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    def instance(self, host: str = "compute0") -> str:
        return self.ehpc.state.get_cluster(self.cid).plan.node(host).instance_id

    def job(self) -> str:
        return self.once("job", lambda: self.ehpc.submit_job(ClusterId=self.cid, CommandLine="echo hi",
                                                             RunasUser="carol")["JobId"])

    def template(self) -> str:
        return self.once("tpl", lambda: self.ehpc.create_job_template(
            Name="tpl", CommandLine="echo hi", RunasUser="carol")["TemplateId"])

    def command(self) -> str:
        def run():
            cmd = self.ehpc.invoke_shell_command(ClusterId=self.cid, Command="hostname", Instance=[
                {"Id": self.instance()}])["CommandId"]
            return cmd
        return self.once("cmd", run)

    def queue(self) -> str:
        return self.once("queue", lambda: _queue(self))

    def image(self) -> str:
        return self.ehpc.describe_cluster(ClusterId=self.cid)["ClusterInfo"].get("ImageId") or ""

    def wait(self, body: dict) -> Optional[str]:
        """The error of the background operation ``body`` started (a long action), if any."""
        task = body.get("TaskId") if body.get("_long") else None
        cid = body.get("ClusterId") or self.cid
        if not task:
            return None
        end = self.ehpc.wait_operation(cid, task, timeout=30, poll=0.02)
        return end["message"] if end["level"] == "error" else None


def _queue(w: World) -> str:
    name = fresh("q")
    w.ehpc.add_queue(ClusterId=w.cid, QueueName=name)
    return name


# --- plausible values, by (action, name), by name, by the name's last part ----------------------
BY_ACTION: dict[tuple[str, str], Callable[[World], Any]] = {
    ("AddQueue", "QueueName"): lambda w: fresh("q"),
    ("DeleteQueue", "QueueName"): lambda w: w.queue(),
    ("AddUsers", "User.1.Name"): lambda w: fresh("user"),
    ("CreateUsers", "User.1.UserName"): lambda w: fresh("user"),
    ("CreateCluster", "Name"): lambda w: fresh("c"),
    ("CreateCluster", "ClusterName"): lambda w: fresh("c"),
    ("CreateCluster", "JobQueue"): lambda w: "work",
    ("CreateCluster", "ClientToken"): lambda w: fresh("token"),
    ("AddNodes", "ClientToken"): lambda w: fresh("token"),
    ("CreateCluster", "ImageId"): lambda w: "",
    ("AddNodes", "ImageId"): lambda w: w.image(),
    ("RecoverCluster", "ImageId"): lambda w: w.image(),
    ("ModifyClusterAttributes", "ImageId"): lambda w: w.image(),
    ("ModifyClusterAttributes", "Name"): lambda w: "renamed",
    ("ListJobTemplates", "Name"): lambda w: "tpl",
    ("CreateJobTemplate", "Name"): lambda w: "tpl",
    ("EditJobTemplate", "Name"): lambda w: "tpl2",
    ("ListNodes", "Status"): lambda w: ["Running"],
}
BY_NAME: dict[str, Callable[[World], Any]] = {
    "ClusterId": lambda w: w.cid,
    "User.1.Name": lambda w: "carol",
    "User.1.UserName": lambda w: "carol",
    "EcsOrder.Manager.Count": lambda w: 1,
    "Instance.1.Id": lambda w: w.instance(),
    "InstanceId": lambda w: w.instance(),
    "InstanceIds": lambda w: [w.instance()],
    "JobId": lambda w: w.job(),
    "JobIds": lambda w: [w.job()],
    "Jobs": lambda w: json.dumps([{"Id": w.job()}]),
    "TemplateId": lambda w: w.template(),
    "Templates": lambda w: json.dumps([{"Id": w.template()}]),
    "CommandId": lambda w: w.command(),
    "ClusterIds": lambda w: [w.cid],
    "Hostnames": lambda w: ["compute0"],
    "Variables": lambda w: json.dumps([{"Name": "A", "Value": "1"}]),
    "JobSpec.Variables": lambda w: json.dumps([{"Name": "A", "Value": "1"}]),
}
BY_LEAF: dict[str, Any] = {
    "Count": 1, "MinCount": 1, "InitialCount": 1, "InstanceType": "ecs.n1.tiny", "ComputeInstanceType": "ecs.n1.tiny",
    "JobQueue": "comp", "QueueName": "comp", "Queue": "comp", "QueueNames": ["comp"], "Queues": ["comp"],
    "HostNamePrefix": "pre", "HostNameSuffix": "suf", "HostnamePrefix": "pre", "HostnameSuffix": "suf",
    "CreateMode": "manual", "ImageOwnerAlias": "system", "OsTag": "Debian_12_64", "SchedulerType": "slurm",
    "AccountType": "nis", "DeployMode": "Tiny", "Description": "d", "ClusterDescription": "d",
    "Password": "Us3r!pass", "Group": "users", "Role": "Compute", "HostName": "compute0",
    "PrivateIpAddress": "10.0.0.9", "Sequence": "forward", "SortBy": "addedtime", "PageNumber": 1, "PageSize": 10,
    "CommandLine": "echo hi", "RunasUser": "carol", "RunasUserPassword": "Carl0s!pass", "Priority": 1,
    "Node": 1, "Task": 1, "Thread": 1, "Cpu": 1, "Gpu": 0, "Gpus": 0, "Nodes": 1, "Cores": 1, "Mem": "512MB",
    "Memory": "512MB", "ClockTime": "01:00:00", "WallTime": "01:00:00", "ArrayRequest": "1-2:1",
    "PackagePath": "/home/carol", "InputFileUrl": "https://example.com/in.tar.gz", "UnzipCmd": "tar xzf",
    "StdoutRedirectPath": "/home/carol/out.txt", "StderrRedirectPath": "/home/carol/err.txt",
    "StdoutPath": "/home/carol/out.txt", "StderrPath": "/home/carol/err.txt", "PostCmdLine": "echo done",
    "Offset": 0, "Size": 100, "ExecHost": "compute0", "Command": "hostname", "Timeout": 10, "WorkingDir": "/root",
    "InvokeRecordStatus": "Finished", "Owner": "carol", "State": "all", "Rerunable": "true", "Name": "tpl",
    "ReleaseInstance": "true", "Async": True, "Sync": False, "HaEnable": False, "Tag": "OpenMPI",
    "Url": "/bin/true", "Args": "", "LocalDirectory": "/data", "RemoteDirectory": "/", "VolumeType": "nas",
    "VolumeProtocol": "nfs", "VolumeId": "vol1", "VolumeMountpoint": "", "VolumeMountOption": "",
    "KeyPairName": "", "ClientToken": "token", "UserName": "alice", "JobName": "j1", "JobStatus": "all",
    "Users": ["carol"], "ScalingRatio": 1, "MountDirectory": "/data", "ProtocolType": "NFS",
    "ClusterCategory": "Standard", "ClusterMode": "Integrated", "Type": "", "InterConnect": "vpc",
    "InstanceChargeType": "PostPaid", "SpotStrategy": "NoSpot", "EnableScaleIn": False, "EnableScaleOut": False,
    "DeletionProtection": False, "WithUnzipCmd": True, "ReRunable": True, "Filter": "",
}
BY_KIND = {"Integer": 1, "Long": 1, "Float": 1.0, "Boolean": True, "String": "x1", "RepeatList": "x1", "Array": "x1",
           "Struct": "x1", "int": 1, "float": 1.0, "bool": True, "str": "x1", "list[str]": ["x1"]}


def plausible(action: str, name: str, kind: str, w: World) -> Any:
    if (action, name) in BY_ACTION:
        return BY_ACTION[(action, name)](w)
    if name in BY_NAME:
        return BY_NAME[name](w)
    value = BY_LEAF.get(leaf(name), BY_KIND.get(kind, "x1"))
    if kind.startswith("list[") and not isinstance(value, list):
        value = [value]
    return value


# --- outcomes ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    code: str = ""
    message: str = ""
    status: int = 200


def _names_param(message: str, name: str) -> bool:
    return any(n in message for n in (name, top(name), leaf(name)))


def judge(name: str, out: Outcome) -> Optional[str]:
    """None when the outcome is allowed for the parameter ``name``; else why not."""
    if out.ok:
        return None
    if "unknown parameter" in out.message:
        return f"unknown parameter: {out.code} {out.message}"
    if out.code not in REFUSALS:
        return f"not a refusal of the reference: {out.status} {out.code} {out.message}"
    if not _names_param(out.message, name):
        return f"refused without naming it: {out.code} {out.message}"
    return None


def _named(out: Outcome, known: list[str], have: dict) -> list[str]:
    """The SDK parameters an InvalidParams error is about: the one it names, or those under the
    list or object it names (``User`` -> ``User.1.Name``, ``User.1.Password`` ...)."""
    if out.ok or out.code != "InvalidParams":
        return []
    exact = [k for k in known if k not in have and f"parameter {k} is invalid" in out.message]
    if exact:
        return exact
    return [k for k in known if k not in have and any(
        f"parameter {p} is invalid" in out.message for p in (top(k), k.rsplit(".", 1)[0]))]


def _send(action, known, base, send, world, extra=None):
    w = world()
    values = {k: plausible(action, k, known[k], w) for k in [*base, *(extra or [])]}
    return send(w, values)


def explore(action: str, known: dict[str, str], send: Callable[[dict], Outcome], world: Callable[[], World]):
    """(base parameters the action needs, {parameter: why it failed}). The base starts with ClusterId
    (when the action has it) and grows by the parameters the errors name, as a new user's would."""
    base: dict[str, str] = {k: kind for k, kind in known.items() if k == "ClusterId"}
    out = _send(action, known, base, send, world)
    for _ in range(8):
        candidates = _named(out, list(known), base)
        if not candidates:
            break
        for k in candidates:      # the first one that moves the error on (or ends it)
            trial = _send(action, known, base, send, world, [k])
            if trial.ok or (trial.message != out.message and f"parameter {k} is invalid" not in trial.message):
                base[k] = known[k]
                out = trial
                break
        else:
            break
    failures = {}
    if not out.ok:
        failures["(base request)"] = f"{sorted(base)} -> {out.status} {out.code} {out.message}"
        return base, failures
    for name, kind in known.items():
        if name in base:
            continue
        w = world()
        values = {k: plausible(action, k, kk, w) for k, kk in base.items()}
        values[name] = plausible(action, name, kind, w)
        why = judge(name, send(w, values))
        if why:
            failures[name] = why
    return base, failures


@pytest.fixture
def shell(ehpc):
    ehpc.shell_runner = Shell()


@pytest.fixture
def make_world(ehpc, sched, slurm, shell):
    return lambda: World(ehpc, sched)


PREPARE: dict[str, Callable[[World], None]] = {
    "StartCluster": lambda w: w.ehpc.stop_cluster(ClusterId=w.cid),
    "StartNodes": lambda w: w.ehpc.stop_nodes(ClusterId=w.cid, Instance=[{"Id": w.instance()}]),
}


def _prepared(make_world, action):
    def world():
        w = make_world()
        PREPARE.get(action, lambda _w: None)(w)
        return w
    return world


# --- 2018-04-12 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", SERVED_2018)
def test_every_2018_parameter(server, api_key, make_world, action):
    known = {name: kind for name, (_setter, kind) in params_2018(action).items()}
    acs = client_2018(server.endpoint, api_key)

    def send(w: World, values: dict) -> Outcome:
        try:
            body = json.loads(acs.do_action_with_exception(request_2018_raw(action, values)))
        except ServerException as exc:
            return Outcome(False, exc.get_error_code(), exc.get_error_msg(), exc.get_http_status())
        failed = w.wait({**body, "_long": action in v2018.BACKGROUND})
        return Outcome(False, "OperationFailed", failed, 200) if failed else Outcome(True)

    _base, failures = explore(action, known, send, _prepared(make_world, action))
    assert not failures, "\n".join(f"{action} {k}: {v}" for k, v in failures.items())


# --- 2.0 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", SERVED_2024)
def test_every_2024_parameter(server, api_key, make_world, action):
    fields = {f.path: f for f in fields_2024(request_2024(action))}
    known = {p: f.kind for p, f in fields.items()}
    sdk = make_client(server, api_key["AccessKeyId"], api_key["AccessKeySecret"])

    def send(w: World, values: dict) -> Outcome:
        req = model_with(request_2024(action), {fields[p].attrs: v for p, v in values.items()})
        try:
            body = getattr(sdk, sdk_method(action))(req).body.to_map()
        except ClientException as exc:
            return Outcome(False, exc.code, exc.message, exc.status_code)
        failed = w.wait({"TaskId": body.get("TaskId"), "ClusterId": body.get("ClusterId"), "_long": True})
        return Outcome(False, "OperationFailed", failed, 200) if failed else Outcome(True)

    _base, failures = explore(action, known, send, _prepared(make_world, action))
    assert not failures, "\n".join(f"{action} {k}: {v}" for k, v in failures.items())


def test_the_cloud_only_table_is_the_one_readme_shows():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert table_markdown() in readme


def test_cloud_only_parameters_are_ignored_or_refused_the_same_in_every_model():
    from ehpc_iac.spec import parse
    from ehpc_iac.spec.nodes import AddNodesRequest
    from ehpc_iac.spec.queues import AddQueueRequest
    assert is_cloud_only("VSwitchId") and not is_cloud_only("ClusterId")
    req = parse(AddNodesRequest, {"ClusterId": "c", "Count": 1, "VSwitchId": "vsw-1", "DataDisks.1.DataDiskSize": 40,
                                  "NetworkInterfaceTrafficMode": "Standard"})
    assert req.Count == 1 and "VSwitchId" not in req.model_dump()
    for model in (AddNodesRequest, AddQueueRequest):
        with pytest.raises(InvalidParams) as ei:
            parse(model, {"ClusterId": "c", "Count": 1, "QueueName": "q", "NetworkInterfaceTrafficMode":
                          "HighPerformance"})
        assert ei.value.field == "NetworkInterfaceTrafficMode" and "eRDMA" in ei.value.reason
    with pytest.raises(InvalidParams) as ei:
        parse(AddNodesRequest, {"ClusterId": "c", "Count": 1, "Bogus": 1})
    assert ei.value.reason == "unknown parameter"

"""DAG job requests (BatchCompute ``POST /jobs``, seed 002) with the seed's names, limits and error
codes: a job Name, Description, Priority (0-1000), JobFailOnInstanceFail, Type "DAG", and
DAG{Tasks: {name: task}, Dependencies: {source: [targets]}}; plus ClusterId and RunasUser (our
cluster's user model: the tasks run as an existing NIS user, never root).

A task takes the seed's shape (``Parameters: {Command: {CommandLine, EnvVars}, StdoutRedirectPath,
StderrRedirectPath}``) or the same fields directly on the task (``CommandLine`` or ``Command``,
``EnvVars``, ``StdoutRedirectPath`` ...). Fields of the seed that need BatchCompute's own cloud
(AutoCluster, OSS mappings, PackagePath, Mounts, Notification ...) are refused with
``Invalid{Parameter}``: this cluster has none of them.

Everything here is checked without the cluster; the user and path checks are in ops/dag.py."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..errors import (DagMissingParam, DagQuotaExhausted, InvalidClusterId, InvalidCommand, InvalidCommandLine,
                      InvalidDAG, InvalidDependencies, InvalidDescription, InvalidEnvVars, InvalidHttpBody,
                      InvalidInstanceCount, InvalidJobFailOnInstanceFail, InvalidMaxRetryCount, InvalidName,
                      InvalidParameters, InvalidPriority, InvalidRunasUser, InvalidStderrRedirectPath,
                      InvalidStdoutRedirectPath, InvalidTasks, InvalidTimeout, InvalidType, DagParamError)
from .jobs import PATH_RE

NAME_RE = re.compile(r"^[A-Za-z_-][A-Za-z0-9_-]{0,63}$")        # seed: [a-zA-Z0-9_-], not starting with a digit
CLUSTER_ID_RE = re.compile(r"^[A-Za-z_-][A-Za-z0-9_-]{0,63}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")

MAX_TASKS = 16                  # InvalidTasks: size in [1, 16]
MAX_TASK_INSTANCE_COUNT = 100   # QuotaExhausted.MaxTaskInstanceCount
MAX_INSTANCE_TIMEOUT = 604800   # QuotaExhausted.MaxInstanceTimeout (7 days; the seed's example uses 2)
MAX_RETRY_COUNT = 10
MAX_ENV_VARS = 64
PRIORITY_MAX = 1000
DEFAULT_TIMEOUT = 86400

_JOB_KEYS = {"Name", "Description", "Priority", "Type", "JobFailOnInstanceFail", "AutoRelease", "DAG",
             "ClusterId", "RunasUser", "RegionId"}
_TASK_KEYS = {"Parameters", "Command", "CommandLine", "EnvVars", "StdoutRedirectPath", "StderrRedirectPath",
              "InstanceCount", "MaxRetryCount", "Timeout", "ClusterId", "WriteSupport"}
_PARAM_KEYS = {"Command", "StdoutRedirectPath", "StderrRedirectPath"}
_COMMAND_KEYS = {"CommandLine", "EnvVars"}


@dataclass
class DagTask:
    name: str
    command: str
    instance_count: int = 1
    max_retry: int = 0
    timeout: int = DEFAULT_TIMEOUT
    env: dict[str, str] = field(default_factory=dict)
    stdout: Optional[str] = None
    stderr: Optional[str] = None


@dataclass
class DagJobRequest:
    cluster_id: str
    runas_user: str
    name: str
    description: str = ""
    priority: int = 0
    fail_on_instance_fail: bool = True
    tasks: dict[str, DagTask] = field(default_factory=dict)
    dependencies: dict[str, list[str]] = field(default_factory=dict)   # source -> targets
    order: list[str] = field(default_factory=list)                     # topological

    def sources(self, task: str) -> list[str]:
        """The tasks ``task`` waits for, in topological order."""
        return [s for s in self.order if task in self.dependencies.get(s, [])]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _string(v: Any, fld: str, err: type[DagParamError], lo: int, hi: int) -> str:
    if not isinstance(v, str):
        raise err(fld, "Its type must be string.")
    if not lo <= len(v) <= hi:
        raise err(fld, f"Its length must be in [{lo}, {hi}].")
    return v


def _name(v: Any, fld: str, err: type[DagParamError], suffix: str = "") -> str:
    if not isinstance(v, str):
        raise err(fld, "Its type must be string.", suffix=suffix)
    if not 1 <= len(v) <= 64:
        raise err(fld, "Its length must be in [1, 64].", suffix=suffix)
    if not NAME_RE.match(v):
        raise err(fld, "It must only contain characters within [a-zA-Z0-9_-], and must not start with [0-9].",
                  suffix=suffix)
    return v


def _int(v: Any, fld: str, err: type[DagParamError], lo: int, hi: Optional[int] = None) -> int:
    if not _is_int(v):
        raise err(fld, "Its type must be integer.")
    if v < lo or (hi is not None and v > hi):
        raise err(fld, f"It must be in [{lo}, {hi if hi is not None else 'inf'}].")
    return v


def _invalid(param: str) -> type[DagParamError]:
    """The seed's generic ``Invalid{Parameter}`` (400) for a parameter without its own class."""
    code = "Invalid" + re.sub(r"[^A-Za-z0-9]", "", param)
    return type(code, (DagParamError,), {"code": code})


def _unknown(obj: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    for k in obj:
        if k not in allowed:
            # Invalid{Parameter}: a seed field this cluster cannot honour, or a misspelling
            raise _invalid(str(k))(f"{prefix}{k}", "It is not supported on this cluster (no BatchCompute OSS/AutoCluster).")


def _path(v: Any, fld: str, err: type[DagParamError]) -> Optional[str]:
    if v is None or v == "":
        return None
    _string(v, fld, err, 0, 1024)
    if not PATH_RE.match(v) or ".." in v.split("/"):
        raise err(fld, "It must be a path in the user's home or /tmp, of letters, digits and _ . / % @ + = , - "
                       "without '..' (a directory when it ends with '/').")
    return v


def _env(v: Any, fld: str) -> dict[str, str]:
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise InvalidEnvVars(fld, "Its type must be object.")
    if len(v) > MAX_ENV_VARS:
        raise InvalidEnvVars(fld, f"Its size must be in [0, {MAX_ENV_VARS}].")
    out = {}
    for k, val in v.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 128:
            raise InvalidEnvVars(f"{fld}.{k}", "Its length must be in [1, 128].", suffix=str(k))
        if not ENV_NAME_RE.match(k):
            raise InvalidEnvVars(f"{fld}.{k}", "It must be an environment variable name "
                                               "(a letter or '_', then letters, digits, '_').", suffix=k)
        if not isinstance(val, str):
            raise InvalidEnvVars(f"{fld}.{k}.value", "Its type must be string.", suffix=f"{k}.value")
        if len(val) > 1024:
            raise InvalidEnvVars(f"{fld}.{k}.value", "Its length must be in [0, 1024].", suffix=f"{k}.value")
        out[k] = val
    return out


def _task(name: str, t: Any, job_cluster: Optional[str]) -> tuple[DagTask, Optional[str]]:
    pre = f"DAG.Tasks.{name}."
    if not isinstance(t, Mapping):
        raise InvalidTasks(f"DAG.Tasks.{name}", "Its type must be object.", suffix=name)
    _unknown(t, _TASK_KEYS, pre)
    params = t.get("Parameters")
    if params is not None and not isinstance(params, Mapping):
        raise InvalidParameters(pre + "Parameters", "Its type must be object.")
    params = dict(params or {})
    _unknown(params, _PARAM_KEYS, pre + "Parameters.")
    cmd_obj = params.get("Command", t.get("Command"))
    cmd_pre = pre + ("Parameters.Command" if "Command" in params else "Command")
    if cmd_obj is not None and isinstance(cmd_obj, str):       # Command given as the command line itself
        cmd_obj = {"CommandLine": cmd_obj}
    if cmd_obj is not None and not isinstance(cmd_obj, Mapping):
        raise InvalidCommand(cmd_pre, "Its type must be object.")
    cmd_obj = dict(cmd_obj or {})
    _unknown(cmd_obj, _COMMAND_KEYS, cmd_pre + ".")
    line = cmd_obj.get("CommandLine", t.get("CommandLine"))
    if line is None:
        raise DagMissingParam(pre + "CommandLine")
    line = _string(line, pre + "CommandLine", InvalidCommandLine, 1, 1024)
    if not line.strip():
        raise InvalidCommandLine(pre + "CommandLine", "It must not be blank.")
    env = _env(cmd_obj.get("EnvVars", t.get("EnvVars")), pre + "EnvVars")
    if "InstanceCount" not in t:
        raise DagMissingParam(pre + "InstanceCount")
    count = _int(t["InstanceCount"], pre + "InstanceCount", InvalidInstanceCount, 1)
    if count > MAX_TASK_INSTANCE_COUNT:
        raise DagQuotaExhausted("MaxTaskInstanceCount", MAX_TASK_INSTANCE_COUNT, pre + "InstanceCount")
    retry = _int(t.get("MaxRetryCount", 0), pre + "MaxRetryCount", InvalidMaxRetryCount, 0, MAX_RETRY_COUNT)
    timeout = _int(t.get("Timeout", DEFAULT_TIMEOUT), pre + "Timeout", InvalidTimeout, 1)
    if timeout > MAX_INSTANCE_TIMEOUT:
        raise DagQuotaExhausted("MaxInstanceTimeout", MAX_INSTANCE_TIMEOUT, pre + "Timeout")
    stdout = _path(params.get("StdoutRedirectPath", t.get("StdoutRedirectPath")), pre + "StdoutRedirectPath",
                   InvalidStdoutRedirectPath)
    stderr = _path(params.get("StderrRedirectPath", t.get("StderrRedirectPath")), pre + "StderrRedirectPath",
                   InvalidStderrRedirectPath)
    cluster = t.get("ClusterId")
    if cluster is not None:
        _cluster_id(cluster, pre + "ClusterId")
        if job_cluster is not None and cluster != job_cluster:
            raise InvalidClusterId(pre + "ClusterId", "Every task must run on the job's ClusterId.")
    return DagTask(name, line, count, retry, timeout, env, stdout, stderr), cluster


def _cluster_id(v: Any, fld: str) -> str:
    if not isinstance(v, str):
        raise InvalidClusterId(fld, "Its type must be string.")
    if not 1 <= len(v) <= 64:
        raise InvalidClusterId(fld, "Its length must be in [1, 64].")
    if not CLUSTER_ID_RE.match(v):
        raise InvalidClusterId(fld, "It must only contain characters within [a-zA-Z0-9-], "
                                    "and must not start with [0-9].")
    return v


def topological_order(tasks: list[str], deps: Mapping[str, list[str]]) -> list[str]:
    """Kahn's algorithm, ties broken by the tasks' order in the request; a cycle is
    ``InvalidDependencies`` naming the tasks on it."""
    indeg = {t: 0 for t in tasks}
    for src in tasks:
        for tgt in deps.get(src, []):
            indeg[tgt] += 1
    order: list[str] = []
    ready = [t for t in tasks if indeg[t] == 0]
    while ready:
        t = ready.pop(0)
        order.append(t)
        for tgt in deps.get(t, []):
            indeg[tgt] -= 1
            if indeg[tgt] == 0:
                ready.append(tgt)
                ready.sort(key=tasks.index)
    if len(order) < len(tasks):
        left = [t for t in tasks if t not in order]
        raise InvalidDependencies("DAG.Dependencies", f"It must not contain a cycle: the tasks {', '.join(left)} "
                                                      f"depend on each other.")
    return order


def parse_dag_request(data: Any) -> DagJobRequest:
    """Validate a CreateJob (DAG) request; raises the seed's codes naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidHttpBody("HttpBody", "Its type must be object.")
    data = {k: v for k, v in data.items() if k not in ("Action", "Version")}
    _unknown(data, _JOB_KEYS, "")
    if "Name" not in data:
        raise DagMissingParam("Name")
    name = _name(data["Name"], "Name", InvalidName)
    desc = _string(data.get("Description", ""), "Description", InvalidDescription, 0, 1024)
    prio = data.get("Priority", 0)
    prio = _int(prio, "Priority", InvalidPriority, 0, PRIORITY_MAX)
    jtype = data.get("Type", "DAG")
    if jtype != "DAG":
        raise InvalidType("Type", "Only DAG jobs are supported.")
    jfoif = data.get("JobFailOnInstanceFail", True)
    if not isinstance(jfoif, bool):
        raise InvalidJobFailOnInstanceFail("JobFailOnInstanceFail", "Its type must be boolean.")
    if data.get("AutoRelease") not in (None, False):
        raise _invalid("AutoRelease")("AutoRelease", "Jobs are kept until deleted on this cluster.")
    if "ClusterId" in data:
        job_cluster: Optional[str] = _cluster_id(data["ClusterId"], "ClusterId")
    else:
        job_cluster = None
    user = data.get("RunasUser")
    if user is None:
        raise DagMissingParam("RunasUser")
    if not isinstance(user, str) or not USER_RE.match(user):
        raise InvalidRunasUser("RunasUser", "It must be the name of a cluster user (AddUsers).")
    if user == "root":
        raise InvalidRunasUser("RunasUser", "Jobs never run as root: give a cluster user (AddUsers).")
    if "DAG" not in data:
        raise DagMissingParam("DAG")
    dag = data["DAG"]
    if not isinstance(dag, Mapping):
        raise InvalidDAG("DAG", "Its type must be object.")
    _unknown(dag, {"Tasks", "Dependencies"}, "DAG.")
    if "Tasks" not in dag:
        raise DagMissingParam("DAG.Tasks")
    raw_tasks = dag["Tasks"]
    if not isinstance(raw_tasks, Mapping):
        raise InvalidTasks("DAG.Tasks", "Its type must be object.")
    if not 1 <= len(raw_tasks) <= MAX_TASKS:
        raise InvalidTasks("DAG.Tasks", f"Its size must be in [1, {MAX_TASKS}].")
    tasks: dict[str, DagTask] = {}
    for tname, t in raw_tasks.items():
        _name(tname, f"DAG.Tasks.{tname}", InvalidTasks, suffix=str(tname))
        task, tcluster = _task(tname, t, job_cluster)
        job_cluster = job_cluster or tcluster
        tasks[tname] = task
    if job_cluster is None:
        raise DagMissingParam("ClusterId")
    raw_deps = dag.get("Dependencies") or {}
    if not isinstance(raw_deps, Mapping):
        raise InvalidDependencies("DAG.Dependencies", "Its type must be object.")
    deps: dict[str, list[str]] = {}
    for src, targets in raw_deps.items():
        fld = f"DAG.Dependencies.{src}"
        if src not in tasks:
            raise InvalidDependencies(fld, f"The source task {src} is not in DAG.Tasks.", suffix=str(src))
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, list):
            raise InvalidDependencies(f"{fld}.value", "Its type must be array.", suffix=f"{src}.value")
        out: list[str] = []
        for tgt in targets:
            if tgt not in tasks:
                raise InvalidDependencies(f"{fld}.value", f"The target task {tgt} is not in DAG.Tasks.",
                                          suffix=f"{src}.value")
            if tgt == src:
                raise InvalidDependencies(f"{fld}.value", f"It must not contain a cycle: {src} depends on itself.",
                                          suffix=f"{src}.value")
            if tgt not in out:
                out.append(tgt)
        if out:
            deps[src] = out
    order = topological_order(list(tasks), deps)
    return DagJobRequest(cluster_id=job_cluster, runas_user=user, name=name, description=desc, priority=prio,
                         fail_on_instance_fail=jfoif, tasks=tasks, dependencies=deps, order=order)


__all__ = ["DagJobRequest", "DagTask", "parse_dag_request", "topological_order"]

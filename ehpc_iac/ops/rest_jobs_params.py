"""A REST job request (seed 003, the Ray Jobs shape) -> the parameters of SubmitJob.

``entrypoint`` is its CommandLine (shell text the job's shell runs as the run-as user, as
SubmitJob's), ``runtime_env.env_vars`` its Variables, ``entrypoint_num_cpus`` Cpu (rounded up),
``entrypoint_memory`` Mem (MiB, rounded up), ``entrypoint_num_gpus`` Gpu (whole numbers only),
``runtime_env.working_dir`` its PackagePath (a directory), or InputFileUrl + UnzipCmd into a
directory of the job's own (an archive). ``runtime_env.pip`` is installed for the job with
``pip install --target`` as the run-as user before the entrypoint: lines put before it in the
CommandLine, so the job needs nothing of the server at run time.

Errors name the request's field or header (``runtime_env.working_dir``, ``X-Tenant-Id``), not
SubmitJob's parameter: the caller never saw those.
"""
from __future__ import annotations

import json
import math
import posixpath
import secrets
import shlex
import string
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from ..errors import EhpcError, InvalidParams
from .rest_tenants import Target

MIB = 1 << 20
JOBS_DIR = ".ehpc-iac/rest-jobs"        # under the run-as user's home: per-job directories
_ALPHABET = string.ascii_lowercase + string.digits
# archive suffix -> the command that unpacks "$1" into the current directory
ARCHIVES = ((".tar.gz", 'tar xzf "$1"'), (".tgz", 'tar xzf "$1"'), (".tar", 'tar xf "$1"'),
            (".zip", 'python3 -m zipfile -e "$1" .'))
# an archive holding a single top-level directory runs in that directory (as Ray does)
TOP_DIR_LINE = ('__ehpc_top=$(ls -A); if [ -n "$__ehpc_top" ] && [ -d "$__ehpc_top" ] && [ ! -L "$__ehpc_top" ]; '
                'then cd -- "$__ehpc_top" || exit 1; fi')
NO_PIP = ("python3 -m pip --version >/dev/null 2>&1 || { echo 'ehpc-iac: runtime_env.pip needs pip on the "
          "cluster nodes (python3 -m pip); install it there or leave runtime_env.pip out' >&2; exit 1; }")
# SubmitJob parameter -> the REST field it comes from (errors of SubmitJob name the REST field)
FIELDS = {"CommandLine": "entrypoint", "Variables": "runtime_env.env_vars", "Cpu": "entrypoint_num_cpus",
          "Mem": "entrypoint_memory", "Gpu": "entrypoint_num_gpus", "PackagePath": "runtime_env.working_dir",
          "InputFileUrl": "runtime_env.working_dir", "UnzipCmd": "runtime_env.working_dir",
          "Name": "submission_id", "ClusterId": "X-Tenant-Id", "RunasUser": "X-Tenant-Id"}


def new_submission_id() -> str:
    return "app-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def home_of(target: Target) -> str:
    return f"/home/{target.user}"      # as SubmitJob has it (ops/jobs.py)


def job_dir(target: Target, submission_id: str) -> str:
    """The job's own directory (archives unpack in ``work``, pip installs in ``pip``)."""
    return posixpath.join(home_of(target), JOBS_DIR, target.tenant or "_default", submission_id)


def _archive(path: str) -> Optional[str]:
    low = path.lower()
    return next((cmd for suffix, cmd in ARCHIVES if low.endswith(suffix)), None)


def working_dir(value: str, home: str, jdir: str, params: dict[str, Any]) -> list[str]:
    """Sets PackagePath (and InputFileUrl + UnzipCmd for an archive); returns command lines to run first.
    The user's home itself is where SubmitJob runs jobs anyway (PackagePath must be inside it)."""
    field = "runtime_env.working_dir"
    v = value.strip()
    if v.startswith(("http://", "https://")):
        url, path = v, urlsplit(v).path
        if _archive(path) is None:
            raise InvalidParams(field, "an http(s):// working_dir must be a .zip, .tar.gz, .tgz or .tar archive")
    elif v.startswith("file://"):
        parts = urlsplit(v)
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise InvalidParams(field, "a file:// URL names a path on the cluster: file:///absolute/path")
        url = path = unquote(parts.path)
    elif v.startswith("/"):
        url = path = v
    else:
        raise InvalidParams(field, "must be an absolute path or file:// URL on the cluster, or an http(s):// URL of "
                                   "an archive; this server does not receive uploads (relative paths, gcs://, s3://)")
    unpack = _archive(path)
    if unpack is None:
        if posixpath.normpath(path) != home:
            params["PackagePath"] = path
        return []
    script = unpack + ' && rm -f -- "$1"'     # the archive's copy goes once unpacked
    params.update(PackagePath=f"{jdir}/work", InputFileUrl=url, UnzipCmd=f"sh -c {shlex.quote(script)} ehpc-unpack")
    return [TOP_DIR_LINE]


def pip_lines(requirements: list[str], target_dir: str, index_url: Optional[str]) -> list[str]:
    """Install the requirements for this job only, as the job's user, and put them on its paths."""
    argv = ["python3", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--target", target_dir]
    if index_url:
        argv += ["--index-url", index_url]
    install = " ".join(shlex.quote(a) for a in argv + requirements)
    t = shlex.quote(target_dir)
    return [NO_PIP,
            f"mkdir -p -- {t} && {install} || {{ echo 'ehpc-iac: pip install of runtime_env.pip failed' >&2; "
            "exit 1; }",
            f'export PYTHONPATH={t}"${{PYTHONPATH:+:$PYTHONPATH}}" PATH={t}/bin:"$PATH"']


def check_resources(resources: dict[str, float], target: Target) -> None:
    """The tenant map's quotas: a custom resource must be offered to the tenant or pool, at most so much."""
    for name, amount in resources.items():
        if amount == 0:
            continue
        field = f"entrypoint_resources.{name}"
        allowed = target.resources.get(name)
        if allowed is None:
            offered = f" (offered: {', '.join(sorted(target.resources))})" if target.resources else ""
            raise InvalidParams(field, f"the server's tenant map offers no {name} to this tenant or pool{offered}")
        if amount > allowed:
            raise InvalidParams(field, f"at most {allowed:g} per job for this tenant or pool")


def submit_params(request: dict[str, Any], target: Target, submission_id: str) -> dict[str, Any]:
    """The SubmitJob parameters of a request (its validated fields as JSON values, see RestJobService.submit)."""
    env = request.get("runtime_env") or {}
    jdir = job_dir(target, submission_id)
    params: dict[str, Any] = {"ClusterId": target.cluster_id, "RunasUser": target.user, "Name": submission_id}
    if target.queue:
        params["JobQueue"] = target.queue
    lines = working_dir(env["working_dir"], home_of(target), jdir, params) if env.get("working_dir") else []
    if env.get("pip"):
        lines += pip_lines(env["pip"], f"{jdir}/pip", target.pip_index_url)
    params["CommandLine"] = "\n".join([*lines, request["entrypoint"]])
    if env.get("env_vars"):
        params["Variables"] = json.dumps([{"Name": k, "Value": v} for k, v in env["env_vars"].items()])
    if request.get("entrypoint_num_cpus") is not None:
        params["Cpu"] = math.ceil(request["entrypoint_num_cpus"])
    if request.get("entrypoint_memory") is not None:
        params["Mem"] = f"{-(-request['entrypoint_memory'] // MIB)}M"
    if request.get("entrypoint_num_gpus"):
        params["Gpu"] = int(request["entrypoint_num_gpus"])
    check_resources(request.get("entrypoint_resources") or {}, target)
    return params


def rest_error(exc: EhpcError, pool_label: Optional[str]) -> EhpcError:
    """An error of SubmitJob, naming the REST field or header its parameter comes from."""
    head = (exc.field or "").split(".")[0]
    mapped = ("X-Pool-Label" if pool_label else "X-Tenant-Id") if head == "JobQueue" else FIELDS.get(head)
    if mapped is None:
        return exc
    if isinstance(exc, InvalidParams):
        return InvalidParams(mapped, exc.reason)
    exc.field = mapped
    return exc

"""The REST job API of seed 003 (the Ray Jobs REST API shape) over SubmitJob and friends.

    POST   /api/jobs                       submit: {"submission_id": ...}
    GET    /api/jobs                       the caller's tenant's jobs
    GET    /api/jobs/{submission_id}       status: PENDING RUNNING STOPPED SUCCEEDED FAILED
    GET    /api/jobs/{submission_id}/logs  {"logs": stdout and stderr}
    POST   /api/jobs/{submission_id}/stop  {"stopped": true|false}
    DELETE /api/jobs/{submission_id}       forget an ended job

Every request authenticates with HTTP Basic (access key id : secret). ``X-Tenant-Id`` and
``X-Pool-Label`` pick, through the server's tenant map (tenants.py), the cluster, queue and
run-as user; a tenant sees only its own jobs. The request becomes a SubmitJob: ``entrypoint``
is its CommandLine (shell text the job's shell runs as the run-as user, as SubmitJob's),
``runtime_env.env_vars`` its Variables, ``entrypoint_num_cpus`` Cpu (rounded up),
``entrypoint_memory`` Mem (MiB, rounded up), ``entrypoint_num_gpus`` Gpu (whole numbers only),
``runtime_env.working_dir`` its PackagePath (a directory), or InputFileUrl + UnzipCmd into a
directory of the job's own (an archive). ``runtime_env.pip`` is installed for the job with
``pip install --target`` as the run-as user before the entrypoint (see rest_models.py).

This module is the REST API's one error-translation point: ``RestRoute`` wraps every route,
so request validation errors become 400 ``InvalidParams`` naming the field, an ``EhpcError``
its status with ``{"code", "message", "request_id", "field"}``, anything else a logged 500
``InternalError`` without details. The RPC route ``/`` keeps its own format (rpc.py).
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import posixpath
import secrets
import shlex
import string
import time
from typing import Annotated, Any, Callable, Coroutine, Optional
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (ApiRequestError, ClusterNotFound, EhpcError, InvalidParams, JobPartFailure, NotFoundError,
                      SchedulerError, UnknownError)
from ..scheduler.base import FAILED, FINISHED, QUEUED, RUNNING, STOPPED
from ..ops.core import new_request_id
from .auth import Caller
from .body import read_capped
from .context import ApiContext
from .rest_models import (SUBMISSION_ID_PATTERN, TERMINAL, DeleteJobResponse, ErrorBody, JobDetails, JobLogsResponse,
                          JobStatus, JobSubmitRequest, JobSubmitResponse, StopJobResponse)
from .rest_store import RestJobStore, now_ms
from .tenants import NAME_PATTERN, Target, TenantMap

log = logging.getLogger("ehpc_iac.api.rest")

REALM = 'Basic realm="ehpc-iac"'
MIB = 1 << 20
LOG_SIZE = 16 * MIB
JOBS_DIR = ".ehpc-iac/rest-jobs"        # under the run-as user's home: per-job directories
STALE_SUBMISSION_MS = 10 * 60 * 1000    # a record still without job id after this: the server died submitting
_ALPHABET = string.ascii_lowercase + string.digits
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY", "CONNECT"]
STATUS_OF = {QUEUED: JobStatus.PENDING, RUNNING: JobStatus.RUNNING, FINISHED: JobStatus.SUCCEEDED,
             FAILED: JobStatus.FAILED, STOPPED: JobStatus.STOPPED}
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

TenantHeader = Annotated[Optional[str], Header(
    alias="X-Tenant-Id", pattern=NAME_PATTERN, max_length=64,
    description="Tenant of the job (a key of the server's tenant map); without it, the map's default.")]
PoolHeader = Annotated[Optional[str], Header(
    alias="X-Pool-Label", pattern=NAME_PATTERN, max_length=64,
    description="Resource pool label (a key of the tenant map's pool_labels): picks the queue.")]
SubmissionIdPath = Annotated[str, Path(pattern=SUBMISSION_ID_PATTERN, max_length=64,
                                       description="The submission id of the job.")]

_E = {"model": ErrorBody}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_E, "description": "InvalidParams (names the field or header), TenantNotMapped"},
    401: {**_E, "description": "Missing or wrong HTTP Basic credentials, or a disabled access key"},
    403: {**_E, "description": "Forbidden.Tenant: the access key may not act for this tenant"},
    404: {**_E, "description": "JobNotFound: the tenant has no job with this submission id"},
    "default": {**_E, "description": "Other errors of the cluster (e.g. 406 AgentError, 503 ServiceUnavailable, "
                                     "500 InternalError)"},
}


def _error(exc: EhpcError, request_id: str) -> JSONResponse:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "request_id": request_id}
    if exc.field:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": REALM} if exc.http_status == 401 else None
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def _field(parts: tuple) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p == "[key]" or str(p).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(p)
    return out


def invalid(exc: RequestValidationError) -> InvalidParams:
    """FastAPI's validation error -> InvalidParams naming the field (``runtime_env.pip[0]``, ``X-Tenant-Id``)."""
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    where, parts = (loc[0], loc[1:]) if loc else ("body", ())
    kind = err.get("type")
    if kind == "json_invalid":
        return InvalidParams("body", f"is not valid JSON ({(err.get('ctx') or {}).get('error', 'decode error')})")
    field = _field(parts) or str(where)
    if kind == "missing":
        return InvalidParams(field, "this parameter is required")
    if kind == "extra_forbidden":
        return InvalidParams(field, "unknown parameter")
    if where == "body" and not parts and kind in ("model_attributes_type", "dict_type", "model_type"):
        return InvalidParams("body", "must be a JSON object (Content-Type: application/json)")
    return InvalidParams(field, str(err.get("msg", "invalid value")).removeprefix("Value error, "))


def _unauthorized(code: str, message: str) -> ApiRequestError:
    return ApiRequestError(message, code=code, http_status=401, field="Authorization")


async def authenticate(ctx: ApiContext, request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    if not header:
        raise _unauthorized("MissingAuthorization", "This API needs HTTP Basic authentication with an access key "
                                                    "id and secret (ehpc-iac access-key create).")
    scheme, _, value = header.partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError
        key_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        if not sep or not key_id or len(key_id) > 128:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _unauthorized("InvalidAuthorization", "The Authorization header must be HTTP Basic with the access "
                                                    "key id and secret (base64 of id:secret).") from None
    try:
        return await ctx.call(ctx.auth.basic, key_id, secret, request.client.host if request.client else "")
    except ApiRequestError as exc:     # unknown, disabled or wrong: all 401 for Basic clients
        exc.http_status = 401
        raise


def route_class(ctx: ApiContext) -> type[APIRoute]:
    """A route class whose handler authenticates first and translates every error (see module doc)."""

    class RestRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def run(request: Request) -> Response:
                started = time.monotonic()
                rid = request.state.request_id = new_request_id()
                key_id = "-"
                try:
                    request.state.caller = await authenticate(ctx, request)
                    key_id = request.state.caller.access_key_id
                    await read_capped(request, code="InvalidParams")
                    response = await handler(request)
                except RequestValidationError as exc:
                    response = _error(invalid(exc), rid)
                except EhpcError as exc:
                    response = _error(exc, rid)
                except StarletteHTTPException as exc:    # FastAPI's own, e.g. a body too deeply nested to parse
                    err = InvalidParams("body", f"cannot be parsed ({exc.detail})") if exc.status_code == 400 else \
                        ApiRequestError(str(exc.detail), code="InvalidRequest", http_status=exc.status_code)
                    response = _error(err, rid)
                except Exception:  # noqa: BLE001 - the one place that turns a bug into a 500
                    log.exception("internal error in %s %s (request %s)", request.method, request.url.path, rid)
                    err = UnknownError("The request processing has failed due to some unknown error.")
                    err.code = "InternalError"
                    response = _error(err, rid)
                response.headers["X-Request-Id"] = rid
                log.info("%s %s status=%s key=%s %.1fms", request.method, request.url.path, response.status_code,
                         key_id, (time.monotonic() - started) * 1000)
                return response

            return run

    return RestRoute


# --- request -> SubmitJob ---------------------------------------------------------------
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


def submit_params(body: JobSubmitRequest, target: Target, submission_id: str) -> dict[str, Any]:
    """The SubmitJob parameters of a request."""
    env = body.runtime_env
    jdir = job_dir(target, submission_id)
    params: dict[str, Any] = {"ClusterId": target.cluster_id, "RunasUser": target.user, "Name": submission_id}
    if target.queue:
        params["JobQueue"] = target.queue
    lines = working_dir(env.working_dir, home_of(target), jdir, params)
    if env.pip:
        lines += pip_lines(env.pip, f"{jdir}/pip", target.pip_index_url)
    params["CommandLine"] = "\n".join([*lines, body.entrypoint])
    if env.env_vars:
        params["Variables"] = json.dumps([{"Name": k, "Value": v} for k, v in env.env_vars.items()])
    if body.entrypoint_num_cpus is not None:
        params["Cpu"] = math.ceil(body.entrypoint_num_cpus)
    if body.entrypoint_memory is not None:
        params["Mem"] = f"{-(-body.entrypoint_memory // MIB)}M"
    if body.entrypoint_num_gpus:
        params["Gpu"] = int(body.entrypoint_num_gpus)
    check_resources(body.entrypoint_resources or {}, target)
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


# --- the blocking side (run through ctx.call) ---------------------------------------------
def _not_found(submission_id: str) -> ApiRequestError:
    return ApiRequestError(f"The job {submission_id} does not exist.", code="JobNotFound", http_status=404,
                           field="submission_id")


def _gone(exc: EhpcError) -> bool:
    """The cluster or the job is gone for good (not: the node that submits jobs is unreachable)."""
    return isinstance(exc, ClusterNotFound) or (isinstance(exc, NotFoundError) and exc.field == "JobId")


def _message(status: JobStatus, view: dict[str, Any]) -> str:
    raw = view.get("SchedulerState") or "-"
    if status == JobStatus.PENDING:
        why = f": {view['Comment']}" if view.get("Comment") else ""
        return f"waiting in queue {view.get('JobQueue') or '-'}{why}"
    if status == JobStatus.RUNNING:
        return f"running on {view.get('NodeList') or '-'}"
    if status == JobStatus.SUCCEEDED:
        return "the job finished successfully"
    if status == JobStatus.STOPPED:
        return f"the job was stopped (scheduler state {raw})"
    if not view.get("SchedulerState"):
        return "the scheduler no longer knows the job and did not report its end"
    return f"the job failed (scheduler state {raw})"


class RestJobs:
    def __init__(self, ctx: ApiContext):
        self.ctx = ctx
        self.store = RestJobStore(ctx.ehpc.home)

    @property
    def ehpc(self):
        return self.ctx.ehpc

    # writes
    def submit(self, target: Target, submission_id: str, body: JobSubmitRequest, params: dict[str, Any],
               access_key_id: str) -> None:
        request = body.model_dump(mode="json", exclude_none=True, exclude={"submission_id", "job_id"})
        self.store.reserve(target.tenant, submission_id, cluster_id=target.cluster_id, job_queue=target.queue,
                           runas_user=target.user, access_key_id=access_key_id, request=request,
                           status=JobStatus.PENDING.value)
        try:
            job_id = self.ehpc.submit_job(params)["JobId"]
        except BaseException:
            self.store.delete(target.tenant, submission_id)
            raise
        self.store.update(target.tenant, submission_id, job_id=job_id, message="submitted")

    def stop(self, tenant: str, submission_id: str) -> bool:
        rec = self._refresh(self._get(tenant, submission_id))
        if rec["status"] in TERMINAL:
            return False
        if not rec["job_id"]:
            raise ApiRequestError(f"The job {submission_id} is being submitted; try again in a moment.",
                                  code="JobBeingSubmitted", http_status=409, field="submission_id")
        try:
            self.ehpc.stop_jobs(ClusterId=rec["cluster_id"], Jobs=[{"Id": rec["job_id"]}])
        except JobPartFailure:
            if self._refresh(rec)["status"] in TERMINAL:   # it ended meanwhile
                return False
            raise
        return True

    def delete(self, tenant: str, submission_id: str) -> bool:
        rec = self._refresh(self._get(tenant, submission_id))
        if rec["status"] not in TERMINAL:
            raise ApiRequestError(f"The job {submission_id} is {rec['status']}: stop it first; only ended jobs "
                                  "can be deleted.", code="InvalidJobState", http_status=409, field="submission_id")
        if rec["job_id"]:
            try:
                self.ehpc.delete_jobs(ClusterId=rec["cluster_id"], Jobs=[{"Id": rec["job_id"]}])
            except (NotFoundError, JobPartFailure) as exc:   # the cluster forgot it already
                log.info("DELETE %s: the cluster's job %s: %s", submission_id, rec["job_id"], exc.message)
        return self.store.delete(tenant, submission_id)

    # reads
    def details(self, tenant: str, submission_id: str) -> dict[str, Any]:
        return self._details(self._refresh(self._get(tenant, submission_id)))

    def list(self, tenant: str) -> list[dict[str, Any]]:
        recs = self.store.list(tenant)
        groups: dict[tuple[str, str], set[str]] = {}
        for rec in recs:
            if rec["job_id"] and rec["status"] not in TERMINAL:
                groups.setdefault((rec["cluster_id"], rec["runas_user"]), set()).add(rec["job_id"])
        views: dict[tuple[str, str], Optional[dict[str, Any]]] = {}
        for (cluster_id, user), wanted in groups.items():
            try:
                found = self._listed(cluster_id, user, wanted)
            except EhpcError as exc:
                if not _gone(exc):
                    log.warning("GET /api/jobs: jobs of cluster %s not refreshed: %s", cluster_id, exc.message)
                    continue
                found = {}
            views.update({(cluster_id, jid): found.get(jid) for jid in wanted})
        out = []
        for rec in recs:
            key = (rec["cluster_id"], rec["job_id"])
            if rec["job_id"] and rec["status"] not in TERMINAL and key in views:
                rec = self._observe(rec, views[key])
            out.append(self._details(rec))
        return out

    def logs(self, tenant: str, submission_id: str) -> str:
        rec = self._get(tenant, submission_id)
        if not rec["job_id"]:
            return ""
        try:
            return self.ehpc.get_job_log(ClusterId=rec["cluster_id"], JobId=rec["job_id"], Size=LOG_SIZE)["OutputLog"]
        except SchedulerError as exc:
            if "No such file or directory" in exc.message:    # not started yet: no output file
                return ""
            raise
        except NotFoundError as exc:
            if _gone(exc):
                raise ApiRequestError(f"The cluster no longer knows the job of {submission_id}: its log cannot be "
                                      "found.", code="JobLogNotFound", http_status=404,
                                      field="submission_id") from None
            raise

    # helpers
    def _get(self, tenant: str, submission_id: str) -> dict[str, Any]:
        rec = self.store.get(tenant, submission_id)
        if rec is None:
            raise _not_found(submission_id)
        return rec

    def _listed(self, cluster_id: str, user: str, wanted: set[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            res = self.ehpc.list_jobs(ClusterId=cluster_id, Owner=user, PageSize=50, PageNumber=page)
            found.update({v["Id"]: v for v in res["Jobs"]["JobInfo"] if v["Id"] in wanted})
            if len(found) == len(wanted) or page * 50 >= res["TotalCount"]:
                return found
            page += 1

    def _refresh(self, rec: dict[str, Any]) -> dict[str, Any]:
        if not rec["job_id"] or rec["status"] in TERMINAL:
            return rec
        try:
            view = self.ehpc.describe_job(ClusterId=rec["cluster_id"], JobId=rec["job_id"])["Message"]
        except EhpcError as exc:
            if not _gone(exc):
                raise
            view = None
        return self._observe(rec, view)

    def _observe(self, rec: dict[str, Any], view: Optional[dict[str, Any]]) -> dict[str, Any]:
        """Record what the cluster says of the job (None: it no longer knows it)."""
        if view is None:
            upd: dict[str, Any] = {"status": JobStatus.FAILED.value,
                                   "message": "the cluster no longer knows the job (deleted outside this API?)"}
        else:
            status = STATUS_OF.get(view["State"])
            if status is None:    # Unknown: gone before its end was seen, or a state we do not map
                status = JobStatus.FAILED if not view.get("SchedulerState") else JobStatus(rec["status"])
            ended = status in TERMINAL
            upd = {"status": status.value, "message": _message(status, view),
                   "scheduler_state": view.get("SchedulerState") or "",
                   "scheduler_start_time": view.get("StartTime", "") if status != JobStatus.PENDING else "",
                   "scheduler_end_time": view.get("EndTime", "") if ended else ""}
        if upd["status"] in TERMINAL and not rec["end_time"]:
            upd["end_time"] = now_ms()
        changed = {k: v for k, v in upd.items() if rec.get(k) != v}
        if changed:
            self.store.update(rec["tenant"], rec["submission_id"], **changed)
        return {**rec, **changed}

    @staticmethod
    def _details(rec: dict[str, Any]) -> dict[str, Any]:
        status, message = rec["status"], rec["message"]
        if not rec["job_id"]:
            stale = now_ms() - rec["start_time"] > STALE_SUBMISSION_MS
            status = JobStatus.FAILED.value if stale else JobStatus.PENDING.value
            message = "the submission did not complete (the server stopped meanwhile)" if stale else \
                "being submitted"
        req = rec["request"]
        return {"type": "SUBMISSION", "submission_id": rec["submission_id"], "job_id": rec["job_id"],
                "status": status, "message": message, "entrypoint": req["entrypoint"],
                "metadata": req.get("metadata") or {}, "runtime_env": req.get("runtime_env") or {},
                "entrypoint_num_cpus": req.get("entrypoint_num_cpus"),
                "entrypoint_num_gpus": req.get("entrypoint_num_gpus"),
                "entrypoint_memory": req.get("entrypoint_memory"),
                "entrypoint_resources": req.get("entrypoint_resources"),
                "start_time": rec["start_time"], "end_time": rec["end_time"], "cluster_id": rec["cluster_id"],
                "job_queue": rec["job_queue"], "scheduler_state": rec["scheduler_state"],
                "scheduler_start_time": rec["scheduler_start_time"], "scheduler_end_time": rec["scheduler_end_time"]}


# --- routes ---------------------------------------------------------------------------
def _tenants(ctx: ApiContext) -> TenantMap:
    t = ctx.tenants
    if t is None:
        return TenantMap.empty()
    return t if isinstance(t, TenantMap) else TenantMap.from_dict(t)


def _caller(request: Request) -> Caller:
    return request.state.caller


def router(ctx: ApiContext) -> APIRouter:
    jobs = RestJobs(ctx)
    basic = HTTPBasic(auto_error=False, realm="ehpc-iac",
                      description="The access key id and secret (ehpc-iac access-key create); use TLS.")
    r = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=route_class(ctx), dependencies=[Depends(basic)],
                  responses=ERRORS)

    def tenant_of(request: Request, tenant: Optional[str]) -> str:
        return _tenants(ctx).tenant(tenant, _caller(request).access_key_id)

    async def submit_job(request: Request, body: JobSubmitRequest, tenant: TenantHeader = None,
                         pool: PoolHeader = None) -> JobSubmitResponse:
        """Submit a job (seed 003): it runs on the cluster, queue and user the tenant map gives the request."""
        caller = _caller(request)
        target = _tenants(ctx).resolve(tenant, pool, caller.access_key_id)
        submission_id = body.submission_id or new_submission_id()
        params = submit_params(body, target, submission_id)
        try:
            await ctx.call(jobs.submit, target, submission_id, body, params, caller.access_key_id)
        except EhpcError as exc:
            raise rest_error(exc, pool) from None
        return JobSubmitResponse(submission_id=submission_id)

    r.add_api_route("", submit_job, methods=["POST"], response_model=JobSubmitResponse, summary="Submit a job",
                    responses={409: {**_E, "description": "SubmissionIdAlreadyExists"}})
    r.add_api_route("/", submit_job, methods=["POST"], response_model=JobSubmitResponse, include_in_schema=False)

    async def list_jobs(request: Request, tenant: TenantHeader = None) -> list[JobDetails]:
        """The jobs of the caller's tenant, oldest first."""
        return await ctx.call(jobs.list, tenant_of(request, tenant))

    r.add_api_route("", list_jobs, methods=["GET"], response_model=list[JobDetails], summary="List jobs")
    r.add_api_route("/", list_jobs, methods=["GET"], response_model=list[JobDetails], include_in_schema=False)

    @r.get("/{submission_id}", response_model=JobDetails, summary="Job status and details")
    async def get_job(request: Request, submission_id: SubmissionIdPath, tenant: TenantHeader = None) -> JobDetails:
        return await ctx.call(jobs.details, tenant_of(request, tenant), submission_id)

    @r.get("/{submission_id}/logs", response_model=JobLogsResponse, summary="Job output")
    async def get_job_logs(request: Request, submission_id: SubmissionIdPath,
                           tenant: TenantHeader = None) -> JobLogsResponse:
        return JobLogsResponse(logs=await ctx.call(jobs.logs, tenant_of(request, tenant), submission_id))

    @r.post("/{submission_id}/stop", response_model=StopJobResponse, summary="Stop a job",
            responses={409: {**_E, "description": "JobBeingSubmitted"}})
    async def stop_job(request: Request, submission_id: SubmissionIdPath,
                       tenant: TenantHeader = None) -> StopJobResponse:
        return StopJobResponse(stopped=await ctx.call(jobs.stop, tenant_of(request, tenant), submission_id))

    @r.delete("/{submission_id}", response_model=DeleteJobResponse, summary="Forget an ended job",
              responses={409: {**_E, "description": "InvalidJobState: the job has not ended"}})
    async def delete_job(request: Request, submission_id: SubmissionIdPath,
                         tenant: TenantHeader = None) -> DeleteJobResponse:
        return DeleteJobResponse(deleted=await ctx.call(jobs.delete, tenant_of(request, tenant), submission_id))

    # anything else under /api/jobs: the REST error body, not Starlette's {"detail": ...}
    known = [route for route in r.routes if isinstance(route, APIRoute)]

    async def no_route(request: Request) -> Response:
        path = request.url.path
        allowed = sorted({m for route in known if route.path_regex.match(path) for m in route.methods})
        if not allowed:
            raise ApiRequestError(f"There is no {path}.", code="NotFound", http_status=404)
        response = _error(ApiRequestError(f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                                          code="MethodNotAllowed", http_status=405), request.state.request_id)
        response.headers["Allow"] = ", ".join(allowed)
        return response

    for path in ("", "/{rest:path}"):
        r.add_api_route(path, no_route, methods=ANY_METHOD, include_in_schema=False)
    return r

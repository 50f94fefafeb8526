"""The REST job API of seed 003 (the Ray Jobs REST API shape): HTTP over ops/rest_jobs.py.

    POST   /api/jobs                       submit: {"submission_id": ...}
    GET    /api/jobs                       the caller's tenant's jobs
    GET    /api/jobs/{submission_id}       status: PENDING RUNNING STOPPED SUCCEEDED FAILED
    GET    /api/jobs/{submission_id}/logs  {"logs": stdout and stderr}
    POST   /api/jobs/{submission_id}/stop  {"stopped": true|false}
    DELETE /api/jobs/{submission_id}       forget an ended job

Every request authenticates with HTTP Basic (access key id : secret). ``X-Tenant-Id`` and
``X-Pool-Label`` pick, through the server's tenant map (ops/rest_tenants.py), the cluster, queue
and run-as user; a tenant sees only its own jobs. What a request becomes (a SubmitJob) and what
its status is are the operations layer's (ops/rest_jobs.py, ops/rest_jobs_params.py): the routes
here only translate headers and bodies to its calls and its answers back.

This module is the REST API's one error-translation point: ``RestRoute`` wraps every route,
so request validation errors become 400 ``InvalidParams`` naming the field, an ``EhpcError``
its status with ``{"code", "message", "request_id", "field"}``, anything else a logged 500
``UnknownError`` (the reference's code) without details. The RPC route ``/`` keeps its own format (rpc.py).
"""
from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Annotated, Any, Callable, Coroutine, Optional

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ApiRequestError, EhpcError, InvalidParams, UnknownError
from ..ops import new_request_id
from ..ops.rest_jobs import NAME_PATTERN, RestJobService, TenantMap
from .auth import Caller
from .body import read_capped
from .context import ApiContext
from .rest_models import (RAY_JOBS_API, SUBMISSION_ID_PATTERN, VersionResponse, DeleteJobResponse, ErrorBody, JobDetails, JobLogsResponse,
                          JobSubmitRequest, JobSubmitResponse, StopJobResponse)

log = logging.getLogger("ehpc_iac.api.rest")

REALM = 'Basic realm="ehpc-iac"'
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY", "CONNECT"]

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
                                     "500 UnknownError)"},
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
                    err = UnknownError("An unknown error occurred.")
                    response = _error(err, rid)
                response.headers["X-Request-Id"] = rid
                log.info("%s %s status=%s key=%s %.1fms", request.method, request.url.path, response.status_code,
                         key_id, (time.monotonic() - started) * 1000)
                return response

            return run

    return RestRoute


# --- routes ---------------------------------------------------------------------------
def _tenants(ctx: ApiContext) -> TenantMap:
    t = ctx.tenants
    if t is None:
        return TenantMap.empty()
    return t if isinstance(t, TenantMap) else TenantMap.from_dict(t)


def _caller(request: Request) -> Caller:
    return request.state.caller


def router(ctx: ApiContext) -> APIRouter:
    jobs = RestJobService(ctx.ehpc)
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
        fields = body.model_dump(mode="json", exclude_none=True, exclude={"job_id"})
        submission_id = await ctx.call(jobs.submit, target, fields, access_key_id=caller.access_key_id,
                                       pool_label=pool)
        return JobSubmitResponse(submission_id=submission_id, job_id=submission_id)

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

    return _catch_all(r)


def _catch_all(r: APIRouter, paths: tuple[str, ...] = ("", "/{rest:path}")) -> APIRouter:
    """Anything else on ``paths`` (under the router's prefix): the REST error body, not Starlette's
    {"detail": ...}."""
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

    for path in paths:
        r.add_api_route(path, no_route, methods=ANY_METHOD, include_in_schema=False)
    return r


def version_router(ctx: ApiContext) -> APIRouter:
    """``GET /api/version``: what Ray's JobSubmissionClient asks first (same authentication as /api/jobs)."""
    r = APIRouter(prefix="/api", tags=["jobs"], route_class=route_class(ctx),
                  dependencies=[Depends(HTTPBasic(auto_error=False, realm="ehpc-iac"))], responses=ERRORS)

    @r.get("/version", response_model=VersionResponse, summary="The Ray Jobs API level this API answers as")
    async def get_version() -> VersionResponse:
        return VersionResponse(**RAY_JOBS_API, session_name=f"ehpc-iac {__version__}")

    return _catch_all(r, ("/version",))

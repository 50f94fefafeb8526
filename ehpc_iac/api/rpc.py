"""The RPC endpoint ``/`` that Alibaba Cloud's SDKs call.

One route serves both protocols:

- signature 1.0 (``aliyun-python-sdk-core``): ``Action``, ``Version`` and the signature
  parameters in the query string, action parameters in the query or a form body;
- ACS3-HMAC-SHA256 (``alibabacloud-tea-openapi``): ``x-acs-action`` / ``x-acs-version``
  headers and an ``Authorization`` header, parameters in the query or a form body.

The version picks the action table (2018-04-12: ``v2018``; 2024-07-30: ``v2024``). This
module is the HTTP endpoint's one error-translation point for RPC: an ``EhpcError``
becomes its HTTP status and a body with RequestId, HostId, Code and Message; anything
else is logged with its traceback and answered 500 ``UnknownError`` (the reference's code) without details.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import ApiRequestError, EhpcError, UnknownError
from . import v2018, v2024
from .body import read_capped
from ..ops import new_request_id
from .context import ApiContext
from .responses import error_body, render

log = logging.getLogger("ehpc_iac.api")

SIGNATURE_PARAMS = frozenset(("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                              "SignatureType", "Timestamp", "Format", "Action", "Version", "SecurityToken"))
VERSIONS: dict[str, Callable[[str], Callable[[Any, dict[str, Any]], dict[str, Any]]]] = {
    v2018.VERSION: v2018.handler,
    v2024.VERSION: v2024.handler,
}


def _one_value_each(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        if k in out:
            raise ApiRequestError(f"The parameter {k} is given more than once.", code="InvalidParameter", field=k)
        out[k] = v
    return out


async def _read(request: Request) -> tuple[dict[str, str], dict[str, str], bytes]:
    body = await read_capped(request)
    query = _one_value_each(parse_qsl(request.url.query, keep_blank_values=True))
    form: dict[str, str] = {}
    ctype = request.headers.get("content-type", "")
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        try:
            form = _one_value_each(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            raise ApiRequestError("The form body is not UTF-8.", code="InvalidParameter") from None
    return query, form, body


class RpcEndpoint:
    def __init__(self, ctx: ApiContext):
        self.ctx = ctx

    async def __call__(self, request: Request) -> Response:
        started = time.monotonic()
        request_id = new_request_id()
        host_id = request.headers.get("host", "localhost")
        fmt, action, key_id = "JSON", "-", "-"
        try:
            query, form, body = await _read(request)
            params = {**query, **form}
            if params.get("Format", "").upper() == "XML":
                fmt = "XML"
            client = request.client.host if request.client else ""
            headers = {k.lower(): v for k, v in request.headers.items()}
            if headers.get("authorization", "").startswith("ACS3-"):
                caller = await self.ctx.call(self.ctx.auth.acs3, request.method, request.url.path, query, headers,
                                             body, client)
                action = headers.get("x-acs-action") or params.get("Action", "")
                version = headers.get("x-acs-version") or params.get("Version", "")
            else:
                caller = await self.ctx.call(self.ctx.auth.rpc_v1, request.method, params, client)
                action, version = params.get("Action", ""), params.get("Version", "")
            key_id = caller.access_key_id
            if not action:
                raise ApiRequestError("Action is mandatory for this request.", code="MissingParameter",
                                      field="Action")
            if version not in VERSIONS:
                raise ApiRequestError(f"Specified parameter Version {version!r} is not valid; this endpoint serves "
                                      f"{', '.join(sorted(VERSIONS))}.", code="InvalidVersion", field="Version")
            run = VERSIONS[version](action)
            args = {k: v for k, v in params.items() if k not in SIGNATURE_PARAMS}
            result = await self.ctx.call(run, self.ctx.ehpc, args)
            body_out = {"RequestId": request_id, **(result or {})}
            status = 200
        except EhpcError as exc:
            body_out, status = error_body(exc, request_id, host_id), exc.http_status
        except Exception:  # noqa: BLE001 - the one place that turns a bug into a 500
            log.exception("internal error in %s (request %s)", action, request_id)
            exc = UnknownError("An unknown error occurred.")
            body_out, status = error_body(exc, request_id, host_id), 500
        text, media = render(body_out, fmt, "Error" if status >= 400 else f"{action}Response")
        log.info("%s %s action=%s status=%s key=%s %.1fms", request.method, request.url.path, action, status,
                 key_id, (time.monotonic() - started) * 1000)
        return Response(text, status_code=status, media_type=media)


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter()
    r.add_api_route("/", RpcEndpoint(ctx), methods=["GET", "POST"], include_in_schema=False)
    return r

"""The ASGI application: the RPC endpoint ``/`` (E-HPC 2018-04-12 and 2024-07-30) and the
REST job API under ``/api`` with its OpenAPI description at ``/api/openapi.json``."""
from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from . import rest_jobs, rpc
from .context import ApiContext


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(title="ehpc-iac REST job API", version=__version__, openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    app.state.ctx = ctx
    app.include_router(rpc.router(ctx))
    app.include_router(rest_jobs.router(ctx))
    app.include_router(rest_jobs.version_router(ctx))
    return app

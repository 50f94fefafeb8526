"""Running the ASGI application with uvicorn: ``ehpc-iac serve`` and a background server for
tests and benchmarks.

uvicorn's access log is off: the 2018 SDK sends parameters (``User.1.Password``,
``RunasUserPassword``) in the query string, and an access log would write them out. The RPC
endpoint logs method, path, action, status, key id and duration instead.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
import time
from pathlib import Path
from typing import Any, Optional

import uvicorn

from .app import create_app
from .context import ApiContext

log = logging.getLogger("ehpc_iac.api")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uvicorn_config(ctx: ApiContext, host: str = "127.0.0.1", port: int = 8100, *,
                   certfile: Optional[Path | str] = None, keyfile: Optional[Path | str] = None,
                   log_level: str = "info") -> uvicorn.Config:
    if bool(certfile) != bool(keyfile):
        from ..errors import InvalidParams
        raise InvalidParams("--tls-key" if certfile else "--tls-cert", "give both --tls-cert and --tls-key")
    return uvicorn.Config(create_app(ctx), host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
                          ssl_keyfile=str(keyfile) if keyfile else None, access_log=False, log_level=log_level,
                          server_header=False, timeout_graceful_shutdown=10, backlog=2048)


def serve(ctx: ApiContext, host: str = "127.0.0.1", port: int = 8100, **kw: Any) -> None:
    if not is_loopback(host) and not kw.get("certfile"):
        log.warning("serving on %s without TLS: request parameters (passwords of AddUsers, SubmitJob) and REST "
                    "credentials cross the network in clear; give --tls-cert and --tls-key", host)
    uvicorn.Server(uvicorn_config(ctx, host, port, **kw)).run()


class BackgroundServer:
    """The server in a thread on a free loopback port (``with BackgroundServer(ctx) as srv: srv.url``)."""

    def __init__(self, ctx: ApiContext, host: str = "127.0.0.1", port: int = 0, **kw: Any):
        self.server = uvicorn.Server(uvicorn_config(ctx, host, port, log_level="warning", **kw))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, name="ehpc-iac-api", daemon=True)
        self.host = host
        self.port = port

    def __enter__(self) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        scheme = "https" if self.server.config.ssl_certfile else "http"
        return f"{scheme}://{self.endpoint}"

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(30)

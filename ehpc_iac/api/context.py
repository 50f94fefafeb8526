"""What every endpoint of the HTTP server shares: the operations facade, keys, nonces, the
REST job API's tenant map, and a bounded pool of worker threads.

Operations are blocking Python (SQLite, SSH, the Docker API): they run in worker threads,
never on the event loop. Long operations are started Async by the protocols, so a worker
thread is busy for milliseconds, not for a ``pulumi up`` or an Ansible run.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import anyio

from ..ops import Ehpc
from .auth import Authenticator
from .keys import AccessKeyStore, NonceStore

T = TypeVar("T")


@dataclass
class ApiContext:
    ehpc: Ehpc
    keys: AccessKeyStore
    nonces: NonceStore
    tenants: Any = None              # the REST job API's tenant map (ops/rest_tenants.py)
    threads: int = 64
    _limiter: Optional[anyio.CapacityLimiter] = field(default=None, repr=False)

    @classmethod
    def for_home(cls, home: Optional[Path | str] = None, *, ehpc: Optional[Ehpc] = None, **kw: Any) -> "ApiContext":
        """The server's context: operations in ``thread`` async mode (the server lives on)."""
        ehpc = ehpc or Ehpc(home, async_mode="thread")
        return cls(ehpc=ehpc, keys=AccessKeyStore(ehpc.home), nonces=NonceStore(ehpc.home), **kw)

    @property
    def auth(self) -> Authenticator:
        return Authenticator(self.keys, self.nonces)

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking call in a worker thread."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self._limiter)

"""The Docker client's plumbing shared by the docker engine: the SDK import, and what counts as
"the daemon cannot be reached" (EngineUnavailable, ServiceUnavailable, exit 5) rather than an error."""
from __future__ import annotations

import functools
import threading
from typing import Any

from ..errors import EngineUnavailable

HOW_TO_START = ("Start it with `systemctl start docker` (or `dockerd >/var/log/dockerd.log 2>&1 &` where "
                "there is no systemd), or run scripts/setup.sh, which installs and starts it.")


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the Docker daemon cannot be reached (stopped, restarting, no socket),
    as opposed to Docker answering with an error."""
    try:
        import requests
        if isinstance(exc, requests.exceptions.ConnectionError):
            return True
    except ImportError:  # pragma: no cover - docker-py depends on requests
        pass
    try:
        docker = _docker_module()
    except EngineUnavailable:
        return False
    # docker-py raises the bare base class when it cannot even ask the daemon for its API version
    return type(exc) is docker.errors.DockerException


def engine_call(fn):
    """Docker unreachable in the middle of a call is EngineUnavailable (ServiceUnavailable, exit 5),
    never a raw connection error; the next call checks the daemon afresh."""
    @functools.wraps(fn)
    def wrapped(self, *args: Any, **kwargs: Any):
        try:
            return fn(self, *args, **kwargs)
        except EngineUnavailable:
            raise
        except Exception as exc:
            if not unreachable(exc):
                raise
            self._client = getattr(self, "_given_client", None)   # the next call pings the daemon afresh
            self._local = threading.local()
            raise EngineUnavailable(f"The Docker engine is not reachable ({_short(exc)}). {HOW_TO_START}") from None
    return wrapped


def _docker_module():
    try:
        import docker  # noqa: F401
        return docker
    except ImportError:  # pragma: no cover - dependency of the package
        raise EngineUnavailable("The Docker SDK for Python is not installed: pip install docker") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]

"""The shared machinery of the operations facade: requests, state, locks, logs, status checks."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, TypeVar

from pydantic import BaseModel

from ..configure import AnsibleConfigurator, ensure_cluster_key
from ..engines import Access, Engine, Progress, get_engine, no_progress
from ..errors import ClusterNotFound, EhpcError, InvalidClusterStatus
from ..spec import parse
from .lock import cluster_lock, is_locked
from .state import ClusterRecord, StateStore, default_home

M = TypeVar("M", bound=BaseModel)

# Cluster statuses of the reference.
UNINIT, CREATING, INIT, RUNNING, EXCEPTION, RELEASING, STOPPED = (
    "uninit", "creating", "init", "running", "exception", "releasing", "stopped")
STATUSES = (UNINIT, CREATING, INIT, RUNNING, EXCEPTION, RELEASING, STOPPED)
TRANSITIONAL = (UNINIT, CREATING, INIT, RELEASING)


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


class OpsCore:
    """Holds the dependencies every operation uses; no global state."""

    def __init__(self, home: Optional[Path | str] = None, *,
                 engine_factory: Callable[[str], Engine] = get_engine,
                 configurator: Any = None):
        self.home = Path(home) if home else default_home()
        self.state = StateStore(self.home)
        self._engine_factory = engine_factory
        self._engines: dict[str, Engine] = {}
        self.configurator = configurator or AnsibleConfigurator()

    # --- requests -------------------------------------------------------------
    @staticmethod
    def _request(model: type[M], params: Optional[Mapping[str, Any]], kwargs: dict[str, Any]) -> M:
        data = dict(params or {})
        data.update(kwargs)
        data.pop("Action", None)
        data.pop("Version", None)
        return parse(model, data)

    # --- lookups ----------------------------------------------------------------
    def engine(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = self._engine_factory(name)
        return self._engines[name]

    def _cluster(self, cluster_id: str) -> ClusterRecord:
        rec = self.state.get_cluster(cluster_id)
        if rec is None:
            raise ClusterNotFound(cluster_id)
        return self._settle(rec)

    def _settle(self, rec: ClusterRecord) -> ClusterRecord:
        """A transitional status whose lock nobody holds was left by a process that died."""
        if rec.status in TRANSITIONAL and not is_locked(self.home / "locks", rec.id):
            reason = f"interrupted while {rec.status}: the process running the operation ended"
            self.state.update_cluster(rec.id, status=EXCEPTION, status_reason=reason)
            self.state.add_log(rec.id, new_request_id(), "Status", "error", reason)
            rec = self.state.get_cluster(rec.id) or rec
        return rec

    @staticmethod
    def _require_status(rec: ClusterRecord, operation: str, allowed: tuple[str, ...]) -> None:
        if rec.status not in allowed:
            raise InvalidClusterStatus(rec.id, rec.status, operation, list(allowed))

    def access(self, cluster_id: str) -> Access:
        return ensure_cluster_key(self.state.cluster_dir(cluster_id) / "ssh", f"ehpc-iac@{cluster_id}")

    def log_dir(self, cluster_id: str) -> Path:
        return self.state.cluster_dir(cluster_id) / "logs"

    # --- writes -------------------------------------------------------------------
    @contextmanager
    def _write(self, cluster_id: str, operation: str) -> Iterator[None]:
        with cluster_lock(self.home / "locks", cluster_id, operation):
            yield

    @contextmanager
    def _recorded(self, rec: ClusterRecord, operation: str, request_id: str, progress: Progress,
                  on_error_status: Optional[str] = EXCEPTION) -> Iterator[Progress]:
        """Log start/end of an operation; on failure mark the cluster (exception) with the reason."""
        self.state.add_log(rec.id, request_id, operation, "info", f"{operation} started")

        def step(msg: str) -> None:
            progress(msg)

        try:
            yield step
        except BaseException as exc:
            reason = exc.message if isinstance(exc, EhpcError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, KeyboardInterrupt):
                reason = "interrupted"
            if on_error_status:
                self.state.update_cluster(rec.id, status=on_error_status, status_reason=f"{operation}: {reason}")
            self.state.add_log(rec.id, request_id, operation, "error", f"{operation} failed: {reason}")
            raise
        self.state.add_log(rec.id, request_id, operation, "info", f"{operation} succeeded")


__all__ = ["OpsCore", "new_request_id", "no_progress", "STATUSES", "UNINIT", "CREATING", "INIT", "RUNNING",
           "EXCEPTION", "RELEASING", "STOPPED"]

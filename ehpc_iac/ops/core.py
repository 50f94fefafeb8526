"""The shared machinery of the operations facade: requests, state, locks, logs, status checks."""
from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, TypeVar

from pydantic import BaseModel

from ..accounts import AccountBackend, UserEntry, get_accounts
from ..configure import AnsibleConfigurator, ensure_cluster_key
from ..engines import Access, Engine, Progress, get_engine, no_progress
from ..errors import (ClusterNotFound, ConflictOpt, EhpcError, EngineError, EngineUnavailable, InvalidClusterStatus,
                      InvalidOpt, ManagerNotFound, ObjectNotFound, SchedulerError, UnknownError)
from ..plan import ClusterPlan
from ..scheduler import JobScheduler, NodeScheduler, SchedulerBackend, get_scheduler
from ..spec import parse
from ..ssh import SSHNode, SSHPool
from ..configure.owned import sweep_stale
from .health import HealthChecker
from .jobs_state import JobStore
from .lock import SCALER_MARK, ClusterLock, is_locked, lock_holder, yields_to
from .nodes_state import NodeStateStore
from .secrets import AccountSecrets
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
    """What every area of operations shares: the state, engines, SSH pool, configurator, the cluster
    lock and log, and the cluster's back ends (scheduler, accounts); no global state. ``Ehpc`` is
    one, and each area (clusters, nodes, jobs ...) holds it as ``core``."""

    def __init__(self, home: Optional[Path | str] = None, *,
                 engine_factory: Callable[[str], Engine] = get_engine,
                 configurator: Any = None, async_mode: str = "thread"):
        """``async_mode``: how Async operations run in the background: ``thread`` (a long-lived
        process such as the HTTP server or a Python program) or ``fork`` (a short-lived process
        such as the CLI: a detached child carries on after the command returns)."""
        self.home = Path(home) if home else default_home()
        self.async_mode = async_mode
        self.ssh_pool = SSHPool()
        self.state = StateStore(self.home)
        self._engine_factory = engine_factory
        self._engines: dict[str, Engine] = {}
        self.configurator = configurator or AnsibleConfigurator()
        self.health = HealthChecker(self)

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
            engine = self._engine_factory(name)
            if hasattr(engine, "home"):  # engines that keep state (pulumi) keep it under our home
                engine.home = self.home
            self._engines[name] = engine
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

    def live(self, rec: ClusterRecord, nodes=None) -> ClusterRecord:
        """The record as reads report it: a running cluster that fails a live check (health.py) is
        reported in exception with the failing node and check as its reason (not recorded)."""
        fault = self.health.fault(rec, nodes) if rec.status == RUNNING else None
        if fault is None:
            return rec
        return dataclasses.replace(rec, status=EXCEPTION, status_reason=f"health: {fault.message}")

    def _require_status(self, rec: ClusterRecord, operation: str, allowed: tuple[str, ...]) -> None:
        """ConflictOpt while another write runs (it may be about to change the status), else the status check."""
        holder = lock_holder(self.home / "locks", rec.id)
        if holder and not yields_to(holder, operation):   # the scaler's step: _begin waits for it
            raise ConflictOpt(rec.id, holder)
        self._check_status(rec, operation, allowed)

    @staticmethod
    def _check_status(rec: ClusterRecord, operation: str, allowed: tuple[str, ...]) -> None:
        if rec.status not in allowed:
            raise InvalidClusterStatus(rec.id, rec.status, operation, list(allowed))

    def access(self, cluster_id: str) -> Access:
        return ensure_cluster_key(self.state.cluster_dir(cluster_id) / "ssh", f"ehpc-iac@{cluster_id}")

    def ssh_to(self, cluster_id: str, node) -> SSHNode:
        """A pooled connection to a node (``NodeOutput``) of the cluster, as root with its key."""
        return self.ssh_pool.node(node.address, self.access(cluster_id).private_key_file, port=node.port, timeout=5)

    def log_dir(self, cluster_id: str) -> Path:
        return self.state.cluster_dir(cluster_id) / "logs"

    # --- writes -------------------------------------------------------------------
    def _begin(self, cluster_id: str, operation: str, allowed: tuple[str, ...]) -> tuple[ClusterLock, ClusterRecord]:
        """Take the cluster's lock, then read the cluster: an operation that changes the plan must
        start from the plan as the previous writer left it. Pass the lock on to ``_operation``."""
        lock = ClusterLock(self.home / "locks", cluster_id, operation + self._actor_mark()).acquire()
        try:
            rec = self._cluster(cluster_id)
            self._check_status(rec, operation, allowed)
        except BaseException:
            lock.release()
            raise
        return lock, rec

    @contextmanager
    def as_scaler(self) -> Iterator[None]:
        """Operations this thread starts inside the block are the auto scaler's (their lock says so)."""
        local = self.__dict__.setdefault("_actor", threading.local())
        local.scaler = True
        try:
            yield
        finally:
            local.scaler = False

    def _actor_mark(self) -> str:
        local = self.__dict__.get("_actor")
        return f" {SCALER_MARK}" if local is not None and getattr(local, "scaler", False) else ""

    @contextmanager
    def _recorded(self, rec: ClusterRecord, operation: str, request_id: str, progress: Progress,
                  on_error_status: Optional[str] = EXCEPTION) -> Iterator[Progress]:
        """Log start, steps and end of an operation; on failure mark the cluster with the reason
        (not when the engine is unreachable: that is no fault of the cluster)."""
        for stale in sweep_stale(self.state.cluster_dir(rec.id) / "run"):  # left by an owner that was killed
            self.state.add_log(rec.id, request_id, operation, "debug", f"removed {stale.name}, left by a killed run")
        self.health.forget(rec.id)
        self.state.add_log(rec.id, request_id, operation, "info", f"{operation} started")

        def step(msg: str) -> None:
            level = "debug" if msg.startswith("configure:") else "info"
            self.state.add_log(rec.id, request_id, operation, level, msg)
            progress(msg)

        try:
            yield step
        except BaseException as exc:
            reason = exc.message if isinstance(exc, EhpcError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, KeyboardInterrupt):
                reason = "interrupted"
            if on_error_status and not isinstance(exc, EngineUnavailable):
                self.state.update_cluster(rec.id, status=on_error_status, status_reason=f"{operation}: {reason}")
            self.state.add_log(rec.id, request_id, operation, "error", f"{operation} failed: {reason}")
            raise
        self.state.add_log(rec.id, request_id, operation, "info", f"{operation} succeeded")

    def _operation(self, rec: ClusterRecord, operation: str, body: Callable[[Progress], None], *,
                   progress: Progress = no_progress, async_: bool = False, request_id: Optional[str] = None,
                   on_error_status: Optional[str] = EXCEPTION, lock: Optional[ClusterLock] = None,
                   needs_engine: bool = True) -> str:
        """Run a write operation under the cluster's lock; returns its request id (also its task id).
        An operation that ``needs_engine`` is refused with EngineUnavailable before anything runs
        when the engine cannot be reached.

        The lock is taken here, before returning, so a second writer gets ConflictOpt at
        once even when this one runs in the background (``async_``).
        """
        request_id = request_id or new_request_id()
        if needs_engine:
            try:
                self.engine(rec.engine).check()
            except BaseException:
                if lock:
                    lock.release()
                raise
        lock = lock or ClusterLock(self.home / "locks", rec.id, operation).acquire()

        def run(p: Progress) -> None:
            try:
                with self._recorded(rec, operation, request_id, p, on_error_status) as step:
                    body(step)
            finally:
                lock.release()

        if not async_:
            run(progress)
        elif self.async_mode == "fork":
            self._fork(run, rec.id, operation, lock)
        else:
            threading.Thread(target=_swallow(run), args=(no_progress,), name=f"{operation}-{rec.id}",
                             daemon=False).start()
        return request_id

    def _fork(self, run: Callable[[Progress], None], cluster_id: str, operation: str, lock: ClusterLock) -> None:
        self._spawn_detached(cluster_id, operation, run)
        lock.detach()  # the child holds the lock now

    def _spawn_detached(self, cluster_id: str, label: str, run: Callable[[Progress], None]) -> int:
        """Run ``run`` in a detached child process (it outlives a CLI command); returns its pid.

        The child leaves the terminal, writes its output to the cluster's log directory,
        opens its own database connection and engine clients, records failures through
        ``run`` itself, and exits.
        """
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            os.setsid()
            logf = self.log_dir(cluster_id) / f"async-{label}-{os.getpid()}.log"
            logf.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(logf, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            self.state = StateStore(self.home)
            self._engines = {}
            self.ssh_pool.forget()
            _swallow(run)(no_progress)
            code = 0
        finally:
            os._exit(code)

    # --- the cluster's back ends -----------------------------------------------------------
    def scheduler_backend(self, rec: ClusterRecord) -> SchedulerBackend:
        return get_scheduler(rec.plan.scheduler_type)

    def accounts(self, rec: ClusterRecord) -> AccountBackend:
        return get_accounts(rec.plan.account_type)

    def _node_scheduler(self, rec: ClusterRecord, nodes=None) -> NodeScheduler:
        """Node commands on the cluster's primary controller (replaced by a fake in unit tests)."""
        nodes = nodes or self.engine(rec.engine).inspect(rec.plan)
        primary = nodes[rec.plan.schedulers[0].hostname]
        if not primary.address:
            raise ManagerNotFound(f"the scheduler node {primary.hostname} is {primary.status or 'gone'}")
        return self.scheduler_backend(rec).nodes(self.ssh_to(rec.id, primary))

    def _job_scheduler(self, rec: ClusterRecord) -> JobScheduler:
        """Jobs on the first login node, or on the primary scheduler (manager) when there is none."""
        nodes = self.engine(rec.engine).inspect(rec.plan)
        host = (rec.plan.logins or rec.plan.schedulers)[0].hostname
        node = nodes[host]
        if not node.address:
            raise ManagerNotFound(f"the node {host} that submits jobs is {node.status or 'gone'}")
        fault = self.health.fault(rec, nodes)
        if fault:  # fail at once, naming the node, rather than hang on it
            raise SchedulerError(f"the cluster cannot run job commands: {fault.message}")
        return self.scheduler_backend(rec).jobs(self.ssh_to(rec.id, node))

    @property
    def jobs_store(self) -> JobStore:
        if getattr(self, "_jobs_store", None) is None or self._jobs_store.state is not self.state:
            self._jobs_store = JobStore(self.state)
        return self._jobs_store

    @property
    def account_secrets(self) -> AccountSecrets:
        return AccountSecrets(self.home)

    @property
    def node_state(self) -> NodeStateStore:
        if getattr(self, "_node_state", None) is None or self._node_state.state is not self.state:
            self._node_state = NodeStateStore(self.state)
        return self._node_state

    # --- machines and configuration ----------------------------------------------------------
    def _inspect_quietly(self, rec: ClusterRecord):
        """The machines as the engine sees them; {} when it fails on them (EngineUnavailable,
        the engine itself being unreachable, propagates: reads answer ServiceUnavailable)."""
        try:
            return self.engine(rec.engine).inspect(rec.plan)
        except EngineError:
            return {}

    def _require_powered(self, rec: ClusterRecord, operation: str) -> None:
        """Engines that do not power their machines (hosts) refuse before anything is recorded."""
        if getattr(self.engine(rec.engine), "powers_machines", True) is False:
            raise InvalidOpt(f"{operation} is not possible with the {rec.engine} engine: the machines are the "
                             "admin's existing machines and are not powered by ehpc-iac", field="ClusterId")

    def users_of(self, cluster_id: str) -> list[UserEntry]:
        """The cluster's users as stored (the source of truth every configuration run applies)."""
        return [UserEntry(u["name"], u["uid"], u["grp"], u["password_hash"]) for u in self.state.users(cluster_id)]

    def configure(self, rec: ClusterRecord, nodes, step: Progress, limit=None, playbook: str = "cluster.yml",
                  users: Optional[list[UserEntry]] = None, **extra: Any):
        """Run a playbook over the cluster; the account server always gets the stored users (never an
        empty list by omission: the account roles delete the accounts they made that are not listed)."""
        keys_file = self.state.cluster_dir(rec.id) / "authorized_keys"
        keys = tuple(k for k in keys_file.read_text().splitlines() if k.strip()) if keys_file.exists() else ()
        users = self.users_of(rec.id) if users is None else users
        account_vars = self.accounts(rec).config_vars(rec.plan, self.state.cluster_dir(rec.id) / "accounts",
                                                      self.account_secrets.get(rec.id))
        return self.configurator.configure(
            rec.plan, nodes, self.access(rec.id), log_dir=self.log_dir(rec.id), limit=limit, progress=step,
            playbook=playbook, root_password_hash=rec.root_password_hash or None, authorized_keys=keys,
            users=tuple(u.as_vars() for u in users), account_vars=account_vars,
            scheduler_vars=self.scheduler_backend(rec).config_vars(rec.plan.scheduler_settings), **extra)

    def apply_scheduler_plan(self, rec: ClusterRecord, new: ClusterPlan, message: str, step: Progress) -> None:
        """Store ``new`` and run the cluster play on the hosts that hold the scheduler's settings
        (``config_hosts``); every one of them must be running. The stored plan is put back if
        anything fails. Queue and scheduler-settings changes share this."""
        old = rec.plan
        self.state.update_cluster(rec.id, plan=new)
        try:
            backend = self.scheduler_backend(rec)
            hosts = backend.config_hosts(new)
            nodes = self.engine(rec.engine).inspect(new)
            down = sorted(h for h in hosts if nodes[h].status != "running")
            if down:
                raise EngineError(f"nodes not running: {', '.join(down)}; RecoverCluster or StartCluster first")
            step(f"{message} ({backend.label} configuration on {len(hosts)} node(s))")
            self.configure(dataclasses.replace(rec, plan=new), nodes, step, limit=hosts)
        except BaseException:
            self.state.update_cluster(rec.id, plan=old)
            raise

    def wait_operation(self, cluster_id: str, task_id: str, progress: Progress = no_progress,
                       timeout: float = 3600, poll: float = 0.3) -> dict[str, Any]:
        """Follow an operation's steps until it ends; returns its final log entry."""
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            logs = [l for l in self.state.logs(cluster_id) if l["request_id"] == task_id]
            for entry in logs[seen:]:
                if entry["level"] != "error" and not entry["message"].endswith((" started", " succeeded")):
                    progress(entry["message"])
            seen = len(logs)
            done = [l for l in logs if l["message"].endswith((" succeeded",)) or l["level"] == "error"]
            if done:
                return done[-1]
            if not logs and time.monotonic() > deadline - timeout + 10:
                raise ObjectNotFound(f"The task {task_id} of cluster {cluster_id} does not exist.")
            if time.monotonic() > deadline:
                raise UnknownError(f"the task {task_id} did not finish within {timeout:.0f}s")
            time.sleep(poll)


def _swallow(fn: Callable[[Progress], None]) -> Callable[[Progress], None]:
    """Background runs record their failure in the cluster's log; nothing to raise to."""
    def wrapped(p: Progress) -> None:
        try:
            fn(p)
        except BaseException:  # noqa: BLE001 - already recorded by _recorded
            pass
    return wrapped


class Area:
    """An area of operations (clusters, nodes, jobs ...): its actions over the shared ``OpsCore``."""

    def __init__(self, core: OpsCore):
        self.core = core


__all__ = ["Area", "OpsCore", "new_request_id", "no_progress", "STATUSES", "UNINIT", "CREATING", "INIT", "RUNNING",
           "EXCEPTION", "RELEASING", "STOPPED"]

"""ansible-runner over playbooks/ and roles/, with progress events and a change count per host.

Each run gets a private data directory in the cluster's state directory (0700, never /tmp),
removed afterwards (its extravars hold password hashes); the censored stdout is kept in the
cluster's log directory. ``ansible-playbook`` runs through an owned launcher (owned.py): it dies
with the process that started it, whatever kills that process. Secret tasks use ``no_log`` in the roles, so neither output nor
events carry secrets.
"""
from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from ..engines.base import Access, NodeOutput, Progress, no_progress
from ..errors import ConfigureError, EngineUnavailable
from ..plan import ClusterPlan
from .inventory import build_extravars, build_inventory
from .owned import kill_run, new_run_dir, sweep_stale, write_launcher


def ansible_dir() -> Path:
    env = os.environ.get("EHPC_IAC_ANSIBLE_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2]


SSH_ARGS = ("-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null "
            "-o StrictHostKeyChecking=no -o LogLevel=ERROR -o ConnectTimeout=10")


@dataclass
class ConfigureResult:
    ok: bool
    changed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    log_file: Optional[Path] = None

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())


class AnsibleConfigurator:
    """Configures a cluster's nodes with the project's playbooks."""

    def __init__(self, playbook_dir: Optional[Path] = None):
        self.root = playbook_dir or ansible_dir()

    def configure(self, plan: ClusterPlan, nodes: Mapping[str, NodeOutput], access: Access, *,
                  log_dir: Path, playbook: str = "cluster.yml", limit: Optional[list[str]] = None,
                  progress: Progress = no_progress, run_dir: Optional[Path] = None,
                  **vars_: Any) -> ConfigureResult:
        extravars = build_extravars(plan, nodes, **vars_)
        inventory = build_inventory(plan, nodes, access)
        return self.run_playbook(playbook, inventory, extravars, log_dir=log_dir, limit=limit, progress=progress,
                                 forks=len(plan.nodes), run_dir=run_dir)

    def run_playbook(self, playbook: str, inventory: dict, extravars: dict, *, log_dir: Path,
                     limit: Optional[list[str]] = None, progress: Progress = no_progress,
                     forks: int = 10, run_dir: Optional[Path] = None) -> ConfigureResult:
        """``run_dir``: where the run's private directories go (default: beside ``log_dir``, in the
        cluster's state directory)."""
        try:
            import ansible_runner
        except ImportError:  # pragma: no cover
            raise EngineUnavailable("ansible-runner is not installed: pip install ansible-runner ansible") from None
        bindir = str(Path(sys.executable).parent)
        if bindir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        program = shutil.which("ansible-playbook")
        if program is None:
            raise EngineUnavailable("ansible-playbook is not on PATH: install the `ansible` package in this "
                                    "environment (pip install ansible)")
        pb = self.root / "playbooks" / playbook
        if not pb.exists():
            raise ConfigureError(f"playbook {pb} not found (set EHPC_IAC_ANSIBLE_DIR to the project folder)")
        log_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        log_file = log_dir / f"ansible-{Path(playbook).stem}-{stamp}.log"
        events = _EventCollector(progress)
        t0 = time.monotonic()
        run_root = run_dir or log_dir.parent / "run"
        sweep_stale(run_root)
        pdd = str(new_run_dir(run_root))
        # SSH control sockets need a short path (108 bytes): /tmp; they hold no secret
        control_dir = tempfile.mkdtemp(prefix="ehpc-cp-")
        try:
            envvars = {
                "ANSIBLE_PIPELINING": "True",
                "ANSIBLE_HOST_KEY_CHECKING": "False",
                "ANSIBLE_SSH_ARGS": SSH_ARGS,
                "ANSIBLE_ROLES_PATH": str(self.root / "roles"),
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "True",
                "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir,
                "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
                "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
                "ANSIBLE_LOCAL_TEMP": str(Path(pdd) / "tmp"),
            }
            kwargs: dict[str, Any] = dict(private_data_dir=pdd, playbook=str(pb), inventory=inventory,
                                          extravars=extravars, envvars=envvars, forks=max(1, forks),
                                          quiet=True, event_handler=events, json_mode=False,
                                          suppress_env_files=False, cmdline=shlex.quote(str(pb)),  # a binary: RAW mode
                                          binary=str(write_launcher(Path(pdd), os.path.abspath(program), control_dir)))
            if limit:
                kwargs["limit"] = ",".join(limit)
            r = ansible_runner.run(**kwargs)
            try:
                log_file.write_text(r.stdout.read())
            except (OSError, ValueError, AttributeError):
                log_file.write_text("(no output captured)\n")
            stats = r.stats or {}
        except BaseException:
            kill_run(Path(pdd))  # an owner that fails (or is interrupted) stops its playbook
            raise
        finally:
            shutil.rmtree(pdd, ignore_errors=True)
            shutil.rmtree(control_dir, ignore_errors=True)
        result = ConfigureResult(ok=(r.rc == 0 and r.status == "successful"),
                                 changed={h: int((stats.get("changed") or {}).get(h, 0))
                                          for h in (stats.get("processed") or {})},
                                 failed=events.failures, duration_s=time.monotonic() - t0, log_file=log_file)
        for h in (stats.get("dark") or {}):
            result.failed.setdefault(h, "unreachable over SSH")
        if not result.ok:
            detail = "; ".join(f"{h}: {m}" for h, m in sorted(result.failed.items())) or f"status {r.status}"
            raise ConfigureError(f"configuration failed ({detail}); full log: {log_file}")
        return result


class _EventCollector:
    """Turns runner events into progress lines and per-host failure messages."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.failures: dict[str, str] = {}
        self._last_task = None

    def __call__(self, event: dict) -> bool:
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind == "playbook_on_task_start":
            task = data.get("task") or ""
            if task and task != self._last_task:
                self._last_task = task
                self.progress(f"configure: {data.get('play', '')}: {task}")
        elif kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            res = data.get("res") or {}
            self.failures[data.get("host", "?")] = f"task '{data.get('task')}': {_failure_text(res, kind)}"
        return True  # keep the event in the artifacts


def _failure_text(res: dict, kind: str) -> str:
    """The useful part of a failed result; for loops, the failed items' own messages."""
    if res.get("censored"):
        return str(res["censored"])
    items = [r for r in res.get("results") or [] if isinstance(r, dict) and r.get("failed")]
    parts = []
    for r in items or [res]:
        if r.get("censored"):
            parts.append(str(r["censored"]))
            continue
        text = " ".join(str(r.get(k) or "").strip() for k in ("msg", "stderr", "stdout") if r.get(k))
        parts.append(text.strip() or kind)
    return "; ".join(parts)[:600]

"""Output for people: a live progress display on stderr and tables; JSON for programs."""
from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

_err = Console(stderr=True)


class Progress:
    """A spinner with the current step and elapsed time; finished steps scroll above it."""

    def __init__(self, action: str, enabled: bool = True):
        self.action, self.enabled = action, enabled and _err.is_terminal
        self.plain = enabled and not _err.is_terminal
        self._status = None
        self._t0 = time.monotonic()
        self._last = ""

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._status = _err.status(f"{self.action}: starting")
            self._status.__enter__()
        return self

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self._t0
        if self.enabled and self._status is not None:
            if self._last and not self._last.startswith("configure:"):
                _err.print(f"[dim]{self._last}[/dim]")
            self._status.update(f"[bold]{self.action}[/bold] {elapsed:5.1f}s  {message}")
        elif self.plain and not message.startswith("configure:"):
            _err.print(f"[{elapsed:6.1f}s] {message}", highlight=False)
        self._last = message

    def __exit__(self, *exc) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)
        if self.enabled or self.plain:
            _err.print(f"{self.action}: {'done' if exc[0] is None else 'failed'} in "
                       f"{time.monotonic() - self._t0:.1f}s", highlight=False)


def _rows(resp: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The list inside an E-HPC list response ({"Clusters": {"ClusterInfoSimple": [...]}})."""
    for v in resp.values():
        if isinstance(v, dict) and len(v) == 1:
            inner = next(iter(v.values()))
            if isinstance(inner, list):
                return inner
    return None


def _cell(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}({_cell(x)})" if isinstance(x, dict) else f"{k}={_cell(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "; ".join(_cell(x) for x in v)
    return str(v)


def render(action: str, resp: dict[str, Any], output: str) -> str:
    if output == "json":
        return json.dumps(resp, indent=2, ensure_ascii=False)
    console = Console(width=160, record=True, file=open("/dev/null", "w"))
    if "Plan" in resp:  # a dry run: the nodes that would be made
        resp = {"Nodes": resp["Plan"]["Nodes"], "TotalCount": len(resp["Plan"]["Nodes"]["NodeInfo"])}
        action = f"{action} --dryrun"
    rows = _rows(resp)
    if rows == []:
        return f"{action}: none (total {resp.get('TotalCount', 0)})"
    if rows is not None:
        preferred = [c for c in ("Id", "HostName", "Name", "Status", "Roles", "Owner", "State", "DeployMode",
                                 "SchedulerType", "Count", "InstanceType", "JobQueue", "PrivateIpAddress",
                                 "CreateTime", "SubmitTime") if c in rows[0]]
        cols = preferred if len(preferred) >= 3 else [c for c, v in rows[0].items()
                                                      if not isinstance(v, dict)][:8]
        t = Table(caption=f"{action}: {resp.get('TotalCount', len(rows))} in total")
        for c in cols:
            t.add_column(c)
        for r in rows:
            t.add_row(*(_cell(r.get(c, "")) for c in cols))
    else:
        body = next((v for v in resp.values() if isinstance(v, dict)), resp)
        t = Table(title=action, show_header=False)
        t.add_column("field", style="bold")
        t.add_column("value")
        for k, v in body.items():
            t.add_row(k, _cell(v))
        if body is not resp:
            t.add_row("RequestId", str(resp.get("RequestId", "")))
    console.print(t)
    return console.export_text().rstrip()

"""SQLite tables of the shell commands: one row per command, one per (command, node).

Kept in the same ``state.db`` as the clusters (``StateStore._conn()``), in tables of their
own. A result row is written as ``Running`` before the command starts and updated when its
node finishes; a ``Running`` row whose runner process is gone, or which outlived its
Timeout by far, is settled as ``Stopped`` when read (the process running it was killed).
"""
from __future__ import annotations

import os
import time
from typing import Any, Optional

from .state import StateStore, now_iso


RUNNING, FINISHED, FAILED, STOPPED = "Running", "Finished", "Failed", "Stopped"
# How long past its Timeout a Running row may stay before it is taken for abandoned.
STALE_GRACE_S = 300


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class CommandStore:
    def __init__(self, state: StateStore):
        self.state = state

    # --- writes ------------------------------------------------------------------
    def insert(self, command_id: str, cluster_id: str, request_id: str, content: str, working_dir: str,
               timeout: int, nodes: list[tuple[str, str]], kind: str = "shell") -> None:
        """nodes: (instance id, host name), in the order results are listed."""
        with self.state._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("INSERT INTO commands (id, cluster_id, request_id, kind, content, working_dir, timeout,"
                          " runner_pid, create_time, started) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          (command_id, cluster_id, request_id, kind, content, working_dir, timeout, os.getpid(),
                           now_iso(), time.time()))
                c.executemany("INSERT INTO command_results (command_id, seq, instance_id, hostname, status)"
                              " VALUES (?,?,?,?,?)",
                              [(command_id, i, iid, host, RUNNING) for i, (iid, host) in enumerate(nodes)])
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def set_runner(self, command_id: str, pid: int) -> None:
        with self.state._conn() as c:
            c.execute("UPDATE commands SET runner_pid = ? WHERE id = ?", (pid, command_id))

    def finish(self, command_id: str, instance_id: str, status: str, exit_code: Optional[int], output: str,
               error: str) -> None:
        with self.state._conn() as c:
            c.execute("UPDATE command_results SET status = ?, exit_code = ?, output = ?, error = ?,"
                      " finished_time = ? WHERE command_id = ? AND instance_id = ? AND status = ?",
                      (status, exit_code, output, error, now_iso(), command_id, instance_id, RUNNING))

    def stop_running(self, command_id: str, reason: str, status: str = STOPPED) -> None:
        with self.state._conn() as c:
            c.execute("UPDATE command_results SET status = ?, error = ?, finished_time = ?"
                      " WHERE command_id = ? AND status = ?", (status, reason, now_iso(), command_id, RUNNING))

    def purge_orphans(self) -> None:
        """Commands of clusters that no longer exist."""
        with self.state._conn() as c:
            c.execute("DELETE FROM command_results WHERE command_id IN (SELECT id FROM commands WHERE cluster_id"
                      " NOT IN (SELECT id FROM clusters))")
            c.execute("DELETE FROM commands WHERE cluster_id NOT IN (SELECT id FROM clusters)")

    # --- reads -------------------------------------------------------------------
    def get(self, command_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            row = c.execute("SELECT * FROM commands WHERE id = ?", (command_id,)).fetchone()
        return dict(row) if row else None

    def commands(self, cluster_id: str, command_id: Optional[str], offset: int,
                 limit: int) -> tuple[int, list[dict[str, Any]]]:
        where, args = "cluster_id = ?", [cluster_id]
        if command_id:
            where += " AND id = ?"
            args.append(command_id)
        with self.state._conn() as c:
            total = c.execute(f"SELECT COUNT(*) FROM commands WHERE {where}", args).fetchone()[0]
            rows = c.execute(f"SELECT * FROM commands WHERE {where} ORDER BY started DESC, id LIMIT ? OFFSET ?",
                             [*args, limit, offset]).fetchall()
        return total, [dict(r) for r in rows]

    def results(self, command_id: str) -> list[dict[str, Any]]:
        self._settle(command_id)
        with self.state._conn() as c:
            rows = c.execute("SELECT * FROM command_results WHERE command_id = ? ORDER BY seq",
                             (command_id,)).fetchall()
        return [dict(r) for r in rows]

    def latest_for_instance(self, instance_id: str, kind: str) -> Optional[dict[str, Any]]:
        """The newest command of ``kind`` that ran on ``instance_id``, with its result on that node."""
        with self.state._conn() as c:
            row = c.execute("SELECT c.id FROM commands c JOIN command_results r ON r.command_id = c.id"
                            " WHERE r.instance_id = ? AND c.kind = ? ORDER BY c.started DESC LIMIT 1",
                            (instance_id, kind)).fetchone()
        if row is None:
            return None
        res = [r for r in self.results(row["id"]) if r["instance_id"] == instance_id]
        return {"command": self.get(row["id"]), "result": res[0] if res else None}

    def _settle(self, command_id: str) -> None:
        """Running rows left by a runner that died (or that overran by far) become Stopped."""
        cmd = self.get(command_id)
        if cmd is None:
            return
        with self.state._conn() as c:
            running = c.execute("SELECT COUNT(*) FROM command_results WHERE command_id = ? AND status = ?",
                                (command_id, RUNNING)).fetchone()[0]
        if not running:
            return
        if not pid_alive(cmd["runner_pid"]):
            self.stop_running(command_id, "interrupted: the process running the command ended")
        elif time.time() > cmd["started"] + cmd["timeout"] + STALE_GRACE_S:
            self.stop_running(command_id, f"no result {STALE_GRACE_S}s after the Timeout: abandoned")


"""Cluster state in an embedded SQLite database under the state directory.

The state directory is ``$EHPC_IAC_HOME`` (default ``~/.ehpc-iac``):

    state.db                    clusters, operation logs
    clusters/<id>/ssh/          the cluster's SSH key pair (0600)
    clusters/<id>/logs/         Ansible output (secrets censored by no_log)
    locks/<id>.lock             per-cluster write lock

No clear-text secret is stored: passwords are kept only as SHA-512 crypt hashes.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..plan import ClusterPlan
from ..sqlite_local import LocalSqlite
from .schema import STATE_SCHEMA



def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def default_home() -> Path:
    return Path(os.environ.get("EHPC_IAC_HOME") or Path.home() / ".ehpc-iac")


@dataclass
class ClusterRecord:
    id: str
    name: str
    description: str
    status: str
    status_reason: str
    engine: str
    spec: dict[str, Any]
    plan: ClusterPlan
    root_password_hash: str
    client_token: Optional[str]
    create_time: str
    update_time: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "ClusterRecord":
        return cls(id=row["id"], name=row["name"], description=row["description"], status=row["status"],
                   status_reason=row["status_reason"], engine=row["engine"], spec=json.loads(row["spec_json"]),
                   plan=ClusterPlan.from_dict(json.loads(row["plan_json"])),
                   root_password_hash=row["root_password_hash"], client_token=row["client_token"],
                   create_time=row["create_time"], update_time=row["update_time"])


class StateStore:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db_path = self.home / "state.db"
        self._db = LocalSqlite(self.db_path, STATE_SCHEMA)

    def _conn(self):
        return self._db.conn()

    def cluster_dir(self, cluster_id: str) -> Path:
        return self.home / "clusters" / cluster_id

    # --- clusters ----------------------------------------------------------
    def insert_cluster(self, rec: ClusterRecord) -> None:
        with self._conn() as c:
            c.execute(
                "INSERT INTO clusters (id, name, description, status, status_reason, engine, spec_json, plan_json,"
                " root_password_hash, client_token, create_time, update_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (rec.id, rec.name, rec.description, rec.status, rec.status_reason, rec.engine,
                 json.dumps(rec.spec), json.dumps(rec.plan.to_dict()), rec.root_password_hash,
                 rec.client_token, rec.create_time, rec.update_time))

    def get_cluster(self, cluster_id: str) -> Optional[ClusterRecord]:
        with self._conn() as c:
            row = c.execute("SELECT * FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
        return ClusterRecord.from_row(row) if row else None

    def find_by_token(self, token: str) -> Optional[ClusterRecord]:
        with self._conn() as c:
            row = c.execute("SELECT * FROM clusters WHERE client_token = ?", (token,)).fetchone()
        return ClusterRecord.from_row(row) if row else None

    def list_clusters(self, offset: int = 0, limit: int = 10) -> tuple[int, list[ClusterRecord]]:
        with self._conn() as c:
            total = c.execute("SELECT COUNT(*) FROM clusters").fetchone()[0]
            rows = c.execute("SELECT * FROM clusters ORDER BY create_time DESC, id LIMIT ? OFFSET ?",
                             (limit, offset)).fetchall()
        return total, [ClusterRecord.from_row(r) for r in rows]

    def update_cluster(self, cluster_id: str, **fields: Any) -> None:
        cols = {"name", "description", "status", "status_reason", "plan_json", "spec_json", "root_password_hash"}
        sets, values = [], []
        for k, v in fields.items():
            if k == "plan":
                k, v = "plan_json", json.dumps(v.to_dict())
            elif k == "spec":
                k, v = "spec_json", json.dumps(v)
            if k not in cols:
                raise ValueError(k)
            sets.append(f"{k} = ?")
            values.append(v)
        sets.append("update_time = ?")
        values += [now_iso(), cluster_id]
        with self._conn() as c:
            c.execute(f"UPDATE clusters SET {', '.join(sets)} WHERE id = ?", values)

    def delete_cluster(self, cluster_id: str) -> None:
        """Forget the cluster: its row and its rows in every table keyed by cluster_id (the
        operation logs are kept as history; job templates belong to the account)."""
        with self._conn() as c:
            c.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for t in tables:
                cols = {r[1] for r in c.execute(f"PRAGMA table_info({t})")}
                if "cluster_id" in cols and t not in ("logs", "job_templates"):
                    c.execute(f"DELETE FROM {t} WHERE cluster_id = ?", (cluster_id,))

    # --- users ------------------------------------------------------------------
    FIRST_UID = 1001
    # The highest uid ever given per cluster: a deleted user's home stays on /home, so its
    # uid is never given to a new user (who would own the old files).

    def users(self, cluster_id: str) -> list[dict[str, Any]]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM users WHERE cluster_id = ? ORDER BY uid", (cluster_id,)).fetchall()
        return [dict(r) for r in rows]

    def add_users(self, cluster_id: str, users: list[tuple[str, str, str]]) -> None:
        """users: (name, group, password_hash); uids are allocated here, in one transaction."""
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                top = c.execute("SELECT MAX(uid) FROM users WHERE cluster_id = ?", (cluster_id,)).fetchone()[0]
                mark = c.execute("SELECT last_uid FROM user_uid_marks WHERE cluster_id = ?",
                                 (cluster_id,)).fetchone()
                uid = max(top or 0, mark[0] if mark else 0, self.FIRST_UID - 1)
                for name, grp, pw in users:
                    uid += 1
                    c.execute("INSERT INTO users (cluster_id, name, uid, grp, password_hash, add_time)"
                              " VALUES (?,?,?,?,?,?)", (cluster_id, name, uid, grp, pw, now_iso()))
                c.execute("INSERT INTO user_uid_marks (cluster_id, last_uid) VALUES (?, ?) ON CONFLICT(cluster_id)"
                          " DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid)", (cluster_id, uid))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def delete_users(self, cluster_id: str, names: list[str]) -> None:
        with self._conn() as c:
            c.executemany("DELETE FROM users WHERE cluster_id = ? AND name = ?", [(cluster_id, n) for n in names])

    def update_users(self, cluster_id: str, column: str, values: dict[str, str]) -> None:
        """Set ``column`` (``password_hash`` or ``grp``) of the named users, in one transaction."""
        if column not in ("password_hash", "grp"):
            raise ValueError(column)
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.executemany(f"UPDATE users SET {column} = ? WHERE cluster_id = ? AND name = ?",
                              [(v, cluster_id, n) for n, v in values.items()])
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def restore_users(self, cluster_id: str, rows: list[dict[str, Any]]) -> None:
        """Put back a snapshot taken with :meth:`users` (uids, hashes, groups and add times as they were)."""
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("DELETE FROM users WHERE cluster_id = ?", (cluster_id,))
                c.executemany("INSERT INTO users (cluster_id, name, uid, grp, password_hash, add_time)"
                              " VALUES (?,?,?,?,?,?)",
                              [(cluster_id, r["name"], r["uid"], r["grp"], r["password_hash"], r["add_time"])
                               for r in rows])
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    # --- logs ----------------------------------------------------------------
    def add_log(self, cluster_id: str, request_id: str, operation: str, level: str, message: str) -> None:
        with self._conn() as c:
            c.execute("INSERT INTO logs (cluster_id, request_id, operation, level, message, create_time)"
                      " VALUES (?,?,?,?,?,?)", (cluster_id, request_id, operation, level, message, now_iso()))

    def logs(self, cluster_id: str) -> list[dict[str, Any]]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM logs WHERE cluster_id = ? ORDER BY seq", (cluster_id,)).fetchall()
        return [dict(r) for r in rows]

"""Our own record of submitted jobs (Slurm here keeps no accounting database), in the state
database: a table ``jobs`` created on first use."""
from __future__ import annotations

from typing import Any, Optional

from .state import StateStore, now_iso

_COLUMNS = ("cluster_id", "id", "name", "owner", "queue", "stdout", "stderr", "workdir", "array_request",
            "priority", "rerunable", "submit_time", "state", "raw_state", "node_list", "start_time",
            "end_time", "nodes", "cores", "last_modify_time", "deleted")


class JobStore:
    def __init__(self, state: StateStore):
        self.state = state

    def add(self, cluster_id: str, job_id: str, **fields: Any) -> None:
        row = {"cluster_id": cluster_id, "id": job_id, "submit_time": now_iso(), "last_modify_time": now_iso(),
               "deleted": 0, **fields}
        cols = ", ".join(row)
        with self.state._conn() as c:
            c.execute(f"INSERT OR REPLACE INTO jobs ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))

    def get(self, cluster_id: str, job_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            r = c.execute("SELECT * FROM jobs WHERE cluster_id = ? AND id = ?", (cluster_id, job_id)).fetchone()
        return dict(r) if r else None

    def all(self, cluster_id: str) -> list[dict[str, Any]]:
        with self.state._conn() as c:
            rows = c.execute("SELECT * FROM jobs WHERE cluster_id = ? ORDER BY CAST(id AS INTEGER)",
                             (cluster_id,)).fetchall()
        return [dict(r) for r in rows]

    def update(self, cluster_id: str, job_id: str, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if k in _COLUMNS}
        if not fields:
            return
        fields["last_modify_time"] = now_iso()
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.state._conn() as c:
            c.execute(f"UPDATE jobs SET {sets} WHERE cluster_id = ? AND id = ?", (*fields.values(), cluster_id, job_id))

    def mark_deleted(self, cluster_id: str, job_id: str) -> None:
        self.update(cluster_id, job_id, deleted=1)

    def drop_cluster(self, cluster_id: str) -> None:
        with self.state._conn() as c:
            c.execute("DELETE FROM jobs WHERE cluster_id = ?", (cluster_id,))

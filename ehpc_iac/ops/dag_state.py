"""Our record of DAG jobs (seed 002) and of the Slurm job behind each task, in the state database:
tables ``dag_jobs`` and ``dag_tasks``, created on first use."""
from __future__ import annotations

import json
from typing import Any, Optional

from .state import StateStore, now_iso

_JOB_COLUMNS = ("name", "description", "owner", "priority", "fail_on_instance_fail", "state", "stopped",
                "request_json", "start_time", "end_time", "last_modify_time")
_TASK_COLUMNS = ("slurm_id", "state", "raw_state", "reason", "start_time", "end_time")


class DagStore:
    def __init__(self, state: StateStore):
        self.state = state

    def add_job(self, cluster_id: str, job_id: str, *, tasks: list[dict[str, Any]], **fields: Any) -> None:
        """The job and its tasks (``name, position, instance_count, max_retry, timeout, sources``), at once."""
        now = now_iso()
        row = {"cluster_id": cluster_id, "id": job_id, "create_time": now, "last_modify_time": now, **fields}
        with self.state._conn() as c:
            c.execute(f"INSERT INTO dag_jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                      tuple(row.values()))
            for t in tasks:
                trow = {"cluster_id": cluster_id, "job_id": job_id, **t,
                        "sources": json.dumps(t.get("sources", []))}
                c.execute(f"INSERT INTO dag_tasks ({', '.join(trow)}) VALUES ({', '.join('?' * len(trow))})",
                          tuple(trow.values()))

    def get_job(self, cluster_id: str, job_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            r = c.execute("SELECT * FROM dag_jobs WHERE cluster_id = ? AND id = ?", (cluster_id, job_id)).fetchone()
        return dict(r) if r else None

    def jobs(self, cluster_id: str) -> list[dict[str, Any]]:
        with self.state._conn() as c:
            rows = c.execute("SELECT * FROM dag_jobs WHERE cluster_id = ? ORDER BY rowid",
                             (cluster_id,)).fetchall()
        return [dict(r) for r in rows]

    def tasks(self, cluster_id: str, job_id: str) -> list[dict[str, Any]]:
        with self.state._conn() as c:
            rows = c.execute("SELECT * FROM dag_tasks WHERE cluster_id = ? AND job_id = ? ORDER BY position",
                             (cluster_id, job_id)).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["sources"] = json.loads(d["sources"] or "[]")
            out.append(d)
        return out

    def update_job(self, cluster_id: str, job_id: str, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if k in _JOB_COLUMNS}
        if not fields:
            return
        fields["last_modify_time"] = now_iso()
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.state._conn() as c:
            c.execute(f"UPDATE dag_jobs SET {sets} WHERE cluster_id = ? AND id = ?",
                      (*fields.values(), cluster_id, job_id))

    def update_task(self, cluster_id: str, job_id: str, name: str, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if k in _TASK_COLUMNS}
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.state._conn() as c:
            c.execute(f"UPDATE dag_tasks SET {sets} WHERE cluster_id = ? AND job_id = ? AND name = ?",
                      (*fields.values(), cluster_id, job_id, name))

    def drop_cluster(self, cluster_id: str) -> None:
        with self.state._conn() as c:
            c.execute("DELETE FROM dag_tasks WHERE cluster_id = ?", (cluster_id,))
            c.execute("DELETE FROM dag_jobs WHERE cluster_id = ?", (cluster_id,))

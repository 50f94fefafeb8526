"""The REST job API's own records: submission id -> tenant, cluster, cluster job id, request, status.

They live in ``$EHPC_IAC_HOME/api/api.db`` beside the access keys (where they always were). A
record is made before the job is submitted (so two requests with one submission id cannot both
submit) and removed again when the submission fails. Submission ids are unique per tenant.
"""
from __future__ import annotations

import json
import sqlite3
import time
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from ..errors import ApiRequestError
from ..sqlite_local import ApiDb
from .schema import REST_JOBS_SCHEMA

UPDATABLE = frozenset(("job_id", "status", "message", "scheduler_state", "scheduler_start_time",
                       "scheduler_end_time", "end_time"))


class JobStatus(str, Enum):
    """A REST job's status (the Ray Jobs words), derived from the scheduler's (ops/rest_jobs.py)."""
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


TERMINAL = frozenset({JobStatus.STOPPED.value, JobStatus.SUCCEEDED.value, JobStatus.FAILED.value})


def now_ms() -> int:
    return int(time.time() * 1000)


class SubmissionIdExists(ApiRequestError):
    code = "SubmissionIdAlreadyExists"
    http_status = 409

    def __init__(self, submission_id: str):
        super().__init__(f"A job with the submission id {submission_id} already exists; give another "
                         "submission_id, or none to have one made.", field="submission_id")


def _row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["request"] = json.loads(d["request"])
    return d


class RestJobStore:
    def __init__(self, home: Path | str):
        self._db = ApiDb(Path(home), REST_JOBS_SCHEMA)

    def reserve(self, tenant: str, submission_id: str, *, cluster_id: str, job_queue: Optional[str],
                runas_user: str, access_key_id: str, request: dict[str, Any], status: str) -> None:
        """Record a submission before it is made; SubmissionIdExists when the tenant has the id."""
        try:
            with self._db.conn() as c:
                c.execute("INSERT INTO rest_jobs (tenant, submission_id, cluster_id, job_queue, runas_user, "
                          "access_key_id, request, status, start_time) VALUES (?,?,?,?,?,?,?,?,?)",
                          (tenant, submission_id, cluster_id, job_queue, runas_user, access_key_id,
                           json.dumps(request), status, now_ms()))
        except sqlite3.IntegrityError:
            raise SubmissionIdExists(submission_id) from None

    def update(self, tenant: str, submission_id: str, **fields: Any) -> None:
        bad = set(fields) - UPDATABLE
        if bad:
            raise ValueError(f"not updatable: {sorted(bad)}")
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._db.conn() as c:
            c.execute(f"UPDATE rest_jobs SET {sets} WHERE tenant = ? AND submission_id = ?",
                      (*fields.values(), tenant, submission_id))

    def get(self, tenant: str, submission_id: str) -> Optional[dict[str, Any]]:
        with self._db.conn() as c:
            r = c.execute("SELECT * FROM rest_jobs WHERE tenant = ? AND submission_id = ?",
                          (tenant, submission_id)).fetchone()
        return _row(r) if r else None

    def list(self, tenant: str) -> list[dict[str, Any]]:
        with self._db.conn() as c:
            rows = c.execute("SELECT * FROM rest_jobs WHERE tenant = ? ORDER BY start_time, submission_id",
                             (tenant,)).fetchall()
        return [_row(r) for r in rows]

    def delete(self, tenant: str, submission_id: str) -> bool:
        with self._db.conn() as c:
            return c.execute("DELETE FROM rest_jobs WHERE tenant = ? AND submission_id = ?",
                             (tenant, submission_id)).rowcount > 0

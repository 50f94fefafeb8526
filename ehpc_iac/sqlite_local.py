"""SQLite shared by threads: one connection per thread, WAL, a 30 s busy timeout, autocommit.

The state store (ops/state.py), the HTTP endpoint's key store (api/keys.py) and the REST job
API's records (ops/rest_jobs_state.py) are used by many worker threads at once; an SQLite
connection must not be.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class LocalSqlite:
    def __init__(self, path: Path, schema: str = ""):
        self.path = Path(path)
        self._local = threading.local()
        if schema:
            with self.conn() as c:
                c.executescript(schema)

    @contextmanager
    def conn(self) -> Iterator[sqlite3.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        yield conn


class ApiDb(LocalSqlite):
    """``$EHPC_IAC_HOME/api/api.db`` (0600): the access keys and nonces of the HTTP endpoint
    (api/keys.py) and the REST job API's records (ops/rest_jobs_state.py), each store with its
    own tables. Here, below both layers, so that the records stay in the file they always had."""

    def __init__(self, home: Path, schema: str):
        self.dir = Path(home) / "api"
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        super().__init__(self.dir / "api.db", schema)
        os.chmod(self.path, 0o600)

"""What the node operations keep beside the plan: transient node statuses and AddNodes tokens."""
from __future__ import annotations

import json
from typing import Optional

from .state import StateStore, now_iso



class NodeStateStore:
    def __init__(self, state: StateStore):
        self.state = state

    def set(self, cluster_id: str, hostnames: list[str], status: str, reason: str = "") -> None:
        with self.state._conn() as c:
            c.executemany("INSERT OR REPLACE INTO node_status (cluster_id, hostname, status, reason, update_time)"
                          " VALUES (?,?,?,?,?)", [(cluster_id, h, status, reason, now_iso()) for h in hostnames])

    def clear(self, cluster_id: str, hostnames: Optional[list[str]] = None) -> None:
        with self.state._conn() as c:
            if hostnames is None:
                c.execute("DELETE FROM node_status WHERE cluster_id = ?", (cluster_id,))
            else:
                c.executemany("DELETE FROM node_status WHERE cluster_id = ? AND hostname = ?",
                              [(cluster_id, h) for h in hostnames])

    def all(self, cluster_id: str) -> dict[str, dict]:
        with self.state._conn() as c:
            rows = c.execute("SELECT * FROM node_status WHERE cluster_id = ?", (cluster_id,)).fetchall()
        return {r["hostname"]: {"status": r["status"], "reason": r["reason"]} for r in rows}

    def token(self, cluster_id: str, token: str) -> Optional[dict]:
        with self.state._conn() as c:
            row = c.execute("SELECT * FROM add_nodes_tokens WHERE cluster_id = ? AND token = ?",
                            (cluster_id, token)).fetchone()
        return {"instance_ids": json.loads(row["instance_ids"]), "task_id": row["task_id"]} if row else None

    def save_token(self, cluster_id: str, token: str, instance_ids: list[str], task_id: str) -> None:
        with self.state._conn() as c:
            c.execute("INSERT OR REPLACE INTO add_nodes_tokens VALUES (?,?,?,?)",
                      (cluster_id, token, json.dumps(instance_ids), task_id))

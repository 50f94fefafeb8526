"""What auto scaling keeps in state.db: each cluster's settings, the nodes the scaler is removing,
and the lease that lets one scaler act per state directory.

The lease is a row (``autoscale_lease``) naming its holder and when it expires; a holder renews
it while it runs. A second scaler (``ehpc-iac autoscale`` beside ``ehpc-iac serve``, or two
servers over one directory) waits until the row expires, so two processes never both act. A
scaler that is killed stops renewing, and another takes over after the lease's time to live.
"""
from __future__ import annotations

import json
import time
from typing import Any, Optional

from .state import StateStore, now_iso

LEASE_NAME = "autoscaler"


class AutoScaleStore:
    def __init__(self, state: StateStore):
        self.state = state

    # --- settings -----------------------------------------------------------------------
    def config(self, cluster_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            row = c.execute("SELECT config_json FROM autoscale_config WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def save_config(self, cluster_id: str, config: dict[str, Any]) -> None:
        with self.state._conn() as c:
            c.execute("INSERT OR REPLACE INTO autoscale_config (cluster_id, config_json, update_time) VALUES (?,?,?)",
                      (cluster_id, json.dumps(config), now_iso()))

    def configs(self) -> dict[str, dict[str, Any]]:
        """Every cluster's settings (the scaler reads this each tick: one small query)."""
        with self.state._conn() as c:
            rows = c.execute("SELECT cluster_id, config_json FROM autoscale_config").fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    # --- nodes being removed (drained by the scaler, not yet deleted) ------------------------
    def mark_shrinking(self, cluster_id: str, hostnames: list[str]) -> None:
        with self.state._conn() as c:
            c.executemany("INSERT OR REPLACE INTO autoscale_shrinking (cluster_id, hostname, since) VALUES (?,?,?)",
                          [(cluster_id, h, now_iso()) for h in hostnames])

    def clear_shrinking(self, cluster_id: str, hostnames: list[str]) -> None:
        with self.state._conn() as c:
            c.executemany("DELETE FROM autoscale_shrinking WHERE cluster_id = ? AND hostname = ?",
                          [(cluster_id, h) for h in hostnames])

    def shrinking(self, cluster_id: str) -> list[str]:
        with self.state._conn() as c:
            rows = c.execute("SELECT hostname FROM autoscale_shrinking WHERE cluster_id = ? ORDER BY hostname",
                             (cluster_id,)).fetchall()
        return [r[0] for r in rows]

    # --- the lease ------------------------------------------------------------------------------
    def acquire_lease(self, holder: str, ttl: float, now: Optional[float] = None) -> bool:
        """Take or renew the lease; False while another holder's lease has not expired."""
        now = time.time() if now is None else now
        with self.state._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute("SELECT holder, expires FROM autoscale_lease WHERE name = ?", (LEASE_NAME,)).fetchone()
                if row and row[0] != holder and row[1] > now:
                    c.execute("ROLLBACK")
                    return False
                c.execute("INSERT OR REPLACE INTO autoscale_lease (name, holder, expires) VALUES (?,?,?)",
                          (LEASE_NAME, holder, now + ttl))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return True

    def release_lease(self, holder: str) -> None:
        with self.state._conn() as c:
            c.execute("DELETE FROM autoscale_lease WHERE name = ? AND holder = ?", (LEASE_NAME, holder))

    def lease_holder(self, now: Optional[float] = None) -> Optional[str]:
        now = time.time() if now is None else now
        with self.state._conn() as c:
            row = c.execute("SELECT holder, expires FROM autoscale_lease WHERE name = ?", (LEASE_NAME,)).fetchone()
        return row[0] if row and row[1] > now else None

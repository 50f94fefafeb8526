"""Job templates in the state database: a table ``job_templates`` created on first use. A template
belongs to one cluster; its fields are stored as JSON with the API's names, already validated."""
from __future__ import annotations

import json
import secrets
import string
from typing import Any, Optional

from .state import StateStore, now_iso

_ALPHABET = string.ascii_letters + string.digits


def new_template_id() -> str:
    return "ehpc-job-tmpl-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


class JobTemplateStore:
    def __init__(self, state: StateStore):
        self.state = state

    @staticmethod
    def _row(r: Any) -> dict[str, Any]:
        d = dict(r)
        d["fields"] = json.loads(d["fields"])
        return d

    def add(self, cluster_id: str, fields: dict[str, Any]) -> str:
        tid = new_template_id()
        now = now_iso()
        with self.state._conn() as c:
            c.execute("INSERT INTO job_templates (cluster_id, id, name, fields, create_time, modify_time) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (cluster_id, tid, fields["Name"], json.dumps(fields), now, now))
        return tid

    def get(self, cluster_id: str, template_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            r = c.execute("SELECT * FROM job_templates WHERE cluster_id = ? AND id = ?",
                          (cluster_id, template_id)).fetchone()
        return self._row(r) if r else None

    def all(self, cluster_id: str, name: Optional[str] = None) -> list[dict[str, Any]]:
        q, args = "SELECT * FROM job_templates WHERE cluster_id = ?", [cluster_id]
        if name is not None:
            q += " AND name = ?"
            args.append(name)
        with self.state._conn() as c:
            rows = c.execute(q + " ORDER BY create_time, rowid", args).fetchall()
        return [self._row(r) for r in rows]

    def replace(self, cluster_id: str, template_id: str, fields: dict[str, Any]) -> None:
        with self.state._conn() as c:
            c.execute("UPDATE job_templates SET name = ?, fields = ?, modify_time = ? WHERE cluster_id = ? AND id = ?",
                      (fields["Name"], json.dumps(fields), now_iso(), cluster_id, template_id))

    def delete(self, cluster_id: str, template_ids: list[str]) -> list[str]:
        """Delete all of ``template_ids`` or none: returns the ids that do not exist (nothing deleted then)."""
        with self.state._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                marks = ", ".join("?" * len(template_ids))
                found = {r[0] for r in c.execute(
                    f"SELECT id FROM job_templates WHERE cluster_id = ? AND id IN ({marks})",
                    (cluster_id, *template_ids)).fetchall()}
                missing = [t for t in template_ids if t not in found]
                if not missing:
                    c.execute(f"DELETE FROM job_templates WHERE cluster_id = ? AND id IN ({marks})",
                              (cluster_id, *template_ids))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return missing

    def drop_cluster(self, cluster_id: str) -> None:
        with self.state._conn() as c:
            c.execute("DELETE FROM job_templates WHERE cluster_id = ?", (cluster_id,))

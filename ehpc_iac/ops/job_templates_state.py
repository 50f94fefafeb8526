"""Job templates in the state database (table ``job_templates``, ops/schema.py). Templates belong
to the account, as in E-HPC: new ones are stored with an empty ``cluster_id``; a template an
older state.db stored under a cluster is still found by its id (ids are unique), listed, edited
and deleted like the others. Fields are stored as JSON with the API's names, already validated."""
from __future__ import annotations

import json
import secrets
import string
from typing import Any, Optional

from .state import StateStore, now_iso

_ALPHABET = string.ascii_letters + string.digits
ACCOUNT = ""      # the cluster_id of an account-level template


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

    def add(self, fields: dict[str, Any]) -> str:
        tid = new_template_id()
        now = now_iso()
        with self.state._conn() as c:
            c.execute("INSERT INTO job_templates (cluster_id, id, name, fields, create_time, modify_time) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (ACCOUNT, tid, fields["Name"], json.dumps(fields), now, now))
        return tid

    def get(self, template_id: str) -> Optional[dict[str, Any]]:
        with self.state._conn() as c:
            r = c.execute("SELECT * FROM job_templates WHERE id = ? ORDER BY rowid LIMIT 1",
                          (template_id,)).fetchone()
        return self._row(r) if r else None

    def all(self, name: Optional[str] = None) -> list[dict[str, Any]]:
        q, args = "SELECT * FROM job_templates", []
        if name is not None:
            q += " WHERE name = ?"
            args.append(name)
        with self.state._conn() as c:
            rows = c.execute(q + " ORDER BY create_time, rowid", args).fetchall()
        return [self._row(r) for r in rows]

    def replace(self, template_id: str, fields: dict[str, Any]) -> None:
        with self.state._conn() as c:
            c.execute("UPDATE job_templates SET name = ?, fields = ?, modify_time = ? WHERE id = ?",
                      (fields["Name"], json.dumps(fields), now_iso(), template_id))

    def delete(self, template_ids: list[str]) -> list[str]:
        """Delete all of ``template_ids`` or none: returns the ids that do not exist (nothing deleted then)."""
        with self.state._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                marks = ", ".join("?" * len(template_ids))
                found = {r[0] for r in c.execute(f"SELECT id FROM job_templates WHERE id IN ({marks})",
                                                 tuple(template_ids)).fetchall()}
                missing = [t for t in template_ids if t not in found]
                if not missing:
                    c.execute(f"DELETE FROM job_templates WHERE id IN ({marks})", tuple(template_ids))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return missing

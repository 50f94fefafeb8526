"""ListClusterLogs: the cluster's operation log, newest first, paged.

Every operation records its start, its steps and its end (``OpsCore._recorded`` and the
shell-command operations) with a level (``info``, ``warn``, ``error``), the operation's
name, its request id and the time. The per-task lines of Ansible runs are kept at level
``debug``; they are left out unless ``IncludeDebug`` (not a reference parameter) is true.
Unlike the cloud service, which keeps three days, entries stay until the cluster is deleted.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..spec.commands import ListClusterLogsRequest
from .core import Area, new_request_id


class LogOps(Area):

    def list_cluster_logs(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListClusterLogsRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        where, args = "cluster_id = ?", [rec.id]
        if not req.IncludeDebug:
            where += " AND level != 'debug'"
        with self.core.state._conn() as c:
            total = c.execute(f"SELECT COUNT(*) FROM logs WHERE {where}", args).fetchone()[0]
            rows = c.execute(f"SELECT * FROM logs WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                             [*args, req.PageSize, (req.PageNumber - 1) * req.PageSize]).fetchall()
        return {"RequestId": new_request_id(), "TotalCount": total, "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "ClusterId": rec.id,
                "Logs": {"LogInfo": [{"Operation": r["operation"], "Level": r["level"], "Message": r["message"],
                                      "CreateTime": r["create_time"], "RequestId": r["request_id"]}
                                     for r in rows]}}


__all__ = ["LogOps"]

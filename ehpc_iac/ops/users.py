"""User operations (NIS accounts): AddUsers, ListUsers.

Passwords are hashed (SHA-512 crypt) before they leave this process; only the
hash is stored and sent to the account server.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..configure import sha512_crypt
from ..engines import Progress, no_progress
from ..errors import UsernameExist
from ..spec.users import AddUsersRequest, ListUsersRequest
from .clusters import ClusterOps
from .core import RUNNING, new_request_id


class UserOps(ClusterOps):

    def _configure_users(self, cluster_id: str) -> list[dict]:
        return [{"name": u["name"], "uid": u["uid"], "group": u["grp"], "password_hash": u["password_hash"]}
                for u in self.state.users(cluster_id)]

    def add_users(self, params: Optional[Mapping[str, Any]] = None, /, *,
                  progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self._request(AddUsersRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        self._require_status(rec, "AddUsers", (RUNNING,))
        existing = {u["name"] for u in self.state.users(rec.id)}
        seen: set[str] = set()
        for i, u in enumerate(req.User, start=1):
            if u.Name in existing or u.Name in seen:
                raise UsernameExist(u.Name, field=f"User.{i}.Name")
            seen.add(u.Name)
        hashed = [(u.Name, u.Group, sha512_crypt(u.Password.get_secret_value())) for u in req.User]

        def body(step: Progress) -> None:
            self.state.add_users(rec.id, hashed)
            try:
                nodes = self.engine(rec.engine).inspect(rec.plan)
                step(f"creating {len(hashed)} NIS account(s)")
                self._configure(rec, nodes, step, playbook="users.yml")
            except BaseException:
                self.state.delete_users(rec.id, [h[0] for h in hashed])
                raise

        task = self._operation(rec, "AddUsers", body, progress=progress, async_=req.Async, on_error_status=None)
        return {"RequestId": task, "TaskId": task}

    def list_users(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self._request(ListUsersRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        users = self.state.users(rec.id)
        page = users[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(users), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "Users": {"UserInfo": [{"Name": u["name"], "Group": u["grp"], "UserId": str(u["uid"]),
                                        "GroupId": "1000" if u["grp"] == "users" else "27",
                                        "AddTime": u["add_time"]} for u in page]}}

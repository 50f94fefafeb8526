"""User operations (NIS accounts): AddUsers, DeleteUsers, ListUsers, ModifyUserPasswords,
ModifyUserGroups.

Passwords are hashed (SHA-512 crypt) before they leave this process; only the hash is
stored and sent to the account server (the nis_users role handles it with ``no_log``).

Every write checks the whole request first (unknown user -> ``AgentError.Account.UserNotExist``
naming ``User.N.Name``; a name listed twice, a bad group or more than 100 users ->
``InvalidParams`` naming the field), so bad input changes nothing. The stored users are then
changed and ``playbooks/users.yml`` (account server only) makes the NIS maps match them; if
that run fails, the stored users are put back as they were and the error is raised (the
cluster keeps its status: the next users.yml run, by any user operation or RecoverCluster,
converges the account server to the stored users).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from ..configure import sha512_crypt
from ..engines import Progress, no_progress
from ..errors import UsernameExist, UserNotExist
from ..spec.users import (AddUsersRequest, DeleteUsersRequest, ListUsersRequest, ModifyUserGroupsRequest,
                          ModifyUserPasswordsRequest)
from .clusters import ClusterOps
from .core import RUNNING, new_request_id
from .state import ClusterRecord

GROUP_IDS = {"users": "100", "wheel": "990"}   # Debian's users gid; wheel = ehpc_wheel_gid (roles/common)


class UserOps(ClusterOps):

    def _configure_users(self, cluster_id: str) -> list[dict]:
        return [{"name": u["name"], "uid": u["uid"], "group": u["grp"], "password_hash": u["password_hash"]}
                for u in self.state.users(cluster_id)]

    # --- shared ------------------------------------------------------------------
    def _check_known(self, cluster_id: str, names: list[str]) -> None:
        known = {u["name"] for u in self.state.users(cluster_id)}
        for i, name in enumerate(names, start=1):
            if name not in known:
                raise UserNotExist(name, field=f"User.{i}.Name")

    def _users_operation(self, rec: ClusterRecord, operation: str, message: str,
                         change: Callable[[], None], check: Callable[[], None], *,
                         progress: Progress, async_: bool) -> dict[str, Any]:
        """Check, change the stored users, run users.yml; put the stored users back if anything fails."""

        def body(step: Progress) -> None:
            check()  # again under the lock: another writer may have changed the users meanwhile
            snapshot = self.state.users(rec.id)
            change()
            try:
                nodes = self.engine(rec.engine).inspect(rec.plan)
                step(message)
                self._configure(rec, nodes, step, playbook="users.yml")
            except BaseException:
                self.state.restore_users(rec.id, snapshot)
                raise

        task = self._operation(rec, operation, body, progress=progress, async_=async_, on_error_status=None)
        return {"RequestId": task, "TaskId": task}

    # --- AddUsers -------------------------------------------------------------------
    def add_users(self, params: Optional[Mapping[str, Any]] = None, /, *,
                  progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self._request(AddUsersRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        self._require_status(rec, "AddUsers", (RUNNING,))

        def check() -> None:
            existing = {u["name"] for u in self.state.users(rec.id)}
            seen: set[str] = set()
            for i, u in enumerate(req.User, start=1):
                if u.Name in existing or u.Name in seen:
                    raise UsernameExist(u.Name, field=f"User.{i}.Name")
                seen.add(u.Name)

        check()
        hashed = [(u.Name, u.Group, sha512_crypt(u.Password.get_secret_value())) for u in req.User]
        return self._users_operation(rec, "AddUsers", f"creating {len(hashed)} NIS account(s)",
                                     lambda: self.state.add_users(rec.id, hashed), check,
                                     progress=progress, async_=req.Async)

    # --- DeleteUsers ------------------------------------------------------------------
    def delete_users(self, params: Optional[Mapping[str, Any]] = None, /, *,
                     progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        """Remove the accounts; their home directories stay on the shared /home (as in E-HPC)."""
        req = self._request(DeleteUsersRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        self._require_status(rec, "DeleteUsers", (RUNNING,))
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        return self._users_operation(rec, "DeleteUsers", f"deleting {len(names)} NIS account(s)",
                                     lambda: self.state.delete_users(rec.id, names), check,
                                     progress=progress, async_=req.Async)

    # --- ModifyUserPasswords ----------------------------------------------------------
    def modify_user_passwords(self, params: Optional[Mapping[str, Any]] = None, /, *,
                              progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self._request(ModifyUserPasswordsRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        self._require_status(rec, "ModifyUserPasswords", (RUNNING,))
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        hashes = {u.Name: sha512_crypt(u.Password.get_secret_value()) for u in req.User}
        return self._users_operation(rec, "ModifyUserPasswords", f"changing {len(hashes)} password(s)",
                                     lambda: self.state.update_users(rec.id, "password_hash", hashes), check,
                                     progress=progress, async_=req.Async)

    # --- ModifyUserGroups -------------------------------------------------------------
    def modify_user_groups(self, params: Optional[Mapping[str, Any]] = None, /, *,
                           progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        """Set each user's group (``users``, or ``wheel`` = sudo with their own password)."""
        req = self._request(ModifyUserGroupsRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        self._require_status(rec, "ModifyUserGroups", (RUNNING,))
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        groups = {u.Name: u.Group for u in req.User}
        return self._users_operation(rec, "ModifyUserGroups", f"changing the group of {len(groups)} user(s)",
                                     lambda: self.state.update_users(rec.id, "grp", groups), check,
                                     progress=progress, async_=req.Async)

    # --- ListUsers ----------------------------------------------------------------------
    def list_users(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self._request(ListUsersRequest, params, kwargs)
        rec = self._cluster(req.ClusterId)
        users = self.state.users(rec.id)
        page = users[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(users), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "Users": {"UserInfo": [{"Name": u["name"], "Group": u["grp"], "UserId": str(u["uid"]),
                                        "GroupId": GROUP_IDS[u["grp"]],
                                        "AddTime": u["add_time"]} for u in page]}}

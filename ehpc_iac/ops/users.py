"""User operations: AddUsers, DeleteUsers, ListUsers, ModifyUserPasswords,
ModifyUserGroups.

Passwords are hashed (SHA-512 crypt) before they leave this process; only the hash is
stored and sent to the account server (the account roles handle it with ``no_log``). The
cluster's account back end (``plan.account_type``: NIS, ...) makes its directory hold the stored
users; a directory that ehpc-iac may not write refuses every change with ``InvalidOpt``.

Every write checks the whole request first (unknown user -> ``AgentError.Account.UserNotExist``
naming ``User.N.Name``; a name listed twice, a bad group or more than 100 users ->
``InvalidParams`` naming the field), so bad input changes nothing. The stored users are then
changed and the back end's ``sync_users`` (NIS: ``playbooks/users.yml`` on the account
server) makes the directory match them; if that run fails, the stored users are put back as they were and the error is raised (the
cluster keeps its status: the next users.yml run, by any user operation or RecoverCluster,
converges the account server to the stored users).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from ..configure import sha512_crypt
from ..engines import Progress, no_progress
from ..errors import InvalidOpt, UsernameExist, UserNotExist
from ..spec.users import (AddUsersRequest, DeleteUsersRequest, ListUsersRequest, ModifyUserGroupsRequest,
                          ModifyUserPasswordsRequest)
from .core import RUNNING, Area, new_request_id
from .state import ClusterRecord

class UserOps(Area):

    # --- shared ------------------------------------------------------------------
    def _check_known(self, cluster_id: str, names: list[str]) -> None:
        known = {u["name"] for u in self.core.state.users(cluster_id)}
        for i, name in enumerate(names, start=1):
            if name not in known:
                raise UserNotExist(name, field=f"User.{i}.Name")

    def _writable(self, rec: ClusterRecord, operation: str) -> None:
        reason = self.core.accounts(rec).read_only_reason(rec.plan)
        if reason:
            raise InvalidOpt(f"{operation} is not possible on cluster {rec.id}: {reason}", field="ClusterId")

    def _users_operation(self, rec: ClusterRecord, operation: str, message: str,
                         change: Callable[[], None], check: Callable[[], None], *,
                         progress: Progress, async_: bool) -> dict[str, Any]:
        """Check, change the stored users, make the account service hold them (its back end's
        ``sync_users``); put the stored users back if anything fails."""
        accounts = self.core.accounts(rec)

        def body(step: Progress) -> None:
            check()  # again under the lock: another writer may have changed the users meanwhile
            snapshot = self.core.state.users(rec.id)
            change()

            def run_play(playbook: str, users) -> None:
                nodes = self.core.engine(rec.engine).inspect(rec.plan)
                self.core.configure(rec, nodes, step, playbook=playbook, users=list(users))

            try:
                step(message)
                accounts.sync_users(rec.plan, self.core.users_of(rec.id), run_play)
            except BaseException:
                self.core.state.restore_users(rec.id, snapshot)
                raise

        task = self.core._operation(rec, operation, body, progress=progress, async_=async_, on_error_status=None)
        return {"RequestId": task, "TaskId": task}

    # --- AddUsers -------------------------------------------------------------------
    def add_users(self, params: Optional[Mapping[str, Any]] = None, /, *,
                  progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(AddUsersRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "AddUsers", (RUNNING,))
        self._writable(rec, "AddUsers")

        def check() -> None:
            existing = {u["name"] for u in self.core.state.users(rec.id)}
            seen: set[str] = set()
            for i, u in enumerate(req.User, start=1):
                if u.Name in existing or u.Name in seen:
                    raise UsernameExist(u.Name, field=f"User.{i}.Name")
                seen.add(u.Name)

        check()
        hashed = [(u.Name, u.Group, sha512_crypt(u.Password.get_secret_value())) for u in req.User]
        return self._users_operation(rec, "AddUsers", f"creating {len(hashed)} {self.core.accounts(rec).label}",
                                     lambda: self.core.state.add_users(rec.id, hashed), check,
                                     progress=progress, async_=req.Async)

    # --- DeleteUsers ------------------------------------------------------------------
    def delete_users(self, params: Optional[Mapping[str, Any]] = None, /, *,
                     progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        """Remove the accounts; their home directories stay on the shared /home (as in E-HPC)."""
        req = self.core._request(DeleteUsersRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "DeleteUsers", (RUNNING,))
        self._writable(rec, "DeleteUsers")
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        return self._users_operation(rec, "DeleteUsers", f"deleting {len(names)} {self.core.accounts(rec).label}",
                                     lambda: self.core.state.delete_users(rec.id, names), check,
                                     progress=progress, async_=req.Async)

    # --- ModifyUserPasswords ----------------------------------------------------------
    def modify_user_passwords(self, params: Optional[Mapping[str, Any]] = None, /, *,
                              progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ModifyUserPasswordsRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "ModifyUserPasswords", (RUNNING,))
        self._writable(rec, "ModifyUserPasswords")
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        hashes = {u.Name: sha512_crypt(u.Password.get_secret_value()) for u in req.User}
        return self._users_operation(rec, "ModifyUserPasswords", f"changing {len(hashes)} password(s)",
                                     lambda: self.core.state.update_users(rec.id, "password_hash", hashes), check,
                                     progress=progress, async_=req.Async)

    # --- ModifyUserGroups -------------------------------------------------------------
    def modify_user_groups(self, params: Optional[Mapping[str, Any]] = None, /, *,
                           progress: Progress = no_progress, **kwargs: Any) -> dict[str, Any]:
        """Set each user's group (``users``, or ``wheel`` = sudo with their own password)."""
        req = self.core._request(ModifyUserGroupsRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self.core._require_status(rec, "ModifyUserGroups", (RUNNING,))
        self._writable(rec, "ModifyUserGroups")
        names = [u.Name for u in req.User]

        def check() -> None:
            self._check_known(rec.id, names)

        check()
        groups = {u.Name: u.Group for u in req.User}
        return self._users_operation(rec, "ModifyUserGroups", f"changing the group of {len(groups)} user(s)",
                                     lambda: self.core.state.update_users(rec.id, "grp", groups), check,
                                     progress=progress, async_=req.Async)

    # --- ListUsers ----------------------------------------------------------------------
    def list_users(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListUsersRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        users = self.core.state.users(rec.id)
        page = users[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(users), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "Users": {"UserInfo": [{"Name": u["name"], "Group": u["grp"], "UserId": str(u["uid"]),
                                        "GroupId": self.core.accounts(rec).group_ids[u["grp"]],
                                        "AddTime": u["add_time"]} for u in page]}}

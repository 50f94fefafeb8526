"""User requests (AddUsers, DeleteUsers, ListUsers, ModifyUserPasswords, ModifyUserGroups): NIS
accounts of a cluster.

Every list is ``User.N.*`` (1 to 100 items). A name listed twice in one request is refused
with ``InvalidParams`` naming the second occurrence (AddUsers keeps the reference's
``UsernameExist`` for that case, checked in the operations layer).
"""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, SecretStr, field_validator, model_validator

from ..errors import InvalidParams
from .cluster import Strict, check_password
from .requests import ClusterRequest, PagedRequest

USER_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
RESERVED = {"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
            "www-data", "backup", "list", "irc", "nobody", "slurm", "munge", "sshd", "messagebus", "admin"}
MAX_USERS = 100


def check_user_name(v: str) -> str:
    if not USER_RE.match(v):
        raise ValueError("must be 2-32 characters: a lower-case letter, then lower-case letters, digits, "
                         "'_' or '-'")
    if v in RESERVED:
        raise ValueError(f"{v!r} is a reserved system account name")
    return v


class _Named(Strict):
    Name: str

    @field_validator("Name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_user_name(v)


class _WithPassword(_Named):
    Password: SecretStr

    @field_validator("Password")
    @classmethod
    def _password(cls, v: SecretStr) -> SecretStr:
        check_password(v.get_secret_value())
        return v


class UserItem(_WithPassword):
    """AddUsers: User.N.{Name, Password, Group}."""
    Group: Literal["users", "wheel"] = "users"


class UserNameItem(_Named):
    """DeleteUsers: User.N.Name."""


class UserPasswordItem(_WithPassword):
    """ModifyUserPasswords: User.N.{Name, Password}."""


class UserGroupItem(_Named):
    """ModifyUserGroups: User.N.{Name, Group}; Group is required."""
    Group: Literal["users", "wheel"]


class AddUsersRequest(ClusterRequest):
    User: list[UserItem] = Field(min_length=1, max_length=MAX_USERS)
    Async: bool = False


def _unique_names(users: list[_Named]) -> None:
    seen: set[str] = set()
    for i, u in enumerate(users, start=1):
        if u.Name in seen:
            raise InvalidParams(f"User.{i}.Name", f"the user {u.Name} is listed more than once")
        seen.add(u.Name)


class DeleteUsersRequest(ClusterRequest):
    User: list[UserNameItem] = Field(min_length=1, max_length=MAX_USERS)
    Async: bool = False

    @model_validator(mode="after")
    def _unique(self) -> "DeleteUsersRequest":
        _unique_names(self.User)
        return self


class ModifyUserPasswordsRequest(ClusterRequest):
    User: list[UserPasswordItem] = Field(min_length=1, max_length=MAX_USERS)
    Async: bool = False

    @model_validator(mode="after")
    def _unique(self) -> "ModifyUserPasswordsRequest":
        _unique_names(self.User)
        return self


class ModifyUserGroupsRequest(ClusterRequest):
    User: list[UserGroupItem] = Field(min_length=1, max_length=MAX_USERS)
    Async: bool = False

    @model_validator(mode="after")
    def _unique(self) -> "ModifyUserGroupsRequest":
        _unique_names(self.User)
        return self


class ListUsersRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None

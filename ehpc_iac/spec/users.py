"""User requests (AddUsers, ListUsers): NIS accounts of a cluster."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, SecretStr, field_validator

from .cluster import Strict, check_password
from .requests import ClusterRequest, PagedRequest

USER_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
RESERVED = {"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
            "www-data", "backup", "list", "irc", "nobody", "slurm", "munge", "sshd", "messagebus", "admin"}
MAX_USERS = 100


class UserItem(Strict):
    Name: str
    Password: SecretStr
    Group: Literal["users", "wheel"] = "users"

    @field_validator("Name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not USER_RE.match(v):
            raise ValueError("must be 2-32 characters: a lower-case letter, then lower-case letters, digits, "
                             "'_' or '-'")
        if v in RESERVED:
            raise ValueError(f"{v!r} is a reserved system account name")
        return v

    @field_validator("Password")
    @classmethod
    def _password(cls, v: SecretStr) -> SecretStr:
        check_password(v.get_secret_value())
        return v


class AddUsersRequest(ClusterRequest):
    User: list[UserItem] = Field(min_length=1, max_length=MAX_USERS)
    Async: bool = False


class ListUsersRequest(ClusterRequest, PagedRequest):
    RegionId: Optional[str] = None

"""Account services, chosen by ``plan.account_type`` through ``get_accounts`` (as schedulers are by
``scheduler.get_scheduler``). The operations layer sees only ``AccountBackend`` and ``UserEntry``."""
from __future__ import annotations

from ..registry import load_backend
from .base import GROUP_IDS, AccountBackend, PlayRunner, UserEntry

# AccountType -> "module:class" of its back end (imported on first use)
BACKENDS: dict[str, str] = {
    "nis": "ehpc_iac.accounts.nis:NisAccounts",
    "ldap": "ehpc_iac.accounts.ldap:LdapAccounts",
}


def get_accounts(account_type: str) -> AccountBackend:
    """The back end of ``account_type``; InvalidParams naming AccountType when there is none."""
    return load_backend(BACKENDS, account_type, "AccountType")


__all__ = ["AccountBackend", "BACKENDS", "GROUP_IDS", "PlayRunner", "UserEntry", "get_accounts"]

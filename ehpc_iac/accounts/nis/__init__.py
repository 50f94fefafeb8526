"""NIS (``AccountType: nis``): users are local accounts of the NIS master (ypserv on the account
node), published as NIS maps; every other node is a client (ypbind). The plays are
``playbooks/accounts_nis.yml`` (roles ``nis_master``, ``nis_client``, ``nis_users``) for the
inventory group ``nis``; ``playbooks/users.yml`` re-runs ``nis_users`` alone on user changes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..base import AccountBackend, PlayRunner, UserEntry

if TYPE_CHECKING:  # pragma: no cover
    from ...plan import ClusterPlan


class NisAccounts(AccountBackend):
    name = "nis"
    label = "NIS account(s)"

    def sync_users(self, plan: "ClusterPlan", users: Sequence[UserEntry], run_play: PlayRunner) -> None:
        run_play("users.yml", users)


__all__ = ["NisAccounts"]

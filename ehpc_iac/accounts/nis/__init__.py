"""NIS (``AccountType: nis``): users are local accounts of the NIS master (ypserv on the account
node), published as NIS maps; every other node is a client (ypbind). The plays are
``playbooks/accounts_nis.yml`` (roles ``nis_master``, ``nis_client``, ``nis_users``) for the
inventory group ``nis``; ``playbooks/users.yml`` re-runs ``nis_users`` alone on user changes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from ...ssh import SSH_ERRORS
from ..base import AccountBackend, PlayRunner, UserEntry

if TYPE_CHECKING:  # pragma: no cover
    from ...plan import ClusterPlan
    from ...ssh import SSHNode


class NisAccounts(AccountBackend):
    name = "nis"
    label = "NIS account(s)"

    def service_problem(self, ssh: "SSHNode", timeout: float) -> Optional[str]:
        """ypserv registered with rpcbind and answering a UDP call (``rpcinfo -u``), on the master."""
        try:
            r = ssh.run(["timeout", "-k", "1", str(max(1, int(timeout))), "rpcinfo", "-u", "localhost", "ypserv"],
                        timeout=timeout + 2)
        except SSH_ERRORS as exc:
            return f"the NIS master cannot be reached over SSH ({type(exc).__name__}: {exc})"
        if r.exit_code != 0:
            return f"ypserv does not answer ({(r.stderr or r.stdout).strip()[:200]})"
        return None

    def sync_users(self, plan: "ClusterPlan", users: Sequence[UserEntry], run_play: PlayRunner) -> None:
        run_play("users.yml", users)


__all__ = ["NisAccounts"]

"""What the operations layer knows of an account service (``plan.account_type``).

The facade keeps the cluster's users (names, uids, groups, password hashes) in its state and is
the source of truth; an ``AccountBackend`` makes the cluster's directory hold exactly those users
(``sync_users``) and says how its accounts look (group ids, whether it may be written). The plays
that configure the service itself (server, clients) are chosen by the inventory group named after
the account type (``playbooks/accounts_<type>.yml``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from ..plan import ClusterPlan
    from ..ssh import SSHNode

# The two groups of E-HPC users: Debian's ``users`` and ``wheel`` (sudo), with the gid the roles give it.
GROUP_IDS = {"users": "100", "wheel": "990"}


@dataclass(frozen=True)
class UserEntry:
    name: str
    uid: int
    group: str
    password_hash: str      # SHA-512 crypt; the clear password never reaches a back end

    def as_vars(self) -> dict:
        """The ``ehpc_users`` item of the roles' contract (roles/README.md)."""
        return {"name": self.name, "uid": self.uid, "group": self.group, "password_hash": self.password_hash}


#: runs a playbook of the project on the cluster with these users as ``ehpc_users``
PlayRunner = Callable[[str, Sequence[UserEntry]], None]


class AccountBackend(ABC):
    name: str = ""
    label: str = ""          # how progress messages name the accounts ("NIS account(s)")
    group_ids: dict[str, str] = GROUP_IDS

    @abstractmethod
    def sync_users(self, plan: "ClusterPlan", users: Sequence[UserEntry], run_play: PlayRunner) -> None:
        """Make the directory hold exactly ``users`` (accounts it made and no longer listed go)."""

    def read_only_reason(self, plan: "ClusterPlan") -> Optional[str]:
        """Why users of this cluster cannot be changed by ehpc-iac, or None when they can."""
        return None

    def config_vars(self, plan: "ClusterPlan", store: Path, secrets: Mapping[str, str]) -> dict[str, Any]:
        """Extra variables for every play of the cluster (the service's own settings). ``store`` is a
        directory of the cluster's state (0700) for what the back end keeps (keys, certificates);
        ``secrets`` are the cluster's account secrets (``ClusterSpec.account_secrets``), decrypted."""
        return {}

    def service_problem(self, ssh: "SSHNode", timeout: float) -> Optional[str]:
        """A cheap live check of the account service on its server (reached over ``ssh``): what is
        wrong, or None when it answers. The default knows no check and reports nothing."""
        return None

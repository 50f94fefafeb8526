"""LDAP (``AccountType: ldap``): users are ``posixAccount`` entries of a directory; every node reads
it with nslcd (libnss-ldapd for names, libpam-ldapd for passwords: a login is an LDAP bind as the
user, over TLS, checked by the server against the stored SHA-512 crypt hash).

nslcd rather than sssd: one small daemon and one config file (no systemd, no D-Bus), and no
cache of entries or credentials, so a changed password or a deleted user takes effect on every
node at once, as with NIS.

Two kinds of cluster:

- **its own directory** (no ``OpenldapPar``): slapd on the account node (``ldap_server``), base DN
  ``dc=<cluster id>``, listening on ``ldaps://`` and ``ldapi://`` only; the certificate is signed by
  a per-cluster CA that the control plane keeps (``tls.py``); the users are written by
  ``ldap_users`` (over ldapi, as root); everyone may read, nobody but root the password hashes;
- **an existing directory** (``OpenldapPar``: URI, base DN, optional bind DN with its password,
  the CA to trust): no slapd; every node is a client of it; the directory is read-only to
  ehpc-iac, so user operations are refused.

The plays are ``playbooks/accounts_ldap.yml`` (group ``ldap``); ``playbooks/users.yml`` re-runs
``ldap_users`` on user changes.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from ..base import AccountBackend, PlayRunner, UserEntry
from .tls import ensure_server_tls

if TYPE_CHECKING:  # pragma: no cover
    from ...plan import ClusterPlan


class LdapAccounts(AccountBackend):
    name = "ldap"
    label = "LDAP account(s)"

    def sync_users(self, plan: "ClusterPlan", users: Sequence[UserEntry], run_play: PlayRunner) -> None:
        run_play("users.yml", users)

    def read_only_reason(self, plan: "ClusterPlan") -> Optional[str]:
        opts = plan.account_options
        if opts.get("uri"):
            return (f"its users live in the existing directory {opts['uri']} (base DN {opts['base_dn']}), which "
                    "ehpc-iac joins read-only: manage them in that directory")
        return None

    def config_vars(self, plan: "ClusterPlan", store: Path, secrets: Mapping[str, str]) -> dict[str, Any]:
        """``ehpc_ldap`` for every node ({managed, uri, base_dn, bind_dn, ca_cert}); a cluster's own
        directory adds slapd's certificate and key, a joined one the bind password (both no_log)."""
        opts = plan.account_options
        if opts.get("uri"):
            return {"ehpc_ldap": {"managed": False, **{k: opts.get(k, "") for k in ("uri", "base_dn", "bind_dn",
                                                                                  "ca_cert")}},
                    "ehpc_ldap_bind_password": secrets.get("ldap_bind_password", "")}
        host = plan.account_server.hostname
        tls = ensure_server_tls(store, host, plan.cluster_id)
        return {"ehpc_ldap": {"managed": True, "uri": f"ldaps://{host}", "base_dn": base_dn(plan),
                              "bind_dn": "", "ca_cert": tls.ca_cert},
                "ehpc_ldap_server_cert": tls.cert, "ehpc_ldap_server_key": tls.key}


def base_dn(plan: "ClusterPlan") -> str:
    """The base DN of a cluster's own directory."""
    return f"dc={plan.nis_domain}"


__all__ = ["LdapAccounts", "base_dn"]

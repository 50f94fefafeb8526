"""A cluster's account secrets (an LDAP bind password ...), encrypted at rest.

``clusters/<id>/account-secrets`` (0600) holds one Fernet token of the JSON ``{name: value}``,
made with the state directory's master key (``ehpc_iac/masterkey.py``). Configuration runs read
them back to hand them to Ansible (extra variables in the run's private directory, removed after
the run; the roles use them in no_log tasks). DeleteCluster removes them with the cluster's
directory.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from cryptography.fernet import InvalidToken

from ..errors import UnknownError
from ..masterkey import master_fernet

FILE = "account-secrets"


class AccountSecrets:
    def __init__(self, home: Path):
        self.home = Path(home)

    def _file(self, cluster_id: str) -> Path:
        return self.home / "clusters" / cluster_id / FILE

    def put(self, cluster_id: str, values: Mapping[str, str]) -> None:
        path = self._file(cluster_id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = master_fernet(self.home).encrypt(json.dumps(dict(values)).encode())
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(token)
        tmp.replace(path)

    def get(self, cluster_id: str) -> dict[str, str]:
        path = self._file(cluster_id)
        if not path.exists():
            return {}
        try:
            return json.loads(master_fernet(self.home).decrypt(path.read_bytes()))
        except InvalidToken:
            raise UnknownError(f"the account secrets of {cluster_id} cannot be read with this master key "
                               "(EHPC_IAC_MASTER_KEY or api/master.key)") from None


__all__ = ["AccountSecrets"]

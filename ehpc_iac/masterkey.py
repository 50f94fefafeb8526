"""The state directory's master key: Fernet (AES-128-CBC + HMAC-SHA256) for secrets kept at rest
(the HTTP endpoint's access-key secrets, a cluster's account secrets such as an LDAP bind password).

``$EHPC_IAC_MASTER_KEY``, or ``$EHPC_IAC_HOME/api/master.key`` (0600, made on first use; the
file the access keys always used). Here, below the layers that use it.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet


def master_key(home: Path) -> bytes:
    env = os.environ.get("EHPC_IAC_MASTER_KEY")
    if env:
        return env.encode()
    path = Path(home) / "api" / "master.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return path.read_bytes().strip()


def master_fernet(home: Path) -> Fernet:
    return Fernet(master_key(home))


__all__ = ["master_fernet", "master_key"]

"""Password hashing: clear-text passwords never leave the control plane; only SHA-512 crypt hashes do."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Python 3.11/3.12: deprecated but present; glibc does the hashing


def sha512_crypt(password: str, salt: str | None = None) -> str:
    """``salt``: a given ``$6$...`` salt (for a hash that must be the same on every run), else a random one."""
    return crypt.crypt(password, salt or crypt.mksalt(crypt.METHOD_SHA512))


def verify(password: str, hashed: str) -> bool:
    return crypt.crypt(password, hashed) == hashed

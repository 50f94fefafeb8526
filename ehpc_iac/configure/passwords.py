"""Password hashing: clear-text passwords never leave the control plane; only SHA-512 crypt hashes do."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Python 3.11/3.12: deprecated but present; glibc does the hashing


def sha512_crypt(password: str) -> str:
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


def verify(password: str, hashed: str) -> bool:
    return crypt.crypt(password, hashed) == hashed

"""Per-cluster SSH key pair (ed25519), written with mode 0600 under the cluster's state directory."""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base import Access


def ensure_cluster_key(directory: Path, comment: str) -> Access:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    priv, pub = directory / "id_ed25519", directory / "id_ed25519.pub"
    if not priv.exists():
        key = Ed25519PrivateKey.generate()
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                 serialization.NoEncryption())
        fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        pub.write_text(public.decode() + f" {comment}\n")
    return Access(public_key=pub.read_text().strip(), private_key_file=priv)

"""Access keys of the HTTP endpoint, and the signature nonces it has seen.

Both live in ``$EHPC_IAC_HOME/api/api.db`` (0600). A secret is shown once, when its key is
created; at rest it is encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with the master key in
``$EHPC_IAC_HOME/api/master.key`` (0600, made on first use) or ``$EHPC_IAC_MASTER_KEY``.
It cannot be hashed: HMAC signatures (v1 HMAC-SHA1, ACS3-HMAC-SHA256) are verified by
computing them again with the secret.
"""
from __future__ import annotations

import secrets
import sqlite3
import string
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

from ..errors import AccessKeyInactive, AccessKeyNotFound, ObjectNotFound, SignatureNonceUsed, UnknownError
from ..masterkey import master_key
from ..sqlite_local import ApiDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_keys (
    id TEXT PRIMARY KEY,
    secret_enc TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    create_time TEXT NOT NULL,
    last_used_time TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS nonces_expires ON nonces(expires);
"""
ENABLED, DISABLED = "Active", "Inactive"
ALPHABET = string.ascii_letters + string.digits
NONCE_TTL = 15 * 60 * 2   # a nonce is remembered as long as its timestamp could still be accepted


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AccessKeyStore:
    def __init__(self, home: Path | str):
        self._db = ApiDb(Path(home), SCHEMA)
        self._fernet = Fernet(self._master_key())
        self._touched: dict[str, float] = {}

    def _master_key(self) -> bytes:
        return master_key(self._db.dir.parent)

    def create(self, description: str = "") -> dict[str, str]:
        """A new enabled key; the only time its secret is returned."""
        key_id = "LTAI" + "".join(secrets.choice(ALPHABET) for _ in range(20))
        secret = "".join(secrets.choice(ALPHABET) for _ in range(30))
        created = _now_iso()
        with self._db.conn() as c:
            c.execute("INSERT INTO access_keys (id, secret_enc, status, description, create_time) VALUES (?,?,?,?,?)",
                      (key_id, self._fernet.encrypt(secret.encode()).decode(), ENABLED, description, created))
        return {"AccessKeyId": key_id, "AccessKeySecret": secret, "Status": ENABLED,
                "Description": description, "CreateTime": created}

    def list(self) -> list[dict[str, str]]:
        with self._db.conn() as c:
            rows = c.execute("SELECT id, status, description, create_time, last_used_time FROM access_keys"
                             " ORDER BY create_time, id").fetchall()
        return [{"AccessKeyId": r["id"], "Status": r["status"], "Description": r["description"],
                 "CreateTime": r["create_time"], "LastUsedTime": r["last_used_time"]} for r in rows]

    def set_enabled(self, key_id: str, enabled: bool) -> None:
        with self._db.conn() as c:
            n = c.execute("UPDATE access_keys SET status = ? WHERE id = ?",
                          (ENABLED if enabled else DISABLED, key_id)).rowcount
        if not n:
            raise ObjectNotFound(f"The access key {key_id} does not exist.", field="AccessKeyId")

    def delete(self, key_id: str) -> None:
        with self._db.conn() as c:
            n = c.execute("DELETE FROM access_keys WHERE id = ?", (key_id,)).rowcount
        if not n:
            raise ObjectNotFound(f"The access key {key_id} does not exist.", field="AccessKeyId")

    def secret_for(self, key_id: str) -> str:
        """The secret of an enabled key; AccessKeyNotFound or AccessKeyInactive otherwise."""
        with self._db.conn() as c:
            row = c.execute("SELECT secret_enc, status FROM access_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise AccessKeyNotFound()
        if row["status"] != ENABLED:
            raise AccessKeyInactive()
        try:
            return self._fernet.decrypt(row["secret_enc"].encode()).decode()
        except InvalidToken:
            raise UnknownError("the access key store cannot be read with this master key") from None

    def touch(self, key_id: str) -> None:
        """Record the key's last use, at most once a minute per key (not a write per request)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -120.0) < 60:
            return
        self._touched[key_id] = now
        with self._db.conn() as c:
            c.execute("UPDATE access_keys SET last_used_time = ? WHERE id = ?", (_now_iso(), key_id))


class NonceStore:
    """``SignatureNonce`` / ``x-acs-signature-nonce`` values: each is accepted once."""

    def __init__(self, home: Path | str, ttl: float = NONCE_TTL):
        self._db = ApiDb(Path(home), SCHEMA)
        self.ttl = ttl
        self._purged = 0.0

    def use(self, nonce: str, key_id: Optional[str] = None) -> None:
        now = time.time()
        with self._db.conn() as c:
            if now - self._purged > 60:
                self._purged = now
                c.execute("DELETE FROM nonces WHERE expires < ?", (now,))
            try:
                c.execute("INSERT INTO nonces (nonce, expires) VALUES (?, ?)", (f"{key_id}:{nonce}", now + self.ttl))
            except sqlite3.IntegrityError:
                raise SignatureNonceUsed() from None

"""Authentication of HTTP requests: which access key signed it, or an error.

Every check runs before any operation: key known and enabled, signature method supported,
time stamp within 15 minutes of the server's clock, signature equal, nonce never seen.
Failures are logged (logger ``ehpc_iac.api.auth``) with the key id, the client and the
reason, never with a secret or a signature.
"""
from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator, Mapping, Optional

from ..errors import ApiRequestError, SignatureDoesNotMatch, TimestampExpired
from . import signing
from .keys import AccessKeyStore, NonceStore

log = logging.getLogger("ehpc_iac.api.auth")
MAX_SKEW = 15 * 60


@dataclass
class Caller:
    access_key_id: str
    client: str = ""


def _parse_time(value: str, field: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise ApiRequestError(f"Specified time stamp or date value is not well formatted: {field}={value!r} "
                          "(expected ISO 8601 UTC, e.g. 2026-01-02T03:04:05Z).",
                          code="InvalidTimeStamp.Format", field=field)


def check_time(value: Optional[str], field: str, now: Optional[datetime] = None) -> None:
    if not value:
        raise ApiRequestError(f"{field} is mandatory for this action.", code="MissingParameter", field=field)
    t = _parse_time(value, field)
    now = now or datetime.now(timezone.utc)
    if abs((now - t).total_seconds()) > MAX_SKEW:
        raise TimestampExpired(field, value)


class Authenticator:
    def __init__(self, keys: AccessKeyStore, nonces: NonceStore):
        self.keys = keys
        self.nonces = nonces

    @contextmanager
    def _attempt(self, scheme: str, key_id: str, client: str) -> Iterator[None]:
        """Log a refused request (never a secret), then let its error through; record a success."""
        try:
            yield
        except ApiRequestError as exc:
            log.warning("authentication failed: scheme=%s access_key_id=%s client=%s code=%s", scheme,
                        key_id or "-", client or "-", exc.code)
            raise
        self.keys.touch(key_id)

    def rpc_v1(self, method: str, params: Mapping[str, str], client: str = "") -> Caller:
        """Signature 1.0 over query and form parameters (E-HPC 2018-04-12 SDK)."""
        key_id = params.get("AccessKeyId", "")
        with self._attempt("rpc-v1", key_id, client):
            for field in ("AccessKeyId", "Signature", "SignatureNonce"):
                if not params.get(field):
                    raise ApiRequestError(f"{field} is mandatory for this action.", code="MissingParameter",
                                          field=field)
            if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
                raise ApiRequestError(f"Specified signature method {params['SignatureMethod']} is not supported; "
                                      "use HMAC-SHA1.", code="InvalidSignatureMethod", field="SignatureMethod")
            if params.get("SignatureVersion", "1.0") != "1.0":
                raise ApiRequestError(f"Specified signature version {params['SignatureVersion']} is not supported;"
                                      " use 1.0.", code="InvalidSignatureVersion", field="SignatureVersion")
            check_time(params.get("Timestamp"), "Timestamp")
            secret = self.keys.secret_for(key_id)
            sts = signing.rpc_string_to_sign(method, params)
            if not signing.equal(signing.rpc_signature(sts, secret), params["Signature"]):
                raise SignatureDoesNotMatch(sts)
            self.nonces.use(params["SignatureNonce"], key_id)
        return Caller(key_id, client)

    def acs3(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes,
             client: str = "") -> Caller:
        """ACS3-HMAC-SHA256 in the Authorization header (E-HPC 2024-07-30 SDK). ``headers`` lower-case."""
        parts = signing.parse_acs3_authorization(headers.get("authorization", ""))
        key_id = parts.get("Credential", "")
        with self._attempt("acs3", key_id, client):
            if not parts:
                raise ApiRequestError("The Authorization header is not well formed.", code="InvalidAuthorization",
                                      field="Authorization")
            if parts["Algorithm"] != signing.ACS3:
                raise ApiRequestError(f"Specified signature method {parts['Algorithm']} is not supported; use "
                                      f"{signing.ACS3}.", code="InvalidSignatureMethod", field="Authorization")
            signed = parts["SignedHeaders"].split(";")
            for h in ("host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"):
                if h not in signed:
                    raise ApiRequestError(f"The header {h} must be signed.", code="MissingParameter", field=h)
            check_time(headers.get("x-acs-date"), "x-acs-date")
            payload_hash = hashlib.sha256(body).hexdigest()
            if headers.get("x-acs-content-sha256") != payload_hash:
                raise ApiRequestError("The x-acs-content-sha256 header does not match the body.",
                                      code="SignatureDoesNotMatch", field="x-acs-content-sha256")
            secret = self.keys.secret_for(key_id)
            canonical = signing.acs3_canonical_request(method, path, query, headers, signed, payload_hash)
            sts = signing.acs3_string_to_sign(canonical)
            if not signing.equal(signing.acs3_signature(sts, secret), parts["Signature"]):
                raise SignatureDoesNotMatch(sts)
            self.nonces.use(headers["x-acs-signature-nonce"], key_id)
        return Caller(key_id, client)

    def basic(self, key_id: str, secret: str, client: str = "") -> Caller:
        """HTTP Basic with the access key id and secret (the REST job API; use TLS)."""
        with self._attempt("basic", key_id, client):
            expected = self.keys.secret_for(key_id)
            if not signing.equal(expected, secret):
                raise ApiRequestError("The access key secret is incorrect.", code="InvalidAccessKeySecret",
                                      http_status=401, field="Authorization")
        return Caller(key_id, client)

"""The per-cluster CA of a cluster's own directory, made by the control plane (``cryptography``).

In the cluster's state directory (``clusters/<id>/accounts/``, 0700):

    ca.key             the CA's private key (0600): never leaves the control plane
    ca.crt             the CA certificate every LDAP client trusts
    server-HOST.key    slapd's key (0600), copied to the account node only (no_log)
    server-HOST.crt    slapd's certificate for HOST (the account node), signed by the CA

Made once and reused, so that configuration runs stay idempotent.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 3650


@dataclass(frozen=True)
class ServerTls:
    ca_cert: str       # PEM
    cert: str          # PEM, the server's
    key: str           # PEM, the server's private key (a secret)


def ensure_server_tls(store: Path, hostname: str, cluster_id: str) -> ServerTls:
    """The cluster's CA and a certificate for ``hostname`` signed by it (made when missing)."""
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_key_file, ca_crt_file = store / "ca.key", store / "ca.crt"
    if not (ca_key_file.exists() and ca_crt_file.exists()):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ehpc-iac LDAP CA {cluster_id}")])
        cert = (_builder(name, name, key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                               critical=True)
                .sign(key, hashes.SHA256()))
        ca_key_file.unlink(missing_ok=True)
        _write_secret(ca_key_file, _key_pem(key))
        ca_crt_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca_crt_file.read_bytes())
    key_file, crt_file = store / f"server-{hostname}.key", store / f"server-{hostname}.crt"
    if not (key_file.exists() and crt_file.exists()) or not _issued_by(crt_file, ca_cert):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]), ca_cert.subject,
                         key.public_key())
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        key_file.unlink(missing_ok=True)
        _write_secret(key_file, _key_pem(key))
        crt_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ServerTls(ca_cert=ca_crt_file.read_text(), cert=crt_file.read_text(), key=key_file.read_text())


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS)))


def _issued_by(crt_file: Path, ca_cert: x509.Certificate) -> bool:
    cert = x509.load_pem_x509_certificate(crt_file.read_bytes())
    try:
        cert.verify_directly_issued_by(ca_cert)
    except Exception:  # noqa: BLE001 - InvalidSignature, another key type ...: not issued by this CA
        return False
    return True


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


__all__ = ["ServerTls", "ensure_server_tls"]

"""``OpenldapPar``: join an existing LDAP directory instead of getting a new one (``AccountType: ldap``).

E-HPC's hybrid clusters take ``OpenldapPar.LdapServerIp`` and ``OpenldapPar.BaseDn``
(CreateHybridCluster). ehpc-iac adds what a client needs to read a directory safely:

    OpenldapPar:
      LdapServerIp: 10.0.0.5              # E-HPC's name: the server, reached with ldaps:// on port 636
      Uri: ldaps://ldap.example.org:636   # ours, instead of LdapServerIp: ldaps:// or ldap:// (then StartTLS)
      BaseDn: dc=example,dc=org           # where posixAccount and posixGroup entries are searched
      BindDn: cn=reader,dc=example,dc=org # optional: anonymous reads when absent
      BindPassword: ...                   # the BindDn's password: a secret, never stored in clear text
      CaCert: "-----BEGIN CERTIFICATE-----..."  # PEM of the CA that signed the server's certificate

TLS is always on (``ldaps://`` or StartTLS, the certificate checked against ``CaCert``). The
directory stays read-only to ehpc-iac: user operations on such a cluster are refused.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ..errors import InvalidParams

# attr=value, attr=value ... (values may hold escaped commas; enough to catch typos and injection)
DN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*=(?:[^,=\\\x00-\x1f]|\\.)+(?:,[A-Za-z][A-Za-z0-9-]*=(?:[^,=\\\x00-\x1f]|\\.)+)*$")
HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
URI_RE = re.compile(r"^(ldaps?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?/?$")
FIELD = "OpenldapPar"


class OpenldapPar(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    LdapServerIp: Optional[str] = Field(default=None, max_length=253)
    Uri: Optional[str] = Field(default=None, max_length=300)
    BaseDn: str = Field(min_length=3, max_length=512)
    BindDn: Optional[str] = Field(default=None, max_length=512)
    BindPassword: Optional[SecretStr] = None
    CaCert: str = Field(min_length=1, max_length=65536)

    @field_validator("LdapServerIp")
    @classmethod
    def _host(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not _is_host(v):
            raise ValueError("must be an IP address or a host name")
        return v

    @field_validator("Uri")
    @classmethod
    def _uri(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return v
        m = URI_RE.match(v)
        if not m or not _is_host(m.group(2).strip("[]")) or (m.group(3) and not 0 < int(m.group(3)) < 65536):
            raise ValueError("must be ldaps://HOST[:PORT] or ldap://HOST[:PORT] (ldap:// is used with StartTLS)")
        return v.rstrip("/")

    @field_validator("BaseDn", "BindDn")
    @classmethod
    def _dn(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not DN_RE.match(v):
            raise ValueError("must be a distinguished name such as dc=example,dc=org")
        return v

    @field_validator("BindPassword")
    @classmethod
    def _password(cls, v: Optional[SecretStr]) -> Optional[SecretStr]:
        if v is not None:
            s = v.get_secret_value()
            if not 1 <= len(s) <= 256 or any(ord(c) < 32 or ord(c) == 127 for c in s):
                raise ValueError("must be 1 to 256 printable characters")
        return v

    @field_validator("CaCert")
    @classmethod
    def _ca(cls, v: str) -> str:
        from cryptography import x509
        try:
            cert = x509.load_pem_x509_certificate(v.encode())
        except ValueError:
            raise ValueError("must be the PEM text of the CA certificate (-----BEGIN CERTIFICATE-----)") from None
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise ValueError("is not a CA certificate (BasicConstraints CA:TRUE)")
        return v.strip() + "\n"

    @model_validator(mode="after")
    def _server_and_bind(self) -> "OpenldapPar":
        if (self.LdapServerIp is None) == (self.Uri is None):
            raise InvalidParams(f"{FIELD}.LdapServerIp", "give the directory server: LdapServerIp or Uri (one of them)")
        if self.BindDn and self.BindPassword is None:
            raise InvalidParams(f"{FIELD}.BindPassword", "BindDn needs its password (a secret: a file or stdin)")
        if self.BindPassword is not None and not self.BindDn:
            raise InvalidParams(f"{FIELD}.BindDn", "BindPassword is given without the BindDn it belongs to")
        return self

    @property
    def uri(self) -> str:
        if self.Uri:
            return self.Uri
        host = self.LdapServerIp or ""
        return f"ldaps://[{host}]" if ":" in host else f"ldaps://{host}"

    def plan_options(self) -> dict[str, str]:
        """What the plan keeps of it (no secret)."""
        return {"uri": self.uri, "base_dn": self.BaseDn, "bind_dn": self.BindDn or "", "ca_cert": self.CaCert}

    def secrets(self) -> dict[str, str]:
        return {"ldap_bind_password": self.BindPassword.get_secret_value()} if self.BindPassword else {}


def _is_host(v: str) -> bool:
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return bool(HOST_RE.match(v))


__all__ = ["OpenldapPar"]

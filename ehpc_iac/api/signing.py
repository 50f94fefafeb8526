"""Alibaba Cloud request signatures, as the official SDKs compute them (pure functions).

- RPC signature 1.0 (``aliyun-python-sdk-core``, E-HPC 2018-04-12)::

      StringToSign = METHOD + "&" + pe("/") + "&" + pe(sorted "pe(k)=pe(v)" joined by "&")
      Signature    = base64(HMAC-SHA1(secret + "&", StringToSign))

  over every query and form parameter except ``Signature``; ``pe`` is RFC 3986 percent
  encoding (space -> %20, ``*`` -> %2A, ``~`` kept).

- ACS3-HMAC-SHA256 (``alibabacloud-tea-openapi``, E-HPC 2024-07-30)::

      CanonicalRequest = METHOD \\n path \\n canonical query \\n "k:v\\n" per signed header
                         \\n signed header names joined by ";" \\n hex(sha256(body))
      StringToSign     = "ACS3-HMAC-SHA256\\n" + hex(sha256(CanonicalRequest))
      Authorization    = "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex hmac>"
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping
from urllib.parse import quote

ACS3 = "ACS3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    return f"{method.upper()}&%2F&{percent_encode(canonical)}"


def rpc_signature(string_to_sign: str, secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def acs3_canonical_request(method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
                           signed_headers: list[str], payload_hash: str) -> str:
    canon_query = "&".join(f"{k}={percent_encode(v)}" for k, v in sorted(query.items()))
    canon_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed_headers)
    return "\n".join([method.upper(), path or "/", canon_query, canon_headers, ";".join(signed_headers),
                      payload_hash])


def acs3_string_to_sign(canonical_request: str) -> str:
    return f"{ACS3}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"


def acs3_signature(string_to_sign: str, secret: str) -> str:
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def parse_acs3_authorization(header: str) -> dict[str, str]:
    """``ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`` -> its parts (``{}`` if malformed)."""
    algorithm, _, rest = header.strip().partition(" ")
    parts = {"Algorithm": algorithm}
    for item in rest.split(","):
        k, sep, v = item.strip().partition("=")
        if sep:
            parts[k] = v
    return parts if {"Credential", "SignedHeaders", "Signature"} <= parts.keys() else {}


def equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

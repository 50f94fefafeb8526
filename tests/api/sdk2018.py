"""Helpers for driving the server with the official E-HPC 2018-04-12 SDK (aliyun-python-sdk-ehpc)."""
import importlib
import json

import httpx
from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url
from aliyunsdkcore.client import AcsClient


def client(endpoint: str, key: dict, secret: str | None = None) -> AcsClient:
    c = AcsClient(key["AccessKeyId"], secret or key["AccessKeySecret"], "cn-hangzhou")
    c.add_endpoint("cn-hangzhou", "EHPC", endpoint)
    return c


def request(action: str, **params):
    """The SDK's request object of ``action`` over HTTP, with parameters set through its setters."""
    mod = importlib.import_module(f"aliyunsdkehpc.request.v20180412.{action}Request")
    req = getattr(mod, f"{action}Request")()
    req.set_protocol_type("http")
    for name, value in params.items():
        getattr(req, f"set_{name}")(value)
    return req


def call(c: AcsClient, action: str, **params) -> dict:
    return json.loads(c.do_action_with_exception(request(action, **params)))


def signed_get(base_url: str, key: dict, params: dict, secret: str | None = None) -> tuple[str, str]:
    """A URL signed exactly as the SDK signs it (its own composer), and the SDK's string to sign."""
    params = {"Version": "2018-04-12", "RegionId": "cn-hangzhou", **params}
    fmt = params.pop("Format", "JSON")
    url, sts = get_signed_url(dict(params), key["AccessKeyId"], secret or key["AccessKeySecret"], fmt, "GET", {})
    return base_url + url, sts


def raw(base_url: str, key: dict, params: dict, **kw) -> httpx.Response:
    url, _ = signed_get(base_url, key, params, **kw)
    return httpx.get(url, timeout=30)


def _nest(parts: list[str], value):
    """``["1", "Roles", "1", "Name"]`` -> ``[{"Roles": [{"Name": value}]}]``."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if head.isdigit():
        return [_nest(rest, value)]
    return {head: _nest(rest, value)}


def _merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **{k: _merge(a[k], v) if k in a else v for k, v in b.items()}}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(x, y) for x, y in zip(a, b)] + a[len(b):] + b[len(a):]
    return b


def request_2018_raw(action: str, values: dict):
    """The SDK's request of ``action`` with flat parameters (``User.1.Name``) set through the setters
    that send them (tests/api/sdk_params.py finds which), nothing added by hand."""
    from tests.api.sdk_params import params_2018
    known = params_2018(action)
    by_setter: dict = {}
    for name, value in values.items():
        setter, kind = known[name]
        if kind in ("RepeatList", "Struct", "Array"):
            value = _nest(name.split(".")[1:], value)
            by_setter[setter] = _merge(by_setter[setter], value) if setter in by_setter else value
        else:
            by_setter[setter] = value
    mod = importlib.import_module(f"aliyunsdkehpc.request.v20180412.{action}Request")
    req = getattr(mod, f"{action}Request")()
    req.set_protocol_type("http")
    for setter, value in by_setter.items():
        getattr(req, setter)(value)
    return req

"""What the E-HPC 2.0 (2024-07-30) translations share: reading the 2.0 parameters, writing the
2018 ones, and naming the caller's 2.0 field in the errors of the 2018 facade.

The official SDK (``alibabacloud-ehpc20240730``) sends objects and lists as JSON strings
(``ClusterIds='["ehpc-..."]'``, ``JobSpec='{...}'``); flat ``User.1.UserName`` keys are
accepted as well. Every parameter is read once; one left over is accepted and ignored when it
is in the cloud-only table (spec/cloud_only.py, the same for every action of both versions),
and refused as unknown otherwise, so a misspelt name is never silently dropped.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Optional

from ..errors import EhpcError, InvalidParams
from ..spec import cloud_only
from ..spec.params import unflatten

ANY = object()        # ``only(name, ANY)``: accepted whatever the value, without effect


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Args:
    """The 2.0 parameters of a request (or of one object in it, ``prefix`` naming it)."""

    def __init__(self, data: Mapping[str, Any], prefix: str = ""):
        self.data = dict(data)
        self.prefix = prefix

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> "Args":
        return cls(unflatten(params))

    def field(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def take(self, name: str, default: Any = None) -> Any:
        value = self.data.pop(name, None)
        return default if empty(value) else value

    def _decoded(self, name: str, kind: type, what: str) -> Any:
        value = self.take(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise InvalidParams(self.field(name), f"must be {what} in JSON") from None
        if value is not None and not isinstance(value, kind):
            raise InvalidParams(self.field(name), f"must be {what} in JSON")
        return value

    def obj(self, name: str) -> "Args":
        """A JSON object parameter ({} when absent)."""
        return Args(self._decoded(name, dict, "an object") or {}, self.field(name))

    def objs(self, name: str) -> list["Args"]:
        """A JSON array of objects ([] when absent)."""
        items = self._decoded(name, list, "an array of objects") or []
        out = []
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise InvalidParams(f"{self.field(name)}.{i}", "must be an object")
            out.append(Args(item, f"{self.field(name)}.{i}"))
        return out

    def strings(self, name: str) -> list[str]:
        """A JSON array of strings ([] when absent)."""
        items = self._decoded(name, list, "an array of strings") or []
        for i, item in enumerate(items, start=1):
            if not isinstance(item, str) or not item:
                raise InvalidParams(f"{self.field(name)}.{i}", "must be a non-empty string")
        return items

    def only(self, name: str, allowed: Any, why: str) -> Any:
        """Accept the parameter when absent or one of ``allowed`` (case-insensitive); else refuse with ``why``."""
        value = self.take(name)
        if value is None or allowed is ANY:
            return value
        if str(value).lower() not in {str(a).lower() for a in allowed}:
            raise InvalidParams(self.field(name), why)
        return value

    def ignore(self, *names: str) -> None:
        """Cloud options with no meaning for ehpc-iac's machines: accepted, without effect."""
        for name in names:
            self.take(name)

    def policy(self, rules: Mapping[str, tuple[Any, str]]) -> None:
        """``only`` for each (name -> (allowed, why)) of a data-driven table."""
        for name, (allowed, why) in rules.items():
            self.only(name, allowed, why)

    def done(self) -> None:
        """Every parameter is read: a cloud-only one left over (spec/cloud_only.py) is accepted and
        ignored (or refused for a value that table refuses); any other is refused as unknown."""
        self.data = cloud_only.drop(self.data, prefix=f"{self.prefix}." if self.prefix else "")
        if self.data:
            name = sorted(self.data)[0]
            raise InvalidParams(self.field(name), "unknown parameter")


class Out:
    """The 2018 parameters being built (flat keys), and the 2.0 field each one came from."""

    def __init__(self, **fixed: Any):
        self.params: dict[str, Any] = {k: v for k, v in fixed.items() if v is not None}
        self.source: dict[str, str] = {}

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        """``key`` = ``value`` unless None; errors about ``key`` name ``source`` (even when absent)."""
        self.source[key] = source or key
        if value is not None:
            self.params[key] = value

    def name(self, key: str, source: str) -> None:
        """Record where a key the facade may name in an error comes from, without setting it."""
        self.source[key] = source

    def ids(self, target: str, args: "Args", source: str) -> None:
        """A 2.0 JSON array of ids (``InstanceIds``) -> the 2018 list ``target.N.Id`` (``Instance.N.Id``)."""
        self.name(target, args.field(source))
        for i, value in enumerate(args.strings(source), start=1):
            self.set(f"{target}.{i}.Id", value, f"{args.field(source)}.{i}")

    @contextmanager
    def errors_named(self) -> Iterator[None]:
        with renamed(self.source):
            yield


def _rename(field: str, names: Mapping[str, str]) -> str:
    if field in names:
        return names[field]
    for key in sorted(names, key=len, reverse=True):   # "Instance" -> "InstanceIds" for "Instance.3"
        if field.startswith(key + "."):
            return names[key] + field[len(key):]
    return field


@contextmanager
def renamed(names: Mapping[str, str]) -> Iterator[None]:
    """Errors of the facade name the caller's 2.0 field instead of the 2018 parameter built from it.
    Code, HTTP status and the rest of the message stay as the facade made them."""
    try:
        yield
    except EhpcError as exc:
        new = _rename(exc.field, names) if exc.field else None
        if not new or new == exc.field:
            raise
        if type(exc) is InvalidParams:
            raise InvalidParams(new, exc.reason) from None
        exc.message = exc.message.replace(exc.field, new)
        exc.args = (exc.message,)
        exc.field = new
        raise


def page(args: Args, max_size: int, default_size: int = 10) -> tuple[int, int]:
    """PageNumber (>= 1) and PageSize (1..max_size) of a listing that ehpc-iac pages itself."""
    out = []
    for name, default, hi in (("PageNumber", 1, 100000), ("PageSize", default_size, max_size)):
        raw = args.take(name, default)
        try:
            n = int(raw)
        except (TypeError, ValueError):
            raise InvalidParams(name, "must be an integer") from None
        if not 1 <= n <= hi:
            raise InvalidParams(name, f"must be between 1 and {hi}")
        out.append(n)
    return out[0], out[1]


def all_pages(fetch, items_key: tuple[str, str], size: int = 50) -> list[dict]:
    """Every item of a paged facade listing (``fetch(page_number, page_size)``)."""
    items: list[dict] = []
    number = 1
    while True:
        resp = fetch(number, size)
        got = resp[items_key[0]][items_key[1]]
        items += got
        if not got or len(items) >= int(resp.get("TotalCount", 0)):
            return items
        number += 1


def sliced(items: list, number: int, size: int) -> list:
    return items[(number - 1) * size: number * size]


def compact(d: dict[str, Any]) -> dict[str, Any]:
    """The fields the facade knows: None and "" left out (nested dicts compacted, empty ones left out)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            v = compact(v)
        if not empty(v):
            out[k] = v
    return out

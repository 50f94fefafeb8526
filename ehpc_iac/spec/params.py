"""Turning request parameters into model input and pydantic errors into InvalidParams.

The E-HPC RPC protocol flattens lists and objects into dotted keys
(``EcsOrder.Compute.Count``, ``PostInstallScript.1.Url``, ``Instance.2.Id``,
1-based indexes). :func:`unflatten` turns such a mapping into nested dicts and
lists; nested input passes through unchanged, so YAML files, JSON files and
query strings all load the same way.
"""
from __future__ import annotations

from typing import Any, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InvalidParams

M = TypeVar("M", bound=BaseModel)


def unflatten(params: Mapping[str, Any]) -> dict[str, Any]:
    """Nest dotted keys; numeric segments become 1-based list positions."""
    root: dict[str, Any] = {}
    for key, value in params.items():
        parts = str(key).split(".")
        if any(not p for p in parts):
            raise InvalidParams(str(key), "a parameter name has an empty part")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    nxt_is_index = parts[i + 1].isdigit()
                    node = node.setdefault(part, {} if not nxt_is_index else {"__list__": True})
            else:  # a value and a dotted key under it (``Instance`` and ``Instance.1.Id``)
                raise InvalidParams(str(key), f"conflicts with the parameter {'.'.join(parts[:i])}")
    return _lists(root, "")


def _lists(node: Any, path: str) -> Any:
    if isinstance(node, dict):
        if node.pop("__list__", False):
            bad = next((k for k in node if not k.isdigit() or int(k) < 1), None)
            if bad is not None:
                raise InvalidParams(f"{path}.{bad}", f"{path} is a list: its keys are positions 1, 2, ...")
            items = sorted(((int(k), v) for k, v in node.items()), key=lambda kv: kv[0])
            return [_lists(v, f"{path}.{i}") for i, v in items]
        return {k: _lists(v, f"{path}.{k}" if path else k) for k, v in node.items()}
    if isinstance(node, list):
        return [_lists(v, f"{path}.{i}") for i, v in enumerate(node, start=1)]
    return node


def field_path(loc: tuple) -> str:
    """('EcsOrder', 'Compute', 'Count') -> 'EcsOrder.Compute.Count'; list indexes 1-based."""
    parts = []
    for p in loc:
        if isinstance(p, int):
            parts.append(str(p + 1))
        elif p in ("function-after", "function-before") or str(p).startswith("function-"):
            continue
        else:
            parts.append(str(p))
    return ".".join(parts) or "request"


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` (nested or flat) into ``model`` or raise InvalidParams naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidParams("request", "expected a mapping of parameter names to values")
    try:
        return model.model_validate(unflatten(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = field_path(tuple(err.get("loc", ())))
        if err.get("type") == "extra_forbidden":
            raise InvalidParams(field, "unknown parameter") from None
        if err.get("type") == "missing":
            raise InvalidParams(field, "this parameter is required") from None
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        raise InvalidParams(field, msg) from None

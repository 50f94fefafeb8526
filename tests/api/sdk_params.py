"""Every parameter of an E-HPC action, read from the installed official SDKs themselves.

- 2018-04-12 (``aliyun-python-sdk-ehpc``): each ``set_X`` of the action's request class is called
  with a probe value (``Probe`` stands for any scalar, list or object), and the parameters the SDK
  then holds are the flat names it sends (``User.1.Name``, ``EcsOrder.Compute.Count``,
  ``AdditionalVolumes.1.Roles.1.Name`` ...). The setter's type comment (``# Integer``) says
  what kind of value it takes.
- 2.0 (``alibabacloud-ehpc20240730``): the fields of the action's request model, recursively
  through the nested models (``Queues.1.ComputeNodes.1.SystemDisk.Category``), read from each
  model's ``__init__`` annotations; :func:`model_with` builds the request with one path set.

Nothing here knows which parameters exist: a newer SDK's parameter shows up by itself.
"""
from __future__ import annotations

import importlib
import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, Optional

from alibabacloud_ehpc20240730 import models as m2024
from darabonba.model import DaraModel

SKIPPED_SETTERS = frozenset(("set_method", "set_protocol_type", "set_accept_format", "set_content",
                             "set_content_type", "set_endpoint", "set_action_name", "set_version", "set_product",
                             "set_location_service_code", "set_location_endpoint_type", "set_query_params",
                             "set_body_params", "set_headers", "set_uri_pattern", "set_uri_params",
                             "set_user_agent", "set_connect_timeout", "set_read_timeout", "set_path_params",
                             "set_signer", "set_style", "set_domain", "set_endpoint_map", "set_endpoint_regional",
                             "set_product_suffix", "set_request_network", "set_protocol"))


class Probe(list):
    """Any value: a list of one ``AnyObject`` when the setter iterates it, a leaf when it stores it."""

    def __init__(self):
        super().__init__([AnyObject()])


class AnyObject(dict):
    def get(self, key, default=None):
        return Probe()


def request_2018(action: str):
    mod = importlib.import_module(f"aliyunsdkehpc.request.v20180412.{action}Request")
    return getattr(mod, f"{action}Request")


def _setter_type(fn) -> str:
    first = inspect.getsource(fn).splitlines()[0]
    m = re.search(r"#\s*(\w+)", first)
    return m.group(1) if m else "String"


def params_2018(action: str) -> dict[str, tuple[str, str]]:
    """{flat parameter name: (setter name, setter type)} of ``action``'s SDK request."""
    cls = request_2018(action)
    out: dict[str, tuple[str, str]] = {}
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if not name.startswith("set_") or name in SKIPPED_SETTERS or fn.__qualname__.split(".")[0] != cls.__name__:
            continue
        kind = _setter_type(fn)
        req = cls()
        before = {**req.get_query_params(), **(req.get_body_params() or {})}
        fn(req, AnyObject() if kind == "Struct" else Probe())
        for key in {**req.get_query_params(), **(req.get_body_params() or {})}:
            if key not in before:
                out[key] = (name, kind)
    return out


# --- 2.0 ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field2024:
    path: str                  # the API path: Queues.1.ComputeNodes.1.InstanceType
    attrs: tuple               # ("queues", 0, "compute_nodes", 0, "instance_type")
    kind: str                  # str, int, bool, float, list[str], dict ...


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls.__init__, globalns={**vars(m2024), "main_models": m2024,
                                                         "List": typing.List, "Dict": typing.Dict,
                                                         "Any": typing.Any})


def _names(cls) -> dict[str, str]:
    """attribute -> API name: the key of the model's own ``to_map`` that changes when the attribute is set."""
    base = cls().to_map()
    out = {}
    for attr, hint in _hints(cls).items():
        probe = cls()
        setattr(probe, attr, _placeholder(hint))
        changed = [k for k, v in probe.to_map().items() if base.get(k) != v]
        out[attr] = changed[0] if changed else attr
    return out


def _placeholder(hint) -> Any:
    origin = typing.get_origin(hint)
    if origin in (list, typing.List):
        (arg,) = typing.get_args(hint) or (str,)
        return [_placeholder(arg)]
    if origin in (dict, typing.Dict):
        return {"k": "v"}
    if inspect.isclass(hint) and issubclass(hint, DaraModel):
        return hint()
    return "x"


def fields_2024(model_cls, prefix: str = "", attrs: tuple = (), depth: int = 0) -> list[Field2024]:
    """Every leaf path of a 2.0 request model (lists get one element, index 1)."""
    out: list[Field2024] = []
    hints = _hints(model_cls)
    names = _names(model_cls)
    for attr, hint in hints.items():
        name = f"{prefix}{names[attr]}"
        origin = typing.get_origin(hint)
        inner, index = hint, ()
        if origin in (list, typing.List):
            (inner,) = typing.get_args(hint) or (str,)
            index = (0,)
        if inspect.isclass(inner) and issubclass(inner, DaraModel) and depth < 6:
            sub_prefix = f"{name}.1." if index else f"{name}."
            out += fields_2024(inner, sub_prefix, attrs + (attr,) + index, depth + 1)
        else:
            kind = getattr(inner, "__name__", str(inner))
            out.append(Field2024(name, attrs + (attr,), f"list[{kind}]" if index else kind))
    return out


def model_with(model_cls, values: dict[tuple, Any]):
    """A ``model_cls`` instance with each attribute path of ``values`` set (nested models made on the way)."""
    root = model_cls()
    for attrs, value in values.items():
        _set(root, list(attrs), value)
    return root


def _set(obj: Any, attrs: list, value: Any) -> None:
    attr = attrs[0]
    rest = attrs[1:]
    hint = _hints(type(obj))[attr]
    if not rest:
        setattr(obj, attr, value)
        return
    origin = typing.get_origin(hint)
    if origin in (list, typing.List):
        (inner,) = typing.get_args(hint)
        items = getattr(obj, attr) or []
        idx = rest[0]
        while len(items) <= idx:
            items.append(inner() if inspect.isclass(inner) and issubclass(inner, DaraModel) else None)
        setattr(obj, attr, items)
        if len(rest) == 1:
            items[idx] = value
        else:
            _set(items[idx], rest[1:], value)
        return
    child = getattr(obj, attr)
    if child is None:
        child = hint()
        setattr(obj, attr, child)
    _set(child, rest, value)


def request_2024(action: str):
    return getattr(m2024, f"{action}Request")


def sdk_method(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def leaf(name: str) -> str:
    """The last non-index part of a flat name: ``User.1.Name`` -> ``Name``."""
    return [p for p in name.split(".") if not p.isdigit()][-1]


def top(name: str) -> str:
    return name.split(".")[0]


__all__ = ["params_2018", "request_2018", "fields_2024", "model_with", "request_2024", "sdk_method", "leaf", "top",
           "Field2024", "Optional"]

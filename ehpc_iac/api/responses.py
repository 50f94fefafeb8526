"""Response bodies of the RPC protocols: JSON, or XML shaped like the reference's examples.

XML: the root element is ``<{Action}Response>``; a list is the repetition of the element
named by its parent key (``{"Clusters": {"ClusterInfoSimple": [a, b]}}`` ->
``<Clusters><ClusterInfoSimple>a</ClusterInfoSimple><ClusterInfoSimple>b</ClusterInfoSimple></Clusters>``);
errors are ``<Error>`` with RequestId, HostId, Code and Message.
"""
from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from ..errors import EhpcError

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _tag(name: str) -> str:
    name = _NAME.sub("_", str(name)) or "item"
    return name if not name[0].isdigit() and not name.lower().startswith("xml") else f"_{name}"


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else escape(str(v))


def _xml(name: str, value: Any, out: list[str]) -> None:
    tag = _tag(name)
    if isinstance(value, list):
        for item in value:
            _xml(name, item, out)
    elif isinstance(value, dict):
        out.append(f"<{tag}>")
        for k, v in value.items():
            _xml(k, v, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_scalar(value)}</{tag}>")


def to_xml(root: str, body: dict[str, Any]) -> str:
    out = ["<?xml version='1.0' encoding='UTF-8'?>"]
    _xml(root, body, out)
    return "".join(out)


def render(body: dict[str, Any], fmt: str, root: str) -> tuple[str, str]:
    """(text, media type) of a body in ``JSON`` or ``XML``."""
    if fmt.upper() == "XML":
        return to_xml(root, body), "text/xml;charset=utf-8"
    return json.dumps(body, ensure_ascii=False), "application/json;charset=utf-8"


def error_body(exc: EhpcError, request_id: str, host_id: str) -> dict[str, Any]:
    body = {"RequestId": request_id, "HostId": host_id, "Code": exc.code, "Message": exc.message}
    if exc.field:
        body["Recommend"] = f"Check the parameter {exc.field}."
    return body

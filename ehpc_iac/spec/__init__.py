"""Pydantic models of E-HPC requests. No I/O except reading a spec file the caller names."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import InvalidParams
from .catalog import INSTANCE_TYPES, InstanceType
from .cluster import ClusterSpec, check_password
from .params import parse, unflatten

__all__ = ["ClusterSpec", "InstanceType", "INSTANCE_TYPES", "check_password", "load_cluster_spec",
           "read_request_file", "parse", "unflatten"]


def read_request_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON request file (nested or flat API parameter names)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InvalidParams("file", f"cannot read {p}: {exc.strerror}") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InvalidParams("file", f"{p} is not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidParams("file", f"{p} must hold a mapping of parameter names to values")
    return dict(data)


def load_cluster_spec(data: Mapping[str, Any]) -> ClusterSpec:
    return parse(ClusterSpec, data)

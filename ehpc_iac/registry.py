"""Back ends named in a table and imported on first use (schedulers, account services)."""
from __future__ import annotations

import importlib
from typing import Any, Mapping

from .errors import InvalidParams


def load_backend(table: Mapping[str, str], key: str, field: str) -> Any:
    """An instance of ``table[key]`` ("module:Class"); InvalidParams naming ``field`` when absent."""
    target = table.get(key)
    if target is None:
        raise InvalidParams(field, f"{key!r} is not available; available: {', '.join(table)}")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)()

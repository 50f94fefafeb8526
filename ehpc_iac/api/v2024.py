"""E-HPC 2.0 (2024-07-30) actions -> the operations facade (placeholder: owned by the 2.0 work)."""
from __future__ import annotations

from typing import Any, Callable

from ..errors import UnsupportedAction

VERSION = "2024-07-30"


def handler(action: str) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    raise UnsupportedAction(action, VERSION, known=False)

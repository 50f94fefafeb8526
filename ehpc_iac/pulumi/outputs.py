"""Stack outputs of the machines-only programs."""
from __future__ import annotations

from typing import Any

import pulumi


def export_outputs(out: dict[str, Any]) -> dict[str, Any]:
    """Export every public value of a ``declare`` result (keys starting with ``_`` hold resources)."""
    for k, v in out.items():
        if not k.startswith("_"):
            pulumi.export(k, v)
    return out

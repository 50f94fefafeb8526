"""Compact host lists (``compute[0-2,5],login0``), as Slurm and its tools print them."""
from __future__ import annotations

import re

_TERM = re.compile(r"([^,\[]*)(?:\[([^\]]*)\])?([^,\[]*)")


def expand_hostlist(expr: str) -> list[str]:
    """compute[0-2,5],login0 -> [compute0, compute1, compute2, compute5, login0]; a bracket that is
    not a numeric range is kept as it is."""
    out: list[str] = []
    for prefix, ranges, suffix in _TERM.findall(expr.strip()):
        if not ranges:
            if prefix + suffix:
                out.append(prefix + suffix)
            continue
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            if not (lo.isdigit() and (hi or lo).isdigit()):
                out.append(f"{prefix}[{ranges}]{suffix}")
                continue
            out += [f"{prefix}{str(n).zfill(len(lo))}{suffix}" for n in range(int(lo), int(hi or lo) + 1)]
    return out

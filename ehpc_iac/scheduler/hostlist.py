"""Compact host lists (``compute[0-2,5],login0``), as Slurm and its tools print them."""
from __future__ import annotations


def _split_top(expr: str) -> list[str]:
    parts, token, depth = [], "", 0
    for ch in expr:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            parts.append(token)
            token = ""
        else:
            token += ch
    if token:
        parts.append(token)
    return parts


def expand_hostlist(expr: str) -> list[str]:
    """compute[0-2,5],login0 -> [compute0, compute1, compute2, compute5, login0]."""
    out: list[str] = []
    for p in _split_top(expr.strip()):
        if "[" not in p:
            if p:
                out.append(p)
            continue
        prefix, rest = p.split("[", 1)
        body, suffix = rest.split("]", 1)
        for rng in body.split(","):
            if "-" in rng:
                lo, hi = rng.split("-")
                width = len(lo)
                out += [f"{prefix}{str(k).zfill(width)}{suffix}" for k in range(int(lo), int(hi) + 1)]
            else:
                out.append(f"{prefix}{rng}{suffix}")
    return out

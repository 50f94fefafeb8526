"""The REST job API of seed 003 (placeholder: owned by the REST job API work)."""
from __future__ import annotations

from fastapi import APIRouter

from .context import ApiContext


def router(ctx: ApiContext) -> APIRouter:
    return APIRouter()

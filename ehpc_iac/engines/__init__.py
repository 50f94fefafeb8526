"""Make machines: docker (embedded default); pulumi and hosts arrive with their issue."""
from __future__ import annotations

from ..errors import InvalidParams
from .base import Access, ConvergeResult, Engine, NodeOutput, Progress, no_progress

ENGINES = ("docker",)


def get_engine(name: str = "docker") -> Engine:
    if name == "docker":
        from .docker import DockerEngine
        return DockerEngine()
    raise InvalidParams("Engine", f"unknown engine {name!r}; available: {', '.join(ENGINES)}")


__all__ = ["Access", "ConvergeResult", "Engine", "NodeOutput", "Progress", "get_engine", "no_progress"]

"""Make machines: docker (the embedded default), pulumi (Automation API over stacks/), hosts
(existing machines over SSH). One small interface: base.Engine."""
from __future__ import annotations

from ..errors import InvalidParams
from .base import Access, ConvergeResult, Engine, NodeOutput, Progress, no_progress

ENGINES = ("docker", "hosts", "pulumi")


def get_engine(name: str = "docker") -> Engine:
    if name == "docker":
        from .docker import DockerEngine
        return DockerEngine()
    if name == "hosts":
        from .hosts import HostsEngine
        return HostsEngine()
    if name == "pulumi":
        from .pulumi import PulumiEngine
        return PulumiEngine()
    raise InvalidParams("Engine", f"unknown engine {name!r}; available: {', '.join(ENGINES)}")


__all__ = ["Access", "ConvergeResult", "Engine", "NodeOutput", "Progress", "get_engine", "no_progress"]

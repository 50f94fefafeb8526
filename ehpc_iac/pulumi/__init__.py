"""Pulumi components for your own programs: ``Cluster`` (machines + configuration + users),
``User``, ``Queue``, and the machine choices ``DockerMachines``, ``AliCloudMachines``,
``ExistingHosts``. ``Configuration`` is the dynamic resource (a pure-Python provider) that runs
the project's configuration steps on the machines.

Nothing below this package imports it. The machine programs (``machines_docker``,
``machines_alicloud``), which the pulumi engine loads through ``stacks/``, depend only on the plan
and the engines, so the names here are resolved on first use: importing a machine program does not
pull in the configuration layers."""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"AliCloudMachines": "component", "Cluster": "component", "DockerMachines": "component",
          "ExistingHosts": "component", "Queue": "component", "User": "component",
          "Configuration": "provider", "ConfigurationProvider": "provider"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)

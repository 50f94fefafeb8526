"""The narrow interface every engine implements: make machines, report them, remove them.

Engines never configure software; they hand back where each planned node can
be reached (address, SSH port) and what it is (CPUs, memory). The configure
layer takes it from there. Idempotence contract: ``converge`` on an unchanged
plan creates, replaces and removes nothing.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..plan import ClusterPlan

Progress = Callable[[str], None]


def no_progress(_msg: str) -> None:
    return None


# Node statuses of the E-HPC reference (ListNodes).
RUNNING, STOPPED, EXCEPTION, MISSING, INSTALLING = "running", "stopped", "exception", "missing", "installing"


@dataclass
class NodeOutput:
    hostname: str
    instance_id: str
    status: str                       # running | stopped | exception | missing
    address: Optional[str] = None     # where SSH reaches the node
    port: int = 22
    private_ip: Optional[str] = None
    cpus: int = 1
    memory_mb: int = 1024
    created_at: Optional[str] = None


@dataclass
class ConvergeResult:
    nodes: dict[str, NodeOutput]
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.replaced or self.removed or self.started)


@dataclass(frozen=True)
class Access:
    """How the control plane reaches nodes: the per-cluster SSH key pair."""
    public_key: str
    private_key_file: Path
    user: str = "root"


class Engine(ABC):
    name: str = "abstract"
    #: its machines run real daemons reachable over SSH (live health checks look at them)
    daemons_reachable: bool = True

    @abstractmethod
    def check(self) -> None:
        """Raise EngineUnavailable (with how to fix it) if the engine cannot work here."""

    @abstractmethod
    def converge(self, plan: ClusterPlan, access: Access, progress: Progress = no_progress) -> ConvergeResult:
        """Make the machines match the plan: create missing, replace changed, remove unplanned, start stopped."""

    @abstractmethod
    def inspect(self, plan: ClusterPlan) -> dict[str, NodeOutput]:
        """Current state of every planned node (status ``missing`` when absent)."""

    @abstractmethod
    def stop(self, plan: ClusterPlan, progress: Progress = no_progress,
             hostnames: Optional[list[str]] = None) -> None:
        """Stop every node (or the named ones), keeping disks and volumes."""

    @abstractmethod
    def start(self, plan: ClusterPlan, progress: Progress = no_progress,
              hostnames: Optional[list[str]] = None) -> dict[str, NodeOutput]:
        """Start stopped nodes (all, or the named ones); return the outputs of every node."""

    @abstractmethod
    def remove_nodes(self, plan: ClusterPlan, hostnames: list[str], progress: Progress = no_progress) -> None:
        """Remove the named nodes' machines (not the volumes); a converge re-creates planned ones."""

    @abstractmethod
    def destroy(self, cluster_id: str, progress: Progress = no_progress) -> list[str]:
        """Remove every machine, network and volume of the cluster; return what was removed."""

    # --- engines that adopt existing machines (hosts) --------------------------------------
    def admin_access(self, home: Path) -> Optional[Access]:
        """The key pair the admin authorises on existing machines before a create, or None when
        the engine makes its machines (and each cluster gets a fresh key)."""
        return None

    def adopt_access(self, home: Path, cluster_ssh_dir: Path) -> None:
        """Make ``admin_access`` the new cluster's own key pair (before the cluster's key is made)."""

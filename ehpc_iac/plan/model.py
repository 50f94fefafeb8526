"""The concrete plan of a cluster: nodes, roles, host names, instance ids, volumes.

A plan is plain data (frozen dataclasses, JSON round-trip) that every engine
(docker, pulumi, hosts) and the configuration step read the same way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

# E-HPC node roles (ListNodes reference).
SCHEDULER = "Scheduler"
SCHEDULER_BACKUP = "SchedulerBackup"
ACCOUNT = "Account"
LOGIN = "Login"
COMPUTE = "Compute"
ROLES = (SCHEDULER, SCHEDULER_BACKUP, ACCOUNT, LOGIN, COMPUTE)

# EcsInfo groups of DescribeCluster.
MANAGER_GROUP, LOGIN_GROUP, COMPUTE_GROUP = "Manager", "Login", "Compute"


@dataclass(frozen=True)
class NodePlan:
    hostname: str
    instance_id: str
    roles: tuple[str, ...]
    group: str                  # Manager | Login | Compute (EcsInfo)
    instance_type: str
    cpus: int
    memory_mb: int
    queue: Optional[str] = None  # compute nodes: the queue (Slurm partition) they serve
    volumes: tuple[str, ...] = ()  # names of VolumePlan entries mounted on this node
    create_mode: str = "manual"    # manual | autoscale (AddNodes CreateMode)
    add_time: Optional[str] = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_compute(self) -> bool:
        return COMPUTE in self.roles


@dataclass(frozen=True)
class VolumePlan:
    name: str                    # engine-level name (docker volume name, NAS id ...)
    mount_path: str              # where nodes see it
    remote_server: Optional[str] = None   # NFS server (VolumeMountpoint) or None for engine-provided
    remote_dir: str = "/"
    options: Optional[str] = None
    purpose: str = "shared"      # home | shared | slurm-state


@dataclass(frozen=True)
class QueuePlan:
    name: str
    default: bool = False
    instance_type: Optional[str] = None   # default instance type of nodes added to this queue


@dataclass(frozen=True)
class ClusterPlan:
    cluster_id: str
    name: str
    deploy_mode: str
    ha_enable: bool
    nis_domain: str
    network: str
    nodes: tuple[NodePlan, ...]
    volumes: tuple[VolumePlan, ...]
    queues: tuple[QueuePlan, ...]
    scheduler_type: str = "slurm"
    account_type: str = "nis"
    scheduler_settings: dict[str, Any] = field(default_factory=dict)   # SetSchedulerInfo (the back end's names)
    os_tag: str = "Debian_12_64"
    image_id: Optional[str] = None
    post_install: tuple[dict, ...] = ()
    applications: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    # the account service's settings, no secrets (ldap joining a directory: uri, base_dn, bind_dn, ca_cert)
    account_options: dict[str, str] = field(default_factory=dict)

    # --- lookups -------------------------------------------------------
    def node(self, hostname: str) -> NodePlan:
        for n in self.nodes:
            if n.hostname == hostname:
                return n
        raise KeyError(hostname)

    def with_role(self, role: str) -> list[NodePlan]:
        return [n for n in self.nodes if role in n.roles]

    @property
    def computes(self) -> list[NodePlan]:
        return self.with_role(COMPUTE)

    @property
    def schedulers(self) -> list[NodePlan]:
        """Primary first, then the backup."""
        return self.with_role(SCHEDULER) + self.with_role(SCHEDULER_BACKUP)

    @property
    def account_server(self) -> NodePlan:
        return self.with_role(ACCOUNT)[0]

    @property
    def logins(self) -> list[NodePlan]:
        return self.with_role(LOGIN)

    def volume(self, name: str) -> VolumePlan:
        for v in self.volumes:
            if v.name == name:
                return v
        raise KeyError(name)

    def container_name(self, hostname: str) -> str:
        return f"{self.cluster_id}-{hostname}"

    # --- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ClusterPlan":
        d = dict(d)
        d["nodes"] = tuple(NodePlan(**{**n, "roles": tuple(n["roles"]), "volumes": tuple(n.get("volumes", ()))})
                           for n in d["nodes"])
        d["volumes"] = tuple(VolumePlan(**v) for v in d["volumes"])
        d["queues"] = tuple(QueuePlan(**q) for q in d["queues"])
        d["post_install"] = tuple(d.get("post_install", ()))
        d["applications"] = tuple(d.get("applications", ()))
        return cls(**d)

    def replace(self, **changes) -> "ClusterPlan":
        return replace(self, **changes)

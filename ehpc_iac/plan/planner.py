"""Spec -> plan, for every DeployMode of the E-HPC reference.

    Standard  account0 (Account), scheduler0 (Scheduler), login0.., compute0..
    Simple    manager0 (Scheduler+Account), login0.., compute0..
    Tiny      manager0 (Scheduler+Account+Login), compute0..
    OneBox    manager0 (Scheduler+Account+Login+Compute), optional compute0..
    HaEnable  adds a backup scheduler (scheduler1 in Standard, manager1 otherwise)

A pure function: instance ids come from the ``new_instance_id`` callable, so
tests pass a deterministic one.
"""
from __future__ import annotations

import secrets
import string
from typing import Callable, Iterable

from ..spec import INSTANCE_TYPES, ClusterSpec
from ..spec.catalog import APPLICATIONS
from .model import (ACCOUNT, COMPUTE, COMPUTE_GROUP, LOGIN, LOGIN_GROUP, MANAGER_GROUP,
                    SCHEDULER, SCHEDULER_BACKUP, ClusterPlan, NodePlan, QueuePlan, VolumePlan)

_ALNUM = string.ascii_lowercase + string.digits
_ID_ALNUM = string.ascii_letters + string.digits


def random_instance_id() -> str:
    return "i-" + "".join(secrets.choice(_ALNUM) for _ in range(20))


def random_cluster_id(region: str = "local") -> str:
    short = {"local": "lo"}.get(region, region[:2] or "lo")
    return f"ehpc-{short}-" + "".join(secrets.choice(_ID_ALNUM) for _ in range(10))


def _node(hostname: str, roles: Iterable[str], group: str, instance_type: str, new_id: Callable[[], str],
          queue: str | None = None) -> NodePlan:
    t = INSTANCE_TYPES[instance_type]
    roles = tuple(roles)
    return NodePlan(hostname=hostname, instance_id=new_id(), roles=roles, group=group,
                    instance_type=instance_type, cpus=t.cpus, memory_mb=t.memory_mb,
                    queue=queue if COMPUTE in roles else None)


def compute_node(index: int, instance_type: str, queue: str, new_id: Callable[[], str],
                 prefix: str = "compute", suffix: str = "") -> NodePlan:
    return _node(f"{prefix}{index}{suffix}", (COMPUTE,), COMPUTE_GROUP, instance_type, new_id, queue)


def _managers(spec: ClusterSpec, new_id: Callable[[], str]) -> list[NodePlan]:
    mtype = spec.EcsOrder.Manager.InstanceType
    mode = spec.DeployMode
    if mode == "Standard":
        nodes = [_node("account0", (ACCOUNT,), MANAGER_GROUP, mtype, new_id),
                 _node("scheduler0", (SCHEDULER,), MANAGER_GROUP, mtype, new_id)]
        if spec.HaEnable:
            nodes.append(_node("scheduler1", (SCHEDULER_BACKUP,), MANAGER_GROUP, mtype, new_id))
        return nodes
    primary = {"Simple": (SCHEDULER, ACCOUNT),
               "Tiny": (SCHEDULER, ACCOUNT, LOGIN),
               "OneBox": (SCHEDULER, ACCOUNT, LOGIN, COMPUTE)}[mode]
    nodes = [_node("manager0", primary, MANAGER_GROUP, mtype, new_id, spec.JobQueue)]
    if spec.HaEnable:
        nodes.append(_node("manager1", (SCHEDULER_BACKUP,), MANAGER_GROUP, mtype, new_id))
    return nodes


def _volumes(spec: ClusterSpec, cluster_id: str, nodes: list[NodePlan]) -> list[VolumePlan]:
    vols = [VolumePlan(name=spec.VolumeId or f"{cluster_id}-home", mount_path="/home",
                       remote_server=spec.VolumeMountpoint, remote_dir=spec.RemoteDirectory,
                       options=spec.VolumeMountOption, purpose="home"),
            VolumePlan(name=f"{cluster_id}-slurmctld", mount_path="/var/spool/slurmctld",
                       purpose="slurm-state")]
    for i, av in enumerate(spec.AdditionalVolumes, start=1):
        vols.append(VolumePlan(name=av.VolumeId or f"{cluster_id}-vol{i}", mount_path=av.LocalDirectory,
                               remote_server=av.VolumeMountpoint, remote_dir=av.RemoteDirectory,
                               options=av.VolumeMountOption, purpose="shared"))
    return vols


def _mounts_for(node: NodePlan, spec: ClusterSpec, vols: list[VolumePlan]) -> tuple[str, ...]:
    names = [vols[0].name]
    if node.has(SCHEDULER) or node.has(SCHEDULER_BACKUP):
        names.append(vols[1].name)
    for av, vol in zip(spec.AdditionalVolumes, vols[2:]):
        wanted = {r.Name for r in av.Roles}
        if not wanted or wanted & set(node.roles) or (SCHEDULER in wanted and node.has(SCHEDULER_BACKUP)):
            names.append(vol.name)
    return tuple(names)


def plan_cluster(spec: ClusterSpec, cluster_id: str,
                 new_instance_id: Callable[[], str] = random_instance_id) -> ClusterPlan:
    order = spec.EcsOrder
    nodes = _managers(spec, new_instance_id)
    for i in range(order.Login.Count or 0):
        nodes.append(_node(f"login{i}", (LOGIN,), LOGIN_GROUP, order.Login.InstanceType, new_instance_id))
    for i in range(order.Compute.Count or 0):
        nodes.append(compute_node(i, order.Compute.InstanceType, spec.JobQueue, new_instance_id))
    vols = _volumes(spec, cluster_id, nodes)
    nodes = [NodePlan(**{**n.__dict__, "volumes": _mounts_for(n, spec, vols)}) for n in nodes]
    packages: list[str] = []
    for app in spec.Application:
        packages += [p for p in APPLICATIONS[app.Tag] if p not in packages]
    return ClusterPlan(
        cluster_id=cluster_id,
        name=spec.Name,
        deploy_mode=spec.DeployMode,
        ha_enable=spec.HaEnable,
        nis_domain=cluster_id.lower(),
        network=f"{cluster_id}-net",
        nodes=tuple(nodes),
        volumes=tuple(vols),
        queues=(QueuePlan(spec.JobQueue, default=True),),
        scheduler_type=spec.SchedulerType,
        account_type=spec.AccountType,
        os_tag=spec.OsTag,
        image_id=spec.ImageId,
        post_install=tuple({"url": p.Url, "args": p.Args} for p in spec.PostInstallScript),
        applications=tuple(packages),
        labels={"ehpc.cluster-id": cluster_id, "ehpc.cluster-name": spec.Name},
        account_options=spec.OpenldapPar.plan_options() if spec.OpenldapPar else {},
    )


def compute_mounts(plan: ClusterPlan, spec: ClusterSpec) -> tuple[str, ...]:
    """Volumes a new compute node mounts: /home and the additional volumes meant for computes."""
    vols = list(plan.volumes)
    names = [vols[0].name]
    for av, vol in zip(spec.AdditionalVolumes, vols[2:]):
        wanted = {r.Name for r in av.Roles}
        if not wanted or COMPUTE in wanted:
            names.append(vol.name)
    return tuple(names)


def next_hostnames(plan: ClusterPlan, count: int, prefix: str = "compute", suffix: str = "") -> list[str]:
    """``count`` new host names prefixN+suffix after the highest N in use (names are never reused
    while their node exists)."""
    used = set()
    for n in plan.nodes:
        h = n.hostname
        if h.startswith(prefix) and h.endswith(suffix):
            middle = h[len(prefix):len(h) - len(suffix) if suffix else None]
            if middle.isdigit():
                used.add(int(middle))
    start = max(used) + 1 if used else 0
    return [f"{prefix}{i}{suffix}" for i in range(start, start + count)]


def add_compute_nodes(plan: ClusterPlan, spec: ClusterSpec, count: int, instance_type: str, queue: str,
                      new_instance_id: Callable[[], str] = random_instance_id, prefix: str = "compute",
                      suffix: str = "", create_mode: str = "manual",
                      add_time: str | None = None) -> tuple[ClusterPlan, list[NodePlan]]:
    """The plan with ``count`` more compute nodes, and those nodes."""
    mounts = compute_mounts(plan, spec)
    t = INSTANCE_TYPES[instance_type]
    new = [NodePlan(hostname=h, instance_id=new_instance_id(), roles=(COMPUTE,), group=COMPUTE_GROUP,
                    instance_type=instance_type, cpus=t.cpus, memory_mb=t.memory_mb, queue=queue, volumes=mounts,
                    create_mode=create_mode, add_time=add_time)
           for h in next_hostnames(plan, count, prefix, suffix)]
    return plan.replace(nodes=plan.nodes + tuple(new)), new


def remove_nodes(plan: ClusterPlan, hostnames: Iterable[str]) -> ClusterPlan:
    gone = set(hostnames)
    return plan.replace(nodes=tuple(n for n in plan.nodes if n.hostname not in gone))

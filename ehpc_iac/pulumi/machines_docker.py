"""The cluster's machines on a Docker host: a network, volumes and one container per planned node.

``declare`` is used by the ``Cluster`` component (children of it); ``program`` (declare and export)
is the machines-only program of ``stacks/docker`` that the pulumi engine drives.

Every container property comes from ``ehpc_iac.engines.docker.container_spec`` (the single
description the embedded docker engine also creates containers from); this module only maps
that dict onto ``pulumi_docker.Container`` arguments and never re-derives a value.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Optional

import pulumi
import pulumi_docker as docker

from ..engines.base import Access
from ..engines.docker import (LABEL_CLUSTER, LABEL_MANAGED, MANAGED_BY, _assign_ips, container_spec, node_limits,
                              volume_driver_opts)
from ..plan import ClusterPlan
from .outputs import export_outputs

DEFAULT_SUBNET = "172.28.0.0/24"


def assign_ips(plan: ClusterPlan, subnet: str = DEFAULT_SUBNET,
               current: dict[str, str | None] | None = None) -> dict[str, str]:
    """Fixed node addresses, by the docker engine's own rule (.10 upwards, kept addresses kept)."""
    return _assign_ips(ipaddress.ip_network(subnet), plan, dict(current or {}))


def _labels(d: dict[str, str], cls):
    return [cls(label=k, value=v) for k, v in sorted(d.items())]


def container_args(spec: dict[str, Any], network_name: Any) -> dict[str, Any]:
    """``container_spec``'s dict as ``pulumi_docker.Container`` keyword arguments."""
    return dict(
        name=spec["name"],
        image=spec["image"],
        hostname=spec["hostname"],
        domainname=spec["domainname"],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(
            name=network_name, aliases=list(spec["aliases"]), ipv4_address=spec["ipv4_address"])],
        volumes=[docker.ContainerVolumeArgs(volume_name=vol, container_path=m["bind"], read_only=m["mode"] == "ro")
                 for vol, m in spec["volumes"].items()],
        envs=[f"{k}={v}" for k, v in spec["environment"].items()],
        cpus=str(spec["nano_cpus"] / 1_000_000_000).removesuffix(".0"),
        memory=int(spec["mem_limit"].removesuffix("m")),
        labels=_labels(spec["labels"], docker.ContainerLabelArgs),
        init=spec["init"],
        restart=spec["restart_policy"]["Name"],
        must_run=True,
    )


def declare(plan: ClusterPlan, image: str, access_public_key: Any, host_cpus: int,
            ips: dict[str, str], subnet: str = DEFAULT_SUBNET,
            opts: Optional[pulumi.ResourceOptions] = None) -> dict[str, Any]:
    """Declare the cluster's network, volumes and containers (children of ``opts.parent`` when given)."""
    opts = opts or pulumi.ResourceOptions()
    access = Access(public_key=access_public_key, private_key_file=None)  # type: ignore[arg-type]
    base_labels = {LABEL_CLUSTER: plan.cluster_id, LABEL_MANAGED: MANAGED_BY}
    net = docker.Network(plan.network, name=plan.network, driver="bridge",
                         ipam_configs=[docker.NetworkIpamConfigArgs(subnet=subnet)],
                         labels=_labels(base_labels, docker.NetworkLabelArgs), opts=opts)
    volumes = {}
    for vol in plan.volumes:
        volumes[vol.name] = docker.Volume(vol.name, name=vol.name, driver="local",
                                          driver_opts=volume_driver_opts(vol),
                                          labels=_labels({**base_labels, "ehpc.purpose": vol.purpose},
                                                         docker.VolumeLabelArgs), opts=opts)
    containers = {}
    for node in plan.nodes:
        spec = container_spec(plan, node, image, access, host_cpus, ips.get(node.hostname))
        deps = [volumes[v] for v in node.volumes]
        containers[node.hostname] = docker.Container(
            spec["name"], **container_args(spec, net.name),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=deps)))
    nodes = []
    for n in plan.nodes:
        cpus, memory_mb = node_limits(n, host_cpus)
        ip = ips.get(n.hostname)
        nodes.append({"hostname": n.hostname, "roles": list(n.roles), "instance_id": n.instance_id,
                      "container": plan.container_name(n.hostname), "ip": ip, "address": ip, "port": 22,
                      "private_ip": ip, "cpus": cpus, "memory_mb": memory_mb, "queue": n.queue, "group": n.group})
    outputs = {
        "clusterId": plan.cluster_id,
        "network": net.name,
        "nodes": nodes,
        "queues": [{"name": q.name, "default": q.default} for q in plan.queues],
        "volumes": [{"name": v.name, "mount_path": v.mount_path, "purpose": v.purpose,
                     "remote_server": v.remote_server} for v in plan.volumes],
        "plan": plan.to_dict(),
    }
    every = [net, *volumes.values(), *containers.values()]
    return {**outputs, "_containers": containers, "_volumes": volumes, "_network": net, "_resources": every}


def program(plan: ClusterPlan, image: str, access_public_key: str, host_cpus: int,
            ips: dict[str, str], subnet: str = DEFAULT_SUBNET) -> dict[str, Any]:
    """Declare the cluster's machines at the top of a stack; export and return the outputs."""
    return export_outputs(declare(plan, image, access_public_key, host_cpus, ips, subnet))

"""The cluster's machines on Alibaba Cloud. ``declare`` is used by the ``Cluster`` component
(children of it); ``program`` (declare and export) is the machines-only program of
``stacks/alicloud`` that the pulumi engine drives.

One ECS instance per planned node (instance type, host name and instance name from the plan),
a VPC + vSwitch, a security group that admits SSH only from ``allowedSshCidr`` and all traffic
between cluster members, a key pair from a public key (no private key anywhere), and a NAS file
system + mount target as the shared /home unless the spec names an NFS server
(``VolumeMountpoint``). No credentials here: the provider reads them from its own config/env.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_alicloud as alicloud

from ..plan import ClusterPlan
from .outputs import export_outputs

ALL_PORTS = "-1/-1"


@dataclass(frozen=True)
class AliConfig:
    image_id: str                 # ECS image for every node
    zone_id: str                  # availability zone of the vSwitch, instances, NAS
    allowed_ssh_cidr: str         # the only source SSH (22/tcp) is admitted from
    public_key: Any               # str or Output[str] (a secret): the key pair's public key
    vpc_cidr: str = "10.60.0.0/16"
    vswitch_cidr: str = "10.60.1.0/24"
    key_pair_name: Optional[str] = None        # default: <cluster id>-key
    internet_max_bandwidth_out: int = 10       # >0 gives every node a public IP
    system_disk_category: str = "cloud_essd"
    nas_storage_type: str = "Performance"

    def __post_init__(self):
        if not self.image_id:
            raise ValueError("imageId is required (an ECS image id, e.g. a Debian 12 image of the region)")
        if not self.zone_id:
            raise ValueError("zoneId is required (config zoneId or the spec's ZoneId)")
        if not self.allowed_ssh_cidr:
            raise ValueError("allowedSshCidr is required (e.g. your office network, 203.0.113.0/24)")
        if self.allowed_ssh_cidr.strip() in ("0.0.0.0/0", "::/0"):
            raise ValueError("allowedSshCidr must not be the whole internet (0.0.0.0/0)")


def _tags(plan: ClusterPlan, **more: str) -> dict[str, str]:
    return {"ehpc.cluster-id": plan.cluster_id, "ehpc.cluster-name": plan.name, "ehpc.managed-by": "ehpc-iac",
            **more}


def declare(plan: ClusterPlan, config: AliConfig, opts: Optional[pulumi.ResourceOptions] = None) -> dict[str, Any]:
    """Declare the cluster on Alibaba Cloud (children of ``opts.parent`` when given)."""
    o = opts or pulumi.ResourceOptions()
    cid = plan.cluster_id
    vpc = alicloud.vpc.Network(f"{cid}-vpc", vpc_name=f"{cid}-vpc", cidr_block=config.vpc_cidr, tags=_tags(plan), opts=o)
    vsw = alicloud.vpc.Switch(f"{cid}-vsw", vswitch_name=f"{cid}-vsw", vpc_id=vpc.id,
                              cidr_block=config.vswitch_cidr, zone_id=config.zone_id, tags=_tags(plan), opts=o)
    sg = alicloud.ecs.SecurityGroup(f"{cid}-sg", security_group_name=f"{cid}-sg", vpc_id=vpc.id,
                                    description=f"E-HPC cluster {cid}", tags=_tags(plan), opts=o)
    rules = {
        "ssh": alicloud.ecs.SecurityGroupRule(
            f"{cid}-ssh", type="ingress", ip_protocol="tcp", port_range="22/22", nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, cidr_ip=config.allowed_ssh_cidr,
            description="SSH from the allowed CIDR only", opts=o),
        "intra-sg": alicloud.ecs.SecurityGroupRule(
            f"{cid}-intra-sg", type="ingress", ip_protocol="all", port_range=ALL_PORTS, nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, source_security_group_id=sg.id,
            description="all traffic between cluster members", opts=o),
        "intra-vsw": alicloud.ecs.SecurityGroupRule(
            f"{cid}-intra-vsw", type="ingress", ip_protocol="all", port_range=ALL_PORTS, nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, cidr_ip=config.vswitch_cidr,
            description="all traffic from the cluster vSwitch (NAS, Slurm, NIS)", opts=o),
    }
    key_name = config.key_pair_name or f"{cid}-key"
    key = alicloud.ecs.KeyPair(f"{cid}-key", key_pair_name=key_name, public_key=config.public_key,
                               tags=_tags(plan), opts=o)

    home = plan.volumes[0]
    nas_domain: Any = home.remote_server
    nas = mt = None
    if not home.remote_server:
        nas = alicloud.nas.FileSystem(f"{cid}-nas", protocol_type="NFS", storage_type=config.nas_storage_type,
                                      file_system_type="standard", zone_id=config.zone_id,
                                      description=f"{cid} /home", tags=_tags(plan), opts=o)
        mt = alicloud.nas.MountTarget(f"{cid}-nas-mt", file_system_id=nas.id, vswitch_id=vsw.id, vpc_id=vpc.id,
                                      network_type="Vpc", access_group_name="DEFAULT_VPC_GROUP_NAME", opts=o)
        nas_domain = mt.mount_target_domain

    instances = {}
    for node in plan.nodes:
        name = plan.container_name(node.hostname)
        instances[node.hostname] = alicloud.ecs.Instance(
            name, instance_name=name, host_name=node.hostname, instance_type=node.instance_type,
            image_id=config.image_id, availability_zone=config.zone_id, vswitch_id=vsw.id,
            security_groups=[sg.id], key_name=key.key_pair_name,
            internet_max_bandwidth_out=config.internet_max_bandwidth_out,
            system_disk_category=config.system_disk_category,
            tags=_tags(plan, **{"ehpc.hostname": node.hostname, "ehpc.instance-id": node.instance_id,
                                "ehpc.roles": ",".join(node.roles)}), opts=o)

    public = config.internet_max_bandwidth_out > 0
    nodes = [{"hostname": n.hostname, "roles": list(n.roles), "instance_id": n.instance_id,
              "ecs_instance_id": instances[n.hostname].id, "private_ip": instances[n.hostname].private_ip,
              "public_ip": instances[n.hostname].public_ip, "instance_type": n.instance_type,
              "address": instances[n.hostname].public_ip if public else instances[n.hostname].private_ip,
              "port": 22, "cpus": n.cpus, "memory_mb": n.memory_mb,
              "queue": n.queue, "group": n.group} for n in plan.nodes]
    outputs = {
        "clusterId": cid,
        "vpcId": vpc.id,
        "vswitchId": vsw.id,
        "securityGroupId": sg.id,
        "keyPairName": key.key_pair_name,
        "nodes": nodes,
        "nasMountTargetDomain": nas_domain,
        "queues": [{"name": q.name, "default": q.default} for q in plan.queues],
        "volumes": [{"name": v.name, "mount_path": v.mount_path, "purpose": v.purpose,
                     "remote_server": v.remote_server} for v in plan.volumes],
    }
    every = [vpc, vsw, sg, key, *rules.values(), *([nas, mt] if nas else []), *instances.values()]
    return {**outputs, "_instances": instances, "_rules": rules, "_nas": nas, "_resources": every}


def program(plan: ClusterPlan, config: AliConfig) -> dict[str, Any]:
    """Declare the cluster's machines at the top of a stack; export and return the outputs."""
    return export_outputs(declare(plan, config))

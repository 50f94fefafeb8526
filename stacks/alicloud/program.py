"""The alicloud stack's program: a function of the plan (importable, testable under mocks).

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

from ehpc_iac.plan import ClusterPlan

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


def program(plan: ClusterPlan, config: AliConfig) -> dict[str, Any]:
    """Declare the cluster on Alibaba Cloud; export and return the outputs."""
    cid = plan.cluster_id
    vpc = alicloud.vpc.Network(f"{cid}-vpc", vpc_name=f"{cid}-vpc", cidr_block=config.vpc_cidr, tags=_tags(plan))
    vsw = alicloud.vpc.Switch(f"{cid}-vsw", vswitch_name=f"{cid}-vsw", vpc_id=vpc.id,
                              cidr_block=config.vswitch_cidr, zone_id=config.zone_id, tags=_tags(plan))
    sg = alicloud.ecs.SecurityGroup(f"{cid}-sg", security_group_name=f"{cid}-sg", vpc_id=vpc.id,
                                    description=f"E-HPC cluster {cid}", tags=_tags(plan))
    rules = {
        "ssh": alicloud.ecs.SecurityGroupRule(
            f"{cid}-ssh", type="ingress", ip_protocol="tcp", port_range="22/22", nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, cidr_ip=config.allowed_ssh_cidr,
            description="SSH from the allowed CIDR only"),
        "intra-sg": alicloud.ecs.SecurityGroupRule(
            f"{cid}-intra-sg", type="ingress", ip_protocol="all", port_range=ALL_PORTS, nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, source_security_group_id=sg.id,
            description="all traffic between cluster members"),
        "intra-vsw": alicloud.ecs.SecurityGroupRule(
            f"{cid}-intra-vsw", type="ingress", ip_protocol="all", port_range=ALL_PORTS, nic_type="intranet",
            policy="accept", priority=1, security_group_id=sg.id, cidr_ip=config.vswitch_cidr,
            description="all traffic from the cluster vSwitch (NAS, Slurm, NIS)"),
    }
    key_name = config.key_pair_name or f"{cid}-key"
    key = alicloud.ecs.KeyPair(f"{cid}-key", key_pair_name=key_name, public_key=config.public_key,
                               tags=_tags(plan))

    home = plan.volumes[0]
    nas_domain: Any = home.remote_server
    nas = mt = None
    if not home.remote_server:
        nas = alicloud.nas.FileSystem(f"{cid}-nas", protocol_type="NFS", storage_type=config.nas_storage_type,
                                      file_system_type="standard", zone_id=config.zone_id,
                                      description=f"{cid} /home", tags=_tags(plan))
        mt = alicloud.nas.MountTarget(f"{cid}-nas-mt", file_system_id=nas.id, vswitch_id=vsw.id, vpc_id=vpc.id,
                                      network_type="Vpc", access_group_name="DEFAULT_VPC_GROUP_NAME")
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
                                "ehpc.roles": ",".join(node.roles)}))

    nodes = [{"hostname": n.hostname, "roles": list(n.roles), "instance_id": n.instance_id,
              "ecs_instance_id": instances[n.hostname].id, "private_ip": instances[n.hostname].private_ip,
              "public_ip": instances[n.hostname].public_ip, "instance_type": n.instance_type,
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
    for k, v in outputs.items():
        pulumi.export(k, v)
    every = [vpc, vsw, sg, key, *rules.values(), *([nas, mt] if nas else []), *instances.values()]
    return {**outputs, "_instances": instances, "_rules": rules, "_nas": nas, "_resources": every}

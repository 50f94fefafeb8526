"""`pulumi up` entry point: a whole cluster (ECS instances, NAS, configuration, users) on Alibaba
Cloud, with the ``Cluster`` component of ``ehpc_iac.pulumi``.

Config (namespace ehpc-alicloud; provider credentials come from `alicloud:accessKey`/
`alicloud:secretKey` secrets or ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, never from here):
  cluster, clusterId, queues, users + userPasswords, rootPassword, mungeKey   as in stacks/docker
  imageId        (string, required)  ECS image with the node image's software
  zoneId         (string, required unless the spec has ZoneId)
  allowedSshCidr (string, required)  the only source admitted on 22/tcp; 0.0.0.0/0 is refused
  vpcCidr, vswitchCidr, internetMaxBandwidthOut, systemDiskCategory (optional)
A stack of the pulumi engine of ehpc-iac (config ``plan``) declares the machines only, as before.
"""
import os
import sys

import pulumi

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from ehpc_iac.pulumi import AliCloudMachines, Cluster  # noqa: E402
from ehpc_iac.spec import load_cluster_spec  # noqa: E402
from stacks.alicloud.program import AliConfig, program  # noqa: E402
from stacks.stack_config import cluster_args, export_cluster, plan_from_config  # noqa: E402

cfg = pulumi.Config()
spec = load_cluster_spec(cfg.require_object("cluster"))
extra = {k: v for k, v in {
    "vpc_cidr": cfg.get("vpcCidr"),
    "vswitch_cidr": cfg.get("vswitchCidr"),
    "internet_max_bandwidth_out": cfg.get_int("internetMaxBandwidthOut"),
    "system_disk_category": cfg.get("systemDiskCategory"),
}.items() if v is not None}
zone = cfg.get("zoneId") or spec.ZoneId or ""
saved = cfg.get_object("plan")
if saved:
    plan = plan_from_config(cfg.require_object("cluster"), cfg.require("clusterId"), saved)
    outputs = program(plan, AliConfig(image_id=cfg.require("imageId"), zone_id=zone,
                                      allowed_ssh_cidr=cfg.require("allowedSshCidr"),
                                      public_key=cfg.require_secret("publicKey"),
                                      key_pair_name=cfg.get("keyPairName") or spec.KeyPairName, **extra))
else:
    cluster = Cluster("cluster", machines=AliCloudMachines(image_id=cfg.require("imageId"), zone_id=zone,
                                                           allowed_ssh_cidr=cfg.require("allowedSshCidr"), **extra),
                      **cluster_args(cfg))
    export_cluster(cluster)

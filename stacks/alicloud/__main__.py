"""`pulumi up` entry point: reads the cluster from stack config, plans it, declares it.

Config (namespace ehpc-alicloud; provider credentials come from `alicloud:accessKey`/
`alicloud:secretKey` secrets or ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, never from here):
  cluster        (object, required)  the CreateCluster YAML/JSON (API names)
  clusterId      (string, required)
  imageId        (string, required)  ECS image id for every node
  zoneId         (string, required unless the spec has ZoneId)
  allowedSshCidr (string, required)  the only source admitted on 22/tcp; 0.0.0.0/0 is refused
  publicKey      (secret, required)  the key pair's SSH public key
  keyPairName, vpcCidr, vswitchCidr, internetMaxBandwidthOut, systemDiskCategory (optional)
  plan           (object)            optional: a saved plan (ClusterPlan.to_dict()) to declare as is
"""
import os
import sys

import pulumi

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from ehpc_iac.spec import load_cluster_spec  # noqa: E402
from stacks.alicloud.program import AliConfig, program  # noqa: E402
from stacks.stack_config import plan_from_config  # noqa: E402

cfg = pulumi.Config()
spec = load_cluster_spec(cfg.require_object("cluster"))
saved = cfg.get_object("plan")
plan = plan_from_config(cfg.require_object("cluster"), cfg.require("clusterId"), saved)
extra = {k: v for k, v in {
    "key_pair_name": cfg.get("keyPairName") or spec.KeyPairName,
    "vpc_cidr": cfg.get("vpcCidr"),
    "vswitch_cidr": cfg.get("vswitchCidr"),
    "internet_max_bandwidth_out": cfg.get_int("internetMaxBandwidthOut"),
    "system_disk_category": cfg.get("systemDiskCategory"),
}.items() if v is not None}
outputs = program(plan, AliConfig(image_id=cfg.require("imageId"), zone_id=cfg.get("zoneId") or spec.ZoneId or "",
                        allowed_ssh_cidr=cfg.require("allowedSshCidr"),
                        public_key=cfg.require_secret("publicKey"), **extra))

"""`pulumi up` entry point: reads the cluster from stack config, plans it, declares it.

Config (namespace ehpc-docker):
  cluster   (object, required)  the CreateCluster YAML/JSON (API names, nested or flat)
  clusterId (string, required)  e.g. ehpc-lo-abcdefghij (also names network, volumes, containers)
  publicKey (string, required)  SSH public key authorised for root on every node
  image     (string)            the node image (required unless the spec has ImageId)
  hostCpus  (int)               CPUs of the Docker host (caps instance-type CPUs; default 1)
  subnet    (string)            the cluster network's subnet (default 172.28.0.0/24)
  ips       (object)            optional: hostname -> address to keep (e.g. the `nodes` output of the
                                last update); other nodes get the lowest free address from .10 up
  plan      (object)            optional: a saved plan (ClusterPlan.to_dict()) to declare as is,
                                e.g. after AddNodes/DeleteNodes; overrides planning from `cluster`
"""
import os
import sys

import pulumi

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from stacks.docker.program import DEFAULT_SUBNET, assign_ips, program  # noqa: E402
from stacks.stack_config import plan_from_config  # noqa: E402

cfg = pulumi.Config()
saved = cfg.get_object("plan")
plan = plan_from_config(cfg.get_object("cluster") if saved else cfg.require_object("cluster"),
                        cfg.require("clusterId"), saved)
subnet = cfg.get("subnet") or DEFAULT_SUBNET
image = cfg.get("image") or plan.image_id
if not image:
    raise pulumi.RunError("Set the node image: `pulumi config set image <ref>` (e.g. the ehpc-iac/node:<tag> "
                          "image the docker engine built; see `docker images ehpc-iac/node`) or ImageId in the cluster")
outputs = program(plan, image, cfg.require("publicKey"), cfg.get_int("hostCpus") or 1, assign_ips(plan, subnet, cfg.get_object("ips")), subnet)

"""`pulumi up` entry point: a whole cluster (machines, configuration, users) on this Docker host,
with the ``Cluster`` component of ``ehpc_iac.pulumi``.

Config (namespace ehpc-docker; see stacks/README.md):
  cluster       (object, required)  the CreateCluster spec (API names, as in a cluster YAML)
  clusterId     (string)            default: derived from project, stack and resource name
  queues        (list)              [{name, computeCount, instanceType, default}] (default: the spec's JobQueue)
  users         (list)              [{name, group}]; passwords in the secret object userPasswords
  rootPassword, mungeKey (secrets)  optional
  image, hostCpus, subnet, ips      the Docker machines (defaults: the node image built here, the host's CPUs,
                                    172.28.0.0/24, addresses from .10)
A stack of the pulumi engine of ehpc-iac (config ``plan``) declares the machines only, as before:
the engine configures them.
"""
import os
import sys

import pulumi

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from ehpc_iac.pulumi import Cluster, DockerMachines  # noqa: E402
from stacks.docker.program import DEFAULT_SUBNET, assign_ips, program  # noqa: E402
from stacks.stack_config import cluster_args, export_cluster, plan_from_config  # noqa: E402

cfg = pulumi.Config()
subnet = cfg.get("subnet") or DEFAULT_SUBNET
saved = cfg.get_object("plan")
if saved:
    plan = plan_from_config(cfg.get_object("cluster") or {}, cfg.require("clusterId"), saved)
    outputs = program(plan, cfg.get("image") or plan.image_id, cfg.require("publicKey"), cfg.get_int("hostCpus") or 1,
                      assign_ips(plan, subnet, cfg.get_object("ips")), subnet)
else:
    cluster = Cluster("cluster", machines=DockerMachines(image=cfg.get("image"), host_cpus=cfg.get_int("hostCpus"),
                                                         subnet=subnet, ips=cfg.get_object("ips") or {}),
                      **cluster_args(cfg))
    export_cluster(cluster)

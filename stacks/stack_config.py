"""Shared by the stacks' entry points: the component's arguments from stack config, and the plan a
machines-only stack (one the pulumi engine of ehpc-iac made) declares."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

import pulumi

from ehpc_iac.plan import ClusterPlan, plan_cluster
from ehpc_iac.pulumi.model import QueueArgs, stable_instance_id
from ehpc_iac.spec import load_cluster_spec

__all__ = ["cluster_args", "export_cluster", "plan_from_config", "stable_instance_id"]


def plan_from_config(cluster: Mapping[str, Any], cluster_id: str,
                     saved_plan: Optional[Mapping[str, Any]] = None) -> ClusterPlan:
    """A saved plan (``ClusterPlan.to_dict()``, e.g. after AddNodes/DeleteNodes) as is; otherwise
    the plan of the CreateCluster parameters with instance ids derived from the host names."""
    if saved_plan:
        return ClusterPlan.from_dict(dict(saved_plan))
    plan = plan_cluster(load_cluster_spec(cluster), cluster_id)
    return plan.replace(nodes=tuple(dataclasses.replace(n, instance_id=stable_instance_id(cluster_id, n.hostname))
                                    for n in plan.nodes))


def cluster_args(cfg: pulumi.Config) -> dict[str, Any]:
    """The ``Cluster`` arguments every stack reads: ``cluster`` (the CreateCluster spec), ``clusterId``,
    ``queues`` ([{name, computeCount, instanceType, default}]), ``users`` ([{name, group}]) with their
    passwords in the secret object ``userPasswords`` ({name: password}), ``rootPassword`` and
    ``mungeKey`` (secrets), ``authorizedKeys``, ``drainTimeout``."""
    queues = [QueueArgs(q["name"], int(q.get("computeCount", 0)), q.get("instanceType"), bool(q.get("default")))
              for q in cfg.get_object("queues") or ()]
    users = cfg.get_object("users") or []
    passwords = cfg.require_secret_object("userPasswords") if users else None
    return {
        "spec": cfg.require_object("cluster"),
        "cluster_id": cfg.get("clusterId"),
        "queues": queues,
        "users": [{"Name": u["name"], "Group": u.get("group", "users"),
                   "Password": passwords.apply(lambda d, n=u["name"]: d[n])} for u in users],
        "root_password": cfg.get_secret("rootPassword"),
        "munge_key": cfg.get_secret("mungeKey"),
        "authorized_keys": cfg.get_object("authorizedKeys") or (),
        "drain_timeout": cfg.get_int("drainTimeout") or 3600,
    }


def export_cluster(cluster) -> None:
    """The outputs a person needs: where to log in, the nodes, the queues, the users, the cluster id."""
    for key, value in (("clusterId", cluster.cluster_id), ("loginAddress", cluster.login_address),
                       ("nodes", cluster.nodes), ("queues", cluster.queues), ("users", cluster.users),
                       ("publicKey", cluster.public_key)):
        pulumi.export(key, value)

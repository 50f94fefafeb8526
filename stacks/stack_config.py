"""Shared by the stacks' entry points: the plan a stack declares, from its config."""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Mapping, Optional

from ehpc_iac.plan import ClusterPlan, plan_cluster
from ehpc_iac.spec import load_cluster_spec

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def stable_instance_id(cluster_id: str, hostname: str) -> str:
    """An instance id in the planner's format (i- + 20 of [a-z0-9]) that is the same on every
    `pulumi up`: random ids would change every node's labels (and config hash) on each run."""
    n = int.from_bytes(hashlib.sha256(f"{cluster_id}/{hostname}".encode()).digest(), "big")
    out = []
    for _ in range(20):
        n, r = divmod(n, len(_ALNUM))
        out.append(_ALNUM[r])
    return "i-" + "".join(out)


def plan_from_config(cluster: Mapping[str, Any], cluster_id: str,
                     saved_plan: Optional[Mapping[str, Any]] = None) -> ClusterPlan:
    """A saved plan (``ClusterPlan.to_dict()``, e.g. after AddNodes/DeleteNodes) as is; otherwise
    the plan of the CreateCluster parameters with instance ids derived from the host names."""
    if saved_plan:
        return ClusterPlan.from_dict(dict(saved_plan))
    plan = plan_cluster(load_cluster_spec(cluster), cluster_id)
    return plan.replace(nodes=tuple(dataclasses.replace(n, instance_id=stable_instance_id(cluster_id, n.hostname))
                                    for n in plan.nodes))

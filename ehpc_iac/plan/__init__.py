"""Desired spec -> concrete nodes and roles per deploy mode. Pure: no I/O."""
from .model import (ACCOUNT, COMPUTE, LOGIN, ROLES, SCHEDULER, SCHEDULER_BACKUP, ClusterPlan,
                    NodePlan, QueuePlan, VolumePlan)
from .planner import (add_compute_nodes, compute_node, next_hostnames, plan_cluster, random_cluster_id,
                      random_instance_id, remove_nodes)

__all__ = ["ACCOUNT", "COMPUTE", "LOGIN", "ROLES", "SCHEDULER", "SCHEDULER_BACKUP", "ClusterPlan",
           "NodePlan", "QueuePlan", "VolumePlan", "add_compute_nodes", "compute_node", "next_hostnames", "plan_cluster", "random_cluster_id",
           "random_instance_id", "remove_nodes"]

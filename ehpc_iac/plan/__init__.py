"""Desired spec -> concrete nodes and roles per deploy mode. Pure: no I/O."""
from .model import (ACCOUNT, COMPUTE, LOGIN, ROLES, SCHEDULER, SCHEDULER_BACKUP, ClusterPlan,
                    NodePlan, QueuePlan, VolumePlan)
from .planner import compute_node, plan_cluster, random_cluster_id, random_instance_id

__all__ = ["ACCOUNT", "COMPUTE", "LOGIN", "ROLES", "SCHEDULER", "SCHEDULER_BACKUP", "ClusterPlan",
           "NodePlan", "QueuePlan", "VolumePlan", "compute_node", "plan_cluster", "random_cluster_id",
           "random_instance_id"]

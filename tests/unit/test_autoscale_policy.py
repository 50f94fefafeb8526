"""The scaler's pure parts: Slurm's pending jobs, nodes needed, the grow count within its limits."""
from ehpc_iac.ops.autoscale import stored_defaults
from ehpc_iac.ops.autoscale_policy import ScalePolicy, grow_count, nodes_needed, removable
from ehpc_iac.scheduler import PendingJob
from ehpc_iac.scheduler.slurm.nodes import parse_pending


def test_parse_pending_keeps_jobs_waiting_for_nodes():
    text = "\n".join(["4|auto|3|3|PartitionConfig", "5_1|auto|1|1|Resources", "6|auto,comp|2-4|8|Priority",
                      "7|auto|1|1|Dependency", "8|auto|1|1|JobHeldUser", "9|auto|1|1|BeginTime",
                      "10|auto|1|1|ReqNodeNotAvail, UnavailableNodes:compute3", "garbage"])
    jobs = parse_pending(text)
    assert [(j.id, j.queue, j.nodes, j.cpus) for j in jobs] == [
        ("4", "auto", 3, 3), ("5_1", "auto", 1, 1), ("6", "auto", 2, 8), ("10", "auto", 1, 1)]


def test_nodes_needed_packs_small_jobs_by_cpus():
    small = [PendingJob(str(i), "q", 1, 1) for i in range(5)]
    assert nodes_needed(small, node_cpus=1) == 5
    assert nodes_needed(small, node_cpus=2) == 3
    assert nodes_needed([PendingJob("a", "q", 2, 2), PendingJob("b", "q", 1, 4)], node_cpus=2) == 4


def policy(**cfg):
    queues = cfg.pop("Queues", [])
    return ScalePolicy.of({**stored_defaults(), "EnableAutoGrow": True, **cfg, "Queues": queues}, ["comp", "q"])


def test_queue_entries_win_over_global_ones():
    p = policy(MaxNodesInCluster=50, Queues=[{"QueueName": "q", "EnableAutoGrow": False, "EnableAutoShrink": True,
                                               "MaxNodesInQueue": 80, "MinNodesInQueue": 1}])
    assert (p.queues["comp"].grow, p.queues["comp"].max_nodes) == (True, 50)
    assert (p.queues["q"].grow, p.queues["q"].shrink, p.queues["q"].max_nodes) == (False, True, 50)
    assert p.grow_interval_s == 120 and p.grow_timeout_s == 1200
    assert policy(GrowIntervalInSeconds=3).grow_interval_s == 3


def test_grow_count_ratios_and_limits():
    p = policy(ExtraNodesGrowRatio=50, GrowRatio=50)
    d = grow_count(10, in_queue=0, in_cluster=1, qp=p.queues["comp"], policy=p, backend_max=1000)
    assert d.count == 8 and "+50% extra" in d.reason              # ceil(ceil(10 * 1.5) * 0.5)
    p = policy(Queues=[{"QueueName": "q", "MaxNodesInQueue": 3, "MinNodesPerCycle": 2}])
    assert grow_count(1, 0, 1, p.queues["q"], p, 1000).count == 2   # MinNodesPerCycle
    d = grow_count(6, 0, 1, p.queues["q"], p, 1000)
    assert d.count == 3 and "MaxNodesInQueue=3" in d.reason
    assert grow_count(6, 3, 4, p.queues["q"], p, 1000).count == 0
    assert grow_count(500, 0, 1, policy(MaxNodesInCluster=500).queues["comp"], policy(MaxNodesInCluster=500), 1000).count == 99
    assert grow_count(5, 0, 98, policy().queues["comp"], policy(), 100).count == 2   # the scheduler's limit
    p = policy(Queues=[{"QueueName": "q", "MinNodesInQueue": 2}])
    assert grow_count(0, 0, 1, p.queues["q"], p, 1000).count == 2   # topped up to MinNodesInQueue
    assert grow_count(0, 2, 3, p.queues["q"], p, 1000).count == 0


def test_removable_keeps_min_nodes():
    p = policy(Queues=[{"QueueName": "q", "MinNodesInQueue": 2}])
    assert removable(["a", "b", "c"], 4, p.queues["q"]) == ["a", "b"]
    assert removable(["a"], 2, p.queues["q"]) == []

"""Auto scaling with the fake engine and a fake scheduler: settings, the scaler's decisions, the lease."""
import pytest

from ehpc_iac.errors import InvalidOpt, InvalidParams, SchedulerError
from ehpc_iac.ops.autoscale_state import AutoScaleStore
from ehpc_iac.ops.lock import ClusterLock
from ehpc_iac.ops.scaler import Scaler
from ehpc_iac.scheduler import PendingJob
from ehpc_iac.scheduler.base import NodeScheduler
from tests.fakes import FakeSlurmNodes, use_node_scheduler

FAST = {"GrowIntervalInSeconds": 1, "ShrinkIntervalInSeconds": 1, "ShrinkIdleTimes": 2, "GrowTimeoutInSeconds": 60}


class FakeDemand(FakeSlurmNodes):
    """The fake scheduler plus pending jobs; nodes the engine made join as idle."""

    def __init__(self):
        super().__init__()
        self.pending: list[PendingJob] = []
        self.alloc: dict[str, int] = {}

    def info(self):
        return {h: {"state": s, "cpus_alloc": self.alloc.get(h, 0), "cpus_total": 1, "features": []}
                for h, s in self.states.items()}

    def pending_demand(self):
        return list(self.pending)

    def delete(self, nodes):
        super().delete(nodes)
        for n in nodes:
            self.states.pop(n, None)


@pytest.fixture
def demand(ehpc, monkeypatch):
    return use_node_scheduler(ehpc, monkeypatch, FakeDemand())


@pytest.fixture
def cid(ehpc, demand):
    cid = ehpc.create_cluster({"Name": "auto", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 1})["ClusterId"]
    ehpc.add_queue(ClusterId=cid, QueueName="burst")
    demand.states["compute0"] = "idle"
    return cid


def joined(ehpc, cid, demand, state="idle"):
    """Every compute of the plan shows in the scheduler (as after AddNodes' verify step)."""
    for n in ehpc.state.get_cluster(cid).plan.computes:
        demand.states.setdefault(n.hostname, state)


def queue_nodes(ehpc, cid, queue="burst"):
    return sorted(n.hostname for n in ehpc.state.get_cluster(cid).plan.computes if n.queue == queue)


def rounds(scaler, ehpc, cid, demand, n):
    for _ in range(n):
        scaler.tick(force=True)
        joined(ehpc, cid, demand)


def messages(ehpc, cid):
    return [l["message"] for l in ehpc.state.logs(cid) if l["operation"] == "AutoScale"]


# --- settings ---------------------------------------------------------------------------------------
def test_defaults_set_merge_and_view(ehpc, cid):
    got = ehpc.get_auto_scale_config(ClusterId=cid)
    assert (got["EnableAutoGrow"], got["GrowIntervalInMinutes"], got["ShrinkIdleTimes"], got["GrowTimeoutInMinutes"],
            got["GrowRatio"], got["MaxNodesInCluster"], got["ClusterType"]) == (False, 2, 3, 20, 100, 100, "slurm")
    ehpc.set_auto_scale_config({"ClusterId": cid, "EnableAutoGrow": "true", "Queues.1.QueueName": "burst",
                                "Queues.1.MaxNodesInQueue": "4", "Queues.1.InstanceTypes.1.InstanceType": "ecs.n1.small",
                                "Queues.1.SpotStrategy": "SpotAsPriceGo", "SpotPriceLimit": "0.5"})
    ehpc.set_auto_scale_config(ClusterId=cid, ShrinkIdleTimes=4)       # the rest stays
    got = ehpc.describe_auto_scale_config(ClusterId=cid)
    q = got["Queues"]["QueueInfo"][0]
    assert got["EnableAutoGrow"] is True and got["ShrinkIdleTimes"] == 4
    assert (q["QueueName"], q["MaxNodesInQueue"], q["InstanceType"], q["EnableAutoGrow"]) == ("burst", 4, "ecs.n1.small",
                                                                                               True)
    assert any("auto scaling: grow on" in l["message"] for l in ehpc.state.logs(cid))


@pytest.mark.parametrize("params, field", [
    ({"GrowIntervalInMinutes": 1}, "GrowIntervalInMinutes"), ({"ShrinkIntervalInMinutes": 11}, "ShrinkIntervalInMinutes"),
    ({"ShrinkIdleTimes": 1}, "ShrinkIdleTimes"), ({"GrowTimeoutInMinutes": 61}, "GrowTimeoutInMinutes"),
    ({"ExtraNodesGrowRatio": 101}, "ExtraNodesGrowRatio"), ({"GrowRatio": 0}, "GrowRatio"),
    ({"MaxNodesInCluster": 501}, "MaxNodesInCluster"), ({"EnableAutoGrow": "maybe"}, "EnableAutoGrow"),
    ({"ExcludeNodes": "compute9"}, "ExcludeNodes"), ({"GrowIntervalInSeconds": 0}, "GrowIntervalInSeconds"),
    ({"Queues.1.QueueName": "nope"}, "Queues.1.QueueName"),
    ({"Queues.1.QueueName": "burst", "Queues.1.MaxNodesInQueue": 2, "Queues.1.MinNodesInQueue": 3},
     "Queues.1.MinNodesInQueue"),
    ({"Queues.1.QueueName": "burst", "Queues.1.MaxNodesPerCycle": 100}, "Queues.1.MaxNodesPerCycle"),
    ({"Queues.1.QueueName": "burst", "Queues.1.InstanceType": "ecs.huge"}, "Queues.1.InstanceType"),
    ({"Queues.1.QueueName": "burst", "Queues.1.HostNamePrefix": "Bad_"}, "Queues.1.HostNamePrefix"),
    ({"Queues.1.QueueName": "burst", "Queues.2.QueueName": "burst"}, "Queues.2.QueueName"),
    ({"ImageId": "other/image:1"}, "ImageId"), ({"Bogus": 1}, "Bogus"),
])
def test_bad_settings_name_the_field(ehpc, cid, params, field):
    with pytest.raises(InvalidParams) as e:
        ehpc.set_auto_scale_config({"ClusterId": cid, **params})
    assert e.value.field == field
    assert AutoScaleStore(ehpc.state).config(cid) is None      # nothing stored


def test_engine_that_cannot_make_machines_refuses(ehpc, cid, fake):
    fake.makes_machines = False
    with pytest.raises(InvalidOpt) as e:
        ehpc.set_auto_scale_config({"ClusterId": cid, "Queues.1.QueueName": "burst", "Queues.1.EnableAutoShrink": True})
    assert e.value.field == "Queues.1.EnableAutoShrink" and "cannot make new ones" in e.value.message
    ehpc.set_auto_scale_config(ClusterId=cid, MaxNodesInCluster=5)   # settings without scaling are fine


def test_scheduler_without_demand_refuses_clearly():
    class Bare(NodeScheduler):
        info = drain = resume = jobs_on = delete = used_cpus = lambda *a: None
    with pytest.raises(SchedulerError, match="not available for this scheduler"):
        Bare().pending_demand()


# --- the scaler ---------------------------------------------------------------------------------------
def enable(ehpc, cid, **queue):
    ehpc.set_auto_scale_config({"ClusterId": cid, **FAST, "Queues": [
        {"QueueName": "burst", "EnableAutoGrow": True, "EnableAutoShrink": True, **queue}]})


def test_grows_for_a_two_node_job_then_shrinks_after_idle_rounds(ehpc, cid, demand):
    enable(ehpc, cid, MaxNodesInQueue=3)
    scaler = Scaler(ehpc)
    demand.pending = [PendingJob("7", "burst", nodes=2, cpus=2, reason="PartitionConfig")]
    rounds(scaler, ehpc, cid, demand, 1)
    assert queue_nodes(ehpc, cid) == ["compute1", "compute2"]
    assert {n.create_mode for n in ehpc.state.get_cluster(cid).plan.computes if n.queue == "burst"} == {"autoscale"}
    rounds(scaler, ehpc, cid, demand, 1)     # still pending (not scheduled yet): the idle nodes cover it
    assert queue_nodes(ehpc, cid) == ["compute1", "compute2"]
    demand.pending = []
    rounds(scaler, ehpc, cid, demand, 1)     # idle once
    assert queue_nodes(ehpc, cid) == ["compute1", "compute2"]
    rounds(scaler, ehpc, cid, demand, 1)     # idle twice (ShrinkIdleTimes=2): drained, checked, removed
    assert queue_nodes(ehpc, cid) == []
    assert set(demand.drained) >= {"compute1", "compute2"} and set(demand.deleted) >= {"compute1", "compute2"}
    assert "compute0" not in demand.deleted  # the default queue (and hand-made nodes) untouched
    log = messages(ehpc, cid)
    assert any(m.startswith("grow queue burst by 2 node(s)") and "7: 2 node(s), PartitionConfig" in m for m in log)
    assert any(m.startswith("shrink queue burst: removing compute1, compute2: idle 2 rounds") for m in log)


def test_burst_grows_to_max_nodes_in_queue_and_no_further(ehpc, cid, demand):
    enable(ehpc, cid, MaxNodesInQueue=3, MaxNodesPerCycle=2)
    scaler = Scaler(ehpc)
    demand.pending = [PendingJob(str(i), "burst") for i in range(6)]
    rounds(scaler, ehpc, cid, demand, 1)
    assert len(queue_nodes(ehpc, cid)) == 2            # MaxNodesPerCycle
    for h in queue_nodes(ehpc, cid):
        demand.states[h], demand.alloc[h] = "allocated", 1
    demand.pending = demand.pending[2:]
    rounds(scaler, ehpc, cid, demand, 3)
    assert len(queue_nodes(ehpc, cid)) == 3            # MaxNodesInQueue
    assert any("limited by MaxNodesInQueue=3" in m for m in messages(ehpc, cid))


def test_job_larger_than_the_queue_is_reported_not_grown_for(ehpc, cid, demand):
    enable(ehpc, cid, MaxNodesInQueue=2)
    demand.pending = [PendingJob("9", "burst", nodes=5, cpus=5)]
    rounds(Scaler(ehpc), ehpc, cid, demand, 2)
    assert queue_nodes(ehpc, cid) == []
    assert sum("need more nodes than its MaxNodesInQueue (2)" in m for m in messages(ehpc, cid)) == 1   # said once


def test_excluded_manual_and_busy_nodes_survive_min_nodes_kept(ehpc, cid, demand):
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst")                         # by hand: compute1
    ehpc.add_nodes(ClusterId=cid, Count=3, JobQueue="burst", CreateMode="autoscale")  # compute2..4
    joined(ehpc, cid, demand)
    excluded = ehpc.state.get_cluster(cid).plan.node("compute2").instance_id
    enable(ehpc, cid, MinNodesInQueue=2)
    ehpc.set_auto_scale_config(ClusterId=cid, ExcludeNodes=excluded)
    demand.alloc["compute3"] = 1                   # a job runs there: not idle
    demand.jobs["compute3"] = 1
    rounds(Scaler(ehpc), ehpc, cid, demand, 3)
    assert queue_nodes(ehpc, cid) == ["compute1", "compute2", "compute3"]   # only compute4 could go
    assert demand.deleted == ["compute4"]


def test_job_slipping_in_during_drain_keeps_the_node(ehpc, cid, demand):
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst", CreateMode="autoscale")
    joined(ehpc, cid, demand)
    enable(ehpc, cid)
    real_drain = demand.drain

    def drain_then_job(nodes, reason):
        real_drain(nodes, reason)
        demand.jobs["compute1"] = 5                 # a job was allocated just before the drain
    demand.drain = drain_then_job
    rounds(Scaler(ehpc), ehpc, cid, demand, 2)
    assert queue_nodes(ehpc, cid) == ["compute1"] and demand.resumed == ["compute1"] and demand.deleted == []
    assert any("kept compute1: a job started on it" in m for m in messages(ehpc, cid))


def test_a_persons_operation_is_waited_for_without_error(ehpc, cid, demand):
    enable(ehpc, cid)
    demand.pending = [PendingJob("1", "burst")]
    lock = ClusterLock(ehpc.home / "locks", cid, "AddUsers").acquire()
    try:
        rounds(Scaler(ehpc), ehpc, cid, demand, 2)
    finally:
        lock.release()
    assert queue_nodes(ehpc, cid) == []
    assert not [l for l in ehpc.state.logs(cid) if l["level"] in ("warn", "error")]
    rounds(Scaler(ehpc), ehpc, cid, demand, 1)
    assert queue_nodes(ehpc, cid) == ["compute1"]


def test_node_not_up_within_grow_timeout_is_replaced(ehpc, cid, demand, monkeypatch):
    import ehpc_iac.ops.scaler as scaler_mod
    enable(ehpc, cid)
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst", CreateMode="autoscale")   # never joins the scheduler
    demand.pending = [PendingJob("1", "burst")]
    scaler = Scaler(ehpc)
    scaler.tick(force=True)
    assert queue_nodes(ehpc, cid) == ["compute1"]     # young: counted as starting, nothing added
    monkeypatch.setattr(scaler_mod, "_age_s", lambda t: 3600.0)
    scaler.tick(force=True)
    assert demand.deleted == ["compute1"] and queue_nodes(ehpc, cid) == []
    scaler.tick(force=True)
    assert queue_nodes(ehpc, cid) == ["compute1"]     # the demand brought a new one
    assert any(m.startswith("replacing compute1: not running 60s after it was added") for m in messages(ehpc, cid))


def test_dead_node_is_replaced(ehpc, cid, demand, fake):
    enable(ehpc, cid)
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst", CreateMode="autoscale")
    joined(ehpc, cid, demand)
    scaler = Scaler(ehpc)
    scaler.tick(force=True)
    fake.machines[cid].pop("compute1")            # the container is gone
    demand.states["compute1"] = "down"
    scaler.tick(force=True)
    assert demand.deleted == []                   # one round down may be a blip
    scaler.tick(force=True)
    assert demand.deleted == ["compute1"]


def test_interrupted_shrink_is_finished_next_round(ehpc, cid, demand):
    ehpc.add_nodes(ClusterId=cid, Count=2, JobQueue="burst", CreateMode="autoscale")
    joined(ehpc, cid, demand)
    enable(ehpc, cid)
    AutoScaleStore(ehpc.state).mark_shrinking(cid, ["compute1", "compute2"])   # a killed scaler drained them
    demand.jobs["compute2"] = 10
    Scaler(ehpc).tick(force=True)
    assert queue_nodes(ehpc, cid) == ["compute2"] and demand.resumed == ["compute2"]
    assert AutoScaleStore(ehpc.state).shrinking(cid) == []


def test_interrupted_add_is_rolled_back(ehpc, cid, demand):
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst", CreateMode="autoscale")
    ehpc.node_state.set(cid, ["compute1"], "init")       # as a killed AddNodes leaves it (lock free)
    enable(ehpc, cid)
    Scaler(ehpc).tick(force=True)
    assert queue_nodes(ehpc, cid) == [] and ehpc.node_state.all(cid) == {}


def test_one_scaler_per_state_directory(ehpc):
    store = AutoScaleStore(ehpc.state)
    assert store.acquire_lease("a", ttl=30, now=1000)
    assert not store.acquire_lease("b", ttl=30, now=1010)
    assert store.acquire_lease("a", ttl=30, now=1020)           # renewal
    assert store.lease_holder(now=1021) == "a"
    assert store.acquire_lease("b", ttl=30, now=1051)           # expired: taken over
    store.release_lease("a")                                     # not the holder: no effect
    assert store.lease_holder(now=1052) == "b"
    assert store.acquire_lease("b", ttl=30)                     # b holds it now
    assert not Scaler(ehpc, holder="c").run_once()
    store.release_lease("b")
    assert Scaler(ehpc, holder="c").run_once()


def test_scalers_in_threads_one_acts_and_the_lease_is_released(ehpc, cid, demand):
    import time
    enable(ehpc, cid)
    demand.pending = [PendingJob("1", "burst")]
    first = Scaler(ehpc, tick_s=0.05, lease_ttl=3, holder="first").start()
    deadline = time.monotonic() + 10
    while not queue_nodes(ehpc, cid):
        assert time.monotonic() < deadline, "the scaler thread added no node"
        time.sleep(0.05)
    second = Scaler(ehpc, tick_s=0.05, lease_ttl=3, holder="second").start()
    time.sleep(0.5)
    store = AutoScaleStore(ehpc.state)
    assert store.lease_holder() == "first" and not second._leased.is_set()
    first.stop()
    assert store.lease_holder() in (None, "second")      # released at once: the other one takes over
    deadline = time.monotonic() + 10
    while not second._leased.is_set():
        assert time.monotonic() < deadline, "the second scaler never took the lease"
        time.sleep(0.05)
    second.stop()
    assert store.lease_holder() is None


def test_a_person_waits_for_the_scalers_step_instead_of_conflict(ehpc, cid, demand):
    import threading
    import time
    from ehpc_iac.errors import ConflictOpt
    held = ClusterLock(ehpc.home / "locks", cid, "AddNodes [autoscale]").acquire()
    threading.Timer(0.6, held.release).start()
    t0 = time.monotonic()
    ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst")          # waits, then runs
    assert time.monotonic() - t0 >= 0.5 and queue_nodes(ehpc, cid) == ["compute1"]
    person = ClusterLock(ehpc.home / "locks", cid, "AddUsers").acquire()
    try:
        with ehpc.as_scaler(), pytest.raises(ConflictOpt):               # the scaler never waits
            ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst", CreateMode="autoscale")
        with pytest.raises(ConflictOpt):                                 # nor does a person for a person
            ehpc.add_nodes(ClusterId=cid, Count=1, JobQueue="burst")
    finally:
        person.release()

"""Auto scaling end to end on real Docker and Slurm: the scaler (in a thread, as in `ehpc-iac serve`)
grows an empty queue for waiting jobs through AddNodes and removes idle nodes through DeleteNodes.

One Tiny cluster for the module: compute0 in the default queue `comp`, and a queue `auto` with no
node, auto grow and shrink on, MaxNodesInQueue 3, second-level intervals (the extension settings).
"""
import time

import pytest

from ehpc_iac.errors import InvalidParams
from ehpc_iac.ops.scaler import Scaler

from .conftest import dexec, sinfo_states

SPEC = {"Name": "e2e-autoscale", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}}}
SETTINGS = {"GrowIntervalInSeconds": 2, "ShrinkIntervalInSeconds": 3, "ShrinkIdleTimes": 2,
            "GrowTimeoutInSeconds": 600,
            "Queues": [{"QueueName": "auto", "EnableAutoGrow": True, "EnableAutoShrink": True, "MaxNodesInQueue": 3}]}
GROW_WAIT_S = 300   # AddNodes runs Ansible on the new nodes: about 20 s on an idle machine, minutes on a busy one


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    ehpc.add_queue(ClusterId=cid, QueueName="auto")
    ehpc.set_auto_scale_config({"ClusterId": cid, **SETTINGS})
    scaler = Scaler(ehpc, tick_s=0.5).start()
    yield cid
    scaler.stop()
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


@pytest.fixture(scope="module")
def manager(cluster):
    return f"{cluster}-manager0"


def auto_nodes(ehpc, cid):
    return {n.hostname: n for n in ehpc.state.get_cluster(cid).plan.computes if n.queue == "auto"}


def submit(manager, *args):
    return dexec(manager, "sbatch", "--parsable", "-p", "auto", *args).strip()


def job_state(manager, job):
    return dexec(manager, "squeue", "-h", "-j", job, "-o", "%T", check=False).strip()


def wait(what, cond, timeout, poll=1.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(poll)
    return timeout - (deadline - time.monotonic())


def logs(ehpc, cid):
    return [e["message"] for e in ehpc.state.logs(cid) if e["operation"] == "AutoScale"]


def test_two_node_job_runs_on_two_new_nodes(ehpc, cluster, manager):
    assert auto_nodes(ehpc, cluster) == {}
    job = submit(manager, "-N2", "-o", "/home/as-two-%j.out", "--wrap", "srun hostname")
    t = wait("the 2-node job ran", lambda: job_state(manager, job) == "", GROW_WAIT_S)
    print(f"2-node job from submit to done: {t:.1f}s")
    ran_on = set(dexec(manager, "cat", f"/home/as-two-{job}.out").split())
    nodes = auto_nodes(ehpc, cluster)
    assert len(ran_on) == 2 and ran_on <= set(nodes), (ran_on, nodes)
    assert {nodes[h].create_mode for h in ran_on} == {"autoscale"}
    assert any(m.startswith("grow queue auto by 2 node(s)") and f"{job}: 2 node(s)" in m for m in logs(ehpc, cluster))


def test_idle_nodes_are_removed_without_leftovers(ehpc, cluster, manager):
    t = wait("the idle nodes were removed", lambda: auto_nodes(ehpc, cluster) == {}, 90)
    print(f"scale-in after the job: {t:.1f}s")
    states = sinfo_states(manager)
    assert set(states) == {"compute0"}, states          # no drained or down leftovers
    assert ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"][1]["Nodes"] == []
    assert any(m.startswith("shrink queue auto: removing") for m in logs(ehpc, cluster))


def test_burst_grows_to_max_and_no_further_excluded_survive_running_job_kept(ehpc, cluster, manager):
    long_job = submit(manager, "-o", "/home/as-long-%j.out", "--wrap", "sleep 40; echo done")
    short = [submit(manager, "-o", "/dev/null", "--wrap", "sleep 6") for _ in range(5)]
    most = 0

    def grown():
        nonlocal most
        most = max(most, len(auto_nodes(ehpc, cluster)))
        return len(auto_nodes(ehpc, cluster)) == 3 and job_state(manager, long_job) == "RUNNING"
    wait("queue auto grew to 3 nodes", grown, GROW_WAIT_S)
    long_node = dexec(manager, "squeue", "-h", "-j", long_job, "-o", "%N").strip()
    excluded = sorted(set(auto_nodes(ehpc, cluster)) - {long_node})[0]
    ehpc.set_auto_scale_config({"ClusterId": cluster, "ExcludeNodes": auto_nodes(ehpc, cluster)[excluded].instance_id})

    def short_done():
        nonlocal most
        most = max(most, len(auto_nodes(ehpc, cluster)))
        return all(job_state(manager, j) == "" for j in short)
    wait("the short jobs ended", short_done, 120)
    assert most == 3                                   # MaxNodesInQueue, never more
    wait("the long job ended", lambda: job_state(manager, long_job) == "", 90)
    assert dexec(manager, "cat", f"/home/as-long-{long_job}.out").strip() == "done"   # never killed by a shrink
    wait("the idle nodes went, the excluded one stayed", lambda: set(auto_nodes(ehpc, cluster)) == {excluded}, 60)
    time.sleep(8)                                      # more shrink rounds: it stays
    assert set(auto_nodes(ehpc, cluster)) == {excluded}
    assert sinfo_states(manager).get(excluded) == "idle"
    print(f"the long job ran on {long_node}; the excluded node {excluded} survived")


def test_bad_settings_are_refused_naming_the_field(ehpc, cluster):
    for params, field in (({"MaxNodesInCluster": 501}, "MaxNodesInCluster"),
                          ({"Queues.1.QueueName": "auto", "Queues.1.MaxNodesPerCycle": -1},
                           "Queues.1.MaxNodesPerCycle")):
        with pytest.raises(InvalidParams) as e:
            ehpc.set_auto_scale_config({"ClusterId": cluster, **params})
        assert e.value.field == field

"""Queues end to end: AddQueue/DeleteQueue change the Slurm partitions with `scontrol
reconfigure` (no daemon restart), a job running in the default queue keeps running, and a
second converge afterwards changes nothing."""
import time

import pytest

from ehpc_iac.errors import InvalidOpt, ObjectNotFound

from .conftest import dexec

SPEC = {"Name": "e2e-queues", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}}}


@pytest.fixture(scope="module")
def cluster(ehpc):
    cid = ehpc.create_cluster(SPEC)["ClusterId"]
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


@pytest.fixture(scope="module")
def manager(cluster):
    return f"{cluster}-manager0"


@pytest.fixture(scope="module")
def running_job(cluster, manager):
    """A job running in the default queue `comp` for the whole module."""
    job = dexec(manager, "sbatch", "--parsable", "-p", "comp", "-o", "/dev/null", "--wrap", "sleep 900").strip()
    deadline = time.monotonic() + 60
    while job_state(manager, job) != "RUNNING":
        assert time.monotonic() < deadline, f"job {job} did not start: {job_state(manager, job)}"
        time.sleep(1)
    yield job
    dexec(manager, "scancel", job, check=False)


def job_state(manager, job):
    return dexec(manager, "squeue", "-h", "-j", job, "-o", "%T", check=False).strip()


def partitions(manager):
    """sinfo's partitions: {name: (default?, nodes)}."""
    out = dexec(manager, "sinfo", "-h", "-o", "%P %D")
    parts = {}
    for line in out.splitlines():
        p, n = line.split()
        parts[p.rstrip("*")] = (p.endswith("*"), int(n))
    return parts


def daemons(cluster):
    return (dexec(f"{cluster}-manager0", "pgrep", "-x", "slurmctld").strip(),
            dexec(f"{cluster}-compute0", "pgrep", "-x", "slurmd").strip())


def test_list_queues_shape(ehpc, cluster):
    resp = ehpc.list_queues(ClusterId=cluster)
    assert resp["Queues"]["QueueInfo"] == [{"QueueName": "comp", "Type": "Execution", "ResourceGroupId": "",
                                            "ComputeInstanceType": "ecs.n1.tiny", "Default": True,
                                            "Nodes": ["compute0"]}]


def test_add_queue_keeps_running_job(ehpc, cluster, manager, running_job):
    pids = daemons(cluster)
    assert partitions(manager) == {"comp": (True, 1)}
    t0 = time.monotonic()
    ehpc.add_queue(ClusterId=cluster, QueueName="gpu")
    print(f"AddQueue took {time.monotonic() - t0:.1f}s")
    assert partitions(manager) == {"comp": (True, 1), "gpu": (False, 0)}
    assert job_state(manager, running_job) == "RUNNING"
    assert daemons(cluster) == pids  # reconfigured, not restarted
    assert dexec(manager, "grep", "-c", "PartitionName=gpu", "/etc/slurm/slurm.conf").strip() == "1"
    assert dexec(f"{cluster}-compute0", "grep", "-c", "PartitionName=gpu", "/etc/slurm/slurm.conf").strip() == "1"
    assert [q["QueueName"] for q in ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"]] == ["comp", "gpu"]
    # the node is still allocated to the job, in its queue
    out = dexec(manager, "sinfo", "-h", "-p", "comp", "-o", "%T")
    assert out.strip() in ("allocated", "mixed")


def test_update_queue_config(ehpc, cluster):
    ehpc.update_queue_config(ClusterId=cluster, QueueName="gpu", ComputeInstanceType="ecs.n1.small")
    got = {q["QueueName"]: q["ComputeInstanceType"] for q in
           ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"]}
    assert got == {"comp": "ecs.n1.tiny", "gpu": "ecs.n1.small"}


def test_node_added_to_the_queue_joins_its_partition(ehpc, cluster, manager, running_job):
    """AddNodes (another area) with JobQueue=gpu and no InstanceType: the queue's default instance
    type is used and the node serves the partition made by AddQueue."""
    resp = ehpc.add_nodes(ClusterId=cluster, Count=1, JobQueue="gpu")
    iid = resp["InstanceIds"]["InstanceId"][0]
    node = next(n for n in ehpc.state.get_cluster(cluster).plan.computes if n.instance_id == iid)
    assert (node.queue, node.instance_type) == ("gpu", "ecs.n1.small")
    assert partitions(manager) == {"comp": (True, 1), "gpu": (False, 1)}
    assert dexec(manager, "srun", "-p", "gpu", "hostname").strip() == node.hostname
    got = {q["QueueName"]: q["Nodes"] for q in ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"]}
    assert got == {"comp": ["compute0"], "gpu": [node.hostname]}
    assert job_state(manager, running_job) == "RUNNING"


def test_refusals(ehpc, cluster, manager):
    with pytest.raises(InvalidOpt) as ei:
        ehpc.delete_queue(ClusterId=cluster, QueueName="comp")
    assert "default queue" in ei.value.message
    gpu_node = next(n for n in ehpc.state.get_cluster(cluster).plan.computes if n.queue == "gpu")
    with pytest.raises(InvalidOpt) as ei:
        ehpc.delete_queue(ClusterId=cluster, QueueName="gpu")
    assert gpu_node.hostname in ei.value.message
    with pytest.raises(ObjectNotFound):
        ehpc.delete_queue(ClusterId=cluster, QueueName="nope")
    assert set(partitions(manager)) == {"comp", "gpu"}
    ehpc.delete_nodes(ClusterId=cluster, Instance=[{"Id": gpu_node.instance_id}])
    assert partitions(manager) == {"comp": (True, 1), "gpu": (False, 0)}


def test_delete_queue_keeps_running_job(ehpc, cluster, manager, running_job):
    pids = daemons(cluster)
    ehpc.delete_queue(ClusterId=cluster, QueueName="gpu")
    assert partitions(manager) == {"comp": (True, 1)}
    assert job_state(manager, running_job) == "RUNNING"
    assert daemons(cluster) == pids
    assert [q["QueueName"] for q in ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"]] == ["comp"]


def test_second_converge_changes_nothing(ehpc, cluster, manager, running_job):
    res = ehpc.reconverge(cluster)
    assert res["EngineChanged"] is False
    assert res["AnsibleChanged"] == {"manager0": 0, "compute0": 0}
    assert job_state(manager, running_job) == "RUNNING"


def test_set_scheduler_info_changes_slurms_intervals_without_disturbing_jobs(ehpc, cluster, manager, running_job):
    ehpc.set_scheduler_info(ClusterId=cluster, SlurmInfo=[{"SchedInterval": 7, "BackfillInterval": 9}])
    assert "bf_interval=9,sched_interval=7" in dexec(manager, "scontrol", "show", "config")
    got = ehpc.get_scheduler_info(ClusterId=cluster)["SchedInfo"][0]
    assert got["SchedName"] == "slurm" and '"SchedInterval": 7' in got["Configuration"]
    assert job_state(manager, running_job) == "RUNNING"

"""Every scheduler back end, through the facade only: the same tests for each SchedulerType.

One Tiny cluster per scheduler type (manager0 submits; 2 computes of 1 CPU each), one NIS user:
a job across the 2 computes writes to /home, an array job, StopJobs, RerunJobs, a DAG of three
tasks in order, AddNodes and DeleteNodes while a job runs elsewhere, AddQueue with a node in it.
What differs per scheduler is ``MULTI_NODE`` (the command that runs on every node of a job) and
``SETTINGS`` (GetSchedulerInfo / SetSchedulerInfo: the settings field and where to see its effect).
"""
import time

import pytest

from ehpc_iac.errors import InvalidParams

from .conftest import cluster_with_user, dexec, wait_state

PW = "Sch3d!pass"
# the command that prints the host name of every node of a multi-node job (once per node)
MULTI_NODE = {
    "slurm": "srun hostname",
    # the job runs on the first host of its parallel environment; qrsh -inherit starts a task on each
    "opengridscheduler": "for h in $(cut -d' ' -f1 $PE_HOSTFILE); do qrsh -inherit -nostdin $h hostname; done",
    # pbsdsh runs the command on every node of the job; the tasks' own output goes to the job's PBS
    # stream, not to pbsdsh's, so each node appends its name to a file on the shared /home
    "pbs": "pbsdsh -- /bin/sh -c 'hostname >> $HOME/.pbsdsh.$PBS_JOBID' && cat $HOME/.pbsdsh.$PBS_JOBID",
}
SCHEDULERS = list(MULTI_NODE)
# SetSchedulerInfo: the settings field, and the command (on manager0) whose output shows SchedInterval=7
SETTINGS = {
    "slurm": ("SlurmInfo", "scontrol show config", "sched_interval=7"),
    "pbs": ("PbsInfo", "/opt/pbs/bin/qstat -Bf", "scheduler_iteration = 7"),
}


@pytest.fixture(scope="module", params=SCHEDULERS)
def cluster(request, ehpc):
    spec = {"Name": f"e2e-sched-{request.param}", "DeployMode": "Tiny", "SchedulerType": request.param,
            "EcsOrder": {"Compute": {"Count": 2}}}
    yield from cluster_with_user(ehpc, spec, "sam", PW)


def scheduler_type(ehpc, cid):
    return ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["SchedulerType"]


def mgr(cid):
    return f"{cid}-manager0"


def home_file(cid, path):
    return dexec(mgr(cid), "sh", "-c", f"cat {path} 2>/dev/null || true")


def submit(ehpc, cid, command, **kw):
    return ehpc.submit_job(ClusterId=cid, RunasUser="sam", CommandLine=command, **kw)["JobId"]


def wait_for(predicate, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def computes(ehpc, cid):
    nodes = ehpc.list_nodes(ClusterId=cid, Role="Compute", PageSize=50)["Nodes"]["NodeInfo"]
    return {n["HostName"]: n for n in nodes}


def test_job_across_two_computes_writes_to_home(ehpc, cluster):
    cmd = f"{MULTI_NODE[scheduler_type(ehpc, cluster)]} | sort -u > /home/sam/nodes.txt; id -un >> /home/sam/nodes.txt"
    jid = submit(ehpc, cluster, cmd, Node=2, StdoutRedirectPath="/home/sam/multi.out")
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"))["State"] == "Finished"
    assert home_file(cluster, "/home/sam/nodes.txt").split() == ["compute0", "compute1", "sam"]


def test_array_job_runs_each_element(ehpc, cluster):
    jid = submit(ehpc, cluster, "echo $EHPC_ARRAY_INDEX > /home/sam/arr-$EHPC_ARRAY_INDEX.txt", ArrayRequest="1-5:2",
                 StdoutRedirectPath="/tmp/arr.out")
    wait_for(lambda: sorted(dexec(mgr(cluster), "sh", "-c", "ls /home/sam | grep '^arr-' || true").split())
             == ["arr-1.txt", "arr-3.txt", "arr-5.txt"], "three array elements")
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"))["State"] == "Finished"
    assert [home_file(cluster, f"/home/sam/arr-{i}.txt").strip() for i in (1, 3, 5)] == ["1", "3", "5"]


def test_stop_and_rerun(ehpc, cluster):
    jid = submit(ehpc, cluster, "echo run >> /home/sam/rerun.txt; sleep 300", ReRunable=True,
                 StdoutRedirectPath="/tmp/rerun.out")
    wait_state(ehpc, cluster, jid, ("Running",))
    wait_for(lambda: home_file(cluster, "/home/sam/rerun.txt").count("run") == 1, "the first run")
    ehpc.rerun_jobs(ClusterId=cluster, Jobs=[{"Id": jid}])
    wait_for(lambda: home_file(cluster, "/home/sam/rerun.txt").count("run") == 2, "the second run", timeout=150)
    ehpc.stop_jobs(ClusterId=cluster, Jobs=[{"Id": jid}])
    assert wait_state(ehpc, cluster, jid, ("Stopped", "Failed", "Finished"))["State"] == "Stopped"


def test_dag_of_three_tasks_in_order(ehpc, cluster):
    def task(name):
        return {"InstanceCount": 1, "Timeout": 120, "MaxRetryCount": 0,
                "Parameters": {"Command": {"CommandLine": f"echo {name} >> /home/sam/dag.txt; sleep 1"}}}
    jid = ehpc.create_dag_job({"ClusterId": cluster, "Name": "dag", "RunasUser": "sam", "Priority": 500,
                               "JobFailOnInstanceFail": True, "DAG": {
                                   "Tasks": {"A": task("A"), "B": task("B"), "C": task("C")},
                                   "Dependencies": {"A": ["B"], "B": ["C"]}}})["Id"]
    wait_for(lambda: ehpc.describe_dag_job(ClusterId=cluster, JobId=jid)["Job"]["State"]
             in ("Finished", "Failed", "Stopped"), "the DAG job", timeout=180)
    assert ehpc.describe_dag_job(ClusterId=cluster, JobId=jid)["Job"]["State"] == "Finished"
    assert home_file(cluster, "/home/sam/dag.txt").split() == ["A", "B", "C"]


def test_add_and_delete_nodes_while_a_job_runs_elsewhere(ehpc, cluster):
    jid = submit(ehpc, cluster, "sleep 60; echo done > /home/sam/long.txt", StdoutRedirectPath="/tmp/long.out")
    busy = wait_state(ehpc, cluster, jid, ("Running",))["NodeList"]
    added = ehpc.add_nodes(ClusterId=cluster, Count=1)["InstanceIds"]["InstanceId"]
    nodes = computes(ehpc, cluster)
    new = next(h for h, n in nodes.items() if n["Id"] == added[0])
    assert nodes[new]["Status"] == "running" and nodes[new]["SchedulerState"]
    probe = submit(ehpc, cluster, "hostname > /home/sam/probe.txt", Node=1, StdoutRedirectPath="/tmp/probe.out")
    assert wait_state(ehpc, cluster, probe, ("Finished", "Failed"))["State"] == "Finished"
    ehpc.delete_nodes(ClusterId=cluster, Instance=[{"Id": added[0]}])
    assert new not in computes(ehpc, cluster) and busy in computes(ehpc, cluster)
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"), timeout=120)["State"] == "Finished"
    assert home_file(cluster, "/home/sam/long.txt").strip() == "done"


def test_added_queue_runs_a_job_on_its_node(ehpc, cluster):
    ehpc.add_queue(ClusterId=cluster, QueueName="extra")
    assert "extra" in {q["QueueName"] for q in ehpc.list_queues(ClusterId=cluster)["Queues"]["QueueInfo"]}
    added = ehpc.add_nodes(ClusterId=cluster, Count=1, JobQueue="extra")["InstanceIds"]["InstanceId"]
    jid = submit(ehpc, cluster, "hostname > /home/sam/extra.txt", JobQueue="extra", StdoutRedirectPath="/tmp/x.out")
    assert wait_state(ehpc, cluster, jid, ("Finished", "Failed"))["State"] == "Finished"
    host = next(n["HostName"] for n in computes(ehpc, cluster).values() if n["Id"] == added[0])
    assert home_file(cluster, "/home/sam/extra.txt").strip() == host
    ehpc.delete_nodes(ClusterId=cluster, Instance=[{"Id": added[0]}])
    ehpc.delete_queue(ClusterId=cluster, QueueName="extra")


def test_scheduler_info_is_the_clusters_own(ehpc, cluster):
    kind = scheduler_type(ehpc, cluster)
    info = ehpc.get_scheduler_info(ClusterId=cluster)["SchedInfo"]
    assert [i["SchedName"] for i in info] == [kind]
    if kind not in SETTINGS:
        with pytest.raises(InvalidParams) as e:
            ehpc.set_scheduler_info(ClusterId=cluster, SlurmInfo=[{"SchedInterval": 7}])
        assert e.value.field == "SlurmInfo"
        return
    field, command, shown = SETTINGS[kind]
    ehpc.set_scheduler_info(ClusterId=cluster, **{field: [{"SchedInterval": 7}]})
    assert shown in dexec(mgr(cluster), "sh", "-c", command)
    assert '"SchedInterval": 7' in ehpc.get_scheduler_info(ClusterId=cluster)["SchedInfo"][0]["Configuration"]

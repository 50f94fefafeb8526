"""Faults at the operations layer (fake engine and scheduler): every action with Docker down
answers EngineUnavailable, reads and repairs are allowed in exception, the reported status follows
live checks, RecoverCluster repairs fault drains and never gives up on one drained node."""
import pytest
import requests

from ehpc_iac.engines.docker import DockerEngine
from ehpc_iac.errors import EhpcError, EngineUnavailable, InvalidClusterStatus, SchedulerError
from ehpc_iac.ops import ACTIONS, Ehpc
from ehpc_iac.ops.commands import ShellRun
from ehpc_iac.ops.core import EXCEPTION

from tests.fakes import FakeConfigurator, FakeJobs, cluster_with_user


class DockerDown:
    """A docker-py client whose daemon has gone: every call fails to connect, as requests reports it."""

    def __getattr__(self, name):
        raise requests.exceptions.ConnectionError(
            "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))")


# Actions answered from ehpc-iac's own records alone: they do not need the engine.
RECORD_ONLY = {"list_clusters_meta", "modify_cluster_attributes", "list_users", "update_queue_config",
               "create_job_template", "edit_job_template", "list_job_templates", "delete_job_templates",
               "list_commands", "list_invocation_status", "list_invocation_results", "list_cluster_logs",
               "get_cluster_volumes", "list_queues", "get_scheduler_info", "get_auto_scale_config",
               "describe_auto_scale_config", "set_auto_scale_config"}


def _params(ids: dict) -> dict[str, dict]:
    cid, iid, tid = ids["cid"], ids["compute"], ids["template"]
    c = {"ClusterId": cid}
    jobs = {**c, "Jobs": '[{"Id": "101"}]'}
    return {
        "create_cluster": {"Name": "down", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 1},
        "describe_cluster": c, "list_clusters": {}, "list_clusters_meta": {},
        "modify_cluster_attributes": {**c, "Description": "renamed while Docker is down"},
        "stop_cluster": c, "start_cluster": {"ClusterId": ids["stopped"]}, "delete_cluster": c,
        "reconverge": {"cluster_id": cid},
        "add_users": {**c, "User": [{"Name": "dave", "Password": "Dav3!pass"}]},
        "delete_users": {**c, "User": [{"Name": "carol"}]},
        "modify_user_passwords": {**c, "User": [{"Name": "carol", "Password": "N3w!passw"}]},
        "modify_user_groups": {**c, "User": [{"Name": "carol", "Group": "wheel"}]},
        "list_users": c,
        "add_nodes": {**c, "Count": 1}, "delete_nodes": {**c, "Instance": [{"Id": iid}]},
        "stop_nodes": {**c, "Instance": [{"Id": iid}]}, "start_nodes": {**c, "Instance": [{"Id": iid}]},
        "reset_nodes": {**c, "Instance": [{"Id": iid}]}, "recover_cluster": c,
        "list_nodes": c, "list_nodes_no_paging": c, "list_nodes_by_queue": {**c, "QueueName": "comp"},
        "list_queues": c, "add_queue": {**c, "QueueName": "q2"}, "delete_queue": {**c, "QueueName": "q1"},
        "update_queue_config": {**c, "QueueName": "comp", "ComputeInstanceType": "ecs.n1.small"},
        "submit_job": {**c, "CommandLine": "hostname", "RunasUser": "carol"},
        "create_job": {**c, "JobName": "j", "JobSpec": {"CommandLine": "hostname", "RunasUser": "carol"}},
        "list_jobs": c, "describe_job": {**c, "JobId": "101"}, "get_job_log": {**c, "JobId": "101"},
        "stop_jobs": jobs, "delete_jobs": jobs, "rerun_jobs": jobs,
        "create_dag_job": {**c, "RunasUser": "carol", "Name": "dj", "DAG": {
            "Tasks": {"A": {"InstanceCount": 1, "Parameters": {"Command": {"CommandLine": "true"}}}}}},
        "describe_dag_job": {**c, "JobId": ids["dag"]}, "list_dag_jobs": c,
        "stop_dag_job": {**c, "JobId": ids["dag"]},
        "create_job_template": {**c, "Name": "t2", "CommandLine": "echo"},
        "edit_job_template": {**c, "TemplateId": tid, "Priority": 1}, "list_job_templates": c,
        "delete_job_templates": {**c, "Templates": [{"Id": tid}]},
        "submit_job_from_template": {**c, "TemplateId": tid, "RunasUser": "carol"},
        "invoke_shell_command": {**c, "Command": "true"}, "list_commands": c,
        "list_invocation_status": {**c, "CommandId": ids["command"]},
        "list_invocation_results": {**c, "CommandId": ids["command"]},
        "get_cluster_volumes": c, "describe_nfs_client_status": {"InstanceId": iid},
        "install_nfs_client": {"InstanceId": iid},
        "list_cluster_logs": c,
        "get_scheduler_info": c, "set_scheduler_info": {**c, "SlurmInfo": [{"SchedInterval": 9}]},
        "get_auto_scale_config": c, "describe_auto_scale_config": c,
        "set_auto_scale_config": {**c, "EnableAutoGrow": True},
    }


@pytest.fixture
def down(tmp_path, ehpc, monkeypatch):
    """Clusters made while Docker was up; then an Ehpc over the same state whose Docker is down."""
    cid = cluster_with_user(ehpc, "up", 1)
    with monkeypatch.context() as m:  # a DAG job and a shell command exist (fake scheduler and shell)
        m.setattr(Ehpc, "_job_scheduler", lambda self, rec: FakeJobs())
        dag = ehpc.create_dag_job(ClusterId=cid, RunasUser="carol", Name="dj", DAG={
            "Tasks": {"A": {"InstanceCount": 1, "Parameters": {"Command": {"CommandLine": "true"}}}}})["Id"]
    ehpc.shell_runner = lambda *a, **kw: ShellRun("Finished", 0, "ok\n", "")
    command = ehpc.invoke_shell_command(ClusterId=cid, Command="true", wait=True)["CommandId"]
    ehpc.add_queue(ClusterId=cid, QueueName="q1")
    stopped = ehpc.create_cluster({"Name": "stopped", "DeployMode": "Tiny", "EcsOrder.Compute.Count": 1})["ClusterId"]
    ehpc.stop_cluster(ClusterId=stopped)
    tid = ehpc.create_job_template(ClusterId=cid, Name="t", CommandLine="echo")["TemplateId"]
    rec = ehpc.state.get_cluster(cid)
    ids = {"cid": cid, "stopped": stopped, "template": tid, "compute": rec.plan.computes[0].instance_id,
           "dag": dag, "command": command}
    engine = DockerEngine(client=DockerDown())
    return Ehpc(ehpc.home, engine_factory=lambda name: engine, configurator=FakeConfigurator()), ids


def test_every_action_with_docker_down_answers_engine_unavailable(down):
    ops, ids = down
    params = _params(ids)
    assert set(params) == set(ACTIONS), "a new action needs its case here"
    before = {r.id: (r.status, r.status_reason) for r in ops.state.list_clusters(0, 50)[1]}
    wrong = {}
    # what the walk needs must outlive it: the template, the cluster
    for action in sorted(ACTIONS, key=lambda a: (a == "delete_cluster", a == "delete_job_templates", a)):
        p = params[action]
        try:
            if action == "reconverge":
                getattr(ops, action)(**p)
            else:
                getattr(ops, action)(p)
            outcome = "ok"
        except EngineUnavailable as exc:
            assert exc.http_status == 503 and exc.exit_code == 5 and exc.code == "ServiceUnavailable"
            assert "systemctl start docker" in exc.message
            outcome = "unavailable"
        except EhpcError as exc:
            outcome = f"{exc.code}: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a crash is what this test looks for
            outcome = f"CRASH {type(exc).__name__}: {exc}"
        expected = "ok" if action in RECORD_ONLY else "unavailable"
        if outcome != expected:
            wrong[action] = outcome
    assert wrong == {}
    # Docker being down is no fault of the clusters: their recorded status did not change
    after = {r.id: (r.status, r.status_reason) for r in ops.state.list_clusters(0, 50)[1]}
    assert after == before


def test_reads_and_repairs_are_allowed_in_exception(ehpc, sched, slurm):
    cid = cluster_with_user(ehpc, "exc", 1)
    jid = ehpc.submit_job(ClusterId=cid, CommandLine="hostname", RunasUser="carol")["JobId"]
    ehpc.state.update_cluster(cid, status=EXCEPTION, status_reason="a fault")
    assert [j["Id"] for j in ehpc.list_jobs(ClusterId=cid)["Jobs"]["JobInfo"]] == [jid]
    assert ehpc.describe_job(ClusterId=cid, JobId=jid)["Message"]["Id"] == jid
    assert ehpc.list_nodes(ClusterId=cid)["TotalCount"] == 2
    assert ehpc.list_cluster_logs(ClusterId=cid)["TotalCount"] > 0
    with pytest.raises(InvalidClusterStatus) as ei:  # needs a healthy cluster: refused, naming the status
        ehpc.submit_job(ClusterId=cid, CommandLine="hostname", RunasUser="carol")
    assert "exception" in ei.value.message
    iid = ehpc.state.get_cluster(cid).plan.computes[0].instance_id
    ehpc.reset_nodes(ClusterId=cid, Instance=[{"Id": iid}])
    ehpc.recover_cluster(ClusterId=cid)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_status_follows_the_machines_and_job_calls_fail_fast(ehpc, fake, slurm):
    cid = cluster_with_user(ehpc, "live", 1)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"
    del fake.machines[cid]["manager0"]          # the controller and NIS master is gone
    ehpc.health.forget(cid)
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "exception" and "manager0" in info["StatusReason"]
    assert ehpc.list_clusters()["Clusters"]["ClusterInfoSimple"][0]["Status"] == "exception"
    with pytest.raises(EhpcError) as ei:                   # the reference's code for a manager that is gone
        ehpc.list_jobs(ClusterId=cid)
    assert (ei.value.code, ei.value.http_status) == ("ManagerNotFound", 404) and "manager0" in ei.value.message
    assert ehpc.state.get_cluster(cid).status == "running"  # reported, not recorded
    ehpc.recover_cluster(ClusterId=cid)                    # the engine re-creates it
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_recovery_resumes_fault_drains_keeps_admin_drains_and_settles_duplicates(ehpc, conf, slurm):
    cid = cluster_with_user(ehpc, "rec", 2)
    slurm.states = {"compute0": "drained", "compute1": "drained"}
    slurm.faults = {"compute0": "Duplicate jobid"}     # set by slurmctld; compute1 by an admin
    slurm.held = {"7": "compute0"}
    ehpc.state.update_cluster(cid, status=EXCEPTION, status_reason="a fault")
    ehpc.recover_cluster(ClusterId=cid)
    assert slurm.resumed == ["compute0"] and slurm.settled == ["7"]
    assert conf.calls[-1]["verify_node_states"]             # drained nodes do not fail the verify step
    msgs = [l["message"] for l in ehpc.state.logs(cid) if l["operation"] == "RecoverCluster"]
    assert any("compute0 (Duplicate jobid)" in m for m in msgs)
    assert any("job 7" in m and "never runs twice" in m for m in msgs)
    assert any("left drained" in m and "compute1" in m for m in msgs)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_recovery_names_the_node_and_check_that_still_fail(ehpc, slurm, monkeypatch):
    cid = cluster_with_user(ehpc, "still", 1)
    monkeypatch.setattr(slurm, "problem", lambda: "slurmctld does not answer", raising=False)
    ehpc.health.ssh_checks = True
    monkeypatch.setattr(type(ehpc.engine("docker")), "daemons_reachable", True)
    with pytest.raises(SchedulerError) as ei:
        ehpc.recover_cluster(ClusterId=cid)
    assert "scheduler check failed on manager0: slurmctld does not answer" in ei.value.message
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "exception"

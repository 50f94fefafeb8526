"""The E-HPC 2.0 (2024-07-30) actions over HTTP, driven by the official SDK (alibabacloud-ehpc20240730,
ACS3-HMAC-SHA256) against the fake-engine facade."""
import json
import time

import pytest
from alibabacloud_ehpc20240730 import models as m
from alibabacloud_ehpc20240730.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi import utils_models
from alibabacloud_tea_openapi.exceptions import ClientException
from darabonba.runtime import RuntimeOptions

from ehpc_iac.api import v2024
from tests.fakes import cluster_with_user, configure_held

VERSION = "2024-07-30"


def make_client(server, key_id, secret) -> Client:
    return Client(open_api_models.Config(access_key_id=key_id, access_key_secret=secret, endpoint=server.endpoint,
                                         protocol="http", read_timeout=20000, connect_timeout=5000))


@pytest.fixture
def sdk(server, api_key) -> Client:
    return make_client(server, api_key["AccessKeyId"], api_key["AccessKeySecret"])



def error(fn, *args) -> ClientException:
    with pytest.raises(ClientException) as ei:
        fn(*args)
    return ei.value


def call(sdk: Client, action: str, query: dict, method: str = "POST") -> dict:
    """An action the typed client cannot send (an unknown name, an unknown parameter): the generic call."""
    params = utils_models.Params(action=action, version=VERSION, protocol="HTTPS", pathname="/", method=method,
                                 auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    return sdk.call_api(params, utils_models.OpenApiRequest(query=query), RuntimeOptions())


def create_request(name="two", **kw) -> m.CreateClusterRequest:
    base = dict(
        cluster_name=name, cluster_description="made by the 2.0 SDK", cluster_category="Standard",
        cluster_mode="Integrated", deletion_protection=False, is_enterprise_security_group=True,
        cluster_credentials=m.CreateClusterRequestClusterCredentials(password="Rootpw1!x"),
        cluster_custom_configuration=m.CreateClusterRequestClusterCustomConfiguration(
            script="https://example.com/post.sh", args="a b"),
        manager=m.CreateClusterRequestManager(
            scheduler=m.CreateClusterRequestManagerScheduler(type="SLURM", version="22.05.8"),
            directory_service=m.CreateClusterRequestManagerDirectoryService(type="NIS"),
            dns=m.CreateClusterRequestManagerDNS(type="NIS"),
            manager_node=m.NodeTemplate(instance_type="ecs.n1.small", instance_charge_type="PostPaid",
                                        system_disk=m.NodeTemplateSystemDisk(category="cloud_essd", size=40))),
        queues=[m.QueueTemplate(queue_name="work", initial_count=1, enable_scale_out=False, max_count=10,
                                compute_nodes=[m.NodeTemplate(instance_type="ecs.n1.medium", spot_strategy="NoSpot")])],
        tags=[m.CreateClusterRequestTags(key="team", value="hpc")],
    )
    base.update(kw)
    return m.CreateClusterRequest(**base)


def test_handler_table():
    assert set(v2024.ACTIONS) == {"CreateCluster", "GetCluster", "ListClusters", "DeleteCluster", "CreateNodes",
                                  "DeleteNodes", "ListNodes", "CreateUsers", "ListUsers", "CreateJob", "GetJob",
                                  "ListJobs", "StopJobs"}
    assert set(v2024.ACTIONS) <= v2024.E_HPC_2024_ACTIONS


# --- clusters and nodes -------------------------------------------------------------------------
def test_cluster_lifecycle(sdk, ehpc, conf, slurm):
    created = sdk.create_cluster(create_request()).body
    cid = created.cluster_id
    assert created.success is True and created.task_id and created.request_id == created.task_id
    assert ehpc.wait_operation(cid, created.task_id, timeout=20)["message"] == "CreateCluster succeeded"

    # what the facade made of the 2.0 request
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert (info["Name"], info["Description"], info["DeployMode"]) == ("two", "made by the 2.0 SDK", "Tiny")
    assert info["EcsInfo"]["Manager"]["InstanceType"] == "ecs.n1.small"
    assert info["EcsInfo"]["Compute"] == {"Count": 1, "InstanceType": "ecs.n1.medium"}
    assert info["PostInstallScripts"]["PostInstallScriptInfo"] == [{"Url": "https://example.com/post.sh",
                                                                   "Args": "a b"}]
    assert conf.calls[-1]["root_password_hash"].startswith("$6$")
    assert [q.name for q in ehpc.state.get_cluster(cid).plan.queues] == ["work"]

    got = sdk.get_cluster(m.GetClusterRequest(cluster_id=cid)).body
    assert (got.cluster_id, got.cluster_name, got.cluster_status) == (cid, "two", "running")
    assert (got.cluster_category, got.cluster_mode, got.delete_protection) == ("Standard", "Integrated", "false")
    assert got.cluster_create_time == info["CreateTime"] and got.cluster_vpc_id == info["VpcId"]
    assert (got.manager.scheduler.type, got.manager.directory_service.type, got.manager.dns.type) == \
        ("SLURM", "NIS", "NIS")
    manager0 = ehpc.list_nodes(ClusterId=cid, Role="Scheduler")["Nodes"]["NodeInfo"][0]
    assert (got.manager.manager_node.instance_id, got.manager.manager_node.instance_type) == \
        (manager0["Id"], "ecs.n1.small")
    assert got.manager.manager_node.instance_charge_type == "PostPaid"
    assert (got.cluster_custom_configuration.script, got.cluster_custom_configuration.args) == \
        ("https://example.com/post.sh", "a b")
    assert got.manager.scheduler.version is None and got.max_count is None   # not known: left out

    listed = sdk.list_clusters(m.ListClustersRequest()).body
    assert listed.total_count == 1 and [c.cluster_id for c in listed.clusters] == [cid]
    c = listed.clusters[0]
    assert (c.cluster_name, c.cluster_description, c.cluster_status) == ("two", "made by the 2.0 SDK", "running")
    assert (c.nodes.running_counts, c.nodes.abnormal_counts, c.manager.scheduler.type) == (1, 0, "SLURM")
    assert sdk.list_clusters(m.ListClustersRequest(cluster_ids=[cid])).body.total_count == 1
    assert sdk.list_clusters(m.ListClustersRequest(cluster_names=["other"])).body.clusters == []

    added = sdk.create_nodes(m.CreateNodesRequest(
        cluster_id=cid, count=2, queue_name="work", hostname_prefix="big", hostname_suffix="x",
        compute_node=m.NodeTemplate(instance_type="ecs.n1.large", instance_charge_type="PostPaid"),
        hpcinter_connect="vpc", keep_alive="false")).body
    assert added.success is True and len(added.instance_ids) == 2
    assert ehpc.wait_operation(cid, added.request_id, timeout=20)["message"] == "AddNodes succeeded"

    nodes = sdk.list_nodes(m.ListNodesRequest(cluster_id=cid)).body
    assert nodes.total_count == 3 and len(nodes.nodes) == 3
    assert {n.hostname for n in nodes.nodes} == {"compute0", "big0x", "big1x"}
    assert all(n.status == "running" and n.queue_name == "work" for n in nodes.nodes)
    big = [n for n in nodes.nodes if n.hostname.startswith("big")]
    assert {n.id for n in big} == set(added.instance_ids)
    assert all(n.instance_type == "ecs.n1.large" and n.total_resources.cpu == 4 and n.total_resources.memory == 8
               for n in big)
    by_name = sdk.list_nodes(m.ListNodesRequest(cluster_id=cid, sort_by="HostName", sequence="Backward",
                                                page_size=2, page_number=1)).body
    assert [n.hostname for n in by_name.nodes] == ["compute0", "big1x"] and by_name.total_count == 3
    slurm.states.update({"big1x": "idle", "big0x": "alloc"})
    one = sdk.list_nodes(m.ListNodesRequest(cluster_id=cid, hostnames=["big1x"], status=["running"])).body
    assert [(n.hostname, n.state_in_sched) for n in one.nodes] == [("big1x", "idle")]
    assert sdk.list_nodes(m.ListNodesRequest(cluster_id=cid, queue_names=["nope"])).body.total_count == 0

    gone = sdk.delete_nodes(m.DeleteNodesRequest(cluster_id=cid, instance_ids=[big[0].id])).body
    assert gone.success is True and gone.task_id
    assert ehpc.wait_operation(cid, gone.task_id, timeout=20)["message"] == "DeleteNodes succeeded"
    assert slurm.drained == slurm.deleted == [big[0].hostname]
    assert {n.id for n in sdk.list_nodes(m.ListNodesRequest(cluster_id=cid)).body.nodes} >= {big[1].id}
    assert big[0].id not in {n.id for n in sdk.list_nodes(m.ListNodesRequest(cluster_id=cid)).body.nodes}

    deleted = sdk.delete_cluster(m.DeleteClusterRequest(cluster_id=cid)).body
    assert deleted.success is True and deleted.task_id
    ehpc.wait_operation(cid, deleted.task_id, timeout=20)
    err = error(sdk.get_cluster, m.GetClusterRequest(cluster_id=cid))
    assert (err.status_code, err.code) == (404, "ClusterNotFound")


def test_create_cluster_storages_packages_and_login_addon(sdk, ehpc):
    created = sdk.create_cluster(create_request(
        "store", queues=None,
        shared_storages=[m.SharedStorageTemplate(mount_directory="/home", file_system_id="homefs",
                                                 nasdirectory="/users", protocol_type="NFS"),
                         m.SharedStorageTemplate(mount_directory="/data", file_system_id="datafs",
                                                 mount_options="-o vers=3")],
        additional_packages=[m.CreateClusterRequestAdditionalPackages(name="MPICH", version="4.0"),
                             m.CreateClusterRequestAdditionalPackages(name="lmod")],
        addons=[m.CreateClusterRequestAddons(name="Login", version="1.0", resources_spec=json.dumps(
            {"EcsResources": [{"InstanceType": "ecs.n1.medium"}]}))])).body
    ehpc.wait_operation(created.cluster_id, created.task_id, timeout=20)
    rec = ehpc.state.get_cluster(created.cluster_id)
    assert rec.spec["DeployMode"] == "Simple" and rec.spec["EcsOrder"]["Login"] == {"Count": 1,
                                                                                    "InstanceType": "ecs.n1.medium"}
    assert (rec.spec["VolumeId"], rec.spec["RemoteDirectory"]) == ("homefs", "/users")
    assert rec.spec["AdditionalVolumes"] == [{"VolumeType": "nas", "VolumeProtocol": "nfs", "VolumeId": "datafs",
                                              "VolumeMountOption": "-o vers=3", "RemoteDirectory": "/",
                                              "LocalDirectory": "/data", "Roles": []}]
    assert [a["Tag"] for a in rec.spec["Application"]] == ["MPICH_4.0", "Lmod"]
    assert [n.hostname for n in rec.plan.logins] == ["login0"]


def test_long_actions_return_before_the_work_ends(sdk, ehpc, conf):
    with configure_held(conf) as configuring:
        created = sdk.create_cluster(create_request("slow")).body
        assert configuring.wait(10)
        got = sdk.get_cluster(m.GetClusterRequest(cluster_id=created.cluster_id)).body
        assert got.cluster_status == "initing"          # 2018 "init", held in the configuration step
        err = error(sdk.create_nodes, m.CreateNodesRequest(cluster_id=created.cluster_id, count=1))
        assert (err.status_code, err.code) == (403, "ConflictOpt")
    ehpc.wait_operation(created.cluster_id, created.task_id, timeout=20)
    assert sdk.get_cluster(m.GetClusterRequest(cluster_id=created.cluster_id)).body.cluster_status == "running"


@pytest.mark.parametrize("method,facade_method,request_of", [
    ("create_cluster", "create_cluster", lambda cid: create_request("spy")),
    ("delete_cluster", "delete_cluster", lambda cid: m.DeleteClusterRequest(cluster_id=cid)),
    ("create_nodes", "add_nodes", lambda cid: m.CreateNodesRequest(cluster_id=cid, count=1)),
    ("delete_nodes", "delete_nodes", lambda cid: m.DeleteNodesRequest(cluster_id=cid, instance_ids=["i-x"])),
    ("create_users", "add_users", lambda cid: m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="gus", password="Gus!pass1")])),
])
def test_long_actions_start_the_work_in_the_background(sdk, ehpc, monkeypatch, method, facade_method, request_of):
    seen = []

    def spy(params):
        seen.append(dict(params))
        return {"RequestId": "R", "TaskId": "R", "ClusterId": "ehpc-lo-spy0000000", "InstanceIds": {"InstanceId": []}}

    monkeypatch.setattr(ehpc, facade_method, spy)
    getattr(sdk, method)(request_of("ehpc-lo-spy0000000"))
    assert len(seen) == 1 and seen[0]["Async"] is True


# --- users and jobs -----------------------------------------------------------------------------
@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "jobs2")


def test_users(sdk, ehpc, cid):
    resp = sdk.create_users(m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="dora", password="D0ra!pass", group="wheel"),
        m.CreateUsersRequestUser(user_name="eve", password="Ev3!passw")])).body
    assert ehpc.wait_operation(cid, resp.request_id, timeout=20)["message"] == "AddUsers succeeded"
    users = sdk.list_users(m.ListUsersRequest(cluster_id=cid)).body
    assert users.total_count == 3 and (users.page_number, users.page_size) == (1, 10)
    got = {u.user_name: u for u in users.users.user_info}
    assert set(got) == {"carol", "dora", "eve"}
    assert (got["dora"].group, got["dora"].group_id, got["eve"].group) == ("wheel", "990", "users")
    assert got["dora"].user_id and got["dora"].add_time
    page2 = sdk.list_users(m.ListUsersRequest(cluster_id=cid, page_number=2, page_size=2)).body
    assert len(page2.users.user_info) == 1 and page2.page_number == 2


def test_jobs(sdk, ehpc, cid, sched):
    spec = m.CreateJobRequestJobSpec(
        command_line="-- /bin/echo 'a b'", runas_user="carol", priority="5", job_queue="comp",
        stdout_path="/home/carol/out.txt", wall_time="01:00:00", variables='[{"Name":"A","Value":"1"}]',
        resources=m.CreateJobRequestJobSpecResources(nodes=1, cores=2, memory="1G"))
    created = sdk.create_job(m.CreateJobRequest(cluster_id=cid, job_name="hello", job_spec=spec)).body
    assert created.success == "true" and created.job_id == "101"
    sub = sched.submitted[-1]
    assert (sub.user, sub.name, sub.queue, sub.nice, sub.env) == ("carol", "hello", "comp", 400, {"A": "1"})
    assert (sub.nodes, sub.cpus_per_task, sub.mem_mb, sub.time_s) == (1, 2, 1024, 3600)
    assert sub.command == "exec /bin/echo 'a b'" and sub.stdout == "/home/carol/out.txt"

    job = sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id="101")).body.job_info
    assert (job.job_id, job.job_name, job.runas_user, job.state) == ("101", "hello", "carol", "Pending")
    assert (job.job_queue, job.priority, job.output_log) == ("comp", "5", "/home/carol/out.txt")
    assert job.array_job_id is None and job.create_time

    sdk.create_job(m.CreateJobRequest(cluster_id=cid, job_name="other", job_spec=m.CreateJobRequestJobSpec(
        command_line="sleep 1", runas_user="carol")))
    jobs = sdk.list_jobs(m.ListJobsRequest(cluster_id=cid)).body
    assert jobs.success is True and jobs.total_count == 2
    assert [j.job_spec.id for j in jobs.jobs] == ["102", "101"]        # newest first, as E-HPC 2.0
    assert (jobs.jobs[1].job_name, jobs.jobs[1].job_spec.state, jobs.jobs[1].job_spec.stdout_path) == \
        ("hello", "Pending", "/home/carol/out.txt")

    def listed(**flt):
        req = m.ListJobsRequest(cluster_id=cid, job_filter=m.ListJobsRequestJobFilter(**flt))
        return [j.job_spec.id for j in sdk.list_jobs(req).body.jobs]

    assert listed(job_name="ell") == ["101"]
    assert listed(users=["dora"]) == []
    assert listed(sort_by=m.ListJobsRequestJobFilterSortBy(submit_order="asc")) == ["101", "102"]
    assert listed(job_status="notfinish") == ["102", "101"] and listed(job_status="finished") == []
    sched.jobs["101"].node_list = "compute[0-1]"
    assert listed(nodes=["compute1"]) == ["101"] and listed(nodes=["compute2"]) == []
    now = time.time()
    assert listed(create_time_start=str(int(now - 600)), create_time_end=str(int(now + 600))) == ["102", "101"]
    assert listed(create_time_start=str(int(now + 600))) == []

    stopped = sdk.stop_jobs(m.StopJobsRequest(cluster_id=cid, job_ids=["101"])).body
    assert stopped.success == "true" and ("stop", ["101"]) in sched.calls
    assert sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id="101")).body.job_info.state == "Cancelled"
    assert listed(job_status="finished") == ["101"]
    paged = sdk.list_jobs(m.ListJobsRequest(cluster_id=cid, page_number="2", page_size="1")).body
    assert [j.job_spec.id for j in paged.jobs] == ["101"] and paged.total_count == 2


# --- errors ---------------------------------------------------------------------------------------
def _job(**spec):
    return m.CreateJobRequestJobSpec(**{"command_line": "hostname", "runas_user": "carol", **spec})


@pytest.mark.parametrize("method,request_of,status,code,field", [
    ("get_cluster", lambda cid: m.GetClusterRequest(cluster_id="ehpc-lo-nothere000"), 404, "ClusterNotFound",
     "ClusterId"),
    ("list_nodes", lambda cid: m.ListNodesRequest(cluster_id="ehpc-lo-nothere000"), 404, "ClusterNotFound", None),
    ("create_nodes", lambda cid: m.CreateNodesRequest(cluster_id=cid, count=100), 400, "InvalidParams", "Count"),
    ("create_nodes", lambda cid: m.CreateNodesRequest(
        cluster_id=cid, count=1, compute_node=m.NodeTemplate(instance_type="ecs.huge")), 400, "InvalidParams",
     "ComputeNode.InstanceType"),
    ("create_nodes", lambda cid: m.CreateNodesRequest(cluster_id=cid, count=1, hpcinter_connect="eRDMA"), 400,
     "InvalidParams", "HPCInterConnect"),
    ("create_nodes", lambda cid: m.CreateNodesRequest(cluster_id=cid, count=1, queue_name="nope"), 400,
     "InvalidParams", "QueueName"),
    ("delete_nodes", lambda cid: m.DeleteNodesRequest(cluster_id=cid, instance_ids=["i-nothere"]), 404,
     "ComputeNotFound", "InstanceIds.1"),
    ("create_users", lambda cid: m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="root", password="Abcdef1!")]), 400, "InvalidParams", "User.1.UserName"),
    ("create_users", lambda cid: m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="carol", password="Abcdef1!")]), 403, "UsernameExist", "User.1.UserName"),
    ("create_users", lambda cid: m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="fred", auth_key="ssh-ed25519 AAAA")]), 400, "InvalidParams",
     "User.1.AuthKey"),
    ("create_job", lambda cid: m.CreateJobRequest(cluster_id=cid, job_spec=_job(array_request="5-1")), 400,
     "InvalidParams", "JobSpec.ArrayRequest"),
    ("create_job", lambda cid: m.CreateJobRequest(cluster_id=cid, job_spec=_job(job_queue="nope")), 404,
     "ObjectNotFound", "JobSpec.JobQueue"),
    ("create_job", lambda cid: m.CreateJobRequest(cluster_id=cid, job_spec=_job(runas_user="nobody2")), 406,
     "AgentError.Account.UserNotExist", "JobSpec.RunasUser"),
    ("get_job", lambda cid: m.GetJobRequest(cluster_id=cid, job_id="999"), 404, "ObjectNotFound", "JobId"),
    ("stop_jobs", lambda cid: m.StopJobsRequest(cluster_id=cid, job_ids=["x"]), 400, "InvalidParams", "JobIds.1"),
    ("list_jobs", lambda cid: m.ListJobsRequest(cluster_id=cid, page_size="51"), 400, "InvalidParams", "PageSize"),
    ("list_jobs", lambda cid: m.ListJobsRequest(cluster_id=cid, job_filter=m.ListJobsRequestJobFilter(
        job_status="done")), 400, "InvalidParams", "JobFilter.JobStatus"),
    ("list_users", lambda cid: m.ListUsersRequest(cluster_id=cid, page_size=0), 400, "InvalidParams", "PageSize"),
])
def test_errors_name_the_20_field(sdk, cid, sched, method, request_of, status, code, field):
    err = error(getattr(sdk, method), request_of(cid))
    assert (err.status_code, err.code) == (status, code), err.message
    assert err.data["RequestId"] and err.data["Message"]
    if field:
        assert err.data["Recommend"] == f"Check the parameter {field}."
        assert field in err.message or code in ("ClusterNotFound", "UsernameExist")
    assert sched.submitted == []


@pytest.mark.parametrize("changes,field", [
    ({"cluster_category": "Serverless"}, "ClusterCategory"),
    ({"cluster_mode": "Hybrid"}, "ClusterMode"),
    ({"deletion_protection": True}, "DeletionProtection"),
    ({"cluster_name": "9bad name"}, "ClusterName"),
    ({"cluster_credentials": m.CreateClusterRequestClusterCredentials(password="short")},
     "ClusterCredentials.Password"),
    # PBS and LDAP are served now (issues 11, 12): schedulers and directories that are not
    ({"manager": m.CreateClusterRequestManager(scheduler=m.CreateClusterRequestManagerScheduler(type="LSF"))},
     "Manager.Scheduler.Type"),
    ({"manager": m.CreateClusterRequestManager(
        directory_service=m.CreateClusterRequestManagerDirectoryService(type="AD"))},
     "Manager.DirectoryService.Type"),
    ({"manager": m.CreateClusterRequestManager(manager_node=m.NodeTemplate(instance_type="ecs.huge"))},
     "Manager.ManagerNode.InstanceType"),
    ({"queues": [m.QueueTemplate(queue_name="Bad-Queue")]}, "Queues.1.QueueName"),
    ({"queues": [m.QueueTemplate(initial_count=0)]}, "Queues.1.InitialCount"),
    ({"queues": [m.QueueTemplate(max_count=501)]}, "Queues.1.MaxCount"),
    ({"queues": [m.QueueTemplate(min_count=3, max_count=2)]}, "Queues.1.MinCount"),
    ({"queues": [m.QueueTemplate(queue_name="a"), m.QueueTemplate(queue_name="b")]}, "Queues.2"),
    ({"shared_storages": [m.SharedStorageTemplate(mount_directory="/data", protocol_type="SMB")]},
     "SharedStorages.1.ProtocolType"),
    ({"additional_packages": [m.CreateClusterRequestAdditionalPackages(name="Matlab")]},
     "AdditionalPackages.1.Name"),
    ({"addons": [m.CreateClusterRequestAddons(name="Portal", version="1.0")]}, "Addons.1.Name"),
])
def test_create_cluster_refusals_name_the_20_field(sdk, ehpc, changes, field):
    err = error(sdk.create_cluster, create_request("refused", **changes))
    assert (err.status_code, err.code) == (400, "InvalidParams"), err.message
    assert f"parameter {field} is invalid" in err.message, err.message
    assert ehpc.state.list_clusters(0, 10)[0] == 0      # nothing made


def test_cloud_only_options_are_accepted_and_ignored(sdk, ehpc):
    """VPC, security group, charge type, spot, disks (spec/cloud_only.py): accepted, nothing changes."""
    req = create_request("cloudy", cluster_vpc_id="vpc-123", security_group_id="sg-1", queues=[m.QueueTemplate(
        queue_name="work", initial_count=1, compute_nodes=[m.NodeTemplate(
            instance_type="ecs.n1.tiny", instance_charge_type="PrePaid", spot_strategy="SpotAsPriceGo",
            data_disks=[m.NodeTemplateDataDisks(category="cloud_essd", size=100)])])])
    out = sdk.create_cluster(req).body
    assert out.cluster_id and out.task_id
    ehpc.wait_operation(out.cluster_id, out.task_id, timeout=20, poll=0.05)
    spec = ehpc.state.get_cluster(out.cluster_id).spec
    assert spec["EcsOrder"]["Compute"]["InstanceType"] == "ecs.n1.tiny"
    assert not any(k in json.dumps(spec) for k in ("vpc-123", "sg-1", "PrePaid", "cloud_essd"))


def test_unknown_parameter_and_bad_json(sdk, cid):
    err = error(call, sdk, "GetCluster", {"ClusterId": cid, "ClusterNmae": "x"})
    assert (err.status_code, err.code) == (400, "InvalidParams") and "ClusterNmae" in err.message
    err = error(call, sdk, "DeleteNodes", {"ClusterId": cid, "InstanceIds": "[not json"})
    assert (err.status_code, err.code) == (400, "InvalidParams") and "InstanceIds" in err.message
    flat = call(sdk, "ListNodes", {"ClusterId": cid, "Hostnames": '["compute0"]'})["body"]
    assert [n["Hostname"] for n in flat["Nodes"]] == ["compute0"]


def test_unmapped_and_unknown_actions(sdk, cid):
    err = error(sdk.list_queues, m.ListQueuesRequest(cluster_id=cid))
    assert (err.status_code, err.code) == (400, "UnsupportedOperation")
    assert "ListQueues" in err.message and VERSION in err.message
    err = error(call, sdk, "MakeCoffee", {})
    assert (err.status_code, err.code) == (404, "InvalidAction.NotFound") and "MakeCoffee" in err.message


def test_wrong_secret_is_refused(server, api_key, ehpc):
    bad = make_client(server, api_key["AccessKeyId"], api_key["AccessKeySecret"] + "x")
    err = error(bad.list_clusters, m.ListClustersRequest())
    assert (err.status_code, err.code) == (400, "SignatureDoesNotMatch")
    unknown = make_client(server, "LTAInothere", "secret")
    err = error(unknown.list_clusters, m.ListClustersRequest())
    assert (err.status_code, err.code) == (404, "InvalidAccessKeyId.NotFound")


def test_create_cluster_queue_scaling_fields_become_auto_scale_settings(sdk, ehpc):
    created = sdk.create_cluster(create_request("scaled", queues=[m.QueueTemplate(
        queue_name="work", initial_count=1, enable_scale_out=True, enable_scale_in=True, min_count=0, max_count=4,
        max_count_per_cycle=2)])).body
    got = ehpc.get_auto_scale_config(ClusterId=created.cluster_id)["Queues"]["QueueInfo"]
    assert [(q["QueueName"], q["EnableAutoGrow"], q["EnableAutoShrink"], q["MinNodesInQueue"], q["MaxNodesInQueue"],
             q["MaxNodesPerCycle"]) for q in got] == [("work", True, True, 0, 4, 2)]
    ehpc.wait_operation(created.cluster_id, created.task_id, timeout=20)

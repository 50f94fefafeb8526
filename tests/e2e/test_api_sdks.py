"""The HTTP endpoint on loopback, driven by Alibaba Cloud's official E-HPC SDKs against a real
Docker cluster: the 2018-04-12 SDK (aliyun-python-sdk-ehpc, endpoint overridden, HTTP) creates
the cluster, adds a NIS user and a compute node, submits a job and lists it; the 2.0 SDK
(alibabacloud-ehpc20240730, ``endpoint`` + ``protocol="http"``) reads the same cluster."""
import time

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

from ehpc_iac.api import ApiContext
from ehpc_iac.api.server import BackgroundServer
from tests.api.sdk2018 import call, client

from .conftest import dexec, sinfo_states

PW = "Fr4nk!pass"


@pytest.fixture(scope="module")
def api(ehpc):
    ctx = ApiContext.for_home(ehpc=ehpc)
    key = ctx.keys.create("e2e")
    with BackgroundServer(ctx) as srv:
        yield srv, key, client(srv.endpoint, key)


def wait_for(fn, timeout=300, step=2.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(step)


@pytest.fixture(scope="module")
def cid(api, ehpc):
    _, _, acs = api
    t0 = time.monotonic()
    out = call(acs, "CreateCluster", Name="e2e-sdk", DeployMode="Tiny", EcsOrderComputeCount=1)
    assert time.monotonic() - t0 < 10          # the API answers at once; the cluster is made in the background
    cid = out["ClusterId"]
    status = lambda: call(acs, "DescribeCluster", ClusterId=cid)["ClusterInfo"]["Status"]  # noqa: E731
    assert wait_for(lambda: status() in ("running", "exception"), 600) and status() == "running"
    yield cid
    if ehpc.state.get_cluster(cid):
        call(acs, "DeleteCluster", ClusterId=cid)
        wait_for(lambda: ehpc.state.get_cluster(cid) is None, 120)


def test_2018_sdk_users_nodes_and_a_job(api, ehpc, cid):
    _, _, acs = api
    assert cid in [c["Id"] for c in call(acs, "ListClusters", PageSize=50)["Clusters"]["ClusterInfoSimple"]]
    task = call(acs, "AddUsers", ClusterId=cid, Users=[{"Name": "frank", "Password": PW, "Group": "users"}])
    assert ehpc.wait_operation(cid, task["TaskId"], timeout=300)["message"] == "AddUsers succeeded"
    assert [u["Name"] for u in call(acs, "ListUsers", ClusterId=cid)["Users"]["UserInfo"]] == ["frank"]

    added = call(acs, "AddNodes", ClusterId=cid, Count=1)
    [iid] = added["InstanceIds"]["InstanceId"]
    assert ehpc.wait_operation(cid, added["TaskId"], timeout=300)["message"] == "AddNodes succeeded"
    nodes = call(acs, "ListNodes", ClusterId=cid, Role="Compute")["Nodes"]["NodeInfo"]
    assert iid in [n["Id"] for n in nodes] and all(n["Status"] == "running" for n in nodes)
    assert set(sinfo_states(f"{cid}-manager0").values()) == {"idle"}
    assert len(sinfo_states(f"{cid}-manager0")) == 2

    dexec(f"{cid}-manager0", "mkdir", "-p", "/home/frank/out", user="frank")
    job = call(acs, "SubmitJob", ClusterId=cid, CommandLine="echo from-sdk $GREETING; hostname", RunasUser="frank",
               Name="sdkjob", Variables='[{"Name":"GREETING","Value":"hello"}]',
               StdoutRedirectPath="/home/frank/out/sdk.out")
    jobs = call(acs, "ListJobs", ClusterId=cid)["Jobs"]["JobInfo"]
    assert job["JobId"] in [j["Id"] for j in jobs]
    out = wait_for(lambda: dexec(f"{cid}-manager0", "cat", "/home/frank/out/sdk.out", check=False), 120)
    assert out.splitlines()[0] == "from-sdk hello"
    assert dexec(f"{cid}-manager0", "stat", "-c", "%U", "/home/frank/out/sdk.out").strip() == "frank"


def test_2018_sdk_errors_from_a_real_cluster(api, cid):
    _, key, acs = api
    with pytest.raises(ServerException) as ei:
        call(acs, "SubmitJob", ClusterId=cid, CommandLine="true", RunasUser="nobody-here")
    assert ei.value.get_http_status() < 500 and ei.value.get_error_code() != "UnknownError"
    with pytest.raises(ServerException) as ei:
        call(client(api[0].endpoint, key, secret="wrong"), "ListClusters")
    assert ei.value.get_error_code() == "InvalidAccessKeySecret"


def test_2024_sdk_reads_and_drives_the_same_cluster(api, ehpc, cid):
    from alibabacloud_ehpc20240730 import models as m
    from alibabacloud_ehpc20240730.client import Client
    from alibabacloud_tea_openapi import models as open_api_models
    srv, key, _ = api
    sdk = Client(open_api_models.Config(access_key_id=key["AccessKeyId"], access_key_secret=key["AccessKeySecret"],
                                        endpoint=srv.endpoint, protocol="http", read_timeout=60000))
    assert cid in [c.cluster_id for c in sdk.list_clusters(m.ListClustersRequest(page_size=50)).body.clusters]
    got = sdk.get_cluster(m.GetClusterRequest(cluster_id=cid)).body
    assert (got.cluster_id, got.cluster_status) == (cid, "running")
    created = sdk.create_nodes(m.CreateNodesRequest(cluster_id=cid, count=1)).body
    assert created.success is True and len(created.instance_ids) == 1
    assert ehpc.wait_operation(cid, created.request_id, timeout=300)["message"] == "AddNodes succeeded"
    nodes = sdk.list_nodes(m.ListNodesRequest(cluster_id=cid)).body.nodes
    assert created.instance_ids[0] in [n.id for n in nodes] and all(n.status == "running" for n in nodes)
    users = sdk.create_users(m.CreateUsersRequest(cluster_id=cid, user=[
        m.CreateUsersRequestUser(user_name="gina", password="G1na!pass")])).body
    assert ehpc.wait_operation(cid, users.request_id, timeout=300)["message"] == "AddUsers succeeded"
    assert "gina" in [u.user_name for u in sdk.list_users(m.ListUsersRequest(cluster_id=cid)).body.users.user_info]
    spec = m.CreateJobRequestJobSpec(command_line="echo v2-$X > /home/gina/v2.out", runas_user="gina",
                                     variables='[{"Name":"X","Value":"ok"}]')
    job = sdk.create_job(m.CreateJobRequest(cluster_id=cid, job_name="v2job", job_spec=spec)).body
    assert job.job_id
    done = wait_for(lambda: sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id=job.job_id)).body.job_info.state
                    in ("Completed", "Failed"), 120)
    assert done and sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id=job.job_id)).body.job_info.state == "Completed"
    assert dexec(f"{cid}-manager0", "cat", "/home/gina/v2.out").strip() == "v2-ok"
    assert job.job_id in [j.job_spec.id for j in sdk.list_jobs(m.ListJobsRequest(cluster_id=cid)).body.jobs]
    sleeper = sdk.create_job(m.CreateJobRequest(cluster_id=cid, job_name="long", job_spec=m.CreateJobRequestJobSpec(
        command_line="sleep 300", runas_user="gina"))).body
    wait_for(lambda: sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id=sleeper.job_id)).body.job_info.state
             == "Running", 60, 1)
    sdk.stop_jobs(m.StopJobsRequest(cluster_id=cid, job_ids=[sleeper.job_id]))
    wait_for(lambda: sdk.get_job(m.GetJobRequest(cluster_id=cid, job_id=sleeper.job_id)).body.job_info.state
             == "Cancelled", 60, 1)


def test_many_concurrent_requests_share_the_pooled_ssh_connection(api, cid):
    """30 ListJobs at once (each runs scontrol over the one pooled SSH connection to the manager):
    sshd's session limit must queue them, never fail them."""
    import concurrent.futures

    import httpx

    from tests.api.sdk2018 import signed_get
    srv, key, _ = api

    def one(_):
        url, _sts = signed_get(srv.url, key, {"Action": "ListJobs", "ClusterId": cid})
        return httpx.get(url, timeout=120).status_code

    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(one, range(60)))
    assert codes == [200] * 60

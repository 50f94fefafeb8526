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
    assert ei.value.get_http_status() < 500 and ei.value.get_error_code() != "InternalError"
    with pytest.raises(ServerException) as ei:
        call(client(api[0].endpoint, key, secret="wrong"), "ListClusters")
    assert ei.value.get_error_code() == "InvalidAccessKeySecret"

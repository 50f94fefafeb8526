"""The E-HPC 2018-04-12 RPC endpoint, driven over loopback HTTP by the official SDK
(aliyun-python-sdk-ehpc + aliyun-python-sdk-core) against the fake-engine facade."""
import logging
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

from ehpc_iac.api import signing
from ehpc_iac.ops.lock import ClusterLock
from tests.api.sdk2018 import call, client, raw, signed_get
from tests.fakes import cluster_with_user, configure_held


def sdk_error(fn, *a, **kw) -> ServerException:
    with pytest.raises(ServerException) as ei:
        fn(*a, **kw)
    return ei.value


@pytest.fixture
def acs(server, api_key):
    return client(server.endpoint, api_key)


def test_string_to_sign_equals_the_sdks():
    params = {"Action": "SubmitJob", "CommandLine": "echo 'a b' * ~x/y", "Name": "日本", "Variables": '[{"N":1}]',
              "AccessKeyId": "LTAIx", "Empty": ""}
    from urllib.parse import parse_qsl, urlsplit

    from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url
    url, sdk_sts = get_signed_url(dict(params), "LTAIx", "s3cret", "JSON", "GET", {"Form": "v w"})
    sent = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    ours = signing.rpc_string_to_sign("GET", {**sent, "Form": "v w"})
    assert ours == sdk_sts
    assert signing.rpc_signature(ours, "s3cret") == sent["Signature"]


def test_sdk_cluster_lifecycle_nodes_users_jobs(acs, ehpc, sched):
    out = call(acs, "CreateCluster", Name="sdk", DeployMode="Tiny", EcsOrderComputeCount=1, Password="Rootpw1!x")
    cid = out["ClusterId"]
    assert out["RequestId"] and out["TaskId"]
    ehpc.wait_operation(cid, out["TaskId"], timeout=20)
    info = call(acs, "DescribeCluster", ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "running" and info["Name"] == "sdk" and info["DeployMode"] == "Tiny"
    listed = call(acs, "ListClusters")
    assert [c["Id"] for c in listed["Clusters"]["ClusterInfoSimple"]] == [cid] and listed["TotalCount"] == 1
    added = call(acs, "AddNodes", ClusterId=cid, Count=2)
    assert len(added["InstanceIds"]["InstanceId"]) == 2
    ehpc.wait_operation(cid, added["TaskId"], timeout=20)
    nodes = call(acs, "ListNodes", ClusterId=cid, Role="Compute")["Nodes"]["NodeInfo"]
    assert len(nodes) == 3 and all(n["Status"] == "running" for n in nodes)
    task = call(acs, "AddUsers", ClusterId=cid, Users=[{"Name": "dora", "Password": "D0ra!pass", "Group": "users"}])
    ehpc.wait_operation(cid, task["RequestId"], timeout=20)
    assert [u["Name"] for u in call(acs, "ListUsers", ClusterId=cid)["Users"]["UserInfo"]] == ["dora"]
    job = call(acs, "SubmitJob", ClusterId=cid, CommandLine="echo hi", RunasUser="dora", Name="j1",
               Variables='[{"Name":"A","Value":"1"}]')
    assert sched.submitted[-1].user == "dora" and sched.submitted[-1].env == {"A": "1"}
    jobs = call(acs, "ListJobs", ClusterId=cid)["Jobs"]["JobInfo"]
    assert [j["Id"] for j in jobs] == [job["JobId"]]


def test_long_actions_return_before_the_work_ends(acs, ehpc, conf):
    """CreateCluster and AddNodes answer while Ansible (here: a configurator held on a gate) still runs."""
    with configure_held(conf) as configuring:
        out = call(acs, "CreateCluster", Name="slow", DeployMode="Tiny", EcsOrderComputeCount=1)
        assert configuring.wait(10)
        status = call(acs, "DescribeCluster", ClusterId=out["ClusterId"])["ClusterInfo"]["Status"]
        assert status in ("uninit", "creating", "init")
        err = sdk_error(call, acs, "AddNodes", ClusterId=out["ClusterId"], Count=1)
        assert (err.get_http_status(), err.get_error_code()) == (403, "ConflictOpt")
    ehpc.wait_operation(out["ClusterId"], out["TaskId"], timeout=20)
    assert call(acs, "DescribeCluster", ClusterId=out["ClusterId"])["ClusterInfo"]["Status"] == "running"


@pytest.fixture
def cid(ehpc):
    return cluster_with_user(ehpc, "rpc")


@pytest.mark.parametrize("action,params,status,code,field", [
    ("DescribeCluster", {"ClusterId": "ehpc-lo-nothere00"}, 404, "ClusterNotFound", None),
    ("AddNodes", {"Count": 100}, 400, "InvalidParams", "Count"),
    ("AddNodes", {"Count": "two"}, 400, "InvalidParams", "Count"),
    ("SubmitJob", {"RunasUser": "carol"}, 400, "InvalidParams", "CommandLine"),
    ("SubmitJob", {"CommandLine": "x", "RunasUser": "carol", "ArrayRequest": "5-1"}, 400, "InvalidParams",
     "ArrayRequest"),
    ("AddUsers", {"User.1.Name": "root", "User.1.Password": "Abcdef1!"}, 400, "InvalidParams", "User.1.Name"),
    ("ListNodes", {"PageSize": "0"}, 400, "InvalidParams", "PageSize"),
])
def test_bad_input_gets_the_documented_code(server, api_key, cid, sched, action, params, status, code, field):
    params = {"ClusterId": cid, **params} if "ClusterId" not in params else params
    r = raw(server.url, api_key, {"Action": action, **params})
    body = r.json()
    assert (r.status_code, body["Code"]) == (status, code), body
    assert body["RequestId"] and body["HostId"] == server.endpoint and body["Message"]
    if field:
        assert field in body["Message"]
    assert sched.submitted == []


def test_conflict_and_status_codes(acs, ehpc, cid):
    lock = ClusterLock(ehpc.home / "locks", cid, "RecoverCluster").acquire()
    try:
        err = sdk_error(call, acs, "AddNodes", ClusterId=cid, Count=1)
        assert (err.get_http_status(), err.get_error_code()) == (403, "ConflictOpt")
    finally:
        lock.release()
    ehpc.stop_cluster(ClusterId=cid)
    err = sdk_error(call, acs, "AddNodes", ClusterId=cid, Count=1)
    assert (err.get_http_status(), err.get_error_code()) == (403, "InvalidClusterStatus")


def test_unexpected_failure_is_the_references_unknown_error(server, api_key, ehpc, monkeypatch, caplog):
    monkeypatch.setattr(type(ehpc), "list_clusters", lambda self, p: 1 / 0)
    r = raw(server.url, api_key, {"Action": "ListClusters"})
    body = r.json()
    assert (r.status_code, body["Code"], body["Message"]) == (500, "UnknownError", "An unknown error occurred.")
    assert "division" not in r.text and body["RequestId"]
    assert any("internal error" in rec.message for rec in caplog.records)


def test_unknown_and_unimplemented_actions_are_named(server, api_key):
    r = raw(server.url, api_key, {"Action": "GetCloudMetricLogs"})
    assert (r.status_code, r.json()["Code"]) == (400, "UnsupportedOperation")
    assert "GetCloudMetricLogs" in r.json()["Message"] and "not implemented" in r.json()["Message"]
    r = raw(server.url, api_key, {"Action": "Wipe"})
    assert (r.status_code, r.json()["Code"]) == (404, "InvalidAction.NotFound") and "Wipe" in r.json()["Message"]
    r = raw(server.url, api_key, {"Action": "Reconverge"})   # a facade method that is no action
    assert r.status_code == 404
    r = raw(server.url, api_key, {"Action": "ListClusters", "Version": "2017-01-01"})
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidVersion")


def test_xml_responses_and_errors(server, api_key, cid):
    r = raw(server.url, api_key, {"Action": "ListClusters", "Format": "XML"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "ListClustersResponse" and root.findtext("TotalCount") == "1"
    assert [e.findtext("Id") for e in root.findall("Clusters/ClusterInfoSimple")] == [cid]
    r = raw(server.url, api_key, {"Action": "DescribeCluster", "ClusterId": "nope", "Format": "XML"})
    root = ET.fromstring(r.content)
    assert r.status_code == 404 and root.tag == "Error" and root.findtext("Code") == "ClusterNotFound"
    assert root.findtext("RequestId") and root.findtext("HostId") == server.endpoint


def test_wrong_secret_signature_does_not_match(server, api_key, acs, caplog):
    caplog.set_level(logging.INFO, logger="ehpc_iac")
    url, sts = signed_get(server.url, api_key, {"Action": "ListClusters"}, secret="not-the-secret")
    r = httpx.get(url)
    assert (r.status_code, r.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert r.json()["Message"].split(":", 1)[1] == sts          # the server's string to sign, as the SDK checks
    bad = client(server.endpoint, api_key, secret="not-the-secret")
    err = sdk_error(call, bad, "ListClusters")
    # the SDK compares the string to sign and then reports the wrong secret by name
    assert (err.get_http_status(), err.get_error_code()) == (400, "InvalidAccessKeySecret")
    logged = caplog.text
    assert api_key["AccessKeyId"] in logged and "SignatureDoesNotMatch" in logged
    assert "not-the-secret" not in logged and api_key["AccessKeySecret"] not in logged


def test_unknown_disabled_and_deleted_keys(server, api_ctx, api_key):
    ghost = {"AccessKeyId": "LTAInotakey", "AccessKeySecret": "x"}
    r = raw(server.url, ghost, {"Action": "ListClusters"})
    assert (r.status_code, r.json()["Code"]) == (404, "InvalidAccessKeyId.NotFound")
    api_ctx.keys.set_enabled(api_key["AccessKeyId"], False)
    r = raw(server.url, api_key, {"Action": "ListClusters"})
    assert (r.status_code, r.json()["Code"]) == (403, "InvalidAccessKeyId.Inactive")
    api_ctx.keys.set_enabled(api_key["AccessKeyId"], True)
    assert raw(server.url, api_key, {"Action": "ListClusters"}).status_code == 200
    api_ctx.keys.delete(api_key["AccessKeyId"])
    assert raw(server.url, api_key, {"Action": "ListClusters"}).status_code == 404


def test_replayed_nonce_and_stale_timestamp_are_refused(server, api_key):
    url, _ = signed_get(server.url, api_key, {"Action": "ListClusters"})
    assert httpx.get(url).status_code == 200
    r = httpx.get(url)                                          # the very same signed request again
    assert (r.status_code, r.json()["Code"]) == (400, "SignatureNonceUsed")
    from aliyunsdkcore.auth.composer import rpc_signature_composer as composer
    stale = (datetime.now(timezone.utc) - timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    orig = composer.helper.get_iso_8061_date
    composer.helper.get_iso_8061_date = lambda: stale
    try:
        url, _ = signed_get(server.url, api_key, {"Action": "ListClusters"})
    finally:
        composer.helper.get_iso_8061_date = orig
    r = httpx.get(url)
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidTimeStamp.Expired") and "Timestamp" in r.json()["Message"]
    r = httpx.get(server.url + "/?Action=ListClusters&Version=2018-04-12")
    assert (r.status_code, r.json()["Code"]) == (400, "MissingParameter")


def test_form_body_post_is_signed_too(server, api_key, cid):
    from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url
    params = {"Action": "DescribeCluster", "Version": "2018-04-12"}
    url, _ = get_signed_url(dict(params), api_key["AccessKeyId"], api_key["AccessKeySecret"], "JSON", "POST",
                            {"ClusterId": cid})
    r = httpx.post(server.url + url, data={"ClusterId": cid})
    assert r.status_code == 200 and r.json()["ClusterInfo"]["Id"] == cid
    r = httpx.post(server.url + url.replace("Signature", "Signature0"), data={"ClusterId": "other"})
    assert r.status_code == 400


def test_passwords_of_requests_never_reach_logs_or_state(server, api_key, acs, ehpc, cid, caplog):
    caplog.set_level(logging.DEBUG)
    task = call(acs, "AddUsers", ClusterId=cid, Users=[{"Name": "erin", "Password": "Er1n!Secret9", "Group": "users"}])
    ehpc.wait_operation(cid, task["RequestId"], timeout=20)
    # (the SDK itself logs its parameters at DEBUG on the client side; the server's logs must not)
    server_logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("aliyunsdkcore"))
    assert "AddUsers" in server_logs and "Er1n!Secret9" not in server_logs
    for f in ehpc.home.rglob("*"):
        if f.is_file():
            assert b"Er1n!Secret9" not in f.read_bytes(), f
            assert api_key["AccessKeySecret"].encode() not in f.read_bytes(), f


def test_every_implemented_action_has_a_facade_method():
    from ehpc_iac.api import v2018
    from ehpc_iac.ops import Ehpc
    for action in v2018.IMPLEMENTED + v2018.EXTENSIONS:
        assert callable(getattr(Ehpc, v2018.snake(action), None)), action
    from ehpc_iac.api.catalog_2018 import E_HPC_2018_ACTIONS
    assert set(v2018.IMPLEMENTED) <= E_HPC_2018_ACTIONS


def test_oversized_bodies_are_refused_with_413(server):
    big = b"A=" + b"x" * (1 << 20)
    r = httpx.post(server.url + "/", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert (r.status_code, r.json()["Code"]) == (413, "InvalidParameter") and r.json()["RequestId"]

    def chunks():                         # no Content-Length: counted while it streams in
        for _ in range(20):
            yield b"y" * 65536

    r = httpx.post(server.url + "/", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_sdk_auto_scale_config(acs, ehpc):
    cid = ehpc.create_cluster({"Name": "scaled", "DeployMode": "Tiny"})["ClusterId"]
    call(acs, "SetAutoScaleConfig", ClusterId=cid, EnableAutoGrow=True, GrowIntervalInMinutes=3, ExcludeNodes="compute0",
         SpotStrategy="SpotAsPriceGo", Queuess=[{"QueueName": "comp", "EnableAutoShrink": True, "MaxNodesInQueue": 5,
                                                  "InstanceTypes": [{"InstanceType": "ecs.n1.small", "ZoneId": "z"}],
                                                  "DataDisks": [{"DataDiskSize": 40}]}])
    got = call(acs, "GetAutoScaleConfig", ClusterId=cid)
    assert (got["EnableAutoGrow"], got["GrowIntervalInMinutes"], got["ExcludeNodes"]) == (True, 3, "compute0")
    q = got["Queues"]["QueueInfo"][0]
    assert (q["QueueName"], q["EnableAutoShrink"], q["MaxNodesInQueue"], q["InstanceType"]) == ("comp", True, 5,
                                                                                                 "ecs.n1.small")
    assert call(acs, "DescribeAutoScaleConfig", ClusterId=cid)["GrowIntervalInMinutes"] == 3
    err = sdk_error(call, acs, "SetAutoScaleConfig", ClusterId=cid, ShrinkIdleTimes=9)
    assert err.get_error_code() == "InvalidParams" and "ShrinkIdleTimes" in err.get_error_msg()

"""ListClusterLogs: every operation with level, message, operation, request id and time; newest first."""
import pytest

from ehpc_iac.errors import ClusterNotFound, InvalidParams


def create(ehpc):
    return ehpc.create_cluster({"Name": "logs", "DeployMode": "Tiny"})["ClusterId"]


def test_create_is_logged_newest_first(ehpc):
    cid = create(ehpc)
    resp = ehpc.list_cluster_logs(ClusterId=cid)
    assert resp["ClusterId"] == cid and resp["PageNumber"] == 1 and resp["PageSize"] == 10
    logs = resp["Logs"]["LogInfo"]
    assert resp["TotalCount"] == len(logs) == 5
    assert [l["Message"] for l in logs][0] == "CreateCluster succeeded"
    assert [l["Message"] for l in logs][-1] == "CreateCluster started"
    assert {l["Operation"] for l in logs} == {"CreateCluster"} and {l["Level"] for l in logs} == {"info"}
    request_ids = {l["RequestId"] for l in logs}
    assert len(request_ids) == 1 and all(l["CreateTime"].endswith("Z") for l in logs)
    ehpc.modify_cluster_attributes(ClusterId=cid, Description="x")
    newest = ehpc.list_cluster_logs(ClusterId=cid, PageSize=1)["Logs"]["LogInfo"][0]
    assert newest["Operation"] == "ModifyClusterAttributes" and newest["Message"].endswith("succeeded")


def test_paging_and_debug_rows(ehpc):
    cid = create(ehpc)
    ehpc.state.add_log(cid, "R-1", "CreateCluster", "debug", "configure: Base configuration: common")
    assert ehpc.list_cluster_logs(ClusterId=cid)["TotalCount"] == 5  # debug rows are left out
    everything = ehpc.list_cluster_logs({"ClusterId": cid, "IncludeDebug": "true", "PageSize": 100})
    assert everything["TotalCount"] == 6
    assert everything["Logs"]["LogInfo"][0]["Level"] == "debug"
    p1 = ehpc.list_cluster_logs(ClusterId=cid, PageSize=2)["Logs"]["LogInfo"]
    p3 = ehpc.list_cluster_logs(ClusterId=cid, PageSize=2, PageNumber=3)["Logs"]["LogInfo"]
    assert len(p1) == 2 and len(p3) == 1 and p3[0]["Message"] == "CreateCluster started"
    assert ehpc.list_cluster_logs(ClusterId=cid, PageNumber=9)["Logs"]["LogInfo"] == []


def test_failures_are_logged_as_errors(ehpc, conf):
    conf.fail = "slurmctld did not start"
    with pytest.raises(Exception):
        ehpc.create_cluster({"Name": "bad", "DeployMode": "Tiny"})
    cid = ehpc.list_clusters()["Clusters"]["ClusterInfoSimple"][0]["Id"]
    top = ehpc.list_cluster_logs(ClusterId=cid)["Logs"]["LogInfo"][0]
    assert top["Level"] == "error" and "slurmctld did not start" in top["Message"]


def test_bad_requests(ehpc):
    with pytest.raises(ClusterNotFound):
        ehpc.list_cluster_logs(ClusterId="ehpc-lo-0000000000")
    cid = create(ehpc)
    for bad, field in (({"PageSize": 101}, "PageSize"), ({"PageNumber": 0}, "PageNumber"),
                       ({"IncludeDebug": "maybe"}, "IncludeDebug"), ({"Level": "info"}, "Level")):
        with pytest.raises(InvalidParams) as e:
            ehpc.list_cluster_logs({"ClusterId": cid, **bad})
        assert e.value.field == field
    assert ehpc.list_cluster_logs(ClusterId=cid, PageSize=100)["PageSize"] == 100

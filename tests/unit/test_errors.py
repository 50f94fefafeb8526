import pytest

from ehpc_iac import errors as E


@pytest.mark.parametrize("exc,code,status,exit_code", [
    (E.InvalidParams("Name", "bad"), "InvalidParams", 400, 2),
    (E.ClusterNotFound("c1"), "ClusterNotFound", 404, 3),
    (E.ConflictOpt("c1"), "ConflictOpt", 403, 4),
    (E.InvalidClusterStatus("c1", "stopped", "StopCluster", ["running"]), "InvalidClusterStatus", 403, 4),
    (E.EngineUnavailable("docker down"), "ServiceUnavailable", 503, 5),
    (E.ConfigureError("x"), "AgentError", 406, 1),
    (E.UnknownError("x"), "UnknownError", 500, 1),
])
def test_codes_statuses_exit_codes(exc, code, status, exit_code):
    assert (exc.code, exc.http_status, exc.exit_code) == (code, status, exit_code)
    assert isinstance(exc, E.EhpcError)
    assert exc.to_dict() == {"Code": code, "Message": exc.message}


def test_invalid_params_names_field():
    e = E.InvalidParams("EcsOrder.Compute.Count", "must be between 1 and 99")
    assert e.field == "EcsOrder.Compute.Count" and "EcsOrder.Compute.Count" in str(e)

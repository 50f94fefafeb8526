"""Schemathesis against the REST job API's own OpenAPI document, over ASGI: requests that fit the
schema and requests that do not (wrong types, missing fields, bad headers), with a valid Basic
credential so they reach validation, the tenant map and the operations (a fake-engine cluster
with FakeJobs). The one property: never a 5xx, and every error is the REST error body."""
import base64

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ehpc_iac.api import create_app
from ehpc_iac.ops.rest_jobs import TenantMap
from tests.fakes import cluster_with_user


@pytest.fixture
def basic(api_key):
    return "Basic " + base64.b64encode(f"{api_key['AccessKeyId']}:{api_key['AccessKeySecret']}".encode()).decode()


@pytest.fixture
def rest_schema(ehpc, sched, api_ctx, basic, server):
    cid = cluster_with_user(ehpc, "rest-fuzz")
    api_ctx.tenants = TenantMap.from_dict({
        "default": {"ClusterId": cid, "JobQueue": "comp", "RunasUser": "carol"},
        "tenants": {"team-a": {"Resources": {"NPU": 2}}},
        "pool_labels": {"npu": {"Resources": {"NPU": 8}}},
    })
    for sid in ("app-1234", "a", "0", "A"):    # ids schemathesis tends to pick: status, logs, stop, delete run too
        r = httpx.post(server.url + "/api/jobs", headers={"Authorization": basic}, json={
            "entrypoint": "true", "runtime_env": {"working_dir": "/tmp/w"}, "submission_id": sid})
        assert r.status_code == 200, r.text
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(api_ctx))


schema = schemathesis.pytest.from_fixture("rest_schema")


@schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_server_error_on_any_operation(case, basic):
    check(case, basic)
    if case.method == "POST" and case.path == "/api/jobs" and isinstance(case.body, dict):
        # again, past the checks most random bodies fail first (tenant, working_dir, job_id), so that the
        # generated numbers, variables and requirements reach SubmitJob and the scheduler
        body = {k: v for k, v in case.body.items() if k not in ("job_id", "submission_id")}
        if isinstance(body.get("runtime_env"), dict):
            body["runtime_env"] = {**body["runtime_env"], "working_dir": "/home/carol/w"}
        case.body = body
        case.headers = {k: v for k, v in (case.headers or {}).items()
                        if k.lower() not in ("x-tenant-id", "x-pool-label")}
        check(case, basic)


def check(case, basic):
    response = case.call_and_validate(headers={"Authorization": basic}, checks=[not_a_server_error])
    if response.status_code >= 400:
        err = response.json()
        assert err["code"] and err["message"] and err["request_id"], err

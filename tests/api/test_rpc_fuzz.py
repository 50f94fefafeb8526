"""Random parameters for every RPC action the server implements (2018-04-12 with signature 1.0,
2024-07-30 with ACS3-HMAC-SHA256): never a 500, never a crash.

Parameter names come from the official SDK's request classes (plus unknown names); values
are random text, numbers, JSON fragments and ids of a real (fake-engine) cluster, so that
requests reach deep into validation and the operations. Every request is signed, so the
operation itself runs; the only acceptable outcomes are 2xx and 4xx.
"""
import importlib
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ehpc_iac.api import v2018
from tests.api.sdk2018 import signed_get
from tests.fakes import cluster_with_user

SDK_DIR = importlib.import_module("aliyunsdkehpc.request.v20180412").__path__[0]


def sdk_param_names(action: str) -> list[str]:
    try:
        src = open(f"{SDK_DIR}/{action}Request.py").read()
    except FileNotFoundError:
        return []
    names = set(re.findall(r"add_(?:query|body)_param\('([A-Za-z0-9.]+)'", src))
    for prefix, sub in re.findall(r"'([A-Za-z0-9]+)\.' \+ str\(depth1 \+ 1\) \+ '\.([A-Za-z0-9.]+)'", src):
        names.add(f"{prefix}.1.{sub}")
    for prefix in re.findall(r"'([A-Za-z0-9]+)\.' \+ str\(depth1 \+ 1\),", src):
        names.add(f"{prefix}.1")
    return sorted(names)


ACTIONS = [a for a in v2018.IMPLEMENTED + v2018.EXTENSIONS]
values = st.one_of(
    st.text(max_size=40),
    st.integers(-5, 10**6).map(str),
    st.sampled_from(["", "true", "false", "null", "[]", "{}", '[{"Name":"A","Value":"1"}]', "1-5:2", "5-1",
                     "../../etc/passwd", "$(reboot)", "a;b", "comp", "carol", "root", "Compute", "0", "-1",
                     "1" * 300, "2018-01-01T00:00:00Z", "x\x00y"]),
)


@pytest.fixture(scope="module")
def state():
    return {}


@pytest.mark.parametrize("action", ACTIONS)
def test_random_parameters_never_crash_the_server(server, api_key, ehpc, sched, action):
    cid = cluster_with_user(ehpc, "fuzz")
    names = sdk_param_names(action) or ["ClusterId", "Name", "JobId", "Count"]

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(chosen=st.dictionaries(st.sampled_from(names + ["Bogus", "Instance.1.Id", "Jobs"]), values, max_size=6),
           with_cluster=st.booleans())
    def one(chosen, with_cluster):
        params = {"Action": action, **chosen}
        if with_cluster:
            params["ClusterId"] = cid
        params = {k: v.replace("\x00", "") for k, v in params.items()}
        url, _ = signed_get(server.url, api_key, params)
        r = httpx.get(url, timeout=30)
        assert r.status_code < 500, (params, r.text)
        body = r.json()
        assert body["RequestId"]
        if r.status_code >= 400:
            assert body["Code"] and body["Message"], body

    one()


# --- E-HPC 2.0 (ACS3-HMAC-SHA256) ------------------------------------------------------------------
V2024_CLIENT = importlib.import_module("alibabacloud_ehpc20240730.client").__file__


def v2024_param_names(action: str) -> list[str]:
    """Names the 2.0 SDK puts in the query or body of ``action`` (read from its client source)."""
    src = open(V2024_CLIENT).read()
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
    start = src.find(f"def {snake}_with_options(")
    body = src[start:src.find("return DaraCore.from_map", start)]
    return sorted(set(re.findall(r"(?:query|body)\['([A-Za-z0-9.]+)'\]", body)))


@pytest.mark.parametrize("action", sorted(__import__("ehpc_iac.api.v2024", fromlist=["ACTIONS"]).ACTIONS))
def test_random_parameters_never_crash_the_2024_actions(server, api_key, ehpc, sched, action):
    from alibabacloud_ehpc20240730.client import Client
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_openapi import utils_models
    from alibabacloud_tea_openapi.exceptions import ClientException
    from darabonba.runtime import RuntimeOptions
    cid = cluster_with_user(ehpc, "fuzz2")
    sdk = Client(open_api_models.Config(access_key_id=api_key["AccessKeyId"],
                                        access_key_secret=api_key["AccessKeySecret"], endpoint=server.endpoint,
                                        protocol="http", read_timeout=30000))
    names = v2024_param_names(action) or ["ClusterId"]
    params = utils_models.Params(action=action, version="2024-07-30", protocol="HTTP", pathname="/", method="POST",
                                 auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    json_values = st.sampled_from(['{"UserName":"x"}', '[{"UserName":"u","Password":"P4ss!word"}]', '["i-x"]',
                                   '{"CommandLine":"echo","RunasUser":"carol"}', '{"JobName":"a"}', "[1,2]", "{"])

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(chosen=st.dictionaries(st.sampled_from(names + ["Bogus"]), st.one_of(values, json_values), max_size=6),
           with_cluster=st.booleans())
    def one(chosen, with_cluster):
        query = {k: v.replace("\x00", "") for k, v in chosen.items()}
        if with_cluster:
            query["ClusterId"] = cid
        try:
            body = sdk.call_api(params, utils_models.OpenApiRequest(query=query), RuntimeOptions())["body"]
            assert body["RequestId"]
        except ClientException as exc:        # a 4xx, with the gateway's body
            assert 400 <= exc.status_code < 500 and exc.code and exc.data.get("RequestId"), exc.data

    one()

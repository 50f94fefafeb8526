"""The REST job API (seed 003) over HTTP on loopback, with the fake engine and FakeJobs: what a
request becomes (SubmitJob parameters reaching the scheduler), limits refused with 400 naming
the field, duplicate ids, tenants and pool labels, Basic authentication, status, logs, stop,
list, delete, and the error format."""
import base64
import json
import re

import httpx
import pytest

from ehpc_iac.errors import InvalidParams
from ehpc_iac.ops.rest_jobs import TenantMap
from ehpc_iac.ops.rest_jobs_params import TOP_DIR_LINE
from ehpc_iac.scheduler.base import FAILED, FINISHED, RUNNING, UNKNOWN
from tests.fakes import cluster_with_user

UUID = re.compile(r"^[0-9A-F-]{36}$")


@pytest.fixture
def cid(ehpc, sched, api_ctx):
    cid = cluster_with_user(ehpc, "rest-jobs")
    api_ctx.tenants = TenantMap.from_dict({
        "default": {"ClusterId": cid, "JobQueue": "comp", "RunasUser": "carol"},
        "tenants": {
            "team-a": {"Resources": {"NPU": 2}, "PipIndexUrl": "https://pypi.example/simple"},
            "team-b": {"JobQueue": "comp"},
        },
        "pool_labels": {"npu": {"JobQueue": "comp", "Resources": {"NPU": 8}},
                        "nowhere": {"JobQueue": "nosuchq"}},
    })
    return cid


@pytest.fixture
def client(server, api_key, cid):
    with httpx.Client(base_url=server.url, auth=(api_key["AccessKeyId"], api_key["AccessKeySecret"]),
                      timeout=30) as c:
        yield c


def body(**kw):
    b = {"entrypoint": "python script.py", "runtime_env": {"working_dir": "/home/carol/work"}}
    b.update(kw)
    return b


def submit(client, headers=None, **kw):
    r = client.post("/api/jobs", json=body(**kw), headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()["submission_id"]


def assert_error(r, status, code, field=None):
    assert r.status_code == status, r.text
    err = r.json()
    assert err["code"] == code, err
    assert UUID.match(err["request_id"]) and r.headers["x-request-id"] == err["request_id"]
    if field is not None:
        assert err["field"] == field, err
        assert code != "InvalidParams" or field in err["message"], err
    return err


# --- submit -------------------------------------------------------------------------------
def test_seed_example_maps_onto_submit_job(client, sched):
    r = client.post("/api/jobs", json={
        "entrypoint": "python script.py",
        "metadata": {"autoscenes_ids": "auto_1-test", "task_type": "task_1", "ttl": "1250"},
        "runtime_env": {"working_dir": "file:///home/carol/deploy/file.zip",
                        "env_vars": {"SOURCE_REGION": "suzhou_std", "DEPLOY_REGION": "suzhou_std"},
                        "pip": ["numpy==1.24", "scipy==1.11.0"]},
        "entrypoint_num_cpus": 3, "entrypoint_memory": 134217728, "entrypoint_resources": {"NPU": 0},
        "submission_id": "app-1234"}, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"submission_id": "app-1234", "job_id": "app-1234"}
    job, = sched.submitted
    jdir = "/home/carol/.ehpc-iac/rest-jobs/_default/app-1234"
    assert (job.user, job.queue, job.name) == ("carol", "comp", "app-1234")
    assert job.env == {"SOURCE_REGION": "suzhou_std", "DEPLOY_REGION": "suzhou_std"}
    assert (job.cpus_per_task, job.mem_mb) == (3, 128)
    # the archive is copied into the job's own directory and unpacked there
    assert job.prologue[0] == f"mkdir -p -- {jdir}/work && cd -- {jdir}/work || exit 1"
    assert job.prologue[1] == f"cp -- /home/carol/deploy/file.zip {jdir}/work/file.zip || exit 1"
    assert job.prologue[2].startswith("sh -c 'python3 -m zipfile -e \"$1\" . && rm -f -- \"$1\"' ehpc-unpack ")
    lines = job.command.splitlines()
    assert lines[0] == TOP_DIR_LINE and lines[-1] == "python script.py"
    pip = next(line for line in lines if " pip install " in line)
    assert f"--target {jdir}/pip numpy==1.24 scipy==1.11.0 ||" in pip and "--index-url" not in pip
    assert any(line.startswith(f"export PYTHONPATH={jdir}/pip") for line in lines)


def test_submission_id_is_made_when_absent_and_metadata_kept(client, sched):
    sid = submit(client, metadata={"team": "x"})
    assert re.match(r"^app-[a-z0-9]{12}$", sid)
    assert sched.submitted[-1].name == sid
    job = client.get(f"/api/jobs/{sid}").json()
    assert job["metadata"] == {"team": "x"} and job["entrypoint"] == "python script.py"
    assert job["job_id"] == "101" and job["status"] == "PENDING" and job["type"] == "SUBMISSION"


def test_entrypoint_and_env_vars_reach_the_job_unchanged(client, sched):
    cmd = 'echo "$GREETING" > out.txt; ls | wc -l'
    submit(client, entrypoint=cmd,
           runtime_env={"working_dir": "/home/carol/w", "env_vars": {"GREETING": "hi; $(rm -rf ~) `x`"}})
    job = sched.submitted[-1]
    assert job.command == cmd                      # plain directory: nothing added before it
    assert job.env == {"GREETING": "hi; $(rm -rf ~) `x`"}
    assert job.prologue == ["mkdir -p -- /home/carol/w && cd -- /home/carol/w || exit 1"]
    submit(client, runtime_env={"working_dir": "file:///home/carol/"})
    assert sched.submitted[-1].prologue == [] and sched.submitted[-1].workdir == "/home/carol"   # the home itself


@pytest.mark.parametrize("extra, cpus, mem", [
    ({"entrypoint_num_cpus": 0.3}, 1, None),
    ({"entrypoint_num_cpus": 16}, 16, None),
    ({"entrypoint_num_cpus": 2.01}, 3, None),
    ({"entrypoint_memory": 134217728 + 1}, None, 129),
    ({"entrypoint_memory": 1125899906842624}, None, 1073741824),
    ({"entrypoint_num_gpus": 0}, None, None),
])
def test_cpus_and_memory_mapping(client, sched, extra, cpus, mem):
    submit(client, **extra)
    job = sched.submitted[-1]
    assert (job.cpus_per_task, job.mem_mb) == (cpus, mem)


def test_tar_gz_over_https_is_fetched_and_unpacked(client, sched):
    submit(client, runtime_env={"working_dir": "https://files.example/app.tar.gz"})
    job = sched.submitted[-1]
    assert "https://files.example/app.tar.gz" in job.prologue[1]
    assert job.prologue[2].startswith("sh -c 'tar xzf \"$1\" && rm -f -- \"$1\"' ehpc-unpack ")


def test_tenant_pip_index_and_allowed_resources(client, sched):
    sid = submit(client, headers={"X-Tenant-Id": "team-a"}, entrypoint_resources={"NPU": 2, "TPU": 0},
                 runtime_env={"working_dir": "/tmp/w", "pip": ["requests[socks]>=2; python_version>'3'"]})
    job = sched.submitted[-1]
    pip = next(line for line in job.command.splitlines() if " pip install " in line)
    assert "--index-url https://pypi.example/simple" in pip
    assert "'requests[socks]>=2; python_version>'\"'\"'3'\"'\"''" in pip    # one quoted argument
    assert f"/home/carol/.ehpc-iac/rest-jobs/team-a/{sid}/pip" in pip


BAD = [
    ({"entrypoint_num_cpus": 0.29}, "entrypoint_num_cpus"),
    ({"entrypoint_num_cpus": 16.01}, "entrypoint_num_cpus"),
    ({"entrypoint_num_cpus": "3"}, "entrypoint_num_cpus"),
    ({"entrypoint_memory": 134217727}, "entrypoint_memory"),
    ({"entrypoint_memory": 1125899906842625}, "entrypoint_memory"),
    ({"entrypoint_memory": 134217728.5}, "entrypoint_memory"),
    ({"entrypoint_num_gpus": 0.5}, "entrypoint_num_gpus"),
    ({"entrypoint_num_gpus": -1}, "entrypoint_num_gpus"),
    ({"entrypoint_num_gpus": 1}, "entrypoint_num_gpus"),           # SubmitJob: these clusters have no GPUs
    ({"entrypoint_resources": {"NPU": 1}}, "entrypoint_resources.NPU"),  # not offered to the default tenant
    ({"entrypoint_resources": {"NPU": -1}}, "entrypoint_resources.NPU"),
    ({"entrypoint": "   "}, "entrypoint"),
    ({"entrypoint": None}, "entrypoint"),
    ({"entrypoint": "x" * 32769}, "entrypoint"),
    ({"submission_id": "../etc"}, "submission_id"),
    ({"submission_id": "a" * 65}, "submission_id"),
    ({"submission_id": "a", "job_id": "b"}, "job_id"),
    ({"metadata": {"k": 1}}, "metadata.k"),
    ({"unknown": 1}, "unknown"),
    ({"runtime_env": {"working_dir": "/home/carol", "conda": "env"}}, "runtime_env.conda"),
    ({"runtime_env": {"working_dir": "relative/dir"}}, "runtime_env.working_dir"),
    ({"runtime_env": {"working_dir": "gcs://_ray_pkg_abc.zip"}}, "runtime_env.working_dir"),
    ({"runtime_env": {"working_dir": "file://host/home/carol"}}, "runtime_env.working_dir"),
    ({"runtime_env": {"working_dir": "https://files.example/dir/"}}, "runtime_env.working_dir"),
    ({"runtime_env": {"working_dir": "/etc"}}, "runtime_env.working_dir"),       # outside home and /tmp
    ({"runtime_env": {"working_dir": "/home/carol/a b"}}, "runtime_env.working_dir"),
    ({"runtime_env": {"working_dir": "/home/carol", "env_vars": {"1BAD": "x"}}}, "runtime_env.env_vars.1BAD"),
    ({"runtime_env": {"working_dir": "/home/carol", "env_vars": {"A": "x\x00y"}}}, "runtime_env.env_vars.A"),
    ({"runtime_env": {"working_dir": "/home/carol", "pip": ["numpy", "numpy=="]}}, "runtime_env.pip[1]"),
    ({"runtime_env": {"working_dir": "/home/carol", "pip": ["--index-url=http://evil"]}}, "runtime_env.pip[0]"),
    ({"runtime_env": {"working_dir": "/home/carol", "pip": ["x @ https://evil.example/x.whl"]}},
     "runtime_env.pip[0]"),
    ({"runtime_env": {"working_dir": "/home/carol", "pip": {"packages": ["numpy"]}}}, "runtime_env.pip"),
]


@pytest.mark.parametrize("extra, field", BAD, ids=[f for _, f in BAD])
def test_bad_requests_are_400_naming_the_field_and_submit_nothing(client, sched, extra, field):
    b = body()
    b.update(extra)
    if "entrypoint" in extra and extra["entrypoint"] is None:
        del b["entrypoint"]
    assert_error(client.post("/api/jobs", json=b), 400, "InvalidParams", field)
    assert sched.submitted == []
    assert client.get("/api/jobs").json() == []


@pytest.mark.parametrize("content, ctype", [(b"{nope", "application/json"), (b"[]", "application/json"),
                                            (b'{"entrypoint": "x"}', "text/plain"), (b"", "application/json"),
                                            (b"[" * 200000 + b"]" * 200000, "application/json")])
def test_bodies_that_are_no_json_object_are_400(client, sched, content, ctype):
    err = assert_error(client.post("/api/jobs", content=content, headers={"Content-Type": ctype}), 400,
                       "InvalidParams")
    assert err["field"] == "body"
    assert sched.submitted == []


def test_body_larger_than_a_mib_is_413(client, sched):
    r = client.post("/api/jobs", json=body(metadata={f"k{i}": "x" * 4096 for i in range(300)}))
    assert_error(r, 413, "InvalidParams", "body")


def test_duplicate_submission_id_is_409_and_submits_nothing_more(client, sched):
    assert submit(client, submission_id="dup-1") == "dup-1"
    err = assert_error(client.post("/api/jobs", json=body(submission_id="dup-1")), 409, "SubmissionIdAlreadyExists",
                       "submission_id")
    assert "dup-1" in err["message"]
    assert len(sched.submitted) == 1
    # ids are per tenant: another tenant may use it
    assert submit(client, headers={"X-Tenant-Id": "team-b"}, submission_id="dup-1") == "dup-1"
    assert len(sched.submitted) == 2


def test_failed_submission_frees_its_id(client, sched, ehpc, monkeypatch):
    monkeypatch.setattr(type(ehpc), "_job_scheduler", lambda self, rec: (_ for _ in ()).throw(
        InvalidParams("PackagePath", "boom")))
    assert_error(client.post("/api/jobs", json=body(submission_id="again")), 400, "InvalidParams",
                 "runtime_env.working_dir")
    monkeypatch.setattr(type(ehpc), "_job_scheduler", lambda self, rec: sched)
    assert submit(client, submission_id="again") == "again"


# --- tenants --------------------------------------------------------------------------------
def test_tenant_and_pool_label_headers_pick_queue_and_resources(client, sched):
    submit(client, headers={"X-Tenant-Id": "team-a", "X-Pool-Label": "npu"}, entrypoint_resources={"NPU": 8})
    assert sched.submitted[-1].queue == "comp"
    assert_error(client.post("/api/jobs", json=body(entrypoint_resources={"NPU": 9}),
                             headers={"X-Tenant-Id": "team-a", "X-Pool-Label": "npu"}),
                 400, "InvalidParams", "entrypoint_resources.NPU")
    assert_error(client.post("/api/jobs", json=body(entrypoint_resources={"NPU": 3}),
                             headers={"X-Tenant-Id": "team-a"}), 400, "InvalidParams", "entrypoint_resources.NPU")


def test_unknown_tenant_or_pool_label_names_the_header(client, sched):
    err = assert_error(client.post("/api/jobs", json=body(), headers={"X-Tenant-Id": "team-z"}), 400,
                       "InvalidParams", "X-Tenant-Id")
    assert "team-z" in err["message"]
    assert_error(client.post("/api/jobs", json=body(), headers={"X-Pool-Label": "gpu"}), 400, "InvalidParams",
                 "X-Pool-Label")
    assert_error(client.post("/api/jobs", json=body(), headers={"X-Tenant-Id": "bad id!"}), 400, "InvalidParams",
                 "X-Tenant-Id")
    assert_error(client.get("/api/jobs", headers={"X-Tenant-Id": "team-z"}), 400, "InvalidParams", "X-Tenant-Id")
    # a pool label whose queue the cluster does not have: SubmitJob's error names the header
    assert_error(client.post("/api/jobs", json=body(), headers={"X-Pool-Label": "nowhere"}), 404, "ObjectNotFound",
                 "X-Pool-Label")
    assert sched.submitted == []


def test_no_mapping_for_the_request(client, api_ctx, cid, sched):
    api_ctx.tenants = TenantMap.from_dict({"tenants": {"t1": {"ClusterId": cid, "RunasUser": "carol"}}})
    err = assert_error(client.post("/api/jobs", json=body()), 400, "TenantNotMapped", "X-Tenant-Id")
    assert "tenant map does not say where to run" in err["message"]
    api_ctx.tenants = None
    assert_error(client.post("/api/jobs", json=body()), 400, "TenantNotMapped")
    assert sched.submitted == []


def test_tenant_map_pointing_at_root_or_a_missing_user_or_cluster(client, api_ctx, cid, sched):
    with pytest.raises(InvalidParams) as e:
        TenantMap.from_dict({"default": {"ClusterId": cid, "RunasUser": "root"}})
    assert e.value.field == "default.RunasUser"
    api_ctx.tenants = TenantMap.from_dict({"tenants": {"x": {"ClusterId": cid, "RunasUser": "nobody"},
                                                       "y": {"ClusterId": "ehpc-lo-none", "RunasUser": "carol"}}})
    assert_error(client.post("/api/jobs", json=body(), headers={"X-Tenant-Id": "x"}), 406,
                 "AgentError.Account.UserNotExist", "X-Tenant-Id")
    assert_error(client.post("/api/jobs", json=body(), headers={"X-Tenant-Id": "y"}), 404, "ClusterNotFound",
                 "X-Tenant-Id")


def test_tenants_see_only_their_own_jobs(client, sched):
    a = submit(client, headers={"X-Tenant-Id": "team-a"}, submission_id="ja")
    b = submit(client, headers={"X-Tenant-Id": "team-b"}, submission_id="jb")
    d = submit(client, submission_id="jd")
    listed = lambda h: [j["submission_id"] for j in client.get("/api/jobs", headers=h).json()]  # noqa: E731
    assert listed({"X-Tenant-Id": "team-a"}) == [a]
    assert listed({"X-Tenant-Id": "team-b"}) == [b]
    assert listed({}) == [d]
    assert_error(client.get(f"/api/jobs/{a}", headers={"X-Tenant-Id": "team-b"}), 404, "JobNotFound",
                 "submission_id")
    assert_error(client.get(f"/api/jobs/{a}"), 404, "JobNotFound")
    assert_error(client.post(f"/api/jobs/{a}/stop"), 404, "JobNotFound")
    assert_error(client.get(f"/api/jobs/{a}/logs"), 404, "JobNotFound")
    assert sched.calls == []


def test_tenant_limited_to_some_access_keys(client, api_ctx, api_key, cid):
    other = api_ctx.keys.create("other")
    api_ctx.tenants = TenantMap.from_dict({"tenants": {"t": {"ClusterId": cid, "RunasUser": "carol",
                                                             "AccessKeyIds": [other["AccessKeyId"]]}}})
    assert_error(client.get("/api/jobs", headers={"X-Tenant-Id": "t"}), 403, "Forbidden.Tenant", "X-Tenant-Id")
    r = httpx.get(client.base_url.join("/api/jobs"), headers={"X-Tenant-Id": "t"},
                  auth=(other["AccessKeyId"], other["AccessKeySecret"]))
    assert r.status_code == 200 and r.json() == []


def test_tenant_map_yaml(tmp_path, cid):
    f = tmp_path / "tenants.yaml"
    f.write_text(f"default: {{ClusterId: {cid}, JobQueue: comp, RunasUser: carol}}\n"
                 "tenants:\n  team-a: {RunasUser: dave, pip_index_url: 'https://idx.example/simple'}\n"
                 "pool_labels:\n  gpu: {JobQueue: gpu, Resources: {GPU: 4}}\n")
    m = TenantMap.load(f)
    t = m.resolve("team-a", "gpu", "LTAIx")
    assert (t.tenant, t.cluster_id, t.user, t.queue) == ("team-a", cid, "dave", "gpu")
    assert t.resources == {"GPU": 4} and t.pip_index_url == "https://idx.example/simple"
    f.write_text(f"default: {{ClusterId: {cid}, RunasUser: carol, PipIndexUrl: 'file:///home/shared/simple'}}\n")
    assert TenantMap.load(f).resolve(None, None, "LTAIx").pip_index_url == "file:///home/shared/simple"
    for text, field in [("tenants:\n  a: {ClusterId: c, RunasUser: Bad User}\n", "tenants.a.RunasUser"),
                        ("tenants:\n  a: {ClusterId: c}\n", "tenants.a.RunasUser"),
                        ("tenants:\n  a: {ClusterId: c, RunasUser: uu, Cpus: 3}\n", "tenants.a.Cpus"),
                        ("tenants:\n  'a b': {ClusterId: c, RunasUser: uu}\n", "tenants"),
                        ("pool_labels:\n  p: {JobQueue: q, Resources: {GPU: 0}}\n", "pool_labels.p.Resources"),
                        ("default: {PipIndexUrl: 'ftp://x'}\n", "default.PipIndexUrl"),
                        ("default: {PipIndexUrl: 'file://host/simple'}\n", "default.PipIndexUrl"),
                        ("tenant: {}\n", "tenant"),
                        ("[1, 2]\n", "tenants"),
                        ("default: {ClusterId: [\n", "--tenants")]:
        f.write_text(text)
        with pytest.raises(InvalidParams) as e:
            TenantMap.load(f)
        assert e.value.field == field, (text, e.value.message)
    with pytest.raises(InvalidParams) as e:
        TenantMap.load(tmp_path / "missing.yaml")
    assert e.value.field == "--tenants"


# --- authentication ---------------------------------------------------------------------------
def _basic(key_id, secret):
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


@pytest.mark.parametrize("path, method", [("/api/jobs", "GET"), ("/api/jobs", "POST"), ("/api/jobs/x", "GET"),
                                          ("/api/jobs/x/logs", "GET"), ("/api/jobs/x/stop", "POST"),
                                          ("/api/jobs/x", "DELETE")])
def test_every_endpoint_needs_basic_auth(server, api_key, cid, sched, path, method):
    kid, secret = api_key["AccessKeyId"], api_key["AccessKeySecret"]
    for auth, code in [(None, "MissingAuthorization"), (_basic(kid, "wrong"), "InvalidAccessKeySecret"),
                       (_basic("LTAInope", secret), "InvalidAccessKeyId.NotFound"),
                       ("Bearer abc", "InvalidAuthorization"), ("Basic !!!", "InvalidAuthorization"),
                       ("Basic " + base64.b64encode(b"no-colon").decode(), "InvalidAuthorization")]:
        r = httpx.request(method, server.url + path, headers={"Authorization": auth} if auth else {},
                          json=body() if method == "POST" else None)
        assert_error(r, 401, code)
        assert r.headers["www-authenticate"] == 'Basic realm="ehpc-iac"'
        assert secret not in r.text
    assert sched.submitted == []


def test_disabled_key_is_401_and_docs_need_no_auth(server, api_ctx, api_key, cid):
    auth = (api_key["AccessKeyId"], api_key["AccessKeySecret"])
    assert httpx.get(server.url + "/api/jobs", auth=auth).status_code == 200
    api_ctx.keys.set_enabled(api_key["AccessKeyId"], False)
    r = httpx.get(server.url + "/api/jobs", auth=auth)
    assert_error(r, 401, "InvalidAccessKeyId.Inactive")
    assert r.headers["www-authenticate"] == 'Basic realm="ehpc-iac"'
    assert httpx.get(server.url + "/api/openapi.json").status_code == 200
    assert httpx.get(server.url + "/api/docs").status_code == 200


# --- status, logs, stop, list, delete ------------------------------------------------------------
def test_status_follows_the_scheduler(client, sched):
    sid = submit(client, submission_id="s1")
    job = client.get("/api/jobs/s1").json()
    assert (job["status"], job["end_time"], job["scheduler_state"]) == ("PENDING", None, "PENDING")
    j = sched.jobs[job["job_id"]]
    j.state, j.raw_state, j.node_list, j.start_time = RUNNING, "RUNNING", "compute0", "2026-01-01T00:00:01"
    job = client.get(f"/api/jobs/{sid}").json()
    assert (job["status"], job["message"], job["scheduler_start_time"]) == \
        ("RUNNING", "running on compute0", "2026-01-01T00:00:01")
    j.state, j.raw_state, j.end_time = FINISHED, "COMPLETED", "2026-01-01T00:00:09"
    job = client.get(f"/api/jobs/{sid}").json()
    assert job["status"] == "SUCCEEDED" and job["scheduler_end_time"] == "2026-01-01T00:00:09"
    assert job["end_time"] >= job["start_time"] > 0
    # an ended job is not asked about again
    j.state, j.raw_state = FAILED, "FAILED"
    assert client.get(f"/api/jobs/{sid}").json()["status"] == "SUCCEEDED"


@pytest.mark.parametrize("state, raw, status", [(FAILED, "FAILED", "FAILED"), (FAILED, "TIMEOUT", "FAILED"),
                                                (UNKNOWN, "", "FAILED"), (UNKNOWN, "WEIRD", "PENDING")])
def test_failed_and_unknown_states(client, sched, state, raw, status):
    sid = submit(client)
    j = sched.jobs["101"]
    j.state, j.raw_state = state, raw
    job = client.get(f"/api/jobs/{sid}").json()
    assert job["status"] == status
    assert (job["end_time"] is None) == (status == "PENDING")


def test_job_deleted_outside_the_api_is_failed(client, sched, ehpc, cid):
    sid = submit(client)
    ehpc.delete_jobs(ClusterId=cid, Jobs=[{"Id": "101"}])
    job = client.get(f"/api/jobs/{sid}").json()
    assert job["status"] == "FAILED" and "no longer knows" in job["message"]


def test_logs_are_the_jobs_output(client, sched):
    sid = submit(client)
    sched.files["/home/carol/slurm-101.out"] = "hello\nworld\n"
    assert client.get(f"/api/jobs/{sid}/logs").json() == {"logs": "hello\nworld\n"}
    assert ("log", "/home/carol/slurm-101.out", "carol") in sched.calls


def test_stop_then_stop_again(client, sched):
    sid = submit(client)
    r = client.post(f"/api/jobs/{sid}/stop")
    assert r.status_code == 200 and r.json() == {"stopped": True}
    assert ("stop", ["101"]) in sched.calls
    job = client.get(f"/api/jobs/{sid}").json()
    assert job["status"] == "STOPPED" and "CANCELLED" in job["message"]
    assert client.post(f"/api/jobs/{sid}/stop").json() == {"stopped": False}
    assert sched.calls.count(("stop", ["101"])) == 1


def test_list_shows_every_job_of_the_tenant_with_fresh_status(client, sched):
    ids = [submit(client, submission_id=f"l{i}") for i in range(3)]
    sched.jobs["102"].state, sched.jobs["102"].raw_state = RUNNING, "RUNNING"
    sched.jobs["103"].state, sched.jobs["103"].raw_state = FINISHED, "COMPLETED"
    jobs = client.get("/api/jobs").json()
    assert [(j["submission_id"], j["status"]) for j in jobs] == \
        [(ids[0], "PENDING"), (ids[1], "RUNNING"), (ids[2], "SUCCEEDED")]
    assert client.get("/api/jobs/").json() == client.get("/api/jobs").json()   # Ray's SDK adds the slash


def test_delete_only_ended_jobs(client, sched):
    sid = submit(client)
    assert_error(client.delete(f"/api/jobs/{sid}"), 409, "InvalidJobState", "submission_id")
    client.post(f"/api/jobs/{sid}/stop")
    assert client.delete(f"/api/jobs/{sid}").json() == {"deleted": True}
    assert ("delete", ["101"]) in sched.calls
    assert_error(client.get(f"/api/jobs/{sid}"), 404, "JobNotFound")
    assert submit(client, submission_id=sid) == sid        # the id is free again


def test_bad_path_id_is_400(client):
    assert_error(client.get("/api/jobs/-x"), 400, "InvalidParams", "submission_id")


# --- errors -------------------------------------------------------------------------------------------
def test_unexpected_exception_is_the_references_unknown_error(client, ehpc, monkeypatch, caplog):
    monkeypatch.setattr(type(ehpc), "submit_job", lambda self, p: 1 / 0)
    r = client.post("/api/jobs", json=body(submission_id="boom"))
    err = assert_error(r, 500, "UnknownError")
    assert "division" not in r.text and "Traceback" not in r.text and "field" not in err
    assert any("internal error" in rec.message for rec in caplog.records)
    assert client.get("/api/jobs").json() == []     # the id was freed


def test_rpc_route_keeps_its_own_error_format(server):
    r = httpx.post(server.url + "/", data={"Action": "ListClusters"})
    assert r.status_code == 400 and set(r.json()) >= {"RequestId", "Code", "Message"}


def test_openapi_documents_the_rest_routes(server):
    spec = httpx.get(server.url + "/api/openapi.json").json()
    assert set(spec["paths"]) == {"/api/jobs", "/api/jobs/{submission_id}", "/api/jobs/{submission_id}/logs",
                                  "/api/jobs/{submission_id}/stop", "/api/version"}
    post = spec["paths"]["/api/jobs"]["post"]
    assert {"400", "401", "409"} <= set(post["responses"]) and "422" not in post["responses"]
    assert post["security"] == [{"HTTPBasic": []}]
    props = spec["components"]["schemas"]["JobSubmitRequest"]["properties"]
    cpus = props["entrypoint_num_cpus"]["anyOf"][0]
    assert (cpus["minimum"], cpus["maximum"]) == (0.3, 16)
    mem = props["entrypoint_memory"]["anyOf"][0]
    assert (mem["minimum"], mem["maximum"]) == (134217728, 1125899906842624)
    assert spec["components"]["schemas"]["JobDetails"]["properties"]["status"]
    assert json.dumps(spec).count("ErrorBody") > 5

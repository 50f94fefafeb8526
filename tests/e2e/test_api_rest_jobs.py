"""The REST job API (seed 003) on loopback over a real Docker cluster (Tiny, one compute, a NIS
user): a job whose working_dir is an archive on the cluster prints an environment variable,
its working directory and a file of the archive, as the tenant's user; a ``sleep 300`` job is
stopped; a job asking for pip on nodes without pip fails saying so; the list shows them all."""
import time

import httpx
import pytest

from ehpc_iac.api import ApiContext
from ehpc_iac.api.server import BackgroundServer
from ehpc_iac.api.tenants import TenantMap

from .conftest import cluster_with_user, dexec

SPEC = {"Name": "e2e-rest", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}}}
USER, PW = "erin", "Er1n!pass"
ENDED = ("SUCCEEDED", "FAILED", "STOPPED")


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, SPEC, USER, PW)


@pytest.fixture(scope="module")
def api(ehpc, cluster):
    tenants = TenantMap.from_dict({"default": {"ClusterId": cluster, "JobQueue": "comp", "RunasUser": USER},
                                   "tenants": {"team-a": {}}})
    ctx = ApiContext.for_home(ehpc=ehpc, tenants=tenants)
    key = ctx.keys.create("e2e-rest")
    with BackgroundServer(ctx) as srv, \
            httpx.Client(base_url=srv.url, auth=(key["AccessKeyId"], key["AccessKeySecret"]), timeout=120) as c:
        yield c


def wait_status(api, sid, statuses, timeout=90, headers=None):
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(f"/api/jobs/{sid}", headers=headers or {})
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"{sid} stayed {job['status']}: {job['message']}"
        time.sleep(1)


def test_job_prints_env_var_and_working_dir_as_the_tenant_user(api, cluster):
    dexec(f"{cluster}-manager0", "runuser", "-u", USER, "--", "sh", "-c",
          f"mkdir -p /home/{USER}/src/app && echo payload > /home/{USER}/src/app/data.txt && "
          f"tar czf /home/{USER}/app.tar.gz -C /home/{USER}/src app")
    team = {"X-Tenant-Id": "team-a"}
    r = api.post("/api/jobs", headers=team, json={
        "entrypoint": 'echo "region=$SOURCE_REGION"; pwd; cat data.txt; id -un',
        "runtime_env": {"working_dir": f"file:///home/{USER}/app.tar.gz",
                        "env_vars": {"SOURCE_REGION": "suzhou_std; $(id)"}},
        "entrypoint_num_cpus": 0.5, "entrypoint_memory": 134217728, "metadata": {"task_type": "task_1"},
        "submission_id": "hello-1"})
    assert r.status_code == 200 and r.json() == {"submission_id": "hello-1"}, r.text
    job = wait_status(api, "hello-1", ENDED, headers=team)
    logs = api.get("/api/jobs/hello-1/logs", headers=team).json()["logs"]
    assert job["status"] == "SUCCEEDED", (job, logs)
    # the archive's single top-level directory is the working directory
    assert logs == (f"region=suzhou_std; $(id)\n/home/{USER}/.ehpc-iac/rest-jobs/team-a/hello-1/work/app\n"
                    f"payload\n{USER}\n")
    assert job["metadata"] == {"task_type": "task_1"} and job["end_time"] >= job["start_time"]
    assert job["scheduler_state"] == "COMPLETED" and job["job_id"].isdigit()
    # the default tenant does not see it
    assert api.get("/api/jobs/hello-1").status_code == 404


def test_sleep_job_is_stopped_pip_without_pip_fails_and_list_shows_them(api, cluster):
    r = api.post("/api/jobs", json={"entrypoint": "sleep 300", "runtime_env": {"working_dir": f"/home/{USER}"}})
    assert r.status_code == 200, r.text
    sleeper = r.json()["submission_id"]
    r = api.post("/api/jobs", json={"entrypoint": "python3 -c 'import six'", "submission_id": "pip-1",
                                    "runtime_env": {"working_dir": f"/home/{USER}/pipjob", "pip": ["six==1.16.0"]}})
    assert r.status_code == 200, r.text
    assert wait_status(api, sleeper, ("RUNNING",))["status"] == "RUNNING"
    assert api.post(f"/api/jobs/{sleeper}/stop").json() == {"stopped": True}
    job = wait_status(api, sleeper, ENDED, timeout=60)
    assert job["status"] == "STOPPED" and job["scheduler_state"].startswith("CANCELLED")
    assert api.post(f"/api/jobs/{sleeper}/stop").json() == {"stopped": False}

    job = wait_status(api, "pip-1", ENDED)
    logs = api.get("/api/jobs/pip-1/logs").json()["logs"]
    assert job["status"] == "FAILED" and "runtime_env.pip needs pip on the cluster nodes" in logs, (job, logs)

    listed = {j["submission_id"]: j["status"] for j in api.get("/api/jobs").json()}
    assert listed == {sleeper: "STOPPED", "pip-1": "FAILED"}
    assert [j["submission_id"] for j in api.get("/api/jobs", headers={"X-Tenant-Id": "team-a"}).json()] == \
        ["hello-1"]

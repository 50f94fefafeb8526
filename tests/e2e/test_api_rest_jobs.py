"""The REST job API (seed 003) on loopback over a real Docker cluster (Tiny, one compute, a NIS
user): a job whose working_dir is an archive on the cluster prints an environment variable,
its working directory and a file of the archive, as the tenant's user; a ``sleep 300`` job is
stopped; Ray's own JobSubmissionClient submits, follows, reads the log of and stops jobs; runtime_env.pip installs from the tenant's index (a PEP 503 index on the shared /home) for
that job only, and a requirement the index lacks fails the job saying so; the list shows them all."""
import base64
import hashlib
import io
import time
import zipfile

import httpx
import pytest

from ehpc_iac.api import ApiContext
from ehpc_iac.api.server import BackgroundServer
from ehpc_iac.ops.rest_jobs import TenantMap

from .conftest import cluster_with_user, dexec, docker

SPEC = {"Name": "e2e-rest", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 1}}}
USER, PW = "erin", "Er1n!pass"
ENDED = ("SUCCEEDED", "FAILED", "STOPPED")


@pytest.fixture(scope="module")
def cluster(ehpc):
    yield from cluster_with_user(ehpc, SPEC, USER, PW)


@pytest.fixture(scope="module")
def api_server(ehpc, cluster):
    """(the server, its access key)."""
    tenants = TenantMap.from_dict({"default": {"ClusterId": cluster, "JobQueue": "comp", "RunasUser": USER,
                                               "PipIndexUrl": f"file:///home/{USER}/simple"},
                                   "tenants": {"team-a": {}}})
    ctx = ApiContext.for_home(ehpc=ehpc, tenants=tenants)
    key = ctx.keys.create("e2e-rest")
    with BackgroundServer(ctx) as srv:
        yield srv, key


@pytest.fixture(scope="module")
def api(api_server):
    srv, key = api_server
    with httpx.Client(base_url=srv.url, auth=(key["AccessKeyId"], key["AccessKeySecret"]), timeout=120) as c:
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
    assert r.status_code == 200 and r.json() == {"submission_id": "hello-1", "job_id": "hello-1"}, r.text
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


def demo_wheel() -> tuple[str, bytes]:
    """A one-module wheel, ``ehpcdemo`` 1.0, built by hand (no network, no build tools)."""
    files = {"ehpcdemo.py": b'VALUE = "from-the-wheel"\n',
             "ehpcdemo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: ehpcdemo\nVersion: 1.0\n",
             "ehpcdemo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: ehpc-iac-tests\nRoot-Is-Purelib: true\n"
                                             b"Tag: py3-none-any\n"}

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = "".join(f"{p},sha256={digest(d)},{len(d)}\n" for p, d in files.items())
    files["ehpcdemo-1.0.dist-info/RECORD"] = (record + "ehpcdemo-1.0.dist-info/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
    return "ehpcdemo-1.0-py3-none-any.whl", buf.getvalue()


def publish_index(cluster, tmp_path):
    """A PEP 503 index in the user's home: simple/ehpcdemo/{index.html, the wheel}."""
    name, data = demo_wheel()
    project = tmp_path / "simple" / "ehpcdemo"
    project.mkdir(parents=True)
    (project / name).write_bytes(data)
    (project / "index.html").write_text(f'<html><body><a href="{name}">{name}</a></body></html>\n')
    docker("cp", str(tmp_path / "simple"), f"{cluster}-manager0:/home/{USER}/simple")
    dexec(f"{cluster}-manager0", "chown", "-R", f"{USER}:", f"/home/{USER}/simple")


def test_sleep_job_is_stopped_pip_installs_from_the_index_and_list_shows_them(api, cluster, tmp_path):
    publish_index(cluster, tmp_path)
    r = api.post("/api/jobs", json={"entrypoint": "sleep 300", "runtime_env": {"working_dir": f"/home/{USER}"}})
    assert r.status_code == 200, r.text
    sleeper = r.json()["submission_id"]
    code = "import ehpcdemo; print(ehpcdemo.VALUE, ehpcdemo.__file__)"
    r = api.post("/api/jobs", json={"entrypoint": f"python3 -c '{code}'", "submission_id": "pip-1",
                                    "runtime_env": {"working_dir": f"/home/{USER}", "pip": ["ehpcdemo==1.0"]}})
    assert r.status_code == 200, r.text
    r = api.post("/api/jobs", json={"entrypoint": "true", "submission_id": "pip-2",
                                    "runtime_env": {"working_dir": f"/home/{USER}", "pip": ["notinindex>=1"]}})
    assert r.status_code == 200, r.text
    assert wait_status(api, sleeper, ("RUNNING",))["status"] == "RUNNING"
    assert api.post(f"/api/jobs/{sleeper}/stop").json() == {"stopped": True}
    job = wait_status(api, sleeper, ENDED, timeout=60)
    assert job["status"] == "STOPPED" and job["scheduler_state"].startswith("CANCELLED")
    assert api.post(f"/api/jobs/{sleeper}/stop").json() == {"stopped": False}

    job = wait_status(api, "pip-1", ENDED, timeout=120)
    logs = api.get("/api/jobs/pip-1/logs").json()["logs"]
    value, path = logs.strip().splitlines()[-1].split()
    assert job["status"] == "SUCCEEDED" and value == "from-the-wheel", (job, logs)
    # installed for that job only, in its own directory, not in the user's or the system's site-packages
    assert path.startswith(f"/home/{USER}/.ehpc-iac/rest-jobs/") and path.endswith("/pip-1/pip/ehpcdemo.py"), path
    assert dexec(f"{cluster}-manager0", "runuser", "-u", USER, "--", "python3", "-c",
                 "import importlib.util; print(importlib.util.find_spec('ehpcdemo') is None)").strip() == "True"
    job = wait_status(api, "pip-2", ENDED, timeout=120)
    logs = api.get("/api/jobs/pip-2/logs").json()["logs"]
    assert job["status"] == "FAILED" and "pip install of runtime_env.pip failed" in logs, (job, logs)

    listed = {j["submission_id"]: j["status"] for j in api.get("/api/jobs").json()}
    assert listed == {sleeper: "STOPPED", "pip-1": "SUCCEEDED", "pip-2": "FAILED"}
    assert [j["submission_id"] for j in api.get("/api/jobs", headers={"X-Tenant-Id": "team-a"}).json()] == \
        ["hello-1"]


def test_rays_own_job_submission_client(api_server, cluster):
    """Ray's JobSubmissionClient (the ``ray`` package), unchanged: it asks GET /api/version first,
    then submits, follows the status, reads the log, stops, lists and deletes."""
    ray_sdk = pytest.importorskip("ray.job_submission")
    srv, key = api_server
    token = base64.b64encode(f"{key['AccessKeyId']}:{key['AccessKeySecret']}".encode()).decode()
    client = ray_sdk.JobSubmissionClient(srv.url, headers={"Authorization": f"Basic {token}"})
    status = ray_sdk.JobStatus

    def wait(sid, wanted, timeout=90):
        deadline = time.monotonic() + timeout
        while (st := client.get_job_status(sid)) not in wanted:
            assert time.monotonic() < deadline, f"{sid} stayed {st}: {client.get_job_info(sid).message}"
            time.sleep(1)
        return st

    sid = client.submit_job(entrypoint='echo "stage=$STAGE"; id -un', runtime_env={"env_vars": {"STAGE": "ray"}},
                            entrypoint_num_cpus=1, metadata={"client": "ray"})
    assert wait(sid, {status.SUCCEEDED, status.FAILED, status.STOPPED}) == status.SUCCEEDED, client.get_job_logs(sid)
    assert client.get_job_logs(sid) == f"stage=ray\n{USER}\n"
    assert client.get_job_info(sid).metadata == {"client": "ray"}
    sleeper = client.submit_job(entrypoint="sleep 300")
    wait(sleeper, {status.RUNNING})
    assert client.stop_job(sleeper) is True
    assert wait(sleeper, {status.STOPPED, status.FAILED, status.SUCCEEDED}) == status.STOPPED
    assert {sid, sleeper} <= {j.submission_id for j in client.list_jobs()}
    assert client.delete_job(sid) is True
    with pytest.raises(RuntimeError, match="404"):
        client.get_job_info(sid)

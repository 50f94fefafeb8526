"""The REST job API answers Ray's own ``JobSubmissionClient`` (the ``ray`` package), unchanged:
version check, submit, status, logs, stop, list, delete; against the fake-engine facade.
tests/e2e/test_api_rest_jobs.py drives it against a real cluster."""
import base64

import pytest

from ehpc_iac.ops.rest_jobs import TenantMap
from ehpc_iac.scheduler.base import RUNNING
from tests.fakes import cluster_with_user

ray_sdk = pytest.importorskip("ray.job_submission")


@pytest.fixture
def ray_client(server, api_key, ehpc, sched, api_ctx):
    cid = cluster_with_user(ehpc, "ray-client")
    api_ctx.tenants = TenantMap.from_dict({"default": {"ClusterId": cid, "JobQueue": "comp", "RunasUser": "carol"}})
    token = base64.b64encode(f"{api_key['AccessKeyId']}:{api_key['AccessKeySecret']}".encode()).decode()
    return ray_sdk.JobSubmissionClient(server.url, headers={"Authorization": f"Basic {token}"})


def test_ray_job_submission_client(ray_client, sched):
    JobStatus = ray_sdk.JobStatus
    sid = ray_client.submit_job(entrypoint="echo hello", runtime_env={"working_dir": "file:///home/carol/app.zip", "env_vars": {"STAGE": "dev"}},
                                entrypoint_num_cpus=1, metadata={"team": "a"})
    job, = sched.submitted
    assert job.env == {"STAGE": "dev"} and job.user == "carol"
    assert ray_client.get_job_status(sid) == JobStatus.PENDING
    info = ray_client.get_job_info(sid)
    assert (info.submission_id, info.entrypoint, info.metadata) == (sid, "echo hello", {"team": "a"})
    sched.jobs[str(sched.next)].state = RUNNING
    assert ray_client.get_job_status(sid) == JobStatus.RUNNING
    assert isinstance(ray_client.get_job_logs(sid), str)
    assert [j.submission_id for j in ray_client.list_jobs()] == [sid]
    assert ray_client.stop_job(sid) is True
    assert ray_client.get_job_status(sid) == JobStatus.STOPPED
    assert ray_client.delete_job(sid) is True
    with pytest.raises(RuntimeError, match="404"):
        ray_client.get_job_info(sid)


def test_ray_client_without_working_dir_runs_in_the_users_home(ray_client, sched):
    """Ray's runtime_env is optional: the job then runs in the run-as user's home."""
    sid = ray_client.submit_job(entrypoint="hostname")
    job, = sched.submitted
    assert job.user == "carol" and ray_client.get_job_info(sid).runtime_env == {}

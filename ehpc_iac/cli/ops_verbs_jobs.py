"""`ehpc-iac` verbs of the job operations: submit-job (flags or ``--file job.yaml``), create-job,
list-jobs, describe-job, get-job-log, stop-jobs, rerun-jobs, delete-jobs.

Every verb also takes the whole request as ``--cli-input-json FILE`` (API names). A
RunasUserPassword is read only from a file or standard input (``--password-stdin``)."""
from __future__ import annotations

import sys

import click

from ..errors import EhpcError, InvalidParams
from ..spec import read_request_file
from .common import _fail, _request, _run, cluster_option, input_option, output_option
from .group import cli

async_option = click.option("--async", "Async", is_flag=True, default=None,
                            help="Return at once; the operation goes on in the background.")
jobs_option = click.option("--job-id", "job_ids", multiple=True, help="A job id (repeatable): Jobs=[{Id: ...}].")


def _read_file(path):
    try:
        return read_request_file(path) if path else {}
    except EhpcError as exc:
        _fail(exc)


def _require_cluster(req: dict) -> None:
    if "ClusterId" not in req:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))


@cli.command("submit-job")
@click.option("--file", "-f", "job_file", type=click.Path(dir_okay=False), help="Job YAML/JSON (API names).")
@cluster_option
@input_option
@click.option("--command-line", "CommandLine")
@click.option("--name", "Name")
@click.option("--job-queue", "JobQueue")
@click.option("--runas-user", "RunasUser")
@click.option("--password-stdin", is_flag=True, help="Read RunasUserPassword from standard input.")
@click.option("--priority", "Priority", type=int, help="0-9 (9 highest).")
@click.option("--rerunable/--no-rerunable", "ReRunable", default=None)
@click.option("--array-request", "ArrayRequest", help="X-Y:Z")
@click.option("--variables", "Variables", help='JSON list: [{"Name": "A", "Value": "1"}]')
@click.option("--stdout-redirect-path", "StdoutRedirectPath")
@click.option("--stderr-redirect-path", "StderrRedirectPath")
@click.option("--post-cmd-line", "PostCmdLine")
@click.option("--node", "Node", type=int)
@click.option("--task", "Task", type=int)
@click.option("--thread", "Thread", type=int)
@click.option("--cpu", "Cpu", type=int)
@click.option("--mem", "Mem")
@click.option("--gpu", "Gpu", type=int)
@click.option("--clock-time", "ClockTime")
@output_option
@click.pass_context
def submit_job(ctx, job_file, cluster_id, cli_input_json, password_stdin, output, **flags):
    """SubmitJob: run CommandLine as RunasUser through the scheduler; prints the JobId."""
    req = _read_file(job_file)
    req.update(_request(cli_input_json, {"ClusterId": cluster_id, **flags}))
    if password_stdin:
        req["RunasUserPassword"] = sys.stdin.readline().rstrip("\n")
    _require_cluster(req)
    _run(ctx, "submit_job", req, output)


@cli.command("create-job")
@click.option("--file", "-f", "job_file", type=click.Path(dir_okay=False),
              help="YAML/JSON with JobName and JobSpec (API names).")
@cluster_option
@input_option
@click.option("--job-name", "JobName")
@output_option
@click.pass_context
def create_job(ctx, job_file, cluster_id, cli_input_json, output, **flags):
    """CreateJob (E-HPC 2.0): JobName and JobSpec; `-- /bin/cmd args` runs a command directly."""
    req = _read_file(job_file)
    req.update(_request(cli_input_json, {"ClusterId": cluster_id, **flags}))
    _require_cluster(req)
    _run(ctx, "create_job", req, output)


@cli.command("list-jobs")
@cluster_option
@input_option
@click.option("--owner", "Owner")
@click.option("--state", "State", type=click.Choice(["all", "Running", "Queued", "Finished", "Failed", "Stopped",
                                                     "Unknown"]))
@click.option("--rerunable", "Rerunable", type=click.Choice(["all", "true", "false"]))
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_jobs(ctx, cluster_id, cli_input_json, output, **flags):
    """ListJobs: queued, running and finished jobs (finished ones from ehpc-iac's own record)."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "list_jobs", req, output)


@cli.command("describe-job")
@cluster_option
@input_option
@click.option("--job-id", "JobId")
@output_option
@click.pass_context
def describe_job(ctx, cluster_id, cli_input_json, output, **flags):
    """DescribeJob: one job's fields."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "describe_job", req, output)


@cli.command("get-job-log")
@cluster_option
@input_option
@click.option("--job-id", "JobId")
@click.option("--offset", "Offset", type=int)
@click.option("--size", "Size", type=int)
@click.option("--exec-host", "ExecHost")
@output_option
@click.pass_context
def get_job_log(ctx, cluster_id, cli_input_json, output, **flags):
    """GetJobLog: the job's output and error files."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "get_job_log", req, output)


def _jobs_verb(name: str, action: str, doc: str) -> None:
    @cluster_option
    @input_option
    @jobs_option
    @async_option
    @output_option
    @click.pass_context
    def verb(ctx, cluster_id, cli_input_json, job_ids, output, **flags):
        req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
        if job_ids:
            req["Jobs"] = [{"Id": j} for j in job_ids]
        _require_cluster(req)
        _run(ctx, action, req, output)

    verb.__doc__ = doc
    cli.command(name)(verb)


_jobs_verb("stop-jobs", "stop_jobs", "StopJobs: cancel queued or running jobs.")
_jobs_verb("rerun-jobs", "rerun_jobs", "RerunJobs: requeue RUNNING or QUEUED jobs (1-100).")
_jobs_verb("delete-jobs", "delete_jobs", "DeleteJobs: cancel jobs and remove them from ListJobs.")

"""`ehpc-iac` verbs of DAG jobs (seed 002): create-dag-job (``--file job.yaml|json``, BatchCompute
names), describe-dag-job, list-dag-jobs, stop-dag-job. Every verb also takes the whole request as
``--cli-input-json FILE``; flags override single parameters."""
from __future__ import annotations

import click

from ..errors import EhpcError, InvalidParams
from ..spec import read_request_file
from .common import _fail, _request, _run, cluster_option, input_option, output_option
from .group import cli


def _require_cluster(req: dict) -> None:
    if "ClusterId" not in req:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))


@cli.command("create-dag-job")
@click.option("--file", "-f", "job_file", type=click.Path(dir_okay=False),
              help="DAG job YAML/JSON: Name, Priority, JobFailOnInstanceFail, RunasUser, DAG{Tasks, Dependencies}.")
@cluster_option
@input_option
@click.option("--runas-user", "RunasUser")
@click.option("--name", "Name")
@click.option("--priority", "Priority", type=int, help="0-1000 (higher first).")
@output_option
@click.pass_context
def create_dag_job(ctx, job_file, cluster_id, cli_input_json, output, **flags):
    """CreateJob (DAG): tasks with dependencies, run in order by Slurm; prints the job Id."""
    try:
        req = read_request_file(job_file) if job_file else {}
    except EhpcError as exc:
        _fail(exc)
    req.update(_request(cli_input_json, {"ClusterId": cluster_id, **flags}))
    _run(ctx, "create_dag_job", req, output)


@cli.command("describe-dag-job")
@cluster_option
@input_option
@click.option("--job-id", "JobId")
@output_option
@click.pass_context
def describe_dag_job(ctx, cluster_id, cli_input_json, output, **flags):
    """GetJob (DAG): the job's state and each task's state and Slurm job."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "describe_dag_job", req, output)


@cli.command("list-dag-jobs")
@cluster_option
@input_option
@click.option("--state", "State", type=click.Choice(["Waiting", "Running", "Finished", "Failed", "Stopped"]))
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_dag_jobs(ctx, cluster_id, cli_input_json, output, **flags):
    """ListJobs (DAG): the cluster's DAG jobs with their states."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "list_dag_jobs", req, output)


@cli.command("stop-dag-job")
@cluster_option
@input_option
@click.option("--job-id", "JobId")
@output_option
@click.pass_context
def stop_dag_job(ctx, cluster_id, cli_input_json, output, **flags):
    """StopJob (DAG): cancel the tasks that have not ended; the job becomes Stopped."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "stop_dag_job", req, output)

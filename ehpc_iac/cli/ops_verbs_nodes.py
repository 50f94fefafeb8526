"""Verbs for nodes and recovery: add-nodes, delete-nodes, list-nodes, list-nodes-no-paging,
list-nodes-by-queue, start-nodes, stop-nodes, reset-nodes, recover-cluster, and `wait`,
which follows an Async operation with the progress display."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EhpcError, InvalidParams
from .common import _fail, _ops, _request, _run, cluster_option, input_option, output_option
from .group import cli
from .output import Progress

async_option = click.option("--async", "Async", is_flag=True, default=None,
                            help="Return at once with the task id; follow it with `ehpc-iac wait`.")
instance_option = click.option("--instance-id", "instance_ids", multiple=True,
                               help="Instance.N.Id (repeatable).")


def _with_instances(req: dict, instance_ids: tuple[str, ...]) -> dict:
    if instance_ids:
        req["Instance"] = [{"Id": i} for i in instance_ids]
    return req


def _require_cluster(req: dict) -> None:
    if "ClusterId" not in req:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))


@cli.command("add-nodes")
@cluster_option
@input_option
@click.option("--count", "Count", type=int, help="1-99 compute nodes.")
@click.option("--instance-type", "InstanceType")
@click.option("--job-queue", "JobQueue")
@click.option("--host-name-prefix", "HostNamePrefix")
@click.option("--host-name-suffix", "HostNameSuffix")
@click.option("--create-mode", "CreateMode", type=click.Choice(["manual", "autoscale"]))
@click.option("--client-token", "ClientToken")
@async_option
@output_option
@click.pass_context
def add_nodes(ctx, cluster_id, cli_input_json, output, **flags):
    """AddNodes: new compute nodes, idle in Slurm without restarting slurmctld."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "add_nodes", req, output, long=True)


def _instances_verb(name: str, action: str, doc: str, drain: bool = False, role: bool = False) -> None:
    @cluster_option
    @input_option
    @instance_option
    @async_option
    @output_option
    @click.pass_context
    def verb(ctx, cluster_id, cli_input_json, instance_ids, output, **flags):
        req = _with_instances(_request(cli_input_json, {"ClusterId": cluster_id, **flags}), instance_ids)
        _require_cluster(req)
        _run(ctx, action, req, output, long=True)

    verb.__doc__ = doc
    if drain:
        verb = click.option("--drain-timeout", "DrainTimeout", type=int,
                            help="Seconds to wait for running jobs (default 3600).")(verb)
    if role:
        verb = click.option("--role", "Role", type=click.Choice(["Compute", "Login"]))(verb)
    cli.command(name)(verb)


_instances_verb("delete-nodes", "delete_nodes", "DeleteNodes: drain, wait for jobs, remove from Slurm and the engine.",
                drain=True)
_instances_verb("stop-nodes", "stop_nodes", "StopNodes: drain compute nodes, then stop them.", drain=True, role=True)
_instances_verb("start-nodes", "start_nodes", "StartNodes: start nodes and return them to service.", role=True)
_instances_verb("reset-nodes", "reset_nodes", "ResetNodes: re-create nodes from the image and configure them.",
                drain=True)


@cli.command("list-nodes")
@cluster_option
@input_option
@click.option("--role", "Role", type=click.Choice(["Scheduler", "SchedulerBackup", "Account", "Login", "Compute"]))
@click.option("--host-name", "HostName")
@click.option("--host-name-prefix", "HostNamePrefix")
@click.option("--host-name-suffix", "HostNameSuffix")
@click.option("--private-ip-address", "PrivateIpAddress")
@click.option("--only-detached", "OnlyDetached", is_flag=True, default=None)
@click.option("--sequence", "Sequence", type=click.Choice(["forward", "backward"]))
@click.option("--sort-by", "SortBy", type=click.Choice(["addedtime", "hostname"]))
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_nodes(ctx, cluster_id, cli_input_json, output, **flags):
    """ListNodes: nodes with roles, status, addresses and resources."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "list_nodes", req, output)


@cli.command("list-nodes-no-paging")
@cluster_option
@input_option
@click.option("--role", "Role", type=click.Choice(["Scheduler", "SchedulerBackup", "Account", "Login", "Compute"]))
@click.option("--host-name", "HostName")
@click.option("--only-detached", "OnlyDetached", is_flag=True, default=None)
@click.option("--sequence", "Sequence", type=click.Choice(["forward", "backward"]))
@output_option
@click.pass_context
def list_nodes_no_paging(ctx, cluster_id, cli_input_json, output, **flags):
    """ListNodesNoPaging: every node, without paging."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "list_nodes_no_paging", req, output)


@cli.command("list-nodes-by-queue")
@cluster_option
@input_option
@click.option("--queue-name", "QueueName")
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_nodes_by_queue(ctx, cluster_id, cli_input_json, output, **flags):
    """ListNodesByQueue: the nodes of one queue."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "list_nodes_by_queue", req, output)


@cli.command("recover-cluster")
@cluster_option
@input_option
@click.option("--image-id", "ImageId")
@click.option("--os-tag", "OsTag")
@click.option("--scheduler-type", "SchedulerType")
@click.option("--account-type", "AccountType")
@click.option("--client-version", "ClientVersion")
@async_option
@output_option
@click.pass_context
def recover_cluster(ctx, cluster_id, cli_input_json, output, **flags):
    """RecoverCluster: re-create missing nodes, restart daemons, re-apply the configuration."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    _require_cluster(req)
    _run(ctx, "recover_cluster", req, output, long=True)


@cli.command("wait")
@cluster_option
@click.option("--task-id", required=True, help="The TaskId an Async operation returned.")
@click.option("--timeout", type=float, default=3600, show_default=True)
@click.pass_context
def wait(ctx, cluster_id, task_id, timeout):
    """Follow an Async operation until it ends, with the progress display; exit 1 if it failed."""
    if not cluster_id:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))
    try:
        with Progress(f"task {task_id}", enabled=not ctx.obj.get("quiet")) as progress:
            final = _ops(ctx).wait_operation(cluster_id, task_id, progress, timeout=timeout)
    except EhpcError as exc:
        _fail(exc)
    click.echo(json.dumps({"TaskId": task_id, "Level": final["level"], "Message": final["message"],
                           "Time": final["create_time"]}, indent=2))
    sys.exit(1 if final["level"] == "error" else 0)

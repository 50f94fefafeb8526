"""Verbs of the shell-command, log and volume operations.

    invoke-shell-command     InvokeShellCommand (waits for the nodes with a progress display;
                             --no-wait returns the CommandId at once)
    list-commands            ListCommands
    list-invocation-status   ListInvocationStatus
    list-invocation-results  ListInvocationResults
    list-cluster-logs        ListClusterLogs (--include-debug adds the Ansible task lines)
    get-cluster-volumes      GetClusterVolumes
    describe-nfs-client-status  DescribeNFSClientStatus
    install-nfs-client       InstallNFSClient
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import click

from ..errors import EhpcError, InvalidParams
from .common import _fail, _ops, _request, _run, cluster_option, input_option, output_option
from .group import cli
from .output import Progress, render

instance_ids_option = click.option("--instance-id", "instance_ids", multiple=True,
                                   help="Instance.N.Id: a node's instance id (repeatable).")
page_options = (click.option("--page-number", "PageNumber", type=int),
                click.option("--page-size", "PageSize", type=int))


def _with(*options):
    def deco(fn):
        for opt in reversed(options):
            fn = opt(fn)
        return fn
    return deco


def _cluster_request(cli_input_json: Optional[str], flags: dict[str, Any],
                     instance_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    req = _request(cli_input_json, flags)
    if instance_ids:  # the flags replace whatever list the file gave, nested or flat
        for k in [k for k in req if k == "Instance" or k.startswith("Instance.")]:
            del req[k]
        req["Instance"] = [{"Id": i} for i in instance_ids]
    if "ClusterId" not in req:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))
    return req


@cli.command("invoke-shell-command")
@cluster_option
@input_option
@click.option("--command", "Command", help="The command (bash), 2-2048 characters.")
@instance_ids_option
@click.option("--working-dir", "WorkingDir", help="Working directory on the nodes (default /root).")
@click.option("--timeout", "Timeout", help="Seconds before the command is killed (default 60).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until every node has finished (progress on stderr), or return the CommandId at once.")
@output_option
@click.pass_context
def invoke_shell_command(ctx, cluster_id, cli_input_json, instance_ids, wait, output, **flags):
    """InvokeShellCommand: run a command as root on nodes (all nodes unless --instance-id), in parallel.

    Prints the API response (CommandId, InstanceIds). With --wait (the default) it returns once
    every node has finished, so list-invocation-results shows every output; with -o table it
    shows those results. --no-wait returns at once and the command goes on in the background.
    """
    req = _cluster_request(cli_input_json, {"ClusterId": cluster_id, **flags}, instance_ids)
    ops = _ops(ctx)
    try:
        with Progress("InvokeShellCommand", enabled=wait and not ctx.obj.get("quiet")) as progress:
            resp = ops.invoke_shell_command(req, progress=progress, wait=wait)
        if output == "table":
            click.echo(_invoke_table(ops, req["ClusterId"], resp, wait))
            return
    except EhpcError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    click.echo(render("invoke_shell_command", resp, output))


def _invoke_table(ops, cluster_id: str, resp: dict[str, Any], waited: bool) -> str:
    """After a wait: every node's result; else the nodes the command was started on."""
    title = f"InvokeShellCommand {resp['CommandId']}"
    if not waited:
        rows = [{"InstanceId": i, "CommandId": resp["CommandId"], "InvokeRecordStatus": "Running"}
                for i in resp["InstanceIds"]["InstanceId"]]
        return render(title, {"TotalCount": len(rows), "Nodes": {"Node": rows}}, "table")
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        got = ops.list_invocation_results(ClusterId=cluster_id, CommandId=resp["CommandId"], PageSize=50,
                                          PageNumber=page)
        rows += got["InvocationResults"]["InvocationResult"]
        if len(rows) >= got["TotalCount"] or not got["InvocationResults"]["InvocationResult"]:
            break
        page += 1
    view = [{"HostName": r["HostName"], "InstanceId": r["InstanceId"], "InvokeRecordStatus": r["InvokeRecordStatus"],
             "ExitCode": r["ExitCode"], "Message": r["Message"].strip() or r["ErrorInfo"]} for r in rows]
    return render(title, {"TotalCount": len(view), "InvocationResults": {"InvocationResult": view}}, "table")


@cli.command("list-commands")
@cluster_option
@input_option
@click.option("--command-id", "CommandId")
@_with(*page_options)
@output_option
@click.pass_context
def list_commands(ctx, cluster_id, cli_input_json, output, **flags):
    """ListCommands: the shell commands run on the cluster, newest first."""
    _run(ctx, "list_commands", _cluster_request(cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("list-invocation-status")
@cluster_option
@input_option
@click.option("--command-id", "CommandId")
@output_option
@click.pass_context
def list_invocation_status(ctx, cluster_id, cli_input_json, output, **flags):
    """ListInvocationStatus: a command's overall status and each node's."""
    _run(ctx, "list_invocation_status", _cluster_request(cli_input_json, {"ClusterId": cluster_id, **flags}),
         output)


@cli.command("list-invocation-results")
@cluster_option
@input_option
@click.option("--command-id", "CommandId")
@instance_ids_option
@click.option("--invoke-record-status", "InvokeRecordStatus",
              type=click.Choice(["Finished", "Running", "Failed", "Stopped"]))
@_with(*page_options)
@output_option
@click.pass_context
def list_invocation_results(ctx, cluster_id, cli_input_json, instance_ids, output, **flags):
    """ListInvocationResults: each node's status, exit code and output of a command."""
    _run(ctx, "list_invocation_results",
         _cluster_request(cli_input_json, {"ClusterId": cluster_id, **flags}, instance_ids), output)


@cli.command("list-cluster-logs")
@cluster_option
@input_option
@_with(*page_options)
@click.option("--include-debug/--no-include-debug", "IncludeDebug", default=None,
              help="Also list the debug lines (one per Ansible task).")
@output_option
@click.pass_context
def list_cluster_logs(ctx, cluster_id, cli_input_json, output, **flags):
    """ListClusterLogs: the cluster's operation log, newest first."""
    _run(ctx, "list_cluster_logs", _cluster_request(cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("get-cluster-volumes")
@cluster_option
@input_option
@output_option
@click.pass_context
def get_cluster_volumes(ctx, cluster_id, cli_input_json, output):
    """GetClusterVolumes: the shared volumes (/home and AdditionalVolumes) and where they come from."""
    _run(ctx, "get_cluster_volumes", _cluster_request(cli_input_json, {"ClusterId": cluster_id}), output)


def _instance_verb(name: str, action: str, doc: str) -> None:
    @input_option
    @click.option("--instance-id", "InstanceId", help="The node's instance id.")
    @output_option
    @click.pass_context
    def verb(ctx, cli_input_json, output, **flags):
        req = _request(cli_input_json, flags)
        if "InstanceId" not in req:
            _fail(InvalidParams("InstanceId", "this parameter is required (--instance-id)"))
        _run(ctx, action, req, output)

    verb.__doc__ = doc
    cli.command(name)(verb)


_instance_verb("describe-nfs-client-status", "describe_nfs_client_status",
               "DescribeNFSClientStatus: whether the node's shared volumes are mounted (checked over SSH).")
_instance_verb("install-nfs-client", "install_nfs_client",
               "InstallNFSClient: on Docker nothing is installed (the engine mounts the volumes); "
               "checks the mounts as a recorded command.")

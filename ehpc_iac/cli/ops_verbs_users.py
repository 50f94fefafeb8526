"""`ehpc-iac` verbs of the user and queue operations: delete-users, modify-user-passwords,
modify-user-groups, list-queues, add-queue, delete-queue, update-queue-config, get-scheduler-info,
set-scheduler-info.

Each takes the whole request as ``--cli-input-json FILE`` (API names, nested or flat such
as ``User.1.Name``); flags set single parameters over it. Passwords are read only from
that file or from standard input (``--password-stdin``), never from a flag.
"""
from __future__ import annotations

import sys

import click

from ..errors import InvalidParams
from .common import _fail, _request, _run, cluster_option, input_option, output_option
from .group import cli

async_option = click.option("--async", "Async", is_flag=True, default=None,
                            help="Return at once with the TaskId; the operation runs in the background.")
queue_option = click.option("--queue-name", "QueueName", help="QueueName (the Slurm partition).")


@cli.command("delete-users")
@cluster_option
@input_option
@click.option("--name", "names", multiple=True, help="A user to delete (repeatable).")
@async_option
@output_option
@click.pass_context
def delete_users(ctx, cluster_id, cli_input_json, names, output, **flags):
    """DeleteUsers: remove NIS accounts (their home directories stay on /home)."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    if names:
        req["User"] = [{"Name": n} for n in names]
    _run(ctx, "delete_users", req, output, long=True)


@cli.command("modify-user-passwords")
@cluster_option
@input_option
@click.option("--name", help="One user's name (with --password-stdin); User.N lists go in --cli-input-json.")
@click.option("--password-stdin", is_flag=True, help="Read that user's new password from standard input.")
@async_option
@output_option
@click.pass_context
def modify_user_passwords(ctx, cluster_id, cli_input_json, name, password_stdin, output, **flags):
    """ModifyUserPasswords: set new passwords (hashed here, never sent or stored in clear)."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    if name:
        if not password_stdin:
            _fail(InvalidParams("User.1.Password", "give the password on standard input (--password-stdin)"))
        req["User"] = [{"Name": name, "Password": sys.stdin.readline().rstrip("\n")}]
    _run(ctx, "modify_user_passwords", req, output, long=True)


@cli.command("modify-user-groups")
@cluster_option
@input_option
@click.option("--name", "names", multiple=True, help="A user whose group changes (repeatable).")
@click.option("--group", type=click.Choice(["users", "wheel"]), help="The new group of every --name.")
@async_option
@output_option
@click.pass_context
def modify_user_groups(ctx, cluster_id, cli_input_json, names, group, output, **flags):
    """ModifyUserGroups: move users between `users` and `wheel` (sudo with their own password)."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    if names:
        if not group:
            _fail(InvalidParams("User.1.Group", "give the new group (--group users|wheel)"))
        req["User"] = [{"Name": n, "Group": group} for n in names]
    _run(ctx, "modify_user_groups", req, output, long=True)


@cli.command("list-queues")
@cluster_option
@input_option
@output_option
@click.pass_context
def list_queues(ctx, cluster_id, cli_input_json, output):
    """ListQueues: the cluster's queues (Slurm partitions) with their default instance type."""
    _run(ctx, "list_queues", _request(cli_input_json, {"ClusterId": cluster_id}), output)


@cli.command("add-queue")
@cluster_option
@input_option
@queue_option
@output_option
@click.pass_context
def add_queue(ctx, cluster_id, cli_input_json, output, **flags):
    """AddQueue: a new, empty Slurm partition (running jobs are not disturbed)."""
    _run(ctx, "add_queue", _request(cli_input_json, {"ClusterId": cluster_id, **flags}), output, long=True)


@cli.command("delete-queue")
@cluster_option
@input_option
@queue_option
@output_option
@click.pass_context
def delete_queue(ctx, cluster_id, cli_input_json, output, **flags):
    """DeleteQueue: remove a queue without compute nodes (never the default queue)."""
    _run(ctx, "delete_queue", _request(cli_input_json, {"ClusterId": cluster_id, **flags}), output, long=True)


@cli.command("update-queue-config")
@cluster_option
@input_option
@queue_option
@click.option("--compute-instance-type", "ComputeInstanceType",
              help="Default instance type of nodes added to the queue later.")
@click.option("--resource-group-id", "ResourceGroupId", help="Alibaba Cloud only: accepted and ignored.")
@output_option
@click.pass_context
def update_queue_config(ctx, cluster_id, cli_input_json, output, **flags):
    """UpdateQueueConfig: change a queue's default instance type."""
    _run(ctx, "update_queue_config", _request(cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("get-scheduler-info")
@cluster_option
@input_option
@output_option
@click.pass_context
def get_scheduler_info(ctx, cluster_id, cli_input_json, output):
    """GetSchedulerInfo: the scheduler's settings (SchedName and its Configuration as JSON)."""
    _run(ctx, "get_scheduler_info", _request(cli_input_json, {"ClusterId": cluster_id}), output)


@cli.command("set-scheduler-info")
@cluster_option
@input_option
@click.option("--sched-interval", type=int, help="SlurmInfo.1.SchedInterval: seconds between scheduling passes.")
@click.option("--backfill-interval", type=int, help="SlurmInfo.1.BackfillInterval: seconds between backfill passes.")
@output_option
@click.pass_context
def set_scheduler_info(ctx, cluster_id, cli_input_json, sched_interval, backfill_interval, output):
    """SetSchedulerInfo: change the scheduler's settings (SlurmInfo on Slurm clusters, PbsInfo on PBS
    clusters, the latter with --cli-input-json); running jobs are not disturbed."""
    slurm = {k: v for k, v in (("SchedInterval", sched_interval), ("BackfillInterval", backfill_interval))
             if v is not None}
    req = _request(cli_input_json, {"ClusterId": cluster_id})
    if slurm:
        req["SlurmInfo"] = [{**(req.get("SlurmInfo") or [{}])[0], **slurm}]
    _run(ctx, "set_scheduler_info", req, output, long=True)

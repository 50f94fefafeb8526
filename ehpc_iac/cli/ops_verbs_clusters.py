"""`ehpc-iac` verbs of the cluster operations: create-cluster, describe-cluster, start-cluster,
stop-cluster, delete-cluster, modify-cluster-attributes, list-clusters, list-clusters-meta, and the
cluster's first user verbs, add-users and list-users."""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

from ..errors import InvalidParams
from ..spec import read_request_file
from .common import _fail, _request, _run, cluster_option, input_option, output_option
from .group import cli


@cli.command("create-cluster")
@click.option("--file", "-f", "spec_file", type=click.Path(dir_okay=False), help="Cluster YAML (API names).")
@input_option
@click.option("--name", "Name")
@click.option("--description", "Description")
@click.option("--deploy-mode", "DeployMode", help="Standard | Simple | Tiny | OneBox")
@click.option("--ha-enable/--no-ha-enable", "HaEnable", default=None)
@click.option("--scheduler-type", "SchedulerType")
@click.option("--account-type", "AccountType")
@click.option("--os-tag", "OsTag")
@click.option("--image-id", "ImageId")
@click.option("--manager-instance-type", "EcsOrder__Manager__InstanceType")
@click.option("--login-count", "EcsOrder__Login__Count", type=int)
@click.option("--login-instance-type", "EcsOrder__Login__InstanceType")
@click.option("--compute-count", "EcsOrder__Compute__Count", type=int)
@click.option("--compute-instance-type", "EcsOrder__Compute__InstanceType")
@click.option("--job-queue", "JobQueue")
@click.option("--key-pair-name", "KeyPairName")
@click.option("--client-token", "ClientToken")
@click.option("--application", "apps", multiple=True, help="Application tag (repeatable).")
@click.option("--post-install-script", "scripts", multiple=True, help="Script path or URL (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the root password from standard input.")
@click.option("--ldap-bind-password-file", "ldap_bind_password_file", type=click.File("r"),
              help="AccountType ldap joining a directory (OpenldapPar): read OpenldapPar.BindDn's password "
                   "from this file ('-' for standard input).")
@click.option("--engine", "Engine", type=click.Choice(["docker", "pulumi", "hosts"]), help="Engine that makes the machines.")
@click.option("--dryrun", "DryRun", is_flag=True, default=None,
              help="Validate and show the nodes that would be made; create nothing.")
@click.option("--async", "Async", is_flag=True, default=None,
              help="Return at once with the cluster and task ids; follow with `ehpc-iac wait`.")
@output_option
@click.pass_context
def create_cluster(ctx, spec_file, cli_input_json, apps, scripts, password_stdin, ldap_bind_password_file, output,
                   **flags):
    """CreateCluster: make the machines, configure Slurm, NIS and /home; wait until running."""
    req = read_request_file(spec_file) if spec_file else {}
    req.update(_request(cli_input_json, {}))
    # flags may be dotted names: flatten what the file gave so both forms merge
    for k, v in flags.items():
        if v is not None:
            _set_dotted(req, k, v)
    if apps:
        req["Application"] = [{"Tag": a} for a in apps]
    if scripts:
        req["PostInstallScript"] = [{"Url": s, "Args": ""} for s in scripts]
    if password_stdin:
        req["Password"] = sys.stdin.readline().rstrip("\n")
    if ldap_bind_password_file is not None:
        _set_dotted(req, "OpenldapPar.BindPassword", ldap_bind_password_file.readline().rstrip("\n"))
    _run(ctx, "create_cluster", req, output, long=True)


def _set_dotted(req: dict[str, Any], key: str, value: Any) -> None:
    parts = key.replace("__", ".").split(".")
    node = req
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            node[p] = nxt
        node = nxt
    node[parts[-1]] = value


def _cluster_verb(name: str, action: str, doc: str, long: bool = False,
                  extra: tuple[Callable, ...] = ()) -> None:
    @cluster_option
    @input_option
    @output_option
    @click.pass_context
    def verb(ctx, cluster_id, cli_input_json, output, **more):
        req = _request(cli_input_json, {"ClusterId": cluster_id, **more})
        if "ClusterId" not in req:
            _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))
        _run(ctx, action, req, output, long=long)

    verb.__doc__ = doc
    for opt in extra:
        verb = opt(verb)
    cli.command(name)(verb)


_cluster_verb("describe-cluster", "describe_cluster", "DescribeCluster: the cluster's settings and status.")
async_flag = click.option("--async", "Async", is_flag=True, default=None,
                          help="Return at once with the task id; follow it with `ehpc-iac wait`.")
_cluster_verb("start-cluster", "start_cluster", "StartCluster: start a stopped cluster and wait for it.",
              long=True, extra=(async_flag,))
_cluster_verb("stop-cluster", "stop_cluster", "StopCluster: stop every node, keeping data.", long=True,
              extra=(async_flag,))
_cluster_verb("delete-cluster", "delete_cluster",
              "DeleteCluster: remove every node, network and volume of the cluster.", long=True,
              extra=(click.option("--release-instance", "ReleaseInstance"), async_flag))
_cluster_verb("modify-cluster-attributes", "modify_cluster_attributes",
              "ModifyClusterAttributes: change the name or description.",
              extra=(click.option("--name", "Name"), click.option("--description", "Description"),
                     click.option("--image-id", "ImageId")))


def _list_verb(name: str, action: str, doc: str) -> None:
    @input_option
    @click.option("--page-number", "PageNumber", type=int)
    @click.option("--page-size", "PageSize", type=int)
    @output_option
    @click.pass_context
    def verb(ctx, cli_input_json, output, **flags):
        _run(ctx, action, _request(cli_input_json, flags), output)

    verb.__doc__ = doc
    cli.command(name)(verb)


_list_verb("list-clusters", "list_clusters", "ListClusters: clusters with node counts and resources.")
_list_verb("list-clusters-meta", "list_clusters_meta", "ListClustersMeta: clusters' basic settings.")


@cli.command("add-users")
@cluster_option
@input_option
@click.option("--name", help="One user's name (with --password-stdin); User.N lists go in --cli-input-json.")
@click.option("--group", type=click.Choice(["users", "wheel"]), default="users", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read that user's password from standard input.")
@output_option
@click.pass_context
def add_users(ctx, cluster_id, cli_input_json, name, group, password_stdin, output):
    """AddUsers: NIS accounts with home directories on the shared /home."""
    req = _request(cli_input_json, {"ClusterId": cluster_id})
    if name:
        password = sys.stdin.readline().rstrip("\n") if password_stdin else None
        if password is None:
            _fail(InvalidParams("User.1.Password", "give the password on standard input (--password-stdin)"))
        req["User"] = [{"Name": name, "Group": group, "Password": password}]
    _run(ctx, "add_users", req, output, long=True)


@cli.command("list-users")
@cluster_option
@input_option
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_users(ctx, cluster_id, cli_input_json, output, **flags):
    """ListUsers: the cluster's NIS accounts."""
    _run(ctx, "list_users", _request(cli_input_json, {"ClusterId": cluster_id, **flags}), output)

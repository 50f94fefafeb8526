"""`ehpc-iac serve` (the HTTP endpoint) and `ehpc-iac access-key create|list|disable|enable|delete`."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from ..errors import EhpcError
from .common import _fail, output_option
from .group import cli
from .output import render


def _home(ctx: click.Context) -> Path:
    from ..ops import default_home
    home = ctx.obj.get("home")
    return Path(home) if home else default_home()


def _keys(ctx: click.Context):
    from ..api.keys import AccessKeyStore
    return AccessKeyStore(_home(ctx))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; use TLS for any other).")
@click.option("--port", default=8100, show_default=True, type=click.IntRange(0, 65535))
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate (enables HTTPS).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key of --tls-cert.")
@click.option("--tenants", "tenants_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML map of the REST job API: X-Tenant-Id / X-Pool-Label -> cluster, queue, user.")
@click.option("--threads", default=64, show_default=True, type=click.IntRange(1, 1024),
              help="Worker threads for operations (requests never run them on the event loop).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--autoscale/--no-autoscale", default=True, show_default=True,
              help="Run the auto scaler (SetAutoScaleConfig) in the server, as `ehpc-iac autoscale` would.")
@click.pass_context
def serve(ctx, host, port, tls_cert, tls_key, tenants_file, threads, log_level, autoscale):
    """Serve the E-HPC RPC API (2018-04-12 and 2024-07-30, for Alibaba Cloud's SDKs) and the REST
    job API (/api/jobs, OpenAPI at /api/openapi.json). Requests are signed with access keys
    from `ehpc-iac access-key create`."""
    from ..api import ApiContext
    from ..api.server import serve as run_server
    from ..ops.rest_jobs import TenantMap
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        tenants = TenantMap.load(tenants_file) if tenants_file else TenantMap.empty()
        api = ApiContext.for_home(_home(ctx), tenants=tenants, threads=threads)
        if not api.keys.list():
            click.echo("no access key yet: every request will be refused; run `ehpc-iac access-key create`",
                       err=True)
        scaler = None
        if autoscale:
            from ..ops.scaler import Scaler
            scaler = Scaler(api.ehpc).start()   # stopped with the server
        try:
            run_server(api, host, port, certfile=tls_cert, keyfile=tls_key, log_level=log_level)
        finally:
            if scaler:
                scaler.stop()
    except EhpcError as exc:
        _fail(exc)


@cli.group("access-key")
def access_key() -> None:
    """Access keys of `ehpc-iac serve` (secrets encrypted at rest; shown once, at creation)."""


@access_key.command("create")
@click.option("--description", default="", help="What the key is for.")
@output_option
@click.pass_context
def access_key_create(ctx, description, output):
    """Create an enabled key and print its id and secret (the only time the secret is shown)."""
    click.echo(render("access-key create", _keys(ctx).create(description), output))


@access_key.command("list")
@output_option
@click.pass_context
def access_key_list(ctx, output):
    """Keys with their status and last use (never the secrets)."""
    keys = _keys(ctx).list()
    click.echo(render("access-key list", {"TotalCount": len(keys), "AccessKeys": {"AccessKey": keys}}, output))


def _change(ctx: click.Context, key_id: str, action: str, verb: str) -> None:
    store = _keys(ctx)
    try:
        if action == "delete":
            store.delete(key_id)
        else:
            store.set_enabled(key_id, action == "enable")
    except EhpcError as exc:
        _fail(exc)
    click.echo(json.dumps({"AccessKeyId": key_id, "Result": verb}))


@access_key.command("disable")
@click.argument("key_id")
@click.pass_context
def access_key_disable(ctx, key_id):
    """Refuse requests signed with the key (it can be enabled again)."""
    _change(ctx, key_id, "disable", "disabled")


@access_key.command("enable")
@click.argument("key_id")
@click.pass_context
def access_key_enable(ctx, key_id):
    """Accept requests signed with a disabled key again."""
    _change(ctx, key_id, "enable", "enabled")


@access_key.command("delete")
@click.argument("key_id")
@click.pass_context
def access_key_delete(ctx, key_id):
    """Remove the key for good."""
    _change(ctx, key_id, "delete", "deleted")

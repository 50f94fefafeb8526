"""What every verb module shares: the operations facade of the context, the request built from
``--cli-input-json`` and flags, running an action and printing its response or error, and the
common options. Translation only: the operations decide."""
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Optional

import click

from ..errors import EhpcError
from ..spec import read_request_file
from .output import Progress, render


def _ops(ctx: click.Context):
    from ..ops import Ehpc
    obj = ctx.ensure_object(dict)
    if "ops" not in obj:
        # Async operations go on in a detached child after the command returns.
        obj["ops"] = Ehpc(obj.get("home"), async_mode="fork")
    return obj["ops"]


def _request(cli_input_json: Optional[str], flags: dict[str, Any]) -> dict[str, Any]:
    req: dict[str, Any] = read_request_file(cli_input_json) if cli_input_json else {}
    for k, v in flags.items():
        if v is None or v == ():
            continue
        req[k] = list(v) if isinstance(v, tuple) else v
    return req


def _run(ctx: click.Context, action: str, request: dict[str, Any], output: str, long: bool = False) -> None:
    quiet = ctx.obj.get("quiet")
    try:
        fn: Callable = getattr(_ops(ctx), action)
        if long:
            with Progress(action, enabled=not quiet) as progress:
                resp = fn(request, progress=progress)
        else:
            resp = fn(request)
    except EhpcError as exc:
        body = {"Code": exc.code, "Message": exc.message, "HttpStatus": exc.http_status}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    click.echo(render(action, resp, output))


def _fail(exc: EhpcError) -> None:
    click.echo(json.dumps({"Code": exc.code, "Message": exc.message, "HttpStatus": exc.http_status}, indent=2),
               err=True)
    sys.exit(exc.exit_code)


output_option = click.option("--output", "-o", type=click.Choice(["json", "table"]), default="json",
                             show_default=True, help="API-shaped JSON, or a table for people.")
input_option = click.option("--cli-input-json", type=click.Path(dir_okay=False),
                            help="The whole request as a JSON (or YAML) file with the API's parameter names.")
cluster_option = click.option("--cluster-id", help="ClusterId")

"""Auto scaling verbs: set-auto-scale-config, get-auto-scale-config, describe-auto-scale-config, and
`ehpc-iac autoscale`, the scaler in the foreground (for a systemd unit or a container, when
`ehpc-iac serve`, which runs it too, is not used)."""
from __future__ import annotations

import logging
import signal

import click

from ..errors import EhpcError, InvalidParams
from .common import _fail, _ops, _request, _run, cluster_option, input_option, output_option
from .group import cli


def _queue_entries(values: tuple[str, ...]) -> list[dict[str, str]]:
    """--queue 'QueueName=q,EnableAutoGrow=true,MaxNodesInQueue=3' (repeatable) -> Queues.N.*"""
    out = []
    for i, v in enumerate(values, start=1):
        entry = {}
        for part in filter(None, (p.strip() for p in v.split(","))):
            key, sep, val = part.partition("=")
            if not sep or not key:
                _fail(InvalidParams(f"Queues.{i}", f"expected Key=Value pairs separated by commas, got {part!r}"))
            entry[key.strip()] = val.strip()
        out.append(entry)
    return out


def _flag(name: str, help: str):
    return click.option(f"--{name}/--no-{name}", name.title().replace("-", ""), default=None, help=help)


@cli.command("set-auto-scale-config")
@cluster_option
@input_option
@_flag("enable-auto-grow", "Add nodes when jobs wait (EnableAutoGrow).")
@_flag("enable-auto-shrink", "Remove nodes that stay idle (EnableAutoShrink).")
@click.option("--grow-interval-in-minutes", "GrowIntervalInMinutes", type=int, help="2-10 (default 2).")
@click.option("--shrink-interval-in-minutes", "ShrinkIntervalInMinutes", type=int, help="2-10 (default 2).")
@click.option("--shrink-idle-times", "ShrinkIdleTimes", type=int, help="2-5 idle rounds in a row (default 3).")
@click.option("--grow-timeout-in-minutes", "GrowTimeoutInMinutes", type=int, help="10-60 (default 20).")
@click.option("--extra-nodes-grow-ratio", "ExtraNodesGrowRatio", type=int, help="0-100 percent (default 0).")
@click.option("--grow-ratio", "GrowRatio", type=int, help="1-100 percent of the need per round (default 100).")
@click.option("--max-nodes-in-cluster", "MaxNodesInCluster", type=int, help="0-500 (default 100).")
@click.option("--exclude-nodes", "ExcludeNodes", help="Instance ids or host names never removed, comma separated.")
@click.option("--grow-interval-in-seconds", "GrowIntervalInSeconds", type=int,
              help="Not E-HPC: 1-600 s, instead of the minutes.")
@click.option("--shrink-interval-in-seconds", "ShrinkIntervalInSeconds", type=int,
              help="Not E-HPC: 1-600 s, instead of the minutes.")
@click.option("--grow-timeout-in-seconds", "GrowTimeoutInSeconds", type=int,
              help="Not E-HPC: 5-3600 s, instead of the minutes.")
@_flag("shrink-manual-nodes", "Not E-HPC: also remove idle nodes added by hand (spared by default).")
@click.option("--queue", "queues", multiple=True,
              help="Queues.N: 'QueueName=q,EnableAutoGrow=true,MinNodesInQueue=0,MaxNodesInQueue=4,...' "
                   "(repeatable; replaces the stored queue entries).")
@output_option
@click.pass_context
def set_auto_scale_config(ctx, cluster_id, cli_input_json, queues, output, **flags):
    """SetAutoScaleConfig: auto scaling settings (fields left out keep their stored values)."""
    req = _request(cli_input_json, {"ClusterId": cluster_id, **flags})
    if queues:
        req["Queues"] = _queue_entries(queues)
    _run(ctx, "set_auto_scale_config", req, output)


def _read_verb(name: str, action: str, doc: str) -> None:
    @cluster_option
    @input_option
    @output_option
    @click.pass_context
    def verb(ctx, cluster_id, cli_input_json, output):
        _run(ctx, action, _request(cli_input_json, {"ClusterId": cluster_id}), output)

    verb.__doc__ = doc
    cli.command(name)(verb)


_read_verb("get-auto-scale-config", "get_auto_scale_config", "GetAutoScaleConfig: the cluster's auto scaling settings.")
_read_verb("describe-auto-scale-config", "describe_auto_scale_config",
           "DescribeAutoScaleConfig: the same settings (the reference's later name).")


@cli.command("autoscale")
@click.option("--tick", default=1.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds between checks of which cluster's round is due.")
@click.option("--lease-ttl", default=30.0, show_default=True, type=click.FloatRange(3, 3600),
              help="Seconds another scaler waits after this one stops renewing its lease.")
@click.option("--once", is_flag=True, help="One round of every enabled cluster, then exit (1 if another scaler "
                                          "holds the lease).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.pass_context
def autoscale(ctx, tick, lease_ttl, once, log_level):
    """Run the auto scaler in the foreground until SIGTERM or Ctrl-C (one per state directory: a
    second one waits for the first's lease). `ehpc-iac serve` runs the same scaler itself."""
    from ..ops.scaler import Scaler
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ops = _ops(ctx)
    ops.async_mode = "thread"
    scaler = Scaler(ops, tick_s=tick, lease_ttl=lease_ttl)
    if once:
        try:
            ok = scaler.run_once()
        except EhpcError as exc:
            _fail(exc)
        if not ok:
            click.echo(f"another auto scaler holds the lease of {ops.home}", err=True)
            ctx.exit(1)
        return
    signal.signal(signal.SIGTERM, lambda *_: scaler.stop(timeout=0))
    try:
        scaler.run()
    except KeyboardInterrupt:
        scaler.stop(timeout=0)

"""The `ehpc-iac` click group: global options only; verb modules add their commands to it."""
from __future__ import annotations

from typing import Optional

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", envvar="EHPC_IAC_HOME", type=click.Path(file_okay=False),
              help="State directory (default ~/.ehpc-iac; env EHPC_IAC_HOME).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.version_option(package_name="ehpc-iac")
@click.pass_context
def cli(ctx: click.Context, home: Optional[str], quiet: bool) -> None:
    """E-HPC clusters on infrastructure you own (Docker by default)."""
    ctx.ensure_object(dict)
    ctx.obj.update(home=home, quiet=quiet)

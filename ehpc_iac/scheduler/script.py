"""The part of a job script every back end writes the same way."""
from __future__ import annotations

import shlex

from .base import JobRequest


def script_body(req: JobRequest) -> list[str]:
    """Variables exported with quoted values, the prologue, the user's command, PostCmdLine, and an
    exit with the command's status."""
    lines = [f"export {k}={shlex.quote(v)}" for k, v in req.env.items()]
    lines += req.prologue
    lines.append(req.command)
    lines.append("__ehpc_rc=$?")
    if req.post_command:
        lines.append(req.post_command)
    lines.append("exit $__ehpc_rc")
    return lines

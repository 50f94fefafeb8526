"""Scheduler commands on a cluster node over SSH (argv lists: no shell on the control plane)."""
from __future__ import annotations

from typing import Optional

from ..errors import AgentResponseTimeout, SchedulerError
from ..ssh import SSH_ERRORS, CommandResult, SSHNode


def reach(ssh: SSHNode, argv: list[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
    """``argv`` on the node; AgentResponseTimeout (the reference's code) when the node cannot be
    reached over SSH or does not answer in time."""
    try:
        return ssh.run(argv, timeout=timeout, stdin=stdin)
    except SSH_ERRORS as exc:
        raise AgentResponseTimeout(f"the scheduler node {ssh.address} cannot be reached over SSH: "
                                   f"{type(exc).__name__}: {exc}") from None


def run_checked(ssh: SSHNode, argv: list[str], timeout: float, stdin: Optional[str] = None,
                label: Optional[str] = None) -> str:
    """stdout of ``argv`` on the node; SchedulerError when it fails or cannot be reached."""
    r = reach(ssh, argv, timeout, stdin)
    if r.exit_code != 0:
        raise SchedulerError(f"{label or argv[0]} failed on the scheduler (exit {r.exit_code}): "
                             f"{r.stderr.strip()[:300]}")
    return r.stdout


def read_as(ssh: SSHNode, user: str, path: str, offset: int, size: int, what: str) -> str:
    """``size`` bytes of ``path`` from ``offset``, read as ``user`` (so a user reads only their own files)."""
    r = reach(ssh, ["runuser", "-u", user, "--", "tail", "-c", f"+{offset + 1}", "--", path], timeout=30)
    if r.exit_code != 0:
        raise SchedulerError(f"cannot read the output of {what}: {r.stderr.strip()[:300]}")
    return r.stdout[:size]


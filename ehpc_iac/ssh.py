"""A small paramiko wrapper: run argv lists on a node with the cluster key, no local shell involved."""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import paramiko


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


class SSHNode:
    def __init__(self, address: str, key_file: Path, user: str = "root", port: int = 22, timeout: float = 10):
        self.address, self.key_file, self.user, self.port, self.timeout = address, key_file, user, port, timeout
        self._client: paramiko.SSHClient | None = None

    def _connect(self) -> paramiko.SSHClient:
        if self._client is None:
            c = paramiko.SSHClient()
            # Host keys are generated per node at first boot on a private network; the
            # cluster key authenticates us, there is nothing to pin against yet.
            c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            c.connect(self.address, port=self.port, username=self.user,
                      pkey=paramiko.Ed25519Key.from_private_key_file(str(self.key_file)),
                      timeout=self.timeout, allow_agent=False, look_for_keys=False)
            self._client = c
        return self._client

    def run(self, argv: Sequence[str], timeout: float = 60, stdin: str | None = None) -> CommandResult:
        """Run argv on the node; arguments are quoted, so nothing is interpreted by a shell."""
        cmd = " ".join(shlex.quote(a) for a in argv)
        _in, out, err = self._connect().exec_command(cmd, timeout=timeout)
        if stdin is not None:
            _in.write(stdin)
            _in.channel.shutdown_write()
        o, e = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        return CommandResult(out.channel.recv_exit_status(), o, e)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> "SSHNode":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

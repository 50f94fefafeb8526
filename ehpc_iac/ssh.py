"""A small paramiko wrapper: run argv lists on a node with the cluster key, no local shell involved."""
from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import paramiko


# What a failed SSH exchange raises: callers translate these into their own errors.
SSH_ERRORS = (paramiko.SSHException, OSError, EOFError)


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


# sshd allows 10 sessions per connection (MaxSessions); beyond that it refuses the channel.
# sshd counts a session until it has cleaned it up, a little after our close: keep a margin.
MAX_SESSIONS = 6
SESSION_RETRIES = 8


class _SessionRefused(Exception):
    """sshd refused a new session on a connection that is still up."""


class SSHNode:
    """One node over SSH. ``pooled`` nodes belong to a connection pool: ``close`` leaves the
    connection open for the next caller (``shutdown`` really closes it). At most
    ``MAX_SESSIONS`` commands run at once on the connection; more callers wait their turn."""

    def __init__(self, address: str, key_file: Path, user: str = "root", port: int = 22, timeout: float = 10,
                 pooled: bool = False):
        self.address, self.key_file, self.user, self.port, self.timeout = address, key_file, user, port, timeout
        self.pooled = pooled
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._sessions = threading.BoundedSemaphore(MAX_SESSIONS)

    def _connect(self) -> paramiko.SSHClient:
        with self._lock:
            t = self._client.get_transport() if self._client is not None else None
            if self._client is not None and (t is None or not t.is_active()):
                self._client.close()  # the node restarted or the connection dropped: reconnect
                self._client = None
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self) -> paramiko.SSHClient:
        c = paramiko.SSHClient()
        # Host keys are generated per node at first boot on a private network; the
        # cluster key authenticates us, there is nothing to pin against yet.
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c.connect(self.address, port=self.port, username=self.user,
                  pkey=paramiko.Ed25519Key.from_private_key_file(str(self.key_file)),
                  timeout=self.timeout, allow_agent=False, look_for_keys=False)
        return c

    def _exec(self, cmd: str, timeout: float):
        # sshd may refuse one more session (its count lags behind channels we just closed): the
        # connection itself is fine, so try again shortly, a few times
        for attempt in range(1, SESSION_RETRIES):
            try:
                return self._exec_once(cmd, timeout)
            except _SessionRefused:
                time.sleep(0.05 * attempt)
        try:
            return self._exec_once(cmd, timeout)
        except _SessionRefused as exc:
            raise paramiko.SSHException(f"{self.address} refused a new SSH session: {exc}") from None

    def _exec_once(self, cmd: str, timeout: float):
        client = self._connect()
        try:
            return client.exec_command(cmd, timeout=timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            t = client.get_transport()
            refused = isinstance(exc, paramiko.ChannelException) or "Unable to open channel" in str(exc)
            if refused and t is not None and t.is_active():
                # a refused channel; paramiko hands its exception to one waiting thread only, the
                # others see "Unable to open channel" on a transport that is still active
                raise _SessionRefused(str(exc)) from None
            if not self.pooled:
                raise
            self.shutdown()  # a pooled connection went stale (node restarted): one fresh try
            return self._connect().exec_command(cmd, timeout=timeout)

    def run(self, argv: Sequence[str], timeout: float = 60, stdin: str | None = None) -> CommandResult:
        """Run argv on the node; arguments are quoted, so nothing is interpreted by a shell."""
        cmd = " ".join(shlex.quote(a) for a in argv)
        with self._sessions:
            _in, out, err = self._exec(cmd, timeout)
            if stdin is not None:
                _in.write(stdin)
                _in.channel.shutdown_write()
            try:
                o, e = out.read().decode(errors="replace"), err.read().decode(errors="replace")
                return CommandResult(out.channel.recv_exit_status(), o, e)
            finally:
                out.channel.close()   # free the session on the server before the next caller opens one

    def close(self) -> None:
        if not self.pooled:
            self.shutdown()

    def shutdown(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> "SSHNode":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SSHPool:
    """Open connections to nodes, reused across operations (a handshake costs ~100 ms)."""

    def __init__(self):
        self._nodes: dict[tuple, SSHNode] = {}
        self._lock = threading.Lock()

    def node(self, address: str, key_file: Path, port: int = 22, user: str = "root", timeout: float = 10) -> SSHNode:
        key = (address, port, user, str(key_file))
        with self._lock:
            n = self._nodes.get(key)
            if n is None:
                n = self._nodes[key] = SSHNode(address, key_file, user=user, port=port, timeout=timeout, pooled=True)
            return n

    def forget(self) -> None:
        """Drop every connection without using it (a forked child must not share its parent's)."""
        with self._lock:
            self._nodes = {}

    def close(self) -> None:
        with self._lock:
            nodes, self._nodes = list(self._nodes.values()), {}
        for n in nodes:
            n.shutdown()

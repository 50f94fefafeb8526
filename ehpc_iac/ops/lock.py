"""One write operation per cluster at a time, across processes (CLI, server, Python).

A non-blocking ``flock`` on ``locks/<cluster>.lock``; the holder writes its
operation name into the file so the ConflictOpt message can say what runs.
The kernel releases the lock when the holder dies, so a killed process never
leaves a cluster locked. A lock can be handed to a background thread or a
forked child (``detach`` closes this process's descriptor without unlocking).

The auto scaler's operations carry ``SCALER_MARK`` in their name: a person's operation that
finds the lock held by the scaler waits for it (up to ``SCALER_WAIT_S``) instead of getting
ConflictOpt; the scaler itself never waits (it retries on its next round).
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import ConflictOpt

SCALER_MARK = "[autoscale]"
SCALER_WAIT_S = 900.0
# A held lock without a name is a holder between flock and writing its name, or between clearing
# its name and unlocking: both last microseconds, so look again before calling it a conflict.
UNNAMED_WAIT_S = 1.0


class ClusterLock:
    def __init__(self, lock_dir: Path, cluster_id: str, operation: str):
        lock_dir.mkdir(parents=True, exist_ok=True)
        self.path = lock_dir / f"{cluster_id}.lock"
        self.cluster_id, self.operation = cluster_id, operation
        self.fd: int | None = None

    def acquire(self) -> "ClusterLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + SCALER_WAIT_S
        unnamed = time.monotonic() + UNNAMED_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or None
                if yields_to(holder, self.operation) and time.monotonic() < deadline:
                    time.sleep(0.2)   # the auto scaler's step ends soon: wait rather than fail
                    continue
                if holder is None and time.monotonic() < unnamed:
                    time.sleep(0.05)  # the holder is naming itself, or releasing (name cleared first)
                    continue
                os.close(fd)
                raise ConflictOpt(self.cluster_id, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.operation} (pid {os.getpid()})".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def detach(self) -> None:
        """Forget the lock here while another holder of the same descriptor (a forked child) keeps it."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def yields_to(holder: str | None, operation: str) -> bool:
    """Whether ``operation`` waits for the lock's ``holder``: a person's operation waits for the scaler."""
    return bool(holder) and SCALER_MARK in holder and SCALER_MARK not in operation


@contextmanager
def cluster_lock(lock_dir: Path, cluster_id: str, operation: str) -> Iterator[None]:
    lock = ClusterLock(lock_dir, cluster_id, operation).acquire()
    try:
        yield
    finally:
        lock.release()


def lock_holder(lock_dir: Path, cluster_id: str) -> str | None:
    """The operation holding the cluster's write lock, or None when it is free."""
    path = lock_dir / f"{cluster_id}.lock"
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    unnamed = time.monotonic() + UNNAMED_WAIT_S
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return None
            except BlockingIOError:
                name = os.pread(fd, 200, 0).decode(errors="replace").strip()
                if name or time.monotonic() >= unnamed:
                    return name or "another operation"
                time.sleep(0.05)   # naming itself or releasing: look again
    finally:
        os.close(fd)


def is_locked(lock_dir: Path, cluster_id: str) -> bool:
    return lock_holder(lock_dir, cluster_id) is not None

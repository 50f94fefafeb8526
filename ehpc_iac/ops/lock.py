"""One write operation per cluster at a time, across processes (CLI, server, Python).

A non-blocking ``flock`` on ``locks/<cluster>.lock``; the holder writes its
operation name into the file so the ConflictOpt message can say what runs.
The kernel releases the lock when the holder dies, so a killed process never
leaves a cluster locked.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import ConflictOpt


@contextmanager
def cluster_lock(lock_dir: Path, cluster_id: str, operation: str) -> Iterator[None]:
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{cluster_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or None
            raise ConflictOpt(cluster_id, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{operation} (pid {os.getpid()})".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(lock_dir: Path, cluster_id: str) -> bool:
    """True while some process holds the cluster's write lock."""
    path = lock_dir / f"{cluster_id}.lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False

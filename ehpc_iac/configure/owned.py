"""Child processes owned by the operation that starts them: when the owner dies, they die.

ansible-runner starts ``ansible-playbook`` through a pty in a session of its own, with SIGHUP
ignored, so a killed owner (a SIGKILLed CLI child or server) would leave the playbook
configuring nodes without the cluster lock. Each run therefore starts a small launcher
(written per run into the run's private directory) instead of ``ansible-playbook``:

* the launcher asks the kernel for SIGTERM when its parent, the owner, dies
  (``prctl(PR_SET_PDEATHSIG)``), and exits at once if the owner is already gone;
* it runs ``ansible-playbook`` as its child, in its own process group (which the pty made), and
  records its pid; ``ansible-playbook`` itself gets SIGKILL should the launcher die;
* on SIGTERM or SIGINT it kills the whole process group (playbook, its forks, their SSH).

The owner also kills the group (``kill_run``) when its run ends abnormally. The private
directories (they hold the run's extra vars: password hashes) live in the cluster's state
directory, mode 0700, never in /tmp; a directory left by a SIGKILLed owner is removed by the
next run (``sweep_stale``), since its name carries the owner's pid.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

PIDFILE = "launcher.pid"
LAUNCHER = "owned-launcher"
_PREFIX = "ansible-"

_LAUNCHER = '''\
import ctypes, os, shutil, signal, subprocess, sys
OWNER, PIDFILE, PROGRAM, SCRATCH = {owner}, {pidfile!r}, {program!r}, {scratch!r}
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)


def stop(signum, _frame):
    try:
        if SCRATCH:
            shutil.rmtree(SCRATCH, ignore_errors=True)
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(128 + signum)


if os.getpgrp() != os.getpid():  # the pty made us a session leader; else lead a group of our own
    os.setpgid(0, 0)
for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, stop)
libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
if os.getppid() != OWNER:
    stop(signal.SIGTERM, None)
with open(PIDFILE, "w") as f:
    f.write(str(os.getpid()))
child = subprocess.Popen([PROGRAM, *sys.argv[1:]],
                         preexec_fn=lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL))
rc = child.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
'''


def new_run_dir(run_root: Path) -> Path:
    """A private directory (0700) for one run, named after its owner's pid."""
    run_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(run_root, 0o700)
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=run_root))


def write_launcher(run_dir: Path, program: str, scratch: str = "") -> Path:
    """The launcher for ``program`` (an absolute path), owned by this process; ``scratch``: a
    directory outside ``run_dir`` (SSH control sockets need a short path) removed when it is stopped."""
    path = run_dir / LAUNCHER
    text = f"#!{sys.executable} -I\n" + _LAUNCHER.format(owner=os.getpid(), pidfile=str(run_dir / PIDFILE),
                                                         program=program, scratch=scratch)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def kill_run(run_dir: Path) -> bool:
    """Kill the process group of the run's launcher, if it still runs; True if there was one."""
    try:
        pid = int((run_dir / PIDFILE).read_text().strip())
    except (OSError, ValueError):
        return False
    try:  # the pid must still be this run's launcher (pids are reused)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if str(run_dir / LAUNCHER).encode() not in cmdline:
        return False
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(run_root: Path) -> list[Path]:
    """Remove the run directories whose owner has died (a SIGKILLed operation leaves its own);
    their launchers' process groups are killed first. Returns what was removed."""
    removed = []
    if not run_root.is_dir():
        return removed
    for d in run_root.iterdir():
        parts = d.name[len(_PREFIX):].split("-", 1) if d.name.startswith(_PREFIX) else []
        if not parts or not parts[0].isdigit() or _alive(int(parts[0])):
            continue
        kill_run(d)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


__all__ = ["kill_run", "new_run_dir", "sweep_stale", "write_launcher"]

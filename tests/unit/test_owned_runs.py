"""Operations that die, die whole: a SIGKILLed owner takes its ansible-playbook (and what that
started) down with it, and its private directory, which holds the run's secrets, never lives in
/tmp and is removed by the next run. Real processes and a real local playbook."""
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from ehpc_iac.configure import owned

MARK = "sleep 317.25"
SECRET = f"s3cret-hash-{uuid.uuid4().hex}"  # unique: earlier runs left nothing to match


def _procs_with(text: str) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if text.encode() in (p / "cmdline").read_bytes().replace(b"\0", b" "):
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


def _running(pid: int) -> bool:
    try:  # a zombie waiting for its new parent to reap it runs no more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


def _wait_for(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def project(tmp_path):
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "roles").mkdir()
    (tmp_path / "playbooks" / "sleep.yml").write_text(textwrap.dedent(f"""\
        - hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - command: {MARK}
        """))
    return tmp_path


def _owner(project: Path, run_root: Path, log_dir: Path) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from ehpc_iac.configure.runner import AnsibleConfigurator
        AnsibleConfigurator(Path({str(project)!r})).run_playbook(
            "sleep.yml", {{"all": {{"hosts": {{"localhost": {{"ansible_python_interpreter": {sys.executable!r}}}}}}}}},
            {{"ehpc_root_password_hash": {SECRET!r}}}, log_dir=Path({str(log_dir)!r}), run_dir=Path({str(run_root)!r}))
        """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=os.getcwd(), start_new_session=True)


def test_sigkilled_owner_takes_its_playbook_down_and_next_run_sweeps(project, tmp_path):
    run_root, log_dir = tmp_path / "state" / "run", tmp_path / "state" / "logs"
    owner = _owner(project, run_root, log_dir)
    try:
        assert _wait_for(lambda: _procs_with(MARK), 60), "the playbook never started its task"
        runs = list(run_root.iterdir())
        assert len(runs) == 1 and runs[0].name.startswith(f"ansible-{owner.pid}-")
        assert oct(run_root.stat().st_mode & 0o777) == "0o700"
        assert SECRET in (runs[0] / "env" / "extravars").read_text()  # the secret is here, not in /tmp
        launcher = int((runs[0] / owned.PIDFILE).read_text())
        assert _procs_with(str(runs[0])), "ansible-playbook runs from the private directory"
        os.kill(owner.pid, signal.SIGKILL)  # the owner only: no group kill from the test
        owner.wait(10)
        assert _wait_for(lambda: not _procs_with(MARK) and not _procs_with(str(runs[0])), 10), \
            f"left running: {_procs_with(MARK) + _procs_with(str(runs[0]))}"
        assert not _running(launcher)
    finally:
        if owner.poll() is None:
            os.killpg(owner.pid, signal.SIGKILL)
    assert runs[0].exists()  # what the dead owner left: inside the 0700 state directory ...
    assert owned.sweep_stale(run_root) == runs  # ... and removed by the next run's sweep
    assert list(run_root.iterdir()) == []
    leaked = subprocess.run(["grep", "-rl", SECRET, "/tmp"], capture_output=True, text=True).stdout.split()
    assert not [f for f in leaked if not f.startswith(str(tmp_path))], leaked


def test_sweep_keeps_runs_of_live_owners(tmp_path):
    mine = owned.new_run_dir(tmp_path / "run")
    dead = tmp_path / "run" / "ansible-999999999-x"
    dead.mkdir()
    assert owned.sweep_stale(tmp_path / "run") == [dead]
    assert mine.exists() and not dead.exists()


def test_kill_run_refuses_a_reused_pid(tmp_path):
    run = owned.new_run_dir(tmp_path / "run")
    (run / owned.PIDFILE).write_text(str(os.getpid()))  # our own pid is no launcher of that run
    assert owned.kill_run(run) is False

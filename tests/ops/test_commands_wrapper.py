"""The command wrapper that runs on the nodes, run here with bash; ssh_shell against a closed port."""
import os
import subprocess
import time

from ehpc_iac.configure import ensure_cluster_key
from ehpc_iac.ops.commands import OUTPUT_MAX, ShellTarget, interpret, remote_wrapper, ssh_shell


def run(command, working_dir="/tmp", timeout=5):
    script = (command + "\n").encode()
    line = remote_wrapper(len(script), working_dir, timeout)
    t0 = time.monotonic()
    p = subprocess.run(["bash", "-c", line], input=script, capture_output=True, timeout=60)
    elapsed = time.monotonic() - t0
    return interpret(p.stdout + p.stderr, p.returncode, timeout, elapsed, None), elapsed, line


def test_output_exit_code_and_working_dir():
    r, _, line = run("pwd; echo out; echo err >&2; exit 3", working_dir="/usr")
    assert (r.status, r.exit_code, r.output, r.error) == ("Finished", 3, "/usr\nout\nerr\n", "")
    assert "echo out" not in line  # the command travels on stdin, not on a command line


def test_missing_working_dir_fails_without_running():
    r, _, _ = run("touch /tmp/should-not-exist-ehpc", working_dir="/no/such dir")
    assert r.status == "Failed" and r.exit_code is None and "/no/such dir" in r.error


def test_timeout_kills_the_command_and_its_children():
    r, elapsed, _ = run("sleep 30 & sleep 31; echo never", timeout=1)
    assert r.status == "Failed" and r.exit_code == 124 and "Timeout=1s" in r.error and "never" not in r.output
    assert elapsed < 5
    assert subprocess.run(["pgrep", "-f", "sleep 3[01]$"], capture_output=True).stdout == b""


def test_stdin_is_empty_and_script_file_removed():
    r, _, _ = run('cat; echo "$0"')
    script = r.output.strip()
    assert r.status == "Finished" and script.startswith("/tmp/.ehpc-command.")  # nothing came from stdin
    assert not os.path.exists(script)


def test_output_is_capped():
    r, _, _ = run(f"head -c {OUTPUT_MAX + 1000} /dev/zero | tr '\\0' a")
    assert r.status == "Finished" and r.output.startswith("a" * OUTPUT_MAX)
    assert f"truncated to the first {OUTPUT_MAX} of {OUTPUT_MAX + 1000} bytes" in r.output


def test_ssh_failure_is_a_failed_result(tmp_path):
    key = ensure_cluster_key(tmp_path / "ssh", "test").private_key_file
    r = ssh_shell(ShellTarget("n0", "i-x", "127.0.0.1", 1, key), "hostname", "/root", 5)
    assert r.status == "Failed" and r.exit_code is None and "SSH to n0 (127.0.0.1) failed" in r.error

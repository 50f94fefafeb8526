"""HaEnable: a backup slurmctld takes over when the primary's node stops."""
import time

from .conftest import dexec, docker


def wait_for(fn, timeout: float, step: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s; last: {last}")


def test_backup_controller_takes_over(ehpc):
    cid = ehpc.create_cluster({"Name": "e2e-ha", "DeployMode": "Simple", "HaEnable": True,
                               "EcsOrder": {"Compute": {"Count": 1}}})["ClusterId"]
    login, primary = f"{cid}-login0", f"{cid}-manager0"
    try:
        ping = dexec(login, "scontrol", "ping")
        assert "Slurmctld(primary) at manager0 is UP" in ping and "Slurmctld(backup) at manager1 is UP" in ping
        # the two controllers share their state volume
        assert docker("inspect", "-f", "{{range .Mounts}}{{.Name}} {{end}}", f"{cid}-manager1").count(
            f"{cid}-slurmctld") == 1
        ip_before = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", primary)
        docker("stop", primary)
        t0 = time.monotonic()
        out = wait_for(lambda: dexec(login, "srun", "-N1", "-t", "1", "hostname", check=False).strip() == "compute0",
                       timeout=150, step=2)
        took = time.monotonic() - t0
        assert out
        print(f"failover: a job ran through the backup {took:.0f}s after the primary stopped")
        docker("start", primary)
        wait_for(lambda: "Slurmctld(primary) at manager0 is UP" in dexec(login, "scontrol", "ping", check=False),
                 timeout=120, step=2)
        ip_after = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", primary)
        assert ip_before == ip_after  # fixed addresses keep /etc/hosts true across restarts
        assert dexec(login, "srun", "-N1", "hostname").strip() == "compute0"
    finally:
        ehpc.delete_cluster(ClusterId=cid)

"""CLI verbs of auto scaling (ehpc_iac/cli/ops_verbs_autoscale.py) over the fakes."""
import json

from click.testing import CliRunner

from ehpc_iac.cli.main import cli


def run(ehpc, *args):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc})


def test_set_get_describe_and_refusals(ehpc):
    cid = ehpc.create_cluster({"Name": "demo", "DeployMode": "Tiny"})["ClusterId"]
    r = run(ehpc, "set-auto-scale-config", "--cluster-id", cid, "--enable-auto-shrink", "--shrink-idle-times", "4",
            "--grow-interval-in-seconds", "5", "--queue", "QueueName=comp,EnableAutoGrow=true,MaxNodesInQueue=7")
    assert r.exit_code == 0, r.output
    got = json.loads(run(ehpc, "get-auto-scale-config", "--cluster-id", cid).stdout)
    assert (got["EnableAutoShrink"], got["EnableAutoGrow"], got["ShrinkIdleTimes"], got["GrowIntervalInSeconds"]) == (
        True, False, 4, 5)
    assert got["Queues"]["QueueInfo"][0]["MaxNodesInQueue"] == 7
    assert json.loads(run(ehpc, "describe-auto-scale-config", "--cluster-id", cid).stdout)["ShrinkIdleTimes"] == 4
    r = run(ehpc, "set-auto-scale-config", "--cluster-id", cid, "--grow-ratio", "0")
    assert r.exit_code == 2 and "GrowRatio" in json.loads(r.stderr)["Message"]
    r = run(ehpc, "set-auto-scale-config", "--cluster-id", cid, "--queue", "QueueName")
    assert r.exit_code == 2 and "Queues.1" in json.loads(r.stderr)["Message"]


def test_autoscale_once_runs_a_round(ehpc):
    r = run(ehpc, "autoscale", "--once")
    assert r.exit_code == 0, r.output

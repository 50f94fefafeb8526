import json

from click.testing import CliRunner

from ehpc_iac.cli.main import cli


def run(ehpc, *args, input=None):
    return CliRunner().invoke(cli, ["-q", *args], obj={"ops": ehpc}, input=input)


def test_create_from_yaml_flags_and_describe(ehpc, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("Name: demo\nDeployMode: Standard\nEcsOrder:\n  Compute:\n    Count: 1\n")
    r = run(ehpc, "create-cluster", "--file", str(f), "--compute-count", "3")
    assert r.exit_code == 0, r.output
    cid = json.loads(r.stdout)["ClusterId"]
    r = run(ehpc, "describe-cluster", "--cluster-id", cid)
    info = json.loads(r.stdout)["ClusterInfo"]
    assert info["EcsInfo"]["Compute"]["Count"] == 3  # the flag overrides the file
    r = run(ehpc, "list-clusters", "-o", "table")
    assert r.exit_code == 0 and cid in r.stdout and "running" in r.stdout


def test_cli_input_json_with_flat_names(ehpc, tmp_path):
    j = tmp_path / "req.json"
    j.write_text(json.dumps({"Name": "demo", "DeployMode": "OneBox", "EcsOrder.Compute.Count": 2}))
    r = run(ehpc, "create-cluster", "--cli-input-json", str(j))
    assert r.exit_code == 0, r.output
    cid = json.loads(r.stdout)["ClusterId"]
    k = tmp_path / "d.json"
    k.write_text(json.dumps({"ClusterId": cid, "Description": "via json"}))
    assert run(ehpc, "modify-cluster-attributes", "--cli-input-json", str(k)).exit_code == 0
    info = json.loads(run(ehpc, "describe-cluster", "--cluster-id", cid).stdout)["ClusterInfo"]
    assert info["Description"] == "via json" and info["EcsInfo"]["Compute"]["Count"] == 2


def test_exit_codes_distinguish_input_from_failure(ehpc, conf):
    r = run(ehpc, "create-cluster", "--name", "bad name")
    assert r.exit_code == 2 and json.loads(r.stderr)["Code"] == "InvalidParams" and "Name" in r.stderr
    r = run(ehpc, "describe-cluster", "--cluster-id", "ehpc-lo-0000000000")
    assert r.exit_code == 3 and json.loads(r.stderr)["Code"] == "ClusterNotFound"
    r = run(ehpc, "describe-cluster")
    assert r.exit_code == 2 and "ClusterId" in r.stderr
    conf.fail = "boom"
    r = run(ehpc, "create-cluster", "--name", "willfail")
    assert r.exit_code == 1 and json.loads(r.stderr)["Code"] == "AgentError"
    cid = json.loads(run(ehpc, "list-clusters").stdout)["Clusters"]["ClusterInfoSimple"][0]["Id"]
    r = run(ehpc, "start-cluster", "--cluster-id", cid)
    assert r.exit_code == 4 and json.loads(r.stderr)["Code"] == "InvalidClusterStatus"


def test_password_from_stdin_not_argv(ehpc, conf):
    r = run(ehpc, "create-cluster", "--name", "pw1", "--password-stdin", input="Sup3r!secret\n")
    assert r.exit_code == 0, r.output
    assert conf.calls[-1]["root_password_hash"].startswith("$6$")
    r = run(ehpc, "create-cluster", "--name", "pw2", "--password-stdin", input="weak\n")
    assert r.exit_code == 2 and "Password" in r.stderr and "weak" not in r.stderr


def test_delete_and_stop_verbs(ehpc, fake):
    cid = json.loads(run(ehpc, "create-cluster", "--name", "d1").stdout)["ClusterId"]
    assert run(ehpc, "stop-cluster", "--cluster-id", cid).exit_code == 0
    assert run(ehpc, "start-cluster", "--cluster-id", cid).exit_code == 0
    assert run(ehpc, "delete-cluster", "--cluster-id", cid).exit_code == 0
    assert fake.machines == {}


def test_dryrun_flag_shows_plan(ehpc, fake):
    r = run(ehpc, "create-cluster", "--name", "plan1", "--deploy-mode", "Standard", "--dryrun")
    assert r.exit_code == 0, r.output
    hosts = [n["HostName"] for n in json.loads(r.stdout)["Plan"]["Nodes"]["NodeInfo"]]
    assert hosts == ["account0", "scheduler0", "login0", "compute0"] and fake.machines == {}

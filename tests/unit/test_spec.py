import json

import pytest

from ehpc_iac.errors import InvalidParams
from ehpc_iac.spec import load_cluster_spec, read_request_file, unflatten

OK = {"Name": "demo", "DeployMode": "Standard"}


def bad(field, **changes):
    with pytest.raises(InvalidParams) as ei:
        load_cluster_spec({**OK, **changes})
    assert ei.value.field == field, ei.value.message
    assert field in ei.value.message
    assert ei.value.code == "InvalidParams" and ei.value.http_status == 400
    return ei.value


def test_defaults_follow_deploy_mode():
    s = load_cluster_spec(OK)
    assert (s.EcsOrder.Manager.Count, s.EcsOrder.Login.Count, s.EcsOrder.Compute.Count) == (1, 1, 1)
    s = load_cluster_spec({"Name": "x1", "DeployMode": "OneBox"})
    assert (s.EcsOrder.Login.Count, s.EcsOrder.Compute.Count) == (0, 0)
    s = load_cluster_spec({"Name": "x1", "HaEnable": True})
    assert s.EcsOrder.Manager.Count == 2
    assert s.JobQueue == "comp" and s.SchedulerType == "slurm" and s.AccountType == "nis"


@pytest.mark.parametrize("count", [0, 1000, -1, 100])
def test_compute_count_out_of_range(count):
    bad("EcsOrder.Compute.Count", EcsOrder={"Compute": {"Count": count}})


def test_bad_values_name_their_field():
    bad("DeployMode", DeployMode="Huge")
    bad("Name", Name="has spaces")
    bad("Name", Name="1starts-with-digit")
    bad("SchedulerType", SchedulerType="pbs19")
    bad("SchedulerType", SchedulerType="nonsense")
    bad("AccountType", AccountType="ad")
    bad("OsTag", OsTag="CentOS_7.2_64")
    bad("EcsOrder.Compute.InstanceType", EcsOrder={"Compute": {"InstanceType": "ecs.huge"}})
    bad("EcsOrder.Login.Count", DeployMode="Tiny", EcsOrder={"Login": {"Count": 1}})
    bad("EcsOrder.Manager.Count", HaEnable=True, EcsOrder={"Manager": {"Count": 1}})
    bad("JobQueue", JobQueue="Bad Queue")
    bad("Password", Password="short")
    bad("Password", Password="alllowercase1")
    bad("KeyPairName", Password="Abcdefg1!", KeyPairName="k1")
    bad("PostInstallScript.2.Url", PostInstallScript=[{"Url": "/ok.sh"}, {"Url": "relative.sh"}])
    bad("Application.1.Tag", Application=[{"Tag": "Nope"}])
    bad("AdditionalVolumes.1.LocalDirectory", AdditionalVolumes=[{"LocalDirectory": "/home"}])
    bad("Unknown", Unknown=1)
    e = bad("EcsOrder.Compute.Count", EcsOrder={"Compute": {"Count": "many"}})
    assert "integer" in e.message


def test_flat_query_form_equals_nested():
    flat = {"Name": "demo", "EcsOrder.Compute.Count": "3", "PostInstallScript.1.Url": "/a.sh",
            "PostInstallScript.1.Args": "-x", "Application.1.Tag": "OpenMPI"}
    s = load_cluster_spec(flat)
    assert s.EcsOrder.Compute.Count == 3
    assert s.PostInstallScript[0].Url == "/a.sh" and s.PostInstallScript[0].Args == "-x"
    assert unflatten({"User.2.Name": "b", "User.1.Name": "a"}) == {"User": [{"Name": "a"}, {"Name": "b"}]}


def test_password_is_never_dumped():
    s = load_cluster_spec({**OK, "Password": "Secr3t!pass"})
    assert "Secr3t" not in repr(s)
    assert "Secr3t" not in json.dumps(s.public_dict())
    assert s.Password.get_secret_value() == "Secr3t!pass"


def test_read_yaml_and_json(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("Name: demo\nEcsOrder:\n  Compute:\n    Count: 2\n")
    assert load_cluster_spec(read_request_file(y)).EcsOrder.Compute.Count == 2
    j = tmp_path / "c.json"
    j.write_text(json.dumps({"Name": "demo", "EcsOrder.Compute.Count": 2}))
    assert load_cluster_spec(read_request_file(j)).EcsOrder.Compute.Count == 2
    (tmp_path / "bad.yaml").write_text("Name: [unclosed\n")
    with pytest.raises(InvalidParams) as ei:
        read_request_file(tmp_path / "bad.yaml")
    assert ei.value.field == "file"
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(InvalidParams):
        read_request_file(tmp_path / "list.yaml")

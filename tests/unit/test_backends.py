"""The back-end seams: factories keyed by the plan, neutral job fields, inventory groups per back end."""
import pytest

from ehpc_iac.accounts import AccountBackend, get_accounts
from ehpc_iac.configure.inventory import build_inventory
from ehpc_iac.engines.base import Access, NodeOutput
from ehpc_iac.errors import InvalidParams
from ehpc_iac.plan import plan_cluster
from ehpc_iac.scheduler import SchedulerBackend, get_scheduler
from ehpc_iac.spec import load_cluster_spec
from ehpc_iac.spec.jobs import mem_mb, time_seconds


def test_factories_return_the_plans_back_ends_and_name_the_field_otherwise():
    assert isinstance(get_scheduler("slurm"), SchedulerBackend) and get_scheduler("slurm").name == "slurm"
    assert isinstance(get_accounts("nis"), AccountBackend) and get_accounts("nis").label == "NIS account(s)"
    with pytest.raises(InvalidParams) as e:
        get_scheduler("lsf")
    assert e.value.field == "SchedulerType" and "slurm" in e.value.message
    with pytest.raises(InvalidParams) as e:
        get_accounts("ad")
    assert e.value.field == "AccountType"


@pytest.mark.parametrize("text, mb", [("512M", 512), ("1G", 1024), ("1GB", 1024), ("1024", 1024), ("100K", 1),
                                      ("2T", 2 * 1024 * 1024), ("", None), (None, None)])
def test_mem_mb(text, mb):
    assert mem_mb(text) == mb


@pytest.mark.parametrize("text, s", [("30", 1800), ("5:30", 330), ("01:30:00", 5400), ("2-00:00:00", 172800),
                                     ("1-2", 93600), ("1-02:03", 93780), (None, None)])
def test_time_seconds(text, s):
    assert time_seconds(text) == s


def test_slurm_conventions():
    b = get_scheduler("slurm")
    assert b.default_stdout("u") == "/home/u/slurm-%j.out" and b.output_pattern(True) == "%A.%a"
    assert b.expand_output("/home/u/%x-%A_%a-%u.%j%%", "12_3", "u", "n") == "/home/u/n-12_3-u.12%"
    spec = load_cluster_spec({"Name": "cl", "DeployMode": "Standard", "EcsOrder": {"Login": {"Count": 1}}})
    plan = plan_cluster(spec, "ehpc-lo-TEST000000")
    assert sorted(b.config_hosts(plan)) == ["compute0", "login0", "scheduler0"]


def test_inventory_puts_every_host_in_its_back_ends_groups():
    plan = plan_cluster(load_cluster_spec({"Name": "cl", "DeployMode": "Tiny"}), "ehpc-lo-TEST000000")
    outs = {n.hostname: NodeOutput(hostname=n.hostname, instance_id=n.instance_id, address="10.0.0.1", status="running") for n in plan.nodes}
    inv = build_inventory(plan, outs, Access(public_key="k", private_key_file="/k"))["all"]["children"]
    every = {n.hostname for n in plan.nodes}
    assert set(inv["slurm"]["hosts"]) == every and set(inv["nis"]["hosts"]) == every
    assert plan.scheduler_type == "slurm" and plan.account_type == "nis"

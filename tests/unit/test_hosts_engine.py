"""The hosts engine with fakes: Hosts validation, SSH probing, the refusals, CreateCluster wiring."""
import itertools
from pathlib import Path

import pytest

from ehpc_iac.engines import get_engine
from ehpc_iac.engines.base import Access
from ehpc_iac.engines.hosts import HostsEngine, hosts_access, node_limits, parse_probe
from ehpc_iac.errors import EngineError, EngineUnavailable, InvalidParams
from ehpc_iac.ops import Ehpc
from ehpc_iac.plan import plan_cluster
from ehpc_iac.spec import load_cluster_spec
from ehpc_iac.spec.hosts import (HOSTS_LABEL, check_hosts_against_plan, hosts_from_labels, hosts_label,
                                 parse_hosts, pop_hosts)
from tests.fakes import FakeConfigurator

CID = "ehpc-lo-AbCdEfGhIj"
ADDRS = {"manager0": "10.0.0.2", "compute0": "10.0.0.3", "compute1": "10.0.0.4"}
PROBE = "{cpus}\nMemTotal:        {kb} kB\n"


def hosts(addrs=ADDRS):
    return [{"HostName": h, "Address": a} for h, a in addrs.items()]


def request(**extra):
    return {"Name": "demo", "DeployMode": "Tiny", "Engine": "hosts", "EcsOrder": {"Compute": {"Count": 2}},
            "Hosts": hosts(), **extra}


def plan_with_hosts(entries=None):
    c = itertools.count()
    p = plan_cluster(load_cluster_spec({"Name": "demo", "DeployMode": "Tiny", "EcsOrder": {"Compute": {"Count": 2}}}),
                     CID, lambda: f"i-{next(c):04d}")
    return p.replace(labels={**p.labels, HOSTS_LABEL: hosts_label(parse_hosts(entries or hosts()))})


class Runner:
    """Answers the probe per address; an address in ``down`` raises like a refused connection."""

    def __init__(self, cpus=4, mem_mb=8192, down=()):
        self.cpus, self.mem_mb, self.down, self.calls = cpus, mem_mb, set(down), []

    def __call__(self, entry, key_file, timeout):
        self.calls.append((entry.Address, entry.Port, key_file))
        if entry.Address in self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        return PROBE.format(cpus=self.cpus, kb=self.mem_mb * 1024)


ACCESS = Access(public_key="ssh-ed25519 AAAA cluster", private_key_file=Path("/k/id_ed25519"))


# --- spec -----------------------------------------------------------------------
def test_parse_hosts_defaults_and_flat_form():
    data = {"Hosts.1.HostName": "manager0", "Hosts.1.Address": "10.0.0.2", "Hosts.2.HostName": "compute0",
            "Hosts.2.Address": "node-b.example", "Hosts.2.Port": "2222", "Name": "x"}
    raw = pop_hosts(data)
    assert data == {"Name": "x"}
    e = parse_hosts(raw)
    assert (e[0].HostName, e[0].Port, e[0].User) == ("manager0", 22, "root")
    assert (e[1].Address, e[1].Port) == ("node-b.example", 2222)
    assert pop_hosts({"Name": "x"}) is None


@pytest.mark.parametrize("raw, field", [
    ([], "Hosts"),
    ([{"Address": "10.0.0.1"}], "Hosts.1.HostName"),
    ([{"HostName": "manager0"}], "Hosts.1.Address"),
    ([{"HostName": "manager0", "Address": "bad address!"}], "Hosts.1.Address"),
    ([{"HostName": "manager0", "Address": "10.0.0.1", "Port": 70000}], "Hosts.1.Port"),
    ([{"HostName": "manager0", "Address": "10.0.0.1", "User": "admin"}], "Hosts.1.User"),
    ([{"HostName": "manager0", "Address": "10.0.0.1", "Colour": "red"}], "Hosts.1.Colour"),
])
def test_parse_hosts_names_the_field(raw, field):
    with pytest.raises(InvalidParams) as e:
        parse_hosts(raw)
    assert e.value.field == field


PLANNED = [("manager0", ("Scheduler", "Account", "Login")), ("compute0", ("Compute",)), ("compute1", ("Compute",))]


@pytest.mark.parametrize("entries, field, words", [
    (hosts({"manager0": "10.0.0.2", "compute0": "10.0.0.3"}), "Hosts", "compute1"),
    (hosts() + [{"HostName": "compute7", "Address": "10.0.0.9"}], "Hosts.4.HostName", "compute7"),
    (hosts() + [{"HostName": "compute0", "Address": "10.0.0.9"}], "Hosts.4.HostName", "Hosts.2"),
    (hosts({"manager0": "10.0.0.2", "compute0": "10.0.0.3", "compute1": "10.0.0.3"}), "Hosts.3.Address", "Hosts.2"),
    ([{"HostName": "manager0", "Address": "10.0.0.2", "Roles": ["Compute"]}, *hosts()[1:]], "Hosts.1.Roles",
     "manager0"),
])
def test_hosts_against_plan(entries, field, words):
    with pytest.raises(InvalidParams) as e:
        check_hosts_against_plan(parse_hosts(entries), PLANNED)
    assert e.value.field == field and words in str(e.value)


def test_same_address_other_port_and_matching_roles_are_fine():
    entries = hosts({"manager0": "10.0.0.2", "compute0": "10.0.0.3", "compute1": "10.0.0.3"})
    entries[2]["Port"] = 2222
    entries[0]["Roles"] = ["Login", "Scheduler", "Account"]
    check_hosts_against_plan(parse_hosts(entries), PLANNED)


# --- engine -----------------------------------------------------------------------
def test_registered_and_cli_accepts_hosts():
    from click.testing import CliRunner

    from ehpc_iac.cli.main import cli
    assert isinstance(get_engine("hosts"), HostsEngine)
    out = CliRunner().invoke(cli, ["create-cluster", "--engine", "nonsense", "--name", "x"])
    assert "hosts" in out.output


def test_probe_parsing_and_caps():
    assert parse_probe(PROBE.format(cpus=8, kb=4 * 1024 * 1024)) == (8, 4096)
    assert node_limits(4, 8192, 2, 2000) == (2, 2000)     # capped by the machine
    assert node_limits(1, 1024, 16, 64000) == (1, 1024)   # the instance type


def test_converge_reports_each_machine_without_changes():
    runner = Runner(cpus=2, mem_mb=700)
    res = HostsEngine(runner=runner).converge(plan_with_hosts(), ACCESS)
    assert not res.changed and sorted(res.unchanged) == sorted(ADDRS)
    for h, out in res.nodes.items():
        assert (out.address, out.port, out.private_ip, out.status) == (ADDRS[h], 22, ADDRS[h], "running")
        assert (out.cpus, out.memory_mb) == (1, 700)   # ecs.n1.tiny: 1 CPU; the machine has 700 MiB
    assert all(k == ACCESS.private_key_file for _, _, k in runner.calls)


def test_unreachable_host_is_named_with_the_fix():
    with pytest.raises(EngineUnavailable) as e:
        HostsEngine(runner=Runner(down={"10.0.0.4"})).converge(plan_with_hosts(), ACCESS)
    msg = str(e.value)
    assert "compute1" in msg and "10.0.0.4:22" in msg and "manager0" not in msg
    assert "authorized_keys" in msg and ACCESS.public_key in msg


def test_inspect_is_ssh_reachability():
    eng = HostsEngine(tcp_probe=lambda e, t: e.HostName != "compute0")
    nodes = eng.inspect(plan_with_hosts())
    assert nodes["compute0"].status == "exception" and nodes["manager0"].status == "running"
    assert nodes["compute1"].address == "10.0.0.4"


def test_power_operations_refuse_and_removal_forgets():
    eng, p = HostsEngine(runner=Runner()), plan_with_hosts()
    with pytest.raises(EngineError, match="does not power"):
        eng.stop(p)
    with pytest.raises(EngineError, match="does not power"):
        eng.start(p)
    msgs = []
    eng.remove_nodes(p, ["compute1"], msgs.append)
    assert eng.destroy(CID, msgs.append) == [] and len(msgs) == 2


def test_plan_carries_hosts():
    assert hosts_from_labels(plan_with_hosts().labels)["compute0"].Address == "10.0.0.3"
    assert hosts_from_labels({}) == {}


# --- CreateCluster wiring ---------------------------------------------------------
@pytest.fixture
def ops(tmp_path):
    runner, conf = Runner(), FakeConfigurator()
    engine = HostsEngine(runner=runner, tcp_probe=lambda e, t: True)
    o = Ehpc(tmp_path / "home", engine_factory=lambda name: engine, configurator=conf)
    o.health.ssh_checks = False  # the listed machines do not exist: no daemons to check over SSH
    return o, runner, conf


def test_create_uses_the_hosts_key_and_addresses(ops):
    o, runner, conf = ops
    pub = hosts_access(o.home).public_key
    assert o.create_cluster(request(DryRun=True))["HostsPublicKey"] == pub
    cid = o.create_cluster(request())["ClusterId"]
    assert o.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"
    assert o.access(cid).public_key == pub          # the key the admin authorised
    call = conf.calls[-1]
    assert {h: n.address for h, n in call["nodes"].items()} == ADDRS
    nodes = o.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]
    assert {n["HostName"]: n["Status"] for n in nodes} == {h: "running" for h in ADDRS}
    o.delete_cluster(ClusterId=cid)
    assert o.list_clusters()["TotalCount"] == 0


@pytest.mark.parametrize("change, field", [
    ({"Hosts": hosts({"manager0": "10.0.0.2", "compute0": "10.0.0.3"})}, "Hosts"),
    ({"Hosts": hosts() + [{"HostName": "login0", "Address": "10.0.0.8"}]}, "Hosts.4.HostName"),
    ({"Hosts": hosts({"manager0": "10.0.0.2", "compute0": "10.0.0.2", "compute1": "10.0.0.4"})}, "Hosts.2.Address"),
    ({"Hosts": None}, "Hosts"),
    ({"Engine": "docker"}, "Hosts"),
])
def test_bad_hosts_fail_before_anything(ops, change, field):
    o, runner, conf = ops
    req = {k: v for k, v in {**request(), **change}.items() if v is not None}
    with pytest.raises(InvalidParams) as e:
        o.create_cluster(req)
    assert e.value.field == field
    assert o.list_clusters()["TotalCount"] == 0 and not conf.calls and not runner.calls


def test_unreachable_machine_fails_before_recording(ops):
    o, runner, conf = ops
    runner.down = {"10.0.0.3"}
    with pytest.raises(EngineUnavailable, match="compute0"):
        o.create_cluster(request())
    assert o.list_clusters()["TotalCount"] == 0 and not conf.calls


def test_stop_and_start_cluster_refuse_and_leave_the_cluster_running(ops):
    from ehpc_iac.errors import InvalidOpt
    o, runner, conf = ops
    cid = o.create_cluster(request())["ClusterId"]
    with pytest.raises(InvalidOpt, match="not powered"):
        o.stop_cluster(ClusterId=cid)
    assert o.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"

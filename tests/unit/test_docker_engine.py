"""Pure parts of the docker engine: container settings, IP assignment, NFS volume options."""
import ipaddress
import itertools

from ehpc_iac.engines.base import Access
from ehpc_iac.engines.docker import _assign_ips, container_spec, node_limits, volume_driver_opts
from ehpc_iac.plan import plan_cluster
from ehpc_iac.spec import load_cluster_spec

CID = "ehpc-lo-AbCdEfGhIj"
ACCESS = Access(public_key="ssh-ed25519 AAAA test", private_key_file=None)


def plan(**spec):
    c = itertools.count()
    return plan_cluster(load_cluster_spec({"Name": "demo", **spec}), CID, lambda: f"i-{next(c):04d}")


def test_container_spec_ties_node_to_cluster():
    p = plan(DeployMode="Standard", EcsOrder={"Compute": {"Count": 1, "InstanceType": "ecs.n1.large"}})
    s = container_spec(p, p.node("compute0"), "img", ACCESS, host_cpus=2, ip="172.30.0.14")
    assert s["name"] == f"{CID}-compute0" and s["hostname"] == "compute0" and s["domainname"] == CID.lower()
    assert s["network"] == f"{CID}-net" and s["aliases"] == ["compute0"] and s["ipv4_address"] == "172.30.0.14"
    assert s["volumes"] == {f"{CID}-home": {"bind": "/home", "mode": "rw"}}
    assert s["labels"]["ehpc.cluster-id"] == CID and s["labels"]["ehpc.roles"] == "Compute"
    assert s["labels"]["ehpc.instance-id"] == p.node("compute0").instance_id
    assert s["nano_cpus"] == 2_000_000_000  # 4 CPUs asked, capped by the host's 2
    assert s["mem_limit"] == "8192m" and s["init"] is True
    sched = container_spec(p, p.node("scheduler0"), "img", ACCESS, 2, "172.30.0.11")
    assert sched["volumes"][f"{CID}-slurmctld"]["bind"] == "/var/spool/slurmctld"


def test_config_hash_changes_with_settings_only():
    p = plan()
    a = container_spec(p, p.node("compute0"), "img", ACCESS, 2, "10.0.0.10")["labels"]["ehpc.config-hash"]
    b = container_spec(p, p.node("compute0"), "img", ACCESS, 2, "10.0.0.10")["labels"]["ehpc.config-hash"]
    c = container_spec(p, p.node("compute0"), "img2", ACCESS, 2, "10.0.0.10")["labels"]["ehpc.config-hash"]
    assert a == b != c


def test_ips_are_kept_and_new_nodes_take_free_ones():
    p = plan(EcsOrder={"Compute": {"Count": 2}})
    net = ipaddress.ip_network("172.30.0.0/24")
    first = _assign_ips(net, p, {})
    assert first == {"manager0": "172.30.0.10", "login0": "172.30.0.11", "compute0": "172.30.0.12",
                     "compute1": "172.30.0.13"}
    again = _assign_ips(net, p, {"compute0": "172.30.0.12", "manager0": "172.30.0.10"})
    assert again["compute0"] == "172.30.0.12" and again["manager0"] == "172.30.0.10"
    assert again["login0"] not in ("172.30.0.10", "172.30.0.12") and len(set(again.values())) == 4


def test_limits_and_nfs_volume_options():
    p = plan(VolumeMountpoint="10.1.2.3", RemoteDirectory="/export")
    assert node_limits(p.node("compute0"), 64) == (1, 1024)
    home = p.volume(f"{CID}-home")
    assert volume_driver_opts(home) == {"type": "nfs", "o": "addr=10.1.2.3,rw,nfsvers=4", "device": ":/export"}
    assert volume_driver_opts(p.volume(f"{CID}-slurmctld")) is None

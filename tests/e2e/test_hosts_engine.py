"""The hosts engine end to end: three containers made by hand from the node image (standing in
for machines an admin prepared) become a Tiny cluster; a job runs as a NIS user; DeleteCluster
forgets the cluster and leaves the machines."""
import subprocess
import time
import uuid

import docker as docker_sdk
import pytest

from ehpc_iac.engines.hosts import hosts_access
from ehpc_iac.engines.image import ensure_node_image
from ehpc_iac.errors import InvalidOpt, InvalidParams
from ehpc_iac.ops import Ehpc

from .conftest import dexec, docker

HOSTS = ("manager0", "compute0", "compute1")


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    home = tmp_path_factory.mktemp("ehpc-hosts-home")
    access = hosts_access(home)            # the key the admin authorises on the machines
    image = ensure_node_image(docker_sdk.from_env(), "Debian_12_64")
    tag = f"hosts-e2e-{uuid.uuid4().hex[:8]}"
    label = f"ehpc-test.hosts={tag}"
    docker("network", "create", "--label", label, f"{tag}-net")
    docker("volume", "create", "--label", label, f"{tag}-home")
    names = {}
    try:
        for h in HOSTS:
            name = f"{tag}-{h}"
            # SYS_ADMIN: the nis roles set the NIS domain with `domainname`, as on a real machine
            docker("run", "-d", "--init", "--name", name, "--hostname", h, "--network", f"{tag}-net",
                   "--network-alias", h, "--label", label, "--cap-add", "SYS_ADMIN",
                   "-v", f"{tag}-home:/home", "-e", f"EHPC_AUTHORIZED_KEY={access.public_key}",
                   "--cpus", "1", "--memory", "1g", image)
            names[h] = name
        deadline = time.monotonic() + 60   # the machines are up: their sshd answers
        for n in names.values():
            while "ehpc-entrypoint: ready" not in subprocess.run(["docker", "logs", n], capture_output=True,
                                                                 text=True).stderr:
                assert time.monotonic() < deadline, f"{n} did not start"
                time.sleep(0.5)
        addrs = {h: docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           n).strip() for h, n in names.items()}
        yield home, names, addrs
    finally:
        for n in docker("ps", "-aq", "--filter", f"label={label}").split():
            docker("rm", "-f", n, check=False)
        docker("network", "rm", f"{tag}-net", check=False)
        docker("volume", "rm", f"{tag}-home", check=False)


def spec(addrs, **extra):
    return {"Name": "e2e-hosts", "DeployMode": "Tiny", "Engine": "hosts", "Password": "Root!pass123",
            "EcsOrder": {"Compute": {"Count": 2}},
            "Hosts": [{"HostName": h, "Address": a} for h, a in addrs.items()], **extra}


def test_bad_hosts_are_refused_before_anything(machines):
    home, names, addrs = machines
    ehpc = Ehpc(home)
    cases = [
        ([{"HostName": "manager0", "Address": addrs["manager0"]},
          {"HostName": "compute0", "Address": addrs["compute0"]}], "Hosts"),
        ([*spec(addrs)["Hosts"], {"HostName": "compute7", "Address": "10.9.9.9"}], "Hosts.4.HostName"),
        ([{"HostName": "manager0", "Address": addrs["manager0"]},
          {"HostName": "compute0", "Address": addrs["compute0"]},
          {"HostName": "compute1", "Address": addrs["compute0"]}], "Hosts.3.Address"),
    ]
    for hosts, field in cases:
        with pytest.raises(InvalidParams) as e:
            ehpc.create_cluster({**spec(addrs), "Hosts": hosts})
        assert e.value.field == field
        assert field in str(e.value)
    assert ehpc.list_clusters()["TotalCount"] == 0
    # nothing was configured on the machines
    assert "slurmctld" not in docker("exec", names["manager0"], "ps", "-eo", "comm")


def test_existing_machines_become_a_cluster(machines):
    home, names, addrs = machines
    ehpc = Ehpc(home)
    cid = ehpc.create_cluster(spec(addrs))["ClusterId"]
    info = ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]
    assert info["Status"] == "running", info
    nodes = ehpc.list_nodes(ClusterId=cid)["Nodes"]["NodeInfo"]
    assert {n["HostName"] for n in nodes} == set(HOSTS)
    assert all(n["Status"] == "running" for n in nodes), nodes

    assert dexec(names["manager0"], "srun", "-N1", "hostname").strip() in ("compute0", "compute1")
    ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass"})
    out = dexec(names["manager0"],
                "sbatch --wait -N1 -o /home/alice/job-%j.out --wrap 'id -un; hostname'; cat /home/alice/job-*.out",
                user="alice")
    assert out.split()[-2] == "alice" and out.split()[-1] in ("compute0", "compute1"), out
    for n in names.values():  # the nis roles set the NIS domain on the machines themselves
        assert dexec(n, "domainname").strip() == cid.lower()
    assert ehpc.reconverge(cid)["EngineChanged"] is False
    with pytest.raises(InvalidOpt):                    # existing machines are not powered by ehpc-iac
        ehpc.stop_cluster(ClusterId=cid)
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"

    ehpc.delete_cluster(ClusterId=cid)
    assert ehpc.list_clusters()["TotalCount"] == 0
    running = docker("ps", "--format", "{{.Names}}").split()
    assert all(n in running for n in names.values())   # the machines are the admin's: left as they are

"""The Configuration resource's provider end to end, without the Pulumi CLI: its create, diff,
update and delete (the very functions Pulumi calls) run against containers this module makes from
the node image (the docker engine's containers, the same ones stacks/docker declares), with the
project's playbooks over SSH.

Inputs reach the provider as Pulumi hands them over: JSON, without None values, every number a
float, secrets wrapped."""
from __future__ import annotations

import json
import secrets
import shlex
import time
import uuid

import pytest

from ehpc_iac.engines.docker import DockerEngine
from ehpc_iac.engines.keys import ensure_cluster_key
from ehpc_iac.pulumi.model import QueueArgs, cluster_plan, stable_crypt
from ehpc_iac.pulumi.provider import ConfigurationProvider
from pulumi.runtime import rpc

from .conftest import dexec, docker, sinfo_states

pytestmark = pytest.mark.e2e

SPEC = {"Name": "pulumi-e2e", "DeployMode": "Tiny"}
USER, PASSWORD = "alice", "Alic3!secret"
MUNGE_KEY = secrets.token_hex(32)


def wire(value, secret=False):
    """A value as the Pulumi engine delivers it to a provider."""
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items() if x is not None}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v
    out = conv(json.loads(json.dumps(value)))
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": out} if secret else out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    cid = f"ehpc-lo-pu{uuid.uuid4().hex[:8]}"
    state_dir = tmp_path_factory.mktemp("pulumi-config")
    access = ensure_cluster_key(state_dir / "ssh", f"ehpc-iac@{cid}")
    engine = DockerEngine()
    try:
        yield {"cid": cid, "state_dir": state_dir, "access": access, "engine": engine}
    finally:
        engine.destroy(cid)


def machines(world, computes: int):
    """Make (or remove) containers for the plan, as the machine resources would; returns (plan, inputs)."""
    plan = cluster_plan(SPEC, world["cid"], [QueueArgs("comp", compute_count=computes)])
    nodes = world["engine"].converge(plan, world["access"]).nodes
    node_list = [{"hostname": n.hostname, "address": n.address, "port": n.port, "private_ip": n.private_ip,
                  "cpus": n.cpus, "memory_mb": n.memory_mb} for n in nodes.values()]
    users = [{"name": USER, "group": "users", "password_hash": stable_crypt(PASSWORD, USER)}]
    inputs = {"cluster_id": world["cid"], "plan": wire(plan.to_dict()), "nodes": wire(node_list),
              "state_dir": str(world["state_dir"]), "users": wire(users, secret=True),
              "root_password_hash": wire("", secret=True), "munge_key": wire(MUNGE_KEY, secret=True),
              "authorized_keys": [], "shared_storage": {}, "drain_timeout": 300.0}
    return plan, inputs


def as_user(name, *argv):
    """``argv`` run by the declared user in a login shell on the container."""
    return dexec(name, shlex.join(argv), user=USER)


def container(world, host):
    return f"{world['cid']}-{host}"


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while not fn():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


@pytest.fixture(scope="module")
def created(world):
    provider = ConfigurationProvider()
    _plan, inputs = machines(world, computes=1)
    checked = provider.check({}, inputs)
    assert not checked.failures
    res = provider.create(inputs)
    return provider, res.outs


def test_create_runs_a_job_as_the_declared_user(world, created):
    _provider, outs = created
    manager = container(world, "manager0")
    assert sinfo_states(manager) == {"compute0": "idle"}
    assert outs["uids"] == {USER: 1000} and outs["user_names"] == [USER]
    assert PASSWORD not in json.dumps(outs) and "$6$" not in json.dumps(outs) and MUNGE_KEY not in json.dumps(outs)
    # the munge key given as a secret is the cluster's key
    assert dexec(container(world, "compute0"), "cat", "/etc/munge/munge.key") == MUNGE_KEY
    as_user(manager, "sbatch", "-w", "compute0", "-o", f"/home/{USER}/create.out", "--wrap", "hostname; id -un")
    wait_for(lambda: "alice" in dexec(manager, "cat", f"/home/{USER}/create.out", check=False), 60, "the job")
    assert dexec(manager, "cat", f"/home/{USER}/create.out").split() == ["compute0", USER]


def test_diff_reruns_only_when_an_input_that_matters_changes(world, created):
    provider, outs = created
    _plan, same = machines(world, computes=1)
    assert provider.diff(world["cid"], outs, same).changes is False
    assert provider.diff(world["cid"], outs, {**same, "drain_timeout": 10.0}).changes is False
    other_pw = wire([{"name": USER, "group": "users", "password_hash": stable_crypt("N3w!pass99", USER)}], True)
    assert provider.diff(world["cid"], outs, {**same, "users": other_pw}).changes is True
    replaced = provider.diff(world["cid"], outs, {**same, "cluster_id": "ehpc-lo-other00000"})
    assert replaced.replaces == ["cluster_id"]


def test_update_adding_a_compute_makes_it_idle(world, created):
    provider, outs = created
    _plan, inputs = machines(world, computes=2)
    assert provider.diff(world["cid"], outs, inputs).changes is True
    t0 = time.monotonic()
    res = provider.update(world["cid"], outs, inputs)
    assert sinfo_states(container(world, "manager0")) == {"compute0": "idle", "compute1": "idle"}
    assert res.outs["computes"] == ["compute0", "compute1"]
    print(f"update adding compute1: {time.monotonic() - t0:.1f}s")
    created[1].update(res.outs)


def test_update_removing_a_compute_drains_it_first(world, created):
    provider, outs = created
    manager = container(world, "manager0")
    out = f"/home/{USER}/drain.out"
    as_user(manager, "sbatch", "-w", "compute1", "-o", out, "--wrap", "echo started; sleep 12; echo finished")
    wait_for(lambda: "started" in dexec(manager, "cat", out, check=False), 60, "the job to start")
    _plan, inputs = machines(world, computes=2)      # machines stay until Pulumi deletes them after the update
    plan1 = cluster_plan(SPEC, world["cid"], [QueueArgs("comp", compute_count=1)])
    inputs = {**inputs, "plan": wire(plan1.to_dict()),
              "nodes": [n for n in inputs["nodes"] if n["hostname"] != "compute1"]}
    t0 = time.monotonic()
    res = provider.update(world["cid"], outs, inputs)
    waited = time.monotonic() - t0
    assert dexec(manager, "cat", out).split() == ["started", "finished"]   # the job ran to its end
    assert waited >= 5, "the update returned before the running job ended"
    assert sinfo_states(manager) == {"compute0": "idle"}
    assert res.outs["computes"] == ["compute0"]
    machines(world, computes=1)                      # then Pulumi deletes the machine
    created[1].update(res.outs)


def test_delete_leaves_the_machines_unconfigured(world, created):
    provider, outs = created
    provider.delete(world["cid"], outs)
    for host in ("manager0", "compute0"):
        c = container(world, host)
        assert docker("inspect", "-f", "{{.State.Running}}", c).strip() == "true"   # the machine stays
        assert dexec(c, "ehpc-svc", "status", "slurmd" if host == "compute0" else "slurmctld",
                     check=False).strip() == "stopped"
        assert dexec(c, "ehpc-svc", "status", "munge", check=False).strip() == "stopped"
        assert "slurm.conf" not in dexec(c, "ls", "/etc/slurm")
        assert "munge.key" not in dexec(c, "ls", "/etc/munge")
        assert dexec(c, "id", USER, check=False) == ""                             # the user is gone
    assert "ypbind" not in dexec(container(world, "compute0"), "ehpc-svc", "list", check=False)

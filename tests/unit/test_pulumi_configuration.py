"""The pure parts of the Pulumi components: stable hashes and ids, uids, queues, and what the
configuration provider does for each kind of change (the steps on machines are recorded here;
tests/e2e/test_pulumi_configuration.py runs them for real)."""
from __future__ import annotations

import pytest

from ehpc_iac.configure.passwords import verify
from ehpc_iac.errors import InvalidParams
from ehpc_iac.pulumi import provider as prov
from ehpc_iac.pulumi.model import (QueueArgs, assign_uids, check_munge_key, cluster_plan, compute_change,
                                   stable_crypt)

CID = "ehpc-lo-abcdefghij"
SPEC = {"Name": "unit", "DeployMode": "Tiny"}


def test_stable_crypt_is_a_real_sha512_crypt_and_the_same_on_every_run():
    h = stable_crypt("Alic3!secret", "alice")
    assert h.startswith("$6$") and verify("Alic3!secret", h) and not verify("other", h)
    assert stable_crypt("Alic3!secret", "alice") == h
    assert stable_crypt("Alic3!secret", "bob") != h           # the salt differs per user
    assert stable_crypt("N3w!secret", "alice") != h


def test_uids_are_kept_and_never_reused():
    first = assign_uids(["alice", "bob"], {})
    assert first == {"alice": 1000, "bob": 1001}
    later = assign_uids(["bob", "carol"], first)            # alice deleted: her uid is not given away
    assert later == {"alice": 1000, "bob": 1001, "carol": 1002}
    assert assign_uids(["alice"], later)["alice"] == 1000


def test_queues_name_nodes_and_reject_bad_input():
    plan = cluster_plan(SPEC, CID, [QueueArgs("comp", 2), QueueArgs("big", 1, "ecs.n1.large")])
    assert [(n.hostname, n.queue, n.cpus) for n in plan.computes] == [
        ("compute0", "comp", 1), ("compute1", "comp", 1), ("compute-big0", "big", 4)]
    with pytest.raises(InvalidParams):
        QueueArgs("Bad Name", 1)
    with pytest.raises(InvalidParams):
        cluster_plan(SPEC, CID, [QueueArgs("comp", 1), QueueArgs("comp", 2)])
    with pytest.raises(InvalidParams):
        check_munge_key("short")


def inputs(computes=1, users=("alice",), **more):
    plan = cluster_plan(SPEC, CID, [QueueArgs("comp", computes)])
    nodes = [{"hostname": n.hostname, "address": f"10.0.0.{i + 10}"} for i, n in enumerate(plan.nodes)]
    return prov._plain({"cluster_id": CID, "plan": plan.to_dict(), "nodes": nodes, "state_dir": "/tmp/x",
                        "users": [{"name": u, "group": "users", "password_hash": stable_crypt("Pa55!word", u)}
                                  for u in users], "root_password_hash": "", "munge_key": "",
                        "authorized_keys": [], "shared_storage": {}, **more})


@pytest.fixture
def recorded(monkeypatch):
    calls = []
    monkeypatch.setattr(prov.steps, "configure", lambda cfg, uids, limit=None: calls.append(("configure", limit)))
    monkeypatch.setattr(prov.steps, "drain_and_delete",
                        lambda cfg, hosts, reason: calls.append(("drain", tuple(hosts))))
    monkeypatch.setattr(prov.steps, "detach", lambda cfg: calls.append(("detach", cfg.cluster_id)))
    return calls


def test_create_configures_everything_and_outputs_no_secret(recorded):
    outs = prov.ConfigurationProvider().create(inputs()).outs
    assert recorded == [("configure", None)]
    assert outs["uids"] == {"alice": 1000} and "password_hash" not in str(outs) and "$6$" not in str(outs)


def test_update_adding_computes_configures_only_them_and_the_controller(recorded):
    p = prov.ConfigurationProvider()
    outs = p.create(inputs(1)).outs
    recorded.clear()
    p.update(CID, outs, inputs(3))
    assert recorded == [("configure", ["compute1", "compute2", "manager0"])]


def test_update_removing_computes_drains_them_and_runs_no_play(recorded):
    p = prov.ConfigurationProvider()
    outs = p.create(inputs(3)).outs
    recorded.clear()
    new = p.update(CID, outs, inputs(1)).outs
    assert recorded == [("drain", ("compute1", "compute2"))]
    assert new["computes"] == ["compute0"]


def test_update_of_users_runs_the_whole_play_and_keeps_uids(recorded):
    p = prov.ConfigurationProvider()
    outs = p.create(inputs(1, users=("alice", "bob"))).outs
    recorded.clear()
    new = p.update(CID, outs, inputs(2, users=("bob", "carol"))).outs
    assert recorded == [("configure", None)]
    assert new["uids"] == {"alice": 1000, "bob": 1001, "carol": 1002}
    assert new["user_names"] == ["bob", "carol"]


def test_diff_and_delete(recorded):
    p = prov.ConfigurationProvider()
    outs = p.create(inputs(1)).outs
    assert p.diff(CID, outs, inputs(1)).changes is False
    assert p.diff(CID, outs, inputs(1, drain_timeout=5)).changes is False
    assert p.diff(CID, outs, inputs(2)).changes is True
    assert p.diff(CID, outs, {**inputs(1), "nodes": prov.rpc.UNKNOWN}).changes is True
    assert p.diff(CID, outs, {**inputs(1), "cluster_id": "ehpc-lo-zzzzzzzzzz"}).replaces == ["cluster_id"]
    p.delete(CID, outs)
    assert recorded[-1] == ("detach", CID)


def test_compute_change():
    a = cluster_plan(SPEC, CID, [QueueArgs("comp", 2)]).to_dict()
    b = cluster_plan(SPEC, CID, [QueueArgs("comp", 1), QueueArgs("gpu", 1)]).to_dict()
    ch = compute_change(a, b)
    assert ch.added == ("compute-gpu0",) and ch.removed == ("compute1",)

"""Fakes for tests of the operations layer and the CLI: an in-memory engine, a recording configurator."""
import threading
from contextlib import contextmanager

import pytest

from ehpc_iac.configure import ConfigureResult
from ehpc_iac.engines.fake import FakeEngine
from ehpc_iac.errors import ConfigureError
from ehpc_iac.ops import Ehpc
from ehpc_iac.scheduler.base import QUEUED, STOPPED, JobInfo, JobScheduler


class FakeConfigurator:
    def __init__(self):
        self.calls = []
        self.fail = None

    def configure(self, plan, nodes, access, **kw):
        self.calls.append({"plan": plan, "nodes": nodes, "access": access, **kw})
        if self.fail:
            raise ConfigureError(self.fail)
        return ConfigureResult(ok=True, changed={h: 0 for h in nodes})


@pytest.fixture
def fake():
    return FakeEngine()


@pytest.fixture
def conf():
    return FakeConfigurator()


@pytest.fixture
def ehpc(tmp_path, fake, conf):
    return Ehpc(tmp_path / "home", engine_factory=lambda name: fake, configurator=conf)


class FakeJobs(JobScheduler):
    def __init__(self):
        self.submitted, self.jobs, self.calls, self.fail = [], {}, [], {}
        self.next = 100
        self.files = {}

    def submit(self, req):
        self.next += 1
        jid = str(self.next)
        self.submitted.append(req)
        self.jobs[jid] = JobInfo(id=jid, name=req.name or "", owner=req.user, state=QUEUED, raw_state="PENDING",
                                 queue=req.queue or "comp", rerunable=req.rerunable)
        return jid

    def list_jobs(self, owner=None):
        return [j for j in self.jobs.values() if owner is None or j.owner == owner]

    def describe(self, job_id):
        return self.jobs.get(job_id)

    def log(self, job_id, path, offset, size, user="root"):
        self.calls.append(("log", path, user))
        return self.files.get(path, "")[offset:offset + size]

    def _act(self, name, ids, state):
        self.calls.append((name, list(ids)))
        for i in ids:
            if i not in self.fail:
                self.jobs[i].state, self.jobs[i].raw_state = state
        return {i: self.fail[i] for i in ids if i in self.fail}

    def stop(self, ids):
        return self._act("stop", ids, (STOPPED, "CANCELLED"))

    def rerun(self, ids):
        return self._act("rerun", ids, (QUEUED, "PENDING"))

    def delete(self, ids):
        self.calls.append(("delete", list(ids)))
        for i in ids:
            self.jobs.pop(i, None)
        return {}


@pytest.fixture
def sched(ehpc, monkeypatch):
    """The cluster's job scheduler replaced by a FakeJobs."""
    s = FakeJobs()
    monkeypatch.setattr(type(ehpc), "_job_scheduler", lambda self, rec: s)
    return s


def cluster_with_user(ehpc, name: str, computes: int = 1) -> str:
    """A Tiny cluster with the NIS user carol, for the job tests."""
    cid = ehpc.create_cluster({"Name": name, "DeployMode": "Tiny", "EcsOrder.Compute.Count": computes})["ClusterId"]
    ehpc.add_users(ClusterId=cid, User=[{"Name": "carol", "Password": "Carl0s!pass"}])
    return cid


class FakeSlurmNodes:
    def __init__(self):
        self.drained, self.resumed, self.deleted = [], [], []
        self.jobs: dict[str, int] = {}
        self.states: dict[str, str] = {}

    def info(self):
        return {h: {"state": s, "cpus_alloc": 0, "cpus_total": 1, "features": []} for h, s in self.states.items()}

    def drain(self, nodes, reason):
        self.drained += nodes

    def resume(self, nodes):
        self.resumed += nodes
        for n in nodes:  # back in service: no longer drained by a fault
            getattr(self, "faults", {}).pop(n, None)
            if self.states.get(n, "").startswith(("drain", "down", "fail", "unknown", "not_responding")):
                self.states[n] = "idle"

    def jobs_on(self, nodes):
        out = {n: self.jobs.get(n, 0) for n in nodes}
        for n in nodes:  # jobs finish between polls
            self.jobs[n] = max(0, self.jobs.get(n, 0) - 1)
        return out

    def delete(self, nodes):
        self.deleted += nodes

    def problem(self):
        return None

    def fault_drained(self):
        return dict(getattr(self, "faults", {}))

    def settle_duplicate_launches(self, fault):
        held = getattr(self, "held", {})
        ids = [j for j, n in held.items() if n in fault]
        for j in ids:  # cancelled: gone from the queue
            held.pop(j)
        self.settled = getattr(self, "settled", []) + ids
        return ids

    def close(self):
        pass


def use_node_scheduler(ehpc, monkeypatch, s):
    """Node commands of every cluster go to ``s`` (drain polls fast)."""
    import ehpc_iac.ops.nodes as nodes_mod
    import ehpc_iac.ops.recovery as recovery_mod
    monkeypatch.setattr(type(ehpc), "_node_scheduler", lambda self, rec, nodes=None: s)
    monkeypatch.setattr(nodes_mod, "DRAIN_POLL_S", 0.01)
    monkeypatch.setattr(recovery_mod, "SETTLE_GAP_S", 0.01)
    return s


@pytest.fixture
def slurm(ehpc, monkeypatch):
    return use_node_scheduler(ehpc, monkeypatch, FakeSlurmNodes())


@contextmanager
def configure_held(conf):
    """The configuration step (Ansible) waits until the block ends; yields the event set when it starts."""
    gate, entered = threading.Event(), threading.Event()
    real = conf.configure

    def held(*a, **kw):
        entered.set()
        assert gate.wait(20)
        return real(*a, **kw)

    conf.configure = held
    try:
        yield entered
    finally:
        gate.set()
        conf.configure = real

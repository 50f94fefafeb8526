"""The auto scaler: a reconciler that grows queues when jobs wait and shrinks them when nodes idle.

Each round, for every cluster whose settings (SetAutoScaleConfig) enable it, the scaler reads
through the cluster's scheduler back end only (``NodeScheduler.info`` and ``pending_demand``),
so it serves every scheduler a cluster can have, and acts through the facade's own AddNodes
(``CreateMode=autoscale``) and DeleteNodes, under the cluster lock like any person's operation:

* **grow** (every GrowInterval): per queue, the nodes its waiting jobs need, less its idle and
  starting nodes, times ExtraNodesGrowRatio and GrowRatio, within MinNodesPerCycle,
  MaxNodesPerCycle, MaxNodesInQueue, MaxNodesInCluster and the scheduler's limit. A job larger
  than its queue may ever be is reported, not grown for.
* **health** (with each grow round): a node the scaler added that is not up in the scheduler (or
  whose machine is gone) GrowTimeout after it was added, or that was up and has been down for two
  rounds, is removed; the demand that remains brings a new one.
* **shrink** (every ShrinkInterval): a node idle ShrinkIdleTimes rounds in a row, while its queue
  has no waiting job, is drained, checked idle again (a job that slipped in keeps it: it is
  returned to service) and removed with DeleteNodes (which waits for running jobs and never kills
  one). Nodes added by hand (CreateMode=manual, or made by CreateCluster) are spared unless
  ``ShrinkManualNodes``; ExcludeNodes are never removed; MinNodesInQueue are kept.

A person's operation holding the cluster lock makes the scaler wait and retry on the next tick
(the ConflictOpt never reaches the person, nor the log as an error). Nodes the scaler was
removing when it was killed (``autoscale_shrinking``) are finished or returned to service on the
next round; nodes an interrupted AddNodes/DeleteNodes of the scaler left half-made are removed.
Every decision goes to the cluster's log (ListClusterLogs, operation ``AutoScale``) with its
reason; a message that repeats unchanged is written once.

One scaler acts per state directory: it holds the lease of ``autoscale_state`` while it runs.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from ..errors import ConflictOpt, EhpcError
from ..scheduler import PendingJob
from ..spec.catalog import INSTANCE_TYPES
from .autoscale_policy import ScalePolicy, fits, grow_count, nodes_needed, removable
from .autoscale_state import AutoScaleStore
from .core import RUNNING, new_request_id
from .lock import is_locked, lock_holder
from .queues import cluster_compute_type
from .state import ClusterRecord

log = logging.getLogger("ehpc_iac.autoscale")
OPERATION = "AutoScale"
UP_STATES = ("idle", "allocated", "mixed", "completing", "draining", "drained")
DOWN_ROUNDS = 2            # rounds a node that was up may be down before it is replaced


@dataclass
class ClusterMemory:
    """What the scaler remembers of a cluster between rounds (in this process only)."""
    next_grow: float = 0.0
    next_shrink: float = 0.0
    idle_rounds: dict[str, int] = field(default_factory=dict)
    seen_up: set[str] = field(default_factory=set)
    down_rounds: dict[str, int] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)


def _age_s(add_time: Optional[str]) -> float:
    if not add_time:
        return float("inf")
    t = datetime.strptime(add_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return time.time() - t.timestamp()


class Scaler:
    """``Scaler(ehpc).run()`` in the foreground, or ``start()``/``stop()`` in a thread (``serve``)."""

    def __init__(self, ehpc: Any, *, tick_s: float = 1.0, lease_ttl: float = 30.0, holder: Optional[str] = None,
                 clock=time.monotonic):
        self.ehpc = ehpc
        self.store = AutoScaleStore(ehpc.state)
        self.tick_s, self.lease_ttl, self.clock = tick_s, lease_ttl, clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._mem: dict[str, ClusterMemory] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._leased = threading.Event()

    # --- running ------------------------------------------------------------------------------
    def start(self) -> "Scaler":
        self._thread = threading.Thread(target=self.run, name="ehpc-iac-autoscale", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 60) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def run(self) -> None:
        """Tick until ``stop()``; the lease is kept by a heartbeat thread, released at the end."""
        beat = threading.Thread(target=self._heartbeat, name="ehpc-iac-autoscale-lease", daemon=True)
        beat.start()
        try:
            while not self._stop.is_set():
                if self._leased.is_set():
                    self.tick()
                self._stop.wait(self.tick_s)
        finally:
            self._stop.set()
            beat.join(5)
            self.store.release_lease(self.holder)

    def _heartbeat(self) -> None:
        waiting_said = None
        while not self._stop.is_set():
            if self.store.acquire_lease(self.holder, self.lease_ttl):
                if not self._leased.is_set():
                    log.info("auto scaler %s holds the lease of %s", self.holder, self.ehpc.home)
                self._leased.set()
                self._stop.wait(self.lease_ttl / 3)
                continue
            self._leased.clear()
            other = self.store.lease_holder()
            if other != waiting_said:
                log.info("another auto scaler (%s) acts for %s; waiting for its lease to end", other, self.ehpc.home)
                waiting_said = other
            self._stop.wait(min(self.tick_s * 5, self.lease_ttl / 3))

    def run_once(self) -> bool:
        """One round of every enabled cluster now, if this process can take the lease."""
        if not self.store.acquire_lease(self.holder, self.lease_ttl):
            return False
        try:
            self.tick(force=True)
        finally:
            self.store.release_lease(self.holder)
        return True

    def tick(self, force: bool = False) -> None:
        for cid, cfg in self.store.configs().items():
            if self._stop.is_set() and not force:
                return
            try:
                self.reconcile(cid, cfg, force=force)
            except Exception as exc:  # noqa: BLE001 - a round must not stop the scaler; the next one retries
                msg = exc.message if isinstance(exc, EhpcError) else f"{type(exc).__name__}: {exc}"
                self._note(cid, "", "round", "warn", f"auto scaling round failed: {msg}; the next round retries")

    # --- one round ----------------------------------------------------------------------------
    def reconcile(self, cluster_id: str, cfg: dict[str, Any], force: bool = False) -> None:
        now = self.clock()
        mem = self._mem.setdefault(cluster_id, ClusterMemory())
        grow_due, shrink_due = force or now >= mem.next_grow, force or now >= mem.next_shrink
        if not (grow_due or shrink_due):
            return
        rec = self.ehpc.state.get_cluster(cluster_id)
        if rec is None:
            self._mem.pop(cluster_id, None)
            return
        policy = ScalePolicy.of(cfg, [q.name for q in rec.plan.queues])
        if rec.status != RUNNING or not policy.active:
            return
        holder = lock_holder(self.ehpc.home / "locks", cluster_id)
        if holder:   # a person's operation (or our own in another thread): retry on the next tick
            log.debug("cluster %s busy (%s): the auto scaler waits", cluster_id, holder)
            return
        rid = new_request_id()
        sched = self.ehpc._node_scheduler(rec)
        info = sched.info()
        if self._finish_interrupted(rec, sched, rid):
            return
        pending = sched.pending_demand() if any(q.grow or q.shrink for q in policy.queues.values()) else []
        by_queue: dict[str, list[PendingJob]] = {}
        for j in pending:
            by_queue.setdefault(j.queue, []).append(j)
        if grow_due:
            mem.next_grow = now + policy.grow_interval_s
            if self._replace_broken(rec, info, policy, mem, rid) or self._grow(rec, info, by_queue, policy, mem, rid):
                return   # the cluster changed: shrink decisions wait for a fresh view
        if shrink_due:
            mem.next_shrink = now + policy.shrink_interval_s
            self._shrink(rec, sched, info, by_queue, policy, mem, rid)

    # --- grow -------------------------------------------------------------------------------------
    def _grow(self, rec: ClusterRecord, info: dict, by_queue: dict[str, list[PendingJob]], policy: ScalePolicy,
              mem: ClusterMemory, rid: str) -> bool:
        shrinking = set(self.store.shrinking(rec.id))
        for qp in policy.queues.values():
            if not qp.grow:
                continue
            queue = next(q for q in rec.plan.queues if q.name == qp.name)
            itype = qp.instance_type or queue.instance_type or cluster_compute_type(rec)
            cpus = INSTANCE_TYPES[itype].cpus
            jobs = by_queue.get(qp.name, [])
            never = [j for j in jobs if not fits(j, qp, cpus)]
            if never:
                self._note(rec.id, rid, f"never:{qp.name}", "warn",
                           f"queue {qp.name}: job(s) {', '.join(j.id for j in never[:10])} need more nodes than its "
                           f"MaxNodesInQueue ({qp.max_nodes}) and will not run until the limit is raised")
            fitting = [j for j in jobs if fits(j, qp, cpus)]
            in_queue = [n for n in rec.plan.computes if n.queue == qp.name]
            idle = [n for n in in_queue if info.get(n.hostname, {}).get("state") == "idle"
                    and n.hostname not in shrinking]
            starting = [n for n in in_queue if n.hostname not in info and _age_s(n.add_time) < policy.grow_timeout_s]
            need = nodes_needed(fitting, cpus) - len(idle) - len(starting) if fitting else 0
            d = grow_count(need, len(in_queue), len(rec.plan.computes), qp, policy,
                           self.ehpc.scheduler_backend(rec).max_compute_nodes)
            if d.count <= 0:
                if need > 0:
                    self._note(rec.id, rid, f"grow:{qp.name}", "info", f"queue {qp.name}: {len(fitting)} job(s) wait; "
                               f"{d.reason}; no node added")
                continue
            self._note(rec.id, rid, f"grow:{qp.name}", "info",
                       f"grow queue {qp.name} by {d.count} node(s) ({itype}): {len(fitting)} job(s) waiting "
                       f"({', '.join(f'{j.id}: {j.nodes} node(s), {j.reason}' for j in fitting[:5])}"
                       f"{' ...' if len(fitting) > 5 else ''}), {len(idle)} idle, {len(starting)} starting; "
                       f"{d.reason}", dedupe=False)
            params = {"ClusterId": rec.id, "Count": d.count, "JobQueue": qp.name, "CreateMode": "autoscale"}
            params.update({k: v for k, v in (("InstanceType", qp.instance_type), ("HostNamePrefix", qp.prefix),
                                             ("HostNameSuffix", qp.suffix)) if v})
            t0 = time.monotonic()
            if self._act(rec, mem, rid, "grow", lambda: self.ehpc.add_nodes(params)) is not None:
                self._note(rec.id, rid, f"grow:{qp.name}", "info",
                           f"queue {qp.name} grew by {d.count} node(s) in {time.monotonic() - t0:.1f}s", dedupe=False)
            return True
        return False

    def _replace_broken(self, rec: ClusterRecord, info: dict, policy: ScalePolicy, mem: ClusterMemory,
                        rid: str) -> bool:
        """Remove scaler-made nodes that never came up within GrowTimeout or that died."""
        outs = self.ehpc._inspect_quietly(rec)
        broken: dict[str, str] = {}
        for n in rec.plan.computes:
            if n.create_mode != "autoscale" or self._excluded(n, policy):
                continue
            state = info.get(n.hostname, {}).get("state", "missing")
            machine = outs[n.hostname].status if n.hostname in outs else "missing"
            if state in UP_STATES and machine == "running":
                mem.seen_up.add(n.hostname)
                mem.down_rounds.pop(n.hostname, None)
                continue
            if n.hostname in mem.seen_up:
                mem.down_rounds[n.hostname] = mem.down_rounds.get(n.hostname, 0) + 1
                if mem.down_rounds[n.hostname] >= DOWN_ROUNDS:
                    broken[n.hostname] = f"it died (scheduler: {state}, machine: {machine})"
            elif _age_s(n.add_time) > policy.grow_timeout_s:
                broken[n.hostname] = (f"not running {policy.grow_timeout_s:.0f}s after it was added (GrowTimeout; "
                                      f"scheduler: {state}, machine: {machine})")
        if not broken:
            return False
        for h, why in sorted(broken.items()):
            self._note(rec.id, rid, f"broken:{h}", "warn", f"replacing {h}: {why}", dedupe=False)
        self._delete(rec, mem, rid, sorted(broken), "replace")
        return True

    # --- shrink -----------------------------------------------------------------------------------
    def _shrink(self, rec: ClusterRecord, sched, info: dict, by_queue: dict[str, list[PendingJob]],
                policy: ScalePolicy, mem: ClusterMemory, rid: str) -> None:
        for qp in policy.queues.values():
            if not qp.shrink:
                continue
            in_queue = [n for n in rec.plan.computes if n.queue == qp.name]
            waiting = bool(by_queue.get(qp.name))
            candidates = [n.hostname for n in in_queue if (n.create_mode == "autoscale" or policy.shrink_manual)
                          and not self._excluded(n, policy)]
            for h in candidates:
                s = info.get(h, {})
                idle = s.get("state") == "idle" and not s.get("cpus_alloc") and not waiting
                mem.idle_rounds[h] = mem.idle_rounds.get(h, 0) + 1 if idle else 0
            ready = removable([h for h in candidates if mem.idle_rounds[h] >= policy.shrink_idle_times],
                              len(in_queue), qp)
            if ready:
                self._remove_idle(rec, sched, qp.name, ready, policy, mem, rid)

    def _remove_idle(self, rec: ClusterRecord, sched, queue: str, hosts: list[str], policy: ScalePolicy,
                     mem: ClusterMemory, rid: str) -> None:
        """Drain, check idle again, then DeleteNodes; a node that got a job meanwhile goes back to service."""
        self.store.mark_shrinking(rec.id, hosts)
        sched.drain(hosts, "autoscale: idle")
        busy = {h for h, n in sched.jobs_on(hosts).items() if n}
        busy |= {h for h, s in sched.info().items() if h in hosts and s.get("cpus_alloc")}
        if busy:
            self._resume(sched, sorted(busy))
            self.store.clear_shrinking(rec.id, sorted(busy))
            for h in busy:
                mem.idle_rounds[h] = 0
            self._note(rec.id, rid, f"kept:{queue}", "info", f"queue {queue}: kept {', '.join(sorted(busy))}: a job "
                       "started on it while it was being drained", dedupe=False)
        go = [h for h in hosts if h not in busy]
        if go:
            self._note(rec.id, rid, f"shrink:{queue}", "info",
                       f"shrink queue {queue}: removing {', '.join(go)}: idle {policy.shrink_idle_times} rounds in a "
                       f"row (ShrinkIdleTimes, every {policy.shrink_interval_s:.0f}s), drained and idle again",
                       dedupe=False)
            self._delete(rec, mem, rid, go, "shrink", sched=sched)

    # --- shared -------------------------------------------------------------------------------------
    def _delete(self, rec: ClusterRecord, mem: ClusterMemory, rid: str, hosts: list[str], kind: str,
                sched=None) -> None:
        ids = [{"Id": rec.plan.node(h).instance_id} for h in hosts]
        self.store.mark_shrinking(rec.id, hosts)
        done = self._act(rec, mem, rid, kind, lambda: self.ehpc.delete_nodes(
            {"ClusterId": rec.id, "Instance": ids, "DrainTimeout": 0}))
        if done is None and sched is not None:   # not removed: back to service, retried later
            self._resume(sched, hosts)
        self.store.clear_shrinking(rec.id, hosts)
        if done is not None:
            for h in hosts:
                mem.idle_rounds.pop(h, None)
                mem.seen_up.discard(h)
                mem.down_rounds.pop(h, None)
            self._note(rec.id, rid, f"{kind}:done", "info", f"removed {', '.join(hosts)}", dedupe=False)

    def _act(self, rec: ClusterRecord, mem: ClusterMemory, rid: str, kind: str, call) -> Optional[dict]:
        """Run an AddNodes/DeleteNodes; a person's operation in the way means: retry on the next tick."""
        try:
            with self.ehpc.as_scaler():
                return call()
        except ConflictOpt:
            mem.next_grow = mem.next_shrink = 0.0
            log.debug("cluster %s: %s waits for another operation", rec.id, kind)
        except EhpcError as exc:
            self._note(rec.id, rid, f"{kind}:failed", "warn", f"auto scaling {kind} failed: {exc.message}; the next "
                       "round retries", dedupe=False)
        return None

    def _finish_interrupted(self, rec: ClusterRecord, sched, rid: str) -> bool:
        """Finish what a killed scaler left: nodes it was removing, nodes of its interrupted AddNodes."""
        known = {n.hostname for n in rec.plan.nodes}
        marked = self.store.shrinking(rec.id)
        self.store.clear_shrinking(rec.id, [h for h in marked if h not in known])
        left = {h for h in marked if h in known}
        transient = self.ehpc.node_state.all(rec.id)
        if transient and not is_locked(self.ehpc.home / "locks", rec.id):
            left |= {h for h in transient if h in known and rec.plan.node(h).create_mode == "autoscale"}
        if not left:
            return False
        hosts = sorted(left)
        busy = {h for h, n in sched.jobs_on(hosts).items() if n}
        if busy:
            self._resume(sched, sorted(busy))
            self.store.clear_shrinking(rec.id, sorted(busy))
            self.ehpc.node_state.clear(rec.id, sorted(busy))
        go = [h for h in hosts if h not in busy]
        self._note(rec.id, rid, "interrupted", "warn", f"an interrupted auto scaling step left {', '.join(hosts)}: "
                   + (f"removing {', '.join(go)}" if go else "") + ("; " if go and busy else "")
                   + (f"returned {', '.join(sorted(busy))} to service (jobs run there)" if busy else ""), dedupe=False)
        if go:
            self._delete(rec, self._mem[rec.id], rid, go, "rollback", sched=sched)
        return True

    @staticmethod
    def _excluded(node, policy: ScalePolicy) -> bool:
        return node.hostname in policy.exclude or node.instance_id in policy.exclude

    @staticmethod
    def _resume(sched, hosts: list[str]) -> None:
        try:
            sched.resume(hosts)
        except EhpcError as exc:
            log.warning("could not return %s to service: %s", ", ".join(hosts), exc)

    def _note(self, cluster_id: str, rid: str, topic: str, level: str, message: str, dedupe: bool = True) -> None:
        mem = self._mem.setdefault(cluster_id, ClusterMemory())
        if dedupe and mem.said.get(topic) == message:
            return
        mem.said[topic] = message
        getattr(log, "warning" if level == "warn" else "info")("%s: %s", cluster_id, message)
        if self.ehpc.state.get_cluster(cluster_id) is not None:
            self.ehpc.state.add_log(cluster_id, rid or new_request_id(), OPERATION, level, message)


__all__ = ["ClusterMemory", "OPERATION", "Scaler"]

#!/usr/bin/env python3
"""Benchmark: create a Standard cluster (1 manager, 1 login, 2 compute), image cold and warm.

For each run it prints and records:
  image_s        making sure the node image exists (debootstrap + build when cold)
  machines_s     containers created and answering on SSH
  configure_s    Ansible configuration, ending with every compute idle in Slurm
  create_s       the whole CreateCluster call
  idle_s         from the start of CreateCluster until `sinfo` (polled independently
                 with docker exec) first shows every compute node idle
  converge2_s    a second converge of the running cluster (must change nothing)
  delete_s       DeleteCluster until nothing of the cluster is left

Usage: benchmarks/create_cluster.py [--cold] [--warm-runs N] [--out FILE]
--cold removes the ehpc-iac node and base images first, so the first run builds them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ehpc_iac.ops import Ehpc  # noqa: E402

SPEC = {"Name": "bench", "DeployMode": "Standard",
        "EcsOrder": {"Login": {"Count": 1}, "Compute": {"Count": 2}}}


def docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


def remove_images() -> None:
    refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    for ref in refs:
        if ref.startswith(("ehpc-iac/node:", "ehpc-iac/base:")):
            docker("rmi", "-f", ref)


class IdleWatcher(threading.Thread):
    """Polls sinfo on the scheduler container until every compute is idle."""

    def __init__(self, t0: float):
        super().__init__(daemon=True)
        self.t0, self.container, self.expected = t0, None, None
        self.idle_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.idle_at is None:
            if self.container:
                p = docker("exec", self.container, "sinfo", "-h", "-N", "-o", "%N %T")
                states = dict(line.split()[:2] for line in p.stdout.splitlines() if line.strip())
                if p.returncode == 0 and states and all(states.get(h) == "idle" for h in self.expected):
                    self.idle_at = time.monotonic() - self.t0
                    return
            time.sleep(0.1)


def one_run(ehpc: Ehpc, label: str) -> dict:
    marks: dict[str, float] = {}
    t0 = time.monotonic()
    watcher = IdleWatcher(t0)

    def progress(msg: str) -> None:
        now = time.monotonic() - t0
        if msg.startswith("creating") and "container(s)" in msg:  # the image is ready by then
            marks.setdefault("machines_start", now)
        if msg.startswith("all nodes answer on SSH"):
            marks["machines_end"] = now
        if msg.startswith("configuring nodes"):
            marks["configure_start"] = now
        if msg == "cluster is running":
            marks["configure_end"] = now

    holder: dict = {}

    def create() -> None:
        holder["resp"] = ehpc.create_cluster(SPEC, progress=progress)

    th = threading.Thread(target=create)
    th.start()
    # find the cluster id as soon as it is recorded, to point the watcher at its scheduler
    while th.is_alive() and watcher.container is None:
        _, recs = ehpc.state.list_clusters(0, 1)
        if recs and recs[0].name == "bench" and recs[0].status in ("creating", "init", "running"):
            watcher.container = recs[0].plan.container_name("scheduler0")
            watcher.expected = [n.hostname for n in recs[0].plan.computes]
            watcher.start()
        time.sleep(0.05)
    th.join()
    create_s = time.monotonic() - t0
    cid = holder["resp"]["ClusterId"]
    watcher.join(timeout=30)
    t1 = time.monotonic()
    conv = ehpc.reconverge(cid)
    converge2_s = time.monotonic() - t1
    t2 = time.monotonic()
    ehpc.delete_cluster(ClusterId=cid)
    delete_s = time.monotonic() - t2
    r = {
        "run": label,
        "image_s": round(marks.get("machines_start", 0.0), 2),
        "machines_s": round(marks.get("machines_end", 0) - marks.get("machines_start", 0), 2),
        "configure_s": round(marks.get("configure_end", 0) - marks.get("configure_start", 0), 2),
        "create_s": round(create_s, 2),
        "idle_s": round(watcher.idle_at, 2) if watcher.idle_at else None,
        "converge2_s": round(converge2_s, 2),
        "converge2_changed": sum(conv["AnsibleChanged"].values()) + int(conv["EngineChanged"]),
        "delete_s": round(delete_s, 2),
    }
    print(json.dumps(r), flush=True)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold", action="store_true", help="remove the images first (first run builds them)")
    ap.add_argument("--warm-runs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "create_cluster.json"))
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="ehpc-bench-") as home:
        ehpc = Ehpc(home)
        if args.cold:
            remove_images()
            runs.append(one_run(ehpc, "cold"))
        for i in range(args.warm_runs):
            runs.append(one_run(ehpc, f"warm{i + 1}"))
    warm = [r for r in runs if r["run"].startswith("warm")]
    summary = {
        "spec": SPEC,
        "runs": runs,
        "warm_median": {k: statistics.median(r[k] for r in warm) for k in
                        ("create_s", "idle_s", "machines_s", "configure_s", "converge2_s", "delete_s")}
        if warm else {},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print("\nrun      image   machines  configure  create  idle   converge2  delete")
    for r in runs:
        print(f"{r['run']:<8} {r['image_s']:6.1f}  {r['machines_s']:8.1f}  {r['configure_s']:9.1f}  "
              f"{r['create_s']:6.1f}  {r['idle_s'] or float('nan'):5.1f}  {r['converge2_s']:9.1f}  "
              f"{r['delete_s']:6.1f}")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

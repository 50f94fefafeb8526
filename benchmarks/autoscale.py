#!/usr/bin/env python3
"""Benchmark: auto scaling on a Tiny cluster, real Docker and Slurm, the scaler in a thread.

A queue `auto` starts with no node (auto grow and shrink on, 1 s rounds, ShrinkIdleTimes 2,
MaxNodesInQueue 8). Prints and writes JSON:
  submit_to_running_1_s   a 1-node job submitted to the empty queue, until Slurm runs it
  scale_in_1_s            from that job's end until its node is gone (includes the 2-round idle window)
  submit_to_running_8_s   the same for an 8-node job
  scale_in_8_s            from its end until the 8 nodes are gone
  rest_cpu_percent        the scaler's CPU use (this process, % of one core) over --rest seconds with
                          auto scaling enabled and nothing to do (1 s rounds: the worst case)
beside AWS ParallelCluster's 4-5 minutes from a waiting job to a running node (its issues #4236, #6479).

Usage: benchmarks/autoscale.py [--out FILE] [--rest 30]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ehpc_iac.ops import Ehpc  # noqa: E402
from ehpc_iac.ops.scaler import Scaler  # noqa: E402

PARALLELCLUSTER_S = (240, 300)


def dexec(container: str, *cmd: str) -> str:
    return subprocess.run(["docker", "exec", container, *cmd], capture_output=True, text=True).stdout


def until(cond, timeout: float, poll: float = 0.2) -> float:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"not within {timeout}s")
        time.sleep(poll)
    return time.monotonic() - t0


def auto_count(ehpc: Ehpc, cid: str) -> int:
    return sum(1 for n in ehpc.state.get_cluster(cid).plan.computes if n.queue == "auto")


def job_state(mgr: str, job: str) -> str:
    return dexec(mgr, "squeue", "-h", "-j", job, "-o", "%T").strip()


def one(ehpc: Ehpc, cid: str, mgr: str, nodes: int) -> tuple[float, float]:
    job = dexec(mgr, "sbatch", "--parsable", "-p", "auto", f"-N{nodes}", "-o", "/dev/null", "--wrap",
                "srun sleep 2").strip()
    to_run = until(lambda: job_state(mgr, job) in ("RUNNING", "COMPLETING", ""), 900)
    until(lambda: job_state(mgr, job) == "", 120)
    scale_in = until(lambda: auto_count(ehpc, cid) == 0, 300)
    return to_run, scale_in


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "autoscale.json"))
    ap.add_argument("--rest", type=float, default=30.0)
    args = ap.parse_args()
    res: dict = {"parallelcluster_submit_to_running_s": list(PARALLELCLUSTER_S)}
    with tempfile.TemporaryDirectory(prefix="ehpc-bench-") as home:
        ehpc = Ehpc(home)
        cid = ehpc.create_cluster({"Name": "bench-autoscale", "DeployMode": "Tiny",
                                   "EcsOrder": {"Compute": {"Count": 1}}})["ClusterId"]
        mgr = f"{cid}-manager0"
        scaler = None
        try:
            ehpc.add_queue(ClusterId=cid, QueueName="auto")
            ehpc.set_auto_scale_config({"ClusterId": cid, "GrowIntervalInSeconds": 1, "ShrinkIntervalInSeconds": 1,
                                        "ShrinkIdleTimes": 2, "Queues": [{
                                            "QueueName": "auto", "EnableAutoGrow": True, "EnableAutoShrink": True,
                                            "MaxNodesInQueue": 8}]})
            scaler = Scaler(ehpc, tick_s=0.2).start()
            time.sleep(3)    # the lease
            c0, w0 = time.process_time(), time.monotonic()
            time.sleep(args.rest)
            res["rest_cpu_percent"] = round(100 * (time.process_time() - c0) / (time.monotonic() - w0), 2)
            for n in (1, 8):
                to_run, scale_in = one(ehpc, cid, mgr, n)
                res[f"submit_to_running_{n}_s"] = round(to_run, 1)
                res[f"scale_in_{n}_s"] = round(scale_in, 1)
                print(f"{n} node(s): submit -> running {to_run:.1f}s, job end -> nodes gone {scale_in:.1f}s",
                      flush=True)
        finally:
            if scaler:
                scaler.stop()
            ehpc.delete_cluster(ClusterId=cid)
    res["load_average"] = list(map(float, Path("/proc/loadavg").read_text().split()[:3]))
    print(json.dumps(res, indent=2))
    print(f"ParallelCluster: {PARALLELCLUSTER_S[0] // 60}-{PARALLELCLUSTER_S[1] // 60} minutes from a waiting job to a "
          f"running node; here {res['submit_to_running_1_s']}s (1 node), {res['submit_to_running_8_s']}s (8 nodes)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

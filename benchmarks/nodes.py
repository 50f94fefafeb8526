#!/usr/bin/env python3
"""Benchmark: day-2 node operations on a Tiny cluster (manager0 + compute0), real Docker.

Prints and writes JSON:
  add_1_s / add_4_s / add_16_s   AddNodes of 1, 4 and 16 nodes until all are idle in Slurm
                                 (the operation returns after its verify step; sinfo is then
                                 checked independently with docker exec)
  delete_1_s                     DeleteNodes of one idle node (drain, remove, scontrol delete)
  recover_1_s                    RecoverCluster after `docker rm -f` of one compute node
The per-node cost of AddNodes is the figure to compare (ratios within one run).

Usage: benchmarks/nodes.py [--out FILE] [--sizes 1,4,16]
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


def sinfo(container: str) -> dict[str, str]:
    out = subprocess.run(["docker", "exec", container, "sinfo", "-h", "-N", "-o", "%N %T"],
                         capture_output=True, text=True).stdout
    return dict(line.split()[:2] for line in out.splitlines() if line.strip())


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return time.monotonic() - t0, r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "nodes.json"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    res: dict = {"sizes": sizes}
    with tempfile.TemporaryDirectory(prefix="ehpc-bench-") as home:
        ehpc = Ehpc(home)
        t, r = timed(lambda: ehpc.create_cluster({"Name": "bench-nodes", "DeployMode": "Tiny",
                                                 "EcsOrder": {"Compute": {"Count": 1}}}))
        cid = r["ClusterId"]
        res["create_s"] = round(t, 2)
        mgr = f"{cid}-manager0"
        try:
            for n in sizes:
                t, r = timed(lambda: ehpc.add_nodes(ClusterId=cid, Count=n))
                ids = r["InstanceIds"]["InstanceId"]
                hosts = {x["Id"]: x["HostName"] for x in ehpc.list_nodes_no_paging(ClusterId=cid)["Nodes"]["NodeInfo"]}
                states = sinfo(mgr)
                idle = sum(states.get(hosts[i]) == "idle" for i in ids)
                res[f"add_{n}_s"] = round(t, 2)
                res[f"add_{n}_per_node_s"] = round(t / n, 2)
                res[f"add_{n}_idle"] = idle
                print(f"AddNodes {n:>2}: {t:6.1f}s  ({t / n:5.2f}s per node, {idle}/{n} idle)", flush=True)
            victim = next(x for x in ehpc.list_nodes_no_paging(ClusterId=cid, Role="Compute")["Nodes"]["NodeInfo"]
                          if x["HostName"] != "compute0")
            t, _ = timed(lambda: ehpc.delete_nodes({"ClusterId": cid, "Instance.1.Id": victim["Id"]}))
            res["delete_1_s"] = round(t, 2)
            print(f"DeleteNodes 1: {t:6.1f}s", flush=True)
            subprocess.run(["docker", "rm", "-f", f"{cid}-compute0"], capture_output=True)
            t, _ = timed(lambda: ehpc.recover_cluster(ClusterId=cid))
            res["recover_1_s"] = round(t, 2)
            res["recover_idle"] = sinfo(mgr).get("compute0") == "idle"
            res["total_compute_nodes"] = len(ehpc.list_nodes_no_paging(ClusterId=cid, Role="Compute")["Nodes"]["NodeInfo"])
            print(f"RecoverCluster after one lost compute ({res['total_compute_nodes']} computes): {t:6.1f}s, "
                  f"compute0 idle: {res['recover_idle']}", flush=True)
        finally:
            t, _ = timed(lambda: ehpc.delete_cluster(ClusterId=cid))
            res["delete_cluster_s"] = round(t, 2)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

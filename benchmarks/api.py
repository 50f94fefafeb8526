#!/usr/bin/env python3
"""Benchmark: the HTTP endpoint under concurrent clients, idle and while a CreateCluster runs.

`ehpc-iac serve` runs as its own process on loopback over a Tiny cluster (manager0 + 1 compute)
with one NIS user and some queued jobs. Clients are threads, each with a keep-alive HTTP
connection, signing every request as the 2018 SDK does (signature 1.0, fresh nonce):

  idle        DescribeCluster and ListJobs at 10 and 50 concurrent clients for --seconds each:
              requests per second, p50 and p99 latency in ms.
  under load  the same while a second cluster is being created through the API (CreateCluster
              returns at once; Docker and Ansible work in the server's background); the run
              checks the creation was still going when each window ended.
  ratio       p50 and rps under load / idle, per action and client count (goal: <= 2x).

Prints the figures and writes JSON (benchmarks/results/api.json).

Usage: benchmarks/api.py [--seconds 4]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url  # noqa: E402

from ehpc_iac.api.keys import AccessKeyStore  # noqa: E402
from ehpc_iac.ops import Ehpc  # noqa: E402

USER, PASSWORD = "bench", "Bench!pass1"
CLIENTS = (10, 50)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(base: str, key: dict, params: dict) -> str:
    params = {"Version": "2018-04-12", "RegionId": "local", **params}
    url, _ = get_signed_url(params, key["AccessKeyId"], key["AccessKeySecret"], "JSON", "GET", {})
    return base + url


def load(base: str, key: dict, params: dict, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(timeout=60) as c:
            while time.monotonic() < stop:
                url = signed(base, key, params)
                t = time.perf_counter()
                try:
                    r = c.get(url)
                    err = None if r.status_code == 200 else f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    err = f"{type(exc).__name__}: {exc}"
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    if err:
                        errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    return {"clients": clients, "requests": len(lat), "errors": len(errors), "first_error": errors[:1],
            "rps": round(len(lat) / wall, 1), "p50_ms": round(statistics.median(lat) * 1000, 1),
            "p99_ms": round(pct(lat, 99) * 1000, 1)}


def round_of(base: str, key: dict, cid: str, seconds: float, label: str, still_busy=None) -> dict:
    out = {}
    for action in ("DescribeCluster", "ListJobs"):
        for n in CLIENTS:
            r = load(base, key, {"Action": action, "ClusterId": cid}, n, seconds)
            if still_busy is not None:
                r["create_still_running"] = still_busy()
            out[f"{action}@{n}"] = r
            print(f"  {label:10s} {action:16s} {n:3d} clients: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                  f"p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}"
                  + ("" if still_busy is None else f"  create running: {r['create_still_running']}"), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "api.json"))
    args = ap.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    res: dict = {"seconds_per_window": args.seconds, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="ehpc-bench-api-") as home:
        ehpc = Ehpc(home)
        cid = ehpc.create_cluster({"Name": "bench-api", "DeployMode": "Tiny",
                                   "EcsOrder": {"Compute": {"Count": 1}}})["ClusterId"]
        server = None
        try:
            ehpc.add_users({"ClusterId": cid, "User": [{"Name": USER, "Password": PASSWORD}]})
            for i in range(20):   # a queue to list: long jobs, most of them pending
                ehpc.submit_job({"ClusterId": cid, "CommandLine": "sleep 600", "RunasUser": USER, "Name": f"b{i}"})
            key = AccessKeyStore(home).create("bench")
            port = free_port()
            cli = str(Path(sys.executable).with_name("ehpc-iac"))
            server_log = open(Path(args.out).with_suffix(".server.log"), "w")
            server = subprocess.Popen([cli, "--home", home, "serve", "--port", str(port), "--log-level", "warning"],
                                      stdout=server_log, stderr=subprocess.STDOUT, text=True)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(base + "/api/openapi.json", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"server did not start; see {server_log.name}")
                    time.sleep(0.2)
            print(f"server {base}, cluster {cid}, {args.seconds:.0f} s per window")
            load(base, key, {"Action": "DescribeCluster", "ClusterId": cid}, 10, 1.0)   # warm up
            res["idle"] = round_of(base, key, cid, args.seconds, "idle")

            r = httpx.get(signed(base, key, {"Action": "CreateCluster", "Name": "bench-api-2", "DeployMode": "Tiny",
                                             "EcsOrder.Compute.Count": "1"}), timeout=60)
            r.raise_for_status()
            cid2 = r.json()["ClusterId"]
            t_create = time.monotonic()
            res["create_cluster_response_ms"] = round(r.elapsed.total_seconds() * 1000, 1)

            def busy() -> bool:
                rec = ehpc.state.get_cluster(cid2)
                return bool(rec and rec.status in ("uninit", "creating", "init"))

            res["under_create"] = round_of(base, key, cid, args.seconds, "creating", busy)
            while busy():
                time.sleep(1)
            res["create_cluster_s"] = round(time.monotonic() - t_create, 1)
            res["create_cluster_final_status"] = ehpc.state.get_cluster(cid2).status
            res["ratios"] = {k: {"p50": round(res["under_create"][k]["p50_ms"] / res["idle"][k]["p50_ms"], 2),
                                 "rps": round(res["idle"][k]["rps"] / max(res["under_create"][k]["rps"], 0.1), 2)}
                             for k in res["idle"]}
            print(f"CreateCluster answered in {res['create_cluster_response_ms']} ms, finished after "
                  f"{res['create_cluster_s']} s ({res['create_cluster_final_status']})")
            for k, v in res["ratios"].items():
                print(f"  slowdown while creating  {k:20s} p50 x{v['p50']}  throughput x{v['rps']}")
            ehpc.delete_cluster(ClusterId=cid2)
        finally:
            if server:
                server.terminate()
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()
            ehpc.delete_cluster(ClusterId=cid)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

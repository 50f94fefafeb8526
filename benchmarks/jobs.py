#!/usr/bin/env python3
"""Benchmark: SubmitJob through the facade against the scheduler's own submit command (sbatch, qsub),
and ListJobs with a full queue, per scheduler (--scheduler slurm|pbs).

On a Tiny cluster (manager0 + 1 compute), with one NIS user:
  submit latency   N submissions each way, interleaved (facade, then plain, ...), so both
                   see the same machine noise; median and p95 in ms, and their ratio.
                   Baselines: `sbatch` over one persistent SSH connection to the login node
                   (the scheduler's own cost) and `docker exec ... sbatch` (by hand from the host).
  throughput       jobs per second of each, sequential.
  ListJobs         with 1,000 jobs in the queue (held, submitted with plain sbatch), page of 50:
                   median and p95 in ms, against `squeue` (`qstat`) over SSH.
Prints the figures and writes JSON (benchmarks/results/jobs.json).

Usage: benchmarks/jobs.py [--scheduler slurm|pbs] [--n 40] [--queue 1000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ehpc_iac.ops import Ehpc  # noqa: E402
from ehpc_iac.ssh import SSHNode  # noqa: E402

USER, PASSWORD = "bench", "Bench!pass1"
HOME = f"/home/{USER}"
# per scheduler: submit one `true` job (argv, run as USER), the same held, list the queue, count it
RAW = {
    "slurm": {"submit": ["sbatch", "--parsable", "--wrap", "true"],
              "held": "sbatch -H --parsable --wrap true", "list": ["squeue", "-h", "-o", "%i %T"],
              "count": "squeue -h | wc -l", "names": ("sbatch", "squeue")},
    "pbs": {"submit": ["env", "-C", HOME, "qsub", "-k", "oed", "-j", "oe", "-o", "/dev/null", "--", "/bin/true"],
            "held": f"cd {HOME} && qsub -h -k oed -j oe -o /dev/null -- /bin/true",
            "list": ["qstat"], "count": "qstat | tail -n +3 | wc -l", "names": ("qsub", "qstat")},
}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summary(xs: list[float]) -> dict:
    return {"median_ms": round(statistics.median(xs) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1),
            "jobs_per_s": round(len(xs) / sum(xs), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheduler", choices=sorted(RAW), default="slurm")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--queue", type=int, default=1000)
    ap.add_argument("--out", default=None, help="default benchmarks/results/jobs.json (jobs-<scheduler>.json)")
    args = ap.parse_args()
    raw = RAW[args.scheduler]
    sub, lst = raw["names"]
    suffix = "" if args.scheduler == "slurm" else f"-{args.scheduler}"
    args.out = args.out or str(ROOT / "benchmarks" / "results" / f"jobs{suffix}.json")
    res: dict = {"scheduler": args.scheduler, "n": args.n, "queue": args.queue}
    with tempfile.TemporaryDirectory(prefix="ehpc-bench-") as home:
        ehpc = Ehpc(home)
        cid = ehpc.create_cluster({"Name": "bench-jobs", "DeployMode": "Tiny", "SchedulerType": args.scheduler,
                                   "EcsOrder": {"Compute": {"Count": 1}}})["ClusterId"]
        try:
            ehpc.add_users({"ClusterId": cid, "User": [{"Name": USER, "Password": PASSWORD}]})
            rec = ehpc.state.get_cluster(cid)
            mgr = ehpc.engine("docker").inspect(rec.plan)["manager0"]
            ssh = SSHNode(mgr.address, ehpc.access(cid).private_key_file)
            container = f"{cid}-manager0"
            facade, plain_ssh, plain_exec = [], [], []
            for _ in range(args.n):
                t = time.perf_counter()
                ehpc.submit_job(ClusterId=cid, CommandLine="true", RunasUser=USER, Name="bench")
                facade.append(time.perf_counter() - t)
                t = time.perf_counter()
                r = ssh.run(["runuser", "-u", USER, "--", *raw["submit"]])
                plain_ssh.append(time.perf_counter() - t)
                assert r.exit_code == 0, r.stderr
                t = time.perf_counter()
                subprocess.run(["docker", "exec", "-u", USER, container, *raw["submit"]],
                               check=True, capture_output=True)
                plain_exec.append(time.perf_counter() - t)
            res["submit_facade"] = summary(facade)
            res[f"submit_{sub}_ssh"] = summary(plain_ssh)
            res[f"submit_{sub}_docker_exec"] = summary(plain_exec)
            res[f"ratio_facade_vs_{sub}_ssh"] = round(statistics.median(facade) / statistics.median(plain_ssh), 2)
            res[f"ratio_facade_vs_{sub}_docker_exec"] = round(statistics.median(facade)
                                                              / statistics.median(plain_exec), 2)
            for k in ("submit_facade", f"submit_{sub}_ssh", f"submit_{sub}_docker_exec"):
                print(f"{k:<28} median {res[k]['median_ms']:7.1f} ms  p95 {res[k]['p95_ms']:7.1f} ms  "
                      f"{res[k]['jobs_per_s']:6.1f} jobs/s", flush=True)
            print(f"ratio facade / {sub} over SSH: {res[f'ratio_facade_vs_{sub}_ssh']}x, "
                  f"facade / docker exec {sub}: {res[f'ratio_facade_vs_{sub}_docker_exec']}x", flush=True)

            t = time.perf_counter()
            r = ssh.run(["runuser", "-u", USER, "--", "sh", "-c",
                         f"for i in $(seq {args.queue}); do {raw['held']} >/dev/null || exit 1; "
                         "done"], timeout=1200)
            assert r.exit_code == 0, r.stderr
            res["fill_queue_s"] = round(time.perf_counter() - t, 1)
            queued = int(ssh.run(["sh", "-c", raw["count"]]).stdout)
            res["jobs_in_queue"] = queued
            lj, sq = [], []
            for _ in range(10):
                t = time.perf_counter()
                out = ehpc.list_jobs(ClusterId=cid, PageSize=50)
                lj.append(time.perf_counter() - t)
                t = time.perf_counter()
                ssh.run(raw["list"])
                sq.append(time.perf_counter() - t)
            res["list_jobs_total_count"] = out["TotalCount"]
            res["list_jobs"] = summary(lj)
            res[f"{lst}_ssh"] = summary(sq)
            print(f"ListJobs with {queued} jobs in the queue (TotalCount {out['TotalCount']}): median "
                  f"{res['list_jobs']['median_ms']} ms, p95 {res['list_jobs']['p95_ms']} ms; {lst} over SSH "
                  f"median {res[f'{lst}_ssh']['median_ms']} ms", flush=True)
            ssh.close()
        finally:
            ehpc.delete_cluster(ClusterId=cid)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(res, indent=2))
    print(f"written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

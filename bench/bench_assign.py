"""`segments assign` on a million customers: wall time and peak memory of a fresh process.

A model is built by a run on 20,000 synthetic customers (k-means); then 1,000,000 new customers from
the same generator (another seed) are written as TSV and placed with `segments assign`, in a child
process whose wall time, CPU time (user + system) and peak resident memory are read from the kernel
(wait4: that child's own usage). On a shared machine the wall time grows with the load; the CPU
time does not.

    .venv/bin/python bench/bench_assign.py [--customers 1000000] [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import synth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--train", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-assign-") as tmp:
        tmp = Path(tmp)
        train, _ = synth.generate(args.train, 4, seed=1)
        synth.write(train, tmp / "train.tsv")
        cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
        cfg["customers"] = {"path": "train.tsv"}
        cfg["segmentation"] = {"algorithm": "kmeans"}
        (tmp / "config.yml").write_text(yaml.safe_dump(cfg))
        subprocess.run([sys.executable, "-m", "analysis", "report", "--config", str(tmp / "config.yml"),
                        "--out", str(tmp / "run"), "--sources-only"], check=True, capture_output=True)
        new, _ = synth.generate(args.customers, 4, seed=2)
        synth.write(new.assign(ID=new["ID"] + 10_000_000), tmp / "new.tsv")
        size = (tmp / "new.tsv").stat().st_size
        walls, cpus, peaks = [], [], []
        for _ in range(args.runs):
            wall, cpu, peak, out = _run([sys.executable, "-m", "analysis", "assign", "--model",
                                         str(tmp / "run/exports/model"), "--customers", str(tmp / "new.tsv"),
                                         "--out", str(tmp / "placed.csv")])
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
        print(f"segments assign, {args.customers:,} customers ({size / 1e6:.0f} MB TSV), model from "
              f"{args.train:,}: median wall {statistics.median(walls):.1f} s over {args.runs} runs "
              f"({min(walls):.1f} to {max(walls):.1f}); CPU (user + system) {statistics.median(cpus):.1f} s; "
              f"peak memory {max(peaks):,.0f} MiB")
        print(out.strip())


def _run(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall time, CPU time and peak resident memory of this one child (os.wait4: its own rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"segments assign failed (exit {child.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out  # KiB -> MiB


if __name__ == "__main__":
    main()

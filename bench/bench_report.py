"""Time `segments report` end to end, as a user runs it, and report wall time and peak memory.

    python bench/bench_report.py [--runs 5] [--config data/marketing_campaign.yml] [--pdf]

Each run is a fresh process (Python start-up and imports included) writing into a temporary
folder; peak memory is the largest resident set of the child process (ru_maxrss).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(config: Path, pdf: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="segments-bench-") as out:
        cmd = [sys.executable, "-m", "analysis", "report", "--config", str(config), "--out", out]
        if not pdf:
            cmd.append("--no-pdf")
        start = time.perf_counter()
        pid = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(pid.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"run failed: {pid.stderr.read().decode()}")
        return wall, usage.ru_maxrss / 1024  # MiB (ru_maxrss is in KiB on Linux)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--config", type=Path, default=ROOT / "data" / "marketing_campaign.yml")
    ap.add_argument("--pdf", action="store_true", help="include the PDF (default: --no-pdf)")
    args = ap.parse_args()
    one_run(args.config, args.pdf)  # warm the file cache and compiled bytecode
    runs = [one_run(args.config, args.pdf) for _ in range(args.runs)]
    walls = [w for w, _ in runs]
    peak = max(m for _, m in runs)
    what = "segments report" + ("" if args.pdf else " --no-pdf")
    print(f"{what} on {args.config.name}: {args.runs} runs on {os.cpu_count()} cores")
    print(f"wall time: median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()

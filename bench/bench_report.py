"""Time `segments report` end to end, as a user runs it, and report wall time and peak memory.

    python bench/bench_report.py [--runs 5] [--config data/marketing_campaign.yml] [--pdf]
    python bench/bench_report.py --synthetic 100000 [--runs 3]   # planted customers, 5 segments

Each run is a fresh process (Python start-up and imports included) writing into a temporary
folder; peak memory is the largest resident set of the child process (ru_maxrss).
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


def synthetic_config(n: int) -> Path:
    import yaml

    sys.path.insert(0, str(ROOT))
    from analysis import synth

    folder = Path(tempfile.mkdtemp(prefix="segments-bench-data-"))
    df, _ = synth.generate(n, 5, seed=1)
    synth.write(df, folder / "customers.parquet")
    cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
    cfg["customers"] = {"path": "customers.parquet"}
    cfg["report"]["title"] = f"{n:,} synthetic customers"
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder / "config.yml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--config", type=Path, default=ROOT / "data" / "marketing_campaign.yml")
    ap.add_argument("--pdf", action="store_true", help="include the PDF (default: --no-pdf)")
    ap.add_argument("--synthetic", type=int, metavar="N",
                    help="benchmark on N synthetic customers (analysis.synth, 5 planted segments) instead")
    args = ap.parse_args()
    if args.synthetic:
        args.config = synthetic_config(args.synthetic)
    one_run(args.config, args.pdf)  # warm the file cache and compiled bytecode
    runs = [one_run(args.config, args.pdf) for _ in range(args.runs)]
    walls = [w for w, _ in runs]
    peak = max(m for _, m in runs)
    what = "segments report" + ("" if args.pdf else " --no-pdf")
    data = f"{args.synthetic:,} synthetic customers" if args.synthetic else args.config.name
    print(f"{what} on {data}: {args.runs} runs on {os.cpu_count()} cores")
    print(f"wall time: median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()

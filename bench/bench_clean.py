"""Time the cleaning of a customer table and the CSV of its features, in this process.

    python bench/bench_clean.py [--customers 1000000] [--runs 3]
    python bench/bench_clean.py --config path/to/config.yml [--runs 3]

The synthetic table is made once by `segments synth` (seed 1, as bench_scale.py makes it) into
/tmp/segments-bench-scale. The table is read once; then `cleaning.clean` runs --runs times, and the
features built from the cleaned customers are written as `customers_features.csv` is (rounded to 6
places, with the customer ids) --runs times. Prints the median and the range of each, with a digest
of the cleaned data and of the CSV (the same digest: the same output).
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _timed(fn, runs: int):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, times


def _line(what: str, times: list[float], digest: str) -> str:
    return (f"{what}: median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}) "
            f"over {len(times)} runs; digest {digest}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--config", type=Path, help="a config of your own instead of the synthetic table")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "segments-bench-scale")
    args = ap.parse_args()

    from bench_scale import synth_data

    from analysis.config import load_config
    from analysis.ingest.checking import with_input
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    try:
        from analysis.publish.exports import csv_bytes
    except ImportError:  # earlier code, for a comparison: the text itself
        from analysis.publish.exports import csv_text as csv_bytes
    from analysis.segment.features import build_features

    path = args.config or synth_data(args.data, args.customers)
    cfg = with_input(load_config(path), path, None, None)
    table = load_customers(cfg)
    data, times = _timed(lambda: clean(table, cfg), args.runs)
    cleaned = hashlib.sha256(data.customers.to_csv().encode() + repr(data.log).encode()).hexdigest()[:12]
    print(_line(f"cleaning {len(table.frame):,} rows x {table.frame.shape[1]} columns", times, cleaned))
    features = build_features(data, cfg).table.round(6)
    text, times = _timed(lambda: csv_bytes(features, index=True), args.runs)
    written = hashlib.sha256(text if isinstance(text, bytes) else text.encode()).hexdigest()[:12]
    print(_line(f"features CSV ({features.shape[1]} columns, {len(text) / 1e6:.0f} MB)", times, written))


if __name__ == "__main__":
    main()

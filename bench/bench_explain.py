"""Time the surrogate-tree explanation alone on a run's own inputs.

    python bench/bench_explain.py /tmp/segments-bench-scale/c1000000/config.yml [--runs 3]

The pipeline runs up to the explanation (load, clean, features, model search, profiles, response
model), whose inputs are kept; then `explain` is timed --runs times in this process and the
median printed, with a digest of its rules and effects (the same digest: the same explanation).
The 1,000,000-customer table is made by `python bench/bench_scale.py --customers 1000000`.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class _Captured(Exception):
    pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from analysis import pipeline
    from analysis.config import load_config
    from analysis.ingest.checking import with_input
    from analysis.segment.explain import explain

    kept = {}

    def capture(*a, **k):
        kept["args"] = (a, k)
        raise _Captured

    pipeline.explain = capture
    cfg = with_input(load_config(args.config), args.config, None, None)
    try:
        pipeline.analyse(cfg)
    except _Captured:
        pass
    a, k = kept["args"]
    times, digest = [], None
    for _ in range(args.runs):
        start = time.perf_counter()
        e = explain(*a, **k)
        times.append(time.perf_counter() - start)
        digest = hashlib.md5(repr((e.depth, e.accuracy, e.rules, e.distinguishing)).encode()).hexdigest()
    print(f"{len(a[1]):,} customers: explain {statistics.median(times):.1f} s median of "
          f"{', '.join(f'{t:.1f}' for t in times)}; depth {e.depth}, accuracy {e.accuracy:.4f}; digest {digest}")


if __name__ == "__main__":
    main()

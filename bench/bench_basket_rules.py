"""The rules stage alone (`baskets.basket_rules`: every level, over all baskets and per planted
segment) on synthetic order lines, with CPU time beside wall time and a digest of every rule.

    python bench/bench_basket_rules.py [--lines 3000000] [--customers 150000] [--runs 3]

The lines are generated once with `segments synth --transactions` (seed 1, 5 planted segments)
into --data and loaded once (DuckDB, as the report does); the planted segments stand in for the
chosen ones. The digest (SHA-256 of every level's and segment's rules with their counts and
lifts, and the promotions with their reach; not money, whose sums DuckDB may add in another order)
is the same for two versions of the code exactly when they find the same rules. CPU time
(user + system of this process) is printed because wall time on a shared machine is not.
"""
from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from analysis.config import load_config
from analysis.ingest.orders import load_orders
from analysis.insight.baskets import basket_rules


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def digest(result) -> str:
    parts = []
    for level in result.levels:
        parts.append(repr((level.level, level.n_rules, [(r.lhs, r.rhs, r.count) for r in level.top])))
        for s in level.segments:
            parts.append(repr((s.segment, s.baskets, s.n_rules,
                               [(r.lhs, r.rhs, r.count, round(r.lift, 9)) for r in s.top + s.distinctive],
                               [(p.kind, p.rule.lhs, p.rule.rhs, p.reach, round(p.expected_buyers, 6))
                                for p in s.promotions])))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=3_000_000)
    ap.add_argument("--customers", type=int, default=150_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "segments-bench-rules-stage")
    args = ap.parse_args()
    folder = args.data / f"l{args.lines}"
    if not (folder / "config.yml").exists():
        subprocess.run([sys.executable, "-m", "analysis", "synth", "--customers", str(args.customers), "--segments", "5",
                        "--seed", "1", "--transactions", str(args.lines), "--out", str(folder)], check=True)
    cfg = load_config(folder / "config.yml")
    baskets = load_orders(cfg).baskets
    truth = pd.read_csv(folder / "truth.csv")
    segment_of = pd.Series(truth["planted_segment"].astype("category").cat.codes.to_numpy(),
                           index=truth["customer_id"].astype(str))
    walls, cpus, digests = [], [], set()
    for _ in range(args.runs):
        w, c = time.perf_counter(), cpu()
        result = basket_rules(baskets, segment_of, set(range(5)), cfg.baskets, cfg.seed)
        walls.append(time.perf_counter() - w)
        cpus.append(cpu() - c)
        digests.add(digest(result))
    print(f"{args.lines:,} order lines, {baskets.n_orders:,} baskets: rules stage "
          f"wall {statistics.median(walls):.2f} s, CPU {statistics.median(cpus):.2f} s (median of {args.runs}); "
          f"rules digest {', '.join(sorted(digests))}; "
          + "; ".join(f"{lv.level}: {lv.n_rules} rules over all baskets" for lv in result.levels))


if __name__ == "__main__":
    main()

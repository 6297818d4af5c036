"""Time `segments rules` end to end on synthetic baskets, beside mlxtend on a dense DataFrame.

    python bench/bench_rules.py [--runs 3] [--baskets 100000] [--items 3000] [--seed 0]
                                [--min-support 0.001] [--min-confidence 0.3] [--no-dense]

The baskets (seeded) have a long-tailed item popularity (Zipf-like: a few items in many baskets,
most items rare), basket sizes with a long tail (geometric, mean 5) and planted co-purchase
groups of 2 to 4 mid-popularity items, and are written one basket per line. Each run is a fresh
process reading that file and writing the CSV (Python start-up and imports included); peak
memory is the largest resident set of the child (ru_maxrss from wait4).

The straightforward alternative reads the same file, one-hot encodes it into a dense boolean
DataFrame (mlxtend's TransactionEncoder) and runs mlxtend's fpgrowth and association_rules. Its
rules always have a non-empty lhs and any number of items on the right, so both are run with
--min-length 2 and no --max-consequent, and their rule counts should agree.
Target for `segments rules` on 100,000 baskets: under 60 s and 2 GB.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

DENSE = """
import sys
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

path, support, confidence = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
lists = [[i.strip() for i in line.split(",") if i.strip()] for line in open(path) if line.strip()]
encoder = TransactionEncoder()
onehot = pd.DataFrame(encoder.fit(lists).transform(lists), columns=encoder.columns_)
frequent = fpgrowth(onehot, min_support=support, use_colnames=True)
rules = association_rules(frequent, num_itemsets=len(onehot), metric="confidence", min_threshold=confidence)
rules.to_csv(sys.stdout, index=False)
print(f"dense one-hot: {onehot.shape[0]} x {onehot.shape[1]}", file=sys.stderr)
"""


def generate(path: Path, n_baskets: int, n_items: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    names = np.array([f"P{j:05d}" for j in range(n_items)])
    popularity = 1.0 / (np.arange(n_items) + 5.0) ** 1.05
    popularity /= popularity.sum()
    sizes = np.minimum(rng.geometric(0.2, n_baskets), 60)
    draws = rng.choice(n_items, size=int(sizes.sum()), p=popularity)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    # 60 groups of 2-4 items from the middle of the catalogue, each bought together (every item
    # with probability 0.85) in about 0.4% of baskets.
    middle = np.arange(100, min(n_items, 2000))
    groups = [rng.choice(middle, size=rng.integers(2, 5), replace=False) for _ in range(60)]
    with_group = rng.random(n_baskets) < 0.25
    group_of = rng.integers(0, len(groups), n_baskets)
    pairs = 0
    with open(path, "w") as out:
        for b in range(n_baskets):
            items = draws[bounds[b]:bounds[b + 1]]
            if with_group[b]:
                g = groups[group_of[b]]
                items = np.concatenate([items, g[rng.random(len(g)) < 0.85]])
            items = np.unique(items)
            pairs += len(items)
            out.write(",".join(names[items]) + "\n")
    return {"pairs": pairs, "groups": len(groups)}


def run(cmd: list[str], out_path: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, CSV rows written."""
    with open(out_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{err}")
    with open(out_path) as f:
        rows = sum(1 for _ in f) - 1
    return wall, usage.ru_maxrss / 1024, rows


def summary(name: str, runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    walls = [w for w, _, _ in runs]
    peak = max(m for _, m, _ in runs)
    rules = runs[0][2]
    median = statistics.median(walls)
    print(f"{name}: median {median:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
          f"peak RSS {peak:.0f} MiB, {rules:,} rules")
    return median, peak, rules


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baskets", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-support", default="0.001")
    ap.add_argument("--min-confidence", default="0.3")
    ap.add_argument("--no-dense", action="store_true", help="skip the dense mlxtend alternative")
    ap.add_argument("--dense-limit-gb", type=float, default=8.0,
                    help="skip the dense route when its one-hot table alone would exceed this (default 8)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="segments-bench-rules-") as tmp:
        folder = Path(tmp)
        data = folder / "baskets.txt"
        start = time.perf_counter()
        info = generate(data, args.baskets, args.items, args.seed)
        print(f"data: {args.baskets:,} baskets over a catalogue of {args.items:,} items, "
              f"{info['pairs']:,} basket-item pairs, {info['groups']} planted groups, seed {args.seed} "
              f"({data.stat().st_size / 1e6:.1f} MB, generated in {time.perf_counter() - start:.1f} s)")
        thresholds = ["--min-support", args.min_support, "--min-confidence", args.min_confidence, "--min-length", "2"]
        print(f"thresholds: {' '.join(thresholds)}; {args.runs} runs each on {os.cpu_count()} cores")
        ours = [sys.executable, "-m", "analysis", "rules", str(data), *thresholds]
        run(ours, folder / "warm.csv")  # warm the file cache and compiled bytecode
        mine = summary("segments rules", [run(ours, folder / "ours.csv") for _ in range(args.runs)])
        print(f"target: under 60 s and 2048 MiB: {'met' if mine[0] < 60 and mine[1] < 2048 else 'MISSED'}")
        if args.no_dense:
            return
        dense_gb = args.baskets * args.items / 1e9  # one byte per cell, before pandas' copies
        if dense_gb > args.dense_limit_gb:
            print(f"dense mlxtend: skipped, its one-hot table would hold {dense_gb:.1f} GB")
            return
        dense_cmd = [sys.executable, "-c", DENSE, str(data), args.min_support, args.min_confidence]
        dense = summary("dense mlxtend", [run(dense_cmd, folder / "dense.csv") for _ in range(args.runs)])
        print(f"ratio dense / segments rules: time {dense[0] / mine[0]:.1f}x, memory {dense[1] / mine[1]:.1f}x")
        compare(folder / "ours.csv", folder / "dense.csv", args.baskets, args.min_support, args.min_confidence)


def compare(ours_csv: Path, dense_csv: Path, n: int, support: str, confidence: str) -> None:
    """Do both routes find the same rules? Those only one finds should sit exactly on a threshold,
    where mlxtend's float comparisons (ceil(s * n), support ratio) drop rules arules keeps."""
    import pandas as pd

    ours = pd.read_csv(ours_csv, keep_default_na=False)
    dense = pd.read_csv(dense_csv, keep_default_na=False)
    def braces(frozen: str) -> str:  # "frozenset({'a', 'b'})" -> "{a,b}"
        return "{" + ",".join(sorted(frozen[frozen.index("{") + 1:frozen.rindex("}")].replace("'", "").split(", "))) + "}"
    dense_keys = set(zip(dense["antecedents"].map(braces), dense["consequents"].map(braces)))
    ours_rows = {(r.lhs, r.rhs): r for r in ours.itertuples(index=False)}
    only_ours = set(ours_rows) - dense_keys
    only_dense = dense_keys - set(ours_rows)
    s, c = Fraction(support), Fraction(confidence)
    on_threshold = sum(1 for k in only_ours if Fraction(int(ours_rows[k].count), n) == s
                       or Fraction(int(ours_rows[k].count), round(ours_rows[k].coverage * n)) == c)
    print(f"rules in both: {len(dense_keys & set(ours_rows)):,}; only segments rules: {len(only_ours)} "
          f"({on_threshold} exactly on a threshold); only dense mlxtend: {len(only_dense)}")


if __name__ == "__main__":
    main()

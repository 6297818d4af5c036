"""How much the choice of k on a large table depends on which customers the search samples.

    python bench/bench_search_samples.py /tmp/segments-bench-scale/l20000000 --seeds 42 1 2 3 4 5

The folder is one written by `bench/bench_scale.py --lines N` (or `segments synth --transactions`):
its config.yml and truth.csv (customer_id, planted_segment). The features of every customer are
built once by the report's own route (load, clean, features) and cached beside the data
(features.npy, features_ids.csv); then `selection.search` runs once per seed, each drawing its own
search sample, and the chosen method, k, structure and the ARI of the sample's labels against the
planted segments are printed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.config import load_config  # noqa: E402
from analysis.ingest.cleaning import clean  # noqa: E402
from analysis.ingest.joining import load_input, with_extra  # noqa: E402
from analysis.segment.features import build_features  # noqa: E402
from analysis.segment.selection import search  # noqa: E402


def features(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    cached, ids_file = folder / "features.npy", folder / "features_ids.csv"
    if not cached.exists():
        inp = load_input(load_config(folder / "config.yml"))
        feats = build_features(with_extra(clean(inp.table, inp.cfg), inp), inp.cfg)
        np.save(cached, feats.matrix)
        pd.Series(feats.table.index.astype(str), name="customer_id").to_csv(ids_file, index=False)
    return np.load(cached), pd.read_csv(ids_file, dtype=str)["customer_id"].to_numpy()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4, 5])
    args = ap.parse_args(argv)
    cfg = load_config(args.folder / "config.yml")
    x, ids = features(args.folder)
    truth = pd.read_csv(args.folder / "truth.csv", dtype={"customer_id": str}).set_index("customer_id")
    planted = truth.iloc[:, 0].reindex(ids).to_numpy()
    print(f"{len(x):,} customers, {x.shape[1]} features, search sample {cfg.segmentation.search_sample:,}")
    print("| seed | chosen | k | structure | ARI (sample) | stability | search s |\n|--:|:--|--:|:--|--:|--:|--:|")
    with threadpool_limits(limits=1):
        for seed in args.seeds:
            t = time.perf_counter()
            found = search(x, cfg.segmentation, seed)
            c = found.choice
            stab = next((r.stability for r in found.candidates if (r.algorithm, r.k) == (c.algorithm, c.k)), None)
            ari = adjusted_rand_score(planted[found.sample_idx], found.sample_labels)
            print(f"| {seed} | {c.algorithm} | {c.k} | {c.structure} | {ari:.2f} | {stab:.2f} | "
                  f"{time.perf_counter() - t:.1f} |", flush=True)


if __name__ == "__main__":
    main()

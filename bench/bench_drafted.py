"""Model selection as a user meets it: tables from bench/tables_independent.py, drafted by `segments
init` and reported unedited; chosen k, structure and ARI against the planted segments.

    .venv/bin/python bench/bench_drafted.py [GENERATOR:SEED[:NAMES] ...]

Without arguments: the value-level tables (four groups that differ only in spend and purchases)
and a few others. One report at a time, one thread each.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["value4:1", "value4:2", "value4:3", "value4:3:german", "personas5:1", "personas6:2:spanish",
           "rfm4:1", "wealth4:1", "nostruct_lognormal:1"]


def run(spec: str, tmp: Path) -> str:
    gen, seed, *names = spec.split(":")
    names = names[0] if names else "english"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    d = tmp / spec.replace(":", "_")
    subprocess.run([sys.executable, str(ROOT / "bench" / "tables_independent.py"), gen, seed, str(d), "--names", names],
                   check=True, capture_output=True, env=env)
    draft = subprocess.run([sys.executable, "-m", "analysis.cli", "init", "--customers", "customers.csv"], cwd=d,
                           check=True, capture_output=True, text=True, env=env).stdout
    (d / "draft.yml").write_text(draft, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "analysis.cli", "report", "--config", "draft.yml", "--out", "out", "--no-pdf"],
                   cwd=d, check=True, capture_output=True, env=env)
    chosen = json.loads((d / "out" / "exports" / "results.json").read_text(encoding="utf-8"))["chosen"]
    got = pd.read_csv(d / "out" / "exports" / "assignments.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(d / "truth.csv", dtype=str)
    m = got.merge(truth, on="customer_id")
    m = m[m["segment"] != ""]
    planted = truth["truth"].nunique()
    ari = adjusted_rand_score(m["truth"], m["segment"]) if planted > 1 else float("nan")
    return f"| {spec} | {planted if planted > 1 else 'none'} | {chosen['k']} | {chosen['algorithm']} | " \
           f"{chosen['structure']} | {ari:.3f} |"


def main(specs: list[str]) -> None:
    print("| table | planted k | chosen k | method | structure | ARI |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs or DEFAULT:
            print(run(spec, Path(tmp)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

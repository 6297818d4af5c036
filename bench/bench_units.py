"""The same data in other units: the chosen k and the ARI of each run against the run in the
data's own units (the bundled table with its money x 0.01 and x 1000; order lines from
`segments synth --transactions` with prices / 100, and with quantities x 4 at a quarter of the price).

    .venv/bin/python bench/bench_units.py [REPO]   # REPO: another checkout to measure (default this one)
"""
import sys, tempfile, yaml
from pathlib import Path
root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(root))
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from analysis import synth
from analysis.config import parse_config
from analysis.pipeline import analyse

tmp = Path(tempfile.mkdtemp())
base = yaml.safe_load((root / "data/marketing_campaign.yml").read_text())
demo = pd.read_csv(root / "data/marketing_campaign.csv", sep="\t")
money = ["Income"] + [c for c in demo if c.startswith("Mnt")]
out = []
for name, f in (("demo", 1.0), ("demo money/100", 0.01), ("demo money x1000", 1000.0)):
    d = demo.copy(); d[money] = d[money] * f
    d.to_csv(tmp / "c.tsv", sep="\t", index=False)
    cfg = {**base, "customers": {**base["customers"], "path": "c.tsv"}}
    r = analyse(parse_config(cfg, base_dir=tmp)); a = r.assignments
    out.append((name, f"{r.results.chosen.k} {r.results.chosen.algorithm} {r.results.chosen.structure}", a.set_index(a.customer_id.astype(str))["segment"]))
for seed in (1, 2):
    paths = synth.write_orders(synth.generate_orders(3000, 60000, 4, seed=seed), tmp / f"o{seed}")
    cfg = yaml.safe_load(paths["config"].read_text()); t = cfg["transactions"]
    lines = pd.read_parquet(paths["lines"])
    for name, fq, fp in (("orders", 1, 1), ("orders price/100", 1, 0.01), ("orders qty x4 price/4", 4, 0.25)):
        l = lines.copy(); l[t["quantity"]] = l[t["quantity"]] * fq; l[t["unit_price"]] = l[t["unit_price"]] * fp
        l.to_parquet(tmp / f"o{seed}" / "x.parquet")
        r = analyse(parse_config({**cfg, "transactions": {**t, "path": "x.parquet"}, "baskets": {"levels": []}}, base_dir=tmp / f"o{seed}"))
        a = r.assignments
        out.append((f"{name} seed {seed}", f"{r.results.chosen.k} {r.results.chosen.algorithm} {r.results.chosen.structure}", a.set_index(a.customer_id.astype(str))["segment"]))
ref = None
for name, k, seg in out:
    if name in ("demo",) or name.startswith("orders seed"):
        ref = seg
    both = pd.concat([ref, seg], axis=1).dropna()
    print(f"{name:30s} k={k} ARI vs natural units {adjusted_rand_score(both.iloc[:,0], both.iloc[:,1]):.3f}", flush=True)

"""Scale: on 50,000 customers no step holds an n x n matrix, and every customer gets a label."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, resource, sys
from pathlib import Path
import yaml
from analysis import synth
from analysis.config import parse_config
from analysis.pipeline import analyse
from sklearn.metrics import adjusted_rand_score

folder = Path(sys.argv[1])
df, truth = synth.generate(50_000, 5, seed=7)
synth.write(df, folder / "customers.parquet")
cfg = yaml.safe_load(open("data/marketing_campaign.yml"))
cfg["customers"] = {"path": "customers.parquet"}
run = analyse(parse_config(cfg, base_dir=folder))
seg = run.assignments["segment"]
kept = seg.notna().to_numpy()
print(json.dumps({
    "rows": len(run.assignments), "segmented": int(kept.sum()),
    "reasons": int((run.assignments["excluded_reason"] != "").sum()),
    "k": run.results.chosen.k, "sample": run.results.chosen.sample,
    "ari": adjusted_rand_score(truth[kept], seg[kept].astype(int)),
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def test_fifty_thousand_customers_stay_under_two_gigabytes(tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["rows"] == 50_000 and r["segmented"] + r["reasons"] == 50_000
    assert r["sample"] < 50_000  # the quadratic steps ran on a sample ...
    assert r["k"] == 5 and r["ari"] >= 0.9  # ... and the labels still reach every customer correctly
    assert r["peak_mib"] < 2048, f"peak memory {r['peak_mib']:.0f} MiB"

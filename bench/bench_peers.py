"""The report against the ways a team would otherwise segment customers, on the same planted tables,
in one run: time, peak memory, chosen k and agreement with the planted segments, side by side.

    python bench/bench_peers.py [--sizes 20000 50000] [--timeout 300] [--memory-gb 16]

For each size, `analysis.synth.generate` plants 5 segments (seed 1) in a customer table with the
bundled demo's columns. Every method runs in a fresh process (Python start-up and imports
included); peak memory is the child's largest resident set (ru_maxrss):

- report: `segments report --no-pdf` with the bundled demo's config pointed at the table (k: auto);
- notebook: what a straightforward notebook does: every numeric column but the id, missing values
  filled with medians, standardised; k-means (10 starts) and Ward for k = 2..10 on every customer,
  the silhouette of each on every customer, the best silhouette wins;
- pycaret, where installed: `pycaret.clustering` with its defaults and k-means with the planted k
  given (PyCaret does not choose k).

ARI is computed on the customers the method put in a segment, against the planted segments. A
method stopped by --timeout, or by the memory cap (an address-space limit, so a little below the
resident size it allows), is reported as stopped, with the time it ran.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
K_RANGE = range(2, 11)
PLANTED = 5

NOTEBOOK = r"""
import json, sys, time
import numpy as np, pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
df = pd.read_parquet(sys.argv[1])
x = df.select_dtypes("number").drop(columns=["ID"], errors="ignore")
x = StandardScaler().fit_transform(x.fillna(x.median()))
best = None
for k in range(2, 11):
    for name, model in (("kmeans", KMeans(k, n_init=10, random_state=0)), ("ward", AgglomerativeClustering(k))):
        labels = model.fit_predict(x)
        s = silhouette_score(x, labels)
        if best is None or s > best[0]:
            best = (s, name, k, labels)
pd.DataFrame({"ID": df["ID"], "segment": best[3]}).to_csv(sys.argv[2], index=False)
print(json.dumps({"k": best[2], "algorithm": best[1]}))
"""

PYCARET = r"""
import json, sys
import pandas as pd
from pycaret.clustering import assign_model, create_model, setup
df = pd.read_parquet(sys.argv[1])
setup(df.drop(columns=["ID"]), session_id=0, verbose=False)
labels = assign_model(create_model("kmeans", num_clusters=int(sys.argv[3]), verbose=False))["Cluster"]
pd.DataFrame({"ID": df["ID"], "segment": labels.to_numpy()}).to_csv(sys.argv[2], index=False)
print(json.dumps({"k": int(sys.argv[3]), "algorithm": "kmeans (k given)"}))
"""


def planted(n: int, folder: Path) -> tuple[Path, Path]:
    """The table (Parquet), its truth (CSV: ID, planted segment) and a report config beside them."""
    import yaml

    sys.path.insert(0, str(ROOT))
    from analysis import synth

    df, truth = synth.generate(n, PLANTED, seed=1)
    synth.write(df, folder / "customers.parquet")
    import pandas as pd

    pd.DataFrame({"ID": df["ID"], "planted": truth}).to_csv(folder / "truth.csv", index=False)
    cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
    cfg["customers"] = {"path": "customers.parquet"}
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder / "customers.parquet", folder / "config.yml"


def run(cmd: list[str], timeout: float, memory_gb: float) -> dict:
    """A child process: wall time, its own peak memory (wait4), and its last stdout line (JSON) or
    why it stopped."""
    def cap():
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True, preexec_fn=cap)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel()
        wall, peak = time.perf_counter() - start, usage.ru_maxrss / 1024
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if wall >= timeout:
        return {"wall": wall, "stopped": f"stopped after {timeout:.0f} s"}
    if os.waitstatus_to_exitcode(status) != 0:
        memory = any(s in stderr for s in ("MemoryError", "Cannot allocate memory", "std::bad_alloc"))
        why = f"out of memory (cap {memory_gb:g} GB)" if memory else (stderr.strip().splitlines() or ["failed"])[-1]
        return {"wall": wall, "peak": peak, "stopped": why}
    lines = stdout.strip().splitlines()
    return {"wall": wall, "peak": peak, **(json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {})}


def ari(assigned: Path, truth: Path) -> tuple[float, int]:
    """ARI on the customers with a segment, and how many customers that is."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    a = pd.read_csv(assigned, dtype={"ID": str, "customer_id": str}).rename(columns={"customer_id": "ID"})
    t = pd.read_csv(truth, dtype={"ID": str})
    m = t.merge(a[a["segment"].notna()], on="ID")
    return float(adjusted_rand_score(m["planted"], m["segment"].astype(str))), len(m)


def peer_rows(n: int, timeout: float, memory_gb: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="segments-peers-") as tmp:
        folder = Path(tmp)
        table, config = planted(n, folder)
        truth = folder / "truth.csv"
        methods = [
            ("report", [sys.executable, "-m", "analysis", "report", "--config", str(config), "--out",
                        str(folder / "out"), "--no-pdf"], folder / "out" / "exports" / "assignments.csv"),
            ("notebook", [sys.executable, "-c", NOTEBOOK, str(table), str(folder / "notebook.csv")],
             folder / "notebook.csv"),
        ]
        try:
            import pycaret  # noqa: F401
            methods.append(("pycaret", [sys.executable, "-c", PYCARET, str(table), str(folder / "pycaret.csv"),
                                        str(PLANTED)], folder / "pycaret.csv"))
        except ImportError:
            rows.append({"n": n, "method": "pycaret", "stopped": "not installed"})
        for name, cmd, labels in methods:
            print(f"  {n:,} customers: {name} ...", file=sys.stderr, flush=True)
            r = run(cmd, timeout, memory_gb)
            if name == "report" and "stopped" not in r:
                results = json.loads((folder / "out" / "exports" / "results.json").read_text())
                r.update(k=results["chosen"]["k"], algorithm=results["chosen"]["algorithm"])
            if "stopped" not in r:
                r["ari"], r["scored"] = ari(labels, truth)
            rows.append({"n": n, "method": name, **r})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| customers | method | wall time | peak memory | k chosen | ARI vs planted |", "|---|---|---|---|---|---|"]
    for r in rows:
        wall = f"{r['wall']:.1f} s" if "wall" in r else "-"
        peak = f"{r['peak']:,.0f} MiB" if r.get("peak") else "-"
        if "stopped" in r:
            lines.append(f"| {r['n']:,} | {r['method']} | {wall} ({r['stopped']}) | {peak} | - | - |")
        else:
            k = f"{r['k']} ({r['algorithm']})"
            lines.append(f"| {r['n']:,} | {r['method']} | {wall} | {peak} | {k} | {r['ari']:.3f} ({r['scored']:,}) |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000])
    ap.add_argument("--timeout", type=float, default=300, help="seconds a method may run (default 300)")
    ap.add_argument("--memory-gb", type=float, default=16, help="address-space cap of each method (default 16)")
    args = ap.parse_args()
    rows = [r for n in args.sizes for r in peer_rows(n, args.timeout, args.memory_gb)]
    print(f"{os.cpu_count()} cores; {PLANTED} planted segments; one fresh process per method\n")
    print(table(rows))


if __name__ == "__main__":
    main()

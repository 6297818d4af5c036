"""Per-stage time and peak memory of the report at scale, the straightforward approach on the same
data, and the quality of sampled model search against a full run on a subsample.

    python bench/bench_scale.py --demo --runs 3                       # the bundled demo
    python bench/bench_scale.py --customers 100000 1000000 --runs 3   # synthetic customer tables
    python bench/bench_scale.py --lines 1000000 10000000 20000000     # synthetic order lines (20 per customer)
    python bench/bench_scale.py --baselines                           # full silhouette, full Ward, pandas
    python bench/bench_scale.py --lines 10000000 --rules-baseline 10000000   # rules on every basket, no sample
    python bench/bench_scale.py --quality                             # 1M customers vs a 50k subsample
    python bench/bench_scale.py --lines 1000000 --engine local spark --master 'local[2]'   # engine operations

Every measured run is a fresh process (`--child`) that runs `analysis.report.build_report(...,
pdf=False)` and records the time between its progress messages (each marks the start of a stage);
the final fit (k-means on every customer, labels ordered, map) is timed inside the search stage by
wrapping `clustering.refit_all` and `pipeline.finalize`, and reported apart from the search. The
rules stage runs from "mining basket rules" to "writing exports". Peak memory is the child's
largest resident set (ru_maxrss), Python and its imports included. Times are medians over --runs;
peak memory is the largest seen. Data are generated once per size with `segments synth` (seed 1)
into --data (default /tmp/segments-bench-scale) and reused.

Runs on --lines data also print the ARI of the run's segments against the planted ones (truth.csv).

--rules-baseline M runs the pipeline once more on M order lines with `baskets.sample` set above
the number of baskets, so that FP-growth mines every basket (the straightforward way), and
compares its rules stage and its rules with the sampled run's.

--engine local spark times the engine's operations on the --lines data, each engine in a fresh
process (`--engine-child`): the Spark session's start, loading and aggregating the order lines,
the final k-means fit of 5 segments started from a fit on a 3,000-customer sample, the
per-segment aggregates, the exact recount of candidate rules mined on a 20,000-basket sample
(product level, all orders), and writing the assignments and features (exports). Cleaning and
features run on the driver for both engines and are not timed. It also checks that both engines
agree (cleaning log, customers, ARI of the labels, recounts). Peak memory is the Python
process's; the Spark JVMs are not included (the driver JVM gets SPARK_DRIVER_MEMORY, 6 GB).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("load", "clean", "features", "model search", "final fit", "personas", "rules", "exports", "render")
KEYWORDS = (  # progress message start -> stage
    ("aggregating", "load"), ("order lines", "load"), ("loading", "load"), ("cleaning", "clean"), ("building features", "features"),
    ("searching", "model search"), ("profiling", "personas"), ("explaining", "personas"), ("naming", "personas"),
    ("mining", "rules"), ("finding", "rules"), ("rules", "rules"), ("writing exports", "exports"),
    ("rendering", "render"), ("done", None),
)


def _stage(message: str) -> str:
    low = message.lower()
    for key, stage in KEYWORDS:
        if low.startswith(key):
            return stage or "done"
    return "other: " + message.split()[0]


# ---------------------------------------------------------------- child: one measured run

def child(config: Path, out_json: Path, labels_out: Path | None) -> None:
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from analysis.segment import clustering
    from analysis import pipeline
    from analysis.report import build_report
    imports = time.perf_counter() - t0

    inner = {"final fit": 0.0}

    def timed(fn):
        def wrapper(*a, **k):
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                inner["final fit"] += time.perf_counter() - s
        return wrapper

    clustering.refit_all = timed(clustering.refit_all)
    pipeline.finalize = timed(pipeline.finalize)
    marks: list[tuple[float, str, float]] = []

    def progress(msg: str) -> None:
        marks.append((time.perf_counter(), msg, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    with tempfile.TemporaryDirectory(prefix="segments-bench-") as out:
        build_report(config, Path(out), pdf=False, progress=progress)
        progress("done")
        if labels_out is not None:
            import pandas as pd

            a = pd.read_csv(Path(out) / "exports" / "assignments.csv", usecols=["customer_id", "segment"])
            a.to_parquet(labels_out, index=False)
        results = json.loads((Path(out) / "exports" / "results.json").read_text())
    stages = {s: 0.0 for s in STAGES}
    peaks = {}
    for (t, msg, _), (t_next, _, rss_next) in zip(marks, marks[1:]):
        st = _stage(msg)
        stages[st] = stages.get(st, 0.0) + t_next - t
        peaks[st] = max(peaks.get(st, 0.0), rss_next)
    stages["model search"] -= inner["final fit"]
    stages["final fit"] = inner["final fit"]
    out_json.write_text(json.dumps({
        "imports": imports, "stages": stages, "total": marks[-1][0] - marks[0][0],
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak_after": peaks,
        "k": results["chosen"]["k"], "algorithm": results["chosen"]["algorithm"],
        "n_segmented": results["n_segmented"], "messages": [m for _, m, _ in marks],
        "rules": _rules_summary(results.get("baskets")),
    }))


def _rules_summary(b: dict | None) -> dict | None:
    """Baskets, thresholds and rules found per level (overall and per segment), and the top rules."""
    if not b:
        return None
    out = {"baskets": b["baskets"], "levels": {}}
    for lv in b["levels"]:
        out["levels"][lv["level"]] = {
            "items": lv["items"], "min_count": lv["min_count"], "n_rules": lv["n_rules"],
            "top": [[list(r["lhs"]), list(r["rhs"]), r["count"]] for r in lv["top"]],
            "segments": {str(sg["segment"]): {"baskets": sg["baskets"], "n_rules": sg["n_rules"],
                                              "top": [[list(r["lhs"]), list(r["rhs"]), r["count"]] for r in sg["top"]]}
                         for sg in lv["segments"]},
        }
    return out


def rules_note(summary: dict | None) -> str | None:
    if not summary:
        return None
    parts = [f"{lv}: {v['n_rules']:,} rules over {v['items']:,} items, min count {v['min_count']:,}, "
             f"per segment {', '.join(str(s['n_rules']) for s in v['segments'].values())}"
             for lv, v in summary["levels"].items()]
    return f"{summary['baskets']:,} baskets; " + "; ".join(parts)


def measure(config: Path, runs: int, labels_out: Path | None = None, timeout: float | None = None) -> dict | None:
    """Medians of `runs` fresh-process runs; None when a run takes longer than timeout seconds."""
    results = []
    for i in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            cmd = [sys.executable, __file__, "--child", str(config), f.name]
            if labels_out is not None and i == 0:
                cmd.append(str(labels_out))
            start = time.perf_counter()
            try:
                p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  run {i + 1}: stopped after {timeout:.0f} s", file=sys.stderr, flush=True)
                return None
            wall = time.perf_counter() - start
            if p.returncode != 0:
                raise SystemExit(f"run on {config} failed:\n{p.stderr[-3000:]}")
            r = json.loads(Path(f.name).read_text())
        r["wall"] = wall
        results.append(r)
        print(f"  run {i + 1}: {wall:.1f} s wall, peak {r['peak_mib']:.0f} MiB", file=sys.stderr, flush=True)
    med = {s: statistics.median(r["stages"].get(s, 0.0) for r in results) for s in STAGES}
    return {
        "stages": med, "total": statistics.median(r["total"] for r in results),
        "wall": statistics.median(r["wall"] for r in results),
        "wall_range": (min(r["wall"] for r in results), max(r["wall"] for r in results)),
        "imports": statistics.median(r["imports"] for r in results),
        "peak_mib": max(r["peak_mib"] for r in results), "peak_after": results[0]["peak_after"],
        "k": results[0]["k"], "algorithm": results[0]["algorithm"], "n_segmented": results[0]["n_segmented"],
        "runs": runs, "rules": results[0].get("rules"), "walls": [r["wall"] for r in results],
        "rules_s": [r["stages"].get("rules", 0.0) for r in results],
    }


# ---------------------------------------------------------------- engines: the operations alone

SPARK_DRIVER_MEMORY = "6g"
STANDALONE_EXECUTOR_MEMORY = "4g"  # per worker (two of one core each)
STANDALONE_MASTER = "spark://127.0.0.1:7077"


@contextlib.contextmanager
def standalone_cluster(workers: int = 2, cores: int = 1, memory: str = STANDALONE_EXECUTOR_MEMORY):
    """A standalone Spark master and `workers` workers on 127.0.0.1, started with pyspark's own
    launcher (bin/spark-class: pip's pyspark has no sbin/start-master.sh) and stopped on exit."""
    import pyspark
    home = Path(pyspark.__file__).parent
    env = {**os.environ, "SPARK_HOME": str(home)}
    logs = Path(tempfile.mkdtemp(prefix="spark-standalone-"))
    spark_class = str(home / "bin" / "spark-class")
    procs = [subprocess.Popen([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", "7077", "--webui-port", "8090"], env=env,
                              stdout=open(logs / "master.log", "w"), stderr=subprocess.STDOUT)]
    try:
        time.sleep(5)
        for i in range(workers):
            procs.append(subprocess.Popen([spark_class, "org.apache.spark.deploy.worker.Worker", "--cores", str(cores),
                                           "--memory", memory, "--webui-port", str(8091 + i), STANDALONE_MASTER],
                                          env=env, stdout=open(logs / f"worker{i}.log", "w"), stderr=subprocess.STDOUT))
        deadline = time.time() + 120
        while sum("Successfully registered with master" in (logs / f"worker{i}.log").read_text()
                  for i in range(workers)) < workers:
            if time.time() > deadline:
                raise SystemExit(f"the standalone workers did not register; logs in {logs}")
            time.sleep(1)
        print(f"  standalone cluster: master and {workers} workers ({cores} core, {memory} each) up; logs in {logs}",
              file=sys.stderr, flush=True)
        yield STANDALONE_MASTER
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=60)


ENGINE_OPS = ("start", "load", "final fit", "segment aggregates", "recount", "exports")


def engine_child(engine: str, master: str, config: Path, out_json: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import hashlib
    import numpy as np
    from threadpoolctl import threadpool_limits
    from analysis.config import load_config
    from analysis.engine import get_engine, item_codes
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import Table
    from analysis.insight.rules import baskets_from_pairs, mine
    from analysis.segment.clustering import kmeans
    from analysis.segment.features import build_features
    times: dict[str, float] = {}
    cfg = load_config(config)
    with threadpool_limits(limits=1):
        t = time.perf_counter()
        if engine == "spark":  # local[N] runs every task in the driver's JVM: give it the memory
            from analysis.engine.spark import SparkEngine
            conf = {"spark.driver.memory": SPARK_DRIVER_MEMORY, "spark.ui.enabled": "false"}
            if master.startswith("spark://"):  # a standalone cluster's executors: memory of their own
                conf |= {"spark.executor.memory": STANDALONE_EXECUTOR_MEMORY, "spark.driver.host": "127.0.0.1"}
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # its workers run on this machine
            eng = SparkEngine.start(master, conf)
        else:
            eng = get_engine(engine, master)
        times["start"] = time.perf_counter() - t
        t = time.perf_counter()
        orders = eng.load_orders(cfg)
        times["load"] = time.perf_counter() - t
        table = Table(path=cfg.customers_path, frame=orders.frame, delimiter=orders.delimiter,
                      encoding=orders.encoding, sha256=orders.sha256)
        cfg = cfg.model_copy(update={"columns": orders.columns, "report": cfg.report.model_copy(
            update={"reference_date": orders.reference_date})})
        feats = build_features(clean(table, cfg), cfg)
        x = feats.matrix
        sample = np.sort(np.random.default_rng(1).choice(len(x), min(3000, len(x)), replace=False))
        fit = kmeans(x[sample], 5, seed=42)
        t = time.perf_counter()
        labels = eng.final_fit(fit, x[sample], x, 42)
        times["final fit"] = time.perf_counter() - t
        t = time.perf_counter()
        stats = eng.segment_stats(feats.table, labels + 1)
        times["segment aggregates"] = time.perf_counter() - t
        rows, cols, names = item_codes(orders.baskets, "product")
        n_orders = orders.baskets.n_orders
        pick = np.random.default_rng(3).choice(n_orders, min(20_000, n_orders), replace=False)
        keep = np.isin(rows, pick)
        rules = mine(baskets_from_pairs(rows[keep], [names[i] for i in cols[keep]]), 0.005, 0.3,
                     max_consequent=1, min_length=2, max_length=3)
        sets = sorted({s for lhs, rhs in zip(rules["lhs"], rules["rhs"]) for s in (tuple(lhs) + tuple(rhs), tuple(lhs))})
        t = time.perf_counter()
        counts = eng.count_itemsets(orders.baskets, "product", sets)
        times["recount"] = time.perf_counter() - t
        run = type("Run", (), {})()
        run.results = type("R", (), {"to_json": lambda self: "{}", "personas": ()})()
        import pandas as pd
        run.assignments = pd.DataFrame({"customer_id": feats.table.index.astype(str), "segment": labels + 1})
        run.customers = feats.table.assign(segment=labels + 1)
        run.tables = ()
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            eng.write_exports(run, Path(tmp) / "exports")
            times["exports"] = time.perf_counter() - t
        eng.close()
    out = {"times": times, "customers": len(feats.table), "lines": orders.n_lines,
           "log": hashlib.sha256(repr(orders.log).encode()).hexdigest(), "labels": labels.tolist(),
           "counts": counts.tolist(), "n_sets": len(sets), "sizes": stats.size.tolist(),
           "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    out_json.write_text(json.dumps(out))


def measure_engine(engine: str, master: str, config: Path, runs: int) -> dict:
    results = []
    for i in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            start, load_before = time.perf_counter(), os.getloadavg()[0]
            p = subprocess.run([sys.executable, __file__, "--engine-child", engine, master, str(config), f.name],
                               cwd=ROOT, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if p.returncode != 0:  # the whole log kept: Spark's cause is often far from the end
                log = config.parent / f"{engine}-failed.log"
                log.write_text(p.stderr)
                causes = "\n".join(x for x in p.stderr.splitlines() if x.lstrip().startswith("Caused by"))[-3000:]
                raise SystemExit(f"{engine} run on {config} failed (whole log: {log}):\n{causes}\n{p.stderr[-2000:]}")
            r = json.loads(Path(f.name).read_text())
        r["wall"], r["load"] = wall, (load_before, os.getloadavg()[0])
        results.append(r)
        print(f"  {engine} run {i + 1}: {wall:.1f} s wall, load average {r['load'][0]:.1f} -> {r['load'][1]:.1f}; " + ", ".join(f"{k} {v:.1f}" for k, v in r["times"].items()),
              file=sys.stderr, flush=True)
    first = results[0]
    return {**first, "times": {k: statistics.median(r["times"][k] for r in results) for k in ENGINE_OPS},
            "wall": statistics.median(r["wall"] for r in results), "walls": [r["wall"] for r in results],
            "peak_mib": max(r["peak_mib"] for r in results)}


# ---------------------------------------------------------------- data

def synth_data(data: Path, customers: int, lines: int | None = None) -> Path:
    folder = data / (f"c{customers}" if lines is None else f"l{lines}")
    if not (folder / "config.yml").exists():
        cmd = [sys.executable, "-m", "analysis", "synth", "--customers", str(customers), "--segments", "5",
               "--seed", "1", "--out", str(folder)]
        if lines is None:
            cmd += ["--format", "parquet"]
        else:
            cmd += ["--transactions", str(lines)]
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True)
        print(f"  generated {folder.name} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return folder / "config.yml"


def planted_ari(folder: Path, labels: Path) -> float:
    """ARI of a run's assignments (customer_id, segment) against the synthetic data's truth.csv."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    truth = pd.read_csv(folder / "truth.csv", dtype={"customer_id": str})
    got = pd.read_parquet(labels).astype({"customer_id": str}).merge(truth, on="customer_id")
    got = got[got["segment"].notna()]
    return float(adjusted_rand_score(got["planted_segment"], got["segment"]))


# ---------------------------------------------------------------- straightforward approaches

BASELINE = r"""
import json, resource, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
what, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}
with threadpool_limits(limits=1):
    if what in ("silhouette", "ward"):
        import pandas as pd
        x = np.load(path)[:n]
        labels = np.load(path.replace(".npy", "_labels.npy"))[:n]
        t = time.perf_counter()
        if what == "silhouette":
            from sklearn.metrics import silhouette_score
            out["value"] = float(silhouette_score(x, labels))
        else:
            from scipy.cluster.hierarchy import linkage
            linkage(x, method="ward")
        out["seconds"] = time.perf_counter() - t
    elif what == "pandas":  # the whole order-line file in pandas, then the per-customer groupby
        import pandas as pd
        t = time.perf_counter()
        d = pd.read_parquet(path)
        d = d[d["CustomerID"].notna() & ~d["InvoiceNo"].str.startswith("C") & (d["Quantity"] > 0)
              & (d["UnitPrice"] > 0) & (d["StockCode"] != "POST")].drop_duplicates()
        cats = pd.read_csv(path.replace("lines.parquet", "products.csv"), dtype=str).set_index("StockCode")["Category"]
        d["category"] = d["StockCode"].astype(str).map(cats)
        d["amount"] = d["Quantity"] * d["UnitPrice"]
        g = d.groupby("CustomerID")
        ref = d["InvoiceDate"].max()
        per = pd.DataFrame({"recency": (ref - g["InvoiceDate"].max()).dt.days, "orders": g["InvoiceNo"].nunique(),
                            "lines": g.size()})
        spend = d.pivot_table(index="CustomerID", columns="category", values="amount", aggfunc="sum", fill_value=0)
        per = per.join(spend)
        out["seconds"] = time.perf_counter() - t
        out["customers"] = len(per)
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def baseline(what: str, path: str, n: int, timeout: float) -> dict | None:
    try:
        p = subprocess.run([sys.executable, "-c", BASELINE, what, path, str(n)], cwd=ROOT, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def sampled_times(x, labels, seed: int = 42) -> dict:
    """What the pipeline does instead, on the same matrix: silhouette and Ward on the 3,000-customer
    search sample (the search's own distance matrix route)."""
    import numpy as np
    from scipy.spatial.distance import pdist, squareform
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(ROOT))
    from analysis.segment import clustering as cl

    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x), 3000, replace=False))
    with threadpool_limits(limits=1):
        t = time.perf_counter()
        dist = squareform(pdist(x[idx])).astype(np.float32)
        sil = float(cl.silhouettes(dist, labels[idx] - labels.min()).mean())  # segments 1..k -> 0..k-1
        t_sil = time.perf_counter() - t
        t = time.perf_counter()
        cl.ward_tree(x[idx])
        t_ward = time.perf_counter() - t
    return {"silhouette": sil, "silhouette_s": t_sil, "ward_s": t_ward}


def features_matrix(config: Path, labels_path: Path, dest: Path):
    """The standardised feature matrix and the final labels of a customer table, as the pipeline builds them."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    from analysis.ingest.cleaning import clean
    from analysis.config import load_config
    from analysis.segment.features import build_features
    from analysis.ingest.loading import load_customers

    cfg = load_config(config)
    feats = build_features(clean(load_customers(cfg), cfg), cfg)
    lab = pd.read_parquet(labels_path).dropna()
    lab = lab.set_index(lab["customer_id"].astype(str))["segment"]
    seg = lab.reindex(feats.table.index.astype(str)).to_numpy()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(seg))  # prefixes of a random order are random subsamples
    np.save(dest, feats.matrix[order].astype(np.float64))
    np.save(str(dest).replace(".npy", "_labels.npy"), seg[order].astype(int))
    return feats.matrix, seg


def unsampled_config(config: Path) -> Path:
    """The same config with baskets.sample above any number of baskets: FP-growth mines them all."""
    import yaml

    cfg = yaml.safe_load(config.read_text())
    cfg.setdefault("baskets", {})["sample"] = 10 ** 12
    dest = config.parent / "config_unsampled.yml"
    dest.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dest


def compare_rules(sampled: dict, full: dict) -> str:
    """Do the sampled and the full mining report the same rules (counts per level and segment, top rules)?"""
    out = []
    for lv, a in sampled["levels"].items():
        b = full["levels"][lv]
        segs = [s for s in a["segments"] if a["segments"][s]["n_rules"] != b["segments"].get(s, {}).get("n_rules")]
        tops = [s for s in a["segments"] if a["segments"][s]["top"] != b["segments"].get(s, {}).get("top")]
        same = a["n_rules"] == b["n_rules"] and a["top"] == b["top"] and not segs and not tops
        out.append(f"{lv}: {a['n_rules']:,} rules sampled vs {b['n_rules']:,} on every basket, "
                   + ("same rule counts and the same top rules with the same counts, overall and in every segment"
                      if same else f"DIFFER (top rules {'same' if a['top'] == b['top'] else 'differ'}; segments "
                      f"with other counts {segs or 'none'}, other top rules {tops or 'none'})"))
    return "; ".join(out)


# ---------------------------------------------------------------- quality at scale

def quality(data: Path, n_big: int, n_small: int, runs_dir: Path, big: dict | None = None) -> dict:
    """Chosen k and ARI on shared customers: the run on n_big customers against a full run on a
    random n_small subsample of the same table. big: a measured run on n_big that wrote its labels."""
    import pandas as pd
    import yaml
    from sklearn.metrics import adjusted_rand_score

    config = synth_data(data, n_big)
    big_labels = runs_dir / f"labels_{n_big}.parquet"
    if big is None:
        big = measure(config, 1, big_labels)
    table = pd.read_parquet(config.parent / "customers.parquet")
    sub = table.sample(n=n_small, random_state=7).sort_index()
    folder = data / f"c{n_big}_sub{n_small}"
    folder.mkdir(exist_ok=True)
    sub.to_parquet(folder / "customers.parquet", index=False)
    cfg = yaml.safe_load(config.read_text())
    cfg["customers"] = {"path": "customers.parquet"}
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    small_labels = runs_dir / f"labels_{n_big}_sub{n_small}.parquet"
    small = measure(folder / "config.yml", 1, small_labels)
    a = pd.read_parquet(big_labels).dropna()
    b = pd.read_parquet(small_labels).dropna()
    m = a.merge(b, on="customer_id", suffixes=("_big", "_small"))
    truth = pd.read_csv(config.parent / "truth.csv")
    mt = a.merge(truth, on="customer_id")
    mts = b.merge(truth, on="customer_id")
    return {
        "k_big": big["k"], "algorithm_big": big["algorithm"], "k_small": small["k"],
        "algorithm_small": small["algorithm"], "shared": len(m), "small_wall": small["wall"],
        "ari_shared": float(adjusted_rand_score(m["segment_big"], m["segment_small"])),
        "ari_truth_big": float(adjusted_rand_score(mt["planted_segment"], mt["segment"])),
        "ari_truth_small": float(adjusted_rand_score(mts["planted_segment"], mts["segment"])),
    }


# ---------------------------------------------------------------- output

def table_rows(label: str, r: dict) -> str:
    s = r["stages"]
    cells = [label] + [f"{s[x]:.1f}" if s.get(x) else "-" for x in STAGES]
    cells += [f"{r['total']:.1f}", f"{r['wall']:.1f}", f"{r['peak_mib']:,.0f}"]
    return "| " + " | ".join(cells) + " |"


def header() -> str:
    cols = ["data"] + list(STAGES) + ["stages total", "process wall", "peak MiB"]
    return "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--demo", action="store_true", help="the bundled demo (data/marketing_campaign.yml)")
    ap.add_argument("--customers", type=int, nargs="*", default=[], metavar="N", help="synthetic customer tables")
    ap.add_argument("--lines", type=int, nargs="*", default=[], metavar="M",
                    help="synthetic order lines, M/20 customers")
    ap.add_argument("--baselines", action="store_true",
                    help="full silhouette and full Ward at growing n (from the 100k table), pandas on the order lines")
    ap.add_argument("--baseline-sizes", type=int, nargs="*", default=[10_000, 20_000, 30_000, 40_000, 100_000])
    ap.add_argument("--timeout", type=float, default=300, help="seconds a straightforward run may take")
    ap.add_argument("--rules-baseline", type=int, nargs="*", default=[], metavar="M",
                    help="order-line sizes (also given to --lines) to mine once more on every basket, without the sample")
    ap.add_argument("--rules-timeout", type=float, default=1200,
                    help="seconds a whole run with unsampled rules may take (default 1200)")
    ap.add_argument("--quality", action="store_true", help="1M customers against a full run on a 50k subsample")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "segments-bench-scale")
    ap.add_argument("--json", type=Path, help="also write every result here")
    ap.add_argument("--engine", nargs="+", choices=("local", "spark"), default=[],
                    help="time the engine operations alone on the --lines data, for each engine named")
    ap.add_argument("--master", default="local[2]", help="Spark master for --engine spark (default local[2])")
    ap.add_argument("--standalone", action="store_true",
                    help="--engine spark on a standalone master and two one-core workers started on 127.0.0.1 (and stopped)")
    ap.add_argument("--engine-child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine_child:
        e, master, config, out = args.engine_child
        engine_child(e, master, Path(config), Path(out))
        return
    if args.engine and args.standalone:
        with standalone_cluster() as master:
            args.master = master
            engines(args)
        return
    if args.engine:
        engines(args)
        return
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), Path(args.child[2]) if len(args.child) > 2 else None)
        return
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; medians of {args.runs} fresh-process runs; seconds; peak resident MiB\n")
    rows, everything = [], {}

    def run(label: str, config: Path, labels: Path | None = None) -> dict:
        print(f"{label} ...", file=sys.stderr, flush=True)
        r = measure(config, args.runs, labels)
        rows.append(table_rows(label, r))
        everything[label] = r
        print(header() + "\n" + rows[-1] + f"\n(k={r['k']} {r['algorithm']}, peak after stage: "
              + ", ".join(f"{k} {v:,.0f}" for k, v in r["peak_after"].items()) + ")"
              + f"; process walls {', '.join(f'{w:.1f}' for w in r['walls'])}"
              + (f"\nrules: {rules_note(r['rules'])}; rules stage per run "
                 f"{', '.join(f'{t:.1f}' for t in r['rules_s'])} s" if r.get("rules") else "") + "\n", flush=True)
        return r

    if args.demo:
        run("bundled demo (2,240 customers)", ROOT / "data" / "marketing_campaign.yml")
    measured = {}
    for n in args.customers:
        measured[n] = run(f"{n:,} customers", synth_data(args.data, n), args.data / f"labels_{n}.parquet")
    for m in args.lines:
        config = synth_data(args.data, m // 20, m)
        r = run(f"{m:,} order lines ({m // 20:,} customers)", config, args.data / f"labels_l{m}.parquet")
        print(f"ARI of the run's segments against the planted ones: {planted_ari(config.parent, args.data / f'labels_l{m}.parquet'):.3f}\n",
              flush=True)
        if args.baselines:
            lines = str(args.data / f"l{m}" / "lines.parquet")
            b = baseline("pandas", lines, 0, args.timeout)
            everything[f"pandas {m}"] = b
            if b and "seconds" in b:
                print(f"straightforward: pandas reads all {m:,} lines and groups them: {b['seconds']:.1f} s, "
                      f"peak {b['peak_mib']:,.0f} MiB; DuckDB load stage {r['stages']['load']:.1f} s, whole "
                      f"run peak {r['peak_mib']:,.0f} MiB; ratio {b['seconds'] / r['stages']['load']:.1f}x time, "
                      f"{b['peak_mib'] / r['peak_mib']:.1f}x memory\n", flush=True)
            else:
                print(f"straightforward: pandas on {m:,} lines did not finish: {b}\n", flush=True)
        if m in args.rules_baseline:
            print(f"{m:,} order lines, rules on every basket (no sample) ...", file=sys.stderr, flush=True)
            full = measure(unsampled_config(synth_data(args.data, m // 20, m)), 1, timeout=args.rules_timeout)
            everything[f"unsampled rules {m}"] = full
            if full is None:
                print(f"straightforward: rules on every basket of {m:,} lines: the run was stopped after "
                      f"{args.rules_timeout:.0f} s (sampled rules stage {r['stages']['rules']:.1f} s)\n", flush=True)
            else:
                t = full["stages"]["rules"]
                print(f"straightforward: rules on every basket of {m:,} lines (baskets.sample above the "
                      f"{full['rules']['baskets']:,} baskets): rules stage {t:.1f} s, peak {full['peak_mib']:,.0f} MiB, "
                      f"process wall {full['wall']:.1f} s; sampled + exact recount {r['stages']['rules']:.1f} s, "
                      f"peak {r['peak_mib']:,.0f} MiB; ratio {t / r['stages']['rules']:.1f}x time\n"
                      f"  {compare_rules(r['rules'], full['rules'])}\n", flush=True)

    if args.baselines:
        config = synth_data(args.data, 100_000)
        labels = args.data / "labels_100000.parquet"
        if not labels.exists():  # written by the first measured run on 100,000 customers
            measure(config, 1, labels)
        dest = args.data / "x100000.npy"
        x, seg = features_matrix(config, labels, dest)
        s = sampled_times(x, seg)
        print(f"sampled (what the pipeline does): silhouette on 3,000 customers {s['silhouette_s']:.2f} s "
              f"(mean {s['silhouette']:.3f}); Ward tree on 3,000 {s['ward_s']:.2f} s")
        print("| n | full silhouette s | ratio to sampled | silhouette value | full Ward s | ratio to sampled | "
              "Ward peak MiB |\n|---|---|---|---|---|---|---|")
        for n in args.baseline_sizes:
            sil = baseline("silhouette", str(dest), n, args.timeout)
            ward = (baseline("ward", str(dest), n, args.timeout) if n * (n - 1) * 8 < 16 * 2 ** 30
                    else {"error": "not run: its distance matrices need over 16 GiB"})
            everything[f"baselines {n}"] = {"silhouette": sil, "ward": ward, "sampled": s}

            def cell(b, key="seconds", ref=None):
                if b is None:
                    return f"> {args.timeout:.0f} (stopped)"
                if "error" in b:
                    return b["error"] if b["error"].startswith("not run") else "failed: " + b["error"][:60]
                return f"{b[key]:.1f}" + (f" | {b[key] / ref:,.0f}x" if ref else "")
            print(f"| {n:,} | {cell(sil, ref=s['silhouette_s'])} | "
                  f"{sil['value']:.3f} | " if sil and 'value' in sil else f"| {n:,} | {cell(sil)} | - | - | ", end="")
            print(f"{cell(ward, ref=s['ward_s'])} | {ward['peak_mib']:,.0f} |" if ward and "seconds" in ward
                  else f"{cell(ward)} | - | - |", flush=True)
        print()

    if args.quality:
        big = measured.get(1_000_000) if (args.data / "labels_1000000.parquet").exists() else None
        q = quality(args.data, 1_000_000, 50_000, args.data, big)
        everything["quality"] = q
        print(f"quality: 1M customers chose k={q['k_big']} ({q['algorithm_big']}); a full run on a 50,000 subsample "
              f"chose k={q['k_small']} ({q['algorithm_small']}, {q['small_wall']:.1f} s); ARI on the {q['shared']:,} "
              f"shared customers {q['ari_shared']:.3f} (target: same k and >= 0.95: "
              f"{'met' if q['k_big'] == q['k_small'] and q['ari_shared'] >= 0.95 else 'MISSED'}); ARI against the "
              f"planted segments: 1M run {q['ari_truth_big']:.3f}, 50k run {q['ari_truth_small']:.3f}")

    if rows:
        print("\n" + header())
        print("\n".join(rows))
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, default=str))


def engines(args) -> None:
    from sklearn.metrics import adjusted_rand_score
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; engine operations, medians of {args.runs} fresh-process runs; seconds; "
          f"Spark master {args.master}\n")
    print("| data | engine | " + " | ".join(ENGINE_OPS) + " | process wall | Python peak MiB |")
    print("|---|---|" + "---|" * (len(ENGINE_OPS) + 2), flush=True)
    everything = {}
    for m in args.lines:
        config = synth_data(args.data, m // 20, m)
        got = {}
        for e in args.engine:
            r = got[e] = measure_engine(e, args.master, config, args.runs)
            print(f"| {m:,} lines ({r['customers']:,} customers) | {e} | "
                  + " | ".join(f"{r['times'][k]:.1f}" for k in ENGINE_OPS)
                  + f" | {r['wall']:.1f} | {r['peak_mib']:,.0f} |", flush=True)
        if len(got) == 2:
            a, b = got["local"], got["spark"]
            ari = adjusted_rand_score(a["labels"], b["labels"])
            print(f"  agreement on {m:,} lines: cleaning log {'identical' if a['log'] == b['log'] else 'DIFFERENT'}, "
                  f"customers {a['customers']:,} / {b['customers']:,}, final fit ARI {ari:.4f}, "
                  f"segment sizes {a['sizes']} / {b['sizes']}, recounts of {a['n_sets']} itemsets "
                  f"{'identical' if a['counts'] == b['counts'] else 'DIFFERENT'}", flush=True)
        everything[m] = {e: {k: v for k, v in r.items() if k not in ("labels", "counts")} for e, r in got.items()}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, default=str))


if __name__ == "__main__":
    main()

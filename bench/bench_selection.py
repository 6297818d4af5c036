"""Benchmark of the choice of k: the current rule against the previous one, on tables from several
independent generators (none of them the one the rule was written against).

    .venv/bin/python bench/bench_selection.py [--quick] [--reps N] [--only NAME] [--no-spread] [--nearest-only]

For every generator and setting it prints, for the new rule and the previous one: the share of
tables where the chosen k equals the planted k ("k exact"), the median chosen k, the median adjusted
Rand index (ARI) against the planted labels, and how often "no natural segments" was reported.
Tables without structure count as exact when no natural segments are reported.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris, load_wine, make_blobs, make_classification
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import synth  # noqa: E402
from analysis.config import Segmentation  # noqa: E402


def _std(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


# ---------------------------------------------------------------- generators of matrices

def blobs(seed: int, k: int = 5, n: int = 3000, d: int = 6, std: float = 1.0, noise: int = 0) -> tuple:
    x, y = make_blobs(n_samples=n, centers=k, n_features=d, cluster_std=std, center_box=(-10, 10), random_state=seed)
    if noise:
        x = np.hstack([x, np.random.default_rng(seed).normal(0, x.std(), size=(n, noise))])
    return _std(x), y


def classification(seed: int, k: int = 4, n: int = 3000, noise: int = 6, sep: float = 3.0) -> tuple:
    x, y = make_classification(n_samples=n, n_features=5 + noise, n_informative=5, n_redundant=0, n_repeated=0,
                               n_classes=k, n_clusters_per_class=1, class_sep=sep, flip_y=0.0, shuffle=False,
                               random_state=seed)
    return _std(x), y


def anisotropic(seed: int, k: int = 4, n: int = 3000) -> tuple:
    rng = np.random.default_rng(seed)
    x, y = make_blobs(n_samples=n, centers=k, n_features=4, cluster_std=1.0, center_box=(-12, 12), random_state=seed)
    return _std(x @ rng.normal(size=(4, 4))), y


def unequal(seed: int, k: int = 5, n: int = 3000) -> tuple:
    rng = np.random.default_rng(seed)
    w = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04][:k])
    sizes = np.maximum((w / w.sum() * n).astype(int), int(0.06 * n))
    x, y = make_blobs(n_samples=list(sizes), n_features=5, cluster_std=rng.uniform(0.7, 1.6, size=k),
                      center_box=(-10, 10), random_state=seed)
    return _std(x), y


def lognormal(seed: int, k: int = 4, n: int = 3000) -> tuple:
    """Spend per category, log-normal, segments differ in the median of each category."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    mu = rng.uniform(2, 7, size=(k, 6))
    x = np.exp(rng.normal(mu[y], 0.5))
    return _std(np.log1p(x)), y


def mixed(seed: int, k: int = 4, n: int = 3000) -> tuple:
    """Numeric columns and one-hot categorical columns, both carrying the segments."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    num = rng.normal(rng.uniform(-3, 3, size=(k, 4))[y], 1.0)
    cat_p = rng.dirichlet(np.full(4, 0.3), size=k)
    cat = np.array([rng.choice(4, p=cat_p[s]) for s in y])
    return _std(np.hstack([num, np.eye(4)[cat] * 0.7])), y


def overlap(seed: int, k: int = 4, n: int = 3000, sep: float = 3.0) -> tuple:
    """Unit-variance spherical clusters in 5 dimensions whose centres are `sep` apart (a simplex)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    centres = np.eye(k, 5) * sep / np.sqrt(2)
    return _std(rng.normal(centres[y], 1.0)), y


def gaussian_cloud(seed: int, n: int = 3000, d: int = 8) -> tuple:
    rng = np.random.default_rng(seed)
    cov = rng.normal(size=(d, d))
    return _std(rng.normal(size=(n, d)) @ cov), np.zeros(n, dtype=int)


def uniform_cube(seed: int, n: int = 3000, d: int = 6) -> tuple:
    return _std(np.random.default_rng(seed).uniform(size=(n, d))), np.zeros(n, dtype=int)


def gradient(seed: int, n: int = 3000, d: int = 6) -> tuple:
    """A smooth gradient: every column a noisy monotone function of one latent value."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n)
    cols = [np.exp(2 * t * rng.uniform(0.5, 2)) + rng.normal(0, 0.3, n) for _ in range(d)]
    return _std(np.column_stack(cols)), np.zeros(n, dtype=int)


def wine(seed: int) -> tuple:
    d = load_wine()
    return _std(d.data), d.target


def iris(seed: int) -> tuple:
    d = load_iris()
    return _std(d.data), d.target


# ---------------------------------------------------------------- customer tables in the bundled layout

SPEND = ("MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds")
CHANNELS = ("NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases")


def customer_table(seed: int, k: int, n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers in the layout of data/marketing_campaign.csv with k planted segments that differ only
    in spend mix and channel mix; age, income, children, tenure, recency, web visits and deals carry
    no segment signal. Written independently of analysis/synth.py."""
    rng = np.random.default_rng(1000 + seed)
    w = rng.dirichlet(np.full(k, 4.0))
    w = np.maximum(w, 0.06)
    y = rng.choice(k, size=n, p=w / w.sum())
    # Segment mixes: each segment favours one or two spend categories and one channel.
    while True:
        spend_mix = rng.dirichlet(np.full(6, 0.6), size=k) + 0.02
        chan_mix = rng.dirichlet(np.full(3, 0.8), size=k) + 0.05
        spend_mix /= spend_mix.sum(1, keepdims=True)
        chan_mix /= chan_mix.sum(1, keepdims=True)
        prof = np.hstack([spend_mix, chan_mix])
        d = np.abs(prof[:, None] - prof[None]).sum(-1)
        if k == 1 or d[np.triu_indices(k, 1)].min() > 0.6:
            break
    income = np.clip(rng.normal(52_000, 18_000, n), 6_000, 160_000).round()
    total = np.exp(rng.normal(np.log(income / 80), 0.8)) + 10  # scale from income, not from segment
    shares = np.vstack([rng.dirichlet(60 * spend_mix[s]) for s in y])
    amounts = np.floor(total[:, None] * shares + rng.uniform(size=(n, 6))).astype(int)
    purchases = np.maximum(3, rng.poisson(np.clip(np.log(total) * 3, 3, None)))
    chan = np.vstack([rng.multinomial(p, chan_mix[s]) for p, s in zip(purchases, y)])
    start = pd.Timestamp("2012-07-30")
    signup = start + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    df = pd.DataFrame({
        "ID": np.arange(1, n + 1), "Year_Birth": rng.integers(1945, 1996, n),
        "Education": rng.choice(["Basic", "Graduation", "Master", "PhD"], n),
        "Marital_Status": rng.choice(["Single", "Married", "Together", "Divorced"], n),
        "Income": income, "Kidhome": rng.poisson(0.4, n).clip(0, 2), "Teenhome": rng.poisson(0.5, n).clip(0, 2),
        "Dt_Customer": signup.strftime("%d-%m-%Y"), "Recency": rng.integers(0, 100, n),
        **{c: amounts[:, i] for i, c in enumerate(SPEND)},
        "NumDealsPurchases": rng.binomial(purchases, 0.2),
        **{c: chan[:, i] for i, c in enumerate(CHANNELS)},
        "NumWebVisitsMonth": rng.poisson(5, n),
        "AcceptedCmp3": rng.binomial(1, 0.07, n), "AcceptedCmp4": rng.binomial(1, 0.07, n),
        "AcceptedCmp5": rng.binomial(1, 0.07, n), "AcceptedCmp1": rng.binomial(1, 0.06, n),
        "AcceptedCmp2": rng.binomial(1, 0.01, n), "Complain": rng.binomial(1, 0.01, n),
        "Z_CostContact": 3, "Z_Revenue": 11, "Response": rng.binomial(1, 0.15, n),
    })
    return df, y


def table_features(df: pd.DataFrame, explicit: list[str] | None = None):
    """The tool's own loading, cleaning and features on a table in the bundled layout (with `explicit`,
    that features list as if the configuration named it: no relevance weights)."""
    import yaml

    from analysis.ingest.cleaning import clean
    from analysis.config import parse_config
    from analysis.segment.features import build_features
    from analysis.ingest.loading import load_customers

    base = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        synth.write(df, Path(tmp) / "customers.csv")
        extra = {"features": explicit} if explicit else {}
        cfg = parse_config({**base, "customers": {**base["customers"], "path": "customers.csv"}, **extra},
                           base_dir=Path(tmp))
        data = clean(load_customers(cfg), cfg)
        feats = build_features(data, cfg)
    return feats, data


def _customer_case(seed: int, k: int) -> tuple:
    df, y = customer_table(seed, k)
    feats, _ = table_features(df)
    truth = y[feats.table.index.astype(int).to_numpy() - 1]
    raw, _ = table_features(df, explicit=list(feats.clustering))  # the same features without relevance weights
    return feats.matrix, raw.matrix, truth


def _synth_case(seed: int, k: int) -> tuple:
    df, y = synth.generate(3000, k, seed=seed)
    feats, _ = table_features(df)
    ids = df["ID"].to_numpy()
    truth = pd.Series(y, index=ids.astype(str)).reindex(feats.table.index.astype(str)).to_numpy()
    raw, _ = table_features(df, explicit=list(feats.clustering))
    return feats.matrix, raw.matrix, truth


def _orders_features(cfg):
    """The report's own route from order lines to features (load_input, cleaning, features)."""
    from analysis.ingest.cleaning import clean
    from analysis.ingest.joining import load_input, with_extra
    from analysis.segment.features import build_features

    inp = load_input(cfg)
    data = with_extra(clean(inp.table, inp.cfg), inp)
    return build_features(data, inp.cfg), inp.cfg


def _orders_case(seed: int, k: int, customers: int = 5000, lines: int = 200_000) -> tuple:
    """Order lines from `segments synth --transactions` through the tool's DuckDB aggregation."""
    from analysis.config import load_config

    data = synth.generate_orders(customers, lines, k, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth.write_orders(data, tmp)
        cfg = load_config(paths["config"])
        feats, cfg = _orders_features(cfg)
        raw, _ = _orders_features(cfg.model_copy(update={"features": list(feats.clustering)}))
    truth_s = data.truth.set_index(data.truth["customer_id"].astype(str))["segment"]
    truth = truth_s.reindex(feats.table.index.astype(str)).to_numpy()
    return feats.matrix, raw.matrix, truth


# ---------------------------------------------------------------- the two rules

def _old_search():
    """The rule before feature relevance and valleys, from the commit that held it."""
    import importlib.util
    import subprocess

    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:analysis/selection.py"],
                         capture_output=True, text=True, check=True).stdout
    # the file predates analysis/segment/: its sibling import now lives there
    src = src.replace("from . import clustering as cl", "from .segment import clustering as cl")
    spec = importlib.util.spec_from_loader("analysis._selection_old", loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "analysis"
    sys.modules["analysis._selection_old"] = mod
    exec(compile(src, "selection_old.py", "exec"), mod.__dict__)
    return mod.search


OLD_COMMIT = "28eb2a5"  # the last commit with the previous rule


@dataclass
class Case:
    group: str
    setting: str
    planted: int  # 0: no structure
    make: Callable[[int], tuple]  # seed -> (new matrix, old matrix, truth)


def matrix_case(gen, **kw):
    """A generator of standardised matrices: the new rule sees them after the relevance weights."""
    from analysis.segment.relevance import relevance, weights

    def make(seed):
        x, y = gen(seed, **kw)
        return x * weights(relevance(x, seed)), x, y
    return make


def battery(quick: bool) -> list[tuple[Case, int]]:
    reps = 2 if quick else 3
    nulls = 3 if quick else 10
    cases = []
    for k in range(3, 9):
        cases.append((Case("customer tables (independent)", f"k={k}", k, lambda s, k=k: _customer_case(s, k)), reps))
    for k in (3, 4, 5, 6):
        cases.append((Case("segments synth", f"k={k}", k, lambda s, k=k: _synth_case(s, k)), 1 if quick else 2))
    for k in (4, 5):
        cases.append((Case("order lines (segments synth --transactions)", f"k={k}, 5,000 customers, 200,000 lines",
                           k, lambda s, k=k: _orders_case(s, k)), 1 if quick else 2))
    # A large table: the search sees 3,000 of 50,000 customers, as on the 20M-line benchmark.
    cases.append((Case("order lines, large table", "k=5, 50,000 customers, 1,000,000 lines", 5,
                       lambda s: _orders_case(s, 5, customers=50_000, lines=1_000_000)), 1 if quick else 3))
    cases += [
        (Case("make_blobs", "k=5, 6 columns", 5, matrix_case(blobs, k=5)), reps),
        (Case("make_blobs + noise", "k=5, 6 + 6 noise columns", 5, matrix_case(blobs, k=5, noise=6)), reps),
        (Case("make_classification", "k=4, 5 + 6 noise columns", 4, matrix_case(classification, k=4)), reps),
        (Case("anisotropic blobs", "k=4", 4, matrix_case(anisotropic, k=4)), reps),
        (Case("unequal sizes and spreads", "k=5", 5, matrix_case(unequal, k=5)), reps),
        (Case("log-normal spend", "k=4", 4, matrix_case(lognormal, k=4)), reps),
        (Case("mixed numeric + categorical", "k=4", 4, matrix_case(mixed, k=4)), reps),
    ]
    for sep in (2.0, 3.0, 4.0, 6.0):
        cases.append((Case("overlapping clusters", f"k=4, centres {sep:g} sd apart", 4,
                           matrix_case(overlap, k=4, sep=sep)), reps))
    for name, gen in (("gaussian cloud", gaussian_cloud), ("uniform cube", uniform_cube), ("gradient", gradient)):
        cases.append((Case("no structure", name, 0, matrix_case(gen)), nulls))
    cases.append((Case("load_wine (standardised)", "3 cultivars", 3, matrix_case(wine)), 1))
    cases.append((Case("load_iris (standardised)", "3 species", 3, matrix_case(iris)), 1))
    return cases


def run(quick: bool = False, only: str | None = None, skip: str | None = None) -> list[dict]:
    from analysis.config import Report
    from analysis.segment.selection import search

    old = _old_search()
    seg = Segmentation()
    out = []
    for case, reps in battery(quick):
        if (only and only not in case.group) or (skip and skip in case.group):
            continue
        for rep in range(reps):
            new_x, old_x, truth = case.make(rep)
            row = {"group": case.group, "setting": case.setting, "planted": case.planted, "seed": rep}
            for name, fn, x in (("new", search, new_x), ("old", old, old_x)):
                t = time.perf_counter()
                # As the report searches: no segment under the public pages' minimum (report.min_segment_size).
                found = fn(x, seg, rep, shown=Report().min_segment_size) if name == "new" else fn(x, seg, rep)
                c = found.choice
                none = getattr(c, "structure", "clear") == "none"
                row[f"{name}_k"] = c.k
                row[f"{name}_structure"] = getattr(c, "structure", "-")
                row[f"{name}_exact"] = none if case.planted == 0 else (c.k == case.planted and not none)
                row[f"{name}_ari"] = adjusted_rand_score(truth, found.labels) if case.planted else float("nan")
                row[f"{name}_s"] = time.perf_counter() - t
            if case.planted:
                from sklearn.cluster import KMeans
                for name, x in (("oracle_new", new_x), ("oracle_old", old_x)):
                    lab = KMeans(case.planted, n_init=10, random_state=rep).fit_predict(x)
                    row[f"{name}_ari"] = adjusted_rand_score(truth, lab)
            out.append(row)
            print(f"  {case.group} / {case.setting} seed {rep}: new k={row['new_k']} ({row['new_structure']}) "
                  f"ARI {row['new_ari']:.3f} | old k={row['old_k']} ARI {row['old_ari']:.3f}", file=sys.stderr, flush=True)
    return out


def oracle(d: pd.DataFrame) -> str:
    """Median ARI of k-means (10 starts) at the planted k, on the new rule's and on the old rule's features."""
    if d["planted"].iloc[0] == 0 or "oracle_new_ari" not in d or d["oracle_new_ari"].isna().all():
        return "–"
    return f"{d['oracle_new_ari'].median():.3f} / {d['oracle_old_ari'].median():.3f}"


def table(rows: list[dict]) -> str:
    df = pd.DataFrame(rows)
    lines = ["| Generator | Setting | Planted k | Tables | New: k chosen | New: k exact | New: median ARI | "
             "New: structure | Old: k chosen | Old: k exact | Old: median ARI | k-means at planted k: ARI |",
             "|:--|:--|--:|--:|:--|--:|--:|:--|:--|--:|--:|--:|"]
    for (g, s), d in df.groupby(["group", "setting"], sort=False):
        def ks(col):
            return ", ".join(str(v) for v in d[col])

        def ari(col):
            return "–" if d["planted"].iloc[0] == 0 else f"{d[col].median():.3f}"
        structure = ", ".join(f"{v} {n}" for v, n in d["new_structure"].value_counts().items())
        planted = "none" if d["planted"].iloc[0] == 0 else str(d["planted"].iloc[0])
        lines.append(f"| {g} | {s} | {planted} | {len(d)} | {ks('new_k')} | {d['new_exact'].sum()}/{len(d)} | "
                     f"{ari('new_ari')} | {structure} | {ks('old_k')} | {d['old_exact'].sum()}/{len(d)} | {ari('old_ari')} | "
                     f"{oracle(d)} |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    df = pd.DataFrame(rows)
    out = []
    for label, mask in (("customer tables (independent), k = 3..8", df["group"] == "customer tables (independent)"),
                        ("no structure", df["planted"] == 0),
                        ("all planted", df["planted"] > 0)):
        d = df[mask]
        if d.empty:
            continue
        for rule in ("new", "old"):
            ari = f", median ARI {d[f'{rule}_ari'].median():.3f}" if (d["planted"] > 0).all() else ""
            out.append(f"- {label}, {rule} rule: k exact {d[f'{rule}_exact'].sum()}/{len(d)} "
                       f"({d[f'{rule}_exact'].mean():.0%}){ari}; mean search time {d[f'{rule}_s'].mean():.1f} s")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer tables per setting")
    ap.add_argument("--only", help="run only the generators whose name contains this text")
    ap.add_argument("--skip", help="leave out the generators whose name contains this text")
    ap.add_argument("--csv", help="also write every table's row to this CSV file")
    ap.add_argument("--no-spread", action="store_true",
                    help="measure valleys on the raw values (the rule before repeated values were spread over their cells)")
    ap.add_argument("--nearest-only", action="store_true",
                    help="compare each segment with its nearest by centre only (the rule before bordering segments)")
    args = ap.parse_args(argv)
    if args.nearest_only:
        from analysis.segment import selection
        selection.BORDERS = False
    if args.no_spread:
        from analysis.segment import selection
        selection.dequantized = lambda x, seed: x
    with threadpool_limits(limits=1):
        rows = run(args.quick, args.only, args.skip)
    if args.csv:
        pd.DataFrame(rows).to_csv(args.csv, index=False)
    print(table(rows))
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()

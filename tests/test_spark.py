"""The Spark engine against the local engine, on a cluster of two executor processes
(`local-cluster[2,1,1024]`): the retail demo's first 150,000 order lines, and synthetic ones
(60,000 lines of every kind of flaw, and a million lines).

Same cleaning log, same per-customer rows (every value exact), same baskets; final
k-means labels with ARI >= 0.99; same per-segment aggregates (medians within Spark's percentile
accuracy); identical rule recounts; exports that read back as the local ones; and the whole
analysis on the cluster: same k, personas and rules as with the local engine.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.errors import UserError

from analysis.engine import spark_missing

MISSING = spark_missing()
if MISSING and os.environ.get("CI"):  # in CI every Spark test runs: a missing pyspark or Java is an error
    raise RuntimeError(f"CI is set but the Spark engine cannot run: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"Spark engine unavailable: {MISSING}")

ROOT = Path(__file__).resolve().parent.parent
MASTER = "local-cluster[2,1,1024]"  # two executor processes, one core and 1 GB each


def start_engine(conf: dict[str, str] | None = None):
    from analysis.engine.spark import SparkEngine
    # Small data on two single-core executors: few shuffle partitions, and the JIT's quick tier
    # only (its optimising compiler costs more CPU than these short jobs save).
    quick = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    return SparkEngine.start(MASTER, {"spark.driver.memory": "1g", "spark.ui.enabled": "false",
                                      "spark.driver.host": "127.0.0.1", "spark.sql.shuffle.partitions": "4",
                                      "spark.driver.extraJavaOptions": quick, "spark.executor.extraJavaOptions": quick,
                                      **(conf or {})})


@pytest.fixture(scope="module")
def engine():
    eng = start_engine()  # Spark's defaults otherwise, adaptive execution included, as users run it
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def local():
    from analysis.engine.local import LocalEngine
    return LocalEngine()


RETAIL_LINES = 150_000  # the demo's first lines (of 541,909): every rule and count of the whole, in a third of the time


@pytest.fixture(scope="module")
def retail_cfg(tmp_path_factory):
    """The retail demo's config on its first RETAIL_LINES order lines, copied byte for byte."""
    import gzip
    import shutil as sh

    from analysis.config import load_config

    folder = tmp_path_factory.mktemp("retail")
    with gzip.open(ROOT / "data" / "online_retail.csv.gz", "rb") as src, \
            gzip.open(folder / "online_retail.csv.gz", "wb") as dst:
        for i, line in enumerate(src):
            if i > RETAIL_LINES:
                break
            dst.write(line)
    sh.copy(ROOT / "data" / "online_retail_products.csv", folder)
    sh.copy(ROOT / "data" / "online_retail.yml", folder)
    return load_config(folder / "online_retail.yml")


@pytest.fixture(scope="module")
def retail(engine, local, retail_cfg):
    return local.load_orders(retail_cfg), engine.load_orders(retail_cfg)


@pytest.fixture(scope="module")
def synthetic(engine, local, tmp_path_factory):
    """60,000 synthetic lines as gzipped CSV: timestamps and numbers as text, cancellations,
    lines without a customer, duplicates, postage and free lines."""
    from analysis.config import load_config
    from analysis.cli import main as cli_main
    out = tmp_path_factory.mktemp("synth")
    cli_main(["synth", "--customers", "3000", "--transactions", "60000", "--segments", "4", "--seed", "7",
                "--format", "csv", "--out", str(out)])
    cfg = load_config(out / "config.yml")
    return cfg, local.load_orders(cfg), engine.load_orders(cfg)


def _same_orders(a, b):
    assert b.log == a.log  # every cleaning count and its wording
    assert list(b.frame.columns) == list(a.frame.columns)
    assert b.columns == a.columns
    # Every value exact: counts, dates, shares of orders, and money summed as decimals by both.
    pd.testing.assert_frame_equal(b.frame, a.frame, check_dtype=False, check_exact=True)
    assert b.excluded == a.excluded
    assert (b.reference_date, b.n_lines, b.sha256) == (a.reference_date, a.n_lines, a.sha256)
    assert getattr(b, "products_sha256", None) == getattr(a, "products_sha256", None)
    for f in ("order_idx", "product_idx", "order_customer", "product_category"):
        assert np.array_equal(getattr(b.baskets, f), getattr(a.baskets, f)), f
    assert np.array_equal(b.baskets.product_value, a.baskets.product_value, equal_nan=True)  # NaN: no prices
    assert (b.baskets.products, b.baskets.categories) == (a.baskets.products, a.baskets.categories)
    if getattr(a, "product_map", None) is not None:  # the map as applied, saved with a model
        pd.testing.assert_frame_equal(b.product_map.reset_index(drop=True), a.product_map.reset_index(drop=True),
                                      check_dtype=False)


def test_retail_order_lines_as_locally(retail):
    a, b = retail
    _same_orders(a, b)
    assert len(a.frame) > 2000 and any(e.step == "cancellations" for e in a.log)  # the demo, not an empty case


def test_synthetic_order_lines_as_locally(synthetic):
    _, a, b = synthetic
    _same_orders(a, b)
    assert {e.step for e in a.log} >= {"duplicates", "cancellations", "missing values"}


def test_saved_model_categories_as_locally(engine, local, synthetic):
    """A saved model's categories and product map: the other categories pooled as the model did."""
    from analysis.ingest.orders import OTHER
    cfg, a, _ = synthetic
    fixed = tuple(sorted(a.baskets.categories[:4])) + (OTHER,)
    ours = local.load_orders(cfg, categories=fixed, product_map=a.product_map)
    _same_orders(ours, engine.load_orders(cfg, categories=fixed, product_map=a.product_map))
    assert any("model was not built with" in e.detail for e in ours.log)


def _features(orders, cfg):
    """The retail customers' clustering matrix, as the pipeline builds it (cleaned on the driver)."""
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import Table
    from analysis.segment.features import build_features
    table = Table(path=cfg.customers_path, frame=orders.frame, delimiter=orders.delimiter,
                  encoding=orders.encoding, sha256=orders.sha256)
    cfg = cfg.model_copy(update={"columns": orders.columns, "report": cfg.report.model_copy(
        update={"reference_date": orders.reference_date})})
    return build_features(clean(table, cfg), cfg)


def test_final_fit_and_segment_aggregates(engine, local, retail, retail_cfg):
    from sklearn.metrics import adjusted_rand_score
    from analysis.segment.clustering import Fit, kmeans
    a, _ = retail
    feats = _features(a, retail_cfg)
    x = feats.matrix
    sample = np.sort(np.random.default_rng(1).choice(len(x), 1500, replace=False))
    fit = kmeans(x[sample], 3, seed=42)  # as the search fits it on its sample (1,500 of about 2,200)
    ours, theirs = local.final_fit(fit, x[sample], x, 42), engine.final_fit(fit, x[sample], x, 42)
    assert adjusted_rand_score(ours, theirs) >= 0.99
    # Other methods: every customer to the nearest centre of the sample's segments, exactly as locally.
    ward = Fit("ward", 3, fit.labels)
    assert np.array_equal(engine.final_fit(ward, x[sample], x, 42), local.final_fit(ward, x[sample], x, 42))

    labels = ours + 1
    country = a.frame.set_index("customer_id").loc[feats.table.index, ["Country"]]
    s, t = local.segment_stats(feats.table, labels, country), engine.segment_stats(feats.table, labels, country)
    pd.testing.assert_series_equal(t.size, s.size, check_names=False)
    for part in ("mean", "total"):
        pd.testing.assert_frame_equal(getattr(t, part), getattr(s, part), check_exact=False, rtol=1e-9, atol=1e-9,
                                      check_names=False)
    for o in ("overall_mean", "overall_sd"):
        pd.testing.assert_series_equal(getattr(t, o), getattr(s, o), check_exact=False, rtol=1e-9, check_names=False)
    assert t.categories["Country"].equals(s.categories["Country"])
    # Spark's median is a value of the segment whose rank is within the percentile's accuracy of the middle.
    from analysis.engine.spark import ACCURACY
    for seg in s.size.index:
        part = feats.table[labels == seg]
        n = len(part)
        for col in part.columns:
            v = part[col].to_numpy()
            below, at_most = int((v < t.median.loc[seg, col]).sum()), int((v <= t.median.loc[seg, col]).sum())
            slack = n / ACCURACY + 1
            assert below <= n / 2 + slack and at_most >= n / 2 - slack, (seg, col)


def _candidates(baskets, level, seed=3):
    """Candidate itemsets as the rules step gets them: rules mined on a sample of 2,000 baskets."""
    from analysis.engine import item_codes
    from analysis.insight.rules import baskets_from_pairs, mine
    rows, cols, names = item_codes(baskets, level)
    pick = np.random.default_rng(seed).choice(len(baskets.order_customer), 2000, replace=False)
    keep = np.isin(rows, pick)
    b = baskets_from_pairs(rows[keep], [names[i] for i in cols[keep]])
    rules = mine(b, 0.02, 0.3, max_consequent=1, min_length=2, max_length=3)
    sets = set()
    for lhs, rhs in zip(rules["lhs"], rules["rhs"]):
        sets |= {tuple(lhs) + tuple(rhs), tuple(lhs), tuple(rhs)}
    return sorted(sets)


def _same_recounts(engine, local, ours, theirs, segment_orders) -> None:
    """Candidates recounted by both engines, identical: product level over all orders, category
    level over one segment's orders (`ours`: the local engine's baskets, `theirs` the Spark engine's,
    which hold the same baskets)."""
    for level, subset in (("product", None), ("category", segment_orders)):
        sets = _candidates(ours, level)
        assert len(sets) > 20, level
        counts = local.count_itemsets(ours, level, sets, subset)
        assert np.array_equal(engine.count_itemsets(theirs, level, sets, subset), counts), level
        assert counts.min() > 0
        if subset is not None:  # a subset's counts: never above all baskets', below for some itemset
            every = local.count_itemsets(ours, level, sets)
            assert (counts <= every).all() and (counts < every).any()


def test_rule_recount_identical(engine, local, retail):
    a, _ = retail
    # One segment's baskets: the orders of about a third of the customers.
    orders = np.flatnonzero(pd.Series(a.baskets.order_customer).fillna("").str.endswith(("1", "4", "7")).to_numpy())
    _same_recounts(engine, local, a.baskets, a.baskets, orders)


def test_recount_on_the_engines_own_baskets(engine, retail):
    """Baskets the Spark engine loaded are recounted from the pairs it kept, with the same counts."""
    a, b = retail
    sets = _candidates(a.baskets, "product", seed=5)
    assert np.array_equal(engine.count_itemsets(b.baskets, "product", sets),
                          engine.count_itemsets(a.baskets, "product", sets))


def test_exports_read_back_as_locally(engine, local, tmp_path):
    assignments = pd.DataFrame({
        "customer_id": ["1", "=cmd()", "3", "-4"],
        "segment": pd.array([1, 2, pd.NA, 1], dtype="Int64"),
        "segment_name": ["Loyal", "+Big spenders", "", "Loyal"],
        "excluded_reason": ["", "", "no usable order line", ""],
    })
    customers = pd.DataFrame({"total_spend": [10.1234567, -5.0, 1e6], "segment": [1, 2, 1]},
                             index=pd.Index(["1", "=cmd()", "-4"], name="customer_id"))
    run = SimpleNamespace(results=SimpleNamespace(to_json=lambda: '{"ok": true}\n', personas=()),
                          assignments=assignments, customers=customers,
                          tables=(("segments/segment-1.csv", assignments[assignments["segment"] == 1]),))
    local.write_exports(run, tmp_path / "local")
    engine.write_exports(run, tmp_path / "spark")
    for rel in ("assignments.csv", "customers_features.csv", "segments/segment-1.csv", "results.json"):
        assert (tmp_path / "spark" / rel).read_bytes() == (tmp_path / "local" / rel).read_bytes(), rel
    back = pd.read_parquet(tmp_path / "spark" / "assignments.parquet")
    assert back["customer_id"].tolist() == ["1", "'=cmd()", "3", "'-4"]
    assert back["segment_name"].tolist() == ["Loyal", "'+Big spenders", "", "Loyal"]
    features = pd.read_parquet(tmp_path / "spark" / "customers_features.parquet")
    assert features["customer_id"].tolist() == ["1", "'=cmd()", "'-4"]


def test_exports_beyond_one_file_are_written_by_spark_as_parts(engine, tmp_path, monkeypatch):
    """Above COALESCE_MAX rows Spark writes the CSV as a folder of part files, from the Parquet
    folder the driver wrote (rows never travel inside tasks)."""
    import analysis.engine.spark as spark_engine

    monkeypatch.setattr(spark_engine, "COALESCE_MAX", 10)
    n = 25_000
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "segment": np.arange(n) % 4 + 1,
                          "segment_name": np.where(np.arange(n) % 2 == 0, "=SUM(A1)", "Loyal")})
    spark_engine.write_table(engine.spark, frame, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").is_dir()
    parts = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((tmp_path / "a.csv").glob("part-*.csv"))]
    back = pd.concat(parts).sort_values("customer_id", key=lambda s: s.str[1:].astype(int))
    assert back["customer_id"].tolist() == frame["customer_id"].tolist()
    assert set(back["segment_name"]) == {"'=SUM(A1)", "Loyal"}
    assert back["segment"].astype(int).tolist() == frame["segment"].tolist()


def test_java_pattern():
    from analysis.engine.spark import java_pattern
    assert java_pattern("%Y-%m-%d %H:%M") == "yyyy-M-d H:m"
    assert java_pattern("%d/%m/%YT%I:%M %p") == "d/M/yyyy'T'h:m a"
    assert java_pattern("%Y%m%d") == "yyyyMMdd"  # the day too: "yyyyMMd" reads no 19970101
    assert java_pattern("%a %d %b %y") == "EEE d MMM yy" and java_pattern("%A %d %B %Y, day %j") == "EEEE d MMMM yyyy, 'day' DDD"
    with pytest.raises(ValueError, match="%U is not read by the Spark engine"):
        java_pattern("%Y %U")
    assert java_pattern("%d/%m/%YT%H o'clock") == "d/M/yyyy'T'H 'o''clock'"  # a quote in literal text doubled


def test_numbered_in_sorted_order_across_partitions(engine):
    """Order and product codes: 0, 1, ... in the sorted order of their keys, whatever partition a
    row lands in (the numbering must not gather every order into one task, nor restart per part)."""
    from pyspark.sql import functions as F
    from analysis.engine.spark import numbered
    rng = np.random.default_rng(4)
    keys = sorted({f"o{v}" for v in rng.integers(0, 10**9, 3000)})
    shuffled = [keys[i] for i in rng.permutation(len(keys))]
    frame = engine.spark.createDataFrame([(k,) for k in shuffled], "ord string").repartition(6)
    out = numbered(frame, "ord", "b")
    assert out.select(F.spark_partition_id()).distinct().count() > 1
    got = {r["ord"]: r["b"] for r in out.collect()}
    assert got == {k: i for i, k in enumerate(keys)}
    assert numbered(frame.limit(0), "ord", "b").count() == 0


def test_start_uses_the_running_session(engine):
    """Without a master, a session already running (a notebook's) is used and left running."""
    from analysis.engine.spark import SparkEngine
    again = SparkEngine.start()
    assert again.spark is engine.spark
    again.close()
    assert engine.spark.range(3).count() == 3


def test_the_report_on_the_cluster_as_locally(engine, local, retail, retail_cfg, monkeypatch):
    """The whole analysis with each engine: same k, cleaning log, personas and rules; labels with
    ARI >= 0.99. The search sample (1,000 of 2,223 customers) and the rules' sample are made small so that the final fit
    and the rules' exact recount run on the cluster (the order lines' load is compared above)."""
    from sklearn.metrics import adjusted_rand_score
    from analysis.pipeline import analyse
    # k-means (the demo's choice) and the category level only: the other algorithms and the product
    # level run the same engine operations, at several times the cost.
    cfg = retail_cfg.model_copy(update={
        "segmentation": retail_cfg.segmentation.model_copy(update={"search_sample": 1000, "algorithm": "kmeans"}),
        "baskets": retail_cfg.baskets.model_copy(update={"sample": 5000, "levels": ["category"]})})  # 5,490 orders
    ours_orders, theirs_orders = retail
    monkeypatch.setattr(local, "load_orders", lambda *a, **k: ours_orders)
    monkeypatch.setattr(engine, "load_orders", lambda *a, **k: theirs_orders)
    counted = []
    recount = engine.count_itemsets

    def counting(baskets, level, *rest):
        counted.append(level)
        return recount(baskets, level, *rest)
    monkeypatch.setattr(engine, "count_itemsets", counting)
    run_a, run_b = analyse(cfg, engine=local), analyse(cfg, engine=engine)
    a, b = run_a.results, run_b.results
    assert set(counted) == set(cfg.baskets.levels)  # the recount ran on the cluster at every level
    assert b.chosen.k == a.chosen.k and b.chosen.algorithm == a.chosen.algorithm
    assert b.cleaning == a.cleaning
    assert [p.name for p in b.personas] == [p.name for p in a.personas]
    assert [p.size for p in b.segments] == pytest.approx([p.size for p in a.segments], rel=0.02)
    seg_a, seg_b = (r.assignments["segment"].fillna(0).to_numpy(dtype=int) for r in (run_a, run_b))
    assert adjusted_rand_score(seg_a, seg_b) >= 0.99
    assert len(a.baskets.levels) == len(b.baskets.levels) >= 1
    for la, lb in zip(a.baskets.levels, b.baskets.levels):
        assert (lb.level, lb.n_rules, lb.top) == (la.level, la.n_rules, la.top)
        for sa, sb in zip(la.segments, lb.segments):
            assert (sb.n_rules, sb.top) == (sa.n_rules, sa.top)


def test_a_parquet_folder_and_a_catalog_table_as_locally(engine, local, synthetic, tmp_path):
    """Order lines as Spark writes them (a folder of part files), read as a folder and as a table of
    the session's catalog, by name: the same customers, log and baskets as the local engine reads
    from the folder."""
    import dataclasses

    from analysis.errors import UserError
    cfg, _, _ = synthetic
    lines = pd.read_csv(cfg.transactions_path, dtype=str, nrows=5000)
    folder = tmp_path / "lines"
    folder.mkdir()
    lines.iloc[:2500].to_parquet(folder / "part-00000-a.snappy.parquet", index=False)
    lines.iloc[2500:].to_parquet(folder / "part-00001-a.snappy.parquet", index=False)
    (folder / "_SUCCESS").write_bytes(b"")
    in_folder = cfg.model_copy(update={"transactions": cfg.transactions.model_copy(update={"path": str(folder)})})
    ours = local.load_orders(in_folder)
    assert ours.n_lines == 5000 and len(ours.frame) > 100
    from analysis.engine.spark import _source  # the folder read directly: every part, nothing else
    raw, kind, _ = _source(engine.spark, folder, cfg.transactions)
    assert kind == "parquet" and raw.count() == 5000 and raw.columns == list(lines.columns)

    engine.spark.sql(f"CREATE TABLE synth_lines USING parquet LOCATION '{folder.as_posix()}'")
    try:
        by_name = cfg.model_copy(update={"transactions": cfg.transactions.model_copy(
            update={"path": None, "table": "synth_lines"})})
        theirs = engine.load_orders(by_name)
        assert theirs.delimiter == "table" and len(theirs.sha256) == 64 and theirs.sha256 != ours.sha256
        _same_orders(ours, dataclasses.replace(theirs, sha256=ours.sha256))
        with pytest.raises(UserError, match="transactions.table .synth_lines. is read from a Spark catalog"):
            local.load_orders(by_name)
    finally:
        engine.spark.sql("DROP TABLE synth_lines")
    missing = cfg.model_copy(update={"transactions": cfg.transactions.model_copy(
        update={"path": None, "table": "no_such_lines"})})
    with pytest.raises(UserError, match="^table no_such_lines: cannot be read from the Spark catalog"):
        engine.load_orders(missing)


def test_a_customer_table_of_the_catalog_as_its_parquet_file(engine, local, tmp_path):
    """The marketing demo as a typed Parquet table of the session's catalog, named in
    customers.table: read as the local engine reads the same Parquet file (every cell, the
    control-character check), cleaned alike, and the whole analysis on the cluster gives the same
    segments and personas. The local engine refuses the name with one line."""
    from sklearn.metrics import adjusted_rand_score

    from analysis.config import load_config
    from analysis.errors import UserError
    from analysis.pipeline import analyse

    demo = load_config(ROOT / "data" / "marketing_campaign.yml")
    typed = pd.read_csv(ROOT / "data" / "marketing_campaign.csv", sep="\t")  # ints, floats with gaps, text
    assert {"int64", "float64"} <= {str(t) for t in typed.dtypes}
    assert any(pd.api.types.is_string_dtype(t) for t in typed.dtypes)
    folder = tmp_path / "customers"
    folder.mkdir()
    typed.to_parquet(folder / "part-00000.parquet", index=False)
    fast = demo.segmentation.model_copy(update={"search_sample": 1000, "algorithm": "kmeans"})
    as_file = demo.model_copy(update={"customers": demo.customers.model_copy(update={"path": str(folder)}),
                                      "segmentation": fast})
    by_name = as_file.model_copy(update={"customers": demo.customers.model_copy(
        update={"path": None, "table": "demo_customers"})})
    engine.spark.sql(f"CREATE TABLE demo_customers USING parquet LOCATION '{folder.as_posix()}'")
    try:
        ours, theirs = local.load_customers(as_file), engine.load_customers(by_name)
        pd.testing.assert_frame_equal(theirs.frame, ours.frame, check_exact=True)
        assert theirs.plain == ours.plain and theirs.delimiter == "table" and str(theirs.path) == "table demo_customers"
        assert (ours.frame["Income"] == "").sum() == 24  # the gaps stay gaps, as in the CSV
        a, b = local.clean(ours, as_file), engine.clean(theirs, by_name)
        pd.testing.assert_frame_equal(b.customers, a.customers, check_exact=True)
        assert (b.log, b.reasons, b.all_ids) == (a.log, a.reasons, a.all_ids)
        run_a, run_b = analyse(as_file, engine=local), analyse(by_name, engine=engine)
        assert run_b.results.chosen.k == run_a.results.chosen.k
        assert [p.name for p in run_b.results.personas] == [p.name for p in run_a.results.personas]
        seg_a, seg_b = (r.assignments["segment"].fillna(0).to_numpy(dtype=int) for r in (run_a, run_b))
        assert adjusted_rand_score(seg_a, seg_b) >= 0.99
        with pytest.raises(UserError, match=r"^customers.table \(demo_customers\) is read from a Spark catalog"):
            local.load_customers(by_name)
    finally:
        engine.spark.sql("DROP TABLE demo_customers")
    with pytest.raises(UserError, match="^table demo_customers: cannot be read from the Spark catalog"):
        engine.load_customers(by_name)


def test_a_joined_config_of_two_catalog_tables(engine, local, tmp_path):
    """customers.table and transactions.table together (a joined config): the same joined input
    as the local engine reads from the two Parquet files, the log naming the table."""
    import dataclasses

    from analysis.cli import main as cli_main
    from analysis.config import load_config
    from analysis.ingest.joining import load_input
    cli_main(["synth", "--customers", "1000", "--transactions", "8000", "--joined", "--seed", "3", "--out", str(tmp_path)])
    cfg = load_config(tmp_path / "config.yml")
    pd.read_csv(cfg.customers_path, sep="\t").to_parquet(tmp_path / "customers.parquet", index=False)
    as_files = cfg.model_copy(update={"customers": cfg.customers.model_copy(update={"path": str(tmp_path / "customers.parquet")})})
    by_name = cfg.model_copy(update={"customers": cfg.customers.model_copy(update={"path": None, "table": "j_customers"}),
                                     "transactions": cfg.transactions.model_copy(update={"path": None, "table": "j_lines"})})
    engine.spark.sql(f"CREATE TABLE j_customers USING parquet LOCATION '{(tmp_path / 'customers.parquet').as_posix()}'")
    engine.spark.sql(f"CREATE TABLE j_lines USING parquet LOCATION '{cfg.transactions_path.as_posix()}'")
    try:
        a = load_input(as_files, load_orders=local.load_orders, load_customers=local.load_customers)
        b = load_input(by_name, load_orders=engine.load_orders, load_customers=engine.load_customers, engine="spark")
    finally:
        engine.spark.sql("DROP TABLE j_customers")
        engine.spark.sql("DROP TABLE j_lines")
    pd.testing.assert_frame_equal(b.table.frame, a.table.frame, check_exact=True)
    assert b.extra == a.extra and len(b.log) == len(a.log) and any("table j_customers" in e.detail for e in b.log)
    named = [dataclasses.replace(e, detail=e.detail.replace("table j_customers", "customers.parquet")) for e in b.log]
    assert named == list(a.log)
    assert b.sources["customers"]["file"] == "j_customers" and b.sources["transactions"]["file"] == "j_lines"


def test_excel_lines_are_refused_with_one_line(tmp_path):
    """Excel order lines are a file on the driver that a cluster's executors cannot read."""
    from analysis.config import TransactionsFile
    from analysis.engine.spark import _source
    from analysis.errors import UserError
    path = tmp_path / "lines.xlsx"
    pd.DataFrame({"a": [1], "b": [2]}).to_excel(path, index=False)
    t = TransactionsFile(path=str(path), customer="a", order="a", timestamp="a", product="a", quantity="a", unit_price="b")
    with pytest.raises(UserError, match=r"lines.xlsx: Excel order lines are read by the local engine only"):
        _source(None, path, t)


def test_a_million_synthetic_lines_on_the_cluster_as_locally(engine, local, tmp_path):
    """`segments synth --transactions 1000000` on the two executors: the same order data to the
    last value, final-fit labels with ARI >= 0.99, and identical recounts of rules mined on a
    sample of baskets, at both levels, for all orders and for one segment's."""
    from sklearn.metrics import adjusted_rand_score

    from analysis.cli import main as cli_main
    from analysis.config import load_config
    from analysis.segment.clustering import kmeans
    cli_main(["synth", "--customers", "50000", "--transactions", "1000000", "--segments", "5", "--seed", "1",
              "--out", str(tmp_path)])
    cfg = load_config(tmp_path / "config.yml")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    assert a.n_lines == 1_000_000 and len(a.frame) > 45_000
    _same_orders(a, b)
    feats = _features(a, cfg)
    x = feats.matrix
    sample = np.sort(np.random.default_rng(1).choice(len(x), 3000, replace=False))
    fit = kmeans(x[sample], 5, seed=42)  # as the search fits it on its sample
    ours, theirs = local.final_fit(fit, x[sample], x, 42), engine.final_fit(fit, x[sample], x, 42)
    assert adjusted_rand_score(ours, theirs) >= 0.99
    members = set(feats.table.index[ours == np.bincount(ours).argmax()].astype(str))  # the largest segment's
    _same_recounts(engine, local, a.baskets, b.baskets,
                   np.flatnonzero(pd.Series(a.baskets.order_customer).isin(members).to_numpy()))


@pytest.mark.parametrize("budget", [2**28, 0])  # per-item bitsets, and sorted lists intersected past the budget
@pytest.mark.parametrize("level", ["product", "category"])
def test_a_partition_counts_as_the_local_counter(budget, level):
    """The recount's per-partition function on its own (no Spark): baskets split over Arrow batches
    of one partition, counted as rules.ItemsetCounter counts them."""
    import itertools

    import pyarrow as pa

    from analysis.engine.spark import _partition_counter
    from analysis.insight.rules import ItemsetCounter, baskets_from_lists
    rng = np.random.default_rng(5)
    n_products, category = 12, np.array([0, 0, 1, 1, 2, 2, 3, 3, -1, -1, 4, 4])
    lists = [sorted(rng.choice(n_products, size=rng.integers(1, 6), replace=False).tolist()) for _ in range(3000)]
    item_of = category if level == "category" else None
    named = [sorted({f"i{item_of[p] if item_of is not None else p}" for p in b
                     if item_of is None or item_of[p] >= 0}) for b in lists]
    counter = ItemsetCounter(baskets_from_lists(named))
    codes = range(5) if level == "category" else range(n_products)
    members = [np.array(s) for s in itertools.chain(itertools.combinations(codes, 1), itertools.combinations(codes, 2),
                                                       itertools.combinations(codes, 3))]
    batches = [pa.RecordBatch.from_arrays([pa.array(lists[i:i + 700], pa.list_(pa.int32()))], ["items"])
               for i in range(0, len(lists), 700)]
    out = list(_partition_counter(members, item_of, budget)(iter(batches)))
    got = np.zeros(len(members), dtype=np.int64)
    for batch in out:
        got[batch.column(0).to_numpy()] = batch.column(1).to_numpy()
    want = np.array([counter.count([f"i{i}" for i in m]) for m in members])
    assert want.sum() > 0
    assert np.array_equal(got, want)

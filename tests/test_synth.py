"""The synthetic customer generator: layout, determinism, planted structure the pipeline recovers, dirt."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from analysis import synth
from analysis.config import parse_config
from analysis.pipeline import analyse

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED = DATA / "marketing_campaign.csv"


def _config(tmp_path: Path, filename: str, k) -> dict:
    base = yaml.safe_load((DATA / "marketing_campaign.yml").read_text(encoding="utf-8"))
    return {**base, "customers": {**base["customers"], "path": filename}, "segmentation": {"k": k}}


def _run(df: pd.DataFrame, tmp_path: Path, k, filename: str = "customers.csv"):
    synth.write(df, tmp_path / filename)
    return analyse(parse_config(_config(tmp_path, filename, k), base_dir=tmp_path))


def _ari(run, truth: np.ndarray) -> float:
    seg = run.assignments["segment"]
    kept = seg.notna().to_numpy()
    return adjusted_rand_score(truth[kept], seg[kept].astype(int).to_numpy())


# ---------------------------------------------------------------- archetypes


def test_archetypes_are_distinct_and_well_formed():
    assert len(synth.ARCHETYPES) >= 6
    assert len({a.name for a in synth.ARCHETYPES}) == len(synth.ARCHETYPES)
    for a in synth.ARCHETYPES:
        assert a.weight > 0 and a.income_mean > a.income_sd > 0 and a.spend_level > 0
        assert len(a.spend_mix) == 6 and len(a.channel_mix) == 3 and len(a.campaign_probs) == 6
        assert np.isclose(sum(a.kid_probs), 1) and np.isclose(sum(a.teen_probs), 1)
        assert np.isclose(sum(a.education), 1) and np.isclose(sum(a.marital), 1)
        assert 0 < a.deal_propensity < 1 and 18 <= a.age_range[0] < a.age_range[1] <= 90


def test_segments_differ_in_mix_and_in_scale():
    """Every pair of planted segments differs by more than one pooled sd on at least two mix
    features (spend, channel, deal shares) and at least two scale features."""
    df, truth = synth.generate(12_000, len(synth.ARCHETYPES), seed=3)
    spend = df[list(synth.SPEND_COLUMNS)].to_numpy(float)
    chan = df[list(synth.CHANNEL_COLUMNS)].to_numpy(float)
    total, purchases = spend.sum(axis=1), chan.sum(axis=1)
    mix = np.column_stack([spend / total[:, None], chan / purchases[:, None], df["NumDealsPurchases"] / purchases])
    scale = np.column_stack([
        df["Income"].astype(float), 2014 - df["Year_Birth"], np.log1p(total), purchases,
        df["Kidhome"] + df["Teenhome"], df["NumWebVisitsMonth"], df["Recency"], np.log(total / purchases),
    ])

    def separated(x, i, j):
        a, b = x[truth == i], x[truth == j]
        d = np.abs(a.mean(axis=0) - b.mean(axis=0)) / np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
        return int((d > 1).sum())

    for i, j in itertools.combinations(range(len(synth.ARCHETYPES)), 2):
        assert separated(mix, i, j) >= 2, (synth.ARCHETYPES[i].name, synth.ARCHETYPES[j].name)
        assert separated(scale, i, j) >= 2, (synth.ARCHETYPES[i].name, synth.ARCHETYPES[j].name)


# ---------------------------------------------------------------- layout


@pytest.mark.parametrize("dirt", [False, True])
def test_layout_types_and_ranges(dirt):
    header = BUNDLED.read_text(encoding="utf-8").splitlines()[0].split("\t")
    n, k = 4_000, 5
    df, truth = synth.generate(n, k, seed=7, dirt=dirt)
    assert list(df.columns) == header
    assert len(df) == n and truth.shape == (n,)
    assert df["ID"].is_unique and pd.api.types.is_integer_dtype(df["ID"])
    for col in header:
        if col in ("Education", "Marital_Status", "Dt_Customer"):
            assert pd.api.types.is_string_dtype(df[col]), col
        else:
            assert pd.api.types.is_integer_dtype(df[col]), col
    assert set(np.unique(truth)) == set(range(k))
    assert np.bincount(truth).min() >= 0.05 * n
    signup = pd.to_datetime(df["Dt_Customer"], format="%d-%m-%Y")
    assert signup.min() >= pd.Timestamp("2012-07-30") and signup.max() <= pd.Timestamp("2014-06-29")
    assert (df["Z_CostContact"] == 3).all() and (df["Z_Revenue"] == 11).all()
    for col in list(synth.CAMPAIGN_COLUMNS) + ["Complain"]:
        assert set(df[col].unique()) <= {0, 1}, col
    counts = [c for c in header if c.startswith(("Mnt", "Num")) or c in ("Kidhome", "Teenhome", "Recency")]
    assert (df[counts] >= 0).all().all()
    assert df["Recency"].max() <= 99 and df["NumWebVisitsMonth"].max() <= 20
    assert set(df["Education"]) <= set(synth.EDUCATION)
    assert set(df["Marital_Status"]) <= set(synth.MARITAL) | set(synth.ODD_MARITAL)
    income = df["Income"].dropna()
    if not dirt:
        assert df["Income"].notna().all() and (df["Year_Birth"] >= 1924).all()
        assert set(df["Marital_Status"]) <= set(synth.MARITAL)
        assert income.between(2_000, 200_000).all()
    assert (df["Year_Birth"] <= 1996).all()


def test_sizes_follow_weights():
    df, truth = synth.generate(10_000, 4, seed=0)
    w = np.array([a.weight for a in synth.ARCHETYPES[:4]])
    assert np.allclose(np.bincount(truth) / 10_000, w / w.sum(), atol=0.001)
    assert df.attrs["synth"]["sizes"] == np.bincount(truth).tolist()
    _, small = synth.generate(40, 6, seed=0)  # the 5% floor holds even when rounding would break it
    assert np.bincount(small).min() >= 2


def test_bad_arguments():
    with pytest.raises(ValueError):
        synth.generate(100, 0)
    with pytest.raises(ValueError):
        synth.generate(100, len(synth.ARCHETYPES) + 1)
    with pytest.raises(ValueError):
        synth.generate(5, 6)  # cannot give six segments 5% each


def test_write_csv_like_bundled_and_parquet(tmp_path):
    df, _ = synth.generate(500, 4, seed=1, dirt=True)
    csv = synth.write(df, tmp_path / "c.csv")
    raw = csv.read_bytes()
    assert raw.splitlines()[0].decode() == BUNDLED.read_bytes().splitlines()[0].decode()
    assert b"\r\n" in raw and b".0\t" not in raw  # CRLF like the bundled file, whole-number incomes
    back = pd.read_csv(csv, sep="\t")
    assert list(back.columns) == list(df.columns) and len(back) == len(df)
    assert back["Income"].isna().sum() == df["Income"].isna().sum()
    assert (back["Dt_Customer"] == df["Dt_Customer"]).all()
    pq = synth.write(df, tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(pq), df, check_dtype=False)


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("dirt", [False, True])
def test_deterministic(dirt):
    a, ta = synth.generate(2_000, 5, seed=11, dirt=dirt)
    b, tb = synth.generate(2_000, 5, seed=11, dirt=dirt)
    pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(ta, tb)
    c, tc = synth.generate(2_000, 5, seed=12, dirt=dirt)
    assert not a.equals(c) and not np.array_equal(ta, tc)


def test_large_tables_keep_their_size_and_planted_shares():
    df, truth = synth.generate(200_000, 6, seed=0, dirt=True)
    assert len(df) == 200_000 and len(truth) == 200_000
    assert df["ID"].is_unique
    assert np.bincount(truth).min() >= 0.05 * len(truth)


# ---------------------------------------------------------------- recovery by the pipeline

@pytest.mark.parametrize("n_segments", [3, 4, 5, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_default_settings_recover_planted_segments(tmp_path, n_segments, seed):
    """The automatic choice of method and number of segments finds what was planted."""
    df, truth = synth.generate(3_000, n_segments, seed=seed)
    run = _run(df, tmp_path, "auto")
    ari = _ari(run, truth)
    assert run.results.chosen.k == n_segments, run.results.chosen.reason
    assert ari >= 0.9, f"n_segments={n_segments} seed={seed}: ARI {ari:.3f}"


def test_fixed_k_recovers_planted_segments(tmp_path):
    df, truth = synth.generate(3_000, 5, seed=3)
    run = _run(df, tmp_path, 5)
    assert run.results.chosen.k == 5 and _ari(run, truth) >= 0.9


# ---------------------------------------------------------------- dirt


def test_dirt_is_reported_by_the_cleaning(tmp_path):
    df, truth = synth.generate(3_000, 4, seed=5, dirt=True)
    dirt = df.attrs["synth"]["dirt"]
    assert 0.005 * len(df) <= dirt["missing_income"] <= 0.02 * len(df)
    assert 1 <= dirt["implausible_birth_years"] <= 20 and dirt["extreme_income"] >= 1
    assert dirt["duplicated_rows"] == round(0.02 * len(df))
    odd = sum(dirt["odd_marital_statuses"].values())
    assert 1 <= odd < 0.01 * len(df)
    assert df["Income"].isna().sum() == dirt["missing_income"]
    assert (df["Year_Birth"] < 1901).sum() == dirt["implausible_birth_years"]
    assert (df["Income"] == synth.EXTREME_INCOME).sum() == dirt["extreme_income"]
    twins = df.drop(columns="ID").duplicated().sum()
    assert twins == dirt["duplicated_rows"]

    run = _run(df, tmp_path, 4)
    log = run.results.cleaning

    def entry(step, column):
        found = [e for e in log if e.step == step and e.column == column]
        assert found, f"no {step!r} entry for {column!r} in {log}"
        return found[0]

    missing = entry("missing values", "Income")
    assert 1 <= missing.count <= dirt["missing_income"]  # counted on the rows kept (copies excluded)
    assert entry("implausible values", "Year_Birth").count == dirt["implausible_birth_years"]
    rare = entry("odd categories", "Marital_Status")
    assert rare.count == odd
    # Each odd status is held by fewer customers than the minimum group size: counted, not named.
    planted = sum(1 for count in dirt["odd_marital_statuses"].values() if count)
    assert rare.detail.startswith(f"{planted} value{'s' if planted > 1 else ''} held by fewer than 20 customers")
    assert entry("duplicates", "all columns but ID").count == dirt["duplicated_rows"]
    assert "666,666" in entry("outliers", "Income").detail
    # The dirt is small: the planted segments are still found.
    assert _ari(run, truth) >= 0.9


# ---------------------------------------------------------------- order lines

ORDER_N, ORDER_M = 1_500, 60_000


@pytest.fixture(scope="module")
def orders():
    return synth.generate_orders(ORDER_N, ORDER_M, 5, seed=4)


@pytest.fixture(scope="module")
def lines(orders):
    return orders.lines.to_pandas()


def _customer_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Per registered customer: recency, orders, lines per order, log units per line, category shares,
    from the kept lines (no cancellations, duplicates, postage or free lines)."""
    products = synth.catalogue(3000, seed=4).set_index("StockCode")["Category"]
    d = lines[lines["CustomerID"].notna() & ~lines["InvoiceNo"].str.startswith("C")
              & (lines["UnitPrice"] > 0) & (lines["StockCode"] != "POST")].drop_duplicates()
    d = d.assign(cat=d["StockCode"].astype(str).map(products), amount=d["Quantity"] * d["UnitPrice"],
                 hour=d["InvoiceDate"].dt.hour, day=d["InvoiceDate"].dt.day_of_year)
    g = d.groupby("CustomerID")
    out = pd.DataFrame({
        "recency": (d["InvoiceDate"].max() - g["InvoiceDate"].max()).dt.days,
        "orders": np.log(g["InvoiceNo"].nunique()),
        "lines": np.log(g.size() / g["InvoiceNo"].nunique()),
        "units": np.log(g["Quantity"].median()),
        "hour": g["hour"].mean(),
        "day": g["day"].mean(),
    })
    shares = d.pivot_table(index="CustomerID", columns="cat", values="amount", aggfunc="sum", fill_value=0)
    shares = shares.div(shares.sum(axis=1), axis=0)
    return out.join(shares)


def test_order_lines_layout_and_exact_count(orders, lines):
    assert tuple(lines.columns) == synth.LINE_COLUMNS
    assert len(lines) == ORDER_M == orders.info["lines"]
    assert lines["InvoiceNo"].str.fullmatch(r"C?\d{6,7}").all()
    assert pd.api.types.is_integer_dtype(lines["Quantity"]) and pd.api.types.is_float_dtype(lines["UnitPrice"])
    assert lines["InvoiceDate"].min() >= pd.Timestamp("2010-12-01") and lines["InvoiceDate"].max() < pd.Timestamp("2011-12-10")
    assert set(lines["Country"].astype(str)) <= set(synth.COUNTRIES)
    assert (lines["Country"].astype(str) == "United Kingdom").mean() > 0.7
    codes = set(orders.products["StockCode"])
    assert set(lines["StockCode"].astype(str)) <= codes | {"POST"}
    assert 2_000 <= len(codes) <= 4_000 and orders.products["Description"].is_unique
    assert set(orders.products["Category"]) == set(synth.CATEGORIES)
    # Each stock code always carries the same description.
    pairs = lines[["StockCode", "Description"]].astype(str).drop_duplicates()
    assert pairs["StockCode"].is_unique


def test_order_lines_carry_real_world_dirt(orders, lines):
    info = orders.info
    cancelled = lines["InvoiceNo"].str.startswith("C")
    assert cancelled.sum() == info["cancelled_lines"] == round(0.017 * ORDER_M)
    assert (lines.loc[cancelled, "Quantity"] < 0).all() and (lines.loc[~cancelled, "Quantity"] > 0).all()
    assert lines.loc[cancelled, "CustomerID"].notna().all()
    # Every cancelled line undoes an earlier line of the same customer and product.
    orig = lines[~cancelled].groupby(["CustomerID", "StockCode"], observed=True)["InvoiceDate"].min()
    c = lines[cancelled].set_index(["CustomerID", "StockCode"])["InvoiceDate"]
    assert (orig.reindex(c.index).to_numpy() < c.to_numpy()).all()
    guests = lines["CustomerID"].isna()
    assert guests.sum() == info["guest_lines"] and 0.08 < guests.mean() < 0.12
    assert lines.duplicated().sum() >= info["duplicate_lines"] == round(0.01 * ORDER_M)
    assert (lines["UnitPrice"] == 0).sum() == info["zero_price_lines"] >= 1
    assert (lines["UnitPrice"] < 0).sum() == info["negative_price_lines"] >= 1
    post = lines["StockCode"] == "POST"
    assert post.sum() == info["postage_lines"] >= 1
    assert (lines.loc[post, "Country"] != "United Kingdom").mean() > 0.3  # postage mostly on orders abroad


def test_order_lines_are_deterministic(orders):
    again = synth.generate_orders(ORDER_N, ORDER_M, 5, seed=4)
    assert again.lines.equals(orders.lines) and again.truth.equals(orders.truth)
    other = synth.generate_orders(ORDER_N, ORDER_M, 5, seed=5)
    assert not other.lines.equals(orders.lines)


def test_order_truth_covers_every_customer(orders, lines):
    truth = orders.truth
    assert len(truth) == ORDER_N and truth["customer_id"].is_unique
    assert set(lines["CustomerID"].dropna().astype(int)) == set(truth["customer_id"])
    w = np.array([a.weight for a in synth.ORDER_ARCHETYPES[:5]])
    assert np.allclose(np.bincount(truth["segment"]) / ORDER_N, w / w.sum(), atol=0.002)
    assert truth["planted_segment"].tolist() == [synth.ORDER_ARCHETYPES[s].name for s in truth["segment"]]


def test_order_segments_are_planted_and_recoverable(orders, lines):
    """Per-customer features from the lines separate the planted segments: each segment's favourite
    category is one its archetype prefers most (or as much as its second favourite), wholesale buys more units, lapsed customers
    are the least recent, and k-means on the features recovers the truth."""
    from sklearn.cluster import KMeans

    table = _customer_table(lines)
    seg = orders.truth.set_index("customer_id")["segment"].reindex(table.index.astype(int)).to_numpy()
    cats = list(synth.CATEGORIES)
    for s in range(5):
        mix = np.array(synth.ORDER_ARCHETYPES[s].category_mix)
        fav = table.loc[seg == s, cats].mean().idxmax()
        assert mix[cats.index(fav)] >= np.sort(mix)[-2], (synth.ORDER_ARCHETYPES[s].name, fav)
    by = table.groupby(seg).median()
    assert by["units"].idxmax() == 0  # wholesale resellers
    assert by["recency"].idxmax() == 3  # lapsed party planners
    x = table.fillna(0).to_numpy(float)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(x)
    assert adjusted_rand_score(seg, labels) >= 0.8


def test_order_bundles_are_bought_together(orders, lines):
    """Products of a planted bundle share orders far more often than their popularity explains."""
    d = lines[~lines["InvoiceNo"].str.startswith("C")]
    baskets = d.groupby("InvoiceNo")["StockCode"].apply(lambda s: set(s.astype(str)))
    n = len(baskets)
    lifts = []
    for bundle in orders.info["bundles"]:
        a, b = bundle[:2]
        has_a = baskets.map(lambda s: a in s)
        has_b = baskets.map(lambda s: b in s)
        if has_a.sum() >= 20 and has_b.sum() >= 20:
            lifts.append((has_a & has_b).sum() * n / (has_a.sum() * has_b.sum()))
    assert len(lifts) >= 10
    assert np.median(lifts) > 5


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_order_lines(tmp_path, orders, lines, fmt):
    paths = synth.write_orders(orders, tmp_path, fmt)
    if fmt == "parquet":
        back = pd.read_parquet(paths["lines"])
        pd.testing.assert_frame_equal(back, lines, check_dtype=False)  # Parquet stores seconds as ms
    else:
        assert paths["lines"].name == "lines.csv.gz"
        back = pd.read_csv(paths["lines"], dtype={"InvoiceNo": str, "StockCode": str})
        assert list(back.columns) == list(synth.LINE_COLUMNS) and len(back) == ORDER_M
        pd.testing.assert_series_equal(pd.to_datetime(back["InvoiceDate"], format="%Y-%m-%d %H:%M"),
                                       lines["InvoiceDate"].astype("datetime64[ns]"), check_dtype=False)
        assert back["CustomerID"].isna().sum() == lines["CustomerID"].isna().sum()
        assert (back["InvoiceNo"] == lines["InvoiceNo"]).all()
    products = pd.read_csv(paths["products"], dtype=str)
    assert list(products.columns) == ["StockCode", "Description", "Category"]
    assert set(lines["StockCode"].astype(str)) - set(products["StockCode"]) == {"POST"}
    truth = pd.read_csv(paths["truth"])
    assert list(truth.columns) == ["customer_id", "planted_segment"] and len(truth) == ORDER_N
    cfg = yaml.safe_load(paths["config"].read_text())
    t = cfg["transactions"]
    assert t["path"] == paths["lines"].name and t["not_products"] == ["POST"] and t["cancelled_prefix"] == "C"
    assert {t[k] for k in ("customer", "order", "timestamp", "product", "product_name", "quantity",
                           "unit_price")} <= set(synth.LINE_COLUMNS)
    assert cfg["products"] == {"path": "products.csv", "product": "StockCode", "category": "Category"}


def test_order_bad_arguments():
    with pytest.raises(ValueError):
        synth.generate_orders(1_000, 3_000)  # fewer than 4 lines per customer
    with pytest.raises(ValueError):
        synth.generate_orders(1_000, 10_000, n_segments=7)
    with pytest.raises(ValueError):
        synth.write_orders(synth.generate_orders(200, 2_000), "/tmp/unused", fmt="xlsx")


def test_cli_synth_transactions(tmp_path):
    from analysis.cli import main

    assert main(["synth", "--customers", "400", "--transactions", "8000", "--segments", "3", "--seed", "2",
                 "--out", str(tmp_path)]) == 0
    back = pd.read_parquet(tmp_path / "lines.parquet")
    assert len(back) == 8_000
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert set(truth["planted_segment"]) == {a.name for a in synth.ORDER_ARCHETYPES[:3]}
    assert main(["synth", "--customers", "400", "--transactions", "1000", "--out", str(tmp_path / "x")]) == 2

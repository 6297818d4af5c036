"""The engine interface and the local engine, on tables worked out by hand.

The Spark engine is checked against the local one in tests/test_spark.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from analysis.engine import ENGINES, SegmentStats, get_engine, item_codes, spark_missing
from analysis.engine.local import LocalEngine, segment_stats
from analysis.ingest.orders import OrderBaskets, by_owner
from analysis.segment.clustering import Fit, centres, kmeans, refit_all


def _baskets() -> OrderBaskets:
    """Orders 0..3: {A, B}, {A}, {A, B, C}, {C}; A and B are toys, C is a book (D: no category)."""
    pairs = [(0, 0), (0, 1), (1, 0), (2, 0), (2, 1), (2, 2), (3, 2), (3, 3)]
    owner, owners = by_owner(["c1", "c1", "c2", None])
    return OrderBaskets(
        order_idx=np.array([b for b, _ in pairs], dtype=np.int32),
        product_idx=np.array([p for _, p in pairs], dtype=np.int32),
        order_owner=owner, owners=owners,
        products=("B", "A", "C", "D"),  # codes are not in name order: counts must go by name
        product_category=np.array([0, 0, 1, -1], dtype=np.int32),
        categories=("books", "toys"),
        product_value=np.ones(4),
    )


def test_count_itemsets_products_by_hand():
    eng = LocalEngine()
    got = eng.count_itemsets(_baskets(), "product", [("B",), ("A",), ("A", "B"), ("B", "A", "C"), (), ("Z",),
                                                      ("A", "Z")])
    # "B" is code 0, held by orders 0, 1, 2 (their code 0); "A" (code 1) by orders 0 and 2.
    assert got.tolist() == [3, 2, 2, 1, 4, 0, 0]


def test_count_itemsets_on_a_subset_of_orders():
    got = LocalEngine().count_itemsets(_baskets(), "product", [("B",), ("A", "B"), ()], orders=np.array([1, 3]))
    assert got.tolist() == [1, 0, 2]


def test_count_itemsets_categories_by_hand():
    # Category "books" = code 0 = products B and A; "toys" = code 1 = product C; D has none.
    got = LocalEngine().count_itemsets(_baskets(), "category", [("books",), ("toys",), ("books", "toys")])
    assert got.tolist() == [3, 2, 1]


def test_item_codes_leave_out_products_without_category():
    rows, cols, names = item_codes(_baskets(), "category")
    assert names == ("books", "toys")
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (0, 0), (1, 0), (2, 0), (2, 0), (2, 1), (3, 1)]
    with pytest.raises(ValueError, match="level 'brand'"):
        item_codes(_baskets(), "brand")


def test_segment_stats_by_hand():
    table = pd.DataFrame({"spend": [10.0, 20.0, 30.0, 100.0, 0.0], "orders": [1.0, 2.0, 3.0, 4.0, 5.0]},
                         index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    labels = np.array([1, 1, 2, 2, 2])
    country = pd.DataFrame({"country": ["UK", "FR", "UK", "UK", "DE"]}, index=table.index)
    s = segment_stats(table, labels, country)
    assert isinstance(s, SegmentStats)
    assert s.size.to_dict() == {1: 2, 2: 3}
    assert s.mean.loc[1].tolist() == [15.0, 1.5] and s.mean.loc[2, "spend"] == pytest.approx(130 / 3)
    assert s.median.loc[1].tolist() == [15.0, 1.5] and s.median.loc[2].tolist() == [30.0, 4.0]
    assert s.total.loc[2].tolist() == [130.0, 12.0]
    assert s.overall_mean.tolist() == [32.0, 3.0]
    assert s.overall_sd["orders"] == pytest.approx(np.sqrt(2.0))  # population deviation of 1..5
    assert s.categories["country"].to_dict(orient="index") == {1: {"DE": 0, "FR": 1, "UK": 1},
                                                                2: {"DE": 1, "FR": 0, "UK": 2}}


def test_final_fit_is_refit_all():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(8, 1, (200, 2))])
    fit = kmeans(x[::4], 2, seed=1)
    assert np.array_equal(LocalEngine().final_fit(fit, x[::4], x, 1), refit_all(fit, x[::4], x, 1))
    ward_like = Fit("ward", 2, fit.labels)
    got = LocalEngine().final_fit(ward_like, x[::4], x, 1)
    assert len(np.unique(got[:200])) == 1 and len(np.unique(got[200:])) == 1 and got[0] != got[-1]


def test_get_engine():
    assert ENGINES == ("local", "spark")
    assert get_engine("local").name == "local"
    with pytest.raises(ValueError, match="engine 'dask'"):
        get_engine("dask")
    reason = spark_missing()
    assert reason is None or "install" in reason


def test_the_spark_submit_entry_point_runs_the_cli():
    """spark-submit runs a Python file: scripts/segments_submit.py is `segments` with its arguments."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    p = subprocess.run([sys.executable, str(root / "scripts" / "segments_submit.py"), "report", "--help"],
                       capture_output=True, text=True, cwd=root)
    assert p.returncode == 0 and "--engine" in p.stdout and "--master" in p.stdout


def test_the_final_fit_keeps_the_segments_the_search_scored():
    """Four groups at the corners of a wide rectangle, k = 2: splitting left from right is the
    best k-means solution, top from bottom a worse one that Lloyd's iterations do not leave. When
    the search kept the worse split, the final fit on everyone refines it instead of replacing it
    by fresh starts; fitted on everyone, the search's labels are the answer as they are."""
    rng = np.random.default_rng(3)
    corners = np.array([[-6.0, -2.0], [-6.0, 2.0], [6.0, -2.0], [6.0, 2.0]])
    x = np.vstack([rng.normal(c, 0.3, (300, 2)) for c in corners])
    sample = x[::5]
    top_bottom = (sample[:, 1] > 0).astype(int)
    model = KMeans(n_clusters=2, init=centres(sample, top_bottom, 2), n_init=1).fit(sample)
    fit = Fit("kmeans", 2, model.labels_.astype(int), model=model)
    assert adjusted_rand_score(top_bottom, fit.labels) == 1.0  # a fixed point of Lloyd's iterations
    got = refit_all(fit, sample, x, seed=1)
    assert adjusted_rand_score(x[:, 1] > 0, got) == 1.0
    fresh = KMeans(n_clusters=2, n_init=10, random_state=1).fit(x).labels_
    assert adjusted_rand_score(x[:, 0] > 0, fresh) == 1.0  # what fresh starts would have given
    scrambled = Fit("kmeans", 2, np.arange(len(x)) % 2)
    assert np.array_equal(refit_all(scrambled, x, x, seed=1), scrambled.labels)


def test_centres_are_each_segments_mean_and_an_empty_segment_keeps_its_previous_centre():
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [7.0, 70.0]])
    assert np.array_equal(centres(x, np.array([0, 0, 1, 1]), 2), [[2.0, 20.0], [6.0, 60.0]])
    previous = np.array([[0.0, 0.0], [9.0, 9.0], [8.0, 8.0]])
    got = centres(x, np.array([0, 2, 2, -1]), 3, previous=previous)  # -1: no segment (left out)
    assert np.array_equal(got, [[1.0, 10.0], [9.0, 9.0], [4.0, 40.0]])
    assert np.isnan(centres(x, np.array([0, 0, 0, 0]), 2)[1]).all()
    rng = np.random.default_rng(3)
    big, labels = rng.lognormal(size=(20_000, 6)), rng.integers(0, 5, 20_000)
    assert np.array_equal(centres(big, labels, 5), np.vstack([big[labels == s].mean(axis=0) for s in range(5)]))
    # The contiguous copy of the columns a caller may pass gives the same bits, labels left out too.
    cols = np.ascontiguousarray(big.T)
    assert np.array_equal(centres(big, labels, 5, columns=cols), centres(big, labels, 5))
    some = np.where(labels == 4, -1, labels)
    assert np.array_equal(centres(big, some, 5, previous=np.ones((5, 6)), columns=cols),
                          np.vstack([big[labels == s].mean(axis=0) for s in range(4)] + [np.ones(6)]))

"""Segment rules from a surrogate decision tree, and Cohen's d: tiny tables whose trees, thresholds
and effects are worked out by hand, then the bundled demo through the real pipeline."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.segment.explain import Effect, Rule, _stratified, cohens_d, condition, explain

DOCS = {
    "income": ("Income", "money"),
    "share_wines": ("Share of spend: Wines", "share"),
    "children": ("Children at home", "count"),
    "age": ("Age", "years"),
}


def two_bands():
    """Segment 1 is exactly income > 60,000 (incomes 64,000..120,000), segment 2 the rest
    (20,000..55,000); children is noise that splits neither."""
    income = np.concatenate([np.linspace(64_000, 120_000, 20), np.linspace(20_000, 55_000, 20)])
    children = np.tile([0, 1, 2, 3], 10).astype(float)
    labels = np.repeat([1, 2], 20)
    return pd.DataFrame({"income": income, "children": children}), labels


def test_one_threshold_is_the_midpoint_between_the_nearest_incomes():
    table, labels = two_bands()
    e = explain(table, labels, ("income", "children"), DOCS)
    # The nearest incomes either side are 55,000 and 64,000: the tree cuts at (55,000 + 64,000) / 2.
    assert e.rules == (
        Rule(segment=1, conditions=("Income above $59,500",), customers=20, precision=1.0, recall=1.0),
        Rule(segment=2, conditions=("Income at most $59,500",), customers=20, precision=1.0, recall=1.0),
    )
    assert e.depth == 1  # depth 2 was allowed, one pure split needs no second level
    assert e.accuracy == e.train_accuracy == 1.0
    assert e.overlap is False
    assert e.held_out == 10 / 40  # 25% of 40 customers, five of each segment, measured the accuracy


def three_segments():
    """Income bands A (20-35k), B and C (45-75k), D (85-100k); wine share 10-30% except C (70-90%).
    Segment 1 = A and D, 2 = B, 3 = C. By hand (Gini, 90 rows: 50/20/20, impurity 0.593):
    root: share <= 50% leaves 0.317 (income <= 40k 0.508, <= 80k 0.444) -> C alone on the right;
    then A+B+D (50/20): income <= 80k leaves 0.286 (<= 40k 0.343) -> D alone;
    then A+B: income <= 40k. A's path tests income twice (<= 80k, <= 40k), B's once each way."""
    a, bc, d = np.linspace(20_000, 35_000, 20), np.linspace(45_000, 75_000, 20), np.linspace(85_000, 100_000, 30)
    low = np.resize([0.1, 0.15, 0.2, 0.25, 0.3], 20)
    high = np.resize([0.7, 0.8, 0.9], 20)
    table = pd.DataFrame({
        "income": np.concatenate([a, bc, bc, d]),
        "share_wines": np.concatenate([low, low, high, np.resize(low, 30)]),
    })
    labels = np.concatenate([np.full(20, 1), np.full(20, 2), np.full(20, 3), np.full(30, 1)])
    return table, labels


def test_three_segments_two_features_merged_conditions():
    table, labels = three_segments()
    e = explain(table, labels, ("income", "share_wines"), DOCS, currency="€")
    assert e.rules == (
        # Segment 1 has two leaves, larger first; recall 30/50 and 20/50.
        Rule(1, ("Share of spend: Wines at most 50%", "Income above €80,000"), 30, 1.0, 0.6),
        Rule(1, ("Share of spend: Wines at most 50%", "Income at most €40,000"), 20, 1.0, 0.4),
        Rule(2, ("Share of spend: Wines at most 50%", "Income from €40,000 to €80,000"), 20, 1.0, 1.0),
        Rule(3, ("Share of spend: Wines above 50%",), 20, 1.0, 1.0),
    )
    assert e.depth == 3 and e.accuracy == 1.0  # depth 2 cannot separate A from B: about 78%
    for r in e.rules:
        labels_used = [c.split(" at most ")[0].split(" above ")[0].split(" from ")[0] for c in r.conditions]
        assert len(labels_used) == len(set(labels_used)), r


@pytest.mark.parametrize("args, text", [
    (("Share of spend: Wines", "share", 0.5, None), "Share of spend: Wines above 50%"),
    (("Share of spend: Wines", "share", 0.125, 0.375), "Share of spend: Wines from 12% to 38%"),
    (("Income", "money", 40_000, 69_000.4, "€"), "Income from €40,000 to €69,000"),
    (("Income", "money", None, 1234.5), "Income at most $1,234"),  # half to even, as formatters.money
    # Whole units are floored: ages are whole numbers, so "x <= 45.5" is exactly "at most 45 years".
    (("Age", "years", None, 45.5), "Age at most 45 years"),
    (("Age", "years", 45.5, None), "Age above 45 years"),
    (("Tenure", "months", 12.7, 30.2), "Tenure from 12 months to 30 months"),
    (("Days since last purchase", "days", None, 49.5), "Days since last purchase at most 49 days"),
    (("Children at home", "count", None, 0.5), "Children at home at most 0.5"),
    (("Purchases", "count", 12.25, None), "Purchases above 12.2"),
    (("Score", "number", 12.5, None), "Score above 12.5"),
    # Features whose every value is a whole number are cut between whole numbers: 12.5 is 12.
    (("Orders", "count", None, 12.5, "$", True), "Orders at most 12"),
    (("Orders", "count", 12.5, None, "$", True), "Orders above 12"),
    # ... and a range of whole numbers starts at the first above its lower cut: 2.5 < x <= 7.5 is 3 to 7.
    (("Visits", "number", 2.5, 7.5, "$", True), "Visits from 3 to 7"),
    (("Purchases", "count", 0.5, 4.5, "$", True), "Purchases from 1 to 4"),
    (("Age", "years", 28.5, 59.5, "$", True), "Age from 29 years to 59 years"),
    (("Orders", "count", 3.5, 4.5, "$", True), "Orders exactly 4"),
    (("Income", "money", 40_000.5, None, "$", True), "Income above $40,000"),
    (("Complained", "flag", 0.5, None), "Complained: yes"),
    (("Complained", "flag", None, 0.5), "Complained: no"),
    (("Share of spend: Wines", "share", 0.151, 0.153), "Share of spend: Wines about 15%"),  # ends read the same
])
def test_condition_text_by_kind(args, text):
    assert condition(*args) == text


def test_thresholds_formatted_by_kind_through_the_tree():
    # Ages 30..45 are segment 2, 46..61 segment 1: the cut at 45.5 reads in whole years.
    age = np.arange(30, 62, dtype=float)
    labels = np.where(age > 45, 1, 2)
    e = explain(pd.DataFrame({"age": age}), labels, ("age",), DOCS)
    assert [r.conditions for r in e.rules] == [("Age above 45 years",), ("Age at most 45 years",)]


def test_a_count_of_whole_numbers_is_cut_between_whole_numbers_through_the_tree():
    orders = np.arange(1, 25, dtype=float)  # 1..12 orders are segment 2, 13..24 segment 1: cut at 12.5
    e = explain(pd.DataFrame({"orders": orders}), np.where(orders > 12, 1, 2), ("orders",), {"orders": ("Orders", "count")})
    assert [r.conditions for r in e.rules] == [("Orders above 12",), ("Orders at most 12",)]
    # Averages are not whole numbers: their cut keeps its decimal.
    avg = orders + 0.25
    e = explain(pd.DataFrame({"orders": avg}), np.where(avg > 12.5, 1, 2), ("orders",), {"orders": ("Orders", "count")})
    assert [r.conditions for r in e.rules] == [("Orders above 12.8",), ("Orders at most 12.8",)]


def test_cohens_d_by_hand():
    # means 2 and 5.5; sums of squares 2 and 5; pooled variance 7 / (3 + 4 - 2) = 1.4
    assert cohens_d(np.array([1.0, 2, 3]), np.array([4.0, 5, 6, 7])) == pytest.approx(-3.5 / math.sqrt(1.4), abs=1e-9)
    assert cohens_d(np.array([10.0, 10]), np.array([0.0, 0, 0])) == 0.0  # no spread: 0 by definition
    assert cohens_d(np.array([5.0]), np.array([1.0, 3.0])) == pytest.approx(3 / math.sqrt(2), abs=1e-9)  # one customer


def test_distinguishing_features_by_hand():
    # Rows 0-2 are segment 1, rows 3-6 segment 2.
    table = pd.DataFrame({
        "a": [1, 2, 3, 4, 5, 6, 7],  # d = (2 - 5.5) / sqrt((2 + 5) / 5)
        "b": [5, 5, 5, 5, 5, 5, 5],  # constant: 0
        "c": [0, 0, 1, 0, 0, 0, 1],  # (1/3 - 1/4) / sqrt((2/3 + 3/4) / 5)
        "d": [10, 10, 10, 0, 0, 0, 0],  # no spread within either group: 0 by definition
        "e": [3, 5, 7, 1, 2, 3, 2],  # (5 - 2) / sqrt((8 + 2) / 5)
        "f": [1, 1, 2, 1, 2, 1, 1],  # same as c: ties go by name
    }, dtype=float)
    labels = np.array([1, 1, 1, 2, 2, 2, 2])
    docs = {n: (n.upper(), "number") for n in table}
    e = explain(table, labels, tuple(table), docs)
    d_a, d_c, d_e = -3.5 / math.sqrt(1.4), (1 / 12) / math.sqrt(17 / 60), 3 / math.sqrt(2)
    one = e.distinguishing[1]
    assert [x.feature for x in one] == ["a", "e", "c", "f", "b"]  # 5 largest |d|; d (0, after b) left out
    expected = [d_a, d_e, d_c, d_c, 0.0]
    for got, want in zip(one, expected):
        assert got.effect == pytest.approx(want, abs=1e-9)
    assert one[0] == Effect("a", "A", 2.0, 5.5, pytest.approx(d_a, abs=1e-9))
    # Segment 2 against the rest is the mirror image.
    assert [x.feature for x in e.distinguishing[2]] == ["a", "e", "c", "f", "b"]
    assert e.distinguishing[2][0].effect == pytest.approx(-d_a, abs=1e-9)


def test_unclaimed_segment_still_gets_its_best_leaf():
    # 100 customers of segment 1 at incomes 1k..100k, 2 of segment 2 at 101k..102k. Leaves hold at
    # least 5 customers, so segment 2 can never be a majority. The best cut keeps the mixed leaf
    # smallest (weighted Gini grows with its size): the top 5, cut at 97,500.
    income = np.concatenate([np.arange(1, 101), np.arange(101, 103)]) * 1000.0
    labels = np.repeat([1, 2], [100, 2])
    e = explain(pd.DataFrame({"income": income}), labels, ("income",), DOCS)
    assert e.rules == (
        Rule(1, ("Income at most $97,500",), 97, 1.0, 0.97),
        Rule(1, ("Income above $97,500",), 5, 0.6, 0.03),
        Rule(2, ("Income above $97,500",), 5, 0.4, 1.0),  # low precision says it is not theirs
    )
    # Four of segment 2: a leaf of five (half the smallest segment, at least 5) is theirs.
    income = np.concatenate([np.arange(1, 101), np.arange(101, 105)]) * 1000.0
    e = explain(pd.DataFrame({"income": income}), np.repeat([1, 2], [100, 4]), ("income",), DOCS)
    assert Rule(2, ("Income above $99,500",), 5, 0.8, 1.0) in e.rules


def test_a_segment_under_one_percent_gets_a_rule_of_its_own():
    """9,900 customers of segment 1 at incomes up to 100k and 100 of segment 2 (1%) above: leaves of
    1% of the customers (75 of segment 2 are fitted on) left segment 2 no leaf, and the tree agreed
    with the segments for 99% by naming segment 1 for everyone. Leaves of at most half the smallest
    segment give it its rule."""
    rng = np.random.default_rng(0)
    income = np.concatenate([rng.uniform(1_000, 100_000, 9_900), rng.uniform(101_000, 110_000, 100)]).round()
    labels = np.repeat([1, 2], [9_900, 100])
    e = explain(pd.DataFrame({"income": income}), labels, ("income",), DOCS)
    own = [r for r in e.rules if r.segment == 2]
    assert e.depth >= 1 and e.accuracy == 1.0
    assert own and own[0].precision == 1.0 and own[0].recall == 1.0 and own[0].customers == 100
    assert own[0].conditions[0].startswith("Income above $100,")


def noise(n=600, seed=3):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"income": rng.normal(50_000, 15_000, n).round(),
                          "share_wines": rng.uniform(0, 1, n), "children": rng.integers(0, 4, n).astype(float)})
    return table, rng.integers(1, 4, n)


def test_random_labels_overlap():
    table, labels = noise()
    e = explain(table, labels, ("income", "share_wines", "children"), DOCS)
    assert e.accuracy < 0.5  # three random segments: about 1/3
    assert e.overlap is True
    assert sorted({r.segment for r in e.rules}) == [1, 2, 3]


def test_same_seed_same_explanation():
    table, labels = noise()
    feats = ("income", "share_wines", "children")
    assert explain(table, labels, feats, DOCS, seed=7) == explain(table, labels, feats, DOCS, seed=7)


def test_large_tables_fit_on_a_sample_but_count_everyone():
    n = 250_000
    rng = np.random.default_rng(0)
    income = rng.uniform(10_000, 110_000, n).round()
    labels = np.where(income > 60_000, 1, 2)
    e = explain(pd.DataFrame({"income": income}), labels, ("income",), DOCS)
    assert sum(r.customers for r in e.rules) == n  # leaves counted on all rows, not the 200,000 fitted
    assert e.accuracy == 1.0 and [r.segment for r in e.rules] == [1, 2]


def test_stratified_sample_keeps_shares_with_largest_remainders():
    y = np.repeat([1, 2, 3], [5, 95, 900])
    rows = _stratified(y, 100, np.random.default_rng(0))
    # quotas 0.5, 9.5, 90 -> 0, 9, 90 and the one left over goes to the tie's smaller segment
    assert np.bincount(y[rows]).tolist() == [0, 1, 9, 90]
    assert len(np.unique(rows)) == 100 and (np.diff(rows) > 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(8, 120), k=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_any_labelling_gets_a_rule_per_segment_and_leaves_partition_customers(n, k, seed):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"income": rng.integers(0, 5, n) * 10_000.0, "share_wines": rng.uniform(0, 1, n)})
    labels = np.concatenate([np.arange(1, k + 1), rng.integers(1, k + 1, n - k)])
    e = explain(table, labels, ("income", "share_wines"), DOCS, seed=seed)
    assert sorted({r.segment for r in e.rules}) == list(range(1, k + 1))
    leaves = {r.conditions: r.customers for r in e.rules}  # a leaf shown for two segments counts once
    assert sum(leaves.values()) == n
    for s in range(1, k + 1):
        assert sum(r.recall for r in e.rules if r.segment == s) <= 1 + 1e-9
    assert all(0 <= r.precision <= 1 for r in e.rules) and 0 <= e.accuracy <= 1


@pytest.mark.parametrize("change, message", [
    (lambda t, y, f, d: (t, y[:-1], f, d), "labels has shape (39,); expected one label per table row (40 rows)"),
    (lambda t, y, f, d: (t, np.ones(40, dtype=int), f, d), "need at least 2 segments to explain, found 1 (1)"),
    (lambda t, y, f, d: (t, y, ("income", "tenure"), d), "feature 'tenure' is not a column of the table"),
    (lambda t, y, f, d: (t, y, ("income", "children"), {"income": d["income"]}), "feature 'children' has no (label, kind)"),
    (lambda t, y, f, d: (t, y - 1, f, d), "labels must be segment numbers 1..k; found 0"),
    (lambda t, y, f, d: (t, y + 0.5, f, d), "labels must be whole segment numbers; row 0 has 1.5"),
    (lambda t, y, f, d: (t.assign(income=t["income"].where(t.index != 4)), y, f, d),
     "feature 'income' has 1 missing or infinite values (first at row 4)"),
    (lambda t, y, f, d: (t.assign(children="many"), y, f, d), "feature 'children' is not numeric"),
    (lambda t, y, f, d: (t, y, (), d), "features is empty"),
    (lambda t, y, f, d: (t, y, ("income", "income"), d), "features names 'income' more than once"),
])
def test_bad_input_errors_name_the_values(change, message):
    table, labels = two_bands()
    args = change(table, labels, ("income", "children"), DOCS)
    with pytest.raises(ValueError) as err:
        explain(*args)
    assert message in str(err.value)


def test_max_depth_below_two_is_refused():
    table, labels = two_bands()
    with pytest.raises(ValueError, match=r"max_depth=1 should be an integer >= 2"):
        explain(table, labels, ("income",), DOCS, max_depth=1)


@pytest.fixture(scope="module")
def demo_explained(demo_run):
    docs = {d.name: (d.label, d.kind) for d in demo_run.results.features}
    labels = demo_run.customers["segment"].to_numpy()
    return explain(demo_run.customers, labels, demo_run.results.clustering_features, docs,
                   currency=demo_run.results.currency, seed=demo_run.results.manifest.seed)


def test_demo_rules(demo_run, demo_explained, capsys):
    e = demo_explained
    k = len(demo_run.results.segments)
    with capsys.disabled():
        print(f"\ndemo surrogate tree: depth {e.depth}, holdout accuracy {e.accuracy:.3f}, "
              f"train {e.train_accuracy:.3f}, overlap {e.overlap}")
        for r in e.rules:
            print(f"  segment {r.segment}: {r.customers} customers, precision {r.precision:.2f}, "
                  f"recall {r.recall:.2f}: {' and '.join(r.conditions)}")
    assert 0 <= e.accuracy <= 1 and 0 <= e.train_accuracy <= 1
    assert e.overlap == (e.accuracy < 0.8)
    assert sorted({r.segment for r in e.rules}) == list(range(1, k + 1))
    assert 1 <= e.depth <= 4
    leaves = {r.conditions: r.customers for r in e.rules}
    assert sum(leaves.values()) == len(demo_run.customers)


def test_demo_distinguishing_means_agree_with_pandas(demo_run, demo_explained):
    customers = demo_run.customers
    for s, effects in demo_explained.distinguishing.items():
        assert len(effects) == 5
        assert [abs(x.effect) for x in effects] == sorted((abs(x.effect) for x in effects), reverse=True)
        for x in effects:
            assert x.segment_mean == pytest.approx(customers.loc[customers["segment"] == s, x.feature].mean())
            assert x.rest_mean == pytest.approx(customers.loc[customers["segment"] != s, x.feature].mean())


def test_leaves_found_a_block_at_a_time_and_segments_summed_one_at_a_time_change_nothing(monkeypatch):
    import analysis.segment.explain as ex

    table, labels = noise()
    feats = ("income", "share_wines", "children")
    whole = explain(table, labels, feats, DOCS, seed=3)
    monkeypatch.setattr(ex, "APPLY_BLOCK", 7)
    assert explain(table, labels, feats, DOCS, seed=3) == whole
    x = table[list(feats)].to_numpy(dtype=float)
    for s, effects in ex._distinguishing(x, labels, feats, DOCS).items():
        mine = np.asarray(labels) == s
        for e, col in zip(sorted(effects, key=lambda e: feats.index(e.feature)), x.T):
            assert e.segment_mean == pytest.approx(col[mine].mean()) and e.rest_mean == pytest.approx(col[~mine].mean())
            assert e.effect == pytest.approx(cohens_d(col[mine], col[~mine]))


def test_an_orders_habit_is_compared_among_customers_with_an_order():
    """A customer table joined with order lines: customers without an order hold 0 products per order.
    Counted in, they made the buyers' baskets stand out from '0.00' (effect +9.6 on a real run); a
    basket is compared with other baskets, and orders (0 is a count) with everyone."""
    rng = np.random.default_rng(0)
    n = 300
    basket = np.r_[rng.normal(3, 0.3, n), rng.normal(1.2, 0.3, n), np.zeros(2 * n)]
    orders = np.r_[rng.integers(1, 4, n), rng.integers(1, 4, n), np.zeros(2 * n, dtype=int)].astype(float)
    table = pd.DataFrame({"basket_size": basket, "orders": orders, "age": rng.normal(40, 10, 4 * n)})
    labels = np.repeat([1, 2, 3], [n, n, 2 * n])
    docs = {"basket_size": ("Products per order", "number"), "orders": ("Orders", "count"), "age": ("Age", "years")}
    e = explain(table, labels, ("basket_size", "orders", "age"), docs)
    wide = next(x for x in e.distinguishing[1] if x.feature == "basket_size")
    assert wide.rest_mean == pytest.approx(basket[n:2 * n].mean())  # segment 2's baskets, not the zeros of 3
    narrow = next(x for x in e.distinguishing[2] if x.feature == "basket_size")
    assert narrow.effect < 0  # smaller baskets than segment 1's: no longer 'larger than 0'
    never = {x.feature: x for x in e.distinguishing[3]}
    assert never["orders"].effect < 0 and never.get("basket_size") is None or never["basket_size"].effect == 0
    every = table.assign(orders=orders + 1)  # every customer ordered: everyone is compared, as before
    rest = next(x for x in explain(every, labels, ("basket_size", "orders", "age"), docs).distinguishing[1]
                if x.feature == "basket_size").rest_mean
    assert rest == pytest.approx(basket[n:].mean())

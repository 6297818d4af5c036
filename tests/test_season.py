"""Seasonal buyers (`analysis.ingest.season`): a span of the year is a feature only where customers
differ in it beyond chance, over lines of two years or more; a segment most of whose orders fall in
it is named and timed for it."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.config import Columns, parse_config
from analysis.ingest import season as se
from analysis.pipeline import analyse
from analysis.segment import personas as ps
from analysis.segment.profiles import FeatureStat, Profile

COLUMNS = Columns(id="customer_id", signup_date="First order", orders="Orders", habits={})
SEASON = "orders_in_season"


def _rows(counts: np.ndarray, first: list[str]) -> pd.DataFrame:
    """Customer rows with orders per calendar month (one row of `counts` each) and a first order."""
    frame = pd.DataFrame(counts, columns=list(se.MONTH_COLUMNS))
    return frame.assign(customer_id=[str(i) for i in range(len(frame))], **{
        "First order": pd.to_datetime(first), "Orders": counts.sum(axis=1)})


def _uniform(n: int, orders: int, rng) -> np.ndarray:
    return np.stack([np.bincount(rng.integers(0, 12, orders), minlength=12) for _ in range(n)]).astype(float)


def _christmas(n: int, orders: int, rng) -> np.ndarray:
    return np.stack([np.bincount(rng.integers(10, 12, orders), minlength=12) for _ in range(n)]).astype(float)


LAST = pd.Timestamp("2024-12-31")


def test_customers_buying_in_november_and_december_only_make_that_season():
    rng = np.random.default_rng(0)
    counts = np.vstack([_uniform(300, 12, rng), _christmas(60, 4, rng)])
    frame, cols, months = se.with_season(_rows(counts, ["2023-01-01"] * 360), COLUMNS, "2023-01-01", LAST)
    assert months == (11, 12)
    col = "Orders in season (November and December)"
    assert cols.habits == {"in season (November and December)": col}
    assert not set(se.MONTH_COLUMNS) & set(frame.columns)  # the counts are not features
    # Their share is what it is: every order of a Christmas buyer falls in the season.
    assert (frame[col].iloc[300:] == 1.0).all()
    assert frame[col].iloc[:300].mean() == pytest.approx(counts[:300, 10:12].sum() / counts[:300].sum())


def test_no_season_where_customers_differ_only_by_chance():
    rng = np.random.default_rng(1)
    counts = _uniform(400, 6, rng)
    frame, cols, months = se.with_season(_rows(counts, ["2023-01-01"] * 400), COLUMNS, "2023-01-01", LAST)
    assert months == () and cols.habits == {} and list(frame.columns) == ["customer_id", "First order", "Orders"]
    chance = se.best_season(counts, counts.sum(axis=1))[1]
    assert chance > se.MAX_CHANCE  # noise: of the 48 spans the best still has chance give most of its spread


def test_a_season_needs_two_years_of_lines():
    rng = np.random.default_rng(0)
    counts = np.vstack([_uniform(300, 12, rng), _christmas(60, 4, rng)])
    rows = _rows(counts, ["2023-01-01"] * 360)
    log, short = [], []
    assert se.with_season(rows, COLUMNS, "2023-01-31", LAST, log=log, column="when")[2] == (11, 12)  # 700 days
    assert se.with_season(rows, COLUMNS, "2023-02-01", LAST, log=short, column="when")[2] == ()  # 699 would not do
    assert log == []  # looked for: nothing to say
    (entry,) = short  # too short to look: said, so that no one takes seasonal buyers for absent
    assert (entry.step, entry.column, entry.action) == ("not used", "when", "seasons not looked for")
    assert entry.detail.startswith("the orders span 699 days; a season of buying is looked for over 700 days or more")


def test_new_and_one_order_customers_are_not_judged_and_read_as_average():
    rng = np.random.default_rng(0)
    counts = np.vstack([_uniform(300, 12, rng), _christmas(60, 4, rng), _christmas(2, 1, rng), _christmas(2, 5, rng)])
    # The last two began in October: all their orders in November and December says nothing of a season.
    first = ["2023-01-01"] * 362 + ["2024-10-01"] * 2
    frame, _, months = se.with_season(_rows(counts, first), COLUMNS, "2023-01-01", LAST)
    share = frame["Orders in season (November and December)"]
    judged = share.iloc[:360]
    average = counts[:360, 10:12].sum() / counts[:360].sum()
    assert share.iloc[360:].tolist() == pytest.approx([average] * 4)
    assert judged.iloc[300:].min() == 1.0


def test_one_order_of_a_customer_or_a_new_customer_alone_cannot_make_a_season():
    # 200 customers of one order, each in November or December, and 300 steady buyers: no season
    # (one order is no habit); likewise steady buyers beside customers of three months.
    rng = np.random.default_rng(2)
    counts = np.vstack([_uniform(300, 12, rng), _christmas(200, 1, rng)])
    assert se.with_season(_rows(counts, ["2023-01-01"] * 500), COLUMNS, "2023-01-01", LAST)[2] == ()
    counts = np.vstack([_uniform(300, 12, rng), _christmas(200, 6, rng)])
    assert se.with_season(_rows(counts, ["2023-01-01"] * 300 + ["2024-10-15"] * 200), COLUMNS,
                          "2023-01-01", LAST)[2] == ()


def test_a_saved_models_season_is_used_as_it_is():
    rng = np.random.default_rng(1)
    counts = _uniform(100, 6, rng)  # no season of their own
    frame, cols, months = se.with_season(_rows(counts, ["2023-01-01"] * 100), COLUMNS, "2023-01-01", LAST,
                                         fixed=(12, 1, 2))
    assert months == (12, 1, 2) and "Orders in season (December to February)" in frame
    assert se.with_season(_rows(counts, ["2023-01-01"] * 100), COLUMNS, "2023-01-01", LAST, fixed=())[2] == ()


@pytest.mark.parametrize("months, text, before", [
    ((11, 12), "November and December", "October"), ((12, 1, 2), "December to February", "November"),
    ((1,), "January", "December"), ((6, 7, 8), "June to August", "May"),
])
def test_months_read_as_words_and_the_month_to_contact(months, text, before):
    assert se.months_text(months) == text
    assert se.month_before(f"in season ({text})") == before


# ---------------------------------------------------------------- names and timing

LABELS = {SEASON: "Orders in season (November and December)", "tenure_months": "Tenure",
          "share_wine": "Share of spend: Wine", "share_meat": "Share of spend: Meat"}
KINDS = {SEASON: "share", "tenure_months": "months", "share_wine": "share", "share_meat": "share"}


def _profile(stats: dict[str, tuple[float, float, float]]) -> Profile:
    return Profile(id=1, name="", size=100, share_customers=0.2, share_value=0.2,
                   stats=tuple(FeatureStat(f, m, m, a, a, e) for f, (m, a, e) in stats.items()), categories=(),
                   traits=(), actions=(), public=True, stability=None, unassigned=False)


def _recommend(stats):
    c = ps.Context(labels=LABELS, kinds=KINDS, clustering=tuple(LABELS), currency="$", latest_rate={},
                   overall_latest_rate=None, latest_name=None, profit_per_contact={}, break_even_rate=None)
    return ps.recommend(c, _profile(stats))


def test_a_seasonal_segment_is_contacted_before_its_season_not_onboarded():
    # Newer too (first orders in the first November): the season, not onboarding, is the advice.
    r = _recommend({SEASON: (0.91, 0.37, 1.7), "tenure_months": (12.0, 20.0, -1.6)})
    assert r.timing == "Before their season, November and December"
    assert r.timing_why == "91% of their orders fall in November and December against 37% on average: contact them in October"
    assert ps.name_segment({SEASON: 1.7, "tenure_months": -1.6}, LABELS).startswith("Seasonal, newer")


@pytest.mark.parametrize("effect, offer", [(1.7, "Pre-season reminder"), (0.49, "Step-up offer")])
def test_a_seasonal_segment_of_little_value_is_reminded_before_its_season_not_onboarded(effect, offer):
    """Gift boxes bought each December: a year's spend from one season is small, and a first order 11
    months back is their last season's, not a new relationship. Without the season: a step-up, as 7% of
    the average revenue over 11 months against 19 is 12% of it per month, which no short relationship explains."""
    c = ps.Context(labels=LABELS, kinds=KINDS, clustering=tuple(LABELS), currency="$", latest_rate={},
                   overall_latest_rate=None, latest_name=None, profit_per_contact={}, break_even_rate=None)
    p = dataclasses.replace(_profile({SEASON: (0.86, 0.31, effect), "tenure_months": (11.0, 19.0, -1.6)}),
                            share_customers=0.22, share_value=0.015)
    r = ps.recommend(c, p)
    assert r.offer.startswith(offer)
    if offer == "Pre-season reminder":
        assert r.offer == "Pre-season reminder: an offer on what they bought last season"
        assert r.offer_why == ("2% of revenue from 22% of customers, but 86% of their orders fall in November and "
                               "December: they buy for the season")


@pytest.mark.parametrize("mean, effect, seasonal", [
    (0.50, 0.5, True), (0.49, 0.9, False),  # most of their orders, at least half, fall in the season
    (0.80, 0.49, False),  # and that much more than on average
])
def test_seasonal_timing_needs_most_orders_in_season_and_a_clear_difference(mean, effect, seasonal):
    r = _recommend({SEASON: (mean, 0.30, effect), "tenure_months": (12.0, 20.0, -1.6)})
    assert r.timing.startswith("Before their season") == seasonal
    assert r.timing.startswith("Early in the relationship") == (not seasonal)


@pytest.mark.parametrize("labels, cased", [
    (["Fleisch & Wurst", "Getränke"], True), (["Home Decor", "Garden"], True),
    (["Candles and lights", "Wines"], False), (["Getränke", "Backwaren"], False), (["TV and HiFi"], False),
    (["Getränke", "Süßwaren"], True),  # ß: German, whose nouns keep their capitals
])
def test_category_names_keep_their_capitals_where_the_input_writes_capitals_inside_them(labels, cased):
    named = {f"share_{i}": f"Share of spend: {x}" for i, x in enumerate(labels)}
    assert ps.names_cased(named) == cased
    assert ps.name_segment({"share_0": 1.0}, named, means={"share_0": 0.5}) == (
        f"{labels[0]} lovers" if cased else f"{ps._singular(labels[0])[0].upper() + ps._singular(labels[0])[1:]} lovers")


# ---------------------------------------------------------------- end to end

def write_lines(folder, years: int = 2, seed: int = 0) -> tuple[dict, dict[str, int]]:
    """A wholesaler's lines over `years` calendar years ending 2024-12-31: 80 steady monthly buyers
    of food, 60 Christmas buyers ordering two or three times each November and December, 60
    steady buyers of drinks every two weeks. Returns the config and each customer's group."""
    rng = np.random.default_rng(seed)
    start = date(2025 - years, 1, 1)
    rows, truth = [], {}

    def order(cust, day, products):
        oid = f"R{len(rows) + 1:06d}"
        for p in products:
            rows.append((cust, oid, day.isoformat(), p, int(rng.integers(1, 6)), 4.0 + 3 * (p[0] == "X")))

    for i in range(80):
        truth[f"F{i}"] = 0
        for m in range(12 * years):
            d = date(start.year + m // 12, m % 12 + 1, int(rng.integers(1, 28)))
            order(f"F{i}", d, rng.choice(["F1", "F2", "F3", "D1"], 2, replace=False))
    for i in range(60):
        truth[f"X{i}"] = 1
        for y in range(years):
            for _ in range(int(rng.integers(2, 4))):
                d = date(start.year + y, 11, 1) + timedelta(days=int(rng.integers(0, 55)))
                order(f"X{i}", d, rng.choice(["X1", "X2", "F1"], 2, replace=False))
    for i in range(60):
        truth[f"D{i}"] = 2
        for w in range(0, 365 * years - 14, 14):
            order(f"D{i}", start + timedelta(days=w + int(rng.integers(0, 5))), ["D1", "D2"])
    pd.DataFrame(rows, columns=["Kunde", "Beleg", "Datum", "Artikel", "Menge", "Preis"]).to_csv(
        folder / "lines.csv", index=False)
    cat = {"F1": "Fleisch & Wurst", "F2": "Obst & Gemüse", "F3": "Fleisch & Wurst", "D1": "Getränke",
           "D2": "Getränke", "X1": "Weihnachtsartikel", "X2": "Weihnachtsartikel"}
    pd.DataFrame({"Artikel": list(cat), "Warengruppe": list(cat.values())}).to_csv(folder / "products.csv", index=False)
    cfg = {"transactions": {"path": "lines.csv", "customer": "Kunde", "order": "Beleg", "timestamp": "Datum",
                            "product": "Artikel", "quantity": "Menge", "unit_price": "Preis"},
           "products": {"path": "products.csv", "product": "Artikel", "category": "Warengruppe"},
           "segmentation": {"algorithm": "kmeans"}, "report": {"currency": "€"}}
    return cfg, truth


def _lines(folder, years: int = 2, seed: int = 0):
    cfg, truth = write_lines(folder, years, seed)
    return analyse(parse_config(cfg, base_dir=folder)), truth


def test_christmas_buyers_are_found_named_and_timed_from_order_lines(tmp_path):
    run, truth = _lines(tmp_path)
    r = run.results
    assert "orders_in_season" in [d.name for d in r.features]
    got = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    got = got[got["segment"].notna()]
    assert adjusted_rand_score(got["customer_id"].map(truth), got["segment"].astype(int)) >= 0.95
    christmas = got.loc[got["customer_id"] == "X0", "segment"].iloc[0]
    persona = next(p for p in r.personas if p.segment == int(christmas))
    assert persona.generated_name.startswith("Seasonal")
    assert persona.recommendation.timing == "Before their season, November and December"
    assert persona.recommendation.timing_why.endswith("contact them in October")
    assert "Weihnachtsartikel" in persona.generated_name  # the input's capitals


def test_a_single_year_of_lines_has_no_season(tmp_path):
    run, _ = _lines(tmp_path, years=1)
    assert "orders_in_season" not in [d.name for d in run.results.features]
    assert [e.action for e in run.results.cleaning if e.action == "seasons not looked for"] == ["seasons not looked for"]
    assert not any(p.recommendation.timing.startswith("Before their season") for p in run.results.personas)


def test_a_saved_model_places_customers_by_its_own_season(tmp_path):
    from analysis.assign import assign
    from analysis.segment.model import load, save
    cfg, _ = write_lines(tmp_path)
    run = analyse(parse_config({**cfg, "baskets": {"levels": []}}, base_dir=tmp_path))
    save(run.model, tmp_path / "model")
    assert load(tmp_path / "model").order_season == [11, 12]
    placed = assign(tmp_path / "model", None, tmp_path / "lines.csv")
    assert placed.assignments["segment"].equals(run.assignments["segment"])
    # The last year alone has no season of its own (under two years): the model's is made all the same.
    lines = pd.read_csv(tmp_path / "lines.csv")
    lines[lines["Datum"] >= "2024-01-01"].to_csv(tmp_path / "last_year.csv", index=False)
    late = assign(tmp_path / "model", None, tmp_path / "last_year.csv").assignments
    assert late["segment"].notna().all()


def test_months_keep_their_capitals_and_a_habit_reads_as_a_share_of_orders():
    assert ps.lower("Orders in season (November and December)") == "orders in season (November and December)"
    assert ps._compare(SEASON, LABELS[SEASON], "share", True) == \
        "a larger share of orders in season (November and December)"
    assert ps._compare("orders_at_weekends", "Orders at weekends", "share", False) == "a smaller share of orders at weekends"


def test_lapsed_customers_are_not_called_long_standing():
    # Their tenure runs from a first order long ago to the reference date, through their absence.
    labels = {"recency_days": "Days since last purchase", "tenure_months": "Tenure", "orders": "Orders"}
    means = {"recency_days": 800.0, "tenure_months": 35.0, "orders": 6.0}
    name = ps.name_segment({"recency_days": 1.8, "tenure_months": 0.9, "orders": -0.6}, labels, means=means)
    assert name == "Lapsed, occasional customers"
    assert ps.name_segment({"recency_days": 0.2, "tenure_months": 0.9}, labels, means=means) == "Long-standing customers"

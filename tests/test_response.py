"""The response model and the top-N contact plan: AUC by ranks, the threshold rule worked by hand,
out-of-fold honesty on noise, the contact list recounted from its own rows."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analysis.insight import response as rs


def test_auc_by_ranks_agrees_with_scikit_learn_including_ties():
    rng = np.random.default_rng(3)
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300) + 0.4 * y, 1)  # rounded: many ties
    assert rs.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert rs.auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert rs.auc([0, 1], [0.5, 0.5]) == 0.5
    assert math.isnan(rs.auc([1, 1], [0.1, 0.2]))


def test_best_threshold_by_hand():
    # Sorted: 0.9 (+8), 0.8 (-3), 0.8 (+8), 0.3 (-3). Ties go together: totals 8, 13, 10 -> 0.8.
    assert rs.best_threshold(np.array([0.3, 0.8, 0.9, 0.8]), np.array([-3, -3, 8, 8.0])) == 0.8
    # Totals 5, 2, 5: a tie in profit goes to fewer contacts.
    assert rs.best_threshold(np.array([0.9, 0.5, 0.4]), np.array([5, -3, 3.0])) == 0.9
    # Nothing earns more than 0: contact nobody.
    assert rs.best_threshold(np.array([0.9, 0.5]), np.array([-1, 1.0])) == math.inf
    assert rs.best_threshold(np.array([0.9, 0.5]), np.array([-1, 0.0])) == math.inf
    assert rs.profit_at(np.array([0.3, 0.8, 0.9, 0.8]), np.array([-3, -3, 8, 8.0]), 0.8) == (3, 13.0)


def test_halves_split_each_class_evenly_and_are_seeded():
    y = np.array([1] * 7 + [0] * 20, dtype=bool)
    h = rs.halves(y, 5)
    assert (h & y).sum() == 4 and (h & ~y).sum() == 10
    assert (rs.halves(y, 5) == h).all() and not (rs.halves(y, 6) == h).all()


def test_inputs_leave_out_the_latest_answer():
    table = pd.DataFrame({"income": [1.0, 2, 3], "campaigns_accepted": [2.0, 0, 1]}, index=["a", "b", "c"])
    answers = pd.DataFrame({"c1": [1.0, np.nan, 0], "c2": [1.0, 0, 0], "latest": [0.0, 0, 1]}, index=table.index)
    x = rs.model_inputs(table, answers, ["c1", "c2", "latest"], np.array([1, 2, 2]))
    assert list(x.columns) == ["income", "answered_c1", "answered_c2", "earlier_answers", "segment_2"]
    assert x["earlier_answers"].tolist() == [2.0, 0.0, 0.0]
    assert x["segment_2"].tolist() == [0.0, 1.0, 1.0]


def test_inputs_fill_a_missing_value_with_its_column_median_and_an_empty_column_with_zero():
    table = pd.DataFrame({"income": [1.0, np.nan, 3, 10], "kids": pd.array([2, None, 0, 1], dtype="Int64"),
                          "unknown": [np.nan] * 4}, index=list("abcd"))
    answers = pd.DataFrame({"latest": [0.0, 1, 0, 1]}, index=table.index)
    x = rs.model_inputs(table, answers, ["latest"], np.array([1, 1, 2, 3]))
    assert list(x.columns) == ["income", "kids", "unknown", "segment_2", "segment_3"]
    assert x["income"].tolist() == [1.0, 3.0, 3.0, 10.0] and x["kids"].tolist() == [2.0, 1.0, 0.0, 1.0]
    assert x["unknown"].tolist() == [0.0] * 4 and x["segment_3"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert x.index.equals(table.index)


def _synthetic(n: int, signal: float, seed: int):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"), index=[f"c{i}" for i in range(n)])
    p = 1 / (1 + np.exp(-(-2.0 + signal * x["a"].to_numpy())))
    y = pd.Series((rng.random(n) < p).astype(float), index=x.index, name="latest")
    return x, y


def _fit(x, y, cost=3.0, revenue=11.0, resamples=200):
    n = len(x)
    return rs.fit_response(x, y, np.full(n, cost), np.full(n, revenue), np.ones(n, dtype=int), "Latest",
                           seed=1, min_size=20, resamples=resamples)


def test_on_noise_the_out_of_fold_auc_is_a_coin_toss_and_contacting_few_pays_little():
    x, y = _synthetic(600, 0.0, 11)
    model, _ = _fit(x, y, cost=0.9)
    assert model.auc.low < 0.5 < model.auc.high  # in-sample boosting would score far above 0.5
    # No score tells answerers apart: choosing N on one half does not surely beat everyone on the other.
    assert model.everyone_profit.value > 0 and model.gain_over_everyone.low <= 0
    # At a cost where an answer rate of 12% loses money, few scores reach break-even: a small list, and
    # what it earns on the half it was not chosen on is not surely above 0.
    model, scores = _fit(x, y)
    assert model.contacts < 0.05 * len(x) and model.measured_profit.low <= 0


def test_on_a_planted_signal_the_plan_beats_contacting_everyone():
    x, y = _synthetic(800, 2.5, 12)
    model, scores = _fit(x, y)
    assert model.auc.value > 0.8 and model.auc.low > 0.75
    assert model.everyone_profit.value < 0 < model.measured_profit.low
    assert model.gain_over_everyone.low > 0
    assert 0 < model.contacts < len(x)
    # The contact list: every listed score at or above the threshold, none below.
    assert (scores["score"][scores["contact"]] >= model.threshold).all()
    assert (scores["score"][~scores["contact"]] < model.threshold).all()
    assert model.expected_profit == pytest.approx(scores["expected_value"][scores["contact"]].sum())
    # Out-of-fold calibration bands cover every contacted customer.
    assert sum(b[2] for b in model.calibration) == len(x)
    assert model.gains[0] == (0.0, 0.0) and model.gains[-1] == (1.0, 1.0)


def test_the_list_holds_no_customer_below_break_even_however_past_answers_fell():
    # Scores too low for the answers they got: the realised gains alone would take the low scorers.
    y = np.array([True] * 30 + [False] * 30 + [True] * 10)
    s = np.r_[np.full(30, 0.1), np.full(30, 0.5), np.full(10, 0.6)]
    gain = np.where(y, 11.0, 0.0) - 3.0
    idx = np.arange(len(y))
    assert rs.best_threshold(s, gain) == 0.1
    oof = {k: s for k, _ in rs.CANDIDATES}
    _, t = rs._choose(idx, oof, y, gain, rs.breakeven(np.full(len(y), 3.0), np.full(len(y), 11.0)))
    assert t == 0.6  # above break-even (3/11), the top 10 earn the most
    # A cost per customer: each is listed only above its own break-even.
    x, yy = _synthetic(500, 2.5, 21)
    cost = np.random.default_rng(3).uniform(0.5, 9.0, len(x))
    model, scores = rs.fit_response(x, yy, cost, np.full(len(x), 11.0), np.ones(len(x), dtype=int), "Latest",
                                    seed=1, min_size=20, resamples=20)
    listed = scores[scores["contact"]]
    assert len(listed) and (listed["expected_value"] > 0).all()
    assert ((scores["score"] >= model.threshold) & (scores["expected_value"] <= 0)).any()  # the floor binds


def test_too_few_answers_fit_no_model():
    x, _ = _synthetic(200, 0.0, 13)
    y = pd.Series([1.0] * (rs.MIN_CLASS - 1) + [0.0] * (200 - rs.MIN_CLASS + 1), index=x.index)
    assert _fit(x, y) is None
    y.iloc[rs.MIN_CLASS - 1] = 1.0
    assert _fit(x, y, resamples=20) is not None


def test_customers_nobody_contacted_are_scored_but_not_counted_as_measured():
    x, y = _synthetic(400, 2.5, 14)
    y.iloc[:50] = np.nan
    model, scores = _fit(x, y, resamples=20)
    assert model.trained == 350 and model.scored == 400
    assert scores["score"].notna().all()


def test_demo_contact_list_recounts_from_its_own_rows(demo_run):
    m = demo_run.results.response
    tables = dict(demo_run.tables)
    listed = tables["contact_list.csv"]
    assert len(listed) == m.contacts > 0
    assert listed["expected_value"].sum() == pytest.approx(m.expected_profit, abs=1e-6)
    recount = listed["response_score"] * listed["revenue"] - listed["cost"]
    assert np.allclose(recount, listed["expected_value"], atol=1e-4)
    assert (listed["response_score"] >= round(m.threshold, 6) - 1e-6).all()
    assert (listed["expected_value"] > 0).all()  # nobody the model expects to lose money on
    assert listed["response_score"].is_monotonic_decreasing and listed["rank"].tolist() == list(range(1, m.contacts + 1))
    # Segments and names agree with the assignments.
    a = demo_run.assignments.set_index("customer_id")
    assert (a.loc[listed["customer_id"], "segment"].to_numpy() == listed["segment"].to_numpy()).all()
    assert sum(s.contacts for s in m.segments) == m.contacts
    assert sum(s.measured_profit for s in m.segments) == pytest.approx(m.measured_profit.value)
    # The per-segment lists hold every segmented customer once.
    lists = [f for name, f in demo_run.tables if name.startswith("segments/")]
    assert sum(len(f) for f in lists) == demo_run.results.n_segmented
    assert sum((f["in_contact_list"] == "yes").sum() for f in lists) == m.contacts
    # Each list: best score first, ties by id, and every row's features are its own customer's.
    c = demo_run.customers.set_index(demo_run.customers.index.astype(str))
    for f in lists:
        key = list(zip(-f["response_score"], f["customer_id"]))
        assert key == sorted(key)
        assert "total_spend" in f and np.allclose(f["total_spend"], c.loc[f["customer_id"], "total_spend"], atol=0.006)


def test_demo_plan_is_measured_out_of_fold_and_beats_contacting_everyone(demo_run):
    m = demo_run.results.response
    t = demo_run.results.targeting
    assert m.everyone_profit.value == pytest.approx(t.everyone[2])  # the same latest campaign, recounted
    assert m.auc.low < m.auc.value < m.auc.high and m.auc.low > 0.8
    assert m.measured_profit.low > 0 > m.everyone_profit.high
    assert max(c.auc for c in m.candidates) == next(c.auc for c in m.candidates if c.key == m.model)


def test_beyond_max_train_a_stratified_sample_is_fitted_and_the_rest_scored(monkeypatch):
    monkeypatch.setattr(rs, "MAX_TRAIN", 300)
    x, y = _synthetic(500, 2.5, 15)
    model, scores = _fit(x, y, resamples=20)
    assert model.trained == 300 and model.scored == 500 and scores["score"].notna().all()
    assert model.answered == round(y.sum() * 300 / 500)
    # The plan's numbers speak of the 500 contacted customers, as the campaign's own totals do: contacting
    # everyone is counted exactly, the sample's measurements are scaled by 500 / 300.
    assert model.contacted == 500
    assert model.everyone_profit.value == pytest.approx(float((np.where(y == 1, 11.0, 0.0) - 3.0).sum()))
    assert model.everyone_profit.low < model.everyone_profit.value < model.everyone_profit.high
    assert model.measured_contacts > 0.5 * model.contacts
    unscaled, _ = _fit(x.iloc[:300], y.iloc[:300], resamples=20)
    assert unscaled.contacted == unscaled.trained == 300
    # The customers not fitted on are scored a block at a time, each as it would be alone.
    monkeypatch.setattr(rs, "SCORE_BLOCK", 7)
    _, blocked = _fit(x, y, resamples=20)
    assert blocked["score"].tolist() == scores["score"].tolist()
    assert blocked.index.equals(x.index)


def _two_segments(seed: int, signal: float, cost: float = 3.0):
    """Segment 1 with the planted signal (or none); segment 2 never answered."""
    x, y = _synthetic(800, signal, seed)
    labels = np.where(np.arange(len(x)) % 2 == 0, 1, 2)
    y[labels == 2] = 0.0
    n = len(x)
    fitted = rs.fit_response(x, y, np.full(n, cost), np.full(n, 11.0), labels, "Latest", seed=1, min_size=20,
                             resamples=200)
    return fitted[0], fitted[1], labels


def test_each_segment_gets_its_own_n_chosen_on_one_half_and_measured_on_the_other():
    model, scores, labels = _two_segments(16, 2.5)
    one, two = model.segments
    # A segment nobody answered in: no N pays there, chosen on either half; nothing earned or lost.
    assert two.best_threshold == math.inf and two.best_n == 0
    assert two.best_measured.value == 0 and two.best_measured.low == two.best_measured.high == 0
    # The segment with the signal: its own N, its customers at or above its own threshold.
    assert 0 < one.best_n < one.customers
    assert one.best_n == int(((labels == 1) & (scores["score"].to_numpy() >= one.best_threshold)).sum())
    assert one.best_measured.low > 0
    assert model.per_segment_contacts == one.best_n + two.best_n
    assert model.per_segment_profit.value == pytest.approx(one.best_measured.value + two.best_measured.value)


def test_on_noise_the_per_segment_plans_earn_nothing_for_sure_out_of_fold():
    # Chosen and measured on the same customers, the best N of a segment never earns below 0; measured
    # on the half the choice did not see, a plan on noise is as likely to lose as to earn. The cost is
    # set so that break-even (0.9 / 11) lies below the answer rate (12%): scores on both sides of it.
    model, _, _ = _two_segments(17, 0.0, cost=0.9)
    assert model.per_segment_profit.low < 0
    assert model.segments[0].best_measured.low < 0


def _one_resample(a, b, oof, y, gain, seg, be, segments, rng) -> np.ndarray:
    """The bootstrap by its definition: draw each half with replacement, make the cross-fitted
    choice again on the drawn customers, and measure it (the reference for `_bootstrap`)."""
    ra, rb = rng.choice(a, size=len(a)), rng.choice(b, size=len(b))
    sub = np.r_[ra, rb]
    ia, ib = np.arange(len(ra)), np.arange(len(ra), len(sub))
    g, sg = gain[sub], seg[sub]
    scores, contact, seg_contact = rs._cross_fit(ia, ib, {k: v[sub] for k, v in oof.items()}, y[sub], g, sg, be[sub])
    per = [g[seg_contact & (sg == s)].sum() for s in segments]
    return np.array([rs.auc(y[sub], scores), g[contact].sum(), g.sum(), g[seg_contact].sum(), *per])


@pytest.mark.parametrize("n, segments, ties, revenue, cost", [
    (900, 3, False, 11.0, 3.0), (400, 5, True, 11.0, 3.0), (300, 2, False, 10.37, 2.91), (260, 4, True, 7.0, 0.0)])
def test_the_bootstrap_in_blocks_is_the_bootstrap_one_resample_at_a_time(n, segments, ties, revenue, cost):
    rng = np.random.default_rng(n)
    y = rng.random(n) < 0.2
    oof = {k: rng.random(n) + 0.2 * y for k, _ in rs.CANDIDATES}  # models of differing merit on each resample
    if ties:
        oof = {k: np.round(v, 1) for k, v in oof.items()}
    gain = np.where(y, revenue, 0.0) - cost  # cost 0: non-answerers change no running total
    seg = rng.integers(0, segments, n)
    first = rs.halves(y, 2)
    a, b = np.flatnonzero(first), np.flatnonzero(~first)
    ids = list(range(segments))
    draws = rs.BLOCK + 37  # a full block and a partial one
    rng_ref = np.random.default_rng(9)
    be = rs.breakeven(np.full(n, cost), np.full(n, revenue)) + rng.uniform(-0.2, 0.2, n)  # a cost per customer
    reference = np.array([_one_resample(a, b, oof, y, gain, seg, be, ids, rng_ref) for _ in range(draws)])
    blocks = rs._bootstrap(a, b, oof, y, gain, seg, be, ids, np.random.default_rng(9), draws)
    assert blocks.shape == reference.shape
    # The same draws and choices; sums of non-integer gains may differ in the last bits (order of addition).
    np.testing.assert_allclose(blocks, reference, rtol=1e-12, atol=1e-9)
    assert len(np.unique(reference[:, 0])) > 10  # the AUC varies between resamples: a real comparison


def test_lists_rank_best_score_first_missing_last_ties_by_id_as_text():
    from analysis.pipeline import _best_first

    score = pd.Series([0.5, np.nan, 0.9, 0.5, 0.5, np.nan, 0.1])
    ids = pd.Series(["9", "b", "x", "10", "é1", "a", "z"])
    order = _best_first(score, ids)
    assert ids[order].tolist() == ["x", "10", "9", "é1", "z", "a", "b"]
    frame = pd.DataFrame({"s": score, "i": ids})  # as pandas sorts them
    assert order.tolist() == frame.sort_values(["s", "i"], ascending=[False, True], kind="stable").index.tolist()

"""Campaign answer rates: Wilson intervals, lift, the test of a difference across segments
(chi-square, Fisher's exact, permutation), missing answers, and the campaign economics."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency, fisher_exact

from analysis.insight.campaigns import (
    RESAMPLES, Z95, campaign_results, difference_test, permutation_chi2, rate, targeting, wilson)
from analysis.ingest.cleaning import clean
from analysis.config import load_config
from analysis.ingest.loading import load_customers


def test_z_is_the_two_sided_95_percent_quantile():
    assert Z95 == pytest.approx(1.959963984540054, abs=1e-12)


def test_wilson_8_of_10():
    # p = .8, n = 10, z^2 = 3.841459: centre = (.8 + .192073) / 1.384146 = .716740,
    # half = z * sqrt(.016 + .0096036) / 1.384146 = .226577 -> (.490162, .943318).
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4901625, abs=1e-6)
    assert high == pytest.approx(0.9433178, abs=1e-6)


def test_wilson_0_of_20():
    # p = 0: low is 0 and high is z^2 / (n + z^2) = 3.841459 / 23.841459.
    low, high = wilson(0, 20)
    assert low == 0.0
    assert high == pytest.approx(0.1611252, abs=1e-6)


def test_wilson_all_accepted_is_the_mirror_of_none():
    low, high = wilson(20, 20)
    assert high == 1.0
    assert low == pytest.approx(1 - 0.1611252, abs=1e-6)


def test_wilson_of_nobody_contacted():
    assert wilson(0, 0) == (None, None)


def test_rate_ignores_missing_answers():
    r = rate(pd.Series([1.0, np.nan, 0.0, np.nan, 1.0]))
    assert (r.contacted, r.accepted) == (3, 2)
    assert r.rate == pytest.approx(2 / 3)
    assert (r.low, r.high) == wilson(2, 3)
    assert r.lift is None  # no overall rate given


def test_rate_of_a_segment_nobody_contacted():
    r = rate(pd.Series([np.nan, np.nan]), overall=0.3)
    assert (r.contacted, r.accepted, r.rate, r.low, r.high, r.lift) == (0, 0, None, None, None, None)


def test_lift_is_rate_over_overall_rate():
    answers = pd.DataFrame({"resp": [1, 1, 0, 0, 0, 0, 0, 1]}, dtype=float)
    labels = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    (result,) = campaign_results(answers, {"Latest": "resp"}, labels)
    assert result.name == "Latest" and result.column == "resp"
    assert (result.overall.contacted, result.overall.accepted) == (8, 3)
    one, two = result.by_segment
    assert (one.contacted, one.accepted, one.rate) == (4, 2, 0.5)
    assert (two.contacted, two.accepted, two.rate) == (4, 1, 0.25)
    assert one.lift == pytest.approx(0.5 / 0.375)
    assert two.lift == pytest.approx(0.25 / 0.375)


def test_missing_answers_are_not_counted_as_contacted():
    answers = pd.DataFrame({"resp": [1, np.nan, 0, np.nan, 1, 0]})
    labels = np.array([1, 1, 1, 2, 2, 2])
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert (result.overall.contacted, result.overall.accepted) == (4, 2)
    assert [(r.contacted, r.accepted) for r in result.by_segment] == [(2, 1), (2, 1)]


def segments_table(table) -> tuple[pd.DataFrame, np.ndarray]:
    """Answers and labels of customers laid out as a segments x (answered, not) table."""
    resp, labels = [], []
    for seg, (yes, no) in enumerate(table, start=1):
        resp += [1.0] * yes + [0.0] * no
        labels += [seg] * (yes + no)
    return pd.DataFrame({"resp": resp}), np.array(labels)


def three_segments():
    # Accepted / not: segment 1 10/30, segment 2 5/35, segment 3 20/20.
    table = np.array([(10, 30), (5, 35), (20, 20)])
    return (*segments_table(table), table)


def test_chi_square_p_value_matches_scipy_and_the_formula():
    answers, labels, table = three_segments()
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert result.p_value == pytest.approx(chi2_contingency(table)[1], rel=1e-9)
    # Pearson's statistic by hand: expected = row total * column total / n.
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = ((table - expected) ** 2 / expected).sum()
    assert result.p_value == pytest.approx(chi2.sf(stat, df=2), rel=1e-9)
    assert result.p_value < 0.001
    assert result.test == "chi-square"  # smallest expected count 40 * 35 / 120 = 11.7


def test_no_p_value_when_nobody_accepted():
    answers = pd.DataFrame({"resp": [0.0] * 6})
    (result,) = campaign_results(answers, {"C": "resp"}, np.array([1, 1, 1, 2, 2, 2]))
    assert result.p_value is None
    assert result.overall.rate == 0.0
    assert all(r.lift is None for r in result.by_segment)  # no lift against a zero rate


def test_segment_without_contacts_is_left_out_of_the_test():
    # With segment 3 (nobody contacted) left out, the table is 2x2: 3/0 against 0/3.
    # Fisher: the only tables as extreme are 3/0 and 0/3, each 1 / C(6, 3) = 1/20 -> p = 0.1.
    answers = pd.DataFrame({"resp": [1, 1, 1, 0, 0, 0, np.nan, np.nan]})
    labels = np.array([1, 1, 1, 2, 2, 2, 3, 3])
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert result.by_segment[2].contacted == 0
    assert result.test == "Fisher's exact"
    assert result.p_value == pytest.approx(0.1, abs=1e-12)


def test_fisher_exact_on_a_small_two_by_two_table():
    # Expected answered in segment 1 = 4 * 4 / 9 = 1.8 < 5: no chi-square.
    table = [[3, 1], [1, 4]]
    answers, labels = segments_table(table)
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert result.test == "Fisher's exact"
    assert result.p_value == pytest.approx(fisher_exact(table).pvalue, abs=1e-12)
    # By hand: tables with margins (4, 5) x (4, 5) have P(a) = C(4, a) C(5, 4 - a) / C(9, 4);
    # observed a = 3 has P = 4 * 5 / 126; as or less likely: a = 3 (20), 4 (1), 0 (5) -> 26 / 126.
    assert result.p_value == pytest.approx(26 / 126, abs=1e-12)


def exact_permutation_p(table) -> float:
    """Every way the answered total can fall among the segments, weighted by its hypergeometric
    probability: the p-value a permutation test estimates."""
    table = np.asarray(table)
    sizes, answered = table.sum(axis=1), int(table[:, 0].sum())
    n = int(sizes.sum())

    def stat(a):
        t = np.column_stack([a, sizes - np.asarray(a)])
        e = t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / n
        return ((t - e) ** 2 / e).sum()

    observed = stat(table[:, 0])
    p = 0.0
    for a in itertools.product(*(range(m + 1) for m in sizes)):
        if sum(a) == answered and stat(a) >= observed - 1e-9:
            p += math.prod(math.comb(int(m), x) for m, x in zip(sizes, a)) / math.comb(n, answered)
    return p


def test_permutation_test_on_a_small_three_segment_table():
    # Answered / not: 0/4, 2/3, 5/1; expected answered in segment 1 = 4 * 7 / 15 = 1.9 < 5.
    table = [[0, 4], [2, 3], [5, 1]]
    answers, labels = segments_table(table)
    (first,) = campaign_results(answers, {"C": "resp"}, labels)
    (again,) = campaign_results(answers, {"C": "resp"}, labels)
    assert first.test == "permutation chi-square"
    assert first.p_value == again.p_value  # seeded: the same p every run
    exact = exact_permutation_p(table)
    assert exact == pytest.approx(0.040404, abs=1e-6)
    # Monte Carlo: standard error sqrt(.04 * .96 / 9999) = 0.002.
    assert first.p_value == pytest.approx(exact, abs=0.01)
    assert (first.p_value * (RESAMPLES + 1)) == pytest.approx(round(first.p_value * (RESAMPLES + 1)))


def test_permutation_test_agrees_with_chi_square_on_large_counts():
    # Where counts are large, the chi-square distribution is a good guide, so the two agree.
    table = np.array([[40, 160], [50, 150], [60, 140]])
    p = permutation_chi2(table)
    assert p == permutation_chi2(table, random_state=0)
    assert p == pytest.approx(chi2_contingency(table)[1], abs=0.02)


def test_difference_test_of_nothing_to_compare():
    assert difference_test(np.array([[3, 4]])) == (None, "")  # one segment
    assert difference_test(np.array([[0, 4], [0, 5]])) == (None, "")  # nobody answered
    with pytest.raises(ValueError, match="shape"):
        difference_test(np.array([[1, 2, 3], [4, 5, 6]]))


# ---------------------------------------------------------------- targeting


def two_segments():
    # Segment 1: 10 customers, 4 answered the latest; segment 2: 10 customers, 1 answered.
    latest = [1.0] * 4 + [0.0] * 6 + [1.0] + [0.0] * 9
    return pd.DataFrame({"latest": latest}), {"Latest": "latest"}, np.array([1] * 10 + [2] * 10)


def test_targeting_by_hand_with_cost_3_and_revenue_11():
    answers, names, labels = two_segments()
    t = targeting(answers, names, labels, 3, 11, "economics.contact_cost in the config",
                  "economics.revenue_per_answer in the config")
    assert t.cost_source == "economics.contact_cost in the config"
    assert t.revenue_source == "economics.revenue_per_answer in the config"
    assert t.break_even_rate == pytest.approx(3 / 11, abs=1e-15)
    one, two = t.segments  # segment 1 is the better one, so first
    assert (one.segment, one.customers, one.latest.contacted, one.latest.accepted) == (1, 10, 10, 4)
    assert one.latest.rate == 0.4 and one.latest.lift == pytest.approx(0.4 / 0.25)
    assert (one.cost, one.revenue) == (3.0, 11.0)
    assert one.profit_per_contact == pytest.approx(1.4, abs=1e-12)  # 0.4 * 11 - 3
    assert one.expected_answers == pytest.approx(4.0, abs=1e-12)
    assert one.expected_profit == pytest.approx(14.0, abs=1e-12)
    low, high = wilson(4, 10)
    assert one.profit_low == pytest.approx(low * 11 - 3, abs=1e-12)
    assert one.profit_high == pytest.approx(high * 11 - 3, abs=1e-12)
    assert one.profit_low < 0 < one.profit_high  # worth it on average, not for sure
    assert one.history_rate == 0.4  # one campaign: history is the latest
    assert one.profit_per_contact_history == pytest.approx(1.4, abs=1e-12)
    assert one.target is True
    assert (two.segment, two.latest.rate) == (2, 0.1)
    assert two.profit_per_contact == pytest.approx(-1.9, abs=1e-12)  # 0.1 * 11 - 3
    assert two.expected_profit == pytest.approx(-19.0, abs=1e-12)
    assert two.target is False
    contacts, answered, profit = t.everyone  # profit: 5 answers * 11 - 20 contacts * 3
    assert contacts == 20
    assert (answered, profit) == (pytest.approx(5.0, abs=1e-12), pytest.approx(-5.0, abs=1e-12))
    contacts, answered, profit = t.targeted
    assert contacts == 10
    assert (answered, profit) == (pytest.approx(4.0, abs=1e-12), pytest.approx(14.0, abs=1e-12))


def test_targeting_with_cost_and_revenue_per_customer():
    answers, names, labels = two_segments()
    cost = pd.Series([2.0, 4.0] * 5 + [1.0] * 10)  # segment 1 mean 3, segment 2 mean 1
    revenue = pd.Series([11.0] * 10 + [12.0] * 10)
    t = targeting(answers, names, labels, cost, revenue, "column Cost", "column Revenue")
    by_id = {v.segment: v for v in t.segments}
    assert (by_id[1].cost, by_id[1].revenue) == (3.0, 11.0)
    assert (by_id[2].cost, by_id[2].revenue) == (1.0, 12.0)
    assert by_id[2].profit_per_contact == pytest.approx(0.2, abs=1e-12)  # 0.1 * 12 - 1
    assert by_id[2].target is True
    assert [v.segment for v in t.segments] == [1, 2]  # 1.4 before 0.2
    assert t.targeted == t.everyone == (20, pytest.approx(5.0), pytest.approx(16.0))  # 14 + 2
    assert t.break_even_rate == pytest.approx(2.0 / 11.5, abs=1e-12)  # mean cost / mean revenue


def test_history_rate_over_several_campaigns_with_missing_answers():
    answers = pd.DataFrame({
        "a": [1, np.nan, 0, 0],
        "b": [np.nan, np.nan, 1, 1],
        "latest": [1, 0, np.nan, 1],
    })
    labels = np.array([1, 1, 2, 2])
    t = targeting(answers, {"A": "a", "B": "b", "Latest": "latest"}, labels, 3.0, 11.0, "c", "r")
    by_id = {v.segment: v for v in t.segments}
    # Segment 1: a 1 of 1, b nobody, latest 1 of 2 -> 2 of 3.
    assert by_id[1].history_rate == pytest.approx(2 / 3, abs=1e-15)
    assert by_id[1].profit_per_contact_history == pytest.approx(2 / 3 * 11 - 3, abs=1e-12)
    assert (by_id[1].latest.contacted, by_id[1].latest.rate) == (2, 0.5)
    # Segment 2: a 0 of 2, b 2 of 2, latest 1 of 1 (one missing) -> 3 of 5.
    assert by_id[2].history_rate == pytest.approx(3 / 5, abs=1e-15)
    assert (by_id[2].latest.contacted, by_id[2].latest.rate) == (1, 1.0)
    # The expected figures use every customer of the segment, contacted last time or not.
    assert by_id[2].expected_answers == 2.0
    assert by_id[2].profit_per_contact == pytest.approx(8.0, abs=1e-12)
    assert [v.segment for v in t.segments] == [2, 1]


def test_segment_nobody_was_contacted_in_is_not_targeted_nor_counted():
    answers = pd.DataFrame({"latest": [1, 0, np.nan, np.nan]})
    t = targeting(answers, {"L": "latest"}, np.array([1, 1, 2, 2]), 1.0, 11.0, "c", "r")
    first, second = t.segments
    assert first.segment == 1 and first.profit_per_contact == pytest.approx(4.5)
    assert second.segment == 2 and math.isnan(second.profit_per_contact)
    assert (second.target, second.history_rate, second.profit_low) == (False, None, None)
    assert t.everyone == (2, pytest.approx(1.0), pytest.approx(9.0))


@pytest.mark.parametrize("cost, revenue, message", [
    (3.0, 0.0, r"revenue per answer \(r\) must be > 0, got 0 for 20"),
    (3.0, -2.0, r"revenue per answer \(r\) must be > 0, got -2"),
    (-1.0, 11.0, r"cost per contact \(c\) must be >= 0, got -1"),
    (float("nan"), 11.0, r"cost per contact \(c\) must be a finite number, got nan"),
    ("three", 11.0, r"cost per contact \(c\) must be a number or a Series, got 'three'"),
])
def test_targeting_rejects_bad_economics(cost, revenue, message):
    answers, names, labels = two_segments()
    with pytest.raises(ValueError, match=message):
        targeting(answers, names, labels, cost, revenue, "c", "r")


def test_targeting_rejects_a_zero_revenue_customer_and_mismatched_lengths():
    answers, names, labels = two_segments()
    revenue = pd.Series([11.0] * 19 + [0.0])
    with pytest.raises(ValueError, match=r"revenue per answer \(column R\) must be > 0, got 0 for 1 customer"):
        targeting(answers, names, labels, 3.0, revenue, "c", "column R")
    with pytest.raises(ValueError, match=r"cost per contact \(column C\) has 19 values for 20 customers"):
        targeting(answers, names, labels, pd.Series([3.0] * 19), 11.0, "column C", "r")
    with pytest.raises(ValueError, match=r"cost per contact \(column C\) is not indexed like the answers"):
        targeting(answers, names, labels, pd.Series([3.0] * 20, index=range(1, 21)), 11.0, "column C", "r")
    with pytest.raises(ValueError, match="labels has 19 values for 20 rows"):
        targeting(answers, names, labels[:19], 3.0, 11.0, "c", "r")
    with pytest.raises(ValueError, match="'nope' not in the answers"):
        targeting(answers, {"X": "nope"}, labels, 3.0, 11.0, "c", "r")


def test_demo_campaigns_one_result_per_campaign_in_config_order(demo_run):
    campaigns = demo_run.results.campaigns
    assert [c.name for c in campaigns] == [
        "Campaign 1", "Campaign 2", "Campaign 3", "Campaign 4", "Campaign 5", "Latest campaign"]
    k = len(demo_run.results.segments)
    for c in campaigns:
        assert len(c.by_segment) == k
        assert sum(r.contacted for r in c.by_segment) == c.overall.contacted == demo_run.results.n_segmented
        assert sum(r.accepted for r in c.by_segment) == c.overall.accepted
        assert c.overall.low <= c.overall.rate <= c.overall.high
        assert not math.isnan(c.p_value)
        assert c.test == "chi-square"  # thousands of customers: every expected count is large


@pytest.fixture(scope="module")
def demo_targeting(demo_run):
    """Targeting on the bundled data, from the demo run's segments and the cleaned input."""
    cfg = load_config(Path(__file__).resolve().parents[1] / "data" / "marketing_campaign.yml")
    data = clean(load_customers(cfg), cfg)
    assert data.customers.index.equals(demo_run.customers.index)
    c = cfg.columns
    return targeting(data.customers[list(c.campaigns.values())], dict(c.campaigns),
                     demo_run.customers["segment"].to_numpy(), data.customers[c.contact_cost],
                     data.customers[c.revenue_per_answer], f"column {c.contact_cost}", f"column {c.revenue_per_answer}")


def test_demo_targeting_break_even_and_targets(demo_run, demo_targeting):
    t = demo_targeting
    assert t.cost_source == "column Z_CostContact" and t.revenue_source == "column Z_Revenue"
    assert t.break_even_rate == pytest.approx(3 / 11, abs=1e-12)  # Z_CostContact 3, Z_Revenue 11 for all
    assert sorted(v.segment for v in t.segments) == list(range(1, len(demo_run.results.segments) + 1))
    latest = demo_run.results.campaigns[-1]
    for v in t.segments:
        assert (v.cost, v.revenue) == (3.0, 11.0)
        assert v.latest == latest.by_segment[v.segment - 1]  # the same rate by both routes
        assert v.profit_per_contact == pytest.approx(v.latest.rate * 11 - 3, abs=1e-12)
        assert v.target == (v.latest.rate > 3 / 11)
        assert v.profit_low <= v.profit_per_contact <= v.profit_high
    profits = [v.profit_per_contact for v in t.segments]
    assert profits == sorted(profits, reverse=True)
    # Nobody's answer is missing, so contacting everyone again expects the latest answers again.
    assert t.everyone == (demo_run.results.n_segmented, pytest.approx(latest.overall.accepted),
                          pytest.approx(latest.overall.accepted * 11 - demo_run.results.n_segmented * 3))
    assert t.targeted[2] >= t.everyone[2]
    assert t.targeted[0] == sum(v.customers for v in t.segments if v.target)

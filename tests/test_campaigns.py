"""Campaign answer rates: Wilson intervals, lift, the chi-square test, and missing answers."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency

from analysis.campaigns import Z95, campaign_results, rate, wilson


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


def three_segments():
    # Accepted / not: segment 1 10/30, segment 2 5/35, segment 3 20/20.
    sizes = [(10, 30), (5, 35), (20, 20)]
    resp, labels = [], []
    for seg, (yes, no) in enumerate(sizes, start=1):
        resp += [1.0] * yes + [0.0] * no
        labels += [seg] * (yes + no)
    return pd.DataFrame({"resp": resp}), np.array(labels), np.array(sizes)


def test_chi_square_p_value_matches_scipy_and_the_formula():
    answers, labels, table = three_segments()
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert result.p_value == pytest.approx(chi2_contingency(table)[1], rel=1e-9)
    # Pearson's statistic by hand: expected = row total * column total / n.
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = ((table - expected) ** 2 / expected).sum()
    assert result.p_value == pytest.approx(chi2.sf(stat, df=2), rel=1e-9)
    assert result.p_value < 0.001


def test_no_p_value_when_nobody_accepted():
    answers = pd.DataFrame({"resp": [0.0] * 6})
    (result,) = campaign_results(answers, {"C": "resp"}, np.array([1, 1, 1, 2, 2, 2]))
    assert result.p_value is None
    assert result.overall.rate == 0.0
    assert all(r.lift is None for r in result.by_segment)  # no lift against a zero rate


def test_segment_without_contacts_is_left_out_of_the_test():
    answers = pd.DataFrame({"resp": [1, 0, 0, 1, np.nan, np.nan]})
    labels = np.array([1, 1, 2, 2, 3, 3])
    (result,) = campaign_results(answers, {"C": "resp"}, labels)
    assert result.by_segment[2].contacted == 0
    expected = chi2_contingency(np.array([[1, 1], [1, 1]]))[1]
    assert result.p_value == pytest.approx(expected)


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

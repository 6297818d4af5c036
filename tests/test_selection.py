"""Model search and the final numbering of segments."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis.segment.clustering import order_labels
from analysis.config import Segmentation
from analysis.errors import UserError
from analysis.segment.selection import knee, ranks, search


# --- the knee of the inertia curve -------------------------------------------------------------------------

def test_knee_on_a_hand_made_curve():
    # x normalised: 0, .25, .5, .75, 1; y normalised: (inertia - 20) / 80 = 1, .25, .125, .0625, 0.
    # Gap below the line y = 1 - x: 0, .5, .375, .1875, 0 -> largest at k=3.
    assert knee([2, 3, 4, 5, 6], [100, 40, 30, 25, 20]) == 3


def test_knee_moves_with_the_bend():
    # y normalised: 1, .9, .05, .025, 0; gap (1 - x) - y: 0, -.15, .45, .225, 0 -> k=4.
    assert knee([2, 3, 4, 5, 6], [100, 92, 24, 22, 20]) == 4


def test_knee_needs_three_points_and_a_decreasing_curve():
    assert knee([2, 3], [10, 5]) is None
    assert knee([2, 3, 4], [5, 5, 5]) is None


def test_ranks_average_ties_and_respect_direction():
    assert ranks([0.5, 0.9, 0.5], higher_is_better=True).tolist() == [2.5, 1.0, 2.5]
    assert ranks([3.0, 1.0, 2.0], higher_is_better=False).tolist() == [3.0, 1.0, 2.0]


# --- the search --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blobs():
    x, truth = make_blobs(n_samples=300, centers=[[0, 0], [10, 10], [-10, 10]], cluster_std=0.5, random_state=0)
    return x, truth


@pytest.fixture(scope="module")
def blob_search(blobs):
    return search(blobs[0], Segmentation(), seed=42)


def test_three_separated_blobs_give_k_3(blob_search):
    assert blob_search.choice.k == 3
    assert blob_search.choice.knee == 3
    assert blob_search.choice.n == 300


def test_three_separated_blobs_are_recovered_exactly(blobs, blob_search):
    assert adjusted_rand_score(blobs[1], blob_search.labels) == 1.0
    assert len(blob_search.labels) == 300


def test_every_candidate_is_scored(blob_search):
    kmeans = [c for c in blob_search.candidates if c.algorithm == "kmeans"]
    assert [c.k for c in kmeans] == list(range(2, 11))
    three = next(c for c in kmeans if c.k == 3)
    assert three.smallest_share == pytest.approx(1 / 3)
    assert three.silhouette > 0.9
    assert three.eligible and three.why_not == ""
    ranked = [c for c in blob_search.candidates if c.final_rank is not None]
    best = min(ranked, key=lambda c: (c.final_rank, c.k))
    assert (best.algorithm, best.k) == (blob_search.choice.algorithm, blob_search.choice.k)


def test_two_segments_are_not_actionable_by_default(blob_search):
    two = next(c for c in blob_search.candidates if c.algorithm == "kmeans" and c.k == 2)
    assert not two.eligible
    assert "fewer than 3 segments" in two.why_not


def test_small_segments_make_a_candidate_ineligible(blobs):
    seg = Segmentation(algorithm="kmeans", k_min=3, k_max=4, min_segment_share=0.34)
    found = search(blobs[0], seg, seed=1)
    # Each blob holds exactly a third (< 34%), so no k qualifies; each candidate says why.
    assert not any(c.eligible for c in found.candidates)
    assert all("a segment under 34%" in c.why_not for c in found.candidates)


def test_fixed_k_is_used_as_set(blobs):
    found = search(blobs[0], Segmentation(algorithm="kmeans", k=5), seed=42)
    assert (found.choice.algorithm, found.choice.k) == ("kmeans", 5)
    assert [c.k for c in found.candidates] == [5]
    assert len(np.unique(found.labels)) == 5
    assert "set in the configuration" in found.choice.reason


def test_k_set_with_the_algorithm_left_to_the_rule_claims_no_choice_of_k(blobs):
    """Only the algorithm is chosen: the reason says k was set and makes no 'most segments' claim;
    the overview says the same (test_advice)."""
    found = search(blobs[0], Segmentation(k=5), seed=42)
    c = found.choice
    assert c.k == 5 and c.set_in_config == "k"
    assert "The number of segments (k=5) was set in the configuration" in c.reason
    assert "The most segments" not in c.reason and "the most segments" not in c.reason
    assert search(blobs[0], Segmentation(algorithm="kmeans", k=5), seed=42).choice.set_in_config == "k and algorithm"
    assert search(blobs[0], Segmentation(k_min=3, k_max=4), seed=1).choice.set_in_config == ""


def test_same_seed_same_labels():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    seg = Segmentation(algorithm="kmeans", k=4)
    a = search(x, seg, seed=7)
    b = search(x, seg, seed=7)
    assert np.array_equal(a.labels, b.labels)
    assert a.candidates == b.candidates


def test_fewer_customers_than_k_is_a_user_error():
    x = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(UserError, match=r"3 customers .* k=5"):
        search(x, Segmentation(k=5), seed=0)


def test_fewer_distinct_customers_than_k_is_a_user_error():
    x = np.array([[0.0], [0.0], [0.0], [1.0], [1.0]])
    with pytest.raises(UserError, match=r"2 distinct"):
        search(x, Segmentation(k=3), seed=0)


def test_fewer_customers_than_k_through_the_cli(report_errors):
    csv = "id,income,wine,meat\n1,100,10,20\n2,200,5,40\n3,300,30,1\n"
    line = report_errors(csv, {"columns": {"id": "id", "income": "income", "spend": {"W": "wine", "M": "meat"}},
                               "segmentation": {"k": 5}})
    assert "too few" in line
    assert "3 usable customers" in line and "5 segments" in line


# --- numbering segments ------------------------------------------------------------------------------------

def test_order_labels_by_mean_value_highest_first():
    raw = np.array([0, 0, 1, 1, 2])
    value = np.array([1.0, 3.0, 10.0, 20.0, 5.0])
    # Means: cluster 0 -> 2, cluster 1 -> 15, cluster 2 -> 5: so 1 becomes 1, 2 becomes 2, 0 becomes 3.
    assert order_labels(raw, value).tolist() == [3, 3, 1, 1, 2]


def test_order_labels_by_size_without_a_value():
    raw = np.array([0, 1, 1, 2, 2, 2])
    assert order_labels(raw, None).tolist() == [3, 2, 2, 1, 1, 1]


def test_order_labels_ties_keep_the_raw_order():
    raw = np.array([1, 0, 1, 0])
    value = np.array([5.0, 5.0, 5.0, 5.0])
    assert order_labels(raw, value).tolist() == [2, 1, 2, 1]


def test_order_labels_puts_unassigned_customers_last():
    raw = np.array([-1, 0, 0, 1, -1])
    value = np.array([1000.0, 1.0, 1.0, 50.0, 1000.0])
    # Cluster 1 (mean 50) is segment 1, cluster 0 (mean 1) segment 2; the unassigned (-1) are
    # segment 3 whatever they spend.
    assert order_labels(raw, value).tolist() == [3, 2, 2, 1, 3]


def test_two_stage_splits_off_a_small_distinct_niche_first():
    from analysis.segment import clustering as cl

    rng = np.random.default_rng(3)
    big = np.vstack([rng.normal(c, 1.0, size=(400, 2)) for c in ((0, 0), (4, 0), (2, 3))])
    niche = rng.normal((30, 30), 0.5, size=(80, 2))  # 6% of customers, far from the rest
    x = np.vstack([big, niche])
    tree = cl.ward_tree(x)
    assert len(cl.find_niches(x, tree)) == 1
    fit = cl.two_stage(x, tree, 4, seed=0)
    assert fit is not None and fit.k == 4 and fit.params["niches"] == 1
    niche_labels = set(fit.labels[-80:])
    assert len(niche_labels) == 1 and not (set(fit.labels[:-80]) & niche_labels)


def test_two_stage_is_left_out_when_there_is_no_niche():
    from analysis.segment import clustering as cl

    x = np.random.default_rng(4).normal(size=(600, 3))
    assert cl.two_stage(x, cl.ward_tree(x), 4, seed=0) is None


# --- valleys, tiers, relevance and the choice of k (issue 12) ----------------------------------------------

from analysis.segment import selection as sel  # noqa: E402
from analysis.segment.relevance import MIN_RELEVANCE, relevance, weights  # noqa: E402


def test_valley_between_two_separate_groups_is_empty():
    # Centres at 0 and 10: nobody lives between 3 and 7, so the border holds no customer; taken one
    # standard error high (the exact Poisson bound of an empty count, 1.84) against the 4 at each centre.
    x = np.array([[v] for v in (-0.5, 0.0, 0.0, 0.5, 9.5, 10.0, 10.0, 10.5)])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    v = sel.valleys(x, labels)
    assert v[0] == pytest.approx(1.84 / 4, abs=0.01) and v[1] == v[0] and v[0] <= sel.VALLEY_MAX


def test_an_empty_border_beside_a_lone_customer_is_no_valley():
    # A centre window holding one customer and an empty border is no evidence of a valley.
    x = np.array([[v] for v in (0.0, 0.3, -0.3, 1.0, 1.3, 0.7)])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert min(sel.valleys(x, labels).values()) > sel.VALLEY_MAX


def test_repeated_values_are_spread_over_their_cells_and_distinct_ones_left_alone():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=200), np.repeat([0.0, 1.0], 100), rng.poisson(1.0, 200)])
    d = sel.dequantized(x, 3)
    assert np.array_equal(d[:, 0], x[:, 0])  # all different: unchanged
    flag, flat = x[:, 1], d[:, 1]  # 0 spreads over [-0.5, 0.5], 1 over [0.5, 1.5]: the line is tiled
    assert (np.abs(flat - flag) <= 0.5).all() and flat[flag == 0].min() < -0.4 and flat[flag == 1].max() > 1.4
    assert (np.abs(d[:, 2] - x[:, 2]) <= 0.5).all() and len(np.unique(d[:, 2])) == 200
    assert np.array_equal(d, sel.dequantized(x, 3))  # deterministic for a seed


def test_a_split_on_a_flag_alone_is_no_valley():
    # Customers who differ only in a 0/1 flag: nobody lies between 0 and 1, but that is the flag's
    # resolution, not a thinning of customers, so once the values are spread the split has no valley.
    rng = np.random.default_rng(1)
    flag = (rng.random(1000) < 0.4).astype(float)
    x = np.column_stack([flag, rng.normal(size=1000) * 0.3])
    labels = flag.astype(int)
    assert max(sel.valleys(x, labels).values()) <= sel.VALLEY_MAX  # read raw, the empty gap is a "valley"
    assert min(sel.valleys(sel.dequantized(x, 0), labels).values()) > sel.NO_VALLEY


def test_a_flag_and_a_count_beside_three_groups_do_not_split_them():
    # Three groups, with a 0/1 flag (30% of customers) and a count of support tickets that carry none of
    # them: each group split on the flag would read as six distinct segments if the gaps between the
    # flag's two values counted as valleys.
    x, truth = make_blobs(n_samples=1500, centers=3, n_features=3, cluster_std=1.0, center_box=(-10, 10),
                          random_state=1)
    rng = np.random.default_rng(1)
    x = np.column_stack([x, (rng.random(1500) < 0.3) * 3.0, rng.poisson(0.4, 1500)])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    found = search(x * weights(relevance(x, 1)), Segmentation(), 1)
    assert (found.choice.k, found.choice.structure) == (3, "clear")
    assert adjusted_rand_score(truth, found.labels) >= 0.99


def test_two_natural_segments_are_chosen_when_no_more_are_distinct():
    # Two separated groups: k = 2 is below min_segments, but every split into more cuts a group without a
    # valley, so the two are chosen rather than "no natural segments".
    x, truth = make_blobs(n_samples=400, centers=[[0, 0, 0], [8, 8, 0]], cluster_std=1.0, random_state=1)
    found = search(x, Segmentation(), 0, value=x[:, 0], fallback=True)
    assert (found.choice.k, found.choice.structure, found.choice.fallback) == (2, "clear", None)
    assert adjusted_rand_score(truth, found.labels) >= 0.95


def _a_group_cut_beside_two(seed: int):
    # Two tight groups and a middle group spread along a third column (age, say), cut at its middle: each
    # half's nearest centre is one of the two groups (5.7 apart, a valley between), not its other half
    # (6 apart, no valley), yet most of each half's customers have the other half's centre next.
    rng = np.random.default_rng(seed)
    a = rng.normal([0, 0, 3], 0.7, (400, 3))
    b = rng.normal([8, 8, -3], 0.7, (400, 3))
    m = np.column_stack([rng.normal(4, 0.7, 800), rng.normal(4, 0.7, 800), rng.uniform(-6, 6, 800)])
    truth = np.repeat([0, 1, 2], [400, 400, 800])
    cut = truth.copy()
    cut[800:][m[:, 2] > 0] = 3
    return np.vstack([a, b, m]), truth, cut


def test_a_group_cut_in_two_is_compared_with_its_other_half(monkeypatch):
    x, _, cut = _a_group_cut_beside_two(0)
    v = sel.valleys(x, cut)
    assert max(v[0], v[1]) <= sel.VALLEY_MAX  # the two tight groups are parted from everything
    assert min(v[2], v[3]) > sel.NO_VALLEY  # the halves border each other without a valley
    monkeypatch.setattr(sel, "BORDERS", False)  # compared with the nearest centre only, the cut is unseen
    assert max(sel.valleys(x, cut).values()) <= sel.VALLEY_MAX


def test_a_segment_borders_the_segments_its_customers_have_next():
    x, _, cut = _a_group_cut_beside_two(0)
    ids = [0, 1, 2, 3]
    c = np.vstack([x[cut == s].mean(axis=0) for s in ids])
    near = sel.neighbours(x, cut, c, ids)
    assert near[3][0] == 0 and 2 in near[3] and near[2][0] == 1 and 3 in near[2]  # 3: the older half
    assert near[0] == [3] and near[1] == [2]  # the outer groups' customers have one next centre


@pytest.mark.parametrize("far, borders", [(11, True), (9, False)])
def test_a_segment_borders_a_second_one_when_a_tenth_of_its_customers_have_it_next(far, borders):
    # One line: L at -10, R at 10, and S between them with its centre at 0: 100 - far customers at -1 (L
    # next), `far` customers out towards R (R next). R counts as a border from 10% of S's customers.
    s = np.concatenate([np.full(100 - far, -1.0), np.full(far, (100 - far) / far)])
    x = np.concatenate([np.full(50, -10.0), s, np.full(50, 10.0)])[:, None]
    labels = np.repeat([0, 1, 2], [50, 100, 50])
    c = np.array([[-10.0], [0.0], [10.0]])
    assert (2 in sel.neighbours(x, labels, c, [0, 1, 2])[1]) == borders


@pytest.mark.parametrize("seed", [0, 1])
def test_a_group_with_no_valley_inside_is_not_cut_in_two(seed):
    x, truth, _ = _a_group_cut_beside_two(seed)
    found = search(x, Segmentation(), seed)
    assert (found.choice.k, found.choice.structure) == (3, "clear")
    assert adjusted_rand_score(truth, found.labels) >= 0.99


def test_valley_of_a_continuum_cut_in_two_is_full():
    # Customers every 0.01 from 0 to 10, cut at 5: centres 2.5 and 7.5, so 0.1 of the way is 0.5 and
    # every window of +-0.1 holds 100 customers, at the centres and at the border alike. The border is
    # taken one standard error high: (100 + sqrt(100)) / 100 = 1.1.
    x = np.linspace(0, 10, 1001)[:, None]
    labels = (x[:, 0] > 5).astype(int)
    v = sel.valleys(x, labels)
    assert v[0] == pytest.approx(1.1, abs=0.02) and v[1] == pytest.approx(1.1, abs=0.02)
    assert min(v.values()) > sel.NO_VALLEY > sel.VALLEY_MAX


def test_tiers_are_thirds_by_value_highest_first():
    value = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0])
    assert sel.tiers(value).tolist() == [1, 2, 0, 1, 0, 2]
    # Equal values share a tier: the higher one.
    assert sel.tiers(np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])).tolist() == [0, 0, 0, 1, 1, 1]


def _blobs_with_noise(k: int, seed: int, n: int = 600, signal: int = 4, noise: int = 4):
    x, truth = make_blobs(n_samples=n, centers=k, n_features=signal, cluster_std=1.0, center_box=(-10, 10),
                          random_state=seed)
    x = np.hstack([x, np.random.default_rng(seed).normal(0, x.std(), size=(n, noise))])
    return (x - x.mean(axis=0)) / x.std(axis=0), truth


def test_relevance_leaves_out_columns_without_structure():
    x, _ = _blobs_with_noise(4, seed=1)
    score = relevance(x, seed=0)
    assert (score[:4] >= MIN_RELEVANCE).all() and (score[4:] < MIN_RELEVANCE).all()
    assert weights(score).tolist() == [1, 1, 1, 1, 0, 0, 0, 0]


def test_a_feature_with_two_groups_of_its_own_keeps_its_weight_beside_many_others():
    """A customer table's income of two kinds of customers beside the many order-line features that
    draw the preliminary segments by what customers buy (independent of income): the income and
    birth year were left out as 'no segment structure' (0.2%), and the segments ignored them."""
    from analysis.segment.relevance import own_groups
    rng = np.random.default_rng(0)
    n = 3000
    bought = rng.integers(0, 4, n)
    rich = rng.integers(0, 2, n)
    x = np.column_stack([rng.normal(0, 3, (4, 10))[bought] + rng.normal(size=(n, 10)),
                         np.where(rich, 95_000, 32_000) + rng.normal(0, 5_000, n),
                         np.where(rich, 1965, 1995) + rng.normal(0, 4, n).round(), rng.uniform(size=n)])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    score = relevance(x, seed=0)
    assert weights(score).tolist() == [1] * 12 + [0]  # income and birth year kept, the uniform column not
    assert score[10] > 0.9 and score[11] > 0.9
    # No two groups of its own: one bell, a flat spread, a skew, a flag, few counts, a mass at 0 beside buyers.
    for v in (rng.normal(size=n), rng.uniform(size=n), rng.exponential(size=n), rng.integers(0, 2, n) * 1.0,
              rng.poisson(3, n) * 1.0, np.r_[np.zeros(n // 3), rng.normal(3, 1, n - n // 3)],
              np.r_[rng.normal(0, 1, n // 2), rng.normal(3, 1, n // 2)]):  # (3 sd apart: no valley half as dense)
        assert own_groups(v) == 0.0
    assert own_groups(np.r_[rng.normal(0, 1, n // 2), rng.normal(6, 1, n // 2)]) > 0.85
    assert own_groups(np.r_[rng.normal(0, 1, n // 20), rng.normal(6, 1, n - n // 20)]) > 0.5  # 5%: a group
    assert own_groups(np.r_[rng.normal(0, 1, 100), rng.normal(6, 1, n - 100)]) == 0.0  # 3%: too few to be one


def test_relevance_keeps_at_least_two_features():
    assert weights(np.array([0.01, 0.05, 0.02])).tolist() == [0, 1, 1]


@pytest.mark.parametrize("k,seed", [(4, 0), (5, 1), (6, 2), (7, 3)])
def test_planted_segments_among_noise_columns_are_found(k, seed):
    """A small slice of bench/bench_selection.py: k blobs in 4 columns beside 4 noise columns."""
    x, truth = _blobs_with_noise(k, seed)
    found = search(x * weights(relevance(x, seed)), Segmentation(), seed)
    assert found.choice.k == k, found.choice.reason
    assert found.choice.structure == "clear"
    assert adjusted_rand_score(truth, found.labels) >= 0.95
    assert dict(found.choice.votes)["valley"] == k


def test_the_rule_is_not_pulled_to_few_segments():
    # Two far groups of three blobs each: separation indices like two big groups, but every one of the
    # six is separated from its nearest neighbour by a valley.
    centres = [[0, 0], [6, 0], [3, 5], [40, 0], [46, 0], [43, 5]]
    x, truth = make_blobs(n_samples=900, centers=centres, cluster_std=1.0, random_state=0)
    found = search(x, Segmentation(), 0)
    assert found.choice.k == 6 and adjusted_rand_score(truth, found.labels) >= 0.95


def test_two_far_groups_are_two_natural_segments_though_fewer_than_asked():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (400, 4)), rng.normal(6, 1, (300, 4))])
    c = search(x, Segmentation(), 0).choice
    assert (c.k, c.structure) == (2, "clear")
    assert "fewer natural segments than min_segments asks for" in c.reason


def _far_groups_of_overlapping_segments(seed: int, sep: float = 4.0, n: int = 900):
    """Two far groups, of three and of two segments whose centres are `sep` sd apart: only the two
    groups are parted by a deep valley, the five segments by shallower ones."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, n)
    c = np.zeros((5, 5))
    c[:3, :3] = np.eye(3) * sep / np.sqrt(2)
    c[3:, 3:] = np.eye(2) * sep / np.sqrt(2)
    c[3:, 0] += 12
    return rng.normal(c[y], 1.0), y


def test_stable_segments_mostly_parted_by_valleys_beat_two_far_groups():
    # No five-segment candidate has every border a valley, but most of them are, and it is stable:
    # the two far groups (distinct, stable, too few) must not hide the five segments inside them.
    x, truth = _far_groups_of_overlapping_segments(1)
    found = search(x, Segmentation(), 1)
    c = found.choice
    assert (c.k, c.structure) == (5, "weak") and c.algorithm in ("kmeans", "gmm"), c.reason  # (equal-ranked fits)
    assert adjusted_rand_score(truth, found.labels) >= 0.9
    assert max(c.valleys.values()) > sel.VALLEY_MAX >= float(np.median(list(c.valleys.values())))
    assert "of which most are (" in c.reason and "median border-to-centre density" in c.reason
    assert "fewer natural segments" not in c.reason


@pytest.mark.parametrize("kind", ["cloud", "cube", "gradient"])
def test_no_natural_segments_without_structure(kind):
    rng = np.random.default_rng(5)
    if kind == "cloud":
        x = rng.normal(size=(600, 5)) @ rng.normal(size=(5, 5))
    elif kind == "cube":
        x = rng.uniform(size=(600, 4))
    else:
        t = rng.uniform(size=600)
        x = np.column_stack([np.exp(2 * t * a) + rng.normal(0, 0.3, 600) for a in (0.5, 1.0, 1.5, 2.0)])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    found = search(x * weights(relevance(x, 0)), Segmentation(), 0)
    assert found.choice.structure == "none", found.choice.reason
    assert "no natural segments" in found.choice.reason
    if kind == "cloud":  # k set by hand: only that number was looked at, and the page says no more than that
        fixed = search(x * weights(relevance(x, 0)), Segmentation(k=4, algorithm="kmeans"), 0).choice
        assert fixed.structure == "none" and "no natural segments" not in fixed.structure_note
        assert fixed.structure_note.startswith("The 4 segments set in the configuration (segmentation.k) are not "
                                               "separated by valleys")
        from analysis.publish.pages import structure_title  # the pages' heading says no more either
        assert structure_title(fixed) == "The 4 segments set in the configuration are not natural ones"
        assert structure_title(found.choice) == "No natural segments"


def test_fallback_groups_customers_into_value_tiers():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 4))
    value = rng.lognormal(size=600)
    found = search(x, Segmentation(), 0, value=value, fallback=True)
    c = found.choice
    assert (c.structure, c.algorithm, c.k, c.fallback) == ("none", "tiers", 3, "value_tiers")
    assert found.labels.tolist() == sel.tiers(value).tolist()
    assert "value tiers" in c.reason and "value tiers" in c.rule
    assert c.tiers_by == "total spend" and "by total spend" in c.reason
    by_income = search(x, Segmentation(), 0, value=value, fallback=True, value_name="income").choice
    assert by_income.tiers_by == "income" and "by income instead" in by_income.reason and "spend" not in by_income.reason
    by_pc = search(x, Segmentation(), 0, fallback=True).choice
    assert by_pc.tiers_by == "the first principal component" and by_pc.fallback == "pc_tiers"
    # Nobody spent anything (or all but a few): ties left one tier, and the explanation of one segment failed.
    for spent in (np.zeros(600), np.r_[np.zeros(598), 5.0, 9.0]):
        none_spent = search(x, Segmentation(), 0, value=spent, fallback=True)
        assert none_spent.choice.fallback == "pc_tiers" and len(np.unique(none_spent.labels)) == 3
    # No spend or income: no value to tier by, so no "value tiers" anywhere.
    assert "value tier" not in by_pc.reason + by_pc.rule and "into 3 tiers" in by_pc.reason and by_pc.tiers_name == "tiers"
    # Without the fallback the best candidate is kept, and the choice says there are no natural segments.
    plain = search(x, Segmentation(), 0)
    assert plain.choice.structure == "none" and plain.choice.algorithm != "tiers" and plain.choice.fallback is None


def test_a_fixed_k_is_never_replaced_by_tiers():
    x = np.random.default_rng(2).normal(size=(400, 3))
    found = search(x, Segmentation(algorithm="kmeans", k=4), 0, value=x[:, 0], fallback=True)
    assert (found.choice.algorithm, found.choice.k) == ("kmeans", 4)


def test_weak_separation_is_reported_with_the_overlap():
    # Four clusters whose centres are 3 sd apart: real, but no clean valley between all of them.
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 1200)
    x = rng.normal(np.eye(4, 5)[truth] * 3 / np.sqrt(2), 1.0)
    found = search(x, Segmentation(), 0)
    assert found.choice.structure in ("weak", "none")
    assert found.choice.overlap is not None and 0 < found.choice.overlap < 0.5
    assert found.choice.valleys and max(found.choice.valleys.values()) > sel.VALLEY_MAX


@pytest.mark.parametrize("sep, noise, valleys", [(4.0, 12, True), (3.5, 14, False)])
def test_weak_segments_are_said_weak_for_the_reason_that_holds(sep, noise, valleys):
    """Three groups along one axis among many noise columns: 4 sd apart, every border has a valley but
    the silhouette is low (weak for that, and the note must not deny the valleys); 3.5 sd apart, some
    borders have none (weak for that)."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 1500)
    x = np.hstack([rng.normal(truth[:, None] * sep, 1.0, (1500, 1)), rng.normal(0, 1, (1500, noise))])
    c = search(x, Segmentation(), 0).choice
    assert (c.k, c.structure) == (3, "weak")
    assert (max(c.valleys.values()) <= sel.VALLEY_MAX) == valleys
    note = c.structure_note
    assert note in c.reason
    if valleys:
        assert note.startswith("Every segment is separated from those it borders by a valley") and "no valley" not in note
        assert f"(silhouette {c.silhouette:.2f}; up to 0.25 is no substantial structure)" in note
    else:
        assert note == sel.STRUCTURE_TEXT["weak"] and "between some of them there is no valley" in note


def test_a_choice_among_candidates_none_of_them_actionable_is_not_said_to_be_among_actionable_ones():
    """1,000 customers and a far group of 9 (0.9%): every split holds a segment under 5%, so the rule
    falls back to any split into two groups; the reason says so rather than "among 35 actionable
    candidates", and a table with actionable candidates still says that."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (1000, 3)), rng.normal(12, 0.5, (9, 3))])
    found = search(x, Segmentation(), 0)
    assert not any(c.eligible for c in found.candidates) and found.choice.k == 2
    assert "none of them actionable" in found.choice.reason and "actionable candidates" not in found.choice.reason
    blobs, _ = make_blobs(n_samples=900, centers=3, n_features=3, random_state=1)
    reason = search(blobs, Segmentation(), 0).choice.reason
    assert "actionable candidates" in reason and "none of them actionable" not in reason


def test_gap_statistic_finds_one_group_in_a_uniform_cube_and_several_in_blobs():
    cube = np.random.default_rng(3).uniform(size=(1000, 3))
    rows, _, none = sel.gap_statistic((cube - cube.mean(axis=0)) / cube.std(axis=0), [2, 3, 4, 5, 6], seed=0)
    assert [r[0] for r in rows] == [2, 3, 4, 5, 6] and none
    x, _ = make_blobs(n_samples=600, centers=4, n_features=3, random_state=0)
    rows, gap_k, none = sel.gap_statistic(x, [2, 3, 4, 5, 6], seed=0)
    assert not none and gap_k == 4


def test_a_finer_split_left_out_only_for_a_small_segment_is_named():
    """A split into more segments whose groups are parted by valleys, left out only because one is
    under min_segment_share (a 3% niche of big spenders): the reason names it and the share to set."""
    from types import SimpleNamespace

    from analysis.config import Segmentation
    from analysis.segment.selection import VALLEY_MAX, _smaller_split

    seg = Segmentation()

    def row(k, why, valley, sil=0.45, share=0.0304, stability=0.9):
        return {"fit": SimpleNamespace(k=k, algorithm="kmeans"), "why_not": why, "valley": valley,
                "silhouette": sil, "smallest_share": share, "stability": stability}

    def split(rows, k):
        return _smaller_split(rows, k, seg, lambda r: r["stability"] >= seg.min_stability)
    niche = row(4, "a segment under 5%", 0.05)
    assert split([niche], 3) == (
        " A split into 4 segments (k-means, silhouette 0.450) also parts every segment from those it borders by a valley, "
        "but its smallest holds 3.0% of the customers, under the minimum of 5%: set segmentation.min_segment_share "
        "to 0.03 to keep such a group apart.")
    assert split([row(4, "a segment under 5%", VALLEY_MAX + 0.01)], 3) == ""  # no valley
    assert split([row(4, "a segment under 5%", VALLEY_MAX)], 3) != ""
    assert split([row(3, "a segment under 5%", 0.05)], 3) == ""  # no more segments than chosen
    assert split([row(4, "a segment under 5%; a segment under 20 customers", 0.05)], 3) == ""
    # The best separated of several is named.
    assert "into 5 segments" in split([niche, row(5, "a segment under 5%", 0.1, sil=0.5)], 3)
    # An unstable split would not be chosen with the minimum lowered: no advice that changes nothing.
    assert split([row(4, "a segment under 5%", 0.05, stability=0.67)], 3) == ""
    assert "into 4 segments" in split([niche, row(5, "a segment under 5%", 0.1, sil=0.5, stability=0.7)], 3)


def test_stable_segments_inside_the_groups_a_valley_parts_are_kept_as_weakly_separated():
    """An e-shop's occasional buyers (one of two groups a valley parts) hold electronics, fashion and
    new customers: four stable segments, each inside one group, part customers better than the two
    groups do (silhouette 0.384 against 0.297), so they are kept rather than the two groups alone.
    Segments that straddle the groups, separate worse (a round group cut in two) or do not come back
    are not."""
    from types import SimpleNamespace

    coarse_labels = np.repeat([1, 2], [100, 300])
    fine_labels = np.repeat([1, 2, 3, 4], [100, 100, 100, 100])

    def row(labels, silhouette, k=None, unassigned=0.0):
        return {"fit": SimpleNamespace(labels=labels, k=k or len(np.unique(labels))), "silhouette": silhouette,
                "unassigned_share": unassigned}
    coarse = row(coarse_labels, 0.297)
    seg = Segmentation()
    yes, no = (lambda r: True), (lambda r: False)
    assert sel._inside(row(fine_labels, 0.384), coarse, seg, yes)
    assert not sel._inside(row(fine_labels, 0.384), coarse, seg, no)  # not stable
    assert not sel._inside(row(fine_labels, 0.297), coarse, seg, yes)  # no better parted than the groups
    assert not sel._inside(row(fine_labels, 0.384, unassigned=0.1), coarse, seg, yes)
    assert not sel._inside(row(np.repeat([1, 2], [200, 200]), 0.5), coarse, seg, yes)  # under min_segments
    # 90% of a segment in one group is inside it; 89% is not.
    for moved, inside in ((10, True), (11, False)):
        straddling = fine_labels.copy()
        straddling[:10] = 2  # segment 2: 10 in group 1 and 100 in group 2 (91%)
        straddling[100:100 + moved] = 1  # segment 1: 90 in group 1 and `moved` in group 2
        assert sel._inside(row(straddling, 0.384), coarse, seg, yes) == inside


def test_segment_stability_is_that_of_the_fit_with_its_own_number_of_starts():
    """Resamples are refitted as the segments were (k-means with its 10 starts): refitted with 2,
    the resamples' own poor local optima made a segment of these six overlapping groups (ARI 0.70
    against them) read unstable (its mean Jaccard 0.57 against 0.70)."""
    from analysis.segment import clustering as cl
    from analysis.segment.profiles import UNSTABLE

    rng = np.random.default_rng(4)
    centres = rng.normal(0, 2.2, (6, 4))
    sizes = np.maximum((rng.dirichlet(np.ones(6) * 2) * 1500).astype(int), 20)
    truth = np.repeat(np.arange(6), sizes)
    x = centres[truth] + rng.normal(size=(len(truth), 4))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    fit = cl.kmeans(x, 6, 0)
    assert adjusted_rand_score(truth, fit.labels) >= 0.65
    _, _, jaccard = sel.stability(fit, x, 8, 0)
    assert min(jaccard.values()) >= UNSTABLE, jaccard


@pytest.mark.parametrize("shown", [20, 5])
def test_a_small_table_is_not_cut_into_segments_too_small_for_the_pages(write_case, shown):
    """40 customers of two kinds (20 and 20): three segments left two of 10, under report.min_segment_size
    (20), so the pages showed one segment of half the customers and called it the one that 'spends the
    most of the segments large enough to show'. A segment the pages cannot show is no actionable one:
    the two kinds are found. With a minimum of 5 the split into three is allowed again."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    from analysis.config import load_config
    from analysis.pipeline import analyse

    rng = np.random.default_rng(3)
    y = rng.permutation(np.repeat([0, 1], 20))
    frame = pd.DataFrame({"id": np.arange(1, 41), "income": np.where(y == 0, rng.normal(30000, 3000, 40),
                                                                      rng.normal(90000, 6000, 40)).round(),
                          "spend": np.where(y == 0, rng.normal(200, 30, 40), rng.normal(2000, 200, 40)).round(2),
                          "orders": np.where(y == 0, rng.poisson(3, 40), rng.poisson(15, 40)),
                          "age": rng.integers(20, 70, 40)})
    path = write_case(frame.to_csv(index=False), {
        "columns": {"id": "id", "income": "income", "age": "age", "orders": "orders", "spend": {"All": "spend"}},
        "report": {"min_segment_size": shown}})
    run = analyse(load_config(path))
    sizes = [p.size for p in run.results.segments]
    if shown == 20:
        assert run.results.chosen.k == 2 and min(sizes) >= 20
        assert adjusted_rand_score(y, run.customers["segment"].to_numpy()) == 1.0
        assert "and 20 customers (the pages show no smaller segment)" in run.results.chosen.rule
    else:
        assert run.results.chosen.k == 3 and min(sizes) < 20


def test_weak_segments_say_how_many_lack_a_valley():
    """Ten segments of which two have no valley on some border: 'treat the segments as a division of a
    continuum' spoke of all ten where the methodology table shows a valley for eight. The note counts them."""
    from analysis.config import Segmentation
    from analysis.segment.selection import STRUCTURE_TEXT, VALLEY_MAX, structure_note

    valleys = {i: 0.2 for i in range(8)} | {8: VALLEY_MAX + 0.01, 9: 1.3}
    best = {"valleys": valleys, "valley": 1.3, "silhouette": 0.4, "stability": 0.9}
    note = structure_note("weak", Segmentation(), best)
    assert note.startswith("The segments overlap in part: 2 of the 10 have no valley of fewer customers on some border")
    assert note.endswith("The other 8 are separated from every segment they border by a valley.")
    one = structure_note("weak", Segmentation(), {**best, "valleys": valleys | {8: VALLEY_MAX}})
    assert "1 of the 10 has no valley" in one and "treat it as" in one and "The other 9 are" in one
    assert structure_note("weak", Segmentation(), {**best, "valleys": {i: 0.9 for i in range(10)}}) == STRUCTURE_TEXT["weak"]

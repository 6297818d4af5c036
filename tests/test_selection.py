"""Model search and the final numbering of segments."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis.clustering import order_labels
from analysis.config import Segmentation
from analysis.errors import UserError
from analysis.selection import knee, ranks, search


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
    assert "too few usable customers" in line
    assert "3 customers" in line and "k=5" in line


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
    from analysis import clustering as cl

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
    from analysis import clustering as cl

    x = np.random.default_rng(4).normal(size=(600, 3))
    assert cl.two_stage(x, cl.ward_tree(x), 4, seed=0) is None

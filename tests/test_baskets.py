"""Basket rules per segment (`analysis.insight.baskets.basket_rules`) on hand-made orders.

Every count, confidence and lift below is worked out by hand in the comments; lift = count x n /
(count(lhs) x count(rhs)) within the baskets mined, overall lift the same over all baskets.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.insight.baskets import basket_rules
from analysis.config import Baskets
from analysis.ingest.orders import OrderBaskets, by_owner


def order_baskets(orders, value, category=None) -> OrderBaskets:
    """orders: [(items as a string of one-letter products or a tuple, customer or None)]."""
    products = tuple(sorted(value, reverse=True))  # codes not in name order, as the rules module must cope
    code = {p: i for i, p in enumerate(products)}
    categories = tuple(sorted(set(category.values()))) if category else ()
    order_idx, product_idx = [], []
    for o, (items, _) in enumerate(orders):
        for item in items:
            order_idx.append(o)
            product_idx.append(code[item])
    owner, owners = by_owner([c for _, c in orders])
    return OrderBaskets(
        order_idx=np.array(order_idx, dtype=np.int32), product_idx=np.array(product_idx, dtype=np.int32),
        order_owner=owner, owners=owners, products=products,
        product_category=np.array([categories.index(category[p]) if category else -1 for p in products],
                                  dtype=np.int32),
        categories=categories, product_value=np.array([value[p] for p in products], dtype=float))


def rules_of(rules):
    return [(r.lhs, r.rhs, r.count, r.support, r.confidence, r.lift, r.overall_lift) for r in rules]


def assert_rules(actual, expected):
    got = rules_of(actual)
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for g, e in zip(got, expected):
        assert g[3:] == pytest.approx(e[3:]), g[:2]


# Segment 1 buys A with B (and C, D apart); segment 2 buys C with D (and A, B apart).
# Segment 3 is not public; x9 is a customer without a segment; three orders have no customer.
SEG1 = [("AB", "a1"), ("AB", "a2"), ("AB", "a3"), ("A", "a4"), ("A", "a5"), ("B", "a5"), ("A", "a6"),
        ("C", "a1"), ("D", "a2"), ("C", "a3"), ("D", "a4"), ("FG", "a1"), ("FG", "a4")]
SEG2 = [("CD", "b1"), ("CD", "b2"), ("CD", "b3"), ("C", "b4"), ("A", "b2"), ("B", "b3"), ("A", "b1"),
        ("B", "b2"), ("E", "b3"), ("E", "b1")]
SEG3 = [("FG", "c1"), ("FG", "c2"), ("A", "c1"), ("B", "c2"), ("C", "c1"), ("D", "c2")]
REST = [("A", None), ("B", None), ("C", None), ("D", "x9")]
ORDERS = SEG1 + SEG2 + SEG3 + REST
# Over all 33 baskets: A 10, B 8, C 8, D 7, E 2, F 4, G 4; AB 3, CD 3, FG 4.
SEGMENT_OF = pd.Series({**{f"a{i}": 1 for i in range(1, 7)}, **{f"b{i}": 2 for i in range(1, 5)},
                        "c1": 3, "c2": 3})
VALUE = {"A": 4.0, "B": 8.0, "C": 12.0, "D": 20.0, "E": 1.0, "F": 2.0, "G": 3.0}
# A handful of baskets (min_baskets=2): no association among so few is beyond chance, so these tests
# check the rules' counts and ratios with the chance test off (distinctive_p=None); it has its own tests.
CONFIG = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.1, min_confidence=0.4, max_length=3,
                 distinctive_lift=1.25, top=10)


@pytest.fixture(scope="module")
def result():
    return basket_rules(order_baskets(ORDERS, VALUE), SEGMENT_OF, {1, 2}, CONFIG)


def test_overall_rules(result):
    assert result.baskets == 33
    assert result.baskets_with_customer == 13 + 10 + 6  # x9 and the three guests have no segment
    (level,) = result.levels
    assert (level.level, level.items, level.baskets) == ("product", 7, 33)
    # minimum count: max(min_baskets 2, ceil(0.1 x 33 = 3.3) = 4) = 4: AB and CD (3 each) are not
    # frequent over all baskets; FG (4) is: F=>G and G=>F, confidence 4/4, lift 4 x 33 / (4 x 4) = 8.25
    assert (level.min_count, level.n_rules) == (4, 2)
    assert_rules(level.top, [(("F",), ("G",), 4, 4 / 33, 1.0, 8.25, None),
                             (("G",), ("F",), 4, 4 / 33, 1.0, 8.25, None)])


def test_rules_per_segment(result):
    (level,) = result.levels
    # segment 3 is not public: not mined although F=>G holds there (2 of its 6 baskets)
    assert [s.segment for s in level.segments] == [1, 2]
    s1, s2 = level.segments
    # segment 1: 13 baskets; minimum count max(2, ceil(0.1 x 13 = 1.3)) = 2
    # counts: A 6, B 4, C 2, D 2, F 2, G 2; pairs AB 3, FG 2 (no other pair is in 2 baskets)
    assert (s1.baskets, s1.min_count, s1.n_rules) == (13, 2, 4)
    assert_rules(s1.top, [
        # F=>G: 2 / 2 = 1.0; lift 2 x 13 / (2 x 2) = 6.5; overall 4 x 33 / (4 x 4) = 8.25
        (("F",), ("G",), 2, 2 / 13, 1.0, 6.5, 8.25),
        (("G",), ("F",), 2, 2 / 13, 1.0, 6.5, 8.25),
        # B=>A: 3 / 4; lift 3 x 13 / (6 x 4) = 1.625; overall 3 x 33 / (10 x 8) = 1.2375
        (("B",), ("A",), 3, 3 / 13, 0.75, 1.625, 1.2375),
        # A=>B: 3 / 6 = 0.5 (>= 0.4); same lifts
        (("A",), ("B",), 3, 3 / 13, 0.5, 1.625, 1.2375),
    ])
    a_b = s1.top[3]
    assert a_b.leverage == pytest.approx(3 / 13 - (6 / 13) * (4 / 13))  # 15 / 169
    assert a_b.conviction == pytest.approx((1 - 4 / 13) / (1 - 0.5))  # 18 / 13
    # segment 2: 10 baskets; minimum count max(2, ceil(0.1 x 10 = 1)) = 2
    # counts: C 4, D 3, A 2, B 2, E 2; pairs CD 3
    assert (s2.baskets, s2.min_count, s2.n_rules) == (10, 2, 2)
    assert_rules(s2.top, [
        # D=>C: 3 / 3; lift 3 x 10 / (3 x 4) = 2.5; overall 3 x 33 / (7 x 8) = 99 / 56
        (("D",), ("C",), 3, 0.3, 1.0, 2.5, 99 / 56),
        (("C",), ("D",), 3, 0.3, 0.75, 2.5, 99 / 56),
    ])


def test_distinctive_rules(result):
    s1, s2 = result.levels[0].segments
    # segment 1: A<->B lift 1.625 / 1.2375 = 1.313 >= 1.25, and in 3 of 13 baskets against 3 of 33 (2.54 times
    # as often); F<->G lift 6.5 / 8.25 = 0.79, but in 2 of 13 baskets against 4 of 33: 1.269 times as often,
    # with a lift of 6.5 in the segment, so distinctive too (its bundle more than the others'), after A<->B
    assert [(r.lhs, r.rhs) for r in s1.distinctive] == [(("A",), ("B",)), (("B",), ("A",)), (("F",), ("G",)),
                                                         (("G",), ("F",))]
    assert s1.distinctive[0].lift_ratio == pytest.approx(1.625 / 1.2375)
    assert s1.distinctive[2].support_ratio == pytest.approx((2 / 13) / (4 / 33))
    # segment 2: C<->D lift 2.5 / (99 / 56) = 140 / 99 = 1.414
    assert [(r.lhs, r.rhs) for r in s2.distinctive] == [(("C",), ("D",)), (("D",), ("C",))]
    assert s2.distinctive[0].lift_ratio == pytest.approx(140 / 99)
    # with a higher bar (1.35): A<->B's lift ratio (1.313) is under it, but segment 1 buys the pair 2.54 times
    # as often; F<->G's 1.269 times is under it
    strict = basket_rules(order_baskets(ORDERS, VALUE), SEGMENT_OF, {1, 2},
                          CONFIG.model_copy(update={"distinctive_lift": 1.35}))
    assert [[(r.lhs, r.rhs) for r in s.distinctive] for s in strict.levels[0].segments] == [
        [(("A",), ("B",)), (("B",), ("A",))], [(("C",), ("D",)), (("D",), ("C",))]]
    (p1,) = strict.levels[0].segments[0].promotions
    assert (p1.kind, p1.rule.lhs, p1.rule.rhs, p1.reach) == ("bundle", ("A",), ("B",), 2)
    # a bar over 2.54: no rule of segment 1 is distinctive, and its offers come from its strongest rules:
    # F=>G (lift 6.5) reaches no one (every F basket holds G), A=>B the same two customers
    none = basket_rules(order_baskets(ORDERS, VALUE), SEGMENT_OF, {1, 2},
                        CONFIG.model_copy(update={"distinctive_lift": 2.6}))
    assert none.levels[0].segments[0].distinctive == ()
    (p1,) = none.levels[0].segments[0].promotions
    assert (p1.kind, p1.rule.lhs, p1.rule.rhs, p1.reach) == ("bundle", ("A",), ("B",), 2)


def test_bundle_promotions(result):
    s1, s2 = result.levels[0].segments
    # A=>B and B=>A are one offer: a bundle, since both directions pass min_confidence
    (p1,) = s1.promotions
    assert (p1.kind, p1.rule.lhs, p1.rule.rhs) == ("bundle", ("A",), ("B",))
    # segment 1 customers with A but never B: a4 (A, D, FG) and a6 (A); not a5, who bought B in
    # another order, nor a1-a3 (AB) -> 2; buyers 2 x 0.5 = 1.0; revenue 1.0 x B's 8.00 = 8.00
    assert p1.reach == 2
    assert p1.expected_buyers == pytest.approx(1.0)
    assert p1.expected_revenue == pytest.approx(8.0)
    (p2,) = s2.promotions
    assert (p2.kind, p2.rule.lhs, p2.rule.rhs) == ("bundle", ("C",), ("D",))
    # segment 2 customers with C but never D: b4 -> 1; buyers 1 x 0.75; revenue 0.75 x 20.00 = 15.00
    assert (p2.reach, p2.expected_buyers, p2.expected_revenue) == (1, pytest.approx(0.75), pytest.approx(15.0))


def test_public_segments_only():
    b = order_baskets(ORDERS, VALUE)
    everyone = basket_rules(b, SEGMENT_OF, {1, 2, 3, 4}, CONFIG)  # 4 has no basket: nothing to list
    s3 = everyone.levels[0].segments[2]
    assert [s.segment for s in everyone.levels[0].segments] == [1, 2, 3]
    # segment 3: 6 baskets, F 2, G 2, FG 2: F=>G lift 2 x 6 / (2 x 2) = 3, overall 8.25
    assert_rules(s3.top, [(("F",), ("G",), 2, 2 / 6, 1.0, 3.0, 8.25), (("G",), ("F",), 2, 2 / 6, 1.0, 3.0, 8.25)])
    only_two = basket_rules(b, SEGMENT_OF, {2}, CONFIG)
    assert [s.segment for s in only_two.levels[0].segments] == [2]


def test_cross_sell_when_the_reverse_rule_is_weak():
    # segment 1: XY XY Y Y Y X and six Z (12 baskets; X 3, Y 5, XY 2); four guest orders X X X Y
    orders = [("XY", "p1"), ("XY", "p2"), ("Y", "p3"), ("Y", "p4"), ("Y", "p5"), ("X", "p8")] + [
        ("Z", f"p{i}") for i in (6, 7, 9, 10, 11, 12)] + [("X", None), ("X", None), ("X", None), ("Y", None)]
    segment_of = pd.Series({f"p{i}": 1 for i in range(1, 13)})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5, distinctive_lift=1.5)
    res = basket_rules(order_baskets(orders, {"X": 5.0, "Y": 9.0, "Z": 1.0}), segment_of, {1}, cfg)
    (s1,) = res.levels[0].segments
    # X=>Y: 2 / 3 >= 0.5; Y=>X: 2 / 5 = 0.4 < 0.5, so it is not a rule
    # lift 2 x 12 / (3 x 5) = 1.6 (at least 1.5); overall (16 baskets, X 6, Y 6) 2 x 16 / (6 x 6) = 8 / 9; ratio 1.8
    assert_rules(s1.top, [(("X",), ("Y",), 2, 2 / 12, 2 / 3, 1.6, 8 / 9)])
    assert [(r.lhs, r.rhs) for r in s1.distinctive] == [(("X",), ("Y",))]
    (p,) = s1.promotions
    # with X but never Y: p8 -> reach 1; buyers 1 x 2/3; revenue 2/3 x 9.00 = 6.00
    assert (p.kind, p.reach) == ("cross-sell", 1)
    assert p.expected_buyers == pytest.approx(2 / 3) and p.expected_revenue == pytest.approx(6.0)
    # over all 16 baskets neither direction reaches 0.5 (2 / 6): no overall rule
    assert res.levels[0].n_rules == 0


def test_a_rule_at_chance_in_the_segment_is_not_distinctive_however_weak_overall():
    # segment 1: XY XY Y Y Y Z Z X (8 baskets; X 3, Y 5, XY 2); four guest orders X X X Y
    # X=>Y: lift 2 x 8 / (3 x 5) = 16 / 15 in the segment, against 2 / 3 overall: a ratio of 1.6, but
    # bought together about as often as by chance in the segment itself: no bundle of its own
    orders = [("XY", "p1"), ("XY", "p2"), ("Y", "p3"), ("Y", "p4"), ("Y", "p5"), ("Z", "p6"), ("Z", "p7"),
              ("X", "p8"), ("X", None), ("X", None), ("X", None), ("Y", None)]
    segment_of = pd.Series({f"p{i}": 1 for i in range(1, 9)})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5, distinctive_lift=1.5)
    (s1,) = basket_rules(order_baskets(orders, {"X": 5.0, "Y": 9.0, "Z": 1.0}), segment_of, {1}, cfg).levels[0].segments
    assert_rules(s1.top, [(("X",), ("Y",), 2, 2 / 8, 2 / 3, 16 / 15, 2 / 3)])
    assert s1.distinctive == ()
    # The offer comes from the segment's strongest rule instead: Y to p8, who bought X but never Y.
    assert [(p.kind, p.rule.lhs, p.reach) for p in s1.promotions] == [("cross-sell", ("X",), 1)]


def test_category_level():
    # P1, P2 are Home, P3 Garden, P5 Toys; no two products are together twice, but Home and Garden are
    orders = [(("P1", "P3"), "q1"), (("P2", "P3"), "q2"), (("P1",), "q3"), (("P2",), "q4"),
              (("P5",), "q5"), (("P5",), "q6")]
    value = {"P1": 1.0, "P2": 1.0, "P3": 1.0, "P5": 1.0}
    category = {"P1": "Home", "P2": "Home", "P3": "Garden", "P5": "Toys"}
    cfg = Baskets(min_reach=1, levels=["product", "category"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5,
                  distinctive_lift=1.25)
    segment_of = pd.Series({f"q{i}": 1 for i in range(1, 7)})
    res = basket_rules(order_baskets(orders, value, category), segment_of, {1}, cfg)
    product, cat = res.levels
    assert (product.level, product.items, product.n_rules) == ("product", 4, 0)
    # 6 baskets: Home 4, Garden 2, Toys 2, Home+Garden 2
    # Garden=>Home: 2 / 2, lift 2 x 6 / (2 x 4) = 1.5; Home=>Garden: 2 / 4 = 0.5, lift 1.5
    assert (cat.level, cat.items, cat.baskets, cat.min_count) == ("category", 3, 6, 2)
    assert_rules(cat.top, [(("Garden",), ("Home",), 2, 2 / 6, 1.0, 1.5, None),
                           (("Home",), ("Garden",), 2, 2 / 6, 0.5, 1.5, None)])
    (s1,) = cat.segments
    # the only segment holds every basket: same lifts, ratio 1 -> nothing distinctive, no offer
    assert_rules(s1.top, [(("Garden",), ("Home",), 2, 2 / 6, 1.0, 1.5, 1.5),
                          (("Home",), ("Garden",), 2, 2 / 6, 0.5, 1.5, 1.5)])
    assert s1.distinctive == () and s1.promotions == ()
    # only the levels asked for, and no category level without categories
    assert [lv.level for lv in basket_rules(order_baskets(orders, value, category), segment_of, {1},
                                            cfg.model_copy(update={"levels": ["category"]})).levels] == ["category"]
    assert [lv.level for lv in basket_rules(order_baskets(orders, value), segment_of, {1}, cfg).levels] == ["product"]


def test_automatic_minimum_count():
    # 700 baskets: 7 hold X and Y, 6 hold Z and W, 687 hold Q alone; baskets 0-199 are segment 1,
    # 200-499 segment 2, the rest belong to customers without a segment
    orders = [("XY", None)] * 7 + [("ZW", None)] * 6 + [("Q", None)] * 687
    orders = [(items, f"k{i}") for i, (items, _) in enumerate(orders)]
    segment_of = pd.Series({f"k{i}": 1 if i < 200 else 2 for i in range(500)})
    value = dict.fromkeys("QWXYZ", 1.0)
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support="auto", min_confidence=0.5)
    (level,) = basket_rules(order_baskets(orders, value), segment_of, {1, 2}, cfg).levels
    # overall: max(2, ceil(1% of 700 = 7)) = 7
    # -> X=>Y and Y=>X (7 baskets) pass, Z/W (6) do not; lift 7 x 700 / (7 x 7) = 100
    assert level.min_count == 7
    assert_rules(level.top, [(("X",), ("Y",), 7, 0.01, 1.0, 100.0, None), (("Y",), ("X",), 7, 0.01, 1.0, 100.0, None)])
    s1, s2 = level.segments
    # segment 1: max(2, ceil(1% of 200 = 2)) = 2 -> XY and ZW pairs both pass
    assert (s1.baskets, s1.min_count, s1.n_rules) == (200, 2, 4)
    # segment 2: max(2, ceil(1% of 300 = 3)) = 3
    assert (s2.baskets, s2.min_count, s2.n_rules) == (300, 3, 0)
    # min_baskets wins when it is larger: max(10, 7) = 10, and the 7 XY baskets are too few
    (level,) = basket_rules(order_baskets(orders, value), segment_of, {1, 2},
                            cfg.model_copy(update={"min_baskets": 10})).levels
    assert (level.min_count, level.n_rules) == (10, 0)
    assert [s.min_count for s in level.segments] == [10, 10]


def test_distinctive_lift_is_inclusive():
    # segment 1: XY XY Y Y Y and five W (10 baskets; X 2, Y 5, XY 2); ten guest orders hold Y alone
    orders = [("XY", "r1"), ("XY", "r2"), ("Y", "r3"), ("Y", "r4"), ("Y", "r5")] + [
        ("W", f"r{i}") for i in range(6, 11)] + [("Y", None)] * 10
    segment_of = pd.Series({f"r{i}": 1 for i in range(1, 11)})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5, distinctive_lift=1.5)
    res = basket_rules(order_baskets(orders, dict.fromkeys("WXY", 1.0)), segment_of, {1}, cfg)
    (s1,) = res.levels[0].segments
    # X=>Y: 2 / 2; lift 2 x 10 / (2 x 5) = 2; overall (20 baskets, X 2, Y 15) 2 x 20 / (2 x 15) = 4 / 3;
    # 2 is exactly 1.5 x 4 / 3: at the threshold, so distinctive (as thresholds are inclusive elsewhere)
    assert_rules(s1.top, [(("X",), ("Y",), 2, 2 / 10, 1.0, 2.0, 4 / 3)])
    assert [(r.lhs, r.rhs) for r in s1.distinctive] == [(("X",), ("Y",))]


def test_minimum_count_at_a_floating_point_trap():
    # 100 baskets, 7 of them X with Y: min_support 0.07 asks for 7 baskets, although 0.07 x 100 is
    # 7.000000000000001 in floating point (rounding that up would ask for 8 and lose the rules)
    orders = [(items, f"k{i}") for i, items in enumerate(["XY"] * 7 + ["Q"] * 93)]
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.07, min_confidence=0.5)
    (level,) = basket_rules(order_baskets(orders, dict.fromkeys("QXY", 1.0)), pd.Series({"k0": 1}), {1}, cfg).levels
    assert (level.min_count, level.n_rules) == (7, 2)
    assert [(r.lhs, r.rhs, r.count) for r in level.top] == [(("X",), ("Y",), 7), (("Y",), ("X",), 7)]


def test_mining_a_sample_then_counting_exactly_gives_the_full_rules():
    """Above `sample` baskets, rules found on a sample and recounted on all baskets are the rules of
    all baskets, with the same exact counts and measures."""
    from analysis.insight.baskets import _mine
    from analysis.insight.rules import baskets_from_lists

    rng = np.random.default_rng(3)
    items = [f"P{i:02d}" for i in range(30)]
    lists = []
    for _ in range(6000):
        basket = set(rng.choice(items, size=rng.integers(1, 5), replace=False))
        if rng.random() < 0.3:
            basket |= {"P00", "P01"}  # planted pair
        if rng.random() < 0.15:
            basket |= {"P02", "P03", "P04"}  # planted triple
        lists.append(sorted(basket))
    b = baskets_from_lists(lists)
    full_cfg = Baskets(min_baskets=20, min_support=0.02, min_confidence=0.3, max_length=3, sample=10_000)
    sampled_cfg = full_cfg.model_copy(update={"sample": 1500})
    full, n_full = _mine(b, full_cfg, seed=1)
    sampled, n_sampled = _mine(b, sampled_cfg, seed=1)
    assert n_full == n_sampled == 120  # 2% of 6,000 baskets
    assert len(full) > 10
    cols = ["lhs", "rhs", "count", "support", "confidence", "lift", "leverage"]
    pd.testing.assert_frame_equal(full[cols].reset_index(drop=True), sampled[cols].reset_index(drop=True))
    # An engine's recount (all candidates' itemsets in one call, as on Spark) gives the same rules.
    from analysis.insight.rules import ItemsetCounter
    calls = []
    counter = ItemsetCounter(b)

    def recount(sets):
        calls.append(len(sets))
        return np.array([counter.count(s) for s in sets])
    engine, _ = _mine(b, sampled_cfg, seed=1, recount=recount)
    assert len(calls) == 1 and calls[0] > len(full)
    pd.testing.assert_frame_equal(full[cols].reset_index(drop=True), engine[cols].reset_index(drop=True))
    wrong, _ = _mine(b, sampled_cfg, seed=1, recount=lambda sets: recount(sets) // 2)  # counts reach the rules
    assert len(wrong) < len(full)


def test_an_offers_reach_counts_the_segments_customers_with_every_item_on_the_left_and_not_all_on_the_right():
    from analysis.insight.baskets import _buyers, _reach
    from analysis.insight.rules import ItemsetCounter, baskets_from_lists

    baskets = [("AB", 0), ("C", 0),  # customer 0: A and B, and C in another order: has the right side
               ("A", 1), ("B", 1),  # customer 1: A and B in two orders: reached
               ("A", 2),  # customer 2: A without B
               ("AB", 3),  # customer 3, of another segment: not this segment's
               ("ABC", 4),  # customer 4: everything in one basket
               ("AB", 5), ("AB", 5),  # customer 5: reached once, however many baskets
               ("CA", 6), ("B", 6)]  # customer 6: all of A, B and C
    counter = ItemsetCounter(baskets_from_lists([tuple(items) for items, _ in baskets]))
    owner = np.array([c for _, c in baskets])
    segment = _buyers(counter, owner != 3, owner, 7)
    assert _reach(segment, ("A", "B"), ("C",)) == 2  # customers 1 and 5
    assert _reach(segment, ("C",), ("A", "B")) == 0  # every buyer of C has A and B
    assert _reach(segment, ("A",), ("B",)) == 1  # customer 2
    everyone = _buyers(counter, np.ones(len(owner), dtype=bool), owner, 7)
    assert _reach(everyone, ("A", "B"), ("C",)) == 3  # with customer 3


def test_promotions_below_the_minimum_reach_are_left_out():
    # Same baskets as test_bundle_promotions: A=>B reaches 2 customers of segment 1, C=>D 1 of segment 2.
    b = order_baskets(ORDERS, VALUE)
    at_two = basket_rules(b, SEGMENT_OF, {1, 2}, CONFIG.model_copy(update={"min_reach": 2}))
    s1, s2 = at_two.levels[0].segments
    assert [p.reach for p in s1.promotions] == [2] and s2.promotions == ()
    at_three = basket_rules(b, SEGMENT_OF, {1, 2}, CONFIG.model_copy(update={"min_reach": 3}))
    assert all(s.promotions == () for s in at_three.levels[0].segments)
    # the distinctive rules themselves stay: only the offers need enough customers
    assert all(s.distinctive for s in at_three.levels[0].segments)


def test_rules_pair_items_bought_together_more_often_than_chance():
    """X => Y of confidence 0.5 but lift 0.83 in a segment, 0.50 over all baskets: X and Y are bought
    together less often than if they were independent, so there is no rule to show, set apart or offer."""
    seg = [("XY", f"s{i}") for i in range(30)] + [("X", f"s{i}") for i in range(30)] + \
          [("Y", f"s{i}") for i in range(30)] + [("W", f"s{i}") for i in range(10)]  # 100 baskets: X 60, Y 60, XY 30
    rest = [("X", f"t{i}") for i in range(50)] + [("Y", f"t{i}") for i in range(50)]  # never together
    segment_of = pd.Series({**{f"s{i}": 1 for i in range(30)}, **{f"t{i}": 2 for i in range(50)}})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.4,
                  distinctive_lift=1.5)
    res = basket_rules(order_baskets(seg + rest, dict.fromkeys("WXY", 1.0)), segment_of, {1, 2}, cfg)
    s1 = res.levels[0].segments[0]
    assert (s1.n_rules, s1.top, s1.distinctive, s1.promotions) == (0, (), (), ())
    assert res.levels[0].n_rules == 0 and "lift above 1" in res.method


def test_a_rule_made_only_by_the_segment_mix_has_a_lift_of_one_within_segments(demo_run):
    """Segment 1 buys A and B (independently: AB = A x B / n inside it) and D with E; segment 2
    buys neither. Over all baskets A => B has a lift of 2; within segments 1: no bundle. D => E keeps
    its pull within segments. The baskets page says which is which."""
    import dataclasses

    from analysis.publish import pages

    seg1 = [("ABDE", "a"), ("ABDE", "a"), ("ADE", "a"), ("A", "a"), ("A", "a"), ("B", "a"), ("B", "a"),
            ("C", "a"), ("C", "a"), ("C", "a")]
    seg2 = [("C", "b")] * 10
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.1, min_confidence=0.4, top=50)
    res = basket_rules(order_baskets(seg1 + seg2, dict.fromkeys("ABCDE", 1.0)), pd.Series({"a": 1, "b": 2}),
                       {1, 2}, cfg)
    rules = {(r.lhs, r.rhs): r for r in res.levels[0].top}
    ab, de = rules[(("A",), ("B",))], rules[(("D",), ("E",))]
    # Over all 20 baskets: A 5, B 4, AB 2: lift 2 x 20 / 20 = 2; within: 2 / (5 x 4 / 10 + 0) = 1.
    assert ab.lift == pytest.approx(2.0) and ab.within_lift == pytest.approx(1.0)
    # D 3, E 3, DE 3: lift 3 x 20 / 9; within 3 / (3 x 3 / 10) = 10 / 3.
    assert de.lift == pytest.approx(60 / 9) and de.within_lift == pytest.approx(10 / 3)
    r = dataclasses.replace(demo_run.results, baskets=res)
    (level,) = pages.baskets(r, lambda *a: "")["levels"]
    assert "A → B" in level["mix"] and "D → E" not in level["mix"]
    assert next(x for x in level["top"] if x["rule"] == "D → E")["within"] == "3.3"


@pytest.mark.parametrize("w, distinctive", [(4, True), (3, False)])
def test_a_distinctive_rule_needs_the_lift_itself_in_the_segment(w, distinctive):
    # segment 1: XY XY, six Y and w W (X 2, Y 8); two guest orders hold X alone
    # X=>Y: lift 2 x n / (2 x 8) = n / 8: 12 / 8 = 1.5 with four W (at the threshold), 11 / 8 with three;
    # overall (n + 2 baskets, X 4) (n + 2) / 16 < 1: the ratio passes either way
    orders = [("XY", "r1"), ("XY", "r2")] + [("Y", f"r{i}") for i in range(3, 9)] + [
        ("W", f"r{i}") for i in range(9, 9 + w)] + [("X", None)] * 2
    segment_of = pd.Series({f"r{i}": 1 for i in range(1, 9 + w)})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5, distinctive_lift=1.5)
    (s1,) = basket_rules(order_baskets(orders, dict.fromkeys("WXY", 1.0)), segment_of, {1}, cfg).levels[0].segments
    n = 8 + w
    assert_rules(s1.top, [(("X",), ("Y",), 2, 2 / n, 1.0, n / 8, (n + 2) / 16)])
    assert bool(s1.distinctive) == distinctive


@pytest.mark.parametrize("guests_nw, q, distinctive", [(2, 58, True), (3, 57, False)])
def test_a_bundle_rare_in_a_segment_is_not_its_own(guests_nw, q, distinctive):
    # Nappies (N) and wipes (W): the segment's 100 baskets hold them together twice and apart never (98 Q):
    # lift 2 x 100 / (2 x 2) = 50, support 2 / 100 = 2%. Guest baskets: `guests_nw` NW, 20 N, 20 W and q Q,
    # 200 baskets in all. Overall lift (2 + m) x 200 / (22 + m)^2 is 1.4 or 1.6: a ratio over 30 either
    # way, but with m = 3 the pair is in 5 / 200 = 2.5% of all baskets, more than in the segment's:
    # a high lift from items the segment hardly buys, not a bundle of its own. 4 / 200 = 2% is as often.
    orders = ([("NW", "s1")] * 2 + [("Q", f"s{i}") for i in range(2, 100)]
              + [("NW", None)] * guests_nw + [("N", None)] * 20 + [("W", None)] * 20 + [("Q", None)] * q)
    segment_of = pd.Series({f"s{i}": 1 for i in range(1, 100)})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5,
                  distinctive_lift=1.5)
    (s1,) = basket_rules(order_baskets(orders, dict.fromkeys("NQW", 1.0)), segment_of, {1}, cfg).levels[0].segments
    m = guests_nw
    assert_rules(s1.top, [(("N",), ("W",), 2, 0.02, 1.0, 50.0, (2 + m) * 200 / (22 + m) ** 2),
                          (("W",), ("N",), 2, 0.02, 1.0, 50.0, (2 + m) * 200 / (22 + m) ** 2)])
    assert s1.top[0].overall_support == pytest.approx((2 + m) / 200)
    assert bool(s1.distinctive) == distinctive


@pytest.mark.parametrize("xzy, xz, xy, x, z, shown", [(40, 0, 20, 20, 60, True), (30, 10, 30, 10, 60, False),
                                                      (4, 0, 2, 2, 6, False)])
def test_a_longer_rule_is_shown_only_when_it_beats_its_shorter_ones_beyond_chance(xzy, xz, xy, x, z, shown):
    # One customer's baskets: XZY, XZ, XY, X and Z alone as given, and 2 Q. X => Y: 60 of 80 X baskets (6 of 8
    # in the small case) hold Y, 0.75. {X, Z} => Y: 40 of 40 is higher beyond chance (Fisher, one-sided,
    # 40 of 40 against 20 of 40: p < 1e-7): shown. 30 of 40 ties X => Y: Z adds nothing. 4 of 4 against 2 of
    # 4 is higher, but by chance as likely as not (p = 15 / 70 = 0.21). Z => Y stays under the minimum confidence.
    orders = ([("XYZ", "c")] * xzy + [("XZ", "c")] * xz + [("XY", "c")] * xy + [("X", "c")] * x
              + [("Z", "c")] * z + [("Q", "c")] * 2)
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5,
                  distinctive_lift=1.5, top=50)
    (level,) = basket_rules(order_baskets(orders, dict.fromkeys("QXYZ", 1.0)), pd.Series({"c": 1}), {1}, cfg).levels
    rules = {(r.lhs, r.rhs): r for r in level.top}
    assert rules[(("X",), ("Y",))].confidence == pytest.approx(0.75)
    assert rules.get((("X", "Z"), ("Y",)), rules[(("X",), ("Y",))]).confidence >= 0.75
    assert ((("X", "Z"), ("Y",)) in rules) == shown
    (s1,) = level.segments
    assert ((("X", "Z"), ("Y",)) in {(r.lhs, r.rhs) for r in s1.top}) == shown
    assert s1.n_rules == level.n_rules  # every rule is counted, shown or not


@pytest.mark.parametrize("others, distinctive", [(5, True), (4, False)])
def test_a_bundle_of_the_segments_own_is_distinctive_though_its_lift_is_higher_overall(others, distinctive):
    # The segment's 10 baskets: 6 XY, 4 Q: lift 6 x 10 / (6 x 6) = 1.67 (an association there). Other
    # customers' `others` baskets hold Q alone, so over all 10 + m baskets the lift is 6 x (10 + m) / 36,
    # 2.5 or 2.33: higher than in the segment, whose items are common. The segment buys the pair in 60% of
    # its baskets against 6 / (10 + m) overall: 1.5 times as often with m = 5 (at the threshold), 1.4 with 4.
    orders = [("XY", f"s{i}") for i in range(6)] + [("Q", f"s{i}") for i in range(6, 10)] + [
        ("Q", f"t{i}") for i in range(others)]
    segment_of = pd.Series({**{f"s{i}": 1 for i in range(10)}, **{f"t{i}": 2 for i in range(others)}})
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=2, distinctive_p=None, min_support=0.01, min_confidence=0.5,
                  distinctive_lift=1.5)
    (s1,) = basket_rules(order_baskets(orders, dict.fromkeys("QXY", 1.0)), segment_of, {1}, cfg).levels[0].segments
    r = s1.top[0]
    assert r.lift == pytest.approx(10 / 6) and r.overall_lift == pytest.approx((10 + others) / 6)
    assert r.lift_ratio < 1 and r.support_ratio == pytest.approx((10 + others) / 10)
    assert bool(s1.distinctive) == distinctive


def _wide_segment(seed: int, bundle: float = 0.15):
    """Segment 1 (600 baskets of 200 customers) buys each of 30 items independently with chance 0.25,
    and X, Y, Z together in 15% of its baskets; segment 2 (1,500 baskets) each item with chance 0.05.
    Every itemset of segment 1 is bought together far more often than in all baskets; only X, Y, Z
    go together inside it."""
    import string
    rng = np.random.default_rng(seed)
    letters = string.ascii_letters[:30]
    orders = []
    for i in range(600):
        items = [c for c in letters if rng.random() < 0.25] + (["X", "Y", "Z"] if rng.random() < bundle else [])
        orders.append((tuple(items), f"s{i % 200}"))
    for i in range(1500):
        orders.append((tuple(c for c in letters + "XYZ" if rng.random() < (0.05 if c in letters else 0.01)), f"t{i % 500}"))
    segment_of = pd.Series({**{f"s{i}": 1 for i in range(200)}, **{f"t{i}": 2 for i in range(500)}})
    return order_baskets(orders, dict.fromkeys(letters + "XYZ", 1.0)), segment_of


@pytest.mark.parametrize("seed", [0, 1])
def test_a_wide_basket_segments_chance_associations_are_not_distinctive(seed):
    b, segment_of = _wide_segment(seed)
    cfg = Baskets(min_reach=1, levels=["product"], min_baskets=20, min_support=0.01, min_confidence=0.3, max_length=3,
                  distinctive_lift=1.5)
    s1 = basket_rules(b, segment_of, {1}, cfg).levels[0].segments[0]
    bundle = {(lhs, rhs) for lhs in "XYZ" for rhs in "XYZ" if lhs != rhs}
    assert {(r.lhs[0], r.rhs[0]) for r in s1.distinctive if len(r.lhs) == 1} == bundle
    assert all(set(r.lhs + r.rhs) <= set("XYZ") for r in s1.distinctive)
    # Without the test, rules of about 20 baskets among the hundreds of the segment pass by luck.
    lucky = basket_rules(b, segment_of, {1}, cfg.model_copy(update={"distinctive_p": None})).levels[0].segments[0]
    assert any(not set(r.lhs + r.rhs) <= set("XYZ") for r in lucky.distinctive)
    # Without the bundle nothing of the segment's is beyond chance: no offer, where its strongest (lucky)
    # rules would otherwise make some.
    b, segment_of = _wide_segment(seed, bundle=0.0)
    plain = basket_rules(b, segment_of, {1}, cfg).levels[0].segments[0]
    assert plain.distinctive == () and plain.top and plain.promotions == ()
    assert basket_rules(b, segment_of, {1}, cfg.model_copy(update={"distinctive_p": None})).levels[0].segments[0].promotions


def test_the_chance_test_divides_its_level_by_every_rule_of_the_size_the_items_could_make():
    from math import comb

    from scipy.stats import hypergeom

    from analysis.insight.baskets import beyond_chance
    # 100 baskets: A 30, B 20, AB 12 (A=>B); A 30, B 20, C 25, ABC 9 ({A, B}=>C with AB 12).
    frame = pd.DataFrame({"lhs": [("A",), ("A", "B")], "rhs": [("B",), ("C",)], "count": [12, 9],
                          "support": [0.12, 0.09], "coverage": [0.30, 0.12], "confidence": [0.4, 0.75],
                          "lift": [0.4 / 0.2, 0.75 / 0.25]})
    p = np.array([hypergeom.sf(11, 100, 30, 20), hypergeom.sf(8, 100, 12, 25)])
    # 5 frequent items, rules of 2 or 3 items: 2 layers; C(5, 2) x 2 = 20 rules of two items, C(5, 3) x 3 = 30 of three.
    level = p * 2 * np.array([comb(5, 2) * 2, comb(5, 3) * 3])
    assert beyond_chance(frame, 5, 3, None).tolist() == [True, True]
    for i in range(2):
        assert beyond_chance(frame, 5, 3, float(level[i] * 1.01))[i]
        assert not beyond_chance(frame, 5, 3, float(level[i] * 0.99))[i]


@pytest.mark.parametrize("level, lhs, rhs", [("category", "cama mesa banho", "bebes"),
                                             ("product", "cama_mesa_banho", "SKU_7")])
def test_category_items_read_as_words_as_their_spend_labels_do(demo_run, level, lhs, rhs):
    """'cama_mesa_banho' is 'Share of spend: cama mesa banho' on the segment page: its rules, offers
    and chart say it alike. A product keeps the name the catalogue gives it, code or not."""
    import dataclasses

    from analysis.insight.baskets import BasketResults, LevelRules, Promotion, Rule, SegmentRules
    from analysis.publish import figures, pages

    raw_rhs = "bebes" if level == "category" else "SKU_7"
    rule = Rule(("cama_mesa_banho",), (raw_rhs,), 60, 0.3, 0.6, 1.02, 0.1, 1.5, overall_lift=1.01, overall_support=0.2)
    seg = SegmentRules(1, 200, 2, 1, (rule,), (rule,), (Promotion("cross-sell", rule, 60, 10.0, 100.0),))
    lv = LevelRules(level, 2, 200, 2, 1, (rule,), (seg,))
    r = dataclasses.replace(demo_run.results, baskets=BasketResults(200, 200, 0.5, 3, 1.5, (lv,), "m", "a"))
    assert pages.baskets(r, lambda *a: "")["levels"][0]["top"][0]["rule"] == f"{lhs} → {rhs}"
    (shown,) = pages.segment_baskets(r, 1)
    assert shown["promotions"][0]["offer"] == f"Offer {rhs} to buyers of {lhs}"
    bar = figures.strongest_rules(lv).data[0]
    assert bar.y[0].replace("<br>", " ") == f"{lhs} → {rhs}" and bar.customdata[0][2] == f"{lhs} → {rhs}"
    assert bar.customdata[0][3] == "1.02"  # the lift on hover tells 1.02 from 1


def test_each_orders_customer_is_a_code_into_the_customers_named_once():
    owner, owners = by_owner(["b", None, "a", "b"])
    assert owner.dtype == np.int32 and owner.tolist() == [0, -1, 1, 0] and owners.tolist() == ["b", "a"]
    # Arrow's chunks (a large query's batches) are encoded one by one against one dictionary.
    owner, owners = by_owner(pa.chunked_array([pa.array(["b", None]), pa.array(["a", "b"]), pa.array([], pa.string())]))
    assert owner.tolist() == [0, -1, 1, 0] and owners.tolist() == ["b", "a"]
    ob = order_baskets([("A", "b"), ("A", None), ("B", "a"), ("AB", "b")], {"A": 1.0, "B": 1.0})
    assert ob.n_orders == 4 and ob.order_customer.tolist() == ["b", None, "a", "b"]

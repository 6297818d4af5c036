"""Association rules: hand-worked rules on ten baskets, arules' inclusive thresholds and empty
left-hand sides, agreement with a brute-force count of every rule, and the `segments rules` CLI."""
from __future__ import annotations

import csv
import gzip
import io
import itertools
import random
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import UserError
from analysis.insight.rules import (Baskets, ItemsetCounter, baskets_from_lists, baskets_from_pairs,
                                    frequent_itemsets, itemset_count, mine, read_lines)

# Ten baskets over five items. Counts, worked out by hand:
#   bread 7, milk 6, eggs 4, jam 2, tea 2
#   bread+milk 4, bread+eggs 3, bread+jam 2, milk+eggs 3, milk+jam 1, milk+tea 1, others 0
#   bread+milk+eggs 2, bread+milk+jam 1
TEN = [
    ["bread", "milk"],
    ["bread", "milk", "eggs"],
    ["bread", "milk", "eggs"],
    ["bread", "milk", "jam"],
    ["bread", "eggs"],
    ["bread", "jam"],
    ["milk", "eggs"],
    ["milk", "tea"],
    ["bread"],
    ["tea"],
]
B, M, E, J = "bread", "milk", "eggs", "jam"

# min_support 0.3 (3 baskets), min_confidence 0.5; frequent: bread, milk, eggs, bread+milk,
# bread+eggs, milk+eggs. Rejected: {} => {eggs} (4/10), {bread} => {eggs} (3/7).
# (lhs, rhs, count, coverage count, rhs count); lift = count * 10 / (lhs count * rhs count).
RULES_30_50 = [  # in the expected output order: lift, confidence, support (highest first)
    ((E,), (M,), 3, 4, 6),  # confidence 3/4, lift 30/24 = 5/4
    ((M,), (E,), 3, 6, 4),  # confidence 3/6 = 0.5 exactly: the threshold is inclusive; lift 5/4
    ((E,), (B,), 3, 4, 7),  # confidence 3/4, lift 30/28
    ((), (B,), 7, 10, 7),  # confidence 7/10, lift 1
    ((), (M,), 6, 10, 6),  # confidence 6/10, lift 1
    ((M,), (B,), 4, 6, 7),  # confidence 4/6, lift 40/42
    ((B,), (M,), 4, 7, 6),  # confidence 4/7, lift 40/42
]
HAND_30_50 = {  # (lhs, rhs): (support, confidence, coverage, lift, leverage, conviction) by hand
    ((E,), (M,)): (F(3, 10), F(3, 4), F(4, 10), F(5, 4), F(3, 10) - F(4, 10) * F(6, 10),
                   (1 - F(6, 10)) / (1 - F(3, 4))),
    ((M,), (E,)): (F(3, 10), F(1, 2), F(6, 10), F(5, 4), F(3, 10) - F(6, 10) * F(4, 10),
                   (1 - F(4, 10)) / (1 - F(1, 2))),
    ((E,), (B,)): (F(3, 10), F(3, 4), F(4, 10), F(15, 14), F(3, 10) - F(4, 10) * F(7, 10),
                   (1 - F(7, 10)) / (1 - F(3, 4))),
    ((), (B,)): (F(7, 10), F(7, 10), F(1), F(1), F(0), F(1)),
    ((), (M,)): (F(6, 10), F(6, 10), F(1), F(1), F(0), F(1)),
    ((M,), (B,)): (F(4, 10), F(2, 3), F(6, 10), F(20, 21), F(4, 10) - F(6, 10) * F(7, 10),
                   (1 - F(7, 10)) / (1 - F(2, 3))),
    ((B,), (M,)): (F(4, 10), F(4, 7), F(7, 10), F(20, 21), F(4, 10) - F(7, 10) * F(6, 10),
                   (1 - F(6, 10)) / (1 - F(4, 7))),
}

# min_support 0.2 (2 baskets), min_confidence 0.5: (lhs, rhs, count, confidence, lift)
RULES_20_50 = {
    ((), (B,)): (7, F(7, 10), F(1)),
    ((), (M,)): (6, F(6, 10), F(1)),
    ((B,), (M,)): (4, F(4, 7), F(40, 42)),
    ((M,), (B,)): (4, F(4, 6), F(40, 42)),
    ((E,), (B,)): (3, F(3, 4), F(30, 28)),
    ((J,), (B,)): (2, F(2, 2), F(20, 14)),
    ((M,), (E,)): (3, F(3, 6), F(30, 24)),
    ((E,), (M,)): (3, F(3, 4), F(30, 24)),
    ((B, M), (E,)): (2, F(2, 4), F(20, 16)),
    ((B, E), (M,)): (2, F(2, 3), F(20, 18)),
    ((E, M), (B,)): (2, F(2, 3), F(20, 21)),
    ((E,), (B, M)): (2, F(2, 4), F(20, 16)),  # the one rule with two items on the right
}
# Not rules at these thresholds: {} => {eggs} 4/10, {bread} => {eggs} 3/7, {bread} => {jam} 2/7,
# {bread} => {eggs,milk} 2/7, {milk} => {bread,eggs} 2/6; jam and tea alone 2/10.


def close(a, b) -> bool:
    return a == b or abs(float(a) - float(b)) <= 1e-12


def as_dict(frame) -> dict:
    return {(r.lhs, r.rhs): r for r in frame.itertuples(index=False)}


@pytest.fixture(scope="module")
def ten() -> Baskets:
    return baskets_from_lists(TEN)


# --- baskets -------------------------------------------------------------------------------


def test_baskets_from_lists_is_a_sorted_sparse_matrix(ten):
    assert ten.items == ("bread", "eggs", "jam", "milk", "tea")
    assert ten.ids == tuple(str(i) for i in range(1, 11))
    assert ten.matrix.format == "csr" and ten.matrix.dtype == bool and ten.matrix.has_canonical_format
    assert ten.matrix.shape == (10, 5)
    assert ten.matrix.nnz == sum(len(b) for b in TEN)
    assert ten.matrix[3].indices.tolist() == [0, 2, 3]  # bread, jam, milk
    assert np.asarray(ten.matrix.sum(axis=0)).ravel().tolist() == [7, 4, 2, 6, 2]


def test_baskets_from_pairs_collapses_repeats_and_keeps_first_seen_basket_order():
    b = baskets_from_pairs(["o2", "o1", "o2", "o2", "o3", "o1"], ["tea", "jam", "tea", "bread", "tea", "tea"])
    assert b.ids == ("o2", "o1", "o3")
    assert b.items == ("bread", "jam", "tea")
    assert b.matrix.has_canonical_format and b.matrix.nnz == 5
    assert b.matrix.toarray().tolist() == [[True, False, True], [False, True, True], [False, False, True]]


def test_a_pair_repeated_300_times_is_still_one_item():
    # Summed in a narrow integer type, 256 repeats would wrap to 0 and drop the item.
    b = baskets_from_pairs(["a"] * 256 + ["b"] * 300, ["x"] * 556)
    assert b.matrix.toarray().tolist() == [[True], [True]]


def test_pairs_and_lists_give_the_same_rules(ten):
    ids = [str(i) for i, basket in enumerate(TEN) for _ in basket]
    items = [item for basket in TEN for item in basket]
    pairs = baskets_from_pairs(ids[::-1], items[::-1])
    a, b = mine(ten, 0.2, 0.5), mine(pairs, 0.2, 0.5)
    assert a.equals(b)


def test_empty_baskets_count_in_the_support():
    b = baskets_from_lists([["a", "b"], ["a"], [], []])
    assert b.matrix.shape == (4, 2)
    rules = as_dict(mine(b, 0.25, 0.1))
    assert rules[((), ("a",))].support == 0.5
    assert rules[(("b",), ("a",))].lift == 2.0  # confidence 1 / support of a 1/2


@pytest.mark.parametrize("call, message", [
    (lambda: baskets_from_lists([["a"], "ab"]), "basket 2 is a single string"),
    (lambda: baskets_from_lists([["a"], ["b"]], ids=["x"]), "1 basket ids given for 2 baskets"),
    (lambda: baskets_from_lists([["a"], ["b"]], ids=["x", "x"]), "unique"),
    (lambda: baskets_from_lists([["a", " "]]), "1 empty item name"),
    (lambda: baskets_from_pairs(["1", "2"], ["a"]), "2 basket ids but 1 items"),
    (lambda: baskets_from_pairs(["1", None], ["a", "b"]), "without a basket id, first at row 1"),
    (lambda: baskets_from_pairs(["1", "2"], ["a", None]), "1 missing item"),
])
def test_bad_baskets_are_user_errors(call, message):
    with pytest.raises(UserError, match=message):
        call()


def test_itemset_count(ten):
    assert itemset_count(ten, [B, M]) == 4
    assert itemset_count(ten, [M, B, E]) == 2
    assert itemset_count(ten, [B, B]) == 7  # repeated items count once
    assert itemset_count(ten, [E, J]) == 0
    assert itemset_count(ten, ["coffee"]) == 0  # never bought
    assert itemset_count(ten, []) == 10  # every basket holds the empty set
    subset = baskets_from_lists(TEN[:4])
    assert itemset_count(subset, [B, M]) == 4 and itemset_count(subset, [E]) == 2


# --- rules worked out by hand ----------------------------------------------------------------


def test_every_rule_at_support_30_confidence_50(ten):
    got = mine(ten, 0.3, 0.5)
    assert list(got.columns) == ["lhs", "rhs", "count", "support", "confidence", "coverage", "lift",
                                 "leverage", "conviction"]
    assert [(r.lhs, r.rhs) for r in got.itertuples()] == [(lhs, rhs) for lhs, rhs, *_ in RULES_30_50]
    for r, (lhs, rhs, count, lhs_count, rhs_count) in zip(got.itertuples(), RULES_30_50):
        support, confidence, coverage, lift, leverage, conviction = HAND_30_50[(lhs, rhs)]
        assert r.count == count
        assert close(r.support, support) and close(r.confidence, confidence)
        assert close(r.coverage, coverage) and close(r.lift, lift)
        assert close(r.leverage, leverage) and close(r.conviction, conviction)
        # the hand figures agree with the counts in the table above
        assert support == F(count, 10) and coverage == F(lhs_count, 10)
        assert lift == F(count * 10, lhs_count * rhs_count)


def test_every_rule_at_support_20_confidence_50(ten):
    got = as_dict(mine(ten, 0.2, 0.5))
    assert set(got) == set(RULES_20_50)
    for key, (count, confidence, lift) in RULES_20_50.items():
        assert got[key].count == count
        assert close(got[key].support, F(count, 10))
        assert close(got[key].confidence, confidence) and close(got[key].lift, lift)


def test_max_consequent_1_keeps_single_item_right_hand_sides(ten):
    got = as_dict(mine(ten, 0.2, 0.5, max_consequent=1))
    assert set(got) == {k for k in RULES_20_50 if len(k[1]) == 1}
    assert len(got) == len(RULES_20_50) - 1


def test_empty_lhs_rules_only_with_min_length_1(ten):
    with_empty = as_dict(mine(ten, 0.2, 0.5, min_length=1))
    assert {k for k in with_empty if k[0] == ()} == {((), (B,)), ((), (M,))}
    # {} => {x} has confidence = support of x: eggs (4/10) does not reach 0.5
    assert with_empty[((), (B,))].confidence == 0.7 and with_empty[((), (B,))].coverage == 1.0
    without = as_dict(mine(ten, 0.2, 0.5, min_length=2))
    assert set(without) == {k for k in RULES_20_50 if k[0] != ()}
    # no {} => {a,b} either, even with no limit on the right-hand side
    assert not [k for k in as_dict(mine(ten, 0.1, 0.1, min_length=2)) if k[0] == ()]


def test_max_length_and_min_length_count_both_sides(ten):
    def length(k):
        return len(k[0]) + len(k[1])
    assert set(as_dict(mine(ten, 0.2, 0.5, max_length=2))) == {k for k in RULES_20_50 if length(k) <= 2}
    assert set(as_dict(mine(ten, 0.2, 0.5, min_length=3))) == {k for k in RULES_20_50 if length(k) == 3}
    assert set(as_dict(mine(ten, 0.2, 0.5, max_length=1))) == {((), (B,)), ((), (M,))}


def test_rule_with_confidence_one_has_infinite_conviction(ten):
    r = as_dict(mine(ten, 0.2, 0.5))[((J,), (B,))]
    assert r.confidence == 1.0 and r.conviction == float("inf")


def test_no_rules_is_an_empty_table_with_the_columns(ten):
    got = mine(ten, 0.9, 0.9)
    assert len(got) == 0 and "lift" in got.columns


# --- inclusive thresholds, safe from floating point -------------------------------------------


def x_and_y(n_x: int, n_xy: int, n: int = 10) -> Baskets:
    """n baskets: the first n_x hold x, the first n_xy of those also hold y."""
    return baskets_from_lists([["x", "y"]] * n_xy + [["x"]] * (n_x - n_xy) + [["z"]] * (n - n_x))


def test_these_edge_cases_are_floating_point_traps():
    # Why thresholds are decided on counts: a product or a ratio of supports misses the threshold.
    assert 0.07 * 100 > 7 and 0.14 * 50 > 7 and 0.55 * 100 > 55
    # confidence as support(x, y) / support(x), with the 55 baskets of the confidence test below
    assert (7 / 55) / (50 / 55) < 0.14 and (28 / 55) / (50 / 55) < 0.56 and (14 / 55) / (50 / 55) < 0.28


@pytest.mark.parametrize("n, n_xy, threshold", [
    (10, 7, 0.7), (10, 8, 0.8), (10, 3, 0.3), (100, 7, 0.07), (50, 7, 0.14), (100, 55, 0.55)])
def test_support_threshold_is_inclusive(n, n_xy, threshold):
    baskets = x_and_y(n, n_xy, n=n)
    got = as_dict(mine(baskets, threshold, 0.01, min_length=2))
    assert (("x",), ("y",)) in got and got[(("x",), ("y",))].count == n_xy
    above = as_dict(mine(baskets, threshold + 1e-6, 0.01, min_length=2))
    assert (("x",), ("y",)) not in above


@pytest.mark.parametrize("n_x, n_xy, threshold", [
    (10, 8, 0.8), (10, 7, 0.7), (10, 3, 0.3), (20, 14, 0.7), (50, 7, 0.14), (50, 28, 0.56), (50, 14, 0.28)])
def test_confidence_threshold_is_inclusive(n_x, n_xy, threshold):
    baskets = x_and_y(n_x, n_xy, n=n_x + 5)
    got = as_dict(mine(baskets, 0.01, threshold, min_length=2))
    assert got[(("x",), ("y",))].confidence == n_xy / n_x
    assert (("x",), ("y",)) not in as_dict(mine(baskets, 0.01, threshold + 1e-6, min_length=2))


def test_support_threshold_applies_to_the_whole_rule(ten):
    # bread+milk+eggs is in 2 baskets: at 0.3 none of its rules survive, whatever their confidence
    assert not [k for k in as_dict(mine(ten, 0.3, 0.1)) if len(k[0]) + len(k[1]) == 3]


# --- agreement with brute force ---------------------------------------------------------------


def brute_force(lists, min_support: str, min_confidence: str, max_consequent, min_length, max_length):
    """Every rule by definition: all itemsets, all splits, exact rational thresholds."""
    n = len(lists)
    sets = [set(b) for b in lists]
    items = sorted(set().union(*sets))
    count = {}
    for k in range(1, max_length + 1):
        for combo in itertools.combinations(items, k):
            count[combo] = sum(1 for s in sets if s.issuperset(combo))
    s_min, c_min = F(min_support), F(min_confidence)
    rules = {}
    for itemset, c in count.items():
        if c == 0 or F(c, n) < s_min or not min_length <= len(itemset) <= max_length:
            continue
        for r in range(1, len(itemset) + 1):
            if max_consequent is not None and r > max_consequent:
                continue
            for rhs in itertools.combinations(itemset, r):
                lhs = tuple(i for i in itemset if i not in rhs)
                if not lhs and len(itemset) > 1:
                    continue
                lhs_c = count[lhs] if lhs else n
                if F(c, lhs_c) >= c_min:
                    rules[(lhs, rhs)] = (c, F(c, lhs_c), F(c * n, lhs_c * count[rhs]))
    return rules


@pytest.mark.parametrize("seed, support, confidence, max_consequent, min_length, max_length", [
    (1, "0.05", "0.3", None, 1, 10),
    (2, "0.1", "0.5", 1, 1, 10),
    (3, "0.04", "0.2", 2, 2, 3),
    (4, "0.15", "0.6", None, 2, 10),
])
def test_agrees_with_brute_force(seed, support, confidence, max_consequent, min_length, max_length):
    rng = random.Random(seed)
    items = [f"i{j}" for j in range(8)]
    weights = [0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.1, 0.05]
    lists = [[it for it, w in zip(items, weights) if rng.random() < w] for _ in range(60)]
    for basket in lists[:12]:  # a planted group bought together
        basket.extend(it for it in ("i5", "i6", "i7") if it not in basket)
    expected = brute_force(lists, support, confidence, max_consequent, min_length, max_length)
    got = as_dict(mine(baskets_from_lists(lists), float(support), float(confidence),
                       max_consequent=max_consequent, min_length=min_length, max_length=max_length))
    assert len(expected) > 5
    assert set(got) == set(expected)
    for key, (count, conf, lift) in expected.items():
        assert got[key].count == count and close(got[key].confidence, conf) and close(got[key].lift, lift)


def test_output_order_is_deterministic_and_total(ten):
    got = mine(ten, 0.1, 0.1)
    keys = [(-r.lift, -r.confidence, -r.support, r.lhs, r.rhs) for r in got.itertuples()]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    shuffled = list(TEN)
    random.Random(0).shuffle(shuffled)
    assert mine(baskets_from_lists(shuffled), 0.1, 0.1).equals(got)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_support": 0}, "min_support must be a number in \\(0, 1\\], got 0"),
    ({"min_support": 1.5}, "min_support"),
    ({"min_support": float("nan")}, "min_support"),
    ({"min_confidence": 0.0}, "min_confidence"),
    ({"min_confidence": 2}, "min_confidence"),
    ({"min_length": 0}, "min_length must be a whole number >= 1, got 0"),
    ({"max_length": 2.5}, "max_length"),
    ({"min_length": 3, "max_length": 2}, "max_length=2 must be >= min_length=3"),
    ({"max_consequent": 0}, "max_consequent"),
])
def test_bad_parameters_are_user_errors(ten, kwargs, message):
    params = {"min_support": 0.2, "min_confidence": 0.5, **kwargs}
    with pytest.raises(UserError, match=message):
        mine(ten, **params)


def test_no_baskets_is_a_user_error():
    with pytest.raises(UserError, match="no baskets"):
        mine(baskets_from_lists([]), 0.5, 0.5)


# --- reading files and the CLI ----------------------------------------------------------------


LINES = "\n".join(" , ".join(b) for b in TEN[:4]) + "\n\n" + "\n".join(",".join(b) for b in TEN[4:]) + "\n"


def test_read_lines_trims_items_skips_empty_lines_and_numbers_baskets_by_line(tmp_path):
    path = tmp_path / "b.txt.gz"
    path.write_bytes(gzip.compress(LINES.encode()))
    b = read_lines(path)
    assert b.ids == ("1", "2", "3", "4", "6", "7", "8", "9", "10", "11")
    assert b.items == ("bread", "eggs", "jam", "milk", "tea")
    assert b.matrix.nnz == sum(len(x) for x in TEN)


def test_read_lines_keeps_a_quoted_item_whole(tmp_path):
    """A CSV writer quotes an item holding the delimiter: "Coca-Cola 1,5L" is one item, not two; a
    quote inside an item (a 12" pizza) stays as written."""
    path = tmp_path / "b.csv"
    path.write_text('bread,"Coca-Cola 1,5L"\n"Coca-Cola 1,5L", milk\n12" pizza,milk\n', encoding="utf-8")
    b = read_lines(path)
    assert b.items == ('12" pizza', "Coca-Cola 1,5L", "bread", "milk")
    assert b.matrix.toarray().tolist() == [[0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]]


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def parse(out: str) -> dict:
    rows = list(csv.DictReader(io.StringIO(out)))
    return {(r["lhs"], r["rhs"]): r for r in rows}


def braces(items) -> str:
    return "{" + ",".join(items) + "}"


def test_cli_lines_format(tmp_path, capsys):
    path = tmp_path / "baskets.txt"
    path.write_text(LINES)
    code, out, err = run(capsys, "rules", str(path), "--min-support", "0.3", "--min-confidence", "0.5")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "lhs,rhs,support,confidence,coverage,lift,count,leverage,conviction"
    # eggs => milk: support 3/10, confidence 3/4, coverage 4/10, lift 5/4, leverage 0.3 - 0.4 * 0.6,
    # conviction (1 - 0.6) / (1 - 0.75)
    assert lines[1] == "{eggs},{milk},0.3,0.75,0.4,1.25,3,0.06,1.6"
    rows = parse(out)
    assert list(rows) == [(braces(lhs), braces(rhs)) for lhs, rhs, *_ in RULES_30_50]
    for lhs, rhs, count, _, _ in RULES_30_50:
        row = rows[(braces(lhs), braces(rhs))]
        support, confidence, coverage, lift, leverage, conviction = HAND_30_50[(lhs, rhs)]
        assert int(row["count"]) == count
        for name, value in [("support", support), ("confidence", confidence), ("coverage", coverage),
                            ("lift", lift), ("leverage", leverage), ("conviction", conviction)]:
            assert close(float(row[name]), value), (lhs, rhs, name)
    assert "7 rules from 10 baskets over 5 items" in err


def test_cli_options_reach_the_miner(tmp_path, capsys):
    path = tmp_path / "baskets.txt"
    path.write_text(LINES.replace(",", ";"))
    code, out, _ = run(capsys, "rules", str(path), "--min-support", "0.2", "--min-confidence", "0.5",
                       "--max-consequent", "1", "--min-length", "2", "--max-length", "3", "--delimiter", ";")
    assert code == 0
    expected = {k for k in RULES_20_50 if len(k[1]) == 1 and k[0]}
    assert set(parse(out)) == {(braces(lhs), braces(rhs)) for lhs, rhs in expected}
    assert '"{bread,eggs}",{milk}' in out  # itemsets with a comma are quoted CSV fields


def test_cli_table_format_matches_lines_format(tmp_path, capsys):
    table = tmp_path / "orders.tsv"
    rows = ["order\tproduct\tqty"] + [f"A{i}\t{item}\t1" for i, b in enumerate(TEN) for item in b]
    rows += ["A1\tbread\t2", "A3\t\t1"]  # a repeated line, and one without a product
    table.write_text("\n".join(rows) + "\n")
    lines = tmp_path / "baskets.txt"
    lines.write_text(LINES)
    args = ["--min-support", "0.2", "--min-confidence", "0.5"]
    code, out_table, err = run(capsys, "rules", str(table), "--format", "table", "--order-column", "order",
                               "--item-column", "product", *args)
    assert code == 0
    assert "skipped 1 row(s) with an empty 'order' or 'product'" in err
    code, out_lines, _ = run(capsys, "rules", str(lines), *args)
    assert out_table == out_lines
    assert set(parse(out_table)) == {(braces(lhs), braces(rhs)) for lhs, rhs in RULES_20_50}


@pytest.mark.parametrize("make, args, message", [
    (None, [], "file not found"),
    ("", [], "file is empty"),
    (" , \n\n,,\n", [], "no baskets"),
    ("a,b\n", ["--min-support", "1.5"], "min_support must be a number in (0, 1], got 1.5"),
    ("a,b\n", ["--min-length", "0"], "min_length"),
    ("a,b\n", ["--format", "table"], "--format table needs --order-column and --item-column"),
    ("a,b\n1,2\n", ["--format", "table", "--order-column", "a", "--item-column", "c"], "no column 'c'"),
    ("a,b\n", ["--item-column", "b"], "apply to --format table only"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, make, args, message):
    path = tmp_path / "in.txt"
    if make is not None:
        path.write_text(make)
    base = {"--min-support": "0.5", "--min-confidence": "0.5"}
    for i in range(0, len(args), 2):
        base.pop(args[i], None)
    argv = ["rules", str(path), *args, *[x for kv in base.items() for x in kv]]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_cli_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["rules", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for option in ("--min-support", "--min-confidence", "--max-consequent", "--min-length", "--max-length",
                   "--format", "--order-column", "--item-column", "--delimiter", "arules", "{} => {x}"):
        assert option in out


def test_cli_reads_a_parquet_table(tmp_path, capsys):
    import pandas as pd

    ids = [f"A{i}" for i, b in enumerate(TEN) for _ in b]
    pd.DataFrame({"order": ids, "sku": [item for b in TEN for item in b]}).to_parquet(tmp_path / "o.parquet")
    code, out, _ = run(capsys, "rules", str(tmp_path / "o.parquet"), "--format", "table", "--order-column",
                       "order", "--item-column", "sku", "--min-support", "0.3", "--min-confidence", "0.5")
    assert code == 0
    assert list(parse(out)) == [(braces(lhs), braces(rhs)) for lhs, rhs, *_ in RULES_30_50]


def test_baskets_must_be_consistent(ten):
    with pytest.raises(ValueError, match="shape"):
        Baskets(matrix=ten.matrix, items=ten.items[:-1], ids=ten.ids)
    with pytest.raises(TypeError, match="CSR"):
        Baskets(matrix=ten.matrix.toarray(), items=ten.items, ids=ten.ids)


def _mlxtend_itemsets(b, min_count: int, max_length: int) -> dict:
    """The reference: mlxtend's FP-growth on a dense frame, counts back from its supports."""
    from mlxtend.frequent_patterns import fpgrowth

    frame = pd.DataFrame(b.matrix.toarray(), columns=range(len(b.items)))
    found = fpgrowth(frame, min_support=(min_count - 0.5) / b.n_baskets, max_len=max_length)
    counts = np.rint(found["support"].to_numpy() * b.n_baskets).astype(int)
    return {frozenset(int(i) for i in s): int(c) for s, c in zip(found["itemsets"], counts) if c >= min_count}


def _zipf_baskets(seed: int, n: int, n_items: int):
    """Long-tailed item popularity, long-tailed basket sizes and planted groups of 2 to 5 items."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, n_items + 1) ** 1.1
    p /= p.sum()
    groups = [rng.choice(np.arange(5, 40), size=rng.integers(2, 6), replace=False) for _ in range(6)]
    lists = []
    for _ in range(n):
        basket = set(rng.choice(n_items, size=min(rng.geometric(0.2), n_items), p=p).tolist())
        if rng.random() < 0.3:
            basket |= set(groups[rng.integers(len(groups))].tolist())
        lists.append([f"p{j:03d}" for j in basket])
    return baskets_from_lists(lists)


@pytest.mark.parametrize("seed, n, n_items, min_count, max_length", [
    (0, 3000, 60, 30, 3),
    (1, 3000, 60, 15, 6),
    (2, 2000, 25, 200, 4),  # few, popular items: dense projections, long itemsets
    (3, 1500, 200, 8, 2),   # pairs only
])
def test_frequent_itemsets_are_those_of_mlxtend_fpgrowth(seed, n, n_items, min_count, max_length):
    b = _zipf_baskets(seed, n, n_items)
    got = frequent_itemsets(b, min_count, max_length)
    expected = _mlxtend_itemsets(b, min_count, max_length)
    assert max(len(s) for s in expected) >= min(max_length, 3)  # the case reaches long itemsets
    assert got == expected


def test_frequent_itemsets_of_the_retail_demo_baskets_match_mlxtend():
    from analysis.config import load_config
    from analysis.ingest.orders import load_orders
    from analysis.insight.baskets import _matrix

    ob = load_orders(load_config(Path(__file__).resolve().parent.parent / "data" / "online_retail.yml")).baskets
    n = len(ob.order_customer)
    cat = ob.product_category[ob.product_idx]
    keep = cat >= 0
    categories = _matrix(ob.order_idx[keep], cat[keep], n, ob.categories)
    products = _matrix(ob.order_idx, ob.product_idx, n, ob.products)
    # Every order at category level; at product level the first 6,000 orders and the products in
    # at least 20 of them (mlxtend's dense frame of every order and 4,000 products would take most
    # of a minute); products in 20 to 39 orders are still there for the miner to leave out.
    head = products.matrix[:6000]
    held = np.flatnonzero(np.asarray(head.sum(axis=0)).ravel() >= 20)
    first = Baskets(head[:, held].tocsr(), tuple(products.items[j] for j in held), range(6000))
    for b, min_count in ((categories, 200), (first, 40)):
        got = frequent_itemsets(b, min_count, 3)
        assert len(got) > 20 and max(map(len, got)) == 3 and got == _mlxtend_itemsets(b, min_count, 3)


def test_itemset_counts_agree_with_and_without_bitsets(monkeypatch):
    import analysis.insight.rules as rules_module

    b = _zipf_baskets(4, 2000, 40)
    keys = [("p000", "p001"), ("p000", "p001", "p002"), ("p005",), ("p001", "nowhere"), ()]
    keys += [tuple(sorted(s)) for s in itertools.combinations([f"p{j:03d}" for j in range(5, 12)], 3)]
    with_bits = [ItemsetCounter(b).count(k) for k in keys]
    monkeypatch.setattr(rules_module, "BITS_BUDGET", 0)
    counter = ItemsetCounter(b)
    without = [counter.count(k) for k in keys]
    assert not counter.bits
    dense = b.matrix.toarray()
    col = {name: j for j, name in enumerate(b.items)}
    brute = [int(np.all(dense[:, [col[i] for i in k]], axis=1).sum()) if all(i in col for i in k) else 0
             for k in keys]
    assert with_bits == without == brute and with_bits[4] == b.n_baskets


def test_cli_output_cut_short_by_a_pipe_ends_quietly(tmp_path):
    """`segments rules ... | head -1`: no traceback when the reader stops early."""
    import subprocess
    import sys

    path = tmp_path / "b.txt"
    path.write_text("\n".join(",".join(f"i{(b * 7 + j) % 40}" for j in range(8)) for b in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "rules", str(path), "--min-support", "0.01",
                             "--min-confidence", "0.01"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err

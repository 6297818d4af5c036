"""Why a customer is in a segment: a shallow decision tree fitted to the segment labels, read out as
rules a marketer can check ("Income above $69,000 and children at home at most 0.5"), and the
features on which each segment differs most from the rest of the customers (Cohen's d).

The tree is a surrogate: it imitates the clustering, it is not the clustering. Its accuracy on
customers it did not see says how far the rules can be trusted; below OVERLAP_BELOW the segments
overlap and no short list of thresholds describes them, which the page must say plainly.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from ..formatters import by_kind, integer
from ..memory import release_memory
from ..order import projection
from .profiles import per_order

HOLDOUT = 0.25  # share of customers kept aside to measure the tree's accuracy
DEPTH_TOLERANCE = 0.02  # a shallower tree this close to the best accuracy reads better, so it wins
MAX_ROWS = 200_000  # above this the trees are fitted on a stratified sample: cost stays linear
APPLY_BLOCK = 200_000  # rows whose leaves are found at a time
OVERLAP_BELOW = 0.8
TOP_EFFECTS = 5
TIME_UNITS = ("years", "months", "days")


@dataclass(frozen=True)
class Rule:
    segment: int  # 1..k
    conditions: tuple[str, ...]  # readable tests, one per feature, thresholds formatted by kind
    customers: int  # customers reaching this leaf
    precision: float  # share of them that are in `segment`
    recall: float  # share of the segment's customers this rule covers


@dataclass(frozen=True)
class Effect:
    feature: str
    label: str
    segment_mean: float
    rest_mean: float
    effect: float  # Cohen's d: (segment mean - rest mean) / pooled sd; 0 when sd is 0


@dataclass(frozen=True)
class Explanation:
    depth: int  # levels of the final tree (at most the chosen maximum depth)
    accuracy: float  # agreement with the real labels on held-out customers
    train_accuracy: float  # the same on the customers the tree was fitted on
    rules: tuple[Rule, ...]  # by segment, then by customers covered, largest first
    distinguishing: dict[int, tuple[Effect, ...]]  # segment -> largest |d| first
    overlap: bool  # accuracy < OVERLAP_BELOW: the page must say that segments overlap
    held_out: float  # share of the customers fitted from that was held out to measure `accuracy`


def explain(table: pd.DataFrame, labels: np.ndarray, features: tuple[str, ...], docs: dict[str, tuple[str, str]],
            currency: str = "$", seed: int = 0, max_depth: int = 4) -> Explanation:
    """Rules and distinguishing features for `labels` (1..k, aligned with the rows of `table`).

    `docs` maps feature name -> (label, kind); thresholds are fitted on the unscaled values so that
    they read in the customers' own units.
    """
    x, y = _validate(table, labels, features, docs, max_depth)
    # The rows fitted on and held out drawn in the customers' own order, not the file's (no copy of x).
    canon = np.lexsort((y, projection(x)))
    rng = np.random.default_rng(seed)
    fit_rows = canon[_stratified(y[canon], MAX_ROWS, rng)] if len(y) > MAX_ROWS else canon
    xs, ys = x[fit_rows], y[fit_rows]
    test = np.zeros(len(ys), dtype=bool)
    test[_stratified(ys, round(HOLDOUT * len(ys)), rng)] = True
    if not test.any() or test.all():
        raise ValueError(f"{len(y)} customers are too few to hold out {HOLDOUT:.0%} of them and fit on the rest")
    # Leaves of at least 1% of the customers (10 at least) keep the rules general; but never more
    # than half the smallest segment fitted on (5 at least), or that segment could get no leaf of its own (a
    # segment of 0.9% was left without a rule, and the tree "agreed" by naming the largest segment).
    smallest = int(np.unique(ys[~test], return_counts=True)[1].min())
    leaf = max(5, min(max(10, math.ceil(0.01 * len(ys))), smallest // 2))

    def tree(depth: int) -> DecisionTreeClassifier:
        return DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed)

    def score(depth: int) -> tuple[float, float]:
        t = tree(depth).fit(xs[~test], ys[~test])
        return float((t.predict(xs[test]) == ys[test]).mean()), float((t.predict(xs[~test]) == ys[~test]).mean())

    # The depths are fitted side by side: a tree is grown outside the GIL, so they share the cores.
    with ThreadPoolExecutor(min(os.cpu_count() or 1, max_depth - 1)) as pool:
        scores = dict(zip(range(2, max_depth + 1), pool.map(score, range(2, max_depth + 1))))
    best = max(acc for acc, _ in scores.values())
    chosen = min(d for d, (acc, _) in scores.items() if acc >= best - DEPTH_TOLERANCE)
    final = tree(chosen).fit(xs, ys)
    accuracy, train_accuracy = scores[chosen]
    del xs  # the trees' float32 copies are freed too: handed back before the passes over every row
    release_memory()
    return Explanation(
        depth=int(final.get_depth()), accuracy=accuracy, train_accuracy=train_accuracy,
        rules=_rules(final, x, y, features, docs, currency),
        distinguishing=_distinguishing(x, y, features, docs, _unmeasured(table, features)),
        overlap=accuracy < OVERLAP_BELOW, held_out=float(test.mean()),
    )


def _unmeasured(table: pd.DataFrame, features: tuple[str, ...]) -> tuple[list[int], np.ndarray] | None:
    """The features only an order defines and the customers without one, where the table holds both
    (profiles.per_order): such a customer's 0 basket is no small basket."""
    cols = [c for c, f in enumerate(features) if per_order(f, table)]
    if not cols:
        return None
    absent = table["orders"].to_numpy() <= 0
    return (cols, absent) if absent.any() else None


def cohens_d(segment: np.ndarray, rest: np.ndarray) -> float:
    """(mean of segment - mean of rest) / pooled standard deviation (n - 1 weighting); 0 when that sd is 0."""
    n1, n2 = len(segment), len(rest)
    if n1 == 0 or n2 == 0 or n1 + n2 <= 2:
        return 0.0
    m1, m2 = float(np.mean(segment)), float(np.mean(rest))
    # Sums of squares rather than variances: a segment of one customer has no ddof=1 variance.
    ss = float(((segment - m1) ** 2).sum() + ((rest - m2) ** 2).sum())
    return float(_pooled_d(np.array([m1]), np.array([m2]), np.array([ss]), n1, n2)[0])


def _pooled_d(m1: np.ndarray, m2: np.ndarray, ss: np.ndarray, n1: int, n2: int) -> np.ndarray:
    """cohens_d from the two means and the pooled sum of squares, per column."""
    sd = np.sqrt(np.maximum(ss, 0.0) / (n1 + n2 - 2))
    # A constant column leaves rounding dust in sd; dividing by it would invent a huge effect.
    dust = sd <= 1e-12 * (1.0 + np.abs(m1) + np.abs(m2))
    return np.where(dust, 0.0, (m1 - m2) / np.where(dust, 1.0, sd))


def condition(label: str, kind: str, low: float | None, high: float | None, currency: str = "$",
              whole: bool = False) -> str:
    """One feature's tests on a path, merged: low < x <= high (either bound may be None).
    `whole`: every value of the feature is a whole number (orders, children), read as such."""
    if kind == "flag" and (low is None) != (high is None):
        bound = low if high is None else high
        if 0 <= bound < 1:  # a 0/1 column split between its two values
            return f"{label}: {'yes' if high is None else 'no'}"
    lo = None if low is None else _threshold(low, kind, currency, whole)
    hi = None if high is None else _threshold(high, kind, currency, whole)
    if lo is not None and hi is not None:
        counted = whole and kind in ("count", "number", *TIME_UNITS)
        if counted:  # whole values above 0.5 start at 1: "from 1 to 4"
            lo = _threshold(math.floor(low) + 1, kind, currency, whole)
        if lo == hi:  # one whole value; or two ends that rounding for display makes read the same
            return f"{label} {'exactly' if counted else 'about'} {lo}"
        return f"{label} from {lo} to {hi}"
    if lo is not None:
        return f"{label} above {lo}"
    if hi is not None:
        return f"{label} at most {hi}"
    return label


def _threshold(t: float, kind: str, currency: str, whole: bool = False) -> str:
    # Whole units are floored: for whole-number data "x <= 45.5" is exactly "at most 45 years" and
    # "x > 45.5" exactly "above 45 years"; rounding half to even would say 46 and be off by one.
    if whole and kind in ("count", "number"):
        return integer(math.floor(t))  # 12 orders, not 12.0
    return by_kind(math.floor(t) if kind in TIME_UNITS or whole else t, kind, currency)


def _validate(table, labels, features, docs, max_depth) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    features = tuple(features)
    if not features:
        raise ValueError("features is empty: name at least one column of the table to explain the segments with")
    twice = sorted({f for f in features if features.count(f) > 1})
    if twice:
        raise ValueError(f"features names {twice[0]!r} more than once")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise ValueError(f"feature {missing[0]!r} is not a column of the table; columns: {', '.join(map(str, table.columns))}")
    undocumented = [f for f in features if f not in docs]
    if undocumented:
        raise ValueError(f"feature {undocumented[0]!r} has no (label, kind) in docs")
    if not isinstance(max_depth, (int, np.integer)) or max_depth < 2:
        raise ValueError(f"max_depth={max_depth!r} should be an integer >= 2")
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(table):
        raise ValueError(f"labels has shape {y.shape}; expected one label per table row ({len(table)} rows)")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(f"labels must be segment numbers 1..k, got dtype {y.dtype}")
    if np.issubdtype(y.dtype, np.floating):
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise ValueError(f"labels must be whole segment numbers; row {int(np.argmax(bad))} has {float(y[bad][0])}")
    y = y.astype(np.int64)
    if len(y) and y.min() < 1:
        raise ValueError(f"labels must be segment numbers 1..k; found {int(y.min())}")
    present = np.unique(y)
    if len(present) < 2:
        raise ValueError(f"need at least 2 segments to explain, found {len(present)} ({', '.join(map(str, present))})")
    # Filled a column at a time (a list of columns stacked at the end held the matrix twice).
    x = np.empty((len(table), len(features)))
    for j, f in enumerate(features):
        try:
            x[:, j] = table[f].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as e:
            raise ValueError(f"feature {f!r} is not numeric (dtype {table[f].dtype}): {e}") from None
        bad = ~np.isfinite(x[:, j])
        if bad.any():
            raise ValueError(f"feature {f!r} has {int(bad.sum())} missing or infinite values (first at row "
                             f"{int(np.argmax(bad))}); the tree needs a number for every customer")
    return x, y


def _stratified(y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row numbers of a random sample of `size` rows with each segment's share kept
    (largest remainders), so that small segments are neither lost nor over-sampled."""
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * size / len(y)
    take = np.floor(quota).astype(int)
    rest = size - int(take.sum())
    # Ties in the remainders go to the smaller segment number: deterministic.
    order = sorted(range(len(classes)), key=lambda i: (-(quota[i] - take[i]), classes[i]))
    for i in order[:rest]:
        take[i] += 1
    rows = [rng.permutation(np.flatnonzero(y == c))[:n] for c, n in zip(classes, take)]
    return np.sort(np.concatenate(rows))


def _paths(tree: DecisionTreeClassifier) -> dict[int, list[tuple[int, bool, float]]]:
    """Leaf node -> the tests on the way to it: (feature column, went right i.e. x > t, threshold)."""
    t = tree.tree_
    out, stack = {}, [(0, [])]
    while stack:
        node, tests = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            out[node] = tests
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((right, tests + [(f, True, thr)]))
        stack.append((left, tests + [(f, False, thr)]))
    return out


def _conditions(tests, features, docs, currency, whole: frozenset = frozenset()) -> tuple[str, ...]:
    bounds: dict[int, list] = {}  # feature column -> [low, high], in order of first test (root first)
    for f, right, thr in tests:
        b = bounds.setdefault(f, [None, None])
        if right:
            b[0] = thr if b[0] is None else max(b[0], thr)
        else:
            b[1] = thr if b[1] is None else min(b[1], thr)
    return tuple(condition(*docs[features[f]], low, high, currency, f in whole) for f, (low, high) in bounds.items())


def _rules(tree, x, y, features, docs, currency) -> tuple[Rule, ...]:
    # Counts over every customer, not only the fitted sample: the page reports real numbers.
    # (A block of rows at a time: the tree reads a float32 copy of what it is given.)
    leaves = np.concatenate([tree.apply(x[i:i + APPLY_BLOCK]) for i in range(0, len(x), APPLY_BLOCK)])
    segments = np.unique(y)
    paths = _paths(tree)
    nodes = np.array(sorted(paths))
    node_pos = np.searchsorted(nodes, leaves)
    seg_pos = np.searchsorted(segments, y)
    counts = np.zeros((len(nodes), len(segments)), dtype=np.int64)
    np.add.at(counts, (node_pos, seg_pos), 1)
    sizes, totals = counts.sum(axis=1), counts.sum(axis=0)
    majority = counts.argmax(axis=1)  # ties: the smaller segment number
    whole = frozenset(f for f in range(x.shape[1]) if np.array_equal(x[:, f], np.floor(x[:, f])))

    def rule(i: int, j: int) -> Rule:
        return Rule(segment=int(segments[j]), conditions=_conditions(paths[int(nodes[i])], features, docs, currency, whole),
                    customers=int(sizes[i]), precision=float(counts[i, j] / sizes[i]),
                    recall=float(counts[i, j] / totals[j]))

    out = []
    for j in range(len(segments)):
        claimed = [i for i in range(len(nodes)) if majority[i] == j and sizes[i] > 0]
        if not claimed:
            # No leaf has this segment as its majority: show where most of its customers end up,
            # and let the low precision tell the reader that the rule does not single them out.
            claimed = [max(range(len(nodes)), key=lambda i: (counts[i, j], counts[i, j] / max(sizes[i], 1), -i))]
        claimed.sort(key=lambda i: (-sizes[i], -counts[i, j] / sizes[i], i))
        out.extend(rule(i, j) for i in claimed)
    return tuple(out)


def _distinguishing(x, y, features, docs, unmeasured: tuple[list[int], np.ndarray] | None = None
                    ) -> dict[int, tuple[Effect, ...]]:
    """Each segment against the rest: cohens_d of every feature. Each segment's mean and sum of
    squares are taken once; the rest's are combined from the other segments' (Chan et al.'s
    pairwise formula), so no copy of the rest is made per segment and no sum of squares loses
    accuracy by subtraction (a column without spread inside the segments stays exactly 0).
    `unmeasured`: (columns, rows) whose values measure nothing (an order's habits for a customer
    without an order): left out of both sides, each column counting its own customers."""
    x = np.asarray(x, dtype=float)
    segments = np.unique(y)
    shape = (len(segments), x.shape[1])
    n, mean, ss = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    cols, absent = unmeasured if unmeasured is not None else ([], None)
    for i, s in enumerate(segments):  # one segment's rows copied at a time
        rows = y == s
        part = x[rows]
        n[i] = len(part)
        gone = absent[rows] if cols else None
        for c in cols:  # an unmeasured cell set to the measured ones' mean adds nothing to the sums below
            kept = part[~gone, c]
            n[i, c] = len(kept)
            part[gone, c] = kept.mean() if len(kept) else 0.0
        mean[i] = part.mean(axis=0)
        part -= mean[i]  # in place: the copy is this loop's own
        part **= 2
        ss[i] = part.sum(axis=0)
    out = {}
    for i, s in enumerate(segments):
        rest = np.arange(len(segments)) != i
        n1, n2 = n[i], n[rest].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            m2 = np.where(n2 > 0, (n[rest] * mean[rest]).sum(axis=0) / np.where(n2 > 0, n2, 1.0), np.nan)
            ss2 = (ss[rest] + n[rest] * (mean[rest] - np.nan_to_num(m2)) ** 2).sum(axis=0)
            d = np.where((n1 > 0) & (n2 > 0) & (n1 + n2 > 2), _pooled_d(mean[i], np.nan_to_num(m2), ss[i] + ss2, n1, n2), 0.0)
        effects = [Effect(feature=f, label=docs[f][0], segment_mean=float(mean[i, c]), rest_mean=float(m2[c]),
                          effect=float(d[c])) for c, f in enumerate(features)]
        # Effects equal to 12 digits tie (sums in another order differ in the last bits): by name.
        effects.sort(key=lambda e: (-round(abs(e.effect), 12), e.feature))
        out[int(s)] = tuple(effects[:TOP_EFFECTS])
    return out

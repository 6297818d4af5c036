"""What each segment buys together: association rules per segment and over all baskets, the rules
that set a segment apart, and the promotions they suggest.

Mining itself is `rules.mine`; this stage cuts the baskets by segment, at product and at category
level, and compares each segment's rules with the same rules over all baskets.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import comb
from scipy.stats import fisher_exact, hypergeom

from ..config import Baskets as BasketsConfig
from ..ingest.orders import OrderBaskets
from .rules import Baskets, ItemsetCounter, mine, rules_frame

PRODUCTIVE_P = 0.05  # a longer rule's higher confidence must be this unlikely by chance to be shown
SAMPLE_MARGIN = 4  # standard errors: thresholds on a sample are lowered by this much
AUTO_SHARE = 0.01  # automatic minimum support: 1% of the baskets mined
MAX_CONSEQUENT = 1  # one item on the right: an offer names one product to add


@dataclass(frozen=True)
class Rule:
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    count: int
    support: float
    confidence: float
    lift: float
    leverage: float
    conviction: float
    overall_lift: float | None = None  # the same rule over all baskets (segment rules only)
    overall_support: float | None = None  # share of all baskets holding both sides (segment rules only)
    # Rules over all baskets: observed baskets with both sides / those expected were the sides
    # independent inside each segment (see within_segments). Near 1: the same segments buy both
    # sides, but not together; the rule's lift comes from who buys, not from buying them together.
    within_lift: float | None = None

    @property
    def lift_ratio(self) -> float | None:
        return None if not self.overall_lift else self.lift / self.overall_lift

    @property
    def support_ratio(self) -> float | None:
        """How many times as often the segment's baskets hold both sides as all baskets do."""
        return None if not self.overall_support else self.support / self.overall_support


@dataclass(frozen=True)
class Promotion:
    kind: str  # bundle or cross-sell
    rule: Rule
    reach: int  # customers of the segment who bought every lhs item but never the rhs
    expected_buyers: float
    expected_revenue: float


@dataclass(frozen=True)
class SegmentRules:
    segment: int
    baskets: int
    min_count: int
    n_rules: int
    top: tuple[Rule, ...]
    distinctive: tuple[Rule, ...]
    promotions: tuple[Promotion, ...]


@dataclass(frozen=True)
class LevelRules:
    level: str  # product or category
    items: int
    baskets: int
    min_count: int
    n_rules: int
    top: tuple[Rule, ...]
    segments: tuple[SegmentRules, ...]


@dataclass(frozen=True)
class BasketResults:
    baskets: int
    baskets_with_customer: int
    min_confidence: float
    max_length: int
    distinctive_lift: float
    levels: tuple[LevelRules, ...]
    method: str
    assumption: str


def _matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, names: tuple[str, ...]) -> Baskets:
    """Baskets with items sorted by name (as `rules` expects), from integer pairs."""
    order = np.argsort(np.asarray(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    m = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, rank[cols])), shape=(n_rows, len(names)))
    m.sum_duplicates()
    return Baskets(m, tuple(names[i] for i in order), range(n_rows))


def _subset(b: Baskets, rows: np.ndarray) -> Baskets:
    return Baskets(b.matrix[rows], b.items, range(len(rows)))


def _support_share(cfg: BasketsConfig) -> float:
    return AUTO_SHARE if cfg.min_support == "auto" else cfg.min_support


def _min_count(cfg: BasketsConfig, n: int) -> int:
    share = _support_share(cfg)
    return max(cfg.min_baskets, math.ceil(share * n * (1 - 1e-10)))


def _mine(b: Baskets, cfg: BasketsConfig, seed: int,
          recount: Callable[[list[tuple[str, ...]]], np.ndarray] | None = None) -> tuple[pd.DataFrame, int]:
    """The rules of `_mine_all` whose items are bought together more often than chance would
    have it (lift above 1): a rule of lift 1 or less pairs items that do not go together."""
    rules, count = _mine_all(b, cfg, seed, recount)
    return (rules[rules["lift"] > 1].reset_index(drop=True) if len(rules) else rules), count


def _mine_all(b: Baskets, cfg: BasketsConfig, seed: int,
              recount: Callable[[list[tuple[str, ...]]], np.ndarray] | None = None) -> tuple[pd.DataFrame, int]:
    """Rules of the baskets; above cfg.sample baskets, found on a random sample and then counted
    exactly on every basket (the search for itemsets grows with the baskets; the recount is a bitset
    AND here, or `recount`: the engine's count of baskets holding each itemset, e.g. on Spark)."""
    count = _min_count(cfg, b.n_baskets)
    if b.n_baskets < count:
        return pd.DataFrame(columns=["lhs", "rhs"]), count
    if b.n_baskets <= cfg.sample:
        return mine(b, count / b.n_baskets, cfg.min_confidence, max_consequent=MAX_CONSEQUENT,
                    min_length=2, max_length=cfg.max_length), count
    m = cfg.sample
    rows = np.sort(np.random.default_rng(seed).choice(b.n_baskets, size=m, replace=False))
    support = count / b.n_baskets
    # Thresholds lowered by SAMPLE_MARGIN standard errors of a sampled share, so that an itemset or
    # rule at the true threshold is missed by the sample only with a negligible probability.
    low_support = max(support - SAMPLE_MARGIN * math.sqrt(support * (1 - support) / m), 2 / m)
    low_conf = max(cfg.min_confidence - SAMPLE_MARGIN * math.sqrt(0.25 / (support * m)), 1e-9)
    candidates = mine(_subset(b, rows), low_support, low_conf, max_consequent=MAX_CONSEQUENT,
                      min_length=2, max_length=cfg.max_length)
    counter = ItemsetCounter(b) if recount is None else _Counted(candidates, recount, b.n_baskets)
    return _exact(candidates, counter, count, cfg.min_confidence), count


class _Counted:
    """ItemsetCounter's answers for the candidates' itemsets (both sides, each side), counted in
    one call of an engine's recount."""

    def __init__(self, candidates: pd.DataFrame, recount: Callable[[list[tuple[str, ...]]], np.ndarray], n: int):
        sets = sorted({tuple(sorted(s)) for lhs, rhs in zip(candidates["lhs"], candidates["rhs"])
                       for s in (tuple(lhs) + tuple(rhs), tuple(lhs), tuple(rhs))})
        self.memo = dict(zip(sets, (int(c) for c in recount(sets)))) if sets else {}
        self.n = n

    def count(self, items) -> int:
        return self.memo[tuple(sorted(items))]


def _exact(candidates: pd.DataFrame, counter: "ItemsetCounter | _Counted", min_count: int, min_confidence: float) -> pd.DataFrame:
    """The candidate rules' measures from exact counts over all baskets, thresholds applied."""
    lhs_out, rhs_out, n_rule, n_lhs, n_rhs = [], [], [], [], []
    for lhs, rhs in zip(candidates["lhs"], candidates["rhs"]):
        both, left, right = counter.count(lhs + rhs), counter.count(lhs), counter.count(rhs)
        if both >= min_count and both >= min_confidence * left * (1 - 1e-10):
            lhs_out.append(tuple(lhs))
            rhs_out.append(tuple(rhs))
            n_rule.append(both)
            n_lhs.append(left)
            n_rhs.append(right)
    return rules_frame(lhs_out, rhs_out, n_rule, n_lhs, n_rhs, counter.n)


def _rule(row, overall: tuple[float | None, float | None] = (None, None)) -> Rule:
    return Rule(tuple(row.lhs), tuple(row.rhs), int(row.count), float(row.support), float(row.confidence),
                float(row.lift), float(row.leverage), float(row.conviction), *overall)


def _overall(counter: ItemsetCounter, lhs: tuple[str, ...], rhs: tuple[str, ...]) -> tuple[float | None, float]:
    """The rule's lift and support over all baskets."""
    both, left, right = counter.count(lhs + rhs), counter.count(lhs), counter.count(rhs)
    return (both * counter.n / (left * right) if both and left and right else None), both / counter.n


def productive(frame: pd.DataFrame) -> Callable[[int], bool]:
    """Whether the frame's i-th rule is worth showing: one with two or more items on the left only when its
    confidence is higher than that of every rule with fewer of those items on the left and the same right
    side, beyond chance (Webb's productive rules: Fisher's exact test, one-sided, at PRODUCTIVE_P, on the
    baskets holding the shorter left side, split by whether they hold the longer one). The right side being
    the same, its lift is higher too. Without it, {wipes, pepper} -> nappies crowds out wipes -> nappies on
    a few baskets' luck. A sub-rule missing from the frame is beaten anyway: the subsets of a frequent
    itemset are frequent, so it is missing for a confidence under the minimum or a lift of at most 1.
    Asked only of the rules about to be shown, not of every rule."""
    if frame.empty:
        return lambda i: True
    lhs_all, rhs_all, count = list(frame["lhs"]), list(frame["rhs"]), frame["count"].to_numpy()
    left = np.rint(frame["coverage"].to_numpy() * count / frame["support"].to_numpy()).astype(np.int64)
    known = {(frozenset(a), tuple(b)): k for k, (a, b) in enumerate(zip(lhs_all, rhs_all))}

    def beats(i: int, k: int) -> bool:
        both, has = int(count[i]), int(left[i])
        other_both, other = int(count[k]) - both, int(left[k]) - has  # the shorter side without the rest
        return fisher_exact([[both, has - both], [other_both, other - other_both]], alternative="greater")[1] < PRODUCTIVE_P

    def shown(i: int) -> bool:
        lhs, rhs = lhs_all[i], tuple(rhs_all[i])
        return all(beats(i, k) for size in range(1, len(lhs)) for sub in itertools.combinations(lhs, size)
                   if (k := known.get((frozenset(sub), rhs))) is not None)
    return shown


def _first(shown: Callable[[int], bool], n: int, k: int) -> list[int]:
    """The first k of rules 0..n-1 worth showing (the frame is sorted strongest first)."""
    return list(itertools.islice(filter(shown, range(n)), k))


def beyond_chance(frame: pd.DataFrame, n_items: int, max_length: int, alpha: float | None) -> np.ndarray:
    """Whether each rule's lift in the baskets mined is beyond chance given how many rules the search
    could have found: the probability of at least its count of baskets holding both sides, were the
    sides independent (hypergeometric: Fisher's exact test, one-sided), under Webb's layered critical
    value, alpha / (the number of rule sizes) / (the rules of its size that `n_items` frequent items
    make). A segment that buys many items often makes thousands of candidate rules; a three-item
    rule of 20 baskets with a lift of 2 is what some of them show by luck."""
    if frame.empty or alpha is None:  # None: no test (config baskets.distinctive_p)
        return np.ones(len(frame), dtype=bool)
    count = frame["count"].to_numpy(dtype=float)
    n = np.rint(count / frame["support"].to_numpy(dtype=float))
    left = np.rint(frame["coverage"].to_numpy(dtype=float) * n)
    right = np.rint(frame["confidence"].to_numpy(dtype=float) / frame["lift"].to_numpy(dtype=float) * n)
    size = np.array([len(a) + len(b) for a, b in zip(frame["lhs"], frame["rhs"])])
    space = np.maximum(comb(n_items, size) * size, 1.0)  # itemsets of that size, times the item on the right
    return hypergeom.sf(count - 1, n, left, right) < alpha / max(max_length - 1, 1) / space


def distinctive(r: Rule, lift: float) -> bool:
    """A rule that sets a segment apart: an association in the segment (lift at least `lift`), bought
    together in at least as large a share of the segment's baskets as of all baskets, and either `lift`
    times as strong as over all baskets or bought together `lift` times as often. The first of the two
    finds pairs that go together in this segment more than elsewhere; the second a bundle that is the
    segment's own, whose lift over all baskets is higher than inside it (there, the items are common).
    Without the share, items rare in a segment (nappies among customers without children) make a high
    lift out of the few baskets that hold them: another segment's bundle."""
    # Inclusive, safe from rounding: a ratio of exactly the threshold passes (as rule thresholds do).
    at = lift * (1 - 1e-9)
    if r.lift < at or r.support_ratio is None or r.support_ratio < 1 - 1e-9:
        return False
    return (r.lift_ratio is not None and r.lift_ratio >= at) or r.support_ratio >= at


def within_segments(rules: list[Rule], strata: list[np.ndarray], count_in) -> list[float | None]:
    """Each rule's lift with the segments held apart (a standardised ratio, as Mantel and Haenszel
    pool strata): baskets holding both sides over the sum, per stratum of baskets (a segment's, or
    those without a segmented customer), of (baskets with the left side x baskets with the right
    side / baskets). `count_in(rows, itemsets)`: each itemset's count over those baskets."""
    sets = sorted({tuple(sorted(x)) for r in rules for x in (r.lhs + r.rhs, r.lhs, r.rhs)})
    observed, expected = np.zeros(len(rules)), np.zeros(len(rules))
    for rows in (x for x in strata if len(x)):
        counts = dict(zip(sets, (int(c) for c in count_in(rows, sets))))
        for i, r in enumerate(rules):
            observed[i] += counts[tuple(sorted(r.lhs + r.rhs))]
            expected[i] += counts[tuple(sorted(r.lhs))] * counts[tuple(sorted(r.rhs))] / len(rows)
    return [float(o / e) if e > 0 else None for o, e in zip(observed, expected)]


def _buyers(counter: ItemsetCounter, in_segment: np.ndarray, owner: np.ndarray, n_customers: int
            ) -> Callable[[str], np.ndarray]:
    """Who bought an item in a segment's baskets, as a flag per customer (owner: each basket's
    customer as a number < n_customers), remembered: an offer's two rules share their items.
    Only the item's baskets are read, not a customers x items table of the segment."""
    memo: dict[str, np.ndarray] = {}

    def of(item: str) -> np.ndarray:
        if item not in memo:
            rows = counter.baskets_of(item)
            memo[item] = np.zeros(n_customers, dtype=bool)
            memo[item][owner[rows[in_segment[rows]]]] = True
        return memo[item]
    return of


def _reach(buyers_of: Callable[[str], np.ndarray], lhs: tuple[str, ...], rhs: tuple[str, ...]) -> int:
    """Customers who bought every item of lhs (in any of their baskets) but not every item of rhs."""
    def every(items: tuple[str, ...]) -> np.ndarray:
        return np.logical_and.reduce([buyers_of(item) for item in items])
    return int(np.count_nonzero(every(lhs) & ~every(rhs)))


def _promotions(segment_rules: list[Rule], reverse: set[tuple[tuple[str, ...], tuple[str, ...]]],
                reach_of: Callable[[tuple[str, ...], tuple[str, ...]], int],
                value: dict[str, float], limit: int, min_reach: int) -> tuple[Promotion, ...]:
    out, seen = [], set()
    for r in segment_rules:
        if len(out) == limit:
            break
        pair = frozenset(r.lhs + r.rhs)
        if pair in seen:  # A => B and B => A are one offer
            continue
        reach = reach_of(r.lhs, r.rhs)
        if reach < min_reach:  # too few to be worth a campaign, and too few to describe on a public page
            continue
        seen.add(pair)
        # Bundle when the pull goes both ways (the reverse rule also passes); otherwise cross-sell.
        kind = "bundle" if len(r.lhs) == 1 and (r.rhs, r.lhs) in reverse else "cross-sell"
        buyers = reach * r.confidence
        out.append(Promotion(kind, r, reach, buyers, buyers * value.get(r.rhs[0], 0.0)))
    return tuple(out)


def _order_segments(ob: OrderBaskets, segment_of: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each order's segment as a float, NaN for an order without a customer or of one not segmented,
    and its customer's place in segment_of (-1 for none). Each distinct customer is looked up once,
    by Arrow's hashing (pandas' map of 2.6M Python strings took 3 s)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(segment_of.index.astype(str), type=pa.string())
    at = pc.index_in(pa.array(ob.owners, type=pa.string()), value_set=ids).to_numpy(zero_copy_only=False)
    place = np.where(np.isnan(at), -1, at).astype(np.int64)  # per distinct customer
    owner = np.full(ob.n_orders, -1, dtype=np.int64)
    has = ob.order_owner >= 0
    owner[has] = place[ob.order_owner[has]]
    found = owner >= 0
    seg = np.full(ob.n_orders, np.nan)
    seg[found] = segment_of.to_numpy(dtype=float)[owner[found]]
    return seg, owner


def _scoped(recount, ob: OrderBaskets, level: str, orders: np.ndarray | None):
    """The engine's recount over some baskets (their order codes; None: all), or None."""
    return None if recount is None else (lambda sets: recount(ob, level, sets, orders))


def basket_rules(ob: OrderBaskets, segment_of: pd.Series, public: set[int], cfg: BasketsConfig,
                 seed: int = 0, recount: Callable[..., np.ndarray] | None = None) -> BasketResults:
    """Rules over all baskets and per public segment, at each configured level.

    segment_of: segment number by customer id (customers not segmented are absent).
    recount: an engine's `count_itemsets(baskets, level, itemsets, orders)` for the exact recount
    of sampled candidates (None: bitsets on this machine)."""
    n = ob.n_orders
    seg, owner = _order_segments(ob, segment_of)
    known = ~np.isnan(seg)
    strata = [np.flatnonzero(seg == s) for s in np.unique(seg[known])] + [np.flatnonzero(~known)]
    levels = []
    for level in dict.fromkeys(cfg.levels):
        if level == "product":
            b = _matrix(ob.order_idx, ob.product_idx, n, ob.products)
            value = {ob.products[i]: float(v) for i, v in enumerate(ob.product_value)}
        else:
            if not ob.categories:
                continue
            cat = ob.product_category[ob.product_idx]
            keep = cat >= 0
            b = _matrix(ob.order_idx[keep], cat[keep], n, ob.categories)
            value = {}
        found, count = _mine(b, cfg, seed, _scoped(recount, ob, level, None))
        overall = ItemsetCounter(b)
        top = [_rule(r) for r in found.iloc[_first(productive(found), len(found), cfg.top)].itertuples()]

        def count_in(rows: np.ndarray, sets: list[tuple[str, ...]]) -> list[int]:  # used at once, in this level
            if recount is not None:
                return list(recount(ob, level, sets, rows))
            counter = ItemsetCounter(_subset(b, rows))
            return [counter.count(x) for x in sets]
        top = tuple(dataclasses.replace(r, within_lift=w) for r, w in zip(top, within_segments(top, strata, count_in)))
        segments = []
        for s in sorted(public):
            rows = np.flatnonzero(seg == s)
            if len(rows) == 0:
                continue
            sb = _subset(b, rows)
            srules, scount = _mine(sb, cfg, seed, _scoped(recount, ob, level, rows))
            every = [_rule(r, _overall(overall, tuple(r.lhs), tuple(r.rhs))) for r in srules.itertuples()]
            frequent = int(np.count_nonzero(np.asarray(sb.matrix.sum(axis=0)).ravel() >= scount))
            shown, real = productive(srules), beyond_chance(srules, frequent, cfg.max_length, cfg.distinctive_p)
            rules = [every[i] for i in _first(shown, len(every), cfg.top)]
            distinct = sorted([r for i, r in enumerate(every) if distinctive(r, cfg.distinctive_lift) and real[i]
                               and shown(i)],
                              key=lambda r: (-max(r.lift_ratio or 0.0, r.support_ratio), -r.lift, r.lhs, r.rhs))
            reverse = {(r.lhs, r.rhs) for r in every}
            promos = ()
            # Offers from the rules the segment's page shows: its distinctive ones, else its strongest that
            # are beyond chance (an offer on a lucky association would sell nothing). A cross-sell that
            # converts well in the segment is worth making there even where other segments buy the pair as much.
            offers = distinct or [every[i] for i in _first(lambda i: real[i] and shown(i), len(every), cfg.top)]
            if level == "product" and offers:
                buyers_of = _buyers(overall, seg == s, owner, len(segment_of))
                promos = _promotions(offers, reverse, lambda lhs, rhs: _reach(buyers_of, lhs, rhs),
                                     value, limit=3, min_reach=cfg.min_reach)
            segments.append(SegmentRules(int(s), len(rows), scount, len(srules), tuple(rules),
                                         tuple(distinct[: cfg.top]), promos))
        levels.append(LevelRules(level, len(b.items), n, count, len(found), top, tuple(segments)))
    with_customer = int(np.count_nonzero(~np.isnan(seg)))
    method = (
        f"Each order is a basket. Frequent itemsets are found and counted exactly; rules have one item on the right, "
        f"at most {cfg.max_length} items in all, a confidence of at least {cfg.min_confidence:.0%}, a lift above 1 "
        f"(the items are bought together more often than if they were independent), and an itemset "
        f"must be in at least {_support_share(cfg):.1%} of the baskets mined "
        f"and in at least {cfg.min_baskets} baskets. A segment's rule is distinctive when its lift inside the "
        f"segment is at least {cfg.distinctive_lift:g} times the same rule's lift over all baskets, and at least "
        f"{cfg.distinctive_lift:g} itself, or when its items are bought together {cfg.distinctive_lift:g} times as "
        f"often in the segment's baskets as in all baskets with a lift of at least {cfg.distinctive_lift:g} there (a "
        f"bundle of the segment's own, whose items are common in it); either way, bought together in at least as "
        f"large a share of the segment's baskets as of all baskets (items rare in a segment make a high lift of the "
        f"few baskets that hold them)" + (
            f"; and its lift in the segment beyond chance among every rule the segment's frequent items could make "
            f"(Fisher's exact test, one-sided, at Webb's layered critical values: p below {cfg.distinctive_p:g} divided "
            f"by the number of rule sizes and by the number of rules of its size)" if cfg.distinctive_p else "") + (
        f". A rule with two or more items on the left is shown only when its confidence is higher than "
        f"that of every rule with fewer of those items on the left and the same right side, beyond chance "
        f"(Fisher's exact test, one-sided, p < {PRODUCTIVE_P:g})."
    ))
    if n > cfg.sample:
        method += (
            f" With more than {cfg.sample:,} baskets, candidate rules are found on a random sample of {cfg.sample:,} "
            f"baskets with thresholds lowered by {SAMPLE_MARGIN} standard errors, then every candidate is counted "
            "exactly on all baskets and the thresholds applied to those counts: every number shown is exact, and a "
            "rule exactly at the thresholds escapes the sample with a probability of about 3 in 100,000 (less for "
            "stronger rules)."
        )
    assumption = (
        "Offers come from the segment's distinctive rules, or from its strongest rules when none is distinctive"
        + (", those whose lift in the segment is beyond chance by the same test" if cfg.distinctive_p else "") + ". "
        "Reach counts the segment's customers who have bought every item on the left but never the item on the "
        "right. Expected buyers assume an offer converts them as often as the rule's confidence (the share of the "
        "segment's baskets with the left items that also hold the right one): an upper bound to test against a "
        "hold-out group." + (" Expected revenue multiplies them by the average spend on the item in an order that holds it."
                             if not np.isnan(ob.product_value).all() else
                             " The order lines carry no prices, so no revenue is expected of an offer.")
    )
    return BasketResults(n, with_customer, cfg.min_confidence, cfg.max_length, cfg.distinctive_lift, tuple(levels),
                         method, assumption)

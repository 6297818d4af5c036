"""How each segment answered past campaigns, beside all customers, and which segments are worth
contacting next at the cost and revenue the data (or the config) gives."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc

Z95 = 1.959963984540054
RESAMPLES = 9999  # permutation test: p is known to about +/- 0.005 around 0.05 and 0.1


@dataclass(frozen=True)
class Rate:
    contacted: int
    accepted: int
    rate: float | None
    low: float | None  # 95% Wilson interval
    high: float | None
    lift: float | None  # rate / overall rate


@dataclass(frozen=True)
class CampaignResult:
    name: str
    column: str
    overall: Rate
    by_segment: tuple[Rate, ...]  # segment 1..k
    p_value: float | None  # test that the rate is the same in every segment (None: nothing to test)
    test: str = ""  # "chi-square", "Fisher's exact" or "permutation chi-square"; "" when p_value is None


def wilson(accepted: int, n: int, z: float = Z95) -> tuple[float, float] | tuple[None, None]:
    if n == 0:
        return None, None
    p = accepted / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(answers: pd.Series | np.ndarray, overall: float | None = None) -> Rate:
    """The rate of yes (1) among the customers with an answer (missing: not contacted)."""
    # Values, not the Series: pandas' dropna builds a hash table of a large index first.
    a = answers.to_numpy(dtype=float, na_value=np.nan) if isinstance(answers, pd.Series) else np.asarray(answers, dtype=float)
    a = a[~np.isnan(a)]
    return rate_of(int(len(a)), int(a.sum()), overall)


def rate_of(n: int, acc: int, overall: float | None = None) -> Rate:
    """The rate of `acc` answers among `n` contacted, its interval and its lift over `overall`."""
    r = acc / n if n else None
    low, high = wilson(acc, n)
    lift = r / overall if r is not None and overall else None
    return Rate(n, acc, r, low, high, lift)


def _pearson(accepted: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Pearson's chi-square of segments x (answered, not) tables, one per row of `accepted`.

    With p = all answered / all contacted, the two cells of a segment add up to
    (a - n p)^2 / (n p (1 - p)), so only the answered counts are needed."""
    p = accepted.sum(axis=-1, keepdims=True) / sizes.sum()
    return ((accepted - sizes * p) ** 2 / (sizes * p * (1 - p))).sum(axis=-1)


def permutation_chi2(table: np.ndarray, resamples: int = RESAMPLES, random_state: int = 0) -> float:
    """Monte Carlo p-value of Pearson's chi-square for a segments x (answered, not) table.

    Shuffling the answers among the contacted customers keeps each segment's size and the total
    answered, so the answered counts of a shuffle follow a multivariate hypergeometric law: drawing
    them directly costs O(segments) per resample instead of O(customers)."""
    table = np.asarray(table, dtype=np.int64)
    sizes = table.sum(axis=1)
    observed = _pearson(table[:, 0].astype(float), sizes)
    rng = np.random.default_rng(random_state)
    draws = rng.multivariate_hypergeometric(sizes, int(table[:, 0].sum()), size=resamples)
    stats = _pearson(draws.astype(float), sizes)
    # Equal tables give equal statistics up to rounding: count them as at least as extreme.
    hits = int((stats >= observed - 1e-9 * max(observed, 1.0)).sum())
    return (hits + 1) / (resamples + 1)  # the observed table counts as one of the shuffles


def chi_square(table: np.ndarray, expected: np.ndarray) -> float:
    """p-value of Pearson's chi-square test of independence, as scipy's chi2_contingency computes
    it (with Yates' continuity correction when there is one degree of freedom)."""
    observed = table.astype(float)
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    if dof == 1:
        diff = expected - observed
        observed = observed + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    stat = float(((observed - expected) ** 2 / expected).sum())
    return float(chdtrc(dof, stat))


def difference_test(table: np.ndarray, random_state: int = 0) -> tuple[float, str] | tuple[None, str]:
    """(p, test name) for 'the answer rate is the same in every segment'; rows: segments
    contacted, columns: answered, not. (None, "") when there is nothing to test: one segment,
    or every contacted customer answered alike."""
    table = np.asarray(table, dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 2:
        raise ValueError(f"expected a segments x (answered, not) table, got shape {table.shape}")
    if len(table) < 2 or table.sum(axis=0).min() == 0 or table.sum(axis=1).min() == 0:
        return None, ""
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    # The chi-square distribution is a poor guide to the statistic when expected counts are small.
    # scipy's default (Yates' correction on 2x2 tables) is kept, as before.
    if expected.min() >= 5:
        return chi_square(table, expected), "chi-square"
    if table.shape == (2, 2):
        from scipy.stats import fisher_exact  # scipy.stats takes a second to import: only when needed

        return float(fisher_exact(table).pvalue), "Fisher's exact"
    return permutation_chi2(table, RESAMPLES, random_state), "permutation chi-square"


def campaign_results(answers: pd.DataFrame, names: dict[str, str], labels: np.ndarray,
                     random_state: int = 0) -> tuple[CampaignResult, ...]:
    """`answers`: one 0/1 column per campaign (missing = not contacted); `names`: campaign -> column."""
    labels = np.asarray(labels)
    k = int(labels.max())
    out = []
    for name, col in names.items():
        a = answers[col].to_numpy(dtype=float, na_value=np.nan)
        seen = ~np.isnan(a)
        overall = rate_of(int(seen.sum()), int(a[seen].sum()))
        # Counted per segment in one pass over the customers (1M customers: a boolean mask per
        # segment and campaign took 4 s).
        inside = seen & (labels >= 1)
        contacted = np.bincount(labels[inside], minlength=k + 1)
        accepted = np.bincount(labels[inside], weights=a[inside], minlength=k + 1)
        segs = tuple(rate_of(int(contacted[s]), int(accepted[s]), overall.rate) for s in range(1, k + 1))
        table = np.array([[r.accepted, r.contacted - r.accepted] for r in segs if r.contacted], dtype=np.int64)
        p, test = difference_test(table.reshape(-1, 2), random_state)
        out.append(CampaignResult(name, col, overall, segs, p, test))
    return tuple(out)


# ---------------------------------------------------------------- who to target next

@dataclass(frozen=True)
class SegmentValue:
    segment: int
    customers: int
    latest: Rate  # answers to the latest campaign (the last in `names`)
    history_rate: float | None  # accepted / contacted, summed over every campaign
    cost: float  # mean cost per contact in the segment
    revenue: float  # mean revenue per answer in the segment
    profit_per_contact: float  # latest.rate * revenue - cost; NaN when nobody was contacted in the latest
    profit_per_contact_history: float | None  # history_rate * revenue - cost
    profit_low: float | None  # profit per contact at the Wilson interval's low and high rate
    profit_high: float | None
    expected_answers: float  # customers * latest.rate
    expected_profit: float  # customers * profit_per_contact
    target: bool  # profit_per_contact > 0


@dataclass(frozen=True)
class Targeting:
    cost_source: str  # e.g. "column Z_CostContact" or "economics.contact_cost in the config"
    revenue_source: str
    segments: tuple[SegmentValue, ...]  # best profit per contact first; segments without a latest rate last
    everyone: tuple[int, float, float]  # (contacts, expected answers, expected profit) contacting every segment
    targeted: tuple[int, float, float]  # the same, contacting only the segments with target=True
    break_even_rate: float  # cost / revenue: the answer rate a segment needs to be worth contacting


def _per_customer(value: pd.Series | float, what: str, source: str, index: pd.Index) -> np.ndarray:
    """`value` as one finite number per customer; a Series must be indexed like the answers,
    so that a column of another table cannot be matched to the wrong customers."""
    if isinstance(value, pd.Series):
        if len(value) != len(index):
            raise ValueError(f"{what} ({source}) has {len(value)} values for {len(index)} customers")
        if not value.index.equals(index):
            raise ValueError(f"{what} ({source}) is not indexed like the answers")
        x = pd.to_numeric(value, errors="coerce").to_numpy(dtype=float)
    else:
        try:
            x = np.full(len(index), float(value))
        except (TypeError, ValueError):
            raise ValueError(f"{what} ({source}) must be a number or a Series, got {value!r}") from None
    bad = ~np.isfinite(x)
    if bad.any():
        shown = value if not isinstance(value, pd.Series) else value[bad].iloc[0]
        raise ValueError(f"{what} ({source}) must be a finite number, got {shown!r} "
                         f"for {int(bad.sum())} customer(s)")
    return x


def _check_sign(x: np.ndarray, ok: np.ndarray, rule: str, what: str, source: str) -> None:
    if not ok.all():
        shown = sorted(set(x[~ok].tolist()))[:3]
        raise ValueError(f"{what} ({source}) must be {rule}, got {', '.join(f'{v:g}' for v in shown)} "
                         f"for {int((~ok).sum())} customer(s)")


def _totals(values: list[SegmentValue]) -> tuple[int, float, float]:
    known = [v for v in values if v.latest.rate is not None]
    return (sum(v.customers for v in known), float(sum(v.expected_answers for v in known)),
            float(sum(v.expected_profit for v in known)))


def targeting(answers: pd.DataFrame, names: dict[str, str], labels: np.ndarray,
              cost: pd.Series | float, revenue: pd.Series | float,
              cost_source: str, revenue_source: str) -> Targeting:
    """Expected answers and profit of contacting each segment, if the next campaign is answered
    like the latest one (the last column in `names`).

    `answers`: one 0/1 column per campaign, missing = not contacted; `labels`: segment 1..k of
    each row; `cost` / `revenue`: per contact and per answer, one number or one value per row.
    A segment nobody was contacted in by the latest campaign has no rate: its expected figures are
    NaN, it is not targeted, and it is left out of both totals."""
    labels = np.asarray(labels)
    if len(labels) != len(answers):
        raise ValueError(f"labels has {len(labels)} values for {len(answers)} rows of answers")
    if not names:
        raise ValueError("no campaign given: names is empty")
    missing = [c for c in names.values() if c not in answers.columns]
    if missing:
        raise ValueError(f"answer column(s) {', '.join(map(repr, missing))} not in the answers")
    c = _per_customer(cost, "cost per contact", cost_source, answers.index)
    r = _per_customer(revenue, "revenue per answer", revenue_source, answers.index)
    _check_sign(c, c >= 0, ">= 0", "cost per contact", cost_source)
    _check_sign(r, r > 0, "> 0", "revenue per answer", revenue_source)

    columns = list(names.values())
    latest_col = columns[-1]
    latest_answers = answers[latest_col].to_numpy(dtype=float, na_value=np.nan)
    overall = rate(latest_answers).rate
    contacted = answers[columns].notna().to_numpy()
    accepted = answers[columns].fillna(0).to_numpy(dtype=float)
    k = int(labels.max()) if len(labels) else 0
    values = []
    for s in range(1, k + 1):
        seg = labels == s
        latest = rate(latest_answers[seg], overall)
        n_hist = int(contacted[seg].sum())
        history = float(accepted[seg].sum()) / n_hist if n_hist else None
        cs = float(c[seg].mean()) if seg.any() else math.nan  # a segment number nobody has
        rs = float(r[seg].mean()) if seg.any() else math.nan

        def profit(x: float | None) -> float | None:
            return None if x is None else x * rs - cs

        per_contact = profit(latest.rate)
        per_contact = math.nan if per_contact is None else per_contact
        customers = int(seg.sum())
        values.append(SegmentValue(
            segment=s, customers=customers, latest=latest, history_rate=history, cost=cs, revenue=rs,
            profit_per_contact=per_contact, profit_per_contact_history=profit(history),
            profit_low=profit(latest.low), profit_high=profit(latest.high),
            expected_answers=customers * latest.rate if latest.rate is not None else math.nan,
            expected_profit=customers * per_contact, target=bool(per_contact > 0),
        ))
    ranked = sorted(values, key=lambda v: (math.isnan(v.profit_per_contact),
                                           -v.profit_per_contact if not math.isnan(v.profit_per_contact) else 0.0,
                                           v.segment))
    return Targeting(
        cost_source=cost_source, revenue_source=revenue_source, segments=tuple(ranked),
        everyone=_totals(values), targeted=_totals([v for v in values if v.target]),
        # Over all customers: the one threshold when cost and revenue are the same for everyone.
        break_even_rate=float(c.mean() / r.mean()) if len(c) else math.nan,
    )

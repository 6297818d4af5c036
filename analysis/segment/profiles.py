"""Segment profiles: size, value and how each feature compares with the average customer.
Names and recommendations are made from these in `personas`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..threads import each
from .features import SEASON_FEATURE, FeatureSet

@dataclass(frozen=True)
class FeatureStat:
    feature: str
    mean: float
    median: float
    overall_mean: float
    overall_median: float
    effect: float  # (segment mean - overall mean) / overall standard deviation
    # Measured over the customers with an order only (means, medians and the spread alike): a
    # customer who never ordered has no basket, order value, time of ordering or category mix.
    buyers_only: bool = False


@dataclass(frozen=True)
class CategoryMix:
    column: str
    shares: dict[str, float]  # category -> share of the segment's customers
    overall: dict[str, float]


@dataclass(frozen=True)
class Profile:
    id: int
    name: str  # set by personas
    size: int
    share_customers: float
    share_value: float | None  # share of total spend (revenue) when spend is known
    stats: tuple[FeatureStat, ...]
    categories: tuple[CategoryMix, ...]
    traits: tuple[str, ...]  # features that set it apart, strongest first
    actions: tuple[str, ...]  # set by personas: the recommended steps, the first is the next one
    public: bool  # large enough to be profiled on public pages
    stability: float | None  # mean Jaccard of the segment over resamples
    unassigned: bool  # the group of customers no dense segment took
    # Its customers without an order, where the table also holds customers with one (joined input):
    # their habits are not in the segment's order habits, which are its buyers'.
    without_orders: int = 0
    # Its customers (with an order) whose last purchase is no longer ago than the average customer's median:
    # no win-back for them, whatever the segment's mean says.
    recent: int = 0

    def stat(self, feature: str) -> FeatureStat:
        return next(s for s in self.stats if s.feature == feature)


# Features whose sum over customers is what the segments share as value: money spent, or, where the
# order lines carry no price, units bought (shares of revenue, or of units).
VALUE_FEATURES = ("total_spend", "total_units")
UNSTABLE = 0.6  # mean Jaccard below this: the segment does not reliably come back on resampling
# Features an order defines (the table holds 0, or the whole history for recency, where there is none).
PER_ORDER = ("recency_days", "basket_size", "avg_order_value", "orders_at_weekends", "orders_in_the_morning",
             "orders_in_the_evening", SEASON_FEATURE, "first_order_months")


def per_order(feature: str, table: pd.DataFrame) -> bool:
    """Whether the feature is measured only over the customers with an order: one an order defines,
    where the table also holds customers without one (a customer table joined with its order lines)."""
    return (feature in PER_ORDER or feature.startswith("share_")) and "orders" in table.columns


def column_summary(table: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Every column's mean, median and standard deviation (ddof 0), a column at a time: the same
    numbers as the frame's own methods, which take a copy of every column at once (at 1M customers
    300 MiB more, at the run's peak)."""
    cols = list(table.columns)
    # Columns side by side: numpy's sums and partitions run outside the GIL.
    stats = each(lambda c: (table[c].mean(), table[c].median(), table[c].std(ddof=0)), cols, len(table))
    return tuple(pd.Series({c: s[i] for c, s in zip(cols, stats)}, dtype=float) for i in range(3))  # mean, median, sd


def column_sd(table: pd.DataFrame) -> pd.Series:
    """Every column's standard deviation (ddof 0), a column at a time (see column_summary)."""
    sds = each(lambda c: table[c].std(ddof=0), table.columns, len(table))
    return pd.Series(dict(zip(table.columns, sds)), dtype=float)


def build_profiles(features: FeatureSet, labels: np.ndarray, categorical: pd.DataFrame, min_size: int,
                   stability: dict[int, float] | None = None, unassigned: bool = False) -> tuple[Profile, ...]:
    table = features.table
    overall_mean, overall_median, overall_sd = column_summary(table)
    ordered = table["orders"].to_numpy() > 0 if "orders" in table.columns else None
    if ordered is not None and ordered.all():
        ordered = None  # every customer ordered: nothing to leave out
    if ordered is not None:
        only = [c for c in table.columns if per_order(c, table)]
        if ordered.any():  # the average customer with an order, not one averaged with the zeros of those without
            m, med, sd = column_summary(table.loc[ordered, only])
            overall_mean[only], overall_median[only], overall_sd[only] = m, med, sd
    value = table[features.value_feature] if features.value_feature in VALUE_FEATURES else None
    k = int(labels.max())
    recent = None
    if "recency_days" in table.columns:
        recent = table["recency_days"].to_numpy() <= overall_median["recency_days"]
        if ordered is not None:
            recent &= ordered
    # Rows sorted by segment once (stably, so each segment keeps its order): a segment is a slice,
    # and its statistics are those of its rows taken out by a mask, without k copies of the table.
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(1, k + 2))
    parts = [slice(bounds[s - 1], bounds[s]) for s in range(1, k + 1)]
    columns = {col: table[col].to_numpy()[order] for col in table.columns}
    buyers = ordered[order] if ordered is not None else None

    def per_segment(col: str) -> list[FeatureStat]:
        """One column's statistics in every segment."""
        values, out = columns[col], []
        only = buyers is not None and per_order(col, table)
        for part in parts:
            seg = pd.Series(values[part])
            if only and buyers[part].any():
                seg = seg[buyers[part]]
            sd = overall_sd[col]
            # A segment none of whose customers ordered has no such habit to compare: no difference.
            none = only and not buyers[part].any()
            eff = float((seg.mean() - overall_mean[col]) / sd) if sd > 0 and not none else 0.0
            out.append(FeatureStat(col, float(seg.mean()), float(seg.median()),
                                   float(overall_mean[col]), float(overall_median[col]), round(eff, 6), only))
        return out

    by_column = dict(zip(columns, each(per_segment, list(columns), len(table))))  # columns side by side
    stats_by_seg = [{col: by_column[col][i] for col in columns} for i in range(len(parts))]
    effects = [{n: stats[n].effect for n in features.clustering} for stats in stats_by_seg]
    overall_mix = {col: _shares(categorical[col]) for col in categorical.columns}
    mixes = [tuple(CategoryMix(col, _shares(categorical[col].iloc[order[part]]), overall_mix[col])
                   for col in categorical.columns) for part in parts]
    profiles = []
    for s in range(1, k + 1):
        mask = labels == s
        stats = stats_by_seg[s - 1]
        share_c = float(mask.mean())
        share_v = float(value[mask].sum() / value.sum()) if value is not None and value.sum() > 0 else None
        cats = mixes[s - 1]
        traits = tuple(f for f, e in sorted(effects[s - 1].items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:4])
        profiles.append(Profile(
            id=s, name="", size=int(mask.sum()), share_customers=share_c, share_value=share_v,
            stats=tuple(stats.values()), categories=cats, traits=traits, actions=(),
            public=int(mask.sum()) >= min_size,
            stability=(stability or {}).get(s), unassigned=unassigned and s == k,
            without_orders=int((~ordered[mask]).sum()) if ordered is not None else 0,
            recent=int((mask & recent).sum()) if recent is not None else 0,
        ))
    return tuple(profiles)


def _shares(values: pd.Series) -> dict[str, float]:
    return {str(a): float(b) for a, b in values.value_counts(normalize=True).sort_index().items()}

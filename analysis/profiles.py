"""Segment profiles: size, value, how each feature compares with the average customer, a name made
from the data by stated rules, and a first recommendation."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .features import FeatureSet

# Words for a segment that sits well above (+) or below (-) average on a feature.
ADJECTIVES = {
    "income": ("Affluent", "Budget"),
    "total_spend": ("High-spending", "Low-spending"),
    "age": ("Older", "Younger"),
    "tenure_months": ("Long-standing", "Newer"),
    "recency_days": ("Lapsing", "Recently active"),
    "purchases": ("Frequent", "Occasional"),
    "avg_purchase": ("Big-basket", "Small-basket"),
    "deal_share": ("Deal-seeking", "Full-price"),
    "children": ("", "Child-free"),
    "web_visits": ("Web-browsing", "Rarely online"),
}
NOUNS = {"children": "families", "deal_share": "bargain hunters", "web_visits": "web browsers"}
NAME_THRESHOLD = 0.5  # standardised difference from the average needed to name a trait
NAMING_RULE = (
    "A segment's name puts together up to two adjectives for the scale features on which it differs most "
    f"from the average customer (at least {NAME_THRESHOLD} standard deviations: income, spend, age, tenure, "
    "recency, frequency, basket value, deal share) and a noun for the product category, channel or household "
    "trait most above average ('wine lovers', 'catalog shoppers', 'families'); 'customers' when none stands out."
)


@dataclass(frozen=True)
class FeatureStat:
    feature: str
    mean: float
    median: float
    overall_mean: float
    overall_median: float
    effect: float  # (segment mean - overall mean) / overall standard deviation


@dataclass(frozen=True)
class CategoryMix:
    column: str
    shares: dict[str, float]  # category -> share of the segment's customers
    overall: dict[str, float]


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    size: int
    share_customers: float
    share_value: float | None  # share of total spend (revenue) when spend is known
    stats: tuple[FeatureStat, ...]
    categories: tuple[CategoryMix, ...]
    traits: tuple[str, ...]  # features that set it apart, strongest first
    actions: tuple[str, ...]
    public: bool  # large enough to be profiled on public pages
    stability: float | None  # mean Jaccard of the segment over resamples
    unassigned: bool  # the group of customers no dense segment took

    def stat(self, feature: str) -> FeatureStat:
        return next(s for s in self.stats if s.feature == feature)


def _singular(words: str) -> str:
    """'Wines' -> 'wine', 'Meat products' -> 'meat product' (the noun before 'lovers')."""
    w = words.lower()
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


def _noun(feature: str, label: str) -> str | None:
    if feature.startswith("share_"):
        return f"{_singular(label.split(': ', 1)[1])} lovers"
    if feature.startswith("channel_"):
        return f"{label.split(': ', 1)[1].lower()} shoppers"
    return NOUNS.get(feature)


def _adjective(feature: str, label: str, effect: float) -> str:
    if feature.startswith(("share_", "channel_")):
        return ""  # a low share is not a trait worth a name
    plain = re.sub(r"\s*\([^)]*\)", "", label).strip().lower()  # 'Spending Score (1-100)' -> 'spending score'
    hi, lo = ADJECTIVES.get(feature, (f"High {plain}", f"Low {plain}"))
    return hi if effect > 0 else lo


def _is_adjective(feature: str, label: str, effect: float) -> bool:
    if abs(effect) < NAME_THRESHOLD or (effect > 0 and _noun(feature, label)):
        return False
    return bool(_adjective(feature, label, effect))


def name_segment(effects: dict[str, float], labels: dict[str, str], skip: int = 0) -> str:
    """Name from standardised differences; `skip` passes over the strongest adjectives to break ties."""
    ranked = sorted(effects.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    adjs = [_adjective(f, labels[f], e) for f, e in ranked if _is_adjective(f, labels[f], e)][skip: skip + 2]
    nouns = [(e, _noun(f, labels[f])) for f, e in ranked if e >= NAME_THRESHOLD and _noun(f, labels[f])]
    noun = max(nouns)[1] if nouns else "customers"
    if not adjs:
        return ("Typical " + noun) if noun == "customers" else noun[0].upper() + noun[1:]
    first = ", ".join([adjs[0]] + [a.lower() for a in adjs[1:]])
    return f"{first} {noun}"


def unique_names(effects: list[dict[str, float]], labels: dict[str, str]) -> list[str]:
    names: list[str] = []
    for i, eff in enumerate(effects):
        name = name_segment(eff, labels)
        skip = 1
        while name in names and skip < 4:
            name, skip = name_segment(eff, labels, skip), skip + 1
        if name in names:
            name = f"{name} ({i + 1})"
        names.append(name)
    return names


def _actions(f: FeatureSet, stats: dict[str, FeatureStat], share_c: float, share_v: float | None,
             response: float | None, overall_response: float | None) -> tuple[str, ...]:
    out: list[str] = []
    if share_v is not None and share_c > 0:
        ratio = share_v / share_c
        if ratio >= 1.5:
            out.append(f"Protect and grow: {share_v:.0%} of revenue from {share_c:.0%} of customers; "
                       "reward loyalty and give early access to new ranges.")
        elif ratio <= 0.5:
            out.append(f"Grow spend cheaply: {share_v:.0%} of revenue from {share_c:.0%} of customers; "
                       "use low-cost digital offers rather than costly contacts.")
        else:
            out.append(f"Develop: {share_v:.0%} of revenue from {share_c:.0%} of customers; "
                       "cross-sell the categories they buy less than average.")
    if response is not None and overall_response:
        idx = response / overall_response
        if idx >= 1.3:
            out.append(f"Include in the next campaign: {response:.0%} answered the latest one against "
                       f"{overall_response:.0%} overall.")
        elif idx <= 0.7:
            out.append(f"Contact less often: {response:.0%} answered the latest campaign against "
                       f"{overall_response:.0%} overall.")
    if "recency_days" in stats and stats["recency_days"].effect >= NAME_THRESHOLD:
        out.append("Win them back: a reactivation offer before they lapse for good.")
    if "deal_share" in stats and stats["deal_share"].effect >= NAME_THRESHOLD:
        out.append("Lead with discounts and bundles: they buy on deal more than most.")
    channels = [n for n in f.clustering if n.startswith("channel_")] or [n for n in stats if n.startswith("channel_")]
    if channels:
        best = max(channels, key=lambda n: (stats[n].mean, n))
        out.append(f"Reach them through the {f.doc(best).label.split(': ', 1)[1].lower()} channel "
                   f"({stats[best].mean:.0%} of their purchases).")
    return tuple(out)


ACTION_RULES = (
    "Value: revenue share divided by customer share; 1.5 or more means protect and grow, 0.5 or less means "
    "grow cheaply, otherwise develop. Campaigns: an answer rate to the latest campaign at least 1.3 times the "
    "overall rate means include in the next campaign, at most 0.7 times means contact less often. Recency or "
    f"deal share {NAME_THRESHOLD} standard deviations above average adds a win-back or discount action. "
    "The channel is the one with the largest share of the segment's purchases."
)


UNSTABLE = 0.6  # mean Jaccard below this: the segment does not reliably come back on resampling
UNASSIGNED_NAME = "Unassigned: in no dense group"


def build_profiles(features: FeatureSet, labels: np.ndarray, categorical: pd.DataFrame, min_size: int,
                   latest_answers: pd.Series | None, stability: dict[int, float] | None = None,
                   unassigned: bool = False) -> tuple[Profile, ...]:
    table = features.table
    overall_mean, overall_median, overall_sd = table.mean(), table.median(), table.std(ddof=0)
    value = table[features.value_feature] if features.value_feature == "total_spend" else None
    k = int(labels.max())
    stats_by_seg, effects = [], []
    for s in range(1, k + 1):
        part = table[labels == s]
        stats = {}
        for col in table.columns:
            sd = overall_sd[col]
            eff = float((part[col].mean() - overall_mean[col]) / sd) if sd > 0 else 0.0
            stats[col] = FeatureStat(col, float(part[col].mean()), float(part[col].median()),
                                     float(overall_mean[col]), float(overall_median[col]), round(eff, 6))
        stats_by_seg.append(stats)
        effects.append({n: stats[n].effect for n in features.clustering})
    labels_by_name = {d.name: d.label for d in features.docs}
    names = unique_names(effects, labels_by_name)
    if unassigned:
        names[-1] = UNASSIGNED_NAME
    overall_resp = float(latest_answers.mean()) if latest_answers is not None and latest_answers.notna().any() else None
    profiles = []
    for s in range(1, k + 1):
        mask = labels == s
        stats = stats_by_seg[s - 1]
        share_c = float(mask.mean())
        share_v = float(value[mask].sum() / value.sum()) if value is not None and value.sum() > 0 else None
        cats = tuple(
            CategoryMix(col, {str(a): float(b) for a, b in categorical.loc[mask, col].value_counts(normalize=True).sort_index().items()},
                        {str(a): float(b) for a, b in categorical[col].value_counts(normalize=True).sort_index().items()})
            for col in categorical.columns
        )
        traits = tuple(f for f, e in sorted(effects[s - 1].items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:4])
        resp = None
        if latest_answers is not None and overall_resp is not None:
            seg_answers = latest_answers[mask].dropna()
            resp = float(seg_answers.mean()) if len(seg_answers) else None
        profiles.append(Profile(
            id=s, name=names[s - 1], size=int(mask.sum()), share_customers=share_c, share_value=share_v,
            stats=tuple(stats.values()), categories=cats, traits=traits,
            actions=_actions(features, stats, share_c, share_v, resp, overall_resp),
            public=int(mask.sum()) >= min_size,
            stability=(stability or {}).get(s), unassigned=unassigned and s == k,
        ))
    return tuple(profiles)

"""How each segment answered past campaigns, beside all customers."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

Z95 = 1.959963984540054


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
    p_value: float | None  # chi-square test that the rate is the same in every segment


def wilson(accepted: int, n: int, z: float = Z95) -> tuple[float, float] | tuple[None, None]:
    if n == 0:
        return None, None
    p = accepted / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(answers: pd.Series, overall: float | None = None) -> Rate:
    a = answers.dropna()
    n, acc = int(len(a)), int(a.sum())
    r = acc / n if n else None
    low, high = wilson(acc, n)
    lift = r / overall if r is not None and overall else None
    return Rate(n, acc, r, low, high, lift)


def campaign_results(answers: pd.DataFrame, names: dict[str, str], labels: np.ndarray) -> tuple[CampaignResult, ...]:
    """`answers`: one 0/1 column per campaign (missing = not contacted); `names`: campaign -> column."""
    k = int(labels.max())
    out = []
    for name, col in names.items():
        overall = rate(answers[col])
        segs = tuple(rate(answers.loc[labels == s, col], overall.rate) for s in range(1, k + 1))
        table = np.array([[r.accepted, r.contacted - r.accepted] for r in segs if r.contacted])
        p = None
        if len(table) > 1 and table.sum(axis=0).min() > 0:
            p = float(chi2_contingency(table)[1])
        out.append(CampaignResult(name, col, overall, segs, p))
    return tuple(out)

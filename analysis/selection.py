"""Model search: every candidate number of segments scored, and a written rule that picks one.

Rule (stated on the methodology page): a candidate is eligible when its smallest segment holds at
least `min_segment_share` of customers. Each eligible k is ranked on four criteria: silhouette
(higher is better), Calinski-Harabasz (higher), Davies-Bouldin (lower) and closeness to the knee
of the inertia curve (the elbow). The k with the best mean rank wins; ties go to fewer segments,
which are easier to act on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from .config import Segmentation
from .errors import UserError

RULE = (
    "Among the candidates whose smallest segment holds at least {share:.0%} of customers, each k is "
    "ranked on silhouette (higher is better), Calinski-Harabasz (higher), Davies-Bouldin (lower) and "
    "closeness to the knee of the inertia curve; the k with the best mean rank is chosen, and a tie "
    "goes to fewer segments."
)


@dataclass(frozen=True)
class Candidate:
    algorithm: str
    k: int
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    inertia: float
    smallest_share: float
    eligible: bool
    mean_rank: float | None


@dataclass(frozen=True)
class Choice:
    algorithm: str
    k: int
    reason: str
    rule: str
    knee: int | None
    silhouette_sample: int | None  # customers the silhouette was computed on, when sampled


@dataclass(frozen=True)
class Search:
    candidates: tuple[Candidate, ...]
    choice: Choice
    labels: np.ndarray  # raw k-means labels of the chosen candidate
    centers: np.ndarray


def fit_kmeans(x: np.ndarray, k: int, seed: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)


def knee(ks: list[int], inertia: list[float]) -> int | None:
    """Kneedle: the k farthest below the straight line from the first to the last point of the
    normalised, decreasing inertia curve."""
    if len(ks) < 3:
        return None
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = np.array(inertia, dtype=float)
    span = y[0] - y[-1]
    if span <= 0:
        return None
    y = (y - y[-1]) / span
    gap = (1 - x) - y  # the line from (0,1) to (1,0), minus the curve
    return int(ks[int(np.argmax(gap))])


def _ranks(values: list[float], higher_is_better: bool) -> np.ndarray:
    v = np.array(values, dtype=float)
    v = -v if higher_is_better else v
    # average ranks for ties, 1 = best
    order = v.argsort(kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(1, len(v) + 1)
    for val in np.unique(v):
        tie = v == val
        ranks[tie] = ranks[tie].mean()
    return ranks


def search(x: np.ndarray, seg: Segmentation, seed: int) -> Search:
    n = len(x)
    distinct = len(np.unique(x, axis=0)) if n <= 200_000 else n
    if seg.k != "auto":
        ks = [seg.k]
    else:
        ks = [k for k in range(seg.k_min, seg.k_max + 1) if k < min(n, distinct)]
    if not ks or (seg.k != "auto" and (seg.k >= n or seg.k > distinct)):
        want = seg.k if seg.k != "auto" else seg.k_min
        raise UserError(
            f"too few usable customers to segment: {n} customers ({distinct} distinct) for k={want} segments"
        )
    sample = seg.silhouette_sample if n > seg.silhouette_sample else None
    fits, rows = {}, []
    for k in ks:
        model = fit_kmeans(x, k, seed)
        labels = model.labels_
        sizes = np.bincount(labels, minlength=k)
        sil = float(silhouette_score(x, labels, sample_size=sample, random_state=seed)) if k > 1 else float("nan")
        rows.append(dict(
            k=k, silhouette=sil, calinski_harabasz=float(calinski_harabasz_score(x, labels)),
            davies_bouldin=float(davies_bouldin_score(x, labels)), inertia=float(model.inertia_),
            smallest_share=float(sizes.min() / n),
        ))
        fits[k] = model
    knee_k = knee([r["k"] for r in rows], [r["inertia"] for r in rows])
    rule = RULE.format(share=seg.min_segment_share)
    eligible = [r for r in rows if r["smallest_share"] >= seg.min_segment_share]
    mean_rank: dict[int, float] = {}
    if seg.k != "auto":
        chosen, reason = ks[0], f"k={ks[0]} was set in the configuration."
    else:
        pool = eligible or rows
        ranks = np.vstack([
            _ranks([r["silhouette"] for r in pool], True),
            _ranks([r["calinski_harabasz"] for r in pool], True),
            _ranks([r["davies_bouldin"] for r in pool], False),
            _ranks([abs(r["k"] - knee_k) if knee_k else 0 for r in pool], False),
        ]).mean(axis=0)
        mean_rank = {r["k"]: float(m) for r, m in zip(pool, ranks)}
        best = min(pool, key=lambda r: (mean_rank[r["k"]], r["k"]))
        chosen = best["k"]
        reason = (
            f"k={chosen} has the best mean rank ({mean_rank[chosen]:.2f}) over silhouette "
            f"({best['silhouette']:.3f}), Calinski-Harabasz ({best['calinski_harabasz']:,.0f}), "
            f"Davies-Bouldin ({best['davies_bouldin']:.3f}) and the elbow (knee at k={knee_k})"
            f" among {len(pool)} candidates"
        )
        if eligible:
            reason += f" whose smallest segment holds at least {seg.min_segment_share:.0%} of customers."
        else:
            reason += f"; no candidate had every segment at {seg.min_segment_share:.0%} of customers or more."
    candidates = tuple(
        Candidate(algorithm="kmeans", eligible=r["smallest_share"] >= seg.min_segment_share,
                  mean_rank=mean_rank.get(r["k"]), **r)
        for r in rows
    )
    choice = Choice("kmeans", chosen, reason, rule, knee_k, sample)
    return Search(candidates, choice, fits[chosen].labels_.copy(), fits[chosen].cluster_centers_.copy())

"""Which clustering features carry segment structure: a written rule, measured on a sample.

Columns without segment structure (an age spread evenly over every segment, a recency that does not
depend on the segment) add the same noise to every distance and blur the segments the other columns
draw. The rule: k-means is fitted on a sample of customers for several numbers of preliminary
segments; each feature's relevance is the share of its variance that lies between those segments
(eta squared), averaged over the preliminary segmentations. The preliminary segmentations are refitted
twice with every feature weighted by its relevance (relative to the most relevant
one), so that features without structure stop steering them. A feature whose relevance is below
`MIN_RELEVANCE` is left out of the distances (weight 0); the others count fully (weight 1). At least
`MIN_KEPT` features are always kept. The user's own `features:` list is used as given.

A feature whose own values fall in two groups with a valley between them (a customer table's
incomes of two kinds of customers, beside order lines whose many features draw the preliminary
segments by what customers buy) has segment structure of its own, whatever the others draw: its
relevance is at least the share of its variance between those two groups (`own_groups`).
"""
from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from ..order import canonical_order

MIN_RELEVANCE = 0.10  # share of a feature's variance between preliminary segments
MIN_KEPT = 2
OWN_DISTINCT = 20  # a feature of fewer distinct values has gaps between its values, not valleys
OWN_SHARE = 0.05  # each of a feature's own two groups holds at least this share of the customers
OWN_MASS = 0.2  # a feature with one value this common is a mass at a point beside the rest, not two groups
PRELIMINARY_K = (3, 4, 5, 6, 8)
ROUNDS = 3  # the first on equal weights, then two reweighted
SAMPLE = 3000

RULE = (
    "Feature relevance: k-means with {ks} preliminary segments is fitted on a sample of customers; a feature's "
    "relevance is the share of its variance that lies between those segments (eta squared, averaged over the "
    "preliminary segmentations, which are refitted twice with each feature weighted by its relevance so that "
    "features without structure stop steering them); a feature whose own values fall in two groups of at least "
    "{share:.0%} of the customers each, with a border at most {valley:.0%} as dense as their centres, has at least "
    "the share of its variance between those groups. Features with relevance under {min:.0%} are left out of "
    "the distances; at least {kept} features are kept (every one, when there are no more). A features list in the "
    "configuration is used as given."
)


def rule_text() -> str:
    from .selection import VALLEY_MAX  # (see own_groups)

    return RULE.format(ks=", ".join(map(str, PRELIMINARY_K)), min=MIN_RELEVANCE, kept=MIN_KEPT, share=OWN_SHARE,
                       valley=VALLEY_MAX)


def own_groups(v: np.ndarray) -> float:
    """The share of a column's variance between its own two groups when a valley parts them, else 0.
    The groups: the split of the sorted values with the least sum of squares within (1-d k-means,
    exact); the valley: the segments' own measure (selection.valleys, at most VALLEY_MAX)."""
    from .selection import VALLEY_MAX, valleys  # (selection imports features, which imports this module)

    t = np.sort(v[np.isfinite(v)])
    n = len(t)
    values, counts = np.unique(t, return_counts=True)
    # A mass at one value (the customers who bought none of a category) beside the rest is what the
    # share or count says already, and the rule for the preliminary segments judges it.
    if n < 2 * OWN_DISTINCT or len(values) < OWN_DISTINCT or counts.max() >= OWN_MASS * n:
        return 0.0
    i = np.arange(1, n)  # the left group's size
    s1, s2 = np.cumsum(t), np.cumsum(t ** 2)
    left = s2[i - 1] - s1[i - 1] ** 2 / i
    right = (s2[-1] - s2[i - 1]) - (s1[-1] - s1[i - 1]) ** 2 / (n - i)
    k = int(i[np.argmin(left + right)])
    if min(k, n - k) < OWN_SHARE * n:  # a far tail of a few: no group a team acts on
        return 0.0
    labels = (np.arange(n) >= k).astype(np.int64)
    if max(valleys(t[:, None], labels).values()) > VALLEY_MAX:
        return 0.0
    between = (t[:k].mean() - t.mean()) ** 2 * k + (t[k:].mean() - t.mean()) ** 2 * (n - k)
    return float(between / ((t - t.mean()) ** 2).sum())


def between_share(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per column, the share of its sum of squares (around the column mean) between the groups."""
    k = int(labels.max()) + 1
    onehot = np.zeros((len(x), k))
    onehot[np.arange(len(x)), labels] = 1
    counts = onehot.sum(axis=0)
    xc = x - x.mean(axis=0)
    means = (onehot.T @ xc) / np.maximum(counts, 1)[:, None]
    between = (counts[:, None] * means ** 2).sum(axis=0)
    total = (xc ** 2).sum(axis=0)
    return np.where(total > 0, between / np.where(total > 0, total, 1.0), 0.0)


def relevance(x: np.ndarray, seed: int, sample: int = SAMPLE) -> np.ndarray:
    """Each column's relevance (0..1) by the rule above."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"relevance needs a 2-d matrix with columns, got shape {x.shape}")
    rng = np.random.default_rng(seed)
    order = canonical_order(x)  # the sample and the starts by the customers, not by the file's row order
    x = x[order[np.sort(rng.choice(len(x), sample, replace=False))] if len(x) > sample else order]
    distinct = len(np.unique(x, axis=0))
    ks = [k for k in PRELIMINARY_K if k < distinct]
    if not ks:
        return np.ones(x.shape[1])
    own = np.array([own_groups(x[:, j]) for j in range(x.shape[1])])
    w = np.ones(x.shape[1])
    score = np.zeros(x.shape[1])
    for _ in range(ROUNDS):
        rows = [between_share(x, KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x * w).labels_) for k in ks]
        score = np.maximum(np.mean(rows, axis=0), own)
        top = score.max()
        w = score / top if top > 0 else np.ones(x.shape[1])
    return score


def weights(score: np.ndarray) -> np.ndarray:
    """1 for the features the rule keeps, 0 for those it leaves out."""
    keep = score >= MIN_RELEVANCE
    if keep.sum() < min(MIN_KEPT, len(score)):
        keep[np.argsort(-score, kind="stable")[:MIN_KEPT]] = True
    return keep.astype(float)

"""Model search: every algorithm and number of segments scored, and a written rule that picks one.

The search runs on a random sample of customers (all of them when there are few), so that its
cost does not grow with n^2; the chosen model then labels every customer (see clustering).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import chi2
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from sklearn.metrics import silhouette_samples, silhouette_score

from . import clustering as cl
from .. import formatters as fmt
from ..order import canonical_order
from ..config import Segmentation
from ..ingest.cleaning import log_offset
from ..errors import UserError

NAMES = {"kmeans": "k-means", "gmm": "Gaussian mixture", "ward": "Ward hierarchical",
         "two_stage": "two-stage (Ward niches, then k-means)", "hdbscan": "HDBSCAN (density)"}
GAP_REFERENCES = 4
GAP_SAMPLE = 1000
GAP_TOLERANCE = 0.1  # one group is as good as any split when no k's gap exceeds it by more (log W: ~10%)
SUBSAMPLE = 0.8  # share of customers in each stability resample

VALLEY_MAX = 0.5  # distinct: every border between a segment and one it borders is at most this dense ...
BORDER_SHARE = 0.1  # a segment borders another whose centre is the next-nearest of this share of its customers
BORDERS = True  # compare with every bordering segment (False: the nearest by centre only, the rule before)
NO_VALLEY = 0.8  # no natural segments: the chosen model's median segment's border is at least this dense
WEAK_SILHOUETTE = 0.25  # Kaufman and Rousseeuw: mean silhouette up to 0.25, no substantial structure
NESTED = 0.9  # finer segments lie inside a split's groups: each has at least this share of its customers in one
TIERS = 3  # the fallback when there are no natural segments: value tiers (thirds)

RULE = (
    "1. Actionable: from {min_segments} to {k_max} segments, the smallest holding at least {share:.0%} of "
    "customers{shown}, and at most {unassigned:.0%} of customers left unassigned. "
    "2. Distinct: on the line through the centres of a segment and of each segment it borders (its nearest by "
    "centre, and any whose centre is the next-nearest of at least {border:.0%} of its customers), the density of "
    "customers around the border between them (the thinnest stretch of the middle 40%) is compared with the "
    "density at the thinner of the two centres; the segment is distinct when every such border holds at most "
    "{valley:.0%} of it (a valley separates the two). A candidate is distinct when all its segments are. "
    "A value many customers share (a 0/1 flag, a small count) is spread evenly up to the midpoints to its "
    "neighbouring values first, so that the gap between two such values is no valley. "
    "3. Stability: a candidate is refitted on {resamples} random subsamples of {sub:.0%} of the customers; its "
    "stability is the mean adjusted Rand index (ARI) between those solutions and its own, and at least "
    "{min_stability} is stable. "
    "4. Choice: the most segments that are all distinct and stable: distinct actionable candidates are taken "
    "from the most segments down; among those with the same k, a method that assigns every customer comes "
    "before one that leaves some unassigned (its indices are measured on the easier customers only), then the "
    "best mean rank over silhouette, Calinski-Harabasz and Davies-Bouldin; the first stable one of at most "
    "{shortlist} wins. No index votes with a "
    "bias towards few segments: a split that cuts a real segment in two leaves no valley and is not distinct. "
    "When none is, the same is done for candidates whose median segment is distinct (most segments parted by "
    "a valley from their nearest): the segments are then called weakly separated. "
    "5. No such candidate: the {shortlist} candidates with the best mean rank over silhouette, "
    "Calinski-Harabasz and Davies-Bouldin are refitted for stability, and the best mean rank over those three and "
    "stability wins (ties: higher silhouette, fewer segments, simpler method). When that candidate is not stable "
    "or its median segment has no valley (below), a candidate with fewer than {min_segments} segments that is "
    "distinct and stable (and meets every other condition) is chosen instead, as in 4: a split with a valley is "
    "natural segments, not high against low; but it never replaces stable, weakly separated actionable segments, "
    "which may lie inside its groups, nor a stable candidate each of whose segments lies inside one of its groups "
    "(at least {nested:.0%} of its customers) and that parts customers better (a higher silhouette): its segments "
    "are then weakly separated inside the valley's groups. When the gap statistic puts one "
    "group (k = 1) within one standard error (and within {gap_tol}) of every k, or when the chosen candidate's "
    "median segment has no valley (its border at least {no_valley:.0%} as dense as the centres), the report says "
    "there are no natural segments{fallback}; otherwise that the segments are weakly separated, and how much "
    "they overlap."
)
# What each index says about k, and why the rule does not simply follow it (for the methodology page).
INDEX_NOTES = {
    "silhouette": ("Silhouette (highest)", "Favours few, large segments, the more so when some columns carry no "
                   "segment signal; ranks candidates within a k and in the weak case."),
    "calinski_harabasz": ("Calinski-Harabasz (highest)", "Rises or falls with k depending on the data's shape "
                          "rather than on its segments; ranks candidates within a k and in the weak case."),
    "davies_bouldin": ("Davies-Bouldin (lowest)", "Favours few segments when they are of unequal spread; ranks "
                       "candidates within a k and in the weak case."),
    "bic": ("BIC of the Gaussian mixtures (lowest)", "Counts a skewed or curved segment as several Gaussian "
            "components, so it tends to too many segments on customer data."),
    "gap": ("Gap statistic (Tibshirani's rule)", "Stops at the first k that is not clearly improved on, which "
            "misses segments nested inside larger groups; used to recognise data without segments."),
    "knee": ("Knee of the k-means elbow", "A visual heuristic without a test; shown for reference."),
    "valley": ("Valleys (the rule)", "The most segments that are each separated from every segment they border "
               "by a valley of fewer customers; a split of a real segment leaves no valley."),
}

FALLBACK_TEXT = " and customers are grouped into {tiers} {name} (thirds by {value}) instead"
NO_FALLBACK_TEXT = " and the segments shown are one way of dividing a continuum"

STRUCTURE_TEXT = {
    "clear": "Every segment is separated from the segments it borders by a valley of fewer customers: the segments are "
             "really there.",
    "weak": "The segments overlap: between some of them there is no valley of fewer customers, so customers "
            "near a border could as well belong to the neighbouring segment. Treat the segments as a useful "
            "division of a continuum rather than as sharply distinct groups.",
    "none": "The data shows no natural segments: the customers form one continuum, with no valley of fewer "
            "customers between any way of dividing them (or no more grouped than structureless data of the same "
            "shape).",
}




def structure_note(structure: str, seg: Segmentation, best: dict | None = None) -> str:
    """STRUCTURE_TEXT, but with k set in the config only that number of segments was looked at: no
    valley between them says nothing of other ways of dividing the customers; and segments that all
    have valleys are weak for another reason, said as it is (`best`: the chosen candidate)."""
    parted = structure == "weak" and best is not None and best["valley"] is not None and best["valley"] <= VALLEY_MAX
    if parted:
        if best["silhouette"] <= WEAK_SILHOUETTE:
            return ("Every segment is separated from those it borders by a valley of fewer customers, but the "
                    "segments lie close together: customers are on average little nearer their own segment's "
                    f"customers than the next segment's (silhouette {best['silhouette']:.2f}; up to "
                    f"{WEAK_SILHOUETTE} is no substantial structure), so customers near a border could as well "
                    "belong to the neighbouring segment. Treat the segments as a useful division rather than as "
                    "sharply distinct groups.")
        if best.get("stability", 1.0) < seg.min_stability:
            return ("Every segment is separated from those it borders by a valley of fewer customers, but refitted "
                    f"on subsamples of the customers the segments change (stability {best['stability']:.2f}, under "
                    f"{seg.min_stability}): treat them as indicative rather than as sharply distinct groups.")
    # Some segments parted by valleys and some not: how many of each, not all of them called a continuum.
    without = [v for v in (best or {}).get("valleys", {}).values() if v > VALLEY_MAX] if structure == "weak" else []
    if without and len(without) < len(best["valleys"]):
        n, k = len(without), len(best["valleys"])
        return (f"The segments overlap in part: {n} of the {k} {'has' if n == 1 else 'have'} no valley of fewer "
                "customers on some border, so customers near those borders could as well belong to the neighbouring "
                f"segment; treat {'it' if n == 1 else 'them'} as a division of a continuum rather than as a sharply "
                f"distinct group. The other {k - n} {'is' if k - n == 1 else 'are'} separated from every segment "
                f"{'it borders' if k - n == 1 else 'they border'} by a valley.")
    if structure == "none" and seg.k != "auto":
        return (f"The {seg.k} segments set in the configuration (segmentation.k) are not separated by valleys of "
                "fewer customers: they divide a continuum. Other numbers of segments were not looked at; with "
                "k: auto the search looks for segments that are really there.")
    return STRUCTURE_TEXT[structure]


@dataclass(frozen=True)
class Candidate:
    algorithm: str
    k: int
    params: dict
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    inertia: float | None
    bic: float | None
    smallest_share: float
    unassigned_share: float
    eligible: bool
    why_not: str  # why it is not actionable ('' when it is)
    separation_rank: float | None
    stability: float | None  # mean ARI over resamples (shortlisted candidates only)
    stability_sd: float | None
    final_rank: float | None
    valley: float | None = None  # the largest border-to-centre density ratio of its segments (distinct: <= VALLEY_MAX)


@dataclass(frozen=True)
class Choice:
    algorithm: str
    k: int
    reason: str
    rule: str
    knee: int | None
    gap_k: int | None
    sample: int  # customers the search ran on
    n: int  # customers segmented
    structure: str = "clear"  # clear | weak | none (no natural segments)
    structure_note: str = ""  # the same in plain words
    votes: tuple[tuple[str, int | None], ...] = ()  # (index, the k it prefers) for the methodology page
    valleys: dict = field(default_factory=dict)  # raw label -> border-to-centre density ratio, chosen model
    overlap: float | None = None  # share of sampled customers closer on average to another segment (silhouette < 0)
    silhouette: float | None = None  # mean silhouette of the chosen model on the sample
    gap_none: bool = False  # the gap statistic finds one group as good as any split
    fallback: str | None = None  # 'value_tiers' | 'pc_tiers' when the labels are tiers, not segments
    smaller_split: str = ""  # a finer split left out only for a segment under min_segment_share, in words ('' if none)
    tiers_by: str = ""  # what the tiers are cut by ('total spend', 'income', ...); '' when the labels are no tiers
    set_in_config: str = ""  # what the configuration fixed: '', 'k', or 'k and algorithm'

    @property
    def tiers_name(self) -> str:
        """'value tiers' cut by a measure of value; plain 'tiers' along the first principal component
        (a table with neither spend nor income has no value to tier by)."""
        return "value tiers" if self.fallback == "value_tiers" else "tiers"


@dataclass(frozen=True)
class Diagnostics:
    """Evidence for the methodology page, computed on the search sample."""

    gap: tuple[tuple[int, float, float], ...]  # (k, gap, sd) for k-means
    dendrogram: dict  # Ward tree's last merges: icoord, dcoord, leaf sizes
    silhouette_profile: dict  # segment (raw label) -> silhouette quantiles of the chosen solution
    jaccard: dict  # raw label -> mean Jaccard over resamples of the chosen solution


@dataclass(frozen=True)
class Search:
    candidates: tuple[Candidate, ...]
    choice: Choice
    labels: np.ndarray  # raw labels of every customer under the chosen model (-1 = unassigned)
    sample_idx: np.ndarray  # rows the search ran on
    sample_labels: np.ndarray  # their raw labels in the chosen fit (the diagnostics' keys)
    diagnostics: Diagnostics = field(repr=False)


# ---------------------------------------------------------------- helpers

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


def ranks(values: list[float], higher_is_better: bool) -> np.ndarray:
    """Average ranks, 1 = best."""
    v = np.array(values, dtype=float)
    v = -v if higher_is_better else v
    order = v.argsort(kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for val in np.unique(v):
        tie = v == val
        r[tie] = r[tie].mean()
    return r


def _scores(x: np.ndarray, dist: np.ndarray | None, labels: np.ndarray, seed: int) -> tuple[float, float, float]:
    keep = labels >= 0
    lab = labels[keep]
    if len(np.unique(lab)) < 2:
        return float("nan"), float("nan"), float("nan")
    if dist is not None:
        d = dist if keep.all() else dist[np.ix_(keep, keep)]
        sil = float(cl.silhouettes(d, lab).mean())
    else:
        sil = float(silhouette_score(x[keep], lab, sample_size=min(len(lab), 5000), random_state=seed))
    return sil, float(calinski_harabasz_score(x[keep], lab)), float(davies_bouldin_score(x[keep], lab))


def gap_statistic(x: np.ndarray, ks: list[int], seed: int
                  ) -> tuple[list[tuple[int, float, float]], int | None, bool]:
    """Tibshirani's gap for k-means, references uniform in the principal-axes box of the data.

    Returns the rows (k, gap, sd) for k = 1 and every k in ks, the k of Tibshirani's rule (the smallest
    k >= 2 whose gap is within one standard error of the next; None when no k qualifies), and whether
    one group (k = 1) is within one standard error (and GAP_TOLERANCE) of every k's gap: no structure
    beyond the reference's."""
    rng = np.random.default_rng(seed)
    if len(x) > GAP_SAMPLE:
        x = x[np.sort(rng.choice(len(x), GAP_SAMPLE, replace=False))]
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    z = xc @ vt.T
    lo, hi = z.min(axis=0), z.max(axis=0)
    refs = [rng.uniform(lo, hi, size=z.shape) @ vt for _ in range(GAP_REFERENCES)]

    def log_w(a: np.ndarray, k: int) -> float:
        if k == 1:
            return float(np.log(max(((a - a.mean(axis=0)) ** 2).sum(), 1e-12)))
        return float(np.log(max(cl.kmeans(a, k, seed, n_init=2).inertia, 1e-12)))

    rows = []
    for k in [1] + list(ks):
        w = log_w(x, k)
        wr = np.array([log_w(r, k) for r in refs])
        rows.append((k, float(wr.mean() - w), float(wr.std() * np.sqrt(1 + 1 / GAP_REFERENCES))))
    multi = rows[1:]
    best = next((multi[i][0] for i in range(len(multi) - 1) if multi[i][1] >= multi[i + 1][1] - multi[i + 1][2]),
                None)
    one = rows[0][1]
    none = bool(multi) and all(one >= g - max(sd, GAP_TOLERANCE) for _, g, sd in multi)
    return multi, best, none


def neighbours(x: np.ndarray, labels: np.ndarray, c: np.ndarray, ids: list[int]) -> list[list[int]]:
    """For each segment, the segments it borders: its nearest by centre, and every segment whose centre is
    the nearest other centre of at least BORDER_SHARE of its customers. A segment cut in two beside a third
    has the third as its nearest by centre, yet most of its customers' next centre is its other half:
    comparing it with its nearest alone never looks at the cut."""
    d = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    out = []
    for a, s in enumerate(ids):
        dc = ((c - c[a]) ** 2).sum(axis=1)
        dc[a] = np.inf
        near = [int(np.argmin(dc))]
        own = d[labels == s]  # a copy: boolean indexing
        if BORDERS and len(own):
            own[:, a] = np.inf
            share = np.bincount(own.argmin(axis=1), minlength=len(ids)) / len(own)
            near += [int(b) for b in np.flatnonzero(share >= BORDER_SHARE) if b != near[0]]
        out.append(near)
    return out


def valleys(x: np.ndarray, labels: np.ndarray) -> dict[int, float]:
    """For each segment, how dense the border to the segments it borders is, against the segments' centres.

    For each bordering segment (see `neighbours`), customers of the two segments are projected on the line
    through their centres (0 at the segment's, 1 at the neighbour's), with the customers a density method
    leaves unassigned, who often lie on the border. The density at a point is the count within 0.1 of it;
    the border's is the lowest over 0.3..0.7, the centres' the lower of those at 0 and 1. A ratio well under
    1 means a valley of fewer customers between the two; near or above 1, one continuum cut in two. The
    border's count is taken one standard error (its square root) high, so that noise in a small sample is
    no valley. A segment's value is its densest border: it is distinct only where every border is a valley."""
    ids = [int(s) for s in np.unique(labels[labels >= 0])]
    if len(ids) < 2:
        return {}
    c = np.vstack([x[labels == s].mean(axis=0) for s in ids])
    out = {}
    mids = np.arange(0.30, 0.7001, 0.05)
    for a, (s, near) in enumerate(zip(ids, neighbours(x, labels, c, ids))):
        ratios = []
        for b in near:
            u = c[b] - c[a]
            uu = float(u @ u)
            if uu == 0:
                ratios.append(1.0)
                continue
            m = (labels == s) | (labels == ids[b]) | (labels < 0)  # the unassigned count where they lie
            t = np.sort((x[m] - c[a]) @ u / uu)

            def count(at: float) -> int:
                return int(np.searchsorted(t, at + 0.1, "left") - np.searchsorted(t, at - 0.1, "left"))

            centre = min(count(0.0), count(1.0))
            border = min(count(v) for v in mids)
            # The thinnest of nine stretches is an optimistic guess of the border: take it one standard error
            # high, by the exact (Garwood) one-sided Poisson bound: about border + sqrt(border) for large
            # counts, but 1.84 rather than 0 for an empty stretch, so that a small sample does not make
            # valleys out of noise (an empty border beside a centre of one or two customers is no evidence).
            ratios.append(float(poisson_upper(border) / max(centre, 1)))
        out[s] = max(ratios)
    return out


def dequantized(x: np.ndarray, seed: int) -> np.ndarray:
    """x with every repeated value of a column spread evenly over its cell: from the midpoint to the next
    lower value of that column to the midpoint to the next higher one (as wide on the open side).

    A column that takes few values (a 0/1 flag, a count of support tickets, a one-hot category) has no
    customers between its values: that gap is the column's resolution, not a valley of fewer customers.
    Spread over their cells (uniform dequantization, as in density estimation for discrete data), such
    values tile the line, so a split between two of them shows a valley only where the customers thin
    out. A column whose values are all different is left as it is."""
    rng = np.random.default_rng(seed)
    out = np.array(x, dtype=float, copy=True)
    for j in range(out.shape[1]):
        u, inv = np.unique(out[:, j], return_inverse=True)
        if len(u) < 2 or len(u) == len(out):
            continue
        mid = (u[1:] + u[:-1]) / 2
        lo = np.concatenate([[2 * u[0] - mid[0]], mid])
        hi = np.concatenate([mid, [2 * u[-1] - mid[-1]]])
        out[:, j] = lo[inv] + rng.random(len(out)) * (hi - lo)[inv]
    return out


ONE_SE = 0.8413447  # one-sided coverage of one standard error of a normal


def poisson_upper(count: int) -> float:
    """The exact one-sided upper bound, at one standard error's coverage, of a Poisson mean from a count."""
    return float(chi2.ppf(ONE_SE, 2 * (count + 1)) / 2)


def tiers(value: np.ndarray, n_tiers: int = TIERS) -> np.ndarray:
    """The fallback labels: tiers of (nearly) equal size by value, 0 = the highest; ties stay together."""
    value = np.asarray(value, dtype=float)
    if value.ndim != 1 or len(value) < n_tiers:
        raise ValueError(f"tiers need one value per customer and at least {n_tiers} customers, got shape {value.shape}")
    rank = (-value).argsort(kind="stable").argsort(kind="stable")
    labels = (rank * n_tiers) // len(value)
    # customers with the same value share the tier most of them are in
    _, inverse = np.unique(value, return_inverse=True)
    lowest = np.full(inverse.max() + 1, n_tiers, dtype=int)
    np.minimum.at(lowest, inverse, labels)
    return lowest[inverse]


def _jaccard(ref: np.ndarray, other: np.ndarray) -> dict[int, float]:
    """For each reference segment, its best Jaccard overlap with a segment of the other solution."""
    out = {}
    for s in np.unique(ref[ref >= 0]):
        a = ref == s
        best = 0.0
        for t in np.unique(other[other >= 0]):
            b = other == t
            best = max(best, (a & b).sum() / (a | b).sum())
        out[int(s)] = float(best)
    return out


def refit(algorithm: str, k: int, params: dict, x: np.ndarray, seed: int) -> cl.Fit | None:
    if k >= len(np.unique(x, axis=0)):
        return None  # a subsample too small for k segments cannot reproduce them
    if algorithm == "kmeans":
        # The fit's own number of starts: stability is that of the procedure that made the segments (a
        # resample fitted with fewer starts fails for its own reasons, and the segment reads unstable).
        return cl.kmeans(x, k, seed, n_init=params.get("n_init", cl.N_INIT))
    if algorithm == "gmm":
        return cl.gmm(x, k, seed)
    if algorithm == "ward":
        return cl.ward(cl.ward_tree(x), k)
    if algorithm == "two_stage":
        return cl.two_stage(x, cl.ward_tree(x), k, seed)
    return cl.hdbscan(x, params["min_cluster_size"])


def stability(fit: cl.Fit, x: np.ndarray, resamples: int, seed: int) -> tuple[float, float, dict[int, float]]:
    """Mean and sd of the ARI between the fit and refits on subsamples, and per-segment Jaccard."""
    rng = np.random.default_rng(seed + 1)
    aris, jac = [], {int(s): [] for s in np.unique(fit.labels[fit.labels >= 0])}
    for b in range(resamples):
        idx = np.sort(rng.choice(len(x), int(SUBSAMPLE * len(x)), replace=False))
        sub = refit(fit.algorithm, fit.k, fit.params, x[idx], seed + 100 + b)
        if sub is None:
            aris.append(0.0)
            for s in jac:
                jac[s].append(0.0)
            continue
        other = cl.extend(sub, x[idx], x)
        aris.append(adjusted_rand_score(fit.labels, other))
        for s, v in _jaccard(fit.labels, other).items():
            jac[s].append(v)
    return float(np.mean(aris)), float(np.std(aris)), {s: float(np.mean(v)) for s, v in jac.items()}


def _dendrogram(tree: np.ndarray, leaves: int = 30) -> dict:
    from scipy.cluster.hierarchy import dendrogram

    d = dendrogram(tree, truncate_mode="lastp", p=leaves, no_plot=True)
    return {"icoord": [[round(v, 2) for v in row] for row in d["icoord"]],
            "dcoord": [[round(v, 3) for v in row] for row in d["dcoord"]],
            "leaves": [str(v) for v in d["ivl"]]}


def _silhouette_profile(dist, x, labels, seed) -> dict:
    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        return {}
    if dist is not None:
        s = cl.silhouettes(dist if keep.all() else dist[np.ix_(keep, keep)], labels[keep])
    else:
        s = silhouette_samples(x[keep], labels[keep])
    qs = np.linspace(0, 1, 41)
    return {int(g): [round(float(v), 4) for v in np.quantile(s[labels[keep] == g], qs)]
            for g in np.unique(labels[keep])}


# ---------------------------------------------------------------- the search

def _candidates(x: np.ndarray, seg: Segmentation, ks: list[int], algos: list[str], seed: int,
                tree: np.ndarray, dist: np.ndarray | None = None) -> list[cl.Fit]:
    fits: list[cl.Fit] = []
    niches = cl.find_niches(x, tree, dist) if "two_stage" in algos else []
    for a in algos:
        if a == "hdbscan":
            if seg.k != "auto":
                continue
            if seg.min_cluster_size == "auto":
                sizes = [max(10, int(len(x) * 0.03))]
            else:
                sizes = [seg.min_cluster_size]
            sizes = [m for m in sizes if 2 * m <= len(x)]  # two dense groups must fit in the sample
            fits += [cl.hdbscan(x, m) for m in sizes]
            continue
        for k in ks:
            if a == "kmeans":
                fits.append(cl.kmeans(x, k, seed))
            elif a == "gmm":
                fits.append(cl.gmm(x, k, seed))
            elif a == "ward":
                fits.append(cl.ward(tree, k))
            elif a == "two_stage":
                f = cl.two_stage(x, tree, k, seed, niches)
                if f is not None:
                    fits.append(f)
    return fits


def search(x_all: np.ndarray, seg: Segmentation, seed: int, value: np.ndarray | None = None,
           fallback: bool = False, refit=None, value_name: str = "total spend", shown: int = 0) -> Search:
    """Every candidate scored and one chosen by RULE. With `fallback`, data without natural segments
    (and k: auto) is grouped into value tiers instead: by `value` (one per row of x_all, e.g. total
    spend) or, without one, by the first principal component. `shown`: the fewest customers a segment
    the pages describe holds (report.min_segment_size); a segment under it is no actionable one."""
    n = len(x_all)
    rng = np.random.default_rng(seed)
    # The search's customers in an order of their own, not the file's: the same customers, however
    # their rows are sorted, give the same sample, the same starts and so the same segments.
    canon = canonical_order(x_all)
    sample_idx = canon if n <= seg.search_sample else canon[np.sort(rng.choice(n, seg.search_sample, replace=False))]
    x = x_all[sample_idx]
    distinct = len(np.unique(x, axis=0))
    if seg.k != "auto":
        ks = [seg.k]
        if seg.k >= n or seg.k > distinct:
            raise UserError(f"too few usable customers to segment: {n} customers ({distinct} distinct in the "
                            f"search sample) for k={seg.k} segments")
    else:
        ks = [k for k in range(seg.k_min, seg.k_max + 1) if k < min(len(x), distinct)]
        if not ks:
            raise UserError(f"too few usable customers to segment: {n} customers ({distinct} distinct) for "
                            f"k={seg.k_min} segments")
    algos = list(cl.ALGORITHMS) if seg.algorithm == "auto" else [seg.algorithm]
    tree = cl.ward_tree(x)  # for Ward, the two-stage scheme and the dendrogram
    dist = squareform(pdist(x)).astype(np.float32) if len(x) <= 6000 else None
    fits = _candidates(x, seg, ks, algos, seed, tree, dist)

    rows = []
    for f in fits:
        sil, ch, db = _scores(x, dist, f.labels, seed)
        assigned = f.labels[f.labels >= 0]
        sizes = np.bincount(assigned, minlength=max(f.k, 1)) if len(assigned) else np.array([0])
        smallest = float(sizes.min() / len(x)) if f.k else 0.0
        unassigned = float((f.labels < 0).mean())
        why = []
        if seg.k == "auto" and f.k < seg.min_segments:
            why.append(f"fewer than {seg.min_segments} segments")
        if seg.k == "auto" and f.k > seg.k_max:
            why.append(f"more than {seg.k_max} segments")
        if smallest < seg.min_segment_share:
            why.append(f"a segment under {seg.min_segment_share:.0%}")
        tiny = bool(f.k) and sizes.min() < seg.min_segment_customers
        if tiny:
            why.append(f"a segment under {seg.min_segment_customers} customers")
        hidden = seg.k == "auto" and bool(f.k) and sizes.min() * n / len(x) < shown  # (sizes of the sample, scaled)
        if hidden and not tiny:
            why.append(f"a segment under {shown} customers, too few for the pages to show")
        if unassigned > seg.max_unassigned_share:
            why.append(f"{unassigned:.0%} unassigned")
        if np.isnan(sil):
            why.append("fewer than two groups")
        rows.append(dict(fit=f, silhouette=sil, calinski_harabasz=ch, davies_bouldin=db, smallest_share=smallest,
                         unassigned_share=unassigned, why_not="; ".join(why), tiny=tiny, hidden=hidden))

    # Where no candidate meets every condition, any with two groups will do, but never one with a
    # segment under the minimum size in customers, nor one the pages cannot show all of where another can.
    pool = [r for r in rows if not r["why_not"]]
    if not pool:
        pool = [r for r in rows if not np.isnan(r["silhouette"]) and not r["tiny"]]
        pool = [r for r in pool if not r["hidden"]] or pool
    if not pool and any(r["tiny"] for r in rows):
        raise UserError(f"no segmentation found: the {n} customers give no split into segments of at least "
                        f"{seg.min_segment_customers} customers (segmentation.min_segment_customers)")
    if not pool:
        raise UserError(f"no segmentation found: the {n} customers show fewer than two distinct groups")
    spread = dequantized(x, seed)
    for r in rows:
        r["valleys"] = valleys(spread, r["fit"].labels)
        r["valley"] = max(r["valleys"].values()) if r["valleys"] else None
    sep = np.vstack([ranks([r["silhouette"] for r in pool], True),
                     ranks([r["calinski_harabasz"] for r in pool], True),
                     ranks([r["davies_bouldin"] for r in pool], False)]).mean(axis=0)
    for r, v in zip(pool, sep):
        r["separation_rank"] = float(v)

    def stable(r: dict) -> bool:
        if "stability" not in r:
            r["stability"], r["stability_sd"], r["jaccard"] = stability(r["fit"], x, seg.stability_resamples, seed)
        return r["stability"] >= seg.min_stability

    km = sorted([r for r in rows if r["fit"].algorithm == "kmeans"], key=lambda r: r["fit"].k)
    knee_k = knee([r["fit"].k for r in km], [r["fit"].inertia for r in km]) if km else None
    gap_rows, gap_k, gap_none = (gap_statistic(x, ks, seed) if seg.k == "auto" and "kmeans" in algos
                                 else ([], None, False))

    # 4. the most segments that are all distinct and stable
    distinct = sorted([r for r in pool if r["valley"] is not None and r["valley"] <= VALLEY_MAX],
                      key=lambda r: (-r["fit"].k, r["unassigned_share"], r["separation_rank"],
                                     cl.SIMPLICITY[r["fit"].algorithm]))
    best = next((r for r in distinct[: seg.shortlist] if stable(r)), None)
    short, winners = [], []
    if best is not None:
        structure = "clear"
    else:
        # 4b. the most segments that are mostly distinct (the median segment parted by a valley) and stable
        mostly = sorted([r for r in pool if r["valleys"] and _median_valley(r) <= VALLEY_MAX and r not in distinct],
                        key=lambda r: (-r["fit"].k, r["unassigned_share"], r["separation_rank"],
                                       cl.SIMPLICITY[r["fit"].algorithm]))
        best = next((r for r in mostly[: seg.shortlist] if stable(r)), None)
        if best is not None:
            best["mostly"] = True
            structure = "weak"
    if best is None:
        # 5. no distinct candidate: weakly separated segments, or none at all
        short = sorted(pool, key=lambda r: (r["separation_rank"], r["fit"].k, cl.SIMPLICITY[r["fit"].algorithm]))
        short = short[: seg.shortlist]
        winners = [r for r in short if stable(r)]
        if not winners:  # no reproducible structure: the most stable candidate is the least arbitrary
            winners = [max(short, key=lambda r: (r["stability"], -r["fit"].k, -cl.SIMPLICITY[r["fit"].algorithm]))]
        final = np.vstack([ranks([r["silhouette"] for r in winners], True),
                           ranks([r["calinski_harabasz"] for r in winners], True),
                           ranks([r["davies_bouldin"] for r in winners], False),
                           ranks([r["stability"] for r in winners], True)]).mean(axis=0)
        for r, v in zip(winners, final):
            r["final_rank"] = float(v)
        best = min(winners, key=lambda r: (r["final_rank"], -r["silhouette"], r["fit"].k,
                                           cl.SIMPLICITY[r["fit"].algorithm]))
        structure = "none" if gap_none or _median_valley(best) >= NO_VALLEY else "weak"
        few = _fewer(rows, seg, stable) if structure == "none" or best["stability"] < seg.min_stability else None
        if few is not None and _inside(best, few, seg, stable):
            # The valley's groups hold finer segments: kept, weakly separated, with the groups they lie in.
            best["inside"], structure, few = few, "weak", None
        if few is not None:  # chosen: actionable after all, as the rule says (no "fewer than" shown)
            for r in winners:
                r.pop("final_rank", None)
            best, structure, short, winners = few, "clear", [], []
            best["why_not"], best["few"] = "", True
    if structure == "clear":
        best["final_rank"] = 1.0
    if structure == "clear" and (best["silhouette"] <= WEAK_SILHOUETTE or best["stability"] < seg.min_stability):
        structure = "weak"
    fit = best["fit"]

    votes = _votes(pool, gap_k, knee_k, distinct or ([best] if structure == "clear" else []))
    use_tiers = fallback and structure == "none" and seg.k == "auto" and len(x_all) >= TIERS
    if use_tiers and value is not None and len(np.unique(tiers(value))) < TIERS:
        value = None  # ties leave fewer tiers (nobody spent anything): tiers along the first component instead
    if fallback:
        what = value_name if value is not None else "the first principal component"
        fb = FALLBACK_TEXT.format(tiers=TIERS, value=what, name="value tiers" if value is not None else "tiers")
    else:
        fb = NO_FALLBACK_TEXT
    rule = RULE.format(min_segments=seg.min_segments, k_max=seg.k_max, share=seg.min_segment_share,
                       shown=f" and {shown:,} customers (the pages show no smaller segment)" if shown else "",
                       unassigned=seg.max_unassigned_share, shortlist=seg.shortlist,
                       resamples=seg.stability_resamples, sub=SUBSAMPLE, min_stability=seg.min_stability,
                       valley=VALLEY_MAX, no_valley=NO_VALLEY, fallback=fb, gap_tol=GAP_TOLERANCE,
                       border=BORDER_SHARE, nested=NESTED)
    reason = _reason(best, winners or [best], short or [best], pool, seg, structure)

    small = _smaller_split(rows, fit.k, seg, stable) if seg.k == "auto" else ""
    sample_labels = fit.labels
    jaccard = best.get("jaccard", {})
    if use_tiers:
        score = np.asarray(value, dtype=float) if value is not None else _first_component(x, x_all)
        labels_all = tiers(score)
        sample_labels = labels_all[sample_idx]
        jaccard = {}
        reason = (f"No natural segments (best candidate: {NAMES[fit.algorithm]} with {fit.k} segments, "
                  f"silhouette {best['silhouette']:.3f}). Customers are grouped into {TIERS} "
                  f"{'value tiers' if value is not None else 'tiers'} of "
                  f"{fmt.equal_size(np.bincount(labels_all))} size by {what} instead.")
    elif len(x) == n:  # fitted on every customer: the fit is the answer, put back in the file's order
        labels_all = np.empty(n, dtype=np.asarray(fit.labels).dtype)
        labels_all[sample_idx] = fit.labels
    else:
        # The final fit on every customer: the engine's (`refit`), else this machine's.
        labels_all = (refit or cl.refit_all)(fit, x, x_all, seed)
    reason += small
    sil_all = _silhouette_values(dist, x, sample_labels)
    overlap = float((sil_all < 0).mean()) if sil_all is not None else None
    candidates = tuple(
        Candidate(algorithm=r["fit"].algorithm, k=r["fit"].k,
                  params={k: v for k, v in r["fit"].params.items() if k != "components"},
                  silhouette=r["silhouette"], calinski_harabasz=r["calinski_harabasz"],
                  davies_bouldin=r["davies_bouldin"], inertia=r["fit"].inertia, bic=r["fit"].bic,
                  smallest_share=r["smallest_share"], unassigned_share=r["unassigned_share"],
                  eligible=not r["why_not"], why_not=r["why_not"], separation_rank=r.get("separation_rank"),
                  stability=r.get("stability"), stability_sd=r.get("stability_sd"), final_rank=r.get("final_rank"),
                  valley=r["valley"])
        for r in rows
    )
    diag = Diagnostics(gap=tuple(gap_rows), dendrogram=_dendrogram(tree),
                       silhouette_profile=_silhouette_profile(dist, x, sample_labels, seed), jaccard=jaccard)
    choice = Choice(
        "tiers" if use_tiers else fit.algorithm, TIERS if use_tiers else fit.k, reason, rule, knee_k, gap_k,
        len(x), n, structure=structure, structure_note=structure_note(structure, seg, best), votes=votes,
        valleys={} if use_tiers else best["valleys"], overlap=overlap,
        silhouette=float(sil_all.mean()) if sil_all is not None and len(sil_all) else None, gap_none=gap_none,
        fallback=("value_tiers" if value is not None else "pc_tiers") if use_tiers else None,
        tiers_by=what if use_tiers else "", smaller_split=small.strip(),
        set_in_config="" if seg.k == "auto" else "k" if seg.algorithm == "auto" else "k and algorithm")
    return Search(candidates, choice, np.asarray(labels_all), sample_idx, sample_labels, diag)


def _votes(pool: list, gap_k: int | None, knee_k: int | None, distinct: list) -> tuple:
    """The k each index prefers among the actionable candidates (any method)."""
    def arg(key, sign):
        vals = [r for r in pool if not np.isnan(r[key])]
        return max(vals, key=lambda r: (sign * r[key], -r["fit"].k))["fit"].k if vals else None

    gmm = [r for r in pool if r["fit"].bic is not None]
    return (
        ("silhouette", arg("silhouette", 1)),
        ("calinski_harabasz", arg("calinski_harabasz", 1)),
        ("davies_bouldin", arg("davies_bouldin", -1)),
        ("bic", min(gmm, key=lambda r: r["fit"].bic)["fit"].k if gmm else None),
        ("gap", gap_k),
        ("knee", knee_k),
        ("valley", distinct[0]["fit"].k if distinct else None),
    )


def _first_component(x: np.ndarray, x_all: np.ndarray) -> np.ndarray:
    """Every customer's score on the sample's first principal component, signed so that it grows with
    the column sums (more of everything scores higher)."""
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    v = vt[0] if vt[0].sum() >= 0 else -vt[0]
    return (x_all - mean) @ v


def _silhouette_values(dist, x, labels) -> np.ndarray | None:
    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        return None
    if dist is not None:
        return cl.silhouettes(dist if keep.all() else dist[np.ix_(keep, keep)], labels[keep])
    return silhouette_samples(x[keep], labels[keep])



def _median_valley(r: dict) -> float:
    return float(np.median(list(r["valleys"].values()))) if r["valleys"] else 1.0


def _inside(fine: dict, coarse: dict, seg: Segmentation, stable) -> bool:
    """Actionable segments inside the groups a valley parts (fewer than min_segments of them): stable,
    each segment NESTED in one group, and better separated than the groups alone (a higher silhouette;
    cutting a round group in two lowers it). A valley between two large groups says nothing against
    such segments (an e-shop's electronics and fashion buyers inside its occasional customers)."""
    a, b = fine["fit"].labels, coarse["fit"].labels
    if fine["unassigned_share"] > 0 or fine["fit"].k < seg.min_segments or fine["silhouette"] <= coarse["silhouette"]:
        return False
    for s in np.unique(a):
        _, counts = np.unique(b[a == s], return_counts=True)
        if counts.max() < NESTED * counts.sum() * (1 - 1e-9):
            return False
    return stable(fine)


def _fewer(rows: list, seg: Segmentation, stable) -> dict | None:
    """Fewer natural segments than min_segments: a split with a valley is no split of high from low
    (the reason k = 2 is not actionable), so when the actionable candidates show no stable structure,
    a distinct and stable one whose only fault is its number of segments is chosen rather than calling
    the data structureless. Never before stable, weakly separated actionable segments: a valley between
    two large groups says nothing against finer segments inside them."""
    if seg.k != "auto":
        return None
    few = [r for r in rows if r["fit"].k >= 2 and r["why_not"] == f"fewer than {seg.min_segments} segments"
           and r["valley"] is not None and r["valley"] <= VALLEY_MAX]
    if not few:
        return None
    rank = np.vstack([ranks([r["silhouette"] for r in few], True),
                      ranks([r["calinski_harabasz"] for r in few], True),
                      ranks([r["davies_bouldin"] for r in few], False)]).mean(axis=0)
    for r, v in zip(few, rank):
        r["separation_rank"] = float(v)
    few.sort(key=lambda r: (-r["fit"].k, r["unassigned_share"], r["separation_rank"], cl.SIMPLICITY[r["fit"].algorithm]))
    return next((r for r in few[: seg.shortlist] if stable(r)), None)


def _smaller_split(rows: list, k: int, seg: Segmentation, stable) -> str:
    """A split into more segments whose groups are parted by valleys and that is stable (`stable(row)`),
    left out only because one of them is under min_segment_share: said, so that a small distinct group is
    not folded away unseen (a niche of big spenders, say). An unstable one is not: lowering the minimum
    would not make the rule choose it, and the advice to do so would change nothing."""
    only_small = f"a segment under {seg.min_segment_share:.0%}"
    finer = [r for r in rows if r["why_not"] == only_small and r["fit"].k > k and r["valley"] is not None
             and r["valley"] <= VALLEY_MAX]
    finer = [r for r in finer if stable(r)]
    if not finer:
        return ""
    r = max(finer, key=lambda r: (r["silhouette"], -r["fit"].k))
    share = r["smallest_share"]
    return (f" A split into {r['fit'].k} segments ({NAMES[r['fit'].algorithm]}, silhouette {r['silhouette']:.3f}) "
            f"also parts every segment from those it borders by a valley, but its smallest holds {share:.1%} of the "
            f"customers, under the minimum of {seg.min_segment_share:.0%}: set segmentation.min_segment_share to "
            f"{np.floor(share * 1000) / 1000:g} to keep such a group apart.")


def _reason(best: dict, stable: list, short: list, pool: list, seg: Segmentation, structure: str) -> str:
    f = best["fit"]
    if seg.k != "auto" and seg.algorithm != "auto":
        return f"{NAMES[f.algorithm]} with {f.k} segments, as set in the configuration."
    fixed = seg.k != "auto"  # only the algorithm was chosen: no claim about the number of segments
    # The pool holds the actionable candidates, or, where none is, every split into two groups or more.
    relaxed = any(r["why_not"] for r in pool)
    of_pool = (f"{len(pool)} candidates, none of them actionable (too few segments, a segment too small or too "
               f"many customers unassigned), so any split into two groups or more was considered" if relaxed
               else f"{len(pool)} actionable candidates")
    among = f"among {of_pool}"
    text = (f"Silhouette {best['silhouette']:.3f}, Calinski-Harabasz {best['calinski_harabasz']:,.0f}, "
            f"Davies-Bouldin {best['davies_bouldin']:.3f}, stability (mean ARI) {best['stability']:.2f}"
            + (f", largest border-to-centre density {best['valley']:.2f}. " if best["valley"] is not None else ". "))
    if best.get("few"):
        text += (f"No candidate with at least {seg.min_segments} segments is separated by valleys, but {f.k} "
                 f"segments are, and are stable: fewer natural segments than min_segments asks for.")
    elif best.get("inside"):
        g = best["inside"]
        text += (f"{g['fit'].k} groups are separated by a valley (border-to-centre density {g['valley']:.2f}); these "
                 f"{f.k} segments lie inside them (each at least {NESTED:.0%} in one group), are stable and part "
                 f"customers better than the groups alone (silhouette {best['silhouette']:.3f} against "
                 f"{g['silhouette']:.3f}), but no valley parts them within their groups: weakly separated.")
    elif best.get("mostly") and fixed:
        parted = sum(v <= VALLEY_MAX for v in best["valleys"].values())
        text += (f"{parted} of the {f.k} segments are separated from those they border by a valley (median "
                 f"border-to-centre density {_median_valley(best):.2f}), and they are stable.")
    elif best.get("mostly"):
        parted = sum(v <= VALLEY_MAX for v in best["valleys"].values())
        text += (f"No candidate has every segment separated from those it borders by a valley and is stable; the most "
                 f"segments ({f.k}) of which most are ({parted} of {f.k}; median border-to-centre density "
                 f"{_median_valley(best):.2f}) and that are stable, {among}.")
    elif (structure == "clear" or (best["valley"] is not None and best["valley"] <= VALLEY_MAX)) and fixed:
        text += f"All {f.k} segments are separated from those they border by a valley and are stable."
    elif structure == "clear" or (best["valley"] is not None and best["valley"] <= VALLEY_MAX):
        text += (f"The most segments ({f.k}) that are all separated from those they border by a valley "
                 f"and stable, {among}.")
    elif best["stability"] >= seg.min_stability:
        text += (f"Best mean rank ({best['final_rank']:.2f}) of the {len(stable)} stable candidate(s) among the "
                 f"{len(short)} shortlisted from {of_pool}.")
    else:
        text += (f"No shortlisted candidate reached stability {seg.min_stability}, so the most stable of the "
                 f"{len(short)} was chosen: the segments overlap and are indicative rather than sharp.")
    if seg.k != "auto":
        text += f" The number of segments (k={seg.k}) was set in the configuration."
    if structure != "clear":
        text += " " + structure_note(structure, seg, best)
    return text


@dataclass(frozen=True)
class MixEvidence:
    """Why spend and channel habits enter as shares: how much of a segmentation on amounts is
    explained by scale alone, against one on shares (eta squared of each scale feature)."""

    k: int
    amounts: dict[str, float]  # scale feature -> eta squared across segments found on amounts
    shares: dict[str, float]  # the same across segments found on shares (the report's features)


def eta_squared(values: np.ndarray, labels: np.ndarray) -> float:
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    between = sum((labels == s).sum() * (values[labels == s].mean() - values.mean()) ** 2 for s in np.unique(labels))
    return float(between / total)


def mix_evidence(table, clustering: tuple[str, ...], matrix: np.ndarray, k: int, seed: int) -> MixEvidence | None:
    """k-means with the same k on the report's features and on a variant where every share is
    replaced by its amount (share x total), both log-scaled and standardised."""
    shares = [f for f in clustering if f.startswith(("share_", "channel_"))]
    scale = [f for f in ("total_spend", "total_units", "income", "purchases") if f in table]
    total = next((f for f in ("total_spend", "total_units") if f in table), None)  # what category shares divide
    if not shares or not scale:
        return None
    rng = np.random.default_rng(seed)
    idx = np.arange(len(matrix)) if len(matrix) <= 50_000 else np.sort(rng.choice(len(matrix), 50_000, replace=False))
    cols = []
    for f in clustering:
        v = table[f].to_numpy(dtype=float)
        if f.startswith("share_") and total:
            v = v * table[total].to_numpy()
        elif f.startswith("channel_") and "purchases" in table:
            v = v * table["purchases"].to_numpy()
        v = np.log1p(np.clip(v, 0, None) / log_offset(v)) if v.min() >= 0 else v  # in the amount's own unit
        cols.append(((v - v.mean()) / (v.std() or 1.0))[idx])  # standardised on everyone, kept for the sample
    amounts = np.column_stack(cols)
    lab_a = cl.kmeans(amounts, k, seed).labels
    lab_s = cl.kmeans(matrix[idx], k, seed).labels
    return MixEvidence(
        k=k,
        amounts={f: eta_squared(table[f].to_numpy(dtype=float)[idx], lab_a) for f in scale},
        shares={f: eta_squared(table[f].to_numpy(dtype=float)[idx], lab_s) for f in scale},
    )

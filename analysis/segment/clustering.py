"""Segmentation algorithms behind one interface, the final labels for every customer, and the map.

Every algorithm fits on a matrix of standardised features and returns labels 0..k-1, with -1 for
customers a density method leaves unassigned. Methods whose cost grows with n^2 (Ward, HDBSCAN)
fit on a sample; `extend` then gives every other customer the label of its nearest segment centre
(Ward, two-stage) or of its nearest sampled neighbour (HDBSCAN, so that noise stays noise).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from ..order import canonical_order
from .features import FeatureSet

ALGORITHMS = ("kmeans", "gmm", "ward", "two_stage", "hdbscan")
SIMPLICITY = {a: i for i, a in enumerate(ALGORITHMS)}  # ties go to the simpler, better known method
QUADRATIC_SAMPLE = 3000  # Ward and HDBSCAN fit on at most this many customers
MAP_POINTS = 3000  # points of individual customers drawn on the map, at most
NICHE_MAX_SHARE = 0.15  # two-stage: a niche is a small group ...
NICHE_MIN_SILHOUETTE = 0.5  # ... that stands well apart from the rest (mean silhouette)


@dataclass(frozen=True)
class Fit:
    """One fitted candidate on the rows it was fitted on."""

    algorithm: str
    k: int
    labels: np.ndarray  # 0..k-1, -1 = unassigned
    params: dict = field(default_factory=dict)
    bic: float | None = None
    inertia: float | None = None
    model: object = field(default=None, repr=False, compare=False)


def centres(x: np.ndarray, labels: np.ndarray, k: int, previous: np.ndarray | None = None,
            columns: np.ndarray | None = None) -> np.ndarray:
    """The mean of the rows of each label 0..k-1 (other labels ignored), summed one feature at a
    time in row order: x[labels == s].mean(axis=0) without copying each label's rows (to the bit
    for two features or more; numpy sums a single column pairwise). A label without rows keeps
    its `previous` centre, else gets NaN. `columns`, x.T made contiguous once by a caller that
    asks many times, gives the same sums six times faster than x's strided columns."""
    labels = np.asarray(labels)
    ok = (labels >= 0) & (labels < k)
    cols = x.T if columns is None else columns
    lab, cols = (labels, cols) if ok.all() else (labels[ok], cols[:, ok])
    n = np.bincount(lab, minlength=k)
    sums = np.column_stack([np.bincount(lab, weights=cols[j], minlength=k) for j in range(x.shape[1])])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / n[:, None]
    if previous is not None:
        out[n == 0] = previous[n == 0]
    return out


def nearest_centre(x: np.ndarray, c: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Label of the nearest centre for every row, in chunks so memory stays linear in n."""
    out = np.empty(len(x), dtype=int)
    for i in range(0, len(x), chunk):
        part = x[i:i + chunk]
        d = (part ** 2).sum(1)[:, None] - 2 * part @ c.T + (c ** 2).sum(1)[None, :]
        out[i:i + chunk] = d.argmin(axis=1)
    return out


N_INIT = 10  # k-means starts per candidate: with 4, two of four samples of five overlapping groups kept a
# solution that merged two and split a third (higher inertia than the planted one)


def kmeans(x: np.ndarray, k: int, seed: int, n_init: int = N_INIT) -> Fit:
    m = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x)
    return Fit("kmeans", k, m.labels_.astype(int), {"n_init": n_init}, inertia=float(m.inertia_), model=m)


def gmm(x: np.ndarray, k: int, seed: int) -> Fit:
    # Diagonal covariances: robust with many features and a fraction of the cost of full ones.
    m = GaussianMixture(n_components=k, covariance_type="diag", n_init=1, init_params="k-means++",
                        reg_covar=1e-4, random_state=seed).fit(x)
    comp = m.predict(x)
    labels = _compact(comp)
    lookup = {int(c): int(l) for c, l in zip(comp, labels)}
    return Fit("gmm", int(labels.max()) + 1, labels, {"covariance": "diag", "components": lookup},
               bic=float(m.bic(x)), model=m)


def ward_tree(x: np.ndarray) -> np.ndarray:
    return linkage(x, method="ward")


def ward(tree: np.ndarray, k: int) -> Fit:
    labels = fcluster(tree, t=k, criterion="maxclust") - 1
    return Fit("ward", int(labels.max()) + 1, _compact(labels))


def two_stage(x: np.ndarray, tree: np.ndarray, k: int, seed: int, niches: list[int] | None = None) -> Fit | None:
    """Hierarchical first, to split off small and very distinct niches; k-means inside the rest.
    None when the tree holds no such niche (then the scheme is plain k-means)."""
    niches = find_niches(x, tree) if niches is None else niches
    if not niches or k - len(niches) < 2:
        return None
    coarse = fcluster(tree, t=6, criterion="maxclust") - 1
    labels = np.full(len(x), -1)
    for i, n in enumerate(niches):
        labels[coarse == n] = i
    rest = labels == -1
    inner = KMeans(n_clusters=k - len(niches), n_init=N_INIT, random_state=seed).fit(x[rest])
    labels[rest] = inner.labels_ + len(niches)
    return Fit("two_stage", k, labels, {"niches": len(niches)})


def find_niches(x: np.ndarray, tree: np.ndarray, dist: np.ndarray | None = None) -> list[int]:
    """Clusters of the 6-cluster Ward cut that are small and well separated from the rest."""
    coarse = fcluster(tree, t=6, criterion="maxclust") - 1
    if len(np.unique(coarse)) < 2:
        return []
    coarse = _compact(coarse)
    sil = silhouettes(dist, coarse) if dist is not None else silhouette_samples(x, coarse)
    out = []
    for c in np.unique(coarse):
        share = (coarse == c).mean()
        if share <= NICHE_MAX_SHARE and sil[coarse == c].mean() >= NICHE_MIN_SILHOUETTE:
            out.append(int(c))
    return out


def silhouettes(dist: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each customer's silhouette from a precomputed distance matrix, as scikit-learn defines it
    (0 in a segment of one), with one matrix product instead of a pass per segment."""
    n, k = len(labels), int(labels.max()) + 1
    onehot = np.zeros((n, k), dtype=dist.dtype)
    onehot[np.arange(n), labels] = 1
    sums = dist @ onehot
    counts = onehot.sum(axis=0)
    own = counts[labels]
    a = sums[np.arange(n), labels] / np.maximum(own - 1, 1)
    other = sums / counts
    other[np.arange(n), labels] = np.inf
    b = other.min(axis=1)
    s = (b - a) / np.maximum(np.maximum(a, b), 1e-12)
    return np.where(own > 1, s, 0.0)


def hdbscan(x: np.ndarray, min_cluster_size: int) -> Fit:
    m = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit(x)
    labels = _compact(m.labels_)
    return Fit("hdbscan", int(labels.max()) + 1, labels, {"min_cluster_size": int(min_cluster_size)})


def _compact(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 in order of first appearance (-1 kept)."""
    out = np.full(len(labels), -1)
    seen: dict[int, int] = {}
    for i, v in enumerate(labels):
        if v >= 0:
            out[i] = seen.setdefault(int(v), len(seen))
    return out


def extend(fit: Fit, x_fit: np.ndarray, x_all: np.ndarray) -> np.ndarray:
    """Labels for every customer from a fit on a sample."""
    c = centres(x_fit, fit.labels, fit.k)
    if fit.algorithm == "hdbscan":
        nn = NearestNeighbors(n_neighbors=1).fit(x_fit)
        return fit.labels[nn.kneighbors(x_all, return_distance=False)[:, 0]]
    if fit.algorithm == "gmm":
        lookup = np.full(fit.model.n_components, -1)
        for comp, label in fit.params["components"].items():
            lookup[comp] = label
        out = lookup[fit.model.predict(x_all)]
        lost = out < 0  # a component that took no sampled customer
        if lost.any():
            out[lost] = nearest_centre(x_all[lost], c)
        return out
    return nearest_centre(x_all, c)


def refit_all(fit: Fit, x_fit: np.ndarray, x_all: np.ndarray, seed: int) -> np.ndarray:
    """Final labels for every customer. Fitted on everyone, the chosen fit is the answer. Fitted
    on a sample, k-means is refined on everyone by Lloyd's iterations started at the sample's
    centres (its cost is linear), so the segments are those the search scored and found stable,
    not another local optimum of fresh starts; the Spark engine does the same. The other
    methods extend their fit from the sample."""
    if len(x_fit) == len(x_all):
        return fit.labels
    if fit.algorithm == "kmeans":
        start = fit.model.cluster_centers_ if fit.model is not None else centres(x_fit, fit.labels, fit.k)
        return KMeans(n_clusters=fit.k, init=start, n_init=1, random_state=seed).fit(x_all).labels_.astype(int)
    return extend(fit, x_fit, x_all)


# ---------------------------------------------------------------- ordering and the map

@dataclass(frozen=True)
class SegmentMap:
    explained: tuple[float, ...]  # variance share of each component
    loadings: dict[str, tuple[float, ...]]  # feature -> loading on each component
    points: np.ndarray  # (m, 3) sampled customers' coordinates, rounded
    point_segments: np.ndarray  # (m,) their segment numbers
    centers: np.ndarray  # (k, 3) segment means


def order_labels(raw: np.ndarray, value: np.ndarray | None) -> np.ndarray:
    """Renumber segments 1..k by mean value, highest first (size when there is no value);
    unassigned customers (-1) form the last group."""
    ids = [i for i in np.unique(raw) if i >= 0]
    if value is not None:
        key = {i: -float(value[raw == i].mean()) for i in ids}
    else:
        key = {i: -float((raw == i).sum()) for i in ids}
    ordered = sorted(ids, key=lambda i: (key[i], i))
    mapping = {old: new for new, old in enumerate(ordered, start=1)}
    mapping[-1] = len(ordered) + 1
    return np.vectorize(mapping.get)(raw).astype(int)


def segment_map(x: np.ndarray, labels: np.ndarray, names: tuple[str, ...], seed: int) -> SegmentMap:
    n_comp = min(3, x.shape[1])
    pca = PCA(n_components=n_comp, random_state=seed).fit(x)
    coords = pca.transform(x)
    if n_comp < 3:
        coords = np.column_stack([coords, np.zeros((len(coords), 3 - n_comp))])
    k = labels.max()
    centers = np.vstack([coords[labels == s].mean(axis=0) for s in range(1, k + 1)])
    rng = np.random.default_rng(seed)
    # The points shown drawn by who the customers are, not by the file's row order.
    pick = canonical_order(x)[np.sort(rng.choice(len(x), size=min(MAP_POINTS, len(x)), replace=False))]
    # A feature left out of the distances (a column of zeros) has no place on the axes.
    loadings = {n: tuple(round(float(v), 4) for v in pca.components_[:, i]) for i, n in enumerate(names)
                if x[:, i].any()}
    return SegmentMap(
        explained=tuple(float(v) for v in pca.explained_variance_ratio_),
        loadings=loadings,
        points=np.round(coords[pick], 2),
        point_segments=labels[pick],
        centers=centers,
    )


@dataclass(frozen=True)
class Segments:
    labels: np.ndarray  # segment number 1..k for each customer, aligned with FeatureSet.table
    k: int  # segments, the unassigned group included when there is one
    unassigned: bool  # the last segment holds customers no dense group took
    map: SegmentMap


def label_map(raw: np.ndarray, final: np.ndarray) -> dict[int, int]:
    """For each raw label of a fit, the final segment most of its customers ended in."""
    out = {}
    for r in np.unique(raw):
        vals, counts = np.unique(final[raw == r], return_counts=True)
        out[int(r)] = int(vals[counts.argmax()])
    return out


def finalize(raw_labels: np.ndarray, features: FeatureSet, seed: int) -> Segments:
    value = features.table[features.value_feature].to_numpy() if features.value_feature else None
    labels = order_labels(raw_labels, value)
    return Segments(labels=labels, k=int(labels.max()), unassigned=bool((raw_labels < 0).any()),
                    map=segment_map(features.matrix, labels, features.clustering, seed))

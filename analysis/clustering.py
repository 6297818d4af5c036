"""The final segmentation: labels numbered by value, and a principal-component map of it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from .features import FeatureSet
from .selection import Search

MAP_POINTS = 3000  # points of individual customers drawn on the map, at most


@dataclass(frozen=True)
class SegmentMap:
    explained: tuple[float, ...]  # variance share of each component
    loadings: dict[str, tuple[float, ...]]  # feature -> loading on each component
    points: np.ndarray  # (m, 2) sampled customers' coordinates, rounded
    point_segments: np.ndarray  # (m,) their segment numbers
    centers: np.ndarray  # (k, 2) segment means


@dataclass(frozen=True)
class Segments:
    labels: np.ndarray  # segment number 1..k for each customer, aligned with FeatureSet.table
    k: int
    map: SegmentMap


def order_labels(raw: np.ndarray, value: np.ndarray | None) -> np.ndarray:
    """Renumber segments 1..k by mean value, highest first (size when there is no value)."""
    ids = np.unique(raw)
    if value is not None:
        key = {i: -float(value[raw == i].mean()) for i in ids}
    else:
        key = {i: -float((raw == i).sum()) for i in ids}
    ordered = sorted(ids, key=lambda i: (key[i], i))
    mapping = {old: new for new, old in enumerate(ordered, start=1)}
    return np.vectorize(mapping.get)(raw).astype(int)


def segment_map(x: np.ndarray, labels: np.ndarray, names: tuple[str, ...], seed: int) -> SegmentMap:
    n_comp = min(2, x.shape[1])
    pca = PCA(n_components=n_comp, random_state=seed).fit(x)
    coords = pca.transform(x)
    if n_comp == 1:
        coords = np.column_stack([coords, np.zeros(len(coords))])
    k = labels.max()
    centers = np.vstack([coords[labels == s].mean(axis=0) for s in range(1, k + 1)])
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(x), size=min(MAP_POINTS, len(x)), replace=False))
    loadings = {n: tuple(round(float(v), 4) for v in pca.components_[:, i]) for i, n in enumerate(names)}
    return SegmentMap(
        explained=tuple(float(v) for v in pca.explained_variance_ratio_),
        loadings=loadings,
        points=np.round(coords[pick], 2),
        point_segments=labels[pick],
        centers=centers,
    )


def finalize(search: Search, features: FeatureSet, seed: int) -> Segments:
    value = features.table[features.value_feature].to_numpy() if features.value_feature else None
    labels = order_labels(search.labels, value)
    return Segments(labels=labels, k=int(labels.max()), map=segment_map(features.matrix, labels, features.clustering, seed))

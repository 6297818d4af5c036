"""An order of customers that depends on the customers, not on how the file lists them: every step
that samples, splits or starts at random by row position runs in it, so that the same customers in
any row order give the same segments, relevance, response model and contact list."""
from __future__ import annotations

import numpy as np

SEED = 20_241_204  # the projection's directions: fixed, so that the order is the same in every run


def projection(x: np.ndarray) -> np.ndarray:
    """Each row's value on a fixed random direction (NaN read as 0): a key equal rows share and
    distinct rows, with probability nil, do not. One product, no copy of the matrix."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 0:
        return np.zeros(len(x))
    w = np.random.default_rng(SEED).standard_normal(x.shape[1])
    key = x @ w
    return np.nan_to_num(x, nan=0.0) @ w if np.isnan(key).any() else key


def canonical_order(x: np.ndarray) -> np.ndarray:
    """Rows sorted by their projection, ties (equal rows) in file order."""
    return np.argsort(projection(x), kind="stable")

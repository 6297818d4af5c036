"""The local engine: today's single-machine code (DuckDB for order lines, pandas, numpy)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..config import Config
from ..ingest.cleaning import CleanData, clean
from ..ingest.loading import Table, load_customers
from ..ingest.orders import OrderBaskets, OrderData, load_orders
from ..insight.rules import Baskets, ItemsetCounter
from ..publish.exports import write_exports
from ..segment.clustering import Fit, refit_all
from ..segment.features import FeatureSet, build_features
from . import SegmentStats, item_codes


class LocalEngine:
    name = "local"

    def load_orders(self, cfg: Config, progress: Callable[[str], None] = lambda s: None,
                    categories: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
                    season: tuple[int, ...] | None = None) -> OrderData:
        return load_orders(cfg, progress, categories=categories, product_map=product_map, season=season)

    def load_customers(self, cfg: Config) -> Table:
        return load_customers(cfg)

    def clean(self, table: Table, cfg: Config) -> CleanData:
        return clean(table, cfg)

    def features(self, data: CleanData, cfg: Config) -> FeatureSet:
        return build_features(data, cfg)

    def final_fit(self, fit: Fit, x_fit: np.ndarray, x_all: np.ndarray, seed: int) -> np.ndarray:
        return refit_all(fit, x_fit, x_all, seed)

    def segment_stats(self, table: pd.DataFrame, labels: np.ndarray,
                      categorical: pd.DataFrame | None = None) -> SegmentStats:
        return segment_stats(table, labels, categorical)

    def count_itemsets(self, baskets: OrderBaskets, level: str, itemsets: Sequence[Sequence[str]],
                       orders: np.ndarray | None = None) -> np.ndarray:
        rows, cols, names = item_codes(baskets, level)
        n = baskets.n_orders
        m = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, len(names)))
        m.sum_duplicates()
        if orders is not None:
            m = m[np.asarray(orders)]
        # ItemsetCounter wants items sorted by name; the columns follow.
        order = np.argsort(np.asarray(names, dtype=object), kind="stable")
        b = Baskets(m[:, order].tocsr(), tuple(names[i] for i in order), tuple(map(str, range(m.shape[0]))))
        counter = ItemsetCounter(b)
        return np.array([counter.count(s) for s in itemsets], dtype=np.int64)

    def write_exports(self, run, exports: Path) -> None:
        write_exports(run, exports)

    def close(self) -> None:
        pass


def segment_stats(table: pd.DataFrame, labels: np.ndarray, categorical: pd.DataFrame | None = None) -> SegmentStats:
    """Per-segment size, mean, median and sum of every column, and value counts of categorical columns."""
    seg = pd.Series(np.asarray(labels), index=table.index, name="segment")
    g = table.groupby(seg, sort=True)
    cats = {}
    for col in (categorical.columns if categorical is not None else []):
        values = categorical[col].astype(str).reset_index(drop=True)
        cats[col] = (values.groupby(seg.to_numpy()).value_counts().unstack(fill_value=0)
                     .sort_index(axis=0).sort_index(axis=1).astype(np.int64))
    return SegmentStats(size=g.size().astype(np.int64), mean=g.mean(), median=g.median(), total=g.sum(),
                        overall_mean=table.mean(), overall_sd=table.std(ddof=0), categories=cats)

"""The engine: the operations whose cost grows with the number of customers or order lines.

Everything else (the model search on a sample, personas, campaigns, the page model) runs on the
driver and never knows which engine ran. Two implementations:

- `local` (`engine.local.LocalEngine`): today's code, pandas, DuckDB and numpy on one machine;
- `spark` (`engine.spark.SparkEngine`): the same operations on Apache Spark (`pip install
  segments[spark]` and Java 17), with the same results: equal counts, money summed exactly, per-segment means
  and sums equal up to the last bits of floating point, medians within Spark's approximate percentile, k-means labels from
  one run of Lloyd's iterations started at the sample's centres.

An engine is called with plain inputs (the config, paths, numpy arrays, pandas frames) and
returns the same frozen objects the pipeline already uses (`OrderData`, `CleanData`,
`FeatureSet`, numpy labels), plus `SegmentStats` for the per-segment aggregates.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
import pandas as pd

from ..config import Config
from ..ingest.cleaning import CleanData
from ..ingest.loading import Table
from ..ingest.orders import OrderBaskets, OrderData
from ..segment.clustering import Fit
from ..segment.features import FeatureSet

ENGINES = ("local", "spark")
LEVELS = ("product", "category")  # the item of a basket: the product, or its category


@dataclass(frozen=True)
class SegmentStats:
    """Per-segment aggregates of every customer, the inputs of profiles and value shares.

    Rows are segments (their numbers, sorted); columns the features of the table given."""

    size: pd.Series  # customers per segment
    mean: pd.DataFrame
    median: pd.DataFrame  # exact locally; Spark's approximate percentile (see SparkEngine.ACCURACY)
    total: pd.DataFrame  # sums, e.g. a segment's share of all spend
    overall_mean: pd.Series
    overall_sd: pd.Series  # population standard deviation (ddof 0), as profiles use
    categories: dict[str, pd.DataFrame]  # column -> segments x values, customers holding each value


class Engine(Protocol):
    name: str

    def load_orders(self, cfg: Config, progress: Callable[[str], None] = ...,
                    categories: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
                    season: tuple[int, ...] | None = None) -> OrderData:
        """Order lines -> cleaning log, one row per customer, baskets (orders.load_orders' contract;
        `categories`, `product_map` and `season` from a saved model fix the spend columns, the map
        and the season)."""

    def load_customers(self, cfg: Config) -> Table:
        """The customer table as text (loading.load_customers' contract)."""

    def clean(self, table: Table, cfg: Config) -> CleanData: ...

    def features(self, data: CleanData, cfg: Config) -> FeatureSet: ...

    def final_fit(self, fit: Fit, x_fit: np.ndarray, x_all: np.ndarray, seed: int) -> np.ndarray:
        """Raw labels of every customer from the chosen model fitted on the sample `x_fit`."""

    def segment_stats(self, table: pd.DataFrame, labels: np.ndarray,
                      categorical: pd.DataFrame | None = None) -> SegmentStats: ...

    def count_itemsets(self, baskets: OrderBaskets, level: str, itemsets: Sequence[Sequence[str]],
                       orders: np.ndarray | None = None) -> np.ndarray:
        """Baskets holding every item of each itemset (item names as in `baskets`), over the
        orders given (their codes; None: every order). The exact recount of sampled rules."""

    def write_exports(self, run, exports: Path) -> None: ...

    def close(self) -> None: ...


def get_engine(name: str = "local", master: str | None = None) -> Engine:
    """The engine named in the config (`engine`, with `master` for Spark)."""
    if name == "local":
        from .local import LocalEngine
        return LocalEngine()
    if name == "spark":
        missing = spark_missing()
        if missing:
            from ..errors import UserError
            raise UserError(f"engine spark: {missing}")
        from .spark import SparkEngine
        return SparkEngine.start(master)
    raise ValueError(f"engine {name!r}: expected one of {', '.join(ENGINES)}")


def spark_missing() -> str | None:
    """Why the Spark engine cannot start here (no pyspark, no Java), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'segments[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        return "Java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def item_codes(baskets: OrderBaskets, level: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(order, item) code pairs and the item names at a level: products, or their categories
    (lines of products without a category left out), as `baskets.basket_rules` builds them."""
    if level == "product":
        return baskets.order_idx, baskets.product_idx, baskets.products
    if level != "category":
        raise ValueError(f"level {level!r}: expected one of {', '.join(LEVELS)}")
    cat = baskets.product_category[baskets.product_idx]
    keep = cat >= 0
    return baskets.order_idx[keep], cat[keep], baskets.categories

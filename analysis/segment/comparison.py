"""How customers moved between an earlier segmentation and this one."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from ..errors import UserError
from ..ingest.loading import is_missing, read_table


@dataclass(frozen=True)
class Comparison:
    source: str  # where the earlier labels came from
    shared: int  # customers labelled in both
    ari: float  # adjusted Rand index between the two labellings of those customers
    earlier: tuple[str, ...]  # earlier groups, in order
    current: tuple[int, ...]  # current segments, in order
    counts: tuple[tuple[int, ...], ...]  # customers per earlier group (rows) and current segment (columns)


def earlier_from_assignments(path: Path) -> pd.Series:
    """Earlier labels from a previous run's exports/assignments.csv (or any CSV with customer_id
    and segment, and optionally segment_name), indexed by customer id."""
    frame = read_table(path).frame
    for col in ("customer_id", "segment"):
        if col not in frame.columns:
            raise UserError(f"{path}: column {col!r} is missing; expected an assignments.csv from an earlier run")
    named = "segment_name" in frame.columns
    keep = ~is_missing(frame["segment"])
    labels = frame.loc[keep, "segment"].str.replace(r"\.0$", "", regex=True)
    if named:
        labels = labels + ". " + frame.loc[keep, "segment_name"]
    return pd.Series(labels.to_numpy(), index=frame.loc[keep, "customer_id"].to_numpy(), name="earlier")


def compare(ids: pd.Index, labels: np.ndarray, earlier: pd.Series, source: str) -> Comparison | None:
    """Cross-tab and ARI on the customers both labellings share; None when they share none."""
    earlier = earlier[~earlier.index.duplicated(keep="first")]
    current = pd.Series(labels, index=ids)
    shared = current.index.intersection(earlier.index)
    if len(shared) == 0:
        return None
    a, b = earlier.loc[shared].astype(str), current.loc[shared]
    table = pd.crosstab(a, b)
    return Comparison(
        source=source, shared=int(len(shared)), ari=float(adjusted_rand_score(a, b)),
        earlier=tuple(str(x) for x in table.index), current=tuple(int(x) for x in table.columns),
        counts=tuple(tuple(int(v) for v in row) for row in table.to_numpy()),
    )

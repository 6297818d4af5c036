"""A profile of every input column, as a data-profiling report gives one: the role the config
gave it, its type, missing share, distinct values, its typical range or most frequent values,
and what cleaning did to it. Computed in the analysis half; the data-quality page phrases it.

Public pages show it, so it holds no single customer's value: numbers are summarised by their
5th, 50th and 95th percentiles (never the minimum or maximum), dates by the 5th and 95th
percentile dates, and a category is named only when at least `min_group` customers hold it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from ..threads import each
from .loading import is_missing, text_of

MAX_CATEGORIES = 50  # more distinct values than this is text, not a category
TOP = 3  # most frequent categories shown


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    role: str  # the config's role ('income', 'spend: Wine', 'campaigns: Latest') or 'ignore' or '' (not named)
    kind: str  # id, number, flag (0/1: churn, complaints, 0/1 numbers), date, answer (a campaign's), category, text, empty
    rows: int
    missing: int
    distinct: int
    p5: float | None = None  # numbers: 5th, 50th, 95th percentile
    p50: float | None = None
    p95: float | None = None
    first: str = ""  # dates: 5th and 95th percentile, ISO
    last: str = ""
    yes_share: float | None = None  # answers: share of 1 among the present values
    top: tuple[tuple[str, int], ...] = ()  # categories held by at least min_group rows, most frequent first
    pooled: int = 0  # distinct values left unnamed (held by fewer than min_group rows)
    cleaning: tuple[tuple[str, int, str], ...] = ()  # (step, count, action) of the log entries on this column


def _roles(cfg: Config) -> dict[str, str]:
    roles: dict[str, str] = {}
    for role, col in cfg.columns.named():
        label = role.replace(".", ": ", 1)
        roles.setdefault(col, label)
    return roles


def profile_columns(raw: pd.DataFrame, typed: pd.DataFrame, cfg: Config, log, min_group: int,
                    dates: tuple[str, ...] = (), missing: dict | None = None) -> tuple[ColumnProfile, ...]:
    """One profile per column of `raw` (text as read, rows that are not customers blanked);
    `typed` holds the parsed values of the columns the config names (before imputation);
    `missing`: is_missing of some columns of text of `raw`, as cleaning found them on every row."""
    from .cleaning import to_numbers, typed_column

    roles = _roles(cfg)
    answers_to = set(cfg.columns.campaigns.values())
    flags = answers_to | {x for x in (cfg.columns.complaints, cfg.columns.churned) if x}

    def profile(col) -> ColumnProfile:
        """One column's profile (each column on its own)."""
        values = raw[col]
        if typed_column(values):  # numbers, flags and dates made from order lines: counted as they are
            miss = values.isna()
            distinct = int(values.nunique())
            present = values[~miss]
            if not (col in typed and (col in flags or col in dates or pd.api.types.is_numeric_dtype(typed[col]))):
                present = text_of(present)  # judged below by its text, as a file's column is
        else:
            text = values.astype(str)
            known = missing is not None and col in missing and text.dtype == values.dtype  # the same text
            miss = missing[col] if known else is_missing(text)
            present = values[~miss].astype(str)
            distinct = int(present.nunique())
        role = roles.get(col, "")
        base = dict(name=str(col), role=role, rows=len(values), missing=int(miss.sum()), distinct=distinct)
        entries = tuple((e.step, int(e.count), e.action) for e in log if e.column == col)
        if present.empty:
            return ColumnProfile(kind="empty", cleaning=entries, **base)
        if role == "id":
            return ColumnProfile(kind="id", cleaning=entries, **base)
        if col in flags and col in typed:
            answers = typed[col].dropna()
            # A campaign's column holds answers; a churn or complaint column is a 0/1 flag.
            return ColumnProfile(kind="answer" if col in answers_to else "flag",
                                 yes_share=float(answers.mean()) if len(answers) else None,
                                 cleaning=entries, **base)
        if col in dates and col in typed:
            d = typed[col].dropna().sort_values()
            if len(d):
                lo, hi = d.iloc[int(0.05 * (len(d) - 1))], d.iloc[int(round(0.95 * (len(d) - 1)))]
                return ColumnProfile(kind="date", first=f"{lo:%Y-%m-%d}", last=f"{hi:%Y-%m-%d}",
                                     cleaning=entries, **base)
        parsed = col in typed and pd.api.types.is_numeric_dtype(typed[col])
        # an unnamed column's type is judged on a sample of its values (cheap on large tables)
        kind = "number" if parsed or to_numbers(present.head(2000)).notna().mean() >= 0.95 else ""
        if kind == "number":
            x = typed[col] if parsed else to_numbers(present)
            x = x[np.isfinite(x.astype(float))].astype(float)
            if len(x) and x.isin([0.0, 1.0]).all():  # 0/1 (a senior-citizen flag): the share of 1, no median of 0
                return ColumnProfile(kind="flag", yes_share=float(x.mean()), cleaning=entries, **base)
            if len(x):
                # Whole numbers (counts, scores) span whole values, '13 to 85' rather than '13 to 85.05'; the
                # median stays the middle (20.5 of an even count).
                whole = bool((x == np.floor(x)).all())
                p5, p95 = np.percentile(x, [5, 95], method="nearest" if whole else "linear")
                p50 = np.percentile(x, 50)
                return ColumnProfile(kind="number", p5=float(p5), p50=float(p50), p95=float(p95),
                                     cleaning=entries, **base)
        counts = present.value_counts()
        kind = "category" if len(counts) <= MAX_CATEGORIES else "text"
        shown = tuple((str(k), int(v)) for k, v in counts.items() if v >= min_group)[:TOP] if kind == "category" else ()
        pooled = int((counts < min_group).sum()) if kind == "category" else 0
        return ColumnProfile(kind=kind, top=shown, pooled=pooled, cleaning=entries, **base)

    # Columns side by side: counting distinct text and sorting numbers run outside the GIL.
    return tuple(each(profile, raw.columns, len(raw)))

"""`segments assign`: new customers placed in a run's saved segments, with the run's own
transformations (nothing refitted), and a report of how far the new customers drift from training.

Drift is judged four ways, each against what the training customers themselves show:
- far customers: beyond the 99th percentile of the training distances to the nearest segment centre
  (so about 1% of customers like the training ones are far);
- features outside the training range (min..max after cleaning);
- category values the training never saw;
- each segment's share against its training share.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy.stats import chisquare

from .config import parse_config
from .errors import UserError
from .ingest.cleaning import Fitted, clean
from .ingest.joining import load_input, with_extra
from .ingest.loading import DELIMITERS, detect_encoding
from .memory import use_system_allocator
from .segment.features import Scaling, build_table, replay
from .segment.model import CHUNK, Model, load, nearest

FAR_QUANTILE = 0.99  # the training distance quantile beyond which a customer is far
# Drift is flagged when a count exceeds what chance gives for customers like the training ones:
# the expected share plus this many binomial standard errors, and at least MIN_EXCESS more.
SIGMAS = 4.0
MIN_EXCESS = 0.01
OUTSIDE_MAX = 0.01  # a feature drifts when more than this share of customers fall outside its training range
UNSEEN_MAX = 0.01  # a category column drifts when more than this share holds values never seen
SHARE_SHIFT = 0.05  # a segment's share drifts when it moves more than this (and the test agrees)
# Spend (or units) on categories the model was not built with (new products missing from its map):
# counted in the customer's total, in no share the model reads, so its category shares read lower.
# Up to this much, every share is off by at most as many points as a segment share may move unflagged.
UNKNOWN_SPEND_MAX = SHARE_SHIFT
SHARE_P = 0.001


@dataclass(frozen=True)
class Drift:
    customers: int
    far: int
    far_share: float
    far_limit: float  # the share of far customers above which the drift is flagged
    outside: dict[str, float]  # feature -> share of customers outside the training range (only those > 0)
    unseen: dict[str, dict[str, int]]  # category column -> value never seen -> customers
    shares: dict[int, tuple[float, float]]  # segment -> (training share, new share)
    shares_p: float | None  # chi-square test of the new counts against the training shares
    flags: tuple[str, ...] = field(default=())  # what drifted, in words
    unknown_spend: float = 0.0  # share of the order lines' amount in categories the model does not have

    @property
    def drifted(self) -> bool:
        return bool(self.flags)

    def line(self) -> str:
        head = "drift: " + ("; ".join(self.flags) if self.flags else "none")
        moved = max(self.shares.items(), key=lambda kv: abs(kv[1][1] - kv[1][0]))
        return (f"{head} ({self.customers:,} customers: {self.far_share:.1%} far from every segment centre, "
                f"expected about {1 - FAR_QUANTILE:.0%}; {len(self.outside)} feature(s) outside the training range; "
                f"{sum(len(v) for v in self.unseen.values())} category value(s) never seen; largest share change "
                f"{100 * (moved[1][1] - moved[1][0]):+.1f} points in segment {moved[0]})")

    def to_dict(self) -> dict:
        return {"drifted": self.drifted, "flags": list(self.flags), "customers": self.customers,
                "far": {"count": self.far, "share": self.far_share, "limit": self.far_limit,
                        "training_quantile": FAR_QUANTILE},
                "features_outside_range": self.outside, "unseen_categories": self.unseen,
                "segment_shares": {str(k): {"training": v[0], "new": v[1]} for k, v in self.shares.items()},
                "segment_shares_p": self.shares_p, "unknown_category_share": self.unknown_spend,
                "summary": self.line()}


@dataclass(frozen=True)
class Assigned:
    assignments: pd.DataFrame  # customer_id, segment, segment_name, distance, excluded_reason
    drift: Drift
    reference_date: date  # the date ages, tenure and recency were measured at
    model_reference_date: date  # the model's

    def measured(self) -> str:
        """The reference date used, in words."""
        why = ("the model's" if self.reference_date == self.model_reference_date
               else f"later than the model's {self.model_reference_date.isoformat()}")
        return f"ages, tenure and recency measured at {self.reference_date.isoformat()} ({why})"


def _limit(expected: float, n: int) -> float:
    return expected + max(SIGMAS * math.sqrt(expected * (1 - expected) / max(n, 1)), MIN_EXCESS)


def header(path: Path) -> list[str] | None:
    """The column names of a CSV/TSV (optionally gzipped) or Parquet file; None when unreadable here
    (a folder of Parquet parts too: the loader checks its columns)."""
    if path.is_dir():
        return None
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if head[:4] == b"PAR1":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception:  # pyarrow raises several types for damaged files; the loader names the problem
            return None
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                head = f.read(1 << 16)
        except OSError:
            return None
    if head[:4] == b"PK\x03\x04":
        return None
    text = head.decode(detect_encoding(head), errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise UserError(f"{path}: file is empty")
    first = text.splitlines()[0]
    delim = max(DELIMITERS, key=first.count)
    return [c.strip() for c in next(csv.reader(io.StringIO(first), delimiter=delim), [])]


# Roles whose columns are profiled, never segmented on (unless the model's features name theirs): new
# customers need not have them. Who left is an outcome new customers have not had yet.
PROFILED = {"churned": "churned", "complaints": "complaints", "campaigns": "campaigns_accepted", "categorical": None,
            "gender": None, "loyalty_card": None}


def _profiled(model: Model) -> dict[str, set[str]]:
    """Input -> the model's columns a new batch may lack (see PROFILED)."""
    columns, out = model.config.get("columns") or {}, {"customers": set(), "transactions": set()}
    segmented = {s["name"] for s in model.scaling}
    for role, feature in PROFILED.items():
        value = columns.get(role)
        if not value or (feature and feature in segmented):
            continue
        out["customers"] |= {value} if isinstance(value, str) else set(value.values() if isinstance(value, dict) else value)
    out["transactions"] |= set((model.config.get("transactions") or {}).get("customer_columns") or [])
    return out


def _check_schema(model: Model, folder: Path, files: dict[str, Path]) -> dict[str, list[str]]:
    """Input -> the profiled columns it lacks; an error for any other column of the model's input."""
    optional, absent = _profiled(model), {}
    for kind, path in files.items():
        names = header(path)
        if names is None:
            continue
        missing = [c for c in model.schema.get(kind, []) if c not in names]
        needed = [c for c in missing if c not in optional[kind]]
        if needed:
            raise UserError(f"{path}: {len(needed)} column(s) the model needs are missing "
                            f"(first {needed[0]!r}); the model in {folder} was built from them")
        absent[kind] = [c for c in missing if c in optional[kind]]
    return absent


def _without(raw: dict, kind: str, absent: list[str]) -> dict:
    """The config with the profiled columns a batch lacks left out."""
    if not absent:
        return raw
    if kind == "transactions":
        t = raw["transactions"]
        return {**raw, "transactions": {**t, "customer_columns": [c for c in t.get("customer_columns") or []
                                                                   if c not in absent]}}
    columns = dict(raw["columns"])
    for role in PROFILED:
        value = columns.get(role)
        if isinstance(value, str) and value in absent:
            columns[role] = None
        elif isinstance(value, dict):
            columns[role] = {k: v for k, v in value.items() if v not in absent}
        elif isinstance(value, list):
            columns[role] = [v for v in value if v not in absent]
    return {**raw, "columns": columns}


def assign(folder: Path, customers: Path | None, transactions: Path | None, reference_date: date | None = None,
           progress: Callable[[str], None] = lambda s: None) -> Assigned:
    use_system_allocator()
    model = load(folder)
    need = {"customers": ["customers"], "transactions": ["transactions"], "joined": ["customers", "transactions"]}
    given = {"customers": customers, "transactions": transactions}
    for kind in need[model.kind]:
        if given[kind] is None:
            raise UserError(f"{folder}: the model was built from {' and '.join(need[model.kind])}: give --{kind} FILE")
    for kind in given:
        if given[kind] is not None and kind not in need[model.kind]:
            raise UserError(f"--{kind}: the model in {folder} was built from {' and '.join(need[model.kind])} only")
    files = {k: Path(v) for k, v in given.items() if v is not None}
    absent = _check_schema(model, folder, files)

    # Ages, tenure and recency are measured at the model's reference date, or at the one the new data
    # give (the day after their latest order line, their latest signup) when they go on past it: new
    # lines of a later year would otherwise have happened before they were placed. A date given is kept.
    model_ref = date.fromisoformat(model.cleaning["reference_date"])
    fitted = Fitted(**{**model.cleaning, "reference_date": reference_date or model_ref,
                       "fences": {k: tuple(v) for k, v in model.cleaning["fences"].items()}})
    raw_cfg = dict(model.config)
    for kind, path in files.items():  # the new input replaces the model's (a catalog table too)
        # Its delimiter and encoding are its own (a training file's draft names the detected ones),
        # and so is its sheet when it is not the same kind of file.
        same_kind = Path(str(raw_cfg[kind].get("path") or "")).suffix.lower() == path.suffix.lower()
        raw_cfg[kind] = {**{k: v for k, v in raw_cfg[kind].items() if k not in ("table", "delimiter", "encoding")
                            and (k != "sheet" or same_kind)}, "path": str(path.resolve())}
    for kind, columns in absent.items():
        raw_cfg = _without(raw_cfg, kind, columns)
    raw_cfg["report"] = {**raw_cfg["report"], "reference_date": reference_date and reference_date.isoformat()}
    raw_cfg.pop("compare_with", None)
    raw_cfg["report"].pop("overrides", None)
    if model.product_map is not None:
        raw_cfg.pop("products", None)  # the model's own map
    cfg = parse_config(raw_cfg, f"{folder}/model.json", Path.cwd())
    saved = {}
    if model.order_categories is not None:
        saved["categories"] = tuple(model.order_categories)
        saved["season"] = tuple(model.order_season or ())
        if model.product_map is not None:
            saved["product_map"] = pd.DataFrame({"product": list(model.product_map),
                                                 "category": list(model.product_map.values())})
    inp = load_input(cfg, progress, **saved)
    if inp.orders is not None and reference_date is None and inp.orders.reference_date < model_ref:
        # Lines that end before the model's date (a part of its period): measured at the model's date.
        raw_cfg["report"]["reference_date"] = model_ref.isoformat()
        cfg = parse_config(raw_cfg, f"{folder}/model.json", Path.cwd())
        inp = load_input(cfg, progress, **saved)
    if inp.orders is not None and reference_date is not None:
        _no_lines_after(inp, reference_date)
    unknown = _unknown_share(inp.orders, model.order_categories)
    progress(f"cleaning {len(inp.table.frame):,} customers with the model's parameters")
    data = with_extra(clean(inp.table, inp.cfg, fitted), inp)
    cfg, path = inp.cfg, inp.table.path
    del inp  # the input as text is no longer needed: a million customers' text is hundreds of MB
    _release()
    table, _, _ = build_table(data, cfg, model.mix)
    scaling = tuple(Scaling(**s) for s in model.scaling)
    missing = [s.name for s in scaling if s.name not in table.columns]
    if missing:
        raise UserError(f"{path}: the model's feature {missing[0]!r} cannot be made from this input; "
                        f"the model in {folder} was built from another layout")
    x = replay(table, scaling)
    progress(f"placing {len(x):,} customers in {len(model.segments)} segments")
    seg = model.segment(model.rule.raw(x, table))
    order = sorted(model.segments)
    _, near = nearest(x, model.centres)
    own = np.empty(len(x))
    which = np.searchsorted(order, seg)
    for i in range(0, len(x), CHUNK):  # in blocks: no second matrix the size of x
        d = x[i:i + CHUNK] - model.centres[which[i:i + CHUNK]]
        own[i:i + CHUNK] = np.sqrt((d ** 2).sum(axis=1))
    del x
    out = _assignments(data, seg, own, model.segments)
    return Assigned(out, drift(model, table, data, cfg, seg, near, unknown), data.reference_date, model_ref)


def _unknown_share(orders, categories: list[str] | None) -> float:
    """The share of the lines' amount pooled into a category the model does not have (orders.unknown_category)."""
    if orders is None or not categories:
        return 0.0
    amounts = next(iter(v for v in (orders.columns.spend, orders.columns.units) if v), {})
    new = [col for cat, col in amounts.items() if cat not in categories]
    total = float(orders.frame[list(amounts.values())].to_numpy(dtype=float).sum()) if amounts else 0.0
    return float(orders.frame[new].to_numpy(dtype=float).sum()) / total if new and total > 0 else 0.0


def _no_lines_after(inp, reference_date: date) -> None:
    """Order lines after a reference date given would make negative recencies: one line instead."""
    days = pd.to_numeric(inp.orders.frame["Days since last order"], errors="coerce")
    late = int((days < 0).sum())
    if late:
        latest = reference_date - timedelta(days=int(days.min()))
        raise UserError(f"--reference-date {reference_date.isoformat()}: {late:,} customers have order lines after it "
                        f"(the latest on {latest.isoformat()}); give a later date, or none to measure at the day "
                        "after the latest line")


def _release() -> None:
    """Hand memory that Arrow's allocator keeps for reuse back to the system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _assignments(data, seg: np.ndarray, distance: np.ndarray, names: dict[int, str]) -> pd.DataFrame:
    """One row per input row (then the customers of the order lines only), as the run's assignments."""
    reasons = pd.Series(data.reasons, dtype=object)
    kept = (reasons == "").to_numpy()
    segment = pd.Series(pd.NA, index=reasons.index, dtype="Int64")
    segment[kept] = seg
    dist = pd.Series(np.nan, index=reasons.index)
    dist[kept] = np.round(distance, 6)
    return pd.DataFrame({"customer_id": pd.Series(data.all_ids, dtype=object), "segment": segment,
                         "segment_name": segment.map(names).fillna("").astype(object), "distance": dist,
                         "excluded_reason": reasons})


def drift(model: Model, table: pd.DataFrame, data, cfg, seg: np.ndarray, near: np.ndarray,
          unknown_spend: float = 0.0) -> Drift:
    n = len(seg)
    flags = []
    if unknown_spend > UNKNOWN_SPEND_MAX:
        flags.append(f"{unknown_spend:.0%} of the amount bought in categories the model was not built with "
                     f"(products missing from its map; limit {UNKNOWN_SPEND_MAX:.0%})")
    far = int((near > model.distance_p99).sum())
    limit = _limit(1 - FAR_QUANTILE, n)
    if far / max(n, 1) > limit:
        flags.append(f"{far / n:.1%} of customers far from every segment centre (limit {limit:.1%})")
    outside = {}
    for f, (lo, hi) in model.ranges.items():
        if f not in table:  # a profiled column the batch does not have
            continue
        v = table[f].to_numpy(dtype=float)
        share = float(((v < lo) | (v > hi)).mean()) if n else 0.0
        if share > 0:
            outside[f] = share
    wide = [f for f, s in outside.items() if s > OUTSIDE_MAX]
    if wide:
        flags.append(f"{len(wide)} feature(s) outside the training range for over {OUTSIDE_MAX:.0%} of customers "
                     f"({', '.join(wide[:3])}{', ...' if len(wide) > 3 else ''})")
    unseen = {}
    for col, known in model.cleaning["categories"].items():
        if col not in data.customers:
            continue
        values = data.customers[col]
        new = values[~values.isin(set(known.values()) | {"Unknown"})]  # missing is not a new value
        if len(new):
            unseen[col] = {str(k): int(v) for k, v in new.value_counts().sort_index().items()}
            if len(new) / n > UNSEEN_MAX:
                flags.append(f"{len(new) / n:.1%} of customers with a {col} value never seen")
    counts = np.array([(seg == s).sum() for s in sorted(model.shares)], dtype=float)
    train = np.array([model.shares[s] for s in sorted(model.shares)])
    shares = {s: (model.shares[s], float(c / n)) for s, c in zip(sorted(model.shares), counts)}
    p = None
    if n and (train > 0).all():
        p = float(chisquare(counts, train / train.sum() * n).pvalue)
        moved = max(abs(b - a) for a, b in shares.values())
        if p < SHARE_P and moved > SHARE_SHIFT:
            flags.append(f"segment shares changed (up to {100 * moved:.0f} points)")
    return Drift(n, far, far / max(n, 1), limit, outside, unseen, shares, p, tuple(flags), unknown_spend)


def _decimals(x: pd.Series) -> pd.Series:
    """Distances (rounded to 6 places, not negative) as plain decimals, as exports._decimal writes
    one float ('1.5', '0', no scientific notation), without a Python call per customer."""
    v = x.to_numpy(dtype=float)
    ok = np.isfinite(v)
    micro = np.zeros(len(v), dtype=np.int64)
    micro[ok] = np.rint(v[ok] * 1e6).astype(np.int64)
    whole = pd.Series(micro // 1_000_000).astype(str)
    frac = pd.Series(micro % 1_000_000).astype(str).str.zfill(6).str.rstrip("0")
    text = whole.where(frac == "", whole + "." + frac)
    return pd.Series(text.where(ok, np.nan).array, index=x.index)


def csv_text(frame: pd.DataFrame) -> str:
    """exports.csv_text of the assignments (every text cell made inert for spreadsheets, distances
    as plain decimals), with the per-cell work done once per column."""
    from .escaping import FORMULA_START, csv_cell

    out = frame.copy()
    for col in out.columns:
        if col == "distance":
            out[col] = _decimals(out[col])
        elif not pd.api.types.is_numeric_dtype(out[col]):
            text = out[col]
            if pd.api.types.infer_dtype(text, skipna=False) != "string":  # not all text: cell by cell
                out[col] = text.map(csv_cell)
                continue
            text = text.astype(str)
            out[col] = text.where(~text.str.startswith(FORMULA_START), "'" + text)
    # As pandas' to_csv writes it: a field holding a comma, a quote or a line feed is quoted, its
    # quotes doubled; missing values are empty.
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = []
    for col in out.columns:
        text = out[col].astype(str).fillna("")
        quote = text.str.contains('[,"\n]', regex=True)
        if quote.any():
            text = text.where(~quote, '"' + text.str.replace('"', '""', regex=False) + '"')
        cells.append(pc.cast(pa.array(text.array), pa.large_string()))
    lines = pc.binary_join_element_wise(*cells, pa.scalar(",", pa.large_string()))
    body = "\n".join(lines.to_pylist()) + "\n" if len(out) else ""
    return ",".join(out.columns) + "\n" + body


def write(assigned: Assigned, out: Path, drift_path: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(csv_text(assigned.assignments), encoding="utf-8")
    report = {**assigned.drift.to_dict(), "reference_date": assigned.reference_date.isoformat(),
              "model_reference_date": assigned.model_reference_date.isoformat()}
    drift_path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")

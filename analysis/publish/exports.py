"""The private outputs: results.json, one row per input customer, features and extra tables.

Every CSV goes through `csv_safe`, so that a cell a spreadsheet would read as a formula is text.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..escaping import FORMULA_START, csv_cell
from .. import formatters as fmt
from ..memory import release_memory
from ..threads import each
from ..results import Persona

def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell, index label and column name made inert for spreadsheets."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = _inert(out[col])
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = pd.Index(_inert(out.index.to_series()), name=out.index.name)
    out.index.name = csv_cell(out.index.name) if out.index.name is not None else None
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def _inert(values: pd.Series) -> pd.Series:
    """`csv_cell` of every value: the strings that start like a formula are found in vectorised
    passes (Arrow for columns of text only, else pandas) and only they are changed."""
    try:  # (the values, not the Series: pyarrow's probes of a Series hash its whole index first)
        text = pa.array(values.array, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # not only text
        text = None
    if text is not None:
        hit = _any([pc.starts_with(text, start) for start in FORMULA_START])
        risky = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    else:
        try:
            risky = values.str.startswith(FORMULA_START).fillna(False).astype(bool).to_numpy()
        except AttributeError:  # no strings at all (dates, categories of numbers): one by one
            return values.map(csv_cell)
    if not risky.any():
        return values
    out = values.astype(object)
    out[risky] = [csv_cell(v) for v in values[risky]]
    return out.astype(values.dtype) if isinstance(values.dtype, pd.StringDtype) else out


def _any(masks: list) -> pa.Array:
    out = masks[0]
    for m in masks[1:]:
        out = pc.or_(out, m)
    return out


def _decimal(x: float) -> str:
    """A float cell as a plain decimal: no scientific notation (1e-05, 7.3e+04), no '-0'."""
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# Below 2**19 a double's unit in the last place is under 1e-10: the shortest text that reads back
# as x, when it has at most 10 decimals, is then also x rounded to 10 places, i.e. _decimal(x).
FAST_BELOW = 2.0**19


def decimals(values) -> pa.Array:
    """`_decimal` of every float as Arrow text (null where missing), the common cells at C speed:
    Arrow's shortest round-trip text is kept where it has no exponent, at most 10 decimals and
    the value is below FAST_BELOW; any other cell goes through `_decimal` itself."""
    x = values.to_numpy(dtype=float, na_value=np.nan) if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values, dtype=float)
    x = np.where(x == 0, 0.0, x)  # -0.0 is written 0
    arr = pa.array(x, mask=np.isnan(x))  # NaN -> null (a mask: far faster than from_pandas' scan)
    text = pc.cast(arr, pa.string())
    point = pc.find_substring(text, ".")
    # (The text of a number is ASCII: its length in bytes is its length in characters.)
    places = pc.if_else(pc.equal(point, -1), 0, pc.subtract(pc.subtract(pc.binary_length(text), point), 1))
    fast = pc.and_(pc.and_(pc.invert(pc.match_substring(text, "e")), pc.less_equal(places, 10)),
                   pc.less(pc.abs(arr), FAST_BELOW))
    slow = np.flatnonzero(~pc.fill_null(fast, True).to_numpy(zero_copy_only=False))
    if not len(slow):
        return text
    out = text.to_numpy(zero_copy_only=False).astype(object)
    out[slow] = [_decimal(v) for v in x[slow]]
    return pa.array(out, type=pa.string())


def csv_text(frame: pd.DataFrame, index: bool = False) -> str:
    """CSV of the frame (see csv_safe); floats written as plain decimals (at most 10 places).

    The text is what pandas' `to_csv` writes (minimal quoting, "\n"); frames of text, integer and
    float columns are assembled column by column in Arrow, others written by pandas."""
    return csv_bytes(frame, index).decode("utf-8")


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """csv_text as UTF-8 bytes (no text object is made of a large table Arrow assembles)."""
    out = csv_safe(frame)  # before the floats become text: a negative number is not a formula
    fast = _arrow_csv(out, index)
    if fast is not None:
        return fast
    for i, col in enumerate(out.columns):
        if pd.api.types.is_float_dtype(out.dtypes.iloc[i]):
            out[col] = pd.Series(decimals(out.iloc[:, i]).to_pylist(), index=out.index, dtype=object)
    if index and pd.api.types.is_float_dtype(out.index.dtype):
        out.index = pd.Index(decimals(out.index).to_pylist(), dtype=object, name=out.index.name)
    return out.to_csv(index=index, lineterminator="\n").encode("utf-8")


def _cells(col: pd.Series) -> pa.Array | None:
    """A column's cells as pandas writes them (quoted where they hold a comma, a quote or a line
    break), or None for a type this does not render."""
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_float_dtype(dtype):  # numbers need no quotes
        return pc.fill_null(decimals(col), "")
    if pd.api.types.is_integer_dtype(dtype):
        return pc.fill_null(pc.cast(pa.array(col.array, from_pandas=True), pa.string()), "")
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None
    try:
        cells = pa.array(col.array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not only text (numbers among the strings)
        return None
    # (Text pandas holds in Arrow may be in chunks, a large CSV read's blocks: one array is joined below.)
    cells = pc.fill_null(cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells, "")
    # A carriage return is quoted too, as Python 3.12's csv module does (3.11's leaves it bare, which
    # splits the row in spreadsheets).
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(cells, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(cells, '[,"\r\n]'), quoted, cells)


def _arrow_csv(frame: pd.DataFrame, index: bool) -> bytes | None:
    if len(frame) == 0 or frame.shape[1] + index < 2:  # a lone empty cell is quoted by pandas
        return None
    columns = ([frame.index.to_series()] if index else []) + [frame.iloc[:, i] for i in range(frame.shape[1])]
    texts = each(_cells, columns, len(frame))  # Arrow's kernels release the GIL: columns side by side
    if any(t is None for t in texts):
        return None
    # Each row ends with its line break, so that the rows' text, back to back, is the body.
    texts[-1] = pc.binary_join_element_wise(texts[-1], "\n", "")
    rows = pc.binary_join_element_wise(*texts, ",")
    _, offsets, data = rows.buffers()
    width = np.int64 if pa.types.is_large_string(rows.type) else np.int32
    ends = np.frombuffer(offsets, dtype=width)[rows.offset:rows.offset + len(rows) + 1]
    body = memoryview(data)[ends[0]:ends[-1]]
    return b"".join((frame.iloc[:0].to_csv(index=index, lineterminator="\n").encode("utf-8"), body))


CSV_BLOCK = 100_000  # rows made text at a time when a CSV is written to a file


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False, places: int | None = None) -> None:
    """csv_bytes(frame.round(places)) into `path`, a block of rows at a time: every cell is
    written on its own, so the file is the same, and memory holds one block's text rather than
    the whole table's (three copies of it at 1M customers)."""
    header = len(csv_bytes(frame.iloc[:0], index))
    with open(path, "wb") as f:
        for start in range(0, max(len(frame), 1), CSV_BLOCK):
            block = frame.iloc[start:start + CSV_BLOCK]
            text = csv_bytes(block if places is None else block.round(places), index)
            f.write(memoryview(text)[header if start else 0:])


def write_exports(run, exports: Path) -> None:
    """Every private file of a run into `exports` (a fresh folder the caller swaps in)."""
    exports.mkdir(parents=True, exist_ok=True)
    (exports / "results.json").write_text(run.results.to_json(), encoding="utf-8")
    (exports / "personas.yml").write_text(overrides_template(run.results.personas), encoding="utf-8")
    # The analysis's freed heap handed back first: each table's text blocks are freed as it is
    # written, and the heap does not grow by every table (at 1M customers the exports' peak 1,476
    # -> about 1,200 to 1,300 MiB).
    release_memory()
    # The two tables of every customer are written beside the lists, three files at a time: Arrow
    # makes the cells, and the file system takes the bytes, outside the GIL (1M customers: 4.8 ->
    # 3.4 s on 2 cores).
    with ThreadPoolExecutor(2) as pool:
        written = [pool.submit(write_csv, run.assignments, exports / "assignments.csv"),
                   pool.submit(write_csv, run.customers, exports / "customers_features.csv", True, 6)]
        for rel, frame in run.tables:
            path = exports / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_csv(frame, path)
        for w in written:
            w.result()


def overrides_template(personas: tuple[Persona, ...]) -> str:
    """exports/personas.yml: copy it, edit names and notes, and name it in report.overrides."""
    lines = ["# Persona overrides: edit a name or add notes, then set report.overrides to this file's path.",
             "# Each entry is matched to the segment whose profile (the means under `match`) is closest,",
             "# so it still applies when a re-run numbers the segments differently.", "segments:"]
    for p in personas:
        lines.append(f"  - segment: {p.segment}")
        lines.append(f"    name: {fmt.yaml_str(p.name)}")
        lines.append(f"    notes: {fmt.yaml_str(p.notes)}")
        lines.append("    match:")
        lines += [f"      {f}: {v:.6g}" for f, v in p.fingerprint.items()]
    return "\n".join(lines) + "\n"

"""Order lines -> one row per customer (recency, frequency, money, category mix, time habits) and
the baskets behind them, computed by DuckDB straight from CSV or Parquet.

Tens of millions of lines never sit in pandas: DuckDB cleans and aggregates them out of core, and
only per-customer rows and two integer columns per basket line (order, product) come back.
"""
from __future__ import annotations

import codecs
import difflib
import gzip
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import cleaning
from .cleaning import CODE_SIGNS, DATE_CELL, comma_file, DATE_FORMATS, DOT_GROUPS, WHOLE, ZONE, LogEntry, comma_decimals, zoneless
from ..config import Columns, Config, TransactionsFile
from ..errors import UserError
from ..memory import arrow_pool, release_memory
from .season import MONTH_COLUMNS, with_season
from ..options import WHITESPACE
from .loading import (MISSING_MARKERS, TWO_LETTER_MARKERS, detect_encoding, head_fields, largest_sheet,
                      line_delimiter, looks_binary, native_numbers_as_written, not_read, parquet_parts, parquet_zone,
                      read_table, sha256_of, two_letter_codes)

NUMERIC_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL"}
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
MEMORY_LIMIT = "2GB"
MAX_CATEGORIES = 15  # more spend shares than this blur the segments; the rest are pooled
UNCATEGORISED = "Uncategorised"
OTHER = "Other categories"
HABITS = (  # (name, SQL over an order's timestamp ts): share of a customer's orders placed then
    ("at weekends", "dayofweek(ts) IN (0, 6)"),
    ("in the morning (before 12:00)", "hour(ts) < 12"),
    ("in the evening (from 17:00)", "hour(ts) >= 17"),
)
# Why a line is not used, checked in this order; lines without a customer are still baskets.
RETURN = "return (negative quantity)"
RETURNED = "returned (its status is one of transactions.returned_statuses)"
LINE_RULES = (
    # Without an order column an order is a customer's lines at one time: a line without a customer has none.
    ("missing values", "no customer id to make its order of (no order column)", "{derived} AND customer IS NULL"),
    ("missing values", "missing order id or product", "ord IS NULL OR product IS NULL"),
    ("unreadable values", "quantity is not a number", "qty IS NULL"),
    ("unreadable values", "unit price is not a number", "price IS NULL"),
    ("unreadable values", "timestamp is not a date", "ts IS NULL"),
    ("cancellations", "cancelled order", "cancelled"),
    ("implausible values", "quantity or unit price infinite or beyond 1e12", "NOT isfinite(qty) OR NOT isfinite(price) "
     "OR abs(qty) > 1e12 OR abs(price) > 1e12"),
    ("implausible values", "timestamp in the future", "ts >= TIMESTAMP '{tomorrow}'"),
    ("implausible values", "timestamp before 1900", "ts < TIMESTAMP '1900-01-01'"),
    ("implausible values", "zero quantity", "qty = 0"),
    ("implausible values", "price zero or negative", "price <= 0"),
    ("not products", "fee, postage or adjustment (transactions.not_products)", "not_product"),
    # Goods sent back, as the status of their own sale line: no sale, while the order's other lines count.
    ("returns", RETURNED, "returned"),
    # Last: a return is a line sound in every other respect. Its money is taken off the customer's spend.
    ("returns", RETURN, "qty < 0"),
)


MIN_PRICED = 5  # lines of a product before its median price is a yardstick for a typo


def price_typo(t: TransactionsFile) -> str:
    return f"unit price more than {t.max_price_ratio:g} times its product's median (a typo, e.g. in cents)"


def without_products(t: TransactionsFile) -> TransactionsFile:
    """Lines of no named product read as lines of one. No product's median price is then a yardstick:
    a card's travel purchase among groceries is no typo."""
    return t.model_copy(update={"product": NO_PRODUCT, "max_price_ratio": None})


def line_rules(t: TransactionsFile) -> tuple:
    """LINE_RULES, and the price typo judged after them (on the lines they keep), as the log lists them."""
    return LINE_RULES + ((("implausible values", price_typo(t), None),) if t.max_price_ratio and t.money else ())


# Lines without prices (transactions.unit_price: null) are read at a price of 1: what a customer
# bought is then counted in units, no price rule can set a line aside, and no money is published.
UNPRICED = "1.0::DOUBLE"


def measure(t: TransactionsFile) -> tuple[str, str]:
    """What the per-customer amounts count, and their column name: 'spend' and 'Spend', or without
    prices 'units' and 'Units'."""
    return ("spend", "Spend") if t.money else ("units", "Units")


def amount_column(t: TransactionsFile, category: str) -> str:
    """The per-customer column of a category's amount: 'Spend on Wine', or 'Units of Wine'."""
    return f"Spend on {category}" if t.money else f"Units of {category}"


def return_action(t: TransactionsFile) -> str:
    """What is done with a returned line: its amount taken off the customer's spend (or units)."""
    return RETURN_ACTION.replace("spend", measure(t)[0])


# Order lines without a product column read as lines of this one product, in a column of this name.
NO_PRODUCT, ALL_PRODUCTS = "_segments_product", "ALL PRODUCTS"  # a code as normalised codes read


@dataclass(frozen=True)
class OrderBaskets:
    """Every used order as a basket: (order, product) pairs as integer codes. Each order's customer
    is a code into the distinct customer ids (four bytes an order, not a Python text)."""

    order_idx: np.ndarray  # int32, one per basket line
    product_idx: np.ndarray  # int32
    order_owner: np.ndarray  # int32 per order: its customer's place in `owners`, -1 without one
    owners: np.ndarray  # object: the customer ids the orders name
    products: tuple[str, ...]  # product display names by code
    product_category: np.ndarray  # int32 code into categories, per product (-1: none)
    categories: tuple[str, ...]
    product_value: np.ndarray  # float: average spend on the product in an order that holds it

    @property
    def n_orders(self) -> int:
        return len(self.order_owner)

    @property
    def order_customer(self) -> np.ndarray:
        """Each order's customer id (None without one), made anew at each call."""
        out = np.full(self.n_orders, None, dtype=object)
        has = self.order_owner >= 0
        out[has] = self.owners[self.order_owner[has]]
        return out


def by_owner(ids) -> tuple[np.ndarray, np.ndarray]:
    """(order_owner, owners) of OrderBaskets from each order's customer id (None or null: none),
    dictionary-encoded by Arrow: owners in order of first appearance."""
    arr = ids if isinstance(ids, (pa.Array, pa.ChunkedArray)) else pa.array(ids, type=pa.string())
    # Encoded chunk by chunk, the text never joined into one array (past 2 GB its offsets would
    # overflow): the chunks of the result share one dictionary.
    chunks = pc.dictionary_encode(arr).chunks if isinstance(arr, pa.ChunkedArray) else [pc.dictionary_encode(arr)]
    if not chunks:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=object)
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in chunks])
    return codes.astype(np.int32), chunks[0].dictionary.to_numpy(zero_copy_only=False).astype(object)


@dataclass(frozen=True)
class OrderData:
    frame: pd.DataFrame  # one typed row per customer with a usable line; columns named in `columns`
    columns: Columns  # the roles of frame's columns, as a customer table's config would name them
    log: tuple[LogEntry, ...]
    excluded: dict[str, str]  # customer id -> why it has no row in frame
    reference_date: date
    baskets: OrderBaskets
    n_lines: int
    sha256: str
    delimiter: str
    encoding: str
    product_map: pd.DataFrame | None = None  # product (upper case) -> category, as applied
    products_sha256: str | None = None  # SHA-256 of the product map file read (None: no file read)
    season: tuple[int, ...] = ()  # the calendar months of the season habit, if any (see season.py)


def gzipped(path: Path) -> bool:
    """Whether a file is gzip-compressed, whatever its name says."""
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _opener(path: Path):
    """gzip.open for a gzip-compressed file, else open."""
    return gzip.open if gzipped(path) else open


def _head(path: Path, size: int = 1 << 16) -> bytes:
    opener = _opener(path)
    try:
        with opener(path, "rb") as f:
            return f.read(size)
    except (OSError, EOFError):
        raise UserError(f"{path}: looks gzip-compressed but cannot be decompressed") from None


def to_utf8(path: Path, enc: str, folder: Path) -> Path:
    """A UTF-8 copy of a text file in another encoding (Windows-1252 exports with their euro signs,
    say), decompressed, written in pieces; one line naming the file when it is not that encoding."""
    out = folder / "lines-utf8.csv"
    done = 0  # bytes decoded before the current piece: where a bad byte is, for the error line
    try:
        decoder = codecs.getincrementaldecoder(enc)()
        with _opener(path)(path, "rb") as raw, out.open("w", encoding="utf-8", newline="") as dst:
            while piece := raw.read(1 << 20):
                dst.write(decoder.decode(piece))
                done += len(piece)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: is not {enc} text (byte {e.object[e.start:e.start + 1]!r} at about byte "
                        f"{done + e.start:,}); set transactions.encoding") from None
    except LookupError:
        raise UserError(f"{path}: unknown encoding {enc!r} (transactions.encoding)") from None
    return out


UTF8 = ("utf-8", "utf-8-sig", "ascii")
NOT_UTF8 = "not utf-8 encoded"  # DuckDB's words when a line of a file read as UTF-8 is not


def utf8_break(path: Path) -> int | None:
    """Where the first byte that is not UTF-8 is (about), or None: one pass over the whole file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with _opener(path)(path, "rb") as raw:
        try:
            while piece := raw.read(1 << 20):
                decoder.decode(piece)
                done += len(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:  # e.object: the piece after what the last one left unfinished
            return done - (len(e.object) - len(piece)) + e.start
    return None


def later_encoding(path: Path, t: TransactionsFile, enc: str) -> str:
    """The encoding of a file whose head reads as UTF-8 (all that is sniffed is the first 64 KB) but
    a later byte does not (a Windows-1252 export whose first '£' is on line 5,000): detected from the
    bytes there when the encoding is 'auto', else one line naming the byte."""
    at = utf8_break(path)
    if at is None:
        return enc
    with _opener(path)(path, "rb") as raw:
        raw.read(at)
        window = raw.read(1 << 16)
    if t.encoding != "auto":
        raise UserError(f"{path}: is not {t.encoding} text (byte {window[:1]!r} at about byte {at:,}); "
                        "set transactions.encoding")
    found = detect_encoding(window)
    return "cp1252" if found.lower() in UTF8 else found


def status_key(text_sql: str) -> str:
    """SQL: a status as compared and listed, in lower case with one sigma: DuckDB lowers Σ to σ
    everywhere, Python and Java to ς at a word's end ('ΑΚΥΡΩΜΕΝΟΣ' and 'ακυρωμενος' are one status)."""
    return f"replace(lower({text_sql}), 'ς', 'σ')"


def status_value(value: str) -> str:
    """A configured status as status_key writes the lines' ('İPTAL' is 'iptal', as DuckDB lowers it)."""
    return value.strip().replace("İ", "i").lower().replace("ς", "σ")


def _run(con, sql: str, params: list | None = None) -> None:
    """Run a statement and consume its result (DuckDB keeps the connection busy until then)."""
    con.execute(sql, params or []).fetchall()


def id_text(column: str) -> str:
    """SQL: a customer id as the text it leaves DuckDB as (whole-number ids are kept as numbers within)."""
    return f"CAST({column} AS VARCHAR)"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source(con, path: Path, t: TransactionsFile, tmp: str,
            progress: Callable[[str], None] = lambda s: None) -> tuple[str, str, str]:
    """Register the raw lines as view `src` (CSV columns as text, Parquet columns with their own
    types); return (kind, delimiter, encoding). `tmp`: a folder for a UTF-8 copy, when one is needed.
    A CSV is parsed once into a Parquet copy of its text in `tmp`: the load reads the lines about ten
    times, and parsing (and unzipping) the CSV each time cost more than all else; a table of the text
    spills to disk beyond the memory cap and reads no faster, Parquet's columns are read one by one."""
    import duckdb  # here, not at import: a run on a customer table never needs it
    if not path.exists():
        raise UserError(f"{path}: file not found")
    not_read(path)
    if path.is_dir():
        files = "[" + ", ".join(_lit(str(p)) for p in parquet_parts(path)) + "]"
        read = f"read_parquet({files}, hive_partitioning = true, union_by_name = true)"
    else:
        if path.stat().st_size == 0:
            raise UserError(f"{path}: file is empty")
        with path.open("rb") as f:
            parquet = f.read(4) == b"PAR1"
        read = f"read_parquet({_lit(str(path))})" if parquet or path.suffix.lower() == ".parquet" else None
    if path.suffix.lower() in EXCEL:  # a sheet holds at most a million lines: read as text, handed over as Parquet
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = excel_text(path, t.sheet)
        if not len(frame.columns):
            raise UserError(f"{path}: no columns found")
        if len(frame.attrs["sheets"]) > 1:
            progress(f"order lines: sheets {', '.join(map(repr, frame.attrs['sheets']))} have the same columns: "
                     f"read as one table of {len(frame):,} lines")
        out = Path(tmp) / "lines-excel.parquet"
        pq.write_table(pa.table({c: pa.array(frame[c].astype(str).tolist(), pa.string()) for c in frame.columns}), out)
        _run(con, f"CREATE VIEW src AS SELECT * FROM read_parquet({_lit(str(out))})")
        return "excel", "excel", "binary"
    if read:
        try:
            cols = con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
        except duckdb.Error:
            raise UserError(f"{path}: cannot be read as Parquet") from None
        if not cols:
            raise UserError(f"{path}: no columns found")
        _run(con, f"CREATE VIEW src AS SELECT * FROM {read}")
        return "parquet", "parquet", "binary"
    head = _head(path)
    if not head.strip():
        raise UserError(f"{path}: file is empty")
    enc = detect_encoding(head) if t.encoding == "auto" else t.encoding
    duck_enc = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8", "utf-16": "utf-16"}.get(enc.lower())
    text = head.decode(enc, errors="replace")
    if looks_binary(text):
        raise UserError(f"{path}: contains binary data; expected a CSV, TSV or Parquet file")
    delim = line_delimiter(text, t.delimiter)
    read_path = path
    # DuckDB tells gzip by the name: a download saved as .csv is said to be compressed.
    compression = "gzip" if gzipped(path) else "none"
    if duck_enc is None:  # DuckDB reads UTF-8 and UTF-16 only: other encodings are written out as UTF-8
        read_path, duck_enc, compression = to_utf8(path, enc, Path(tmp)), "utf-8", "none"
    first = head_fields(text, delim)
    names = first if t.header else [f"column {i}" for i in range(1, len(first) + 1)]
    try:
        if delim == WHITESPACE:  # each line read whole, then split at its runs of spaces
            _run(con, f"""CREATE TEMP TABLE split_lines AS SELECT regexp_split_to_array(trim(line), '\\s+') AS p
                FROM read_csv({_lit(str(read_path))}, columns = {{'line': 'VARCHAR'}}, header = false,
                    skip = {int(t.header)}, delim = '\x1f', quote = '', escape = '', encoding = {_lit(duck_enc)},
                    compression = {_lit(compression)}) WHERE trim(line) <> ''""")
            picked = ", ".join(f"p[{i}] AS {_q(n)}" for i, n in enumerate(names, 1))
            _run(con, f"CREATE VIEW src AS SELECT {picked} FROM split_lines")
            odd = con.execute("SELECT count(*), any_value(array_to_string(p, ' ')) FROM split_lines "
                              f"WHERE len(p) <> {len(names)}").fetchall()[0]
            if odd[0]:
                raise UserError(f"{path}: {odd[0]:,} line(s) do not split into {len(names)} fields at runs of spaces, "
                                f"e.g. {odd[1][:120]!r} (a value with a space in it?); save the file with a delimiter")
        else:
            given = "" if t.header else ", names = [" + ", ".join(_lit(n) for n in names) + "]"
            text_copy = Path(tmp) / "lines-text.parquet"
            _run(
                con, f"COPY (SELECT * FROM read_csv({_lit(str(read_path))}, all_varchar = true, "
                f"header = {str(t.header).lower()}{given}, "
                f"delim = {_lit(delim)}, quote = '\"', escape = '\"', encoding = {_lit(duck_enc)}, "
                f"compression = {_lit(compression)}, null_padding = false, strict_mode = true)) "
                f"TO {_lit(str(text_copy))} (FORMAT parquet, COMPRESSION uncompressed)")
            _run(con, f"CREATE VIEW src_all AS SELECT * FROM read_parquet({_lit(str(text_copy))})")
            columns = [r[0] for r in con.execute("DESCRIBE src_all").fetchall()]
            _run(con, f"CREATE VIEW src AS SELECT * FROM src_all WHERE NOT ({header_again(columns)})")
        n_cols = len(con.execute("DESCRIBE src").fetchall())
    except duckdb.Error as e:
        if NOT_UTF8 in str(e):  # load_orders finds the whole file's encoding and reads it again
            raise
        raise UserError(unreadable_text(path, str(e), enc, delim)) from None
    if n_cols < 2:
        raise UserError(f"{path}: only one column found with delimiter {delim!r}; set transactions.delimiter")
    return "csv", delim, enc


def unreadable_text(path: Path, error: str, enc: str, delim: str) -> str:
    """One line for a CSV that DuckDB cannot parse: a line of more or fewer fields than the header
    is named with its number and its text; any other error by DuckDB's first line."""
    line = re.search(r"CSV Error on Line: (\d+)", error)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", error)
    text = re.search(r"Original Line: (.*)", error)
    if line and fields:
        shown = f": {text.group(1)[:120]!r}" if text else ""
        return (f"{path}: line {int(line.group(1)):,} has {fields.group(2)} fields where the header has "
                f"{fields.group(1)} (delimiter {delim!r}){shown}; fix or remove that line, or quote a value "
                "that holds the delimiter")
    return f"{path}: cannot be read as {enc} text with delimiter {delim!r} ({error.splitlines()[0][:160]})"


def header_again(columns: list[str]) -> str:
    """SQL: the line repeats the header, every field its column's name (exports of several files joined)."""
    return " AND ".join(f"coalesce(trim({_q(c)}) = {_lit(c.strip())}, false)" for c in columns) or "false"


REPEATED_HEADER = "lines that repeat the header (files joined together)"


def _check_columns(con, path: Path, t: TransactionsFile, joined_key: str | None = None) -> dict[str, str]:
    """Every column the config names must be in the file; returns each column's type."""
    types = {r[0]: r[1] for r in con.execute("DESCRIBE src").fetchall()}
    check_named_columns(list(types), path, t, joined_key)
    return types


def check_named_columns(present: list[str], path: Path, t: TransactionsFile, joined_key: str | None = None) -> None:
    """One line naming the first column the config names that the file (`present`) lacks; `joined_key`:
    the lines' id column as join.transactions gives it (named so, since the user wrote it there)."""
    named = [("customer", t.customer), ("order", t.order), ("timestamp", t.timestamp), ("product", t.product),
             ("product_name", t.product_name), ("quantity", t.quantity), ("unit_price", t.unit_price), ("amount", t.amount),
             ("category", t.category), ("status", t.status)] + [("customer_columns", c) for c in t.customer_columns]
    for role, col in named:
        if col is not None and col not in present:
            close = difflib.get_close_matches(col, present, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            key = "join.transactions" if role == "customer" and joined_key == col else f"transactions.{role}"
            raise UserError(f"{path}: column {col!r} ({key} in the config) is not in the file{hint}")


NORMALISED = {"product codes": "product codes written more than one way (stray spaces or lower case), compared in upper case",
              "product names": "product names with stray spaces, tidied (a product is shown by its most frequent "
                               "name)"}


def _text(col: str, codes: bool = False) -> str:
    """SQL: the column trimmed, NULL when it holds a missing-value marker; with `codes` (a column of
    two-letter codes, loading.two_letter_codes) 'NA' and 'NC' are codes among them (Napoli)."""
    markers = ", ".join(_lit(m) for m in sorted(MISSING_MARKERS))
    v = f"trim(CAST({_q(col)} AS VARCHAR))"  # Parquet columns keep their types; text is compared as text
    kept = f"WHEN {v} IN ({', '.join(_lit(m) for m in TWO_LETTER_MARKERS)}) THEN {v} " if codes else ""
    return f"CASE {kept}WHEN lower({v}) IN ({markers}) THEN NULL ELSE {v} END"


CODE_SAMPLE = 5000  # distinct values of a customer column looked at to tell codes (two capitals) from text


def _coded(con, col: str) -> bool:
    """A customer column of two-letter codes (provinces, states) holding 'NA' or 'NC' among them."""
    v = f"trim(CAST({_q(col)} AS VARCHAR))"
    seen = [r[0] for r in con.execute(f"SELECT DISTINCT {v} FROM src WHERE {v} IS NOT NULL LIMIT {CODE_SAMPLE}").fetchall()]
    others = [x for x in seen if x.lower() not in MISSING_MARKERS]
    return any(x in TWO_LETTER_MARKERS for x in seen) and two_letter_codes(others)


# Numbers written as text, read as the customer-table loader reads them (cleaning._number_text):
# a currency sign or code before or after (spaces, no-break ones too, between), a percent sign,
# accounting negatives '(12.50)'; then one convention per column for commas and dots.
_SPACE = "[ \t\u00a0\u202f]*"
CURRENCY = f"(?:{cleaning.CURRENCY})"
SIGN_BEFORE = rf"^(-?){_SPACE}{CURRENCY}{_SPACE}"  # replaced by the minus sign, if any
SIGN_AFTER = rf"{_SPACE}(?:{CURRENCY}|%)$"
ACCOUNTING = r"^\((\d.*)\)$"  # replaced by '-' and the number
GROUP_MARK = "[ \t\u00a0\u202f'’]"  # digit-group spaces and apostrophes: 1 234,56 / 1'234.56
GROUPED = rf"-?\d{{1,3}}(?:{GROUP_MARK}\d{{3}})+(?:[.,]\d+)?"  # ... dropped from a number grouped so
US_ONLY = r"-?\d{1,3}(?:,\d{3})+\.\d+"  # 1,234.56: commas group thousands
EU_ONLY = r"(?:-?\d{1,3}(?:\.\d{3})+,\d+|-?\d{1,3}(?:\.\d{3}){2,})"  # 1.234,56 or 1.234.567: dots group
COMMA_DECIMAL = r"-?\d+,\d+"  # 2,5 (a decimal comma unless it is 1,234 or 12,345,678)
COMMA_GROUPS = r"-?\d{1,3}(?:,\d{3})+"
EU_NUMBER = r"(?:-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+,\d+)"  # rewritten 1234.56 in a comma-decimal column
US_GROUPED = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # rewritten 1234.56 in a dot-decimal column


def _bare(col: str, text: str | None = None) -> str:
    """SQL: the column's text (or the `text` expression) without currency, percent sign,
    accounting parentheses or digit-group spaces."""
    t = f"regexp_replace({text or _text(col)}, {_lit(SIGN_BEFORE)}, '\\1')"
    t = f"regexp_replace({t}, {_lit(SIGN_AFTER)}, '')"
    t = f"regexp_replace({t}, {_lit(ACCOUNTING)}, '-\\1')"
    return f"CASE WHEN regexp_full_match({t}, {_lit(GROUPED)}) THEN regexp_replace({t}, {_lit(GROUP_MARK)}, '', 'g') ELSE {t} END"


def _number(col: str, typed: bool = False, decimal_comma: bool = False) -> str:
    """SQL: the column as a number (text read as `_bare`, then with the column's convention)."""
    if typed:
        return f"CAST({_q(col)} AS DOUBLE)"
    t = _bare(col)
    if decimal_comma:
        text = (f"CASE WHEN regexp_full_match({t}, {_lit(EU_NUMBER)}) "
                f"THEN replace(replace({t}, '.', ''), ',', '.') ELSE {t} END")
    else:
        text = f"CASE WHEN regexp_full_match({t}, {_lit(US_GROUPED)}) THEN replace({t}, ',', '') ELSE {t} END"
    # Most values are plain numbers, read as they are (the same number): the regular expressions
    # run on the others only. With decimal commas a dot groups thousands, so no dot is plain.
    # (CASE, not coalesce: DuckDB evaluates a CASE branch for the rows that take it only.)
    plain = _text(col) if not decimal_comma else f"CASE WHEN contains({_text(col)}, '.') THEN NULL ELSE {_text(col)} END"
    return (f"CASE WHEN TRY_CAST({plain} AS DOUBLE) IS NOT NULL THEN TRY_CAST({plain} AS DOUBLE) "
            f"ELSE TRY_CAST({text} AS DOUBLE) END")


def _written(con, col: str, path: Path | None = None) -> tuple[bool, ...]:
    """What comma_decimals needs, judged on every distinct value of a text column: a dot anywhere,
    the patterns of the values that are not plain numbers (the only ones that can match them),
    whether every dot groups three digits (with no comma anywhere) and the largest whole number
    written without a dot. Amounts in more than one currency are refused (`one_currency`): summed,
    they would mean nothing."""
    *row, signs = con.execute(
        f"""WITH d AS (SELECT DISTINCT {_text(col)} AS raw FROM src),
            b AS (SELECT raw, CASE WHEN TRY_CAST(raw AS DOUBLE) IS NULL THEN {_bare(col, 'raw')} ELSE raw END AS v
                  FROM d WHERE raw IS NOT NULL),
            odd AS (SELECT v FROM b WHERE TRY_CAST(raw AS DOUBLE) IS NULL AND v IS NOT NULL)
            SELECT (SELECT coalesce(bool_or(contains(raw, '.')), false) FROM b),
                   coalesce(bool_or(regexp_full_match(v, {_lit(US_ONLY)})), false),
                   coalesce(bool_or(regexp_full_match(v, {_lit(EU_ONLY)})), false),
                   coalesce(bool_or(regexp_full_match(v, {_lit(COMMA_DECIMAL)})
                                    AND NOT regexp_full_match(v, {_lit(COMMA_GROUPS)})), false),
                   (SELECT coalesce(bool_and(NOT contains(v, ',') AND (NOT contains(v, '.')
                                                 OR regexp_full_match(v, {_lit(DOT_GROUPS)}))), false)
                           AND bool_or(contains(v, '.')) FROM b),
                   (SELECT max(abs(TRY_CAST(v AS DOUBLE))) FROM b WHERE regexp_full_match(v, {_lit(WHOLE)})),
                   (SELECT list(DISTINCT regexp_extract(raw, {_lit(CURRENCY)})) FROM d
                    WHERE raw IS NOT NULL AND TRY_CAST(raw AS DOUBLE) IS NULL)
            FROM odd""").fetchall()[0]
    one_currency(signs or [], col, path)
    return tuple(row)


def decimal_conventions(written: dict[str, tuple], delimiter: str | None = None) -> dict[str, bool]:
    """comma_decimals for each column of one file (`_written` for each): dots that only group three
    digits are thousands when another column writes decimal commas, or in a file split by
    semicolons (cleaning.comma_file)."""
    own = {c: comma_decimals(*w) for c, w in written.items()}
    # A decimal point: a column not read with commas whose dots do not all group three digits.
    point = any(not own[c] and (w[1] or (w[0] and not w[4])) for c, w in written.items())
    file_comma = any(own.values()) or (comma_file(delimiter) and not point)
    return {c: comma_decimals(*w, file_comma=file_comma) for c, w in written.items()}


def one_currency(signs: list[str], col: str, path: Path | None) -> None:
    """Amounts written in two currencies ($ and €, EUR and GBP) cannot be added: one error line.
    A code and its sign are one currency ('$' is taken for the US dollar, as it is written alone)."""
    found = sorted({CODE_SIGNS.get(x, x) for x in signs if x})
    if len(found) > 1:
        shown = ", ".join(sorted({x for x in signs if x}))
        raise UserError(f"{path}: column {col!r} holds amounts in more than one currency ({shown}); "
                        "convert them to one currency first")


FIRST_ORDER = "First order"  # each customer's first order: the order lines' signup date

TIMESTAMP_FORMATS = tuple(f + s for f in DATE_FORMATS for s in (" %H:%M:%S", " %H:%M", "", " %I:%M:%S %p", " %I:%M %p"))


# DuckDB's own reading, for values that begin as ISO dates do: its cast also takes '03/02/24 09:30'
# (as the year 3), which is 3 February 2024 in a file's own format.
ISO_START = r"^\d{4}-\d"
ISO_PROBE = f"CASE WHEN regexp_matches(v, '{ISO_START}') THEN TRY_CAST(v AS TIMESTAMP) END"


def timestamp_formats(con, column: str, first_only: bool = False) -> list[str | None]:
    """The formats that read every distinct value of a text column of `src` (None: DuckDB's own
    ISO reading), best first. Every distinct value is tried, not the first lines: the first days
    of a file ('12/1/2010') read as day/month and as month/day alike."""
    col = _text(column)
    _run(con, f"CREATE OR REPLACE TEMP TABLE ts_values AS SELECT DISTINCT {col} AS v FROM src WHERE {col} IS NOT NULL")
    if con.execute("SELECT count(*) FROM ts_values").fetchall()[0][0] == 0:
        return []
    fits = []
    for fmt in (None, *TIMESTAMP_FORMATS):
        probe = ISO_PROBE if fmt is None else f"TRY_STRPTIME(v, {_lit(fmt)})"
        if con.execute(f"SELECT count(*) FROM ts_values WHERE {probe} IS NULL").fetchall()[0][0] == 0:
            fits.append(fmt)
            if first_only:
                break
    return fits


FORMAT_PROBE = 10_000  # first values a configured timestamp format must read some of


def _timestamp_expr(con, path: Path, t: TransactionsFile, typed: bool = False, zone: str | None = None) -> str:
    """SQL parsing the timestamp column: the configured format, else the first that reads every value.
    typed: a Parquet timestamp or date column; zone: the zone its instants are read in (parquet_zone)."""
    if typed and zone:
        try:
            con.execute(f"SELECT timezone({_lit(zone)}, TIMESTAMPTZ '2020-01-01 00:00:00+00')")
        except Exception:  # an engine without the zone database, or a zone it does not know
            raise UserError(f"{path}: column {t.timestamp!r}: time zone {zone!r} is unknown; "
                            "write the times without a zone, as the shop's clock showed them") from None
        return f"timezone({_lit(zone)}, {_q(t.timestamp)})"
    if typed:
        return f"CAST({_q(t.timestamp)} AS TIMESTAMP)"
    col = _text(t.timestamp)
    if t.timestamp_format:
        bare = zoneless(t.timestamp_format)
        if bare is not None:  # the time as written, as DuckDB's own ISO reading does
            read = f"TRY_STRPTIME(regexp_replace(trim({col}), {_lit(ZONE)}, '\\1'), {_lit(bare)})"
        elif "%z" in t.timestamp_format:  # a zone before other fields: UTC
            read = f"CAST(TRY_STRPTIME({col}, {_lit(t.timestamp_format)}) AS TIMESTAMP)"
        else:
            read = f"TRY_STRPTIME({col}, {_lit(t.timestamp_format)})"
        # In a text file, a format that reads none of the first values is a mistake in the config, even where
        # the values read as date cells below: said, not left to the fallback (a typo would go unnoticed). A
        # spreadsheet's or Parquet file's cells may all be dates, whatever format its typed text would have.
        probe = read.replace(col, "v")
        fit, seen, example = (1, 0, None) if path.name.lower().endswith((*EXCEL, ".parquet")) else con.execute(
            f"SELECT count({probe}), count(*), min(v) FROM (SELECT {col} AS v FROM src WHERE {col} IS NOT NULL "
            f"LIMIT {FORMAT_PROBE})").fetchall()[0]
        if seen and not fit:
            raise UserError(f"{path}: column {t.timestamp!r}: transactions.timestamp_format {t.timestamp_format!r} "
                            f"reads none of its first {seen:,} values (e.g. {example!r}); correct it, or remove it "
                            "where the values are written year first (2022-07-02 10:25), which are read without one")
        # A spreadsheet's date cells, written as text: read as they are (cleaning.DATE_CELL).
        return f"COALESCE({read}, CASE WHEN regexp_full_match({col}, {_lit(DATE_CELL)}) THEN TRY_CAST({col} AS TIMESTAMP) END)"
    fits = timestamp_formats(con, t.timestamp, first_only=True)
    if fits:
        return f"TRY_CAST({col} AS TIMESTAMP)" if fits[0] is None else f"TRY_STRPTIME({col}, {_lit(fits[0])})"
    n = con.execute("SELECT count(*) FROM ts_values").fetchall()[0][0]
    if not n:
        raise UserError(f"{path}: column {t.timestamp!r} has no values")
    # The format that reads the most distinct values, and the smallest value it does not read.
    best = None
    for fmt in TIMESTAMP_FORMATS:
        probe = f"TRY_STRPTIME(v, {_lit(fmt)})"
        read, example = con.execute(f"SELECT count({probe}), min(v) FILTER (WHERE {probe} IS NULL) FROM ts_values"
                                    ).fetchall()[0]
        if best is None or read > best[1]:
            best = (fmt, read, example)
    raise UserError(no_timestamp_format(path, t.timestamp, n, *best))


def no_timestamp_format(path, col: str, n: int, fmt: str, read: int, example) -> str:
    """No known format reads every date: the closest one, and a value it cannot read."""
    if not read:
        return f"{path}: column {col!r}: dates in no known format, e.g. {example!r}; set transactions.timestamp_format"
    return (f"{path}: column {col!r}: no one known format reads every date; the closest, {fmt!r}, reads {read:,} "
            f"of {n:,} distinct values but not e.g. {example!r} (write the column in one format, or set "
            "transactions.timestamp_format to the one most lines use)")


EXCEL = (".xlsx", ".xlsm", ".xls")


def read_products(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """A product map as text: Excel (a sheet, default the one with the most filled cells) or whatever
    `read_table` reads."""
    if path.suffix.lower() not in EXCEL:
        return read_table(path).frame
    return excel_text(path, sheet)


def excel_text(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """An Excel sheet as text, empty cells ''. Without a sheet named: the one with the most filled
    cells, and after it every other sheet with the very same columns, in the workbook's order (a
    sheet holds at most 1,048,576 rows, so long order lines come split by year: Online Retail II);
    the sheets read are in `frame.attrs["sheets"]`."""
    if not path.exists():
        raise UserError(f"{path}: file not found")
    try:
        book = pd.ExcelFile(path)
        names = [sheet] if sheet else same_sheets(book)
        frames = []
        for name in names:
            frame = pd.read_excel(book, sheet_name=name, dtype=str).fillna("")
            # Number cells beside prices typed as text ('€ 11,25') are written in the text's convention.
            frames.append(native_numbers_as_written(frame, book, name))
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: cannot be read as Excel ({' '.join(str(e).split())})") from None
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["sheets"] = tuple(map(str, names))
    return frame


def same_sheets(book: pd.ExcelFile) -> list[str]:
    """The largest sheet and every sheet with its columns, in the workbook's order."""
    best, names = largest_sheet(book)
    if len(names) == 1:
        return [best]
    columns = {n: [str(c).strip() for c in pd.read_excel(book, sheet_name=n, nrows=0).columns] for n in names}
    return [n for n in names if columns[n] == columns[best]]


def _categories(con, cfg: Config, path: Path, given: pd.DataFrame | None = None
                ) -> tuple[str, list[LogEntry], pd.DataFrame | None]:
    """SQL for each line's category, after registering the products map (if any) as `pmap`;
    `given`: a saved map (product, category) used instead of the config's file."""
    t, log = cfg.transactions, []
    if t.category:
        return f"coalesce({_text(t.category)}, {_lit(UNCATEGORISED)})", log, None
    if given is not None:
        con.register("pmap_df", given)
        _run(con, "CREATE TEMP TABLE pmap AS SELECT * FROM pmap_df")
        con.unregister("pmap_df")
        return "pmap.category", log, given
    if cfg.products is None:
        return "NULL", log, None
    p, ppath = cfg.products, cfg.products_path
    frame = read_products(ppath, p.sheet)
    for role, col in (("product", p.product), ("category", p.category)):
        if col not in frame.columns:
            raise UserError(f"{ppath}: column {col!r} (products.{role} in the config) is not in the file")
    m = pd.DataFrame({"product": frame[p.product].astype(str).str.strip().str.upper(),
                      "category": frame[p.category].astype(str).str.strip()})
    m = m[(m["product"] != "") & (m["category"] != "")]
    dup = m["product"].duplicated(keep="first")
    if dup.any():
        log.append(LogEntry("duplicates", f"{ppath.name}: {p.product}", int(dup.sum()), "first category kept",
                            "products listed more than once in the products map"))
    m = m[~dup].reset_index(drop=True)
    con.register("pmap_df", m)
    _run(con, "CREATE TEMP TABLE pmap AS SELECT * FROM pmap_df")
    con.unregister("pmap_df")
    return "pmap.category", log, m


def load_orders(cfg: Config, progress: Callable[[str], None] = lambda s: None,
                categories: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
                season: tuple[int, ...] | None = None) -> OrderData:
    """One row per customer and the baskets. `categories`, `product_map` and `season` (from a saved
    model) fix the spend columns, the product map and the season instead of deriving them from these lines."""
    t, path = cfg.transactions, cfg.transactions_path
    if t.table is not None:
        raise UserError(f"transactions.table ({t.table}) is read from a Spark catalog: run with --engine spark "
                        "(or engine: spark in the config), or give transactions.path")
    # The load's Arrow buffers from mimalloc, which hands freed pages back at once: with malloc the
    # load of 20M lines took 4 to 5 s less, but a whole run's peak was 3,028 and 3,055 MiB against
    # 2,878 (the 3 GB the run is meant to fit in).
    with arrow_pool("mimalloc"):
        return _load_with_retry(cfg, t, path, progress, categories, product_map, season)


def _load_with_retry(cfg: Config, t: TransactionsFile, path: Path, progress: Callable[[str], None],
                     categories: tuple[str, ...] | None, product_map: pd.DataFrame | None,
                     season: tuple[int, ...] | None) -> OrderData:
    """load_orders' work: read again in the whole file's encoding when a line after the head is not UTF-8."""
    import duckdb

    for _ in range(2):  # again when a line after the head is not UTF-8, in the whole file's encoding
        with tempfile.TemporaryDirectory(prefix="segments-duckdb-") as tmp:
            # A memory cap makes DuckDB spill to disk instead of holding tens of millions of lines in RAM.
            # in_clause off: DuckDB plans a constant IN list (the missing-value markers) as a join of
            # every line with the list; evaluated as an expression it costs a fraction (same answers).
            con = duckdb.connect(config={"temp_directory": tmp, "threads": 2, "preserve_insertion_order": False,
                                         "memory_limit": MEMORY_LIMIT, "disabled_optimizers": "in_clause"})
            try:
                return _load(con, cfg, t, path, tmp, progress, categories, product_map, season)
            except duckdb.InvalidInputException as e:
                enc = later_encoding(path, t, "utf-8") if NOT_UTF8 in str(e) else "utf-8"
                if enc.lower() in UTF8 or t.encoding != "auto":
                    raise
                t = t.model_copy(update={"encoding": enc})
            finally:
                con.close()


def _load(con, cfg: Config, t: TransactionsFile, path: Path, tmp: str, progress: Callable[[str], None],
          fixed: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
          season: tuple[int, ...] | None = None) -> OrderData:
    _, delim, enc = _source(con, path, t, tmp, progress)
    if t.product is None:  # every line of one product: customers and spend as usual, no baskets
        _run(con, "ALTER VIEW src RENAME TO lines_read")
        _run(con, f"CREATE TEMP VIEW src AS SELECT *, {_lit(ALL_PRODUCTS)} AS {_q(NO_PRODUCT)} FROM lines_read")
        t = without_products(t)
    types = _check_columns(con, path, t, cfg.join.transactions if cfg.join else None)
    sha = sha256_of(path)
    log: list[LogEntry] = []
    if con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'src_all'").fetchall()[0][0]:
        columns = [r[0] for r in con.execute("DESCRIBE src_all").fetchall()]
        n_all, again = con.execute(f"SELECT count(*), coalesce(count_if({header_again(columns)}), 0) FROM src_all").fetchall()[0]
        n_raw = n_all - again
        if again:
            log.append(LogEntry("duplicates", "order lines", int(again), "dropped", REPEATED_HEADER))
    else:
        n_raw = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
    if n_raw == 0:
        raise UserError(f"{path}: has a header but no rows")
    progress(f"order lines: cleaning {n_raw:,} lines")

    numeric = {c for c, sql_type in types.items() if sql_type.split("(")[0] in NUMERIC_TYPES}
    # Exact duplicate lines (every column equal) are a double export more often than a real repeat.
    # Only lines whose hash of every column occurs twice can be duplicates: those few go through
    # DISTINCT (exact), the rest as they are (a DISTINCT over every line costs twice as much).
    rows = "src"
    if t.duplicate_lines == "drop":
        row_hash = f"hash({', '.join(_q(c) for c in types)})"
        # The hashes that repeat, found by sorting them and comparing neighbours: a GROUP BY of 20M
        # nearly all distinct hashes took 3.7 s, the sort 1.3 s (the same set).
        _run(con, f"""CREATE TEMP TABLE dup_hashes AS SELECT DISTINCT h FROM (
                          SELECT h, lead(h) OVER (ORDER BY h) AS next FROM (SELECT {row_hash} AS h FROM src))
                      WHERE h = next""")
        rows = (f"(SELECT * FROM src WHERE {row_hash} NOT IN (SELECT h FROM dup_hashes) UNION ALL "
                f"SELECT DISTINCT * FROM src WHERE {row_hash} IN (SELECT h FROM dup_hashes))")

    cat_sql, cat_log, pmap = _categories(con, cfg, path, product_map)
    zone = parquet_zone(path, t.timestamp) if types[t.timestamp] == "TIMESTAMP WITH TIME ZONE" else None
    ts = _timestamp_expr(con, path, t, typed=types[t.timestamp].startswith(("TIMESTAMP", "DATE")), zone=zone)
    name_col = t.product_name or t.product
    not_products = ", ".join(_lit(p.strip().upper()) for p in t.not_products) or "NULL"
    # An id read as text loses a spreadsheet's '.0' (12345.0 is customer 12345). Whole-number ids stay
    # numbers in the lines (grouped and joined faster than text) and become text where they leave DuckDB (id_text).
    whole = types[t.customer].split("(")[0] in INTEGER_TYPES
    customer = _q(t.customer) if whole else f"regexp_replace({_text(t.customer)}, '\\.0+$', '')"
    cased = 0  # e-mail ids written in more than one case, made one
    if types[t.customer].split("(")[0] not in NUMERIC_TYPES and email_ids(  # the file's first ids suffice
            [r[0] for r in con.execute(f"SELECT v FROM (SELECT {_text(t.customer)} AS v FROM src) WHERE v IS NOT NULL "
                                       f"LIMIT {CODE_SAMPLE}").fetchall()]):
        cased = con.execute(f"SELECT count(DISTINCT {customer}) - count(DISTINCT lower({customer})) FROM src"
                            ).fetchall()[0][0]
        customer = f"lower({customer})"
    # Without an order id, an order is a customer's lines at one date and time (a line without a
    # customer then has no order and is set aside).
    order = _text(t.order) if t.order else f"(CAST({customer} AS VARCHAR) || ' @ ' || CAST({ts} AS VARCHAR))"
    prefix = f"starts_with(coalesce({order}, ''), {_lit(t.cancelled_prefix)})" if t.order and t.cancelled_prefix else "false"
    if t.status:  # an order is cancelled when any of its lines says so (shops write the status on one line)
        _run(con, f"""CREATE TEMP TABLE cancelled_orders AS SELECT DISTINCT {order} AS ord FROM src
                      WHERE {status_key(_text(t.status))} IN ({', '.join(_lit(status_value(v)) for v in t.cancelled_statuses) or 'NULL'})""")
        prefix = f"({prefix} OR {order} IN (SELECT ord FROM cancelled_orders))"
    returned = (f"coalesce({status_key(_text(t.status))} IN ({', '.join(_lit(status_value(v)) for v in t.returned_statuses)}), false)"
                if t.status and t.returned_statuses else "false")
    extra = "".join(f", {_text(c, _coded(con, c))} AS {_q('cc_' + c)}" for c in t.customer_columns)
    if t.status:  # the statuses of the lines kept, for the log (sales_statuses)
        extra += f", {status_key(_text(t.status))} AS _status"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # dates after today are typos (2099 for 2019)
    derived = "FALSE" if t.order else "TRUE"
    reason = "CASE " + " ".join(f"WHEN {cond.format(tomorrow=tomorrow, derived=derived)} THEN {_lit(why)}"
                                for _, why, cond in LINE_RULES) + " ELSE NULL END"
    # A code counts as normalised where another spelling of it exists (' a1 ' beside 'A1'): a column
    # of names in mixed case is compared in upper case too, but no line of it changes its product.
    # Each distinct product code and name is normalised (and mapped to its category) once, and
    # joined back to the lines: thousands of values through the regular expressions, not millions.
    # Codes are compared in upper case; a name keeps its letters (a product is shown by its most
    # frequent spelling, see _baskets), with runs of spaces made one.
    code, name = _text("_raw"), f"regexp_replace({_text('_raw')}, '\\s+', ' ', 'g')"
    in_map = cat_sql == "pmap.category"
    _run(con, f"""
        CREATE TEMP TABLE codes AS SELECT _raw, upper({code}) AS _product,
            (CASE WHEN upper({code}) IS NOT NULL THEN dense_rank() OVER (ORDER BY upper({code})) END)::INTEGER AS _pid,
            _raw <> upper({code}) AND count(*) OVER (PARTITION BY upper({code})) > 1 AS _changed,
            upper({code}) IN ({not_products}) AS _not_product{", pmap.category AS _category" if in_map else ""}
        FROM (SELECT DISTINCT CAST({_q(t.product)} AS VARCHAR) AS _raw FROM src)
        {"LEFT JOIN pmap ON pmap.product = upper(" + code + ")" if in_map else ""}""")
    _run(con, f"""
        CREATE TEMP TABLE names AS SELECT _raw, {name} AS _name, _raw <> {name} AS _changed,
            dense_rank() OVER (ORDER BY {name}) AS _id
        FROM (SELECT DISTINCT CAST({_q(name_col)} AS VARCHAR) AS _raw FROM src)""")
    comma = decimal_conventions({c: _written(con, c, path) for c in (t.quantity, t.money) if c and c not in numeric}, delim)
    money = _number(t.money, t.money in numeric, comma.get(t.money, False)) if t.money else UNPRICED
    # No quantity column: one unit per line, or one returned where a line's total is negative (a card's
    # refund), so that its money is taken off the customer's spend as a return's is.
    qty = (_number(t.quantity, t.quantity in numeric, comma.get(t.quantity, False)) if t.quantity
           else f"(CASE WHEN ({money}) < 0 THEN -1.0 ELSE 1.0 END)" if t.amount else "1.0")
    # A line's total is a price times the quantity: the price is the total over the quantity (a
    # zero quantity keeps the total, and the zero-quantity rule sets the line aside).
    price = money if not t.amount else f"(CASE WHEN ({qty}) = 0 THEN {money} ELSE {money} / ({qty}) END)"
    # One pass, one table: typed values, why a line is not used, and whether its product code or
    # name needed normalising (flags, not copies of the raw text, to keep the table small).
    _run(con, f"""
        CREATE TEMP TABLE judged AS SELECT *, {reason} AS reason FROM (SELECT
            {customer} AS customer,
            {order} AS ord,
            {ts} AS ts,
            codes._pid AS product,
            codes._changed AS product_changed,
            names._id AS name,
            names._changed AS name_changed,
            {qty} AS qty,
            {price} AS price,
            {prefix} AS cancelled,
            {returned} AS returned,
            codes._not_product AS not_product,
            {"codes._category" if in_map else cat_sql} AS category{extra}
        FROM {rows} AS r
        LEFT JOIN codes ON codes._raw IS NOT DISTINCT FROM CAST(r.{_q(t.product)} AS VARCHAR)
        LEFT JOIN names ON names._raw IS NOT DISTINCT FROM CAST(r.{_q(name_col)} AS VARCHAR))""")
    if t.max_price_ratio and t.money:  # against the product's median over the lines every other rule keeps
        _run(con, f"""UPDATE judged SET reason = {_lit(price_typo(t))} FROM (
                          SELECT product AS p, quantile_disc(price, 0.5) AS m FROM judged WHERE reason IS NULL
                          GROUP BY product HAVING count(*) >= {MIN_PRICED}) AS usual
                      WHERE judged.reason IS NULL AND judged.product = usual.p AND judged.price > {t.max_price_ratio!r} * usual.m""")
    filled = _owners_filled(con) if t.order else 0
    # One pass for the log's counts: lines per reason, and the usable lines' counts (the group of
    # reason NULL).
    per = {r[0]: r[1:] for r in con.execute("""
        SELECT reason, count(*), count_if(customer IS NULL), count_if(product_changed), count_if(name_changed),
               max(ts), count_if(category IS NOT NULL)
        FROM judged GROUP BY reason""").fetchall()}
    n_lines = sum(r[0] for r in per.values())
    dupes = n_raw - n_lines if t.duplicate_lines == "drop" else (
        n_raw - con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM src)").fetchall()[0][0])
    if dupes:
        action = "dropped" if t.duplicate_lines == "drop" else "kept (transactions.duplicate_lines: keep)"
        log.append(LogEntry("duplicates", "order lines", int(dupes), action, "lines equal to an earlier line in every column"))
    log += cat_log
    for step, why, _ in line_rules(t):
        n = per[why][0] if why in per else 0
        if not n:
            continue
        # A few unreadable lines in millions are dirt; many mean the config names the wrong column.
        if step == "unreadable values" and n > 0.01 * n_lines:
            col, expr = {"quantity": (t.quantity, qty), "unit price": (t.money, money),
                         "timestamp": (t.timestamp, ts)}[why.split(" is ")[0]]
            example = con.execute(f"SELECT min({_text(col)}) FROM src WHERE {_text(col)} IS NOT NULL AND ({expr}) IS NULL"
                                  ).fetchall()[0][0]
            raise UserError(unreadable_column(path, col, "timestamp" in why, n, n_lines, example, t.timestamp_format))
        detail = ""
        if why == "cancelled order":
            orders = con.execute("SELECT count(DISTINCT ord) FROM judged WHERE reason = 'cancelled order'").fetchall()[0][0]
            detail = cancelled_detail(orders, t)
        log.append(LogEntry(step, "order lines", int(n), return_action(t) if why == RETURN else "not used",
                            why + (f": {detail}" if detail else "")))
    if t.status:
        log += sales_statuses(t, cfg.report.min_segment_size, con.execute("SELECT _status, count(*) FROM judged WHERE reason IS NULL GROUP BY 1"
                                             ).fetchall())
    _run(con, "CREATE TEMP VIEW valid AS SELECT * FROM judged WHERE reason IS NULL")
    # Returned money per customer and category as written, before categories are named or pooled.
    _run(con, f"""CREATE TEMP TABLE returned AS SELECT customer, category, sum({line_money()})::DOUBLE AS money
                  FROM judged WHERE reason = {_lit(RETURN)} AND customer IS NOT NULL GROUP BY ALL""")
    if None not in per:
        raise UserError(f"{path}: no usable order lines (all {n_lines:,} cancelled, returned or invalid)")
    n_valid, no_customer, *changed, max_ts, with_category = per[None]
    if no_customer == n_valid:
        raise UserError(f"{path}: column {t.customer!r} (transactions.customer) holds no customer id on any of the "
                        f"{n_valid:,} usable lines")
    if cased:
        log.append(cased_entry(t, cased))
    if filled:
        log.append(LogEntry("missing values", t.customer, int(filled), OWNER_ACTION, OWNER_DETAIL))
    if no_customer:
        log.append(LogEntry("missing values", t.customer, int(no_customer), "used for baskets only",
                            "order lines without a customer id"))
    for what, n in zip(("product codes", "product names"), changed):
        if n and not (what == "product names" and name_col == t.product):
            log.append(LogEntry("odd categories", t.product if what == "product codes" else name_col, int(n),
                                "normalised", NORMALISED[what]))

    ref = cfg.report.reference_date or (max_ts.date() + timedelta(days=1))
    categories = (_category_names(con, log, with_category > 0, measure(t)[0]) if fixed is None
                  else _fixed_categories(con, log, fixed))
    progress(f"order lines: one row per customer from {n_valid:,} usable lines")
    # Customers whose every line is unused (found in one pass, not by comparing a million names).
    # The reasons are gathered for the few customers without a usable line only, not for every one.
    excluded = {r[0]: no_usable_line(r[1]) for r in con.execute(
        f"SELECT {id_text('customer')} AS c, list(DISTINCT reason ORDER BY reason) FROM judged WHERE customer IN ("
        "SELECT customer FROM judged WHERE customer IS NOT NULL GROUP BY customer HAVING count_if(reason IS NULL) = 0) "
        "GROUP BY c ORDER BY c").fetchall()}
    frame, columns = _customers(con, cfg, t, ref, categories, log)
    frame, columns = without_clock(without_guests(frame, excluded, t), columns, t, log)
    frame, columns, months = with_season(frame, columns, frame["First order"].min() if len(frame) else None, max_ts,
                                         season, log, t.timestamp)
    no_product_note(frame, t, log)
    progress("order lines: baskets of orders and products")
    return OrderData(frame=frame, columns=columns, log=tuple(log), excluded=excluded, reference_date=ref,
                     baskets=_baskets(con, categories, bool(t.money)), n_lines=int(n_raw), sha256=sha, delimiter=delim, encoding=enc,
                     product_map=pmap, season=months,
                     products_sha256=sha256_of(cfg.products_path) if cfg.products is not None and product_map is None
                     else None)


def unreadable_column(path, col: str, dates: bool, n: int, n_lines: int, example, fmt: str | None) -> str:
    """One error line for a column that many lines cannot be read from, with one of its values."""
    hint = ("; set transactions.timestamp_format" if not fmt else
            f"; they do not fit transactions.timestamp_format {fmt!r} (one format for the whole column)") if dates else ""
    return (f"{path}: column {col!r} should hold {'dates' if dates else 'numbers'} but {n:,} of {n_lines:,} lines "
            f"do not, e.g. {example!r}{hint}")


SHOWN_STATUSES = 6  # cancelled statuses named in the log; more are counted and pointed to


def cancelled_detail(orders: int, t: TransactionsFile) -> str:
    """How the cancelled orders were told apart: by their id, their status, or either."""
    words = t.cancelled_statuses
    # The built-in list holds the word in many languages: named in full, it would fill the page.
    said = (", ".join(words) if len(words) <= SHOWN_STATUSES else
            f"one of the {len(words)} transactions.cancelled_statuses ({', '.join(words[:SHOWN_STATUSES])}, ...)")
    rules = ([f"whose id starts with {t.cancelled_prefix!r}"] if t.order and t.cancelled_prefix else []) + (
        [f"with a line whose {t.status} is {said}"] if t.status else [])
    return f"{orders:,} order{'s' if orders != 1 else ''} " + " or ".join(rules)


def sales_statuses(t: TransactionsFile, min_size: int, counts: list[tuple[str | None, int]]) -> list[LogEntry]:
    """What a configured status column let through as sales: its values on the lines kept, most
    lines first (the first SHOWN_STATUSES), so that a word for cancelled or returned no list holds
    is seen, not silently counted as a sale. Published, a value of fewer than `min_size` lines is
    only counted (free text written on a few lines may name someone)."""
    seen = sorted(((v, int(n)) for v, n in counts if v is not None), key=lambda x: (-x[1], x[0]))
    if not seen:
        return []

    def said(values: list[tuple[str, int]], rare: int = 0) -> str:
        shown = ", ".join(f"{v} ({n:,} line{'s' if n != 1 else ''})" for v, n in values[:SHOWN_STATUSES])
        more = len(values[SHOWN_STATUSES:]) + rare
        return (f"lines whose status is none of cancelled_statuses or returned_statuses: {shown or 'no value shown'}"
                + (f" and {more} more" if more else "") + "; list any that mean cancelled or returned there")
    common = [(v, n) for v, n in seen if n >= min_size]
    return [LogEntry("order statuses", t.status, sum(n for _, n in seen), "counted as sales", said(seen),
                     said(common, len(seen) - len(common)) if len(common) < len(seen) else None)]


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email_ids(values: list[str]) -> bool:
    """Whether customer ids are e-mail addresses (9 in 10 of the file's first ids): then
    'Ann@Shop.com' and 'ann@shop.com' are one customer, as every mail provider reads them."""
    ids = [v for v in values if re.sub(r"[\s_-]+", "", v.lower()) not in GUEST_IDS]  # a guest's placeholder is no id
    return bool(ids) and sum(bool(EMAIL.fullmatch(v)) for v in ids) >= 0.9 * len(ids)


def cased_entry(t: TransactionsFile, n: int) -> LogEntry:
    return LogEntry("odd categories", t.customer, int(n), "compared in lower case",
                    "customer ids that are e-mail addresses written in more than one case ('Ann@Shop.com' and "
                    "'ann@shop.com' are one customer)")


def no_usable_line(reasons: list[str]) -> str:
    """Why a customer is left out: every line of theirs was set aside, for these reasons."""
    return f"no usable order line: {'; '.join(sorted(reasons))}"


def unknown_category(fixed: tuple[str, ...]) -> str:
    """Where a saved model's new data put lines of categories it was not built with (products missing
    from its map, a category column's new values): pooled as the model pooled its small ones, else
    with the products it had no category for. Their money stays in the customer's spend."""
    return OTHER if OTHER in fixed else UNCATEGORISED


def _fixed_categories(con, log: list[LogEntry], fixed: tuple[str, ...]) -> tuple[str, ...]:
    """A saved model's categories, and unknown_category's when lines need it."""
    if fixed == ("All products",):  # the model had no categories: one spend column
        _run(con, "UPDATE judged SET category = NULL")
        return ()
    names = ", ".join(map(_lit, fixed))
    _run(con, f"UPDATE judged SET category = {_lit(UNCATEGORISED)} WHERE category IS NULL AND reason IS NULL")
    n = con.execute(f"SELECT count(*) FROM valid WHERE category NOT IN ({names})").fetchall()[0][0]
    if not n:
        return tuple(sorted(fixed))
    into = unknown_category(fixed)
    _run(con, f"UPDATE judged SET category = {_lit(into)} WHERE category NOT IN ({names})")
    log.append(LogEntry("odd categories", "category", int(n), f"pooled into '{into}'",
                        "lines of categories the model was not built with"))
    return tuple(sorted({*fixed, into}))


def _category_names(con, log: list[LogEntry], any_category: bool, what: str = "spend") -> tuple[str, ...]:
    """Categories by spend (or units, `what`); beyond MAX_CATEGORIES, the smallest are pooled (in `valid`)."""
    if not any_category:
        return ()  # no categories at all (no map, no column)
    lines, products = con.execute("SELECT count(*), count(DISTINCT product) FROM valid "
                                  "WHERE category IS NULL").fetchall()[0]
    if lines:
        _run(con, f"UPDATE judged SET category = {_lit(UNCATEGORISED)} WHERE category IS NULL AND reason IS NULL")
        log.append(LogEntry("missing values", "category", int(lines), f"set to '{UNCATEGORISED}'",
                            f"lines of {products:,} products missing from the products map"))
    names = [r[0] for r in con.execute(f"SELECT category, {money_sum()} AS s FROM valid GROUP BY category "
                                       "ORDER BY s DESC, category").fetchall()]
    if len(names) > MAX_CATEGORIES:
        small = names[MAX_CATEGORIES - 1:]
        _run(con, f"UPDATE judged SET category = {_lit(OTHER)} WHERE category IN ({', '.join(map(_lit, small))})")
        log.append(LogEntry("odd categories", "category", len(small), f"pooled into '{OTHER}'",
                            f"{len(names)} categories; the {len(small)} with the least {what} are pooled"))
        names = names[:MAX_CATEGORIES - 1] + [OTHER]
    return tuple(sorted(names))


def line_money(prefix: str = "") -> str:
    """SQL for a line's qty x price as a decimal (to a millionth): sums of it are exact, so the
    threads' order of adding cannot change the last digits (floating-point sums depend on it)."""
    return f"({prefix}qty * {prefix}price)::DECIMAL(38, 6)"


def money_sum() -> str:
    """SQL for the exact sum of qty x price (line_money), as a double."""
    return f"(sum({line_money()}))::DOUBLE"


def category_sum(category: str) -> str:
    """SQL for the exact sum of a column `m` (a line's money, computed once per line) over the lines
    of one category, as a double (0 without any). A CASE, not a FILTER clause over line_money: a
    dozen filtered sums over millions of lines computed the money again for each (2.5 times longer)."""
    return f"coalesce(sum(CASE WHEN category = {_lit(category)} THEN m END)::DOUBLE, 0)"


def _customers(con, cfg: Config, t: TransactionsFile, ref: date, categories: tuple[str, ...], log: list[LogEntry]):
    """One row per customer with a usable line, and the column roles of that row. The rows per
    (customer, order) are kept: the baskets' order codes come from them."""
    habits = ", ".join(f"avg(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END) AS {_q('Orders ' + name)}"
                       for name, cond in HABITS)
    # Each (customer, order, product) once, with its money: the baskets' pairs, and the orders'
    # product counts, from one grouping of the lines (exact decimal sums).
    _run(con, f"""CREATE TEMP TABLE pairs AS SELECT customer, ord, product, min(ts) AS ts, sum({line_money()}) AS m
                  FROM valid GROUP BY customer, ord, product""")
    _run(con, """CREATE TEMP TABLE per_order AS SELECT customer, ord, min(ts) AS ts, count(*) AS products
                 FROM pairs GROUP BY customer, ord""")
    months = ", ".join(f"count_if(month(ts) = {m})::DOUBLE AS {_q(col)}" for m, col in enumerate(MONTH_COLUMNS, 1))
    word = measure(t)[1]
    # A line's money is computed once and summed per category by a CASE: a filtered sum per
    # category computed it again for each.
    if categories:
        spend_cols = {c: amount_column(t, c) for c in categories}
        sums = ", ".join(f"{category_sum(c)} AS {_q(spend_cols[c])}" for c in categories)
    else:
        sums = f'sum(m)::DOUBLE AS "{word}"'
        spend_cols = {"All products": word}
    # Each customer's most frequent value of a customer column; ties go to the first in order.
    modes = "".join(f"""
        LEFT JOIN (SELECT customer AS customer_id, arg_min(v, {{'n': -n, 'v': v}}) AS {_q(c)} FROM (
            SELECT customer, {_q('cc_' + c)} AS v, count(*) AS n
            FROM valid WHERE customer IS NOT NULL AND {_q('cc_' + c)} IS NOT NULL GROUP BY customer, v)
            GROUP BY customer) AS m{i} USING (customer_id)""" for i, c in enumerate(t.customer_columns))
    picked = "".join(f", m{i}.{_q(c)}" for i, c in enumerate(t.customer_columns))
    # The orders' measures, the spend and the customer columns, each grouped by customer, joined
    # by DuckDB (one row per customer with a usable line), sorted by Arrow (DuckDB's sort of the
    # whole rows took seven times longer).
    rows = con.sql(f"""
        SELECT {id_text('o.customer_id')} AS customer_id, o.* EXCLUDE (customer_id), s.* EXCLUDE (customer_id){picked} FROM (
            SELECT customer AS customer_id, min(ts) AS "First order",
                   date_diff('day', max(ts)::DATE, {_lit(ref.isoformat())}::DATE)::DOUBLE AS "Days since last order",
                   count(*)::DOUBLE AS "Orders", avg(products)::DOUBLE AS "Products per order", {habits}, {months}
            FROM per_order WHERE customer IS NOT NULL GROUP BY customer) AS o
        LEFT JOIN (SELECT customer AS customer_id, {sums} FROM (
            SELECT customer, category, {line_money()} AS m FROM valid WHERE customer IS NOT NULL) GROUP BY customer) AS s
        USING (customer_id){modes}""").to_arrow_table()
    # The sorted rows and the frame from malloc: from mimalloc (the load's pool) their fresh pages
    # faulted in slowly (the sort and the conversion of 1M rows: 2.2 to 8.2 s in four tries, 0.9 to
    # 1.1 s from malloc); the frame outlives the load anyway.
    with arrow_pool("system"):
        rows = rows.take(pc.sort_indices(rows["customer_id"]))
        frame = rows.to_pandas(self_destruct=True)  # each column freed as it is converted
    del rows
    release_memory()  # the sorted rows' pages, before DuckDB's next tables
    frame = net_of_returns(frame, con.execute(f"SELECT {id_text('customer')} AS customer, category, money FROM returned").df(), spend_cols, log,
                           measure(t)[0])
    for c in t.customer_columns:
        frame[c] = frame[c].fillna("").astype(str)
    frame["customer_id"] = frame["customer_id"].astype(str)
    columns = Columns(
        id="customer_id", signup_date=FIRST_ORDER, recency_days="Days since last order", orders="Orders",
        basket_size="Products per order", **{measure(t)[0]: spend_cols},
        habits={name: f"Orders {name}" for name, _ in HABITS},
        categorical=list(t.customer_columns),
    )
    return frame, columns


CLOCK_HABITS = ("in the morning (before 12:00)", "in the evening (from 17:00)")


RETURN_ACTION = "taken off the customer's spend in its category (not an order)"


def return_category(category, categories: tuple[str, ...]):
    """The spend column a returned line's category (as written, None when missing) counts in, as a
    bought line's would: itself, UNCATEGORISED when missing, else pooled into OTHER; None: in none."""
    named = UNCATEGORISED if category is None else category
    return named if named in categories else OTHER if OTHER in categories else None


def net_of_returns(frame: pd.DataFrame, returned: pd.DataFrame, spend_cols: dict[str, str],
                   log: list[LogEntry], what: str = "spend") -> pd.DataFrame:
    """Spend net of returns: each customer's returned money (rows customer, category, money <= 0)
    added to their spend in its category, never below 0 (a return of something bought before the
    lines begin: logged). Returns of customers without a bought line are no customer's spend."""
    if returned.empty:
        return frame
    categories = tuple(k for k in spend_cols if k != "All products")
    # In one order whatever engine read them, so that the sums agree to the last bit.
    returned = returned.assign(customer=returned["customer"].astype(str)).sort_values(
        ["customer", "category"], na_position="first", kind="stable")
    col = (returned["category"].map(lambda c: spend_cols.get(return_category(None if pd.isna(c) else c, categories)))
           if categories else pd.Series(spend_cols["All products"], index=returned.index))
    per = returned.assign(col=col).dropna(subset=["col"]).groupby(["customer", "col"])["money"].sum().unstack("col")
    frame = frame.copy()
    below = np.zeros(len(frame), dtype=bool)
    ids = frame["customer_id"].astype(str)
    for name in per.columns:
        net = frame[name].to_numpy() + ids.map(per[name]).fillna(0.0).to_numpy()
        below |= net < 0
        frame[name] = np.maximum(net, 0.0)
    if below.any():
        log.append(LogEntry("returns", "order lines", int(below.sum()), f"{what} set to 0 there",
                            "customers who returned more in a category than they bought in these lines"))
    return frame


def no_product_note(frame: pd.DataFrame, t: TransactionsFile, log: list[LogEntry]) -> None:
    """Lines read without a product column (both engines): said once, with the orders it concerns."""
    if t.product == NO_PRODUCT:
        log.append(LogEntry("not used", "order lines", int(frame["Orders"].sum()), "no baskets or rules",
                            "the config names no product column (transactions.product): orders are not "
                            "mined for products bought together"))


OWNER_ACTION = "taken from the order's other lines"
OWNER_DETAIL = "order lines without a customer id, in an order whose other lines name one customer"


def _owners_filled(con) -> int:
    """A line without a customer id in an order whose other lines all name one customer is that
    customer's (its money counts in their spend); orders of no customer, or of two, stay as they
    are. Returns how many lines were filled."""
    if not con.execute("SELECT count(*) FROM judged WHERE customer IS NULL AND ord IS NOT NULL").fetchall()[0][0]:
        return 0
    _run(con, """CREATE TEMP TABLE owners AS SELECT ord AS o, min(customer) AS c FROM judged
                 WHERE ord IN (SELECT ord FROM judged WHERE customer IS NULL) AND customer IS NOT NULL
                 GROUP BY ord HAVING count(DISTINCT customer) = 1""")
    n = con.execute("SELECT count(*) FROM judged JOIN owners ON judged.ord = owners.o WHERE judged.customer IS NULL"
                    ).fetchall()[0][0]
    if n:
        _run(con, "UPDATE judged SET customer = owners.c FROM owners WHERE judged.customer IS NULL AND judged.ord = owners.o")
    return n


# Customer ids that shops write for guest checkouts and walk-in sales, compared in lower case without
# spaces, hyphens or underscores: not one customer but many, each unknown.
GUEST_IDS = frozenset({"guest", "guests", "guestcustomer", "guestcheckout", "guestuser", "gast", "gastkunde",
                       "invite", "invité", "invitado", "convidado", "ospite", "anonymous", "anonym", "anonyme",
                       "anonimo", "anónimo", "walkin", "walkincustomer", "cashcustomer", "cashsale", "barverkauf",
                       "laufkunde", "passant", "clientedemostrador", "nocustomer", "nonmember"})
# An id of zeros or -1 is such a placeholder only when it holds over this many times the orders of the
# busiest other customer: a shop's customer 0 may be a real one.
PLACEHOLDER_MULTIPLE = 10
GUEST = "a placeholder id for guest or walk-in orders, not one customer (its orders are used for baskets)"


def without_guests(frame: pd.DataFrame, excluded: dict[str, str], t: TransactionsFile) -> pd.DataFrame:
    """The per-customer rows without guest placeholders (GUEST_IDS, and an id of zeros or -1 far busier
    than every other customer), which are listed in `excluded` instead: a segment of one 'customer' who
    is everyone who bought without an account would say nothing. Both engines call this alike."""
    ids = frame["customer_id"].astype(str)
    # No placeholder word holds a digit: only the ids without one are lowered and stripped (in
    # Python: a million numeric ids took a second).
    guest = np.zeros(len(ids), dtype=bool)
    worded = np.flatnonzero(~ids.str.contains("[0-9]", regex=True).to_numpy(dtype=bool, na_value=False))
    if len(worded):
        key = ids.iloc[worded].str.lower().str.replace(r"[\s_-]+", "", regex=True)
        guest[worded] = key.isin(GUEST_IDS).to_numpy(dtype=bool)
    zero = ids.str.fullmatch(r"0+|-0*1").to_numpy(dtype=bool, na_value=False).copy()
    if zero.any():
        orders = frame["Orders"].to_numpy(dtype=float)
        busiest = orders[~zero & ~guest].max(initial=0.0)
        zero &= orders > PLACEHOLDER_MULTIPLE * max(busiest, 1.0)
    gone = guest | zero
    if not gone.any():
        return frame
    for c in ids[gone]:
        excluded[c] = GUEST
    return frame[~gone].reset_index(drop=True)


def without_clock(frame: pd.DataFrame, columns: Columns, t: TransactionsFile, log: list[LogEntry]):
    """Timestamps that are dates only (every order at 00:00) say nothing of mornings and evenings:
    those shares (100% and 0% for everyone) are left out rather than shown as habits. Both engines
    call this on the same rows, so they agree."""
    habits = [f"Orders {n}" for n in CLOCK_HABITS]
    first = frame["First order"]
    if not len(frame) or not ((first == first.dt.normalize()).all() and (frame[habits[0]] == 1).all()
                              and (frame[habits[1]] == 0).all()):
        return frame, columns
    log.append(LogEntry("not used", t.timestamp, int(frame["Orders"].sum()), "morning and evening shares not made",
                        "every order's timestamp is a date without a time of day"))
    return frame.drop(columns=habits), columns.model_copy(
        update={"habits": {k: v for k, v in columns.habits.items() if k not in CLOCK_HABITS}})


def _baskets(con, categories: tuple[str, ...], priced: bool = True) -> OrderBaskets:
    """Orders and products as dense integer codes, in a stable (sorted) order; without prices
    (`priced` false) a product's value per order is unknown (NaN)."""
    _run(con, f"""CREATE TEMP TABLE b_orders AS SELECT ord, max({id_text('customer')}) AS customer,
                   (row_number() OVER (ORDER BY ord) - 1)::INTEGER AS i FROM per_order GROUP BY ord""")
    # A product's name is its most frequent spelling (ties: the first alphabetically). The lines
    # hold a number per distinct name (names._id), the names table its text; likewise a number per
    # product code (codes._pid, numbered in the codes' order), the codes table its text.
    _run(con, """CREATE TEMP TABLE b_products AS SELECT _pid, _product AS product, name, category,
                   (row_number() OVER (ORDER BY _pid) - 1)::INTEGER AS i FROM (
                     SELECT _pid, name, category, row_number() OVER (PARTITION BY _pid
                        ORDER BY n DESC, name NULLS LAST, category NULLS LAST) AS r
                     FROM (SELECT _pid, _name AS name, category, n
                           FROM (SELECT product AS _pid, name AS _id, category, count(*) AS n FROM valid GROUP BY ALL)
                           LEFT JOIN (SELECT DISTINCT _id, _name FROM names) USING (_id)))
                   LEFT JOIN (SELECT DISTINCT _pid, _product FROM codes) USING (_pid)
                   WHERE r = 1""")
    # Each (order, product) pair once, with its money: the baskets, and a product's value per order
    # (its pairs are the orders holding it). An order of two customers (or of lines with and
    # without one) has its pairs added up; otherwise `pairs` holds each once already.
    shared = con.execute("SELECT count(*) > count(DISTINCT ord) FROM per_order").fetchall()[0][0]
    codes = "FROM pairs v JOIN b_orders o ON o.ord = v.ord JOIN b_products p ON p._pid = v.product"
    _run(con, f"CREATE TEMP TABLE b_pairs AS SELECT o.i AS b, p.i AS p, sum(v.m) AS m {codes} GROUP BY ALL" if shared
         else f"CREATE TEMP TABLE b_pairs AS SELECT o.i AS b, p.i AS p, v.m AS m {codes}")
    pairs = con.execute("SELECT b, p FROM b_pairs ORDER BY b, p").fetchnumpy()
    # Through Arrow: each order's customer as a code into the distinct ids, not a text per order.
    order_owner, owners = by_owner(con.sql("SELECT customer FROM b_orders ORDER BY i").to_arrow_table()["customer"])
    prods = con.execute("SELECT product, name, category FROM b_products ORDER BY i").fetchall()
    value = con.execute("SELECT sum(m)::DOUBLE / count(*) AS value FROM b_pairs GROUP BY p ORDER BY p").fetchnumpy()["value"]
    # Two codes with one name (a product re-coded) stay apart: the code is the product.
    seen: dict[str, int] = {}
    names = []
    for code, name, _ in prods:
        label = name or code
        seen[label] = seen.get(label, 0) + 1
        names.append(label if seen[label] == 1 else f"{label} ({code})")
    cat_index = {c: i for i, c in enumerate(categories)}
    prod_cat = np.array([cat_index.get(c, -1) for _, _, c in prods], dtype=np.int32)
    return OrderBaskets(
        order_idx=np.asarray(pairs["b"], dtype=np.int32), product_idx=np.asarray(pairs["p"], dtype=np.int32),
        order_owner=order_owner, owners=owners,
        products=tuple(names), product_category=prod_cat, categories=categories,
        product_value=np.asarray(value, dtype=float) if priced else np.full(len(names), np.nan),
    )

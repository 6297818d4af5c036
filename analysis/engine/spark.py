"""The Spark engine: the operations that grow with customers or lines, as Spark DataFrame work.

Order lines are read by `spark.read` and judged, counted and aggregated by the same rules as
`ingest.orders` (DuckDB), written as column expressions; only per-customer rows, per-order
customers and integer (order, product) codes come back to the driver. The final k-means fit is
Lloyd's algorithm as DataFrame aggregations, started at the centres of the model the search
fitted on its sample (pyspark.ml's KMeans cannot be started from given centres: it has no
initial model); the rules' exact recount counts each partition of the basket lists on its
executor (numpy bitsets, as rules.ItemsetCounter) and sums the partitions' counts.
Customer-level cleaning and features run on the driver, as locally: their cost grows with
customers, not lines, and they feed the driver-side search anyway. So a customer table named in
the Spark catalog (customers.table) is collected to the driver through Arrow, and customer files
are read there as locally.

Differences from the local engine, by design: medians are Spark's `percentile_approx`
(ACCURACY), a value of the data rather than the mean of the two middle ones; k-means runs once
from the sample's centres, not 10 random starts.
"""
from __future__ import annotations

import codecs
import os
import re
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..config import CatalogTable, Columns, Config, TransactionsFile
from ..options import WHITESPACE
from ..errors import UserError
from ..ingest.cleaning import DATE_CELL, DOT_GROUPS, WHOLE, ZONE, LogEntry, zoneless
from ..ingest.season import MONTH_COLUMNS, with_season
from ..ingest.loading import (MISSING_MARKERS, TWO_LETTER_MARKERS, Table, check_columns, detect_encoding, head_fields,
                              line_delimiter, looks_binary,
                              not_read, parquet_parts, parquet_zone, sha256_of, two_letter_codes, typed_table)
from ..ingest.loading import load_customers as load_customers_file
from ..ingest.orders import (ACCOUNTING, ALL_PRODUCTS, COMMA_DECIMAL, COMMA_GROUPS, CURRENCY, EU_NUMBER, EU_ONLY, EXCEL,
                             CODE_SAMPLE, GROUP_MARK, GROUPED, HABITS, LINE_RULES, MAX_CATEGORIES, MIN_PRICED, NO_PRODUCT,
                             ISO_START, NORMALISED,
                             OTHER, OWNER_ACTION, OWNER_DETAIL, RETURN, RETURNED, UTF8, amount_column, measure, return_action,
                             SIGN_AFTER, SIGN_BEFORE, UNCATEGORISED, US_GROUPED, US_ONLY, OrderBaskets, OrderData, by_owner,
                             cancelled_detail, check_named_columns, cased_entry, decimal_conventions, email_ids, gzipped, _head,
                             REPEATED_HEADER, unknown_category, without_guests, later_encoding, line_rules, net_of_returns,
                             no_product_note, price_typo, sales_statuses, status_value, without_products,
                             no_timestamp_format, no_usable_line, one_currency, read_products, unreadable_column,
                             without_clock)
from ..publish.exports import csv_bytes, csv_safe, overrides_template
from ..insight.rules import BITS_BUDGET
from ..segment.clustering import Fit, centres, extend
from . import SegmentStats, item_codes
from .local import LocalEngine

ACCURACY = 100_000  # percentile_approx: rank error at most 1/ACCURACY of a segment's customers
MAX_ITER = 300  # Lloyd's iterations at most (scikit-learn's default)
TOL = 1e-4  # ... stopping when the centres move less than this share of the features' mean variance
SPARK_CHARSETS = {"UTF-8", "UTF-16", "ISO-8859-1"}  # ... read without spark.sql.legacy.javaCharsets
COALESCE_MAX = 2_000_000  # exports: up to this many rows, one CSV file as locally; beyond, a folder of parts
# Spark's day of week counts 1 = Sunday .. 7 = Saturday; DuckDB's 0 = Sunday .. 6 = Saturday.
HABIT_EXPRS = {
    "at weekends": lambda ts: F.dayofweek(ts).isin(1, 7),
    "in the morning (before 12:00)": lambda ts: F.hour(ts) < 12,
    "in the evening (from 17:00)": lambda ts: F.hour(ts) >= 17,
}
# strftime -> Spark datetime pattern; one letter where strptime also reads unpadded numbers.
# Month and day names are English and read in any case, as DuckDB reads them; %y is read as 20yy
# and moved to 19yy from 69 on, as DuckDB does (see _strptime).
_PATTERN = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%I": "h", "%M": "m", "%S": "s", "%p": "a",
            "%f": "SSSSSS", "%z": "XX", "%y": "yy", "%b": "MMM", "%B": "MMMM", "%a": "EEE", "%A": "EEEE",
            "%j": "DDD"}


def java_pattern(fmt: str) -> str:
    """A strftime format as a Spark datetime pattern (literal text quoted)."""
    out, i, text = [], 0, []

    def quoted() -> None:  # a run of literal letters as one quoted section ('day', not 'd''a''y')
        if text:
            out.append("'" + "".join(text).replace("'", "''") + "'")
            text.clear()

    while i < len(fmt):
        code = fmt[i:i + 2]
        if code.startswith("%"):
            quoted()
        if code in _PATTERN:
            letters = _PATTERN[code]
            if len(letters) == 1 and letters != "a" and (fmt[i + 2:i + 3] == "%" or fmt[i - 2:i] in _PATTERN):
                letters *= 2  # numbers written back to back (%Y%m%d, the day too) have fixed widths
            out.append(letters)
            i += 2
        elif code.startswith("%"):
            raise ValueError(f"timestamp_format {fmt!r}: {code} is not read by the Spark engine (it reads "
                             f"{' '.join(_PATTERN)}); use another format or engine: local")
        else:
            ch = fmt[i]
            if ch.isalpha() or ch == "'":
                text.append(ch)
            else:
                quoted()
                out.append(ch)
            i += 1
    quoted()
    return "".join(out)


class SparkEngine(LocalEngine):
    """Spark for order lines, the final fit, per-segment aggregates, the recount and the exports;
    the driver (as `LocalEngine`) for customer-level cleaning and features."""

    name = "spark"

    def __init__(self, spark: SparkSession, own: bool = False):
        self.spark = spark
        self._own = own  # stop the session on close only when this engine started it
        # each basket's product codes (basket_lists) of the baskets this engine loaded, kept for the recount
        self._lists: dict[int, tuple[OrderBaskets, DataFrame]] = {}

    @classmethod
    def start(cls, master: str | None = None, conf: dict[str, str] | None = None) -> "SparkEngine":
        """A session on `master`; without one, the session already running (a notebook), left
        running at close, else spark-submit's master (`--master`; local[*] by default)."""
        active = SparkSession.getActiveSession()
        if master is None and active is not None:
            return cls(active, own=False)
        b = SparkSession.builder.appName("segments")
        if master is not None:
            b = b.master(master)
        if (master or "").startswith("local"):  # executors on this machine: this Python, with numpy and pyarrow
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for k, v in {**session_conf(), **(conf or {})}.items():
            b = b.config(k, v)
        return cls(b.getOrCreate(), own=True)

    def close(self) -> None:
        for _, df in self._lists.values():
            df.unpersist()
        self._lists.clear()
        if self._own:
            self.spark.stop()

    # ------------------------------------------------------------------ order lines

    def load_orders(self, cfg: Config, progress: Callable[[str], None] = lambda s: None,
                    categories: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
                    season: tuple[int, ...] | None = None) -> OrderData:
        # Spark reuses cached data whose plan matches, not whose file is unchanged: the basket lists
        # kept from an earlier read of the same path would stand in for a rewritten file's.
        for _, df in self._lists.values():
            df.unpersist()
        self._lists.clear()
        try:
            data, lists = _load_orders(self.spark, cfg, progress, categories, product_map, season)
        except Exception as e:  # Spark's reader stops at a line it cannot split (FAILFAST)
            record = re.search(r"Malformed CSV record: ([^\n]*)", str(e))
            if record is None:
                raise
            raise UserError(f"{cfg.transactions_path}: a line has more or fewer fields than the header: "
                            f"{record.group(1)[:200]!r} (check transactions.delimiter and the file's quotes)") from None
        self._lists[id(data.baskets)] = (data.baskets, lists)
        return data

    def load_customers(self, cfg: Config) -> Table:
        return load_customers(self.spark, cfg)

    # ------------------------------------------------------------------ final fit

    def final_fit(self, fit: Fit, x_fit: np.ndarray, x_all: np.ndarray, seed: int) -> np.ndarray:
        if fit.algorithm in ("gmm", "hdbscan"):
            # The mixture's own predict and the nearest sampled neighbour need the fitted model:
            # done on the driver, as locally (linear in customers).
            return fit.labels if len(x_fit) == len(x_all) else extend(fit, x_fit, x_all)
        if fit.algorithm == "kmeans":
            start = (np.asarray(fit.model.cluster_centers_, dtype=float) if fit.model is not None
                     else centres(x_fit, fit.labels, fit.k))
            return lloyd(self.spark, x_all, start)[0]
        if len(x_fit) == len(x_all):
            return fit.labels
        return nearest(self.spark, x_all, centres(x_fit, fit.labels, fit.k))  # Ward, two-stage

    # ------------------------------------------------------------------ per-segment aggregates

    def segment_stats(self, table: pd.DataFrame, labels: np.ndarray,
                      categorical: pd.DataFrame | None = None) -> SegmentStats:
        frame = table.reset_index(drop=True).astype(float)
        frame.columns = [f"f{i}" for i in range(frame.shape[1])]
        frame["segment"] = np.asarray(labels, dtype=np.int64)
        cat_names = list(categorical.columns) if categorical is not None else []
        for i, c in enumerate(cat_names):
            frame[f"c{i}"] = categorical[c].astype(str).to_numpy(dtype=object)
        sdf = self.spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))
        stats = segment_stats_df(sdf, [f"f{i}" for i in range(table.shape[1])], [f"c{i}" for i in range(len(cat_names))])
        names = dict(zip([f"f{i}" for i in range(table.shape[1])], table.columns))
        rename = lambda d: d.rename(columns=names) if isinstance(d, pd.DataFrame) else d.rename(index=names)  # noqa: E731
        return SegmentStats(size=stats.size, mean=rename(stats.mean), median=rename(stats.median),
                            total=rename(stats.total), overall_mean=rename(stats.overall_mean),
                            overall_sd=rename(stats.overall_sd),
                            categories={cat_names[int(k[1:])]: v for k, v in stats.categories.items()})

    # ------------------------------------------------------------------ rules' exact recount

    def count_itemsets(self, baskets: OrderBaskets, level: str, itemsets: Sequence[Sequence[str]],
                       orders: np.ndarray | None = None) -> np.ndarray:
        known = self._lists.get(id(baskets))
        if known is not None and known[0] is baskets:
            lists = known[1]
        else:  # baskets from elsewhere (the local loader): ship the integer pairs once
            lists = basket_lists(self.spark.createDataFrame(pa.table({"b": baskets.order_idx.astype(np.int32),
                                                                      "p": baskets.product_idx.astype(np.int32)})))
            self._lists[id(baskets)] = (baskets, lists)
        return recount(self.spark, lists, baskets, level, itemsets, orders)

    # ------------------------------------------------------------------ exports

    def write_exports(self, run, exports: Path) -> None:
        """results.json and personas.yml from the driver; every per-customer table as a Parquet
        folder beside its CSV, the CSV one file up to COALESCE_MAX rows (see write_table)."""
        exports.mkdir(parents=True, exist_ok=True)
        (exports / "results.json").write_text(run.results.to_json(), encoding="utf-8")
        (exports / "personas.yml").write_text(overrides_template(run.results.personas), encoding="utf-8")
        write_table(self.spark, run.assignments, exports / "assignments.csv")
        write_table(self.spark, run.customers.round(6), exports / "customers_features.csv", index=True)
        for rel, frame in run.tables:
            write_table(self.spark, frame, exports / rel)


def session_conf() -> dict[str, str]:
    """Settings every session of the engine needs: UTC (timestamps are read as written, as DuckDB
    reads them), Arrow transfers, ANSI SQL (Spark 4's default: casts that fail are errors, so
    every lenient cast is an explicit try_cast)."""
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.ansi.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "16",  # adaptive execution merges small ones further
    }


# ====================================================================== order lines

def _text(col: str, codes: bool = False):
    """The column trimmed, NULL when it holds a missing-value marker; with `codes`, 'NA' and 'NC' are
    codes among two-letter ones (orders._text)."""
    v = F.trim(F.col(f"`{col}`").cast("string"))
    missing = F.lower(v).isin(*sorted(MISSING_MARKERS))
    if codes:
        missing = missing & ~v.isin(*TWO_LETTER_MARKERS)
    return F.when(missing, F.lit(None)).otherwise(v)


def _coded(src: DataFrame, col: str) -> bool:
    """As orders._coded: a customer column of two-letter codes holding 'NA' or 'NC' among them."""
    v = F.trim(F.col(f"`{col}`").cast("string"))
    seen = [r[0] for r in src.select(v.alias("v")).where(F.col("v").isNotNull()).distinct().limit(CODE_SAMPLE).collect()]
    others = [x for x in seen if x.lower() not in MISSING_MARKERS]
    return any(x in TWO_LETTER_MARKERS for x in seen) and two_letter_codes(others)


def _status(col: str):
    """A status as orders.status_key writes it: the Turkish capital İ becomes i, as DuckDB lowers it
    (Java would give i and a combining dot, and 'İPTAL' would not be 'iptal'); every sigma σ."""
    return F.replace(F.lower(F.replace(_text(col), F.lit("İ"), F.lit("i"))), F.lit("ς"), F.lit("σ"))


def _bare(col: str, text=None):
    """orders._bare: the text without currency, percent sign, accounting parentheses or group spaces."""
    t = F.regexp_replace(_text(col) if text is None else text, SIGN_BEFORE, "$1")
    t = F.regexp_replace(t, SIGN_AFTER, "")
    t = F.regexp_replace(t, ACCOUNTING, "-$1")
    return F.when(t.rlike(_full(GROUPED)), F.regexp_replace(t, GROUP_MARK, "")).otherwise(t)


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _number(col: str, typed: bool, decimal_comma: bool):
    """orders._number: plain numbers as they are, others through _bare and the column's convention."""
    if typed:
        return F.col(f"`{col}`").cast("double")
    t = _bare(col)
    if decimal_comma:
        text = F.when(t.rlike(_full(EU_NUMBER)), F.replace(F.replace(t, F.lit("."), F.lit("")), F.lit(","), F.lit(".")))
        plain = F.when(~_text(col).contains("."), _text(col))
    else:
        text = F.when(t.rlike(_full(US_GROUPED)), F.replace(t, F.lit(","), F.lit("")))
        plain = _text(col)
    return F.coalesce(plain.try_cast("double"), F.coalesce(text, t).try_cast("double"))


def _decimal_commas(src: DataFrame, cols: Sequence[str], path: Path | None = None,
                    delimiter: str | None = None) -> dict[str, bool]:
    """orders.decimal_conventions for `cols` (orders._written for each), in one pass over the lines
    with no shuffle (a Spark job costs the same on a few lines as on many): a dot anywhere, the
    patterns among the values that are not plain numbers, whether every dot groups three digits,
    the largest whole number; amounts in more than one currency are refused."""
    seen = lambda cond: F.max(F.when(cond, 1).otherwise(0))  # noqa: E731
    aggs = []
    for i, col in enumerate(cols):
        raw = _text(col)
        odd = raw.isNotNull() & raw.try_cast("double").isNull()
        v = F.when(odd, _bare(col, raw))  # evaluated on the odd values only
        b = F.coalesce(v, raw)
        ungrouped = b.contains(",") | (b.contains(".") & ~b.rlike(_full(DOT_GROUPS)))
        aggs += [seen(raw.contains(".")).alias(f"dot{i}"),
                 F.collect_set(F.when(odd, F.regexp_extract(raw, CURRENCY, 0))).alias(f"signs{i}"),
                 seen(v.rlike(_full(US_ONLY))).alias(f"us{i}"), seen(v.rlike(_full(EU_ONLY))).alias(f"eu{i}"),
                 seen(v.rlike(_full(COMMA_DECIMAL)) & ~v.rlike(_full(COMMA_GROUPS))).alias(f"comma{i}"),
                 seen(ungrouped).alias(f"ungrouped{i}"),
                 F.max(F.when(b.rlike(_full(WHOLE)), F.abs(b.cast("double")))).alias(f"whole{i}")]
    if not aggs:
        return {}
    row = src.agg(*aggs).collect()[0]
    written = {}
    for i, col in enumerate(cols):
        one_currency(list(row[f"signs{i}"] or []), col, path)
        dot = bool(row[f"dot{i}"])
        written[col] = (dot, *(bool(row[f"{k}{i}"]) for k in ("us", "eu", "comma")),
                        dot and not row[f"ungrouped{i}"], row[f"whole{i}"])
    return decimal_conventions(written, delimiter)


def _unreadable_example(src: DataFrame, path, t: TransactionsFile, types: dict[str, T.DataType], col: str,
                        delimiter: str | None = None):
    """The smallest value of `col` that is not read (as orders.load_orders shows it)."""
    if col == t.timestamp:
        parsed = _timestamp(src, path, t, types)
    else:
        typed = isinstance(types.get(col), T.NumericType)
        parsed = _number(col, typed, not typed and _decimal_commas(src, [col], path, delimiter)[col])
    return src.where(_text(col).isNotNull() & parsed.isNull()).agg(F.min(_text(col))).collect()[0][0]


def _iso_timestamp(v):
    """As orders.ISO_PROBE: values that begin as ISO dates do."""
    return F.when(v.rlike(ISO_START), v.try_cast("timestamp"))


def _zone_dropped(col):
    return F.regexp_replace(F.trim(col), ZONE, "$1")


def _strptime(v, fmt: str):
    """DuckDB's TRY_STRPTIME(v, fmt) in Spark; two-digit years as DuckDB reads them: 00 to 68 in
    2000 to 2068, 69 to 99 in 1969 to 1999 (Spark reads all of them as 20yy)."""
    ts = F.try_to_timestamp(v, F.lit(java_pattern(fmt)))
    return F.when(F.year(ts) >= 2069, ts - F.expr("INTERVAL 100 YEARS")).otherwise(ts) if "%y" in fmt else ts


def _timestamp(src: DataFrame, path: Path, t: TransactionsFile, types: dict[str, T.DataType]):
    """orders._timestamp_expr: the configured format, else the first that reads every distinct value.
    A Parquet file's instants are read in the zone the file declares (loading.parquet_zone), as locally."""
    kind = types.get(t.timestamp)
    if isinstance(kind, T.TimestampType) and isinstance(path, Path):
        zone = parquet_zone(path, t.timestamp)
        if zone:  # the session is UTC: the shop's clock is the instant shifted to its zone
            return F.from_utc_timestamp(F.col(f"`{t.timestamp}`"), zone)
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        return F.col(f"`{t.timestamp}`").cast("timestamp")
    col = _text(t.timestamp)
    if t.timestamp_format:
        bare = zoneless(t.timestamp_format)
        try:  # the zone dropped, as locally
            read = _strptime(col, t.timestamp_format) if bare is None else _strptime(_zone_dropped(col), bare)
        except ValueError as e:
            raise UserError(f"{path}: transactions.{e}") from None
        # A spreadsheet's date cells, written as text: read as they are (cleaning.DATE_CELL), as locally.
        return F.coalesce(read, F.when(col.rlike(f"^{DATE_CELL}$"), col.try_cast("timestamp")))
    from ..ingest.orders import TIMESTAMP_FORMATS
    values = src.select(col.alias("v")).where(F.col("v").isNotNull()).distinct()
    formats = (None, *TIMESTAMP_FORMATS)
    # ISO times: Spark would turn a zone into UTC; DuckDB keeps the time as written.
    def probe(fmt, v):
        return _iso_timestamp(_zone_dropped(v)) if fmt is None else _strptime(v, fmt)
    # One pass over the distinct values: how many each format fails to read (and one example).
    row = values.agg(F.count(F.lit(1)).alias("n"), F.first("v").alias("example"),
                     *[F.count_if(probe(f, F.col("v")).isNull()).alias(f"f{i}") for i, f in enumerate(formats)]).collect()[0]
    if row["n"] == 0:
        raise UserError(f"{path}: column {t.timestamp!r} has no values")
    for i, fmt in enumerate(formats):
        if row[f"f{i}"] == 0:
            return probe(fmt, col)
    # As locally: the format (not ISO) that reads the most distinct values, first of equals.
    i = min(range(1, len(formats)), key=lambda j: (row[f"f{j}"], j))
    example = values.where(probe(formats[i], F.col("v")).isNull()).agg(F.min("v")).collect()[0][0]
    raise UserError(no_timestamp_format(path, t.timestamp, row["n"], formats[i], row["n"] - row[f"f{i}"], example))


AGAIN = "_header_again"  # a column of the raw lines: the line repeats the header


def _header_again(columns: list[str]):
    """orders.header_again as a Spark expression."""
    out = F.lit(True)
    for c in columns:
        out = out & F.coalesce(F.trim(F.col(f"`{c}`")) == F.lit(c.strip()), F.lit(False))
    return out


def _source(spark: SparkSession, path: Path | CatalogTable, t: TransactionsFile) -> tuple[DataFrame, str, str]:
    """The raw lines (CSV columns as text, Parquet and catalog tables with their own types),
    delimiter, encoding."""
    if isinstance(path, CatalogTable):
        return catalog_table(spark, path), "table", "binary"
    if not path.exists():
        raise UserError(f"{path}: file not found")
    not_read(path)
    if path.is_dir():  # Spark's own partition discovery; the parts are checked as the local engine does
        parquet_parts(path)
        return spark.read.parquet(str(path)), "parquet", "binary"
    if path.stat().st_size == 0:
        raise UserError(f"{path}: file is empty")
    if path.suffix.lower() in EXCEL:  # a driver-side file the executors of a cluster could not read
        raise UserError(f"{path}: Excel order lines are read by the local engine only; save them as CSV or Parquet "
                        "for engine: spark")
    with path.open("rb") as f:
        parquet = f.read(4) == b"PAR1"
    if parquet or path.suffix.lower() == ".parquet":
        return spark.read.parquet(str(path)), "parquet", "binary"
    head = _head(path)
    if not head.strip():
        raise UserError(f"{path}: file is empty")
    if gzipped(path) and path.suffix.lower() != ".gz":  # Spark tells gzip by the name only
        raise UserError(f"{path}: is gzip-compressed but its name does not end in .gz, by which Spark knows it; "
                        f"rename it {path.name}.gz")
    enc = detect_encoding(head) if t.encoding == "auto" else t.encoding
    if enc.lower() in UTF8:  # Spark would read a later byte that is not UTF-8 as '\ufffd' without a word
        enc = later_encoding(path, t, enc)
    spark_enc = java_charset(enc)
    if spark_enc not in SPARK_CHARSETS:  # Spark 4 reads other Java charsets (windows-1252 ...) only when told
        spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    text = head.decode(enc, errors="replace")
    if looks_binary(text):
        raise UserError(f"{path}: contains binary data; expected a CSV, TSV or Parquet file")
    delim = line_delimiter(text, t.delimiter)
    first = head_fields(text, delim)
    names = first if t.header else [f"column {i}" for i in range(1, len(first) + 1)]
    if delim == WHITESPACE:  # each line read whole, then split at its runs of spaces (orders._source)
        lines = spark.read.option("encoding", spark_enc).option("lineSep", "\n").text(str(path))
        if t.header:  # id 0 is the first row of the first split, which starts at the file's first byte
            lines = lines.where(F.monotonically_increasing_id() > 0)
        parts = lines.where(F.trim("value") != "").select(F.split(F.trim("value"), r"\s+").alias("p"))
        odd = parts.where(F.size("p") != len(names)).select(F.array_join("p", " ").alias("x"))
        bad = odd.count()
        if bad:
            raise UserError(f"{path}: {bad:,} line(s) do not split into {len(names)} fields at runs of spaces, e.g. "
                            f"{odd.first()['x'][:120]!r} (a value with a space in it?); save the file with a delimiter")
        return parts.select([F.col("p")[i].alias(n) for i, n in enumerate(names)]), delim, enc
    # multiLine: a quoted field may hold a line break (a product name written on two lines), and
    # UTF-16 lines are only split right this way; the price: each file is read by one task.
    src = (spark.read.option("header", t.header).option("sep", delim).option("quote", '"').option("escape", '"')
           .option("encoding", spark_enc).option("multiLine", True).option("mode", "FAILFAST")
           .option("inferSchema", False).csv(str(path)))
    if not t.header:
        src = src.toDF(*names[:len(src.columns)], *[f"column {i}" for i in range(len(names) + 1, len(src.columns) + 1)])
    else:  # lines that repeat the header (orders.header_again) are counted apart and left out
        src = src.withColumn(AGAIN, _header_again(src.columns))
    if len(src.columns) < 2:
        raise UserError(f"{path}: only one column found with delimiter {delim!r}; set transactions.delimiter")
    return src, delim, enc


def java_charset(enc: str) -> str:
    """A Python encoding's name as Java knows it (Spark's CSV `encoding`): cp1252 -> windows-1252."""
    try:
        name = codecs.lookup(enc).name
    except LookupError:
        raise UserError(f"unknown encoding {enc!r} (transactions.encoding)") from None
    if name in ("utf-8", "utf-8-sig", "ascii"):
        return "UTF-8"
    if m := re.fullmatch(r"cp(125\d)", name):
        return f"windows-{m.group(1)}"
    if m := re.fullmatch(r"iso8859-(\d+)", name):
        return f"ISO-8859-{m.group(1)}"
    return name.upper()


def catalog_table(spark: SparkSession, path: CatalogTable) -> DataFrame:
    from pyspark.errors import AnalysisException

    try:
        return spark.table(path.table)
    except AnalysisException as e:
        raise UserError(f"{path}: cannot be read from the Spark catalog ({' '.join(str(e).split())[:200]})") from None


def load_customers(spark: SparkSession, cfg: Config) -> Table:
    """A customer table of the Spark catalog, collected to the driver as text as a Parquet file of
    it would be read (cleaning runs on the driver); files are read as locally."""
    path = cfg.customers_path
    if not isinstance(path, CatalogTable):
        return load_customers_file(cfg)
    src = catalog_table(spark, path)
    frame = src.toArrow().to_pandas()
    if frame.shape[1] and not len(frame):
        raise UserError(f"{path}: has no rows")
    table = typed_table(path, frame, _files_digest(src), "table")
    check_columns(table, cfg)
    return table


def _files_digest(src: DataFrame) -> str:
    """A catalog table's version, as far as Spark shows it: SHA-256 of the names of the files it
    reads now (Delta and Parquet tables name every new part file anew), not of their contents."""
    import hashlib

    return hashlib.sha256("\n".join(sorted(src.inputFiles())).encode()).hexdigest()


def _check_columns(src: DataFrame, path: Path, t: TransactionsFile, joined_key: str | None = None
                   ) -> dict[str, T.DataType]:
    types = {f.name: f.dataType for f in src.schema.fields}
    check_named_columns(list(types), path, t, joined_key)
    return types


def _products(spark: SparkSession, cfg: Config, given: pd.DataFrame | None
              ) -> tuple[DataFrame, list[LogEntry], pd.DataFrame]:
    """The products map (small: read on the driver as locally) as a Spark DataFrame, the log,
    and the map as applied (orders._categories); `given`: a saved map used instead of the file."""
    if given is not None:
        return _pmap_df(spark, given), [], given
    p, ppath = cfg.products, cfg.products_path
    frame = read_products(ppath, p.sheet)
    for role, col in (("product", p.product), ("category", p.category)):
        if col not in frame.columns:
            raise UserError(f"{ppath}: column {col!r} (products.{role} in the config) is not in the file")
    m = pd.DataFrame({"pm_product": frame[p.product].astype(str).str.strip().str.upper(),
                      "pm_category": frame[p.category].astype(str).str.strip()})
    m = m[(m["pm_product"] != "") & (m["pm_category"] != "")]
    dup = m["pm_product"].duplicated(keep="first")
    log = []
    if dup.any():
        log.append(LogEntry("duplicates", f"{ppath.name}: {p.product}", int(dup.sum()), "first category kept",
                            "products listed more than once in the products map"))
    m = m[~dup].reset_index(drop=True).set_axis(["product", "category"], axis=1)
    return _pmap_df(spark, m), log, m


def _pmap_df(spark: SparkSession, m: pd.DataFrame) -> DataFrame:
    return spark.createDataFrame(pa.table({"pm_product": pa.array(m["product"].astype(str).tolist(), pa.string()),
                                           "pm_category": pa.array(m["category"].astype(str).tolist(), pa.string())}))


def _rule_conditions(tomorrow: str, derived: bool) -> dict[str, object]:
    """Spark conditions of orders.LINE_RULES, by reason (the order comes from LINE_RULES); `derived`:
    orders are made of a customer's lines at one time (no order column)."""
    q, pr, ts = F.col("qty"), F.col("price"), F.col("ts")
    inf = float("inf")
    finite = lambda c: ~F.isnan(c) & (F.abs(c) != inf)  # noqa: E731
    return {
        "no customer id to make its order of (no order column)": F.lit(derived) & F.col("customer").isNull(),
        "missing order id or product": F.col("ord").isNull() | F.col("product").isNull(),
        "quantity is not a number": q.isNull(),
        "unit price is not a number": pr.isNull(),
        "timestamp is not a date": ts.isNull(),
        "cancelled order": F.col("cancelled"),
        "return (negative quantity)": q < 0,
        "quantity or unit price infinite or beyond 1e12": ~finite(q) | ~finite(pr) | (F.abs(q) > 1e12) | (F.abs(pr) > 1e12),
        "timestamp in the future": ts >= F.lit(tomorrow).cast("timestamp"),
        "timestamp before 1900": ts < F.lit("1900-01-01").cast("timestamp"),
        "zero quantity": q == 0,
        "price zero or negative": pr <= 0,
        "fee, postage or adjustment (transactions.not_products)": F.col("not_product"),
        RETURNED: F.col("returned"),
    }


def _reason(tomorrow: str, derived: bool):
    conds = _rule_conditions(tomorrow, derived)
    missing = [why for _, why, _ in LINE_RULES if why not in conds]
    if missing:  # a rule added to orders.LINE_RULES must be written here too, or counts would differ
        raise RuntimeError(f"engine.spark: no Spark condition for order-line rule {missing[0]!r}")
    out = None
    for _, why, _ in reversed(LINE_RULES):
        out = F.when(conds[why], F.lit(why)).otherwise(out if out is not None else F.lit(None).cast("string"))
    return out


def _judge(spark: SparkSession, cfg: Config, src: DataFrame, path: Path, types: dict[str, T.DataType],
           given_map: pd.DataFrame | None = None, delimiter: str | None = None) -> tuple[DataFrame, list[LogEntry], pd.DataFrame | None]:
    """One row per line (duplicates dropped when configured): typed values, why it is not used,
    whether its code or name needed normalising; the products map's log and the map applied."""
    t = cfg.transactions
    numeric = {c for c, ty in types.items() if isinstance(ty, T.NumericType)}
    rows = src.distinct() if t.duplicate_lines == "drop" else src
    name_col = t.product_name or t.product
    not_products = [p.strip().upper() for p in t.not_products]
    # Upper case one letter for one, as DuckDB and Arrow (the products map) write it: Java's ß is SS,
    # theirs ẞ, and 'Maß-1' would find no 'MAẞ-1' in the map.
    product = F.upper(F.replace(_text(t.product), F.lit("ß"), F.lit("ẞ")))
    name = F.regexp_replace(_text(name_col), r"\s+", " ")
    log: list[LogEntry] = []
    customer = F.regexp_replace(_text(t.customer), r"\.0+$", "")
    if isinstance(types[t.customer], (T.FloatType, T.DoubleType)):  # as DuckDB writes them: 20012346, not 2.0012346E7
        c = F.col(f"`{t.customer}`")
        customer = F.coalesce(F.when((c == F.floor(c)) & (F.abs(c) < 2.0 ** 53), c.cast("long").cast("string")), customer)
    cased = 0  # as locally: e-mail ids written in more than one case are one customer
    if not isinstance(types[t.customer], T.NumericType) and email_ids(
            [r[0] for r in src.select(_text(t.customer).alias("v")).where(F.col("v").isNotNull()).limit(CODE_SAMPLE).collect()]):
        row = src.agg(F.count_distinct(customer).alias("a"), F.count_distinct(F.lower(customer)).alias("b")).collect()[0]
        cased, customer = row["a"] - row["b"], F.lower(customer)
    ts = _timestamp(src, path, t, types)
    # As locally: without an order id, an order is a customer's lines at one date and time.
    order = _text(t.order) if t.order else F.concat(customer, F.lit(" @ "), ts.cast("string"))
    cancelled = (F.startswith(F.coalesce(order, F.lit("")), F.lit(t.cancelled_prefix)) if t.order and t.cancelled_prefix
                 else F.lit(False))
    comma = _decimal_commas(src, [c for c in (t.quantity, t.money) if c and c not in numeric], path, delimiter)
    # As locally: lines without prices are read at a price of 1 (orders.UNPRICED), counted in units.
    money = _number(t.money, t.money in numeric, comma.get(t.money, False)) if t.money else F.lit(1.0)
    # As locally: one unit per line, or one returned where a line's total is negative (a refund).
    qty = (_number(t.quantity, t.quantity in numeric, comma.get(t.quantity, False)) if t.quantity
           else F.when(money < 0, F.lit(-1.0)).otherwise(F.lit(1.0)) if t.amount else F.lit(1.0))
    statuses = [status_value(v) for v in t.cancelled_statuses]
    returned = [status_value(v) for v in t.returned_statuses]
    if t.status and statuses:  # as locally: an order any of whose lines has a cancelled status
        by_status = (src.where(_status(t.status).isin(*statuses))
                     .select(order.alias("_cancelled_ord")).distinct())
        rows = rows.join(by_status, order == F.col("_cancelled_ord"), "left")
        cancelled = cancelled | F.col("_cancelled_ord").isNotNull()
    # As locally: a code counts as normalised only where another spelling of it exists.
    several = (src.select(F.col(f"`{t.product}`")).distinct().groupBy(product.alias("_sp_code")).count()
               .where(F.col("count") > 1).select("_sp_code"))
    rows = rows.join(F.broadcast(several), product == F.col("_sp_code"), "left")
    cols = [
        customer.alias("customer"),
        order.alias("ord"),
        ts.alias("ts"),
        product.alias("product"),
        ((F.col(f"`{t.product}`").cast("string") != product) & F.col("_sp_code").isNotNull()).alias("product_changed"),
        name.alias("name"),
        (F.col(f"`{name_col}`").cast("string") != name).alias("name_changed"),
        qty.alias("qty"),
        (money if not t.amount else F.when(qty == 0, money).otherwise(money / qty)).alias("price"),  # orders: a total / qty
        cancelled.alias("cancelled"),
        (F.coalesce(_status(t.status).isin(*returned), F.lit(False)) if t.status and returned
         else F.lit(False)).alias("returned"),
        (product.isin(*not_products) if not_products else F.lit(False)).alias("not_product"),
    ] + [_text(c, _coded(src, c)).alias(f"cc_{i}") for i, c in enumerate(t.customer_columns)] + (
        [_status(t.status).alias("_status")] if t.status else [])  # for the log (sales_statuses)
    applied = None
    if t.category:
        cols.append(F.coalesce(_text(t.category), F.lit(UNCATEGORISED)).alias("category"))
        judged = rows.select(*cols)
    elif given_map is not None or cfg.products is not None:
        pmap, log, applied = _products(spark, cfg, given_map)
        judged = (rows.select(*cols, product.alias("_key"))
                  .join(F.broadcast(pmap), F.col("_key") == F.col("pm_product"), "left")
                  .drop("_key", "pm_product").withColumnRenamed("pm_category", "category"))
    else:
        judged = rows.select(*cols, F.lit(None).cast("string").alias("category"))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # dates after today are typos
    return judged.withColumn("reason", _reason(tomorrow, t.order is None)), log, applied, cased


def _load_orders(spark: SparkSession, cfg: Config, progress: Callable[[str], None],
                 fixed: tuple[str, ...] | None = None, product_map: pd.DataFrame | None = None,
                 season: tuple[int, ...] | None = None) -> tuple[OrderData, DataFrame]:
    t = cfg.transactions
    path = getattr(cfg, "transactions_path", None) or cfg.customers_path
    src, delim, enc = _source(spark, path, t)
    again, n_all = 0, None
    if AGAIN in src.columns:  # one pass: the lines, and those that repeat the header
        row = src.agg(F.count(F.lit(1)).alias("n"), F.count_if(F.col(AGAIN)).alias("again")).collect()[0]
        n_all, again = int(row["n"]), int(row["again"] or 0)
        src = src.where(~F.col(AGAIN)).drop(AGAIN)
    if t.product is None:  # as locally: every line of one product
        src = src.withColumn(NO_PRODUCT, F.lit(ALL_PRODUCTS))
        t = without_products(t)
        cfg = cfg.model_copy(update={"transactions": t})
    types = _check_columns(src, path, t, cfg.join.transactions if cfg.join else None)
    sha = sha256_of(path) if isinstance(path, Path) else _files_digest(src)
    n_raw = n_all - again if n_all is not None else src.count()
    if n_raw == 0:
        raise UserError(f"{path}: has {'no rows' if isinstance(path, CatalogTable) else 'a header but no rows'}")
    progress(f"order lines: cleaning {n_raw:,} lines (Spark)")
    judged, cat_log, pmap, cased = _judge(spark, cfg, src, path, types, product_map, delim)
    # Cached before any filter: a filter on `reason` would otherwise be pushed down to the raw
    # columns, every parsed number and date written out again in each rule of it (a generated
    # method beyond Java's 64 KB, then run interpreted).
    cached = judged = judged.persist()
    usual = None
    if t.max_price_ratio and t.money:  # as locally: against the median (the lower middle) over the lines every other rule keeps
        usual = (judged.where(F.col("reason").isNull()).groupBy(F.col("product").alias("_up"))
                 .agg(F.percentile_approx("price", 0.5, 100_000).alias("_um"), F.count(F.lit(1)).alias("_un"))
                 .where(F.col("_un") >= MIN_PRICED).persist())  # one row per product, computed once
        typo = F.col("reason").isNull() & (F.col("price") > F.lit(t.max_price_ratio) * F.col("_um"))
        judged = (judged.join(usual, F.col("product") == F.col("_up"), "left")
                  .withColumn("reason", F.when(typo, F.lit(price_typo(t))).otherwise(F.col("reason")))
                  .drop("_up", "_um", "_un"))
    judged, owners = _owners_filled(judged, bool(t.order))
    log = [LogEntry("duplicates", "order lines", again, "dropped", REPEATED_HEADER)] if again else []
    # One pass for every count the log needs: lines per reason and the usable lines' counts (the
    # row of reason NULL). Plain aggregates only: a distinct count among them would make Spark
    # shuffle every line (the cancelled orders are counted apart, from their lines only).
    use, cancelled = F.col("reason").isNull(), "cancelled order"
    per = {r["reason"]: r for r in judged.groupBy("reason").agg(
        F.count(F.lit(1)).alias("n"),
        F.count_if(use & F.col("customer").isNull()).alias("no_customer"),
        F.count_if(use & F.col("product_changed")).alias("product_changed"),
        F.count_if(use & F.col("name_changed")).alias("name_changed"),
        F.max(F.when(use, F.col("ts"))).alias("max_ts"),
        F.count_if(use & F.col("category").isNotNull()).alias("with_category"),
        F.count_if(F.col("_filled")).alias("filled")).collect()}
    n_lines = sum(r["n"] for r in per.values())
    dupes = n_raw - n_lines if t.duplicate_lines == "drop" else n_raw - src.distinct().count()
    if dupes:
        action = "dropped" if t.duplicate_lines == "drop" else "kept (transactions.duplicate_lines: keep)"
        log.append(LogEntry("duplicates", "order lines", int(dupes), action, "lines equal to an earlier line in every column"))
    log += cat_log
    for step, why, _ in line_rules(t):
        n = per[why]["n"] if why in per else 0
        if not n:
            continue
        if step == "unreadable values" and n > 0.01 * n_lines:
            col = {"quantity": t.quantity, "unit price": t.money, "timestamp": t.timestamp}[why.split(" is ")[0]]
            raise UserError(unreadable_column(path, col, "timestamp" in why, n, n_lines,
                                              _unreadable_example(src, path, t, types, col, delim), t.timestamp_format))
        detail = ""
        if why == cancelled:
            orders = judged.where(F.col("reason") == cancelled).select("ord").distinct().count()
            detail = cancelled_detail(orders, t)
        log.append(LogEntry(step, "order lines", int(n), return_action(t) if why == RETURN else "not used",
                            why + (f": {detail}" if detail else "")))
    if t.status:
        log += sales_statuses(t, cfg.report.min_segment_size, [(r[0], r[1]) for r in judged.where(use).groupBy("_status").count().collect()])
    valid = judged.where(use)
    # Returned money per customer and category as written, before categories are named or pooled.
    returned = (judged.where((F.col("reason") == RETURN) & F.col("customer").isNotNull())
                .groupBy("customer", "category").agg(money_sum().alias("money")))
    c = per.get(None)
    if c is None:
        raise UserError(f"{path}: no usable order lines (all {n_lines:,} cancelled, returned or invalid)")
    if c["no_customer"] == c["n"]:
        raise UserError(f"{path}: column {t.customer!r} (transactions.customer) holds no customer id on any of the "
                        f"{c['n']:,} usable lines")
    filled = sum(r["filled"] for r in per.values())
    if cased:
        log.append(cased_entry(t, cased))
    if filled:
        log.append(LogEntry("missing values", t.customer, int(filled), OWNER_ACTION, OWNER_DETAIL))
    if c["no_customer"]:
        log.append(LogEntry("missing values", t.customer, int(c["no_customer"]), "used for baskets only",
                            "order lines without a customer id"))
    name_col = t.product_name or t.product
    for what, flag in (("product codes", "product_changed"), ("product names", "name_changed")):
        if c[flag] and not (what == "product names" and name_col == t.product):
            log.append(LogEntry("odd categories", t.product if what == "product codes" else name_col, int(c[flag]),
                                "normalised", NORMALISED[what]))
    ref = cfg.report.reference_date or (c["max_ts"].date() + timedelta(days=1))
    valid, categories = (_category_names(valid, c["with_category"] > 0, log, measure(t)[0]) if fixed is None
                         else _fixed_categories(valid, log, fixed))
    valid = valid.persist()
    progress(f"order lines: one row per customer from {c['n']:,} usable lines (Spark)")
    frame, columns, per_order = _customers(valid, t, ref, categories)
    frame = net_of_returns(frame, _to_pandas(returned), columns.spend or columns.units, log, measure(t)[0])
    gone = (judged.where(F.col("customer").isNotNull()).groupBy("customer")
            .agg(F.count_if(F.col("reason").isNull()).alias("usable"), F.collect_set("reason").alias("why"))
            .where(F.col("usable") == 0).collect())
    excluded = {r["customer"]: no_usable_line(list(r["why"])) for r in sorted(gone, key=lambda r: r["customer"])}
    frame, columns = without_clock(without_guests(frame, excluded, t), columns, t, log)
    frame, columns, months = with_season(frame, columns, frame["First order"].min() if len(frame) else None,
                                         c["max_ts"], season, log, t.timestamp)
    no_product_note(frame, t, log)
    progress("order lines: baskets of orders and products (Spark)")
    baskets, lists = _baskets(valid, per_order, categories, bool(t.money))
    valid.unpersist()
    cached.unpersist()
    for small in (usual, owners):
        if small is not None:
            small.unpersist()
    # Fields the local loader has gained (a saved model's map, the map file's hash), set alike.
    fields = OrderData.__dataclass_fields__
    extra = {"product_map": pmap} if "product_map" in fields else {}
    if "season" in fields:
        extra["season"] = months
    if "products_sha256" in fields:
        extra["products_sha256"] = (sha256_of(cfg.products_path) if cfg.products is not None and product_map is None
                                    else None)
    data = OrderData(frame=frame, columns=columns, log=tuple(log), excluded=excluded, reference_date=ref,
                     baskets=baskets, n_lines=int(n_raw), sha256=sha, delimiter=delim, encoding=enc, **extra)
    return data, lists


def _owners_filled(judged: DataFrame, has_order: bool) -> tuple[DataFrame, DataFrame | None]:
    """orders._owners_filled: a line without a customer id in an order whose other lines all name
    one customer is that customer's (`_filled` marks it); with the orders' owners (cached) or None."""
    blank = F.col("customer").isNull() & F.col("ord").isNotNull()
    # A count, not limit(1): a limit scans the partitions a few at a time, a job each.
    if not has_order or not judged.agg(F.count_if(blank)).collect()[0][0]:
        return judged.withColumn("_filled", F.lit(False)), None
    holes = judged.where(blank).select("ord").distinct()
    owners = (judged.join(holes, "ord", "left_semi").where(F.col("customer").isNotNull())
              .groupBy(F.col("ord").alias("_oo")).agg(F.min("customer").alias("_oc"),
                                                      F.count_distinct("customer").alias("_on"))
              .where(F.col("_on") == 1).drop("_on").persist())
    filled = F.col("customer").isNull() & F.col("_oc").isNotNull()
    return (judged.join(owners, F.col("ord") == F.col("_oo"), "left").withColumn("_filled", filled)
            .withColumn("customer", F.coalesce(F.col("customer"), F.col("_oc"))).drop("_oo", "_oc"), owners)


def _category_names(valid: DataFrame, any_category: bool, log: list[LogEntry],
                    what: str = "spend") -> tuple[DataFrame, tuple[str, ...]]:
    """orders._category_names: missing categories named, beyond MAX_CATEGORIES the smallest pooled."""
    if not any_category:
        return valid, ()
    # One pass: spend per category, and the lines and products of the missing one.
    spend = valid.groupBy("category").agg(F.count(F.lit(1)).alias("lines"), F.count_distinct("product").alias("products"),
                                          money_sum().alias("s")).collect()
    missing = next((x for x in spend if x["category"] is None), None)
    if missing is not None:
        valid = valid.withColumn("category", F.coalesce("category", F.lit(UNCATEGORISED)))
        log.append(LogEntry("missing values", "category", int(missing["lines"]), f"set to '{UNCATEGORISED}'",
                            f"lines of {missing['products']:,} products missing from the products map"))
        spend = ([x for x in spend if x["category"] not in (None, UNCATEGORISED)]
                 + [{"category": UNCATEGORISED, "s": sum(x["s"] for x in spend if x["category"] in (None, UNCATEGORISED))}])
    names = [x["category"] for x in sorted(spend, key=lambda x: (-x["s"], x["category"]))]
    if len(names) > MAX_CATEGORIES:
        small = names[MAX_CATEGORIES - 1:]
        valid = valid.withColumn("category", F.when(F.col("category").isin(*small), F.lit(OTHER))
                                 .otherwise(F.col("category")))
        log.append(LogEntry("odd categories", "category", len(small), f"pooled into '{OTHER}'",
                            f"{len(names)} categories; the {len(small)} with the least {what} are pooled"))
        names = names[:MAX_CATEGORIES - 1] + [OTHER]
    return valid, tuple(sorted(names))


def _fixed_categories(valid: DataFrame, log: list[LogEntry], fixed: tuple[str, ...]) -> tuple[DataFrame, tuple[str, ...]]:
    """orders._fixed_categories: a saved model's categories; others pooled as the model pooled them."""
    if fixed == ("All products",):  # the model had no categories: one spend column
        return valid.withColumn("category", F.lit(None).cast("string")), ()
    valid = valid.withColumn("category", F.coalesce("category", F.lit(UNCATEGORISED)))
    n = valid.where(~F.col("category").isin(*fixed)).count()
    if not n:
        return valid, tuple(sorted(fixed))
    into = unknown_category(fixed)
    valid = valid.withColumn("category", F.when(F.col("category").isin(*fixed), F.col("category")).otherwise(F.lit(into)))
    log.append(LogEntry("odd categories", "category", int(n), f"pooled into '{into}'",
                        "lines of categories the model was not built with"))
    return valid, tuple(sorted({*fixed, into}))


def line_money():
    """orders.line_money: a line's qty x price as a decimal (to a millionth), so that sums of it
    are exact whatever the order of adding and equal DuckDB's to the last bit."""
    return (F.col("qty") * F.col("price")).cast("decimal(38,6)")


def money_sum(where=None):
    """As orders.money_sum: the exact sum of line_money as a double; `where`: only those lines (as orders.category_sum)."""
    amount = line_money()
    return F.sum(amount if where is None else F.when(where, amount)).cast("double")


def _to_pandas(df: DataFrame) -> pd.DataFrame:
    """Through Arrow, so that pandas' version does not matter to Spark's own conversion."""
    return df.toArrow().to_pandas()


def _customers(valid: DataFrame, t: TransactionsFile, ref: date, categories: tuple[str, ...]):
    """orders._customers: one row per customer with a usable line, and the column roles of that row."""
    if [n for n, _ in HABITS] != list(HABIT_EXPRS):
        raise RuntimeError("engine.spark: the time habits differ from orders.HABITS")
    lines = valid.where(F.col("customer").isNotNull())
    # Spend as exact decimals per order, summed again per customer: the same decimal sums.
    amount = line_money()
    if categories:
        spend_cols = {cat: amount_column(t, cat) for cat in categories}
        per_order = [F.sum(F.when(F.col("category") == cat, amount)).alias(f"s{i}") for i, cat in enumerate(categories)]
        sums = [F.coalesce(F.sum(f"s{i}").cast("double"), F.lit(0.0)).alias(spend_cols[cat])
                for i, cat in enumerate(categories)]
    else:
        spend_cols = {"All products": measure(t)[1]}
        per_order, sums = [F.sum(amount).alias("s0")], [F.sum("s0").cast("double").alias(spend_cols["All products"])]
    # One row per (customer, order), the orders of the baskets too (lines without a customer included),
    # through one row per (customer, order, product): plain aggregates at both levels, as a
    # distinct count of products would shuffle every line. Decimal sums are exact in any grouping.
    o = (valid.groupBy("customer", "ord", "product").agg(F.min("ts").alias("ts"), *per_order)
         .groupBy("customer", "ord").agg(F.min("ts").alias("ts"), F.count(F.lit(1)).alias("products"),
                                         *[F.sum(f"s{i}").alias(f"s{i}") for i in range(len(per_order))])
         .persist())
    habits = [F.avg(F.when(expr(F.col("ts")), 1.0).otherwise(0.0)).alias(f"Orders {name}")
              for name, expr in HABIT_EXPRS.items()]
    habits += [F.sum(F.when(F.month("ts") == m, 1.0).otherwise(0.0)).alias(col) for m, col in enumerate(MONTH_COLUMNS, 1)]
    out = o.where(F.col("customer").isNotNull()).groupBy("customer").agg(
        F.min("ts").alias("First order"),
        F.datediff(F.lit(ref.isoformat()).cast("date"), F.to_date(F.max("ts"))).cast("double").alias("Days since last order"),
        F.count(F.lit(1)).cast("double").alias("Orders"),
        F.avg("products").cast("double").alias("Products per order"), *habits, *sums)
    for i, col in enumerate(t.customer_columns):  # the most frequent value; ties go to the first in order
        v = f"cc_{i}"
        w = Window.partitionBy("customer").orderBy(F.col("n").desc(), F.col(v))
        mode = (lines.where(F.col(v).isNotNull()).groupBy("customer", v).agg(F.count(F.lit(1)).alias("n"))
                .withColumn("r", F.row_number().over(w)).where(F.col("r") == 1).select("customer", F.col(v).alias(col)))
        out = out.join(mode, "customer", "left")
    frame = _to_pandas(out.withColumnRenamed("customer", "customer_id"))
    frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    first = frame["First order"]
    if getattr(first.dtype, "tz", None) is not None:  # Spark's timestamps are instants; the session is UTC
        first = first.dt.tz_convert("UTC").dt.tz_localize(None)
    frame["First order"] = first.astype("datetime64[us]")
    for col in t.customer_columns:
        frame[col] = frame[col].fillna("").astype(str)
    frame["customer_id"] = frame["customer_id"].astype(str)
    order = (["customer_id", "First order", "Days since last order", "Orders", "Products per order"]
             + [f"Orders {n}" for n, _ in HABITS] + list(MONTH_COLUMNS) + list(spend_cols.values())
             + list(t.customer_columns))
    columns = Columns(
        id="customer_id", signup_date="First order", recency_days="Days since last order", orders="Orders",
        basket_size="Products per order", **{measure(t)[0]: spend_cols},
        habits={name: f"Orders {name}" for name, _ in HABITS},
        categorical=list(t.customer_columns),
    )
    return frame[order], columns, o


def _baskets(valid: DataFrame, per_order: DataFrame, categories: tuple[str, ...],
             priced: bool = True) -> tuple[OrderBaskets, DataFrame]:
    """orders._baskets: orders and products as dense integer codes in sorted order, and the
    basket lists (basket_lists) kept in Spark for the recount; without prices, no product value."""
    b_orders = numbered(per_order.groupBy("ord").agg(F.max("customer").alias("customer")), "ord", "b")
    per_order.unpersist()
    # A product's name is its most frequent spelling (ties: the first alphabetically).
    w = Window.partitionBy("product").orderBy(F.col("n").desc(), F.col("name").asc_nulls_last(),
                                              F.col("category").asc_nulls_last())
    b_products = (valid.groupBy("product", "name", "category").agg(F.count(F.lit(1)).alias("n"))
                  .withColumn("r", F.row_number().over(w)).where(F.col("r") == 1).drop("r", "n"))
    b_products = numbered(b_products, "product", "p")
    codes = F.broadcast(b_products.select("product", "p"))
    # Each (order, product) pair once with its money: the baskets, and a product's value per order
    # (its pairs are the orders holding it; exact decimal sums).
    with_money = (valid.select("ord", "product", line_money().alias("m")).join(b_orders.select("ord", "b"), "ord")
                  .join(codes, "product").groupBy("b", "p").agg(F.sum("m").alias("m")).persist())
    value = with_money.groupBy("p").agg((F.sum("m").cast("double") / F.count(F.lit(1))).alias("value"))
    prods = b_products.join(value, "p").orderBy("p").collect()
    b_products.unpersist()
    lists = basket_lists(with_money)
    arrays = lists.orderBy("b").toArrow()  # (caches the lists, so the pairs' money can go)
    with_money.unpersist()
    # Per batch, never joined into one list array (its 32-bit offsets end at 2**31 products).
    items = arrays.column("items")
    sizes = pc.list_value_length(items).to_numpy()
    order_owner, owners = by_owner(b_orders.orderBy("b").select("customer").toArrow().column(0))
    b_orders.unpersist()
    seen: dict[str, int] = {}
    names = []
    for r in prods:  # two codes with one name (a product re-coded) stay apart: the code is the product
        label = r["name"] or r["product"]
        seen[label] = seen.get(label, 0) + 1
        names.append(label if seen[label] == 1 else f"{label} ({r['product']})")
    cat_index = {c: i for i, c in enumerate(categories)}
    baskets = OrderBaskets(
        order_idx=np.repeat(arrays.column("b").to_numpy().astype(np.int32), sizes),
        product_idx=pc.list_flatten(items).to_numpy().astype(np.int32),
        order_owner=order_owner, owners=owners,
        products=tuple(names),
        product_category=np.array([cat_index.get(r["category"], -1) for r in prods], dtype=np.int32),
        categories=categories,
        product_value=np.array([r["value"] if priced else np.nan for r in prods], dtype=float),
    )
    return baskets, lists


def numbered(frame: DataFrame, key: str, name: str) -> DataFrame:
    """`frame` (cached) with `name` = 0, 1, ... in the order of its unique column `key`, numbered
    without moving every row into one task (a window ordered over the whole frame does): the sort
    range-partitions the rows, so a row's number is the rows of the partitions before its own plus
    its place in its partition (the low 33 bits of `monotonically_increasing_id`)."""
    rows = (frame.orderBy(key).withColumn("_part", F.spark_partition_id())
            .withColumn("_place", F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1)).persist())
    counts = sorted((r["_part"], r["n"]) for r in rows.groupBy("_part").agg(F.count(F.lit(1)).alias("n")).collect())
    before, total = {}, 0
    for part, n in counts:
        before[part], total = total, total + n
    start = F.create_map(*[F.lit(v) for part, n in before.items() for v in (part, n)]) if before else None
    out = rows.withColumn(name, (start[F.col("_part")] + F.col("_place")).cast("int") if start is not None
                          else F.lit(0).cast("int")).drop("_part", "_place").persist()
    out.count()  # materialised before the sorted rows are released
    rows.unpersist()
    return out


def basket_lists(pairs: DataFrame) -> DataFrame:
    """(b, items): each basket's product codes, sorted, in one row (cached), from (b, p) pairs.
    A row holds a whole basket, so the recount counts each partition on its own."""
    return pairs.groupBy("b").agg(F.sort_array(F.collect_list("p")).alias("items")).persist()


# ====================================================================== final fit

def _points(spark: SparkSession, x: np.ndarray) -> DataFrame:
    """Rows of x as columns x0..x{d-1} with their position `i`, cached for the iterations."""
    table = pa.table({"i": np.arange(len(x), dtype=np.int64), **{f"x{j}": x[:, j].astype(float) for j in range(x.shape[1])}})
    return spark.createDataFrame(table).repartition(max(2, spark.sparkContext.defaultParallelism), "i").persist()


def _assign(points: DataFrame, c: np.ndarray):
    """Nearest centre (ties: the lower number, as numpy's argmin), from plain column arithmetic."""
    d = [sum((F.col(f"x{j}") - float(c[s, j])) ** 2 for j in range(c.shape[1])) for s in range(len(c))]
    dist = F.array(*d)
    return (F.array_position(dist, F.array_min(dist)) - 1).cast("int")


def _labels(points: DataFrame, c: np.ndarray) -> np.ndarray:
    got = points.select("i", _assign(points, c).alias("label")).toArrow()
    out = np.empty(got.num_rows, dtype=int)
    out[got.column("i").to_numpy()] = got.column("label").to_numpy()
    return out


def nearest(spark: SparkSession, x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """clustering.nearest_centre on Spark."""
    points = _points(spark, x)
    try:
        return _labels(points, c)
    finally:
        points.unpersist()


def lloyd(spark: SparkSession, x: np.ndarray, start: np.ndarray, max_iter: int = MAX_ITER, tol: float = TOL
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """k-means by Lloyd's iterations from the given centres: (labels, centres, iterations).

    Each iteration is one aggregation (the mean of each feature per nearest centre); it stops
    when the centres move less than `tol` times the features' mean variance, as scikit-learn's
    KMeans does. A centre that loses every customer stays where it was."""
    points = _points(spark, x)
    try:
        d = x.shape[1]
        threshold = tol * float(np.mean(np.var(x, axis=0)))
        c = np.asarray(start, dtype=float).copy()
        it = 0
        for it in range(1, max_iter + 1):
            rows = (points.select(_assign(points, c).alias("s"), *[F.col(f"x{j}") for j in range(d)])
                    .groupBy("s").agg(*[F.avg(f"x{j}").alias(f"m{j}") for j in range(d)]).collect())
            new = c.copy()
            for r in rows:
                new[r["s"]] = [r[f"m{j}"] for j in range(d)]
            shift = float(((new - c) ** 2).sum())
            c = new
            if shift <= threshold:
                break
        return _labels(points, c), c, it
    finally:
        points.unpersist()


# ====================================================================== per-segment aggregates

def segment_stats_df(sdf: DataFrame, features: list[str], categorical: list[str] = ()) -> SegmentStats:
    """Per-segment aggregates of a Spark DataFrame with a `segment` column: one groupBy for size,
    means, sums and medians, one aggregation for the overall means and deviations, one count per
    (segment, value) of each categorical column."""
    aggs = [F.count(F.lit(1)).alias("_n")]
    for i, f in enumerate(features):
        aggs += [F.avg(f).alias(f"a{i}"), F.sum(f).alias(f"t{i}"),
                 F.percentile_approx(f, 0.5, ACCURACY).alias(f"m{i}")]
    g = _to_pandas(sdf.groupBy("segment").agg(*aggs)).sort_values("segment").set_index("segment")
    g.index = g.index.astype(np.int64)
    pick = lambda p: g[[f"{p}{i}" for i in range(len(features))]].set_axis(list(features), axis=1).astype(float)  # noqa: E731
    overall = sdf.agg(*[F.avg(f).alias(f"a{i}") for i, f in enumerate(features)],
                      *[F.stddev_pop(f).alias(f"s{i}") for i, f in enumerate(features)]).collect()[0]
    cats = {}
    for col in categorical:
        counts = _to_pandas(sdf.groupBy("segment", col).agg(F.count(F.lit(1)).alias("n")))
        table = counts.pivot(index="segment", columns=col, values="n").fillna(0).astype(np.int64)
        table.index = table.index.astype(np.int64)
        cats[col] = table.sort_index(axis=0).sort_index(axis=1)
    return SegmentStats(
        size=g["_n"].astype(np.int64).rename(None), mean=pick("a"), median=pick("m"), total=pick("t"),
        overall_mean=pd.Series([overall[f"a{i}"] for i in range(len(features))], index=list(features), dtype=float),
        overall_sd=pd.Series([overall[f"s{i}"] for i in range(len(features))], index=list(features), dtype=float),
        categories=cats)


# ====================================================================== rules' exact recount

def recount(spark: SparkSession, lists: DataFrame, baskets: OrderBaskets, level: str,
            itemsets: Sequence[Sequence[str]], orders: np.ndarray | None = None) -> np.ndarray:
    """Baskets holding every item of each itemset: each partition of the basket lists counted on
    its executor as `rules.ItemsetCounter` counts (one bitset per item the itemsets name, an AND
    and a population count per itemset), the partitions' counts summed on the driver. Exact: a
    basket is one row, so it is counted once, in one partition."""
    _, _, names = item_codes(baskets, level)
    code = {n: i for i, n in enumerate(names)}
    sets = [tuple(sorted(set(s))) for s in itemsets]
    n_total = baskets.n_orders if orders is None else len(orders)
    out = np.zeros(len(sets), dtype=np.int64)
    wanted, members = [], []
    for k, s in enumerate(sets):
        if not s:
            out[k] = n_total
        elif all(i in code for i in s):  # an item that never occurs: held by no basket
            wanted.append(k)
            members.append(np.array([code[i] for i in s], dtype=np.int64))
    if not wanted:
        return out
    item_of = baskets.product_category.astype(np.int64) if level == "category" else None
    rows = lists
    if orders is not None:
        keep = spark.createDataFrame(pa.table({"b": np.asarray(orders, dtype=np.int32)}))
        rows = rows.join(keep, "b", "left_semi")
    # A function of its own (numpy and pyarrow only), shipped to the executors by value.
    count = _partition_counter(members, item_of, BITS_BUDGET)
    partial = rows.select("items").mapInArrow(count, "j int, n long").toArrow()
    np.add.at(out, np.asarray(wanted)[partial.column("j").to_numpy()], partial.column("n").to_numpy())
    return out


def _partition_counter(members: list[np.ndarray], item_of: np.ndarray | None, budget: int):
    def count(batches):
        import numpy as np
        import pyarrow as pa

        flat, sizes = [], []
        for batch in batches:
            lists = batch.column(0)
            flat.append(lists.flatten().to_numpy(zero_copy_only=False))
            sizes.append(np.diff(lists.offsets.to_numpy()))
        if not flat:
            return
        sizes = np.concatenate(sizes)
        n = len(sizes)
        item = np.concatenate(flat).astype(np.int64)
        basket = np.repeat(np.arange(n, dtype=np.int64), sizes)
        if item_of is not None:  # products -> categories, each (basket, category) once
            item = item_of[item]
            basket, item = basket[item >= 0], item[item >= 0]
        key = np.unique(item * n + basket)  # by item, then basket
        item, basket = key // n, key % n
        involved = np.unique(np.concatenate(members))
        lo = np.searchsorted(item, involved, "left")
        hi = np.searchsorted(item, involved, "right")
        held_by = {int(i): basket[a:b] for i, a, b in zip(involved, lo, hi)}
        use_bits = len(involved) * (n // 8 + 1) <= budget
        bits = {}
        if use_bits:
            for i, rows in held_by.items():
                flags = np.zeros(n, dtype=bool)
                flags[rows] = True
                bits[i] = np.packbits(flags)
        counts = np.zeros(len(members), dtype=np.int64)
        for j, m in enumerate(members):
            if use_bits:
                held = bits[int(m[0])].copy()
                for i in m[1:]:
                    np.bitwise_and(held, bits[int(i)], out=held)
                counts[j] = int(np.bitwise_count(held).sum())
            else:
                held = held_by[int(m[0])]
                for i in m[1:]:
                    held = np.intersect1d(held, held_by[int(i)], assume_unique=True)
                counts[j] = len(held)
        nonzero = np.flatnonzero(counts)
        yield pa.RecordBatch.from_arrays([pa.array(nonzero.astype(np.int32)), pa.array(counts[nonzero])], ["j", "n"])
    return count


# ====================================================================== exports

def write_table(spark: SparkSession, frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    """One private table: `path` as CSV and the same rows as a Parquet folder beside it
    (`x.csv` -> `x.parquet/`), text cells made inert for spreadsheets (`exports.csv_safe`).

    The rows are on the driver (cleaning and features run there), so the driver writes them once,
    as Parquet, and Spark reads that folder. Handed to `createDataFrame`, they travelled inside
    the tasks: at a million customers on a standalone cluster one task of 182 MB exceeded
    spark.rpc.message.maxSize (128 MiB). Up to COALESCE_MAX rows the CSV is one file, written as
    the local engine writes it; beyond, Spark writes it as a folder of part files."""
    import pyarrow.parquet as pq

    safe = csv_safe(frame.reset_index() if index else frame)
    parquet = path.with_suffix(".parquet")
    for old in (parquet, path):
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    parquet.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(safe, preserve_index=False), parquet / "part-00000.parquet")
    if len(frame) <= COALESCE_MAX:
        path.write_bytes(csv_bytes(frame, index=index))
        return
    with tempfile.TemporaryDirectory(prefix=".spark-", dir=path.parent) as tmp:
        out = Path(tmp) / "csv"
        spark.read.parquet(str(parquet)).write.option("header", True).option("emptyValue", "") \
            .option("lineSep", "\n").csv(str(out))
        out.rename(path)

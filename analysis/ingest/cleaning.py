"""Turn the text table into typed, plausible, complete values, logging every action with its count.

No customer disappears here: rows that cannot be used are moved to `excluded` with a reason.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from ..labels import CURRENCY_CODES, FALSE_WORDS, TRUE_WORDS, folded
from ..config import Config
from ..errors import UserError
from ..threads import each
from .loading import CONTROL, UNKNOWN_WORDS, Table, is_missing, text_of

# Year first with dots (2019.09.27) as Korean tables write dates.
# Two-digit years (%y: 00 to 68 in the 2000s, 69 to 99 in the 1900s) before four: %Y would read
# 12/01/10 as the year 10, and %y reads no four-digit year.
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%y", "%d-%m-%Y", "%m-%d-%y", "%m-%d-%Y", "%d/%m/%y", "%d/%m/%Y", "%m/%d/%y",
                "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%y", "%d.%m.%Y", "%Y.%m.%d", "%Y%m%d",
                # English month names, which no numeric format reads: 04 Sep 2012, 4-Sep-12, September 4, 2012
                "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%d/%b/%Y"]
# Times that may follow a date: 24-hour, 12-hour with AM/PM (3/14/1985 12:00:00 AM), ISO 8601 with
# a T and a time zone (2014-03-01T10:00:00Z, +02:00; read as UTC).
TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", "T%H:%M", "T%H:%M:%S", "T%H:%M:%S%z",
                 "T%H:%M:%S.%f", "T%H:%M:%S.%f%z", " %H:%M:%S%z")
ALL_DATE_FORMATS = tuple(f + t for f in DATE_FORMATS for t in TIME_SUFFIXES)
# Answers as written in English, German, French, Spanish, Portuguese, Dutch and Italian.
MAX_ABS = 1e12  # no amount, count or measure of one customer is this large: a typo or a sentinel
EARLIEST = pd.Timestamp("1900-01-01")  # signup dates before this are typos
TOTALS = (r"(?i)^\s*(?:grand\s+|sub)?totals?\b.*|^\s*(?:sum|summe|gesamt(?:summe)?|totaal|totale|somme|suma|"
          r"soma|insgesamt|all customers)\s*:?\s*$")
OUTLIER_ROLES = ("income", "spend", "purchases", "deal_purchases", "web_visits", "recency_days", "tenure_months",
                 "tenure_years", "orders", "spending_score", "basket_size", "numeric", "household")


@dataclass(frozen=True)
class LogEntry:
    step: str
    column: str
    count: int
    action: str
    detail: str = ""
    # The detail as published, where `detail` quotes the raw values of a few customers (an
    # implausible birth year, the most extreme income): those stay in the private results.
    public_detail: str | None = None


@dataclass(frozen=True)
class Fitted:
    """What cleaning learnt from the training customers, so that new customers are cleaned alike
    (`clean(table, cfg, fitted)`): no median, fence or category is recomputed from new data."""

    reference_date: date  # replayed on new data that end before it; data that go on move it later
    fences: dict[str, tuple[float, float]]  # column -> (low, high) fence where the outlier rule applied
    medians: dict[str, float]  # numeric column (or '_age') -> value imputed for missing ones
    median_dates: dict[str, str]  # date column -> ISO date imputed for missing ones
    categories: dict[str, dict[str, str]]  # categorical column -> {normalised spelling: value after merging}


@dataclass(frozen=True)
class CleanData:
    """Typed customers ready for features, with what was done to get there."""

    customers: pd.DataFrame  # index: customer_id (str); typed columns under their input names
    all_ids: tuple[str, ...]  # every input customer, in input order
    reasons: tuple[str, ...]  # why each input row was excluded; '' for the rows in `customers`
    log: tuple[LogEntry, ...]
    reference_date: date
    n_input: int
    columns: tuple = ()  # column_profile.ColumnProfile of every input column
    fitted: Fitted | None = None  # the parameters cleaning used (learnt, or given to replay them)
    undated: bool = False  # no date in the data or the config: the reference date is the run's


def _line(i: int, header: int = 1) -> int:
    return i + header + 1  # the header's line (1, or later below a title), then the rows


# Currency signs and ISO codes read beside amounts, by customer tables, order lines and drafts
# alike (R$ first: the leftmost match, not its $).
# The yen as Japanese files write it: 円 after the amount, the full-width ￥, or a backslash (the byte
# Shift-JIS gives the yen sign, read as '\\' by Python's cp932 and by Java's).
CURRENCY = r"R\$|[$€£¥₹₽₺₪₩￥₫฿]|円|元|원|\\|zł|Kč|Ft|lei|kr|TL|" + "|".join(CURRENCY_CODES)
# Codes and the signs the report shows for them (one currency written either way). The Nordic
# crowns share 'kr', so they have no sign here: 'SEK' and 'kr' in one column are refused as two.
CODE_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "BRL": "R$", "JPY": "¥", "INR": "₹", "RUB": "₽", "PLN": "zł",
              "CZK": "Kč", "HUF": "Ft", "RON": "lei", "TRY": "₺", "TL": "₺", "ILS": "₪", "KRW": "₩",
              "円": "¥", "￥": "¥", "\\": "¥", "元": "¥", "원": "₩", "VND": "₫", "THB": "฿"}
_GROUP_SPACE = r"(?<=\d)[\s\u00a0\u202f'’](?=\d{3}(?:\D|$))"  # 1 234,56 / 1'234.56 / 1 234 567
_EU = r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+,\d+"  # 15.000,50 / 1.234 / 2,5
_US = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d*\.\d+|-?\d+"  # 1,234.56 / .5 / 12


DOT_GROUPS = r"-?[1-9]\d{0,2}(?:\.\d{3})+"  # 2.486 / 12.990 / 1.234.567: each dot before three digits
WHOLE = r"-?\d+"


def comma_decimals(has_dot: bool, us_only: bool, eu_only: bool, comma_decimal: bool, grouped: bool = False,
                   whole_max: float | None = None, file_comma: bool = False) -> bool:
    """A column's convention, from what its values show: commas are decimal (and dots group
    thousands) when some value groups with dots (1.234,56 or 1.234.567) or, with no dot anywhere,
    some comma is not followed by exactly three digits (2,5); never when some value is written
    1,234.56.

    `grouped`: the column has no comma and every dot stands before exactly three digits, after
    1 to 999 ('2.486', '12.990'). Such dots group thousands too when the file's other columns
    write decimal commas (`file_comma`: one file, one way of writing numbers), or when the
    column's numbers without a dot are whole and reach the hundreds but not 1,000 (`whole_max`,
    their largest size): the dots then mark exactly the numbers from 1,000 up, as a thousands
    mark does, where decimals would not all have three places beside whole numbers up to 999."""
    if us_only:
        return False
    if eu_only or (comma_decimal and not has_dot):
        return True
    return grouped and (file_comma or (whole_max is not None and 100 <= whole_max < 1000))


def comma_file(delimiter: str | None) -> bool:
    """Whether a text file is split by semicolons, as a spreadsheet's CSV is where the comma is the
    decimal mark (German, French, Spanish, Italian, Dutch...): a dot before three digits there
    groups thousands ('58.138'), as beside a column of decimal commas (`file_comma`), unless
    another column writes a decimal point (`dot_decimals`: one file, one way of writing numbers)."""
    return delimiter == ";"


def dot_decimals(values: pd.Series) -> bool:
    """Whether a column of text writes some number with a decimal point: a dot that does not stand
    before exactly three digits ('12.5', '0.987', '1,234.56'); '2.486' and '1.234,56' do not tell."""
    dotted = values[values.str.contains(".", regex=False).fillna(False).astype(bool)]
    if dotted.empty:
        return False
    b = _bare(dotted.str.strip())
    point = b.str.fullmatch(r"-?\d*\.\d+|-?\d{1,3}(?:,\d{3})+\.\d+").fillna(False).astype(bool)
    return bool((point & ~b.str.fullmatch(DOT_GROUPS).fillna(False).astype(bool)).any())


def _bare(s: pd.Series) -> pd.Series:
    """Text of numbers without currency signs, percent signs, accounting parentheses and
    digit-group spaces or apostrophes."""
    t = s.str.replace(r"^'(?=[-+(\d.]|\s*(?:" + CURRENCY + "))", "", regex=True)  # Excel's text mark: '58138
    t = t.str.replace(rf"^(-?)\s*(?:{CURRENCY})\s*", r"\1", regex=True)
    t = t.str.replace(rf"\s*(?:{CURRENCY}|%)$", "", regex=True)
    t = t.str.replace(r"^\((\d.*)\)$", r"-\1", regex=True)  # accounting negatives (1,234.00)
    return t.str.replace(_GROUP_SPACE, "", regex=True)


def _grouped(t: pd.Series, missing: pd.Series | None = None) -> tuple[bool, float | None]:
    """comma_decimals' `grouped` and `whole_max` for bare text, `missing` values left out. The
    cheap tests come first: most columns have no dot, or a first dot that groups nothing."""
    dotted = t.str.contains(".", regex=False).fillna(False)
    if missing is not None:
        dotted &= ~missing
    if not dotted.any():
        return False, None
    d = t[dotted]
    if not d.head(100).str.fullmatch(DOT_GROUPS).all():
        return False, None
    present = t if missing is None else t[~missing]
    if present.str.contains(",", regex=False).fillna(False).any() or not d.str.fullmatch(DOT_GROUPS).all():
        return False, None
    whole = present[~present.str.contains(".", regex=False).fillna(False) & present.str.fullmatch(WHOLE).fillna(False)]
    return True, (float(pd.to_numeric(whole).abs().max()) if len(whole) else None)


def _comma_column(t: pd.Series, file_comma: bool) -> bool:
    """comma_decimals for a column of bare text."""
    us_only = t.str.fullmatch(r"-?\d{1,3}(?:,\d{3})+\.\d+").any()
    eu_only = (t.str.fullmatch(r"-?\d{1,3}(?:\.\d{3})+,\d+").any() or t.str.fullmatch(r"-?\d{1,3}(?:\.\d{3}){2,}").any())
    # A column written with decimal commas has no dots and some comma not followed by exactly
    # three digits ('1,5', '2,25'); then every comma is a decimal one, '3,125' included.
    has_dot = t.str.contains(".", regex=False).any()
    comma_decimal = (t.str.fullmatch(r"-?\d+,\d+") & ~t.str.fullmatch(r"-?\d{1,3}(,\d{3})+")).any()
    return comma_decimals(bool(has_dot), bool(us_only), bool(eu_only), bool(comma_decimal), *_grouped(t), file_comma)


def decimal_commas(values: pd.Series) -> bool:
    """Whether a column of text, judged on its own, writes decimal commas (see comma_decimals).
    Without a comma only dots can say so, when they group digits: a column whose first dots group
    nothing ('58138.25', most columns of numbers) is not read further."""
    if not values.str.contains(",", regex=False).fillna(False).any():
        dotted = values[values.str.contains(".", regex=False).fillna(False)].str.strip()
        dotted = dotted[~is_missing(dotted)]
        if dotted.empty or not _bare(dotted.head(100)).str.fullmatch(DOT_GROUPS).all():
            return False
    s = values.str.strip()
    return _comma_column(_bare(s[~is_missing(s)]), False)


def _number_text(s: pd.Series, file_comma: bool = False) -> pd.Series:
    """Text of numbers normalised to plain 1234.56, one convention per column (comma_decimals):
    currency signs, percent signs and digit-group spaces or apostrophes dropped; dot thousands with
    comma decimals (15.000,50) when the column is written so."""
    t = _bare(s)
    if _comma_column(t, file_comma):
        eu = t.str.fullmatch(_EU) | t.str.fullmatch(r"-?\d+,\d+\s*(?:[kK]|M|Mio|mio|Mn|mn)")  # '1,5k', '2,3 Mio'
        return _scaled(t.where(~eu, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)))
    us = t.str.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
    return _scaled(t.where(~us, t.str.replace(",", "", regex=False)))


def _scaled(t: pd.Series) -> pd.Series:
    """'58k' -> '58e3', '1.2M' -> '1.2e6': thousands and millions written as dashboards abbreviate them
    (a small m is left alone: minutes or metres as often as millions)."""
    t = t.str.replace(r"^([+-]?\d+(?:\.\d+)?)\s*[kK]$", r"\1e3", regex=True)
    return t.str.replace(r"^([+-]?\d+(?:\.\d+)?)\s*(?:M|Mio|mio|Mn|mn)$", r"\1e6", regex=True)


# A plain decimal number, as pandas.to_numeric reads it (digits ASCII only).
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _plain_numbers(s: pd.Series, missing: pd.Series) -> pd.Series | None:
    """When every value present is a plain decimal number: the numbers, read by Arrow's parser (the
    values pandas.to_numeric gives, at a fraction of its time); None otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(s.dtype, pd.StringDtype):
        return None
    present = ~missing.to_numpy(dtype=bool)
    arr = pa.array(s.array)
    if not present.all():
        arr = arr.filter(pa.array(present))
    try:
        numbers = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # not numbers, or out of range: pandas reads it
        return None
    # Arrow's parser also reads 'inf' and 'nan', which the pattern refuses; checked (a regular
    # expression over every value costs five casts) only when some number read is not finite.
    if not np.isfinite(numbers).all() and not pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py():
        return None
    out = np.full(len(s), np.nan)
    out[present] = numbers
    return pd.Series(out, index=s.index)


def to_numbers(values: pd.Series, keep_infinite: bool = False, missing: pd.Series | None = None,
               file_comma: bool = False) -> pd.Series:
    """Numbers from text, tolerating currency symbols, percent signs, digit-group separators
    (1,234.56; 15.000,50; 1 234,56) and decimal commas; NaN where a value is missing or not a
    number, and where it is infinite unless `keep_infinite`. `missing`: is_missing(values), when
    already known. `file_comma`: the file's other columns write decimal commas (comma_decimals)."""
    s = values.str.strip()
    missing = is_missing(s) if missing is None else missing
    out = _plain_numbers(s, missing)
    if out is not None and comma_decimals(False, False, False, False, *_grouped(s, missing), file_comma):
        out = None  # '2.486' beside '987': plain to read, but its dot groups thousands
    if out is None:
        plain = pd.to_numeric(s, errors="coerce")
        if (plain.notna() | missing).all() and not s.str.contains(".", regex=False).any():
            out = plain.astype(float).where(~missing)  # whole numbers: no symbols or separators to read
        else:
            out = pd.to_numeric(_number_text(s.where(~missing), file_comma).where(~missing, None),
                                errors="coerce").astype(float)
    return out if keep_infinite else out.where(np.isfinite(out))


def _reject(values: pd.Series, bad: pd.Series, what: str, header: int = 1) -> None:
    """One error line for the values that failed: how many, the first of them and its line."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise UserError(f"{what} {int(bad.sum())} value(s) do not, e.g. {values.iloc[i]!r} on line {_line(i, header)}")


def _unread(values: pd.Series, miss: pd.Series, out: pd.Series) -> pd.Series:
    """Values neither missing nor read, but for 'unknown' in a language drafts read: where a number
    or a date is due, that is a missing value (NaN already), not an error. Looked at only when
    some value was not read."""
    bad = ~miss & out.isna()
    if bad.any():
        bad &= ~values.str.strip().str.lower().isin(UNKNOWN_WORDS)
    return bad


# Ordered levels as tables write them ('Low', 'Average', 'High'; 'bajo', 'medio', 'alto'), in the
# drafts' languages: read as numbers, low 1, middle 2, high 3 (very low 0, very high 4). The numbers
# are the words', not the column's, so every run and `segments assign` read a level alike, and a
# score written in words is measured and clustered like one written in digits.
_LEVEL_WORDS = {
    0: "very low|muy bajo|muy baja|muito baixo|muito baixa|tres faible|tres bas|sehr niedrig|sehr gering|molto basso|"
       "molto bassa|zeer laag|very dissatisfied|very unsatisfied",
    1: "low|bajo|baja|baixo|baixa|faible|bas|basse|niedrig|gering|basso|bassa|laag|dissatisfied|unsatisfied",
    2: "medium|average|mid|middle|moderate|medio|media|promedio|moderado|moderada|moyen|moyenne|mittel|"
       "durchschnittlich|gemiddeld|neutral|neutre|neutro",
    3: "high|alto|alta|eleve|elevee|haut|haute|hoch|hoog|satisfied|satisfait|zufrieden|satisfecho|satisfeito",
    4: "very high|muy alto|muy alta|muito alto|muito alta|tres eleve|tres elevee|sehr hoch|molto alto|molto alta|"
       "zeer hoog|very satisfied",
}
LEVELS = {w: float(n) for n, words in _LEVEL_WORDS.items() for w in words.split("|")}


LEVEL_SAMPLE = 100


def _level_words(values: pd.Series) -> bool:
    """Every present value (of a few) is a level word."""
    return all(folded(v) in LEVELS for v in values.dropna().astype(str) if v.strip())


def levels(values: pd.Series, least: int = 2) -> dict[str, float] | None:
    """{value as written: its number} when every present value is one of LEVELS and at least `least`
    differ (a draft asks two: one word throughout is no scale); None otherwise."""
    if not _level_words(values.head(LEVEL_SAMPLE)):  # a number among the first values: no scale (and no pass over all)
        return None
    seen = [v for v in pd.unique(values.dropna().astype(str)) if v.strip()]
    numbers = {v: LEVELS.get(folded(v)) for v in seen}
    if len({n for n in numbers.values()}) < least or None in numbers.values():
        return None
    return numbers


def parse_numbers(values: pd.Series, column: str, path, file_comma: bool = False, least_levels: int = 2,
                  missing: pd.Series | None = None, header: int = 1) -> pd.Series:
    """Numbers from text (see to_numbers), or from ordered levels (see levels: at least two of them, as
    one word throughout is more likely text where a number belongs; one will do for customers placed
    by a saved model, a few of whom may all be 'High'); any other text is an error naming column and line."""
    if pd.api.types.is_numeric_dtype(values):  # already typed (customers derived from order lines)
        return values.astype(float)
    miss = is_missing(values) if missing is None else missing
    words = levels(values[~miss], least=least_levels)
    if words:
        return values.map(words).where(~miss).astype(float)
    out = to_numbers(values, keep_infinite=True, missing=miss, file_comma=file_comma)  # infinite: see clean()
    _reject(values, _unread(values, miss, out), f"{path}: column {column!r} should hold numbers but", header)
    return out


# A churn column written as the customer's standing ('Attrited Customer' / 'Existing Customer',
# 'Churned' / 'Active'): the value naming a departure is 1. Departures are looked for first ('inactive').
LEFT = r"attrit|churn|\bleft\b|exited|closed|cancel|lost|former|inactive|gekundigt|gekündigt|abgewandert|resili|baja|opgezegd"
STAYED = r"existing|active|current|retained|\bstay|remain|\bopen|actif|aktiv|activo|ativo|attivo|bestehend|vigente"


def standing(values: pd.Series) -> dict[str, float] | None:
    """{value: 1.0 for the one that names a departure, 0.0 for the one that names staying}, when the
    column holds exactly two such values (lower case, as written); None otherwise."""
    seen = [v for v in pd.unique(values.dropna()) if v]
    if len(seen) != 2:
        return None
    left = [bool(re.search(LEFT, v)) for v in seen]
    stayed = [bool(re.search(STAYED, v)) and not gone for v, gone in zip(seen, left)]
    if sum(left) != 1 or sum(stayed) != 1:
        return None
    return {v: 1.0 if gone else 0.0 for v, gone in zip(seen, left)}


def parse_flags(values: pd.Series, column: str, path, churn: bool = False, header: int = 1) -> pd.Series:
    """0/1 answers (also yes/no, true/false, in seven languages: TRUE_WORDS); missing stays missing.
    `churn`: a churn column may also name each customer's standing (see `standing`)."""
    low = values.str.strip().str.lower()
    miss = is_missing(low) & ~low.isin(FALSE_WORDS)
    out = pd.Series(np.where(low.isin(TRUE_WORDS), 1.0, np.where(low.isin(FALSE_WORDS), 0.0, np.nan)), index=values.index)
    words = standing(low[~miss]) if churn and (~miss & out.isna()).any() else None
    if words:
        out = low.map(words).astype(float).where(~miss)
    _reject(values, ~miss & out.isna(), f"{path}: column {column!r} should hold 0/1 answers but", header)
    return out


def yes_no(values: pd.Series) -> bool:
    """Text answers (yes/no, ja/nein ...: TRUE_WORDS and FALSE_WORDS), not digits alone."""
    if typed_column(values):
        return False
    low = values.astype(str).str.strip().str.lower()
    words = low[~is_missing(low) | low.isin(FALSE_WORDS)]
    return bool(len(words)) and bool(words.isin(TRUE_WORDS | FALSE_WORDS).all()) and not words.str.fullmatch(
        r"[01](\.0)?").all()


def guess_date_format(values: pd.Series) -> str | None:
    present = values[~is_missing(values) & ~values.str.strip().str.lower().isin(UNKNOWN_WORDS)]
    for fmt in ALL_DATE_FORMATS:
        if to_dates(present, fmt).notna().all():
            return fmt
    return None


# A zone offset at the end of a time (after its minutes or seconds, so that the day of a bare
# date is never taken for one): Z, +02, +0200, +02:00, with or without a space before it. The
# time is group 1: replace the match by it.
ZONE = r"(:\d{2}(?:\.\d+)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
# The text of a date or time cell of a spreadsheet or a Parquet file (str() of the value): ISO, year
# first, which no other way of writing a date can be confused with. A configured format describes
# dates typed as text; such a cell has no format and is read as it is where the format does not fit.
DATE_CELL = r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)?"


def zoneless(fmt: str) -> str | None:
    """`fmt` without its trailing %z, or None when it has none. A time with a zone is read as the
    time written there, the zone dropped: the hour a customer shops is the local one."""
    return fmt.rstrip()[:-2].rstrip() if fmt.rstrip().endswith("%z") else None


def to_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates in `fmt` (NaT where a value does not fit); zoned times keep the time as written."""
    bare = zoneless(fmt)
    if bare is not None:
        return pd.to_datetime(values.str.strip().str.replace(ZONE, r"\1", regex=True), format=bare, errors="coerce")
    if "%z" in fmt:  # a zone before other fields: read as UTC
        return pd.to_datetime(values, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    return pd.to_datetime(values, format=fmt, errors="coerce")


def by_value(values: pd.Series, fn) -> pd.Series:
    """fn (elementwise) applied to each distinct value once, then spread to every row: columns of
    dates, categories and codes repeat few values over many customers."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) > len(values) // 2:
        return fn(values)
    done = fn(pd.Series(uniques, dtype=values.dtype))
    return pd.Series(done.array.take(codes), index=values.index, name=values.name)


def parse_dates(values: pd.Series, fmt: str | None, column: str, path, header: int = 1) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    miss = is_missing(values)
    if fmt is None:
        fmt = guess_date_format(values)
        if fmt is None:
            raise UserError(f"{path}: column {column!r}: dates in no known format; set its _format key in the config")
    out = by_value(values.where(~miss, None), lambda v: to_dates(v, fmt))
    cell = ~miss & out.isna()
    if cell.any():
        cell &= values.str.fullmatch(DATE_CELL).fillna(False).astype(bool)
        if cell.any():
            out = out.copy()
            out[cell] = pd.to_datetime(values[cell], format="ISO8601", errors="coerce")
    _reject(values, _unread(values, miss, out), f"{path}: column {column!r} should hold dates in format {fmt!r} but",
            header)
    return out


def _numeric_columns(cfg: Config) -> list[str]:
    c = cfg.columns
    cols = [c.age, c.birth_year, c.income, c.recency_days, c.tenure_months, c.tenure_years, c.orders, c.spending_score,
            c.basket_size, c.deal_purchases, c.web_visits, c.contact_cost, c.revenue_per_answer]
    cols += c.household + list(c.spend.values()) + list(c.units.values()) + list(c.purchases.values()) + list(c.habits.values()) + c.numeric
    return [x for x in cols if x]


def _flag_columns(cfg: Config) -> list[str]:
    c = cfg.columns
    return [x for x in list(c.campaigns.values()) + [c.complaints, c.churned] if x]


def _category_columns(cfg: Config) -> list[str]:
    c = cfg.columns
    return [x for x in [c.gender, c.loyalty_card] + c.categorical if x]


def columns_by_role(cfg: Config, role: str) -> list[str]:
    value = getattr(cfg.columns, role)
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return [value] if value else []


def _ids(table: Table, cfg: Config, groups: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Customer ids as text, and a reason for rows without a usable id ('' when fine). `groups`:
    row_groups of every column but the id."""
    raw = table.frame
    if cfg.columns.id is None:
        ids = pd.Series([f"row {i + 1}" for i in range(len(raw))], index=raw.index)
        return ids, pd.Series("", index=raw.index)
    ids = raw[cfg.columns.id].str.strip()
    ids = ids.str.replace(r"\.0$", "", regex=True)  # 12.0 and 12 are the same customer
    reason = pd.Series("", index=raw.index)
    missing = is_missing(ids)
    reason[missing] = "missing customer id"
    if missing.any():
        ids = ids.copy()
        ids[missing] = [f"row {i + 1} (no id)" for i in np.flatnonzero(missing.to_numpy())]
    # Equal in every column: equal in the others and in the id as written.
    written = pd.factorize(raw[cfg.columns.id], use_na_sentinel=False)[0]
    exact = pd.Series(first_repeats(groups * (int(written.max()) + 1) + written), index=raw.index) & ~missing
    reason[exact & (reason == "")] = "exact duplicate of an earlier row"
    repeated = ids.duplicated(keep="first") & ~missing & ~exact
    reason[repeated & (reason == "")] = "customer id repeated with different values (first row kept)"
    return ids, reason


def row_groups(frame: pd.DataFrame, plain: bool = False) -> np.ndarray:
    """A code per row, equal exactly when two rows are equal in every column (missing equal to
    missing, as frame.duplicated compares them); 0 for every row of a frame without columns.
    `plain`: no cell holds a control character, so for a frame of text each row joined with one
    (\\x1f) is a key equal exactly when the rows are equal: one column of keys is encoded."""
    if plain and len(frame) and frame.shape[1] and all(isinstance(t, pd.StringDtype) for t in frame.dtypes) \
            and not frame.isna().any().any():
        import pyarrow as pa
        import pyarrow.compute as pc

        cols = [pc.cast(pa.array(frame.iloc[:, i].array), pa.large_string()) for i in range(frame.shape[1])]
        key = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, pa.scalar("\x1f", pa.large_string()))
        if isinstance(key, pa.ChunkedArray):
            key = key.combine_chunks()
        return pc.dictionary_encode(key).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    groups, size = np.zeros(len(frame), dtype=np.int64), 1
    for i in range(frame.shape[1]):  # column by column, the pairs (rows so far, this column) coded anew
        codes, uniques = pd.factorize(frame.iloc[:, i], use_na_sentinel=False)
        if size * (len(uniques) + 1) >= 2**62:
            groups, kinds = pd.factorize(groups)
            size = len(kinds)
        groups, size = groups * (len(uniques) + 1) + codes, size * (len(uniques) + 1)
    return groups


def first_repeats(groups: np.ndarray) -> np.ndarray:
    """True where a row's group was seen on an earlier row (duplicated(keep='first'))."""
    return pd.Series(groups).duplicated(keep="first").to_numpy()


def duplicated_rows(frame: pd.DataFrame, plain: bool = False) -> pd.Series:
    """frame.duplicated(keep='first'), through row_groups (no row repeats another in no columns)."""
    if frame.shape[1] == 0:
        return pd.Series(False, index=frame.index)
    return pd.Series(first_repeats(row_groups(frame, plain)), index=frame.index)


def check_segmentable(data: "CleanData", cfg: Config, path) -> None:
    """Enough usable customers for the segments asked for, each of at least
    segmentation.min_segment_customers customers (k when fixed, else min_segments)."""
    seg = cfg.segmentation
    k = seg.k if seg.k != "auto" else seg.min_segments
    n = len(data.customers)
    if n < k * seg.min_segment_customers:
        # Why the rest were left out, most rows first: a column taken as the id that is no id shows here.
        why = Counter(r for r in data.reasons if r).most_common(2)
        left = "; " + ", ".join(f"{c:,} rows excluded: {r}" for r, c in why) if why else ""
        raise UserError(f"{path}: {n} usable customers are too few for {k} segments of at least "
                        f"{seg.min_segment_customers} customers (segmentation.min_segment_customers){left}")


def _category_key(values: pd.Series) -> pd.Series:
    """Spellings that differ only in case or inner spaces share a key."""
    return values.str.casefold().str.replace(r"\s+", " ", regex=True)


def _merge_categories(values: pd.Series, column: str, share: float, min_group: int,
                      log: list[LogEntry], known: dict[str, str] | None = None) -> tuple[pd.Series, dict[str, str]]:
    """Missing values as 'Unknown', spelling variants merged, rare values (not 'Unknown') pooled into 'Other';
    returns the values and the map {key: value} that did it. With `known` (a training run's map)
    nothing is learnt: known spellings map as then, and values never seen stay as written."""
    miss = by_value(values, is_missing)
    filled = values.where(~miss, "Unknown")
    if miss.any():
        log.append(LogEntry("missing values", column, int(miss.sum()), "set to 'Unknown'"))
    if known is not None:
        def replay(v: pd.Series) -> pd.Series:
            key = _category_key(v)
            return key.map(known).where(key.isin(known.keys()), v)

        return by_value(filled, replay), known
    # Each distinct spelling once (in the order first seen), with the number of rows holding it.
    codes, spellings = pd.factorize(filled, use_na_sentinel=False)
    spellings = pd.Series(np.asarray(spellings, dtype=object), dtype=object)
    held = pd.Series(np.bincount(codes, minlength=len(spellings)))
    key = _category_key(spellings)
    # Spelling variants (case, inner spaces) merge into their most frequent spelling (the first seen of equals).
    ranked = pd.DataFrame({"key": key, "held": held, "at": np.arange(len(spellings))}).dropna(subset=["key"])
    best = ranked.sort_values(["held", "at"], ascending=[False, True], kind="stable").drop_duplicates("key")
    canon = pd.Series(spellings.to_numpy()[best["at"].to_numpy()], index=pd.Index(best["key"], dtype=object),
                      dtype=object).sort_index()
    as_merged = key.map(canon)  # each spelling's merged value
    variants = int(held[(as_merged != spellings).to_numpy()].sum())
    if variants:
        log.append(LogEntry("odd categories", column, variants, "spelling variants merged",
                            "differences of case or spacing"))
    counts = held.groupby(as_merged.to_numpy()).sum()
    merged = pd.Series(as_merged.to_numpy()[codes], index=values.index, dtype=object)
    # 'Unknown' stays apart however rare: a missing channel is not some other channel.
    rare = counts[((counts / len(merged)) < share) & ~((counts.index == "Unknown") & miss.any())]
    if len(rare) and len(counts) - len(rare) >= 1:
        # The log is published: a value held by fewer customers than the minimum group size is
        # counted, not named, since its name and count would describe those few customers.
        named = [f"'{k}' ({v})" for k, v in rare.sort_index().items() if v >= min_group]
        unnamed = int((rare < min_group).sum())
        if unnamed:
            named.append(f"{unnamed} value{'s' if unnamed > 1 else ''} held by fewer than {min_group} customers")
        # The count is of customers; the detail says how many values they held.
        many = f"{len(rare)} values: " if len(rare) > 1 and (len(named) > 1 or not unnamed) else ""
        log.append(LogEntry("odd categories", column, int(rare.sum()), "in rare categories, merged into 'Other'",
                            f"{many}{', '.join(named)}: each under {share:.0%} of customers"))
        as_merged = as_merged.where(~as_merged.isin(rare.index), "Other")
        merged = pd.Series(as_merged.to_numpy()[codes], index=values.index, dtype=object)
        canon = canon.where(~canon.isin(rare.index), "Other")
    return merged, {str(k): str(v) for k, v in canon.items()}


def _robust_skew(x: np.ndarray) -> float:
    lo, hi = np.nanpercentile(x, [1, 99])
    core = x[(x >= lo) & (x <= hi)]
    if len(core) < 3 or np.std(core) == 0:
        return 0.0
    return float(pd.Series(core).skew())


def log_offset(v: np.ndarray) -> float:
    """c in log(1 + x / c), the log scale of a skewed non-negative measure: the 5th percentile of its
    positive values, in the measure's own unit. For counts that is 1, log(1 + x) as usual; for money,
    units or days it follows the unit, so that prices in cents or in euros, quantities in packs or in
    pieces, give the same scale (with c = 1 the log of small amounts bends where that of large ones
    does not, and the segments depended on the unit)."""
    positive = v[v > 0]
    return float(f"{np.percentile(positive, 5):.12g}") if len(positive) else 1.0


def _outlier_fences(x: pd.Series, k: float) -> tuple[float, float, bool] | None:
    """Tukey far-out fences, on the log scale (log_offset) for skewed non-negative measures."""
    v = x.dropna().to_numpy(dtype=float)
    if len(v) < 20:
        return None
    use_log = bool(v.min() >= 0 and _robust_skew(v) > 1)
    c = log_offset(v) if use_log else 1.0
    w = np.log1p(v / c) if use_log else v
    q1, q3 = np.percentile(w, [25, 75])
    iqr = q3 - q1
    if iqr <= 0:
        return None
    lo, hi = q1 - k * iqr, q3 + k * iqr
    if use_log:
        lo, hi = c * np.expm1(lo), c * np.expm1(hi)
    # To 12 significant digits: the log round trip leaves 30.999999999999996 where the quartiles
    # make the fence 31, and a customer with 31 orders is not beyond it.
    return float(f"{lo:.12g}"), float(f"{hi:.12g}"), use_log


def _group_fences(beyond: pd.Series, lo: float, hi: float, two_sided: bool, k: float) -> tuple[float, float]:
    """The fences of a group past them (big spenders): each side's values judged by their own far-out fence
    (_outlier_fences of the values on that side), so that one typing error among them (1,000,000 beside
    values up to 3,000) is not kept with the group. A side of fewer than 20 values keeps them all: too few
    to tell a spread."""
    sides = [(beyond[beyond > hi], 1)] + ([(beyond[beyond < lo], 0)] if two_sided else [])
    out = [min(lo, float(beyond.min())), max(hi, float(beyond.max()))]
    for values, i in sides:
        fences = _outlier_fences(values, k)
        if fences is not None:
            out[i] = fences[i]
    return out[0], out[1]


def _common_beyond(x: pd.Series, lo: float, hi: float, two_sided: bool, n: int, col: str,
                   log: list[LogEntry]) -> tuple[float, float]:
    """The fences moved out to the most extreme value beyond them that at least `n` customers hold
    each: a typing error is not made alike by that many (payment terms of 90 days for 11 customers,
    beyond a fence at 78, are a term the business offers). Sentinels that many share (999) are
    missing-value codes, already taken out."""
    v = x.dropna()
    beyond = v[(v > hi) | ((v < lo) if two_sided else False)]
    if beyond.empty:
        return lo, hi
    counts = beyond.value_counts()
    common = counts[counts >= n]
    if common.empty:
        return lo, hi
    new_lo = min(lo, float(common.index.min())) if two_sided else lo
    new_hi = max(hi, float(common.index.max()))
    held = int(((v >= new_lo) & (v <= new_hi) & ((v > hi) | (v < lo))).sum())
    shown = ", ".join(f"{k:,.6g} ({c})" for k, c in sorted(common.items())[:3])
    rule = (f"values beyond the fence ({_fmt(lo) + ' to ' if two_sided else 'above '}{_fmt(hi)}) up to a value at "
            f"least {n} customers hold each")
    # Published without the values: so few customers are no group to describe.
    log.append(LogEntry("outliers", col, held, "kept", f"{rule}, {shown}: a common value, not an error",
                        f"{rule}: a common value, not an error"))
    return new_lo, new_hi


def _fmt(x: float) -> str:
    if not np.isfinite(x) or abs(x) >= 1e9:
        return f"{x:.3g}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


ROW_REASONS = ("row with control characters (a corrupt line)", "empty row (every field missing)",
               "totals or footer row (at most one field filled)", "row with fewer fields than the header",
               "totals row ('{value}' in the first column)", "repeated header row (files joined together)")
SUM_ROW = "totals row (its amounts are the sums of the other rows')"
SUM_EDGE = 3  # totals are written above or below the customers: only the first and last rows in play are judged
SUM_MIN_ROWS = 10  # ... of a table of more than this many rows (a total of at least this many customers)


def sum_rows(numbers: pd.DataFrame, in_play: np.ndarray) -> np.ndarray:
    """Rows whose amounts are the sums of every other row's, whatever word labels them ('Razem',
    'Eindtotaal'): among the first or last SUM_EDGE rows in play, equal to the other rows' sum in
    two columns, or in one amount written with cents (a customer holding exactly half of every
    amount, to the cent, does not happen). Tolerance: half a cent per value summed, for amounts
    written rounded. A total also exceeds every value it adds up in size: in a column whose values
    cancel out (scores around 0) the sum is near 0, and an ordinary customer near 0 is not its
    total. `numbers`: parsed columns (NaN missing)."""
    out = np.zeros(len(numbers), dtype=bool)
    play = np.flatnonzero(in_play)
    if len(play) <= SUM_MIN_ROWS or numbers.shape[1] == 0:
        return out
    edge = np.unique(np.r_[play[:SUM_EDGE], play[-SUM_EDGE:]])
    matches = np.zeros(len(edge), dtype=int)
    cents = np.zeros(len(edge), dtype=bool)
    for col in numbers.columns:
        x = numbers[col].to_numpy(dtype=float)[play]
        known = np.isfinite(x)
        if known.sum() <= SUM_MIN_ROWS:
            continue
        total = float(x[known].sum())
        v = numbers[col].to_numpy(dtype=float)[edge]
        tol = 0.005 * known.sum() + 1e-9 * abs(total)  # the other values and the total, each rounded to a cent
        hit = np.isfinite(v) & (v != 0) & (np.abs(2 * v - total) <= tol)
        if hit.any():  # larger than the column's second largest value: its largest, and alone
            size = np.abs(x[known])
            hit &= np.abs(v) > np.partition(size, len(size) - 2)[-2]
        matches += hit
        cents |= hit & (np.round(v) != v)
    out[edge[(matches >= 2) | ((matches == 1) & cents)]] = True
    return out


def totals_word(first: pd.Series) -> pd.Series:
    """first.str.fullmatch(TOTALS), with Python's regex run only on values holding a letter (every
    totals word is made of letters; ids made of digits cannot match)."""
    out = pd.Series(False, index=first.index)
    maybe = first.str.contains(r"[A-Za-z]|[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    if maybe.any():
        out[maybe] = first[maybe].str.fullmatch(TOTALS).fillna(False).astype(bool)
    return out


def _row_checks(raw: pd.DataFrame, id_column: str | None, reason: pd.Series, short: tuple[int, ...] = (),
                plain: bool = False) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Rows that are not customers: corrupt lines, empty rows, totals and footer lines. Their
    reason replaces any other (a footer has no id, but 'missing customer id' would mislead).
    `plain`: the file holds no control character (read_table checked), so no cell is searched.
    Also is_missing of each column of text, for the steps that read these columns next."""
    reason = reason.copy()
    control = np.zeros(len(raw), dtype=bool)
    filled = np.zeros(len(raw), dtype=np.int64)
    named = np.zeros(len(raw), dtype=np.int64)  # cells that hold their own column's name
    missing = {}

    def look(col: int):
        """One column's cells as text, as written: control characters, filled cells, missing values
        (kept for text as read), cells that hold its own name."""
        cells = raw.iloc[:, col]
        if typed_column(cells):  # numbers, flags and dates made from order lines: no text to search,
            return None, cells.notna().to_numpy(), None, None  # and no number's text is a missing-value marker
        own = isinstance(cells.dtype, pd.StringDtype)  # text as read (others are written as text here)
        if not own:
            cells = text_of(cells)
        bad = None if plain else cells.str.contains(CONTROL, regex=True).to_numpy(dtype=bool)
        miss = is_missing(cells)
        return (bad, ~miss.to_numpy(dtype=bool), miss if own else None,
                (cells.str.strip() == str(raw.columns[col]).strip()).to_numpy(dtype=bool))

    # Columns side by side: Arrow's text kernels run outside the GIL (1M rows of 29 columns).
    for col, (bad, present, miss, own_name) in enumerate(each(look, range(raw.shape[1]), len(raw))):
        filled += present
        if bad is not None:
            control |= bad
        if own_name is not None:
            named += own_name
        if miss is not None:
            missing[raw.columns[col]] = miss
    control = pd.Series(control, index=raw.index)
    filled = pd.Series(filled, index=raw.index)
    first = (raw[id_column] if id_column else raw.iloc[:, 0]).astype(str)
    totals = totals_word(first) & ~control
    few = (filled <= 1) & (raw.shape[1] >= 3) & ~control
    reason[totals & ~few] = [ROW_REASONS[4].format(value=v[:20]) for v in first[totals & ~few]]
    if short:
        reason.iloc[list(short)] = ROW_REASONS[3]
    reason[few] = ROW_REASONS[2]
    # A line of the header again, every field its column's name: exports of several files joined.
    reason[(named == raw.shape[1]) & (raw.shape[1] >= 2) & ~control] = ROW_REASONS[5]
    reason[filled == 0] = ROW_REASONS[1]
    reason[control] = ROW_REASONS[0]
    return reason, missing


def _implausible_numbers(typed: pd.DataFrame, cols: list[str], habits: list[str], log: list[LogEntry]) -> None:
    """Infinite values and values beyond +/-1e12 (1e308, 9e99 sentinels) become missing; so do
    shares outside 0..1 in the time-habit columns."""
    for col in dict.fromkeys(cols):
        x = typed[col]
        bad = x.notna() & (~np.isfinite(x) | (x.abs() > MAX_ABS))
        if bad.any():
            log.append(LogEntry("implausible values", col, int(bad.sum()), "treated as missing",
                                f"infinite or beyond +/-{MAX_ABS:.0e} (largest {_fmt(float(x[bad].abs().max()))})",
                                f"infinite or beyond +/-{MAX_ABS:.0e}"))
            typed[col] = x.where(~bad)
    for col in habits:
        x = typed[col]
        bad = (x < 0) | (x > 1)
        if bad.any():
            log.append(LogEntry("implausible values", col, int(bad.sum()), "treated as missing",
                                "a share of orders must be from 0 to 1"))
            typed[col] = x.where(~bad)


def _missing_codes(typed: pd.DataFrame, cols: list[str], log: list[LogEntry]) -> None:
    """Codes for no value among the numbers, which become missing: a column's largest value written
    only with nines (99, 999, 9999 ...), held by at least two rows and at least twice every other
    value (999 support tickets where the rest stop at 17); and -1 held by at least two rows below a
    column of counts or days from 1 up (UCI bank marketing's pdays: -1, never contacted)."""
    for col in dict.fromkeys(cols):
        x = typed[col]
        top = x.max()
        if pd.notna(top) and top >= 99 and float(top).is_integer() and set(str(int(top))) == {"9"}:
            code = x == top
            rest = x[x.notna() & ~code]
            if int(code.sum()) >= 2 and len(rest) and rest.max() * 2 <= top:
                log.append(LogEntry("implausible values", col, int(code.sum()), "treated as missing",
                                    f"{int(top)}, far above every other value (at most {_fmt(float(rest.max()))}): "
                                    "a code for an unknown value", "a code for an unknown value (99, 999 ...)"))
                typed[col] = x.where(~code)
                continue
        code = x == -1
        rest = x[x.notna() & ~code]
        if int(code.sum()) >= 2 and len(rest) and rest.min() >= 1:
            log.append(LogEntry("implausible values", col, int(code.sum()), "treated as missing",
                                f"-1 below every other value (from {_fmt(float(rest.min()))} up): a code for none "
                                "or never, not a measure"))
            typed[col] = x.where(~code)


def typed_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)


def _own_markers(table: Table, words: list[str], log: list[LogEntry]) -> Table:
    """The table with the cells that hold one of the user's own missing-value words emptied
    (cleaning.missing_values), so that every rule reads them as missing; one log entry per column."""
    wanted = {w.strip().lower() for w in words if w.strip()}
    if not wanted:
        return table
    frame = table.frame.copy()
    for col in frame.columns:
        if not isinstance(frame[col].dtype, pd.StringDtype) and not pd.api.types.is_object_dtype(frame[col]):
            continue
        hit = frame[col].astype("string").str.strip().str.lower().isin(wanted).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            frame[col] = frame[col].where(~hit, "")
            shown = ", ".join(repr(v) for v in sorted(wanted)[:3])
            log.append(LogEntry("missing values", str(col), int(hit.sum()), "read as missing",
                                f"written as one of cleaning.missing_values ({shown}{', ...' if len(wanted) > 3 else ''})"))
    return replace(table, frame=frame)


def clean(table: Table, cfg: Config, fitted: Fitted | None = None) -> CleanData:
    """The cleaned customers and the log. With `fitted` (from a training run's CleanData) the
    training's reference date, fences, medians and category maps are applied instead of learnt."""
    log: list[LogEntry] = []
    table = _own_markers(table, cfg.cleaning.missing_values, log)
    raw, path, c, rules = table.frame, table.path, cfg.columns, cfg.cleaning
    top = table.header_line
    if top > 1:
        log.append(LogEntry("not customers", "", top - 1, "skipped above the header",
                            f"lines of a title or notes before the column names on line {top}"))
    learnt = {"fences": {}, "medians": {}, "median_dates": {}, "categories": {}}
    # Rows equal in every column but the id, judged on the table as read (see `twin` below).
    others = [x for x in raw.columns if x != c.id]
    groups = row_groups(raw[others], table.plain)
    ids, reason = _ids(table, cfg, groups)
    reason, missing = _row_checks(raw, c.id, reason, table.short_rows, table.plain)
    for why, n in reason[reason != ""].value_counts().sort_index().items():
        step = ("not customers" if why in ROW_REASONS[:4] + ROW_REASONS[5:] or why.startswith("totals row") else
                "duplicates" if "duplicate" in why or "repeated" in why else "missing values")
        log.append(LogEntry(step, c.id or "", int(n), "excluded", why))
    # Numbers and dates are read from the rows that are customers only: a corrupt line or a
    # footer's text must not stop the run.
    not_customer = reason.str.match(r"row with control|empty row|totals|row with fewer|repeated header")
    # Typed columns (derived from order lines) stay typed: missing rather than "".
    blanked = bool(not_customer.any())
    if blanked:  # (then each column's missing values are found anew)
        missing = {}
        raw = pd.DataFrame({col: raw[col].where(~not_customer) if typed_column(raw[col]) else raw[col].where(~not_customer, "")
                            for col in raw.columns}, index=raw.index)
    # A corrupt line's id is not written anywhere (it may hold NUL bytes): the row is named by its number.
    if not table.plain:
        corrupt = ids.str.contains(CONTROL, regex=True)
        if corrupt.any():
            ids = ids.copy()
            ids[corrupt] = [f"row {i + 1} (corrupt line)" for i in np.flatnonzero(corrupt.to_numpy())]

    typed = pd.DataFrame(index=raw.index)
    # A file writes its numbers one way: decimal commas in one column make '2.486' in another 2486.
    written = [raw[col] for col in dict.fromkeys(_numeric_columns(cfg)) if not typed_column(raw[col])]
    file_comma = any(decimal_commas(v) for v in written) or (
        comma_file(table.delimiter) and not any(dot_decimals(v) for v in written))

    def number(col: str) -> pd.Series:
        # Discounts as one yes/no answer per customer ('Discount Applied: Yes'): a 0/1 flag, not a count.
        return (parse_flags(raw[col], col, path, header=top) if col == c.deal_purchases and yes_no(raw[col])
                else parse_numbers(raw[col], col, path, file_comma, least_levels=1 if fitted else 2,
                                   missing=missing.get(col), header=top))

    def flag(col: str) -> pd.Series:
        return parse_flags(raw[col], col, path, churn=col == c.churned, header=top)

    # Columns side by side (Arrow parses outside the GIL); the first column that fails, in the
    # config's order, is the one named.
    jobs = [(col, number) for col in _numeric_columns(cfg)] + [(col, flag) for col in _flag_columns(cfg)]
    for (col, _), values in zip(jobs, each(lambda job: job[1](job[0]), jobs, len(raw))):
        typed[col] = values
    for col, fmt in [(x, f) for x, f in ((c.signup_date, c.signup_date_format), (c.first_order, c.first_order_format),
                                          (c.last_purchase, c.last_purchase_format)) if x]:
        typed[col] = parse_dates(raw[col], fmt, col, path, top)
    if c.birth_date:
        typed[c.birth_date] = parse_dates(raw[c.birth_date], c.birth_date_format, c.birth_date, path, top)
    for col in _category_columns(cfg):
        typed[col] = raw[col]
    if c.previous_segment:  # an earlier label is compared as written: no merging of rare values
        typed[c.previous_segment] = raw[c.previous_segment].where(~is_missing(raw[c.previous_segment]), "")

    # A totals row labelled by a word no list holds is known by its amounts.
    written = [x for x in dict.fromkeys(_numeric_columns(cfg)) if not typed_column(raw[x])]
    sums = sum_rows(typed[written], (reason == "").to_numpy())
    if sums.any():
        reason[sums] = SUM_ROW
        not_customer |= sums
        typed.loc[sums] = np.nan
        log.append(LogEntry("not customers", c.id or "", int(sums.sum()), "excluded", SUM_ROW))
    _implausible_numbers(typed, _numeric_columns(cfg), list(c.habits.values()), log)
    # Only columns as written in a file can hold such a code; those computed from order lines cannot.
    _missing_codes(typed, [x for x in _numeric_columns(cfg) if not typed_column(raw[x])], log)
    # Dates after today or before 1900 are typos (2099 for 2019): never a reference date.
    dates = [x for x in (c.signup_date, c.first_order, c.birth_date, c.last_purchase) if x]
    today = pd.Timestamp(date.today())
    for col in dates:
        late = typed[col] > today
        early = typed[col] < EARLIEST
        for bad, what in ((late, f"in the future (after {today:%Y-%m-%d})"), (early, "before 1900")):
            if bad.any():
                shown = ", ".join(sorted({str(raw[col].iloc[i]) for i in np.flatnonzero(bad.to_numpy())})[:3])
                log.append(LogEntry("implausible values", col, int(bad.sum()), "treated as missing",
                                    f"dates {what} (values {shown})", f"dates {what}"))
                typed[col] = typed[col].where(~bad)

    # As read, implausible values removed: what the column profile describes (not made when replaying).
    # (A shallow copy: copy-on-write keeps it as it is now while `typed` changes, column by column.)
    parsed = typed.copy(deep=False) if fitted is None else None

    ref = cfg.report.reference_date
    # Without one given, the latest date the table knows of: a purchase, else a signup.
    latest = [typed[x].max() for x in (c.last_purchase, c.signup_date) if x and typed[x].notna().any()]
    if ref is None and latest:
        ref = max(latest).date()
    if fitted:  # new customers of a saved model: its date, or a later one the new data give
        ref = max(fitted.reference_date, ref or fitted.reference_date)
    undated = ref is None
    if undated:
        ref = date.today()

    # Age from whichever column the config names; implausible ages become missing.
    if c.age or c.birth_year or c.birth_date:
        if c.age:
            age, src = typed[c.age], c.age
        elif c.birth_year:
            age, src = ref.year - typed[c.birth_year], c.birth_year
        else:
            bd = typed[c.birth_date]
            age, src = (pd.Timestamp(ref) - bd).dt.days / 365.25, c.birth_date
        bad = (age < rules.min_age) | (age > rules.max_age)
        if bad.any():
            shown = ", ".join(sorted({str(raw[src].iloc[i]) for i in np.flatnonzero(bad.to_numpy())})[:5])
            log.append(LogEntry("implausible values", src, int(bad.sum()), "treated as missing",
                                f"age outside {rules.min_age}-{rules.max_age} on {ref:%Y-%m-%d} (values {shown})",
                                f"age outside {rules.min_age}-{rules.max_age} on {ref:%Y-%m-%d}"))
        typed["_age"] = age.where(~bad)

    # Money, counts and days cannot be negative; other numeric measures (a balance) can.
    nonneg = [x for x in _numeric_columns(cfg) if x not in (c.age, c.birth_year) and x not in c.numeric]
    for col in nonneg:
        neg = typed[col] < 0
        if neg.any():
            log.append(LogEntry("implausible values", col, int(neg.sum()), "treated as missing", "negative values"))
            typed[col] = typed[col].where(~neg)
    for col in [x for x in (c.signup_date, c.first_order, c.last_purchase) if x]:
        late = typed[col] >= pd.Timestamp(ref) + pd.Timedelta(days=1)  # a time during the reference day is not after it
        if late.any():
            log.append(LogEntry("implausible values", col, int(late.sum()), "treated as missing",
                                f"after the reference date {ref:%Y-%m-%d}"))
            typed[col] = typed[col].where(~late)

    for col in _category_columns(cfg):  # rows that are not customers do not count as values
        typed[col] = typed[col].astype(object)
        merged, learnt["categories"][col] = _merge_categories(
            typed.loc[~not_customer, col], col, rules.rare_category_share, cfg.report.min_segment_size, log,
            fitted.categories.get(col, {}) if fitted else None)
        typed.loc[~not_customer, col] = merged

    keep = reason == ""
    # Rows equal in every column but the id: likely the same customer entered twice.
    # Without an id, equal rows may be two customers alike; with one, they differ only by it.
    # (The rows that are not customers were blanked above: then the groups are found anew.)
    twin = (duplicated_rows(raw[others], table.plain) if blanked or not others
            else pd.Series(first_repeats(groups), index=raw.index)) & keep
    if twin.any():
        but = " but the id" if c.id else ""
        if rules.duplicate_rows == "exclude":
            reason[twin] = f"same values as an earlier customer in every column{but}"
            keep = reason == ""
            action = "excluded"
        else:
            action = "kept (set cleaning.duplicate_rows: exclude to drop them)"
        log.append(LogEntry("duplicates", f"all columns but {c.id}" if c.id else "all columns", int(twin.sum()), action,
                            f"rows equal to an earlier row in every column{but}"))

    # Extreme values, judged on the customers still in play. Amounts, counts and days only have
    # an upper fence: a low spend is a customer who bought little, not an error. Other numeric
    # measures (a balance, a score) have both. Measures made from order lines are sums of lines
    # already judged one by one: a customer far beyond the others bought that much (a wholesaler),
    # no typing error, and is kept as bought.
    for role in OUTLIER_ROLES:
        for col in columns_by_role(cfg, role):
            if typed_column(raw[col]):
                continue
            if fitted:
                fences = (*fitted.fences[col], False) if col in fitted.fences else None
            else:
                fences = _outlier_fences(typed.loc[keep, col], rules.outlier_iqr)
            if fences is None:
                continue
            lo, hi, logged = fences
            two_sided = role in ("numeric", "spending_score")  # a score, like other measures, has both
            if not fitted:
                lo, hi = _common_beyond(typed.loc[keep, col], lo, hi, two_sided, cfg.segmentation.min_segment_customers,
                                        col, log)
            x, whose = typed[col], ""
            low = (x < lo) if two_sided else pd.Series(False, index=x.index)
            out = keep & ((x > hi) | low)
            span = f"outside {_fmt(lo)} to {_fmt(hi)}" if (keep & low).any() else f"above {_fmt(hi)}"
            if (not fitted and out.sum() >= cfg.segmentation.min_segment_share * keep.sum()
                    and out.sum() >= cfg.report.min_segment_size):
                # Beyond a far-out fence lie about 2 in 10 million values of a normal distribution; as
                # many customers beyond one as an actionable segment holds (min_segment_share, and
                # enough to be shown) are a group, say of big spenders, whose real values count.
                group_lo, group_hi = _group_fences(x[out], lo, hi, two_sided, rules.outlier_iqr)
                out = keep & ((x > group_hi) | ((x < group_lo) if two_sided else False))
                held = int((keep & ((x > hi) | low)).sum()) - int(out.sum())
                log.append(LogEntry("outliers", col, held, "kept",
                                    f"values {span}: {held / keep.sum():.1%} of the customers, too many to be "
                                    "errors (a group, not isolated values)"))
                if not out.any():
                    continue
                # Beyond the group's own far-out fence: isolated values, judged as below.
                lo, hi = group_lo, group_hi
                low = (x < lo) if two_sided else pd.Series(False, index=x.index)
                span = f"outside {_fmt(lo)} to {_fmt(hi)}" if (keep & low).any() else f"above {_fmt(hi)}"
                whose = f"quartiles +/- {rules.outlier_iqr:g} IQR of the {held:,} values past the first fence"
            learnt["fences"][col] = (lo, hi)
            if not out.any():
                continue
            if rules.outliers == "keep":
                log.append(LogEntry("outliers", col, int(out.sum()), "kept", f"values {span}"))
                continue
            beyond = np.maximum(x[out] - hi, (lo - x[out]) if two_sided else 0)
            extreme = float(x[out].loc[beyond.idxmax()]) if not beyond.index.has_duplicates else float(
                x[out].iloc[int(np.argmax(beyond.to_numpy()))])
            scale = " on the log scale" if logged else ""
            rule = f"values {span} ({whose or f'quartiles +/- {rules.outlier_iqr:g} IQR{scale}'})"
            detail = f"{rule}; most extreme {_fmt(extreme)}"
            if rules.outliers == "cap":
                typed[col] = x.clip(lower=lo if two_sided else None, upper=hi).where(x.notna())
                log.append(LogEntry("outliers", col, int(out.sum()), "capped at the fence", detail, rule))
            else:
                reason[out] = f"extreme value in {col}"
                keep = reason == ""
                log.append(LogEntry("outliers", col, int(out.sum()), "excluded", detail, rule))

    # Missing values: medians of the customers kept (numbers), 'not contacted' for answers.
    numeric = [x for x in _numeric_columns(cfg) if x not in (c.age, c.birth_year)] + (["_age"] if "_age" in typed else [])
    # Each column of the customers kept as it is before imputing (one column at a time rather
    # than a copy of the whole table; a column used twice is kept until its last use).
    uses = Counter(numeric + dates + _flag_columns(cfg))
    before: dict[str, pd.Series] = {}

    class _Kept:
        def __getitem__(self, col: str) -> pd.Series:
            v = before[col] if col in before else typed.loc[keep, col]
            uses[col] -= 1
            if uses[col] > 0:
                before[col] = v
            else:
                before.pop(col, None)
            return v

    kept = _Kept()
    for col in numeric:
        values = kept[col]
        miss = values.isna()
        learnt["medians"][col] = float(values.median()) if not fitted else fitted.medians.get(col, np.nan)
        if c.tenure_months and col in c.spend.values() and miss.any():
            # A customer of 0 months has had no time to spend: their blank total is 0, not a median bill.
            new = miss & (typed.loc[keep, c.tenure_months] == 0)
            if new.any():
                values = values.where(~new, 0.0)
                typed.loc[keep, col] = values
                miss = values.isna()
                log.append(LogEntry("missing values", col, int(new.sum()), "set to 0",
                                    f"tenure of 0 months ({c.tenure_months}): nothing spent yet"))
        if miss.any():
            med = learnt["medians"][col]
            if np.isnan(med):
                if col == "_age":
                    src = c.age or c.birth_year or c.birth_date
                    raise UserError(f"{path}: column {src!r} gives no plausible age (every age outside "
                                    f"cleaning.min_age={rules.min_age} to max_age={rules.max_age})")
                raise UserError(f"{path}: column {col!r} has no usable values")
            typed.loc[keep, col] = values.fillna(med)
            if col == "_age":
                name, detail = c.age or c.birth_year or c.birth_date, f"median age {med:.0f}"
            else:
                name, detail = col, f"median {_fmt(med)}"
            log.append(LogEntry("missing values", name, int(miss.sum()), "imputed with the median", detail))
    for col in dates:
        values = kept[col]
        miss = values.isna()
        if fitted:
            med = pd.Timestamp(fitted.median_dates[col]) if col in fitted.median_dates else None
        else:
            med = values.dropna().sort_values().iloc[len(values.dropna()) // 2] if values.notna().any() else None
        if med is not None:
            learnt["median_dates"][col] = med.isoformat()
        if miss.any():
            if med is None:
                raise UserError(f"{path}: column {col!r} has no usable dates")
            typed.loc[keep, col] = values.fillna(med)
            age = next((i for i, e in enumerate(log) if col == c.birth_date and e.column == col
                        and e.action == "imputed with the median"), None)
            if age is not None:  # the same customers' ages: one entry, not two that read as twice as many
                log[age] = replace(log[age], detail=f"{log[age].detail}; their date: median {med:%Y-%m-%d}")
                continue
            log.append(LogEntry("missing values", col, int(miss.sum()), "imputed with the median date",
                                f"median {med:%Y-%m-%d}"))
    for col in _flag_columns(cfg):
        miss = kept[col].isna()
        if miss.any():
            log.append(LogEntry("missing values", col, int(miss.sum()), "left missing", "counted as not left"
                                if col == c.churned else "not counted as contacted in answer rates"))

    for col in [x for x in (c.contact_cost, c.revenue_per_answer) if x]:
        if typed[col].nunique() == 1:
            log.append(LogEntry("constant columns", col, int(keep.sum()), "used for campaign economics only",
                                f"same value {_fmt(typed[col].iloc[0])} for every customer"))

    typed.index = pd.Index(ids.to_numpy(), name="customer_id")
    keep_arr = keep.to_numpy()
    if not keep.any():
        raise UserError(f"{path}: no usable customers after cleaning (all {len(raw)} rows excluded)")

    from .column_profile import profile_columns

    # New customers placed in saved segments need no profile of their columns (and it takes time).
    # The columns as the customers segmented hold them: footers, blank lines and repeats would read as
    # missing values and extra answers.
    profiles = () if fitted else profile_columns(raw[keep_arr], parsed[keep_arr], cfg, log,
                                                 cfg.report.min_segment_size, tuple(dates),
                                                 {col: m[keep_arr] for col, m in missing.items()})
    return CleanData(
        fitted=fitted or Fitted(reference_date=ref, **learnt),
        columns=profiles,
        customers=typed if keep_arr.all() else typed[keep_arr],
        all_ids=tuple(ids.tolist()),
        reasons=tuple(reason.tolist()),
        log=tuple(log),
        reference_date=ref,
        n_input=len(raw),
        undated=undated,
    )

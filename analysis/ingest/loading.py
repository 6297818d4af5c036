"""Read a customer table as text, detecting encoding and delimiter, and check it against the config.

Everything is read as strings first so that type problems can be reported with the column,
the count and an example, instead of pandas' guesses.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CatalogTable, Config, unescape_delimiter
from ..errors import UserError
from ..threads import each
from ..options import WHITESPACE

DELIMITERS = [",", ";", "\t", "|"]
# Compared in lower case. Also as German, French, Spanish and Dutch exports write them: keine Angabe,
# nicht verfügbar, non disponible, sin datos, and Excel's #N/A in German (#NV).
MISSING_MARKERS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "#nv", "missing", "n.a.",
                   "k.a.", "k. a.", "n.v.", "n.d.", "n/d", "s/d", "s.d."}
# ... and in customer tables, whose columns are judged whole (below), French exports' NC (non communiqué)
# and a lone full stop (a placeholder for a city or province no one filled in).
TABLE_MARKERS = MISSING_MARKERS | {"nc", "n.c.", "non communiqué", "non renseigné", "."}
# 'Unknown' as the languages drafts read write it: missing where a number or a date is due (a category
# written so is a value of its own).
UNKNOWN_WORDS = {"unknown", "inconnu", "inconnue", "unbekannt", "desconocido", "desconocida", "desconhecido",
                 "desconhecida", "sconosciuto", "sconosciuta", "onbekend", "nieznany", "nieznane", "bilinmiyor"}
TWO_LETTER_MARKERS = ("NA", "NC")  # markers that are also codes among two-letter codes (Napoli, North Carolina)
# Control characters other than tab, newline and carriage return: a line holding them is corrupt.
CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


@dataclass(frozen=True)
class Table:
    """An input table as text, with what was detected about the file."""

    path: Path
    frame: pd.DataFrame  # every column as str; missing as ""
    delimiter: str
    encoding: str
    sha256: str
    short_rows: tuple[int, ...] = ()  # rows (0-based) with fewer fields than the header
    header_line: int = 1  # the line (sheet row) of the column names: later than 1 below a title
    plain: bool = False  # no cell holds a control character (read_table checked; cleaning need not)


def _open_bytes(path: Path) -> bytes:
    """The file's content (decompressed when gzipped)."""
    return _read_bytes(path)[0]


def _read_bytes(path: Path) -> tuple[bytes, str]:
    """The file's content (decompressed when gzipped) and the SHA-256 of the file as stored."""
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a file")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise UserError(f"{path}: looks gzip-compressed but cannot be decompressed") from None
    return raw, sha


def sha256_of(path: Path) -> str:
    """SHA-256 of a file; of a Parquet folder, of its parts' names and contents in name order."""
    h, folder = hashlib.sha256(), path.is_dir()
    for part in parquet_parts(path) if folder else [path]:
        if folder:
            h.update(part.relative_to(path).as_posix().encode() + b"\0")
        with part.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def parquet_zone(path: Path, column: str) -> str | None:
    """The time zone a Parquet file's timestamp column declares ('America/Los_Angeles', '+02:00'),
    'UTC' for instants without one, None for a column of local times. Such a column holds instants:
    read in its own zone it gives the time as the shop's clock showed it, the hour that a customer's
    habits are about; read in the machine's zone, the same file would give other hours elsewhere."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = parquet_parts(path)[0] if path.is_dir() else path
    try:
        schema = pq.read_schema(first)
    except (pa.ArrowException, OSError):
        return None
    if column not in schema.names:
        return None
    kind = schema.field(column).type
    if not pa.types.is_timestamp(kind) or kind.tz is None:
        return None
    zone = kind.tz
    return f"GMT{zone}" if zone[:1] in "+-" else zone  # a fixed offset as the zone databases name it (ICU reads
    # 'UTC+09:30' as +09:00)


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files of a folder as Spark, Hive and DuckDB write them (part files, in
    partition folders such as `year=2024/` too), in name order. Names starting with `_` or `.`
    (`_SUCCESS`, checksums) are not data. A Delta table's folder also holds files it no longer
    uses: reading its parts would count removed rows, so it is refused."""
    if (folder / "_delta_log").is_dir():
        raise UserError(f"{folder}: is a Delta table; its folder also keeps files it no longer uses. Read it by "
                        f"name from a Spark catalog (order lines: transactions.table, with engine: spark) or "
                        f"export it to Parquet")
    parts = sorted(p for p in folder.rglob("*.parquet") if p.is_file()
                   and not any(x.startswith(("_", ".")) for x in p.relative_to(folder).parts))
    if not parts:
        raise UserError(f"{folder}: is a folder without Parquet files (expected a file, or a folder of Parquet parts)")
    return parts


def detect_encoding(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # The head of a file may end inside a character (Chinese and Japanese take 3 bytes each):
        # UTF-8 when what comes before holds characters beyond ASCII, all read as UTF-8.
        if e.reason == "unexpected end of data" and e.end == len(raw) and not raw[:e.start].isascii():
            return "utf-8"
    # Western files that are not UTF-8 are nearly always Windows-1252 (a superset of Latin-1's
    # printable characters); guessers often pick a rarer code page on small files.
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:200_000]).best()
    return best.encoding if best is not None else "latin-1"


def head_lines(text: str, n: int) -> list[str]:
    """text.splitlines()[:n] without splitting the whole text (a large file has millions of lines)."""
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return text.splitlines()[:n]
    return text[:end + 1].splitlines()[:n]


PREAMBLE_LOOK = 25  # lines (sheet rows) looked at for a title above the header


def preamble(rows: list[list[str]]) -> int:
    """How many rows above the header are a title or notes ('Customer list, exported 1 May 2024', a
    blank line): the leading rows with fewer than half the filled cells of the rows below them,
    where at least two are filled in those. 0 when the first row is the header."""
    filled = [sum(1 for c in r if c is not None and str(c).strip() and str(c) != "nan") for r in rows[:PREAMBLE_LOOK]]
    below = sorted(filled[len(filled) // 3:])  # the rows past any title: most of them data
    if len(filled) < 3 or not below:
        return 0
    need = max(2, -(-below[len(below) // 2] // 2))  # half the median row's cells, rounded up
    first = next((i for i, n in enumerate(filled) if n >= need), 0)
    return first if first < len(filled) - 2 else 0


def text_preamble(text: str, delimiter: str | None = None) -> int:
    """preamble() of a text file's first lines, split by its delimiter, found on the lines past any
    title (a title may hold any delimiter: 'Customer list, May 2024' above a tab file)."""
    lines = head_lines(text, PREAMBLE_LOOK)
    if len(lines) < 3:
        return 0
    tried = [delimiter] if delimiter else [detect_delimiter("\n".join(lines) + "\n"),
                                            detect_delimiter("\n".join(lines[len(lines) // 3:]) + "\n")]
    for d in dict.fromkeys(tried):  # the whole head's delimiter first; the lines past a title's if it splits nothing
        rows = [next(csv.reader([line], delimiter=d), []) for line in lines] if len(d) == 1 else []
        width = sorted(len(r) for r in rows[len(rows) // 3:])
        if width and width[len(width) // 2] >= 2:
            return preamble(rows)
    return 0


def whitespace_aligned(text: str) -> bool:
    """Whether the first lines split into the same number (2 or more) of fields at runs of spaces or
    tabs, as a fixed-width export aligns its columns ('    1 19970101   1   11.77')."""
    lines = [line for line in head_lines(text, 50) if line.strip()]
    lines = lines[:-1] if len(lines) > 2 else lines  # the last line read may be cut short
    counts = {len(line.split()) for line in lines}
    return len(counts) == 1 and counts.pop() >= 2


def line_delimiter(text: str, given: str) -> str:
    """The lines' delimiter: the one given, else detected; runs of spaces (WHITESPACE) where no one
    character splits the lines but they are aligned in columns."""
    if given != "auto":
        return unescape_delimiter(given)
    delim = detect_delimiter(text)
    if len(head_fields(text, delim)) < 2 and whitespace_aligned(text):
        return WHITESPACE
    return delim


def head_fields(text: str, delim: str) -> list[str]:
    """The first line's fields."""
    line = head_lines(text, 1)[0] if text.strip() else ""
    if delim == WHITESPACE:
        return line.split()
    return [f.strip() for f in next(csv.reader([line], delimiter=delim), [])] if len(delim) == 1 else line.split(delim)


def headerless(fields: list[str]) -> bool:
    """A first line of numbers and dates only, no letter anywhere: data, not column names."""
    return bool(fields) and not any(re.search(r"[^\W\d_]", f) for f in fields)


def _agreement(sample: str, delimiter: str) -> float:
    """Share of the sample's rows that split into as many fields as its header (0 for one field)."""
    rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
    if not rows or len(rows[0]) < 2:
        return 0.0
    return sum(len(r) == len(rows[0]) for r in rows) / len(rows)


def detect_delimiter(text: str) -> str:
    lines = head_lines(text, 50)
    sample = "\n".join(lines[:-1] if len(lines) > 2 else lines)  # the last line read may be cut short
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    # The sniffer is misled by quotes (a quoted '=HYPERLINK("a","b")' in a tab file reads as commas):
    # when its choice does not split every row like the header and another delimiter does, that one.
    agree = {d: _agreement(sample, d) for d in DELIMITERS}
    if sniffed is not None and (agree.get(sniffed, 0.0) == 1.0 or max(agree.values()) < 1.0):
        return sniffed
    if max(agree.values()) == 1.0:
        return max(DELIMITERS, key=lambda d: (agree[d], len(next(csv.reader([lines[0]], delimiter=d), []))))
    # Fall back on the delimiter that splits the header into the most fields.
    header = head_lines(text, 1)[0] if text else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UserError(f"{path}: cannot be read as {encoding} text; set customers.encoding") from None


def looks_binary(text: str) -> bool:
    """Text decoded from a binary file: many control or replacement characters, or NUL bytes in
    most lines. A few corrupt lines in a text file are not binary (they are excluded as rows)."""
    sample = text[:20000]
    if not sample:
        return False
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r") or ch in "\ufffd\x7f")
    lines = sample.splitlines()[:200] or [""]
    nul_lines = sum("\x00" in line for line in lines)
    return odd > 0.1 * len(sample) or nul_lines > 0.5 * len(lines) or "\x00" in lines[0]


def largest_sheet(path: Path | pd.ExcelFile) -> tuple[str, tuple[str, ...]]:
    """The sheet with the most filled cells (a cover sheet of notes is not the table; ties: the
    first), and every sheet's name in the workbook's order."""
    book = path if isinstance(path, pd.ExcelFile) else pd.ExcelFile(path)
    names = tuple(map(str, book.sheet_names))
    if len(names) == 1:
        return names[0], names
    return names[int(np.argmax([_cells(book, n) for n in book.sheet_names]))], names


def _cells(book: pd.ExcelFile, name) -> int:
    """A sheet's size in cells: rows x columns as the workbook records them (no need to read a sheet
    of a million lines), else its filled cells as read."""
    sheet = getattr(book, "book", None)
    try:
        ws = sheet[name] if hasattr(sheet, "sheetnames") else sheet.sheet_by_name(name)
        rows, cols = (ws.max_row, ws.max_column) if hasattr(ws, "max_row") else (ws.nrows, ws.ncols)
        if rows and cols:
            return int(rows) * int(cols)
    except Exception:  # noqa: BLE001 - a reader without dimensions: count what is there
        pass
    return int(pd.read_excel(book, sheet_name=name, header=None, dtype=str).notna().to_numpy().sum())


def _read_excel(path: Path, raw: bytes, sheet: str | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(io.BytesIO(raw))
    except Exception as e:  # openpyxl/xlrd raise many types for damaged files
        raise UserError(f"{path}: cannot be read as Excel ({type(e).__name__})") from None
    if sheet is not None and sheet not in book.sheet_names:
        raise UserError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(map(str, book.sheet_names))}); "
                        "set customers.sheet")
    if sheet is None and len(book.sheet_names) > 1:
        sheet = largest_sheet(book)[0]
    name = sheet if sheet is not None else 0
    try:
        top = pd.read_excel(book, sheet_name=name, header=None, nrows=PREAMBLE_LOOK, dtype=str)
        skip = preamble(top.values.tolist())
        frame = pd.read_excel(book, sheet_name=name, header=skip, dtype=str, keep_default_na=False)
    except Exception as e:
        raise UserError(f"{path}: cannot read sheet {sheet or book.sheet_names[0]!r} ({type(e).__name__})") from None
    frame = frame.dropna(how="all").fillna("")
    frame.attrs["header_line"] = skip + 1
    return native_numbers_as_written(frame.astype(str), book, sheet, skip)


# A currency sign or code beside an amount typed as text ('€ 11,25', '11,25 EUR', 'R$ 9,90').
_SIGN = r"(?:[^\d\s.,+-]{1,3}\s*)?"
DECIMAL_COMMA = (rf"\s*{_SIGN}[-+]?(?:\d{{1,3}}(?:\.\d{{3}})*|\d+),\d+\s*(?:[^\d\s.,]{{1,3}})?\s*")  # 677,25 / 1.234,50
DOT_DECIMAL = rf"\s*{_SIGN}[-+]?\d+\.(?:\d{{1,2}}|\d{{4,}})\s*(?:[^\d\s.,]{{1,3}})?\s*|.*\d,\d{{3}}\.\d.*"  # 12.50 / 1,234.56


def native_numbers_as_written(frame: pd.DataFrame, book, sheet, header: int = 0) -> pd.DataFrame:
    """A column mixing number cells (677.25 once read) with numbers typed as text with a decimal comma
    ('677,25', a French or German sheet) reads in one convention: the number cells written with a
    comma too. A number cell is unambiguous; only the text needs a convention."""
    mixed = [c for c in frame.columns if frame[c].str.fullmatch(DECIMAL_COMMA).any()]
    if not mixed:
        return frame
    native = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=object, header=header,
                           keep_default_na=False).dropna(how="all")
    for c in mixed:
        cells = native[c].reindex(frame.index)
        number = cells.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).to_numpy(dtype=bool)
        if number.any() and not frame.loc[~number, c].str.fullmatch(DOT_DECIMAL).any():
            frame.loc[number, c] = frame.loc[number, c].str.replace(".", ",", regex=False)
    return frame


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed Parquet columns as text, missing values as empty cells, like a CSV read: each value
    as Python's str() writes it."""
    # Columns side by side: Arrow writes the numbers outside the GIL.
    texts = each(lambda i: _text(frame.iloc[:, i]), range(frame.shape[1]), len(frame))
    out = pd.DataFrame(dict(enumerate(texts)), index=frame.index)
    out.columns = frame.columns
    return out


def text_of(values: pd.Series) -> pd.Series:
    """values.astype(str), missing values kept missing; numbers and flags written by Arrow (_text)."""
    if values.dtype.kind in "iub" or values.dtype == np.float64:
        return _text(values).where(values.notna())
    return values.astype(str)


def typed_table(path: Path | CatalogTable, frame: pd.DataFrame, sha: str, delimiter: str = "parquet") -> Table:
    """A table read with its own column types (Parquet, a Spark catalog table) as text, each value
    as a CSV of it would hold it."""
    text = _as_text(frame)
    # Only text columns can hold a control character (numbers and flags are written here), so
    # only they are searched; without one, cleaning need not search any cell again.
    plain = not any(frame.iloc[:, i].dtype.kind not in "iubf"
                    and text.iloc[:, i].str.contains(CONTROL, regex=True).any() for i in range(frame.shape[1]))
    return _checked(path, text, delimiter, "binary", sha, plain=plain)


def _large(text: str):
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


SMALLEST_POSITIONAL = 1e-4  # str() writes smaller floats with an exponent (5e-05); Arrow does not (0.00005)


def _text(values: pd.Series) -> pd.Series:
    """One column as text, str()'s text exactly. Integers, booleans and floats are written by
    Arrow, in one pass instead of one Python object per cell (10 s a million rows of 30 columns):
    Arrow writes integers as str() does, and floats with the same shortest digits, without the
    '.0' str() adds to a whole number; values either writes with an exponent go through str()."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.dtype.kind
    if kind in "iub":
        arr = pa.Array.from_pandas(values)
        text = pc.if_else(arr, "True", "False") if kind == "b" else pc.cast(arr, pa.large_string())
    elif values.dtype == np.float64:
        x = values.to_numpy()
        size = np.abs(x)
        positional = np.isfinite(x) & ((size >= SMALLEST_POSITIONAL) | (x == 0))
        text = pc.cast(pa.array(x), pa.large_string())
        # Arrow turns to an exponent sooner than str() does (1e+10 for 10000000000.0)
        positional &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
        whole = pc.match_substring_regex(text, r"^-?[0-9]+$")
        text = pc.if_else(whole, pc.binary_join_element_wise(text, _large(".0"), _large("")), text)
        text = pc.if_else(pa.array(positional), text, None)
        other = np.flatnonzero(~positional & ~np.isnan(x))  # inf, and exponents: str() itself
        if len(other):
            text = text.to_numpy(zero_copy_only=False)
            text[other] = [str(v) for v in x[other]]
            text = pa.array(text, pa.large_string())
    else:
        return values.astype(object).where(values.notna(), "").astype(str)
    return pd.Series(pc.fill_null(text, "").to_pandas(), index=values.index, name=values.name, dtype=str)


# Formats a user may have, that are not read: one line saying so, rather than a parse error.
NOT_READ = {".json": "JSON", ".jsonl": "JSON lines", ".ndjson": "JSON lines", ".xml": "XML", ".avro": "Avro",
            ".orc": "ORC", ".sqlite": "SQLite", ".db": "a database file", ".ods": "OpenDocument"}


def not_read(path: Path) -> None:
    kind = NOT_READ.get(path.suffix.lower())
    if kind is not None and path.is_file():
        raise UserError(f"{path}: {kind} is not read; export the table as CSV, TSV, Parquet or Excel (.xlsx)")


def read_table(path: str | Path, delimiter: str = "auto", encoding: str = "auto", sheet: str | None = None) -> Table:
    """Read a CSV/TSV (optionally gzipped), Parquet or Excel file, or a folder of Parquet parts,
    with every column as text."""
    path = Path(path)
    not_read(path)
    if path.is_dir():  # a folder of Parquet parts, partition folders included
        import pyarrow.dataset as ds

        parts = parquet_parts(path)
        try:
            frame = ds.dataset([str(p) for p in parts], format="parquet", partitioning="hive",
                               partition_base_dir=str(path)).to_table().to_pandas()
        except Exception as e:  # pyarrow raises several types for corrupt or mismatched parts
            raise UserError(f"{path}: cannot be read as Parquet parts ({type(e).__name__})") from None
        return typed_table(path, frame, sha256_of(path))
    raw, sha = _read_bytes(path)
    if raw.startswith(b"PAR1") or path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except Exception as e:  # pyarrow raises several types for corrupt files
            raise UserError(f"{path}: cannot be read as Parquet ({type(e).__name__})") from None
        return typed_table(path, frame, sha)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") or raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
            raise UserError(f"{path}: is a zip or Office file, not a CSV, TSV, Parquet or Excel (.xlsx) table")
        frame = _read_excel(path, raw, sheet)
        header_line = frame.attrs.get("header_line", 1)
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.apply(lambda s: s.str.strip())
        return _checked(path, frame, "excel", "binary", sha, header_line=header_line)
    if not raw.strip():
        raise UserError(f"{path}: file is empty")
    enc = detect_encoding(raw) if encoding == "auto" else encoding
    text = _decode(path, raw, enc)
    if looks_binary(text):
        raise UserError(f"{path}: contains binary data; expected a CSV, TSV, Parquet or Excel file")
    skip = text_preamble(text, None if delimiter == "auto" else unescape_delimiter(delimiter))
    if skip:  # a title above the header: the table starts at its column names
        end = -1
        for _ in range(skip):
            end = text.find("\n", end + 1)
        text = text[end + 1:]
        raw = text.encode("utf-8")
    delim = line_delimiter(text, delimiter)
    if delim == WHITESPACE:  # columns aligned by runs of spaces (a fixed-width export): split there
        frame = pd.read_csv(io.StringIO(text), sep=r"\s+", dtype=str, keep_default_na=False, engine="python")
        frame.columns = [str(c).strip() for c in frame.columns]
        return _checked(path, frame.fillna(""), WHITESPACE, enc, sha, header_line=skip + 1)
    fast = _read_plain(path, raw, text, "utf-8" if skip else enc, delim)
    if fast is not None:
        return _checked(path, fast, delim, enc, sha, plain=True, header_line=skip + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)  # long rows are reported below
            frame = pd.read_csv(
                io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, skipinitialspace=False,
                index_col=False, engine="python" if len(delim) > 1 else "c",
            )
    except pd.errors.ParserError as e:
        detail = str(e).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
        raise UserError(f"{path}: rows do not split into the header's columns with delimiter {delim!r} ({detail})") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: file is empty") from None
    # pandas renames a repeated header ('income', 'income.1'): read the header as written.
    header = next(csv.reader(io.StringIO(head_lines(text, 1)[0]), delimiter=delim), []) if len(delim) == 1 else []
    names = [h.strip() for h in header]
    repeated = sorted({h for h in names if h and names.count(h) > 1})
    if repeated:
        raise UserError(f"{path}: column {repeated[0]!r} appears more than once in the header")
    frame.columns = [str(c).strip() for c in frame.columns]
    short = _field_counts(path, text, delim, frame.shape[1], len(frame))
    frame = frame.fillna("").apply(lambda s: s.str.strip())
    if len(names) == frame.shape[1]:
        frame = _unnamed(frame, names)
    return _checked(path, frame, delim, enc, sha, short, header_line=skip + 1)


def _unnamed(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Header fields left empty (`names`, as written): a column that holds nothing either (a
    spreadsheet's trailing separators, 'a,b,,,') is dropped; one that holds values is named by its
    position ('column 9'), so that a config can name it."""
    keep, columns = [], []
    for i, name in enumerate(names):
        if name or (frame.iloc[:, i] != "").any():
            keep.append(i)
            columns.append(name or f"column {i + 1}")
    out = frame.iloc[:, keep]
    out.columns = columns
    return out


def _read_plain(path: Path, raw: bytes, text: str, enc: str, delim: str) -> pd.DataFrame | None:
    """The common case read fast, by Arrow's multi-threaded CSV reader: a single-character
    delimiter, no quote character, no control character, line ends \\n or \\r\\n, and every row with
    exactly the header's fields. The frame is then the one pandas' parser gives (every column as
    text, as written); for anything else (None) pandas reads the file and reports what is wrong."""
    if len(delim) != 1 or ord(delim) > 127 or delim in "\r\n" or '"' in text or _CONTROL_RE.search(text):
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    data = raw if enc in ("utf-8", "ascii") else text.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    names = data[:data.find(b"\n") if b"\n" in data else len(data)].rstrip(b"\r").decode("utf-8").split(delim)
    if any(not n.strip() for n in names) or len({n.strip() for n in names}) != len(names):
        return None  # pandas names empty and repeated header fields itself (and repeats are refused)
    # Fields per line from the bytes (every \\r ends a line here; empty lines are skipped, as both
    # parsers skip them).
    sep = delim.encode("ascii")
    fields = [line.count(sep) + 1 for line in data.split(b"\n") if line and line != b"\r"]
    if not fields or any(n != len(names) for n in fields):
        return None
    import pyarrow as pa
    from pyarrow import csv as pacsv

    gen = [f"c{i}" for i in range(len(names))]
    try:
        arrow = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=gen, skip_rows=1, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char=False, double_quote=False,
                                             ignore_empty_lines=True, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types={g: pa.large_string() for g in gen}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if arrow.num_rows != len(fields) - 1:  # the header is the first line counted
        return None
    # One array per column, not the reader's blocks (96 at 1M customers): every later pass over a
    # column of chunks paid per chunk, and cleaning took 16 s instead of 10.
    stripped = pa.table([_stripped(arrow.column(i)).combine_chunks() for i in range(len(names))], names=gen)
    del arrow
    frame = stripped.to_pandas()
    del stripped
    pa.default_memory_pool().release_unused()
    frame.columns = [n.strip() for n in names]
    return frame


def _stripped(column):
    """A text column with surrounding white space removed (as str.strip), without copying a
    column of ASCII values that has none (the usual case)."""
    import pyarrow.compute as pc

    if pc.all(pc.string_is_ascii(column)).as_py() is not False and \
            not pc.any(pc.match_substring_regex(column, r"^[\t\n\v\f\r ]|[\t\n\v\f\r ]$")).as_py():
        return column
    return pc.utf8_trim_whitespace(column)


_CONTROL_RE = re.compile(CONTROL)


def _field_counts(path: Path, text: str, delim: str, n_columns: int, n_rows: int) -> tuple[int, ...]:
    """Rows written with fewer fields than the header (pandas pads them with empty values); a row
    with more fields than the header is an error (pandas would otherwise take the first column
    for an index when every row has one field more, shifting every value)."""
    if len(delim) != 1:
        return ()
    try:
        counts = [len(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if r]
    except csv.Error:
        return ()
    header, counts = counts[0] if counts else n_columns, counts[1:]
    long = [i for i, n in enumerate(counts) if n > header]
    if long:
        raise UserError(f"{path}: rows do not split into the header's columns with delimiter {delim!r} "
                        f"({len(long):,} row(s) have more fields than the header's {header}, the first is data "
                        f"row {long[0] + 1})")
    if len(counts) != n_rows:  # records not aligned with pandas' rows (odd quoting): do not guess
        return ()
    return tuple(i for i, n in enumerate(counts) if n < n_columns)


def _checked(path: Path, frame: pd.DataFrame, delim: str, enc: str, sha: str, short: tuple[int, ...] = (),
             plain: bool = False, header_line: int = 1) -> Table:
    if frame.shape[1] == 0:
        raise UserError(f"{path}: no columns found")
    if len(frame) == 0:
        raise UserError(f"{path}: has a header but no rows")
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise UserError(f"{path}: column {dupes[0]!r} appears more than once in the header")
    frame = frame.reset_index(drop=True)
    return Table(path=path, frame=frame, delimiter=delim, encoding=enc, sha256=sha, short_rows=short, plain=plain,
                 header_line=header_line)


def is_missing(values: pd.Series) -> pd.Series:
    """Missing-value markers ('', 'n/a', 'null' ...). 'NA' or 'NC' among two-letter codes (provinces,
    states, countries: Napoli, Namibia, North Carolina) is a code like its neighbours, not a marker."""
    text = values.str.strip()
    missing = text.str.lower().isin(TABLE_MARKERS)
    upper_na = text.isin(TWO_LETTER_MARKERS)
    if upper_na.any() and two_letter_codes(text[~missing].drop_duplicates()):
        missing &= ~upper_na
    return missing


def two_letter_codes(others) -> bool:
    """The distinct values beside 'NA' or 'NC' (markers left out) are codes of two capitals, at least
    CODES_AROUND_NA of them: 'NA' is then a code among them (Napoli), not a missing value."""
    others = [str(v) for v in others]
    return len(others) >= CODES_AROUND_NA and all(re.fullmatch("[A-Z]{2}", v) for v in others)


CODES_AROUND_NA = 3  # distinct two-letter codes beside 'NA' that make it one of them


def check_columns(table: Table, cfg: Config) -> None:
    """Every column the config names must exist in the table."""
    present = set(table.frame.columns)
    named = cfg.columns.named()
    if (len(present) == 1 and table.delimiter not in ("parquet", "excel", "table")
            and any(col not in present for _, col in named)):
        # One column read: the file is split by another character than the one configured.
        header = next(iter(present))
        other = max((d for d in DELIMITERS if d != table.delimiter), key=header.count)
        guess = f" (its header holds {other!r})" if header.count(other) else ""
        raise UserError(f"{table.path}: only one column found with delimiter {table.delimiter!r}{guess}; "
                        "set customers.delimiter")
    for role, col in named:
        if col not in present:
            import difflib

            close = difflib.get_close_matches(col, sorted(present), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            key = "join.customers" if role == "id" and cfg.join and cfg.join.customers == col else f"columns.{role}"
            raise UserError(f"{table.path}: column {col!r} ({key} in the config) is not in the file{hint}")


def load_customers(cfg: Config) -> Table:
    if isinstance(cfg.customers_path, CatalogTable):
        raise UserError(f"customers.table ({cfg.customers.table}) is read from a Spark catalog: run with --engine spark "
                        "(or engine: spark in the config), or give customers.path")
    table = read_table(cfg.customers_path, cfg.customers.delimiter, cfg.customers.encoding, cfg.customers.sheet)
    check_columns(table, cfg)
    return table

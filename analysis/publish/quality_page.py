"""The data-quality page's context: what was read, what was excluded, the cleaning log and a
profile of every input column. Plain strings only (the templates escape them)."""
from __future__ import annotations

from .. import formatters as fmt
from ..config import DELIMITER_NAMES
from ..results import ColumnProfile
from ..results import Results

KINDS = {"id": "identifier", "number": "number", "flag": "0/1", "date": "date", "answer": "0/1 answer", "category": "category",
         "text": "text", "empty": "empty"}


def file_kind(delimiter: str, encoding: str) -> str:
    """'tab-separated, utf-8', 'Parquet' (a file or a folder of parts), 'a Spark catalog table' or
    'an Excel sheet': how the input was read."""
    if delimiter == "parquet":
        return "Parquet"
    if delimiter == "table":
        return "a Spark catalog table"
    if delimiter == "excel":
        return "an Excel sheet"
    name = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    return f"{name}-separated, {encoding}"


def _value(x: float) -> str:
    if abs(x) >= 1e9:
        return f"{x:.3g}"
    return fmt.integer(x) if float(x).is_integer() or abs(x) >= 100 else fmt.number(x, 2)


def _years(*xs: float) -> bool:
    """Whole numbers from 1800 to 2100 (birth years, years of first purchase): written 1974, not 1,974."""
    return all(float(x).is_integer() and 1800 <= x <= 2100 for x in xs)


def _values(p: ColumnProfile) -> str:
    """Typical values: never one customer's value (no minimum or maximum, no rare category)."""
    if p.kind == "number" and p.p50 is not None:
        # A habit is a share of the customer's orders (0.22 is 22% of them at weekends).
        value = (fmt.percent if p.role.startswith("habits") else
                 (lambda x: f"{x:.0f}") if _years(p.p5, p.p50, p.p95) else _value)
        if p.p5 == p.p95:
            return f"{value(p.p50)} for 9 in 10 or more"
        return f"median {value(p.p50)}; 90% from {value(p.p5)} to {value(p.p95)}"
    if p.kind == "flag" and p.yes_share is not None:  # a churn column says who left, not who 'answered'
        return f"{fmt.percent(p.yes_share)} " + {"churned": "left", "complaints": "complained"}.get(p.role, "are 1")
    if p.kind == "date" and p.first:
        return f"90% from {p.first} to {p.last}"
    if p.kind == "answer" and p.yes_share is not None:
        return f"{fmt.percent(p.yes_share)} answered 1"
    if p.kind == "category":
        shown = ", ".join(f"{v} ({fmt.integer(n)})" for v, n in p.top)
        if p.pooled:
            shown += ("; " if shown else "") + f"{p.pooled} rarer value{'s' if p.pooled > 1 else ''} not named"
        return shown or "every value held by few customers (not named)"
    return "–"


def _role(p: ColumnProfile, ignored: set[str]) -> str:
    if p.role == "ignore" or p.name in ignored:
        return "not used (columns.ignore)"
    if not p.role:
        return "not used (not named in the config)"
    return p.role.replace("_", " ")


def _cleaning(p: ColumnProfile) -> str:
    """What cleaning did to the column, one entry per action (three kinds of excluded rows read
    '3 excluded', not '1 excluded; 1 excluded; 1 excluded'; the log below says which)."""
    done: dict[str, int] = {}
    for _, n, action in p.cleaning:
        done[action] = done.get(action, 0) + n
    return "; ".join(f"{fmt.integer(n)} {action}" for action, n in done.items()) or "–"


def column_rows(r: Results) -> list[dict]:
    ignored = set(r.manifest.config.get("columns", {}).get("ignore", []) or [])
    return [{"name": p.name, "role": _role(p, ignored), "kind": KINDS.get(p.kind, p.kind),
             "missing": fmt.percent(p.missing / p.rows) if p.rows else "–", "distinct": fmt.integer(p.distinct),
             "typical": _values(p), "cleaning": _cleaning(p)} for p in r.columns]


def data_quality(r: Results) -> dict:
    """Everything the data-quality template shows (the keys of pages.data_quality, plus `columns`)."""
    return {
        "title": "Data quality",
        "n_input": fmt.integer(r.n_input), "n_segmented": fmt.integer(r.n_segmented),
        "n_excluded": fmt.integer(r.n_input - r.n_segmented),
        "excluded": [{"reason": k, "count": fmt.integer(v)} for k, v in r.excluded_reasons.items()],
        "log": [{"step": e.step, "column": e.column, "count": fmt.integer(e.count), "action": e.action,
                 "detail": e.detail if e.public_detail is None else e.public_detail} for e in r.cleaning],
        "input_name": r.manifest.input_name, "file_kind": file_kind(r.manifest.delimiter, r.manifest.encoding),
        "from_lines": r.manifest.config.get("transactions") is not None,
        # Joined: the table and the order lines are two files; each is named with what it holds.
        "lines_name": (r.manifest.inputs.get("transactions", {}).get("file", "")
                       if r.manifest.config.get("customers") is not None else ""),
        "n_lines": fmt.integer(r.manifest.input_rows),
        "reference_date": r.reference_date.isoformat(), "undated": r.undated,
        # Only a birth year turns into an age on a date: without one, an undated table measures nothing on it.
        "ages_on_date": any(d.name == "age" for d in r.features)
        and bool((r.manifest.config.get("columns") or {}).get("birth_year")),
        "columns": column_rows(r),
        "dated": dated_measures(r),
    }


def dated_measures(r: Results) -> str:
    """The sentence naming what a customer table measures on the reference date (ages from birth
    dates, tenure, recency from a last-purchase date), or '' when it measures nothing on it."""
    cols = r.manifest.config.get("columns") or {}
    names = {d.name for d in r.features}
    measured = ([w for w, yes in (("ages", "age" in names and (cols.get("birth_year") or cols.get("birth_date"))),
                                  ("tenure", "tenure_months" in names),
                                  ("recency", "recency_days" in names and cols.get("last_purchase"))) if yes])
    if not measured:
        return ""
    words = measured[0] if len(measured) == 1 else ", ".join(measured[:-1]) + " and " + measured[-1]
    return f"{words[0].upper() + words[1:]} {'is' if measured == ['tenure'] or measured == ['recency'] else 'are'} " \
           f"measured on {r.reference_date.isoformat()}."

"""Association rules between items bought together (market-basket analysis).

Baskets are kept as a sparse baskets x items matrix (never dense: a retailer has thousands of
items and each basket holds a handful). Frequent itemsets are counted exactly with sparse matrix
products (`frequent_itemsets`; the same itemsets as mlxtend's FP-growth); rules are generated
here from the itemset counts, so that every threshold is decided on whole counts
and the output follows the R package arules (`apriori`):

- support = baskets holding lhs and rhs / all baskets; confidence = support / support(lhs);
  coverage = support(lhs); lift = confidence / support(rhs); leverage = support -
  coverage * support(rhs); conviction = (1 - support(rhs)) / (1 - confidence), inf when the
  confidence is 1.
- thresholds are inclusive (support >= min_support, confidence >= min_confidence), compared on
  counts with a relative tolerance of 1e-10, so that 7 of 100 baskets pass a support of 0.07
  although 0.07 * 100 is 7.000000000000001 in floating point.
- a rule's length is the number of items on both sides; with min_length=1 (arules' minlen=1)
  the one-item rules `{} => {x}` are produced, their confidence being the support of x. Only
  these have an empty lhs (none is made with min_length=2, nor `{} => {a,b}`).
- arules' apriori only makes rules with one item on the right-hand side: max_consequent=1 gives
  the same rules; None allows any number of items on the right.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import UserError

COLUMNS = ["lhs", "rhs", "count", "support", "confidence", "coverage", "lift", "leverage", "conviction"]
# Relative slack on threshold comparisons: far above floating-point error (1e-16), far below the
# gap between two counts.
EPS = 1e-10
BITS_BUDGET = 256 * 2**20  # bytes of per-item bitsets an ItemsetCounter may keep (2,000 items at 1M baskets)


@dataclass(frozen=True)
class Baskets:
    """Which items each basket holds: a baskets x items boolean CSR matrix in canonical form."""

    matrix: sp.csr_matrix
    items: tuple[str, ...]  # column names, sorted
    ids: Sequence  # basket ids, in row order (a range where only their number matters)

    def __post_init__(self):
        if not sp.issparse(self.matrix) or self.matrix.format != "csr":
            raise TypeError("Baskets.matrix must be a scipy.sparse CSR matrix")
        if self.matrix.shape != (len(self.ids), len(self.items)):
            raise ValueError(f"Baskets.matrix has shape {self.matrix.shape}, expected "
                             f"({len(self.ids)} baskets, {len(self.items)} items)")

    @property
    def n_baskets(self) -> int:
        return len(self.ids)


def _build(rows: np.ndarray, item_values: pd.Series, ids: tuple[str, ...]) -> Baskets:
    """Baskets from one (row, item) pair per entry; repeated pairs collapse into one."""
    codes, uniques = pd.factorize(item_values, sort=True)
    items = tuple(str(u) for u in uniques)
    # Counted in int32 (uint8 would wrap at 256 repeats), then made boolean.
    matrix = sp.csr_matrix((np.ones(len(codes), dtype=np.int32), (rows, codes)),
                           shape=(len(ids), len(items)))
    matrix.sum_duplicates()
    return Baskets(matrix=matrix.astype(bool), items=items, ids=ids)


def _item_series(items: Sequence, where: str) -> pd.Series:
    values = pd.Series(items, dtype=object)
    missing = values.isna().to_numpy()
    if missing.any():
        raise UserError(f"{where}: {int(missing.sum())} missing item(s), first at position "
                        f"{int(np.argmax(missing))}")
    values = values.astype(str)
    empty = (values.str.strip() == "").to_numpy()
    if empty.any():
        raise UserError(f"{where}: {int(empty.sum())} empty item name(s), first at position "
                        f"{int(np.argmax(empty))}")
    return values


def baskets_from_lists(lists: Iterable[Iterable[str]], ids: Sequence | None = None) -> Baskets:
    """One basket per list of items (an empty list is an empty basket); ids default to 1..n."""
    rows: list[int] = []
    flat: list[str] = []
    n = 0
    for n, basket in enumerate(lists, start=1):
        if isinstance(basket, (str, bytes)):
            raise UserError(f"basket {n} is a single string {basket!r}; pass a list of items")
        for item in basket:
            rows.append(n - 1)
            flat.append(item)
    if ids is None:
        ids = tuple(str(i) for i in range(1, n + 1))
    else:
        ids = tuple(str(i) for i in ids)
        if len(ids) != n:
            raise UserError(f"{len(ids)} basket ids given for {n} baskets")
        if len(set(ids)) != n:
            raise UserError("basket ids must be unique")
    values = _item_series(flat, "baskets")
    return _build(np.asarray(rows, dtype=np.int64), values, ids)


def baskets_from_pairs(basket_ids: Sequence, items: Sequence) -> Baskets:
    """Baskets from one (basket id, item) pair per row, e.g. order lines; repeated pairs collapse.

    Baskets are numbered in order of first appearance; ids are compared as text."""
    if len(basket_ids) != len(items):
        raise UserError(f"{len(basket_ids)} basket ids but {len(items)} items: need one of each per row")
    id_values = pd.Series(basket_ids, dtype=object)
    missing = id_values.isna().to_numpy() | (id_values.astype(str).str.strip() == "").to_numpy()
    if missing.any():
        raise UserError(f"{int(missing.sum())} row(s) without a basket id, first at row {int(np.argmax(missing))}")
    rows, uniques = pd.factorize(id_values.astype(str), sort=False)
    values = _item_series(items, "items")
    return _build(rows.astype(np.int64), values, tuple(str(u) for u in uniques))


class ItemsetCounter:
    """Baskets holding an itemset, from each item's baskets as a bitset (one bit per basket, made
    on first use): an AND and a population count per itemset. Past BITS_BUDGET bytes of bitsets,
    the items' sorted basket lists are intersected instead. Counts are remembered, as rules share
    their sides."""

    def __init__(self, baskets: Baskets):
        self.n, self.items, self.m = baskets.n_baskets, baskets.items, baskets.matrix.tocsc()
        self.memo: dict[tuple[str, ...], int] = {}
        self.bits: dict[str, np.ndarray] = {}

    def baskets_of(self, item: str) -> np.ndarray:
        """The baskets holding the item, in order (none for an item never seen)."""
        j = bisect.bisect_left(self.items, item)
        if j == len(self.items) or self.items[j] != item:
            return np.empty(0, dtype=self.m.indices.dtype)
        return self.m.indices[self.m.indptr[j]:self.m.indptr[j + 1]]

    def _bits(self, item: str) -> np.ndarray | None:
        if item not in self.bits:
            if (len(self.bits) + 1) * (self.n // 8 + 1) > BITS_BUDGET:
                return None
            flags = np.zeros(self.n, dtype=bool)
            flags[self.baskets_of(item)] = True
            self.bits[item] = np.packbits(flags)
        return self.bits[item]

    def count(self, items: Iterable[str]) -> int:
        """Baskets holding every one of the items (all baskets for none; 0 when an item never occurs)."""
        key = tuple(sorted(set(items)))
        if not key:
            return self.n
        if key not in self.memo:
            bits = [self._bits(item) for item in key]
            if all(b is not None for b in bits):
                held = bits[0].copy()
                for b in bits[1:]:
                    np.bitwise_and(held, b, out=held)
                self.memo[key] = int(np.bitwise_count(held).sum())
            else:
                held = self.baskets_of(key[0])
                for item in key[1:]:
                    held = np.intersect1d(held, self.baskets_of(item), assume_unique=True)
                self.memo[key] = len(held)
        return self.memo[key]


def itemset_count(baskets: Baskets, items: Iterable[str]) -> int:
    """Number of baskets that hold every one of the items (all baskets for no items; 0 when an
    item never occurs)."""
    return ItemsetCounter(baskets).count(items)


def check_params(min_support: float, min_confidence: float, max_consequent: int | None = None,
                 min_length: int = 1, max_length: int = 10) -> None:
    """Raise UserError naming the first parameter that is out of range."""
    for name, value in (("min_support", min_support), ("min_confidence", min_confidence)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise UserError(f"{name} must be a number in (0, 1], got {value!r}")
    for name, value in (("min_length", min_length), ("max_length", max_length)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise UserError(f"{name} must be a whole number >= 1, got {value!r}")
    if max_length < min_length:
        raise UserError(f"max_length={max_length} must be >= min_length={min_length}")
    if max_consequent is not None and (isinstance(max_consequent, bool)
                                       or not isinstance(max_consequent, (int, np.integer))
                                       or max_consequent < 1):
        raise UserError(f"max_consequent must be a whole number >= 1 or None, got {max_consequent!r}")


def min_count(min_support: float, n_baskets: int) -> int:
    """The fewest baskets an itemset needs to reach min_support (inclusive, float-safe)."""
    return max(1, math.ceil(min_support * n_baskets * (1 - EPS)))


def frequent_itemsets(baskets: Baskets, min_count: int, max_length: int) -> dict[frozenset[int], int]:
    """Every itemset (as column numbers) in at least min_count baskets, with its count.

    Exact counts by projection, the idea of FP-growth and Eclat done with sparse matrix products:
    within the baskets holding a prefix P (sorted items), one product X'X counts every pair of
    later items, so it yields every frequent itemset P + (i, j) at once; the search then descends
    into P + (i) for each i that begins at least two frequent pairs (an itemset of three needs
    two of its subsets frequent). The same itemsets and counts as mlxtend's FP-growth (tested),
    without walking each basket in Python."""
    item_counts = np.asarray(baskets.matrix.sum(axis=0)).ravel()
    keep = np.flatnonzero(item_counts >= min_count)
    out = {frozenset([int(j)]): int(item_counts[j]) for j in keep}
    if max_length < 2 or len(keep) < 2:
        return out
    # Only the frequent items, and the baskets holding two of them, can be in a frequent pair.
    m = baskets.matrix[:, keep].astype(np.int32).tocsr()
    m = m[np.flatnonzero(m.getnnz(axis=1) >= 2)]
    holders = m.tocsc()  # each item's baskets, sorted
    flags = np.zeros(m.shape[0], dtype=bool)

    def extend(prefix: tuple[int, ...], rows: np.ndarray, first: int) -> None:
        sub = m[rows]
        pairs = sp.triu(sub.T.tocsr() @ sub, k=1).tocoo()
        hit = (pairs.data >= min_count) & (pairs.row >= first)
        i, j, c = pairs.row[hit], pairs.col[hit], pairs.data[hit]
        order = np.lexsort((j, i))
        i, j, c = i[order], j[order], c[order]
        for a, b, n in zip(i.tolist(), j.tolist(), c.tolist()):
            out[frozenset(int(keep[x]) for x in (*prefix, a, b))] = int(n)
        if len(prefix) + 3 > max_length:
            return
        starts, n_pairs = np.unique(i, return_counts=True)
        for a in starts[n_pairs >= 2].tolist():
            held = holders.indices[holders.indptr[a]:holders.indptr[a + 1]]
            flags[held] = True
            holding = rows[flags[rows]]
            flags[held] = False
            extend((*prefix, a), holding, a + 1)

    extend((), np.arange(m.shape[0]), 0)
    return out


def _rules(counts: dict[frozenset[int], int], n: int, min_confidence: float, max_consequent: int | None,
           min_length: int) -> tuple[list, list, np.ndarray, np.ndarray, np.ndarray]:
    lhs_out, rhs_out, n_rule, n_lhs, n_rhs = [], [], [], [], []
    threshold = min_confidence * (1 - EPS)
    for itemset, count in counts.items():
        k = len(itemset)
        if k < min_length:
            continue
        # Only a one-item rule has an empty lhs ({} => {x}, as arules makes with minlen=1), so
        # that min_length=2 removes every empty lhs, as arules users expect.
        largest = max(k - 1, 1) if max_consequent is None else min(max(k - 1, 1), max_consequent)
        # Confidence can only fall as items move from lhs to rhs, so a right-hand side is grown
        # only from right-hand sides that passed (as in Agrawal & Srikant's ap-genrules).
        level = [frozenset([i]) for i in itemset]
        size = 1
        while level:
            passed = []
            for rhs in level:
                lhs = itemset - rhs
                lhs_count = counts[lhs] if lhs else n
                if count >= threshold * lhs_count:
                    passed.append(rhs)
                    lhs_out.append(lhs)
                    rhs_out.append(rhs)
                    n_rule.append(count)
                    n_lhs.append(lhs_count)
                    n_rhs.append(counts[rhs])
            if size == largest:
                break
            ok = set(passed)
            grown = {r | {i} for r in passed for i in itemset - r}
            level = [c for c in grown if all(c - {i} in ok for i in c)]
            size += 1
    as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return lhs_out, rhs_out, as_int(n_rule), as_int(n_lhs), as_int(n_rhs)


def mine(baskets: Baskets, min_support: float, min_confidence: float, max_consequent: int | None = None,
         min_length: int = 1, max_length: int = 10) -> pd.DataFrame:
    """Association rules lhs => rhs that reach both thresholds, with their measures.

    Columns: lhs, rhs (sorted tuples of items), count, support, confidence, coverage, lift,
    leverage, conviction. Sorted by lift, confidence and support (highest first), then by lhs
    and rhs, so the same baskets always give the same table."""
    check_params(min_support, min_confidence, max_consequent, min_length, max_length)
    n = baskets.n_baskets
    if n == 0:
        raise UserError("no baskets to mine")
    counts = frequent_itemsets(baskets, min_count(min_support, n), max_length)
    lhs_sets, rhs_sets, n_rule, n_lhs, n_rhs = _rules(counts, n, min_confidence, max_consequent, min_length)
    names = baskets.items
    return rules_frame([tuple(names[i] for i in sorted(x)) for x in lhs_sets],
                       [tuple(names[i] for i in sorted(x)) for x in rhs_sets], n_rule, n_lhs, n_rhs, n)


def rules_frame(lhs: list[tuple[str, ...]], rhs: list[tuple[str, ...]], n_rule, n_lhs, n_rhs, n: int) -> pd.DataFrame:
    """Rules with their measures from the baskets counted for each (rule, lhs, rhs) among n, sorted
    by lift, confidence and support (highest first), then by lhs and rhs."""
    n_rule, n_lhs, n_rhs = (np.asarray(v, dtype=np.int64) for v in (n_rule, n_lhs, n_rhs))
    # Each measure is one division of exact integer products (correctly rounded, no cancellation
    # as in 1 - confidence); the products stay exact in float64 up to ~9e7 baskets.
    nf = float(n)
    rule_f, lhs_f, rhs_f = n_rule.astype(float), n_lhs.astype(float), n_rhs.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = rule_f * nf / (lhs_f * rhs_f)
        conviction = np.where(n_rule == n_lhs, np.inf, (nf - rhs_f) * lhs_f / (nf * (lhs_f - rule_f)))
    frame = pd.DataFrame({
        "lhs": list(lhs),
        "rhs": list(rhs),
        "count": n_rule,
        "support": rule_f / nf,
        "confidence": rule_f / lhs_f,
        "coverage": lhs_f / nf,
        "lift": lift,
        "leverage": (rule_f * nf - lhs_f * rhs_f) / (nf * nf),
        "conviction": conviction,
    }, columns=COLUMNS)
    keys = list(zip(-frame["lift"].to_numpy(), -frame["confidence"].to_numpy(), -frame["support"].to_numpy(),
                    frame["lhs"], frame["rhs"]))
    order = sorted(range(len(frame)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def format_itemset(items: Iterable[str]) -> str:
    """arules' way of writing an itemset: {a,b}."""
    return "{" + ",".join(items) + "}"


def _read_text(path: Path) -> str:
    from ..ingest.loading import _open_bytes, detect_encoding, looks_binary

    raw = _open_bytes(path)  # missing file, folder, gzip: as for every other input
    if not raw.strip():
        raise UserError(f"{path}: file is empty")
    if raw.startswith((b"PAR1", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UserError(f"{path}: is a Parquet, zip or Office file; --format lines reads text, one basket per line")
    encoding = detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UserError(f"{path}: cannot be decoded as {encoding}") from None
    if looks_binary(text):
        raise UserError(f"{path}: contains binary data; expected text with one basket per line")
    return text


def read_lines(path: str | Path, delimiter: str = ",") -> Baskets:
    """One basket per line, items separated by `delimiter` (whitespace around items is trimmed;
    lines without items are skipped). An item in double quotes may hold the delimiter, as a CSV
    writer quotes it ("Coca-Cola 1,5L"). A basket's id is its line number."""
    import csv

    path = Path(path)
    if not delimiter:
        raise UserError("the item delimiter must not be empty")
    text = _read_text(path)
    quoted = len(delimiter) == 1 and '"' in text
    lists, ids = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        fields = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), []) if quoted else \
            line.split(delimiter)
        items = [item.strip() for item in fields]
        items = [item for item in items if item]
        if items:
            lists.append(items)
            ids.append(str(number))
    if not lists:
        raise UserError(f"{path}: no baskets (every line is empty)")
    return baskets_from_lists(lists, ids=ids)


def read_pairs(path: str | Path, basket_column: str, item_column: str,
               delimiter: str = "auto") -> tuple[Baskets, int]:
    """Baskets from a table with one (basket, item) pair per row (CSV/TSV/Parquet, see
    `loading.read_table`). Rows with an empty basket id or item are left out; their number is
    returned with the baskets so that the caller can report it."""
    from ..ingest.loading import read_table

    if basket_column == item_column:
        raise UserError(f"the basket and item columns must differ (both are {basket_column!r})")
    table = read_table(path, delimiter=delimiter)
    frame = table.frame
    for column in (basket_column, item_column):
        if column not in frame.columns:
            raise UserError(f"{table.path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    ids, items = frame[basket_column], frame[item_column]
    usable = ((ids.str.strip() != "") & (items.str.strip() != "")).to_numpy()
    if not usable.any():
        raise UserError(f"{table.path}: no row has both a {basket_column!r} and an {item_column!r} value")
    baskets = baskets_from_pairs(ids[usable].str.strip().to_numpy(), items[usable].str.strip().to_numpy())
    return baskets, int((~usable).sum())

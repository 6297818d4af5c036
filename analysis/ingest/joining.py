"""A run's input as one customer table: the table itself, the order lines aggregated per customer,
or both joined on the customer id.

Joined, the table keeps every row in its order and gains the order-derived columns (recency,
orders, products per order, time habits, spend per category, per-customer columns of the lines).
Customers of the table without a usable order line follow `join.without_orders`; customers of the
order lines missing from the table are not segmented (their lines still form baskets) and are listed
with their reason, so that every customer of either input ends in the assignments.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..config import CatalogTable, Config, Join
from ..errors import UserError
from .cleaning import CleanData, LogEntry, guess_date_format, to_dates
from .loading import Table, is_missing, load_customers
from .orders import GUEST, OrderData, load_orders

NOT_IN_TABLE = "in the order lines only, not in the customer table"
NO_ORDERS = "no usable order line (joined input, join.without_orders: exclude)"

FROM_LINES = " (order lines)"  # a column of the order lines whose name the table already uses


@dataclass(frozen=True)
class Input:
    table: Table  # what cleaning reads: one row per customer
    cfg: Config  # the run's config with the derived columns' roles and the reference date
    orders: OrderData | None
    log: tuple[LogEntry, ...]  # what aggregating and joining did, before the cleaning log
    extra: dict[str, str]  # customers that have no row in `table` -> why (listed as excluded)
    # Every input file read: role (customers, transactions, products) -> {"file": name, "sha256": digest}
    sources: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


def load_input(cfg: Config, progress: Callable[[str], None] = lambda s: None, load_orders=load_orders,
               engine: str = "local", load_customers=load_customers, **saved) -> Input:
    """`load_orders`, `load_customers`: the engine's (named `engine`); `saved`: a model's order
    categories and product map (see orders.load_orders)."""
    if not cfg.transactions:
        progress(f"loading {cfg.customers_path}")
        table = load_customers(cfg)
        return Input(table, cfg, None, (), {}, {"customers": _source(table.path, table.sha256)})
    progress(f"aggregating order lines {cfg.transactions_path} with {'Spark' if engine == 'spark' else 'DuckDB'}")
    orders = load_orders(cfg, progress, **saved)
    sources = {"transactions": _source(cfg.transactions_path, orders.sha256)}
    if orders.products_sha256 is not None:
        sources["products"] = _source(cfg.products_path, orders.products_sha256)
    ref = cfg.report.model_copy(update={"reference_date": orders.reference_date})
    if not cfg.joined:
        table = Table(path=cfg.customers_path, frame=orders.frame, delimiter=orders.delimiter,
                      encoding=orders.encoding, sha256=orders.sha256)
        # From here on the derived customer table is read as a customer table with these columns.
        return Input(table, cfg.model_copy(update={"columns": orders.columns, "report": ref}), orders,
                     orders.log + _excluded_log(orders.excluded), dict(orders.excluded), sources)
    progress(f"loading {cfg.customers_path} and joining the order lines to it")
    table = load_customers(cfg)
    joined = join(table, orders, cfg.model_copy(update={"report": ref}))
    return dataclasses.replace(joined, sources={"customers": _source(table.path, table.sha256), **sources})


def _named(path) -> str:
    """How a sentence names the input: a file by its name, a catalog table as 'table NAME'."""
    return str(path) if isinstance(path, CatalogTable) else path.name


def _source(path, digest: str) -> dict[str, str]:
    return {"file": path.name, "sha256": digest}  # a Path, or a CatalogTable (its name)


def _excluded_log(excluded: dict[str, str]) -> tuple[LogEntry, ...]:
    return tuple(LogEntry("not customers" if why == GUEST else "no usable order", "customers", n, "excluded", why)
                 for why, n in sorted(Counter(excluded.values()).items()))


def customer_keys(values: pd.Series) -> pd.Series:
    """Customer ids as cleaning writes them (12.0 and 12 are one customer); '' when missing."""
    ids = values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return ids.where(~is_missing(ids), "")


def _unpadded(ids: pd.Series) -> pd.Series:
    """Digit ids without their leading zeros ('003675' -> '3675'; '0' stays '0'; 'A012' is kept)."""
    return ids.str.replace(r"^0+(?=\d+$)", "", regex=True)


def _loose(ids: pd.Series) -> pd.Series:
    """Ids as a person reads them: without leading zeros, in any case ('c0001' is 'C0001')."""
    return _unpadded(ids).str.casefold()


def _match_loosely(keys: pd.Series, present: np.ndarray, orders: OrderData) -> tuple[OrderData, dict[str, str]]:
    """The order lines' customer ids rewritten as the table writes them where the two differ only by
    leading zeros (a spreadsheet drops them: '3675' for '003675') or by case ('c0001' for 'C0001'),
    and the ids rewritten. Only when reading them so merges no two ids of either file, so no two
    customers become one (ids of a system that tells 'a1' from 'A1' stay apart)."""
    # Every id the lines name: their customers' and those without a usable line (a return only), who
    # are the table's customers too.
    line_ids = pd.Series([*orders.frame["customer_id"], *orders.excluded], dtype=object)
    table_u, lines_u = _loose(keys[present]), _loose(line_ids)
    if table_u.duplicated().any() or lines_u.duplicated().any():
        return orders, {}
    to_table = dict(zip(table_u, keys[present]))
    new = pd.Series([to_table.get(u, i) for u, i in zip(lines_u, line_ids)], index=line_ids.index)
    changed = new != line_ids
    if not changed.any():
        return orders, {}
    rekey = dict(zip(line_ids[changed], new[changed]))
    baskets = orders.baskets
    if baskets is not None:
        # Each distinct id rewritten once (orders hold codes into them).
        owners = np.array([rekey.get(c, c) for c in baskets.owners], dtype=object)
        baskets = dataclasses.replace(baskets, owners=owners)
    frame = orders.frame.assign(customer_id=new.to_numpy()[:len(orders.frame)])
    excluded = {rekey.get(c, c): why for c, why in orders.excluded.items()}
    return dataclasses.replace(orders, frame=frame, excluded=excluded, baskets=baskets), rekey


def join(table: Table, orders: OrderData, cfg: Config) -> Input:
    """The customer table with the order-derived columns of each customer (see the module doc)."""
    rule = (cfg.join or Join()).without_orders
    key_col = cfg.columns.id
    derived, oc = orders.frame, orders.columns
    # Derived columns named like a column of the table get a suffix rather than hiding it.
    taken = set(table.frame.columns)
    rename = {c: (f"{c}{FROM_LINES}" if c in taken else c) for c in derived.columns if c != "customer_id"}
    keys = customer_keys(table.frame[key_col])
    present = (keys != "").to_numpy()
    loosely: dict[str, str] = {}
    if not keys[present].isin(derived["customer_id"]).all():
        orders, loosely = _match_loosely(keys, present, orders)
        derived = orders.frame
    lines = derived.set_index("customer_id").rename(columns=rename)
    if lines.index.has_duplicates:  # one row per customer by construction; a join must not multiply rows
        raise UserError(f"{cfg.transactions_path}: customer ids repeat after aggregation")
    has = keys.isin(lines.index).to_numpy()
    added = lines.reindex(keys.to_numpy())
    added.index = table.frame.index
    frame = pd.concat([table.frame, added], axis=1)

    log = list(orders.log)
    if loosely:
        line_id, table_id = next(iter(loosely.items()))
        head = (f"customer ids of the order lines that differ from column {key_col!r} of {_named(table.path)} "
                "only by leading zeros or case")
        tail = "; no two ids of either file differ only so"
        # The example ids stay in the private results; the site says the rule without them.
        log.append(LogEntry("odd categories", cfg.transactions.customer, len(loosely),
                            "matched without leading zeros or case",
                            f"{head} (e.g. {line_id!r} for {table_id!r}){tail}", public_detail=head + tail))
    known = set(keys[present])
    matched = int((has & present).sum())
    if matched == 0:
        raise UserError(f"{cfg.transactions_path}: no customer id of column {cfg.transactions.customer!r} matches "
                        f"column {key_col!r} of {_named(table.path)}; check the join keys")
    extra = {c: NOT_IN_TABLE for c in sorted(set(lines.index) - known)}
    extra.update({c: why for c, why in sorted(orders.excluded.items()) if c not in known})
    if extra:
        # Ids a person would read as the table's, left apart because the lines also write them otherwise
        # ('C0001' and 'c0001'): said, so that the user can write them alike.
        loose = pd.Series(sorted(extra))
        near = loose[_loose(loose).isin(set(_loose(keys[present])))]
        head = (f"customers of the order lines not in {_named(table.path)} (their lines are still used "
                "for baskets)")
        if len(near):
            head += f"; {len(near):,} of them match an id of the table but for case or leading zeros"
            tail = (", and are not matched because the lines also write such ids another way: write the ids "
                    "alike in both files")
            entry = LogEntry("missing values", cfg.transactions.customer, len(extra), "not segmented",
                             f"{head} (e.g. {near.iloc[0]!r}){tail}", public_detail=head + tail)
        else:
            entry = LogEntry("missing values", cfg.transactions.customer, len(extra), "not segmented", head)
        log.append(entry)
    without = present & ~has
    n_without = int(without.sum())
    history = float(lines[rename["Days since last order"]].max()) if len(lines) else 0.0
    first = pd.to_datetime(lines[rename["First order"]]).min()
    if n_without and rule == "exclude":
        gone = keys[without]
        extra.update({c: NO_ORDERS for c in gone if c not in extra})
        frame = frame[~without].reset_index(drop=True)
        log.append(LogEntry("missing values", "order lines", n_without, "excluded",
                            f"customers of {_named(table.path)} without a usable order line (join.without_orders)"))
    elif n_without:
        # Zero activity: no order in the whole history, so the last order is at least that long ago;
        # for a customer who joined later, no order since joining (a year, not the whole history).
        ref = pd.Timestamp(cfg.report.reference_date)
        days = float((ref - first).days) if pd.notna(first) else history
        joined = _days_since_signup(table.frame.loc[without], cfg, ref)
        zero = [rename[c] for c in ["Orders", "Products per order", *oc.habits.values(), *oc.spend.values(),
                                 *oc.units.values()]]
        for c in zero:
            frame.loc[without, c] = 0.0
        frame.loc[without, rename["Days since last order"]] = np.fmin(joined, days)
        if cfg.columns.signup_date:  # beside the table's signup date: no months of buying yet
            frame.loc[without, rename["First order"]] = ref
        since = (f"days since the last order set to the days since they joined where the table's signup date "
                 f"is later, else the length of the order history ({days:,.0f})" if cfg.columns.signup_date else
                 f"days since the last order set to the length of the order history ({days:,.0f})")
        log.append(LogEntry("missing values", "order lines", n_without, "kept with zero activity",
                            f"customers of {_named(table.path)} without a usable order line: no orders and no spend, "
                            + since))
    for c in oc.categorical:
        frame[rename[c]] = frame[rename[c]].fillna("").astype(str)

    c = cfg.columns
    columns = c.model_copy(update={
        "recency_days": rename[oc.recency_days], "orders": rename[oc.orders], "basket_size": rename[oc.basket_size],
        "spend": {k: rename[v] for k, v in oc.spend.items()} if oc.spend else c.spend,  # no prices: the table's
        "units": {k: rename[v] for k, v in oc.units.items()},
        "habits": {k: rename[v] for k, v in oc.habits.items()},
        "categorical": list(c.categorical) + [rename[x] for x in oc.categorical],
        # The table's own signup date says more than the first order in the lines' window; the first
        # order is kept beside it (how long they have bought, and their rhythm of orders).
        "signup_date": c.signup_date or rename[oc.signup_date],
        "signup_date_format": c.signup_date_format if c.signup_date else None,
        "first_order": rename[oc.signup_date] if c.signup_date else None,
        "first_order_format": None,
    })
    joined = Table(path=table.path, frame=frame.reset_index(drop=True), delimiter=table.delimiter,
                   encoding=table.encoding, sha256=table.sha256,
                   short_rows=_kept_rows(table.short_rows, without) if rule == "exclude" else table.short_rows)
    return Input(joined, cfg.model_copy(update={"columns": columns}), orders, tuple(log), extra)


def _days_since_signup(rows: pd.DataFrame, cfg: Config, ref: pd.Timestamp) -> np.ndarray:
    """Days from each row's signup date (the table's, as written) to `ref`; NaN where there is none,
    it cannot be read, or it lies after `ref`."""
    col = cfg.columns.signup_date
    if not col or col not in rows.columns or rows.empty:
        return np.full(len(rows), np.nan)
    text = rows[col].astype(str)
    fmt = cfg.columns.signup_date_format or guess_date_format(text)
    dates = to_dates(text, fmt) if fmt else pd.Series(pd.NaT, index=rows.index)
    days = (ref - dates).dt.days.to_numpy(dtype=float)
    return np.where(days >= 0, days, np.nan)


def _kept_rows(rows: tuple[int, ...], dropped: np.ndarray) -> tuple[int, ...]:
    """Row numbers after the dropped rows are taken out."""
    new = np.cumsum(~dropped) - 1
    return tuple(int(new[r]) for r in rows if not dropped[r])


def with_extra(data: CleanData, inp: Input) -> CleanData:
    """Loading's log first, and the customers without a row in the table listed as excluded."""
    return dataclasses.replace(
        data, log=inp.log + data.log, all_ids=data.all_ids + tuple(inp.extra),
        reasons=data.reasons + tuple(inp.extra.values()), n_input=data.n_input + len(inp.extra))

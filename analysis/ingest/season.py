"""Seasonal buyers from order lines: the share of each customer's orders placed in the span of the
year in which customers differ most, when that difference is more than chance.

A shop's busiest months say nothing of who its seasonal buyers are (everyone may buy more in
December); what sets them apart is that their orders fall in a span of the year far more often
than other customers' orders do. Each span of one to four consecutive calendar months is scored
by the binomial dispersion of its share between customers: were every order placed in the span
with the same probability p, n * (share - p)^2 would average p(1 - p) whatever each customer's
number of orders n; how many times that it averages is how far customers differ beyond chance.
The best span is kept when chance gives at most MAX_CHANCE of that (a dispersion of at least 2).

Only customers with two orders or more whose first order is at least a year before the last line
are judged: a customer of three months has ordered in three months of the year, and one order in
December is no habit; neither says anything of a season. Their share is the judged customers'
average share (of all their orders), so that they read as neither seasonal nor not.
"""
from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from ..config import Columns
from .cleaning import LogEntry

MAX_CHANCE = 0.5  # a habit share is left out when chance gives more than half its variance
MIN_SPAN_DAYS = 700  # two years but a month: every calendar month in the lines twice, or all but one day of it
LENGTHS = (1, 2, 3, 4)  # months in a season: up to a third of the year
MONTH_COLUMNS = tuple(f"_orders_month_{m}" for m in range(1, 13))  # orders per calendar month, per customer
SEASON = "in season"  # the habit's name starts so; its months follow in parentheses


def months_text(months: tuple[int, ...]) -> str:
    """(11, 12) -> 'November and December'; (12, 1, 2) -> 'December to February'."""
    names = [calendar.month_name[m] for m in months]
    return names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} to {names[-1]}"


def month_before(habit: str) -> str:
    """The month before a season habit's first month ('in season (November and December)' -> 'October')."""
    inside = habit[habit.index("(") + 1:]
    first = min((inside.index(calendar.month_name[m]), m) for m in range(1, 13) if calendar.month_name[m] in inside)[1]
    return calendar.month_name[(first - 2) % 12 + 1]


def _dispersion(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """(p, dispersion) of per-customer counts k of n orders: mean of n (k/n - p)^2 over p(1 - p)."""
    p = float(k.sum() / n.sum())
    if not 0 < p < 1:
        return p, 1.0
    return p, float(np.mean(n * (k / n - p) ** 2) / (p * (1 - p)))


def best_season(counts: np.ndarray, orders: np.ndarray) -> tuple[tuple[int, ...], float] | None:
    """The span of months (and the share of its spread chance gives, 1 / dispersion) whose share of
    orders varies most beyond chance; `counts`: orders per calendar month, one row per judged
    customer. Ties: the shorter span, then the earlier."""
    if len(orders) < 2:
        return None
    best = None
    for length in LENGTHS:
        for start in range(1, 13):
            months = tuple((start - 1 + i) % 12 + 1 for i in range(length))
            _, phi = _dispersion(counts[:, [m - 1 for m in months]].sum(axis=1), orders)
            chance = min(1.0, 1.0 / phi) if phi > 0 else 1.0
            if best is None or chance < best[1] - 1e-12:
                best = (months, chance)
    return best


def with_season(frame: pd.DataFrame, columns: Columns, first, last, fixed: tuple[int, ...] | None = None,
                log: list[LogEntry] | None = None, column: str = "") -> tuple[pd.DataFrame, Columns, tuple[int, ...]]:
    """The customer rows with the month counts (MONTH_COLUMNS) replaced by the share of orders in
    the best season, as a habit, where the lines span MIN_SPAN_DAYS and chance explains at most
    MAX_CHANCE of that share's spread; else without them. `fixed`: a saved model's season (() for
    none) instead. Returns the rows, their columns and the season's months; lines too short to
    look for a season are said in `log` (the timestamp `column`'s). Both engines call this on the
    same rows."""
    counts = frame[list(MONTH_COLUMNS)].to_numpy(dtype=float)
    frame = frame.drop(columns=list(MONTH_COLUMNS))
    if not len(frame) or first is None or last is None:
        return frame, columns, ()
    orders = frame[columns.orders].to_numpy(dtype=float)
    # A year of history or more: the customers whose months of ordering can show a season.
    judged = ((pd.Timestamp(last) - frame[columns.signup_date]).dt.days >= 365).to_numpy() & (orders >= 2)
    if fixed is not None:
        months = tuple(fixed)
    elif (days := (pd.Timestamp(last) - pd.Timestamp(first)).days) < MIN_SPAN_DAYS:
        months = ()
        if log is not None:  # so that seasonal buyers are not taken for absent from a short history
            log.append(LogEntry("not used", column, int(orders.sum()), "seasons not looked for",
                                f"the orders span {days:,} days; a season of buying is looked for over "
                                f"{MIN_SPAN_DAYS:,} days or more, so that every month of the year is seen twice"))
    else:
        found = best_season(counts[judged], orders[judged])
        months = found[0] if found is not None and found[1] <= MAX_CHANCE else ()
    if not months:
        return frame, columns, ()
    habit = f"{SEASON} ({months_text(months)})"
    k = counts[:, [m - 1 for m in months]].sum(axis=1)
    base = judged if judged.any() else orders >= 1  # (a model's season on lines of under a year: all average)
    p = k[base].sum() / max(orders[base].sum(), 1.0)
    share = np.where(judged, k / np.maximum(orders, 1), p)
    frame = frame.assign(**{f"Orders {habit}": share})
    return frame, columns.model_copy(update={"habits": {**columns.habits, habit: f"Orders {habit}"}}), months

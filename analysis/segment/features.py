"""Customer features from the cleaned table: behaviour as shares next to scale, each documented.

Clustering uses the behaviour and scale features; campaign answers and complaints are kept for
profiling only, so that measuring campaign response per segment is not circular.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..ingest.cleaning import CODE_SIGNS, CURRENCY, CleanData, _robust_skew, log_offset
from ..ingest.joining import FROM_LINES
from ..ingest.orders import FIRST_ORDER
from ..ingest.season import MAX_CHANCE, SEASON
from ..config import Config
from ..errors import UserError
from ..labels import folded, plain, readable
from ..threads import each
from .relevance import relevance, weights

SEASON_FEATURE = "orders_in_season"

# Names of the features built from the roles: the advice reads them by name (purchases and orders as counts, say).
BUILT_IN = frozenset({"age", "avg_order_value", "avg_purchase", "basket_size", "campaigns_accepted", "children", "churned",
                      "complaints", "deal_purchases", "deal_share", "income", "orders", "purchases", "recency_days",
                      "spending_score", "tenure_months", "total_spend", "total_units", "web_visits"})
PROFILE_ONLY = ("campaigns_accepted", "complaints", "churned")
DAYS_PER_MONTH = 30.44  # tenure in months: days over the average month's length
SAME_MEASURE = 0.99  # correlation above which a given column is the feature built under its name
MAX_IMPUTED = 0.5  # a feature imputed for more of the customers than this is left out of the distances


@dataclass(frozen=True)
class FeatureDoc:
    name: str
    label: str
    description: str
    kind: str  # money, money_k (in thousands), money_10k (in ten thousands), count, share, years, days, months, flag, number
    source: str  # input columns it comes from
    transform: str = ""  # how it enters clustering ('' when profile only)
    relevance: float | None = None  # share of its variance between preliminary segments (clustering features)
    weight: float | None = None  # 1: counts in the distances; 0: left out by the relevance rule


@dataclass(frozen=True)
class Scaling:
    """How one clustering feature enters the distances: log1p or not, then (x - mean) / sd, times weight."""

    name: str
    log: bool
    mean: float
    sd: float
    weight: float
    offset: float = 1.0  # c in log(1 + x / c) (cleaning.log_offset)

    def apply(self, x: pd.Series) -> np.ndarray:
        v = x.to_numpy(dtype=float)
        if self.log:
            v = np.log1p(v / self.offset)
        return (v - self.mean) / self.sd * self.weight


@dataclass(frozen=True)
class FeatureSet:
    table: pd.DataFrame  # unscaled features, index customer_id
    docs: tuple[FeatureDoc, ...]
    clustering: tuple[str, ...]
    matrix: np.ndarray  # scaled clustering features, rows aligned with table; a feature the relevance rule
    # leaves out is a column of zeros (it keeps its place, so names and columns stay aligned)
    value_feature: str | None  # what "value" means for ordering and revenue shares
    scaling: tuple[Scaling, ...] = ()  # one per clustering feature: replays the matrix on new customers
    mix: dict = field(default_factory=dict)  # mix feature -> share of a customer with no total (see _mix_share)

    def doc(self, name: str) -> FeatureDoc:
        return next(d for d in self.docs if d.name == name)


def from_first_order(signup: str | None) -> bool:
    """Whether the signup column is the order lines' first order (a joined table's own signup date,
    or a customer table's, is not: a customer may sign up years before ordering)."""
    return signup in (FIRST_ORDER, FIRST_ORDER + FROM_LINES)


def slug(text: str) -> str:
    """A feature's name from a label: accents dropped ('Café' -> 'cafe'), other scripts kept as they
    are ('食品' stays '食品', so that two Japanese categories do not both become 'x')."""
    import unicodedata

    def fold(ch: str) -> str:  # a Latin letter loses its accent; kana keep their marks (ブ is not フ)
        d = unicodedata.normalize("NFKD", ch)
        return "".join(x for x in d if not unicodedata.combining(x)) if d[0].isascii() else ch

    plain = "".join(fold(ch) for ch in unicodedata.normalize("NFC", text))
    return re.sub(r"[\W_]+", "_", plain.lower()).strip("_") or "x"


# Features built from other columns, which a table may also give ready-made under a name of its own.
DERIVED = ("avg_order_value", "avg_purchase", "total_spend", "total_units", "tenure_months", "recency_days", "age",
           "first_order_months")
CHECK_ROWS = 10_000  # rows a first look at two columns reads before all of them


def same_measure(a: pd.Series, b: pd.Series) -> bool:
    """Two columns of one measure, in any unit: correlated at SAME_MEASURE or more (capping may touch
    them differently). A first look at CHECK_ROWS rows spares the full check of unrelated columns."""
    both = (a.notna() & b.notna()).to_numpy()
    x, y = a.to_numpy(dtype=float)[both], b.to_numpy(dtype=float)[both]
    if len(x) <= 2:
        return False
    with np.errstate(invalid="ignore", divide="ignore"):
        if len(x) > CHECK_ROWS and not np.corrcoef(x[:CHECK_ROWS], y[:CHECK_ROWS])[0, 1] >= SAME_MEASURE - 0.01:
            return False
        return bool(np.corrcoef(x, y)[0, 1] >= SAME_MEASURE)


def _safe_share(part: pd.Series, total: pd.Series) -> pd.Series:
    return (part / total.where(total > 0)).fillna(0.0)


NO_MIX = "customers with none have the average share of those with some"


def _mix_share(part: pd.Series, total: pd.Series, name: str, mix: dict[str, float], given: dict[str, float] | None
               ) -> pd.Series:
    """A share of a mix (spend by category, purchases by channel). A customer with no total has no
    mix: not 0% of everything, which sets non-buyers beside the buyers of one category only (and
    named after it), but the average share of the customers with a total, which pulls them towards
    no segment; their total says what they are. `given`: a saved model's shares, else learnt into `mix`."""
    t = total.to_numpy(dtype=float)
    has = t > 0
    with np.errstate(invalid="ignore", divide="ignore"):  # (numpy, not pandas: no copy of a million ids' index)
        share = np.where(has, part.to_numpy(dtype=float) / np.where(has, t, 1.0), np.nan)
    if given is not None:
        mix[name] = float(given.get(name, 0.0))
    else:
        known = share[has & ~np.isnan(share)]
        mix[name] = float(known.mean()) if len(known) else 0.0
    return pd.Series(np.where(np.isnan(share), mix[name], share), index=part.index)


def build_table(data: CleanData, cfg: Config, given_mix: dict[str, float] | None = None
                ) -> tuple[pd.DataFrame, list[FeatureDoc], dict[str, float]]:
    """The feature table, its documentation, and the share each mix feature gives a customer with
    no total (`given_mix`: a saved model's, else learnt from these customers)."""
    c, d = cfg.columns, data.customers
    mix: dict[str, float] = {}
    ref = pd.Timestamp(data.reference_date)
    cols: dict[str, pd.Series] = {}
    docs: list[FeatureDoc] = []

    def lab(col: str, default: str) -> str:  # the config's readable label of a column, when it gives one
        return cfg.labels.get(col, default)

    def add(name, values, label, description, kind, source):
        if name in cols:
            raise UserError(f"{cfg.customers_path}: two features would both be named {name!r} "
                            f"({docs[[d.name for d in docs].index(name)].source} and {source}); rename a category")
        cols[name] = values.astype(float)
        docs.append(FeatureDoc(name, label, description, kind, source))

    if "_age" in d:
        add("age", d["_age"], "Age", f"Age in years as given in {c.age}" if c.age else f"Age in years on {ref:%Y-%m-%d}",
            "years", c.age or c.birth_year or c.birth_date)
    if c.income:
        add("income", d[c.income], lab(c.income, "Income"), f"Income as given in {c.income}",
            money_kind(f"{c.income} {lab(c.income, 'Income')}"), c.income)
    if c.household:
        add("children", d[c.household].sum(axis=1),
            lab(c.household[0], "Children at home") if len(c.household) == 1 else "Children at home",
            "Children or dependants living at home", "count", ", ".join(c.household))
    if c.tenure_months:  # as the table gives it (a joined table's own tenure, not the first order in the lines)
        add("tenure_months", d[c.tenure_months], lab(c.tenure_months, "Tenure"), f"Months as a customer, as given in "
            f"{c.tenure_months}", "months", c.tenure_months)
    elif c.tenure_years:
        add("tenure_months", d[c.tenure_years] * 12, "Tenure", f"Months as a customer: the years given in "
            f"{c.tenure_years}, 12 months each", "months", c.tenure_years)
    elif c.signup_date:
        since = "the first order" if from_first_order(c.signup_date) else "signing up"
        add("tenure_months", (ref - d[c.signup_date]).dt.days / DAYS_PER_MONTH, "Tenure",
            f"Months from {since} to {ref:%Y-%m-%d}", "months", c.signup_date)
    if c.first_order:  # beside a signup date: how long they have bought, not how long they have been members
        add("first_order_months", (ref - d[c.first_order]).dt.days / DAYS_PER_MONTH, "Months since first order",
            f"Months from the first order to {ref:%Y-%m-%d}", "months", c.first_order)
    if c.recency_days:
        add("recency_days", d[c.recency_days], lab(c.recency_days, "Days since last purchase"), "Days since the latest purchase",
            "days", c.recency_days)
    elif c.last_purchase:
        event = last_event(c.last_purchase)
        add("recency_days", (ref - d[c.last_purchase]).dt.days, f"Days since last {event}",
            f"Days from the latest {event} to {ref:%Y-%m-%d}", "days", c.last_purchase)
    if c.spend:
        total = d[list(c.spend.values())].sum(axis=1)
        # One spend column keeps its own label (a monthly fee is not called total spend).
        add("total_spend", total, lab(next(iter(c.spend.values())), "Total spend") if len(c.spend) == 1 else "Total spend",
            "Money spent over all product categories" if len(c.spend) > 1 else
            f"Money spent, as given in {next(iter(c.spend.values()))}", "money", ", ".join(c.spend.values()))
        # One spend column is the total itself: its share is 100% for every spender, no category.
        for cat, col in (c.spend.items() if len(c.spend) > 1 else ()):
            add(f"share_{slug(cat)}", _mix_share(d[col], total, f"share_{slug(cat)}", mix, given_mix),
                f"Share of spend: {readable(cat)}",
                f"Share of total spend that went to {readable(cat)} ({NO_MIX})", "share", col)
    if c.units:  # order lines without prices: how much, and of what, in units instead of money
        total_u = d[list(c.units.values())].sum(axis=1)
        add("total_units", total_u, "Units bought", "Units bought over all product categories", "count",
            ", ".join(c.units.values()))
        for cat, col in (c.units.items() if len(c.units) > 1 else ()):
            # Named as spend shares are (the two never meet): the category mix of what they buy.
            add(f"share_{slug(cat)}", _mix_share(d[col], total_u, f"share_{slug(cat)}", mix, given_mix),
                f"Share of units: {readable(cat)}", f"Share of units bought that were {readable(cat)} ({NO_MIX})",
                "share", col)
    # A yes/no answer per customer (used a discount or a code): the share of customers who did.
    deals_x = d[c.deal_purchases].to_numpy(dtype=float, na_value=np.nan) if c.deal_purchases else np.array([])
    deal_flag = bool(c.deal_purchases) and bool(np.isin(deals_x[~np.isnan(deals_x)], [0.0, 1.0]).all()) and \
        d[c.deal_purchases].max() == 1
    if deal_flag:
        add("deal_share", d[c.deal_purchases], lab(c.deal_purchases, "Bought on deal"),
            "Bought with a discount or a code (share of customers)", "flag", c.deal_purchases)
    deals = None if deal_flag else c.deal_purchases  # a count of deals (or their share), read below
    if c.purchases:
        total_p = d[list(c.purchases.values())].sum(axis=1)
        add("purchases", total_p, "Purchases", "Purchases over all sales channels", "count",
            ", ".join(c.purchases.values()))
        for ch, col in (c.purchases.items() if len(c.purchases) > 1 else ()):  # one column: no channel mix
            add(f"channel_{slug(ch)}", _mix_share(d[col], total_p, f"channel_{slug(ch)}", mix, given_mix),
                f"Share of purchases: {readable(ch)}",
                f"Share of purchases made through the {readable(ch)} channel ({NO_MIX})", "share", col)
        if c.spend:
            add("avg_purchase", _safe_share(cols["total_spend"], total_p), "Average purchase value",
                "Total spend divided by purchases", "money", "spend and purchase columns")
        if deals:
            add("deal_share", _safe_share(d[deals], total_p).clip(upper=1.0), "Share bought on deal",
                "Purchases made with a discount, as a share of all purchases (at most 1)", "share", c.deal_purchases)
    elif deals and c.orders and d[deals].max() > 1:  # orders on deal, of all orders
        add("deal_share", _safe_share(d[deals], d[c.orders]).clip(upper=1.0), "Share bought on deal",
            "Orders made with a discount or coupon, as a share of all orders (at most 1)", "share", deals)
    elif deals and c.orders:  # already a share (0 to 1): as it is
        add("deal_share", d[deals], "Share bought on deal",
            "Share of orders made with a discount or coupon", "share", deals)
    elif deals:  # no purchases to divide by: the count itself, rather than nothing
        add("deal_purchases", d[c.deal_purchases], lab(c.deal_purchases, "Purchases on deal"), "Purchases made with a discount", "count",
            c.deal_purchases)
    if c.orders:
        add("orders", d[c.orders], lab(c.orders, "Orders"), "Number of orders (purchase frequency)", "count", c.orders)
        if c.spend:
            add("avg_order_value", _safe_share(cols["total_spend"], d[c.orders]), "Average order value",
                "Total spend divided by orders", "money", "spend and order columns")
    if c.basket_size:
        add("basket_size", d[c.basket_size], lab(c.basket_size, "Products per order"), "Average number of different products in an order",
            "number", c.basket_size)
    for habit, col in c.habits.items():
        placed = (f"in {habit.partition('(')[2].rstrip(')')}: of all spans of one to four calendar months, the one "
                  "in which customers' shares differ most beyond chance (customers with one order or under a year "
                  "of orders count as average)" if habit.startswith(SEASON) else habit)
        add(f"orders_{slug(habit.split(' (')[0])}", d[col].clip(0.0, 1.0), f"Orders {habit}",
            f"Share of the customer's orders placed {placed}", "share", col)
    if c.spending_score:
        add("spending_score", d[c.spending_score], lab(c.spending_score, "Spending score"),
            f"The table's own score of the customer's spending ({c.spending_score})", "number", c.spending_score)
    if c.web_visits:
        add("web_visits", d[c.web_visits], lab(c.web_visits, "Web visits per month"), "Visits to the web site per month", "count",
            c.web_visits)
    for col in c.numeric:
        name, values = slug(col), d[col].astype(float)
        # The table's own copy of a measure built above ('Panier moyen (€)' beside spend and orders): counted once.
        if any(same_measure(cols[f], values) for f in DERIVED if f in cols):
            continue
        if name in cols:  # named like a feature built above (an export's own avg_order_value, say)
            if same_measure(cols[name], values):
                continue  # the same measure (capping may touch the two differently): counted once
            name = f"{name}_as_given"
        elif name in BUILT_IN or name.startswith(("share_", "channel_", "orders_")):
            name = f"{name}_as_given"  # a card table's PURCHASES (money) is not the count of purchases the advice reads
        label = lab(col, plain(col))
        named = f"{col} {label}"
        add(name, values, label, f"{col} as given in the input",
            money_kind(named) if in_currency(named, cfg.report.currency) else "number", col)
    if c.campaigns:
        past = list(c.campaigns.values())
        add("campaigns_accepted", d[past].fillna(0).sum(axis=1), "Campaigns accepted",
            "Number of past campaigns the customer accepted", "count", ", ".join(past))
    if c.complaints:
        add("complaints", d[c.complaints].fillna(0), lab(c.complaints, "Complained"), "Complained in the period (share of customers)",
            "flag", c.complaints)
    if c.churned:  # an outcome, not a trait to segment on: its share per segment is what the advice reads
        add("churned", d[c.churned].fillna(0), lab(c.churned, "Churned"), "Left the business (share of customers)",
            "flag", c.churned)
    return pd.DataFrame(cols, index=d.index), docs, mix


# Words that name an amount of money in a column's name ('MonthlyCharges', 'account_balance', 'gasto_mensual'),
# unless the name also says it is a rate, a count or a score of it.
MONEY_WORDS = (r"charges?|fees?|bill|billing|billed|paid|revenue|spend|spent|spending|balance|salary|mrr|arr|ltv"
               r"|clv|arpu|gasto|gastos|importe|montant|umsatz|saldo|solde|receita|faturamento|fatturato|ricavi|ingresos")
NOT_MONEY = (r"rate|ratio|pct|prc|percent|share|count|number|num|nb|score|index|%|sensitivity|days|months|frequency"
             r"|freq|trx|transactions")


THOUSANDS = (r"\(k ?[$€£¥]?\)|(?<![a-z])k[$€£¥]|[$€£¥]k(?![a-z])|in thousands|\('?000s?\)|thousands|tausend|milliers"
             r"|en miles|\(tsd\.?\)|\(mil\)")


# Amounts in ten thousands, as Japanese and Chinese count money: 年収（万円） is yearly income in 10,000 yen.
TEN_THOUSANDS = r"万円|万元|萬元|[（(]万[）)]"


def money_kind(name: str) -> str:
    """'money', 'money_k' for an amount the name gives in thousands ('Annual Income (k$)', 'revenue_000s'),
    or 'money_10k' in ten thousands ('年収（万円）')."""
    if re.search(TEN_THOUSANDS, name):
        return "money_10k"
    return "money_k" if re.search(THOUSANDS, name, flags=re.IGNORECASE) else "money"


# A spend column paid per period (a monthly fee, an annual premium, recurring revenue) or an average,
# not summed over the relationship: a newer customer's is no smaller for being newer.
RATE_WORDS = (r"\b(monthly|month|annual|annually|yearly|year|per|recurring|mrr|arr|premiums?|mensual|mensuel|anual"
              r"|annuel|maandelijks|jaarlijks|mensile|annuale|average|avg|mean)\b|^(jahres|monats)")
CUMULATIVE = r"\b(total|lifetime|cumulative|sum|ltv|clv|gesamt|insgesamt|to date)\b|^(gesamt|lifetime)"


def spend_is_rate(cfg: Config) -> bool:
    """The value is one spend column paid per period or averaged (its name says so: 'MonthlyCharges',
    'annual_premium', 'Jahresprämie', 'mrr_usd'), not what each customer spent over their time as one."""
    if len(cfg.columns.spend) != 1:
        return False
    col = next(iter(cfg.columns.spend.values()))
    name = folded(plain(cfg.labels.get(col, col)))
    return bool(re.search(RATE_WORDS, name)) and not re.search(CUMULATIVE, name)


def in_currency(name: str, currency: str) -> bool:
    """A column whose name or label carries the report's currency ('mrr_usd' in a $ report, 'Solde
    (€)' in a € one), or without any currency names an amount ('MonthlyCharges'), holds money, shown
    with the sign; another currency's code does not make it so."""
    sign = currency.strip()
    found = re.findall(rf"(?<![A-Za-z])({CURRENCY})(?![A-Za-z])", name, flags=re.IGNORECASE)
    if found:
        return bool(sign) and any(CODE_SIGNS.get(m.upper(), m) == sign or m.upper() == sign.upper() for m in found)
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    words = re.split(r"[^a-z%]+", words)
    return (any(re.fullmatch(MONEY_WORDS, w) for w in words)
            and not any(re.fullmatch(NOT_MONEY, w) for w in words))


def chance_share(share: pd.Series, orders: pd.Series) -> float:
    """The part of a per-customer share's variance that chance alone gives: with every order placed
    then with the same probability p (the average share), a customer's share of n orders varies by
    p(1 - p) / n. Near 1: the differences between customers are noise of few orders each."""
    x, n = share.to_numpy(dtype=float, na_value=np.nan), orders.to_numpy(dtype=float, na_value=np.nan)
    ok = (n >= 1) & ~np.isnan(x)  # (arrays: a Series' boolean mask hashes its whole index first)
    x, n = x[ok], n[ok]
    var = x.var() if len(x) else 0.0
    if var <= 0:
        return 1.0
    p = x.mean()
    return float(min(1.0, np.mean(p * (1 - p) / n) / var))


def _counted_shares(docs, cfg: Config, table: pd.DataFrame) -> dict[str, str]:
    """Each share of a count of events per customer -> the feature counting those events."""
    habits = {d.name for d in docs if d.source in cfg.columns.habits.values() and d.name != SEASON_FEATURE}
    out = {n: "orders" for n in habits if "orders" in table}
    events = "purchases" if "purchases" in table else "orders" if "orders" in table else None
    for d in docs:
        if events and d.kind == "share" and (d.name == "deal_share" or d.name.startswith("channel_")):
            out[d.name] = events
    return out


def _transform(x: pd.Series, kind: str) -> tuple[bool, float, float, float, str]:
    """log(1 + x / c) for skewed non-negative measures, then standardised: (log, mean, sd, c, how).
    c follows the measure's unit (cleaning.log_offset); a share's unit is the whole, c = 1."""
    v = x.to_numpy(dtype=float)
    log = bool(v.min() >= 0 and _robust_skew(v) > 1)
    c = (1.0 if kind in ("share", "flag") else log_offset(v)) if log else 1.0
    if log:
        v = np.log1p(v / c)
    sd = float(v.std())
    how = ("log(1 + x), then standardised" if c == 1 else f"log(1 + x / {c:,.6g}), then standardised") if log \
        else "standardised"
    return log, float(v.mean()), sd if sd > 0 else 1.0, c, how


def replay(table: pd.DataFrame, scaling: tuple[Scaling, ...]) -> np.ndarray:
    """The clustering matrix of new customers, with a training run's scaling and weights."""
    return np.column_stack(each(lambda s: s.apply(table[s.name]), scaling, len(table)))  # columns side by side


# What a last-activity date records, from its column's name: a SaaS table's last_login_date is no purchase.
LAST_EVENTS = (("login|logon|signin", "login"), ("visit|besuch|visite|bezoek", "visit"), ("flight", "flight"),
               ("trip", "trip"), ("booking", "booking"), ("seen|active|activity|usage", "activity"))


def last_event(column: str) -> str:
    key = re.sub(r"[^a-z]", "", str(column).lower())
    return next((word for pattern, word in LAST_EVENTS if re.search(pattern, key)), "purchase")


def build_features(data: CleanData, cfg: Config) -> FeatureSet:
    table, docs, mix = build_table(data, cfg)
    available = [d.name for d in docs]
    if cfg.features is not None:
        unknown = [f for f in cfg.features if f not in available]
        if unknown:
            raise UserError(f"config features: unknown feature {unknown[0]!r}; available: {', '.join(available)}")
        chosen = list(dict.fromkeys(cfg.features))
    else:
        chosen = [n for n in available if n not in PROFILE_ONLY]
    constant = [n for n, distinct in zip(chosen, each(lambda n: table[n].nunique(), chosen, len(table))) if distinct <= 1]
    chosen = [n for n in chosen if n not in constant]
    if not chosen:
        raise UserError(f"{cfg.customers_path}: no varying numeric feature to segment on; name columns in the config")
    # Shares of a customer's orders placed at a time, or of purchases by channel or on deal, from one
    # or two each, are mostly chance: those are left out of the distances (unless the config lists
    # them), before the relevance rule, which would take their 0s and 1s for groups.
    # (The season was kept only for being beyond chance, by its own test: see ingest/season.py.)
    counted = _counted_shares(docs, cfg, table) if cfg.features is None else {}
    chance = {n: chance_share(table[n], table[counts]) for n, counts in counted.items() if n in chosen}
    noisy = {n for n, v in chance.items() if v > MAX_CHANCE}
    # A column most of whose values were missing is mostly the median cleaning gave: no trait to segment by.
    imputed = {e.column: e.count for e in data.log if e.action == "imputed with the median"}
    mostly = ({d.name: imputed[d.source] / len(table) for d in docs if d.name in chosen and d.source in imputed
               and imputed[d.source] > MAX_IMPUTED * len(table)} if cfg.features is None else {})
    how, fitted = {}, []
    kinds = {d.name: d.kind for d in docs}
    transforms = each(lambda n: _transform(table[n], kinds.get(n, "number")), chosen, len(table))  # columns side by side
    for n, (log, mean, sd, c, text) in zip(chosen, transforms):
        how[n] = text
        fitted.append(Scaling(n, log, mean, sd, 0.0 if n in noisy or n in mostly else 1.0, c))
    matrix = replay(table, tuple(fitted))
    score = relevance(matrix, cfg.seed, cfg.segmentation.search_sample)
    # The user's own list is used as given; otherwise features without segment structure are left out.
    weight = np.ones(len(chosen)) if cfg.features is not None else weights(score)
    for i, n in enumerate(chosen):
        if n in noisy:
            weight[i] = 0.0
            how[n] += (f"; left out of the distances: {chance[n]:.0%} of its spread between customers is what "
                       f"their few {counted[n]} each give by chance")
        elif n in mostly:
            weight[i] = 0.0
            how[n] += (f"; left out of the distances: {mostly[n]:.0%} of the customers had no value and were given "
                       "the median")
    scaling = tuple(Scaling(f.name, f.log, f.mean, f.sd, float(w), f.offset) for f, w in zip(fitted, weight))
    matrix = replay(table, scaling)
    rel = {n: (float(score[i]), float(weight[i])) for i, n in enumerate(chosen)}
    for i, n in enumerate(chosen):
        if weight[i] == 0 and n not in noisy and n not in mostly:
            how[n] += f"; left out of the distances: {score[i]:.0%} of its variance between preliminary segments"
    docs = [FeatureDoc(**{**d.__dict__, "transform": how.get(d.name, ""),
                          "relevance": rel[d.name][0] if d.name in rel else None,
                          "weight": rel[d.name][1] if d.name in rel else None}) for d in docs]
    # What a segment is worth: its spend; without prices the units bought; else the customers' income.
    value = next((f for f in ("total_spend", "total_units", "income") if f in table), None)
    return FeatureSet(table=table, docs=tuple(docs), clustering=tuple(chosen), matrix=matrix, value_feature=value,
                      scaling=scaling, mix=mix)

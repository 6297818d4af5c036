"""Synthetic customers with known, planted segments, in the layout of the bundled table.

`generate(n, n_segments, seed)` draws customers from the first `n_segments` archetypes of
`ARCHETYPES` and returns the table (the 29 columns of ``data/marketing_campaign.csv``, in its
order) together with the truth: the archetype index of every row. Archetypes differ both in the
mix of what customers buy and how (spend shares, channel shares, deal share) and in scale
(income, age, children, total spend, purchases, average purchase value, web visits, recency,
tenure), with overlapping tails, so that the pipeline's k-means on standardised, log-transformed
features can recover them without the task being trivial.

With ``dirt=True`` a small amount of the dirt found in real customer files is added: missing
incomes, impossible birth years, one extreme income, rare odd marital statuses and rows that repeat
another row in every column but the id. What was added is reported in ``df.attrs["synth"]``.

Everything is vectorised numpy (about 3 s and under 1 GB per million customers) and the same
arguments always give the same table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = (
    "ID", "Year_Birth", "Education", "Marital_Status", "Income", "Kidhome", "Teenhome", "Dt_Customer",
    "Recency", "MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts",
    "MntGoldProds", "NumDealsPurchases", "NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases",
    "NumWebVisitsMonth", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "AcceptedCmp1", "AcceptedCmp2",
    "Complain", "Z_CostContact", "Z_Revenue", "Response",
)
SPEND_COLUMNS = ("MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds")
CHANNEL_COLUMNS = ("NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases")
CAMPAIGN_COLUMNS = ("AcceptedCmp1", "AcceptedCmp2", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "Response")
EDUCATION = ("Basic", "2n Cycle", "Graduation", "Master", "PhD")
MARITAL = ("Single", "Together", "Married", "Divorced", "Widow")
ODD_MARITAL = ("YOLO", "Absurd", "Alone")
IMPLAUSIBLE_BIRTH_YEARS = (1893, 1899, 1900)
EXTREME_INCOME = 666_666

FIRST_SIGNUP = date(2012, 7, 30)
LAST_SIGNUP = date(2014, 6, 29)  # also the reference date the pipeline measures age and tenure at
SIGNUP_DAYS = (LAST_SIGNUP - FIRST_SIGNUP).days  # 699
MIN_SEGMENT_SHARE = 0.05


@dataclass(frozen=True)
class Archetype:
    """The parameters of one planted segment.

    Money is over the two years the table covers. Tuples of "mix" are Dirichlet concentrations:
    their normalised values are the segment's mean shares, their sum how tightly customers keep to
    them. Beta parameters are over the natural range (recency 0..99 days; tenure 0..1 of the
    signup window, 1 = joined on the first day).
    """

    name: str
    description: str
    weight: float  # relative size among the segments drawn
    income_mean: float
    income_sd: float
    age_range: tuple[int, int]  # the middle ~95% of ages (normal, clipped to 18..90)
    kid_probs: tuple[float, float, float]  # P(0, 1, 2 young children at home)
    teen_probs: tuple[float, float, float]  # P(0, 1, 2 teenagers at home)
    spend_level: float  # median total spend
    spend_mix: tuple[float, float, float, float, float, float]  # wines, fruits, meat, fish, sweets, gold
    purchases: float  # median purchases over web, catalog and store
    channel_mix: tuple[float, float, float]  # web, catalog, store
    deal_propensity: float  # mean share of purchases bought on deal
    web_visits: float  # mean web visits per month
    recency: tuple[float, float]  # Beta(a, b) of days since last purchase / 99
    tenure: tuple[float, float]  # Beta(a, b) of the share of the signup window as a customer
    campaign_probs: tuple[float, float, float, float, float, float]  # Cmp1..Cmp5, latest (Response)
    education: tuple[float, float, float, float, float]  # over EDUCATION
    marital: tuple[float, float, float, float, float]  # over MARITAL
    complain: float = 0.01
    spend_sd: float = 0.35  # sd of log total spend around the level


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        name="Affluent wine connoisseurs",
        description="High-income, middle-aged to older couples without children at home; large baskets, "
                    "mostly wine, bought largely by catalog; rarely on deal; answer campaigns readily.",
        weight=0.18, income_mean=82_000, income_sd=9_000, age_range=(42, 72),
        kid_probs=(0.96, 0.04, 0.0), teen_probs=(0.8, 0.2, 0.0),
        spend_level=1_350, spend_mix=(36, 2, 13, 3, 2, 4),
        purchases=22, channel_mix=(6, 10, 8), deal_propensity=0.05, web_visits=2.5,
        recency=(1.2, 1.2), tenure=(2.0, 1.5),
        campaign_probs=(0.28, 0.06, 0.10, 0.22, 0.32, 0.35),
        education=(0.0, 0.05, 0.45, 0.2, 0.3), marital=(0.15, 0.3, 0.45, 0.07, 0.03),
    ),
    Archetype(
        name="Young families on deals, online",
        description="Young parents on modest incomes with small children; small baskets, bought "
                    "online and often on deal; visit the web site a lot.",
        weight=0.22, income_mean=36_000, income_sd=8_000, age_range=(24, 42),
        kid_probs=(0.05, 0.65, 0.30), teen_probs=(0.85, 0.15, 0.0),
        spend_level=140, spend_mix=(10, 3, 9, 3, 3, 5),
        purchases=9, channel_mix=(16, 1, 8), deal_propensity=0.42, web_visits=8.0,
        recency=(1.0, 1.0), tenure=(1.0, 1.8),
        campaign_probs=(0.01, 0.0, 0.10, 0.03, 0.0, 0.12),
        education=(0.06, 0.12, 0.52, 0.16, 0.14), marital=(0.12, 0.35, 0.48, 0.05, 0.0),
    ),
    Archetype(
        name="Budget singles in store",
        description="Low-income singles, mostly young; very small baskets bought in store, "
                    "spread over staples and small treats; few web visits.",
        weight=0.20, income_mean=24_000, income_sd=6_500, age_range=(20, 45),
        kid_probs=(0.85, 0.15, 0.0), teen_probs=(0.95, 0.05, 0.0),
        spend_level=45, spend_mix=(5, 3, 5, 3, 3, 6),
        purchases=5, channel_mix=(2, 0.4, 12), deal_propensity=0.15, web_visits=5.0,
        recency=(1.0, 1.0), tenure=(1.2, 1.2),
        campaign_probs=(0.0, 0.0, 0.06, 0.0, 0.0, 0.08),
        education=(0.15, 0.15, 0.5, 0.12, 0.08), marital=(0.6, 0.1, 0.08, 0.2, 0.02),
    ),
    Archetype(
        name="Older meat and fish gourmets",
        description="Older, comfortable customers whose children have left; large baskets of meat and "
                    "fish bought in store and by catalog; loyal and recent.",
        weight=0.14, income_mean=68_000, income_sd=8_000, age_range=(56, 80),
        kid_probs=(1.0, 0.0, 0.0), teen_probs=(0.75, 0.25, 0.0),
        spend_level=850, spend_mix=(8, 3, 22, 10, 2, 2),
        purchases=20, channel_mix=(4, 6, 14), deal_propensity=0.07, web_visits=3.0,
        recency=(1.0, 1.6), tenure=(2.5, 1.2),
        campaign_probs=(0.08, 0.01, 0.04, 0.06, 0.10, 0.14),
        education=(0.0, 0.08, 0.5, 0.17, 0.25), marital=(0.08, 0.22, 0.5, 0.1, 0.1),
    ),
    Archetype(
        name="Gold and sweets gift buyers",
        description="Middle-aged parents of teenagers; mid-sized baskets in which gold and sweets take "
                    "a large share, bought on the web and in store.",
        weight=0.13, income_mean=54_000, income_sd=8_500, age_range=(38, 60),
        kid_probs=(0.8, 0.2, 0.0), teen_probs=(0.2, 0.65, 0.15),
        spend_level=420, spend_mix=(5, 4, 4, 2, 10, 13),
        purchases=15, channel_mix=(12, 3, 10), deal_propensity=0.20, web_visits=6.0,
        recency=(1.0, 1.0), tenure=(1.5, 1.5),
        campaign_probs=(0.04, 0.01, 0.08, 0.04, 0.03, 0.13),
        education=(0.02, 0.1, 0.52, 0.18, 0.18), marital=(0.12, 0.28, 0.42, 0.14, 0.04),
    ),
    Archetype(
        name="Lapsing low spenders",
        description="Long-standing customers in their fifties and sixties with teenagers at home who "
                    "have all but stopped buying: small, wine-led baskets in store, long since the "
                    "last purchase.",
        weight=0.13, income_mean=46_000, income_sd=9_000, age_range=(46, 70),
        kid_probs=(0.75, 0.25, 0.0), teen_probs=(0.15, 0.7, 0.15),
        spend_level=70, spend_mix=(14, 1, 4, 1, 1, 2),
        purchases=5, channel_mix=(4, 0.6, 10), deal_propensity=0.35, web_visits=4.0,
        recency=(5.0, 1.2), tenure=(3.5, 1.0),
        campaign_probs=(0.01, 0.0, 0.02, 0.04, 0.0, 0.03),
        education=(0.02, 0.1, 0.48, 0.2, 0.2), marital=(0.1, 0.25, 0.45, 0.15, 0.05),
    ),
)


def _sizes(weights: np.ndarray, n: int) -> np.ndarray:
    """Segment sizes proportional to the weights (largest remainder), each at least 5% of n."""
    k = len(weights)
    floor = int(np.ceil(MIN_SEGMENT_SHARE * n))
    if floor * k > n:
        raise ValueError(f"{n} customers are too few for {k} segments of at least {MIN_SEGMENT_SHARE:.0%} each")
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    raw = w * n
    sizes = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - sizes), kind="stable")[: n - int(sizes.sum())]:
        sizes[i] += 1
    while (sizes < floor).any():  # take from the largest segment until every one is large enough
        small = int(np.argmin(sizes))
        big = int(np.argmax(sizes))
        moved = min(floor - sizes[small], sizes[big] - floor)
        sizes[small] += moved
        sizes[big] -= moved
    return sizes


def _param(archetypes, attr: str) -> np.ndarray:
    return np.array([getattr(a, attr) for a in archetypes], dtype=float)


def _categorical(rng: np.random.Generator, probs: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """One category index per row from the row's segment's probabilities (rows of probs)."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(seg))
    c = cum[seg]
    return (u[:, None] > c).sum(axis=1)


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    g = rng.standard_gamma(alpha)
    total = g.sum(axis=1, keepdims=True)
    return g / np.where(total > 0, total, 1.0)


def _split_counts(rng: np.random.Generator, total: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Multinomial split of each row's total over the columns of probs, by conditional binomials."""
    out = np.empty(probs.shape, dtype=np.int64)
    left = total.astype(np.int64)
    rest = np.ones(len(total))
    for j in range(probs.shape[1] - 1):
        p = np.clip(probs[:, j] / np.where(rest > 0, rest, 1.0), 0.0, 1.0)
        out[:, j] = rng.binomial(left, p)
        left = left - out[:, j]
        rest = rest - probs[:, j]
    out[:, -1] = left
    return out


def _round_amounts(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole amounts per category whose sum is the rounded total (largest remainder per row)."""
    target = np.rint(total).astype(np.int64)
    raw = shares * total[:, None]
    out = np.floor(raw).astype(np.int64)
    short = target - out.sum(axis=1)
    order = np.argsort(-(raw - out), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shares.shape[1])[None, :].repeat(len(total), axis=0), axis=1)
    return out + (rank < short[:, None])


def _clean_table(n: int, archetypes: tuple[Archetype, ...], seg: np.ndarray, rng: np.random.Generator) -> dict:
    a = archetypes
    cols: dict[str, np.ndarray] = {}

    # Who they are.
    lo_hi = np.array([x.age_range for x in a], dtype=float)
    age = rng.normal(lo_hi.mean(axis=1)[seg], ((lo_hi[:, 1] - lo_hi[:, 0]) / 4)[seg])
    age = np.clip(np.rint(age), 18, 90).astype(np.int64)
    cols["Year_Birth"] = LAST_SIGNUP.year - age
    cols["Education"] = np.array(EDUCATION, dtype=object)[_categorical(rng, np.array([x.education for x in a]), seg)]
    cols["Marital_Status"] = np.array(MARITAL, dtype=object)[_categorical(rng, np.array([x.marital for x in a]), seg)]
    income = rng.normal(_param(a, "income_mean")[seg], _param(a, "income_sd")[seg])
    income = np.clip(income, 2_000, None)
    cols["Income"] = np.rint(income).astype(np.int64)
    cols["Kidhome"] = _categorical(rng, np.array([x.kid_probs for x in a]), seg).astype(np.int64)
    cols["Teenhome"] = _categorical(rng, np.array([x.teen_probs for x in a]), seg).astype(np.int64)

    # When they joined and last bought.
    ten = np.array([x.tenure for x in a])
    tenure = rng.beta(ten[seg, 0], ten[seg, 1])
    cols["_signup_day"] = np.rint((1.0 - tenure) * SIGNUP_DAYS).astype(np.int64)  # days after FIRST_SIGNUP
    rec = np.array([x.recency for x in a])
    cols["Recency"] = np.rint(rng.beta(rec[seg, 0], rec[seg, 1]) * 99).astype(np.int64)

    # What they spend on: a total that grows with income, split by the segment's mix.
    income_mean = _param(a, "income_mean")[seg]
    log_spend = (np.log(_param(a, "spend_level")[seg]) + 0.6 * np.log(income / income_mean)
                 + rng.normal(0.0, 1.0, n) * _param(a, "spend_sd")[seg])
    total_spend = np.clip(np.exp(log_spend), 6, 2_600)
    shares = _dirichlet(rng, np.array([x.spend_mix for x in a])[seg])
    amounts = _round_amounts(total_spend, shares)
    for j, col in enumerate(SPEND_COLUMNS):
        cols[col] = amounts[:, j]

    # How they buy: purchases grow with spend (more slowly: big spenders buy bigger baskets).
    lam = (_param(a, "purchases")[seg] * (total_spend / _param(a, "spend_level")[seg]) ** 0.4
           * np.exp(rng.normal(0.0, 0.15, n)))
    purchases = np.clip(rng.poisson(np.clip(lam, 0.5, 32)), 1, 40)
    channel_p = _dirichlet(rng, np.array([x.channel_mix for x in a])[seg])
    channels = _split_counts(rng, purchases, channel_p)
    deal = _param(a, "deal_propensity")[seg]
    deal_p = rng.beta(deal * 25, (1 - deal) * 25)
    cols["NumDealsPurchases"] = rng.binomial(purchases, deal_p).astype(np.int64)
    for j, col in enumerate(CHANNEL_COLUMNS):
        cols[col] = channels[:, j]
    visits = rng.poisson(_param(a, "web_visits")[seg] * np.exp(rng.normal(0.0, 0.15, n)))
    cols["NumWebVisitsMonth"] = np.clip(visits, 0, 20).astype(np.int64)

    # Campaign answers and complaints (profiled, not clustered).
    camp = np.array([x.campaign_probs for x in a])[seg]
    answers = (rng.random((n, len(CAMPAIGN_COLUMNS))) < camp).astype(np.int64)
    for j, col in enumerate(CAMPAIGN_COLUMNS):
        cols[col] = answers[:, j]
    cols["Complain"] = (rng.random(n) < _param(a, "complain")[seg]).astype(np.int64)
    return cols


def _add_dirt(cols: dict, seg: np.ndarray, rng: np.random.Generator) -> tuple[dict, np.ndarray, dict]:
    """Real-world dirt; returns the columns, the truth (copies share their source's) and counts."""
    n = len(seg)
    order = rng.permutation(n)
    n_copy = int(round(0.02 * n)) if n >= 50 else 0
    copies, originals = order[:n_copy], order[n_copy:]
    pick = lambda k, start: originals[start:start + k]  # disjoint rows that are not copies
    n_missing = max(1, int(round(0.01 * n)))
    n_birth = min(max(1, int(round(0.0015 * n))), 50 + n // 10_000)
    n_odd = max(1, int(round(0.002 * n)))
    at = 0
    miss_rows = pick(n_missing, at); at += n_missing
    birth_rows = pick(n_birth, at); at += n_birth
    extreme_row = pick(1, at); at += 1
    odd_rows = pick(n_odd, at)

    income = cols["Income"].astype(float)
    income[miss_rows] = np.nan
    income[extreme_row] = EXTREME_INCOME
    cols["Income"] = income
    cols["Year_Birth"] = cols["Year_Birth"].copy()
    cols["Year_Birth"][birth_rows] = rng.choice(IMPLAUSIBLE_BIRTH_YEARS, size=len(birth_rows))
    cols["Marital_Status"] = cols["Marital_Status"].copy()
    cols["Marital_Status"][odd_rows] = rng.choice(np.array(ODD_MARITAL, dtype=object), size=len(odd_rows))

    # A copy repeats a source row in every column but the ID (it may come before or after it).
    truth = seg.copy()
    if n_copy:
        src = rng.choice(originals, size=n_copy, replace=True)
        for name, values in cols.items():
            if name != "ID":
                values[copies] = values[src]
        truth[copies] = truth[src]
    ms = cols["Marital_Status"]
    report = {
        "missing_income": int(np.isnan(cols["Income"]).sum()),
        "implausible_birth_years": int((cols["Year_Birth"] < 1901).sum()),
        "extreme_income": int((cols["Income"] == EXTREME_INCOME).sum()),
        "odd_marital_statuses": {s: int((ms == s).sum()) for s in ODD_MARITAL},
        "duplicated_rows": n_copy,
    }
    return cols, truth, report


def generate(n_customers: int, n_segments: int = 4, seed: int = 0, dirt: bool = False
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers drawn from the first `n_segments` archetypes, and the segment (0-based) of each.

    The frame has the columns of the bundled ``marketing_campaign.csv`` in its order; what was
    drawn (archetypes, sizes, dirt counts) is in ``df.attrs["synth"]``. Copies added as dirt carry
    the segment of the row they copy.
    """
    if not 1 <= n_segments <= len(ARCHETYPES):
        raise ValueError(f"n_segments must be 1..{len(ARCHETYPES)}, got {n_segments}")
    n = int(n_customers)
    if n < 1:
        raise ValueError(f"n_customers must be positive, got {n_customers}")
    archetypes = ARCHETYPES[:n_segments]
    rng = np.random.default_rng(seed)
    sizes = _sizes(_param(archetypes, "weight"), n)
    seg = rng.permutation(np.repeat(np.arange(n_segments), sizes))

    cols = _clean_table(n, archetypes, seg, rng)
    gaps = rng.integers(1, 6, size=n)
    cols["ID"] = rng.permutation(np.cumsum(gaps))
    report = None
    truth = seg
    if dirt:
        cols, truth, report = _add_dirt(cols, seg, rng)

    day_labels = np.array([(FIRST_SIGNUP + timedelta(days=int(d))).strftime("%d-%m-%Y")
                           for d in range(SIGNUP_DAYS + 1)], dtype=object)
    data = {}
    for name in COLUMNS:
        if name == "Dt_Customer":
            data[name] = pd.array(day_labels[cols["_signup_day"]], dtype="str")
        elif name in ("Education", "Marital_Status"):
            data[name] = pd.array(cols[name], dtype="str")
        elif name == "Income":  # whole numbers; missing (dirt) as <NA>
            data[name] = pd.array(np.asarray(cols[name], dtype=float), dtype="Float64").astype("Int64")
        elif name == "Z_CostContact":
            data[name] = np.full(n, 3, dtype=np.int64)
        elif name == "Z_Revenue":
            data[name] = np.full(n, 11, dtype=np.int64)
        else:
            data[name] = np.asarray(cols[name], dtype=np.int64)
    df = pd.DataFrame(data, columns=list(COLUMNS))
    df.attrs["synth"] = {
        "seed": seed,
        "n_segments": n_segments,
        "segments": [a.name for a in archetypes],
        "sizes": [int(s) for s in np.bincount(truth, minlength=n_segments)],
        "dirt": report or {},
    }
    return df, np.asarray(truth, dtype=np.int64)


def write(df: pd.DataFrame, path: str | Path) -> Path:
    """Write like the bundled file (tab-separated, no index, CRLF line ends, missing as empty),
    or as Parquet when the path ends with .parquet."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, sep="\t", index=False, lineterminator="\r\n")
    return path


# ================================================================ order lines
#
# Order lines in the layout of the UCI "Online Retail" file (InvoiceNo, StockCode, Description,
# Quantity, InvoiceDate, UnitPrice, CustomerID, Country), with planted customer segments that
# differ in how often and how recently they order, basket size, quantities, season and category
# mix, from a catalogue with skewed popularity and co-purchase bundles. Everything is vectorised
# over numpy arrays (no Python object per line); text columns are written as Arrow dictionaries.

LINE_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
                "Country")
CATEGORIES = ("Christmas", "Home decor", "Kitchen", "Lunch bags and boxes", "Party", "Stationery", "Garden",
              "Toys and games", "Candles and lights", "Storage", "Jewellery", "Gift wrap")
COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland",
             "Portugal", "Australia", "Norway", "Italy")
FOREIGN_WEIGHTS = (0, 18, 16, 15, 5, 5, 4, 4, 3, 3, 2, 2)  # abroad, countries in the real file's proportions
FIRST_ORDER = np.datetime64("2010-12-01T08:00")
ORDER_DAYS = 373  # to 2011-12-09
FIRST_INVOICE = 536365
POSTAGE = ("POST", "POSTAGE", 18.0)  # a fee, not a product: transactions.not_products
NOT_PRODUCTS = ("POST",)
LINE_SHARES = {  # of all lines
    "guest": 0.10,  # lines of orders without a customer id
    "cancelled": 0.017,  # lines of cancellation invoices (prefix C, negative quantity)
    "duplicate": 0.01,  # lines repeated in every column
    "postage": 0.003,  # POST lines
    "zero_price": 0.001,  # free lines (unit price 0)
}
_COLOURS = ("RED", "BLUE", "PINK", "GREEN", "IVORY", "WHITE", "BLACK", "SILVER", "GOLD", "CREAM", "PURPLE",
            "ORANGE", "YELLOW", "PASTEL", "VINTAGE", "RETRO")
_MOTIFS = ("RETROSPOT", "HEART", "STAR", "BIRD", "FLORAL", "SPOTTY", "STRIPED", "PAISLEY", "DOLLY GIRL",
           "SKULL", "REGENCY", "LOVE", "WOODLAND", "JUNGLE")
_NOUNS = {
    "Christmas": ("CHRISTMAS BAUBLE", "ADVENT CALENDAR", "CHRISTMAS STOCKING", "TREE DECORATION", "SNOWFLAKE"),
    "Home decor": ("T-LIGHT HOLDER", "PHOTO FRAME", "WALL CLOCK", "CUSHION COVER", "DOORSTOP", "COAT HANGER"),
    "Kitchen": ("TEA TOWEL", "CAKE TIN", "MUG", "BAKING SET", "APRON", "TEACUP AND SAUCER"),
    "Lunch bags and boxes": ("LUNCH BAG", "LUNCH BOX", "JUMBO BAG", "SHOPPER BAG", "CHARLOTTE BAG"),
    "Party": ("PAPER CHAIN KIT", "PARTY BUNTING", "PAPER PLATES", "NAPKINS", "CAKE CASES", "PARTY CUPS"),
    "Stationery": ("NOTEBOOK", "PENCIL SET", "GREETING CARD", "STICKER SHEET", "MEMO BOARD"),
    "Garden": ("WATERING CAN", "PLANT POT", "GARDEN MARKER", "BIRD FEEDER", "SEED TIN"),
    "Toys and games": ("SPACEBOY TOY", "JIGSAW", "SKITTLES", "PLAYING CARDS", "DOLL"),
    "Candles and lights": ("SCENTED CANDLE", "LANTERN", "NIGHT LIGHT", "STRING LIGHTS", "TEA LIGHTS"),
    "Storage": ("STORAGE TIN", "STORAGE JAR", "TRINKET BOX", "MAGAZINE RACK", "BASKET"),
    "Jewellery": ("NECKLACE", "EARRINGS", "BRACELET", "HAIR CLIP", "RING"),
    "Gift wrap": ("WRAPPING PAPER", "GIFT TAG", "GIFT BAG", "RIBBON", "GIFT BOX"),
}
_CATEGORY_PRICE = (2.5, 3.5, 3.0, 1.8, 1.2, 1.0, 3.5, 2.0, 2.5, 4.0, 1.5, 0.6)  # median unit price


@dataclass(frozen=True)
class OrderArchetype:
    """One planted segment of an order-line file. Counts are over the 373 days the file covers
    before scaling to the requested number of lines (scaling keeps the ratios between segments)."""

    name: str
    description: str
    weight: float  # relative number of customers
    orders: float  # mean orders per customer
    lines_per_order: float  # mean lines (products) per order
    quantity: float  # median units per line
    category_mix: tuple[float, ...]  # Dirichlet concentrations over CATEGORIES
    activity: tuple[float, float]  # Beta over the period of each order's date (1 = the last day)
    abroad: float  # share of customers outside the United Kingdom
    bundle_rate: float  # share of orders that hold a co-purchase bundle
    cancel_rate: float  # relative chance that an order is (partly) cancelled
    hours: tuple[int, int]  # orders are placed from the first hour to the second (24-hour clock)


#                         Xmas Home Kitch Lunch Party Stat Gard Toys Cand Stor Jewl Wrap
ORDER_ARCHETYPES: tuple[OrderArchetype, ...] = (
    OrderArchetype(
        name="Wholesale resellers",
        description="Shops buying in bulk all year: many orders of many lines and large quantities, "
                    "storage, kitchen and bags; one in five abroad.",
        weight=0.14, orders=20, lines_per_order=40, quantity=24,
        category_mix=(2, 5, 12, 12, 3, 2, 3, 2, 4, 12, 1, 2), activity=(1.0, 1.0), abroad=0.2,
        bundle_rate=0.6, cancel_rate=3.0, hours=(7, 13),
    ),
    OrderArchetype(
        name="Loyal home decorators",
        description="Regular customers ordering every month or two: home decor and candles, a few units "
                    "of each, mostly recent.",
        weight=0.26, orders=8, lines_per_order=16, quantity=4,
        category_mix=(2, 16, 3, 1, 1, 2, 2, 1, 10, 3, 2, 2), activity=(1.6, 1.0), abroad=0.08,
        bundle_rate=0.35, cancel_rate=1.0, hours=(9, 17),
    ),
    OrderArchetype(
        name="Christmas gift shoppers",
        description="One or two orders in the autumn: Christmas decorations, gift wrap and candles, "
                    "single units.",
        weight=0.24, orders=2, lines_per_order=12, quantity=2,
        category_mix=(16, 2, 1, 1, 1, 2, 1, 2, 5, 1, 3, 10), activity=(7.0, 1.3), abroad=0.05,
        bundle_rate=0.3, cancel_rate=0.8, hours=(12, 21),
    ),
    OrderArchetype(
        name="Lapsed party planners",
        description="Bought party goods, toys and stationery early in the year and have not come back; "
                    "small orders.",
        weight=0.22, orders=1.5, lines_per_order=8, quantity=6,
        category_mix=(1, 1, 1, 4, 16, 8, 1, 10, 1, 1, 2, 2), activity=(1.0, 4.0), abroad=0.06,
        bundle_rate=0.25, cancel_rate=1.0, hours=(10, 18),
    ),
    OrderArchetype(
        name="Spring gardeners",
        description="Gardening and kitchen goods in spring and summer, a few orders of mid-sized baskets.",
        weight=0.16, orders=4, lines_per_order=10, quantity=3,
        category_mix=(1, 3, 8, 1, 1, 1, 18, 1, 2, 3, 1, 1), activity=(3.0, 3.5), abroad=0.08,
        bundle_rate=0.3, cancel_rate=1.0, hours=(8, 16),
    ),
    OrderArchetype(
        name="Jewellery and trinket collectors",
        description="Frequent small orders of jewellery, stationery and trinket boxes, single units, "
                    "throughout the year.",
        weight=0.14, orders=10, lines_per_order=5, quantity=1,
        category_mix=(1, 2, 1, 1, 1, 6, 1, 1, 1, 5, 18, 3), activity=(1.3, 1.0), abroad=0.12,
        bundle_rate=0.2, cancel_rate=1.0, hours=(14, 21),
    ),
)
_GUEST_MIX = (3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3)  # lines without a customer: the overall catalogue


@dataclass(frozen=True)
class OrderLines:
    """Generated order lines: the table (Arrow, text columns as dictionaries), the catalogue, each
    customer's planted segment and what was drawn."""

    lines: object  # pyarrow.Table with LINE_COLUMNS
    products: pd.DataFrame  # StockCode, Description, Category, UnitPrice
    truth: pd.DataFrame  # customer_id, segment (0-based archetype index), planted_segment
    info: dict


def catalogue(n_products: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Products with stock codes, descriptions, categories, a base price and a popularity weight
    (Zipf-like within each category)."""
    if n_products < 2 * len(CATEGORIES):
        raise ValueError(f"n_products must be at least {2 * len(CATEGORIES)}, got {n_products}")
    rng = np.random.default_rng(seed)
    cat = np.sort(rng.integers(0, len(CATEGORIES), n_products))
    cat[: len(CATEGORIES)] = np.arange(len(CATEGORIES))  # every category has products
    cat = np.sort(cat)
    codes = rng.choice(np.arange(10_000, 100_000), n_products, replace=False)
    suffix = np.where(rng.random(n_products) < 0.15, rng.integers(0, 6, n_products), -1)
    letters = np.array(list("ABCDEF"))
    stock = [f"{c}{letters[s] if s >= 0 else ''}" for c, s in zip(codes, suffix)]
    desc, rank = [], np.empty(n_products)
    for c, name in enumerate(CATEGORIES):
        rows = np.flatnonzero(cat == c)
        nouns = _NOUNS[name]
        combos = len(_COLOURS) * len(_MOTIFS) * len(nouns)
        picks = rng.choice(combos, len(rows), replace=len(rows) > combos)
        for i, p in zip(rows, picks):
            colour, rest = divmod(int(p), len(_MOTIFS) * len(nouns))
            motif, noun = divmod(rest, len(nouns))
            desc.append(f"{_COLOURS[colour]} {_MOTIFS[motif]} {nouns[noun]}")
        rank[rows] = rng.permutation(len(rows)) + 1
    desc = [d if n == 1 else f"{d} {k}" for d, n, k in _numbered(desc)]
    price = np.round(np.array(_CATEGORY_PRICE)[cat] * np.exp(rng.normal(0, 0.5, n_products)), 2)
    return pd.DataFrame({
        "StockCode": stock, "Description": desc, "Category": np.array(CATEGORIES, dtype=object)[cat],
        "UnitPrice": np.clip(price, 0.1, None), "popularity": 1.0 / rank ** 1.1, "_category": cat,
    })


def _numbered(names: list[str]):
    """(name, times the name occurs, its occurrence number) so that repeated names can be told apart."""
    counts: dict[str, int] = {}
    for d in names:
        counts[d] = counts.get(d, 0) + 1
    seen: dict[str, int] = {}
    for d in names:
        seen[d] = seen.get(d, 0) + 1
        yield d, counts[d], seen[d]


def _bundles(cat_of: np.ndarray, popularity: np.ndarray, rng: np.random.Generator, per_category: int = 6
             ) -> tuple[np.ndarray, np.ndarray]:
    """Co-purchase bundles: 2 to 4 products of one category bought together. Returns a (b, 4)
    product matrix (-1 pads) and each bundle's category."""
    items, cats = [], []
    for c in range(len(CATEGORIES)):
        rows = np.flatnonzero(cat_of == c)
        p = popularity[rows] / popularity[rows].sum()
        for _ in range(per_category):
            size = int(rng.integers(2, 5))
            if len(rows) < size:
                continue
            members = rng.choice(rows, size, replace=False, p=p)
            items.append(np.concatenate([members, np.full(4 - size, -1)]))
            cats.append(c)
    return np.array(items, dtype=np.int64), np.array(cats, dtype=np.int64)


def _pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability proportional to weights (Efraimidis-Spirakis keys)."""
    keys = rng.exponential(size=len(weights)) / np.maximum(weights, 1e-12)
    return np.sort(np.argpartition(keys, k - 1)[:k]) if k else np.empty(0, dtype=np.int64)


def generate_orders(n_customers: int, n_lines: int | None = None, n_segments: int = 4, seed: int = 0,
                    n_products: int = 3000) -> OrderLines:
    """`n_lines` order lines (default 20 per customer) of `n_customers` customers drawn from the
    first `n_segments` of ORDER_ARCHETYPES, plus orders without a customer, cancellations,
    duplicates, postage and free lines (shares in LINE_SHARES). Same arguments, same lines."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not 1 <= n_segments <= len(ORDER_ARCHETYPES):
        raise ValueError(f"n_segments must be 1..{len(ORDER_ARCHETYPES)}, got {n_segments}")
    n = int(n_customers)
    m = int(n_lines) if n_lines is not None else 20 * n
    if n < 1:
        raise ValueError(f"n_customers must be positive, got {n_customers}")
    if m < 4 * n:
        raise ValueError(f"n_lines={m} is too few for n_customers={n}: give at least 4 lines per customer")
    arch = ORDER_ARCHETYPES[:n_segments]
    rng = np.random.default_rng(seed)
    products = catalogue(n_products, seed)
    cat_of = products["_category"].to_numpy()
    popularity = products["popularity"].to_numpy()
    bundle_items, bundle_cat = _bundles(cat_of, popularity, rng)

    counts = {k: int(round(v * m)) for k, v in LINE_SHARES.items()}
    n_base = m - counts["cancelled"] - counts["duplicate"] - counts["postage"]

    # Customers: planted segment, country, category preferences, lines and orders.
    sizes = _sizes(np.array([a.weight for a in arch]), n)
    seg = rng.permutation(np.repeat(np.arange(n_segments), sizes))
    ids = 12346 + rng.permutation(np.cumsum(rng.integers(1, 3, n)) - 1)
    abroad = rng.random(n) < np.array([a.abroad for a in arch])[seg]
    fw = np.array(FOREIGN_WEIGHTS, dtype=float)
    country = np.where(abroad, _categorical(rng, (fw / fw.sum())[None, :], np.zeros(n, dtype=np.int64)), 0)

    guest_lines = counts["guest"]
    guest_basket = 10.0
    n_guests = max(1, int(round(guest_lines / guest_basket)))
    reg_lines = n_base - guest_lines
    if reg_lines < n:
        raise ValueError(f"n_lines={m} leaves fewer lines than customers")
    intensity = (np.array([a.orders * a.lines_per_order for a in arch])[seg]
                 * np.exp(rng.normal(0.0, 0.5, n)))
    lines_c = 1 + rng.multinomial(reg_lines - n, intensity / intensity.sum())
    g_lines = 1 + rng.multinomial(guest_lines - n_guests, np.full(n_guests, 1.0 / n_guests))
    scale = reg_lines / float((np.array([a.orders * a.lines_per_order for a in arch])[seg]).sum())
    basket = np.array([a.lines_per_order for a in arch])[seg] * np.sqrt(scale) * np.exp(rng.normal(0, 0.3, n))
    orders_c = np.clip(np.rint(lines_c / np.maximum(basket, 1.0)), 1, lines_c).astype(np.int64)

    # Everyone who orders: customers, then guests (one order each; their "segment" is n_segments).
    who_seg = np.concatenate([seg, np.full(n_guests, n_segments)])
    who_lines = np.concatenate([lines_c, g_lines])
    who_orders = np.concatenate([orders_c, np.ones(n_guests, dtype=np.int64)])
    who_country = np.concatenate([country, _categorical(rng, np.array([[85] + list(FOREIGN_WEIGHTS[1:])], float),
                                                        np.zeros(n_guests, dtype=np.int64))])
    mixes = np.array([a.category_mix for a in arch] + [_GUEST_MIX], dtype=float)
    pref = _dirichlet(rng, mixes[who_seg])  # (people, categories)

    # Lines -> orders of their person: each line goes to one of the person's orders at random.
    n_people = len(who_seg)
    line_person = np.repeat(np.arange(n_people, dtype=np.int32), who_lines)
    first_order = np.concatenate([[0], np.cumsum(who_orders)[:-1]])
    local = (rng.random(len(line_person)) * who_orders[line_person]).astype(np.int64)
    order_lines = np.bincount(first_order[line_person] + local, minlength=int(who_orders.sum()))
    del local
    keep = order_lines > 0
    order_person = np.repeat(np.arange(n_people), who_orders)[keep]
    order_lines = order_lines[keep]

    # Order dates by the segment's activity over the year, times within the segment's hours.
    act = np.array([a.activity for a in arch] + [(1.0, 1.0)])
    hours = np.array([a.hours for a in arch] + [(8, 20)])
    os_ = who_seg[order_person]
    day = np.minimum((rng.beta(act[os_, 0], act[os_, 1]) * ORDER_DAYS).astype(np.int64), ORDER_DAYS)
    minute = (day * 1440 + hours[os_, 0] * 60
              + (rng.random(len(day)) * (hours[os_, 1] - hours[os_, 0]) * 60).astype(np.int64)) - 8 * 60
    order = np.argsort(minute, kind="stable")  # orders in time order
    order_person, order_lines, minute = order_person[order], order_lines[order], minute[order]
    n_orders = len(order_person)

    # Product lines, order by order.
    line_order = np.repeat(np.arange(n_orders, dtype=np.int64), order_lines)
    start = np.concatenate([[0], np.cumsum(order_lines)[:-1]])
    person = order_person[line_order]
    cum = np.cumsum(pref, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(line_order))
    cat = np.zeros(len(line_order), dtype=np.int64)
    for j in range(cum.shape[1] - 1):  # inverse CDF, one column at a time (no lines x categories matrix)
        cat += u > cum[person, j]
    del u
    bounds = np.zeros(len(CATEGORIES) + 1, dtype=np.int64)
    np.add.at(bounds, cat_of + 1, 1)
    bounds = np.cumsum(bounds)
    within = np.concatenate([np.cumsum(popularity[bounds[c]:bounds[c + 1]]) / popularity[bounds[c]:bounds[c + 1]].sum()
                             for c in range(len(CATEGORIES))])
    key = np.concatenate([c + within[bounds[c]:bounds[c + 1]] for c in range(len(CATEGORIES))])
    key[bounds[1:] - 1] = np.arange(1, len(CATEGORIES) + 1)  # exact category ends
    prod = np.searchsorted(key, cat + rng.random(len(cat)), side="left")
    prod = np.minimum(prod, bounds[cat + 1] - 1)
    del cat

    # Bundles: some orders start with a bundle of their person's favourite kind.
    bundle_rate = np.array([a.bundle_rate for a in arch] + [0.2])[who_seg[order_person]]
    has_bundle = rng.random(n_orders) < bundle_rate
    if len(bundle_items):
        fav = np.argmax(pref[order_person[has_bundle]] * rng.random((int(has_bundle.sum()), len(CATEGORIES))),
                        axis=1)
        per_cat = np.bincount(bundle_cat, minlength=len(CATEGORIES))
        first_b = np.concatenate([[0], np.cumsum(per_cat)[:-1]])
        ok = per_cat[fav] > 0
        chosen = np.full(n_orders, -1)
        chosen[np.flatnonzero(has_bundle)[ok]] = (first_b[fav[ok]]
                                                 + (rng.random(int(ok.sum())) * per_cat[fav[ok]]).astype(np.int64))
        pos = np.arange(len(line_order)) - start[line_order]
        b = chosen[line_order]
        slot = (b >= 0) & (pos < 4)
        item = np.where(slot, bundle_items[np.maximum(b, 0), np.minimum(pos, 3)], -1)
        prod = np.where(item >= 0, item, prod)
        del pos, b, slot, item
    info_bundles = int((chosen >= 0).sum()) if len(bundle_items) else 0

    # Quantities (segment's median, lognormal), prices (catalogue price, bulk discount from 24 units).
    qmed = np.array([a.quantity for a in arch] + [2.0])[who_seg[person]]
    qty = np.maximum(1, np.rint(qmed * np.exp(rng.normal(0.0, 0.6, len(prod))))).astype(np.int64)
    base_price = products["UnitPrice"].to_numpy()
    price = np.where(qty >= 24, np.round(base_price[prod] * 0.85, 2), base_price[prod])
    zero = rng.choice(len(price), counts["zero_price"], replace=False)
    price[zero] = 0.0
    n_negative = min(len(price) - counts["zero_price"], max(1, m // 2_000_000))
    negative = np.setdiff1d(rng.choice(len(price), n_negative + counts["zero_price"], replace=False), zero)[:n_negative]
    price[negative] = -price[negative]

    # Cancellations: lines of (mostly) registered customers' orders, weighted by segment, copied into a
    # C invoice a few days later with the quantity negated.
    w = np.array([a.cancel_rate for a in arch] + [0.0])[who_seg[order_person]] * order_lines
    n_cancel = counts["cancelled"]
    ranked = np.argsort(rng.exponential(size=n_orders) / np.maximum(w, 1e-12), kind="stable")
    upto = int(np.searchsorted(np.cumsum(order_lines[ranked]), 2 * n_cancel)) + 1
    c_orders = np.sort(ranked[:upto])
    in_c = np.zeros(n_orders, dtype=bool)
    in_c[c_orders] = True
    c_pool = np.flatnonzero(in_c[line_order])
    c_lines = np.sort(rng.choice(c_pool, min(n_cancel, len(c_pool)), replace=False))
    c_src_order = line_order[c_lines]
    c_uniq, c_inv_idx = np.unique(c_src_order, return_inverse=True)
    c_minute = np.minimum(minute[c_uniq] + rng.integers(30, 10 * 1440, len(c_uniq)), ORDER_DAYS * 1440 + 12 * 60)

    # Invoice numbers follow time over orders and cancellations together.
    all_minute = np.concatenate([minute, c_minute])
    rank = np.empty(len(all_minute), dtype=np.int64)
    rank[np.argsort(all_minute, kind="stable")] = np.arange(len(all_minute))
    invoice = FIRST_INVOICE + rank[:n_orders]
    c_invoice = FIRST_INVOICE + rank[n_orders:]

    # Postage lines on orders (mostly abroad), then exact duplicates of some lines.
    post_w = np.where(who_country[order_person] > 0, 20.0, 1.0)
    n_post = min(counts["postage"], n_orders)
    p_orders = _pick(rng, post_w, n_post)

    n_prod = len(prod)
    li_order_inv = np.concatenate([invoice[line_order], c_invoice[c_inv_idx], invoice[p_orders]])
    li_cancel = np.concatenate([np.zeros(n_prod, bool), np.ones(len(c_lines), bool), np.zeros(n_post, bool)])
    li_prod = np.concatenate([prod, prod[c_lines], np.full(n_post, -1)])
    li_qty = np.concatenate([qty, -qty[c_lines], rng.integers(1, 4, n_post)])
    li_price = np.concatenate([price, np.abs(price[c_lines]), np.full(n_post, POSTAGE[2])])
    li_minute = np.concatenate([minute[line_order], c_minute[c_inv_idx], minute[p_orders]])
    li_person = np.concatenate([person, person[c_lines], order_person[p_orders]])
    del line_order, person, prod, qty, price
    n_dup = m - len(li_qty)
    dup = np.sort(rng.choice(n_prod, n_dup, replace=False)) if n_dup > 0 else np.empty(0, dtype=np.int64)
    if n_dup < 0:
        raise ValueError(f"n_lines={m} is too few for the lines drawn")
    sel = np.concatenate([np.arange(len(li_qty)), dup])
    final = sel[np.lexsort((li_prod[sel], li_order_inv[sel]))]  # by invoice, like the real file
    del sel

    # The table: text columns as Arrow dictionaries over the catalogue and the countries.
    cat_codes = np.concatenate([products["StockCode"].to_numpy(dtype=object), [POSTAGE[0]]])
    cat_names = np.concatenate([products["Description"].to_numpy(dtype=object), [POSTAGE[1]]])
    pidx = li_prod[final]
    pidx = np.where(pidx < 0, len(products), pidx).astype(np.int32)
    inv_text = pc.cast(pa.array(li_order_inv[final]), pa.string())
    inv_text = pc.if_else(pa.array(li_cancel[final]), pc.binary_join_element_wise("C", inv_text, ""), inv_text)
    per = li_person[final]
    cust = np.concatenate([ids, np.zeros(n_guests, dtype=np.int64)])[per]
    ts = FIRST_ORDER + li_minute[final].astype("timedelta64[m]")
    table = pa.table({
        "InvoiceNo": inv_text,
        "StockCode": pa.DictionaryArray.from_arrays(pa.array(pidx), pa.array(cat_codes, pa.string())),
        "Description": pa.DictionaryArray.from_arrays(pa.array(pidx), pa.array(cat_names, pa.string())),
        "Quantity": pa.array(li_qty[final]),
        "InvoiceDate": pa.array(ts.astype("datetime64[s]")),
        "UnitPrice": pa.array(li_price[final]),
        "CustomerID": pa.array(cust, mask=per >= n),
        "Country": pa.DictionaryArray.from_arrays(pa.array(who_country[per].astype(np.int32)),
                                                  pa.array(COUNTRIES, pa.string())),
    })
    names = [a.name for a in arch]
    truth = pd.DataFrame({"customer_id": ids, "segment": seg,
                          "planted_segment": pd.array(np.array(names, dtype=object)[seg], dtype="str")})
    info = {
        "seed": seed, "n_segments": n_segments, "segments": names,
        "sizes": [int(s) for s in np.bincount(seg, minlength=n_segments)],
        "lines": int(table.num_rows), "orders": n_orders, "cancellation_invoices": int(len(c_uniq)),
        "cancelled_lines": int(len(c_lines)), "guest_lines": int((per >= n).sum()), "duplicate_lines": int(n_dup),
        "postage_lines": int(n_post), "zero_price_lines": int((li_price[final] == 0).sum()),
        "negative_price_lines": int((li_price[final] < 0).sum()), "bundled_orders": info_bundles,
        "bundles": [[str(cat_codes[i]) for i in row if i >= 0] for row in bundle_items],
    }
    return OrderLines(table, products.drop(columns=["popularity", "_category"]), truth, info)


def write_orders(data: OrderLines, folder: str | Path, fmt: str = "parquet") -> dict[str, Path]:
    """Write lines (``lines.parquet``, or ``lines.csv.gz`` / ``lines.tsv.gz`` like the real file),
    ``products.csv``, ``truth.csv`` and ``config.yml`` (the transactions schema) into folder."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        lines = folder / "lines.parquet"
        pq.write_table(data.lines, lines, row_group_size=1 << 20)
    elif fmt in ("csv", "tsv"):
        lines = folder / f"lines.{fmt}.gz"
        t = data.lines
        cols = {}
        for name in t.column_names:
            col = t[name]
            if name == "InvoiceDate":
                col = pc.strftime(col, format="%Y-%m-%d %H:%M")
            elif pa.types.is_dictionary(col.type):
                col = col.cast(pa.string())
            cols[name] = col
        with pa.CompressedOutputStream(str(lines), "gzip") as out:
            pacsv.write_csv(pa.table(cols), out, pacsv.WriteOptions(
                delimiter="," if fmt == "csv" else "\t", quoting_style="needed"))
    else:
        raise ValueError(f"fmt must be parquet, csv or tsv, got {fmt!r}")
    products = folder / "products.csv"
    data.products[["StockCode", "Description", "Category"]].to_csv(products, index=False)
    truth = folder / "truth.csv"
    data.truth[["customer_id", "planted_segment"]].to_csv(truth, index=False)
    cfg = {
        "transactions": {
            "path": lines.name, "customer": "CustomerID", "order": "InvoiceNo", "timestamp": "InvoiceDate",
            "product": "StockCode", "product_name": "Description", "quantity": "Quantity",
            "unit_price": "UnitPrice", "cancelled_prefix": "C", "not_products": list(NOT_PRODUCTS),
            "customer_columns": ["Country"],
        },
        "products": {"path": products.name, "product": "StockCode", "category": "Category"},
        "report": {"title": f"{len(data.truth):,} synthetic customers, {data.info['lines']:,} order lines",
                   "currency": "£"},
        "seed": 42,
    }
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return {"lines": lines, "products": products, "truth": truth, "config": config}


# ================================================================ a customer table and its order lines
#
# Planted joined segments: the first two customer archetypes (who they are) crossed with the first
# two order archetypes (what they buy), so that the table alone tells only who and the lines alone
# only what; the four segments show only when both are read together.

JOINED_TABLE_COLUMNS = ("ID", "Year_Birth", "Education", "Marital_Status", "Income", "Kidhome", "Teenhome",
                        "Dt_Customer", "NumWebVisitsMonth", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5",
                        "AcceptedCmp1", "AcceptedCmp2", "Complain", "Z_CostContact", "Z_Revenue", "Response")
JOINED_NO_LINES = 0.01  # share of the table's customers with no order line
JOINED_UNKNOWN = 0.01  # share of the lines' customers missing from the table


@dataclass(frozen=True)
class JoinedData:
    customers: pd.DataFrame  # JOINED_TABLE_COLUMNS
    orders: OrderLines  # CustomerID values are the table's ids (or unknown ones)
    truth: pd.DataFrame  # customer_id, planted_segment (customers of the table with order lines)


def generate_joined(n_customers: int, n_lines: int | None = None, seed: int = 0) -> JoinedData:
    """A customer table of `n_customers` and its order lines with 2 x 2 planted segments (see above)."""
    import pyarrow as pa

    n = int(n_customers)
    table, who = generate(n, 2, seed=seed)
    n_none = int(round(JOINED_NO_LINES * n))
    n_unknown = int(round(JOINED_UNKNOWN * n))
    n_buyers = n - n_none + n_unknown
    lines = generate_orders(n_buyers, n_lines if n_lines is not None else 20 * n_buyers, 2, seed=seed + 1)
    # The lines' customers (in random order) take the ids of the table's first rows (random too);
    # the last n_unknown get ids above every id of the table.
    ids = table["ID"].to_numpy()
    top = int(ids.max())
    new_ids = np.concatenate([ids[: n - n_none], top + 1 + np.arange(n_unknown)])
    old = lines.truth["customer_id"].to_numpy()
    lookup = pd.Series(new_ids, index=old)
    cust = lines.lines["CustomerID"]
    mapped = lookup.reindex(cust.to_numpy(zero_copy_only=False)).to_numpy()
    valid = ~np.isnan(mapped.astype(float))
    t = lines.lines.set_column(lines.lines.column_names.index("CustomerID"), "CustomerID",
                               pa.array(np.where(valid, mapped, 0).astype(np.int64), mask=~valid))
    what = lines.truth["segment"].to_numpy()[: n - n_none]
    demo_names = [a.name for a in ARCHETYPES[:2]]
    order_names = [a.name for a in ORDER_ARCHETYPES[:2]]
    planted = [f"{demo_names[d]}, {order_names[o]}" for d, o in zip(who[: n - n_none], what)]
    truth = pd.DataFrame({"customer_id": ids[: n - n_none], "planted_segment": planted})
    # The table's signup dates end where the lines end, so that tenure and recency share one clock.
    shift = (LAST_SIGNUP - date(2011, 12, 9)).days
    signup = pd.to_datetime(table["Dt_Customer"], format="%d-%m-%Y") - pd.Timedelta(days=shift)
    customers = table[list(JOINED_TABLE_COLUMNS)].assign(Dt_Customer=signup.dt.strftime("%d-%m-%Y"))
    info = {**lines.info, "table_customers": n, "without_lines": n_none, "not_in_table": n_unknown}
    return JoinedData(customers, OrderLines(t, lines.products, truth, info), truth)


def write_joined(data: JoinedData, folder: str | Path) -> dict[str, Path]:
    """customers.tsv, lines.parquet, products.csv, truth.csv and a joined config.yml into folder."""
    import yaml

    folder = Path(folder)
    paths = write_orders(data.orders, folder, "parquet")
    customers = write(data.customers, folder / "customers.tsv")
    data.truth.to_csv(paths["truth"], index=False)
    cfg = yaml.safe_load(paths["config"].read_text(encoding="utf-8"))
    cfg = {
        "customers": {"path": customers.name, "delimiter": "\\t", "encoding": "utf-8"},
        "transactions": cfg["transactions"],
        "products": cfg["products"],
        "join": {"customers": "ID", "transactions": "CustomerID", "without_orders": "keep"},
        "columns": {
            "id": "ID", "birth_year": "Year_Birth", "income": "Income", "household": ["Kidhome", "Teenhome"],
            "signup_date": "Dt_Customer", "signup_date_format": "%d-%m-%Y", "web_visits": "NumWebVisitsMonth",
            "campaigns": {"Campaign 1": "AcceptedCmp1", "Campaign 2": "AcceptedCmp2", "Campaign 3": "AcceptedCmp3",
                          "Campaign 4": "AcceptedCmp4", "Campaign 5": "AcceptedCmp5", "Latest campaign": "Response"},
            "complaints": "Complain", "contact_cost": "Z_CostContact", "revenue_per_answer": "Z_Revenue",
            "categorical": ["Education", "Marital_Status"],
        },
        "report": {"title": f"{len(data.customers):,} customers and their {data.orders.info['lines']:,} order lines",
                   "currency": "£"},
        "seed": 42,
    }
    paths["config"].write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return {**paths, "customers": customers}

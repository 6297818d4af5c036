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

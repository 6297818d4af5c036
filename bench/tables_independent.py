"""Customer tables with known segments, from generators written apart from analysis/synth.py and from
bench_selection.py's (skewed marginals, unequal sizes, groups that differ in a few columns only, RFM
groups, value levels with one channel mix, tables without structure), with column names in English,
German, Spanish or odd spellings. Used by bench_drafted.py, which drafts each with `segments init`.

    python bench/tables_independent.py GENERATOR SEED OUTDIR [--names english|german|spanish|odd] [--n N]

Writes OUTDIR/customers.csv (';' and decimal commas for German) and OUTDIR/truth.csv
(customer id, true segment; segment 0 everywhere for the no-structure generators).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

CATS = ["groceries", "wine", "meat", "electronics", "fashion", "beauty", "sports"]
CHANS = ["web", "store", "catalog"]

NAMES = {
    "english": dict(id="customer_id", birth="birth_year", edu="education", country="country",
                    income="annual_income", signup="signup_date", recency="days_since_last_purchase",
                    **{f"sp_{c}": f"spend_{c}" for c in CATS},
                    **{f"pu_{c}": f"{c}_purchases" for c in CHANS},
                    visits="web_visits_month", cmp1="accepted_cmp1", resp="response"),
    "german": dict(id="Kundennummer", birth="Geburtsjahr", edu="Bildung", country="Land",
                   income="Jahreseinkommen", signup="Anmeldedatum", recency="Tage_seit_letztem_Kauf",
                   sp_groceries="Ausgaben_Lebensmittel", sp_wine="Ausgaben_Wein", sp_meat="Ausgaben_Fleisch",
                   sp_electronics="Ausgaben_Elektronik", sp_fashion="Ausgaben_Mode", sp_beauty="Ausgaben_Kosmetik",
                   sp_sports="Ausgaben_Sport", pu_web="Kaeufe_Online", pu_store="Kaeufe_Filiale",
                   pu_catalog="Kaeufe_Katalog", visits="Webbesuche_Monat", cmp1="Kampagne1_angenommen",
                   resp="Antwort_letzte_Kampagne"),
    "spanish": dict(id="id_cliente", birth="anio_nacimiento", edu="nivel_educativo", country="pais",
                    income="ingresos_anuales", signup="fecha_alta", recency="dias_desde_ultima_compra",
                    sp_groceries="gasto_alimentacion", sp_wine="gasto_vino", sp_meat="gasto_carne",
                    sp_electronics="gasto_electronica", sp_fashion="gasto_moda", sp_beauty="gasto_belleza",
                    sp_sports="gasto_deportes", pu_web="compras_web", pu_store="compras_tienda",
                    pu_catalog="compras_catalogo", visits="visitas_web_mes", cmp1="acepto_campana1",
                    resp="respuesta"),
    "odd": dict(id="Customer ID", birth="Birth Year", edu="Education Level", country="Country",
                income="Income ($)", signup="Signup Date", recency="Days Since Last Order",
                **{f"sp_{c}": f"Spend - {c.capitalize()} ($)" for c in CATS},
                **{f"pu_{c}": f"# {c.capitalize()} Purchases" for c in CHANS},
                visits="Web Visits / Month", cmp1="Accepted Campaign 1", resp="Responded (Y/N)"),
}
DATEFMT = {"english": "%Y-%m-%d", "german": "%d.%m.%Y", "spanish": "%d/%m/%Y", "odd": "%m/%d/%Y"}


def lognorm(rng, median, sigma, size):
    return np.exp(rng.normal(np.log(median), sigma, size))


def common(rng, n, y=None, edu_p=None):
    """Columns without signal (unless edu_p per segment is given)."""
    out = {}
    out["birth"] = rng.integers(1950, 2004, n)
    if edu_p is None:
        out["edu"] = rng.choice(["Basic", "Graduation", "Master", "PhD"], n, p=[.15, .5, .25, .1])
    else:
        out["edu"] = np.array([rng.choice(["Basic", "Graduation", "Master", "PhD"], p=edu_p[s]) for s in y])
    out["country"] = rng.choice(["DE", "ES", "FR", "IT", "NL"], n, p=[.3, .25, .2, .15, .1])
    start = pd.Timestamp("2019-01-01")
    out["signup"] = start + pd.to_timedelta(rng.integers(0, 1800, n), unit="D")
    out["cmp1"] = rng.binomial(1, 0.07, n)
    return out


# ----------------------------------------------------------------- personas (behavioural)
# Each persona: income median, birth-year mean, per category (median spend, P(zero)),
# channel Poisson rates (web, store, catalog), web visits rate, recency mean (days), response rate.
PERSONAS = {
    "budget_family": dict(inc=32_000, by=1980, sp=dict(groceries=(900, 0.0), wine=(40, .6), meat=(300, .1),
                          electronics=(60, .7), fashion=(120, .4), beauty=(50, .5), sports=(40, .7)),
                          ch=(1, 14, 0.2), vis=3, rec=35, resp=.04),
    "affluent_gourmet": dict(inc=110_000, by=1962, sp=dict(groceries=(1400, 0.0), wine=(2200, .02), meat=(1300, .02),
                             electronics=(200, .5), fashion=(300, .3), beauty=(150, .4), sports=(60, .6)),
                             ch=(3, 6, 8), vis=2, rec=30, resp=.25),
    "young_digital": dict(inc=42_000, by=1997, sp=dict(groceries=(250, .1), wine=(30, .7), meat=(60, .5),
                          electronics=(350, .2), fashion=(900, .02), beauty=(500, .05), sports=(100, .5)),
                          ch=(16, 2, 0.1), vis=12, rec=20, resp=.12),
    "tech_pro": dict(inc=75_000, by=1985, sp=dict(groceries=(300, .1), wine=(150, .4), meat=(200, .3),
                     electronics=(2500, .0), fashion=(150, .4), beauty=(40, .7), sports=(150, .5)),
                     ch=(10, 5, 0.5), vis=8, rec=45, resp=.08),
    "lapsed": dict(inc=50_000, by=1975, sp=dict(groceries=(120, .3), wine=(30, .7), meat=(50, .6),
                   electronics=(40, .8), fashion=(40, .7), beauty=(20, .8), sports=(20, .8)),
                   ch=(1, 2, 0.2), vis=1, rec=420, resp=.02),
    "outdoor_sport": dict(inc=60_000, by=1983, sp=dict(groceries=(500, .05), wine=(80, .5), meat=(250, .2),
                          electronics=(150, .5), fashion=(250, .3), beauty=(60, .6), sports=(1800, .0)),
                          ch=(4, 9, 3), vis=5, rec=40, resp=.10),
}
ORDER = ["budget_family", "affluent_gourmet", "young_digital", "tech_pro", "lapsed", "outdoor_sport"]
SIZES = {2: [.6, .4], 3: [.45, .33, .22], 4: [.40, .30, .18, .12], 5: [.40, .25, .15, .12, .08],
         6: [.30, .22, .18, .12, .10, .08]}


def personas(rng, n, k, sizes=None, sigma=0.55, order=None):
    order = order or ORDER[:k]
    p = np.array(sizes or SIZES[k])
    y = rng.choice(k, size=n, p=p / p.sum())
    cols = common(rng, n)
    P = [PERSONAS[o] for o in order]
    inc = np.array([P[s]["inc"] for s in y])
    cols["income"] = np.round(lognorm(rng, 1, 0.3, n) * inc, -1)
    cols["birth"] = np.clip(np.round(rng.normal([P[s]["by"] for s in y], 8)), 1940, 2006).astype(int)
    for c in CATS:
        med = np.array([P[s]["sp"][c][0] for s in y])
        pz = np.array([P[s]["sp"][c][1] for s in y])
        v = lognorm(rng, 1, sigma, n) * med
        v[rng.uniform(size=n) < pz] = 0
        cols[f"sp_{c}"] = np.round(v, 2)
    for i, c in enumerate(CHANS):
        lam = np.array([P[s]["ch"][i] for s in y]) * rng.gamma(4, 1 / 4, n)
        cols[f"pu_{c}"] = rng.poisson(lam)
    cols["visits"] = rng.poisson(np.array([P[s]["vis"] for s in y]) * rng.gamma(5, 1 / 5, n))
    cols["recency"] = np.round(rng.gamma(2, np.array([P[s]["rec"] for s in y]) / 2)).astype(int)
    cols["resp"] = rng.binomial(1, np.array([P[s]["resp"] for s in y]))
    return cols, y


def few_columns(rng, n, k=4):
    """Segments differ only in wine spend, electronics spend and web purchases; all else one population."""
    p = np.array([.35, .3, .2, .15])[:k]
    y = rng.choice(k, size=n, p=p / p.sum())
    # positions of the k segments in (wine, electronics, web) on the log scale
    pos = np.array([[np.log(60), np.log(60), 1.0], [np.log(900), np.log(60), 1.0],
                    [np.log(60), np.log(1200), 2.6], [np.log(900), np.log(1200), 2.6]])[:k]
    cols = common(rng, n)
    cols["income"] = np.round(lognorm(rng, 55_000, 0.4, n), -1)
    for c in CATS:
        cols[f"sp_{c}"] = np.round(lognorm(rng, 250, 0.8, n), 2)
    cols["sp_wine"] = np.round(np.exp(rng.normal(pos[y, 0], 0.45)), 2)
    cols["sp_electronics"] = np.round(np.exp(rng.normal(pos[y, 1], 0.45)), 2)
    cols["pu_web"] = rng.poisson(np.exp(rng.normal(pos[y, 2], 0.2)) ** 1.0 * 3)
    cols["pu_store"] = rng.poisson(rng.gamma(3, 2, n))
    cols["pu_catalog"] = rng.poisson(rng.gamma(1, 1.5, n))
    cols["visits"] = rng.poisson(rng.gamma(4, 1.5, n))
    cols["recency"] = np.round(rng.gamma(1.5, 40, n)).astype(int)
    cols["resp"] = rng.binomial(1, 0.1, n)
    return cols, y


def wealth(rng, n, k=4):
    """Latent wealth drives income, total spend and catalog buying for everyone; segments differ in
    category mix and channel mix (and age)."""
    p = np.array([.35, .28, .22, .15])[:k]
    y = rng.choice(k, size=n, p=p / p.sum())
    mixes = np.array([[.45, .05, .3, .05, .05, .05, .05],   # food
                      [.1, .05, .05, .6, .1, .02, .08],     # tech
                      [.1, .02, .03, .05, .45, .3, .05],    # fashion/beauty
                      [.15, .35, .3, .02, .08, .05, .05]])[:k]  # wine & dine
    chmix = np.array([[.1, .8, .1], [.7, .25, .05], [.75, .2, .05], [.2, .3, .5]])[:k]
    w = rng.normal(0, 1, n)
    cols = common(rng, n)
    cols["birth"] = np.clip(np.round(rng.normal(np.array([1975, 1988, 1995, 1963])[y] - 4 * w, 7)), 1940, 2006).astype(int)
    cols["income"] = np.round(np.exp(10.8 + 0.45 * w + rng.normal(0, 0.2, n)), -1)
    total = np.exp(7.2 + 0.7 * w + rng.normal(0, 0.35, n))
    shares = np.vstack([rng.dirichlet(40 * mixes[s]) for s in y])
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(total * shares[:, i], 2)
    npur = rng.poisson(np.exp(2.5 + 0.3 * w))
    ch = np.vstack([rng.multinomial(m, chmix[s]) for m, s in zip(npur, y)])
    for i, c in enumerate(CHANS):
        cols[f"pu_{c}"] = ch[:, i]
    cols["visits"] = rng.poisson(np.exp(1.6 - 0.3 * w))
    cols["recency"] = np.round(rng.gamma(2, 25 * np.exp(-0.3 * w))).astype(int)
    cols["resp"] = rng.binomial(1, 1 / (1 + np.exp(-(-2.2 + 0.6 * w))))
    return cols, y


def nostruct_lognormal(rng, n):
    """One population: multivariate log-normal with correlations through a random covariance."""
    d = 7 + 3 + 1 + 1 + 1  # spend, channels, visits, recency, income
    a = rng.normal(size=(d, d)) * 0.3
    cov = a @ a.T + np.diag(np.full(d, 0.25))
    z = rng.multivariate_normal(np.zeros(d), cov, n)
    cols = common(rng, n)
    meds = [600, 150, 350, 300, 300, 120, 100]
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(meds[i] * np.exp(z[:, i]), 2)
    for j, c in enumerate(CHANS):
        cols[f"pu_{c}"] = rng.poisson([5, 6, 1.5][j] * np.exp(0.7 * z[:, 7 + j]))
    cols["visits"] = rng.poisson(5 * np.exp(0.6 * z[:, 10]))
    cols["recency"] = np.round(40 * np.exp(0.8 * z[:, 11])).astype(int)
    cols["income"] = np.round(52_000 * np.exp(0.5 * z[:, 12]), -1)
    cols["resp"] = rng.binomial(1, 0.1, n)
    return cols, np.zeros(n, dtype=int)


def nostruct_gradient(rng, n):
    """A continuum: engagement t in (0,1) drives everything smoothly (no groups)."""
    t = rng.beta(2, 2, n)
    cols = common(rng, n)
    cols["income"] = np.round(np.exp(10.4 + 0.9 * t + rng.normal(0, 0.3, n)), -1)
    base = [400, 100, 250, 200, 200, 80, 80]
    for i, c in enumerate(CATS):
        slope = rng.uniform(1.5, 3.5)
        cols[f"sp_{c}"] = np.round(base[i] * np.exp(slope * (t - .5) + rng.normal(0, 0.5, n)), 2)
    for j, c in enumerate(CHANS):
        cols[f"pu_{c}"] = rng.poisson([4, 5, 1][j] * np.exp(1.5 * (t - .5)) * rng.gamma(5, .2, n))
    cols["visits"] = rng.poisson(6 * np.exp(1.0 * (t - .5)) * rng.gamma(5, .2, n))
    cols["recency"] = np.round(rng.gamma(2, 60 * np.exp(-2 * (t - .5)) / 2)).astype(int)
    cols["resp"] = rng.binomial(1, 0.03 + 0.15 * t)
    return cols, np.zeros(n, dtype=int)


def niche(rng, n):
    """Three big personas and one 3% niche (wholesale-like resellers buying in bulk by catalog)."""
    sizes = [.36, .33, .28, .03]
    PERSONAS["reseller"] = dict(inc=150_000, by=1970, sp=dict(groceries=(9000, 0), wine=(6000, 0), meat=(7000, 0),
                                electronics=(3000, .1), fashion=(100, .5), beauty=(2000, .1), sports=(100, .6)),
                                ch=(2, 2, 30), vis=1, rec=10, resp=.3)
    return personas(rng, n, 4, sizes=sizes, order=["budget_family", "young_digital", "tech_pro", "reseller"])


def rfm(rng, n, k=4):
    """RFM-style segments: champions, loyal regulars, at-risk (lapsing big buyers), lost; same category mix."""
    p = np.array([.15, .35, .2, .3])[:k]
    y = rng.choice(k, size=n, p=p / p.sum())
    rec_med = np.array([8, 30, 160, 500])[y]
    freq = np.array([40, 14, 12, 2])[y]
    aov = np.array([90, 55, 70, 35])[y]
    cols = common(rng, n)
    cols["income"] = np.round(lognorm(rng, 52_000, 0.4, n), -1)
    cols["recency"] = np.round(lognorm(rng, 1, 0.35, n) * rec_med).astype(int)
    npur = 1 + rng.poisson(np.maximum(freq * rng.gamma(8, 1 / 8, n) - 1, 0))  # spend implies >= 1 purchase
    total = npur * aov * lognorm(rng, 1, 0.25, n) + rng.uniform(0, 5, n)
    mix = np.array([.35, .1, .2, .1, .12, .07, .06])
    shares = rng.dirichlet(30 * mix, n)
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(total * shares[:, i], 2)
    ch = np.vstack([rng.multinomial(m, [.35, .55, .1]) for m in npur])
    for i, c in enumerate(CHANS):
        cols[f"pu_{c}"] = ch[:, i]
    cols["visits"] = rng.poisson(rng.gamma(4, 1.2, n))
    cols["resp"] = rng.binomial(1, np.array([.25, .12, .08, .03])[y])
    return cols, y


def value_only(rng, n, k=4):
    """Segments differ only in overall scale (spend and purchases), same mix: e.g. 100 / 600 / 3,000 / 15,000."""
    p = np.array([.4, .3, .2, .1])[:k]
    y = rng.choice(k, size=n, p=p / p.sum())
    med = np.array([100, 600, 3000, 15000])[y]
    cols = common(rng, n)
    cols["income"] = np.round(lognorm(rng, 52_000, 0.4, n), -1)
    total = lognorm(rng, 1, 0.35, n) * med
    mix = np.array([.3, .12, .2, .12, .12, .07, .07])
    shares = rng.dirichlet(30 * mix, n)
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(total * shares[:, i], 2)
    npur = 1 + rng.poisson(np.array([1, 5, 17, 49])[y] * rng.gamma(10, .1, n))  # spend implies >= 1 purchase
    ch = np.vstack([rng.multinomial(m, [.35, .55, .1]) for m in npur])
    for i, c in enumerate(CHANS):
        cols[f"pu_{c}"] = ch[:, i]
    cols["visits"] = rng.poisson(rng.gamma(4, 1.2, n))
    cols["recency"] = np.round(rng.gamma(1.5, 40, n)).astype(int)
    cols["resp"] = rng.binomial(1, 0.1, n)
    return cols, y


def lifestage(rng, n, k=3):
    """Life stages: students, families, retirees; differ in age, income, category mix and channel."""
    p = np.array([.3, .45, .25])
    y = rng.choice(k, size=n, p=p)
    cols = common(rng, n)
    cols["birth"] = np.round(rng.normal(np.array([2002, 1984, 1952])[y], 2.5)).astype(int)
    cols["income"] = np.round(lognorm(rng, 1, 0.35, n) * np.array([12_000, 60_000, 30_000])[y], -1)
    mixes = np.array([[.3, .05, .05, .3, .2, .05, .05], [.4, .1, .2, .1, .1, .05, .05], [.35, .25, .2, .02, .05, .1, .03]])
    total = lognorm(rng, 1, 0.5, n) * np.array([800, 3000, 1500])[y]
    shares = np.vstack([rng.dirichlet(30 * mixes[s]) for s in y])
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(total * shares[:, i], 2)
    chmix = np.array([[.8, .15, .05], [.4, .55, .05], [.05, .6, .35]])
    npur = rng.poisson(np.array([10, 20, 12])[y] * rng.gamma(6, 1 / 6, n))
    ch = np.vstack([rng.multinomial(m, chmix[s]) for m, s in zip(npur, y)])
    for i, c in enumerate(CHANS):
        cols[f"pu_{c}"] = ch[:, i]
    cols["visits"] = rng.poisson(np.array([12, 5, 1.5])[y] * rng.gamma(5, .2, n))
    cols["recency"] = np.round(rng.gamma(1.5, 30, n)).astype(int)
    cols["resp"] = rng.binomial(1, np.array([.05, .1, .15])[y])
    return cols, y


def nostruct_counts(rng, n):
    """One population with small counts and exponential-like spend (gamma shape ~1), independent columns."""
    cols = common(rng, n)
    cols["income"] = np.round(rng.gamma(6, 9000, n), -1)
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(rng.gamma(1.2, [300, 80, 150, 120, 100, 60, 50][i], n), 2)
    for j, c in enumerate(CHANS):
        cols[f"pu_{c}"] = rng.poisson([2.5, 3.5, 0.6][j], n)
    cols["visits"] = rng.poisson(3, n)
    cols["recency"] = rng.integers(0, 120, n)
    cols["resp"] = rng.binomial(1, 0.1, n)
    return cols, np.zeros(n, dtype=int)


def nostruct_2d(rng, n):
    """Two independent continuous latent traits (wealth, digital affinity) drive everything; no groups."""
    w = rng.normal(0, 1, n)
    dg = rng.uniform(-1, 1, n)
    cols = common(rng, n)
    cols["birth"] = np.clip(np.round(1980 + 12 * dg + rng.normal(0, 8, n)), 1940, 2006).astype(int)
    cols["income"] = np.round(np.exp(10.8 + 0.45 * w + rng.normal(0, .2, n)), -1)
    base = [500, 150, 300, 250, 250, 100, 100]
    dig = [-0.5, -0.8, -0.4, 1.0, 0.8, 0.6, 0.2]
    for i, c in enumerate(CATS):
        cols[f"sp_{c}"] = np.round(base[i] * np.exp(0.6 * w + dig[i] * dg + rng.normal(0, .5, n)), 2)
    cols["pu_web"] = rng.poisson(5 * np.exp(1.2 * dg + 0.2 * w))
    cols["pu_store"] = rng.poisson(6 * np.exp(-1.0 * dg + 0.2 * w))
    cols["pu_catalog"] = rng.poisson(1.2 * np.exp(-0.8 * dg + 0.5 * w))
    cols["visits"] = rng.poisson(4 * np.exp(1.0 * dg))
    cols["recency"] = np.round(rng.gamma(2, 25 * np.exp(-0.3 * w))).astype(int)
    cols["resp"] = rng.binomial(1, 0.1, n)
    return cols, np.zeros(n, dtype=int)


def two_fewcols(rng, n):
    """Two segments (65/35) differing only in web vs store purchasing; everything else one population."""
    y = (rng.uniform(size=n) < .35).astype(int)
    cols, _ = nostruct_counts(rng, n)
    cols["pu_web"] = rng.poisson(np.where(y == 1, 12, 0.7) * rng.gamma(8, 1 / 8, n))
    cols["pu_store"] = rng.poisson(np.where(y == 1, 1, 10) * rng.gamma(8, 1 / 8, n))
    cols["visits"] = rng.poisson(np.where(y == 1, 10, 2) * rng.gamma(8, 1 / 8, n))
    return cols, y


def niche6(rng, n):
    sizes = [.35, .32, .27, .06]
    niche(rng, 1)  # registers the reseller persona
    return personas(rng, n, 4, sizes=sizes, order=["budget_family", "young_digital", "tech_pro", "reseller"])


GENERATORS = {
    "personas4": lambda r, n: personas(r, n, 4),
    "personas5": lambda r, n: personas(r, n, 5),
    "personas6": lambda r, n: personas(r, n, 6),
    "two": lambda r, n: personas(r, n, 2, order=["budget_family", "young_digital"]),
    "fewcols4": lambda r, n: few_columns(r, n, 4),
    "wealth4": lambda r, n: wealth(r, n, 4),
    "nostruct_lognormal": nostruct_lognormal,
    "nostruct_gradient": nostruct_gradient,
    "niche3p3": niche,
    "niche6p": niche6,
    "rfm4": lambda r, n: rfm(r, n, 4),
    "value4": lambda r, n: value_only(r, n, 4),
    "lifestage3": lambda r, n: lifestage(r, n, 3),
    "personas5_noisy": lambda r, n: personas(r, n, 5, sigma=0.9),
    "personas6_small": lambda r, n: personas(r, n, 6),
    "nostruct_counts": nostruct_counts,
    "nostruct_2d": nostruct_2d,
    "two_fewcols": two_fewcols,
}
DEFAULT_N = {"personas4": 3000, "personas5": 4000, "personas6": 6000, "two": 1500, "fewcols4": 2500,
             "wealth4": 4000, "nostruct_lognormal": 3000, "nostruct_gradient": 2500, "niche3p3": 5000, "niche6p": 5000, "rfm4": 3500, "value4": 3000, "lifestage3": 2000,
             "personas5_noisy": 5000, "personas6_small": 1500, "nostruct_counts": 2000, "nostruct_2d": 4000,
             "two_fewcols": 2000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("generator", choices=list(GENERATORS))
    ap.add_argument("seed", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--names", default="english", choices=list(NAMES))
    ap.add_argument("--n", type=int)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    n = a.n or DEFAULT_N[a.generator]
    cols, y = GENERATORS[a.generator](rng, n)
    names = NAMES[a.names]
    ids = rng.choice(np.arange(100_000, 999_999), n, replace=False)
    cols["id"] = ids
    cols["signup"] = pd.DatetimeIndex(cols["signup"]).strftime(DATEFMT[a.names])
    order = ["id", "birth", "edu", "country", "income", "signup", "recency", *[f"sp_{c}" for c in CATS],
             *[f"pu_{c}" for c in CHANS], "visits", "cmp1", "resp"]
    df = pd.DataFrame({names[c]: cols[c] for c in order})
    if a.names == "odd":
        df[names["resp"]] = np.where(df[names["resp"]] == 1, "Y", "N")
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    if a.names == "german":
        df.to_csv(out / "customers.csv", sep=";", index=False, decimal=",")
    else:
        df.to_csv(out / "customers.csv", index=False)
    pd.DataFrame({"customer_id": ids, "truth": y}).to_csv(out / "truth.csv", index=False)
    (out / "meta.json").write_text(json.dumps({"generator": a.generator, "seed": a.seed, "n": n,
                                               "names": a.names, "true_k": int(len(np.unique(y)))}))
    print(out, n, np.bincount(y) / n)


if __name__ == "__main__":
    main()

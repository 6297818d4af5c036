"""Column names as a reader would say them: 'Marital_Status' -> 'Marital status'.

Units in brackets are kept as written ('Annual Income (k$)' -> 'Annual income (k$)'), and a few
names that say nothing as words get a label of their own ('Z_CostContact' -> 'Cost per contact').
"""
from __future__ import annotations

import re

KNOWN = {
    "z_costcontact": "Cost per contact",
    "z_revenue": "Revenue per answer",
    "dt_customer": "Date of signing up",
    "numwebvisitsmonth": "Web visits per month",
}


# ISO codes of currencies, as amounts and column names write them (cleaning and drafts read them too).
CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "BRL", "JPY", "INR", "RUB", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
                  "PLN", "CZK", "HUF", "RON", "MXN", "ZAR", "CNY", "HKD", "SGD", "TRY", "ILS", "KRW")
UNIT_CODES = set(CURRENCY_CODES) - {"TRY", "RON", "ILS"}  # as a name's last word these are words ('last_try')
UNITS = {"gb": "GB", "mb": "MB", "kb": "KB", "tb": "TB", "kg": "kg", "km": "km", "pct": "%", "qty": "quantity",
         "avg": "average", "num": "number of", "cnt": "count", "txn": "transactions", "txns": "transactions",
         "rev": "revenue", "disc": "discount", "tot": "total", "dt": "date", "acq": "acquisition"}  # ('nb' is French as often: 'nb_commandes' stays 'Nb commandes')
KEEP_CAPITALS = {"ID", "SKU", "ARPU", "KPI", "VIP", "URL", "API", "EU", "UK", "US", "USA", "IBAN", "EAN", "UPC", "SIM", "IP",
                 "ISO", "GPS", "ATM", "POS", "ROI", "AOV", "CAC", "NPS", *CURRENCY_CODES}
PERIODS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


def deliberate_capitals(words: list[str]) -> bool:
    """Some later words capitalised and some not ('Tage seit letztem Kauf', German nouns): the capitals
    are the writer's. Every later word capitalised is title case ('Marital Status'), read in lower case."""
    later = [w for w in words[1:] if w[:1].isalpha() and not (len(w) > 1 and w.isupper())]
    return any(w[:1].isupper() for w in later) and any(w[:1].islower() for w in later)


def plain(column: str) -> str:
    """A readable label for a column name (see the module docstring)."""
    text = str(column).strip()
    if not text:
        return text
    known = KNOWN.get(re.sub(r"[\s_-]+", "_", text).lower())
    if known:
        return known
    unit = ""
    m = re.search(r"\s*([(\[][^)\]]*[)\]])\s*$", text)
    if m:
        text, unit = text[: m.start()], " " + m.group(1)
    # 'L12M', 'l90d' (after a separator, or L after a lower-case word): the last 12 months, the last 90 days
    text = re.sub(r"(?:(?<=[_\s-])[lL]|(?<=[a-z])L)(\d+)([dwmyDWMY])(?![A-Za-z])",
                  lambda m: f" last {m.group(1)} {PERIODS[m.group(2).lower()]}", text)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)  # camelCase -> camel Case
    words = re.sub(r"[_\s]+", " ", words).strip()
    if not words:
        return str(column)
    parts = words.split(" ")
    # A name in capitals throughout (BALANCE_FREQUENCY, CUST_ID) is written loud, not in acronyms: there only
    # words without a vowel (TRX, MRR, LTV) and a few known ones stay capitals.
    loud = not re.search(r"[a-z]", words) and sum(ch.isalpha() for ch in words) >= 3

    def acronym(p: str) -> bool:
        return len(p) > 1 and p.isupper() and (not loud or p in KEEP_CAPITALS or not re.search(r"[AEIOUY]", p))
    # Lower case but for acronyms (two or more capitals) and the first word's first letter; a name that
    # capitalises some later words and not others (Tage_seit_letztem_Kauf) means its capitals: kept.
    mixed = not re.search(r"[a-z0-9][A-Z]", text) and deliberate_capitals(parts)  # camelCase capitals are no choice
    parts = [p if acronym(p) or (mixed and i) else p.lower() for i, p in enumerate(parts)]
    # A currency code or a size unit at the end is a unit (monthly_fee_usd -> 'Monthly fee (USD)'),
    # units inside are written as units (data_gb_last_90d -> 'Data GB last 90 days').
    if not unit and len(parts) > 1 and parts[-1].upper() in UNIT_CODES:
        unit = f" ({parts.pop().upper()})"
    parts = [UNITS.get(p, p) for p in parts]
    parts = [p for i, p in enumerate(parts) if not (p == "of" and i and parts[i - 1].endswith(" of"))]  # NumOfProducts
    if len(parts) > 1 and parts[0] == "n" and not parts[1][:1].isdigit():
        parts[0] = "number of"  # n_txn, n_orders: a count
    parts = [re.sub(r"^(\d+)([dwmy])$", lambda m: f"{m.group(1)} {PERIODS[m.group(2)]}", p) for p in parts]
    first = parts[0]
    parts[0] = first[:1].upper() + first[1:]
    return " ".join(parts) + unit

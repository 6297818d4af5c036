"""Numbers formatted for people. Every string a page shows comes through here."""
from __future__ import annotations

import math

from .labels import FALSE_WORDS, TRUE_WORDS, german


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def integer(x) -> str:
    return "–" if _bad(x) else f"{round(x):,}"


def public_count(n: int, min_size: int) -> str:
    """A count of customers as public pages give it: under the minimum group size, not exactly."""
    return f"fewer than {integer(min_size)}" if 0 < n < min_size else integer(n)


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 rule', '2 rules', '1,234 orders': a whole number and its noun in agreement."""
    return f"{integer(n)} {word if n == 1 else plural or word + 's'}"


def number(x, digits: int = 1) -> str:
    if _bad(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def percent(x, digits: int = 0) -> str:
    """0.153 -> '15%'; small shares keep one decimal so they do not read as zero."""
    if _bad(x):
        return "–"
    if digits == 0 and 0 < abs(x) < 0.01:
        digits = 1
    if 0 < x and round(x * 100, digits) == 0:  # 1 missing value in 3,000: some, not none
        return f"<{10 ** -digits:.{digits}f}%"
    return f"{x * 100:.{digits}f}%"


def money(x, currency: str = "$", digits: int = 0) -> str:
    """An amount with its currency: before it ('$1,250', 'CHF 1,250'), or after it when the currency
    starts with a space (' zł': '1,250 zł', as złoty, koruna, forint, leu and crowns are written)."""
    if _bad(x):
        return "–"
    x = round(x, digits) + 0.0  # so that -0.4 shows as $0, not -$0
    sign = "-" if x < 0 else ""
    if currency[:1].isspace():  # a no-break space: '10,141' and 'zł' stay on one line
        return f"{sign}{abs(x):,.{digits}f}\u00a0{currency.lstrip()}"
    return f"{sign}{currency}{abs(x):,.{digits}f}"


def signed(x, digits: int = 1) -> str:
    """Standardised difference: '+0.8', '-1.2', '0.0' (never '-0.0' or '+0.00')."""
    if _bad(x):
        return "–"
    s = f"{x:+.{digits}f}"
    return s[1:] if float(s) == 0 else s  # '+0.0' and '-0.0' both read as 0.0


def lift(x) -> str:
    """A rule's lift, with the decimals that tell it from 1 (1.04 is no '1.0', which reads as no lift)."""
    if _bad(x):
        return "–"
    digits = next((d for d in (1, 2) if f"{x:.{d}f}" != f"{1:.{d}f}"), 3)
    return number(x, digits)


def ratio(x) -> str:
    return "–" if _bad(x) else f"{x:.2f}×"


def by_kind(x, kind: str, currency: str = "$") -> str:
    """A feature value by its kind (see FeatureDoc.kind)."""
    if kind == "money":  # small amounts keep their cents: $3.37 and $2.81 must not both read $3
        return money(x, currency, 2 if not _bad(x) and abs(x) < 10 else 0)
    if kind in ("money_k", "money_10k"):  # an amount in thousands ($88k, $1.5k) or ten thousands (¥1,230万)
        return "–" if _bad(x) else money(x, currency, 1 if abs(x) < 10 else 0) + ("k" if kind == "money_k" else "万")
    if kind in ("share", "flag"):
        return percent(x)
    if kind in ("years", "months", "days"):
        if _bad(x):
            return "–"
        shown = number(x, 0)
        return f"{shown} {kind[:-1] if shown in ('1', '-1') else kind}"  # 1 month, 0 months, 2 months
    if kind == "count":
        return number(x, 1)
    # Other measures keep about three significant digits: 72.5 months, 3.47 products, 0.84.
    return number(x, 2 if _bad(x) or abs(x) < 10 else 1 if abs(x) < 100 else 0)


def p_value(p) -> str:
    if _bad(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def md(text) -> str:
    """Text that pandoc and Quarto markdown show as written (see escaping.markdown)."""
    from .escaping import markdown

    return markdown(text)


def yaml_str(text) -> str:
    """A double-quoted YAML scalar."""
    import json

    return json.dumps(str(text), ensure_ascii=False)


def shares(values, digits: int = 0) -> list[str]:
    """Shares of one whole as percentages that add up to the rounded total (largest remainder):
    [0.336, 0.334, 0.33] -> ['34%', '33%', '33%'], not 34 + 34 + 33 = 101. Equal remainders are
    rounded alike (all up only when most of them must be), so equal shares always read the same:
    three thirds are 33% each, adding up to 99%. A set holding a share under 1% gets one decimal
    throughout, so that no share reads as zero and the set's decimals agree. Missing values show
    as '–' and take no part in the rounding."""
    known = [v for v in values if not _bad(v)]
    if digits == 0 and any(0 < abs(v) < 0.01 for v in known):
        digits = 1
    scale = 100 * 10 ** digits
    exact = [v * scale for v in known]
    floors = [math.floor(x) for x in exact]
    left = round(sum(exact)) - sum(floors)
    remainders = [round(x - f, 9) for x, f in zip(exact, floors)]
    for rem in sorted(set(remainders), reverse=True):
        if left <= 0:
            break
        tied = [i for i, r in enumerate(remainders) if r == rem]
        if 2 * left > len(tied):
            for i in tied:
                floors[i] += 1
        left -= len(tied)
    it = iter(floors)
    return ["–" if _bad(v) else f"{next(it) / 10 ** digits:.{digits}f}%" for v in values]


def plain_number(x, significant: int = 4) -> str:
    """A number for a CSV cell: `significant` digits, never in scientific notation
    (72912.3 -> '72910', 0.0000123 -> '0.0000123'), no '-0'."""
    from decimal import Decimal

    if _bad(x):
        return ""
    text = format(Decimal(f"{float(x):.{significant}g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def offer_on(offer: str, on: str) -> str:
    """'Cross-sell offer on wine'; an offer that already says what it is on ('a trial of your premium
    range', 'on what they already buy') is not put on 'your usual range' too, and a save offer before
    customers leave is about their staying, not on any range."""
    if offer.startswith("Retention"):
        return offer
    said = " range" in offer or " on " in offer
    return offer if on.lower() == "your usual range" and said else f"{offer} on {on}"


def equal_size(sizes) -> str:
    """'equal' where the groups' sizes differ by one at most (an indivisible remainder), else
    'about equal': tiers keep tied values together, so they may differ by more."""
    return "equal" if max(sizes) - min(sizes) <= 1 else "about equal"


def mid_sentence(text: str) -> str:
    """Text that began a sentence, placed inside one: its first letter in lower case, unless its first
    word is an acronym ('FFP tier', 'BP sum', 'MRR': not 'fFP tier') or the text German, whose nouns keep
    their capitals ('Umsatz 2023 (€)')."""
    first = text.split(" ", 1)[0]
    if (len(first) > 1 and first[1:2].isupper()) or german(text.split(" ")):
        return text
    return text[:1].lower() + text[1:]


def category_value(value: str, values) -> str:
    """A value of a profiled category as a reader takes it: a column of 0/1 or yes/no answers in any
    of the drafts' languages shows them as 'yes' and 'no' ('Is active member: no', 'Newsletter: yes',
    not ': 0' or ': ja'); others as written. Single letters are left alone: N and S may be regions."""
    def answer(v: str) -> str | None:
        v = str(v).strip().lower()
        if len(v) < 2 and v not in ("0", "1"):
            return None
        return "yes" if v in TRUE_WORDS else "no" if v in FALSE_WORDS else None
    known = [answer(v) for v in values if v not in ("", "Other", "Unknown")]
    return answer(value) if known and all(known) and answer(value) else value

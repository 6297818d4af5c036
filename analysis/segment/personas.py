"""Buyer personas: a name and a description made from each segment's numbers, recommendations
derived by stated rules, and an analyst's overrides that follow a segment across re-runs.

Overrides are matched to segments by profile (the segment means of the clustering features), not
by number, so a renamed segment keeps its name when a re-run numbers it differently.
"""
from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy.optimize import linear_sum_assignment

from .. import formatters as fmt
from ..labels import FOREIGN, GERMAN, PERIOD_WORDS, deliberate_capitals, folded, german, plain, readable
from ..config import read_yaml
from ..errors import UserError
from ..ingest.season import month_before
from .features import DAYS_PER_MONTH, SEASON_FEATURE
from .profiles import PER_ORDER, Profile

THRESHOLD = 0.5  # standardised difference from the average needed to call something a trait
MIN_FOCUS_SHARE = 0.05  # a product category leads the advice only if it takes at least this share of spend
MIN_CROSS_SHARE = 0.02  # a category is cross-sold only to a segment that already gives it this share of spend
MIN_CROSS_GAP = 0.2  # ... and whose share of it is this many sd below average (Cohen's small effect): a gap to fill
MIN_CHANNEL_SHARE = 0.10  # a channel is advised only if it carries at least this share of purchases
LAPSE_GAPS = 2.0  # lapsing: the last purchase further back than this many of their own gaps between orders
LAPSED_GAPS = 4.0  # lapsed (named so): further back than this many
CYCLE_ORDERS = 1.5  # their own gap is measured only where the average customer of the segment ordered this often
# Times the average from which a difference reads "higher" and "much higher" (or its inverse
# "lower"), whatever the spread: on a skewed measure $393 against $135 is under 0.5 sd, yet no
# reader would call it a little higher.
RATIO, MUCH_RATIO = 1.5, 2.0
# A segment bringing at least this many times its share of customers in value is where the value is:
# its offer is premium, and the overview says to invest in it.
VALUE_RATIO = 1.5
Z95 = 1.96  # a share beyond chance: this many standard errors above the average
MIN_INDEX = 1.2  # index (segment share / average share) that makes a category or channel stand out
MAJORITY = 0.5  # ... else the largest category leads only with at least this share of the segment's spend
MATCH_DISTANCE = 0.75  # an override applies to a segment whose profile is this close (sd units, RMS)

# Words for a segment well above (+) or below (-) the average customer on a scale feature.
ADJECTIVES = {
    "income": ("Affluent", "Lower-income"),  # not "budget": a low income may still spend freely (Mall customers)
    "total_spend": ("High-spending", "Low-spending"),
    "total_units": ("High-volume", "Low-volume"),  # order lines without prices
    "age": ("Older", "Younger"),
    "tenure_months": ("Long-standing", "Newer"),
    "recency_days": ("Lapsing", "Recently active"),
    "purchases": ("Frequent", "Occasional"),
    "orders": ("Frequent", "Occasional"),
    "avg_purchase": ("Big-ticket", "Small-ticket"),  # order value; "basket" would read as products per order
    "avg_order_value": ("Big-ticket", "Small-ticket"),
    "basket_size": ("Wide-basket", "Narrow-basket"),
    "orders_at_weekends": ("Weekend", "Weekday"),
    "orders_in_the_morning": ("Morning", ""),  # not mornings: afternoons or evenings, so no word
    "orders_in_the_evening": ("Evening", "Daytime"),
    SEASON_FEATURE: ("Seasonal", ""),  # not seasonal is what most customers are: no word
    "deal_share": ("Deal-seeking", "Full-price"),
    "children": ("", "Child-free"),
    "web_visits": ("Web-browsing", "Rarely online"),
}
CHANNEL_PHRASES = {"web": "buying online", "online": "buying online", "internet": "buying online",
                   "catalog": "buying by catalog", "catalogue": "buying by catalogue", "store": "buying in store",
                   "shop": "buying in store", "phone": "buying by phone", "app": "buying in the app"}
# The same channels as the other languages the drafts read name them (folded): a name reads in one language.
CHANNEL_PHRASES.update({
    **dict.fromkeys(("ligne", "en ligne", "enligne", "sitio web", "sito web", "webshop", "webwinkel",
                     "onlineshop", "en linea", "em linha"), "buying online"),
    **dict.fromkeys(("magasin", "en magasin", "boutique", "tienda", "en tienda", "loja", "na loja", "negozio",
                     "in negozio", "winkel", "in de winkel", "laden", "filiale", "geschaft", "im laden"),
                    "buying in store"),
    **dict.fromkeys(("katalog", "catalogo", "par catalogue", "por catalogo"), "buying by catalog"),
    **dict.fromkeys(("telefon", "telephone", "telefono", "telefone", "par telephone", "por telefono"), "buying by phone"),
})
UNASSIGNED_NAME = "Unassigned: in no dense group"
# Features an order gives: a customer without one has none of them (zero, or recency set to the
# whole history), so they describe no habit of a segment most of whose customers never ordered.
ORDER_FEATURES = ("orders", "total_spend", "total_units", *(f for f in PER_ORDER if f != SEASON_FEATURE))
HABIT_MOMENTS = {"orders_at_weekends": "sent at weekends", "orders_in_the_morning": "sent in the morning",
                 "orders_in_the_evening": "sent in the evening"}

NAMING_RULE = (
    f"A persona's name is made from the segment's numbers: up to two adjectives for the scale features on "
    f"which it differs most from the average customer (at least {THRESHOLD} standard deviations: income, "
    "spend, age, tenure, recency, frequency, order value, deal share, time of ordering, season; on spend and "
    f"other amounts the advice does not read in sd also a mean {RATIO:g} times the average's or less than its 1/{RATIO:g} where the "
    "segment's median is as far from the average customer's, since the largest buyers set a skewed mean), a noun for the product category whose "
    "share of spend (of units, from order lines without prices) is most above average ('wine lovers'; 'wine buyers' "
    "where half the segment or more has bought "
    "once; 'families' or 'bargain hunters' when children or "
    "deals stand out instead; 'customers' when nothing does), and the sales channel most above average "
    "('buying by catalog'). A segment whose last purchase is long ago is named 'Lapsing' first (the win-back "
    f"rule below), 'Lapsed' when it is more than {LAPSED_GAPS:g} of their own gaps between orders back. A newer "
    f"segment (tenure {THRESHOLD} sd below average) is not named for low spend: spend adds up over the time one has "
    "been a customer, so a short relationship explains it (the onboarding rule below). A segment half of which or more "
    "has bought once is not called frequent, however far above average its orders are. Habits only an order "
    "has (basket, order value, category shares, time of ordering, recency) are compared among customers with an order "
    "where the table also holds customers without one. Names are unique: a clash takes the next adjectives."
)
RECOMMENDATION_RULES = (
    f"Channel and product focus: the channel (category) whose share of the segment's purchases (spend) is most "
    f"above average, by at least {THRESHOLD} sd, as in the name; else the highest index (segment share / average "
    f"share x 100) of at least {MIN_INDEX:g} times the larger of 100 and the segment's typical index (the median of "
    f"its indices weighted by its shares); both with at least {MIN_CHANNEL_SHARE:.0%} of purchases "
    f"({MIN_FOCUS_SHARE:.0%} of spend); else the largest (a category only with at least {MAJORITY:.0%} of their spend; "
    f"else their usual range). Without purchases per channel, the value of a channel-like column (acquisition "
    f"channel, lead source) that at least {MAJORITY:.0%} of the segment holds, {MIN_INDEX:g} times its share of all "
    f"customers or more. Revenue shares are shares of units bought where the order lines carry no price. "
    f"Offer, the first that applies: retention (where a churn column is given, the share who "
    f"left at least {RATIO:g} times the share of the other customers who left, beyond chance at the sizes of both; "
    "then timing now), win-back (recency {THRESHOLD} "
    f"sd above and, where their own rhythm is known, more than {LAPSE_GAPS:g} of their gaps between orders; such a "
    f"segment's name starts with 'Lapsing' or 'Lapsed'; its customers who ordered no longer ago than the average "
    "customer's median stay on the regular cycle, and those without an order get a first-order offer), premium (revenue share at least "
    f"{VALUE_RATIO:g} times the customer share, as a follow-up of each purchase rather than loyalty rewards when orders or "
    f"purchases are {THRESHOLD} sd below average or half the segment or more has bought once (a median of 1); without spend, a spending score or else income {THRESHOLD} sd above "
    f"average), discount or bundle (deal "
    f"share {THRESHOLD} sd above), basket-building (revenue share at most half "
    f"the customer share though orders or purchases are {THRESHOLD} sd above), a pre-season reminder (revenue share "
    f"at most half the customer share and most of their orders in a season, as for the timing below: they buy for "
    f"the season, not to be onboarded however recent their first order), onboarding (revenue share at most half "
    f"the customer share and newer: tenure {THRESHOLD} sd below and at most {1 / RATIO:.0%} of the average, with "
    f"revenue per month as customers at least {1 / VALUE_RATIO:.0%} of the average's, so that the short relationship "
    f"explains the low revenue; a value paid per period or averaged, as a monthly fee or an annual premium, is compared "
    f"as it is), step-up "
    f"(revenue share at most half the customer share), upsell (without spend, a spending score {THRESHOLD} sd below "
    f"with income {THRESHOLD} sd above), low-cost entry (without spend, a spending score or else income {THRESHOLD} sd "
    f"below), else a cross-sell offer on the category "
    f"whose share is most below average, by {MIN_CROSS_GAP} sd or more, among those taking at least "
    f"{MIN_CROSS_SHARE:.0%} of their spend (a "
    f"category they hardly buy is no cross-sell: nothing shows they want it; without categories, or none below, a "
    f"standard offer). Timing: now if lapsing; before their season if most of their orders fall in it and "
    f"their share there is {THRESHOLD} sd above average (order lines over two years or more); early if newer "
    f"(tenure {THRESHOLD} sd below and at most {1 / RATIO:.0%} of the average, and revenue per month as customers at "
    f"least {1 / VALUE_RATIO:.0%} of the average's where spend is known), with the next campaign if they answer 1.3 times as often as average, unless a "
    "paid contact is expected to lose, after a first order if half the segment or more has bought once, else the "
    "regular cycle; from order lines, at "
    f"weekends, mornings or evenings when they order then {THRESHOLD} sd more. Paid contact: the segment's customers "
    "in the contact list (response model), else the whole segment if its expected profit per contact is positive; "
    "free channels for the rest."
)


# ---------------------------------------------------------------- names

PROPER = ("christmas", "easter", "halloween", "valentine", "hanukkah", "diwali", "ramadan", "eid",
          *(calendar.month_name[m].lower() for m in range(1, 13)), *(d.lower() for d in calendar.day_name))


def names_cased(labels: dict[str, str]) -> bool:
    """The input writes capitals inside its category names ('Fleisch & Wurst', 'Home Decor'), or
    one of them is German: then capitals are part of its names (German nouns), kept in running
    text; names written in sentence case ('Candles and lights') read in lower case."""
    parts = [_part(v) for k, v in labels.items() if k.startswith("share_")]
    # A German name among them ('Süßwaren') says the others are German nouns too ('Getränke'), and so do
    # German column names ('Jahreseinkommen', 'Webbesuche pro Monat' beside 'Lebensmittel', 'Mode').
    return (any(w[:1].isupper() and w[1:].islower() for part in parts for w in part.split()[1:])
            or german([w for part in parts for w in part.split()]) or in_words_of(labels, GERMAN))


def in_words_of(labels: dict[str, str], vocabulary: set[str]) -> bool:
    """Two different words of the vocabulary among the labels' words: the table's columns are named in
    that language (one alone may be an English word: 'alter', 'die')."""
    words = {folded(w) for v in labels.values() for w in re.split(r"[\W_]+", v) if w}
    return len(words & vocabulary) >= 2


def as_written(labels: dict[str, str]) -> bool:
    """The columns are named in another language: its category names are its nouns, made singular by no
    English rule ('Alimentos lovers', not 'alimento lovers')."""
    return in_words_of(labels, FOREIGN)


def category(part: str, cased: bool) -> str:
    """A category name in running text, as names_cased decides."""
    return part if cased else lower(part)


def lower(words: str) -> str:
    """A label in running text: lower case, but for names of holidays ('Christmas decorations') and
    acronyms and units ('Monthly fee (USD)' -> 'monthly fee (USD)', 'Data GB' -> 'data GB'), and the
    later words of a label whose capitals are deliberate ('Days since Last Purchase' -> 'days since Last Purchase');
    a German label as written, its nouns capitalised wherever they stand ('Retouren', 'Tage seit letztem Kauf')."""
    if german(words.split(" ")):
        return words
    if deliberate_capitals(words.split(" ")):
        head, _, rest = words.partition(" ")
        return f"{lower(head)} {rest}"

    def keep(w: str) -> bool:
        letters = re.sub(r"[^\w]", "", w)
        w = re.sub(r"^[^\w]+|[^\w']+$", "", w.lower())  # '(November' and 'December)' are month names
        # A capital after a small letter is a brand's own spelling ('WhatsApp', 'eBay'), kept.
        return ((w[:-2] if w.endswith("'s") else w) in PROPER or (len(letters) > 1 and letters.isupper())
                or re.search(r"[a-z][A-Z]", letters) is not None)
    return " ".join(w if keep(w) else w.lower() for w in words.split(" "))


# Plurals in -ves whose singular is not the word less its s.
IRREGULAR = {"knives": "knife", "shelves": "shelf", "leaves": "leaf", "loaves": "loaf", "halves": "half",
             "wolves": "wolf", "scarves": "scarf", "wives": "wife", "calves": "calf", "hooves": "hoof",
             "clothes": "clothes", "sales": "sales", "series": "series", "species": "species"}


def _singular(words: str, cased: bool = False, written: bool = False) -> str:
    """'Wines' -> 'wine', 'Meat products' -> 'meat product', 'Accessories' -> 'accessory', 'Knives'
    -> 'knife' (before 'lovers'); of a path of categories ('Home > Kitchen > Knives'), the last.
    `cased`: capitals kept (see names_cased); `written`: not made singular (see as_written)."""
    w = category(re.split(r"\s+[>/|»]\s+", words.strip())[-1], cased)
    if written:
        return w
    if len([x for x in w.split() if len(x) > 3 and x.lower().endswith("s")]) > 1:
        return w  # plural in every word ('utilidades domesticas'): a language whose adjectives agree, kept
    head, _, last = w.rpartition(" ")
    if last.lower() in IRREGULAR:
        return f"{head} {IRREGULAR[last.lower()]}".strip()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes", "zzes")) and len(w) > 5:  # 'watches', 'brushes', 'boxes'
        return w[:-2]
    keep = ("ss", "us", "is", "mas", "ics", "news")  # 'glass', 'Christmas', 'electronics' stay as they are
    return w[:-1] if w.endswith("s") and not w.endswith(keep) and len(w) > 3 else w


# Catch-all categories say nothing about a segment: they never name one.
CATCH_ALL = {"other", "others", "misc", "miscellaneous", "other categories", "uncategorised", "uncategorized",
             "unknown", "all products"}


def bought(c: Context) -> str:
    """What the input measures buying in, and so what a category share is a share of: spend, or units
    where the order lines have no prices."""
    return "units" if c.value_word == "units bought" else "spend"


def _part(label: str) -> str:
    """'Share of spend: Wines' -> 'Wines'."""
    return label.split(": ", 1)[1] if ": " in label else label


def _adjective(feature: str, label: str, effect: float, german_nouns: bool = False) -> str:
    """`german_nouns`: the columns are named in German, whose nouns keep their capitals ('low Einkünfte')."""
    if feature.startswith(("share_", "channel_")) or abs(effect) < THRESHOLD:
        return ""
    if feature == "deal_share" and effect > 0:
        return ""  # the noun: 'bargain hunters'
    plain = re.sub(r"\s*\([^)]*\)", "", label).strip()
    plain = plain if german_nouns else lower(plain)  # 'Spending Score (1-100)' -> 'spending score'
    # The period every such column covers says nothing of the segment: 'high logins', not 'high logins 30 days'.
    plain = " ".join(PERIOD_WORDS.sub(" ", plain).split()) or plain
    hi, lo = ADJECTIVES.get(feature, (f"High {plain}", f"Low {plain}"))
    return hi if effect > 0 else lo


def never_ordered(means: dict[str, float]) -> bool:
    """Most of the segment's customers have no order: orders are whole numbers, so a mean below 0.5
    means more than half of them are 0."""
    return "orders" in means and means["orders"] < 0.5


def _never(p: Profile) -> bool:
    return never_ordered({s.feature: s.mean for s in p.stats})


ONCE = "_bought_once"  # in a segment's means for its name: 1 where half of it or more has bought once


def bought_once(p: Profile) -> str | None:
    """The count of orders (or purchases) whose median in the segment is 1, if any: half of its
    customers or more have bought once at most, so they have no buying rhythm to follow and no
    repeat buying to reward (a share of one-time buyers no mean can tell)."""
    return next((s.feature for s in p.stats if s.feature in ("orders", "purchases") and s.median == 1), None)


def _without_orders(feature: str) -> bool:
    """A feature that says something of customers who never ordered (not one only orders give)."""
    return feature not in ORDER_FEATURES and not feature.startswith(("share_", "channel_"))


def wide_orders(effects: dict[str, float]) -> bool:
    """Order value and products per order both well above (or both well below) average: the orders are
    larger (smaller) because they hold more (fewer) products, which is what the basket's width says."""
    value, width = effects.get("avg_order_value", 0.0), effects.get("basket_size", 0.0)
    return abs(value) >= THRESHOLD and abs(width) >= THRESHOLD and value * width > 0


def channel_phrase(channel: str, buyers: bool = False) -> str:
    """'buying online', 'buying through WhatsApp'; after 'buyers', without its 'buying' ('wine buyers online')."""
    phrase = CHANNEL_PHRASES.get(folded(channel), f"buying through {lower(channel)}")
    return phrase.removeprefix("buying ") if buyers else phrase


def short_relationship(effects: dict[str, float]) -> bool:
    """Tenure THRESHOLD sd below average with spend (or units) below it too: low spend that a short
    time as a customer explains, not small buyers (spend adds up over the months one buys)."""
    return effects.get("tenure_months", 0) <= -THRESHOLD and (
        effects.get("total_spend", 0) < 0 or effects.get("total_units", 0) < 0)


def name_segment(effects: dict[str, float], labels: dict[str, str], skip: int = 0,
                 means: dict[str, float] | None = None) -> str:
    """A name from standardised differences; `skip` passes over the strongest adjectives to break ties.
    With the segment's `means`, a category (channel) names it only if it takes at least
    MIN_FOCUS_SHARE of spend (MIN_CHANNEL_SHARE of purchases), as the advice requires. A segment
    most of whose customers never ordered is named so, without a habit only orders would show."""
    means = means or {}
    if never_ordered(means):
        effects = {f: e for f, e in effects.items() if _without_orders(f)}
    if effects.get("recency_days", 0) >= THRESHOLD and means and not lapsing(effects["recency_days"], means):
        effects = {f: e for f, e in effects.items() if f != "recency_days"}  # on their own cycle: not "lapsing"
    if means.get(ONCE):  # half of them or more bought once: more orders than customers who never ordered, not frequent
        effects = {f: e for f, e in effects.items() if not (f in ("orders", "purchases") and e > 0)}
    if wide_orders(effects):  # larger orders of more products, not of pricier ones: no "big-ticket"
        effects = {f: e for f, e in effects.items() if f != "avg_order_value"}
    if short_relationship(effects):  # spend adds up over tenure: newer customers have had less time to spend
        effects = {f: e for f, e in effects.items() if f not in ("total_spend", "total_units")}
    if effects.get("orders_in_the_morning", 0) >= THRESHOLD:  # fewer evening orders then: 'Morning', not 'Morning, daytime'
        effects = {f: e for f, e in effects.items() if not (f == "orders_in_the_evening" and e < 0)}
    # Lapsing decides the advice (a win-back), so it leads the name whatever else is stronger.
    late = effects.get("recency_days", 0) >= THRESHOLD and bool(means)
    if late and effects.get("tenure_months", 0) > 0:  # their tenure runs on through their absence: not long-standing
        effects = {f: e for f, e in effects.items() if f != "tenure_months"}
    ranked = sorted(effects.items(), key=lambda kv: (not (late and kv[0] == "recency_days"), -abs(kv[1]), kv[0]))
    # One word once: 'logins 7 days' and 'logins 30 days' both read 'high logins'.
    nouns = in_words_of(labels, GERMAN)
    adjs = list(dict.fromkeys(a for a in (_adjective(f, labels[f], e, nouns) for f, e in ranked) if a))[skip: skip + 2]
    if late and adjs[:1] == ["Lapsing"] and lapsed(means):
        adjs[0] = "Lapsed"
    loved = named_category(effects, labels, means)
    channels = [(e, f) for f, e in ranked if f.startswith("channel_") and e >= THRESHOLD
                and _part(labels[f]).lower() not in CATCH_ALL and means.get(f, 1.0) >= MIN_CHANNEL_SHARE]
    if loved:
        # One purchase makes a buyer of a category, not a lover of it.
        noun = _singular(_part(labels[loved]), names_cased(labels), as_written(labels))
        noun = f"{noun} {'buyers' if means.get(ONCE) else 'lovers'}"
        if effects.get("children", 0) >= THRESHOLD:
            noun += " with children"
    elif effects.get("children", 0) >= THRESHOLD:
        noun = "families"
    elif effects.get("deal_share", 0) >= THRESHOLD:
        noun = "bargain hunters"
    else:
        noun = "customers"
    tail = " without orders" if never_ordered(means) else ""
    if channels:
        ch = _part(labels[max(channels)[1]])
        tail = " " + channel_phrase(ch, buyers=noun.endswith("buyers"))
    if not adjs:
        head = "Typical customers" if noun == "customers" else noun[0].upper() + noun[1:]
        return head + tail
    # Only the first letter of a later adjective: the rest is cased already ('high MRR', 'December buyers')
    return ", ".join([adjs[0]] + [fmt.mid_sentence(a) for a in adjs[1:]]) + f" {noun}{tail}"


def named_category(effects: dict[str, float], labels: dict[str, str], means: dict[str, float]) -> str | None:
    """The share of spend a name's 'lovers' come from: the one furthest above its average (THRESHOLD sd
    or more), of a real category, taking at least MIN_FOCUS_SHARE of the segment's spend."""
    shares = [(e, f) for f, e in effects.items() if f.startswith("share_") and e >= THRESHOLD
              and _part(labels[f]).lower() not in CATCH_ALL and means.get(f, 1.0) >= MIN_FOCUS_SHARE]
    return max(shares)[1] if shares else None


def unique_names(effects: list[dict[str, float]], labels: dict[str, str],
                 means: list[dict[str, float]] | None = None,
                 plain: list[dict[str, float]] | None = None) -> list[str]:
    """Names from the naming effects; a name taken already tries the next adjectives, then the segment's
    `plain` effects in sd (a tenure 0.8 sd below average, under 1.5 times apart, names no 'newer' segment
    unless two would be 'Typical customers'), and only then a number ('Typical customers (2)')."""
    def words(name: str) -> frozenset[str]:  # 'Newer, recently active' and 'Recently active, newer' clash
        return frozenset(re.split(r"[,\s]+", name.lower()))

    names: list[str] = []
    for i, eff in enumerate(effects):
        m = means[i] if means else None
        taken = {words(n) for n in names}
        name, skip = name_segment(eff, labels, means=m), 1
        while words(name) in taken and skip < 4:
            name, skip = name_segment(eff, labels, skip, m), skip + 1
        if words(name) in taken and plain:
            name = next((x for x in (name_segment(plain[i], labels, k, m) for k in range(3))
                         if words(x) not in taken), name)
        if words(name) in taken:
            name = f"{name} ({i + 1})"
        names.append(name)
    return names


# ---------------------------------------------------------------- personas

@dataclass(frozen=True)
class Recommendation:
    channel: str
    channel_why: str
    offer: str
    offer_why: str
    product_focus: str
    product_why: str
    timing: str
    timing_why: str
    contact: bool | None  # a paid contact is advised for some customers (None without campaign economics)
    plan: tuple[str, ...]  # campaign design, KPIs to track, when to review
    contacts: int | None = None  # the segment's customers in the contact list (None without a response model)
    channel_basis: str = ""  # why the channel: "apart", "index" or "largest" (see Pick), or "origin"
    product_basis: str = ""
    offer_on: str = ""  # what the offer is on, as the plan writes it: the category to cross-sell, else the focus


@dataclass(frozen=True)
class Persona:
    segment: int
    name: str
    generated_name: str
    description: str
    traits: tuple[str, ...]  # the strongest differences, with numbers against the average customer
    notes: str  # the analyst's, from the overrides file
    overridden: bool
    recommendation: Recommendation
    fingerprint: dict[str, float]  # segment means of the clustering features, to recognise it later


@dataclass(frozen=True)
class OverrideMatch:
    entry: int  # position in the overrides file, from 1
    name: str | None
    segment: int | None  # None: no segment was close enough
    distance: float | None


@dataclass(frozen=True)
class Context:
    """What personas are made from besides the profiles (plain numbers from other stages)."""

    labels: dict[str, str]  # feature -> label
    kinds: dict[str, str]  # feature -> kind
    clustering: tuple[str, ...]
    currency: str
    latest_rate: dict[int, float | None]  # segment -> answer rate to the latest campaign
    overall_latest_rate: float | None
    latest_name: str | None
    profit_per_contact: dict[int, float]  # segment -> expected profit of contacting one customer
    break_even_rate: float | None
    # From the response model: segment -> its customers in the contact list, and their expected profit.
    contacts: dict[int, int] = dataclasses.field(default_factory=dict)
    contact_profit: dict[int, float] = dataclasses.field(default_factory=dict)
    value_word: str = "revenue"  # what the value shares are of: revenue, or units bought (lines without prices)
    min_size: int = 0  # public pages describe no group of fewer customers (the contact list's part of a segment)
    # segment -> its shares of customers and of revenue as every page shows them (build_personas)
    shown: dict[int, tuple[str, str]] = dataclasses.field(default_factory=dict)
    # Whether tenure counts from the first order, so that tenure less recency over the orders is their
    # rhythm (own_gap); a joined table's own signup date may be years before the first order.
    rhythm: bool = True
    # The value is paid per period or averaged (features.spend_is_rate), not summed over the relationship:
    # newer customers' revenue is then not low for being newer.
    spend_rate: bool = False


@dataclass(frozen=True)
class Pick:
    """The category or channel advised for a segment, and why."""

    feature: str
    share: float  # the segment's mean share
    average: float  # the average customer's
    index: float | None  # share / average (None when the average is 0)
    basis: str  # "apart": >= THRESHOLD sd above average (the one the name uses); "index": >= MIN_INDEX; "largest"


def _index(s) -> float | None:
    return s.mean / s.overall_mean if s.overall_mean > 0 else None


def _typical_index(stats) -> float:
    """The index of the segment's typical unit of spend (the median of the indices weighted by the
    segment's shares), at least 1. An index stands out against this, not only against 1: a segment
    that buys little of one category has every other index raised alike, and none of those stands out."""
    pairs = sorted((i, s.mean) for s in stats if (i := _index(s)) is not None and s.mean > 0)
    half, seen = sum(w for _, w in pairs) / 2, 0.0
    for i, w in pairs:
        seen += w
        if seen >= half:
            return max(1.0, i)
    return 1.0


def pick(p: Profile, prefix: str, labels: dict[str, str], min_share: float) -> Pick | None:
    """What sets the segment apart among the `prefix` shares (see RECOMMENDATION_RULES)."""
    stats = [s for s in p.stats if s.feature.startswith(prefix) and _part(labels[s.feature]).lower() not in CATCH_ALL]
    if not stats:
        return None
    apart = [s for s in stats if s.effect >= THRESHOLD and s.mean >= min_share]
    indexed = [s for s in stats if s.mean >= min_share and (_index(s) or 0.0) >= MIN_INDEX * _typical_index(stats)]
    if apart:
        best, basis = max(apart, key=lambda s: (s.effect, s.feature)), "apart"
    elif indexed:
        best, basis = max(indexed, key=lambda s: (_index(s), s.feature)), "index"
    else:
        best, basis = max(stats, key=lambda s: (s.mean, s.feature)), "largest"
    return Pick(best.feature, best.mean, best.overall_mean, _index(best), basis)


def _pick_why(x: Pick, what: str) -> str:
    """'21% of their spend against 12% on average (index 178)'."""
    digits = 1 if fmt.percent(x.share) == fmt.percent(x.average) else 0
    text = f"{fmt.percent(x.share, digits)} of their {what} against {fmt.percent(x.average, digits)} on average"
    if x.index is not None:
        text += f" (index {x.index * 100:.0f})"
    if x.basis == "largest":
        text += f"; no {'channel' if what == 'purchases' else 'category'} stands out, so the largest leads"
    return text


def _value(c: Context, feature: str, x: float) -> str:
    return fmt.by_kind(x, c.kinds[feature], c.currency)


def _with_digits(x: float, kind: str, currency: str, digits: int) -> str:
    if kind in ("money", "money_k", "money_10k"):
        return fmt.money(x, currency, digits) + {"money_k": "k", "money_10k": "万"}.get(kind, "")
    if kind in ("share", "flag"):
        return fmt.percent(x, digits)
    if kind in ("years", "months", "days"):
        return f"{fmt.number(x, digits)} {kind}"
    return fmt.number(x, digits + 1)


def _pair(c: Context, feature: str, x: float, y: float) -> tuple[str, str]:
    """Two values of a feature, with as many more digits (up to 2) as it takes to tell them apart."""
    a, b = _value(c, feature, x), _value(c, feature, y)
    for digits in (1, 2):
        if a != b:
            break
        a, b = (_with_digits(v, c.kinds[feature], c.currency, digits) for v in (x, y))
    return a, b


SMALL_EFFECT = 0.2  # Cohen's small effect: a feature nearer the average than this (in sd) is no trait to show


def _traits(p: Profile) -> list[str]:
    """The segment's traits: features at least SMALL_EFFECT sd from the average (value tiers of a
    table without segments differ in little but their value: 44.6 years against 45.0 is no trait),
    without those only orders give when most of it never ordered."""
    def apart(s) -> bool:  # or RATIO times the average, as a reader sees a skewed measure
        times = s.mean / s.overall_mean if s.mean > 0 and s.overall_mean > 0 else 1.0
        return abs(s.effect) >= SMALL_EFFECT or max(times, 1 / times) >= RATIO
    shown = [f for f in p.traits if apart(p.stat(f))]
    return [f for f in shown if _without_orders(f)] if _never(p) else shown


CATEGORY_MAJORITY = 0.5  # a category value most of a segment holds ...
CATEGORY_TRAITS = 2  # ... is one of its traits (at most this many)


def category_traits(c: Context, p: Profile) -> tuple[str, ...]:
    """Profiled categories that set the segment apart: the value most of it holds (at least
    CATEGORY_MAJORITY) where at most 1 / RATIO as large a share of all customers does ('Channel: 2 for
    100% of them against 30% of all customers'), held by at least the minimum group size. Pooled and
    missing values say nothing of who they are."""
    out = []
    for mix in p.categories:
        value, share = max(mix.shares.items(), key=lambda kv: (kv[1], kv[0]), default=(None, 0.0))
        overall = mix.overall.get(value, 0.0)
        if value in (None, "", "Other", "Unknown") or share < CATEGORY_MAJORITY or share < RATIO * overall * (1 - 1e-9) \
                or share * p.size < c.min_size:
            continue
        shown = fmt.category_value(value, {**mix.overall, **mix.shares})
        out.append((share / max(overall, 1e-9), f"{plain(mix.column)}: {shown} for {fmt.percent(share)} of them "
                                                f"against {fmt.percent(overall)} of all customers"))
    return tuple(text for _, text in sorted(out, key=lambda x: -x[0])[:CATEGORY_TRAITS])


def _with_categories(numbers: list[str], categories: tuple[str, ...]) -> tuple[str, ...]:
    """The two strongest numeric traits, then the categories that set the segment apart, then the
    rest: cards show the first three, so a segment that is all one kind says so there."""
    return tuple(numbers[:2]) + categories + tuple(numbers[2:])


def _ratio(s) -> float | None:
    return s.mean / s.overall_mean if s.mean >= 0 and s.overall_mean > 0 else None  # none at all: ratio 0


def _reads_apart(s) -> bool:
    """A trait whose words say more than 'a little' higher or lower."""
    return not how_different(s.effect, _ratio(s)).startswith(("a little", "the same"))


def trait_text(c: Context, p: Profile, feature: str) -> str:
    s = p.stat(feature)
    a, b = _pair(c, feature, s.mean, s.overall_mean)
    how = how_different(s.effect, _ratio(s))
    if by_ratio(s) and typical_median(s):  # the middle customer is no different: said beside the means
        a_med, b_med = _pair(c, feature, s.median, s.overall_median)
        how += (f" on average, but a median of {a_med} against {b_med}" if a_med != b_med else
                f" on average, but the same median, {_value(c, feature, s.median)}")
    return f"{c.labels[feature]}: {a} against {b} on average ({how})"


MUCH = 1.0  # standardised differences from here on read "much higher" / "much lower"


# Measures the advice reads in sd (newer, lapsing, frequent, affluent, wide baskets ...) and 0/1 answers.
SD_RULED = ("tenure_months", "recency_days", "orders", "purchases", "income", "spending_score", "basket_size",
            "avg_order_value", "web_visits", "deal_share", "churned", "complaints", "campaigns_accepted", SEASON_FEATURE)


def apparent_effect(s) -> float:
    """The difference a reader is told of a measure, in sd: its effect, but at least THRESHOLD where the
    segment's mean is RATIO times the average or less than its 1 / RATIO, as the words of how_different
    read it ($543 against $1,850 on a skewed spend is 0.3 sd, yet 'much lower': no 'typical' segment),
    unless its median is the average customer's (typical_median).
    Shares and 0/1 answers keep their effect (6% against 3% of spend is no trait to name), and so do the
    measures whose rules read sd (SD_RULED), so that a name never claims what its advice does not act on."""
    if not by_ratio(s) or typical_median(s):
        return s.effect
    return float(np.copysign(THRESHOLD, s.effect))


def by_ratio(s) -> bool:
    """The measure reads apart by the ratio of its means alone: RATIO times the average or less than its
    1 / RATIO, under THRESHOLD sd, on a measure no rule reads in sd."""
    if s.feature.startswith(("share_", "channel_", "orders_")) or s.feature in SD_RULED:
        return False
    if s.overall_mean <= 0 or s.mean < 0 or s.effect == 0 or abs(s.effect) >= THRESHOLD:
        return False
    return s.mean == 0 or max(s.mean / s.overall_mean, s.overall_mean / s.mean) >= RATIO


def typical_median(s) -> bool:
    """The segment's median customer is the average customer's median, within RATIO times either way, though
    its mean reads apart: on a skewed measure the few largest values set the mean, so the middle third by
    spend has a third of the average's mean spend and the median one. No name calls it low-spending."""
    if s.median <= 0 or s.overall_median <= 0:
        return False
    return max(s.median / s.overall_median, s.overall_median / s.median) < RATIO


def how_different(effect: float, ratio: float | None = None) -> str:
    """A difference in words, for readers (the methodology page keeps the numbers): at least MUCH
    sd or MUCH_RATIO times (or its inverse) 'much higher', at least THRESHOLD sd or RATIO times
    'higher', otherwise 'a little higher'. `ratio`: segment mean / overall mean, the latter positive
    (0: none of it against some)."""
    word = "higher" if effect > 0 else "lower"
    if effect == 0:
        return "the same"
    times = float("inf") if ratio == 0 else max(ratio, 1 / ratio) if ratio else 1.0
    if abs(effect) >= MUCH or times >= MUCH_RATIO:
        return f"much {word}"
    return word if abs(effect) >= THRESHOLD or times >= RATIO else f"a little {word}"


def _top(p: Profile, prefix: str, skip=lambda feature: False) -> tuple[str, float] | None:
    stats = [s for s in p.stats if s.feature.startswith(prefix) and not skip(s.feature)]
    if not stats:
        return None
    best = max(stats, key=lambda s: (s.mean, s.feature))
    return best.feature, best.mean


def _shares(c: Context, p: Profile) -> tuple[str, str]:
    """The segment's shares of customers and of revenue as the pages show them (each set rounded to
    add up to 100%), so that a persona's text never reads 29% where its page says 28%."""
    if p.id in c.shown:
        return c.shown[p.id]
    return fmt.percent(p.share_customers), fmt.percent(p.share_value)


def _describe(c: Context, p: Profile) -> str:
    cust, revenue = _shares(c, p)
    value = f", bringing {revenue} of {c.value_word}" if p.share_value is not None else ""
    parts = [f"{fmt.integer(p.size)} customers ({cust} of all){value}."]
    strong = [f for f in _traits(p) if abs(apparent_effect(p.stat(f))) >= THRESHOLD][:3]
    if strong:
        phrases = []
        for f in strong:
            s = p.stat(f)
            a, b = _pair(c, f, s.mean, s.overall_mean)
            label = c.labels[f]
            if c.kinds[f].startswith("money") and c.currency.strip():  # 'CHF 41,724' says the unit already
                label = re.sub(rf"\s*\((?:k\s*)?{re.escape(c.currency.strip())}\)", "", label)
            said = _compare(f, label, c.kinds[f], s.effect > 0, names_cased(c.labels), bought(c))
            # A label that ends in its own brackets ('spending score (1-100)') is not followed by more.
            phrases.append(f"{said} at {a} against {b}" if said.endswith(")") else f"{said} ({a} against {b})")
        parts.append("Compared with the average customer they show " + _join(phrases) + ".")
    elif _never(p):  # their orders set them far apart (said below); nothing else does
        parts.append(f"Beyond their orders they are within {THRESHOLD:g} standard deviations of the average customer "
                     "on every feature.")
    elif not any(_reads_apart(p.stat(f)) for f in _traits(p)):  # never beside a trait that reads 'higher'
        parts.append(f"They are within {THRESHOLD:g} standard deviations of the average customer on every feature.")
    catch_all = lambda f: _part(c.labels[f]).lower() in CATCH_ALL  # noqa: E731
    cat, ch = _top(p, "share_", skip=catch_all), _top(p, "channel_")
    pooled = _top(p, "share_", skip=lambda f: not catch_all(f))  # 'Other categories', 'Uncategorised'
    if cat and cat[1] <= 0:  # no spend on any named category: none is theirs
        cat = None
    # The largest named category, said so where a catch-all takes more of their spend.
    named_only = bool(pooled and cat and pooled[1] > cat[1])
    if _never(p):
        o = p.stat("orders")
        parts.append(f"Most of them have never ordered: {fmt.number(o.mean, 2)} orders per customer against "
                     f"{fmt.number(o.overall_mean, 2)} on average.")
        cat = ch = None
    if p.without_orders and not _never(p):
        parts.append(_without_orders_said(c, p))
    if cat:
        # Means of each customer's share, not the segment's pooled share: said "on average".
        parts.append(f"On average they put {fmt.percent(cat[1])} of their {bought(c)} on {category(_part(c.labels[cat[0]]), names_cased(c.labels))}"
                     + (", their largest named category" if named_only else ", their largest category")
                     + ("," if ch else ""))
        if ch:
            parts[-1] += f" and make {fmt.percent(ch[1])} of their purchases through the " \
                         f"{lower(_part(c.labels[ch[0]]))} channel"
        parts[-1] += "."
        if named_only:
            parts.append(f"{fmt.percent(pooled[1])} of their {bought(c)} goes to {lower(_part(c.labels[pooled[0]]))}.")
        # A name's 'lovers' of another category than the largest: the share that names them, beside it.
        loved = named_category({s.feature: s.effect for s in p.stats}, c.labels, {s.feature: s.mean for s in p.stats})
        if loved and loved != cat[0] and p.stat(loved).overall_mean > 0:
            s = p.stat(loved)
            parts.append(f"Their {fmt.percent(s.mean)} on {category(_part(c.labels[loved]), names_cased(c.labels))} is "
                         f"{fmt.number(s.mean / s.overall_mean, 1)} times the average share ({fmt.percent(s.overall_mean)}).")
    if any(s.feature == "churned" for s in p.stats):
        s = p.stat("churned")
        left, average = _pair(c, "churned", s.mean, s.overall_mean)
        parts.append(f"{left} of them have left ({lower(c.labels['churned'])}), against {average} of all customers.")
    rate = c.latest_rate.get(p.id)
    if rate is not None and c.overall_latest_rate is not None:
        which = "the latest campaign" + ("" if (c.latest_name or "").lower() in ("", "latest campaign")
                                         else f" ({c.latest_name})")
        parts.append(f"{fmt.percent(rate)} of them answered {which}, against {fmt.percent(c.overall_latest_rate)} "
                     "of all customers.")
    return " ".join(parts)


def _without_orders_said(c: Context, p: Profile) -> str:
    """The segment's customers without an order, which its name and habits do not describe: placed here by
    their other columns (a joined table's). Fewer than the public group size is not counted on the pages."""
    n = p.without_orders
    many = f"{fmt.integer(n)} of them ({fmt.percent(n / p.size)})" if n >= c.min_size else \
        f"Fewer than {fmt.integer(c.min_size)} of them"
    one = n == 1 and n >= c.min_size
    return (f"{many} {'has' if one else 'have'} not ordered yet: {'it is' if one else 'they are'} placed here by "
            "the other columns, and the order habits described are those of the rest.")


def _compare(feature: str, label: str, kind: str, above: bool, cased: bool = False, of: str = "spend") -> str:
    """'a larger share of spend on wines', 'higher income', 'more purchases'; `of`: what shares are of."""
    if feature.startswith("share_"):
        return f"a {'larger' if above else 'smaller'} share of {of} on {category(_part(label), cased)}"
    if feature.startswith("channel_"):
        return f"a {'larger' if above else 'smaller'} share of purchases through {lower(_part(label))}"
    # 'more family size' and 'fewer number of products' are no English.
    if kind == "count" and re.search(r"\b(size|length)\b", label, re.I):
        return f"{'larger' if above else 'smaller'} {lower(label)}"
    if kind == "count" and re.search(r"\b(count|number|total)\b", label, re.I):
        return f"{'higher' if above else 'lower'} {lower(label)}"
    if kind == "count":
        return f"{'more' if above else 'fewer'} {lower(label)}"
    if kind == "share" and label.startswith("Orders "):  # a habit: 'a larger share of orders at weekends'
        return f"a {'larger' if above else 'smaller'} share of orders {lower(label.removeprefix('Orders '))}"
    return f"{'higher' if above else 'lower'} {lower(label)}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _effect(p: Profile, feature: str) -> float:
    return p.stat(feature).effect if any(s.feature == feature for s in p.stats) else 0.0


def rhythm_means(p: Profile, c: Context) -> dict[str, float]:
    """The segment's means as own_gap reads them: tenure counted from the first order (the months since
    it where the input has them beside a signup date); none where unknown (no rhythm of their own)."""
    means = {s.feature: s.mean for s in p.stats}
    if "first_order_months" in means:
        means["tenure_months"] = means["first_order_months"]
    elif not c.rhythm:
        means.pop("tenure_months", None)
    return means


def own_gap(means: dict[str, float]) -> float | None:
    """Days between a segment's orders, from its averages: the span from the first order to the last
    (tenure less recency) over the orders after the first. None without those measures, or where
    most of its customers ordered once (no rhythm of their own to compare with)."""
    if not all(f in means for f in ("orders", "tenure_months", "recency_days")) or means["orders"] < CYCLE_ORDERS:
        return None
    return max(means["tenure_months"] * DAYS_PER_MONTH - means["recency_days"], 0.0) / (means["orders"] - 1)


def lapsing(recency_effect: float, means: dict[str, float]) -> bool:
    """Their last purchase is longer ago than most customers' and, where their own rhythm is known,
    beyond LAPSE_GAPS of their gaps between orders (for a customer who buys at a steady rate the
    time since the last order averages one gap: being twice as late is the exception, e^-2). A segment most
    of whose orders fall in one season buys once a year: its gap is at least a year (gift buyers 350 days
    after last December are on time, not lapsing)."""
    gap = own_gap(means)
    if means.get(SEASON_FEATURE, 0.0) >= MAJORITY:
        gap = max(gap or 0.0, 12 * DAYS_PER_MONTH)
    return recency_effect >= THRESHOLD and (gap is None or means["recency_days"] > LAPSE_GAPS * gap)


# Categorical columns that say how a customer came or is reached (acquisition channel, lead source, UTM medium).
ORIGIN_COLUMN = r"channel|source|medium|acquisition|acquired|utm|canal|kanal|herkunft|origine|origen|bron|fonte" \
    r"|provenienza|akquise|acquisizione|adquisicion|aquisicao"


def origin_columns(p: Profile) -> list:
    """The segment's mixes of channel-like categorical columns (acquisition channel, lead source)."""
    return [m for m in p.categories if re.search(ORIGIN_COLUMN, re.sub(r"[^a-z]", "", m.column.lower()))]


def channel_of_origin(p: Profile) -> tuple[str, str] | None:
    """Without purchases per channel: the value of a channel-like categorical column (acquisition
    channel, lead source) that most of the segment holds, at least MIN_INDEX times its share of all
    customers: (channel, why). The value as the input writes it, made readable."""
    best = None
    for mix in origin_columns(p):
        for value, share in mix.shares.items():
            overall = mix.overall.get(value, 0.0)
            if (str(value).lower() in CATCH_ALL or str(value).strip().isdigit()  # a code (2) names no channel
                    or overall <= 0 or share < MAJORITY or share < MIN_INDEX * overall):
                continue
            if best is None or share / overall > best[0]:
                best = (share / overall, str(value), share, overall, mix.column)
    if best is None:
        return None
    _, value, share, overall, column = best
    # A value keeps its capitals ('OTA', 'Google Ads'): only words in snake case become words.
    shown = readable(value)
    shown = shown[0].upper() + shown[1:] if shown[:1].islower() else shown
    return shown, (f"{fmt.percent(share)} of them have {lower(shown)} as their {lower(column)}, against "
                   f"{fmt.percent(overall)} of all customers: reach them there")


def seasonal(p: Profile) -> bool:
    """Most of the segment's orders fall in the season, and far more than on average."""
    return (_effect(p, SEASON_FEATURE) >= THRESHOLD and not _never(p)
            and p.stat(SEASON_FEATURE).mean >= MAJORITY)


def newer(p: Profile) -> bool:
    """Tenure THRESHOLD sd below average and at most 1 / RATIO of it: 19 months against 21 is no new
    relationship, however narrow the spread."""
    if not any(s.feature == "tenure_months" for s in p.stats):
        return False
    s = p.stat("tenure_months")
    return s.effect <= -THRESHOLD and s.mean * RATIO <= s.overall_mean * (1 + 1e-9)


def monthly(p: Profile, ratio: float, rate: bool = False) -> float:
    """The segment's value per month as customers against the average customer's (its value ratio times
    the average tenure over its own; a value paid per period is that already): a short relationship
    explains low spend only where this is not low."""
    if rate:
        return ratio
    s = p.stat("tenure_months")
    return ratio * s.overall_mean / s.mean if s.mean > 0 else float("inf")


def short_tenure(p: Profile, ratio: float, rate: bool = False) -> bool:
    """Newer, and a short relationship explains their revenue: per month as customers at least 1 / VALUE_RATIO
    of the average's (what an onboarding series is for)."""
    return newer(p) and monthly(p, ratio, rate) * VALUE_RATIO >= 1 - 1e-9


def leaving(p: Profile) -> bool:
    """Far more of the segment has left (a churn column) than of the other customers: at least RATIO times
    their share (a relative risk of 1.5), and beyond chance: above it by 1.96 standard errors of the
    difference of two shares of these sizes (a one-sided 97.5% test). Not against all customers: a segment
    of half of them that loses 39% against 12% of the rest is most of the average's 27% itself. Not in sd of
    the share: 34% against 21% is 0.3 sd, yet one customer in three lost where one in five is usual."""
    rest = left_elsewhere(p)
    if rest is None:
        return False
    s, n_all = p.stat("churned"), p.size / p.share_customers
    se = float(np.sqrt(s.overall_mean * (1 - s.overall_mean) * (1 / p.size + 1 / (n_all - p.size))))
    return s.mean >= RATIO * rest * (1 - 1e-9) and s.mean - rest >= Z95 * se


def left_elsewhere(p: Profile) -> float | None:
    """The share of the other segments' customers who left (a churn column), or None without one or others."""
    if not any(s.feature == "churned" for s in p.stats) or not 0 < p.share_customers < 1:
        return None
    s, n_all = p.stat("churned"), p.size / p.share_customers
    return max(0.0, (s.overall_mean * n_all - s.mean * p.size) / (n_all - p.size))


def lapsed(means: dict[str, float]) -> bool:
    """Gone rather than late: the last purchase more than LAPSED_GAPS of their own gaps back (a steady
    buyer is that late with chance e^-4, 2%). Unknown without their rhythm."""
    gap = own_gap(means)
    return gap is not None and means["recency_days"] > LAPSED_GAPS * gap


def _by_score(c: Context, p: Profile) -> tuple[str, str]:
    """Without spend, the offer from the table's spending score THRESHOLD sd from average, and income:
    high scorers are rewarded (on what they buy when their income is low: no premium range), low scorers
    with income to spare are offered more of the range, other low scorers an entry offer."""
    s = p.stat("spending_score")
    score = "spending score {} against {} on average".format(*_pair(c, "spending_score", s.mean, s.overall_mean))
    income = ""
    if any(x.feature == "income" for x in p.stats):
        i = p.stat("income")
        income = "income {} against {}".format(*_pair(c, "income", i.mean, i.overall_mean))
    rich, poor = _effect(p, "income") >= THRESHOLD, _effect(p, "income") <= -THRESHOLD
    if s.effect > 0 and poor:
        return "Loyalty rewards on what they already buy", f"{score}, though {income}: reward their spending, not a premium range"
    if s.effect > 0:
        return "Premium: loyalty rewards and early access", score + (f"; {income}" if rich else "")
    if rich:
        return "Upsell: a trial of your premium range", f"{income}, but {score}: they can afford more than they spend"
    return "Low-cost entry offer", score


def recommend(c: Context, p: Profile) -> Recommendation:
    ratio = p.share_value / p.share_customers if p.share_value is not None and p.share_customers else None
    ch = pick(p, "channel_", c.labels, MIN_CHANNEL_SHARE)
    origin = None if ch else channel_of_origin(p)
    channel = _part(c.labels[ch.feature]) if ch else origin[0] if origin else "Your usual channel"
    columns = [lower(m.column) for m in origin_columns(p)]
    channel_why = (_pick_why(ch, "purchases") if ch else origin[1] if origin else
                   f"no {' or '.join(columns)} that names a channel is held by most of them and by {MIN_INDEX:g} times "
                   "its share of all customers" if columns else "the input has no purchases per channel")
    if ch and _effect(p, "web_visits") >= THRESHOLD:
        channel_why += "; they also visit the web site more than most, so add e-mail and web retargeting"
    never = _never(p)
    # The input's own categories (no catch-all), least bought against the average first.
    below = sorted([s for s in p.stats if s.feature.startswith("share_") and _part(c.labels[s.feature]).lower()
                    not in CATCH_ALL], key=lambda s: (s.effect, s.feature))
    cat = None if never else pick(p, "share_", c.labels, MIN_FOCUS_SHARE)
    # A category that neither stands out nor takes most of their spend would aim a campaign at products
    # most of them never buy (a segment whose customers each buy a different one): no focus then.
    spread = cat if cat is not None and cat.basis == "largest" and cat.share < MAJORITY else None
    cat = None if spread else cat
    # The category to cross-sell: their own share furthest below the average one, not their focus.
    cross = next((s for s in below if s.effect <= -MIN_CROSS_GAP and (cat is None or s.feature != cat.feature)
                  and s.mean >= MIN_CROSS_SHARE), None)
    # Below average but hardly bought: electronics buyers with 0% groceries are no groceries prospects.
    untried = next((s for s in below if s.effect < 0 and (cat is None or s.feature != cat.feature)
                    and s.mean < MIN_CROSS_SHARE), None)
    cased = names_cased(c.labels)
    if cross:
        mine, average = _pair(c, cross.feature, cross.mean, cross.overall_mean)
        cross_text = (f"cross-sell {category(_part(c.labels[cross.feature]), cased)} ({mine} of their "
                      f"{bought(c)} against {average})")
    else:
        cross_text = None
    means = rhythm_means(p, c)
    gap, late = own_gap(means), lapsing(_effect(p, "recency_days"), means)
    on_cycle = "" if late or _effect(p, "recency_days") < THRESHOLD else (
        f"their last purchase, {fmt.number(means['recency_days'], 0)} days ago, is within twice their own "
        f"{fmt.number(gap, 0)} days between orders")
    # Orders (order lines) or purchases (a customer table) well above average: a frequent buyer.
    frequent = next((f for f in ("orders", "purchases") if _effect(p, f) >= THRESHOLD), None)
    rare = next((f for f in ("orders", "purchases") if _effect(p, f) <= -THRESHOLD), None)  # an occasional buyer
    once = bought_once(p)
    if p.unassigned:
        offer, offer_why = "A test offer", "these customers share no dense profile; learn what works before spending more"
    elif leaving(p):  # before a win-back: they are not late buyers but customers who cancel
        a, b = _pair(c, "churned", p.stat("churned").mean, left_elsewhere(p))
        offer, offer_why = "Retention: a save offer and a service call before they leave", (
            f"{a} of them have left ({lower(c.labels['churned'])}) against {b} of the other customers: keep the rest")
    elif never:
        o = p.stat("orders")
        offer, offer_why = "First-order offer", (f"most have never ordered ({fmt.number(o.mean, 2)} orders per customer "
                                                 f"against {fmt.number(o.overall_mean, 2)})")
    elif late:  # before any reward for loyalty: customers who stopped buying are won back first
        offer, offer_why = "Win-back: a time-limited reactivation offer", "their last purchase is longer ago than most" + (
            f" and beyond twice their own {fmt.number(gap, 0)} days between orders" if gap is not None else "") + (
            f"; {_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers while they bought"
            if ratio is not None and ratio >= VALUE_RATIO else "")
    elif ratio is not None and ratio >= VALUE_RATIO and _effect(p, "deal_share") <= 0 and (rare or once) \
            and _effect(p, "basket_size") < THRESHOLD:  # a big weekly shop is no large, rare purchase
        s = p.stat(rare or once)
        a, b = _pair(c, rare or once, s.mean, s.overall_mean)
        offer, offer_why = "Premium follow-up: what goes with their last purchase, and service", (
            f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers" + (
                f" in fewer {c.labels[rare].lower()} ({a} against {b})" if rare else
                f", half or more of whom have bought once (a median of 1 in {c.labels[once].lower()})")
            + ": large, rare purchases to follow up, not repeat buying to reward")
    elif ratio is not None and ratio >= VALUE_RATIO and _effect(p, "deal_share") <= 0:
        offer, offer_why = "Premium: loyalty rewards and early access", \
            f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers" + (
                "; no discount needed" if any(s.feature == "deal_share" for s in p.stats) else "")
    elif ratio is None and abs(_effect(p, "spending_score")) >= THRESHOLD:  # no spend, but the table scores it
        offer, offer_why = _by_score(c, p)
    elif ratio is None and _effect(p, "income") >= THRESHOLD and _effect(p, "deal_share") <= 0:
        s = p.stat("income")
        a, b = _pair(c, "income", s.mean, s.overall_mean)
        offer, offer_why = "Premium: loyalty rewards and early access", \
            f"income {a} against {b} on average (the input has no spend to compare)"
    elif _effect(p, "deal_share") >= THRESHOLD:
        offer, offer_why = "Discount or bundle", "they buy on deal much more than the average customer"
    elif ratio is not None and ratio <= 0.5 and frequent:
        s = p.stat(frequent)
        a, b = _pair(c, frequent, s.mean, s.overall_mean)
        offer, offer_why = "Basket-building offer", \
            (f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers, though they buy more often "
             f"({a} {c.labels[frequent].lower()} against {b}): " + (
                 # Many products per order, yet little revenue: low-priced products, not small baskets.
                 "orders of many low-priced products, so a reward above an order value"
                 if _effect(p, "basket_size") >= THRESHOLD else
                 "small orders, so a bundle or a reward above an order value"))
    elif ratio is not None and ratio <= 0.5 and seasonal(p):
        # Little spend over the year from customers who buy for one season: remind them before it comes back.
        s = p.stat(SEASON_FEATURE)
        offer, offer_why = "Pre-season reminder: an offer on what they bought last season", (
            f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers, but {fmt.percent(s.mean)} of "
            f"their orders fall in {c.labels[SEASON_FEATURE].partition('(')[2].rstrip(')')}: they buy for the season")
    elif ratio is not None and ratio <= 0.5 and short_tenure(p, ratio, c.spend_rate):
        s = p.stat("tenure_months")
        a, b = _pair(c, "tenure_months", s.mean, s.overall_mean)
        offer, offer_why = "Onboarding: a welcome series and an offer on the next purchase", (
            f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers, but newer ({a} against {b}) and "
            f"{fmt.percent(monthly(p, ratio, c.spend_rate))} of the average {c.value_word} per month as customers: their spend is "
            "that of a short relationship, not of small buyers")
    elif ratio is not None and ratio <= 0.5:
        offer, offer_why = "Step-up offer: a low-cost add-on or upgrade", \
            f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers"
    elif ratio is None and _effect(p, "income") <= -THRESHOLD:
        s = p.stat("income")
        a, b = _pair(c, "income", s.mean, s.overall_mean)
        offer, offer_why = "Low-cost entry offer", f"income {a} against {b} on average (the input has no spend to compare)"
    else:
        # The numbers, not "near the average": the fallback also takes segments between the other rules' bounds.
        if ratio is not None:
            value = f"{_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers"
        elif any(s.feature == "income" for s in p.stats):
            s = p.stat("income")
            value = "income {} against {} on average; the input has no spend to compare".format(
                *_pair(c, "income", s.mean, s.overall_mean))
        else:  # what is not measured is not said to be equal (a fee or a balance may well differ)
            value = "the input has no spend or income column to size an offer by (columns.spend)"
        # Their focus may be the only category below its average share (the largest leads when none stands out).
        focus_below = cat is not None and any(s.effect < 0 and s.feature == cat.feature for s in below)
        offer, offer_why = ("Cross-sell offer", f"{value}; {cross_text}") if cross else ("Standard offer", f"{value}; " + (
            f"the only category below its average share is {category(_part(c.labels[cat.feature]), cased)}, their largest"
            if focus_below else
            f"the category furthest below its average share, {category(_part(c.labels[untried.feature]), cased)}, they hardly "
            f"buy ({fmt.percent(untried.mean)} of their {bought(c)} against {fmt.percent(untried.overall_mean)}): nothing "
            f"shows they want it" if untried else
            "no category of theirs falls below its average share" if below else
            f"the input has no {bought(c)} per category to cross-sell"))
    if cat:
        product = _part(c.labels[cat.feature])
        product_why = _pick_why(cat, bought(c)) + (f"; {cross_text}" if cross and offer != "Cross-sell offer" else "")
    elif spread:
        # Never "20% against 20%": the digits that tell the two apart, or "as on average".
        d = next((d for d in (0, 1, 2) if fmt.percent(spread.share, d) != fmt.percent(spread.average, d)), None)
        product, product_why = "Your usual range", (
            f"no category stands out and none takes half of their {bought(c)}: the largest, "
            f"{category(_part(c.labels[spread.feature]), cased)}, takes " + (
                f"{fmt.percent(spread.share, d)} against {fmt.percent(spread.average, d)} on average" if d is not None
                else f"{fmt.percent(spread.share)}, as on average"))
    else:
        product, product_why = (("Best sellers", "most of them have bought nothing yet") if never else
                                ("Your usual range", f"the input has no {bought(c)} per category"))

    # Paid contact: the response model's contact list when there is one, else the segment's expected profit.
    profit = c.profit_per_contact.get(p.id)
    listed = c.contacts.get(p.id) if c.contacts else None
    if listed is not None:
        contact = listed > 0
    else:
        contact = None if profit is None else profit > 0

    rate, overall = c.latest_rate.get(p.id), c.overall_latest_rate
    if leaving(p) and not p.unassigned:
        s = p.stat("churned")
        timing, timing_why = "Now", "{} of them have left against {} of the others: the rest are at risk".format(
            *_pair(c, "churned", s.mean, left_elsewhere(p)))
    elif late and not never:
        s = p.stat("recency_days")
        timing, timing_why = "Now", f"{fmt.number(s.mean, 0)} days since their last purchase against {fmt.number(s.overall_mean, 0)}"
    elif seasonal(p):  # their first order may be recent only because their season came round late
        s = p.stat(SEASON_FEATURE)
        months = c.labels[SEASON_FEATURE].partition("(")[2].rstrip(")")
        timing, timing_why = f"Before their season, {months}", (
            f"{fmt.percent(s.mean)} of their orders fall in {months} against {fmt.percent(s.overall_mean)} on average: "
            f"contact them in {month_before(c.labels[SEASON_FEATURE])}")
    elif newer(p) and (ratio is None or short_tenure(p, ratio, c.spend_rate)):  # small buyers besides: no onboarding series
        s = p.stat("tenure_months")
        timing, timing_why = "Early in the relationship", f"newer customers ({fmt.by_kind(s.mean, 'months')} against {fmt.number(s.overall_mean, 0)}): an onboarding series"
    elif rate is not None and overall and rate / overall >= 1.3 and contact is not False:
        timing, timing_why = "With the next campaign", f"{fmt.percent(rate)} answered the latest one against {fmt.percent(overall)}"
    elif rate is not None and overall and rate / overall >= 1.3:
        timing, timing_why = "Regular cycle", (f"{fmt.percent(rate)} answered the latest campaign against "
                                               f"{fmt.percent(overall)}, still too few to pay for a paid contact")
    elif once:
        timing, timing_why = "After a first order", (
            f"half or more have bought once (a median of 1 in {c.labels[once].lower()}): no buying rhythm of their "
            "own to follow, so a second-purchase message set off by each first order")
    else:
        timing, timing_why = "Regular cycle", on_cycle or "nothing calls for earlier contact"
    # From order lines: when in the week or day they order, if that sets them apart.
    habit = max(((s.effect, s.feature, s.mean) for s in p.stats if s.feature in HABIT_MOMENTS), default=None)
    if habit and habit[0] >= THRESHOLD and not never:
        moment = HABIT_MOMENTS[habit[1]]
        timing += f", {moment}"
        timing_why += f"; {fmt.percent(habit[2])} of their orders come {moment.removeprefix('sent ')}"
    via = f" through the {lower(channel)} channel" if ch or origin else ""
    # A cross-sell offer is on the category to grow; every other offer on what they buy most.
    on = _part(c.labels[cross.feature]) if offer == "Cross-sell offer" else product
    # A category keeps its capitals where the input's names have them; "your usual range" is ours.
    on = category(on, cased) if offer == "Cross-sell offer" or cat else lower(on)
    offer_text = f"{fmt.offer_on(offer, on)}{via}"
    design = f"{offer_text} to the {fmt.integer(p.size)} customers of this segment"
    if p.without_orders and not never:  # (a count under the public group size is not told by a difference)
        buyers = fmt.integer(p.size - p.without_orders) + " " if p.without_orders >= c.min_size else ""
        design = f"{offer_text} to the {buyers}customers of this segment with an order"
    recent = p.recent if late and not never else 0
    if recent:  # a win-back for those who stopped, not for its customers who bought as lately as most
        told = recent >= c.min_size and (p.without_orders == 0 or p.without_orders >= c.min_size)
        n = fmt.integer(p.size - p.without_orders - recent) + " " if told else ""
        design = (f"{offer_text} to the {n}customers of this segment whose last order is more than "
                  f"{_recent_days(p)} ago")
    # Every offer is for those still here: a segment's list names who left (churned), never to be sent one.
    gone = int(round(p.stat("churned").mean * p.size)) if any(s.feature == "churned" for s in p.stats) else 0
    if gone:
        few = lambda n: 0 < n < c.min_size  # noqa: E731 (a count under the minimum group size is not published)
        stay = (f"the few customers (fewer than {fmt.integer(c.min_size)})" if few(p.size - gone)
                else f"the {fmt.integer(p.size - gone)} customers")
        left = f"the others, fewer than {fmt.integer(c.min_size)}," if few(gone) else f"the other {fmt.integer(gone)}"
        design = (f"{offer_text} to {stay} of this segment who have not left ({left} have left: the segment's list "
                  f"marks them under {lower(c.labels['churned'])})")
    if listed is not None:
        gain = fmt.money(c.contact_profit.get(p.id, 0.0), c.currency)
        if listed == 0:
            design = ("Do not contact in a paid campaign: none of its customers is likely enough to answer to pay "
                      f"for a contact. Reach them only through free channels with: {fmt.mid_sentence(offer_text)}")
        elif listed < c.min_size:
            design = (f"{offer_text} to its few customers in the contact list (fewer than {fmt.integer(c.min_size)}); "
                      "reach the others only through free channels")
        elif listed >= p.size:
            design = (f"{offer_text} to all {fmt.integer(p.size)} customers of this segment, every one in the contact "
                      f"list (expected profit {gain} from their scores)")
        else:
            design = (f"{offer_text} to the {fmt.integer(listed)} customers of this segment in the contact list "
                      f"(expected profit {gain} from their scores); reach the other {fmt.integer(p.size - listed)} "
                      "only through free channels")
    elif contact is False:
        design = (f"Do not contact in a paid campaign: expected profit per contact {fmt.money(profit, c.currency, 2)}. "
                  f"Reach them only through free channels with: {fmt.mid_sentence(design)}")
    elif contact:
        design += f" (expected profit {fmt.money(profit, c.currency, 2)} per contact)"
    kpis = [f"answer rate (latest {fmt.percent(rate)}" + (f"; break-even {fmt.percent(c.break_even_rate, 1)})"
                                                         if c.break_even_rate is not None else ")")] if rate is not None else []
    if any(s.feature == "total_spend" for s in p.stats):
        kpis.append(f"average spend per customer (now {fmt.money(p.stat('total_spend').mean, c.currency)})")
    elif any(s.feature == "total_units" for s in p.stats):  # order lines without prices
        kpis.append(f"units bought per customer (now {fmt.number(p.stat('total_units').mean, 1)})")
    if any(s.feature == "orders" for s in p.stats) and not kpis:
        kpis.append(f"orders per customer (now {fmt.number(p.stat('orders').mean, 1)})")
    if ch:
        kpis.append(f"share of purchases through {lower(channel)} (now {fmt.percent(ch.share)})")
    if leaving(p):
        kpis.insert(0, f"share of the segment who leave (so far {fmt.percent(p.stat('churned').mean)})")
    plan = (
        f"Campaign: {design}.",
        *([f"Without an order: {_not_ordered(c, p)} get a first-order offer instead (they have no purchase to "
           f"{'win back' if late else 'build on'})."] if p.without_orders and not never else []),
        *([f"Recently active: {_recently(c, p)} stay on the regular cycle, without a win-back."] if recent else []),
        "Track: " + (", ".join(kpis) if kpis else "answers and spend of the contacted customers") + ".",
        "Review: compare with a random hold-out group of the segment when the campaign closes, and re-run the "
        "segmentation each quarter to see customers move between segments.",
    )
    return Recommendation(channel, channel_why, offer, offer_why, product, product_why, timing, timing_why,
                          contact, plan, contacts=listed, channel_basis=ch.basis if ch else "origin" if origin else "",
                          product_basis=cat.basis if cat else "", offer_on=on)


def actions(c: Context, p: Profile, r: Recommendation) -> tuple[str, ...]:
    """Short steps for cards and pages; the first is the recommended next step."""
    via = f" through the {lower(r.channel)} channel" if r.channel_basis else ""
    what = f"{fmt.offer_on(r.offer, r.offer_on or lower(r.product_focus))}{via}"
    out = [f"{what} ({lower(r.timing)})."]
    if r.contacts is not None:
        if r.contacts == 0:
            out[0] = (f"{what}, through free channels only: no customer of this segment is likely enough to answer "
                      "to pay for a paid contact.")
        elif r.contacts < p.size:
            few = f"fewer than {fmt.integer(c.min_size)}" if r.contacts < c.min_size else fmt.integer(r.contacts)
            out[0] = (f"{what} ({lower(r.timing)}) to its {few} customers in the contact list; "
                      "free channels only for the rest.")
        else:
            out[0] = f"{what} ({lower(r.timing)}) to all its customers: every one is in the contact list."
    elif r.contact is False:
        loss = fmt.money(-c.profit_per_contact[p.id], c.currency, 2)
        out[0] = (f"{what}, through free channels only: a paid contact "
                  f"is expected to lose {loss} per customer.")
    rate, overall = c.latest_rate.get(p.id), c.overall_latest_rate
    if rate is not None and overall:
        if rate / overall >= 1.3 and r.contact is not False:
            out.append(f"Include in the next campaign: {fmt.percent(rate)} answered the latest one against "
                       f"{fmt.percent(overall)} overall.")
        elif rate / overall <= 0.7:
            out.append(f"Contact less often: {fmt.percent(rate)} answered the latest campaign against "
                       f"{fmt.percent(overall)} overall.")
    if p.without_orders and not _never(p):
        out.append(f"First-order offer to {_not_ordered(c, p)}.")
    if p.recent and r.offer.startswith("Win-back"):
        out.append(f"Regular cycle for {_recently(c, p)}.")
    if p.share_value is not None and p.share_customers:
        out.append(f"Value: {_shares(c, p)[1]} of {c.value_word} from {_shares(c, p)[0]} of customers.")
    return tuple(out)


def _recent_days(p: Profile) -> str:
    """The average customer's median days since the last order: 'recently' in the win-back's terms."""
    return f"{fmt.number(p.stat('recency_days').overall_median, 0)} days"


def _recently(c: Context, p: Profile) -> str:
    """The segment's customers who ordered as lately as the average customer's median, as pages may count them."""
    days = _recent_days(p)
    return _its(c, p.recent, f"ordered in the last {days}", f"ordered in the last {days}")


def _not_ordered(c: Context, p: Profile) -> str:
    """The segment's customers without an order, as pages may count them."""
    return _its(c, p.without_orders, "has not ordered yet", "have not ordered yet")


def _its(c: Context, n: int, one: str, many: str) -> str:
    """'its 40 customers who have ...', or under the public group size 'its few customers who have ... (fewer
    than 20)': no group smaller than the pages show is counted."""
    if n >= c.min_size:
        return f"its {fmt.integer(n)} customer{'s' if n != 1 else ''} who {one if n == 1 else many}"
    return f"its few customers who {many} (fewer than {fmt.integer(c.min_size)})"


# ---------------------------------------------------------------- overrides

class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = None
    notes: str | None = None
    segment: int | None = None  # as numbered in the run it was written from (for the reader only)
    match: dict[str, float]


class _Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    segments: list[_Entry]


def load_overrides(path: Path) -> list[_Entry]:
    if not path.is_file():
        raise UserError(f"{path}: overrides file not found")
    try:
        data = read_yaml(path)
        return _Overrides.model_validate(data or {"segments": []}).segments
    except yaml.YAMLError:
        raise UserError(f"{path}: not valid YAML") from None
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise UserError(f"{path}: {what} at '{where}'") from None


def match_overrides(entries: list[_Entry], profiles: tuple[Profile, ...], clustering: tuple[str, ...],
                    sd: dict[str, float]) -> tuple[OverrideMatch, ...]:
    """Pair override entries with segments by profile distance (one entry per segment at most)."""
    if not entries:
        return ()
    cost = np.full((len(entries), len(profiles)), np.inf)
    for i, e in enumerate(entries):
        feats = [f for f in clustering if f in e.match and sd.get(f, 0) > 0]
        if not feats:
            continue
        for j, p in enumerate(profiles):
            z = [(p.stat(f).mean - e.match[f]) / sd[f] for f in feats]
            cost[i, j] = float(np.sqrt(np.mean(np.square(z))))
    finite = np.where(np.isfinite(cost), cost, 1e9)
    rows, cols = linear_sum_assignment(finite)
    pairs = {int(r): int(c) for r, c in zip(rows, cols) if cost[r, c] <= MATCH_DISTANCE}
    return tuple(
        OverrideMatch(i + 1, e.name, profiles[pairs[i]].id if i in pairs else None,
                      round(float(cost[i, pairs[i]]), 4) if i in pairs else None)
        for i, e in enumerate(entries)
    )


# ---------------------------------------------------------------- all together

def _naming_effect(p: Profile, feature: str) -> float:
    """The effect a name reads (apparent_effect), but none for a tenure within RATIO times the average either
    way: 22 months against 23 is no newer relationship, however narrow the spread (order lines that all start
    with the data), as the timing rule also requires."""
    s = p.stat(feature)
    if feature == "tenure_months" and not (s.mean * RATIO <= s.overall_mean or s.mean >= RATIO * s.overall_mean):
        return 0.0
    return apparent_effect(s)


def build_personas(profiles: tuple[Profile, ...], sd: dict[str, float], c: Context,
                   overrides: list[_Entry] | None = None
                   ) -> tuple[tuple[Profile, ...], tuple[Persona, ...], tuple[OverrideMatch, ...]]:
    has_value = all(p.share_value is not None for p in profiles)
    c = dataclasses.replace(c, shown=dict(zip(
        [p.id for p in profiles], zip(fmt.shares([p.share_customers for p in profiles]),
                                      fmt.shares([p.share_value for p in profiles]) if has_value
                                      else [fmt.percent(None)] * len(profiles)))))
    effects = [{f: _naming_effect(p, f) for f in c.clustering} for p in profiles]
    generated = unique_names(effects, c.labels, [{**rhythm_means(p, c), ONCE: float(bool(bought_once(p)))}
                                                 for p in profiles],
                             [{f: p.stat(f).effect for f in c.clustering} for p in profiles])
    if profiles and profiles[-1].unassigned:
        generated[-1] = UNASSIGNED_NAME
    matches = match_overrides(overrides or [], profiles, c.clustering, sd)
    by_segment = {m.segment: (overrides or [])[m.entry - 1] for m in matches if m.segment is not None}
    final = []
    for p, gen in zip(profiles, generated):
        e = by_segment.get(p.id)
        final.append(e.name if e is not None and e.name else gen)
    if len(set(final)) < len(final):
        raise UserError("persona overrides give two segments the same name: " +
                        ", ".join(sorted({n for n in final if final.count(n) > 1})))
    out_profiles, personas = [], []
    for p, gen, name in zip(profiles, generated, final):
        e = by_segment.get(p.id)
        named = dataclasses.replace(p, name=name)
        rec = recommend(c, named)
        personas.append(Persona(
            segment=p.id, name=name, generated_name=gen, description=_describe(c, named),
            traits=_with_categories([trait_text(c, named, f) for f in _traits(p)[:4]], category_traits(c, named)),
            notes=(e.notes or "") if e is not None else "", overridden=e is not None,
            recommendation=rec, fingerprint={f: round(p.stat(f).mean, 6) for f in c.clustering},
        ))
        out_profiles.append(dataclasses.replace(named, actions=actions(c, named, rec)))
    return tuple(out_profiles), tuple(personas), matches


# ---------------------------------------------------------------- consistency

_AGAINST = re.compile(r"(-?[$£€]?-?\d[\d,.]*%?(?: (?:years|months|days))?) against "
                      r"(-?[$£€]?-?\d[\d,.]*%?(?: (?:years|months|days))?)")


def consistency_problems(persona: Persona, profile: Profile, labels: dict[str, str]) -> tuple[str, ...]:
    """Where a persona's advice contradicts its name, its numbers or the contact decision.

    Checked: a category or channel the generated name uses is the one advised; every adjective of
    the name lies on the side of the average it claims; a segment not worth a paid contact is not
    told to join the next campaign, and one worth it is not told to stay out; no comparison in the
    text reads the same number on both sides ("$4 against $4")."""
    out = []
    name = persona.generated_name.lower()
    rec = persona.recommendation
    for s in profile.stats:
        part = _part(labels.get(s.feature, s.feature))
        if s.feature.startswith("share_") and re.search(rf"\b{re.escape(_singular(part, written=as_written(labels)))} (lovers|buyers)\b", name) \
                and rec.product_focus.lower() != part.lower():
            out.append(f"named for {part} but the product focus is {rec.product_focus}")
        if s.feature.startswith("channel_"):
            phrase = channel_phrase(part)
            if (name.endswith(phrase) or name.endswith(channel_phrase(part, buyers=True))) \
                    and rec.channel.lower() != part.lower():
                out.append(f"named '{phrase}' but the channel is {rec.channel}")
        hi, lo = ADJECTIVES.get(s.feature, ("", ""))
        for word, above in ((hi, True), (lo, False)):
            if word and re.search(rf"(^|, ){re.escape(word.lower())}\b", name) and (s.mean > s.overall_mean) != above:
                out.append(f"named '{word}' but {s.feature} is {s.mean:.4g} against {s.overall_mean:.4g} on average")
    if "loyalty" in rec.offer.lower() and any(_effect(profile, f) <= -THRESHOLD for f in ("orders", "purchases")):
        out.append("loyalty rewards for customers who buy less often than average")
    if "loyalty" in rec.offer.lower() and bought_once(profile):
        out.append("loyalty rewards for a segment half or more of whom have bought once")
    if rec.contact is False:
        if rec.timing.startswith("With the next campaign"):
            out.append("not worth a paid contact, yet timed 'with the next campaign'")
        if "free channels" not in rec.plan[0] or "Do not contact" not in rec.plan[0]:
            out.append("not worth a paid contact, yet the plan does not say so")
        if any(a.startswith("Include in the next campaign") for a in profile.actions):
            out.append("not worth a paid contact, yet told to join the next campaign")
    if rec.contact and "Do not contact" in rec.plan[0]:
        out.append("worth a paid contact, yet the plan says not to contact")
    if rec.contacts is not None and rec.contacts > profile.size:
        out.append(f"{rec.contacts} customers in the contact list out of {profile.size}")
    texts = list(persona.traits) + [persona.description, rec.channel_why, rec.product_why, rec.timing_why,
                                    *rec.plan, *profile.actions]
    for text in texts:
        for a, b in _AGAINST.findall(text):
            if a.rstrip(".,") == b.rstrip(".,"):
                out.append(f"'{a} against {b}' in: {text}")
    return tuple(out)

"""Advice a marketer can act on: the channel and product focus come from what sets a segment apart
(one case per branch and boundary of the written rule), and a consistency check that runs over
every segment of both demos, of synthetic tables and of tables unlike the demos."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.segment import personas as ps
from analysis import synth
from analysis.config import load_config, parse_config
from analysis.pipeline import analyse
from analysis.segment.profiles import FeatureStat, Profile

ROOT = Path(__file__).resolve().parent.parent
LABELS = {"share_wines": "Share of spend: Wines", "share_meat": "Share of spend: Meat", "share_fish": "Share of spend: Fish",
          "share_gold": "Share of spend: Gold", "share_other": "Share of spend: Other",
          "channel_web": "Share of purchases: Web", "channel_store": "Share of purchases: Store",
          "channel_catalog": "Share of purchases: Catalog", "total_spend": "Total spend"}
KINDS = {f: ("money" if f == "total_spend" else "share") for f in LABELS}


def _profile(stats: dict[str, tuple[float, float, float]], size: int = 100, share: float = 0.5) -> Profile:
    """stats: feature -> (segment mean, average, effect in sd)."""
    return Profile(id=1, name="", size=size, share_customers=share, share_value=0.5,
                   stats=tuple(FeatureStat(f, m, m, a, a, e) for f, (m, a, e) in stats.items()), categories=(),
                   traits=(), actions=(), public=True, stability=None, unassigned=False)


def _context(**kw) -> ps.Context:
    base = dict(labels=LABELS, kinds=KINDS, clustering=tuple(LABELS), currency="$", latest_rate={},
                overall_latest_rate=None, latest_name=None, profit_per_contact={}, break_even_rate=None)
    ctx = {**base, **kw}  # every share feature a label names is of kind share, as build_features makes it
    ctx["kinds"] = {**{f: "share" for f in ctx["labels"] if f.startswith("share_")}, **ctx["kinds"]}
    return ps.Context(**ctx)


# ---------------------------------------------------------------- the rule, branch by branch

def test_a_category_that_stands_out_in_sd_leads_even_against_a_higher_index():
    p = _profile({"share_wines": (0.40, 0.50, -0.4), "share_gold": (0.20, 0.12, 0.6), "share_meat": (0.12, 0.05, 0.4)})
    x = ps.pick(p, "share_", LABELS, ps.MIN_FOCUS_SHARE)
    assert (x.feature, x.basis) == ("share_gold", "apart")
    assert x.index == pytest.approx(0.20 / 0.12)


def test_standing_out_needs_the_minimum_share_then_the_index_decides():
    # Gold is 0.9 sd above average but only 4% of spend: not a focus. Meat's index 1.2 qualifies (>=)
    # against the typical index 1 (wines).
    p = _profile({"share_wines": (0.45, 0.45, 0.0), "share_gold": (0.04, 0.01, 0.9), "share_meat": (0.30, 0.25, 0.3),
                  "share_fish": (0.21, 0.29, -0.3)})
    x = ps.pick(p, "share_", LABELS, ps.MIN_FOCUS_SHARE)
    assert (x.feature, x.basis) == ("share_meat", "index")
    # Just under the index: nothing stands out and the largest category leads, saying so.
    q = _profile({"share_wines": (0.50, 0.45, 0.1), "share_meat": (0.30, 0.2501, 0.3)})
    y = ps.pick(q, "share_", LABELS, ps.MIN_FOCUS_SHARE)
    assert (y.feature, y.basis) == ("share_wines", "largest")
    assert "no category stands out" in ps._pick_why(y, "spend")
    # At exactly the minimum share, standing out counts.
    r = _profile({"share_wines": (0.90, 0.80, 0.1), "share_gold": (ps.MIN_FOCUS_SHARE, 0.01, 0.5)})
    assert ps.pick(r, "share_", LABELS, ps.MIN_FOCUS_SHARE).basis == "apart"
    s = _profile({"share_wines": (0.90, 0.80, 0.1), "share_gold": (ps.MIN_FOCUS_SHARE, 0.01, 0.49)})
    assert ps.pick(s, "share_", LABELS, ps.MIN_FOCUS_SHARE).basis == "index"


def test_an_index_raised_only_because_the_segment_avoids_one_category_does_not_stand_out():
    # No gold: wines, meat and web each have an index near 1.4 (the same shift), none stands out.
    avoids = _profile({"share_gold": (0.02, 0.30, -1.5), "share_wines": (0.34, 0.24, 0.4),
                       "share_meat": (0.33, 0.23, 0.4), "share_other": (0.31, 0.23, 0.4)})
    x = ps.pick(avoids, "share_", LABELS, ps.MIN_FOCUS_SHARE)
    assert (x.feature, x.basis) == ("share_wines", "largest")
    # Wines 1.2 times the typical index (meat, 1.4): it stands out; at 0.40 of spend it would not.
    likes = _profile({"share_gold": (0.02, 0.30, -1.5), "share_wines": (0.41, 0.24, 0.4),
                      "share_meat": (0.33, 0.236, 0.4), "share_meat2": (0.25, 0.18, 0.4)})
    labels = {**LABELS, "share_meat2": "Share of spend: Fish"}
    y = ps.pick(likes, "share_", labels, ps.MIN_FOCUS_SHARE)
    assert (y.feature, y.basis) == ("share_wines", "index")
    just_under = dataclasses.replace(likes, stats=tuple(
        dataclasses.replace(t, mean=0.40) if t.feature == "share_wines" else t for t in likes.stats))
    assert ps.pick(just_under, "share_", labels, ps.MIN_FOCUS_SHARE).basis == "largest"


def test_the_largest_category_leads_the_advice_only_with_half_of_the_spend():
    """Where no category stands out, the largest is the product focus only if it takes at least half
    of the segment's spend: four boxes at about a quarter each (each customer buying one) would aim
    the campaign at products three in four never buy."""
    c = _context()
    spread = _profile({"share_wines": (0.26, 0.25, 0.02), "share_meat": (0.26, 0.25, 0.02),
                       "share_fish": (0.24, 0.25, -0.02), "share_gold": (0.24, 0.25, -0.02)})
    rec = ps.recommend(c, spread)
    assert rec.product_focus == "Your usual range"
    assert rec.product_why == ("no category stands out and none takes half of their spend: the largest, wines, "
                               "takes 26% against 25% on average")
    even = _profile({"share_wines": (0.25, 0.25, 0.0), "share_meat": (0.25, 0.25, 0.0),
                     "share_fish": (0.25, 0.25, 0.0), "share_gold": (0.25, 0.25, 0.0)})
    assert ps.recommend(c, even).product_why.endswith("the largest, wines, takes 25%, as on average")
    close = _profile({"share_wines": (0.2614, 0.2612, 0.01), "share_meat": (0.2386, 0.2388, -0.01),
                      "share_fish": (0.25, 0.25, 0.0), "share_gold": (0.25, 0.25, 0.0)})
    assert ps.recommend(c, close).product_why.endswith("takes 26.14% against 26.12% on average")
    at_half = _profile({"share_wines": (ps.MAJORITY, 0.48, 0.05), "share_meat": (1 - ps.MAJORITY, 0.52, -0.05)})
    assert ps.recommend(c, at_half).product_focus == "Wines"


def test_catch_all_categories_never_lead():
    p = _profile({"share_other": (0.60, 0.30, 2.0), "share_wines": (0.40, 0.70, -2.0)})
    assert ps.pick(p, "share_", LABELS, ps.MIN_FOCUS_SHARE).feature == "share_wines"


def test_recommendation_follows_what_sets_the_segment_apart_and_the_name_agrees():
    stats = {"share_wines": (0.45, 0.46, 0.0), "share_gold": (0.22, 0.12, 0.9), "share_meat": (0.26, 0.25, 0.1),
             "channel_store": (0.58, 0.50, 0.5), "channel_catalog": (0.07, 0.16, -0.6), "channel_web": (0.35, 0.34, 0.0),
             "total_spend": (200.0, 600.0, -0.8)}
    p = _profile(stats)
    rec = ps.recommend(_context(), p)
    assert (rec.product_focus, rec.product_basis) == ("Gold", "apart")
    assert (rec.channel, rec.channel_basis) == ("Store", "apart")
    assert "index 183" in rec.product_why
    name = ps.name_segment({f: e for f, (_, _, e) in stats.items()}, LABELS,
                           means={f: m for f, (m, _, _) in stats.items()})
    assert name == "Low-spending gold lovers buying in store"
    persona = ps.Persona(1, name, name, "", (), "", False, rec, {})
    assert ps.consistency_problems(persona, dataclasses.replace(p, actions=ps.actions(_context(), p, rec)), LABELS) == ()


def test_a_category_under_the_minimum_share_does_not_name_the_segment():
    eff = {"share_gold": 0.9, "share_wines": -0.2}
    assert ps.name_segment(eff, LABELS) == "Gold lovers"
    assert ps.name_segment(eff, LABELS, means={"share_gold": 0.04, "share_wines": 0.9}) == "Typical customers"


def test_contact_follows_the_contact_list_and_timing_never_contradicts_it():
    stats = {"share_wines": (0.6, 0.5, 0.6), "channel_web": (0.5, 0.3, 0.8)}
    p = _profile(stats, size=100)
    keen = dict(latest_rate={1: 0.3}, overall_latest_rate=0.15, profit_per_contact={1: -0.5}, break_even_rate=0.27)
    none = ps.recommend(_context(**keen, contacts={1: 0}, contact_profit={1: 0.0}), p)
    assert none.contact is False and none.timing == "Regular cycle" and "Do not contact" in none.plan[0]
    some = ps.recommend(_context(**keen, contacts={1: 40}, contact_profit={1: 120.0}), p)
    assert some.contact is True and some.timing == "With the next campaign"
    assert "the 40 customers of this segment in the contact list" in some.plan[0] and "other 60" in some.plan[0]
    every = ps.recommend(_context(**keen, contacts={1: 100}, contact_profit={1: 300.0}), p)
    assert "all 100 customers" in every.plan[0]
    # Without a response model, the segment's profit per contact decides.
    assert ps.recommend(_context(**keen), p).contact is False
    assert ps.recommend(_context(**{**keen, "profit_per_contact": {1: 0.5}}), p).contact is True
    nothing = ps.actions(_context(**keen, contacts={1: 0}), p, none)
    assert "free channels only" in nothing[0] and not any(a.startswith("Include in the next") for a in nothing)


# ---------------------------------------------------------------- the check itself can fail

def _persona(name: str, **rec) -> ps.Persona:
    base = ps.Recommendation("Store", "", "Cross-sell offer", "", "Gold", "", "Regular cycle", "", None,
                             ("Campaign: x.", "Track: y.", "Review: z."), channel_basis="apart")
    return ps.Persona(1, name, name, "", (), "", False, dataclasses.replace(base, **rec), {})


def test_the_consistency_check_finds_each_kind_of_contradiction():
    p = _profile({"share_gold": (0.22, 0.12, 0.9), "share_meat": (0.26, 0.25, 0.1), "channel_store": (0.6, 0.5, 0.5),
                  "channel_catalog": (0.3, 0.16, 0.8), "total_spend": (200.0, 600.0, -0.8)})
    ok = _persona("Low-spending gold lovers buying in store")
    assert ps.consistency_problems(ok, p, LABELS) == ()
    assert ps.consistency_problems(_persona("Low-spending gold lovers buying in store", product_focus="Meat"), p, LABELS)
    assert ps.consistency_problems(_persona("Gold lovers buying by catalog"), p, LABELS)  # channel is Store
    assert ps.consistency_problems(_persona("Gold buyers by catalog"), p, LABELS)  # the same, of one-time buyers
    assert ps.consistency_problems(_persona("High-spending gold lovers"), p, LABELS)  # spend is below average
    told = _persona("Gold lovers", contact=False, timing="With the next campaign",
                    plan=("Campaign: Do not contact in a paid campaign; free channels only.", "", ""))
    assert ps.consistency_problems(told, p, LABELS)
    assert ps.consistency_problems(_persona("Gold lovers", contact=False), p, LABELS)  # plan does not say so
    assert ps.consistency_problems(_persona("Gold lovers", contact=True,
                                            plan=("Campaign: Do not contact in a paid campaign.", "", "")), p, LABELS)
    same = dataclasses.replace(_persona("Gold lovers"), traits=("Average order value: $4 against $4 on average",))
    assert ps.consistency_problems(same, p, LABELS)


def test_values_that_round_alike_get_more_digits():
    c = _context(kinds={**KINDS, "aov": "money"}, labels={**LABELS, "aov": "Average order value"})
    assert ps._pair(c, "aov", 4.2, 3.8) == ("$4.20", "$3.80")  # amounts under $10 keep their cents
    assert ps._pair(c, "aov", 4.24, 4.21) == ("$4.24", "$4.21")
    assert ps._pair(c, "aov", 42.0, 30.0) == ("$42", "$30")


# ---------------------------------------------------------------- every segment of real runs

def _problems(run) -> list[str]:
    r = run.results
    labels = {d.name: d.label for d in r.features}
    return [f"segment {p.id} ({p.name}): {x}" for per, p in zip(r.personas, r.segments)
            for x in ps.consistency_problems(per, p, labels)]


def test_the_demo_reads_consistently(demo_run):
    assert _problems(demo_run) == []
    recs = [p.recommendation for p in demo_run.results.personas]
    assert any(r.contact for r in recs)  # the response model finds customers worth a paid contact


def test_the_order_line_demo_reads_consistently():
    # Basket rules play no part in the advice checked here: not mined, to keep the test short.
    cfg = yaml.safe_load((ROOT / "data" / "online_retail.yml").read_text())
    cfg["baskets"] = {"levels": []}
    run = analyse(parse_config(cfg, str(ROOT / "data" / "online_retail.yml"), ROOT / "data"))
    assert _problems(run) == []
    # Named for Christmas: Christmas is the focus, not the largest category.
    for per in run.results.personas:
        if "christmas lovers" in per.generated_name.lower():
            assert per.recommendation.product_focus.lower().startswith("christmas")


def _demo_config(folder: Path, drop: tuple[str, ...] = (), **columns) -> Path:
    cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
    cfg["customers"] = {"path": "customers.tsv"}
    for key in drop:
        cfg["columns"].pop(key, None)
    cfg["columns"].update(columns)
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.parametrize("seed,k,dirt", [(21, 4, True), (22, 6, False)])
def test_synthetic_tables_read_consistently(tmp_path, seed, k, dirt):
    df, _ = synth.generate(700, k, seed=seed, dirt=dirt)
    synth.write(df, tmp_path / "customers.tsv")
    assert _problems(analyse(load_config(_demo_config(tmp_path)))) == []


def test_a_table_without_spend_or_channels_reads_consistently(tmp_path):
    df, _ = synth.generate(600, 3, seed=23)
    synth.write(df, tmp_path / "customers.tsv")
    run = analyse(load_config(_demo_config(tmp_path, drop=("spend", "purchases", "deal_purchases"))))
    assert _problems(run) == []
    for per in run.results.personas:
        assert per.recommendation.product_focus == "Your usual range" and "all products" not in per.description
    from analysis.publish import pages
    ctx, text = _render(run.results, "overview.qmd.j2", pages.overview)
    assert ctx["lead"] == "" and "spend" not in text.lower()
    assert "Average income" in text  # the value measure there is


def test_a_mall_style_table_reads_consistently(tmp_path):
    rng = np.random.default_rng(24)
    centres = np.array([[25, 30, 80], [45, 85, 20], [55, 55, 50], [30, 90, 85]])
    rows = np.vstack([c + rng.normal(0, [4, 8, 8], size=(80, 3)) for c in centres])
    df = pd.DataFrame({"CustomerID": np.arange(1, len(rows) + 1), "Gender": rng.choice(["Male", "Female"], len(rows)),
                       "Age": rows[:, 0].round(), "Annual Income (k$)": rows[:, 1].round(),
                       "Spending Score (1-100)": rows[:, 2].clip(1, 100).round()})
    df.to_csv(tmp_path / "mall.csv", index=False)
    cfg = {"customers": {"path": "mall.csv"},
           "columns": {"id": "CustomerID", "gender": "Gender", "age": "Age",
                       "numeric": ["Annual Income (k$)", "Spending Score (1-100)"]}, "seed": 1}
    (tmp_path / "config.yml").write_text(yaml.safe_dump(cfg))
    assert _problems(analyse(load_config(tmp_path / "config.yml"))) == []
    # Income given in thousands, as the income role: the overview's table writes it as the cards do ($86k).
    from analysis.publish import pages
    cfg["columns"] = {"id": "CustomerID", "gender": "Gender", "age": "Age", "income": "Annual Income (k$)",
                      "spending_score": "Spending Score (1-100)"}
    (tmp_path / "config.yml").write_text(yaml.safe_dump(cfg))
    run = analyse(load_config(tmp_path / "config.yml"))
    assert _problems(run) == []
    rows = pages._comparison_table(run.results)["rows"]
    assert rows and all(re.fullmatch(r"\$\d+k", row["income"]) for row in rows), [row["income"] for row in rows]
    assert not [t for p in run.results.personas for t in p.recommendation.plan if "range on your usual range" in t
                or "buy on your usual range" in t]


def test_differences_read_in_words_with_the_boundaries_of_the_rule():
    assert ps.how_different(1.0) == "much higher" and ps.how_different(-1.0) == "much lower"
    assert ps.how_different(0.99) == "higher" and ps.how_different(ps.THRESHOLD) == "higher"
    assert ps.how_different(0.49) == "a little higher" and ps.how_different(-0.2) == "a little lower"
    assert ps.how_different(0.0) == "the same"
    # Times the average count too: $393 against $135 (0.4 sd on a skewed measure) is much higher.
    assert ps.how_different(0.4, 393 / 135) == "much higher" and ps.how_different(-0.3, 45 / 135) == "much lower"
    # None of it against some is no mere "lower" (a purchases frequency of 0.00 against 0.38), whatever the sd.
    assert ps.how_different(-0.6, 0.0) == "much lower" and ps.how_different(-0.6, None) == "lower"
    assert ps.how_different(0.3, 2.0) == "much higher" and ps.how_different(0.3, 1.99) == "higher"
    assert ps.how_different(0.3, 1.5) == "higher" and ps.how_different(0.3, 1.49) == "a little higher"
    assert ps.how_different(-0.3, 1 / 1.5) == "lower" and ps.how_different(-0.3, 0.7) == "a little lower"


def test_a_few_listed_customers_are_not_counted_on_public_pages():
    p = _profile({"share_wines": (0.6, 0.5, 0.6), "channel_web": (0.5, 0.3, 0.8)}, size=100)
    c = _context(contacts={1: 7}, contact_profit={1: 12.0}, min_size=20, profit_per_contact={1: -1.0})
    rec = ps.recommend(c, p)
    assert "fewer than 20" in rec.plan[0] and "7" not in rec.plan[0] and "$12" not in rec.plan[0]
    assert "fewer than 20" in ps.actions(c, p, rec)[0]
    c20 = dataclasses.replace(c, contacts={1: 20})
    assert "the 20 customers" in ps.recommend(c20, p).plan[0]


def test_column_names_read_as_labels_with_their_units():
    from analysis.labels import plain

    assert plain("Marital_Status") == "Marital status"
    assert plain("Z_CostContact") == "Cost per contact" and plain("Z_Revenue") == "Revenue per answer"
    assert plain("lifetime_spend_groceries") == "Lifetime spend groceries"
    assert plain("Annual Income (k$)") == "Annual income (k$)"
    assert plain("Spending Score (1-100)") == "Spending score (1-100)"
    assert plain("NumWebPurchases") == "Number of web purchases" and plain("UK_region") == "UK region"
    # Currency codes at the end are units; size units and periods are written as such.
    assert plain("monthly_fee_usd") == "Monthly fee (USD)" and plain("Revenue_EUR") == "Revenue (EUR)"
    assert plain("data_gb_last_90d") == "Data GB last 90 days" and plain("avg_basket") == "Average basket"
    assert plain("usd") == "Usd" and plain("status_2024") == "Status 2024"
    assert plain("last_try") == "Last try" and plain("amount_sek") == "Amount (SEK)"  # a code that is a word stays one
    # Abbreviations of exports: counts, revenue, periods of the last months or days.
    assert plain("n_txn") == "Number of transactions" and plain("n_1") == "N 1" and plain("n") == "N"
    assert plain("TotRev_L12M") == "Total revenue last 12 months" and plain("spend_l90d") == "Spend last 90 days"
    assert plain("SalesL12M") == "Sales last 12 months" and plain("cell12m") == "Cell12m"  # an l inside a word stays
    assert plain("last_seen_dt") == "Last seen date" and plain("acq_channel") == "Acquisition channel"
    assert plain("nb_commandes") == "Nb commandes"  # French: not 'Number of commandes'
    # A name in capitals throughout is loud, not acronyms: only words without a vowel and known ones stay.
    assert plain("ONEOFF_PURCHASES") == "Oneoff purchases" and plain("CASH_ADVANCE_TRX") == "Cash advance TRX"
    assert plain("CUST_ID") == "Cust ID" and plain("PURCHASES") == "Purchases" and plain("MRR") == "MRR"
    # Capitals on some later words and not others are the writer's (German nouns); title case is not.
    assert plain("Tage_seit_letztem_Kauf") == "Tage seit letztem Kauf" and plain("Marital_Status") == "Marital status"
    assert plain("avgOrderValue") == "Average order value"  # camelCase capitals are no choice
    assert ps.lower("Tage seit letztem Kauf") == "Tage seit letztem Kauf" and ps.lower("Days Since Last Purchase") == (
        "days since last purchase")
    assert plain("NumOfProducts") == "Number of products" and plain("num_of_orders") == "Number of orders"
    # A German name keeps its nouns' capitals even where every word has one; title case in English does not.
    assert plain("Anzahl Bestellungen") == "Anzahl Bestellungen" and plain("Letzte_Bestellung") == "Letzte Bestellung"
    assert plain("Käufe Pro Jahr") == "Käufe Pro Jahr" and plain("Purchases Per Year") == "Purchases per year"
    assert ps.lower("Anzahl Bestellungen") == "Anzahl Bestellungen" and ps.lower("Retouren") == "Retouren"
    # English abbreviations are spelt out in English names only: 'Number of hijos' is half a translation.
    assert plain("num_hijos") == "Num hijos" and plain("avg_gasto_mensual") == "Avg gasto mensual"
    assert plain("n_compras") == "N compras" and plain("num_achats") == "Num achats"
    assert plain("gasto_gb") == "Gasto GB"  # a unit is one in any language
    assert plain("Kunden-ID") == "Kunden-ID" and plain("T-Shirt spend") == "T-shirt spend"  # hyphen parts alike
    # English title case leaves its small words lower: 'Time on App' is title case, not chosen capitals.
    assert plain("Time on App") == "Time on app" and plain("Length of Membership") == "Length of membership"
    # An acronym keeps its capitals inside a sentence: 'FFP tier', never 'fFP tier'.
    from analysis import formatters as fmt
    assert [fmt.mid_sentence(x) for x in ("FFP tier", "BP sum", "High income", "A", "")] == [
        "FFP tier", "BP sum", "high income", "a", ""]
    assert fmt.mid_sentence("Umsatz 2023 (€)") == "Umsatz 2023 (€)"
    assert ps._compare("family_size", "Family size", "count", True) == "larger family size"
    assert ps._compare("n", "Number of products", "count", False) == "lower number of products"
    assert ps._compare("purchases", "Purchases", "count", False) == "fewer purchases"
    assert plain("BALANCE_EUR") == "Balance (EUR)" and plain("NPS") == "NPS" and plain("AGE") == "Age"


def test_without_spend_the_offer_follows_income():
    c = _context(kinds={**KINDS, "income": "money"}, labels={**LABELS, "income": "Income"})

    def offer(effect):
        p = dataclasses.replace(_profile({"income": (90000.0, 50000.0, effect)}), share_value=None)
        return ps.recommend(c, p).offer
    assert offer(0.5).startswith("Premium") and offer(0.49) == "Standard offer"
    assert offer(-0.5) == "Low-cost entry offer" and offer(-0.49) == "Standard offer"
    # Nothing to cross-sell without categories; with one, the fallback grows the categories they buy less.
    p = dataclasses.replace(_profile({"income": (90000.0, 50000.0, 0.1)}), share_value=None)
    rec = ps.recommend(c, p)
    assert "no spend per category" in rec.offer_why and rec.product_focus == "Your usual range"
    with_cat = dataclasses.replace(_profile({"income": (90000.0, 50000.0, 0.1), "share_wines": (0.2, 0.5, -0.6),
                                             "share_gold": (0.8, 0.5, 0.6)}),
                                   share_value=None)
    rec = ps.recommend(c, with_cat)
    assert rec.offer == "Cross-sell offer" and rec.offer_why.endswith("cross-sell wines (20% of their spend against 50%)")
    # The standard offer says what income is, and that there is no spend: not that nothing sets them apart.
    assert rec.offer_why.startswith("income $90,000 against $50,000 on average; the input has no spend to compare")
    # Neither spend nor income: nothing is claimed equal that was not measured (a monthly fee may differ).
    none = ps.recommend(_context(), dataclasses.replace(_profile({"recency_days": (30.0, 40.0, -0.1)}), share_value=None))
    assert none.offer == "Standard offer" and none.offer_why.startswith(
        "the input has no spend or income column to size an offer by (columns.spend)")
    assert "sets them apart" not in none.offer_why


def test_small_spenders_who_buy_often_get_a_basket_offer_not_an_entry_offer():
    c = _context(kinds={**KINDS, "orders": "count"}, labels={**LABELS, "orders": "Orders"})

    def offer(effect):
        p = dataclasses.replace(_profile({"orders": (8.9, 7.0, effect), "total_spend": (100.0, 300.0, -0.8)}),
                                share_customers=0.30, share_value=0.07)
        return ps.recommend(c, p)
    rec = offer(0.5)
    assert rec.offer == "Basket-building offer" and "8.9 orders against 7.0" in rec.offer_why
    assert rec.offer_why.endswith("small orders, so a bundle or a reward above an order value")
    assert offer(0.49).offer == "Step-up offer: a low-cost add-on or upgrade"
    # Many products per order (a 'wide-basket' name) yet little revenue: no 'small' orders said of them.
    for width, wide in ((0.5, True), (0.49, False)):
        p = dataclasses.replace(_profile({"orders": (8.9, 7.0, 0.5), "total_spend": (100.0, 300.0, -0.8),
                                          "basket_size": (2.5, 1.97, width)}), share_customers=0.30, share_value=0.07)
        why = ps.recommend(c, p).offer_why
        assert why.endswith("orders of many low-priced products, so a reward above an order value") == wide
        assert ("small orders" in why) != wide


def test_low_revenue_from_newer_customers_calls_for_onboarding_not_a_step_up():
    # Their spend is that of months, not years: 4 months against 30 (at most 1 / 1.5 of the average).
    labels = {**LABELS, "tenure_months": "Tenure"}
    c = _context(kinds={**KINDS, "tenure_months": "months"}, labels=labels)

    def offer(tenure: float, effect: float = -1.2, value: float = 0.07):
        p = dataclasses.replace(_profile({"tenure_months": (tenure, 30.0, effect), "total_spend": (100.0, 300.0, -0.8)}),
                                share_customers=0.30, share_value=value)
        return ps.recommend(c, p)
    rec = offer(4.0)
    assert rec.offer.startswith("Onboarding") and "but newer (4 months against 30 months)" in rec.offer_why
    assert "and 175% of the average revenue per month as customers" in rec.offer_why  # 7/30 x 30/4
    assert rec.timing == "Early in the relationship"
    assert offer(20.0, value=0.15).offer.startswith("Onboarding") and offer(20.01, value=0.15).offer.startswith("Step-up")
    assert offer(4.0, effect=-0.49).offer.startswith("Step-up")


def test_newer_customers_who_also_spend_little_per_month_get_a_step_up_not_onboarding():
    """A short relationship explains low spend only where spend per month as customers is at least
    1 / 1.5 of the average: 20% of the revenue share over 9 months against 30 is two thirds of it; a
    hotel's members of 17 months against 39 who spend 13% of the average (31% per month) are small buyers."""
    c = _context(kinds={**KINDS, "tenure_months": "months"}, labels={**LABELS, "tenure_months": "Tenure"})

    def offer(tenure: float, value: float = 0.06):
        p = dataclasses.replace(_profile({"tenure_months": (tenure, 30.0, -1.2), "total_spend": (100.0, 300.0, -0.8)}),
                                share_customers=0.30, share_value=value)
        return ps.recommend(c, p)
    assert offer(9.0).offer.startswith("Onboarding") and "67% of the average revenue per month" in offer(9.0).offer_why
    assert offer(9.01).offer == "Step-up offer: a low-cost add-on or upgrade"
    assert offer(9.0).timing == "Early in the relationship" and offer(9.01).timing != "Early in the relationship"
    assert offer(0.0).offer.startswith("Onboarding")  # joined this month: no month to judge them by


@pytest.mark.parametrize("rate, offer, timing", [(False, "Onboarding", "Early in the relationship"),
                                                 (True, "Step-up offer", "Regular cycle")])
def test_a_premium_paid_per_year_is_not_low_for_a_short_relationship(rate, offer, timing):
    """Newer policy holders who pay 23% of the premiums from 30% of the customers: an annual premium
    is what they pay per year however long they have been customers, so they pay less, and get a
    step-up; were the value summed over their 4 months (against 30), it would be 175% per month."""
    c = dataclasses.replace(_context(kinds={**KINDS, "tenure_months": "months"},
                                     labels={**LABELS, "tenure_months": "Tenure"}), spend_rate=rate)
    p = dataclasses.replace(_profile({"tenure_months": (4.0, 30.0, -1.2), "total_spend": (100.0, 300.0, -0.8)}),
                            share_customers=0.30, share_value=0.07)
    rec = ps.recommend(c, p)
    assert rec.offer.startswith(offer) and rec.timing == timing
    if rate:  # paid per period, the value ratio itself decides: 2 / 3 of the average's is enough for the timing
        assert ps.recommend(c, dataclasses.replace(p, share_value=0.20)).timing == "Early in the relationship"
        assert ps.recommend(c, dataclasses.replace(p, share_value=0.1999)).timing != "Early in the relationship"


@pytest.mark.parametrize("name, rate", [("MonthlyCharges", True), ("TotalCharges", False), ("annual_premium", True),
                                        ("Jahresprämie", True), ("mrr_usd", True), ("total_premiums", False),
                                        ("lifetime_spend", False), ("spend", False), ("avg_order_value", True)])
def test_a_spend_is_read_as_paid_per_period_from_its_name(name, rate):
    from analysis.config import parse_config
    from analysis.segment.features import spend_is_rate

    cfg = parse_config({"customers": {"path": "c.csv"}, "columns": {"id": "id", "spend": {"all": name}}}, "c.yml")
    assert spend_is_rate(cfg) == rate
    two = parse_config({"customers": {"path": "c.csv"}, "columns": {"id": "id", "spend": {"a": name, "b": "x"}}}, "c.yml")
    assert not spend_is_rate(two)  # spend per category sums to what each customer spent


# ---------------------------------------------------------------- pages: every sentence computed

def _render(r, page: str, build) -> tuple[dict, str]:
    from analysis.publish import pages
    ctx = build(r, lambda fig, div_id, label: "")
    return ctx, pages.environment().get_template(page).render(**pages.site_meta(r, False), **ctx)


def _with_spend(p, mean: float):
    return dataclasses.replace(p, stats=tuple(dataclasses.replace(s, mean=mean) if s.feature == "total_spend" else s
                                              for s in p.stats))


def test_the_overview_names_the_top_spender_it_computes(demo_run):
    from analysis import formatters as fmt
    from analysis.publish import pages

    r = demo_run.results
    one, two = r.segments[0], r.segments[1]
    swapped = dataclasses.replace(r, segments=(_with_spend(one, two.stat("total_spend").mean),
                                               _with_spend(two, one.stat("total_spend").mean)) + r.segments[2:])
    for res in (r, swapped):
        ctx, text = _render(res, "overview.qmd.j2", pages.overview)
        top = max((p for p in res.segments if p.public), key=lambda p: p.stat("total_spend").mean)
        assert ctx["lead"].startswith(f"Segment {top.id}, {top.name}, spends the most on average: "
                                      f"{fmt.money(top.stat('total_spend').mean, '$')} per customer")
        assert "Segment 1 has the highest" not in text and "silhouette" not in text.lower()
        for row, p in zip(ctx["compare"]["rows"], [p for p in res.segments if p.public]):
            assert row["spend"] == fmt.money(p.stat("total_spend").mean, "$")
            assert row["size"] == fmt.integer(p.size)
            assert row["rate"] == fmt.percent(res.campaigns[-1].by_segment[p.id - 1].rate)
    assert _render(swapped, "overview.qmd.j2", pages.overview)[0]["lead"].startswith("Segment 2,")


def test_a_segment_worth_contacting_at_its_rate_says_what_qualifies_that(demo_run):
    from analysis.publish import pages

    r = demo_run.results
    p = dataclasses.replace(r.segments[0], size=752)
    v = dataclasses.replace(next(x for x in r.targeting.segments if x.segment == p.id), target=True,
                            profit_low=-0.2, profit_per_contact=0.37)
    listed = dataclasses.replace(r, response=dataclasses.replace(r.response, segments=tuple(
        dataclasses.replace(s, contacts=300) if s.segment == p.id else s for s in r.response.segments)))
    text = pages._segment_payoff(listed, p, v)
    assert text.startswith("at its answer rate, a paid contact of the whole segment pays")
    assert "interval reaches below break-even" in text and "takes only the 300 of its customers" in text
    sure = pages._segment_payoff(dataclasses.replace(listed, response=None), p, dataclasses.replace(v, profit_low=0.01))
    assert sure == "at its answer rate, a paid contact of the whole segment pays."
    assert "does not pay" in pages._segment_payoff(r, p, dataclasses.replace(v, target=False))


def test_pooled_values_say_they_are_few_in_this_segment_not_overall(demo_run):
    from analysis.publish import pages
    from analysis.segment.profiles import CategoryMix

    r = dataclasses.replace(demo_run.results, min_segment_size=20, n_segmented=1000)
    p = dataclasses.replace(r.segments[0], size=100)
    # Lux: 15 customers here but 300 in all; Nord: 5 here.
    mix = CategoryMix("Region", {"Süd": 0.8, "Lux": 0.15, "Nord": 0.05}, {"Süd": 0.5, "Lux": 0.3, "Nord": 0.2})
    rows = pages._category_rows(r, p, mix)
    assert [x["category"] for x in rows] == ["Süd", "Other values (each held by fewer than 20 customers of this segment)"]
    assert rows[1]["share"] == "20%" and rows[1]["overall"] == "50%"
    # A value the segment lacks (Ost: none here, 200 in all) is named with its 0%: it describes no one of the
    # segment, and a SaaS segment's plan table says it has no Enterprise account rather than "other values".
    absent = CategoryMix("Region", {"Süd": 0.8, "Lux": 0.2}, {"Süd": 0.5, "Lux": 0.3, "Ost": 0.2})
    rows = pages._category_rows(r, p, absent)
    assert [(x["category"], x["share"], x["overall"]) for x in rows] == [
        ("Süd", "80%", "50%"), ("Lux", "20%", "30%"), ("Ost", "0%", "20%")]
    # ... but one held by fewer than the minimum group size overall stays among the others.
    rare = CategoryMix("Region", {"Süd": 0.8, "Lux": 0.2}, {"Süd": 0.5, "Lux": 0.49, "Ost": 0.01})
    assert pages._category_rows(r, p, rare)[-1] == {"category": "Other values (none in this segment)", "share": "0%",
                                                    "overall": "1%"}
    rows = pages._category_rows(r, p, CategoryMix("Region", {"Süd": 0.85, "Lux": 0.15}, {"Süd": 0.5, "Lux": 0.3, "Ost": 0.2}))
    assert rows[-1] == {"category": "Other values (fewer than 20 customers of this segment in all)", "share": "–",
                        "overall": "–"}
    few = CategoryMix("Region", {"Süd": 0.9, "Lux": 0.1}, {"Süd": 0.7, "Lux": 0.3})
    assert pages._category_rows(r, p, few)[-1] == {
        "category": "Other values (fewer than 20 customers of this segment in all)", "share": "–", "overall": "–"}


def test_value_tiers_are_called_tiers_on_every_page_that_shows_them(demo_run):
    """With no natural segments the groups are cuts of one continuum: the overview, its executive
    summary and each segment page say so; natural segments read as segments, with no such note."""
    from analysis.publish import pages

    r = demo_run.results
    assert r.chosen.fallback == "value_tiers"  # the bundled demo has no natural segments
    natural = dataclasses.replace(r, chosen=dataclasses.replace(r.chosen, fallback=None, tiers_by=""))
    for res, tiers in ((r, True), (natural, False)):
        _, text = _render(res, "overview.qmd.j2", pages.overview)
        summary = pages.environment().get_template("summary.qmd.j2").render(**pages.overview(res, lambda *a: ""))
        _, page = _render(res, "segment.qmd.j2", lambda x, chart: pages.segment(x, 1, chart))
        assert ("fall into **3 value tiers** of about equal size by total spend" in text + summary) == tiers
        assert ("fall into **3 segments**" in summary) == (not tiers)
        assert ("## Why 3 value tiers" in text) == tiers and ("## Why 3 segments" in text) == (not tiers)
        assert ("A value tier, not a natural segment" in page) == tiers
        _, method = _render(res, "methodology.qmd.j2", pages.methodology)
        assert ('title="Chosen: 3 value tiers by total spend"' in method) == tiers
        assert ('with 3 segments"}' in method) == (not tiers)
    # Tiers cut by income (no spend in the data) say so.
    by_income = dataclasses.replace(r, chosen=dataclasses.replace(
        r.chosen, tiers_by="income", reason=r.chosen.reason.replace("total spend", "income")))
    _, text = _render(by_income, "overview.qmd.j2", pages.overview)
    assert "of about equal size by income instead" in text and "by total spend" not in text
    # Without spend or income the tiers run along the first principal component: no "value" in them.
    by_pc = dataclasses.replace(r, chosen=dataclasses.replace(
        r.chosen, tiers_by="the first principal component", fallback="pc_tiers",
        reason=r.chosen.reason.replace("value tiers", "tiers").replace("total spend", "the first principal component")))
    _, text = _render(by_pc, "overview.qmd.j2", pages.overview)
    _, page = _render(by_pc, "segment.qmd.j2", lambda x, chart: pages.segment(x, 1, chart))
    assert "## Why 3 tiers" in text and "into **3 tiers** of about equal size by the first principal component" in text
    assert "value tier" not in (text + page).lower() and "A tier, not a natural segment" in page
    # The demo's tiers hold 686, 689 and 683 customers (ties stay together): about equal, not equal.
    from analysis import formatters as fmt
    assert sorted(p.size for p in r.segments) == [683, 686, 689]
    assert (fmt.equal_size([5, 6, 6]), fmt.equal_size([5, 7, 6])) == ("equal", "about equal")


def test_the_campaigns_page_names_the_profitable_plan_with_its_measured_numbers(demo_run):
    from analysis import formatters as fmt
    from analysis.publish import pages

    r = demo_run.results
    m = r.response
    ctx, text = _render(r, "campaigns.qmd.j2", pages.campaigns)
    resp = ctx["response"]
    assert resp["contacts"] == fmt.integer(m.contacts) and resp["measured"] == fmt.money(m.measured_profit.value, "$")
    assert [p["contacts"] for p in resp["plans"]] == [fmt.integer(r.targeting.everyone[0]),
                                                      fmt.integer(r.targeting.targeted[0]), fmt.integer(m.contacts),
                                                      fmt.integer(m.per_segment_contacts)]
    assert resp["plans"][3]["profit"] == fmt.money(m.per_segment_profit.value, "$")
    assert resp["plans"][2]["plan"] == f"Contact the top {fmt.integer(m.contacts)} customers by score (the contact list)"
    # An empty list on all customers is no 'top 0 customers' beside the loss its out-of-fold measurement made.
    empty = dataclasses.replace(r, response=dataclasses.replace(m, contacts=0, per_segment_contacts=0))
    plans = _render(empty, "campaigns.qmd.j2", pages.campaigns)[0]["response"]["plans"]
    assert [p["plan"] for p in plans[2:]] == ["Contact those whose score pays for the contact: none of all the customers",
                                              "Contact each segment's own best N: none of all the customers"]
    assert "exports/contact_list.csv" in text and "4 plans for the next campaign" in text
    # Each segment's own best N, measured out of fold, in the by-segment table.
    for row, s in zip(resp["segments"], [s for s in m.segments if r.segments[s.segment - 1].public]):
        assert row["best_measured"] == (fmt.money(s.best_measured.value, "$") if s.best_n >= r.min_segment_size else "–")
    # What fewer listed customers than the minimum group earned is not published.
    first = next(s for s in m.segments if r.segments[s.segment - 1].public)
    for n, shown in ((r.min_segment_size - 1, False), (r.min_segment_size, True)):
        few = dataclasses.replace(r, response=dataclasses.replace(m, segments=tuple(
            dataclasses.replace(s, contacts=n, best_n=n, measured_profit=-5.0) if s is first else s for s in m.segments)))
        row = pages.campaigns(few, lambda fig, div_id, label: "")["response"]["segments"][0]
        assert (row["measured"] == "-$5") == shown and (row["measured"] == "–") == (not shown)
        assert (row["best_measured"] == "–") == (not shown or first.best_measured is None)
    assert "Its best N" in text
    assert ("The contact list is the plan to run" in text) == (m.measured_profit.low > 0) == True  # noqa: E712


def test_the_plan_verdict_claims_only_what_the_intervals_show(demo_run):
    """'The one plan whose whole interval lies above zero' only when no other measured plan's does;
    the list 'beats' contacting everyone only when its gain's interval lies above zero."""
    from analysis import formatters as fmt
    from analysis.insight.response import Estimate as E
    from analysis.publish import pages

    m = demo_run.results.response

    def verdict(listed, everyone, per_segment, gain):
        return pages._verdict(dataclasses.replace(demo_run.results, response=dataclasses.replace(
            m, measured_profit=E(*listed), everyone_profit=E(*everyone), per_segment_profit=E(*per_segment),
            gain_over_everyone=E(*gain))))

    loses, unsure = (-20.0, -50.0, 10.0), (10.0, -5.0, 30.0)
    assert "is the one plan whose whole 95% interval" in verdict((100, 50, 150), loses, loses, unsure)
    sure = verdict((100, 50, 150), loses, loses, (120, 30, 200))
    assert "it earned $120 more than contacting everyone" in sure and "one plan" not in sure
    both = verdict((100, 50, 150), (90, 10, 170), loses, unsure)
    assert "one plan" not in both and "so does contacting everyone ($10 to $170)" in both and "is not sure" in both
    richer = verdict((100, 50, 150), (90, 10, 170), (130, 20, 200), unsure)
    assert "so do contacting everyone" in richer and "Each segment's own best N earned more" in richer
    assert "earned more" not in verdict((100, 50, 150), loses, (90, 20, 200), unsure)
    only = verdict((40, -10, 90), (90, 10, 170), loses, (-50, -120, 20))
    assert "test it on part of the list" in only and "Only contacting everyone ($10 to $170) pays" in only
    assert "Only" not in verdict((40, -10, 90), loses, loses, unsure)
    # A list surely worse than contacting everyone (the gain's whole interval below zero) is not the plan,
    # whether it pays or not; an interval reaching zero is not sure.
    for listed in ((100, 50, 150), (40, -10, 90)):
        worse = verdict(listed, (360, 200, 500), loses, (-260, -1178, -60))
        assert worse.startswith("Contacting everyone is the plan to run: it earned $260 more than the contact list")
        assert f"({pages._money_range(E(-260, -1178, -60), '$')}) lies below zero." in worse
        assert "contact list is the plan" not in worse
    assert "Contacting everyone is the plan" not in verdict((100, 50, 150), (360, 200, 500), loses, (-260, -1178, 0))
    # The segments above break-even, counted on the answers that chose them, may show more than the
    # list: said to be optimistic, with their figure, only when they do.
    r = demo_run.results
    t = r.targeting
    good = dataclasses.replace(t.segments[0], target=True, expected_profit=500.0)
    with_target = dataclasses.replace(r, targeting=dataclasses.replace(t, segments=(good,) + t.segments[1:]))

    def verdict_of(listed):
        return pages._verdict(dataclasses.replace(with_target, response=dataclasses.replace(
            m, measured_profit=E(*listed), everyone_profit=E(*loses), per_segment_profit=E(*loses),
            gain_over_everyone=E(*unsure))))
    assert pages._shown_targets(with_target).profit == 500.0
    assert ("The segments above break-even show more ($500), but counted on the same answers that chose them, so "
            "that figure is optimistic") in verdict_of((499, 50, 900))
    assert "segments above break-even show more" not in verdict_of((500, 50, 900))


def test_the_decision_is_computed_from_the_strongest_evidence_the_data_has(demo_run):
    """The executive summary's 'What to do', one case per branch: the response model's contact list
    (or nobody when no N pays), else the segments above break-even, else the best answer rate, else
    no campaign; 'Invest in' lists the segments whose revenue share is above their customer share."""
    import dataclasses

    from analysis import formatters as fmt
    from analysis.publish import pages

    r = demo_run.results
    m = r.response
    what = lambda res: {d["what"]: d["text"] for d in pages.decision(res)}  # noqa: E731
    shares = pages.share_texts(r)
    worth = [p for p in r.segments if p.public and p.share_value >= 1.5 * p.share_customers]
    assert worth and len(worth) < len([p for p in r.segments if p.public])
    d = what(r)
    for p in r.segments:
        assert (f"segment {p.id}, {p.name} ({shares[p.id][0]} of customers" in d["Invest in"]) == (p in worth)
    # From 1.5 times its share of customers, as its premium offer: 37.5% of revenue from 25% of customers is,
    # 22% from 20% (a standard offer) is not, and then the overview says so rather than "invest".
    def invest(*pairs):
        segs = tuple(dataclasses.replace(p, share_customers=c, share_value=v) for p, (c, v) in zip(r.segments, pairs))
        return what(dataclasses.replace(r, segments=segs))["Invest in"]
    first, second = (f"segment {p.id}, {p.name}" for p in r.segments[:2])
    assert invest((0.25, 0.375), (0.25, 0.125), (0.5, 0.5)).startswith(f"{first} (25% of customers, 37% of revenue)")
    flat = invest((0.5, 0.49), (0.2, 0.22), (0.3, 0.29))
    assert flat == (f"no one segment: none brings 1.5 times its share of customers in revenue (the most: {second}, "
                    "20% of customers, 22% of revenue).")
    assert f"The {fmt.integer(m.contacts)} customers of the contact list" in d["Contact"]
    assert d["Expected result"].startswith(f"{fmt.money(m.measured_profit.value, '$')} (95% interval "
                                           f"{fmt.money(m.measured_profit.low, '$')} to {fmt.money(m.measured_profit.high, '$')})")
    assert what(dataclasses.replace(r, response=dataclasses.replace(m, contacts=0)))["Contact"].startswith("Nobody")
    from analysis.insight.response import Estimate as E
    worse = what(dataclasses.replace(r, response=dataclasses.replace(m, gain_over_everyone=E(-260, -1178, -60))))
    assert worse["Contact"].startswith(f"Everyone the latest campaign contacted ({fmt.integer(m.contacted or m.trained)} "
                                       "customers): that earned $260 more than the response model's contact list")
    assert worse["Expected result"].startswith(fmt.money(m.everyone_profit.value, "$"))
    unsure = what(dataclasses.replace(r, response=dataclasses.replace(m, gain_over_everyone=E(-260, -1178, 0))))
    assert unsure["Contact"].startswith(f"The {fmt.integer(m.contacts)} customers of the contact list")
    no_model = dataclasses.replace(r, response=None)
    assert not any(v.target for v in r.targeting.segments)
    assert f"break-even rate of {fmt.percent(r.targeting.break_even_rate, 1)}" in what(no_model)["Contact"]
    target = r.targeting.segments[0]  # the best profit per contact, made to pay
    paying = dataclasses.replace(no_model, targeting=dataclasses.replace(
        r.targeting, segments=(dataclasses.replace(target, target=True),) + r.targeting.segments[1:]))
    assert what(paying)["Contact"].startswith("The segments that answered the latest campaign above")
    assert f"segment {target.segment}," in what(paying)["Contact"]
    assert what(paying)["Expected result"].startswith(fmt.money(target.expected_profit, "$"))
    rates = dataclasses.replace(no_model, targeting=None)
    latest = r.campaigns[-1]
    best = max((p for p in r.segments if p.public), key=lambda p: latest.by_segment[p.id - 1].rate)
    assert what(rates)["Contact"].startswith(f"First segment {best.id}, {best.name}, which answered")
    assert what(dataclasses.replace(rates, campaigns=()))["Contact"].startswith("The data holds no campaign answers")


def test_contact_first_only_a_segment_that_answered_above_everyone_beyond_chance(demo_run):
    """Answers but no costs: 'First segment N' only when that segment's 95% interval lies above the
    rate of all customers; otherwise the overview says no segment stands out."""
    from analysis.insight.campaigns import Rate
    from analysis.publish.pages import _contact_and_result
    r = dataclasses.replace(demo_run.results, targeting=None, response=None)
    c = r.campaigns[-1]
    k = len(c.by_segment)

    def overview(best_low: float) -> str:
        rates = [Rate(100, 20, 0.20, 0.13, 0.29, 1.0)] * k
        rates[1] = Rate(100, 30, 0.30, best_low, 0.40, 1.5)
        camp = dataclasses.replace(c, overall=Rate(100 * k, 20 * k + 10, 0.21, 0.18, 0.25, 1.0), by_segment=tuple(rates))
        return _contact_and_result(dataclasses.replace(r, campaigns=r.campaigns[:-1] + (camp,)))[0]

    clear = overview(0.215)  # just above 21%
    assert clear.startswith("First segment 2, ") and "30.0% (95% interval 21.5% to 40.0%) against 21.0%" in clear
    within = overview(0.21)  # the interval reaches the rate of all customers
    assert within.startswith("No segment answered the latest campaign clearly more often than all customers (21.0%)")
    assert "30.0% in segment 2, " in within and "First" not in within


def test_a_hidden_top_spender_is_never_replaced_by_a_lower_one(demo_run):
    """When the highest-spending segment is too small to show, the overview says the shown top is
    only the top of the segments shown, and that the customers who spend more are hidden; the
    decision names no segment as the highest average spend when every shown one is below average."""
    from analysis.publish import pages

    r = demo_run.results
    top = max(r.segments, key=lambda p: p.stat("total_spend").mean)
    hidden = dataclasses.replace(r, segments=tuple(dataclasses.replace(p, public=p.id != top.id) for p in r.segments))
    lead = pages._lead(hidden)
    assert "of the segments large enough to show" in lead
    below = [p for p in hidden.segments if p.public and p.stat("total_spend").mean >= p.stat("total_spend").overall_mean]
    if not below:  # every shown segment spends less than the average customer
        assert "the customers who spend more are in 1 segment of fewer than" in lead
    low = dataclasses.replace(hidden, segments=tuple(
        _with_spend(p, p.stat("total_spend").overall_mean * 0.5) if p.public else p for p in hidden.segments))
    low_lead = pages._lead(low)
    assert "the customers who spend more are in 1 segment of fewer than" in low_lead
    assert "the highest average spend" not in pages._invest(dataclasses.replace(
        low, segments=tuple(dataclasses.replace(p, share_value=None) for p in low.segments)))
    assert "of the segments large enough" not in pages._lead(r) and "spend more are in" not in pages._lead(r)


def test_a_persona_states_its_shares_as_every_page_does(demo_run):
    """The shares in a persona's text are the pages' (rounded to add up to 100%): the demo's three
    thirds read 33%, 34%, 33% everywhere, never 33% in the text and 34% in the table."""
    from analysis import formatters as fmt
    from analysis.publish import pages

    r = demo_run.results
    shown = pages.share_texts(r)
    assert [shown[p.id][0] for p in r.segments] != [fmt.percent(p.share_customers) for p in r.segments]
    for persona, p in zip(r.personas, r.segments):
        cust, revenue = shown[p.id]
        assert persona.description.startswith(f"{fmt.integer(p.size)} customers ({cust} of all), bringing {revenue} of revenue")
        assert all(f"of revenue from {cust} of customers" in a for a in p.actions if a.startswith("Value:"))


def test_a_response_model_no_better_than_chance_is_said_to_be(demo_run):
    from analysis.publish import pages
    from analysis.insight.response import Estimate

    r = demo_run.results
    assert r.response is not None and r.response.contacts > 0 and r.response.auc.low > 0.5
    contact, _ = pages._contact_and_result(r)
    assert f"ranks customers with a ROC AUC of {r.response.auc.value:.2f};" in contact
    weak = dataclasses.replace(r, response=dataclasses.replace(r.response, auc=Estimate(0.53, 0.5, 0.58)))
    contact, _ = pages._contact_and_result(weak)
    assert "no better than chance can be ruled out (ROC AUC 0.53, 95% interval 0.50 to 0.58)" in contact


def test_the_group_no_dense_segment_took_is_never_where_to_invest(demo_run):
    """A density method's leftover customers are no segment: the overview neither invests in them nor
    names them as the top spenders, however much they spend."""
    from analysis.publish import pages

    r = demo_run.results
    top = max(r.segments, key=lambda p: (p.share_value / p.share_customers, p.stat("total_spend").mean))
    assert f"segment {top.id}" in pages._invest(r).lower() and f"Segment {top.id}," in pages._lead(r)
    noise = dataclasses.replace(r, segments=tuple(dataclasses.replace(p, unassigned=p.id == top.id) for p in r.segments))
    assert f"segment {top.id}" not in pages._invest(noise).lower()
    assert f"Segment {top.id}," not in pages._lead(noise)


def test_the_break_even_plan_totals_only_segments_large_enough_to_show(demo_run):
    """A segment under the minimum size is above break-even: its customers, answers and profit stay out
    of the public plans, which say so, and the overview says that smaller segments did answer."""
    from analysis.publish import pages

    r = demo_run.results
    # Segment 1 made a target (in the demo no segment as a whole pays for its contact).
    t = dataclasses.replace(r.targeting, segments=tuple(dataclasses.replace(v, target=v.segment == 1)
                                                         for v in r.targeting.segments))
    one = next(v for v in t.segments if v.segment == 1)
    t = dataclasses.replace(t, targeted=(one.customers, one.expected_answers, one.expected_profit))
    r = dataclasses.replace(r, targeting=t)
    targets = [1]
    hidden = dataclasses.replace(r, segments=tuple(dataclasses.replace(p, public=p.id not in targets)
                                                   for p in r.segments))
    page = pages.campaigns(hidden, lambda *a: "")
    assert page["targeting"]["targeted"] == ["0", "0", pages.fmt.money(0.0, r.currency)]
    assert page["targeting"]["targeted_plan"].endswith("large enough to show")
    plan = page["response"]["plans"][1]
    assert plan["contacts"] == "0" and plan["plan"].endswith("large enough to show")
    assert page["response"]["plans"][0]["profit"] == pages.fmt.money(r.response.everyone_profit.value, r.currency)
    no_model = dataclasses.replace(hidden, response=None)
    contact = pages._contact_and_result(no_model)[0]
    assert contact.startswith("Nobody in a paid campaign: no segment large enough to show answered")
    assert f"{len(targets)} segment" in contact and "did (see exports/, private)" in contact
    shown = pages.campaigns(r, lambda *a: "")["targeting"]
    assert shown["targeted"][0] == pages.fmt.integer(t.targeted[0]) and "large enough" not in shown["targeted_plan"]


def test_the_excluded_count_names_rows_of_a_table_and_customers_of_order_lines(demo_run):
    from analysis.publish import pages

    r = dataclasses.replace(demo_run.results, n_input=2240, n_segmented=2200)

    def summary(res):
        return pages.environment().get_template("summary.qmd.j2").render(**pages.overview(res, lambda *a: ""))
    assert "(40 of 2,240 input rows were excluded" in summary(r)
    lines = dataclasses.replace(r.manifest, config={**r.manifest.config, "transactions": {"customer": "c"}})
    assert "(40 of 2,240 customers in the input were excluded" in summary(dataclasses.replace(r, manifest=lines))


def test_the_methodology_says_what_the_segments_are_found_on():
    from analysis.publish.pages import features_sentence

    labels = {"share_wines": "Share of spend: Wines", "channel_web": "Share of purchases: Web", "income": "Income",
              "total_spend": "Total spend", "orders_at_weekends": "Orders at weekends", "recency_days": "Days since"}
    assert features_sentence(["share_wines", "channel_web", "income", "total_spend"], labels) == (
        "Segments are found on spend by category and purchases by channel as shares, beside income and total spend, "
        "so that how customers buy counts as much as how much they buy.")
    assert features_sentence(["orders_at_weekends", "share_wines"], labels) == (
        "Segments are found on spend by category and orders by time of week and day as shares.")
    assert features_sentence(["income", "recency_days"], labels) == "Segments are found on income and days since."
    many = {f"m{i}": f"M{i}" for i in range(7)}
    assert features_sentence(list(many), many) == "Segments are found on m0, m1, m2, m3 and 3 more measures."


def test_win_back_only_beyond_twice_their_own_gap_between_orders():
    """Occasional buyers are not lapsing because they bought long ago: with 3 orders over 24 months
    (730.56 days), the gap is (730.56 - recency) / 2, and twice it is passed from recency 365.28 on."""
    extra = {"recency_days": "Days since last purchase", "orders": "Orders", "tenure_months": "Tenure"}
    c = _context(labels={**LABELS, **extra}, kinds={**KINDS, "recency_days": "days", "orders": "count",
                                                    "tenure_months": "months"})

    def rec(recency, orders=3.0):
        return ps.recommend(c, _profile({"recency_days": (recency, 66.0, 1.2), "orders": (orders, 5.0, -0.4),
                                         "tenure_months": (24.0, 20.0, 0.3)}))
    on_cycle = rec(360.0)
    assert not on_cycle.offer.startswith("Win-back") and on_cycle.timing == "Regular cycle"
    assert on_cycle.timing_why == "their last purchase, 360 days ago, is within twice their own 185 days between orders"
    late = rec(370.0)
    assert late.offer.startswith("Win-back") and late.timing == "Now"
    assert late.offer_why == "their last purchase is longer ago than most and beyond twice their own 180 days between orders"
    # Most ordered once (1.49 orders on average): no rhythm of their own, recency alone decides.
    assert rec(370.0, orders=1.49).offer.startswith("Win-back") and rec(100.0, orders=1.49).offer.startswith("Win-back")
    assert not rec(370.0, orders=1.5).offer.startswith("Win-back")  # gap (730.56 - 370) / 0.5 = 721 days
    # Without order counts and tenure (a customer table of recency only), recency alone decides.
    alone = ps.recommend(c, _profile({"recency_days": (100.0, 66.0, 1.2)}))
    assert alone.offer == "Win-back: a time-limited reactivation offer" and alone.offer_why == (
        "their last purchase is longer ago than most")
    # The name follows the same rule: on their own cycle they are not called lapsing.
    labels = {**LABELS, **extra}
    means = {"orders": 3.0, "tenure_months": 24.0}
    effects = {"recency_days": 1.2, "orders": -0.6, "tenure_months": 0.3}
    assert ps.name_segment(effects, labels, means={**means, "recency_days": 360.0}) == "Occasional customers"
    assert ps.name_segment(effects, labels, means={**means, "recency_days": 370.0}) == "Lapsing, occasional customers"
    # Lapsing decides the advice, so it leads the name even where another trait is stronger.
    stronger = {**effects, "orders": -2.0}
    assert ps.name_segment(stronger, labels, means={**means, "recency_days": 370.0}) == "Lapsing, occasional customers"
    assert ps.name_segment(stronger, labels, means={**means, "recency_days": 360.0}) == "Occasional customers"
    # More than four of their own gaps back, they have lapsed: gap (730.56 - r) / 2, so r > 487.04.
    assert ps.name_segment(effects, labels, means={**means, "recency_days": 488.0}) == "Lapsed, occasional customers"
    assert ps.name_segment(effects, labels, means={**means, "recency_days": 486.0}) == "Lapsing, occasional customers"
    # Without their rhythm (most ordered once), never more than lapsing.
    assert ps.name_segment(effects, labels, means={**means, "orders": 1.2, "recency_days": 700.0}).startswith("Lapsing")
    # A tenure from a signup date, not the first order (a joined table's own): no rhythm is read from it, so
    # recency alone decides, in the advice and in the name (build_personas passes rhythm_means).
    signed = dataclasses.replace(c, rhythm=False)
    assert rec(360.0).offer.startswith("Win-back") is False
    assert ps.recommend(signed, _profile({"recency_days": (360.0, 66.0, 1.2), "orders": (3.0, 5.0, -0.4),
                                          "tenure_months": (24.0, 20.0, 0.3)})).offer_why == (
        "their last purchase is longer ago than most")
    p = _profile({"recency_days": (360.0, 66.0, 1.2), "orders": (3.0, 5.0, -0.4), "tenure_months": (24.0, 20.0, 0.3)})
    assert "tenure_months" in ps.rhythm_means(p, c) and "tenure_months" not in ps.rhythm_means(p, signed)
    assert ps.name_segment(effects, labels, means=ps.rhythm_means(p, signed)).startswith("Lapsing")
    # With the months since the first order beside the signup tenure, the rhythm counts from them.
    bought = _profile({"recency_days": (360.0, 66.0, 1.2), "orders": (3.0, 5.0, -0.4), "tenure_months": (60.0, 50.0, 0.3),
                       "first_order_months": (24.0, 20.0, 0.3)})
    assert ps.rhythm_means(bought, signed)["tenure_months"] == 24.0


def test_the_comparison_table_names_what_the_campaign_is_on(demo_run):
    """The side-by-side table's next step and the segment's campaign name the same offer on the same
    thing (it had said 'on best sellers' where the campaign said 'on your usual range')."""
    from analysis.publish import pages

    r = demo_run.results
    for p in r.segments:
        rec = r.personas[p.id - 1].recommendation
        short = pages._short_action(r, p).split(";")[0]
        assert short == f"{rec.offer.split(':')[0]} on {rec.offer_on}"
        assert f"{rec.offer} on {rec.offer_on}" in rec.plan[0]
        assert p.actions[0].startswith(f"{rec.offer} on {rec.offer_on}")  # the overview card's next step
    c = _context(labels={**LABELS, "share_tea": "Share of spend: Tea"})
    rec = ps.recommend(c, _profile({"share_wines": (0.7, 0.4, 0.9), "share_tea": (0.1, 0.4, -0.9)}))
    assert (rec.offer, rec.offer_on, rec.product_focus) == ("Cross-sell offer", "tea", "Wines")
    assert ps.actions(c, _profile({}), rec)[0].startswith("Cross-sell offer on tea")


@pytest.mark.parametrize("undated", [False, True])
def test_the_excluded_customers_heading_is_a_heading_after_the_opening_paragraph(demo_run, undated):
    """The opening sentence of a customer table ends in an inline condition; the heading after it
    needs its blank line, or it reads '... measured on 2024-04-29. ## Excluded customers'."""
    from analysis.publish import pages

    r = dataclasses.replace(demo_run.results, excluded_reasons={"same values as an earlier customer": 1},
                            undated=undated)
    _, text = _render(r, "data-quality.qmd.j2", lambda res, chart: pages.data_quality(res))
    assert "\n\n## Excluded customers\n" in text and ". ## Excluded" not in text


def test_an_undated_table_says_ages_are_measured_on_the_run_date_only_when_it_has_birth_years(demo_run):
    from analysis.publish import pages

    r = dataclasses.replace(demo_run.results, undated=True)
    _, text = _render(r, "data-quality.qmd.j2", lambda res, chart: pages.data_quality(res))
    assert "ages are measured on the run date" in text  # the demo has Year_Birth
    cfg = {**r.manifest.config, "columns": {**r.manifest.config["columns"], "birth_year": None}}
    r = dataclasses.replace(r, manifest=dataclasses.replace(r.manifest, config=cfg))
    _, text = _render(r, "data-quality.qmd.j2", lambda res, chart: pages.data_quality(res))
    assert "birth years" not in text


def test_the_side_by_side_headers_take_the_configs_labels(demo_run):
    """A table's recency that counts days since the last login, and a single money column that is a
    monthly fee, are headed as labelled, not 'Days since last purchase' and 'Average spend'."""
    from analysis.publish import pages

    r = demo_run.results
    _, text = _render(r, "summary.qmd.j2", pages.overview)
    assert "| Average spend |" in text and "| Days since last purchase |" in text
    relabel = {"recency_days": "Days since last login", "total_spend": "Monthly fee | USD"}
    feats = tuple(dataclasses.replace(d, label=relabel.get(d.name, d.label)) for d in r.features)
    _, text = _render(dataclasses.replace(r, features=feats), "summary.qmd.j2", pages.overview)
    assert "| Days since last login |" in text and "| Average monthly fee \\| USD |" in text
    assert "Days since last purchase" not in text and "Average spend" not in text


def test_labels_in_running_text_keep_their_acronyms_and_units():
    assert ps.lower("Monthly fee (USD)") == "monthly fee (USD)" and ps.lower("Data GB last 90 days") == "data GB last 90 days"
    assert ps.lower("Christmas decorations") == "Christmas decorations" and ps.lower("Spending Score") == "spending score"
    assert ps.lower("A Lamp") == "a lamp"  # one capital is no acronym
    assert ps.name_segment({"data_gb": 1.2}, {"data_gb": "Data GB last 90 days"}) == "High data GB customers"  # the period aside


def test_a_category_they_hardly_buy_is_not_cross_sold():
    """Electronics buyers give groceries 0% of their spend against 20% on average: nothing shows they
    want groceries, so the cross-sell goes to a category they already buy a little of, or none is made."""
    labels = {**LABELS, "share_groceries": "Share of spend: Groceries", "share_toys": "Share of spend: Toys",
              "share_electronics": "Share of spend: Electronics"}
    c = _context(labels=labels)

    def rec(groceries: float, toys: float):
        p = _profile({"share_electronics": (0.9, 0.3, 1.5), "share_groceries": (groceries, 0.2, -1.2),
                      "share_toys": (toys, 0.15, -0.4)})
        return ps.recommend(c, p)
    assert rec(0.0, 0.05).offer_why.endswith("cross-sell toys (5% of their spend against 15%)")
    assert rec(0.02, 0.05).offer_why.endswith("cross-sell groceries (2% of their spend against 20%)")
    assert rec(0.0199, 0.05).offer_why.endswith("cross-sell toys (5% of their spend against 15%)")
    none = rec(0.0, 0.01)
    assert none.offer == "Standard offer" and none.offer_why.endswith(
        "the category furthest below its average share, groceries, they hardly buy (0% of their spend against "
        "20%): nothing shows they want it")


def test_a_standard_offer_says_when_their_largest_category_is_the_one_below_average():
    """Groceries, their largest (44% against 45%), is the only category under its average share:
    nothing else to cross-sell, and the reason says so instead of 'no category falls below'."""
    labels = {**LABELS, "share_groceries": "Share of spend: Groceries", "share_toys": "Share of spend: Toys"}
    c = _context(labels=labels)
    p = _profile({"share_groceries": (0.44, 0.45, -0.05), "share_toys": (0.56, 0.55, 0.05)})
    p = dataclasses.replace(p, stats=(FeatureStat("share_groceries", 0.60, 0.60, 0.61, 0.61, -0.05),
                                      FeatureStat("share_toys", 0.40, 0.40, 0.39, 0.39, 0.05)))
    rec = ps.recommend(c, p)
    assert rec.product_focus == "Groceries" and rec.offer == "Standard offer"
    assert rec.offer_why.endswith("the only category below its average share is groceries, their largest")
    even = dataclasses.replace(p, stats=tuple(dataclasses.replace(s, effect=0.0) for s in p.stats))
    assert ps.recommend(c, even).offer_why.endswith("no category of theirs falls below its average share")


def test_the_overview_shows_a_finer_split_left_out_for_a_small_segment(demo_run):
    from analysis.publish import pages

    r = demo_run.results
    _, text = _render(r, "overview.qmd.j2", pages.overview)
    assert "A smaller group may stand apart" not in text and r.chosen.smaller_split == ""
    note = "A split into 4 segments (k-means, silhouette 0.450) also parts every segment from those it borders by a valley."
    r = dataclasses.replace(r, chosen=dataclasses.replace(r.chosen, smaller_split=note))
    _, text = _render(r, "overview.qmd.j2", pages.overview)
    assert '::: {.callout-note title="A smaller group may stand apart"}\n' + pages.fmt.md(note) in text


def test_the_methodology_names_only_the_amounts_and_the_gap_result_it_has(demo_run):
    from analysis.publish import pages

    r = demo_run.results
    ctx, text = _render(r, "methodology.qmd.j2", pages.methodology)
    has_channels = any(f.startswith("channel_") for f in r.clustering_features)
    assert ("purchases per channel" in ctx["mix_amounts"]) == has_channels
    spend_only = dataclasses.replace(r, clustering_features=tuple(f for f in r.clustering_features
                                                                  if not f.startswith("channel_")))
    assert pages.methodology(spend_only, lambda *a: "")["mix_amounts"] == "spend per category"
    no_gap = dataclasses.replace(r, chosen=dataclasses.replace(r.chosen, gap_k=None))
    text = pages.environment().get_template("methodology.qmd.j2").render(
        **pages.site_meta(no_gap, False), **pages.methodology(no_gap, lambda *a: "(chart)"))
    assert "gives no k in the range searched" in text and "k = none" not in text


def test_the_columns_read_say_what_the_columns_are(demo_run):
    from analysis.publish import pages

    r = demo_run.results

    def text(config):
        res = dataclasses.replace(r, manifest=dataclasses.replace(r.manifest, config={**r.manifest.config, **config}))
        return _render(res, "data-quality.qmd.j2", lambda x, chart: pages.data_quality(x))[1]
    assert "Every column of the input: the role" in text({})
    assert "Every per-customer column made from the order lines: the role" in text({"transactions": {"customer": "c"}})


def test_the_features_sentence_leaves_out_what_the_distances_leave_out(demo_run):
    from analysis.publish import pages

    r = demo_run.results
    used = [d for d in r.features if d.name in r.clustering_features and d.weight]
    first = used[0]
    sentence = pages.methodology(r, lambda *a: "")["features_sentence"]
    dropped = dataclasses.replace(r, features=tuple(dataclasses.replace(d, weight=0.0) if d.name == first.name else d
                                                    for d in r.features))
    after = pages.methodology(dropped, lambda *a: "")["features_sentence"]
    assert after != sentence


def test_where_to_invest_says_which_valuable_segment_has_stopped_buying(demo_run):
    """A segment that brought more than its share of revenue but is advised a win-back is named as
    lapsing where the overview says where to invest: its revenue is history to win back."""
    from analysis.publish import pages

    r = demo_run.results
    top = max(r.segments, key=lambda p: p.share_value / p.share_customers)
    assert "lapsing" not in pages._invest(r)
    win_back = dataclasses.replace(r.personas[top.id - 1].recommendation,
                                   offer="Win-back: a time-limited reactivation offer")
    personas = tuple(dataclasses.replace(x, recommendation=win_back) if x.segment == top.id else x for x in r.personas)
    text = pages._invest(dataclasses.replace(r, personas=personas))
    assert "of revenue while they bought: lapsing, win them back)" in text
    assert text.count("lapsing") == 1
    segs = tuple(dataclasses.replace(p, name="Lapsed, big spenders") if p.id == top.id else p for p in r.segments)
    gone = pages._invest(dataclasses.replace(r, personas=personas, segments=segs))
    assert "of revenue while they bought: lapsed, win them back)" in gone and "lapsing" not in gone


def test_the_candidates_table_says_which_have_no_valley_between_segments(demo_run):
    """A candidate that every index may prefer but whose segments are not all parted by a valley says
    so in the table's note (the valley was not among the table's columns)."""
    from analysis import formatters as fmt
    from analysis.publish import pages

    r = demo_run.results
    chosen = (r.chosen.algorithm, r.chosen.k)
    other = next(c for c in r.model_selection if (c.algorithm, c.k) != chosen)
    c = dataclasses.replace(other, why_not="", valley=1.17)
    assert pages._candidate_note(r, c) == (
        f"no valley between two segments (border {fmt.percent(c.valley)} > {fmt.percent(r.thresholds.valley_max)})")
    assert pages._candidate_note(r, dataclasses.replace(c, valley=r.thresholds.valley_max)) == ""
    # A border just over the limit is written with the decimals that tell it apart: never '50% > 50%'.
    assert pages._candidate_note(r, dataclasses.replace(c, valley=0.5031)) == (
        "no valley between two segments (border 50.3% > 50%)")
    assert pages._candidate_note(r, dataclasses.replace(c, why_not="a segment under 5%")) == "a segment under 5%"
    assert pages._candidate_note(r, dataclasses.replace(c, algorithm=r.chosen.algorithm, k=r.chosen.k)) == "chosen"


def _with_mix(column: str, shares: dict[str, float], overall: dict[str, float], **stats) -> Profile:
    from analysis.segment.profiles import CategoryMix
    return dataclasses.replace(_profile(stats or {"total_spend": (500.0, 400.0, 0.2)}),
                               categories=(CategoryMix(column, shares, overall),))


@pytest.mark.parametrize("column, share, overall, channel", [
    ("Acquisition channel", 0.76, 0.23, "Paid social"),
    ("lead_source", 0.50, 0.41, "Paid social"),  # half of them, 1.22 times all customers' share
    ("Acquisition channel", 0.49, 0.10, None),  # not most of them
    ("Acquisition channel", 0.60, 0.51, None),  # most of them, but about as many as of all customers
    ("City", 0.90, 0.20, None),  # not a channel
])
def test_without_purchases_per_channel_most_of_a_segment_in_one_acquisition_channel_is_its_channel(
        column, share, overall, channel):
    p = _with_mix(column, {"paid_social": share, "email": 1 - share}, {"paid_social": overall, "email": 1 - overall})
    r = ps.recommend(_context(), p)
    assert r.channel == (channel or "Your usual channel")
    if channel:
        assert r.channel_basis == "origin" and r.channel_why.startswith(f"{share:.0%} of them have paid social as their ")
        assert "through the paid social channel" in r.plan[0]
    elif column == "City":
        assert r.channel_why == "the input has no purchases per channel" and r.channel_basis == ""
    else:  # a channel column, but no value of it stands out: not 'no channel in the input'
        assert r.channel_why == (f"no {column.lower()} that names a channel is held by most of them and by 1.2 times "
                                 "its share of all customers") and r.channel_basis == ""


def test_purchases_per_channel_come_before_an_acquisition_channel_and_other_is_no_channel():
    p = _with_mix("Acquisition channel", {"paid_social": 0.8}, {"paid_social": 0.2},
                  channel_web=(0.6, 0.3, 1.0), channel_store=(0.4, 0.7, -1.0))
    assert ps.recommend(_context(), p).channel == "Web"
    p = _with_mix("Acquisition channel", {"Other": 0.8, "email": 0.2}, {"Other": 0.2, "email": 0.8})
    assert ps.recommend(_context(), p).channel == "Your usual channel"


def test_small_segments_carry_the_margin_of_a_share_measured_in_them(demo_run):
    """Shown when the smallest public segment's 95% margin on a share reaches 10 points (n <= 96),
    with that margin; a hidden (too small to publish) segment does not count."""
    from analysis.publish import pages

    r = demo_run.results
    assert min(p.size for p in r.segments if p.public) > 96
    ctx, text = _render(r, "overview.qmd.j2", pages.overview)
    assert ctx["small_note"] == "" and "Few customers per segment" not in text

    def sized(n: int, hidden: int | None = None):
        segs = [dataclasses.replace(r.segments[0], size=n)] + list(r.segments[1:])
        if hidden is not None:
            segs[-1] = dataclasses.replace(segs[-1], size=hidden, public=False)
        return dataclasses.replace(r, segments=tuple(segs))

    ctx, text = _render(sized(96), "overview.qmd.j2", pages.overview)
    assert "Few customers per segment" in text
    assert ctx["small_note"].startswith("The smallest segment holds 96 customers")
    assert "within about ±10 percentage points" in ctx["small_note"]
    assert "±14 percentage points" in pages.small_segments_note(sized(46))
    assert pages.small_segments_note(sized(97)) == ""
    assert pages.small_segments_note(sized(500, hidden=3)) == ""


def test_a_segment_half_of_whom_bought_once_is_followed_up_after_a_first_order_not_rewarded():
    """A shop most of whose customers order once (a marketplace): no segment is 0.5 sd below the
    average in orders, as the average customer orders once too. A median of 1 order says half of the
    segment or more has bought once: its big spenders get a follow-up of that purchase, not loyalty
    rewards, and its timing is a second-purchase message set off by a first order, not a cycle."""
    c = _context(kinds={**KINDS, "orders": "count"}, labels={**LABELS, "orders": "Orders"})

    def seg(median, share_value=0.30):
        stats = (FeatureStat("orders", 1.04, median, 1.03, 1.0, 0.05), FeatureStat("total_spend", 640.0, 610.0, 160.0, 105.0, 1.9))
        return dataclasses.replace(_profile({}), stats=stats, share_customers=0.10, share_value=share_value)
    once = ps.recommend(c, seg(1.0))
    assert once.offer.startswith("Premium follow-up") and once.offer_why == (
        "30% of revenue from 10% of customers, half or more of whom have bought once (a median of 1 in orders): "
        "large, rare purchases to follow up, not repeat buying to reward")
    assert once.timing == "After a first order" and "second-purchase message" in once.timing_why
    twice = ps.recommend(c, seg(2.0))
    assert twice.offer == "Premium: loyalty rewards and early access" and twice.timing == "Regular cycle"
    small = ps.recommend(c, seg(1.0, share_value=0.05))  # not premium, still no rhythm of their own
    assert not small.offer.startswith("Premium") and small.timing == "After a first order"
    loyal = _persona("High-spending customers", offer="Premium: loyalty rewards and early access")
    assert "loyalty rewards for a segment half or more of whom have bought once" in ps.consistency_problems(
        loyal, seg(1.0), c.labels)
    assert not [x for x in ps.consistency_problems(loyal, seg(2.0), c.labels) if "bought once" in x]


def test_big_ticket_buyers_who_buy_rarely_get_a_follow_up_not_loyalty_rewards():
    """Revenue share 1.5 times the customer share: loyalty rewards, unless they order 0.5 sd less
    often than average (one-off buyers of big items); the check flags loyalty for such a segment."""
    c = _context(kinds={**KINDS, "orders": "count"}, labels={**LABELS, "orders": "Orders"})

    def rec(effect):
        p = dataclasses.replace(_profile({"orders": (1.7, 3.0, effect), "total_spend": (827.0, 438.0, 0.9)}),
                                share_customers=0.40, share_value=0.76)
        return p, ps.recommend(c, p)
    p, r = rec(-0.5)
    assert r.offer.startswith("Premium follow-up") and "loyalty" not in r.offer.lower()
    assert r.offer_why == ("76% of revenue from 40% of customers in fewer orders (1.7 against 3.0): large, rare "
                           "purchases to follow up, not repeat buying to reward")
    assert rec(-0.49)[1].offer == "Premium: loyalty rewards and early access"
    # The same, with orders of many more products than average (a big weekly shop, not a large item):
    # rewards for their loyalty, not a follow-up of a rare purchase; at 0.49 sd wider, still the follow-up.
    for width, follow_up in ((0.5, False), (0.49, True)):
        wide = dataclasses.replace(_profile({"orders": (1.7, 3.0, -0.5), "total_spend": (827.0, 438.0, 0.9),
                                             "basket_size": (9.8, 5.3, width)}), share_customers=0.40, share_value=0.76)
        assert ps.recommend(c, wide).offer.startswith("Premium follow-up") == follow_up
    loyal = _persona("Occasional, big-ticket customers", offer="Premium: loyalty rewards and early access")
    problems = ps.consistency_problems(loyal, p, c.labels)
    assert "loyalty rewards for customers who buy less often than average" in problems
    assert "loyalty rewards for customers who buy less often than average" not in ps.consistency_problems(
        loyal, rec(-0.49)[0], c.labels)


def test_the_overview_says_what_the_configuration_set(demo_run):
    from analysis.publish import pages

    r = demo_run.results
    said = {}
    for setting in ("", "k", "k and algorithm"):
        res = dataclasses.replace(r, chosen=dataclasses.replace(r.chosen, set_in_config=setting, tiers_by=""))
        said[setting] = _render(res, "overview.qmd.j2", pages.overview)[1]
    assert "was chosen by a written rule" in said[""] and "set in the configuration" not in said[""]
    assert "the number of segments was set in the configuration (segmentation.k), and the algorithm chosen" in said["k"]
    assert "was chosen by a written rule" not in said["k"]
    assert "was set in the configuration (segmentation.k and segmentation.algorithm)" in said["k and algorithm"]
    assert "written rule" not in said["k and algorithm"]


def test_a_cross_sell_needs_a_share_clearly_below_average():
    """Treats at 12.6% of their spend against 13.4% on average (0.19 sd below) is no gap to fill: no
    cross-sell 'treats (13% against 13%)'; 0.2 sd below (Cohen's small effect) is."""
    labels = {**LABELS, "share_treats": "Share of spend: Treats", "share_food": "Share of spend: Food"}
    c = _context(labels=labels)

    def rec(effect: float):
        p = _profile({"share_food": (0.70, 0.55, 0.9), "share_treats": (0.126, 0.134, effect)})
        return ps.recommend(c, p)
    assert rec(-0.2).offer == "Cross-sell offer"
    assert rec(-0.2).offer_why.endswith("cross-sell treats (12.6% of their spend against 13.4%)")  # told apart
    assert rec(-0.19).offer == "Standard offer" and "cross-sell" not in rec(-0.19).offer_why


def test_a_tenure_one_month_short_of_the_average_names_no_newer_segment():
    # Order lines that all start with the data: 22 months against 23 is -1.8 sd, yet no newer
    # relationship. A name says "Newer" from 1.5 times shorter (14 months against 21) on, as the timing does.
    labels = {**LABELS, "tenure_months": "Tenure", "orders": "Orders"}
    kinds = {**KINDS, "tenure_months": "months", "orders": "count"}
    c = _context(labels=labels, kinds=kinds, clustering=("tenure_months", "orders"))

    def named(tenure: float, average: float) -> str:
        p = _profile({"tenure_months": (tenure, average, -1.8), "orders": (3.0, 3.1, -0.1)})
        _, (persona,), _ = ps.build_personas((p,), {"tenure_months": 1.0, "orders": 1.0}, c)
        return persona.name
    assert "newer" not in named(22.0, 23.0).lower()
    assert named(14.0, 21.0).startswith("Newer")
    assert "newer" not in named(14.1, 21.0).lower()


def test_a_segment_that_loses_far_more_customers_is_advised_retention_now():
    # 100 of 1,000 customers: 40% of them left against 20% of all, so 160 of the other 900 (17.8%).
    # Retention from 1.5 times the others' share when beyond chance: 1.96 standard errors of the difference
    # of two shares above it (sqrt(0.2 x 0.8 x (1/100 + 1/900)) = 0.042).
    labels = {**LABELS, "churned": "Churn", "recency_days": "Days since last purchase"}
    c = _context(kinds={**KINDS, "churned": "flag", "recency_days": "days"}, labels=labels)

    def profile(mean: float, average: float, effect: float = 0.3, size: int = 100, share: float = 0.1, **more):
        return _profile({"churned": (mean, average, effect), **(more or {"recency_days": (90.0, 30.0, 1.5)})},
                        size=size, share=share)

    def rec(mean: float, average: float, effect: float = 0.3, size: int = 100, share: float = 0.1):
        return ps.recommend(c, profile(mean, average, effect, size, share))
    r = rec(0.40, 0.20)
    assert r.offer.startswith("Retention") and r.offer_why == ("40% of them have left (churn) against 18% of the other "
                                                             "customers: keep the rest")
    assert (r.timing, r.timing_why) == ("Now", "40% of them have left against 18% of the others: the rest are at risk")
    assert "Track: share of the segment who leave (so far 40%)" in r.plan[1]
    # A save offer goes to those still here: 60 of the 100, not the 40 who left.
    assert r.plan[0].startswith("Campaign: Retention") and ("to the 60 customers of this segment who have not left (the other 40 "
                                                  "have left: the segment's list marks them under churn)") in r.plan[0]
    few = ps.recommend(dataclasses.replace(c, min_size=20), profile(0.85, 0.20))
    assert "to the few customers (fewer than 20) of this segment who have not left (the other 85 have" in few.plan[0]
    most = ps.recommend(dataclasses.replace(c, min_size=20), profile(0.15, 0.05))
    assert "to the 85 customers of this segment who have not left (the others, fewer than 20, have left: the" in most.plan[0]
    assert "40% of them have left (churn), against 20% of all customers." in ps._describe(c, profile(0.40, 0.20, 0.5))
    # Whatever the offer, it goes to those still here: a bank's loyalty rewards are not sent to leavers.
    stay = ps.recommend(c, profile(0.20, 0.20, 0.0, total_spend=(900.0, 400.0, 1.2)))
    assert not stay.offer.startswith("Retention")
    assert ("to the 80 customers of this segment who have not left (the other 20 have left: the segment's list "
            "marks them under churn)") in stay.plan[0]
    none_left = ps.recommend(c, profile(0.0, 0.20, -0.6, total_spend=(900.0, 400.0, 1.2)))
    assert "to the 100 customers of this segment." in none_left.plan[0] and "not left" not in none_left.plan[0]
    # 1.5 times the others' share: m = 1.5 x (200 - 100 m) / 900, so m = 0.2857.
    assert rec(0.2857, 0.20).offer.startswith("Win-back") and rec(0.2857, 0.2).timing == "Now"  # late buyers
    assert rec(0.2857, 0.2).timing_why.startswith("90 days since their last purchase")
    assert rec(0.2858, 0.2).offer.startswith("Retention")
    # 50 of 500: 30% against 18.9% of the others is within chance (1.96 x 0.0596 = 0.117 above them needs 30.52%).
    assert rec(0.305, 0.2, size=50).offer.startswith("Win-back") and rec(0.306, 0.2, size=50).offer.startswith("Retention")
    # Half the customers losing 39% against 27% of all (1.44 times) but 15% of the others (2.6 times): retention.
    assert rec(0.39, 0.27, size=3780, share=0.54).offer.startswith("Retention")
    assert not rec(0.39, 0.27, size=3780, share=1.0).offer.startswith("Retention")  # no others to compare with


def test_a_telecom_table_keeps_its_churning_segment_first(tmp_path):
    """Three plans in a phone company's table: the newest, highest-paying group leaves most. Its persona
    says how many left and is advised retention now; the summary's 'Keep' names it with the shares; the
    other segments are not."""
    from analysis import formatters as fmt
    from analysis.publish import pages

    rng = np.random.default_rng(4)
    sizes, rows = (300, 250, 250), []
    for g, n in enumerate(sizes):
        tenure = rng.integers(1, 12, n) if g == 0 else rng.integers(30, 72, n)
        monthly = rng.normal((95, 55, 25)[g], 6, n)
        churn = rng.random(n) < (0.55, 0.10, 0.08)[g]
        rows += [{"customerID": f"{g}-{i:04d}", "tenure": int(t), "MonthlyCharges": round(float(m), 2),
                  "TotalCharges": round(float(m * t), 2), "Churn": "Yes" if c else "No"}
                 for i, (t, m, c) in enumerate(zip(tenure, monthly, churn))]
    pd.DataFrame(rows).sample(frac=1, random_state=0).to_csv(tmp_path / "telco.csv", index=False)
    cfg = parse_config({"customers": {"path": "telco.csv"},
                        "columns": {"id": "customerID", "tenure_months": "tenure", "spend": {"Total": "TotalCharges"},
                                    "numeric": ["MonthlyCharges"], "churned": "Churn"},
                        "segmentation": {"k": 3}}, "t.yml", tmp_path)
    r = analyse(cfg).results
    leavers = [p for p in r.segments if p.stat("churned").mean > 0.4]
    assert len(leavers) == 1
    p = leavers[0]
    persona = r.personas[p.id - 1]
    assert persona.recommendation.offer.startswith("Retention") and persona.recommendation.timing == "Now"
    assert f"{fmt.percent(p.stat('churned').mean)} of them have left (churned)" in persona.description
    keep = {d["what"]: d["text"] for d in pages.decision(r)}["Keep"]
    assert keep.startswith(f"segment {p.id}, {p.name} ({fmt.percent(p.stat('churned').mean)} have left against "
                           f"{fmt.percent(p.stat('churned').overall_mean)} of all customers)")
    assert all(not x.recommendation.offer.startswith("Retention") for x in r.personas if x is not persona)
    # A 0/1 column has a share, no median; the data-quality page counts its answers.
    row = next(x for x in pages.segment(r, p.id, lambda *a: "")["stats"] if x["label"] == "Churned")
    assert row["mean"] == fmt.percent(p.stat("churned").mean) and row["median"] == "–"
    assert next(c for c in r.columns if c.name == "Churn").kind == "flag"  # who left: no campaign's answers


def test_a_channel_written_as_a_code_is_no_channel_of_origin():
    from analysis.segment.profiles import CategoryMix

    p = _profile({"total_spend": (100.0, 100.0, 0.0)})
    coded = dataclasses.replace(p, categories=(CategoryMix("Channel", {"2": 0.97, "1": 0.03}, {"2": 0.32, "1": 0.68}),))
    assert ps.channel_of_origin(coded) is None
    named = dataclasses.replace(p, categories=(CategoryMix("Channel", {"Retail": 0.97, "Horeca": 0.03},
                                                           {"Retail": 0.32, "Horeca": 0.68}),))
    assert ps.channel_of_origin(named)[0] == "Retail"
    ota = dataclasses.replace(p, categories=(CategoryMix("Booking channel", {"OTA": 0.79, "paid_search": 0.21},
                                                         {"OTA": 0.41, "paid_search": 0.59}),))
    assert ps.channel_of_origin(ota)[0] == "OTA"  # an acronym keeps its capitals, not 'Ota'
    assert ps.channel_of_origin(ota)[1].startswith("79% of them have OTA as their booking channel")
    search = dataclasses.replace(p, categories=(CategoryMix("Lead source", {"paid_search": 0.9, "OTA": 0.1},
                                                            {"paid_search": 0.3, "OTA": 0.7}),))
    assert ps.channel_of_origin(search) == ("Paid search", "90% of them have paid search as their lead source, "
                                                           "against 30% of all customers: reach them there")


def test_without_spend_a_spending_score_sizes_the_offer_with_income():
    # The Mall Customers layout: income and a spending score, no spend. High scorers are rewarded (on
    # what they buy when their income is low), low scorers with income get the premium range to try.
    labels = {**LABELS, "income": "Annual income (k$)", "spending_score": "Spending score (1-100)"}
    c = _context(kinds={**KINDS, "income": "money_k", "spending_score": "number"}, labels=labels)

    def rec(score_effect: float, income_effect: float):
        p = dataclasses.replace(_profile({"spending_score": (50 + 30 * score_effect, 50.0, score_effect),
                                          "income": (60 + 25 * income_effect, 60.0, income_effect)}), share_value=None)
        return ps.recommend(c, p)
    assert rec(1.0, 1.0).offer.startswith("Premium") and rec(1.0, 1.0).offer_why == (
        "spending score 80.0 against 50.0 on average; income $85k against $60k")
    assert rec(1.0, -1.0).offer == "Loyalty rewards on what they already buy"
    assert rec(-1.0, 1.0).offer == "Upsell: a trial of your premium range" and rec(-1.0, 1.0).offer_why.startswith(
        "income $85k against $60k, but spending score 20.0 against 50.0 on average")
    assert rec(-1.0, -1.0).offer == "Low-cost entry offer" and rec(-1.0, 0.0).offer == "Low-cost entry offer"
    assert rec(0.5, 0.0).offer.startswith("Premium") and rec(0.49, 1.0).offer.startswith("Premium")  # then by income
    assert rec(0.49, 0.0).offer == "Standard offer" and rec(-0.5, 0.49).offer == "Low-cost entry offer"
    assert rec(-0.5, 0.5).offer.startswith("Upsell") and rec(0.5, -0.5).offer.startswith("Loyalty rewards on")


def test_the_plan_tracks_what_the_input_measures():
    """Spend where the input has it; units bought where order lines carry no price; else orders;
    'answers and spend' only where nothing of these is measured."""
    c = _context(kinds={**KINDS, "orders": "count", "total_units": "count"},
                 labels={**LABELS, "orders": "Orders", "total_units": "Units bought"})
    spend = ps.recommend(c, _profile({"total_spend": (500.0, 400.0, 0.2), "orders": (4.0, 3.0, 0.3)}))
    assert spend.plan[1] == "Track: average spend per customer (now $500)."
    units = ps.recommend(c, _profile({"total_units": (26.4, 16.4, 0.9), "orders": (4.0, 3.0, 0.3)}))
    assert units.plan[1] == "Track: units bought per customer (now 26.4)."
    orders = ps.recommend(c, _profile({"orders": (4.0, 3.0, 0.3), "age": (40.0, 45.0, -0.3)}))
    assert orders.plan[1] == "Track: orders per customer (now 4.0)."
    assert ps.recommend(c, _profile({"age": (40.0, 45.0, -0.3)})).plan[1] == (
        "Track: answers and spend of the contacted customers.")


@pytest.mark.parametrize("offer, on, text", [
    ("Upsell: a trial of your premium range", "your usual range", "Upsell: a trial of your premium range"),
    ("Loyalty rewards on what they already buy", "your usual range", "Loyalty rewards on what they already buy"),
    ("Standard offer", "your usual range", "Standard offer on your usual range"),
    ("Upsell: a trial of your premium range", "Wines", "Upsell: a trial of your premium range on Wines"),
    ("Cross-sell offer", "meat", "Cross-sell offer on meat"),
    ("Retention: a save offer and a service call before they leave", "your usual range",
     "Retention: a save offer and a service call before they leave"),
    ("Retention: a save offer and a service call before they leave", "Wines",
     "Retention: a save offer and a service call before they leave"),
])
def test_an_offer_is_put_on_the_usual_range_only_when_it_says_nothing_of_what_it_is_on(offer, on, text):
    from analysis import formatters as fmt
    assert fmt.offer_on(offer, on) == text


def test_a_label_in_its_own_brackets_is_compared_without_a_second_pair():
    """'lower spending score (1-100) (15.8 against 49.1)' read as two asides: the numbers follow 'at'."""
    c = _context(kinds={**KINDS, "spending_score": "number"}, labels={**LABELS, "spending_score": "Spending Score (1-100)"},
                 clustering=(*LABELS, "spending_score"))
    p = dataclasses.replace(_profile({"spending_score": (15.8, 49.1, -1.3), "total_spend": (500.0, 400.0, 0.8)}),
                            traits=("spending_score", "total_spend"))
    text = ps._describe(c, p)
    assert "lower spending score (1-100) at 15.8 against 49.1" in text and ") (" not in text
    assert "higher total spend ($500 against $400)" in text


def test_a_segments_largest_category_is_said_to_be_an_average_of_its_customers_shares():
    """The share features are each customer's share of their own spend; their segment mean (37%) is
    not the segment's pooled share (a Superstore segment's 53.5%, pulled up by its big spenders), so
    the sentence says it is an average."""
    c = _context()
    p = _profile({"share_wines": (0.37, 0.20, 0.9), "share_meat": (0.30, 0.25, 0.2),
                  "channel_web": (0.6, 0.4, 0.8), "channel_store": (0.4, 0.6, -0.8)})
    text = ps._describe(c, p)
    assert ("On average they put 37% of their spend on wines, their largest category, and make 60% of their "
            "purchases through the web channel.") in text


def test_a_largest_category_beside_a_larger_catch_all_is_said_to_be_the_largest_named_one():
    """Order lines whose products mostly have no category: 97% of the segment's spend is
    'Uncategorised'. Health & beauty at 1% is its largest named category, not its largest; a named
    category nobody in the segment bought is none of theirs."""
    labels = {**LABELS, "share_uncategorised": "Share of spend: Uncategorised", "share_beauty": "Share of spend: Beauty"}
    c = _context(labels=labels)
    p = _profile({"share_uncategorised": (0.97, 0.95, 0.3), "share_beauty": (0.01, 0.02, -0.1)})
    text = ps._describe(c, p)
    assert "On average they put 1% of their spend on beauty, their largest named category." in text
    assert "97% of their spend goes to uncategorised." in text and "their largest category" not in text
    p = _profile({"share_uncategorised": (0.40, 0.60, -0.3), "share_beauty": (0.60, 0.40, 0.5)})
    text = ps._describe(c, p)
    assert "on beauty, their largest category." in text and "goes to" not in text
    p = _profile({"share_uncategorised": (1.0, 0.9, 0.3), "share_beauty": (0.0, 0.1, -0.3)})
    assert "On average they put" not in ps._describe(c, p)


def test_a_category_most_of_a_segment_holds_and_few_others_do_is_one_of_its_traits():
    """Wholesale's retail segment is 100% Channel 2 against 30% of all customers: that says who they
    are, where the numbers only say how much they buy. A value as common elsewhere, a minority of
    the segment, or one held by fewer customers than the minimum group size is not a trait."""
    from analysis.segment.profiles import CategoryMix
    c = _context(min_size=20)

    def traits(share, overall, size=100, value="2"):
        p = dataclasses.replace(_profile({"total_spend": (500.0, 400.0, 0.8)}, size=size), categories=(
            CategoryMix("Channel", {value: share, "1": 1 - share}, {value: overall, "1": 1 - overall}),))
        return ps.category_traits(c, p)
    assert traits(1.0, 0.3) == ("Channel: 2 for 100% of them against 30% of all customers",)
    assert traits(0.6, 0.4) == ("Channel: 2 for 60% of them against 40% of all customers",)  # 1.5 times
    assert traits(0.59, 0.4) == ()  # under 1.5 times as common
    assert traits(0.49, 0.2) == ()  # a minority of the segment ('1' then leads, as common as overall)
    assert traits(1.0, 0.3, size=19) == ()  # 19 customers: fewer than the minimum group size
    assert traits(1.0, 0.3, value="Other") == ()
    # A 0/1 column (IsActiveMember) is read as its answers: 'no for 86%', not '0 for 86%'.
    p = dataclasses.replace(_profile({"total_spend": (500.0, 400.0, 0.8)}), categories=(
        CategoryMix("IsActiveMember", {"0": 0.86, "1": 0.14}, {"0": 0.44, "1": 0.56}),))
    assert ps.category_traits(c, p) == ("Is active member: no for 86% of them against 44% of all customers",)
    from analysis import formatters as fmt
    assert [fmt.category_value(v, ("0", "1")) for v in ("0", "1")] == ["no", "yes"]
    assert fmt.category_value("1", ("1", "2", "3")) == "1"  # a region numbered 1 to 3 is no answer
    # Yes and no in the drafts' languages read as yes and no; single letters may be regions (N, S).
    assert [fmt.category_value(v, ("ja", "nein", "Unknown")) for v in ("ja", "nein", "Unknown")] == ["yes", "no", "Unknown"]
    assert fmt.category_value("Oui", ("Oui", "Non")) == "yes" and fmt.category_value("N", ("N", "S")) == "N"
    # Cards show a persona's first three traits: the category comes third, after the two strongest numbers.
    assert ps._with_categories(["a", "b", "c", "d"], ("Channel: 2",)) == ("a", "b", "Channel: 2", "c", "d")
    assert ps._with_categories(["a", "b", "c", "d"], ()) == ("a", "b", "c", "d")


def test_a_feature_barely_off_the_average_is_no_trait_on_a_card():
    """Value tiers of a table without segments: 44.6 years against 45.0 (0.03 sd) is no trait. A feature
    is shown from 0.2 sd (Cohen's small effect) or 1.5 times the average (a skewed measure)."""
    c = _context(kinds={**KINDS, "age": "years", "visits": "number"},
                 labels={**LABELS, "age": "Age", "visits": "Visits"},
                 clustering=("total_spend", "age", "visits", "share_wines"))
    p = dataclasses.replace(_profile({"total_spend": (900.0, 400.0, 1.4), "age": (44.6, 45.0, -0.03),
                                      "visits": (8.4, 8.2, 0.2), "share_wines": (0.15, 0.09, 0.19)}),
                            traits=("total_spend", "visits", "share_wines", "age"))
    assert ps._traits(p) == ["total_spend", "visits", "share_wines"]  # wines: 0.19 sd, but 1.67 times the average
    barely = dataclasses.replace(p, stats=tuple(dataclasses.replace(s, mean=0.1) if s.feature == "share_wines" else s
                                                for s in p.stats))
    assert ps._traits(barely) == ["total_spend", "visits"]
    _, (persona,), _ = ps.build_personas((p,), {f: 1.0 for f in c.clustering}, c)
    assert not any(t.startswith("Age") for t in persona.traits)


def test_a_name_from_a_category_other_than_the_largest_is_explained_beside_it():
    """'Ropa lovers' whose largest category is electronics: the page says how much ropa they buy
    against the average share, so the name does not read as a contradiction; a name from the
    largest category needs no second sentence, nor does a category too far from standing out."""
    c = _context(labels={**LABELS, "share_ropa": "Share of spend: Ropa", "share_electronica": "Share of spend: Electronica"})

    def text(effect: float, largest: float = 0.39) -> str:
        p = _profile({"share_electronica": (largest, 0.35, 0.2), "share_ropa": (0.30, 0.12, effect)})
        return ps._describe(c, p)
    assert "On average they put 39% of their spend on electronica, their largest category." in text(0.9)
    assert "Their 30% on ropa is 2.5 times the average share (12%)." in text(0.9)
    assert "Their 30%" not in text(0.49)  # below THRESHOLD: no name from it
    assert "Their 30%" not in text(0.9, largest=0.29)  # ropa is the largest: said once
    assert ps.name_segment({"share_electronica": 0.2, "share_ropa": 0.9}, c.labels, means={
        "share_electronica": 0.39, "share_ropa": 0.30}).endswith("Ropa lovers")


def test_shares_of_units_lead_names_focus_and_cross_sell_as_shares_of_spend_do():
    """Order lines without prices (a till roll): category shares are of units bought. The baby-care
    segment is named for them, its focus is on them and its cross-sell says 'of their units', never
    'the input has no spend per category' beside a table of shares."""
    labels = {"share_diapers": "Share of units: Diapers wipes", "share_beer": "Share of units: Beer",
              "share_produce": "Share of units: Produce", "total_units": "Units bought"}
    kinds = {"share_diapers": "share", "share_beer": "share", "share_produce": "share", "total_units": "count"}
    c = _context(labels=labels, kinds=kinds, value_word="units bought")
    stats = {"share_diapers": (0.30, 0.05, 2.0), "share_beer": (0.03, 0.10, -0.5), "share_produce": (0.67, 0.85, -0.9),
             "total_units": (40.0, 40.0, 0.0)}
    p = _profile(stats)
    effects = {f: e for f, (_, _, e) in stats.items()}
    assert ps.name_segment(effects, labels) == "Diapers wipes lovers"
    rec = ps.recommend(c, p)
    assert rec.product_focus == "Diapers wipes"
    assert rec.product_why.startswith("30% of their units against 5% on average")
    assert rec.offer == "Cross-sell offer" and "cross-sell produce (67% of their units against 85%)" in rec.offer_why
    assert "On average they put 67% of their units on produce" in ps._describe(c, p)
    none = ps.recommend(c, _profile({"total_units": (40.0, 40.0, 0.0)}))
    assert none.product_why == "the input has no units per category"


@pytest.mark.parametrize("share, noted", [(0.05, True), (0.049, False)])
def test_a_feature_mostly_filled_in_says_so_beside_its_segment_means(demo_run, share, noted):
    """A segment's mean NPS leans towards the median where a quarter of the scores were filled in with
    it: the profile table says how many were, from 5% of the customers up."""
    from analysis.ingest.cleaning import LogEntry
    from analysis.publish import pages

    r = demo_run.results
    count = int(round(share * r.n_segmented))
    log = tuple(e for e in r.cleaning if not (e.column == "Income" and e.action == "imputed with the median"))
    r = dataclasses.replace(r, cleaning=log + (LogEntry("missing values", "Income", count, "imputed with the median"),))
    label = next(d.label for d in r.features if d.name == "income")
    rows = {row["label"] for row in pages.segment(r, 1, lambda *a: "")["stats"]}
    assert (f"{label} ({count / r.n_segmented:.0%} filled in with the median)" in rows) == noted
    assert (label in rows) != noted


@pytest.mark.parametrize("recall, precision, singled", [(0.95, 0.97, True), (0.94, 1.0, False), (1.0, 0.94, False)])
def test_a_segment_its_rules_single_out_is_not_said_to_be_described_only_roughly(demo_run, recall, precision, singled):
    """Where the tree agrees with the segments too rarely, the segments overlap; but a segment whose own
    rules hold 95% of it, 95% of those they describe being in it, is no rough description: its page says so,
    with both shares, instead of 'the rules below describe most of this segment rather than all of it'."""
    from analysis.publish import pages
    from analysis.segment.explain import Rule

    r = demo_run.results
    ex = r.explanation
    rules = tuple(x for x in ex.rules if x.segment != 1) + (
        Rule(segment=1, conditions=("Income above 60,000",), customers=600, precision=precision, recall=recall),)
    r = dataclasses.replace(r, explanation=dataclasses.replace(ex, overlap=True, rules=rules))
    _, text = _render(r, "segment.qmd.j2", lambda x, chart: pages.segment(x, 1, chart))
    said = (f"other segments overlap, but not this one. Its rules below hold {pages.fmt.percent(recall)} of it, and "
            f"{pages.fmt.percent(precision)} of the customers they describe are in it.")
    assert (said in text) == singled
    assert ("describe most of this segment rather than all of it" in text) == (not singled)


def test_a_k_set_in_the_config_has_no_elbow_and_no_lines_of_indices(demo_run):
    """With k set in the config every candidate has that k: the indices are points, not lines, and no
    curve has a knee ('The knee (k = none)' was printed under a one-point chart)."""
    from analysis.publish import pages

    def render(r):
        ctx = pages.methodology(r, lambda fig, div_id, label: f"[{div_id}]")
        return pages.environment().get_template("methodology.qmd.j2").render(**pages.site_meta(r, False), **ctx)

    r = demo_run.results
    text = render(r)
    assert "*Each line is one method" in text and "### Elbow" in text
    text = render(dataclasses.replace(r, model_selection=tuple(c for c in r.model_selection if c.k == r.chosen.k)))
    assert f"*Each point is one method at the {r.chosen.k} segments set in the configuration" in text
    assert "### Elbow" not in text and "k = none" not in text

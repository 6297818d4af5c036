"""Personas: names from the data, unique and stable; recommendations by the stated rules;
overrides that follow a segment by profile; comparison with an earlier segmentation."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from analysis.publish.exports import overrides_template
from analysis.segment import personas as ps
from analysis.segment.comparison import compare
from analysis.errors import UserError

LABELS = {"income": "Income", "total_spend": "Total spend", "age": "Age", "children": "Children at home",
          "share_wines": "Share of spend: Wines", "share_meat": "Share of spend: Meat",
          "channel_catalog": "Share of purchases: Catalog", "channel_web": "Share of purchases: Web",
          "deal_share": "Share bought on deal", "recency_days": "Days since last purchase"}


def test_name_from_hand_made_differences():
    eff = {"income": 1.2, "total_spend": 0.9, "age": 0.1, "share_wines": 1.0, "share_meat": 0.6,
           "channel_catalog": 0.8, "channel_web": -0.4, "children": -0.2, "deal_share": -0.3, "recency_days": 0}
    assert ps.name_segment(eff, LABELS) == "Affluent, high-spending wine lovers buying by catalog"


@pytest.mark.parametrize("tenure, spend, name", [
    (-1.5, -1.2, "Newer customers"),  # the Telco table's newest: low lifetime charges, monthly charges as others'
    (-0.49, -1.2, "Low-spending customers"),  # under 0.5 sd: tenure is no explanation, nor a word of the name
    (-1.5, 0.9, "Newer, high-spending customers"),  # spending more in less time: said
    (0.8, -1.2, "Low-spending, long-standing customers"),
])
def test_a_newer_segment_is_not_named_for_the_low_spend_its_short_relationship_explains(tenure, spend, name):
    labels = {"tenure_months": "Tenure", "total_spend": "Total charges"}
    assert ps.name_segment({"tenure_months": tenure, "total_spend": spend}, labels) == name


@pytest.mark.parametrize("width, name", [(1.5, "Wide-basket, frequent customers"), (0.49, "Big-ticket, frequent customers"),
                                         (-1.5, "Big-ticket, narrow-basket customers")])
def test_larger_orders_of_more_products_are_not_big_ticket(width, name):
    labels = {"avg_order_value": "Average order value", "basket_size": "Products per order", "orders": "Orders"}
    eff = {"avg_order_value": 2.0, "basket_size": width, "orders": 1.0}
    assert ps.name_segment(eff, labels) == name
    small = {"avg_order_value": -2.0, "basket_size": -1.5, "orders": 1.0}  # smaller orders of fewer products
    assert ps.name_segment(small, labels) == "Narrow-basket, frequent customers"


def test_name_when_nothing_stands_out_and_for_families_and_deals():
    flat = {f: 0.1 for f in LABELS}
    assert ps.name_segment(flat, LABELS) == "Typical customers"
    fam = {**flat, "children": 1.1, "income": -0.7}
    assert ps.name_segment(fam, LABELS) == "Lower-income families"
    deals = {**flat, "deal_share": 0.9, "channel_web": 0.7}
    assert ps.name_segment(deals, LABELS) == "Bargain hunters buying online"


def test_an_acronym_keeps_its_capitals_in_a_later_adjective():
    labels = {"seats": "Seats", "mrr": "MRR (USD)", "logins": "Logins last 30 days"}
    assert ps.name_segment({"seats": 1.5, "mrr": 1.2, "logins": 0.1}, labels) == "High seats, high MRR customers"
    assert ps.name_segment({"mrr": 1.5, "seats": -1.2}, labels) == "High MRR, low seats customers"


def test_names_are_unique_even_for_alike_segments():
    eff = {"income": 1.2, "total_spend": 0.9, "age": 0.6, "share_wines": 1.0}
    names = ps.unique_names([eff, eff, eff], LABELS)
    assert len(set(names)) == 3


def test_names_of_the_same_words_in_another_order_clash():
    """'Recently active, newer customers' beside 'Newer, recently active customers' tells nothing
    apart: the second is named by its next traits instead."""
    labels = {**LABELS, "tenure_months": "Tenure"}
    one = {"recency_days": -1.0, "tenure_months": -0.8, "income": 0.1}
    two = {"tenure_months": -1.0, "recency_days": -0.8, "income": 0.6}
    assert {ps.name_segment(one, labels), ps.name_segment(two, labels)} == {
        "Recently active, newer customers", "Newer, recently active customers"}
    first, second = ps.unique_names([one, two], labels)
    assert first == "Recently active, newer customers"
    assert second == "Recently active, affluent customers"  # its next trait


def test_demo_personas_unique_named_from_data_and_stable(demo_run):
    from analysis.config import load_config
    from analysis.pipeline import analyse
    from conftest import DEMO_CONFIG

    names = [p.name for p in demo_run.results.personas]
    assert len(set(names)) == len(names) == demo_run.results.chosen.k
    assert all(p.description.startswith(f"{p_.size:,} customers") for p, p_ in
               zip(demo_run.results.personas, demo_run.results.segments))
    again = analyse(load_config(DEMO_CONFIG)).results
    assert [p.name for p in again.personas] == names


def _context(r):
    return ps.Context(
        labels={d.name: d.label for d in r.features}, kinds={d.name: d.kind for d in r.features},
        clustering=r.clustering_features, currency="$", latest_rate={}, overall_latest_rate=None,
        latest_name=None, profit_per_contact={}, break_even_rate=None)


def _sd(run):
    return run.customers.drop(columns="segment").std(ddof=0).to_dict()


def _entry(persona, name, notes=""):
    return ps._Entry(name=name, notes=notes, segment=persona.segment, match=persona.fingerprint)


def test_override_follows_its_segment_when_segments_are_renumbered(demo_run):
    r = demo_run.results
    target = r.personas[1]
    entries = [_entry(target, "Wine-loving parents", "seen in store surveys")]
    # The same segments numbered the other way round, as a re-run might number them.
    k = len(r.segments)
    shuffled = tuple(dataclasses.replace(p, id=k - p.id + 1) for p in reversed(r.segments))
    profiles, personas, matches = ps.build_personas(shuffled, _sd(demo_run), _context(r), entries)
    renamed = [p for p in personas if p.name == "Wine-loving parents"]
    assert len(renamed) == 1 and renamed[0].segment == k - target.segment + 1
    assert renamed[0].notes == "seen in store surveys" and renamed[0].overridden
    assert matches[0].segment == k - target.segment + 1 and matches[0].distance == 0
    others = [p for p in personas if p.name != "Wine-loving parents"]
    assert all(not p.overridden for p in others)


def test_override_far_from_every_segment_applies_to_none(demo_run):
    r = demo_run.results
    far = ps._Entry(name="Nobody", match={f: v * 50 + 1e6 for f, v in r.personas[0].fingerprint.items()})
    _, personas, matches = ps.build_personas(r.segments, _sd(demo_run), _context(r), [far])
    assert matches[0].segment is None and "Nobody" not in [p.name for p in personas]


def test_overrides_giving_two_segments_one_name_are_an_error(demo_run):
    r = demo_run.results
    entries = [_entry(r.personas[0], "Same"), _entry(r.personas[1], "Same")]
    with pytest.raises(UserError, match="same name"):
        ps.build_personas(r.segments, _sd(demo_run), _context(r), entries)


def test_overrides_file_with_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "o.yml"
    path.write_text(yaml.safe_dump({"segments": [{"name": "A", "match": {"income": 1}, "colour": "red"}]}))
    with pytest.raises(UserError, match="unknown key"):
        ps.load_overrides(path)


def test_exported_template_loads_back(demo_run, tmp_path):
    path = tmp_path / "personas.yml"
    path.write_text(overrides_template(demo_run.results.personas))
    entries = ps.load_overrides(path)
    assert [e.name for e in entries] == [p.name for p in demo_run.results.personas]


def test_recommendation_rules(demo_run):
    r = demo_run.results
    c = _context(r)
    base = r.segments[0]

    def with_effects(**effects):
        stats = tuple(dataclasses.replace(s, effect=effects.get(s.feature, 0.0)) for s in base.stats)
        return dataclasses.replace(base, stats=stats, share_value=0.3, share_customers=0.3)

    assert ps.recommend(c, with_effects(deal_share=0.8)).offer == "Discount or bundle"
    assert ps.recommend(c, with_effects(recency_days=0.9)).offer.startswith("Win-back")
    assert ps.recommend(c, with_effects(recency_days=0.9)).timing == "Now"
    newer = with_effects(tenure_months=-0.8)
    t = newer.stat("tenure_months")

    def tenure(mean):
        return dataclasses.replace(newer, stats=tuple(dataclasses.replace(s, mean=mean) if s.feature == "tenure_months"
                                                      else s for s in newer.stats))
    # At most two thirds of the average tenure (the ratio that reads 'lower'): a newer relationship.
    assert ps.recommend(c, tenure(t.overall_mean / 1.5)).timing == "Early in the relationship"
    assert ps.recommend(c, tenure(t.overall_mean / 1.5 * 1.01)).timing != "Early in the relationship"
    premium = dataclasses.replace(with_effects(deal_share=-0.5), share_value=0.6, share_customers=0.3)
    assert ps.recommend(c, premium).offer.startswith("Premium")
    # "No discount needed" only where the data measures buying on deal (a discount column may say otherwise).
    assert ps.recommend(c, premium).offer_why.endswith("; no discount needed")
    no_deals = dataclasses.replace(premium, stats=tuple(s for s in premium.stats if s.feature != "deal_share"))
    assert ps.recommend(c, no_deals).offer.startswith("Premium") and "discount" not in ps.recommend(c, no_deals).offer_why
    # Customers who stopped buying are won back before any reward for loyalty, however much they spent.
    gone = ps.recommend(c, dataclasses.replace(with_effects(deal_share=-0.5, recency_days=0.9),
                                               share_value=0.6, share_customers=0.3))
    assert gone.offer.startswith("Win-back") and gone.timing == "Now"
    assert gone.offer_why.endswith("; 60% of revenue from 30% of customers while they bought")
    # A segment spending as the average customer does, but 30% more of it on meat (index 1.3, under
    # the 0.5 sd that would make it stand out): wines stay its largest share, meat is its focus.
    def shares(meat_index: float):
        stats = tuple(dataclasses.replace(s, mean=s.overall_mean * (meat_index if s.feature == "share_meat" else 1.0),
                                          effect=0.3 if s.feature == "share_meat" else 0.0)
                      if s.feature.startswith("share_") else s for s in base.stats)
        return dataclasses.replace(base, stats=stats)

    meaty = shares(1.3)
    top = max((s for s in meaty.stats if s.feature.startswith("share_")), key=lambda s: s.mean)
    lead = ps.pick(meaty, "share_", c.labels, ps.MIN_FOCUS_SHARE)
    assert lead.basis == "index" and lead.feature == "share_meat" != top.feature
    assert ps.recommend(c, meaty).product_focus == "Meat"
    # Just under the minimum index, nothing stands out: the largest share leads, and says so.
    assert ps.pick(shares(ps.MIN_INDEX - 0.02), "share_", c.labels, ps.MIN_FOCUS_SHARE).basis == "largest"
    paid = dataclasses.replace(c, profit_per_contact={base.id: -1.5})
    assert ps.recommend(paid, base).contact is False
    assert "Do not contact" in ps.recommend(paid, base).plan[0]


def test_surrogate_tree_explains_the_bundled_segments(demo_run):
    ex = demo_run.results.explanation
    assert ex.accuracy >= 0.8 and not ex.overlap
    assert {x.segment for x in ex.rules} == {p.id for p in demo_run.results.segments}


def test_comparison_cross_tab_and_ari_by_hand():
    ids = pd.Index(["a", "b", "c", "d", "e", "f"])
    now = np.array([1, 1, 2, 2, 3, 3])
    earlier = pd.Series(["x", "x", "x", "y", "y", "y", "z"], index=["a", "b", "c", "d", "e", "f", "gone"])
    cmp = compare(ids, now, earlier, "test")
    assert cmp.shared == 6 and cmp.earlier == ("x", "y") and cmp.current == (1, 2, 3)
    assert cmp.counts == ((2, 1, 0), (0, 1, 2))
    assert cmp.ari == pytest.approx(adjusted_rand_score(["x", "x", "x", "y", "y", "y"], now))
    assert compare(ids, now, pd.Series(["x"], index=["zz"]), "none") is None


def test_timing_follows_the_moment_a_segment_orders():
    """From order lines: a segment ordering much more at weekends than average is sent then."""
    from analysis.segment.profiles import FeatureStat, Profile

    def profile(weekend_effect: float, weekend_mean: float) -> Profile:
        stats = (FeatureStat("orders_at_weekends", weekend_mean, weekend_mean, 0.1, 0.0, weekend_effect),
                 FeatureStat("total_spend", 100.0, 90.0, 100.0, 90.0, 0.0))
        return Profile(id=1, name="", size=50, share_customers=0.5, share_value=0.5, stats=stats, categories=(),
                       traits=(), actions=(), public=True, stability=None, unassigned=False)

    c = ps.Context(labels={"orders_at_weekends": "Orders at weekends", "total_spend": "Total spend"},
                   kinds={"orders_at_weekends": "share", "total_spend": "money"},
                   clustering=("orders_at_weekends", "total_spend"), currency="£", latest_rate={},
                   overall_latest_rate=None, latest_name=None, profit_per_contact={}, break_even_rate=None)
    weekend = ps.recommend(c, profile(1.2, 0.6))
    assert weekend.timing == "Regular cycle, sent at weekends"
    assert weekend.timing_why.endswith("60% of their orders come at weekends")
    assert ps.recommend(c, profile(0.3, 0.15)).timing == "Regular cycle"  # under 0.5 sd: no moment


@pytest.mark.parametrize("orders, never", [(0.01, True), (0.49, True), (0.5, False), (2.0, False)])
def test_a_segment_most_of_whose_customers_never_ordered_is_named_and_advised_so(orders, never):
    """Customers of a table without an order line carry zero orders and a recency of the whole history:
    when most of a segment never ordered (mean orders under 0.5, orders being whole numbers), it is
    not called lapsing or narrow-basket, and it gets a first-order offer, not a win-back."""
    from analysis.segment.profiles import FeatureStat, Profile

    labels = {**LABELS, "orders": "Orders", "basket_size": "Products per order"}
    labels["total_spend"] = "Total spend"
    eff = {"orders": -1.5, "recency_days": 1.4, "basket_size": -1.3, "age": 0.9, "share_wines": 0.8,
           "channel_web": 0.9, "total_spend": -1.0}  # no spend without an order: not a trait to be named by
    name = ps.name_segment(eff, labels, means={"orders": orders, "share_wines": 0.3, "channel_web": 0.5})
    if never:
        assert name == "Older customers without orders"
    else:
        assert name == "Lapsing, occasional wine lovers buying online"  # lapsing leads: it decides the advice
    stats = tuple(FeatureStat(f, m, o, 1.0, 1.0, e) for f, m, o, e in [
        ("orders", orders, 2.5, -1.5), ("recency_days", 600.0, 200.0, 1.4), ("age", 60.0, 45.0, 0.9)])
    p = Profile(id=1, name="", size=50, share_customers=0.5, share_value=0.1, stats=stats, categories=(),
                traits=("orders", "recency_days", "age"), actions=(), public=True, stability=None, unassigned=False)
    c = ps.Context(labels=labels, kinds={"orders": "count", "recency_days": "days", "age": "years"},
                   clustering=("orders", "recency_days", "age"), currency="£", latest_rate={},
                   overall_latest_rate=None, latest_name=None, profit_per_contact={}, break_even_rate=None)
    rec = ps.recommend(c, p)
    assert (rec.offer == "First-order offer") == never and (rec.offer.startswith("Win-back")) == (not never)
    assert (rec.timing == "Now") == (not never)
    if never:  # their orders are what sets them apart: not "within 0.5 sd on every feature"
        quiet = dataclasses.replace(p, stats=stats[:2] + (FeatureStat("age", 46.0, 46.0, 45.0, 45.0, 0.1),))
        text = ps._describe(c, quiet)
        assert "Beyond their orders they are within 0.5 standard deviations" in text
        assert "Most of them have never ordered: " in text


@pytest.mark.parametrize("label, word", [("Wines", "wine"), ("Accessories", "accessory"), ("Meat products", "meat product"),
                                         ("Knives", "knife"), ("Home > Kitchen > Knives", "knife"), ("Glass", "glass"),
                                         ("Olives", "olive"), ("Garden / Tools", "tool"), ("Electronics", "electronics"),
                                         # plural in every word, as Portuguese and Spanish write it: kept
                                         ("utilidades domesticas", "utilidades domesticas"),
                                         ("Frutas y verduras", "frutas y verduras"), ("cama mesa banho", "cama mesa banho"),
                                         # 'watche buyers' before
                                         ("watches", "watch"), ("Brushes", "brush"), ("Gift boxes", "gift box"),
                                         ("Dresses", "dress"), ("Cakes", "cake"), ("Clothes", "clothes")])
def test_a_category_is_named_by_its_singular(label, word):
    from analysis.segment.personas import _singular
    assert _singular(label) == word


def test_a_segment_that_orders_in_the_evening_is_not_called_afternoon():
    """Fewer morning orders than average says nothing of afternoons: they may all be evenings."""
    labels = {"orders_in_the_morning": "Orders in the morning", "orders_in_the_evening": "Orders in the evening",
              "income": "Income"}
    name = ps.name_segment({"orders_in_the_evening": 1.6, "orders_in_the_morning": -1.1, "income": 0.8}, labels)
    assert name == "Evening, affluent customers"
    assert ps.name_segment({"orders_in_the_morning": 1.1, "income": 0.2}, labels) == "Morning customers"


def test_the_cross_sell_fallback_states_the_segment_s_value_not_near_the_average():
    from analysis.segment.profiles import FeatureStat, Profile

    stats = (FeatureStat("total_spend", 291.0, 570.0, 100.0, 90.0, -0.45), FeatureStat("share_tea", 0.3, 0.3, 0.3, 0.3, 0.0),
             FeatureStat("share_coffee", 0.7, 0.7, 0.7, 0.7, 0.0))
    p = Profile(id=3, name="", size=50, share_customers=0.27, share_value=0.14, stats=stats, categories=(),
                traits=(), actions=(), public=True, stability=None, unassigned=False)
    c = ps.Context(labels={"total_spend": "Total spend", "share_tea": "Share of spend: Tea"},
                   kinds={"total_spend": "money", "share_tea": "share"}, clustering=("total_spend",),
                   currency="£", latest_rate={}, overall_latest_rate=None, latest_name=None, profit_per_contact={},
                   break_even_rate=None)
    c = dataclasses.replace(c, labels={**c.labels, "share_coffee": "Share of spend: Coffee"},
                            kinds={**c.kinds, "share_coffee": "share"})
    rec = ps.recommend(c, p)
    # No category of theirs is below its average share: nothing to cross-sell.
    assert rec.offer == "Standard offer" and rec.offer_why == (
        "14% of revenue from 27% of customers; no category of theirs falls below its average share")
    # Tea below average, coffee their focus: the offer is on tea, the focus stays coffee.
    p = dataclasses.replace(p, stats=(stats[0], FeatureStat("share_tea", 0.1, 0.1, 0.3, 0.3, -0.8),
                                      FeatureStat("share_coffee", 0.9, 0.9, 0.7, 0.7, 0.8)))
    rec = ps.recommend(c, p)
    assert rec.offer == "Cross-sell offer" and rec.offer_why == (
        "14% of revenue from 27% of customers; cross-sell tea (10% of their spend against 30%)")
    assert rec.product_focus == "Coffee" and "Cross-sell offer on tea" in rec.plan[0]
    low = ps.recommend(c, dataclasses.replace(p, share_value=0.13))  # at most half its share of customers
    assert low.offer == "Step-up offer: a low-cost add-on or upgrade"


@pytest.mark.parametrize("channel, phrase", [("WhatsApp", "buying through WhatsApp"), ("SMS", "buying through SMS"),
                                             ("Kiosk", "buying through kiosk"), ("eBay", "buying through eBay")])
def test_a_channel_is_named_in_running_text_as_its_owner_spells_it(channel, phrase):
    """Lower case in running text, but for a brand's own capitals and acronyms."""
    labels = {"channel_x": f"Share of purchases: {channel}", "channel_web": "Share of purchases: Web"}
    assert ps.name_segment({"channel_x": 1.0, "channel_web": -1.0}, labels) == f"Typical customers {phrase}"


def test_a_category_names_its_one_time_buyers_buyers_not_lovers():
    eff = {"share_wines": 1.2, "total_spend": 0.1}
    assert ps.name_segment(eff, LABELS) == "Wine lovers"
    assert ps.name_segment(eff, LABELS, means={ps.ONCE: 1.0}) == "Wine buyers"
    assert ps.name_segment(eff, LABELS, means={ps.ONCE: 0.0}) == "Wine lovers"
    by_catalog = {**eff, "channel_catalog": 0.8}
    assert ps.name_segment(by_catalog, LABELS, means={ps.ONCE: 1.0}) == "Wine buyers by catalog"  # not 'buyers buying'
    assert ps.name_segment(by_catalog, LABELS) == "Wine lovers buying by catalog"


def test_a_segment_most_apart_in_its_web_visits_is_named_for_them():
    """App sessions 1.57 sd above average and a coupon rate 1.07 above: 'Web-browsing', not a name from
    the third difference only ('Low visits month customers'); rare visitors are 'Rarely online'."""
    labels = {"web_visits": "App sessions", "visits_month": "Visits month", "coupon_rate": "Coupon rate"}
    assert ps.name_segment({"web_visits": 1.57, "visits_month": -0.75, "coupon_rate": 1.07}, labels) == (
        "Web-browsing, high coupon rate customers")
    assert ps.name_segment({"web_visits": -1.1, "coupon_rate": 1.29}, labels) == "High coupon rate, rarely online customers"


@pytest.mark.parametrize("morning, name", [(1.5, "Morning, frequent customers"), (0.49, "Daytime, frequent customers")])
def test_morning_buyers_are_not_also_named_daytime(morning, name):
    """Morning orders leave fewer for the evening: 'Morning, daytime' says one thing twice."""
    labels = {"orders_in_the_morning": "Orders in the morning", "orders_in_the_evening": "Orders in the evening",
              "orders": "Orders"}
    effects = {"orders_in_the_morning": morning, "orders_in_the_evening": -1.3, "orders": 0.6}
    assert ps.name_segment(effects, labels) == name


@pytest.mark.parametrize("label, name", [("Logins 30 days", "High logins customers"),
                                         ("Support tickets YTD", "High support tickets customers"),
                                         ("Purchases last 12 months", "High purchases customers"),
                                         ("Balance", "High balance customers")])
def test_a_name_leaves_out_the_period_every_customer_is_measured_over(label, name):
    assert ps.name_segment({"x": 1.2}, {"x": label}) == name


def test_two_measures_of_one_thing_over_two_periods_name_it_once():
    labels = {"a": "Logins 7 days", "b": "Logins 30 days", "c": "Tickets"}
    assert ps.name_segment({"a": 1.5, "b": 1.4, "c": 0.9}, labels) == "High logins, high tickets customers"


@pytest.mark.parametrize("spend, name", [(543.0, "Low-spending customers"), (1242.0, "Typical customers")])
def test_a_skewed_measure_a_third_of_the_average_names_the_segment_as_its_traits_read_it(spend, name):
    """A car dealer's service spend: $543 against $1,850 is 0.3 sd of a skewed spread, yet its trait
    reads 'much lower': the name and the description say so too, not 'Typical customers ... within
    0.5 standard deviations on every feature'. At 1.49 times less it stays typical. Income, which the
    premium rule reads in sd, keeps its sd: twice the average at 0.3 sd names no 'affluent' segment."""
    from analysis.segment.profiles import FeatureStat, Profile

    labels = {"total_spend": "Total service spend", "age": "Age", "income": "Income"}
    stats = (FeatureStat("total_spend", spend, spend, 1850.0, 1850.0, -0.31), FeatureStat("age", 46.0, 46.0, 48.0, 48.0, -0.1),
             FeatureStat("income", 90.0, 90.0, 45.0, 45.0, 0.3))
    p = Profile(id=1, name="", size=400, share_customers=0.4, share_value=0.4 * spend / 1850, stats=stats,
                categories=(), traits=("total_spend", "income", "age"), actions=(), public=True, stability=None,
                unassigned=False)
    c = ps.Context(labels=labels, kinds={"total_spend": "money", "age": "years", "income": "money"},
                   clustering=tuple(labels), currency="$", latest_rate={}, overall_latest_rate=None, latest_name=None,
                   profit_per_contact={}, break_even_rate=None)
    profiles, personas, _ = ps.build_personas((p,), {f: 1.0 for f in labels}, c)
    assert profiles[0].name == name
    text = ps._describe(c, p)
    assert ("lower total service spend ($543 against $1,850)" in text) == (spend == 543.0)
    assert "within 0.5 standard deviations" not in text  # income reads 'much higher' (twice the average)
    quiet = dataclasses.replace(p, stats=stats[:2] + (FeatureStat("income", 50.0, 50.0, 45.0, 45.0, 0.3),))
    assert ("within 0.5 standard deviations" in ps._describe(c, quiet)) == (spend != 543.0)


@pytest.mark.parametrize("median, name", [(661.3, "Typical customers"), (440.0, "Low-spending customers"),
                                          (990.0, "Typical customers"), (1000.0, "Low-spending customers")])
def test_the_middle_third_by_a_skewed_spend_is_not_named_low_spending(median, name):
    """Three value tiers of a skewed spend (the bundled order lines): the middle tier's mean, 698, is a
    third of the average's 2,007, set by the top tier's largest buyers, while its median is the average
    customer's (661). Its name is not 'Low-spending' beside the bottom tier's; its trait says both. A
    median 1.5 times apart either way (440 or 1,000 against 661) does read low."""
    from analysis.segment.profiles import FeatureStat, Profile

    labels = {"total_spend": "Total spend", "age": "Age"}
    stats = (FeatureStat("total_spend", 698.0, median, 2007.0, 661.4, -0.147),
             FeatureStat("age", 46.0, 46.0, 48.0, 48.0, -0.1))
    p = Profile(id=2, name="", size=1445, share_customers=0.33, share_value=0.12, stats=stats, categories=(),
                traits=("total_spend", "age"), actions=(), public=True, stability=None, unassigned=False)
    c = ps.Context(labels=labels, kinds={"total_spend": "money", "age": "years"}, clustering=tuple(labels),
                   currency="£", latest_rate={}, overall_latest_rate=None, latest_name=None,
                   profit_per_contact={}, break_even_rate=None)
    profiles, personas, _ = ps.build_personas((p,), {f: 1.0 for f in labels}, c)
    assert profiles[0].name == name
    said = (" on average, but a median of £661.3 against £661.4)" if median == 661.3 else
            " on average, but a median of £990 against £661)" if median == 990 else ")")
    assert personas[0].traits[0] == f"Total spend: £698 against £2,007 on average (much lower{said}"
    assert ("lower total spend (£698 against £2,007)" in personas[0].description) == (name != "Typical customers")
    same = dataclasses.replace(stats[0], median=661.0, overall_median=661.0)
    assert ps.trait_text(c, dataclasses.replace(p, stats=(same, stats[1])), "total_spend").endswith(
        "(much lower on average, but the same median, £661)")


def test_an_overrides_file_with_a_key_written_twice_is_refused(tmp_path):
    (tmp_path / "personas.yml").write_text("segments:\n  - name: A\n    name: B\n")
    with pytest.raises(UserError, match=r"personas.yml: key 'name' written twice at line 3; keep one"):
        ps.load_overrides(tmp_path / "personas.yml")


def test_customers_without_orders_are_not_named_for_their_first_order():
    """A joined table's customers who never ordered have no first order: 'Low months since first
    order customers without orders' names them by what they do not have."""
    labels = {"first_order_months": "Months since first order", "orders": "Orders", "age": "Age"}
    name = ps.name_segment({"first_order_months": -1.4, "orders": -1.5, "age": 0.2}, labels, means={"orders": 0.1})
    assert name == "Typical customers without orders"


@pytest.mark.parametrize("label, said", [("Annual spend (CHF)", "higher annual spend (CHF 41,724 against CHF 7,267)"),
                                         ("Tenure (yrs)", None)])
def test_a_money_label_does_not_repeat_the_currency_its_amounts_carry(label, said):
    from analysis.segment.profiles import FeatureStat, Profile

    stats = (FeatureStat("x", 41724.0, 41724.0, 7267.0, 7267.0, 1.6),)
    p = Profile(id=1, name="", size=96, share_customers=0.06, share_value=None, stats=stats, categories=(),
                traits=("x",), actions=(), public=True, stability=None, unassigned=False)
    c = ps.Context(labels={"x": label}, kinds={"x": "money" if said else "number"}, clustering=("x",), currency="CHF ",
                   latest_rate={}, overall_latest_rate=None, latest_name=None, profit_per_contact={},
                   break_even_rate=None)
    text = ps._describe(c, p)
    assert (said in text) if said else "higher tenure (yrs) at 41,724 against 7,267" in text, text


def test_order_habits_of_buyers_are_compared_with_other_buyers_not_with_zeros_of_customers_who_never_ordered():
    """A customer table joined with order lines where most customers never ordered: their basket,
    order value and category shares hold 0. Averaged in, they made one-order buyers of a single product
    'wide-basket' and 'toy lovers' (the zeros pulled every average down); a habit is compared with
    those who have one."""
    from analysis.segment.features import FeatureSet
    from analysis.segment.profiles import build_profiles

    rng = np.random.default_rng(0)
    n_buy, n_never = 300, 2700
    basket = np.r_[rng.choice([1, 1, 1, 2], n_buy), np.zeros(n_never)]
    toys = np.r_[rng.uniform(0, 0.4, n_buy), np.zeros(n_never)]
    table = pd.DataFrame({"orders": np.r_[np.ones(n_buy), np.zeros(n_never)], "basket_size": basket,
                          "share_toys": toys, "age": rng.normal(40, 10, n_buy + n_never)})
    labels = np.r_[np.ones(n_buy, int), np.full(n_never, 2)]
    cols = tuple(table.columns)
    fs = FeatureSet(table=table, docs=(), clustering=cols, matrix=np.zeros((len(table), len(cols))), value_feature=None)
    buyers, never = build_profiles(fs, labels, pd.DataFrame(index=table.index), min_size=1)
    width = buyers.stat("basket_size")
    assert width.buyers_only and width.overall_mean == pytest.approx(basket[:n_buy].mean())
    assert abs(width.effect) < 1e-9 and abs(buyers.stat("share_toys").effect) < 1e-9
    assert buyers.stat("orders").effect > 2 and not buyers.stat("orders").buyers_only  # zero orders is a count
    assert never.stat("basket_size").effect == 0 and never.stat("basket_size").mean == 0
    assert not buyers.stat("age").buyers_only

    every = table.assign(orders=1.0)  # every customer ordered (order lines alone): the whole table, as before
    fs_all = FeatureSet(table=every, docs=(), clustering=cols, matrix=fs.matrix, value_feature=None)
    width_all = build_profiles(fs_all, labels, pd.DataFrame(index=table.index), min_size=1)[0].stat("basket_size")
    assert not width_all.buyers_only and width_all.overall_mean == pytest.approx(basket.mean())


@pytest.mark.parametrize("once, name", [(1.0, "High-spending customers"), (0.0, "Frequent, high-spending customers")])
def test_a_segment_half_of_which_bought_once_is_not_named_frequent(once, name):
    """More orders than customers who never ordered is not repeat buying: a segment whose median
    customer ordered once is not 'frequent', however far its average is above the table's."""
    labels = {"orders": "Orders", "total_spend": "Total spend"}
    eff = {"orders": 2.5, "total_spend": 2.0}
    assert ps.name_segment(eff, labels, means={"orders": 1.1, "total_spend": 120.0, ps.ONCE: once}) == name
    # fewer orders than average stays said, whatever the median
    assert ps.name_segment({"orders": -1.0}, labels, means={"orders": 1.0, ps.ONCE: 1.0}) == "Occasional customers"


def test_categories_of_a_table_named_in_another_language_keep_their_own_words():
    """Spanish columns ('Gasto alimentos', 'Compras tienda'): 'Alimentos' is no English plural to make
    singular ('alimento lovers'); German columns ('Jahreseinkommen', 'Webbesuche pro Monat') make their
    categories and a label in a name German nouns with their capitals ('Lebensmittel', 'Einkünfte').
    One word alone ('alter', an English word too) says nothing of the language."""
    es = {"share_alimentos": "Share of spend: Alimentos", "compras_tienda": "Compras tienda"}
    assert ps.name_segment({"share_alimentos": 0.9}, es) == "Alimentos lovers"
    assert ps.name_segment({"share_alimentos": 0.9}, {**es, "compras_tienda": "Store purchases"}) == "Alimento lovers"
    de = {"share_lebensmittel": "Share of spend: Lebensmittel", "einkunfte": "Einkünfte",
          "jahreseinkommen": "Jahreseinkommen", "web": "Webbesuche pro Monat"}
    assert ps.name_segment({"share_lebensmittel": 0.9, "einkunfte": -0.8, "age": 0.0}, {**de, "age": "Age"}) \
        == "Low Einkünfte Lebensmittel lovers"
    en = {"share_lebensmittel": "Share of spend: Lebensmittel", "einkunfte": "Einkünfte", "age": "Alter",
          "web": "Web visits"}
    assert ps.name_segment({"share_lebensmittel": 0.9, "einkunfte": -0.8}, en) == "Low einkünfte lebensmittel lovers"
    assert ps.names_cased(de) and not ps.names_cased(en)


@pytest.mark.parametrize("without, said", [(20, "20 of them (8%) have not ordered yet"),
                                           (12, "Fewer than 20 of them have not ordered yet"), (0, None)])
def test_a_segments_customers_without_orders_are_counted_apart_from_its_buyers_habits(without, said):
    """A joined table's customers without an order, too few for a segment of their own, sit in a segment of
    buyers named for its buyers' habits ('fashion lovers'): its description says how many have not ordered
    (as 'fewer than' the public group size below it), so no reader takes them for fashion buyers."""
    from types import SimpleNamespace

    from analysis.segment.profiles import build_profiles

    n = 250
    orders = np.r_[np.zeros(without), np.full(n - without, 3.0), np.full(n, 5.0)]
    table = pd.DataFrame({"orders": orders, "share_fashion": np.r_[np.zeros(without), np.full(2 * n - without, 0.7)],
                          "age": np.r_[np.full(n, 30.0), np.full(n, 50.0)]})
    labels = np.r_[np.ones(n, int), np.full(n, 2)]
    features = SimpleNamespace(table=table, value_feature="orders", clustering=("orders", "share_fashion", "age"))
    profiles = build_profiles(features, labels, pd.DataFrame(index=table.index), 20)
    assert [p.without_orders for p in profiles] == [without, 0]
    c = ps.Context(labels={"orders": "Orders", "share_fashion": "Share of spend: Fashion", "age": "Age"},
                   kinds={"orders": "count", "share_fashion": "share", "age": "years"}, clustering=features.clustering,
                   currency="$", latest_rate={}, overall_latest_rate=None, latest_name=None, profit_per_contact={},
                   break_even_rate=None, min_size=20)
    texts = [ps._describe(c, p) for p in profiles]
    assert ("not ordered yet" in texts[0]) == bool(said) and "not ordered yet" not in texts[1]
    if said:
        assert said in texts[0]
    everyone = dataclasses.replace(profiles[0], without_orders=n)  # a segment of non-buyers is named so instead
    everyone = dataclasses.replace(everyone, stats=tuple(dataclasses.replace(s, mean=0.0) if s.feature == "orders"
                                                         else s for s in everyone.stats))
    assert "not ordered yet" not in ps._describe(c, everyone)


@pytest.mark.parametrize("channel, phrase", [("Magasin", "buying in store"), ("En ligne", "buying online"),
                                             ("Ligne", "buying online"), ("Tienda", "buying in store"),
                                             ("Geschäft", "buying in store"), ("Téléphone", "buying by phone"),
                                             ("WhatsApp", "buying through WhatsApp")])
def test_a_channel_named_in_another_language_reads_as_the_english_channel(channel, phrase):
    """'Affluent customers buying through magasin' mixes two languages: a store, online shop, catalogue or
    phone as the drafts' other languages name them reads as the English phrase; another channel as named."""
    assert ps.channel_phrase(channel) == phrase


def test_a_segments_customers_without_orders_get_a_first_order_offer_not_its_win_back():
    """A lapsed segment of a joined table holds 40 customers who never ordered (their recency is the whole
    history): the win-back is for the 774 who bought; the others get a first-order offer, said in the plan
    and the steps; fewer than the public group size are not counted, not even by a difference."""
    from analysis.segment.profiles import FeatureStat, Profile

    labels = {"recency_days": "Days since last purchase", "orders": "Orders", "tenure_months": "Tenure"}
    stats = (FeatureStat("recency_days", 594.0, 600.0, 228.0, 200.0, 1.6),
             FeatureStat("orders", 1.1, 1.0, 5.0, 4.0, -0.9), FeatureStat("tenure_months", 30.0, 30.0, 20.0, 20.0, 0.6))
    p = Profile(id=4, name="", size=814, share_customers=0.2, share_value=0.06, stats=stats, categories=(),
                traits=tuple(labels), actions=(), public=True, stability=None, unassigned=False, without_orders=40)
    c = ps.Context(labels=labels, kinds={"recency_days": "days", "orders": "count", "tenure_months": "months"},
                   clustering=tuple(labels), currency="$", latest_rate={}, overall_latest_rate=None, latest_name=None,
                   profit_per_contact={}, break_even_rate=None, min_size=20)
    profiles, personas, _ = ps.build_personas((p,), {f: 1.0 for f in labels}, c)
    plan = personas[0].recommendation.plan
    assert personas[0].recommendation.offer.startswith("Win-back")
    assert plan[0].endswith("to the 774 customers of this segment with an order.")
    assert plan[1] == ("Without an order: its 40 customers who have not ordered yet get a first-order offer instead "
                       "(they have no purchase to win back).")
    assert "First-order offer to its 40 customers who have not ordered yet." in profiles[0].actions
    few = ps.build_personas((dataclasses.replace(p, without_orders=12),), {f: 1.0 for f in labels}, c)
    text = " ".join(few[1][0].recommendation.plan + few[0][0].actions)
    assert "802" not in text and "12" not in text and "fewer than 20" in text
    assert ps.build_personas((dataclasses.replace(p, without_orders=0),), {f: 1.0 for f in labels}, c)[1][0] \
        .recommendation.plan[0].endswith("to the 814 customers of this segment.")


@pytest.mark.parametrize("recent, campaign, kept", [
    (282, "to the 1,106 customers of this segment whose last order is more than 272 days ago.",
     "its 282 customers who ordered in the last 272 days"),
    (12, "to the customers of this segment whose last order is more than 272 days ago.",
     "its few customers who ordered in the last 272 days (fewer than 20)"),
    (0, "to the 1,388 customers of this segment.", None)])
def test_a_lapsed_segments_recent_buyers_get_no_win_back(recent, campaign, kept):
    """A segment named for its mean recency ('Lapsed') may hold customers who ordered as lately as most
    (the one-order fashion buyers beside the truly lapsed): the win-back is for those whose last order is
    older than the average customer's median; the others stay on the regular cycle, said in plan and steps."""
    from analysis.segment.profiles import FeatureStat, Profile

    labels = {"recency_days": "Days since last purchase", "orders": "Orders", "age": "Age"}
    stats = (FeatureStat("recency_days", 560.0, 580.0, 300.0, 272.0, 1.2),
             FeatureStat("orders", 1.1, 1.0, 2.0, 1.0, -0.6), FeatureStat("age", 40.0, 40.0, 41.0, 41.0, -0.1))
    p = Profile(id=3, name="", size=1388, share_customers=0.28, share_value=0.15, stats=stats, categories=(),
                traits=tuple(labels), actions=(), public=True, stability=None, unassigned=False, recent=recent)
    c = ps.Context(labels=labels, kinds={"recency_days": "days", "orders": "count", "age": "years"},
                   clustering=tuple(labels), currency="€", latest_rate={}, overall_latest_rate=None, latest_name=None,
                   profit_per_contact={}, break_even_rate=None, min_size=20)
    profiles, personas, _ = ps.build_personas((p,), {f: 1.0 for f in labels}, c)
    rec = personas[0].recommendation
    assert rec.offer.startswith("Win-back") and rec.plan[0].endswith(campaign)
    said = [x for x in rec.plan if x.startswith("Recently active")]
    assert said == ([f"Recently active: {kept} stay on the regular cycle, without a win-back."] if kept else [])
    assert (f"Regular cycle for {kept}." in profiles[0].actions) == bool(kept)


def test_a_segments_recent_buyers_are_counted_against_the_average_customers_median():
    from types import SimpleNamespace

    from analysis.segment.profiles import build_profiles

    recency = np.r_[np.arange(100.0), np.arange(100.0, 200.0)]  # median 99.5
    table = pd.DataFrame({"recency_days": recency, "orders": np.r_[np.zeros(10), np.ones(190)]})
    labels = np.r_[np.ones(50, int), np.full(150, 2)]
    features = SimpleNamespace(table=table, value_feature="orders", clustering=("recency_days", "orders"))
    profiles = build_profiles(features, labels, pd.DataFrame(index=table.index), 20)
    # Buyers only (the first 10 never ordered): their median recency is 104.5; segment 1 holds recencies 0 to 49.
    assert [p.recent for p in profiles] == [40, 105 - 50]


def test_a_name_written_right_to_left_keeps_the_numbers_after_it_in_place():
    """'Share of spend: حلويات ومعجنات: 51% against 20%' showed as '51 :حلويات ومعجنات%' (an Arabic name takes
    the numbers after it into its right-to-left run): such a name is isolated (U+2068 ... U+2069), others are not."""
    from analysis.labels import isolated, item_name, readable

    assert readable("حلويات_ومعجنات") == "\u2068حلويات ومعجنات\u2069" and isolated("\u2068שוקולד\u2069") == "\u2068שוקולד\u2069"
    assert readable("Wines") == "Wines" and item_name("葡萄酒", "product") == "葡萄酒" and isolated("Ελληνικά") == "Ελληνικά"
    c = ps.Context(labels={"share_x": f"Share of spend: {readable('حلويات ومعجنات')}"}, kinds={"share_x": "share"},
                   clustering=("share_x",), currency="", latest_rate={}, overall_latest_rate=None, latest_name=None,
                   profit_per_contact={}, break_even_rate=None)
    from analysis.segment.profiles import FeatureStat, Profile

    p = Profile(id=1, name="", size=260, share_customers=0.11, share_value=0.12,
                stats=(FeatureStat("share_x", 0.51, 0.5, 0.2, 0.2, 1.4),), categories=(), traits=("share_x",),
                actions=(), public=True, stability=None, unassigned=False)
    assert ps.trait_text(c, p, "share_x") == "Share of spend: \u2068حلويات ومعجنات\u2069: 51% against 20% on average (much higher)"


def test_two_typical_segments_are_told_apart_by_their_plain_effects_before_a_number():
    """Tenure 24 and 48 months against 33 (0.8 and 1.2 sd, under 1.5 times): neither names a newer or
    long-standing segment by the naming effects, so both were 'Typical customers', the second '(2)'.
    The second takes the name its plain effects in sd give; a number only when those clash too."""
    labels = {"tenure_months": "Tenure", "age": "Age"}
    effects = [{"tenure_months": 0.0, "age": 0.1}, {"tenure_months": 0.0, "age": -0.1}]
    plain = [{"tenure_months": -0.8, "age": 0.1}, {"tenure_months": 1.2, "age": -0.1}]
    assert ps.unique_names(effects, labels) == ["Typical customers", "Typical customers (2)"]
    assert ps.unique_names(effects, labels, plain=plain) == ["Typical customers", "Long-standing customers"]
    assert ps.unique_names(effects, labels, plain=[plain[0], {"tenure_months": 0.3, "age": -0.1}]) == \
        ["Typical customers", "Typical customers (2)"]


def test_a_seasonal_segment_is_not_lapsing_one_season_after_its_last_order():
    """Gift buyers ordering each December, 350 days after the last one: their gaps between orders average
    105 days over the history, yet they buy once a year; at most twice a year late is lapsing."""
    from analysis.segment.features import SEASON_FEATURE

    means = {"recency_days": 350.0, "orders": 8.0, "tenure_months": 36.0, SEASON_FEATURE: 0.94}
    assert ps.own_gap(means) < 350 / 2 and not ps.lapsing(1.2, means)
    assert ps.lapsing(1.2, {**means, SEASON_FEATURE: 0.3})  # not seasonal: late by their own rhythm
    assert ps.lapsing(1.2, {**means, "recency_days": 800.0})  # two seasons missed
    labels = {"recency_days": "Days since last purchase", SEASON_FEATURE: "Orders in their season", "age": "Age"}
    assert not ps.name_segment({"recency_days": 1.2, SEASON_FEATURE: 2.0, "age": 0.1}, labels, means=means).startswith("Lapsing")

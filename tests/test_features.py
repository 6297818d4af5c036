"""Features from a three-customer table whose every value is worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.ingest.cleaning import clean
from analysis.errors import UserError
from analysis.segment.features import PROFILE_ONLY, build_features, slug
from analysis.ingest.loading import load_customers

CSV = """id,birth,income,kids,teens,joined,recency,wine,meat,web,store,deals,visits,score,c1,c2,complain
1,1970,100,1,0,2013-06-30,10,30,10,1,3,2,5,7,1,0,0
2,1980,200,0,0,2014-06-30,20,0,0,0,0,0,6,7,0,1,1
3,1990,300,2,1,2014-01-01,30,5,15,2,2,5,7,7,1,1,0
"""
COLUMNS = {
    "id": "id", "birth_year": "birth", "income": "income", "household": ["kids", "teens"],
    "signup_date": "joined", "recency_days": "recency", "spend": {"Wine": "wine", "Meat": "meat"},
    "purchases": {"Web": "web", "Store": "store"}, "deal_purchases": "deals", "web_visits": "visits",
    "numeric": ["score"], "campaigns": {"Campaign 1": "c1", "Latest": "c2"}, "complaints": "complain",
}
CFG = {"columns": COLUMNS, "report": {"reference_date": "2014-06-30"}}


def features(config_for, config=CFG, csv=CSV):
    cfg = config_for(csv, config)
    return build_features(clean(load_customers(cfg), cfg), cfg)


@pytest.fixture
def feats(config_for):
    return features(config_for)


def column(feats, name):
    return feats.table[name].tolist()


def test_spend_shares_sum_to_one_and_without_spend_are_the_spenders_average(feats):
    """A customer who spent nothing has no mix: the average share of those who spent, not 0% of
    everything (which set non-buyers beside the buyers of one category, and named them after it)."""
    assert column(feats, "total_spend") == [40, 0, 20]
    assert column(feats, "share_wine") == [0.75, 0.5, 0.25]
    assert column(feats, "share_meat") == [0.25, 0.5, 0.75]
    shares = feats.table[["share_wine", "share_meat"]].sum(axis=1).tolist()
    assert shares == [1.0, 1.0, 1.0]
    assert feats.mix == {"share_wine": 0.5, "share_meat": 0.5, "channel_web": 0.375, "channel_store": 0.625}
    assert "customers with none have the average share of those with some" in feats.doc("share_wine").description


def test_a_saved_models_mix_is_given_to_new_customers_without_spend(config_for):
    """New customers are placed with the training run's average mix, not their own batch's."""
    from analysis.segment.features import build_table
    cfg = config_for(CSV, CFG)
    given = {"share_wine": 0.9, "share_meat": 0.1, "channel_web": 0.2, "channel_store": 0.8}
    table, _, mix = build_table(clean(load_customers(cfg), cfg), cfg, given)
    assert table["share_wine"].tolist() == [0.75, 0.9, 0.25] and table["channel_web"].tolist() == [0.25, 0.2, 0.5]
    assert mix == given


def test_channel_shares_purchases_and_basket(feats):
    assert column(feats, "purchases") == [4, 0, 4]
    assert column(feats, "channel_web") == [0.25, 0.375, 0.5]
    assert column(feats, "channel_store") == [0.75, 0.625, 0.5]
    assert column(feats, "avg_purchase") == [10.0, 0.0, 5.0]


def test_deal_share_is_capped_at_one(feats):
    # 2 of 4, none of none, 5 deals out of 4 purchases -> at most 1.
    assert column(feats, "deal_share") == [0.5, 0.0, 1.0]


def test_age_from_birth_year_on_the_reference_date(feats):
    assert column(feats, "age") == [44, 34, 24]
    assert "2014-06-30" in feats.doc("age").description


def test_tenure_in_months(feats):
    # 365 and 180 days to 2014-06-30, over 30.44 days a month.
    assert column(feats, "tenure_months") == pytest.approx([365 / 30.44, 0.0, 180 / 30.44])


def test_children_sum_the_household_columns(feats):
    assert column(feats, "children") == [1, 0, 3]


def test_campaign_answers_and_complaints_are_profile_only_by_default(feats):
    assert column(feats, "campaigns_accepted") == [1, 1, 2]
    assert column(feats, "complaints") == [0, 1, 0]
    assert set(PROFILE_ONLY) == {"campaigns_accepted", "complaints", "churned"}  # churn: tests/test_drafting.py
    for name in ("campaigns_accepted", "complaints"):
        assert name in feats.table
        assert name not in feats.clustering
        assert feats.doc(name).transform == ""


def test_constant_feature_is_not_clustered(feats):
    assert column(feats, "score") == [7, 7, 7]
    assert "score" not in feats.clustering


def test_default_clustering_features(feats):
    assert set(feats.clustering) == {
        "age", "income", "children", "tenure_months", "recency_days", "total_spend", "share_wine", "share_meat",
        "purchases", "channel_web", "channel_store", "avg_purchase", "deal_share", "web_visits",
    }
    assert feats.value_feature == "total_spend"


def test_matrix_is_standardised_and_aligned(feats):
    assert feats.matrix.shape == (3, len(feats.clustering))
    assert np.allclose(feats.matrix.mean(axis=0), 0)
    # Every column standardised, but those left out of the distances (shares of a purchase or two, chance)
    kept = np.array([s.weight > 0 for s in feats.scaling])
    assert np.allclose(feats.matrix.std(axis=0)[kept], 1) and np.all(feats.matrix[:, ~kept] == 0)
    assert {s.name for s in feats.scaling if s.weight == 0} == {"channel_web", "channel_store", "deal_share"}
    assert list(feats.table.index) == ["1", "2", "3"]
    # Income 100, 200, 300: standardised to -1.2247, 0, 1.2247 (population sd 81.65).
    i = feats.clustering.index("income")
    assert feats.matrix[:, i] == pytest.approx([-1.2247449, 0, 1.2247449])


def test_features_named_in_config_are_the_ones_clustered(config_for):
    f = features(config_for, {**CFG, "features": ["income", "age", "income"]})
    assert f.clustering == ("income", "age")
    assert f.matrix.shape == (3, 2)


def test_profile_only_feature_can_be_chosen_explicitly(config_for):
    f = features(config_for, {**CFG, "features": ["income", "campaigns_accepted"]})
    assert f.clustering == ("income", "campaigns_accepted")


def test_unknown_feature_lists_the_available_ones(config_for):
    with pytest.raises(UserError) as e:
        features(config_for, {**CFG, "features": ["income", "spend_total"]})
    message = str(e.value)
    assert "unknown feature 'spend_total'" in message
    assert "available:" in message
    for name in ("total_spend", "age", "share_wine", "channel_web", "tenure_months"):
        assert name in message


def test_nothing_varies_is_a_user_error(config_for):
    with pytest.raises(UserError, match="no varying numeric feature"):
        features(config_for, {"columns": {"id": "id", "numeric": ["score"]}})


def test_value_feature_falls_back_to_income(config_for):
    f = features(config_for, {"columns": {"id": "id", "income": "income", "birth_year": "birth"},
                              "report": {"reference_date": "2014-06-30"}})
    assert f.value_feature == "income"


def test_one_spend_or_purchase_column_is_a_total_with_no_share_of_it(config_for):
    """A single spend column would be 100% of every spender's spend: no 'share' feature, no
    'Total lovers'; the same for one purchase column and channels."""
    one = {**COLUMNS, "spend": {"Total": "wine"}, "purchases": {"All": "web"}}
    f = features(config_for, {"columns": one, "report": {"reference_date": "2014-06-30"}})
    assert column(f, "total_spend") == [30, 0, 5] and column(f, "purchases") == [1, 0, 2]
    assert not [c for c in f.table.columns if c.startswith(("share_", "channel_"))]
    two = features(config_for)
    assert {"share_wine", "share_meat", "channel_web", "channel_store"} <= set(two.table.columns)


def test_units_bought_stand_in_for_spend_where_no_price_is_known(config_for):
    """Order lines without prices give units per category: a total counted in units and each
    category's share of them (named as spend shares are, labelled as units), never a money feature."""
    units = {k: v for k, v in COLUMNS.items() if k != "spend"} | {"units": {"Wine": "wine", "Meat": "meat"}}
    f = features(config_for, {"columns": units, "report": {"reference_date": "2014-06-30"}})
    assert column(f, "total_units") == [40, 0, 20]
    assert column(f, "share_wine") == [0.75, 0.5, 0.25]  # none bought: the average share
    docs = {d.name: d for d in f.docs}
    assert (docs["total_units"].kind, docs["share_meat"].kind) == ("count", "share")
    assert docs["share_meat"].label == "Share of units: Meat"
    assert not [d.name for d in f.docs if d.name != "income" and d.kind == "money"]
    assert not [d.label for d in f.docs if "spend" in d.label.lower() or "spend" in d.description.lower()]


def test_one_household_column_keeps_its_own_label(config_for):
    one = {**COLUMNS, "household": ["kids"]}
    f = features(config_for, {"columns": one, "labels": {"kids": "Dependants"}, "report": {"reference_date": "2014-06-30"}})
    assert next(d.label for d in f.docs if d.name == "children") == "Dependants"
    assert next(d.label for d in features(config_for).docs if d.name == "children") == "Children at home"
    # One spend column too (a monthly fee is not 'total spend'); several make a total of their own.
    fee = features(config_for, {"columns": {**COLUMNS, "spend": {"Total": "wine"}}, "labels": {"wine": "Monthly fee"},
                                "report": {"reference_date": "2014-06-30"}})
    assert next(d.label for d in fee.docs if d.name == "total_spend") == "Monthly fee"
    two = features(config_for, {**CFG, "labels": {"wine": "Wine bought"}})
    assert next(d.label for d in two.docs if d.name == "total_spend") == "Total spend"


def test_slug():
    assert slug("Red wine") == "red_wine"
    assert slug("  Gold & Silver!! ") == "gold_silver"
    assert slug("***") == "x"
    assert slug("Café") == "cafe" and slug("Épicerie fine") == "epicerie_fine"
    assert slug("食品購入額") == "食品購入額" != slug("ファッション購入額")  # two Japanese categories stay two
    assert slug("ウェブ") == "ウェブ"  # the voiced mark is part of the letter


def test_two_categories_with_the_same_feature_name_are_an_error(config_for):
    csv = "id,a,b,inc\n1,10,0,5\n2,0,10,6\n3,5,5,7\n"
    with pytest.raises(UserError, match="share_red_wine"):
        features(config_for, {"columns": {"id": "id", "income": "inc", "spend": {"Red wine": "a", "red-wine": "b"}}},
                 csv=csv)


# ---------------------------------------------------------------- relevance (issue 12)

def _two_group_csv(n: int = 300) -> str:
    """Half the customers buy mostly wine, half mostly meat; income and age carry no group signal."""
    rng = np.random.default_rng(0)
    rows = ["id,birth,income,wine,meat"]
    for i in range(n):
        wine_lover = i % 2 == 0
        wine = int(rng.integers(80, 120)) if wine_lover else int(rng.integers(0, 10))
        meat = int(rng.integers(0, 10)) if wine_lover else int(rng.integers(80, 120))
        rows.append(f"{i + 1},{int(rng.integers(1950, 2000))},{int(rng.normal(50_000, 9_000))},{wine},{meat}")
    return "\n".join(rows) + "\n"


TWO_GROUPS = {"columns": {"id": "id", "birth_year": "birth", "income": "income",
                          "spend": {"Wine": "wine", "Meat": "meat"}}, "report": {"reference_date": "2014-06-30"}}


GOODS = ("wine", "meat", "fish", "fruit", "sweets", "gold")


def _six_group_csv(n: int = 600) -> str:
    """Six groups of customers, each buying mostly one of six goods; income and age carry no group signal."""
    rng = np.random.default_rng(0)
    rows = ["id,birth,income," + ",".join(GOODS)]
    for i in range(n):
        spend = [int(rng.integers(80, 120)) if j == i % 6 else int(rng.integers(0, 10)) for j in range(6)]
        rows.append(f"{i + 1},{int(rng.integers(1950, 2000))},{int(rng.normal(50_000, 9_000))}," + ",".join(map(str, spend)))
    return "\n".join(rows) + "\n"


SIX_GROUPS = {"columns": {"id": "id", "birth_year": "birth", "income": "income",
                          "spend": {g.title(): g for g in GOODS}}, "report": {"reference_date": "2014-06-30"}}


@pytest.mark.parametrize("seed", [42, 1, 2])
def test_features_without_segment_structure_are_left_out_of_the_distances(config_for, seed):
    """With at least as many groups as most preliminary segmentations (3 to 8) ask for, the splits follow
    the groups and age and income, noise, are left out, whatever the seed. (With two or four groups the
    extra preliminary splits fall along any spread, noise included, and whether noise stays is a matter
    of the starts: docs/selection.md, rule 0.)"""
    f = features(config_for, {**SIX_GROUPS, "seed": seed}, csv=_six_group_csv())
    docs = {d.name: d for d in f.docs}
    assert docs["share_wine"].weight == 1.0 and docs["share_wine"].relevance > 0.5
    assert docs["age"].weight == 0.0 and docs["age"].relevance < 0.1
    assert docs["income"].weight == 0.0
    # The names stay: a feature left out is a column of zeros in the matrix.
    assert "age" in f.clustering
    assert np.all(f.matrix[:, f.clustering.index("age")] == 0)
    assert np.allclose(f.matrix[:, f.clustering.index("share_wine")].std(), 1)


def test_a_features_list_in_the_config_is_used_as_given(config_for):
    f = features(config_for, {**TWO_GROUPS, "features": ["income", "age", "share_wine"]}, csv=_two_group_csv())
    assert all(d.weight == 1.0 for d in f.docs if d.name in f.clustering)
    assert np.allclose(f.matrix.std(axis=0), 1)
    assert next(d for d in f.docs if d.name == "age").relevance is not None  # measured and shown all the same


def test_deal_purchases_without_purchases_are_kept_as_a_count(tmp_path):
    """Without purchase columns there is no share to compute: the deal purchases stay a feature
    (a count), not silently dropped."""
    import numpy as np
    import pandas as pd

    from analysis.config import load_config
    from analysis.pipeline import analyse

    rng = np.random.default_rng(0)
    n = 300
    pd.DataFrame({"id": range(n), "income": rng.normal(50000, 10000, n).round(), "wine": rng.gamma(2, 100, n).round(),
                  "meat": rng.gamma(2, 80, n).round(), "deals": rng.integers(0, 6, n)}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "t.yml").write_text("customers: {path: t.csv}\ncolumns: {id: id, income: income, "
                                    "spend: {Wine: wine, Meat: meat}, deal_purchases: deals}\n")
    docs = {d.name: d for d in analyse(load_config(tmp_path / "t.yml")).results.features}
    assert "deal_share" not in docs and docs["deal_purchases"].kind == "count"
    assert docs["deal_purchases"].source == "deals"


def test_config_labels_name_the_features_made_from_one_column(config_for):
    labelled = features(config_for, {**CFG, "labels": {"income": "Household income (k$)", "score": "Credit score",
                                                        "visits": "Visits a month"}})
    by_name = {d.name: d.label for d in labelled.docs}
    assert by_name["income"] == "Household income (k$)"  # units kept as written
    assert by_name["score"] == "Credit score" and by_name["web_visits"] == "Visits a month"
    assert by_name["recency_days"] == "Days since last purchase"  # no label given: the default


def test_scaling_replays_the_matrix_bit_for_bit(feats):
    from analysis.segment.features import replay

    assert np.array_equal(replay(feats.table, feats.scaling), feats.matrix)
    assert [s.name for s in feats.scaling] == list(feats.clustering)


def test_a_column_named_like_a_built_feature_is_kept_once_or_apart(tmp_path):
    """A shop export's own avg_order_value beside spend and orders: the same measure as the built
    feature (one customer's spend is capped, so not the same numbers) is counted once; other numbers
    under that name are kept as a feature of their own."""
    import pandas as pd

    from analysis.config import load_config
    from analysis.ingest.loading import load_customers as load
    from analysis.segment.features import build_table

    rng = np.random.default_rng(1)
    n = 60
    spend, orders = rng.gamma(2, 100, n).round(2) + 1, rng.integers(1, 9, n)
    frame = pd.DataFrame({"id": range(n), "spend": spend, "orders": orders, "avg_order_value": spend / orders,
                          "other": rng.normal(size=n)})
    for given, kept in ((spend / orders, False), (rng.gamma(2, 20, n), True)):
        frame.assign(avg_order_value=given).to_csv(tmp_path / "t.csv", index=False)
        (tmp_path / "t.yml").write_text("customers: {path: t.csv}\ncolumns: {id: id, spend: {All: spend}, "
                                        "orders: orders, numeric: [avg_order_value, other]}\n")
        cfg = load_config(tmp_path / "t.yml")
        table, docs, _ = build_table(clean(load(cfg), cfg), cfg)
        assert ("avg_order_value_as_given" in table) == kept and "avg_order_value" in table and "other" in table
    # Under a name of its own ('Panier moyen (€)') and in cents, the same measure is still counted once.
    frame.assign(avg_order_value=spend / orders * 100).rename(columns={"avg_order_value": "Panier moyen"}).to_csv(
        tmp_path / "t.csv", index=False)
    (tmp_path / "t.yml").write_text("customers: {path: t.csv}\ncolumns: {id: id, spend: {All: spend}, "
                                    "orders: orders, numeric: [Panier moyen, other]}\n")
    cfg = load_config(tmp_path / "t.yml")
    table, docs, _ = build_table(clean(load(cfg), cfg), cfg)
    assert "panier_moyen" not in table and {"avg_order_value", "other"} <= set(table)


def _habit_csv(orders, weekend_p, seed=0) -> str:
    """Customers with their orders and the share of them placed at weekends (each order at a weekend
    with the customer's own probability), and two spend columns that carry two groups."""
    rng = np.random.default_rng(seed)
    rows = ["id,orders,weekend,wine,meat"]
    for i, (n, p) in enumerate(zip(orders, weekend_p)):
        wine = int(rng.integers(80, 120)) if i % 2 else int(rng.integers(0, 10))
        rows.append(f"{i + 1},{n},{rng.binomial(n, p) / n:.4f},{wine},{int(rng.integers(40, 60))}")
    return "\n".join(rows) + "\n"


HABITS = {"columns": {"id": "id", "orders": "orders", "habits": {"at weekends": "weekend"},
                      "spend": {"Wine": "wine", "Meat": "meat"}}, "report": {"reference_date": "2014-06-30"}}


def test_a_habit_share_of_few_orders_each_is_chance_and_left_out(config_for):
    """One or two orders each, every order at a weekend with the same 29%: customers' shares are 0,
    50% or 100%, all chance. With ten orders each and two kinds of customers (90% and 10% at
    weekends), the same share is a habit and stays."""
    from analysis.segment.features import chance_share
    import pandas as pd

    assert chance_share(pd.Series([0.0, 1.0, 0.0, 1.0]), pd.Series([1, 1, 1, 1])) == 1.0
    # p = 0.5, variance 0.16 (shares 0.1 and 0.9), chance 0.25 / 10 = 0.025: 0.025 / 0.16
    assert chance_share(pd.Series([0.1, 0.9] * 5), pd.Series([10] * 10)) == pytest.approx(0.15625)
    n = 400
    few = features(config_for, HABITS, csv=_habit_csv([1 + i % 2 for i in range(n)], [0.29] * n))
    doc = next(d for d in few.docs if d.name == "orders_at_weekends")
    assert doc.weight == 0.0 and "is what their few orders each give by chance" in doc.transform
    assert np.all(few.matrix[:, few.clustering.index("orders_at_weekends")] == 0)
    many = features(config_for, HABITS, csv=_habit_csv([10] * n, [0.9 if i % 4 == 0 else 0.1 for i in range(n)]))
    doc = next(d for d in many.docs if d.name == "orders_at_weekends")
    assert doc.weight == 1.0 and "chance" not in doc.transform
    # Listed in the config, it is used as given.
    listed = features(config_for, {**HABITS, "features": ["orders_at_weekends", "share_wine"]},
                      csv=_habit_csv([1 + i % 2 for i in range(n)], [0.29] * n))
    assert next(d for d in listed.docs if d.name == "orders_at_weekends").weight == 1.0


@pytest.mark.parametrize("d, left_out", [(0.3727, False), (0.3371, True)])
def test_a_habit_is_left_out_when_chance_gives_more_than_half_its_variance(config_for, d, left_out):
    """Four orders each, shares 0.5 - d and 0.5 + d: chance gives 0.25 / 4 against a variance of
    d squared, 45% of it for d = 0.3727 and 55% for d = 0.3371."""
    rows = ["id,orders,weekend,wine,meat"] + [
        f"{i + 1},4,{0.5 + (d if i % 2 else -d):.4f},{100 if i % 2 else 5},{50 + i % 7}" for i in range(400)]
    f = features(config_for, HABITS, csv="\n".join(rows) + "\n")
    doc = next(x for x in f.docs if x.name == "orders_at_weekends")
    assert ("by chance" in doc.transform) == left_out
    assert doc.weight == (0.0 if left_out else 1.0)


def _channel_csv(purchases, web_p, seed=0) -> str:
    """Customers whose purchases go to the web with their own probability (the rest to the store,
    a fifth of them on deal), and two spend columns that carry two groups."""
    rng = np.random.default_rng(seed)
    rows = ["id,web,store,deals,wine,meat"]
    for i, (n, p) in enumerate(zip(purchases, web_p)):
        web = rng.binomial(n, p)
        wine = int(rng.integers(80, 120)) if i % 2 else int(rng.integers(0, 10))
        rows.append(f"{i + 1},{web},{n - web},{rng.binomial(n, 0.2)},{wine},{int(rng.integers(40, 60))}")
    return "\n".join(rows) + "\n"


CHANNELS = {"columns": {"id": "id", "purchases": {"Web": "web", "Store": "store"}, "deal_purchases": "deals",
                        "spend": {"Wine": "wine", "Meat": "meat"}}, "report": {"reference_date": "2014-06-30"}}


def test_a_channel_or_deal_share_of_few_purchases_each_is_chance_and_left_out(config_for):
    """One to three purchases each, every one on the web with the same 35%: shares of 0, 1/3, 1/2,
    1, all chance, which the relevance rule would take for groups of web-only and store-only
    customers. Twenty purchases each by two kinds of customers (90% and 10% on the web): a channel
    mix, kept. The share bought on deal (20% for everyone) is chance in both."""
    n = 400
    few = features(config_for, CHANNELS, csv=_channel_csv([1 + i % 3 for i in range(n)], [0.35] * n))
    for name in ("channel_web", "channel_store", "deal_share"):
        doc = next(d for d in few.docs if d.name == name)
        assert doc.weight == 0.0 and "is what their few purchases each give by chance" in doc.transform
    many = features(config_for, CHANNELS, csv=_channel_csv([20] * n, [0.9 if i % 4 == 0 else 0.1 for i in range(n)]))
    web = next(d for d in many.docs if d.name == "channel_web")
    assert web.weight == 1.0 and "chance" not in web.transform
    assert "by chance" in next(d for d in many.docs if d.name == "deal_share").transform


@pytest.mark.parametrize("d, left_out", [(0.3727, False), (0.3371, True)])
def test_a_channel_share_is_left_out_when_chance_gives_more_than_half_its_variance(config_for, d, left_out):
    """Four purchases each, web shares 0.5 - d and 0.5 + d: chance gives 0.25 / 4 against a variance
    of d squared, 45% of it for d = 0.3727 and 55% for d = 0.3371."""
    rows = ["id,web,store,wine,meat"] + [
        f"{i + 1},{4 * (0.5 + (d if i % 2 else -d)):.4f},{4 * (0.5 - (d if i % 2 else -d)):.4f},"
        f"{100 if i % 2 else 5},{50 + i % 7}" for i in range(400)]
    cfg = {"columns": {"id": "id", "purchases": {"Web": "web", "Store": "store"}, "spend": {"Wine": "wine", "Meat": "meat"}},
           "report": {"reference_date": "2014-06-30"}}
    f = features(config_for, cfg, csv="\n".join(rows) + "\n")
    doc = next(x for x in f.docs if x.name == "channel_web")
    assert ("by chance" in doc.transform) == left_out
    assert doc.weight == (0.0 if left_out else 1.0)


def test_orders_on_deal_become_a_share_of_orders(tmp_path):
    """Without purchase columns but with orders: coupon orders over all orders (at most 1), so that
    coupon hunters read as deal-seeking; a column already between 0 and 1 is the share itself."""
    import numpy as np
    import pandas as pd

    from analysis.config import load_config
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features

    rng = np.random.default_rng(0)
    n = 300
    orders = rng.integers(1, 20, n)
    coupons = np.minimum(rng.integers(0, 10, n), orders)
    coupons[0], orders[0] = 7, 4  # more coupon orders than orders: capped at 1
    frame = pd.DataFrame({"id": range(n), "wine": rng.gamma(2, 100, n).round(), "meat": rng.gamma(2, 80, n).round(),
                          "orders": orders, "coupons": coupons, "share": np.minimum(coupons / orders, 1.0).round(3)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    for col, want in (("coupons", np.minimum(coupons / orders, 1.0)), ("share", frame["share"].clip(upper=1.0))):
        (tmp_path / "t.yml").write_text("customers: {path: t.csv}\ncolumns: {id: id, orders: orders, "
                                        f"spend: {{Wine: wine, Meat: meat}}, deal_purchases: {col}}}\n")
        cfg = load_config(tmp_path / "t.yml")
        f = build_features(clean(load_customers(cfg), cfg), cfg)
        doc = f.doc("deal_share")
        assert doc.kind == "share" and doc.source == col and "deal_purchases" not in [d.name for d in f.docs]
        assert np.allclose(f.table["deal_share"].to_numpy(), np.asarray(want, dtype=float))


def test_a_numeric_column_named_in_the_reports_currency_is_money(tmp_path):
    """'mrr_usd' in a $ report is shown as money ($1,200); 'fee_eur' in the same report is not (another
    currency), nor is a plain count."""
    import numpy as np
    import pandas as pd

    from analysis import formatters as fmt
    from analysis.config import load_config
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers
    from analysis.segment.features import build_features, in_currency

    rng = np.random.default_rng(0)
    n = 120
    pd.DataFrame({"id": range(n), "wine": rng.gamma(2, 100, n).round(), "meat": rng.gamma(2, 80, n).round(),
                  "mrr_usd": rng.gamma(2, 600, n).round(), "fee_eur": rng.gamma(2, 9, n).round(),
                  "seats": rng.integers(1, 40, n)}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "t.yml").write_text("customers: {path: t.csv}\ncolumns: {id: id, spend: {Wine: wine, Meat: meat}, "
                                    "numeric: [mrr_usd, fee_eur, seats]}\nreport: {currency: '$'}\n")
    cfg = load_config(tmp_path / "t.yml")
    f = build_features(clean(load_customers(cfg), cfg), cfg)
    kinds = {d.source: d.kind for d in f.docs if d.source in ("mrr_usd", "fee_eur", "seats")}
    assert kinds == {"mrr_usd": "money", "fee_eur": "number", "seats": "number"}
    assert fmt.by_kind(1200.0, kinds["mrr_usd"], "$") == "$1,200"
    assert in_currency("Solde moyen (€)", "€") and in_currency("price_chf", "CHF ") and not in_currency("seats", "$")
    # Without a currency, a name that says money: charges, balance, fees; not a count or rate of them.
    assert in_currency("MonthlyCharges Monthly charges", "$") and in_currency("account_balance", "€")
    assert in_currency("gasto_mensual", "€") and in_currency("late_fees", "$") and in_currency("total_paid", "$")
    assert not in_currency("payment_delay_days", "$") and not in_currency("num_payments", "$")
    assert not in_currency("charge_rate", "$") and not in_currency("logins_last_30d", "$")
    # A card table's BALANCE_FREQUENCY is a score from 0 to 1 and PAYMENTS_TRX a count, not amounts.
    assert not in_currency("BALANCE_FREQUENCY", "$") and not in_currency("balance_trx", "$")
    assert in_currency("BALANCE", "$") and not in_currency("PRC_FULL_PAYMENT", "$")


def test_categories_and_channels_written_in_snake_case_read_as_words():
    from analysis.labels import readable

    assert readable("cama_mesa_banho") == "cama mesa banho" and readable("Detergents_Paper") == "Detergents Paper"
    assert readable("Home & Garden") == "Home & Garden" and readable("a_b c") == "a_b c" and readable("Wines") == "Wines"


def test_tenure_counts_from_the_first_order_only_where_the_signup_column_is_the_order_lines_own():
    """The order lines' first order (renamed when the table has a column of that name) gives a rhythm of
    orders; a customer table's own signup date does not (a customer may join years before ordering)."""
    from analysis.segment.features import from_first_order
    assert from_first_order("First order") and from_first_order("First order (order lines)")
    assert not from_first_order("Data iscrizione") and not from_first_order(None)


@pytest.mark.parametrize("blank, left_out", [(21, True), (20, False)])
def test_a_feature_most_customers_lack_is_left_out_of_the_distances(config_for, blank, left_out):
    """Days since the last contact, blank (or -1, never contacted) for most customers: the median
    cleaning gives them is no trait to segment by. More than half imputed: left out, and said so."""
    rng = np.random.default_rng(11)
    rows = [f"{i},{30000 + 500 * i + rng.integers(0, 300)},{'' if i < blank else 90 + 7 * i}" for i in range(40)]
    csv = "id,income,last_contact_days\n" + "\n".join(rows) + "\n"
    f = features(config_for, {"columns": {"id": "id", "income": "income", "numeric": ["last_contact_days"]}}, csv)
    doc = next(d for d in f.docs if d.name == "last_contact_days")
    scaling = next(s for s in f.scaling if s.name == "last_contact_days")
    assert (scaling.weight == 0.0) == left_out
    assert ("customers had no value and were given the median" in doc.transform) == left_out


def test_minus_one_below_a_column_from_one_up_is_a_code_for_never(config_for):
    """UCI bank marketing's pdays: -1 for customers never contacted before, days from 1 up for the
    others. -1 is a code, not a measure: missing (then the feature, mostly imputed, is left out)."""
    rows = [f"{i},{30000 + 500 * i},{-1 if i % 4 else 30 + i}" for i in range(40)]
    csv = "id,income,pdays\n" + "\n".join(rows) + "\n"
    cfg = config_for(csv, {"columns": {"id": "id", "income": "income", "numeric": ["pdays"]}})
    data = clean(load_customers(cfg), cfg)
    entry = next(e for e in data.log if e.column == "pdays" and e.step == "implausible values")
    assert entry.count == 30 and "a code for none or never" in entry.detail
    assert data.customers["pdays"].min() >= 30
    rows[0] = "0,30000,0"  # 0 beside -1: a scale that goes below zero, not a code
    zero = "id,income,pdays\n" + "\n".join(rows) + "\n"
    cfg = config_for(zero, {"columns": {"id": "id", "income": "income", "numeric": ["pdays"]}})
    assert not any(e.column == "pdays" and e.step == "implausible values" for e in clean(load_customers(cfg), cfg).log)


@pytest.mark.parametrize("column, label", [
    ("last_login_date", "Days since last login"), ("laatste_bezoek", "Days since last visit"),
    ("LAST_FLIGHT_DATE", "Days since last flight"), ("last_purchase", "Days since last purchase"),
    ("Dt_Last_Order", "Days since last purchase"), ("last_seen", "Days since last activity"),
])
def test_the_recency_of_a_last_activity_date_is_named_for_what_it_records(column, label):
    """A SaaS table's last login is no purchase: its recency reads 'Days since last login'."""
    from analysis.segment.features import last_event
    assert f"Days since last {last_event(column)}" == label


def _demo_features(tmp_path, factor: float):
    """The bundled table's features with every money column (income, spend) multiplied by factor."""
    from pathlib import Path

    import pandas as pd
    import yaml

    from analysis.config import parse_config

    data = Path(__file__).resolve().parents[1] / "data"
    base = yaml.safe_load((data / "marketing_campaign.yml").read_text(encoding="utf-8"))
    table = pd.read_csv(data / "marketing_campaign.csv", sep="\t")
    money = ["Income", *base["columns"]["spend"].values()]
    table[money] = table[money] * factor
    folder = tmp_path / f"x{factor:g}"
    folder.mkdir()
    table.to_csv(folder / "c.tsv", sep="\t", index=False)
    cfg = parse_config({**base, "customers": {**base["customers"], "path": "c.tsv"}}, base_dir=folder)
    cleaned = clean(load_customers(cfg), cfg)
    return build_features(cleaned, cfg), cleaned


def test_money_in_other_units_gives_the_same_clustering_matrix(tmp_path):
    """Cents, euros or thousands: the log scale follows the unit (cleaning.log_offset), so the matrix the
    segments are found in, the outliers and the relevance weights are the same."""
    (base, clean_base), (cents, clean_cents), (thousands, _) = (_demo_features(tmp_path, f) for f in (1, 100, 0.001))
    assert base.clustering == cents.clustering == thousands.clustering
    np.testing.assert_allclose(cents.matrix, base.matrix, atol=1e-9)
    np.testing.assert_allclose(thousands.matrix, base.matrix, atol=1e-9)
    average = base.doc("avg_purchase")  # skewed: on the log scale, whose offset follows the unit
    assert average.transform.startswith("log(1 + x / 6.33") and cents.doc("avg_purchase").transform.startswith(
        "log(1 + x / 633.3")
    assert base.doc("share_fruits").transform.startswith("log(1 + x),")  # a share's unit is the whole
    fences = clean_base.fitted.fences
    money = {"Income", *(c for c in fences if c.startswith("Mnt"))}
    assert len(money) == 7 and set(fences) == set(clean_cents.fitted.fences)
    for col, (lo, hi) in fences.items():
        factor = 100 if col in money else 1
        assert clean_cents.fitted.fences[col] == pytest.approx((factor * lo, factor * hi), rel=1e-9)


def test_log_offset_is_the_fifth_percentile_of_positive_values():
    from analysis.ingest.cleaning import log_offset

    v = np.concatenate([np.zeros(50), np.arange(1, 101, dtype=float)])
    assert log_offset(v) == pytest.approx(np.percentile(np.arange(1, 101), 5)) == pytest.approx(5.95)
    assert log_offset(v * 100) == pytest.approx(595) and log_offset(np.zeros(5)) == 1.0
    assert log_offset(np.array([1.0, 1.0, 2.0, 3.0, 40.0])) == 1.0  # counts: log(1 + x)

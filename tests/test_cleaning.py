"""Cleaning on tiny tables with hand-worked answers, and golden checks on the bundled data."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ingest.cleaning import parse_dates, parse_flags, parse_numbers
from analysis.errors import UserError

REF = {"report": {"reference_date": "2014-06-30"}}


def only(entries):
    assert len(entries) == 1, entries
    return entries[0]


# --- missing and implausible values ------------------------------------------------------------------------

BASIC = """id,birth,income,wine,meat,joined
1,1970,100,10,20,2014-01-01
2,1893,200,-5,30,2014-02-01
3,1980,,30,40,2014-03-01
4,1990,400,30,40,2014-04-01
"""
BASIC_CFG = {"columns": {"id": "id", "birth_year": "birth", "income": "income",
                         "spend": {"Wine": "wine", "Meat": "meat"}, "signup_date": "joined"}, **REF}


def test_missing_income_is_imputed_with_the_median_of_kept_customers(clean_csv, find_log):
    data = clean_csv(BASIC, BASIC_CFG)
    # Incomes of the others: 100, 200, 400 -> median 200.
    assert data.customers.loc["3", "income"] == 200
    assert data.customers["income"].tolist() == [100, 200, 200, 400]
    entry = only(find_log(data.log, "missing values", "income"))
    assert entry.count == 1
    assert entry.action == "imputed with the median"
    assert "200" in entry.detail


def test_implausible_birth_year_is_treated_as_missing_and_logged(clean_csv, find_log):
    data = clean_csv(BASIC, BASIC_CFG)
    entry = only(find_log(data.log, "implausible values", "birth"))
    assert entry.count == 1
    assert entry.action == "treated as missing"
    assert "1893" in entry.detail and "2014-06-30" in entry.detail
    # Ages on 2014-06-30: 44, (121: implausible), 34, 24 -> the gap gets the median age 34.
    assert data.customers["_age"].tolist() == [44, 34, 34, 24]
    entry = only(find_log(data.log, "missing values", "birth"))
    assert entry.count == 1 and "median age 34" in entry.detail


def test_negative_spend_is_treated_as_missing_then_imputed(clean_csv, find_log):
    data = clean_csv(BASIC, BASIC_CFG)
    entry = only(find_log(data.log, "implausible values", "wine"))
    assert (entry.count, entry.action, entry.detail) == (1, "treated as missing", "negative values")
    # Wine of the others: 10, 30, 30 -> median 30.
    assert data.customers.loc["2", "wine"] == 30
    assert only(find_log(data.log, "missing values", "wine")).count == 1


@pytest.mark.parametrize("tickets, coded", [
    ([999, 999] + [i % 18 for i in range(40)], 2),   # 999 twice, the rest at most 17: a code
    ([999] + [i % 18 for i in range(41)], 0),        # once: one extreme customer, capped as an outlier
    ([99, 99] + list(range(50)), 2),                 # 49 * 2 <= 99
    ([99, 99] + list(range(51)), 0),                 # 50 * 2 > 99: a real value among the others
    ([998, 998] + [i % 18 for i in range(40)], 0),   # not written with nines only
])
def test_a_nines_code_for_unknown_becomes_missing_not_a_capped_value(clean_csv, find_log, tickets, coded):
    rows = "".join(f"{i},{t},{10 + i}\n" for i, t in enumerate(tickets))
    data = clean_csv("id,tickets,spend\n" + rows, {"columns": {"id": "id", "numeric": ["tickets"],
                                                              "spend": {"All": "spend"}}, **REF})
    codes = [e for e in find_log(data.log, "implausible values", "tickets") if "code" in e.detail]
    assert sum(e.count for e in codes) == coded
    if coded:
        assert data.customers["tickets"].max() <= 50  # imputed, not capped at a fence above every real value
        assert codes[0].public_detail == "a code for an unknown value (99, 999 ...)"


def test_no_customer_disappears(clean_csv):
    data = clean_csv(BASIC, BASIC_CFG)
    assert data.n_input == 4
    assert data.all_ids == ("1", "2", "3", "4")
    assert data.reasons == ("", "", "", "")
    assert list(data.customers.index) == ["1", "2", "3", "4"]
    assert not data.customers[["income", "wine", "meat", "_age"]].isna().any().any()


def test_configured_reference_date_is_used(clean_csv):
    assert clean_csv(BASIC, BASIC_CFG).reference_date == date(2014, 6, 30)


def test_reference_date_defaults_to_the_latest_signup(clean_csv):
    cfg = {"columns": BASIC_CFG["columns"]}
    assert clean_csv(BASIC, cfg).reference_date == date(2014, 4, 1)


def test_signup_after_reference_date_is_implausible(clean_csv, find_log):
    csv = "id,income,joined\n1,10,2014-01-01\n2,20,2014-03-01\n3,30,2015-01-01\n"
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "signup_date": "joined"}, **REF})
    entry = only(find_log(data.log, "implausible values", "joined"))
    assert entry.count == 1
    # Replaced by the median of the two valid dates (the upper one of an even count).
    assert data.customers.loc["3", "joined"] == pd.Timestamp("2014-03-01")
    # A signup during the reference day is not after it, and the day the latest signup gives is its own.
    csv = "id,income,joined\n1,10,2014-01-01 09:00\n2,20,2014-03-01 10:00\n3,30,2014-06-30 22:15\n4,40,2014-07-01 00:00\n"
    cols = {"columns": {"id": "id", "income": "income", "signup_date": "joined"}}
    data = clean_csv(csv, {**cols, **REF})
    assert only(find_log(data.log, "implausible values", "joined")).count == 1
    assert data.customers.loc["3", "joined"] == pd.Timestamp("2014-06-30 22:15")
    data = clean_csv(csv.replace("2014-07-01", "2014-06-29"), cols)
    assert data.reference_date == date(2014, 6, 30) and not find_log(data.log, "implausible values", "joined")


def test_missing_answers_stay_missing_and_are_logged(clean_csv, find_log):
    csv = "id,income,resp\n1,10,yes\n2,20,\n3,30,0\n"
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "campaigns": {"Latest": "resp"}}})
    assert data.customers["resp"].tolist()[0] == 1.0
    assert np.isnan(data.customers["resp"].tolist()[1])
    entry = only(find_log(data.log, "missing values", "resp"))
    assert entry.count == 1 and entry.action == "left missing"


# --- categories --------------------------------------------------------------------------------------------

def test_spelling_variants_and_rare_categories(clean_csv, find_log):
    statuses = ["Married", "Married", "Married", "Married ", "married", "Single", "Single", "Single", "YOLO", ""]
    csv = "id,income,status\n" + "".join(f"{i},{10 * i},{s}\n" for i, s in enumerate(statuses, 1))
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "categorical": ["status"]},
                           "cleaning": {"rare_category_share": 0.15}, "report": {"min_segment_size": 1}})
    # 'Married ' loses its space when read; 'married' is a spelling variant of the commoner 'Married'.
    variants = only([e for e in find_log(data.log, "odd categories", "status") if "spelling" in e.action])
    assert (variants.count, variants.action) == (1, "spelling variants merged")
    # The blank becomes 'Unknown' and stays so (a missing status is no other status); 'YOLO', 10%,
    # under 15%, is merged into 'Other'.
    missing = only(find_log(data.log, "missing values", "status"))
    assert missing.count == 1 and "Unknown" in missing.action
    rare = only([e for e in find_log(data.log, "odd categories", "status") if "Other" in e.action])
    assert rare.count == 1
    assert "'Unknown'" not in rare.detail and "'YOLO' (1)" in rare.detail
    assert data.customers["status"].value_counts().to_dict() == {"Married": 5, "Single": 3, "Other": 1, "Unknown": 1}
    # A value written 'Unknown' in the input, nothing missing: a rare value like any other.
    written = clean_csv(csv.replace(",\n", ",Unknown\n").replace(",YOLO", ",Single"),
                        {"columns": {"id": "id", "income": "income", "categorical": ["status"]},
                         "cleaning": {"rare_category_share": 0.15}, "report": {"min_segment_size": 1}})
    assert written.customers["status"].value_counts().to_dict() == {"Married": 5, "Single": 4, "Other": 1}


def test_rare_values_below_the_minimum_group_size_are_counted_not_named(clean_csv, find_log):
    statuses = ["Married"] * 6 + ["Single"] * 2 + ["YOLO"] + ["Alone"]
    csv = "id,income,status\n" + "".join(f"{i},{10 * i},{s}\n" for i, s in enumerate(statuses, 1))
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "categorical": ["status"]},
                           "cleaning": {"rare_category_share": 0.25}, "report": {"min_segment_size": 2}})
    rare = only([e for e in find_log(data.log, "odd categories", "status") if "Other" in e.action])
    assert rare.count == 4
    assert rare.detail == "3 values: 'Single' (2), 2 values held by fewer than 2 customers: each under 25% of customers"


def test_common_categories_are_left_alone(clean_csv, find_log):
    csv = "id,income,edu\n1,1,PhD\n2,2,Master\n3,3,PhD\n4,4,Master\n"
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "categorical": ["edu"]}})
    assert find_log(data.log, "odd categories") == []
    assert data.customers["edu"].tolist() == ["PhD", "Master", "PhD", "Master"]


# --- duplicates ------------------------------------------------------------------------------------------

DUPES = """id,income,wine
1,100,10
2,200,20
2,200,20
3,300,30
3,310,31
4,100,10
"""
DUPES_CFG = {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}}}


def test_exact_duplicate_and_repeated_id_are_excluded_with_reasons(clean_csv, find_log):
    data = clean_csv(DUPES, DUPES_CFG)
    assert data.reasons == (
        "", "", "exact duplicate of an earlier row", "",
        "customer id repeated with different values (first row kept)", "",
    )
    assert data.all_ids == ("1", "2", "2", "3", "3", "4")
    assert list(data.customers.index) == ["1", "2", "3", "4"]
    assert data.customers.loc["3", "income"] == 300  # the first row of id 3 is the one kept
    excluded = find_log(data.log, "duplicates", "id")
    assert sorted((e.count, e.detail) for e in excluded) == [
        (1, "customer id repeated with different values (first row kept)"),
        (1, "exact duplicate of an earlier row"),
    ]


def test_rows_equal_but_for_the_id_are_kept_by_default_and_logged(clean_csv, find_log):
    data = clean_csv(DUPES, DUPES_CFG)
    assert "4" in data.customers.index
    entry = only(find_log(data.log, "duplicates", "all columns but id"))
    assert entry.count == 1 and entry.action.startswith("kept")
    assert "duplicate_rows: exclude" in entry.action


def test_rows_equal_but_for_the_id_excluded_when_configured(clean_csv, find_log):
    data = clean_csv(DUPES, {**DUPES_CFG, "cleaning": {"duplicate_rows": "exclude"}})
    assert data.reasons[5] == "same values as an earlier customer in every column but the id"
    assert "4" not in data.customers.index
    entry = only(find_log(data.log, "duplicates", "all columns but id"))
    assert (entry.count, entry.action) == (1, "excluded")


def _parquet(frame: pd.DataFrame) -> bytes:
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def test_a_typed_parquet_table_is_cleaned_as_its_csv(clean_csv):
    """Numbers read from Parquet (written as text by Arrow) give the CSV's duplicates and twins."""
    csv = clean_csv(DUPES, {**DUPES_CFG, "cleaning": {"duplicate_rows": "exclude"}})
    frame = pd.read_csv(__import__("io").StringIO(DUPES))
    pq = clean_csv(_parquet(frame), {**DUPES_CFG, "cleaning": {"duplicate_rows": "exclude"}}, "customers.parquet")
    assert pq.reasons == csv.reasons and pq.all_ids == csv.all_ids
    pd.testing.assert_frame_equal(pq.customers, csv.customers)


@pytest.mark.parametrize("cell", ["Ann\x00", "\x1b[31mred", "a\x7fb"])
def test_a_control_character_in_a_parquet_text_cell_marks_its_row_corrupt(clean_csv, cell):
    frame = pd.DataFrame({"id": [1, 2, 3], "name": ["Bo", cell, "Cy"], "income": [10.5, 20.0, None]})
    data = clean_csv(_parquet(frame), {"columns": {"id": "id", "income": "income", "categorical": ["name"]}},
                     "customers.parquet")
    assert data.reasons == ("", "row with control characters (a corrupt line)", "")


def test_missing_id_is_excluded(clean_csv):
    data = clean_csv("id,income\n1,10\n,20\n3,30\n", {"columns": {"id": "id", "income": "income"}})
    assert data.reasons == ("", "missing customer id", "")
    assert list(data.customers.index) == ["1", "3"]


def test_id_12_and_12_0_are_the_same_customer(clean_csv):
    data = clean_csv("id,income\n12,10\n12.0,20\n", {"columns": {"id": "id", "income": "income"}})
    assert data.reasons[1].startswith("customer id repeated")


def test_without_id_column_rows_are_numbered(clean_csv):
    data = clean_csv("income,wine\n10,1\n20,2\n10,1\n", {"columns": {"income": "income", "spend": {"W": "wine"}}})
    assert data.all_ids == ("row 1", "row 2", "row 3")
    # By default (duplicate_rows: keep) nobody is dropped.
    assert list(data.customers.index) == ["row 1", "row 2", "row 3"]


def test_without_id_column_equal_rows_excluded_when_configured(clean_csv, find_log):
    data = clean_csv("income,wine\n10,1\n20,2\n10,1\n", {"columns": {"income": "income", "spend": {"W": "wine"}},
                                                         "cleaning": {"duplicate_rows": "exclude"}})
    assert data.reasons[2] != ""
    assert list(data.customers.index) == ["row 1", "row 2"]
    assert find_log(data.log, "duplicates") != []


# --- outliers ----------------------------------------------------------------------------------------------

def incomes_csv() -> str:
    # 50 incomes 40,000 .. 64,500 in steps of 500, and one 666,666.
    rows = [f"{i + 1},{40000 + 500 * i},{10 + i}" for i in range(50)] + ["51,666666,30"]
    return "id,income,wine\n" + "\n".join(rows) + "\n"


INCOME_CFG = {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}}}


def test_extreme_income_is_capped_at_the_fence_and_logged(clean_csv, find_log):
    data = clean_csv(incomes_csv(), INCOME_CFG)
    # 51 values: Q1 = 46,250 and Q3 = 58,750 (linear interpolation), IQR 12,500,
    # upper fence 58,750 + 3 * 12,500 = 96,250. Not skewed, so no log scale.
    assert data.customers.loc["51", "income"] == pytest.approx(96250)
    assert data.customers.loc["50", "income"] == 64500  # normal values untouched
    entry = only(find_log(data.log, "outliers", "income"))
    assert (entry.count, entry.action) == (1, "capped at the fence")
    assert "96,250" in entry.detail and "666,666" in entry.detail
    assert find_log(data.log, "outliers", "wine") == []
    assert data.reasons == ("",) * 51


def test_extreme_income_excluded_when_configured(clean_csv, find_log):
    data = clean_csv(incomes_csv(), {**INCOME_CFG, "cleaning": {"outliers": "exclude"}})
    assert data.reasons[50] == "extreme value in income"
    assert data.reasons[:50] == ("",) * 50
    assert "51" not in data.customers.index and len(data.customers) == 50
    assert only(find_log(data.log, "outliers", "income")).action == "excluded"


def test_extreme_income_kept_when_configured_but_still_logged(clean_csv, find_log):
    data = clean_csv(incomes_csv(), {**INCOME_CFG, "cleaning": {"outliers": "keep"}})
    assert data.customers.loc["51", "income"] == 666666
    assert only(find_log(data.log, "outliers", "income")).action == "kept"


def test_low_spends_are_not_raised_to_a_lower_fence(clean_csv, find_log):
    # wine: 3 customers spent 0, the rest 500..546 (skewed on the log scale, a lower fence far above 0)
    rows = [f"{i + 1},{40000 + 500 * i},{0 if i < 3 else 500 + i}" for i in range(50)]
    data = clean_csv("id,income,wine\n" + "\n".join(rows) + "\n", INCOME_CFG)
    assert list(data.customers["wine"][:3]) == [0, 0, 0]
    assert find_log(data.log, "outliers", "wine") == []


def test_most_extreme_is_the_value_farthest_beyond_its_fence_with_its_sign(clean_csv, find_log):
    # a balance (numeric: two fences): -90,000 lies farther beyond the lower fence than 5,000 above the upper
    rows = [f"{i + 1},{40000 + 500 * i},{10 + i},{100 + i}" for i in range(48)] + ["49,40000,10,-90000",
                                                                                  "50,40000,10,5000"]
    cfg = {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}, "numeric": ["balance"]}}
    data = clean_csv("id,income,wine,balance\n" + "\n".join(rows) + "\n", cfg)
    entry = only(find_log(data.log, "outliers", "balance"))
    assert entry.count == 2 and entry.detail.endswith("most extreme -90,000") and "values outside" in entry.detail


def test_huge_values_are_written_short(clean_csv, find_log):
    data = clean_csv(incomes_csv().replace("666666", "555000000000"), INCOME_CFG)
    assert only(find_log(data.log, "outliers", "income")).detail.endswith("most extreme 5.55e+11")


def test_values_beyond_1e12_and_infinite_are_implausible(clean_csv, find_log):
    text = incomes_csv().replace("666666", "1e308").replace("\n5,42000,", "\n5,inf,")
    data = clean_csv(text, INCOME_CFG)
    entry = only(find_log(data.log, "implausible values", "income"))
    assert (entry.count, entry.action) == (2, "treated as missing") and "largest inf" in entry.detail
    assert find_log(data.log, "outliers", "income") == []


# --- parsing numbers, flags and dates ----------------------------------------------------------------------

def test_text_in_a_numeric_column_names_column_count_example_and_line(clean_csv):
    with pytest.raises(UserError) as e:
        clean_csv("id,income\n1,100\n2,abc\n3,x\n", {"columns": {"id": "id", "income": "income"}})
    message = str(e.value)
    assert "customers.csv" in message
    assert "'income'" in message
    assert "2 value(s)" in message
    assert "'abc'" in message
    assert "line 3" in message  # header is line 1, so the second row is line 3


@pytest.mark.parametrize("text, value", [
    ("$1,234.50", 1234.5),
    ("1,234", 1234.0),
    ("1,234,567.5", 1234567.5),
    ("€12", 12.0),
    ("£ 3", 3.0),
    ("-7", -7.0),
    ("2.5", 2.5),
])
def test_money_and_thousands_separators(text, value):
    assert parse_numbers(pd.Series([text]), "c", "f").tolist() == [value]


def test_decimal_comma_column():
    assert parse_numbers(pd.Series(["12,5", "3", "0,75"]), "c", "f").tolist() == [12.5, 3.0, 0.75]


def test_missing_markers_become_nan():
    out = parse_numbers(pd.Series(["1", "", "NA", "n/a", "?"]), "c", "f")
    assert out.iloc[0] == 1 and out.iloc[1:].isna().all()
    # 'unknown' as a French, German, Spanish or Turkish export writes it
    out = parse_numbers(pd.Series(["4", "inconnu", "Unbekannt", "desconocido", "bilinmiyor", "Unknown"]), "c", "f")
    assert out.iloc[0] == 4 and out.iloc[1:].isna().all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=6))
def test_money_with_separators_round_trips(cents):
    values = [c / 100 for c in cents]
    texts = [f"${v:,.2f}" if v >= 0 else f"{v:,.2f}" for v in values]
    assert parse_numbers(pd.Series(texts), "c", "f").tolist() == pytest.approx(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789,.-$€ %einfa", max_size=8), min_size=1, max_size=5))
def test_any_text_gives_numbers_or_a_user_error(texts):
    try:
        out = parse_numbers(pd.Series(texts), "c", "f")
    except UserError as e:
        assert "'c'" in str(e) and "line" in str(e)
        return
    assert len(out) == len(texts)


def test_decimal_comma_with_three_decimals():
    assert parse_numbers(pd.Series(["1,5", "2,25", "3,125"]), "c", "f").tolist() == [1.5, 2.25, 3.125]


@pytest.mark.parametrize("texts, values", [
    (["987", "2.486", "1.001", "31"], [987, 2486, 1001, 31]),  # minutes: dots mark the numbers from 1,000 up
    (["100", "4.500", "3", "2.250"], [100, 4500, 3, 2250]),
    (["999", "1.234.567"], [999, 1234567]),
    (["99", "4.500", "3", "2.250"], [99, 4.5, 3, 2.25]),  # whole numbers below 100 beside: decimals (a score)
    (["1000", "2.486"], [1000, 2.486]),  # a whole number from 1,000 up written without a dot: decimals
    (["0.987", "2.486", "450"], [0.987, 2.486, 450]),  # a number below 1: decimals
    (["2.48", "2.486", "450"], [2.48, 2.486, 450]),  # two places somewhere: decimals
    (["2.486", "1.500"], [2.486, 1.5]),  # nothing else to tell: decimals
])
def test_dots_before_three_digits_group_thousands_beside_whole_numbers_in_the_hundreds(texts, values):
    """'2.486' beside '987' and '31' is 2486: every dot stands before three digits and the whole
    numbers written without one reach the hundreds but not 1,000, so the dots mark exactly the
    numbers from 1,000 up."""
    assert parse_numbers(pd.Series(texts, dtype="string"), "c", "f").tolist() == pytest.approx(values)


@pytest.mark.parametrize("charge, minutes", [(("1.193,43", "12,5"), [2486, 1500, 12]), (("1193.43", "12.5"), [2.486, 1.5, 12])])
def test_a_file_with_decimal_commas_groups_thousands_with_dots_in_every_column(clean_csv, charge, minutes):
    """One file, one way of writing numbers: beside a charge written 1.193,43, minutes written
    2.486 are 2486 even when the column alone could not tell; beside 1193.43 they stay 2.486."""
    csv = f"id;charge;minutes\n1;{charge[0]};2.486\n2;{charge[1]};1.500\n3;7;12\n"
    data = clean_csv(csv, {"columns": {"id": "id", "numeric": ["charge", "minutes"]}})
    assert data.customers["minutes"].tolist() == pytest.approx(minutes)


@pytest.mark.parametrize("sep, visits, income", [
    (";", "7", [58138, 46344, 1500]),  # a German spreadsheet's CSV: the dots group thousands
    (";", "7.5", [58.138, 46.344, 1.5]),  # ... unless another column writes a decimal point
    ("\t", "7", [58.138, 46.344, 1.5]),  # split by tabs, nothing tells: decimal points
])
def test_dots_group_thousands_in_a_semicolon_file(clean_csv, sep, visits, income):
    """A file split by semicolons is written where the comma is the decimal mark: an income written
    58.138 is 58,138, in cleaning and in the draft's profile of the column alike."""
    from analysis.ingest.drafting import profile_table
    csv = sep.join(["id", "income", "visits"]) + "\n" + "".join(
        sep.join([str(i), v, visits]) + "\n" for i, v in enumerate(["58.138", "46.344", "1.500"], start=1))
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "numeric": ["visits"]}})
    assert data.customers["income"].tolist() == pytest.approx(income)
    profile = {p.name: p for p in profile_table(pd.DataFrame({"id": ["1", "2", "3"], "income": ["58.138", "46.344", "1.500"],
                                                              "visits": [visits] * 3}), sep)}
    assert profile["income"].numbers.tolist() == pytest.approx(income)


def test_negative_money_with_sign_before_the_symbol():
    assert parse_numbers(pd.Series(["-$1,234.50"]), "c", "f").tolist() == [-1234.5]


def test_money_column_through_cleaning(clean_csv):
    csv = 'id,income\n1,"$1,234.50"\n2,$99\n3,"$2,000"\n'
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income"}})
    assert data.customers["income"].tolist() == [1234.5, 99.0, 2000.0]


def test_decimal_comma_in_semicolon_file_through_cleaning(clean_csv):
    csv = "id;income\n1;12,5\n2;7\n3;3,25\n"
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income"}})
    assert data.customers["income"].tolist() == [12.5, 7.0, 3.25]


@pytest.mark.parametrize("words, numbers", [
    (["Low", "Average", "High", "low"], [1, 2, 3, 1]),
    (["bajo", "Muy alto", "medio", "muy bajo"], [1, 4, 2, 0]),
    (["Niedrig", "hoch", "Sehr hoch"], [1, 3, 4]),
    (["Élevé", "Faible", "Moyen"], [3, 1, 2]),
    (["Satisfied", "Neutral", "Unsatisfied"], [3, 2, 1]),
])
def test_ordered_levels_are_read_as_the_numbers_of_their_words(words, numbers):
    """A spending score written 'Low', 'Average', 'High' is a score: low 1, middle 2, high 3 (very low 0,
    very high 4), the same numbers whichever levels a file uses, so a later file reads alike."""
    out = parse_numbers(pd.Series(words + ["", "NA"]), "Spending_Score", "t.csv")
    assert out.tolist()[:-2] == numbers and out.iloc[-2:].isna().all()
    # One level throughout is text where numbers belong, but for customers a saved model places.
    with pytest.raises(UserError, match="should hold numbers"):
        parse_numbers(pd.Series(["High", "High"]), "s", "t.csv")
    assert parse_numbers(pd.Series(["High", "High"]), "s", "t.csv", least_levels=1).tolist() == [3.0, 3.0]
    with pytest.raises(UserError, match="'Spending_Score' should hold numbers"):  # a level among categories
        parse_numbers(pd.Series(["Low", "High", "Gold"]), "Spending_Score", "t.csv")


def test_flags_accept_yes_no_true_false():
    values = pd.Series(["1", "0", "yes", "no", "Y", "N", "True", "false", "", "1.0"])
    out = parse_flags(values, "c", "f").tolist()
    assert out[:8] == [1, 0, 1, 0, 1, 0, 1, 0]
    assert np.isnan(out[8])
    assert out[9] == 1


@pytest.mark.parametrize("yes, no", [("ja", "nein"), ("Oui", "Non"), ("sí", "no"), ("S", "N"), ("Sim", "Não"),
                                     ("nao", "sim"), ("ja", "nee"), ("Sì", "No"), ("wahr", "falsch"), ("vrai", "faux")])
def test_flags_in_seven_languages(yes, no):
    out = parse_flags(pd.Series([yes, no, yes.upper(), ""]), "c", "f").tolist()
    expected = [0, 1, 0] if yes == "nao" else [1, 0, 1]  # ("nao", "sim"): the no first
    assert out[:3] == expected and np.isnan(out[3])


def test_flag_with_other_value_is_an_error():
    with pytest.raises(UserError, match=r"'resp' should hold 0/1 answers but 1 value\(s\) do not, e.g. '2' on line 3"):
        parse_flags(pd.Series(["1", "2", "0"]), "resp", "f")


def test_yes_no_campaign_column_through_cleaning(clean_csv):
    csv = "id,income,resp\n1,10,Yes\n2,20,no\n3,30,YES\n"
    data = clean_csv(csv, {"columns": {"id": "id", "income": "income", "campaigns": {"C": "resp"}}})
    assert data.customers["resp"].tolist() == [1.0, 0.0, 1.0]


def test_date_format_is_guessed_day_first():
    out = parse_dates(pd.Series(["31-12-2013", "01-02-2014"]), None, "joined", "f")
    assert out.tolist() == [pd.Timestamp("2013-12-31"), pd.Timestamp("2014-02-01")]


def test_unparseable_dates_without_format(clean_csv):
    with pytest.raises(UserError, match="'joined': dates in no known format") as e:
        clean_csv("id,income,joined\n1,1,2014-01-01\n2,2,yesterday\n",
                  {"columns": {"id": "id", "income": "income", "signup_date": "joined"}})
    assert "_format" in str(e.value)


def test_unparseable_dates_with_format_name_value_and_line(clean_csv):
    with pytest.raises(UserError) as e:
        clean_csv("id,income,joined\n1,1,2014-01-01\n2,2,2014-13-45\n",
                  {"columns": {"id": "id", "income": "income", "signup_date": "joined",
                               "signup_date_format": "%Y-%m-%d"}})
    message = str(e.value)
    assert "'joined'" in message and "1 value(s)" in message and "'2014-13-45'" in message
    assert "line 3" in message


def test_column_with_no_usable_values(clean_csv):
    with pytest.raises(UserError, match="'income' has no usable values"):
        clean_csv("id,income\n1,\n2,NA\n", {"columns": {"id": "id", "income": "income"}})


# --- golden checks on the bundled data ---------------------------------------------------------------------

def test_golden_missing_incomes_imputed(demo_run, find_log):
    entry = only(find_log(demo_run.results.cleaning, "missing values", "Income"))
    assert entry.count == 24
    assert entry.action == "imputed with the median"


def test_golden_implausible_birth_years(demo_run, find_log):
    entry = only(find_log(demo_run.results.cleaning, "implausible values", "Year_Birth"))
    assert entry.count == 3
    assert "1893" in entry.detail and "1899" in entry.detail and "1900" in entry.detail
    assert only(find_log(demo_run.results.cleaning, "missing values", "Year_Birth")).count == 3


def test_golden_odd_marital_statuses_merged_into_other(demo_run, find_log):
    entry = only(find_log(demo_run.results.cleaning, "odd categories", "Marital_Status"))
    assert entry.count == 7
    assert entry.action == "in rare categories, merged into 'Other'"
    # Published on the data quality page: values held by fewer than 20 customers are counted, not named.
    assert entry.detail == "3 values held by fewer than 20 customers: each under 1% of customers"
    mix = next(c for c in demo_run.results.segments[0].categories if c.column == "Marital_Status")
    assert "Other" in mix.overall
    assert not {"Absurd", "Alone", "YOLO"} & set(mix.overall)


def test_golden_twin_rows_excluded(demo_run, find_log):
    entry = only(find_log(demo_run.results.cleaning, "duplicates"))
    assert (entry.count, entry.action) == (182, "excluded")
    assert demo_run.results.excluded_reasons == {"same values as an earlier customer in every column but the id": 182}


def test_golden_income_outlier_capped(demo_run, find_log):
    entry = only(find_log(demo_run.results.cleaning, "outliers", "Income"))
    assert (entry.count, entry.action) == (1, "capped at the fence")
    assert "666,666" in entry.detail
    assert demo_run.customers["income"].max() < 666666


def test_golden_counts(demo_run):
    assert demo_run.results.n_input == 2240
    assert demo_run.results.n_segmented == 2058
    assert len(demo_run.assignments) == 2240
    assert len(demo_run.customers) == 2058
    assert not demo_run.customers.isna().any().any()


def test_share_above_1_or_negative_is_flagged(clean_csv, find_log):
    """A percentage given where a share of orders is expected (45 for 45%), or a negative share, is
    logged with the rule it breaks and treated as missing, not used as a share of 4,500%."""
    text = "id,income,weekend\n1,100,0.2\n2,200,45\n3,300,-0.1\n4,400,0.5\n5,500,1\n6,600,0\n"
    data = clean_csv(text, {"columns": {"id": "id", "income": "income", "habits": {"at weekends": "weekend"}}})
    entry = only(find_log(data.log, "implausible values", "weekend"))
    assert (entry.count, entry.action) == (2, "treated as missing")
    assert entry.detail == "a share of orders must be from 0 to 1"
    # The two become the median of the plausible shares (0.2, 0.5, 1, 0): 0.35.
    assert list(data.customers["weekend"]) == [0.2, 0.35, 0.35, 0.5, 1.0, 0.0]


def test_dates_with_a_zone_keep_the_time_as_written():
    """A zone is dropped, not converted: 01:00+02:00 stays on its own day (in UTC it would be the
    day before), as order-line times are read; a bare date's day is never taken for a zone."""
    from analysis.ingest.cleaning import to_dates

    values = pd.Series(["2013-01-01T01:00:00+02:00", "2013-01-01T23:30:00Z", "2013-01-02T08:00:00.5-0500",
                        "2013-01-03T12:00:00 +02"], dtype="string")
    got = to_dates(values, "%Y-%m-%dT%H:%M:%S%z")
    assert got.tolist()[:2] == [pd.Timestamp("2013-01-01 01:00"), pd.Timestamp("2013-01-01 23:30")]
    assert got.iloc[3] == pd.Timestamp("2013-01-03 12:00") and pd.isna(got.iloc[2])  # fractions need %f
    assert to_dates(values.iloc[2:3], "%Y-%m-%dT%H:%M:%S.%f%z").iloc[0] == pd.Timestamp("2013-01-02 08:00:00.5")
    assert to_dates(pd.Series(["2013-01-05"], dtype="string"), "%Y-%m-%d").iloc[0] == pd.Timestamp("2013-01-05")


def test_missing_markers_of_other_languages(clean_csv):
    """'k.A.' (keine Angabe), 'n.d.', 's/d', '#NV' ... are missing values, not numbers that fail."""
    csv_text = ("ID,Income,Year_Birth\n" + "".join(f"{i},{40000 + i * 100},{1960 + i % 30}\n" for i in range(1, 40))
                + "40,k.A.,1970\n41,n.d.,1975\n42,S/D,1985\n43,--,1980\n44,45000,#NV\n45,46000,k. a.\n")
    data = clean_csv(csv_text, {"columns": {"id": "ID", "income": "Income", "birth_year": "Year_Birth"}})
    assert len(data.customers) == 45
    missing = {e.column: e.count for e in data.log if e.step == "missing values"}
    assert missing == {"Income": 4, "Year_Birth": 2}


@pytest.mark.parametrize("base, big, capped", [(1000, 53, False), (1000, 52, True), (950, 50, False), (300, 20, False),
                                               (300, 19, True), (1980, 2, True)])
def test_a_group_beyond_the_fence_keeps_its_real_values(clean_csv, find_log, base, big, capped):
    """Customers beyond the far-out fence are capped as errors only when they are few: at least
    segmentation.min_segment_share (5%) of the customers, as a segment may hold, and at least
    report.min_segment_size (20) of them are a group (big spenders in fashion), whose spend the report must add up as it is."""
    rows = [f"{i + 1},{40000 + 10 * i},{10 + i % 40}" for i in range(base)]
    rows += [f"{base + 1 + i},{40000 + 10 * i},{50000 + i}" for i in range(big)]
    data = clean_csv("id,income,wine\n" + "\n".join(rows) + "\n", INCOME_CFG)
    entry = only(find_log(data.log, "outliers", "wine"))
    assert entry.count == big and entry.action == ("capped at the fence" if capped else "kept")
    assert (data.customers["wine"].max() < 50000) == capped
    if not capped:
        assert f"{big / (base + big):.1%} of the customers, too many to be errors" in entry.detail
        assert "wine" not in data.fitted.fences  # `segments assign` caps nobody either


@pytest.mark.parametrize("typo", [5_000_000, 60_000, None])
def test_a_typing_error_among_a_group_beyond_the_fence_is_still_capped(clean_csv, find_log, typo):
    """A group of big spenders past the fence keeps its real values, but one amount far beyond the
    group's own spread (1.000.000,00 typed among spends up to 3,000) is no member of it: judged by the
    group's own far-out fence, it is capped there, and the revenue shares are not made by it. A value
    within the group's spread (60,000 beside 20,000 to 51,200) stays."""
    base, big = 1000, 53
    rows = [f"{i + 1},{40000 + 10 * i},{10 + i % 40}" for i in range(base)]
    rows += [f"{base + 1 + i},{40000 + 10 * i},{20000 + 600 * i}" for i in range(big)]
    if typo:
        rows.append(f"{base + big + 1},41000,{typo}")
    data = clean_csv("id,income,wine\n" + "\n".join(rows) + "\n", INCOME_CFG)
    entries = find_log(data.log, "outliers", "wine")
    group = big + (typo == 60_000)
    assert entries[0].count == group and entries[0].action == "kept"
    assert f"{group / len(rows):.1%} of the customers, too many to be errors" in entries[0].detail
    if typo == 5_000_000:
        assert [(e.count, e.action) for e in entries[1:]] == [(1, "capped at the fence")]
        hi = data.fitted.fences["wine"][1]
        assert 51_200 < hi < 200_000 and data.customers["wine"].max() == hi  # the group's own fence
        assert f"of the {big} values past the first fence" in entries[1].detail
    else:
        assert len(entries) == 1 and "wine" not in data.fitted.fences
        assert data.customers["wine"].max() == (typo or 51_200)


def test_recency_from_a_last_purchase_date(clean_csv, config_for):
    """A date of the latest purchase gives the recency in days at the reference date, which is the
    latest purchase when none is given; a purchase after today is implausible."""
    from analysis.segment.features import build_features

    rows = [f"{i},{40000 + 100 * i},{(i % 28) + 1:02d}.0{(i % 6) + 1}.2024" for i in range(1, 60)] + ["60,41000,01.01.2999"]
    text = "id,income,Letzter_Kauf\n" + "\n".join(rows) + "\n"
    conf = {"columns": {"id": "id", "income": "income", "last_purchase": "Letzter_Kauf",
                        "last_purchase_format": "%d.%m.%Y"}}
    data = clean_csv(text, conf)
    assert str(data.reference_date) == "2024-06-26"  # the latest purchase (i = 53), not today
    assert any(e.column == "Letzter_Kauf" and e.step == "implausible values" and e.count == 1 for e in data.log)
    feats = build_features(data, config_for(text, conf))
    recency = feats.table["recency_days"]
    assert recency.loc["1"] == (pd.Timestamp("2024-06-26") - pd.Timestamp("2024-02-02")).days
    assert recency.min() == 0
    with pytest.raises(UserError, match="'columns.recency_days' and 'columns.last_purchase' both give the recency"):
        config_for(text, {"columns": {**conf["columns"], "recency_days": "income"}})


def test_a_table_without_dates_is_measured_on_the_run_date_and_says_so(clean_csv, demo_run):
    import dataclasses

    from analysis.publish import pages

    csv = "id,income,wine\n1,100,10\n2,200,20\n3,300,30\n"
    undated = clean_csv(csv, {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}}})
    assert undated.undated and undated.reference_date == date.today()
    dated = clean_csv(csv, {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}}, **REF})
    assert not dated.undated and dated.reference_date == date(2014, 6, 30)
    r = dataclasses.replace(demo_run.results, undated=True)
    assert pages.site_meta(r, False)["data_date"] == f"the run date, {r.reference_date.isoformat()} (the data give no purchase or signup date)"
    assert pages.site_meta(demo_run.results, False)["data_date"] == demo_run.results.reference_date.isoformat()


def test_a_value_on_the_fence_is_not_beyond_it(clean_csv, find_log):
    """Purchase counts 1 (30 customers), 2, 3 (20), 4 and 31 (3), 40 (2): skewed, so fenced on the log
    scale: log 2 and log 4 are the quartiles, and expm1(log 4 + 3 log 2) = 31, which the log round
    trip gives as 30.999999999999986. The customers with 31 purchases are on the fence, not above it."""
    counts = [1] * 30 + [2] * 10 + [3] * 20 + [4] * 5 + [31] * 3 + [40] * 2
    rows = [f"{i + 1},{n},{10 + i}" for i, n in enumerate(counts)]
    data = clean_csv("id,web,wine\n" + "\n".join(rows) + "\n",
                     {"columns": {"id": "id", "purchases": {"Web": "web"}, "spend": {"Wine": "wine"}}})
    entry = only(find_log(data.log, "outliers", "web"))
    assert (entry.count, entry.action) == (2, "capped at the fence") and "above 31.00" in entry.detail
    assert sorted(data.customers["web"])[-5:] == [31, 31, 31, 31, 31]


def test_na_among_two_letter_codes_is_a_code_not_a_missing_value(clean_csv):
    """Province codes FI, RM, PA, MI and NA (Napoli): NA is one of them. Among names, NA is missing."""
    from analysis.ingest.loading import is_missing
    import pandas as pd

    provinces = ["FI", "RM", "NA", "PA", "MI"]
    rows = [f"{i + 1},{provinces[i % 5]},{100 + i}" for i in range(50)]
    data = clean_csv("id,provincia,wine\n" + "\n".join(rows) + "\n",
                     {"columns": {"id": "id", "categorical": ["provincia"], "spend": {"Wine": "wine"}}})
    assert (data.customers["provincia"] == "NA").sum() == 10
    assert not any(e.column == "provincia" and e.step == "missing values" for e in data.log)
    assert is_missing(pd.Series(["Roma", "NA", "Milano", "Napoli"])).tolist() == [False, True, False, False]
    assert is_missing(pd.Series(["FI", "RM", "NA", ""])).tolist() == [False, False, True, True]  # two codes only
    assert is_missing(pd.Series(["FI", "RM", "PA", "NA", "n/a"])).tolist() == [False, False, False, False, True]


def test_missing_birth_dates_are_counted_once(clean_csv):
    """Ten customers without a date of birth: their ages and their dates are imputed, and the log
    says so in one entry of ten (two entries of ten read as twenty)."""
    rows = [f"{i + 1},{'' if i < 10 else f'19{50 + i % 40}-0{1 + i % 9}-15'},{100 + i}" for i in range(60)]
    data = clean_csv("id,born,wine\n" + "\n".join(rows) + "\n",
                     {"columns": {"id": "id", "birth_date": "born", "spend": {"Wine": "wine"}},
                      "report": {"reference_date": "2024-01-01"}})
    entries = [e for e in data.log if e.column == "born" and e.step == "missing values"]
    assert len(entries) == 1 and entries[0].count == 10 and entries[0].action == "imputed with the median"
    assert entries[0].detail.startswith("median age ") and "; their date: median 19" in entries[0].detail


def _amounts(n: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame({"spend": np.round(rng.uniform(10, 900, n), 2), "orders": rng.integers(1, 30, n).astype(float)})


def _with_sums_at(frame: pd.DataFrame, at: int, columns=("spend", "orders"), off: float = 0.0) -> pd.DataFrame:
    row = {c: (frame[c].sum() + off if c in columns else np.nan) for c in frame.columns}
    return pd.concat([frame.iloc[:at], pd.DataFrame([row]), frame.iloc[at:]], ignore_index=True)


@pytest.mark.parametrize("at, found", [(20, True), (0, True), (18, True), (17, False), (2, True), (3, False)])
def test_a_row_of_the_other_rows_sums_is_a_totals_row_near_either_end(at, found):
    """Among the first or last three rows only: a customer in the middle of the table is never judged."""
    from analysis.ingest.cleaning import sum_rows
    t = _with_sums_at(_amounts(), at)
    assert sum_rows(t, np.ones(len(t), dtype=bool)).tolist() == [found and i == at for i in range(len(t))]


def test_a_sums_row_needs_two_columns_or_an_amount_with_cents():
    """Half of every order count can be one customer's; half of the money, to the cent, is a total."""
    from analysis.ingest.cleaning import sum_rows
    frame = _amounts()
    everyone = lambda t: np.ones(len(t), dtype=bool)  # noqa: E731
    orders_only = _with_sums_at(frame, 20, columns=("orders",))
    assert not sum_rows(orders_only, everyone(orders_only)).any()
    cents = frame.assign(spend=frame["spend"] + 0.01)
    cents.loc[0, "spend"] = 12.34
    spend_only = _with_sums_at(cents, 20, columns=("spend",))
    assert spend_only.loc[20, "spend"] != round(spend_only.loc[20, "spend"])
    assert sum_rows(spend_only, everyone(spend_only)).tolist() == [i == 20 for i in range(21)]


def test_a_sums_row_within_half_a_cent_per_value_and_not_beyond():
    """Amounts written rounded add up to their total within half a cent each (20 customers and the
    total: 0.105); a row farther from the sum is a customer, not a total."""
    from analysis.ingest.cleaning import sum_rows
    for off, found in ((0.1, True), (-0.1, True), (0.11, False), (0.5, False)):
        t = _with_sums_at(_amounts(), 20, columns=("spend",), off=off)
        t.loc[20, "orders"] = t["orders"].iloc[:20].sum()
        assert sum_rows(t, np.ones(21, dtype=bool))[20] == found, off


def test_no_sums_row_in_a_table_of_fewer_than_ten_rows_in_play():
    from analysis.ingest.cleaning import sum_rows
    t = _with_sums_at(_amounts(9), 9)
    assert not sum_rows(t, np.ones(10, dtype=bool)).any()  # 10 rows, the total among them: 9 customers
    t = _with_sums_at(_amounts(10), 10)
    assert sum_rows(t, np.ones(11, dtype=bool))[10]
    play = np.ones(11, dtype=bool)
    play[3] = False  # a row already excluded is not a customer the total adds up
    assert not sum_rows(t, play).any()


def test_french_nc_is_missing_in_a_customer_table_but_north_carolina_among_states_is_not():
    """'NC' (non communiqué) in an age column is a missing age, not text that stops the run; among
    two-letter state codes it is North Carolina."""
    from analysis.ingest.loading import is_missing
    assert parse_numbers(pd.Series(["34", "NC", "n.c.", "Non communiqué", "51"]), "Âge", "f").isna().tolist() == [
        False, True, True, True, False]
    assert is_missing(pd.Series(["NY", "NC", "CA", "TX"])).tolist() == [False, False, False, False]
    assert is_missing(pd.Series(["Lyon", "NC", "Paris"])).tolist() == [False, True, False]
    # A lone full stop stands for a city no one filled in (the airline table's WORK_CITY): missing.
    assert is_missing(pd.Series(["广州", ".", " . ", "St. Gallen"])).tolist() == [False, True, True, False]


@pytest.mark.parametrize("held, capped", [(5, False), (4, True)])
def test_a_value_beyond_the_fence_that_several_customers_hold_is_kept(clean_csv, find_log, held, capped):
    """Payment terms of 28 to 32 days, and 90 days for a few customers: beyond the far-out fence (43),
    but held alike by segmentation.min_segment_customers (5) or more, a term the business offers,
    not a typing error. The fence moves out to it; a 365 beyond it is still capped, at 90."""
    terms = [28 + i % 5 for i in range(60)] + [90] * held + [365]
    rows = [f"{i + 1},{40000 + 100 * i},{t}" for i, t in enumerate(terms)]
    data = clean_csv("id,income,terms\n" + "\n".join(rows) + "\n",
                     {"columns": {"id": "id", "income": "income", "numeric": ["terms"]}})
    values = data.customers["terms"]
    assert ((values.iloc[:-1] == 90).sum() == held) != capped and values.max() < 365
    kept = [e for e in find_log(data.log, "outliers", "terms") if e.action == "kept"]
    assert (not kept) == capped
    if not capped:
        assert kept[0].count == held and "90 (5)" in kept[0].detail and values.max() == 90
        assert "90" not in kept[0].public_detail  # five customers are no group to publish


def test_the_users_own_missing_value_words_are_read_as_missing(clean_csv, find_log):
    """cleaning.missing_values: words a table writes for 'no value' that no list holds ('sans
    objet', '—'): missing in numbers (imputed) and categories ('Unknown'), logged per column."""
    rows = [f"{i},{40000 + 100 * i},{['Nord', 'Sud'][i % 2]}" for i in range(1, 40)]
    rows += ["40, Sans Objet ,Nord", "41,42000,—", "42,43000,sans objet"]
    text = "id,income,region\n" + "\n".join(rows) + "\n"
    conf = {"columns": {"id": "id", "income": "income", "categorical": ["region"]}}
    with pytest.raises(UserError, match="'income' should hold numbers but 1 value"):
        clean_csv(text, conf)
    data = clean_csv(text, {**conf, "cleaning": {"missing_values": ["sans objet", "—"]}})
    assert np.isfinite(data.customers.loc["40", "income"]) and data.customers.loc["41", "region"] == "Unknown"
    assert data.customers.loc["42", "region"] == "Unknown"
    read = {e.column: e.count for e in data.log if e.action == "read as missing"}
    assert read == {"income": 1, "region": 2}
    assert only(find_log(data.log, "missing values", "income") and
                [e for e in data.log if e.column == "income" and e.action == "imputed with the median"]).count == 1


@pytest.mark.parametrize("left, stayed", [("Attrited Customer", "Existing Customer"), ("Inactive", "Active"),
                                          ("Churned", "Current"), ("gekündigt", "aktiv")])
def test_a_churn_column_may_name_each_customers_standing(left, stayed):
    """BankChurners' Attrition_Flag: the value naming a departure is 1 (looked for first: 'Inactive'
    holds 'active'); only for the churn column, and only when its two values say leaving and staying."""
    values = pd.Series([left, stayed, stayed, "", left], dtype="string")
    out = parse_flags(values, "c", "f", churn=True)
    assert out.iloc[[0, 1, 2, 4]].tolist() == [1, 0, 0, 1] and np.isnan(out.iloc[3])
    with pytest.raises(UserError, match="should hold 0/1 answers"):
        parse_flags(values, "c", "f")
    with pytest.raises(UserError, match="should hold 0/1 answers"):  # two departures: which is which?
        parse_flags(pd.Series([left, "Closed"], dtype="string"), "c", "f", churn=True)


def test_levels_after_many_numbers_are_still_an_error_and_numbers_after_levels_too():
    """The scale is judged on every value: a first hundred of numbers (read without looking further)
    then a level word is an error, as is a level column with a number far down."""
    numbers = [str(i % 7) for i in range(150)]
    with pytest.raises(UserError, match=r"'s' should hold numbers but 1 value\(s\) do not, e.g. 'High' on line 152"):
        parse_numbers(pd.Series(numbers + ["High"], dtype="str"), "s", "t.csv")
    words = ["Low", "High", "Average"] * 50
    with pytest.raises(UserError, match="'s' should hold numbers"):
        parse_numbers(pd.Series(words + ["7"], dtype="str"), "s", "t.csv")
    assert parse_numbers(pd.Series(words + ["very high"], dtype="str"), "s", "t.csv").iloc[-1] == 4.0


ODD_NUMBERS = ["inf", "-Infinity", "NaN", "nan(0x1)", "+inf", "1e400", "-0", "+5", "1.", "+.5", "00012", "1E-3",
               "0x10", "1_000", "1d5"]


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_numbers_read_fast_are_those_pandas_reads(odd):
    """Plain numbers are read by Arrow's parser; whatever else it accepts ('inf', 'nan') is read as
    pandas reads it, so that a column gives the same numbers by either route."""
    from analysis.ingest.cleaning import to_numbers

    values = pd.Series(["1.5", "20", odd] * 3, dtype="str")
    expected = pd.to_numeric(values, errors="coerce").astype(float)
    expected = expected.where(np.isfinite(expected))
    got = to_numbers(values)
    assert np.array_equal(got.to_numpy(), expected.to_numpy(), equal_nan=True)
    assert np.array_equal(np.signbit(got.fillna(1).to_numpy()), np.signbit(expected.fillna(1).to_numpy()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "", "a\x1fb"]), st.sampled_from(["1", "2", None]),
                          st.sampled_from([1.0, 2.0, np.nan])), min_size=1, max_size=30),
       st.booleans())
def test_row_groups_find_the_rows_pandas_finds_duplicated(rows, plain):
    """Rows equal in every column (missing equal to missing) share a group, by the joined-text route
    for text without missing values and column by column otherwise: the rows frame.duplicated finds."""
    from analysis.ingest.cleaning import duplicated_rows

    frame = pd.DataFrame(rows, columns=["x", "y", "z"])
    for cols, dtype in ((["x", "y", "z"], None), (["x", "y"], "str"), (["x"], "str")):
        part = frame[cols] if dtype is None else frame[cols].astype(dtype)
        if dtype and plain:  # the joined route holds text without missing values or the separator
            part = part.fillna("-").apply(lambda c: c.str.replace("\x1f", "", regex=False))
        assert duplicated_rows(part, plain=plain).tolist() == part.duplicated(keep="first").tolist()
    assert not duplicated_rows(frame[[]]).any()  # no columns: no row repeats another


def _merged_row_by_row(values: pd.Series, share: float) -> tuple[list, dict]:
    """The rule of _merge_categories, row by row: each key's most frequent spelling (the first seen
    of equals), then values under `share` of the rows, but 'Unknown', pooled into 'Other'."""
    from analysis.ingest.cleaning import _category_key
    from analysis.ingest.loading import is_missing

    miss = is_missing(values.astype(object))
    filled = values.astype(object).where(~miss, "Unknown")
    key = _category_key(filled)
    canon = filled.groupby(key).agg(lambda s: s.value_counts().index[0])
    merged = key.map(canon)
    counts = merged.value_counts()
    rare = counts[((counts / len(merged)) < share) & ~((counts.index == "Unknown") & miss.any())]
    if len(rare) and len(counts) - len(rare) >= 1:
        merged = merged.where(~merged.isin(rare.index), "Other")
        canon = canon.where(~canon.isin(rare.index), "Other")
    return merged.tolist(), {str(k): str(v) for k, v in canon.items()}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["Web", "web", " Web", "WEB ", "Store", "store", "Phone", "n/a", "", "Mail", "Fax"]),
                min_size=1, max_size=60),
       st.sampled_from([0.0, 0.05, 0.2]))
def test_categories_merge_as_the_row_by_row_rule_does(values, share):
    from analysis.ingest.cleaning import _merge_categories

    series = pd.Series(values, dtype=object)
    log = []
    merged, canon = _merge_categories(series, "c", share, 5, log)
    want, want_canon = _merged_row_by_row(series, share)
    assert merged.tolist() == want and canon == want_canon and list(canon) == list(want_canon)


def test_a_row_of_typed_values_holding_only_its_id_is_not_a_customer(config_for):
    """Columns read typed (numbers and dates made from order lines) are not searched as text; a
    missing typed value is still an empty field, so a row with nothing but its id is set aside as
    a text row would be, while a row with one typed value besides its id is a customer."""
    from pathlib import Path

    from analysis.ingest.cleaning import ROW_REASONS, clean
    from analysis.ingest.loading import Table

    cfg = config_for("id,income,wine\n1,1,1\n", {"columns": {"id": "id", "income": "income",
                                                                "spend": {"Wine": "wine"}}, **REF})
    n = 12
    frame = pd.DataFrame({"id": [str(i) for i in range(n)],
                          "income": [100.0 + i for i in range(n - 2)] + [np.nan, np.nan],
                          "wine": [float(i) for i in range(n - 1)] + [np.nan]})
    data = clean(Table(path=Path("typed"), frame=frame, delimiter="parquet", encoding="binary", sha256="",
                       plain=True), cfg)
    assert data.reasons[-1] == ROW_REASONS[2] and data.reasons[-2] == ""
    assert len(data.customers) == n - 1


def test_date_cells_of_a_sheet_or_parquet_file_are_read_beside_a_configured_format(tmp_path):
    """A date cell has no format: Excel's and Parquet's dates come as ISO text ('2012-09-04 00:00:00'),
    read as they are where the configured format (for dates typed as text) does not fit; a text
    date the format does not fit is still an error."""
    from analysis.ingest.loading import read_table
    out = parse_dates(pd.Series(["04-09-2012", "2012-09-05 00:00:00", "2013-01-02", "2013-01-03 12:30:00.5", ""]),
                      "%d-%m-%Y", "joined", "f")
    assert out.tolist()[:4] == [pd.Timestamp("2012-09-04"), pd.Timestamp("2012-09-05"), pd.Timestamp("2013-01-02"),
                                pd.Timestamp("2013-01-03 12:30:00.5")] and pd.isna(out.iloc[4])
    for bad in ("2012-09-04T00:00:00", "12-09-04 00:00:00", "2012-9-4"):  # not a cell's text, not the format
        with pytest.raises(UserError, match=f"'{bad}'"):
            parse_dates(pd.Series(["04-09-2012", bad]), "%d-%m-%Y", "joined", "f")
    when = pd.to_datetime(["2012-09-04", "2014-03-08", "2013-08-21"])
    frame = pd.DataFrame({"id": [1, 2, 3], "joined": when})
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    for name in ("c.xlsx", "c.parquet"):
        text = read_table(tmp_path / name).frame["joined"]
        assert parse_dates(text, "%d-%m-%Y", "joined", name).tolist() == list(when)


@pytest.mark.parametrize("values, expected", [
    (["'58138", "'1200", "'-3.5", ""], [58138.0, 1200.0, -3.5, np.nan]),  # Excel's text mark before a number
    (["'$1,234.00", "12"], [1234.0, 12.0]),
    (["58k", "1.2M", "300", "2.5K"], [58000.0, 1_200_000.0, 300.0, 2500.0]),  # dashboards' thousands and millions
    (["1,5k", "2,3 Mio", "12,5"], [1500.0, 2_300_000.0, 12.5]),  # with decimal commas
    (["5m", "3"], [np.nan, 3.0]),  # a small m may be minutes or metres: not read as millions
    (["Rock'n roll", "k", "'"], [np.nan, np.nan, np.nan]),
])
def test_numbers_written_with_an_excel_apostrophe_or_a_thousands_suffix_are_read(values, expected):
    """'58138 and 58k were not numbers: init drafted the income as free text and the spend with
    'values that are not numbers', and a report left them out."""
    from analysis.ingest.cleaning import to_numbers

    got = to_numbers(pd.Series(values, dtype="str"))
    assert np.allclose(got.to_numpy(), np.array(expected), equal_nan=True)


def test_a_drafted_table_of_apostrophe_incomes_and_k_amounts_gets_income_and_spend(tmp_path):
    import yaml

    from analysis.ingest.drafting import draft_config
    from analysis.config import parse_config

    rows = "".join(f"{i}\t'{30000 + 37 * i}\t{f'{i / 10:.1f}k' if i >= 10 else i * 90}\t{i % 30}\n" for i in range(1, 200))
    path = tmp_path / "c.tsv"
    path.write_text("ID\tIncome\tMntWines\tMntFruits\n" + rows, encoding="utf-8")
    text = draft_config(path, config_dir=tmp_path)
    c = parse_config(yaml.safe_load(text), base_dir=tmp_path).columns
    assert c.income == "Income" and c.spend["Wines"] == "MntWines" and "not numbers" not in text


def test_a_row_that_repeats_the_header_is_not_a_customer(tmp_path):
    """Two exports joined: the second one's header in the middle of the rows stopped the run ('Year_Birth'
    should hold numbers); now it is set aside as not a customer, said in the log."""
    from analysis.config import parse_config
    from analysis.ingest.cleaning import clean
    from analysis.ingest.loading import load_customers

    rows = [f"{i}\t{1960 + i % 30}\t{30000 + 97 * i}\n" for i in range(40)]
    text = "ID\tYear_Birth\tIncome\n" + "".join(rows[:20]) + "ID\tYear_Birth\tIncome\n" + "".join(rows[20:])
    (tmp_path / "c.tsv").write_text(text, encoding="utf-8")
    cfg = parse_config({"customers": {"path": "c.tsv"}, "columns": {"id": "ID", "birth_year": "Year_Birth",
                                                                    "income": "Income"}}, base_dir=tmp_path)
    out = clean(load_customers(cfg), cfg)
    assert len(out.customers) == 40
    assert any(e.step == "not customers" and e.count == 1 and e.detail == "repeated header row (files joined together)"
               for e in out.log)


def test_of_several_columns_that_hold_no_numbers_the_error_names_the_first_in_the_configs_order(clean_csv):
    """Columns are read side by side; the one line a user gets names the first that fails (income
    before the spend columns, numbers before answers), whichever finished first."""
    rows = [f"{i},{40000 + i},{i % 7},{i % 2}" for i in range(1, 60)]
    text = "id,income,wine,answered\n" + "\n".join(rows) + "\n"
    conf = {"columns": {"id": "id", "income": "income", "spend": {"Wine": "wine"}, "campaigns": {"Spring": "answered"}}}
    # Every income is text; a wine amount and an answer are too: income is named.
    bad = text.replace(",40010,", ",forty,").replace("\n20,40020,6,", "\n20,40020,six,").replace(",40030,2,0", ",40030,2,maybe")
    with pytest.raises(UserError, match="'income' should hold numbers but 1 value.*'forty' on line 11"):
        clean_csv(bad, conf)
    with pytest.raises(UserError, match="'wine' should hold numbers but 1 value.*'six' on line 21"):
        clean_csv(bad.replace(",forty,", ",40010,"), conf)
    with pytest.raises(UserError, match="'answered'"):
        clean_csv(bad.replace(",forty,", ",40010,").replace(",six,", ",6,"), conf)


def test_no_sums_row_in_columns_whose_values_cancel_out():
    """Standardised scores sum to about 0: an ordinary customer near 0 at either end is no total
    (six customers of a 1,000-row table of scores were once excluded as totals rows)."""
    from analysis.ingest.cleaning import sum_rows
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1000, 4))
    x = np.round((x - x.mean(axis=0)) / x.std(axis=0), 3)
    t = pd.DataFrame(x, columns=list("abcd"))
    t.iloc[[0, 1, 2, -3, -2, -1]] = np.round(rng.uniform(-0.3, 0.3, size=(6, 4)), 3)  # small values at both ends
    assert not sum_rows(t, np.ones(len(t), dtype=bool)).any()
    # A total of such a table is still found when it is the largest value of its columns.
    frame = _amounts()
    total = _with_sums_at(frame, 20)
    assert sum_rows(total, np.ones(len(total), dtype=bool))[20]

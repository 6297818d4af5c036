"""The data-quality page's column profile: every input column with its role, type, missing share,
distinct values, typical values and what cleaning did, and never one customer's value."""
from __future__ import annotations

import dataclasses

import pytest
import yaml

from analysis.ingest.cleaning import clean
from analysis.config import load_config
from analysis.ingest.loading import load_customers
from analysis.pipeline import analyse
from analysis.publish.pages import data_quality  # the quality page's keys, plus the counts the pages share

# 40 customers; income 1000..40000 in steps of 1000 with one far-out value; one rare city; an unused note.
ROWS = [f"{i},{1000 * i if i != 40 else 9_999_999},{['Bern', 'Genf'][i % 2] if i != 7 else 'Chur'},"
        f"{i % 2},{10 * i % 70},{'' if i % 10 == 0 else 'note'}" for i in range(1, 41)]
TABLE = "id,income,city,answer,wine,remark\n" + "\n".join(ROWS) + "\n"
CONFIG = {"customers": {"path": "c.csv"},
          "columns": {"id": "id", "income": "income", "categorical": ["city"], "campaigns": {"Latest": "answer"},
                      "spend": {"Wine": "wine"}, "ignore": ["remark"]},
          "segmentation": {"algorithm": "kmeans", "k": 2, "shortlist": 1, "stability_resamples": 2},
          "report": {"min_segment_size": 5}}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quality")
    (folder / "c.csv").write_text(TABLE, encoding="utf-8")
    (folder / "c.yml").write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    cfg = load_config(folder / "c.yml")
    data = clean(load_customers(cfg), cfg)
    results = dataclasses.replace(analyse(cfg).results, columns=data.columns)
    return data, data_quality(results)


def by_name(page):
    return {c["name"]: c for c in page[1]["columns"]}


def test_every_input_column_is_profiled_in_file_order(page):
    assert [c["name"] for c in page[1]["columns"]] == ["id", "income", "city", "answer", "wine", "remark"]


def test_roles_types_missing_and_distinct(page):
    cols = by_name(page)
    assert (cols["id"]["role"], cols["id"]["kind"], cols["id"]["distinct"]) == ("id", "identifier", "40")
    assert (cols["income"]["role"], cols["income"]["kind"]) == ("income", "number")
    assert (cols["wine"]["role"], cols["answer"]["role"]) == ("spend: Wine", "campaigns: Latest")
    assert (cols["city"]["kind"], cols["answer"]["kind"]) == ("category", "0/1 answer")
    assert cols["remark"]["role"] == "not used (columns.ignore)"
    assert (cols["remark"]["missing"], cols["remark"]["distinct"]) == ("10%", "1")


def test_numbers_show_median_and_middle_90_percent_not_the_extremes(page):
    income = by_name(page)["income"]
    # percentiles of 1000..39000 and 9,999,999: whole numbers span whole values (numpy's nearest rule: 5th
    # 3,000, 95th 38,000; the linear rule's 2,950 and 38,050 are no amount anyone holds); median 20,500
    assert income["typical"] == "median 20,500; 90% from 3,000 to 38,000"
    assert "9,999,999" not in str(page[1]["columns"]) and "1,000;" not in income["typical"]


def test_answers_show_their_share(page):
    assert by_name(page)["answer"]["typical"] == "50% answered 1"


def test_rare_categories_are_counted_not_named(page):
    city = by_name(page)["city"]
    assert city["typical"] == "Bern (20), Genf (19); 1 rarer value not named"
    assert "Chur" not in str(page[1]["columns"])


def test_cleaning_is_summarised_per_column(page):
    data, ctx = page
    assert by_name(page)["income"]["cleaning"] == "1 capped at the fence"
    assert by_name(page)["wine"]["cleaning"] == "–"


def test_the_template_shows_the_profile(page):
    from analysis.publish.pages import environment

    text = environment().get_template("data-quality.qmd.j2").render(**page[1])
    assert "## Columns read" in text
    row = [line for line in text.splitlines() if line.startswith("| income |")]
    assert row == ["| income | income | number | 0% | 40 | median 20,500; 90% from 3,000 to 38,000 | "
                   "1 capped at the fence |"]


def test_years_are_written_as_years():
    """Birth years read 1974, not 1,974; an amount in the same range keeps its separator."""
    from analysis.publish.quality_page import _values
    from analysis.results import ColumnProfile

    years = ColumnProfile(name="Geburtsjahr", role="birth_year", rows=40, missing=0, distinct=30, kind="number",
                          p5=1947.0, p50=1974.0, p95=2000.0)
    assert _values(years) == "median 1974; 90% from 1947 to 2000"
    money = dataclasses.replace(years, p5=1947.5, p95=2400.0)
    assert _values(money) == "median 1,974; 90% from 1,948 to 2,400"

    # A time habit is a share of each customer's orders: 22%, not 0.22.
    weekends = dataclasses.replace(years, name="orders_at_weekends", role="habits: at weekends", p5=0.0, p50=0.22,
                                   p95=0.671)
    assert _values(weekends) == "median 22%; 90% from 0% to 67%"


def test_rows_that_are_not_customers_are_not_profiled(tmp_path):
    """A blank line, a totals row and a repeated customer are excluded and logged; the columns are
    profiled over the 40 customers (no 'missing' blanks, no extra answers), and the id column's cell
    sums the exclusions rather than listing '1 excluded' three times."""
    table = TABLE + ",,,,,\n" + ROWS[4] + "\nTotal,820000,,,,\n"
    (tmp_path / "c.csv").write_text(table, encoding="utf-8")
    (tmp_path / "c.yml").write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    cfg = load_config(tmp_path / "c.yml")
    data = clean(load_customers(cfg), cfg)
    cols = {c.name: c for c in data.columns}
    assert cols["city"].rows == 40 and cols["city"].missing == 0 and cols["income"].missing == 0
    from analysis.publish.quality_page import _cleaning
    assert _cleaning(cols["id"]) == "3 excluded"


def test_the_page_names_only_what_is_measured_on_the_reference_date(page, tmp_path):
    from analysis.publish.quality_page import dated_measures
    assert page[1]["dated"] == ""  # income, city, spend: nothing is measured on a date
    results = page[1]
    base = analyse(load_config_text(tmp_path, {**CONFIG["columns"]})).results
    assert dated_measures(base) == ""
    # A last-purchase date makes recency on the reference date; a birth year, ages; a signup date, tenure.
    dates = [f"2024-0{1 + i % 9}-1{i % 9}" for i in range(1, 41)]
    table = "id,income,city,answer,wine,remark,last,joined,born\n" + "\n".join(
        f"{r},{d},{d},{1960 + i % 30}" for i, (r, d) in enumerate(zip(ROWS, dates))) + "\n"
    one = analyse(load_config_text(tmp_path, {**CONFIG["columns"], "last_purchase": "last"}, table)).results
    assert dated_measures(one) == f"Recency is measured on {one.reference_date.isoformat()}."
    every = analyse(load_config_text(tmp_path, {**CONFIG["columns"], "last_purchase": "last", "signup_date": "joined",
                                                "birth_year": "born"}, table)).results
    assert dated_measures(every) == f"Ages, tenure and recency are measured on {every.reference_date.isoformat()}."
    assert results["reference_date"]


def load_config_text(folder, columns: dict, table: str = TABLE):
    (folder / "c.csv").write_text(table, encoding="utf-8")
    (folder / "c.yml").write_text(yaml.safe_dump({**CONFIG, "columns": columns}), encoding="utf-8")
    return load_config(folder / "c.yml")


@pytest.mark.parametrize("role, kind, label, typical", [
    ("campaigns: Latest", "answer", "0/1 answer", "22% answered 1"),
    ("churned", "flag", "0/1", "22% left"), ("complaints", "flag", "0/1", "22% complained")])
def test_only_a_campaign_column_holds_answers(tmp_path, role, kind, label, typical):
    """A churn column says how many left, not that 22% 'answered 1'."""
    import pandas as pd

    from analysis.ingest.column_profile import profile_columns
    from analysis.publish.quality_page import KINDS, _values

    key = {"campaigns: Latest": {"campaigns": {"Latest": "Churn"}}}.get(role, {role: "Churn"})
    cfg = load_config_text(tmp_path, {**CONFIG["columns"], **key})
    raw = pd.DataFrame({"Churn": ["1"] * 22 + ["0"] * 78})
    (p,) = profile_columns(raw, pd.DataFrame({"Churn": [1.0] * 22 + [0.0] * 78}), cfg, [], 5)
    assert (p.kind, KINDS[p.kind], _values(p)) == (kind, label, typical)


def test_a_column_of_0_and_1_shows_its_share_of_1_not_a_median(tmp_path):
    """SeniorCitizen 0/1, not named as a flag: '16% are 1' (kind 0/1), not 'median 0; 90% from 0 to 1'."""
    from analysis.ingest.column_profile import profile_columns
    from analysis.publish.quality_page import KINDS, _values

    import pandas as pd

    raw = pd.DataFrame({"SeniorCitizen": ["1"] * 16 + ["0"] * 84, "tenure": [str(i % 30) for i in range(100)]})
    cfg = load_config_text(tmp_path, CONFIG["columns"])
    senior, tenure = profile_columns(raw, pd.DataFrame(index=raw.index), cfg, [], 5)
    assert (KINDS[senior.kind], _values(senior)) == ("0/1", "16% are 1")
    assert (KINDS[tenure.kind], _values(tenure)) == ("number", "median 13; 90% from 1 to 28")


def test_columns_read_typed_are_profiled_as_their_text_would_be(tmp_path):
    """Order lines make typed columns (numbers, dates); they are counted without writing them as
    text, and must read as the same columns written in a file: missing, distinct, kind, range."""
    import numpy as np
    import pandas as pd

    from analysis.ingest.column_profile import profile_columns
    from analysis.ingest.loading import text_of

    spend = pd.Series([float(i % 40) for i in range(97)] + [np.nan] * 3)
    first = pd.Series(pd.date_range("2020-01-01", periods=100, freq="D"))
    loose = pd.Series([float(i % 7) for i in range(100)])  # named by no role: judged by its values
    typed_raw = pd.DataFrame({"Income": spend, "Dt_Customer": first, "Loose": loose})
    text_raw = pd.DataFrame({c: text_of(v).fillna("") for c, v in typed_raw.items()})
    cfg = load_config_text(tmp_path, CONFIG["columns"])
    parsed = typed_raw[["Income", "Dt_Customer"]]
    from_typed = profile_columns(typed_raw, parsed, cfg, [], 5, dates=("Dt_Customer",))
    from_text = profile_columns(text_raw, parsed, cfg, [], 5, dates=("Dt_Customer",))
    assert from_typed == from_text
    income, dates, loose_p = from_typed
    assert (income.missing, income.distinct, income.kind) == (3, 40, "number")
    assert (dates.kind, dates.first, loose_p.kind, loose_p.distinct) == ("date", "2020-01-05", "number", 7)

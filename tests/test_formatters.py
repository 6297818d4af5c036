"""Every number a page shows goes through these: the exact strings readers see."""
from __future__ import annotations

import math

import pytest

from analysis import formatters as fmt
from analysis.formatters import by_kind, integer, md, money, number, p_value, percent, ratio, signed, yaml_str


@pytest.mark.parametrize("x, text", [(0, "0"), (7, "7"), (1234, "1,234"), (1234.6, "1,235"), (2058, "2,058"),
                                     (-1500, "-1,500"), (1_000_000, "1,000,000")])
def test_integer(x, text):
    assert integer(x) == text


@pytest.mark.parametrize("bad", [None, float("nan"), math.inf])
def test_missing_values_show_a_dash(bad):
    for f in (integer, number, percent, money, signed, ratio, p_value):
        assert f(bad) == "–"


@pytest.mark.parametrize("x, text", [
    (0.153, "15%"), (0.5, "50%"), (1.0, "100%"), (0.0, "0%"),
    (0.004, "0.4%"),  # small shares keep a decimal so they do not read as zero
    (0.0099, "1.0%"), (0.01, "1%"), (-0.004, "-0.4%"),
    (0.0003, "<0.1%"), (0.0005, "0.1%"),  # one in 3,000 is some, not 0.0%
])
def test_percent(x, text):
    assert percent(x) == text


def test_percent_with_digits():
    assert percent(0.1534, 1) == "15.3%"


@pytest.mark.parametrize("x, text", [
    (1234.56, "$1,235"), (-1234.56, "-$1,235"), (0, "$0"), (51533, "$51,533"), (-5, "-$5"),
])
def test_money(x, text):
    assert money(x) == text


def test_money_with_currency_and_cents():
    assert money(1234.5, "€", 2) == "€1,234.50"
    assert money(-0.25, "£", 2) == "-£0.25"


def test_a_currency_starting_with_a_space_is_written_after_the_amount():
    # A no-break space between: a line does not end between the amount and its currency.
    assert money(10141, " zł") == "10,141\u00a0zł" and money(-3.5, " Kč", 2) == "-3.50\u00a0Kč"
    assert money(10141, "CHF ") == "CHF 10,141"  # a space after: before the amount


def test_money_that_rounds_to_zero_has_no_sign():
    assert money(-0.4) == "$0"


@pytest.mark.parametrize("x, text", [(0.8, "+0.8"), (-1.2, "-1.2"), (0.0, "0.0"), (0.04, "0.0"), (-0.04, "0.0"),
                                     (10.04, "+10.0"), (-10.04, "-10.0"), (2.26, "+2.3")])
def test_signed(x, text):
    assert signed(x) == text


def test_number():
    assert number(3.14159) == "3.1"
    assert number(3.14159, 2) == "3.14"
    assert number(12345.6) == "12,346"


def test_p_value():
    assert p_value(0.0004) == "< 0.001"
    assert p_value(0.0123) == "0.012"
    assert p_value(0.5) == "0.500"


def test_ratio():
    assert ratio(1.333) == "1.33×"


@pytest.mark.parametrize("kind, x, text", [
    ("money", 1500, "$1,500"), ("money", 3.374, "$3.37"), ("money", 9.996, "$10.00"), ("money", 10.4, "$10"),
    ("money", -2.5, "-$2.50"), ("share", 0.25, "25%"), ("flag", 0.004, "0.4%"), ("years", 44.4, "44 years"),
    ("months", 11.99, "12 months"), ("days", 30, "30 days"), ("months", 1.2, "1 month"), ("days", 0.8, "1 day"),
    ("years", 1.6, "2 years"), ("months", 0.4, "0 months"), ("count", 3.25, "3.2"), ("number", 3.14159, "3.14"),
    # about three significant digits: a mean of 72.48 months active is not shown to the hundredth
    ("number", 9.996, "10.00"), ("number", 72.48, "72.5"), ("number", -72.48, "-72.5"), ("number", 99.94, "99.9"),
    ("number", 100.4, "100"), ("number", 123.456, "123"),
])
def test_by_kind(kind, x, text):
    assert by_kind(x, kind) == text


def test_by_kind_missing():
    assert by_kind(None, "years") == "–"


@pytest.mark.parametrize("text, shown", [
    ("$5", "\\$5"),
    ("*bold*", "\\*bold\\*"),
    ("snake_case", "snake\\_case"),
    ("a|b", "a\\|b"),
    ("Wine &amp; cheese", "Wine \\&amp; cheese"),  # an entity shows as typed, not as "&"
    ("<b>#1</b>", "\\<b\\>\\#1\\</b\\>"),
    ("line\nbreak", "line break"),
    ("back\\slash", "back\\\\slash"),
])
def test_md_escapes_markdown_specials(text, shown):
    assert md(text) == shown


def test_md_of_a_number():
    assert md(12) == "12"


def test_yaml_str_is_a_double_quoted_scalar():
    import yaml

    for text in ['Customer "segments": a: b', "José's # report", "line\nbreak"]:
        assert yaml.safe_load("title: " + yaml_str(text))["title"] == text


def test_shares_add_up_to_100_by_largest_remainder():
    from analysis.formatters import shares

    # Rounded one by one these read 34% + 34% + 33% = 101%.
    assert [percent(x) for x in (0.335, 0.335, 0.33)] == ["34%", "34%", "33%"]
    assert shares([0.336, 0.334, 0.33]) == ["34%", "33%", "33%"]
    # The largest remainders get the missing points; equal remainders are rounded alike, up only
    # when most of them must be: equal shares never read differently.
    assert shares([0.126, 0.126, 0.748]) == ["12%", "12%", "75%"]
    assert shares([1 / 3] * 3) == ["33%", "33%", "33%"]
    assert shares([0.335, 0.335, 0.33]) == ["33%", "33%", "33%"]
    assert shares([0.2, 0.2, 0.2, 0.133, 0.133, 0.134]) == ["20%", "20%", "20%", "13%", "13%", "14%"]
    assert shares([0.1966, 0.1966, 0.1966, 0.41]) == ["20%", "20%", "20%", "41%"]
    assert shares([0.5, 0.5]) == ["50%", "50%"]
    # A share under 1% gives the whole set one decimal, so none reads as zero and decimals agree.
    assert shares([0.6, 0.396, 0.004]) == ["60.0%", "39.6%", "0.4%"]
    assert shares([None, 0.25, 0.75]) == ["–", "25%", "75%"]
    rng = __import__("numpy").random.default_rng(0)
    for _ in range(200):
        w = rng.dirichlet([1.0] * int(rng.integers(2, 10)))
        assert sum(float(x.rstrip("%")) for x in shares(w)) == pytest.approx(100)


def test_signed_never_shows_a_signed_zero():
    assert signed(-0.04) == "0.0" and signed(0.04) == "0.0"
    assert signed(-0.004, 2) == "0.00" and signed(0.004, 2) == "0.00"
    assert signed(-0.06) == "-0.1" and signed(0.5, 2) == "+0.50"


def test_csv_numbers_are_never_in_scientific_notation():
    import pandas as pd

    from analysis.formatters import plain_number
    from analysis.publish.exports import csv_text

    assert [plain_number(x) for x in (72912.3, 0.0000123, -0.0, 1354.2, 1e12, 3)] == \
        ["72910", "0.0000123", "0", "1354", "1000000000000", "3"]
    text = csv_text(pd.DataFrame({"a": [1e-5, 72912.3, -0.0, 1e12]}))
    assert text == "a\n0.00001\n72912.3\n0\n1000000000000\n"
    assert "e+" not in text and "e-" not in text


def test_csv_floats_are_the_ten_place_decimals_of_the_cell_by_cell_rule():
    # `decimals` keeps Arrow's shortest text only where it equals `_decimal` (no exponent, at most
    # 10 places, below 2**19); every other cell goes through `_decimal`. Checked on cells where the
    # two differ: 11 places, large values whose last place is coarser than 1e-10, exponents.
    import numpy as np

    from analysis.publish.exports import _decimal, decimals

    rng = np.random.default_rng(4)
    special = [0.12345678901, 5_000_000.1, 1e9 + 0.1, 1e-5, 2.5e-7, 1e16, -0.0, 0.0, 3.0, -2.5, 0.1 + 0.2,
               2.0**19 - 0.1, 2.0**19 + 0.1, np.nan]
    values = np.r_[special, *[np.round(rng.normal(size=500) * 10.0**e, d) for e in range(-8, 13, 2) for d in (2, 6, 10, 12)],
                   rng.normal(size=500) * 1e3]
    want = [None if np.isnan(v) else _decimal(v) for v in values]
    assert decimals(values).to_pylist() == want
    assert _decimal(5_000_000.1) == "5000000.0999999996" and _decimal(0.12345678901) == "0.123456789"


@pytest.mark.parametrize("parallel_rows", [10**9, 1000])
def test_csv_text_is_what_pandas_writes_with_the_cell_by_cell_rule(parallel_rows, monkeypatch):
    # Text, integer (with missing values) and float columns are assembled in Arrow, one column
    # after another or, for long tables, in threads; the result is pandas' minimal quoting byte for
    # byte, and frames of other types go through pandas itself.
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from analysis import threads
    from analysis.publish.exports import _decimal, csv_safe, csv_text

    monkeypatch.setattr(threads, "PARALLEL_ROWS", parallel_rows)

    rng = np.random.default_rng(5)
    n = 3000
    texts = ["plain", "a,b", 'say "hi"', "two\nlines", "", " lead", "=1+1", "-5", "ünï€", "tab\there", "'q"]
    frame = pd.DataFrame({
        "text": pd.Series([texts[i] for i in rng.integers(0, len(texts), n)], dtype=object),
        "gaps": pd.Series([None if i % 5 == 0 else texts[i % len(texts)] for i in range(n)], dtype=object),
        "typed": pd.Series([texts[i] for i in rng.integers(0, len(texts), n)], dtype="string"),
        "int": rng.integers(-1000, 1000, n), "nullable": pd.array([None if i % 7 == 0 else i for i in range(n)],
                                                                   dtype="Int64"),
        "float": np.round(rng.normal(size=n) * 100, 3), "holes": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
    })
    # Text Arrow holds in chunks, as a large CSV is read, block by block (none a formula, which
    # would be rewritten into one array first).
    safe = [texts[i] for i in rng.integers(0, 6, n)]
    chunked = pa.chunked_array([safe[:n // 3], safe[n // 3:]], pa.string())
    frame["chunks"] = pd.arrays.ArrowStringArray(chunked)
    frame.index = pd.Index([f"{texts[i % len(texts)]}{i}" for i in range(n)], name="id,x")
    assert frame[["text", "typed", "chunks"]].notna().all().all() and frame["gaps"].isna().sum() == n // 5
    for f, index in ((frame, False), (frame, True), (frame.assign(flag=rng.random(n) < 0.5), False),
                     (frame.assign(mixed=[1, "a"] * (n // 2)), True), (frame[["text"]], False)):
        want = csv_safe(f).to_csv(index=index, lineterminator="\n", float_format=_decimal)
        assert csv_text(f, index=index) == want
    assert csv_text(pd.DataFrame({"a": ["x\ry", "z"], "b": [1, 2]})) == 'a,b\n"x\ry",1\nz,2\n'


def test_count_agrees_the_noun_with_the_number():
    assert fmt.count(1, "rule") == "1 rule" and fmt.count(0, "rule") == "0 rules"
    assert fmt.count(1234, "order") == "1,234 orders" and fmt.count(2, "category", "categories") == "2 categories"


def test_an_amount_in_thousands_reads_with_a_k():
    from analysis.formatters import by_kind
    from analysis.segment.features import money_kind

    assert by_kind(88.0, "money_k", "$") == "$88k" and by_kind(1.46, "money_k", "€") == "€1.5k"
    assert money_kind("Annual Income (k$)") == "money_k" and money_kind("revenue_000s (000s)") == "money_k"
    assert money_kind("Income") == "money" and money_kind("kids") == "money" and money_kind("bank_balance") == "money"


@pytest.mark.parametrize("x, text", [(1.04, "1.04"), (1.05, "1.1"), (1.004, "1.004"), (1.0004, "1.000"),
                                     (0.96, "0.96"), (2.36, "2.4"), (1.0, "1.000"), (float("nan"), "–")])
def test_a_lift_is_never_written_as_no_lift(x, text):
    """A rule kept for a lift above 1 is not shown as '1.0': the decimals that tell it from 1."""
    from analysis.formatters import lift

    assert lift(x) == text


def test_amounts_in_ten_thousands_read_as_written():
    """年収（万円） is yearly income in units of 10,000 yen: 1,230 reads ¥1,230万, not ¥1,230."""
    from analysis.segment.features import money_kind

    assert [money_kind(n) for n in ("年収（万円）", "收入(万元)", "Annual Income (k$)", "Income")] == \
        ["money_10k", "money_10k", "money_k", "money"]
    assert fmt.by_kind(1230.4, "money_10k", "¥") == "¥1,230万" and fmt.by_kind(88.0, "money_k", "$") == "$88k"

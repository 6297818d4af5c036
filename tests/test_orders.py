"""Order lines -> customers, cleaning log and baskets (`analysis.ingest.orders.load_orders`).

One hand-made file holds every cleaning case; each expected number is worked out in a comment.
Calendar used below (March 2024): Sat 2, Mon 4, Tue 5, Wed 6, Thu 7, Sun 10, Mon 11.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import numpy as np
import yaml

from analysis.config import parse_config
from analysis.errors import UserError
from analysis.ingest.cleaning import LogEntry, to_numbers
from analysis.ingest.orders import RETURN_ACTION, load_orders

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
LINES = HEADER + (
    # customer 12 (written 12.0 here, 12 below): order 1001, Saturday morning
    "1001,A1,WHITE MUG,2,2024-03-02 09:30,3.00,12.0,United Kingdom\n"
    "1001,A1,WHITE MUG,2,2024-03-02 09:30,3.00,12.0,United Kingdom\n"  # exact duplicate: dropped
    "1001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,12.0,United Kingdom\n"
    "1001,D4,TOY,1,2024-03-02 09:30,4.00,12.0,United Kingdom\n"  # D4 is not in the products map
    # order 1002, Tuesday evening
    '1002," a1 "," white  mug",1,2024-03-05 18:15,3.00,12,United Kingdom\n'  # same product as A1
    "1002,POST,POSTAGE,1,2024-03-05 18:15,10.00,12,United Kingdom\n"  # not a product
    "1002,C3,LAMP,0,2024-03-05 18:15,20.00,12,United Kingdom\n"  # zero quantity
    "1002,C3,LAMP,1,2024-03-05 18:15,25.00,12,France\n"
    "C1003,A1,WHITE MUG,-2,2024-03-06 10:00,3.00,12,United Kingdom\n"  # cancelled order
    "1004,B2,RED CANDLE,-1,2024-03-06 11:00,5.00,12,United Kingdom\n"  # return (not cancelled)
    # customer 13: order 1005 on a Thursday afternoon, order 1006 on a Sunday morning
    "1005,A1,WHITE MUG,4,2024-03-07 14:00,2.50,13,France\n"
    "1005,A1,WHITE MUG,1,2024-03-07 14:00,2.50,13,France\n"  # A1 again in 1005: not a duplicate
    "1005,B2,RED CANDLE,2,2024-03-07 14:00,0.00,13,France\n"  # zero price
    "1006,B2,CANDLE RED,1,2024-03-10 08:00,6.00,13,France\n"  # a rarer spelling of B2's name
    "1006,C3,LAMP,1,2024-03-10 08:00,-1.00,13,France\n"  # negative price
    # customer 14: only a cancelled order; customer 15: only a return
    "C1007,B2,RED CANDLE,-3,2024-03-04 12:00,5.00,14,Germany\n"
    "1008,A1,WHITE MUG,-1,2024-03-04 13:00,3.00,15,Spain\n"
    # a guest order (no customer): a basket, not a customer; the latest line of the file
    "1009,A1,WHITE MUG,1,2024-03-11 10:00,3.00,,United Kingdom\n"
    "1009,B2,RED CANDLE,1,2024-03-11 10:00,5.00,,United Kingdom\n"
)
# 19 lines; 18 after the duplicate; not used: 2 cancelled (C1003, C1007), 2 returns (1004, 1008),
# 1 zero quantity, 2 zero/negative prices, 1 postage -> 10 usable lines, 2 of them without customer.
PRODUCTS = "StockCode,Category\nA1,Kitchen\nb2 ,Home\nC3,Home\n"  # the map's codes are normalised too

TRANSACTIONS = {
    "path": "lines.csv", "customer": "Customer ID", "order": "Invoice", "timestamp": "InvoiceDate",
    "product": "StockCode", "product_name": "Description", "quantity": "Quantity", "unit_price": "Price",
    "not_products": ["post"], "customer_columns": ["Country"],
}


def make_config(tmp_path, transactions=None, products="products.csv", **extra):
    data = {"transactions": {**TRANSACTIONS, **(transactions or {})}, **extra}
    if products:
        data["products"] = {"path": products, "product": "StockCode", "category": "Category"}
    return parse_config(data, "config.yml", base_dir=tmp_path)


def load(tmp_path, lines=LINES, name="lines.csv", transactions=None, **kw):
    (tmp_path / name).write_text(lines, encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    return load_orders(make_config(tmp_path, transactions={"path": name, **(transactions or {})}, **kw))


@pytest.fixture
def orders(tmp_path):
    return load(tmp_path)


def entries(data):
    """The log as (step, column, count, action) with the first words of the detail."""
    return {(e.step, e.column, e.count, e.action, e.detail.split(":")[0]) for e in data.log}


def test_every_cleaning_case_is_logged_with_its_count(orders):
    assert entries(orders) == {
        ("duplicates", "order lines", 1, "dropped", "lines equal to an earlier line in every column"),
        ("cancellations", "order lines", 2, "not used", "cancelled order"),  # C1003, C1007
        ("returns", "order lines", 2, RETURN_ACTION, "return (negative quantity)"),  # 1004, 1008
        ("implausible values", "order lines", 1, "not used", "zero quantity"),  # 1002 C3
        ("implausible values", "order lines", 2, "not used", "price zero or negative"),  # 1005 B2, 1006 C3
        ("not products", "order lines", 1, "not used",
         "fee, postage or adjustment (transactions.not_products)"),  # POST, listed as 'post'
        ("missing values", "Customer ID", 2, "used for baskets only", "order lines without a customer id"),
        ("odd categories", "StockCode", 1, "normalised",
         "product codes written more than one way (stray spaces or lower case), compared in upper case"),  # ' a1 '
        ("odd categories", "Description", 1, "normalised",
         "product names with stray spaces, tidied (a product is shown by its most frequent name)"),  # ' white  mug'
        ("missing values", "category", 1, "set to 'Uncategorised'",
         "lines of 1 products missing from the products map"),  # the one usable D4 line
        ("not used", "InvoiceDate", 4, "seasons not looked for",  # 4 orders over 9 days
         "the orders span 9 days; a season of buying is looked for over 700 days or more, so that every month of "
         "the year is seen twice"),
    }
    assert len(orders.log) == 11  # each case once
    cancelled = next(e for e in orders.log if e.step == "cancellations")
    assert "2 orders whose id starts with 'C'" in cancelled.detail
    assert orders.n_lines == 19  # as read, duplicate included


def test_customers_with_no_usable_line_are_excluded_with_a_reason(orders):
    # 14 only cancelled, 15 only returned: listed, never silently dropped; the guest is no customer.
    assert orders.excluded == {"14": "no usable order line: cancelled order",
                               "15": "no usable order line: return (negative quantity)"}
    assert sorted(orders.frame["customer_id"]) == ["12", "13"]  # 12.0 and 12 are one customer
    # The data-quality log says why, under its own step: an order-less customer has no missing value.
    from analysis.ingest.joining import _excluded_log
    assert [(e.step, e.column, e.count) for e in _excluded_log(orders.excluded)] == [
        ("no usable order", "customers", 1), ("no usable order", "customers", 1)]


def test_returns_come_off_spend_in_their_category_never_below_zero(tmp_path, orders):
    """A return is money given back: off the customer's spend in the returned product's category
    (a product the map lacks: Uncategorised), not an order; beyond what the lines show bought
    (bought before they begin) that spend is 0, and the log says for how many customers."""
    more = LINES + ("1010,D4,TOY,1,2024-03-08 10:00,4.00,13,France\n"
                    "1011,D4,TOY,-1,2024-03-09 10:00,4.00,13,France\n"  # 13's toy back: Uncategorised 4 - 4
                    "1012,A1,WHITE MUG,-10,2024-03-09 11:00,2.50,13,France\n")  # 10 mugs back, 5 bought
    got = load(tmp_path, more)
    f, before = got.frame.set_index("customer_id"), orders.frame.set_index("customer_id")
    assert f.loc["13", "Spend on Uncategorised"] == 0.0 and f.loc["13", "Spend on Kitchen"] == 0.0
    assert f.loc["13", "Spend on Home"] == before.loc["13", "Spend on Home"] == 6.0
    assert f.loc["13", "Orders"] == 3  # 1005, 1006, 1010: a return is no order
    assert f.loc["12"].equals(before.loc["12"])
    (floor,) = [e for e in got.log if e.action == "spend set to 0 there"]
    assert (floor.step, floor.count) == ("returns", 1)
    returned = next(e for e in got.log if e.detail == "return (negative quantity)")
    assert (returned.count, returned.action) == (4, RETURN_ACTION)
    # The floor only where the returns pass what was bought: 4 mugs back of 5 leave 2.50.
    four = load(tmp_path, more.replace("-10,2024-03-09 11:00", "-4,2024-03-09 11:00"))
    assert four.frame.set_index("customer_id").loc["13", "Spend on Kitchen"] == pytest.approx(2.5)
    assert not [e for e in four.log if e.action == "spend set to 0 there"]


def test_a_return_with_a_zero_price_is_an_implausible_line_not_a_return(tmp_path, orders):
    """Returns are judged last: a negative line that fails another rule is logged by that rule."""
    got = load(tmp_path, LINES + "1013,A1,WHITE MUG,-1,2024-03-09 10:00,0.00,13,France\n")
    log = {(e.detail, e.count) for e in got.log}
    assert ("price zero or negative", 3) in log and ("return (negative quantity)", 2) in log


def test_customer_features_by_hand(orders):
    c = orders.columns
    f = orders.frame.set_index(c.id)
    # reference date: the day after the latest usable line (guest order 1009, Mon 11 March)
    assert orders.reference_date == date(2024, 3, 12)
    # 12: orders 1001 and 1002 (C1003 is cancelled, 1004 holds only a return)
    # 13: orders 1005 and 1006
    assert f.loc["12", c.orders] == 2 and f.loc["13", c.orders] == 2
    # last orders: 12 on 5 March -> 12 - 5 = 7 days; 13 on 10 March -> 2 days
    assert f.loc["12", c.recency_days] == 7 and f.loc["13", c.recency_days] == 2
    assert f.loc["12", c.signup_date] == pd.Timestamp("2024-03-02 09:30")  # first order
    assert f.loc["13", c.signup_date] == pd.Timestamp("2024-03-07 14:00")
    # products per order: 12: 1001 {A1, B2, D4} = 3, 1002 {A1, C3} = 2 (postage and the zero line
    # do not count) -> 2.5; 13: 1005 {A1} (two lines, one product), 1006 {B2} -> 1
    assert f.loc["12", c.basket_size] == 2.5 and f.loc["13", c.basket_size] == 1.0
    # spend: categories from the map; D4 is missing from it
    assert c.spend == {"Home": "Spend on Home", "Kitchen": "Spend on Kitchen",
                       "Uncategorised": "Spend on Uncategorised"}
    # 12: Kitchen = A1 2 x 3.00 (duplicate dropped) + 1 x 3.00 = 9; Home = B2 5.00 + C3 25.00, less
    #     the return 1004 of one B2 at 5.00 = 25 (the cancelled C1003 is left out); Uncategorised = D4 4.00
    # 13: Kitchen = 4 x 2.50 + 1 x 2.50 = 12.5; Home = B2 6.00 (the 0.00 and -1.00 lines are not
    #     used); nothing uncategorised
    assert f.loc["12", "Spend on Kitchen"] == pytest.approx(9.0)
    assert f.loc["12", "Spend on Home"] == pytest.approx(25.0)
    assert f.loc["12", "Spend on Uncategorised"] == pytest.approx(4.0)
    assert f.loc["13", "Spend on Kitchen"] == pytest.approx(12.5)
    assert f.loc["13", "Spend on Home"] == pytest.approx(6.0)
    assert f.loc["13", "Spend on Uncategorised"] == 0
    # habits, as shares of orders: 12: 1001 Sat 09:30, 1002 Tue 18:15; 13: 1005 Thu 14:00, 1006 Sun 08:00
    h = c.habits
    assert set(h) == {"at weekends", "in the morning (before 12:00)", "in the evening (from 17:00)"}
    assert f.loc["12", h["at weekends"]] == 0.5 and f.loc["13", h["at weekends"]] == 0.5
    assert f.loc["12", h["in the morning (before 12:00)"]] == 0.5
    assert f.loc["13", h["in the morning (before 12:00)"]] == 0.5
    assert f.loc["12", h["in the evening (from 17:00)"]] == 0.5
    assert f.loc["13", h["in the evening (from 17:00)"]] == 0.0
    # most frequent country: 12 has 4 usable lines in the UK and 1 (its last) in France
    assert c.categorical == ["Country"]
    assert f.loc["12", "Country"] == "United Kingdom" and f.loc["13", "Country"] == "France"


def test_reference_date_from_the_config(tmp_path):
    data = load(tmp_path, report={"reference_date": "2024-04-01"})
    f = data.frame.set_index("customer_id")
    assert data.reference_date == date(2024, 4, 1)
    # 5 March -> 1 April: 26 days left in March + 1 = 27; 10 March -> 21 + 1 = 22
    assert f.loc["12", data.columns.recency_days] == 27
    assert f.loc["13", data.columns.recency_days] == 22


def basket_contents(b, customers=("12", "13")):
    """[(customer or '' for a guest, sorted product names)] for every basket, sorted."""
    held: dict[int, list[str]] = {}
    for o, p in zip(b.order_idx, b.product_idx):
        held.setdefault(int(o), []).append(b.products[p])
    owner = b.order_customer
    assert sorted(held) == list(range(len(owner)))  # every order holds a product
    # (guests are compared as '' here; what order_customer holds for them is tested on its own)
    return sorted((owner[o] if owner[o] in customers else "", tuple(sorted(items))) for o, items in held.items())


def test_baskets_by_hand(orders):
    b = orders.baskets
    # usable orders: 1001, 1002, 1005, 1006 and the guest order 1009 (C1003, 1004, C1007 and 1008
    # hold no usable line); A1 and ' a1 ' are one product, named by its most frequent spelling;
    # B2 is 'RED CANDLE' (2 usable lines, in 1001 and 1009) rather than 'CANDLE RED' (1 line)
    assert basket_contents(b) == [
        ("", ("RED CANDLE", "WHITE MUG")),  # 1009
        ("12", ("LAMP", "WHITE MUG")),  # 1002: postage and the zero-quantity line are left out
        ("12", ("RED CANDLE", "TOY", "WHITE MUG")),  # 1001: the duplicate line adds nothing
        ("13", ("RED CANDLE",)),  # 1006: the -1.00 lamp is left out
        ("13", ("WHITE MUG",)),  # 1005: the free candle is left out
    ]
    assert sorted(b.products) == ["LAMP", "RED CANDLE", "TOY", "WHITE MUG"]
    assert b.categories == ("Home", "Kitchen", "Uncategorised")
    category = {name: b.categories[b.product_category[i]] for i, name in enumerate(b.products)}
    assert category == {"WHITE MUG": "Kitchen", "RED CANDLE": "Home", "LAMP": "Home", "TOY": "Uncategorised"}
    # average spend on a product in an order holding it:
    # WHITE MUG: (1001: 2 x 3.00 + 1002: 3.00 + 1005: 5 x 2.50 + 1009: 3.00) / 4 orders = 24.5 / 4
    # RED CANDLE: (5.00 + 6.00 + 5.00) / 3 = 16 / 3; LAMP: 25.00 / 1; TOY: 4.00 / 1
    value = dict(zip(b.products, b.product_value))
    assert value == pytest.approx({"WHITE MUG": 6.125, "RED CANDLE": 16 / 3, "LAMP": 25.0, "TOY": 4.0})


def test_guest_orders_have_no_customer(orders):
    # order 1009 has no customer id: OrderBaskets.order_customer is documented as None for it
    customers = list(orders.baskets.order_customer)
    assert sorted(customers, key=str) == ["12", "12", "13", "13", None]
    assert all(c is None or isinstance(c, str) for c in customers)


def summary(data):
    """What a run takes from OrderData, without file details (name, size, hash)."""
    return {
        "frame": data.frame.sort_values("customer_id").reset_index(drop=True),
        "log": entries(data), "excluded": data.excluded, "reference_date": data.reference_date,
        "baskets": basket_contents(data.baskets),
        "value": dict(zip(data.baskets.products, data.baskets.product_value)),
    }


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.pop("frame"), b.pop("frame"))
    assert a.pop("value") == pytest.approx(b.pop("value"))
    assert a == b


def _typed_lines(tmp_path) -> pd.DataFrame:
    """LINES typed as Parquet keeps them: numbers, timestamps, float customer ids with nulls."""
    (tmp_path / "raw.csv").write_text(LINES, encoding="utf-8")
    return pd.read_csv(tmp_path / "raw.csv", dtype={"StockCode": str, "Description": str}, parse_dates=["InvoiceDate"])


def test_parquet_lines_give_the_same_result(tmp_path, orders):
    typed = _typed_lines(tmp_path)
    assert typed["Customer ID"].dtype == float and typed["Quantity"].dtype.kind == "i"
    typed.to_parquet(tmp_path / "lines.parquet", index=False)
    data = load_orders(make_config(tmp_path, transactions={"path": "lines.parquet"}))
    assert_same(summary(data), summary(orders))


def test_whole_number_customer_ids_in_parquet_give_what_the_same_ids_as_text_give(tmp_path):
    """Whole-number ids are kept as numbers inside DuckDB: every id that leaves it is text, the
    customers in the text's order ('10' before '9'), and an order shared by two customers is the
    one that text picks ('9' over '10' and '100')."""
    lines = HEADER + (
        "2001,A1,WHITE MUG,1,2024-03-02 09:30,3.00,9,France\n"
        "2001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,10,France\n"  # one order, two customers
        "2001,C3,LAMP,1,2024-03-02 09:30,7.00,100,France\n"
        "2002,A1,WHITE MUG,2,2024-03-03 10:00,3.00,10,France\n"
        "2003,B2,RED CANDLE,1,2024-03-04 11:00,5.00,100,Spain\n"
        "C2004,A1,WHITE MUG,-1,2024-03-05 12:00,3.00,7,Spain\n"  # customer 7: only a cancelled order
    )
    text = load(tmp_path, lines)
    (tmp_path / "raw.csv").write_text(lines, encoding="utf-8")
    typed = pd.read_csv(tmp_path / "raw.csv", dtype={"StockCode": str, "Description": str}, parse_dates=["InvoiceDate"])
    assert typed["Customer ID"].dtype.kind == "i"
    typed.to_parquet(tmp_path / "lines.parquet", index=False)
    whole = load_orders(make_config(tmp_path, transactions={"path": "lines.parquet"}))
    assert whole.frame["customer_id"].tolist() == text.frame["customer_id"].tolist() == ["10", "100", "9"]
    pd.testing.assert_frame_equal(whole.frame, text.frame)
    assert list(whole.excluded) == list(text.excluded) == ["7"]
    assert whole.baskets.order_customer.tolist() == text.baskets.order_customer.tolist() == ["9", "10", "100"]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "+09:30", "UTC"])
def test_parquet_instants_are_read_at_the_hour_of_the_zone_the_file_declares(tmp_path, orders, zone):
    """A Parquet column of instants with its zone ('2024-03-01 09:15-08:00'): the hour as the shop's
    clock showed it, as a column of local times gives, whatever zone the machine is in."""
    typed = _typed_lines(tmp_path)
    typed["InvoiceDate"] = typed["InvoiceDate"].dt.tz_localize(zone)
    typed.to_parquet(tmp_path / "lines.parquet", index=False)
    data = load_orders(make_config(tmp_path, transactions={"path": "lines.parquet"}))
    assert_same(summary(data), summary(orders))


def test_a_folder_of_parquet_parts_gives_the_same_result(tmp_path, orders):
    # As Spark writes a table: part files, a _SUCCESS marker and hidden checksums, which are not data.
    typed = _typed_lines(tmp_path)
    folder = tmp_path / "lines"
    folder.mkdir()
    typed.iloc[:7].to_parquet(folder / "part-00000-1.snappy.parquet", index=False)
    typed.iloc[7:].to_parquet(folder / "part-00001-1.snappy.parquet", index=False)
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-00000-1.snappy.parquet.crc").write_bytes(b"not parquet")
    data = load_orders(make_config(tmp_path, transactions={"path": "lines"}))
    assert_same(summary(data), summary(orders))
    assert data.n_lines == 19
    # The folder's digest covers its parts: another split of the same lines is another input.
    (folder / "part-00001-1.snappy.parquet").unlink()
    typed.iloc[7:].to_parquet(folder / "part-00002-1.snappy.parquet", index=False)
    assert load_orders(make_config(tmp_path, transactions={"path": "lines"})).sha256 != data.sha256


def test_a_hive_partitioned_folder_gives_the_same_result(tmp_path, orders):
    # Partition folders (Country=France/...): the partition column comes back from the folder names.
    typed = _typed_lines(tmp_path)
    typed.to_parquet(tmp_path / "lines", partition_cols=["Country"], index=False)
    assert (tmp_path / "lines" / "Country=France").is_dir()
    data = load_orders(make_config(tmp_path, transactions={"path": "lines"}))
    assert_same(summary(data), summary(orders))


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "_delta_log").mkdir(), "is a Delta table"),
    (lambda d: (d / "notes.txt").write_text("x"), "is a folder without Parquet files"),
])
def test_folders_that_are_not_parquet_parts_are_refused(tmp_path, make, message):
    folder = tmp_path / "lines"
    folder.mkdir()
    make(folder)
    with pytest.raises(UserError, match=f"lines: {message}"):
        load_orders(make_config(tmp_path, transactions={"path": "lines"}))


def test_excel_products_map_gives_the_same_categories(tmp_path, orders):
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    pd.DataFrame({"StockCode": ["A1", "b2 ", "C3"], "Category": ["Kitchen", "Home", "Home"]}).to_excel(
        tmp_path / "products.xlsx", index=False)
    data = load_orders(make_config(tmp_path, products="products.xlsx"))
    assert_same(summary(data), summary(orders))


def test_without_a_products_map_spend_is_one_column(tmp_path):
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    data = load_orders(make_config(tmp_path, products=None))
    f = data.frame.set_index("customer_id")
    assert data.columns.spend == {"All products": "Spend"}
    assert f.loc["12", "Spend"] == pytest.approx(38.0)  # 9 + 30 + 4, less the return of 5
    assert f.loc["13", "Spend"] == pytest.approx(18.5)  # 12.5 + 6
    assert not [e for e in data.log if e.column == "category"]
    assert data.baskets.categories == ()


def test_duplicate_lines_can_be_kept(tmp_path):
    data = load(tmp_path, transactions={"duplicate_lines": "keep"})
    dup = next(e for e in data.log if e.step == "duplicates")
    assert (dup.count, dup.action) == (1, "kept (transactions.duplicate_lines: keep)")
    # 12's Kitchen spend counts the repeated 2 x 3.00 line: 6 + 6 + 3 = 15
    assert data.frame.set_index("customer_id").loc["12", "Spend on Kitchen"] == pytest.approx(15.0)


# -- errors: one line, naming the file and the column ------------------------------------------

def error_of(tmp_path, lines: str | None, transactions=None) -> str:
    if lines is not None:
        (tmp_path / "lines.csv").write_text(lines, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_orders(make_config(tmp_path, transactions=transactions, products=None))
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("odd, found", [(",extra", 9), ("", 7)])
def test_a_line_of_more_or_fewer_fields_far_into_the_file_is_named(tmp_path, odd, found):
    """Beyond the lines DuckDB sniffs (20,480), a line of the wrong width stopped the run with a
    traceback; it is named by its number and its text."""
    good = "{},A1,WHITE MUG,1,2024-03-02 09:30,3.00,{},France"
    rows = [HEADER.strip()] + [good.format(1000 + i // 5, i % 700) for i in range(30_000)]
    rows[25_000] = rows[25_000] + odd if odd else rows[25_000].rsplit(",", 1)[0]
    message = error_of(tmp_path, "\n".join(rows) + "\n")
    assert message.startswith(f"{tmp_path / 'lines.csv'}: line 25,001 has {found} fields where the header has 8")
    assert rows[25_000][:40] in message


def test_missing_file(tmp_path):
    message = error_of(tmp_path, None)
    assert "lines.csv" in message and "not found" in message


def test_empty_file(tmp_path):
    message = error_of(tmp_path, "")
    assert "lines.csv" in message and "empty" in message


def test_header_only(tmp_path):
    message = error_of(tmp_path, HEADER)
    assert "lines.csv" in message and "no rows" in message


def test_absent_column_gets_a_hint(tmp_path):
    message = error_of(tmp_path, LINES, {"customer": "CustomerID"})
    assert "lines.csv" in message and "'CustomerID'" in message and "transactions.customer" in message
    assert "did you mean 'Customer ID'?" in message


def test_quantity_column_of_text(tmp_path):
    lines = HEADER + "".join(f"10{i},A1,WHITE MUG,{q},2024-03-02 09:30,3.00,12,UK\n"
                             for i, q in enumerate(["two", "three", "a few", "4", "many"]))
    message = error_of(tmp_path, lines)
    assert "lines.csv" in message and "'Quantity'" in message and "numbers" in message
    assert "4 of 5 lines" in message and "e.g. 'a few'" in message


def test_timestamps_in_no_known_format(tmp_path):
    lines = HEADER + "".join(f"10{i},A1,WHITE MUG,1,{t},3.00,12,UK\n"
                             for i, t in enumerate(["last Tuesday", "March the 2nd", "yesterday"]))
    message = error_of(tmp_path, lines)
    assert "lines.csv" in message and "'InvoiceDate'" in message and "transactions.timestamp_format" in message


def test_timestamps_in_two_formats_name_the_closest_format_and_a_value_it_misses(tmp_path):
    times = ["19/06/2024 10:00", "20/06/2024 11:00", "21/06/2024 12:00", "2024-06-22 10:00"]
    lines = HEADER + "".join(f"10{i},A1,WHITE MUG,1,{t},3.00,12,UK\n" for i, t in enumerate(times))
    message = error_of(tmp_path, lines)
    assert "'InvoiceDate': no one known format reads every date; the closest, '%d/%m/%Y %H:%M', reads 3 of 4 " \
           "distinct values but not e.g. '2024-06-22 10:00'" in message


def test_products_map_without_the_named_column(tmp_path):
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    (tmp_path / "products.csv").write_text("Code,Category\nA1,Kitchen\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_orders(make_config(tmp_path))
    message = str(info.value)
    assert "products.csv" in message and "'StockCode'" in message and "products.product" in message


# -- known faults ----------------------------------------------------------------------------

def test_decimal_commas_are_not_read_as_thousands(tmp_path):
    # A semicolon-separated export with decimal commas: 2 x 2,50 = 5.00 and 1 x 1,25 = 1.25.
    lines = HEADER.replace(",", ";") + ("1001;A1;WHITE MUG;2;2024-03-02 09:30;2,50;12;UK\n"
                                        "1002;A1;WHITE MUG;1;2024-03-03 09:30;1,25;13;UK\n")
    try:
        data = load(tmp_path, lines=lines, products=None)
    except UserError as e:  # refusing the column, naming it, would be honest too
        assert "'Price'" in str(e)
        return
    spend = data.frame.set_index("customer_id")["Spend"]
    assert spend.to_dict() == pytest.approx({"12": 5.0, "13": 1.25})


def test_codes_with_stray_spaces_only_are_counted_as_normalised(tmp_path):
    lines = HEADER + ('1001,"A1 ",WHITE MUG,2,2024-03-02 09:30,3.00,12,UK\n'
                      '1002," A1",WHITE MUG,1,2024-03-03 09:30,3.00,13,UK\n'
                      "1003,A1,WHITE MUG,1,2024-03-04 09:30,3.00,13,UK\n")
    data = load(tmp_path, lines=lines, products=None)
    assert data.baskets.products == ("WHITE MUG",)  # one product: this part holds
    codes = [e for e in data.log if e.step == "odd categories" and e.column == "StockCode"]
    assert [e.count for e in codes] == [2]  # 'A1 ' and ' A1'


def _typo_lines(n: int, typo: str) -> str:
    """n lines of A1 at 3.00 (customer 12), then one at `typo` (customer 13), and B2 at 5.00."""
    rows = [f"10{i:02d},A1,WHITE MUG,1,2024-03-{1 + i:02d} 09:30,3.00,12,UK\n" for i in range(n)]
    return HEADER + "".join(rows) + (f"1099,A1,WHITE MUG,2,2024-03-20 09:30,{typo},13,UK\n"
                                     "1098,B2,RED CANDLE,1,2024-03-20 09:30,5.00,13,UK\n")


def test_a_price_far_above_its_products_median_is_a_typo_not_spend(tmp_path):
    """A mug sold at 3.00 on five lines, then at 300.00 (a price in cents): that line is not used
    and the log says so; 149.00 (under 50 times) is a price, as is anything of a product with fewer
    than 5 lines to judge by, or with the check switched off."""
    def spend(text, **t):
        data = load(tmp_path, lines=text, products=None, transactions=t or None)
        frame = data.frame.set_index("customer_id")
        return frame.loc["13", [c for c in frame.columns if c.startswith("Spend")]].sum(), data.log
    got, log = spend(_typo_lines(5, "300.00"))
    assert got == pytest.approx(5.0)
    (entry,) = [e for e in log if e.detail.startswith("unit price more than")]
    assert (entry.step, entry.count, entry.action) == ("implausible values", 1, "not used")
    assert entry.detail == "unit price more than 50 times its product's median (a typo, e.g. in cents)"
    assert spend(_typo_lines(5, "149.00"))[0] == pytest.approx(5.0 + 298.0)  # 49.7 times: kept
    assert spend(_typo_lines(5, "151.00"))[0] == pytest.approx(5.0)  # 50.3 times: a typo
    assert spend(_typo_lines(4, "300.00"))[0] == pytest.approx(5.0)  # 5 lines with it: judged
    assert spend(_typo_lines(3, "300.00"))[0] == pytest.approx(605.0)  # 4 lines: too few to judge
    assert spend(_typo_lines(5, "300.00"), max_price_ratio=None)[0] == pytest.approx(605.0)


def test_codes_in_mixed_case_each_written_one_way_are_not_normalised(tmp_path):
    """Descriptions used as the product ('Peluche 33'): compared in upper case, but no code has a
    second spelling, so no line changed its product and the log says nothing; 'a1' beside 'A1' does."""
    lines = HEADER + ("1001,Peluche 33,Peluche 33,2,2024-03-02 09:30,3.00,12,UK\n"
                      "1002,Peluche 33,Peluche 33,1,2024-03-03 09:30,3.00,13,UK\n"
                      "1003,Tren Azul,Tren Azul,1,2024-03-04 09:30,3.00,13,UK\n")
    data = load(tmp_path, lines=lines, products=None)
    assert not [e for e in data.log if e.step == "odd categories" and e.column == "StockCode"]
    data = load(tmp_path, lines=lines + "1004,peluche 33,Peluche 33,1,2024-03-05 09:30,3.00,13,UK\n", products=None)
    assert [e.count for e in data.log if e.step == "odd categories" and e.column == "StockCode"] == [3]
    assert len(data.baskets.products) == 2


# -- the whole pipeline on order lines -------------------------------------------------------

def pipeline_lines() -> str:
    """24 customers in two kinds (many cheap weekend-morning orders vs few dear evening orders),
    two customers with no usable line, guest orders, and ids written both as 7 and 7.0."""
    rows = [HEADER.strip()]
    order = 5000
    for c in range(24):
        cheap = c < 12
        for k in range(6 if cheap else 2):
            order += 1
            cid = f"{100 + c}.0" if (c + k) % 2 else str(100 + c)  # each customer both ways
            day = 2 + 7 * (k % 3) if cheap else 5 + (k + c) % 3  # Saturdays vs Tue-Thu
            when = f"2024-03-{day:02d} {'09:15' if cheap else '19:40'}"
            for code, price in ((("A1", 2.0), ("B2", 3.5)) if cheap else (("C3", 40.0 + c), ("D4", 25.0))):
                rows.append(f"{order},{code},ITEM {code},{1 + (c + k) % 3},{when},{price:.2f},{cid},UK")
    rows += ["C6001,A1,ITEM A1,-1,2024-03-04 10:00,2.00,900,UK",  # 900: only a cancellation
             "6002,B2,ITEM B2,-2,2024-03-04 10:00,3.50,901,UK",  # 901: only a return
             "6003,A1,ITEM A1,1,2024-03-12 10:00,2.00,,UK",  # guest order
             "6003,C3,ITEM C3,1,2024-03-12 10:00,41.00,,UK"]
    return "\n".join(rows) + "\n"


def test_pipeline_lists_every_customer_once(tmp_path):
    from analysis.pipeline import analyse

    (tmp_path / "lines.csv").write_text(pipeline_lines(), encoding="utf-8")
    cfg = parse_config({"transactions": {**TRANSACTIONS, "not_products": []},
                        "segmentation": {"algorithm": "kmeans", "k": 2, "min_segments": 2, "stability_resamples": 2},
                        "report": {"min_segment_size": 1}}, "config.yml", base_dir=tmp_path)
    run = analyse(cfg)
    a = run.assignments
    expected = {str(100 + c) for c in range(24)} | {"900", "901"}  # the guest is nobody's row
    assert sorted(a["customer_id"]) == sorted(expected)  # each once: 100.0 and 100 are one customer
    segmented = a["segment"].notna()
    assert (segmented == (a["excluded_reason"] == "")).all()  # a segment or a reason, never both
    assert set(a.loc[~segmented, "customer_id"]) == {"900", "901"}
    assert a.loc[segmented, "segment"].nunique() == 2
    # the two kinds of customer are the two segments
    kind = a.set_index("customer_id")["segment"]
    assert kind[[str(100 + c) for c in range(12)]].nunique() == 1
    assert kind[[str(100 + c) for c in range(12, 24)]].nunique() == 1
    assert run.results.n_input == 26


def _euro_lines() -> str:
    """LINES as a Windows-1252 export writes them: euro signs after the prices, letters beyond Latin-1."""
    import re

    return re.sub(r",(-?\d+\.\d\d),", r",\1 €,", LINES).replace("LAMP", "LAMPE ŒIL")


def _comma_lines() -> str:
    """LINES as a French spreadsheet writes them: ';' between fields, decimal commas, a no-break
    space and the euro sign after each price."""
    import re

    text = LINES.replace(",", ";")
    return re.sub(r";(-?\d+)\.(\d\d);", lambda m: f";{m.group(1)},{m.group(2)}\u00a0€;", text)


def test_a_quantity_written_with_a_dot_reads_as_the_files_prices_write_numbers(tmp_path, orders):
    """One file, one way of writing numbers: beside prices written 3,00 €, a quantity of 2.000 is
    two thousand; beside prices written 3.00 it is two (the quantities alone cannot tell)."""
    want = load(tmp_path, LINES.replace("1001,A1,WHITE MUG,2,", "1001,A1,WHITE MUG,2000,"))
    got = load(tmp_path, _comma_lines().replace("1001;A1;WHITE MUG;2;", "1001;A1;WHITE MUG;2.000;"))
    pd.testing.assert_frame_equal(got.frame, want.frame)
    assert not want.frame.equals(orders.frame)
    dots = load(tmp_path, LINES.replace("1001,A1,WHITE MUG,2,", "1001,A1,WHITE MUG,2.000,"))
    pd.testing.assert_frame_equal(dots.frame, orders.frame)


def _dot_thousand_lines(sep: str = ";") -> str:
    """LINES with every price a thousand times larger, its thousands grouped by a dot and no decimals
    ('3.000' for 3000), as a German spreadsheet's CSV writes formatted whole numbers."""
    import re

    def grouped(m: re.Match) -> str:
        n = round(float(m.group(1)) * 1000)
        return f"{sep}{'-' if n < 0 else ''}{abs(n):,}".replace(",", ".") + sep if n else f"{sep}0{sep}"
    return re.sub(r",(-?\d+\.\d\d),", grouped, LINES).replace(",", sep)


def test_dots_group_thousands_in_a_semicolon_file_unless_a_column_writes_a_decimal_point(tmp_path, orders):
    """A file split by semicolons writes numbers where the comma is the decimal mark: prices written
    '3.000' are three thousand; split by tabs they stay 3 (nothing else tells); beside a quantity
    written 2.5 (a decimal point) they stay 3 too."""
    def spend(data):
        return data.frame.filter(like="Spend on").sum(axis=1).tolist()
    got = load(tmp_path, _dot_thousand_lines(";"))
    assert got.delimiter == ";" and "3.000" in _dot_thousand_lines(";")
    assert spend(got) == pytest.approx([x * 1000 for x in spend(orders)]) and max(spend(orders)) > 0
    tabs = load(tmp_path, _dot_thousand_lines("\t"))
    assert spend(tabs) == pytest.approx(spend(orders))
    point = load(tmp_path, _dot_thousand_lines(";").replace("1005;A1;WHITE MUG;4;", "1005;A1;WHITE MUG;4.5;"))
    assert 0 < max(spend(point)) < 1000


def test_a_product_is_shown_by_its_most_frequent_spelling_and_compared_by_code(tmp_path):
    # A shop writing names in mixed case: shown as written most often, not in capitals; one code, one product.
    lines = HEADER + "".join(f"{o},K1,{n},1,2024-03-0{d} 10:00,4.00,{c},Polska\n" for o, n, d, c in [
        (1, "Kawa ziarnista", 2, 21), (2, "Kawa ziarnista", 3, 22), (3, "KAWA ZIARNISTA", 4, 21),
        (4, "Żurek  domowy", 5, 22), (5, "Żurek domowy", 6, 21), (6, "Żurek domowy", 7, 22)])
    got = load(tmp_path, lines.replace(",K1,Żurek", ",Z2,Żurek"), products=None)
    assert sorted(got.baskets.products) == ["Kawa ziarnista", "Żurek domowy"]
    assert {(e.step, e.column, e.count) for e in got.log if e.action == "normalised"} == {
        ("odd categories", "Description", 1)}  # the double space only: capitals are not an error


def test_spellings_that_differ_only_in_spaces_are_counted_together_for_a_products_name(tmp_path):
    # 'Zupa  dnia' and 'Zupa dnia' are one spelling (2 lines) against 'Barszcz' (1): counted apart,
    # three spellings of one line each would tie and the first alphabetically ('Barszcz') win.
    lines = HEADER + "".join(f"{o},Z1,{n},1,2024-03-0{d} 10:00,4.00,{c},Polska\n" for o, n, d, c in [
        (1, "Zupa  dnia", 2, 21), (2, "Zupa dnia", 3, 22), (3, "Barszcz", 4, 21)])
    assert load(tmp_path, lines, products=None).baskets.products == ("Zupa dnia",)


def test_decimal_commas_with_euro_signs(tmp_path, orders):
    got = load(tmp_path, _comma_lines())
    assert "3,00\u00a0€" in _comma_lines()
    pd.testing.assert_frame_equal(got.frame, orders.frame)  # 3,00 € is 3, not 300
    assert [(e.step, e.count) for e in got.log] == [(e.step, e.count) for e in orders.log]


@pytest.mark.parametrize("gzipped", [False, True])
def test_windows_1252_lines_with_euro_signs(tmp_path, orders, gzipped):
    import gzip

    data = _euro_lines().encode("cp1252")
    name = "lines.csv.gz" if gzipped else "lines.csv"
    (tmp_path / name).write_bytes(gzip.compress(data) if gzipped else data)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    got = load_orders(make_config(tmp_path, transactions={"path": name}))
    assert got.encoding == "cp1252" and b"\x80" in data and b"\x8c" in data  # the euro sign and the OE ligature
    pd.testing.assert_frame_equal(got.frame, orders.frame)  # every price read, every amount the same
    assert "LAMPE ŒIL" in got.baskets.products
    assert [(e.step, e.count) for e in got.log] == [(e.step, e.count) for e in orders.log]


@pytest.mark.parametrize("name", ["lines.csv.gz", "lines.csv", "lines.txt"])
def test_gzipped_lines_are_read_whatever_their_name(tmp_path, orders, name):
    """A download saved without its .gz: known by its bytes, as the customer-table loader knows it."""
    import gzip

    (tmp_path / name).write_bytes(gzip.compress(LINES.encode("utf-8")))
    got = load_orders(make_config(tmp_path, transactions={"path": name}))
    assert_same(summary(got), summary(orders))


def _late_pound_lines(n: int = 1500) -> str:
    """Lines whose first character beyond ASCII ('£') comes after the first 64 KB, all that is sniffed."""
    early = "".join(f"2{i:05d},A1,WHITE MUG,1,2024-03-02 09:30,3.00,{12 + i % 40},United Kingdom\n" for i in range(n))
    late = "".join(f"3{i:05d},B2,CANDLE £5 OFF,1,2024-03-04 10:00,5.00,{12 + i % 40},United Kingdom\n" for i in range(200))
    return HEADER + early + late


@pytest.mark.parametrize("n", [1500, 30000])  # caught while DuckDB sniffs the file, and later while it reads it
def test_windows_1252_beyond_the_sniffed_head_is_read_as_windows_1252(tmp_path, n):
    text = _late_pound_lines(n)
    data = text.encode("cp1252")
    assert data[:1 << 16].isascii() and b"\xa3" in data
    as_utf8 = load(tmp_path, text)
    (tmp_path / "lines.csv").write_bytes(data)
    got = load_orders(make_config(tmp_path))
    assert got.encoding == "cp1252" and "CANDLE £5 OFF" in got.baskets.products
    pd.testing.assert_frame_equal(got.frame, as_utf8.frame)
    assert got.baskets.products == as_utf8.baskets.products
    assert [(e.step, e.count) for e in got.log] == [(e.step, e.count) for e in as_utf8.log]
    # Declared UTF-8, it is not: one line naming the byte and where it is.
    at = data.index(b"\xa3")
    with pytest.raises(UserError, match=rf"lines.csv: is not utf-8 text \(byte b'\\xa3' at about byte "
                                         rf"{at:,}\); set transactions.encoding"):
        load_orders(make_config(tmp_path, transactions={"encoding": "utf-8"}))


def test_a_byte_the_encoding_lacks_is_one_error_line(tmp_path):
    # The first 64 KB (all that is sniffed) read as Windows-1252; a later byte 0x81 has no character there.
    filler = "".join(f"2{i:04d},A1,WHITE MUG €,1,2024-03-02 09:30,3.00,12,United Kingdom\n" for i in range(1500))
    data = (HEADER + filler).encode("cp1252") + b"30000,A1,MUG \x81,1,2024-03-02 09:30,3.00,12,France\n"
    assert len(data) > 1 << 16
    (tmp_path / "lines.csv").write_bytes(data)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    at = data.index(b"\x81")  # the error line says where the byte is
    with pytest.raises(UserError, match=rf"lines.csv: is not cp1252 text \(byte b'\\x81' at about byte "
                                         rf"{at:,}\); set transactions.encoding"):
        load_orders(make_config(tmp_path))


NUMBER_COLUMNS = {  # each list one column of a file; the customer-table loader's reading is the reference
    "comma decimals": ["13,90 €", "€ 4,90", "1.234,50 €", "(12,50)", "-€3,10", "EUR 7,00", "5 %", "12", "2,5",
                       "1.234", "3,125", "7,5\u00a0€", "", "n/a", "1 234,56 €", "12\u202f345,6", "1 2345,6",
                       "10,00 zł", "PLN 39.149,91", "1 234,50 Kč", "990 Ft", "3,50 lei"],
    "dot decimals": ["$1,234.50", "12.00 $", "1,234", "USD 3", "12,5", "1e3", "(7.25)", "£ 0.99", "-2", "8 kr",
                     "1,234,567.5", "", "NULL", "1'234.50 CHF", "CHF 12’345", "1 234 567", "₺12.5", "₩1,000",
                     "NOK 4.50", "1,280円", "￥1,280", "\\1,280", "¥980", "980 円", "128.00元"],
    "commas only, three digits after each": ["1,234", "12,345", "7", "£1,000"],  # thousands, as in a spreadsheet
    # Every dot before three digits, and whole numbers up to 999 without one: the dots group thousands.
    "dots before three digits beside hundreds": ["987", "2.486", "1.001", "31", "12.990 TL", "TL 1.025", "", "n/a",
                                                 "450", "1.234.567"],
    # ... but not beside a number below 1, nor beside whole numbers that stay below 100 (a score of 4.500).
    "three decimals beside a fraction": ["0.987", "2.486", "1.001", "450"],
    "three decimals beside small whole numbers": ["4.500", "3", "2.250", "99"],
}
COMMA_KINDS = ("comma decimals", "dots before three digits beside hundreds")


@pytest.mark.parametrize("kind", list(NUMBER_COLUMNS))
def test_numbers_in_order_lines_are_read_as_in_customer_tables(kind, monkeypatch):
    """Prices as text, with currency signs and codes before or after, spaces (no-break ones too),
    accounting negatives, thousands and decimal separators: the order lines' SQL reads each column
    as cleaning.to_numbers reads it, one convention per column ('13,90 €' is 13.9, not 1390).
    (The columns mix currencies to try every sign; a real file doing so is refused, see below.)"""
    import duckdb
    import numpy as np

    from analysis.ingest import orders as orders_module
    from analysis.ingest.cleaning import to_numbers
    from analysis.ingest.orders import _number, _written, decimal_conventions
    monkeypatch.setattr(orders_module, "one_currency", lambda *a: None)
    values = NUMBER_COLUMNS[kind]
    con = duckdb.connect()
    con.execute("CREATE TABLE src (x VARCHAR)")
    con.executemany("INSERT INTO src VALUES (?)", [[v] for v in values])
    comma = decimal_conventions({"x": _written(con, "x")})["x"]
    assert comma == (kind in COMMA_KINDS)
    got = np.array([r[0] for r in con.execute(f"SELECT {_number('x', False, comma)} FROM src").fetchall()], dtype=float)
    want = to_numbers(pd.Series(values, dtype="string")).to_numpy(dtype=float)
    assert np.array_equal(got, want, equal_nan=True), list(zip(values, got, want))
    assert np.isfinite(got).sum() >= len(values) - 3


MIXED_CURRENCIES = [("$3.00", "£5.00"), ("3.00 €", "5.00 USD"), ("3.00 kr", "CHF 5.00"), ("3.00 zł", "5.00 CZK"),
                    ("3.00 kr", "5.00 SEK"), ("3.00円", "$5.00")]  # the Nordic crowns all write 'kr': a code beside it may be another


@pytest.mark.parametrize("signs", MIXED_CURRENCIES)
def test_amounts_in_two_currencies_are_refused_with_one_line(tmp_path, orders, signs):
    """$ and £ (or € and USD) in one price column cannot be added up: one error line naming the
    file, the column and the signs. One currency written two ways ($ and USD) is read."""
    same = LINES.replace(",3.00,", ",$3.00,").replace(",5.00,", ",USD 5.00,")
    pd.testing.assert_frame_equal(load(tmp_path, same).frame, orders.frame)
    zloty = LINES.replace(",3.00,", ",3.00 zł,").replace(",5.00,", ",PLN 5.00,")
    pd.testing.assert_frame_equal(load(tmp_path, zloty).frame, orders.frame)
    # The yen as Japanese files write it, three ways (the backslash is Shift-JIS's yen byte): one currency.
    yen = LINES.replace(",3.00,", ",3.00円,").replace(",5.00,", ",￥5.00,").replace(",20.00,", ",\\20.00,")
    pd.testing.assert_frame_equal(load(tmp_path, yen).frame, orders.frame)
    yuan = LINES.replace(",3.00,", ",3.00元,").replace(",5.00,", ",¥5.00,")  # the yuan, as Chinese shops write it
    pd.testing.assert_frame_equal(load(tmp_path, yuan).frame, orders.frame)
    mixed = LINES.replace(",3.00,", f",{signs[0]},").replace(",5.00,", f",{signs[1]},")
    message = error_of(tmp_path, mixed)
    assert "lines.csv: column 'Price' holds amounts in more than one currency" in message
    assert "convert them to one currency first" in message


def test_excel_lines_give_the_same_result(tmp_path, orders):
    import io

    frame = pd.read_csv(io.StringIO(LINES), dtype=str, keep_default_na=False)
    with pd.ExcelWriter(tmp_path / "lines.xlsx") as w:
        pd.DataFrame({"note": ["not the lines"]}).to_excel(w, sheet_name="About", index=False)
        frame.to_excel(w, sheet_name="Lines", index=False)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    got = load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx", "sheet": "Lines"}))
    pd.testing.assert_frame_equal(got.frame, orders.frame)
    assert got.log == orders.log and got.excluded == orders.excluded and got.delimiter == "excel"
    # Without a sheet named, the one with the most filled cells: the lines, not the note before them.
    default = load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx"}))
    pd.testing.assert_frame_equal(default.frame, orders.frame)
    with pytest.raises(UserError, match=r"lines.xlsx: column 'Customer ID' \(transactions.customer in the config\) is not in"):
        load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx", "sheet": "About"}))


def test_excel_lines_split_over_sheets_of_the_same_columns_are_read_together(tmp_path, orders):
    """Online Retail II comes as one workbook with a sheet per year (a sheet holds at most 1,048,576
    rows): reading the largest sheet alone dropped the other year's lines without a word."""
    import io

    from analysis.ingest.drafting_orders import draft_orders_config

    frame = pd.read_csv(io.StringIO(LINES), dtype=str, keep_default_na=False)
    with pd.ExcelWriter(tmp_path / "lines.xlsx") as w:
        frame.iloc[:8].to_excel(w, sheet_name="Year 1", index=False)
        pd.DataFrame({"note": ["not the lines"]}).to_excel(w, sheet_name="About", index=False)
        frame.iloc[8:].to_excel(w, sheet_name="Year 2", index=False)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    said = []
    got = load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx"}), progress=said.append)
    pd.testing.assert_frame_equal(got.frame, orders.frame)
    assert got.log == orders.log and got.excluded == orders.excluded
    assert any("sheets 'Year 1', 'Year 2' have the same columns: read as one table of 19 lines" in x for x in said)
    one = load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx", "sheet": "Year 2"}))
    assert len(one.frame) < len(orders.frame)  # a sheet named is read alone
    draft = draft_orders_config(tmp_path / "lines.xlsx")
    assert "read from the Excel sheets 'Year 1', 'Year 2', which have the same columns" in draft
    assert "\n  sheet:" not in draft and "19 order lines" in draft


def _zoned_lines() -> str:
    """LINES with a zone after every time, in the styles shops write: +0100, -05:00, Z, +02."""
    import re

    zones = [" +0100", "-05:00", "Z", " +02", "+0530"]
    times = sorted(set(re.findall(r"2024-\d\d-\d\d \d\d:\d\d", LINES)))  # one zone per time: duplicates stay duplicates
    return re.sub(r"(2024-\d\d-\d\d \d\d:\d\d)", lambda m: m.group(1) + zones[times.index(m.group(1)) % 5], LINES)


@pytest.mark.parametrize("fmt", [None, "%Y-%m-%d %H:%M%z"])
def test_times_with_a_zone_are_read_as_written(tmp_path, orders, fmt):
    """The zone is dropped and the time kept as written (the customer's local hour), whether the
    format is detected or given with %z: the same customers, habits and recency as without zones."""
    assert all(z + "," in _zoned_lines() for z in (" +0100", "-05:00", "Z", " +02", "+0530"))
    got = load(tmp_path, _zoned_lines(), transactions={"timestamp_format": fmt} if fmt else None)
    pd.testing.assert_frame_equal(got.frame, orders.frame)
    assert got.reference_date == orders.reference_date


def _status_lines() -> str:
    """LINES with a Status column: order 1005 refunded, said on its first line only (as shops write
    it); the rest completed or blank."""
    out, seen = [], False
    for line in LINES.splitlines():
        if line.startswith("Invoice,"):
            out.append(line + ",Status")
        elif line.startswith("1005,") and not seen:
            out.append(line + ",Refunded")
            seen = True
        else:
            out.append(line + ("," if line.startswith("1005,") else ",completed"))
    return "\n".join(out) + "\n"


def test_two_digit_years_are_found_and_read_in_their_century(tmp_path):
    """'03/02/24 09:30' with no timestamp_format: a two-digit year (2024), not the year 24, nor the
    year 3 (DuckDB's own cast reads it so; it is tried on ISO-looking values only)."""
    import re
    us = re.sub(r"(\d{4})-(\d\d)-(\d\d) ", lambda m: f"{m[2]}/{m[3]}/{m[1][2:]} ", LINES)
    got = load(tmp_path, us)
    assert got.reference_date.year == 2024 and got.frame["Orders"].sum() > 0
    assert got.frame["First order"].min().year == 2024
    sixties = load(tmp_path, us.replace("/24 ", "/69 "))
    assert sixties.reference_date.year == 1969


def test_a_status_in_capitals_matches_the_configured_word_whatever_its_sigma(tmp_path):
    """'ΑΚΥΡΩΜΕΝΟΣ' in the lines is the configured 'ακυρωμενος' (DuckDB lowers the last Σ to σ, Python
    to ς); 'İPTAL' is 'iptal'."""
    lines = _status_lines().replace(",Refunded", ",ΑΚΥΡΩΜΕΝΟΣ").replace(",completed", ",İPTAL", 1)
    got = load(tmp_path, lines, transactions={"status": "Status", "cancelled_statuses": ["ακυρωμενος", "iptal"],
                                              "cancelled_prefix": None})
    cancelled = next(e for e in got.log if e.step == "cancellations")
    assert cancelled.count == 3 + 4  # the three lines of 1005, and the four of 1001 (its first line says İPTAL)
    assert not [e for e in got.log if e.step == "order statuses" and "ακυρωμεν" in e.detail]


def test_an_order_with_a_cancelled_status_on_any_line_is_a_cancellation(tmp_path, orders):
    got = load(tmp_path, _status_lines(), transactions={"status": "Status"})
    cancelled = next(e for e in got.log if e.step == "cancellations")
    assert cancelled.count == 5  # C1003, C1007 and the three lines of 1005 (one of them priced zero)
    assert cancelled.detail.startswith("cancelled order: 3 orders whose id starts with 'C' or with a line whose Status is ")
    c13 = got.frame.set_index("customer_id").loc["13"]
    assert c13["Orders"] == 1 and orders.frame.set_index("customer_id").loc["13", "Orders"] == 2
    # The values let through as sales are listed, most lines first: a word for cancelled no list holds is seen.
    (sales,) = [e for e in got.log if e.step == "order statuses"]
    assert (sales.column, sales.action) == ("Status", "counted as sales")
    assert sales.detail.startswith("lines whose status is none of cancelled_statuses or returned_statuses: completed (")
    other = load(tmp_path, _status_lines().replace(",completed", ",Anulado-X", 2), transactions={"status": "Status"})
    (sales2,) = [e for e in other.log if e.step == "order statuses"]
    assert "completed (7 lines), anulado-x (1 line);" in sales2.detail and sales2.count == sales.count  # 1 of 2 kept
    # Published, a value on fewer lines than the minimum group size is only counted.
    assert sales.public_detail.startswith("lines whose status is none of cancelled_statuses or returned_statuses: "
                                          "no value shown and 1 more;")  # 8 lines, under the minimum of 10
    from analysis.ingest.orders import sales_statuses
    t = make_config(tmp_path, transactions={"status": "Status"}).transactions
    (entry,) = sales_statuses(t, 10, [("done", 10), ("odd", 9), (None, 3)])
    assert entry.count == 19 and "done (10 lines), odd (9 lines);" in entry.detail
    assert "done (10 lines) and 1 more;" in entry.public_detail
    (entry,) = sales_statuses(t, 9, [("done", 10), ("odd", 9)])
    assert entry.public_detail is None
    # Without the status column named, the same lines are read as before.
    pd.testing.assert_frame_equal(load(tmp_path, _status_lines()).frame, orders.frame)
    assert "'Staus' (transactions.status in the config)" in error_of(tmp_path, _status_lines(), {"status": "Staus"})


def test_a_line_whose_status_says_returned_is_no_sale_while_its_order_counts(tmp_path, orders):
    """Customer 12's red candle in order 1001 came back (status 'Devuelto', any case): its 5.00 is
    not spent, the mug and the toy of the same order still are, so the order still counts."""
    text = _status_lines().replace("1001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,12.0,United Kingdom,completed",
                                   "1001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,12.0,United Kingdom,Devuelto")
    assert text != _status_lines()
    got = load(tmp_path, text, transactions={"status": "Status"})
    before = load(tmp_path, _status_lines(), transactions={"status": "Status"})
    (entry,) = [e for e in got.log if e.detail.startswith("returned (its status")]
    assert (entry.step, entry.count, entry.action) == ("returns", 1, "not used")
    new, old = got.frame.set_index("customer_id"), before.frame.set_index("customer_id")
    spend = [c for c in old.columns if c.startswith("Spend")]
    assert old.loc["12", spend].sum() - new.loc["12", spend].sum() == pytest.approx(5.0)
    assert new.loc["12", "Orders"] == old.loc["12", "Orders"] == 2
    assert new.drop(index="12").equals(old.drop(index="12"))
    # A status column's returned values are read only when the config names them.
    none = load(tmp_path, text, transactions={"status": "Status", "returned_statuses": []})
    assert none.frame.set_index("customer_id").loc["12", spend].sum() == old.loc["12", spend].sum()


def test_dates_without_a_time_of_day_make_no_morning_or_evening_shares(tmp_path):
    """Every order at 00:00 (a date only): 100% 'in the morning' would be read as a habit; those two
    shares are left out and the log says why. Weekends still count. One timed order keeps them."""
    lines = HEADER + "".join(f"10{i},A1,WHITE MUG,1,2024-03-0{1 + i % 7},3.00,{12 + i % 3},UK\n" for i in range(9))
    data = load(tmp_path, lines)
    assert [c for c in data.frame.columns if c.startswith("Orders ")] == ["Orders at weekends"]
    assert list(data.columns.habits) == ["at weekends"]
    (entry,) = [e for e in data.log if e.step == "not used" and e.action != "seasons not looked for"]
    assert (entry.column, entry.count, entry.action) == ("InvoiceDate", 9, "morning and evening shares not made")
    timed = load(tmp_path, lines.replace("2024-03-01,", "2024-03-01 00:00:01,"))
    assert "Orders in the morning (before 12:00)" in timed.frame.columns and len(timed.columns.habits) == 3
    assert [e.action for e in timed.log if e.step == "not used"] == ["seasons not looked for"]


def test_a_line_total_instead_of_a_unit_price_gives_the_same_customers(tmp_path):
    """transactions.amount: the line's total (quantity x price), as sales exports write it; the
    price is the total over the quantity, and every count and sum is the unit-price file's."""
    by_price = load(tmp_path)
    header, *rows = LINES.splitlines()
    totals = [header + ",Amount"]
    for row in rows:
        f = row.split(",")
        qty, price = to_numbers(pd.Series([f[3], f[5]], dtype="string")).tolist()
        totals.append(row + "," + ("" if pd.isna(qty) or pd.isna(price) else f"{qty * price:.2f}"))
    by_total = load(tmp_path, "\n".join(totals) + "\n", transactions={"unit_price": None, "amount": "Amount"})
    pd.testing.assert_frame_equal(by_total.frame, by_price.frame, check_exact=False, rtol=1e-9)
    assert entries(by_total) == entries(by_price)
    with pytest.raises(UserError, match="give unit_price .* or amount .*, not both"):
        make_config(tmp_path, transactions={"amount": "Amount"})


def test_without_an_order_id_an_order_is_a_customers_lines_at_one_time(tmp_path, orders):
    """transactions.order left out (CDNOW-style exports): each customer's lines at one date and
    time are one order. In LINES every invoice has its own time, so customers come out the same;
    the 'C' invoices are then plain returns (12's two mugs of C1003 come off its kitchen spend), and
    the guest's lines (no customer, so no order) are set aside instead of making a basket."""
    lines = "".join(row.split(",", 1)[1] + "\n" for row in LINES.splitlines())
    got = load(tmp_path, lines, transactions={"order": None, "cancelled_prefix": None},
               report={"reference_date": "2024-03-12"})  # the guest's line had set it
    expected = orders.frame.copy()
    expected.loc[expected["customer_id"] == "12", "Spend on Kitchen"] = 9.0 - 2 * 3.0
    pd.testing.assert_frame_equal(got.frame, expected)
    assert got.excluded == {"14": "no usable order line: return (negative quantity)",
                            "15": "no usable order line: return (negative quantity)"}
    log = {(e.step, e.count) for e in got.log}
    assert ("returns", 4) in log and not any(s == "cancellations" for s, _ in log)
    (missing,) = [e for e in got.log if e.column == "order lines" and e.step == "missing values"]
    assert (missing.count, missing.detail) == (2, "no customer id to make its order of (no order column)")
    # B2's two spellings now have one usable line each: the tie goes to the first in order.
    assert basket_contents(got.baskets) == [
        ("12", ("CANDLE RED", "TOY", "WHITE MUG")), ("12", ("LAMP", "WHITE MUG")),
        ("13", ("CANDLE RED",)), ("13", ("WHITE MUG",))]
    # Two invoices of one customer at one time are one order: 1006 moved to 1005's time.
    merged = load(tmp_path, lines.replace("2024-03-10 08:00", "2024-03-07 14:00"),
                  transactions={"order": None, "cancelled_prefix": None})
    assert merged.frame.set_index("customer_id").loc["13", "Orders"] == 1
    assert ("13", ("CANDLE RED", "WHITE MUG")) in basket_contents(merged.baskets)
    with pytest.raises(UserError, match="cancelled_prefix marks order ids"):
        make_config(tmp_path, transactions={"order": None, "cancelled_prefix": "C"})
    # The default prefix does not apply without an order column.
    assert make_config(tmp_path, transactions={"order": None}).transactions.cancelled_prefix == "C"


def test_without_a_product_column_customers_and_spend_are_read_and_no_baskets_are_mined(tmp_path):
    """transactions.product left out (a sales ledger of amounts only): every line is of one product.
    Orders, spend and every other measure are those of the same lines read with their products,
    but for products per order (1); the log says no baskets are mined, and the report has no
    baskets page."""
    from analysis.cli import main

    plain = {"not_products": []}
    with_products = load(tmp_path, transactions=plain, products=None)
    without = load(tmp_path, transactions={**plain, "product": None, "product_name": None}, products=None)
    a, b = with_products.frame, without.frame
    assert (b["Products per order"] == 1).all() and not (a["Products per order"] == 1).all()
    pd.testing.assert_frame_equal(a.drop(columns="Products per order"), b.drop(columns="Products per order"))
    note = [e for e in without.log if e.action == "no baskets or rules"]
    assert len(note) == 1 and note[0].count == int(b["Orders"].sum()) == 4
    assert not any(e.step == "odd categories" for e in without.log)
    assert without.baskets.products == ("ALL PRODUCTS",)
    with pytest.raises(UserError, match="'products' maps the order lines' products: name their column"):
        make_config(tmp_path, transactions={"product": None})
    # The whole report: customers segmented, no baskets page.
    many = HEADER + "".join(f"{1000 + i},A{i % 5},X,{1 + i % 3},2024-03-{1 + i % 28:02d} 10:00,{2 + i % 7}.50,{i % 60},UK\n"
                            for i in range(600))
    (tmp_path / "many.csv").write_text(many, encoding="utf-8")
    cfg = {"transactions": {**TRANSACTIONS, "path": "many.csv", "product": None, "product_name": None,
                            "not_products": []}, "segmentation": {"k": 2}}
    (tmp_path / "many.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["report", "--config", str(tmp_path / "many.yml"), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    site = tmp_path / "out" / "site"
    assert (site / "index.html").exists() and not (site / "baskets.html").exists()
    assert "no baskets or rules" in (site / "data-quality.html").read_text(encoding="utf-8")


def test_without_a_product_column_no_line_is_judged_a_price_typo(tmp_path):
    """Card transactions name no product: a 2,500 flight among 40 grocery payments is a purchase, not a
    price typed in cents. The same line of a product whose other lines cost 40 is one."""
    rows = "".join(f"{1000 + i},A1,GROCERIES,1,2024-03-{1 + i % 28:02d} 10:00,{40 + i % 5}.00,{i % 4},UK\n"
                   for i in range(20))
    lines = HEADER + rows + "2000,A1,GROCERIES,1,2024-03-29 10:00,2500.00,1,UK\n"
    typo = "unit price more than 50 times its product's median (a typo, e.g. in cents)"
    named = load(tmp_path, lines=lines, transactions={"not_products": []}, products=None)
    assert [e.count for e in named.log if e.detail == typo] == [1]
    unnamed = load(tmp_path, lines=lines, transactions={"not_products": [], "product": None, "product_name": None},
                   products=None)
    assert not any(e.detail == typo for e in unnamed.log)
    assert unnamed.frame["Orders"].sum() == 21


def test_a_negative_amount_without_a_quantity_is_a_refund_taken_off_the_spend(tmp_path):
    """Card transactions: an amount per line and no quantity. -30.00 is a refund of a purchase, taken
    off the customer's spend as a return is, not a line set aside for its price."""
    lines = HEADER + "".join(f"{1000 + i},A1,GROCERIES,1,2024-03-{1 + i:02d} 10:00,{p},7,UK\n"
                             for i, p in enumerate(["50.00", "20.00", "-30.00"]))
    data = load(tmp_path, lines=lines, products=None,
                transactions={"not_products": [], "quantity": None, "unit_price": None, "amount": "Price"})
    frame = data.frame.set_index("customer_id")
    assert frame.loc["7", [c for c in frame.columns if c.startswith("Spend")]].sum() == pytest.approx(40.0)
    assert frame.loc["7", "Orders"] == 2
    assert [e.count for e in data.log if e.detail == "return (negative quantity)"] == [1]
    assert not any("negative" in e.detail and "price" in e.detail for e in data.log)


def test_napoli_among_province_codes_is_a_province_not_a_missing_value(tmp_path):
    """An Italian e-shop's Provincia column: NA (Napoli) beside MI, RM, TO is a code; in a column of
    country names 'NA' is still missing."""
    def provinces(codes: list[str]) -> dict[str, str]:
        lines = HEADER + "".join(f"{1000 + i},A1,MUG,1,2024-03-{1 + i:02d} 10:00,3.00,{i},{c}\n" for i, c in enumerate(codes))
        data = load(tmp_path, lines=lines, products=None, transactions={"not_products": []})
        return dict(zip(data.frame["customer_id"], data.frame["Country"]))
    assert provinces(["NA", "MI", "RM", "TO", "NA"]) == {"0": "NA", "1": "MI", "2": "RM", "3": "TO", "4": "NA"}
    assert provinces(["NA", "Italy", "France", "Spain"])["0"] == ""  # missing: cleaning makes it 'Unknown'
    assert provinces(["na", "MI", "RM", "TO"])["0"] == ""  # a marker in lower case is no code


def test_one_cancelled_order_is_one_order(tmp_path):
    from analysis.ingest.orders import cancelled_detail
    t = make_config(tmp_path, transactions={"status": "Status", "cancelled_prefix": None}).transactions
    assert cancelled_detail(1, t).startswith("1 order with a line whose Status is ")
    assert cancelled_detail(2, t).startswith("2 orders with a line whose Status is ")
    # The built-in list (many languages) is pointed to, not spelt out; a short list of one's own is.
    from analysis.config import CANCELLED_STATUSES
    assert cancelled_detail(2, t) == (f"2 orders with a line whose Status is one of the {len(CANCELLED_STATUSES)} "
                                      "transactions.cancelled_statuses (cancelled, canceled, refunded, failed, voided, "
                                      "unavailable, ...)")
    six = t.model_copy(update={"cancelled_statuses": ["a", "b", "c", "d", "e", "f"]})
    assert cancelled_detail(1, six) == "1 order with a line whose Status is a, b, c, d, e, f"


OWNED = LINES + (
    "1005,C3,LAMP,1,2024-03-07 14:00,20.00,,France\n"  # 13's order 1005: the lamp is 13's
    "1010,A1,WHITE MUG,1,2024-03-08 10:00,3.00,12,UK\n"  # an order of two customers: its blank line stays blank
    "1010,B2,RED CANDLE,1,2024-03-08 10:00,5.00,13,UK\n"
    "1010,C3,LAMP,1,2024-03-08 10:00,20.00,,UK\n"
)


def test_a_line_without_a_customer_in_a_customers_order_is_theirs(tmp_path, orders):
    """A blank customer id on one line of an order whose other lines name one customer: that
    customer's line (its money in their spend), logged; a guest order, or an order of two
    customers, stays without one (baskets only)."""
    got = load(tmp_path, OWNED)
    entry = next(e for e in got.log if e.action == "taken from the order's other lines")
    assert (entry.step, entry.column, entry.count) == ("missing values", "Customer ID", 1)
    blank = next(e for e in got.log if e.action == "used for baskets only")
    assert blank.count == 3  # the guest order's two lines and 1010's lamp
    f, before = got.frame.set_index("customer_id"), orders.frame.set_index("customer_id")
    assert f.loc["13", "Spend on Home"] == before.loc["13", "Spend on Home"] + 20.0 + 5.0  # the lamp, 1010's candle
    assert f.loc["13", "Orders"] == before.loc["13", "Orders"] + 1  # 1010 only: the lamp was in 1005
    assert f.loc["12", "Spend on Home"] == before.loc["12", "Spend on Home"]  # 1010's lamp is no one's
    assert not any(e.action == "taken from the order's other lines" for e in orders.log)  # nothing to fill


def test_lines_without_prices_count_what_customers_bought_in_units(tmp_path, orders):
    """unit_price: null (a till roll of member, date and item, the Groceries table's shape): no price
    rule sets a line aside, each category's amount is its units net of returns, and no money is
    made up: no spend column, and no product value for the offers."""
    got = load(tmp_path, transactions={"unit_price": None})
    assert not [e for e in got.log if "price" in e.detail]  # the zero and negative prices are no reason now
    returned = next(e for e in got.log if e.detail == "return (negative quantity)")
    assert (returned.count, returned.action) == (2, "taken off the customer's units in its category (not an order)")
    assert got.columns.spend == {} and got.columns.units == {
        c: f"Units of {c}" for c in ("Home", "Kitchen", "Uncategorised")}
    assert not [c for c in got.frame.columns if "Spend" in c]
    f = got.frame.set_index("customer_id")
    # 12: mugs 2 + 1 (Kitchen); candle 1, lamp 1, candle back -1 (Home); toy 1 (Uncategorised).
    # 13: mugs 4 + 1; candles 2 + 1 and a lamp, the zero- and negative-priced lines kept.
    assert f.loc["12", ["Units of Kitchen", "Units of Home", "Units of Uncategorised"]].tolist() == [3, 1, 1]
    assert f.loc["13", ["Units of Kitchen", "Units of Home", "Units of Uncategorised"]].tolist() == [5, 4, 0]
    assert f.loc["13", "Orders"] == orders.frame.set_index("customer_id").loc["13", "Orders"] == 2
    assert got.baskets.products == orders.baskets.products and pd.isna(got.baskets.product_value).all()
    # A price column is named or null is written out: a forgotten key is not read as no prices.
    with pytest.raises(UserError, match="write unit_price: null if the lines carry no price"):
        parse_config({"transactions": {k: v for k, v in TRANSACTIONS.items() if k != "unit_price"}}, "c.yml",
                     base_dir=tmp_path)


def test_excel_date_cells_are_read_beside_a_configured_format(tmp_path, orders):
    """Times typed as date cells come as ISO text: read as they are, where the configured format
    (for times typed as text) does not fit, with the same result as the text file."""
    import io

    frame = pd.read_csv(io.StringIO(LINES), dtype=str, keep_default_na=False)
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    frame.to_excel(tmp_path / "lines.xlsx", index=False)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    got = load_orders(make_config(tmp_path, transactions={"path": "lines.xlsx", "timestamp_format": "%d/%m/%Y %H:%M"}))
    pd.testing.assert_frame_equal(got.frame, orders.frame)
    assert got.log == orders.log


def _guest_lines(zero_orders: int) -> str:
    """Customers 11 to 15 with two orders each, guest checkouts under 'Guest' and 'walk-in', and
    customer '0' with `zero_orders` orders."""
    rows, n = [], 0
    buyers = [str(c) for c in range(11, 16) for _ in range(2)] + ["Guest"] * 3 + ["walk-in"] + ["0"] * zero_orders
    for i, who in enumerate(buyers):
        n += 1
        rows.append(f"5{n:04d},A1,WHITE MUG,1,2024-03-{1 + i % 27:02d} 09:30,3.00,{who},France\n")
        rows.append(f"5{n:04d},B2,RED CANDLE,2,2024-03-{1 + i % 27:02d} 09:30,5.00,{who},France\n")
    return HEADER + "".join(rows)


@pytest.mark.parametrize("zero_orders, zero_kept", [(21, False), (20, True)])
def test_guest_checkout_ids_are_not_one_customer(tmp_path, zero_orders, zero_kept):
    """'Guest' and 'walk-in' are everyone who bought without an account: listed as excluded, their
    orders kept for baskets. An id of zeros is such a placeholder only when it holds over 10 times
    the orders of the busiest other customer (here 2)."""
    from analysis.ingest.orders import GUEST

    data = load(tmp_path, _guest_lines(zero_orders))
    ids = set(data.frame["customer_id"])
    assert {"11", "15"} <= ids and not {"Guest", "walk-in"} & ids and ("0" in ids) == zero_kept
    assert data.excluded == {"Guest": GUEST, "walk-in": GUEST, **({} if zero_kept else {"0": GUEST})}
    orders = data.baskets.order_customer
    assert list(orders).count("Guest") == 3 and list(orders).count("0") == zero_orders


def _email_lines() -> str:
    who = ["Ann@Shop.com", "ann@shop.com", "ann@shop.com", "bob@mail.de", "Bob@Mail.de", "eve@web.fr", "Guest"]
    return HEADER + "".join(f"6{i:03d},A1,WHITE MUG,1,2024-03-{1 + i:02d} 09:30,3.00,{w},France\n" for i, w in enumerate(who))


def test_email_ids_written_in_two_cases_are_one_customer(tmp_path):
    data = load(tmp_path, _email_lines())
    assert sorted(data.frame["customer_id"]) == ["ann@shop.com", "bob@mail.de", "eve@web.fr"]
    assert data.frame.set_index("customer_id").loc["ann@shop.com", "Orders"] == 3
    entry = next(e for e in data.log if e.action == "compared in lower case")
    assert (entry.column, entry.count) == ("Customer ID", 2)
    # Ids that are not e-mail addresses keep their case: a system may tell 'a1' from 'A1'.
    data = load(tmp_path, _email_lines().replace("@", "-at-"))
    assert len(data.frame) == 5 and not [e for e in data.log if e.action == "compared in lower case"]


def _cdnow(rows: int = 60) -> str:
    """CDNOW_master.txt's layout: no header, columns aligned by runs of spaces (customer, date as
    eight digits, units, the line's total)."""
    out = []
    for i in range(rows):
        customer, day, units = 1 + i % 17, 1 + (i * 7) % 28, 1 + i % 3
        out.append(f"{customer:>5} 1997{1 + i % 12:02d}{day:02d} {units:>3} {units * (11.77 + i % 5):>7.2f}")
    return "\n".join(out) + "\n"


def test_a_fixed_width_file_without_a_header_is_drafted_and_read_as_the_same_lines_with_one(tmp_path):
    """CDNOW's order lines: before, init and report stopped on 'only one column found'; now the runs of
    spaces split the columns, the first line of numbers is data (named column 1, column 2, ...), and the
    draft finds each role by its values."""
    from analysis.ingest.drafting_orders import draft_orders_config

    (tmp_path / "CDNOW_master.txt").write_text(_cdnow(), encoding="utf-8")
    draft = draft_orders_config(tmp_path / "CDNOW_master.txt", config_dir=tmp_path)
    cfg = parse_config(yaml.safe_load(draft), "draft.yml", base_dir=tmp_path)
    t = cfg.transactions
    assert (t.delimiter, t.header) == ("whitespace", False)
    assert (t.customer, t.timestamp, t.timestamp_format, t.quantity, t.amount) == (
        "column 1", "column 2", "%Y%m%d", "column 3", "column 4")
    got = load_orders(cfg)
    # The same lines as a CSV with a header, named by the draft's columns.
    csv_text = "column 1,column 2,column 3,column 4\n" + "".join(",".join(line.split()) + "\n" for line in _cdnow().splitlines())
    (tmp_path / "lines.csv").write_text(csv_text, encoding="utf-8")
    same = load_orders(parse_config({"transactions": {**t.model_dump(exclude={"path", "delimiter", "header"}),
                                                      "path": "lines.csv"}}, "c.yml", base_dir=tmp_path))
    pd.testing.assert_frame_equal(got.frame, same.frame)
    assert len(got.frame) == 17 and got.n_lines == 60


def test_a_headerless_csv_and_a_fixed_width_file_with_a_header(tmp_path):
    plain = "".join(",".join(line.split()) + "\n" for line in _cdnow().splitlines())
    (tmp_path / "a.csv").write_text(plain, encoding="utf-8")
    roles = {"customer": "column 1", "timestamp": "column 2", "quantity": "column 3", "amount": "column 4"}
    a = load_orders(parse_config({"transactions": {"path": "a.csv", "header": False, **roles}}, "c.yml", base_dir=tmp_path))
    (tmp_path / "b.txt").write_text("  cust        day  units  total\n" + _cdnow(), encoding="utf-8")
    b = load_orders(parse_config({"transactions": {"path": "b.txt", "customer": "cust", "timestamp": "day",
                                                   "quantity": "units", "amount": "total"}}, "c.yml", base_dir=tmp_path))
    assert b.delimiter == "whitespace" and len(a.frame) == len(b.frame) == 17
    assert np.allclose(np.sort(a.frame.select_dtypes("number").to_numpy(), axis=0),
                       np.sort(b.frame.select_dtypes("number").to_numpy(), axis=0), equal_nan=True)
    # A value with a space in it splits into one field too many: one line naming it, not shifted columns.
    (tmp_path / "c.txt").write_text(_cdnow() + "    3 19970105   1   1 1.50\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"c.txt: 1 line\(s\) do not split into 4 fields at runs of spaces, e.g. '3 19970105 1 1 1.50'"):
        load_orders(parse_config({"transactions": {"path": "c.txt", "header": False, "delimiter": "whitespace", **roles}},
                                 "c.yml", base_dir=tmp_path))


def test_lines_that_repeat_the_header_are_dropped_and_counted(tmp_path, orders):
    """Monthly exports joined into one file keep each month's header line: its 'InvoiceDate' stopped the
    run ('no one known format reads every date'); now such lines are left out and counted."""
    body = LINES.splitlines(keepends=True)
    joined = "".join(body[:8]) + body[0] + "".join(body[8:]) + body[0]
    got = load(tmp_path, lines=joined)
    pd.testing.assert_frame_equal(got.frame, orders.frame)
    assert got.log[0] == LogEntry("duplicates", "order lines", 2, "dropped", "lines that repeat the header (files joined together)")
    assert got.log[1:] == orders.log and got.n_lines == orders.n_lines


@pytest.mark.parametrize("fmt, fails", [("%d/%m/%Y %H:%M", True), ("%Y-%m-%d %H:%M", False)])
def test_a_timestamp_format_that_reads_none_of_a_text_files_values_is_refused(tmp_path, fmt, fails):
    """'%d/%m/%Y %H:%M' set on times written '2024-03-02 09:30': every value read as a date cell anyway, so a
    typo in the config went unnoticed; a text file's format must read some of its first values."""
    if fails:
        message = error_of(tmp_path, LINES, transactions={"timestamp_format": fmt})
        assert ("lines.csv: column 'InvoiceDate': transactions.timestamp_format '%d/%m/%Y %H:%M' "
                "reads none of its first 19 values (e.g. '2024-03-02 09:30')") in message
    else:
        assert load(tmp_path, transactions={"timestamp_format": fmt}).frame.shape[0] > 0

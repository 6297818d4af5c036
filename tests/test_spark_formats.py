"""The Spark engine against the local engine on order lines written every way the local engine
reads (Windows-1252 with euro signs, decimal commas, time zones, statuses, price typos, returns,
names in mixed case, amounts without a unit price or product, errors) and over two years with a
season: the same cleaning log, per-customer rows and baskets. A file of its own, so that these
Spark jobs run beside test_spark.py's on a cluster of their own."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import UserError
from test_spark import MISSING, _same_orders, local, start_engine  # noqa: F401  (module fixtures: a cluster per file)

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"Spark engine unavailable: {MISSING}")


@pytest.fixture(scope="module")
def engine():
    """A cluster of this file's own. Adaptive query execution off: these files are tiny and what is
    checked is how values are read, not how the work is planned (test_spark.py runs with it on);
    each load takes about 18 s instead of 25 s."""
    eng = start_engine({"spark.sql.adaptive.enabled": "false"})
    yield eng
    eng.close()


def test_windows_1252_euro_signs_decimal_commas_and_zones_as_locally(engine, local, tmp_path, monkeypatch):
    """Read with Java's windows-1252 (not ISO-8859-1, which has no euro sign); prices with decimal
    commas and signs read as the local engine and the customer-table loader read them."""
    from test_orders import PRODUCTS, _euro_lines, make_config
    (tmp_path / "lines.csv").write_bytes(_euro_lines().encode("cp1252"))
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    cfg = make_config(tmp_path)
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert b.encoding == "cp1252" and "LAMPE ŒIL" in b.baskets.products
    assert not any("not a number" in e.detail for e in b.log)
    # The first '£' after the sniffed 64 KB: Windows-1252 as locally, not '\ufffd' (Spark's UTF-8 reading).
    from test_orders import _late_pound_lines
    (tmp_path / "lines.csv").write_bytes(_late_pound_lines().encode("cp1252"))
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert b.encoding == "cp1252" and "CANDLE £5 OFF" in b.baskets.products
    # Decimal commas, a no-break space and the euro sign after each price, as a French spreadsheet writes them.
    from test_orders import _comma_lines
    (tmp_path / "lines.csv").write_text(_comma_lines(), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert not any("not a number" in e.detail for e in b.log) and b.delimiter == ";"
    # Prices written 3.000 in a file split by semicolons: three thousand, as locally (cleaning.comma_file).
    from test_orders import _dot_thousand_lines
    (tmp_path / "lines.csv").write_text(_dot_thousand_lines(), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert a.frame.filter(like="Spend on").to_numpy().max() >= 1000
    # Times with zones (+0100, -05:00, Z ...), read as ISO times: the time as written, as DuckDB
    # reads them (Spark alone would turn them into UTC). A %z format drops the zone by the same
    # expression (_zone_dropped).
    from test_orders import _zoned_lines
    (tmp_path / "lines.csv").write_text(_zoned_lines(), encoding="utf-8")
    zoned = make_config(tmp_path)
    a, b = local.load_orders(zoned), engine.load_orders(zoned)
    _same_orders(a, b)
    assert b.reference_date == a.reference_date
    # An order status on one line of an order cancels the whole order, as locally; a line whose status
    # says it came back is no sale (its order still counts); the statuses let through are listed alike.
    from test_orders import _status_lines
    (tmp_path / "lines.csv").write_text(_status_lines().replace(
        "1001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,12.0,United Kingdom,completed",
        "1001,B2,RED CANDLE,1,2024-03-02 09:30,5.00,12.0,United Kingdom,İADE EDİLDİ"), encoding="utf-8")
    with_status = make_config(tmp_path, transactions={"status": "Status"})
    a, b = local.load_orders(with_status), engine.load_orders(with_status)
    _same_orders(a, b)
    assert next(e for e in b.log if e.step == "cancellations").count == 5
    assert [e.count for e in b.log if e.detail.startswith("returned (its status")] == [1]
    assert [e.action for e in b.log if e.step == "order statuses"] == ["counted as sales"]
    # A price far above its product's median is a typo, as locally (the median is the lower middle).
    from test_orders import _typo_lines
    (tmp_path / "lines.csv").write_text(_typo_lines(5, "151.00"), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert [e.count for e in b.log if e.detail.startswith("unit price more than")] == [1]
    # Returns off spend as locally: of a product the map lacks (Uncategorised), and beyond what the
    # lines show bought (that spend 0, logged).
    from test_orders import LINES
    (tmp_path / "lines.csv").write_text(LINES + (
        "1010,D4,TOY,1,2024-03-08 10:00,4.00,13,France\n1011,D4,TOY,-1,2024-03-09 10:00,4.00,13,France\n"
        "1012,A1,WHITE MUG,-10,2024-03-09 11:00,2.50,13,France\n"
        # A blank customer in 13's order 1005: 13's line, as locally; in an order of two customers: no one's.
        "1005,C3,LAMP,1,2024-03-07 14:00,20.00,,France\n"
        "1013,A1,WHITE MUG,1,2024-03-08 12:00,3.00,12,UK\n1013,B2,RED CANDLE,1,2024-03-08 12:00,5.00,13,UK\n"
        "1013,C3,LAMP,1,2024-03-08 12:00,20.00,,UK\n"), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert any(e.action == "spend set to 0 there" for e in b.log)
    assert [e.count for e in b.log if e.action == "taken from the order's other lines"] == [1]
    # Names in mixed case: a product shown by its most frequent spelling, as locally; dates
    # without a time of day: no morning or evening shares; a line's total (amount) instead of a
    # unit price (the 'Price' column holds 3 units' total here); no order column (an order is a
    # customer's lines of one time: 21's lines of the 6th are one), as locally.
    from test_orders import HEADER
    (tmp_path / "lines.csv").write_text(HEADER + "".join(
        f"{o},{code},{n},3,2024-03-0{d},4.00,{c},PL\n" for o, code, n, d, c in [
            (1, "K1", "Kawa ziarnista", 2, 21), (2, "K1", "Kawa ziarnista", 3, 22), (3, "K1", "KAWA ZIARNISTA", 6, 21),
            (4, "Z2", "Żurek  domowy", 5, 22), (5, "Z2", "Żurek domowy", 6, 21)]), encoding="utf-8")
    cased = make_config(tmp_path, products=None, transactions={"unit_price": None, "amount": "Price", "order": None,
                                                               "cancelled_prefix": None})
    a, b = local.load_orders(cased), engine.load_orders(cased)
    _same_orders(a, b)
    assert sorted(b.baskets.products) == ["Kawa ziarnista", "Żurek domowy"]
    assert list(b.columns.habits) == ["at weekends"] and any(e.step == "not used" for e in b.log)
    assert b.frame["Spend"].tolist() == [12.0, 8.0]  # customers 21 (3 lines) and 22 (2), 4.00 each
    assert b.frame["Orders"].tolist() == [2, 2]
    # No product or quantity column either (a ledger of amounts): one product, one unit a line, as locally.
    unnamed = make_config(tmp_path, products=None, transactions={"unit_price": None, "amount": "Price", "order": None,
                                                                 "cancelled_prefix": None, "product": None,
                                                                 "product_name": None, "quantity": None})
    a, b = local.load_orders(unnamed), engine.load_orders(unnamed)
    _same_orders(a, b)
    assert b.baskets.products == ("ALL PRODUCTS",) and any(e.action == "no baskets or rules" for e in b.log)
    # A negative amount without a quantity is a refund (a return), and NA among two-letter codes a
    # province (Napoli), as locally.
    (tmp_path / "lines.csv").write_text(HEADER + "".join(
        f"{o},K1,Kawa,1,2024-03-0{d},{p},{c},{pl}\n" for o, d, p, c, pl in [
            (1, 2, "4.00", 21, "NA"), (2, 3, "-4.00", 21, "NA"), (3, 4, "9.00", 22, "MI"), (4, 5, "3.00", 23, "RM"),
            (5, 6, "2.00", 24, "TO")]), encoding="utf-8")
    a, b = local.load_orders(unnamed), engine.load_orders(unnamed)
    _same_orders(a, b)
    assert [e.count for e in b.log if e.detail == "return (negative quantity)"] == [1]
    assert b.frame["Country"].tolist() == ["NA", "MI", "RM", "TO"]
    # No price at all (unit_price: null): units per category net of returns, no price rule, as locally.
    from test_orders import LINES, PRODUCTS, make_config
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    unpriced = make_config(tmp_path, transactions={"unit_price": None})
    a, b = local.load_orders(unpriced), engine.load_orders(unpriced)
    _same_orders(a, b)
    assert b.columns.units and not b.columns.spend and np.isnan(b.baskets.product_value).all()
    # Amounts in two currencies: refused with the local engine's line.
    from test_orders import LINES
    (tmp_path / "lines.csv").write_text(LINES.replace(",3.00,", ",$3.00,").replace(",5.00,", ",£5.00,"), encoding="utf-8")
    with pytest.raises(UserError) as spark_error:
        engine.load_orders(cfg)
    with pytest.raises(UserError) as local_error:
        local.load_orders(cfg)
    assert str(spark_error.value) == str(local_error.value) and "more than one currency ($, £)" in str(spark_error.value)
    # A column of text where numbers belong: the same line, with the same example value.
    from test_orders import HEADER
    (tmp_path / "lines.csv").write_text(HEADER + "".join(f"10{i},A1,WHITE MUG,{q},2024-03-02 09:30,3.00,12,UK\n"
                                                         for i, q in enumerate(["two", "a few", "4"])), encoding="utf-8")
    with pytest.raises(UserError) as spark_error:
        engine.load_orders(cfg)
    with pytest.raises(UserError) as local_error:
        local.load_orders(cfg)
    assert str(spark_error.value) == str(local_error.value) and "e.g. 'a few'" in str(spark_error.value)
    # Dates in two formats: the same closest format and example.
    times = ["19/06/2024 10:00", "20/06/2024 11:00", "2024-06-22 10:00"]
    (tmp_path / "lines.csv").write_text(HEADER + "".join(f"10{i},A1,WHITE MUG,1,{x},3.00,12,UK\n"
                                                         for i, x in enumerate(times)), encoding="utf-8")
    with pytest.raises(UserError) as spark_error:
        engine.load_orders(cfg)
    with pytest.raises(UserError) as local_error:
        local.load_orders(cfg)
    assert str(spark_error.value) == str(local_error.value) and "the closest, '%d/%m/%Y %H:%M'" in str(spark_error.value)
    # Every format of the local engine's number test, read alike (the test's columns mix currencies).
    from test_orders import COMMA_KINDS, NUMBER_COLUMNS

    from analysis.engine import spark as spark_module
    from analysis.engine.spark import _decimal_commas, _number
    from analysis.ingest.cleaning import to_numbers
    monkeypatch.setattr(spark_module, "one_currency", lambda *a: None)
    # Every column judged by its own values (padded with blanks to one length), as the only number column of its file.
    kinds = list(NUMBER_COLUMNS)
    n = max(len(v) for v in NUMBER_COLUMNS.values())
    columns = {f"c{i}": NUMBER_COLUMNS[k] + [""] * (n - len(NUMBER_COLUMNS[k])) for i, k in enumerate(kinds)}
    src = engine.spark.createDataFrame(list(zip(*columns.values())), ", ".join(f"{c} string" for c in columns))
    commas = {c: _decimal_commas(src, [c])[c] for c in columns}
    assert [commas[c] for c in columns] == [k in COMMA_KINDS for k in kinds]
    # Judged together, as one file's columns: beside decimal commas, dots before three digits group thousands.
    pair = engine.spark.createDataFrame([("2.000", "3,00 €"), ("1", "12,5")], "q string, p string")
    assert _decimal_commas(pair, ["q", "p"]) == {"q": True, "p": True}
    assert _decimal_commas(pair, ["q"]) == {"q": False}
    got = src.select(*[_number(c, False, commas[c]).alias(c) for c in columns]).toPandas()
    for c, kind in zip(columns, kinds):
        want = to_numbers(pd.Series(columns[c], dtype="string")).to_numpy(dtype=float)
        assert np.array_equal(got[c].to_numpy(dtype=float), want, equal_nan=True), (kind, list(zip(columns[c], got[c], want)))


def test_a_season_and_a_saved_models_season_as_locally(engine, local, tmp_path):
    """Lines over two years with Christmas buyers: a model's season kept, its shares as locally."""
    from analysis.config import parse_config
    from test_season import write_lines
    cfg, _ = write_lines(tmp_path)
    cfg = parse_config(cfg, base_dir=tmp_path)
    # A saved model's season instead of the lines' own: the engine hands it on as the local one does.
    fixed = dict(categories=tuple(sorted(local.load_orders(cfg).columns.spend)), season=(12, 1))
    a, b = local.load_orders(cfg), engine.load_orders(cfg, **fixed)
    assert a.season == (11, 12) and b.season == (12, 1) and "Orders in season (December and January)" in b.frame
    # The month counts behind the shares are the same: the local engine given the same season agrees exactly.
    _same_orders(local.load_orders(cfg, **fixed), b)


def test_line_breaks_in_quotes_utf16_two_digit_years_month_names_and_float_ids_as_locally(engine, local, tmp_path):
    """A quoted product name on two lines in a UTF-16 file with Windows line ends; dates written
    '02-mar-24 09:30 AM' (%y read as DuckDB reads it: 69 and later in the 1900s); customer ids
    stored as floats in Parquet, large enough for Java to write them in scientific notation."""
    import re
    from datetime import datetime

    from test_orders import LINES, PRODUCTS, make_config
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    cfg = make_config(tmp_path)
    two_lines = LINES.replace("RED CANDLE", '"RED\nCANDLE"').replace(",C3,", ",Maß-3,")  # and a sharp s in a code
    (tmp_path / "products.csv").write_text(PRODUCTS.replace("C3,", "maß-3,"), encoding="utf-8")
    (tmp_path / "lines.csv").write_text(two_lines.replace("\n", "\r\n"), encoding="utf-16")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert "RED CANDLE" in b.baskets.products and b.n_lines == a.n_lines == LINES.count("\n") - 1
    lamp = b.baskets.products.index("LAMP")  # code Maß-3, found in the map as maß-3: one letter for ß both ways
    assert b.baskets.categories[b.baskets.product_category[lamp]] == "Home"
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")

    def written(m: re.Match) -> str:
        when = datetime.strptime(m.group(0), "%Y-%m-%d %H:%M")
        if when.day == 7:  # a spreadsheet's date cells, as text: read as they are beside the format
            return when.strftime("%Y-%m-%d %H:%M:%S")
        return (when.replace(year=1970) if when.day == 5 else when).strftime("%d-%b-%y %I:%M %p").lower()
    # With guest checkouts, which are excluded alike (orders.without_guests).
    guests = "".join(f"9{i},A1,WHITE MUG,1,2024-03-0{1 + i} 10:00,3.00,{who},France\n"
                     for i, who in enumerate(["Guest", "guest", "walk-in"]))
    (tmp_path / "lines.csv").write_text(re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", written, LINES + guests),
                                        encoding="utf-8")
    dated = make_config(tmp_path, transactions={"timestamp_format": "%d-%b-%y %I:%M %p"})
    a, b = local.load_orders(dated), engine.load_orders(dated)
    _same_orders(a, b)
    assert [c for c, why in b.excluded.items() if "guest" in why] == ["Guest", "guest", "walk-in"]
    assert a.frame["First order"].min().year == 1970 and b.reference_date == a.reference_date
    assert a.n_lines == b.n_lines and not any(e.step == "unreadable values" for e in a.log + b.log)
    # Found without a format: day/month/two-digit year, as locally.
    (tmp_path / "lines.csv").write_text(re.sub(r"(\d{4})-(\d\d)-(\d\d) ", lambda m: f"{m[3]}/{m[2]}/{m[1][2:]} ",
                                               LINES).replace("/24 ", "/70 ", 2), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert a.frame["First order"].min().year == 1970
    with pytest.raises(UserError, match="transactions.timestamp_format .*%U is not read by the Spark engine"):
        engine.load_orders(make_config(tmp_path, transactions={"timestamp_format": "%d-%b-%y %U"}))

    frame = pd.read_csv(pd.io.common.StringIO(LINES), dtype={"Customer ID": float})
    frame["Customer ID"] = frame["Customer ID"] + 20_000_000
    frame.loc[frame.index[-1], "Customer ID"] = np.nan
    # Instants with their zone: read at the hour the shop's clock showed, as locally (the session is UTC).
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    frame.to_parquet(tmp_path / "naive.parquet")
    frame["InvoiceDate"] = frame["InvoiceDate"].dt.tz_localize("America/Los_Angeles")
    frame.to_parquet(tmp_path / "lines.parquet")
    ids = make_config(tmp_path, transactions={"path": "lines.parquet"})
    a, b = local.load_orders(ids), engine.load_orders(ids)
    _same_orders(a, b)
    naive = local.load_orders(make_config(tmp_path, transactions={"path": "naive.parquet"}))
    pd.testing.assert_frame_equal(naive.frame, a.frame)
    assert "20000012" in set(b.frame["customer_id"])

    # E-mail ids written in two cases: one customer, as locally.
    from test_orders import _email_lines
    (tmp_path / "lines.csv").write_text(_email_lines(), encoding="utf-8")
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert sorted(b.frame["customer_id"]) == ["ann@shop.com", "bob@mail.de", "eve@web.fr"]
    # Gzipped lines saved without their .gz: Spark knows compression by the name only, and says so.
    import gzip
    (tmp_path / "lines.csv").write_bytes(gzip.compress(LINES.encode("utf-8")))
    with pytest.raises(UserError, match=r"lines.csv: is gzip-compressed but its name does not end in .gz.*rename it lines.csv.gz"):
        engine.load_orders(cfg)
    # A line short of two fields: one line naming the file and the line, as locally (no traceback).
    (tmp_path / "lines.csv").write_text(LINES.replace("1001,B2,RED CANDLE,1,", "1001,B2,", 1), encoding="utf-8")
    with pytest.raises(UserError, match=r"lines.csv: a line has more or fewer fields than the header: '1001,B2,"):
        engine.load_orders(cfg)
    with pytest.raises(UserError, match="lines.csv"):
        local.load_orders(cfg)


def test_fixed_width_lines_without_a_header_as_locally(engine, local, tmp_path):
    """CDNOW's layout (runs of spaces, no header) and the same lines as a headerless CSV."""
    from analysis.config import parse_config
    from test_orders import _cdnow

    roles = {"customer": "column 1", "timestamp": "column 2", "quantity": "column 3", "amount": "column 4"}
    (tmp_path / "CDNOW_master.txt").write_text(_cdnow(), encoding="utf-8")
    (tmp_path / "lines.csv").write_text("".join(",".join(x.split()) + "\n" for x in _cdnow().splitlines()), encoding="utf-8")
    for name in ("CDNOW_master.txt", "lines.csv"):
        cfg = parse_config({"transactions": {"path": name, "header": False, **roles}}, "c.yml", base_dir=tmp_path)
        a, b = local.load_orders(cfg), engine.load_orders(cfg)
        _same_orders(a, b)
        assert len(b.frame) == 17 and b.n_lines == 60


def test_lines_that_repeat_the_header_as_locally(engine, local, tmp_path):
    from test_orders import LINES, PRODUCTS, make_config

    body = LINES.splitlines(keepends=True)
    (tmp_path / "lines.csv").write_text("".join(body[:8]) + body[0] + "".join(body[8:]), encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    cfg = make_config(tmp_path)
    a, b = local.load_orders(cfg), engine.load_orders(cfg)
    _same_orders(a, b)
    assert b.log[0].detail == "lines that repeat the header (files joined together)" and b.log[0].count == 1

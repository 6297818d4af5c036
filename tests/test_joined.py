"""A customer table and its order lines together: the join's rules, every customer accounted for,
and planted segments recovered better from both than from either alone."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from analysis import synth
from analysis.cli import main
from analysis.config import parse_config
from analysis.errors import UserError
from analysis.ingest.joining import NOT_IN_TABLE, NO_ORDERS
from analysis.insight.baskets import _order_segments
from analysis.pipeline import analyse


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("joined")
    paths = synth.write_joined(synth.generate_joined(1200, 24_000, seed=3), folder)
    cfg = yaml.safe_load(paths["config"].read_text(encoding="utf-8"))
    # k-means only and no campaign economics (no response model): the comparison, not the whole report.
    cfg["segmentation"] = {"algorithm": "kmeans"}
    for key in ("contact_cost", "revenue_per_answer"):
        cfg["columns"].pop(key)
    return folder, cfg


def _run(folder: Path, cfg: dict):
    return analyse(parse_config(cfg, base_dir=folder))


def _ari(run, folder: Path) -> float:
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    got = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    both = truth.merge(got, on="customer_id")
    both = both[both["segment"].notna()]
    assert len(both) > 0.95 * len(truth)
    return adjusted_rand_score(both["planted_segment"], both["segment"].astype(int))


def test_joining_recovers_planted_segments_better_than_either_input(joined):
    folder, cfg = joined
    table_only = {k: v for k, v in cfg.items() if k not in ("transactions", "products", "join")}
    lines_only = {k: v for k, v in cfg.items() if k not in ("customers", "columns", "join")}
    both, table, lines = _run(folder, cfg), _run(folder, table_only), _run(folder, lines_only)
    scores = {"joined": _ari(both, folder), "table": _ari(table, folder), "lines": _ari(lines, folder)}
    # Each input alone sees one of the two planted dimensions: at best half the structure.
    assert scores["joined"] >= 0.9, scores
    assert scores["joined"] > max(scores["table"], scores["lines"]) + 0.2, scores
    assert both.results.baskets is not None  # rules per segment work as for order lines alone
    # The data-quality page names each file with what it holds, not the table as the lines' source.
    from analysis.publish.quality_page import data_quality
    page = data_quality(both.results)
    assert (page["input_name"], page["lines_name"]) == ("customers.tsv", "lines.parquet")
    assert data_quality(lines.results)["lines_name"] == "" == data_quality(table.results)["lines_name"]
    # The model and results.json record every file read, with its hash.
    assert set(both.model.inputs) == set(both.results.manifest.inputs) == {"customers", "transactions", "products"}


def test_every_customer_of_either_input_is_in_the_assignments(joined):
    folder, cfg = joined
    run = _run(folder, cfg)
    a = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    table_ids = set(pd.read_csv(folder / "customers.tsv", sep="\t", dtype=str)["ID"])
    lines = pd.read_parquet(folder / "lines.parquet", columns=["CustomerID"])["CustomerID"].dropna()
    line_ids = set(lines.astype("int64").astype(str))
    assert set(a["customer_id"]) == table_ids | line_ids
    assert not a["customer_id"].duplicated().any()
    only_lines = line_ids - table_ids
    assert len(only_lines) == 12  # 1% of 1,200 planted
    rows = a.set_index("customer_id").loc[sorted(only_lines)]
    assert (rows["excluded_reason"] == NOT_IN_TABLE).all() and rows["segment"].isna().all()
    # Customers of the table without lines are kept (zero activity) by default, and logged.
    no_lines = table_ids - line_ids
    assert len(no_lines) == 12
    assert a.set_index("customer_id").loc[sorted(no_lines), "segment"].notna().all()
    kept = [e for e in run.results.cleaning if e.action == "kept with zero activity"]
    assert [e.count for e in kept] == [12]
    feats = run.customers.loc[sorted(no_lines)]
    assert (feats["orders"] == 0).all() and (feats["total_spend"] == 0).all()


def test_customers_without_order_lines_excluded_by_rule(joined):
    folder, cfg = joined
    run = _run(folder, {**cfg, "join": {**cfg["join"], "without_orders": "exclude"}})
    a = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    gone = a[a["excluded_reason"] == NO_ORDERS]
    assert len(gone) == 12 and gone["segment"].isna().all()
    assert run.results.excluded_reasons[NO_ORDERS] == 12


def _write(tmp_path: Path, table: str, lines: str, extra: dict) -> Path:
    (tmp_path / "c.csv").write_text(table, encoding="utf-8")
    (tmp_path / "l.csv").write_text(lines, encoding="utf-8")
    cfg = {"customers": {"path": "c.csv"},
           "transactions": {"path": "l.csv", "customer": "cust", "order": "ord", "timestamp": "ts",
                            "product": "sku", "quantity": "q", "unit_price": "p"},
           **extra}
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


LINES = "cust,ord,ts,sku,q,p\n1,a,2020-01-02 10:00,X,1,2.5\n2,b,2020-01-03 11:00,Y,2,1.0\n9,c,2020-01-04 12:00,X,1,2.5\n"


def test_join_matches_ids_written_differently(tmp_path):
    """Ids match as cleaning reads them: '1.0' in the table is customer 1 of the lines."""
    from analysis.ingest.joining import load_input
    from analysis.config import load_config

    path = _write(tmp_path, "key,income\n1.0,10\n2,20\n3,30\n", LINES,
                  {"join": {"customers": "key"}, "columns": {"income": "income"}})
    inp = load_input(load_config(path))
    frame = inp.table.frame
    assert list(frame["Orders"]) == [1.0, 1.0, 0.0]  # customer 3 has no lines: zero activity
    assert inp.extra == {"9": NOT_IN_TABLE}
    assert inp.cfg.columns.id == "key" and inp.cfg.columns.orders == "Orders"


def test_join_matches_ids_that_lost_their_leading_zeros_when_no_two_ids_merge(tmp_path):
    """A spreadsheet writes '1' for '001': matched, logged with an example, baskets follow. When dropping
    the zeros would make two ids of a file one ('01' and '1'), nothing is rewritten."""
    from analysis.ingest.joining import load_input
    from analysis.config import load_config

    extra = {"join": {"customers": "key"}, "columns": {"income": "income"}}
    inp = load_input(load_config(_write(tmp_path, "key,income\n001,10\n002,20\n003,30\n", LINES, extra)))
    assert list(inp.table.frame["Orders"]) == [1.0, 1.0, 0.0]
    assert inp.extra == {"9": NOT_IN_TABLE}
    entry = next(e for e in inp.log if e.action == "matched without leading zeros or case")
    assert entry.count == 2 and "'1' for '001'" in entry.detail
    # The site's data-quality page says the rule without the example ids (private results only).
    assert entry.public_detail == entry.detail.replace(" (e.g. '1' for '001')", "")
    assert sorted(inp.orders.baskets.order_customer) == ["001", "002", "9"]
    # A guest order (no customer id) stays without a customer, and the baskets' segments still read.
    guest = LINES + ",d,2020-01-05 09:00,Y,1,1.0\n"
    inp = load_input(load_config(_write(tmp_path, "key,income\n001,10\n002,20\n003,30\n", guest, extra)))
    owners = list(inp.orders.baskets.order_customer)
    assert sorted(o for o in owners if o is not None) == ["001", "002", "9"] and owners.count(None) == 1
    seg, owner = _order_segments(inp.orders.baskets, pd.Series([0.0, 1.0], index=["001", "002"]))
    assert sorted(zip(owners, owner.tolist()), key=str) == [("001", 0), ("002", 1), ("9", -1), (None, -1)]
    # A table customer whose only line is a return: the same person in both files (kept with zero
    # activity), not also listed as a customer of the lines alone.
    returned = LINES + "3,d,2020-01-05 09:00,X,-1,2.5\n"
    inp = load_input(load_config(_write(tmp_path, "key,income\n001,10\n002,20\n003,30\n", returned, extra)))
    assert inp.extra == {"9": NOT_IN_TABLE} and list(inp.table.frame["Orders"]) == [1.0, 1.0, 0.0]
    assert not [e for e in inp.log if "but for case or leading zeros" in e.detail]
    inp = load_input(load_config(_write(tmp_path, "key,income\n01,10\n1,20\n002,30\n", LINES, extra)))
    assert list(inp.table.frame["Orders"]) == [0.0, 1.0, 0.0]
    assert not [e for e in inp.log if e.action == "matched without leading zeros or case"]
    assert inp.extra == {"2": NOT_IN_TABLE, "9": NOT_IN_TABLE}


def test_join_matches_ids_written_in_another_case_unless_the_lines_write_both(tmp_path):
    """'c1' in the lines is 'C1' of the table, as a person reads it; where the lines hold both 'C1' and
    'c1' (two customers to a system that tells case apart), nothing is merged, and the log says why
    those ids stay unmatched."""
    from analysis.ingest.joining import load_input
    from analysis.config import load_config

    extra = {"join": {"customers": "key"}, "columns": {"income": "income"}}
    inp = load_input(load_config(_write(tmp_path, "key,income\nA1,10\nA2,20\nA3,30\n", LINES.replace("\n1,a", "\na1,a")
                                        .replace("\n2,b", "\nA2,b"), extra)))
    assert list(inp.table.frame["Orders"]) == [1.0, 1.0, 0.0]
    entry = next(e for e in inp.log if e.action == "matched without leading zeros or case")
    assert entry.count == 1 and "'a1' for 'A1'" in entry.detail
    both = LINES.replace("\n1,a", "\na1,a").replace("\n2,b", "\nA2,b").replace("\n9,c", "\nA1,c")
    inp = load_input(load_config(_write(tmp_path, "key,income\nA1,10\nA2,20\nA3,30\n", both, extra)))
    assert list(inp.table.frame["Orders"]) == [1.0, 1.0, 0.0]  # A1 and A2 as written; a1 apart
    assert inp.extra == {"a1": NOT_IN_TABLE}
    entry = next(e for e in inp.log if e.action == "not segmented")
    assert "1 of them match an id of the table but for case or leading zeros (e.g. 'a1')" in entry.detail
    assert entry.public_detail == entry.detail.replace(" (e.g. 'a1')", "") and "a1" not in entry.public_detail


def test_lines_without_prices_join_a_table_that_gives_the_spend(tmp_path):
    """Till lines without prices beside a CRM table's yearly revenue: units and orders come from the
    lines, spend from the table (which priced lines would replace, and so may not name)."""
    from analysis.ingest.joining import load_input
    from analysis.config import load_config
    from analysis.segment.features import build_features
    from analysis.ingest.cleaning import clean

    table = "key,revenue\n1,120\n2,80\n3,40\n"
    extra = {"join": {"customers": "key"}, "columns": {"spend": {"All": "revenue"}}}
    path = _write(tmp_path, table, LINES, extra)
    cfg = yaml.safe_load(path.read_text())
    cfg["transactions"]["unit_price"] = None
    path.write_text(yaml.safe_dump(cfg))
    inp = load_input(load_config(path))
    assert inp.cfg.columns.spend == {"All": "revenue"} and inp.cfg.columns.units == {"All products": "Units"}
    assert list(inp.table.frame["Units"]) == [1.0, 2.0, 0.0]  # customer 3 has no lines: no units
    feats = build_features(clean(inp.table, inp.cfg), inp.cfg)
    assert list(feats.table["total_spend"]) == [120, 80, 40] and list(feats.table["total_units"]) == [1, 2, 0]
    with pytest.raises(UserError, match="key 'columns.spend': with order lines this is derived"):
        load_config(_write(tmp_path, table, LINES, extra))  # priced lines give the spend themselves


@pytest.mark.parametrize("extra, message", [
    ({"columns": {"id": "key", "recency_days": "income"}},
     "key 'columns.recency_days': with order lines this is derived"),
    ({"columns": {"income": "income"}}, "key 'join.customers': name the customer table's id column"),
    ({"join": {"customers": "key"}, "columns": {"id": "income"}}, "key 'join.customers' ('key') differs from columns.id"),
    ({"join": {"customers": "nope"}}, "column 'nope' (join.customers in the config) is not in the file"),
    ({"join": {"customers": "key", "transactions": "client"}},
     "column 'client' (join.transactions in the config) is not in the file"),
    ({"join": {"customers": "key", "without_orders": "drop"}}, "join.without_orders"),
])
def test_joined_config_errors_are_one_line(tmp_path, capsys, extra, message):
    path = _write(tmp_path, "key,income\n1,10\n2,20\n", LINES, extra)
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_no_matching_id_is_one_line(tmp_path, capsys):
    path = _write(tmp_path, "key,income\n101,10\n102,20\n", LINES, {"join": {"customers": "key"}})
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no customer id of column 'cust' matches column 'key' of c.csv" in err


def test_join_needs_both_inputs():
    with pytest.raises(UserError, match="'join' matches a customer table with its order lines"):
        parse_config({"customers": {"path": "c.csv"}, "join": {"customers": "id"}})


def test_synth_joined_cli(tmp_path):
    assert main(["synth", "--customers", "200", "--transactions", "4000", "--joined", "--out", str(tmp_path)]) == 0
    cfg = parse_config(yaml.safe_load((tmp_path / "config.yml").read_text()), base_dir=tmp_path)
    assert cfg.joined and cfg.join_key == "ID"
    t = pd.read_csv(tmp_path / "customers.tsv", sep="\t")
    assert list(t.columns) == list(synth.JOINED_TABLE_COLUMNS) and len(t) == 200
    assert np.issubdtype(t["ID"].dtype, np.integer)


def test_init_drafts_a_joined_config_that_checks(joined, capsys):
    folder, _ = joined
    assert main(["init", "--customers", str(folder / "customers.tsv"), "--transactions", str(folder / "lines.parquet"),
                 "--products", str(folder / "products.csv"), "--config-dir", str(folder)]) == 0
    text = capsys.readouterr().out
    draft = yaml.safe_load(text)
    assert draft["join"] == {"customers": "ID", "transactions": "CustomerID", "without_orders": "keep"}
    assert "spend" not in draft["columns"] and "recency_days" not in draft["columns"]
    (folder / "draft.yml").write_text(text, encoding="utf-8")
    assert main(["check", "--config", str(folder / "draft.yml")]) == 0
    assert "1,212 customers (1,200 rows of the table, 12 in the order lines only), 1,200 usable customers" in capsys.readouterr().out


def test_every_input_file_is_recorded_with_its_hash(joined):
    """The customer table, the order lines and the product map each named with their SHA-256."""
    import hashlib

    from analysis.ingest.joining import load_input

    folder, cfg = joined
    sources = load_input(parse_config(cfg, base_dir=folder)).sources
    files = {"customers": "customers.tsv", "transactions": "lines.parquet", "products": "products.csv"}
    assert sources == {role: {"file": name, "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest()}
                       for role, name in files.items()}


def test_a_joined_draft_takes_the_currency_written_beside_the_lines_prices(tmp_path):
    """The money is in the order lines: '36,67 €' there names the currency when the customer table
    shows none (the table's title is kept)."""
    from analysis.ingest.drafting_joined import draft_joined_config

    (tmp_path / "kunden.csv").write_text("customer_id,city,birth_year\n" + "".join(
        f"C{i},{['Berlin', 'Köln'][i % 2]},{1950 + i % 40}\n" for i in range(40)), encoding="utf-8")
    (tmp_path / "lines.csv").write_text("order_id;customer_id;ordered_at;product;quantity;price\n" + "".join(
        f"{1000 + i};C{i % 40};2024-03-{1 + i % 28:02d} 10:00;P{i % 7};{1 + i % 3};\"{3 + i % 9},{i % 100:02d} €\"\n"
        for i in range(200)), encoding="utf-8")
    text = draft_joined_config(tmp_path / "kunden.csv", tmp_path / "lines.csv", None, tmp_path)
    report = yaml.safe_load(text)["report"]
    assert report["currency"] == "€" and report["title"] == "Customer segments: Kunden"
    (tmp_path / "lines.csv").write_text((tmp_path / "lines.csv").read_text(encoding="utf-8").replace(" €", ""),
                                        encoding="utf-8")
    text = draft_joined_config(tmp_path / "kunden.csv", tmp_path / "lines.csv", None, tmp_path)
    assert "report:  # no currency sign found" in text


def test_a_customer_without_orders_has_gone_without_since_joining_not_since_the_history_began(tmp_path):
    """Days since the last order of a customer who never ordered: the days since they joined where
    the table's signup date is later than the first order line, else the whole history (the lines
    run from 2 January 2020, 10:00, to the 4th; the reference date is the 5th)."""
    from analysis.ingest.joining import load_input
    from analysis.config import load_config

    table = "key,joined,income\n1,2019-01-01,10\n2,2019-01-01,20\n3,2020-01-04,30\n4,2019-05-01,40\n5,,50\n"
    path = _write(tmp_path, table, LINES, {"join": {"customers": "key"},
                                          "columns": {"income": "income", "signup_date": "joined",
                                                      "signup_date_format": "%Y-%m-%d"}})
    inp = load_input(load_config(path))
    recency = dict(zip(inp.table.frame["key"], inp.table.frame["Days since last order"]))
    assert (recency["3"], recency["4"], recency["5"]) == (1.0, 2.0, 2.0)  # history: 2 days and 14 hours
    entry = next(e for e in inp.log if e.action == "kept with zero activity")
    assert entry.count == 3 and "days since they joined" in entry.detail
    # Tenure then counts from signing up, which gives no rhythm of orders (personas.rhythm_means); from the
    # order lines' first order without the table's signup date.
    from analysis.ingest.cleaning import clean
    from analysis.segment.features import DAYS_PER_MONTH, build_features
    feats = build_features(clean(inp.table, inp.cfg), inp.cfg)
    docs = {d.name: d for d in feats.docs}
    assert docs["tenure_months"].description.startswith("Months from signing up")
    # ... and the months since the first order (whole days: 2 for 1) are kept beside it: how long they have bought (0 for
    # those who never did), from which their rhythm of orders is read.
    months = dict(zip(inp.table.frame["key"], feats.table["first_order_months"]))
    assert docs["first_order_months"].source == "First order"
    assert months["1"] == pytest.approx(2 / DAYS_PER_MONTH) and (months["3"], months["4"], months["5"]) == (0, 0, 0)
    no_signup = _write(tmp_path, table, LINES, {"join": {"customers": "key"}, "columns": {"income": "income"}})
    inp = load_input(load_config(no_signup))
    docs = {d.name: d for d in build_features(clean(inp.table, inp.cfg), inp.cfg).docs}
    assert docs["tenure_months"].description.startswith("Months from the first order")
    assert "first_order_months" not in docs


def test_a_joined_draft_of_lines_without_prices_keeps_the_tables_spend(tmp_path, capsys):
    """Priced lines give the spend, so a joined draft comments the table's spend out; lines without
    prices give units only, so the table's spend stays a role of the draft."""
    rng = np.random.default_rng(1)
    pd.DataFrame({"ID": range(1, 61), "MntTotal": rng.gamma(2, 300, 60).round(2),
                  "Age": rng.integers(18, 80, 60)}).to_csv(tmp_path / "members.csv", index=False)
    rows = [(m, f"{1 + (m * k) % 28:02d}-0{1 + k % 9}-2015", f"item {(m + k) % 7}") for m in range(1, 61)
            for k in range(1 + m % 5)]
    pd.DataFrame(rows, columns=["Member_number", "Date", "itemDescription"]).to_csv(tmp_path / "lines.csv", index=False)
    assert main(["init", "--customers", str(tmp_path / "members.csv"), "--transactions", str(tmp_path / "lines.csv"),
                 "--config-dir", str(tmp_path)]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["transactions"]["unit_price"] is None and cfg["columns"]["spend"] == {"Total": "MntTotal"}
    (tmp_path / "priced.csv").write_text("Member_number,Date,itemDescription,Price\n" + "".join(
        f"{m},{d},{i},{1.5 + len(i) / 10}\n" for m, d, i in rows))
    assert main(["init", "--customers", str(tmp_path / "members.csv"), "--transactions", str(tmp_path / "priced.csv"),
                 "--config-dir", str(tmp_path)]) == 0
    priced = capsys.readouterr().out
    assert "spend" not in yaml.safe_load(priced)["columns"] and "# spend:" in priced

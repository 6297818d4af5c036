"""The report on other tables: no campaign columns; overrides and an earlier segmentation."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from analysis import synth
from analysis.cli import main
from layout_checks import raw_markdown

ROOT = Path(__file__).resolve().parent.parent


def _text(path: Path) -> str:
    """A page's text with white space folded (pandoc wraps long lines)."""
    return re.sub(r"\s+", " ", path.read_text())


def _config(folder: Path, drop_campaigns: bool, **extra) -> Path:
    cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
    cfg["customers"] = {"path": "customers.tsv"}
    if drop_campaigns:
        for key in ("campaigns", "contact_cost", "revenue_per_answer", "complaints"):
            cfg["columns"].pop(key, None)
    cfg.update(extra)
    path = folder / f"config{len(list(folder.glob('config*.yml')))}.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_without_campaign_columns_the_sections_say_why(tmp_path):
    df, _ = synth.generate(900, 3, seed=4)
    df = df.drop(columns=list(synth.CAMPAIGN_COLUMNS) + ["Z_CostContact", "Z_Revenue", "Complain"])
    synth.write(df, tmp_path / "customers.tsv")
    assert main(["report", "--config", str(_config(tmp_path, True)), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    site = tmp_path / "out" / "site"
    res = json.loads((tmp_path / "out" / "exports" / "results.json").read_text())
    assert res["campaigns"] == [] and res["targeting"] is None
    assert "names no campaign answer columns" in _text(site / "campaigns.html")
    assert raw_markdown(site) == []
    for page in site.glob("segment-*.html"):
        text = _text(page)
        assert "Campaign answers" not in text and "Expected payoff" not in text
        assert "Why a customer is in this segment" in text


def test_answers_without_costs_leave_no_stray_markup(tmp_path):
    """Campaign answers but no cost per contact nor revenue per answer: the overview's table has
    the answer rates and no profit column, and no empty note (an empty '**' paragraph) under it."""
    df, _ = synth.generate(900, 3, seed=4)
    synth.write(df, tmp_path / "customers.tsv")
    config = _config(tmp_path, False)
    cfg = yaml.safe_load(config.read_text())
    for key in ("contact_cost", "revenue_per_answer"):
        cfg["columns"].pop(key, None)
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    site = tmp_path / "out" / "site"
    overview = _text(site / "index.html")
    assert "Answered the latest campaign" in overview and "Profit per contact" not in overview
    for page in site.glob("*.html"):
        assert not re.search(r"<p>\s*\*+\s*</p>", page.read_text()), page.name
    assert raw_markdown(site) == []


def test_overrides_and_earlier_segmentation_end_to_end(tmp_path):
    df, _ = synth.generate(900, 3, seed=5)
    synth.write(df, tmp_path / "customers.tsv")
    first = tmp_path / "first"
    assert main(["report", "--config", str(_config(tmp_path, False)), "--out", str(first), "--no-pdf"]) == 0
    template = yaml.safe_load((first / "exports" / "personas.yml").read_text())
    template["segments"] = [dict(template["segments"][1], name="Our best friends", notes="Call them first.")]
    (tmp_path / "overrides.yml").write_text(yaml.safe_dump(template))
    cfg = _config(tmp_path, False, compare_with=str(first / "exports" / "assignments.csv"))
    data = yaml.safe_load(cfg.read_text())
    data["report"]["overrides"] = "overrides.yml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    second = tmp_path / "second"
    assert main(["report", "--config", str(cfg), "--out", str(second), "--no-pdf"]) == 0
    res = json.loads((second / "exports" / "results.json").read_text())
    renamed = [p for p in res["personas"] if p["name"] == "Our best friends"]
    assert len(renamed) == 1 and renamed[0]["segment"] == 2 and renamed[0]["notes"] == "Call them first."
    assert res["comparison"]["shared"] == 900 and res["comparison"]["ari"] == 1.0
    assert "Our best friends" in _text(second / "site" / "index.html")
    page = _text(second / "site" / "segment-2.html")
    assert "Call them first." in page
    assert "Compared with the earlier segmentation" in _text(second / "site" / "methodology.html")


def test_density_method_keeps_noise_as_a_visible_unassigned_group(tmp_path):
    df, _ = synth.generate(1500, 4, seed=2)
    synth.write(df, tmp_path / "customers.tsv")
    cfg = _config(tmp_path, False, segmentation={"algorithm": "hdbscan", "max_unassigned_share": 0.5})
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    res = json.loads((tmp_path / "out" / "exports" / "results.json").read_text())
    assert res["chosen"]["algorithm"] == "hdbscan"
    last = res["segments"][-1]
    assert last["unassigned"] and last["name"].startswith("Unassigned") and last["size"] > 0
    assert len(res["segments"]) == res["chosen"]["k"] + 1
    a = (tmp_path / "out" / "exports" / "assignments.csv").read_text().splitlines()
    assert len(a) == 1501 and all(line.split(",")[1] for line in a[1:])  # nobody dropped
    page = _text(tmp_path / "out" / "site" / f"segment-{last['id']}.html")
    assert "belong to no dense group" in page
    assert raw_markdown(tmp_path / "out" / "site") == []
    # Both counts of customers say how many of them are in no segment.
    n = f"{last['size']:,}" if last["size"] >= res["min_segment_size"] else f"fewer than {res['min_segment_size']}"
    k = res["chosen"]["k"]
    def words(page: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (tmp_path / "out" / "site" / page).read_text()))
    assert f"1,500 customers fall into {k} segments, {n} of them in no dense group (no segment)" in words("index.html")
    assert f"1,500 customers were segmented, {n} of them in no dense group (no segment), and 0 excluded" in \
        words("data-quality.html")


def test_a_table_of_eight_customers_stops_or_gets_segments_of_the_minimum_size(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("id,income,wine,meat\n1,10,5,1\n2,12,6,2\n3,11,5,1\n4,50,1,9\n"
                                    "5,52,2,8\n6,51,1,9\n7,13,6,1\n8,49,2,9\n")
    base = "customers: {path: t.csv}\ncolumns: {id: id, income: income, spend: {Wine: wine, Meat: meat}}\n"
    (tmp_path / "t.yml").write_text(base)
    # Three segments (the default least number) of at least 5 customers (the default minimum) need
    # 15 customers: one line, no report.
    assert main(["report", "--config", str(tmp_path / "t.yml"), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "8 usable customers" in err and "min_segment_customers" in err
    (tmp_path / "t.yml").write_text(base + "segmentation: {min_segment_customers: 2}\n")
    assert main(["report", "--config", str(tmp_path / "t.yml"), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    res = json.loads((tmp_path / "out" / "exports" / "results.json").read_text())
    assert sum(s["size"] for s in res["segments"]) == 8
    assert all(not s["public"] for s in res["segments"])  # under 20 customers: not profiled in public


def test_the_same_customers_in_another_row_order_give_the_same_results(tmp_path):
    """Everything drawn at random by row position (the search's starts and sample, the relevance
    sample, the response model's folds and halves, the tree's held-out customers, the map's points)
    is drawn in an order of the customers' own: a file sorted another way gave another contact list
    (585 against 566 customers on a 3,000-customer table) and, now and then, another number of segments."""
    df, _ = synth.generate(1200, 5, seed=11)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    synth.write(df, tmp_path / "a" / "customers.tsv")
    synth.write(df.sample(frac=1, random_state=3), tmp_path / "b" / "customers.tsv")
    out = {}
    for side in ("a", "b"):
        assert main(["report", "--config", str(_config(tmp_path / side, False)), "--out", str(tmp_path / side / "out"),
                     "--no-pdf"]) == 0
        res = json.loads((tmp_path / side / "out" / "exports" / "results.json").read_text())
        res.pop("manifest")
        out[side] = res
        exports = tmp_path / side / "out" / "exports"
        out[side + "_lists"] = [(exports / f).read_text().splitlines() for f in ("contact_list.csv", "assignments.csv")]
    assert out["a"] == out["b"]
    (contacts_a, assigned_a), (contacts_b, assigned_b) = out["a_lists"], out["b_lists"]
    assert contacts_a == contacts_b and sorted(assigned_a) == sorted(assigned_b)
    assert out["a"]["response"] is not None and len(contacts_a) > 5

"""Public outputs never describe fewer than `report.min_segment_size` customers: no name, size,
share or statistic of a small segment, no category held by a few customers, no point of a single
customer on a map. Built on small and skewed tables, checked against the private results."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main

RARE = "Rarevalue"  # a category value held by three customers


def _public_text(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*"))
                     if p.is_file() and p.suffix in (".html", ".js", ".csv") and p.name != "plotly.min.js")


def _table(root: Path, n: int, min_size: int | None) -> tuple[Path, Path]:
    """A synthetic table (n customers), three of them with a rare education value."""
    data = root / "data"
    assert main(["synth", "--customers", "600", "--segments", "3", "--seed", "11", "--out", str(data)]) == 0
    df = pd.read_csv(data / "customers.tsv", sep="\t", dtype=str, keep_default_na=False).head(n)
    df.loc[df.index[:3], "Education"] = RARE
    df.to_csv(data / "customers.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((data / "config.yml").read_text())
    if min_size is not None:
        cfg["report"]["min_segment_size"] = min_size
    (data / "config.yml").write_text(yaml.safe_dump(cfg))
    out = root / "out"
    assert main(["report", "--config", str(data / "config.yml"), "--out", str(out), "--no-pdf"]) == 0
    return out / "site", out / "exports"


@pytest.fixture(scope="module", params=[(30, None), (600, "smallest")], ids=["30-customers", "one-small-segment"])
def built(request, tmp_path_factory):
    n, min_size = request.param
    root = tmp_path_factory.mktemp(f"privacy-{n}")
    if min_size == "smallest":  # the smallest segment of a first run becomes one too small to publish
        _, exports = _table(root / "first", n, None)
        sizes = [s["size"] for s in json.loads((exports / "results.json").read_text())["segments"]]
        min_size = min(sizes) + 1
        assert sorted(sizes)[1] >= min_size, "the test needs exactly one small segment"
    site, exports = _table(root, n, min_size)
    results = json.loads((exports / "results.json").read_text())
    hidden = [s for s in results["segments"] if not s["public"]]
    assert hidden, "the table must produce a segment below the minimum size"
    return site, results, hidden


def test_small_segments_have_no_name_size_or_statistic(built):
    site, results, hidden = built
    text = _public_text(site)
    public_names = {s["name"] for s in results["segments"] if s["public"]}
    for s in hidden:
        for name in {s["name"], *(p["generated_name"] for p in results["personas"] if p["segment"] == s["id"])}:
            if name not in public_names:
                assert name not in text, f"the name of small segment {s['id']} is published"
    summary = pd.read_csv(site / "downloads" / "segments.csv", dtype=str, keep_default_na=False)
    for s in hidden:
        row = summary[summary["segment"] == str(s["id"])].iloc[0]
        assert set(row.drop(["segment", "name"])) == {""}, f"segment {s['id']}'s row holds statistics"
        page = (site / f"segment-{s['id']}.html").read_text(encoding="utf-8")
        body = re.sub(r"<[^>]+>", " ", page[page.index("<main"):page.index("</main>")])
        assert f"{s['size']} customers" not in body and not re.search(r"\d+(\.\d+)?%", body)


def test_a_site_that_can_describe_no_segment_says_why(built):
    """30 customers in segments of fewer than 20: the overview says why no segment is described,
    instead of an empty table under '30 customers fall into 2 segments'."""
    site, results, hidden = built
    index = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (site / "index.html").read_text(encoding="utf-8")))
    said = "No segment holds the 20 customers a public page needs to describe it (report.min_segment_size)" in index
    assert said == (len(hidden) == len(results["segments"]))


def test_rare_category_is_not_published(built):
    site, _, _ = built
    assert RARE not in _public_text(site)


def _array(value) -> list:
    """A Plotly data array as numbers: a list, or {"dtype", "bdata"} (base64 of a numpy array)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value) if isinstance(value, list) else []


def _traces(site: Path):
    """(page, trace) for every trace of every chart of the site."""
    decoder = json.JSONDecoder()
    for page in sorted(site.glob("*.html")):
        for blob in re.findall(r'data-chart="[^"]*">(.*?)</script>', page.read_text(encoding="utf-8"), re.S):
            start = blob.index("Plotly.newPlot(")
            start = blob.index("[", start)
            data, _ = decoder.raw_decode(blob[start:])
            for trace in data:
                yield page.name, trace


def test_maps_hold_no_single_customer(built):
    """No coordinate pair on any published chart is a customer's point on the private map."""
    site, results, hidden = built
    points = {(round(p[0], 6), round(p[1], 6)) for p in results["map"]["points"]}
    hidden_centres = {(round(c[0], 4), round(c[1], 4)) for i, c in enumerate(results["map"]["centers"])
                      if not results["segments"][i]["public"]}
    found = 0
    for page, trace in _traces(site):
        xs, ys = _array(trace.get("x")), _array(trace.get("y"))
        pairs = [(x, y) for x, y in zip(xs, ys) if isinstance(x, (int, float)) and isinstance(y, (int, float))]
        found += len(pairs)
        assert not {(round(x, 6), round(y, 6)) for x, y in pairs} & points, f"{page}: a customer's point"
        assert not {(round(x, 4), round(y, 4)) for x, y in pairs} & hidden_centres, f"{page}: a small segment"
    assert found > 100


def test_published_cleaning_log_quotes_no_customers_values(demo_run):
    """The demo's implausible birth years (1893, 1899, 1900) and most extreme income are single
    customers' values: kept in the private results, not on the data-quality page."""
    from analysis.publish.pages import data_quality

    private = {e.detail for e in demo_run.results.cleaning}
    assert any("1893" in d for d in private) and any("most extreme" in d for d in private)
    shown = " ".join(row["detail"] for row in data_quality(demo_run.results)["log"])
    assert "1893" not in shown and "most extreme" not in shown and "666,666" not in shown
    assert "age outside" in shown and "quartiles" in shown  # the rule itself is still said

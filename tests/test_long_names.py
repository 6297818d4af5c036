"""The layout on a table unlike the demos: a 60-character spend category and a 60-character
education value, nine segments (k forced). The PDF and the site at a phone's width pass the same
layout checks as the demos (tests/layout_checks.py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from analysis import synth
from analysis.cli import main
from analysis.publish.pdf import chart_engine_missing

from layout_checks import pdf_problems, phone_problems
from test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE, TIMEOUT_MS, ALL_CHARTS_DRAWN  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
LONG_CATEGORY = "Wines, spirits and liqueurs from partner vineyards in Europe"
LONG_VALUE = "Postgraduate research degree in applied food science studies"
K = 9


@pytest.fixture(scope="module")
def long_names(tmp_path_factory) -> Path:
    """The report (site and PDF) of a synthetic table with long names and nine segments."""
    assert len(LONG_CATEGORY) == len(LONG_VALUE) == 60
    folder = tmp_path_factory.mktemp("long-names")
    df, _ = synth.generate(1800, 6, seed=11)
    df["Education"] = df["Education"].replace({"Graduation": LONG_VALUE})
    synth.write(df, folder / "customers.tsv")
    cfg = yaml.safe_load((ROOT / "data" / "marketing_campaign.yml").read_text())
    cfg["customers"] = {"path": "customers.tsv"}
    spend = cfg["columns"]["spend"]
    cfg["columns"]["spend"] = {(LONG_CATEGORY if k == "Wines" else k): v for k, v in spend.items()}
    cfg["segmentation"] = {"algorithm": "kmeans", "k": K}
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = folder / "out"
    assert chart_engine_missing() is None, chart_engine_missing()
    assert main(["report", "--config", str(folder / "config.yml"), "--out", str(out)]) == 0
    return out


def _segments(out: Path) -> list[dict]:
    return json.loads((out / "exports" / "results.json").read_text())["segments"]


def test_the_table_has_what_the_checks_need(long_names):
    segments = _segments(long_names)
    assert len(segments) == K and sum(s["public"] for s in segments) >= K - 1
    pages = {p.name: re.sub(r"\s+", " ", p.read_text()) for p in (long_names / "site").glob("*.html")}
    assert any(LONG_CATEGORY in t for t in pages.values())
    assert any(LONG_VALUE in t for n, t in pages.items() if n.startswith("segment-"))


def test_pdf_layout_holds_with_long_names(long_names):
    problems = pdf_problems(long_names / "site" / "report.pdf", _segments(long_names))
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_phone_layout_holds_with_long_names(long_names, browser):
    ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        failures = []
        for f in sorted((long_names / "site").glob("*.html")):
            page.goto(f.as_uri(), wait_until="load")
            page.evaluate("window.segmentsDrawAll()")
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=TIMEOUT_MS)
            failures += [f"{f.name}: {p}" for p in phone_problems(page, PHONE["width"])]
        assert not failures, "\n".join(failures)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (as in test_browser; fails, never skips, without it)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not found: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                              chromium_sandbox=False, timeout=60_000)
        try:
            yield b
        finally:
            b.close()

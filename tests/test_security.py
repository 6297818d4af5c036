"""Safe to publish: strings from the data and the config land as text, never as markup, script,
Typst code or spreadsheet formula.

Two reports (a customer table and order lines with a product map) are built with a list of attack
payloads in every text role (spend category, channel, campaign, categorical values, customer ids,
product category, product name, country, override name and notes, title, currency). Every page is
then opened in Chromium, which must show no dialog, run no script the site did not ship and render
no payload as markup, while the payloads show literally; the PDF must build and show them as
text; every CSV cell that starts like a formula must be neutralised.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import escaping
from analysis.cli import main
from analysis.config import load_config
from analysis.publish.exports import overrides_template
from analysis.pipeline import analyse
from analysis.publish.render import pandoc_path

LONG = "L" * 10_000
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "[click me](javascript:alert(3))",
    "![pic](x.png)",
    '#set text(fill: red) #import "evil.typ": *',
    "$x^2$ \\ back",
    "@smith2024 <2024>",
    "'quoted' \"double\" 😀 *bold* _em_ `code`",
    "=HYPERLINK(\"http://x\")",
    "+1+1",
    "-1+2",
    "@SUM(1)",
]
SHIPPED_SCRIPTS = {"plotly.min.js", "search-index.js", "search.js", "site.js"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- escaping, one context at a time


def _pandoc(text: str, to: str = "plain", extra: tuple[str, ...] = ()) -> str:
    done = subprocess.run([pandoc_path(), "--from", "markdown", "--to", to, "--wrap=none", *extra],
                          input=text, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("payload", PAYLOADS + ["line\nbreak", "1. a list?", "- item", "::: div", "# heading",
                                                "Wine &amp; cheese", "a|b"])
def test_markdown_shows_every_payload_as_written(payload):
    """Pandoc turns the escaped text back into exactly the text (one line), as plain text and
    as HTML with no tag of the payload's."""
    shown = payload.replace("\n", " ")
    assert _pandoc(escaping.markdown(payload)).strip() == shown.strip()
    html = _pandoc(escaping.markdown(payload), "html")
    assert "<img" not in html and "<script" not in html and "<a " not in html and "<em>" not in html
    # In a table cell, the text stays in its one cell.
    table = f"| a | b |\n|---|---|\n| {escaping.markdown(payload)} | z |\n"
    assert _pandoc(table, "html").count("<td") == 2


@pytest.mark.parametrize("payload", PAYLOADS)
def test_attribute_and_code_span_show_the_payload(payload):
    doc = f'::: {{.callout-note title="{escaping.markdown_attribute(payload)}"}}\nbody\n:::\n'
    native = json.loads(_pandoc(doc, "json"))
    title = native["blocks"][0]["c"][0][2][0][1]
    assert _pandoc(title).strip() == payload  # a filter reads the title as markdown: still the text
    code = json.loads(_pandoc(escaping.code(payload), "json"))["blocks"][0]["c"][0]
    assert code["t"] == "Code" and code["c"][1] == payload


def test_html_and_plotly_escape_tags():
    assert escaping.html('"><img src=x>') == "&quot;&gt;&lt;img src=x&gt;"
    assert escaping.plotly("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), (-3.5, -3.5), (-2, -2), ("", ""),
])
def test_csv_cells_that_start_like_formulas_are_text(value, cell):
    assert escaping.csv_cell(value) == cell


def test_csv_frame_keeps_numbers_numbers():
    from analysis.publish.exports import csv_text

    text = csv_text(pd.DataFrame({"id": ["=cmd|' /C calc'!A0", "7"], "amount": [-12.5, 3.0]}))
    rows = list(csv.reader(io.StringIO(text)))
    # Numbers stay numbers (written as plain decimals: 3.0 as 3); only text that starts like a formula changes.
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-12.5"] and rows[2] == ["7", "3"]


def test_typst_string_holds_any_text(tmp_path):
    import typst
    from pypdf import PdfReader

    lines = [f'#let t{i} = "{escaping.typst_string(p)}"\n#t{i}\n\n' for i, p in enumerate(PAYLOADS)]
    (tmp_path / "t.typ").write_text("".join(lines), encoding="utf-8")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(typst.compile(str(tmp_path / "t.typ")))
    text = _squash(" ".join(p.extract_text() for p in PdfReader(pdf).pages))
    for p in PAYLOADS:
        assert _squash(p.replace("😀", "")) in text.replace("😀", "")


# ---------------------------------------------------------------- whole reports with payloads


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _customer_case(root: Path) -> Path:
    """A synthetic customer table with payloads in every text role, and its config (with an
    overrides file whose names and notes are payloads)."""
    folder = root / "customers"
    assert main(["synth", "--customers", "600", "--segments", "3", "--seed", "3", "--out", str(folder)]) == 0
    cfg = yaml.safe_load((folder / "config.yml").read_text())
    df = pd.read_csv(folder / "customers.tsv", sep="\t", dtype=str, keep_default_na=False)
    c = cfg["columns"]
    c["spend"] = {PAYLOADS[i]: col for i, col in enumerate(c["spend"].values())}
    c["purchases"] = {PAYLOADS[i + 6]: col for i, col in enumerate(c["purchases"].values())}
    c["campaigns"] = {PAYLOADS[(i + 5) % len(PAYLOADS)]: col for i, col in enumerate(c["campaigns"].values())}
    for col in c["categorical"]:
        values = sorted(df[col].unique())
        df[col] = df[col].map({v: (PAYLOADS + [LONG])[i % (len(PAYLOADS) + 1)] for i, v in enumerate(values)})
    df["ID"] = [f"=HYPERLINK(\"x{i}\")" if i % 2 else f"+{i}" for i in range(len(df))]
    df.to_csv(folder / "customers.tsv", sep="\t", index=False)
    # Characters beyond the Basic Multilingual Plane (an emoji, a rare CJK ideograph) too: written as
    # JSON's surrogate escapes into the pages' YAML metadata, they stopped pandoc and no site was built.
    cfg["report"]["title"] = '"Premium" <b>customers</b> in $ and £ #set @x 🍷 𠮷野家'
    cfg["report"]["currency"] = "<i>€</i>"
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    _add_overrides(folder)
    return folder / "config.yml"


def _add_overrides(folder: Path) -> None:
    """An overrides file from the run itself, each name and note a payload."""
    run = analyse(load_config(folder / "config.yml"))
    entries = yaml.safe_load(overrides_template(run.results.personas))
    for i, e in enumerate(entries["segments"]):
        e["name"] = PAYLOADS[i]
        e["notes"] = PAYLOADS[-1 - i] + " " + LONG[:200]
    (folder / "personas.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    cfg = yaml.safe_load((folder / "config.yml").read_text())
    cfg["report"]["overrides"] = "personas.yml"
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


def _orders_case(root: Path) -> Path:
    """Synthetic order lines whose product categories, product names and countries are payloads."""
    folder = root / "orders"
    assert main(["synth", "--customers", "400", "--transactions", "20000", "--segments", "3", "--seed", "3",
                 "--format", "csv", "--out", str(folder)]) == 0
    products = pd.read_csv(folder / "products.csv", dtype=str)
    cats = sorted(products["Category"].unique())
    products["Category"] = products["Category"].map({v: PAYLOADS[i % len(PAYLOADS)] for i, v in enumerate(cats)})
    products.to_csv(folder / "products.csv", index=False)
    lines = pd.read_csv(folder / "lines.csv.gz", dtype=str, keep_default_na=False)
    codes = sorted(lines["StockCode"].unique())[:40]
    names = {code: PAYLOADS[i % len(PAYLOADS)] for i, code in enumerate(codes)}
    lines["Description"] = [names.get(s, d) for s, d in zip(lines["StockCode"], lines["Description"])]
    countries = sorted(lines["Country"].unique())
    lines["Country"] = lines["Country"].map({v: (PAYLOADS + [LONG])[i % 4 * 3] for i, v in enumerate(countries)})
    lines.to_csv(folder / "lines.csv.gz", index=False)
    cfg = yaml.safe_load((folder / "config.yml").read_text())
    cfg["report"]["title"] = "<script>alert('title')</script> #import \"x\" $5"
    cfg["report"]["currency"] = "<b>£</b>"
    cfg["report"]["min_segment_size"] = 5
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return folder / "config.yml"


@pytest.fixture(scope="module", params=["customers", "orders"])
def built(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(f"payload-{request.param}")
    config = _customer_case(root) if request.param == "customers" else _orders_case(root)
    out = root / "out"
    assert main(["report", "--config", str(config), "--out", str(out)]) == 0
    assert (out / "site" / "report.pdf").is_file(), "the PDF must build with payloads in every role"
    return out


def test_characters_beyond_the_basic_plane_in_the_title_reach_the_pages(built):
    if built.parent.name.startswith("payload-customers"):
        assert "#set @x 🍷 𠮷野家" in html.unescape((built / "site" / "index.html").read_text(encoding="utf-8"))
        # The emoji is drawn with the emoji font (set up by make), not left to a missing-glyph box.
        from pypdf import PdfReader

        page = PdfReader(built / "site" / "report.pdf").pages[0]
        fonts = {str(f.get_object().get("/BaseFont") or f.get_object().get("/Name")) for f in page["/Resources"]["/Font"].values()}
        assert any("NotoColorEmoji" in f for f in fonts), fonts


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if any(k.startswith("on") for k in a):
            self.bad.append(f"<{tag}> with an event handler {a}")
        if tag == "img" and a.get("src") in ("x", "x.png"):
            self.bad.append(f"<img src={a.get('src')}>")
        if tag == "a" and (a.get("href") or "").strip().lower().startswith("javascript"):
            self.bad.append(f"<a href={a.get('href')}>")
        if tag == "script" and a.get("src") and a["src"] not in SHIPPED_SCRIPTS:
            self.bad.append(f"<script src={a['src']}>")


def test_pages_hold_no_markup_from_the_data(built):
    pages = sorted((built / "site").glob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        parser = _Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        assert not parser.bad, f"{page.name}: {parser.bad[:3]}"


def test_browser_runs_no_script_from_the_data(built):
    """Every page in Chromium (charts drawn): no dialog, no script but the site's, no payload
    element; the payloads show as text in menus, titles and pages."""
    from test_browser import CHROMIUM, CHROMIUM_ARGS, _wait_for_charts
    from playwright.sync_api import sync_playwright

    site = built / "site"
    dialogs, problems, text = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                    chromium_sandbox=False, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: problems.append(str(e)))
            for html in sorted(site.glob("*.html")):
                page.goto(html.as_uri(), wait_until="load")
                assert _wait_for_charts(page) == [], f"{html.name}: charts not drawn"
                page.mouse.move(640, 450)
                scripts = page.eval_on_selector_all(
                    "script", "els => els.map(s => s.getAttribute('src') || s.type || 'inline')")
                unknown = [s for s in scripts if s not in SHIPPED_SCRIPTS | {"application/x-plotly-deferred"}]
                # One inline script of the layout's own: it marks that JavaScript runs.
                assert unknown == ["inline"], f"{html.name}: scripts {unknown}"
                bad = page.eval_on_selector_all('img[src="x"], img[src="x.png"], [onerror], a[href^="javascript"]',
                                                "els => els.map(e => e.outerHTML.slice(0, 80))")
                assert not bad, f"{html.name}: payload rendered as markup: {bad}"
                text.append(page.title() + "\n" + page.inner_text("body"))
        finally:
            browser.close()
    assert not dialogs, f"a payload ran script: {dialogs}"
    assert not problems, problems[:3]
    shown = "\n".join(text)
    for p in ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "[click me](javascript:alert(3))"):
        assert p in shown, f"payload {p!r} is not shown as text anywhere"


def test_pdf_shows_payloads_as_text(built):
    from pypdf import PdfReader

    text = _squash(" ".join(p.extract_text() for p in PdfReader(built / "site" / "report.pdf").pages))
    for p in ("<script>alert(1)</script>", "[clickme](javascript:alert(3))", "#settext(fill:red)"):
        assert _squash(p) in text, f"{p!r} missing from the PDF's text"


def test_every_csv_is_neutralised(built):
    """No text cell of any CSV the run wrote (public or private) starts like a formula; numbers
    (negative ones included) stay numbers."""
    files = list((built / "exports").rglob("*.csv")) + list((built / "site").rglob("*.csv"))
    assert any(f.name == "assignments.csv" for f in files)
    for f in files:
        for row in csv.reader(io.StringIO(f.read_text(encoding="utf-8"))):
            for cell in row:
                if cell.startswith(FORMULA):
                    float(cell)  # only a number may start with - or +
    ids = pd.read_csv(built / "exports" / "assignments.csv", dtype=str)["customer_id"]
    if ids.str.contains("HYPERLINK").any():
        assert ids.str.startswith("'=HYPERLINK").sum() == 300 and ids.str.startswith("'+").sum() == 300

"""End to end: the demo report built into a temporary folder, as a user would, and checked."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.publish.pages import NAV
from analysis.publish.pdf import chart_engine_missing

from layout_checks import pdf_problems

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def _demo_with_marked_ids(folder: Path) -> Path:
    """The bundled table with ids no page could show by chance, and its config."""
    df = pd.read_csv(DATA / "marketing_campaign.csv", sep="\t", dtype=str, keep_default_na=False)
    df["ID"] = "CUST" + df["ID"].str.zfill(6) + "X"
    df.to_csv(folder / "customers.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((DATA / "marketing_campaign.yml").read_text())
    cfg["customers"]["path"] = "customers.tsv"
    (folder / "demo.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder / "demo.yml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    config = _demo_with_marked_ids(folder)
    out = folder / "out"
    pdf = chart_engine_missing() is None
    args = ["report", "--config", str(config), "--out", str(out)] + ([] if pdf else ["--no-pdf"])
    assert main(args) == 0
    return folder, out, pdf


def _results(out: Path) -> dict:
    return json.loads((out / "exports" / "results.json").read_text())


def test_every_page_is_built_with_one_page_per_segment(built):
    _, out, _ = built
    site = out / "site"
    k = _results(out)["chosen"]["k"]
    pages = sorted(p.name for p in site.glob("*.html"))
    expected = {f.replace(".qmd", ".html") for f, _ in NAV} | {f"segment-{i}.html" for i in range(1, k + 1)}
    assert set(pages) == expected
    assert len(_results(out)["segments"]) == k


def test_every_page_has_the_navbar_and_local_plotly(built):
    _, out, _ = built
    for page in (out / "site").glob("*.html"):
        html = page.read_text()
        for f, title in NAV:
            assert f'href="{f.replace(".qmd", ".html")}"' in html, (page.name, f)
        assert "cdn.plot.ly" not in html and "https://cdn" not in html
        if "Plotly.newPlot" in html:
            assert '<script src="plotly.min.js"></script>' in html
    assert len(list((out / "site").rglob("plotly.min.js"))) == 1


def test_each_tab_names_its_page_then_the_report_once(built):
    _, out, _ = built
    report = _results(out)["title"]
    titles = {p.name: re.search(r"<title>(.*?)</title>", p.read_text(), re.S).group(1).replace("\n", " ")
              for p in (out / "site").glob("*.html")}
    assert titles["index.html"] == report
    assert titles["campaigns.html"] == f"Campaigns – {report}"
    assert all(t.count(report) == 1 for t in titles.values()), titles


def test_internal_links_resolve(built):
    _, out, _ = built
    site = out / "site"
    for page in site.glob("*.html"):
        for href in re.findall(r'href="([^"#]+)(?:#[^"]*)?"', page.read_text()):
            if href.startswith(("http:", "https:", "mailto:", "data:")):
                continue
            assert (site / href).exists(), f"{page.name} links to missing {href}"


def test_charts_are_embedded(built):
    _, out, _ = built
    site = out / "site"
    assert (site / "index.html").read_text().count("Plotly.newPlot") == 3
    assert "Plotly.newPlot" in (site / "methodology.html").read_text()
    assert "Plotly.newPlot" in (site / "segment-1.html").read_text()


def test_the_trees_accuracy_says_which_tree_it_is_of(built):
    # Measured on the customers held out from one fit; the rules shown are that tree refitted with them.
    _, out, _ = built
    results = json.loads((out / "exports" / "results.json").read_text())
    held = f"{results['explanation']['held_out']:.0%}"
    method = " ".join((out / "site" / "methodology.html").read_text().split())  # pandoc wraps lines
    assert f"of customers it was not fitted on (the {held} held out)" in method and held == "25%"
    assert "The rules on each segment’s page are from the same tree refitted with the customers held out." in method
    segment = " ".join((out / "site" / "segment-1.html").read_text().split())
    assert f"(the {held} held out; the rules below are from the same tree refitted with them)" in segment


def test_no_customer_id_or_input_row_in_site(built):
    folder, out, pdf = built
    ids = pd.read_csv(folder / "customers.tsv", sep="\t", dtype=str)["ID"].tolist()
    texts = {p: p.read_text(errors="ignore") for p in (out / "site").rglob("*")
             if p.is_file() and p.suffix in (".html", ".csv", ".json", ".js", ".css")}
    if pdf:
        from pypdf import PdfReader

        texts[out / "site" / "report.pdf"] = " ".join(pg.extract_text() for pg in PdfReader(out / "site" / "report.pdf").pages)
    pattern = re.compile(r"CUST\d{6}X")
    for path, text in texts.items():
        found = pattern.findall(text)
        assert not found, f"{path.name} shows customer ids such as {found[0]}"
    raw = (folder / "customers.tsv").read_text().splitlines()[1:]
    for path, text in texts.items():
        for line in raw[:200]:
            values = line.split("\t")[1:]
            assert "\t".join(values) not in text and ",".join(values) not in text, path.name
    assert ids  # the scan above ran over real ids


def test_assignments_cover_every_input_row(built):
    folder, out, _ = built
    a = pd.read_csv(out / "exports" / "assignments.csv", dtype=str, keep_default_na=False)
    ids = pd.read_csv(folder / "customers.tsv", sep="\t", dtype=str)["ID"]
    assert list(a.columns) == ["customer_id", "segment", "segment_name", "excluded_reason"]
    assert a["customer_id"].tolist() == ids.tolist()
    has_segment = a["segment"] != ""
    assert ((a["excluded_reason"] == "") == has_segment).all()
    assert has_segment.sum() == _results(out)["n_segmented"] == 2058


def test_downloads_csv_is_aggregate(built):
    _, out, _ = built
    summary = pd.read_csv(out / "site" / "downloads" / "segments.csv")
    res = _results(out)
    assert len(summary) == res["chosen"]["k"]
    assert summary["customers"].sum() == res["n_segmented"]
    # Means to seven digits: the spend a page shows to the dollar is the CSV's too (not rounded to four digits).
    feats = pd.read_csv(out / "exports" / "customers_features.csv")
    means = feats.groupby("segment")["total_spend"].mean()
    for row in summary.itertuples():
        assert row.mean_total_spend == pytest.approx(means[row.segment], rel=5e-7), (row.mean_total_spend, means)


def test_quarto_sources_and_config_written(built):
    _, out, _ = built
    conf = yaml.safe_load((out / "_quarto.yml").read_text())
    assert conf["project"]["output-dir"] == "site"
    assert "--sources-only" in conf["project"]["pre-render"]
    assert [i["href"] for i in conf["website"]["navbar"]["left"]] == [f for f, _ in NAV]
    for f, _ in NAV:
        assert (out / f).exists()


def test_repository_quarto_config_matches_the_pages():
    conf = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert [i["href"] for i in conf["website"]["navbar"]["left"]] == [f for f, _ in NAV]
    assert conf["project"]["output-dir"] == "site"
    assert "data/marketing_campaign.yml" in conf["project"]["pre-render"]


def test_pdf_has_a_section_per_segment(built):
    _, out, pdf = built
    if not pdf:
        pytest.skip(f"no PDF here: {chart_engine_missing()}")
    from pypdf import PdfReader

    reader = PdfReader(out / "site" / "report.pdf")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert len(reader.pages) >= 6
    for seg in _results(out)["segments"]:
        assert seg["name"] in text
    assert "Executive summary" in text and "Contents" in text


def test_pdf_layout_holds(built):
    """Read from the PDF itself (tests/layout_checks.py): no text runs into other text, no page but
    the cover and the last is less than a quarter full, the executive summary starts on the page
    after the cover and ends within the first three, and every segment's name stands unbroken in
    its heading and in the summary's table."""
    _, out, pdf = built
    assert pdf, f"no PDF here: {chart_engine_missing()}"
    problems = pdf_problems(out / "site" / "report.pdf", _results(out)["segments"])
    assert not problems, "\n".join(problems)


def _typst_pdf(tmp_path, body: str) -> Path:
    import typst

    n = len(list(tmp_path.glob("*.typ")))  # a new file each time: typst caches files by path
    src = tmp_path / f"t{n}.typ"
    src.write_text('#set page(paper: "a4", margin: 2cm)\n#set text(size: 10pt)\n' + body)
    path = tmp_path / f"t{n}.pdf"
    path.write_bytes(typst.compile(str(src)))
    return path


def test_the_pdf_checks_catch_what_they_look_for(tmp_path):
    """Each check fails on a PDF made to show its fault: overlapping words, a nearly empty page, a
    summary that does not start after the cover, a name broken in the middle of a word."""
    segs = [{"id": 1, "public": True, "name": "Loyal wine buyers"}]
    full = "Filler text for more than a quarter of a page. " * 60
    ok = f"Cover\n#pagebreak()\n= Executive summary\n1. Loyal wine buyers\n\n{full}\n= How the segments differ\n" \
         f"{full}\n#pagebreak()\n{full}\n#pagebreak()\n= Segment 1: Loyal wine buyers\n{full}\n#pagebreak()\nThe end."
    assert pdf_problems(_typst_pdf(tmp_path, ok), segs) == []
    overlap = ok.replace("The end.", "The end.\n#place(top + left, dx: 1pt)[Overlapping words]\n"
                                     "#place(top + left, dx: 2pt, dy: 1pt)[Overlapping words]")
    assert any("overlapping text" in p for p in pdf_problems(_typst_pdf(tmp_path, overlap), segs))
    sparse = ok.replace("#pagebreak()\n= Segment 1", "#pagebreak()\nA short page.\n#pagebreak()\n= Segment 1")
    assert any(p.endswith("full") for p in pdf_problems(_typst_pdf(tmp_path, sparse), segs))
    late = ok.replace("Cover\n#pagebreak()", f"Cover\n#pagebreak()\nContents\n{full}\n#pagebreak()", 1)
    assert any("does not start on page 2" in p for p in pdf_problems(_typst_pdf(tmp_path, late), segs))
    broken = ok.replace("1. Loyal wine buyers", "1. Loyal wi\\ ne buyers")
    found = pdf_problems(_typst_pdf(tmp_path, broken), segs)
    assert any("broken or missing in the executive summary: ['wine']" in p for p in found), found
    heading = ok.replace("= Segment 1: Loyal wine buyers", "= Segment 1: Loyal wi\\ ne buyers")
    assert any("heading does not hold its name" in p for p in pdf_problems(_typst_pdf(tmp_path, heading), segs))


def test_failed_build_leaves_previous_site(built, tmp_path, monkeypatch):
    folder, out, _ = built
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = {p.relative_to(copy).as_posix(): p.read_bytes() for p in (copy / "site").rglob("*") if p.is_file()}
    import analysis.publish.render as render
    from analysis.errors import UserError

    calls = []

    def flaky(pandoc, src, dst, meta):  # the third page fails after two were written
        calls.append(src)
        if len(calls) == 3:
            raise UserError("pandoc failed")
        dst.write_text("partial")

    monkeypatch.setattr(render, "_pandoc", flaky)
    monkeypatch.setattr(render, "ThreadPoolExecutor", _SerialPool)
    assert main(["report", "--config", str(folder / "demo.yml"), "--out", str(copy), "--no-pdf"]) == 2
    after = {p.relative_to(copy).as_posix(): p.read_bytes() for p in (copy / "site").rglob("*") if p.is_file()}
    assert after == before
    assert not list(copy.glob(".site-*")) and not list(copy.glob(".build-*"))


class _SerialPool:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def shutdown(self, **kwargs):
        pass

    def map(self, fn, items):
        return [fn(i) for i in items]


def test_search_index_covers_every_page_and_finds_segments(built):
    _, out, _ = built
    site = out / "site"
    text = (site / "search-index.js").read_text()
    index = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    assert sorted(e["url"] for e in index) == sorted(p.name for p in site.glob("*.html"))
    for seg in _results(out)["segments"]:
        page = next(e for e in index if e["url"] == f"segment-{seg['id']}.html")
        assert seg["name"] in page["title"] and len(page["text"]) > 500
    for page in site.glob("*.html"):
        html = page.read_text()
        assert '<script src="search-index.js"></script>' in html and 'id="search-input"' in html


def test_numbers_read_as_written(built):
    """Shares in the overview's comparison table add up to 100%, no page shows '-0.0', and the
    public CSV has no number in scientific notation."""
    _, out, _ = built
    site = out / "site"
    csv_text = (site / "downloads" / "segments.csv").read_text()
    assert not re.search(r"\d[eE][+-]\d", csv_text)
    html = (site / "index.html").read_text()
    table = html[html.index("<table"):html.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    customers = [float(re.search(r"\((\d+(?:\.\d)?)%\)", c[1]).group(1)) for c in cells]
    revenue = [float(c[2].strip().rstrip("%")) for c in cells]
    assert sum(customers) == pytest.approx(100) and sum(revenue) == pytest.approx(100)
    for page in site.glob("*.html"):
        assert not re.search(r"[\"'>\s]-0\.0+(?![0-9])", page.read_text()), page.name



def test_no_markdown_reaches_a_page_as_text(built):
    """A template line that loses its blank line glues a callout or a table to the paragraph before:
    pandoc then prints ':::' and '| Plan |' as text. No page may show Markdown syntax."""
    from layout_checks import raw_markdown

    _, out, _ = built
    assert raw_markdown(out / "site") == []

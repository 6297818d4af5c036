"""The PDF's static charts: drawn in one browser tab that is not reloaded between charts, they
come out as kaleido draws them with its reloads; a browser that cannot start is one error line."""
from __future__ import annotations

import re
from pathlib import Path
import kaleido
import pytest
from kaleido._kaleido_tab._tab import _KaleidoTab

from analysis.cli import main
from analysis.publish.pdf import CHART_WIDTH, ChartDrawer, StaticCharts, document
from analysis.publish.render import PLOTLY_JS

def _same_drawing(svg: str) -> str:
    """An SVG without what Plotly draws at random: the ids of clip paths, gradients, colour bars
    and traces (each replaced wherever it occurs, also inside other names)."""
    uids = re.findall(r'defs-([0-9a-f]+)"', svg) + re.findall(r'class="(cb[0-9a-f]+) colorbar"', svg)
    uids += re.findall(r'class="trace \w+ trace([0-9a-f]+)"', svg)
    for n, uid in enumerate(dict.fromkeys(uids)):
        svg = svg.replace(uid, f"uid{n}")
    # Plotly writes a rect's attributes in the order they were set, which can vary
    return re.sub(r"<rect ([^>]*?)/?>", lambda m: "<rect " + " ".join(sorted(m.group(1).split())) + ">", svg)


@pytest.fixture
def reloads(monkeypatch):
    count = []
    real = _KaleidoTab.reload

    async def counted(self):
        count.append(1)
        return await real(self)
    monkeypatch.setattr(_KaleidoTab, "reload", counted)
    return count


def test_charts_drawn_in_one_tab_are_the_charts_kaleido_draws(demo_run, tmp_path, reloads):
    charts = StaticCharts()
    document(demo_run.results, charts)
    assert len(charts.figures) >= 15
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    drawer = ChartDrawer()
    try:
        drawer.draw(charts.figures, ours).result(timeout=120)
    finally:
        drawer.close()
    assert reloads == []  # the time saved: no reload between charts
    kaleido.write_fig_from_object_sync(
        [{"fig": f.to_dict(), "path": theirs / f"{i}.svg",
          "opts": {"format": "svg", "width": CHART_WIDTH, "height": f.layout.height, "scale": 1}}
         for i, f in charts.figures.items()], kopts={"plotlyjs": str(PLOTLY_JS)})
    assert len(reloads) >= len(charts.figures)  # kaleido's own way reloads after each chart
    differ = [i for i in charts.figures
              if _same_drawing((ours / f"{i}.svg").read_text()) != _same_drawing((theirs / f"{i}.svg").read_text())]
    assert differ == []


def test_a_browser_that_cannot_start_is_one_error_line_and_the_outputs_stay(tmp_path, monkeypatch, capsys):
    from conftest import DEMO_CONFIG

    out = tmp_path / "out"
    (out / "site").mkdir(parents=True)
    (out / "site" / "index.html").write_text("the previous site")
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(broken))
    assert main(["report", "--config", str(DEMO_CONFIG), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: could not draw the PDF's charts") and "--no-pdf" in err[-1]
    assert not any("Traceback" in line for line in err)
    assert [p.name for p in (out / "site").iterdir()] == ["index.html"]
    assert (out / "site" / "index.html").read_text() == "the previous site"


def test_charts_that_never_come_are_one_error_line_not_a_wait_forever(monkeypatch, tmp_path):
    from concurrent.futures import Future

    from analysis.errors import UserError
    from analysis.publish import pdf

    monkeypatch.setattr(pdf, "FIRST_WAIT", 0.05)
    tried = []

    def stuck_again() -> None:
        tried.append(True)
        raise TimeoutError

    with pytest.raises(UserError, match=r"could not draw the PDF's charts \(the browser gave no answer in 0.05 s, nor "
                                         r"a second one in 600 s\); use --no-pdf"):
        pdf._finish_pdf(None, Future(), tmp_path, lambda s: None, stuck_again)  # a Future nobody completes
    assert tried == [True]


def test_a_browser_that_stops_answering_is_replaced_and_the_pdf_is_built(monkeypatch, tmp_path, demo_run):
    """The first chart browser never delivers (as one started beside a busy run once did): after
    FIRST_WAIT a second browser draws the charts and the PDF is typeset from them."""
    from concurrent.futures import Future

    from analysis.publish import pdf

    monkeypatch.setattr(pdf, "FIRST_WAIT", 1)
    real, calls = pdf.ChartDrawer.draw, []

    def first_never(self, figures, folder):
        calls.append(folder.name)
        return Future() if len(calls) == 1 else real(self, figures, folder)

    monkeypatch.setattr(pdf.ChartDrawer, "draw", first_never)
    drawer = pdf.ChartDrawer()
    try:
        typeset = pdf.begin_pdf(demo_run.results, drawer, tmp_path)
        document = typeset()
    finally:
        drawer.close()
    assert calls == [tmp_path.name, "again"] and document[:4] == b"%PDF" and len(document) > 100_000


def test_chinese_japanese_and_korean_text_has_glyphs_in_the_pdf(tmp_path):
    """A Japanese table's '顧客' in the title, a Korean column in a table: the report's fonts fall back
    to one with their glyphs (installed by `make setup`), not to empty boxes."""
    import typst
    from pypdf import PdfReader

    template = Path(__file__).resolve().parents[1] / "templates" / "report.typ"
    fonts = next(line for line in template.read_text(encoding="utf-8").splitlines() if line.startswith("#set text(font:"))
    (tmp_path / "t.typ").write_text(fonts + "\n顧客 회원 会员\n", encoding="utf-8")
    (tmp_path / "t.pdf").write_bytes(typst.compile(str(tmp_path / "t.typ")))
    page = PdfReader(tmp_path / "t.pdf").pages[0]
    used = {f.get_object()["/BaseFont"] for f in page["/Resources"]["/Font"].values()}
    assert any("WenQuanYiMicroHei" in name for name in used), used
    assert page.extract_text().split() == ["顧客", "회원", "会员"]


def test_emoji_are_left_out_of_the_static_charts_only():
    """Typst draws a chart's text from outlines and the emoji font has none: 'Gadgets 📱 & gifts 🎁' showed
    empty boxes in the PDF's charts. They are left out there, with their joiners and selectors; other
    symbols, accents and scripts stay."""
    from analysis.publish.pdf import without_emoji

    svg = '<text>Gadgets 📱 & gifts 🎁</text><text>Team 👩‍👩‍👧 ❤️ ★ Café Ελληνικά 葡萄酒 \u2068حلويات\u2069</text>'
    assert without_emoji(svg) == ('<text>Gadgets & gifts </text><text>Team ❤ ★ Café Ελληνικά 葡萄酒 '
                                  '\u2068حلويات\u2069</text>')

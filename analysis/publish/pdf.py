"""The PDF for stakeholders: the same page sources with static charts, through pandoc -> Typst.

Charts are drawn as SVG by kaleido, which drives a Chrome or Chromium; interactive charts would
silently vanish from a PDF otherwise.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
from concurrent.futures import Future
from functools import cache, partial
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go
from markupsafe import Markup

from .. import formatters as fmt
from ..errors import UserError
from ..escaping import typst_string
from .pages import TEMPLATES, build_pages, executive_summary, site_meta
from .figures import plotly_white, untitled
from .render import PLOTLY_JS, pandoc_path
from ..results import Results

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHART_WIDTH = 900  # px; the PDF scales charts to the text width
MAX_RATIO = 1.15  # height / width of a chart at the full text width that still fits a page with its caption


# Charts that only work on a screen: a three-dimensional map is read by turning it.
SCREEN_ONLY = ("chart-map3d",)


class StaticCharts:
    """Collects the figures a page asks for and puts an image reference in their place."""

    def __init__(self) -> None:
        self.figures: dict[str, go.Figure] = {}

    def __call__(self, fig: go.Figure, div_id: str, label: str) -> str:
        if div_id in SCREEN_ONLY:
            return Markup("")
        fig, title = untitled(fig)
        self.figures[div_id] = fig
        # Tall charts are drawn narrower so that chart and caption fit on one page.
        ratio = (fig.layout.height or 450) / CHART_WIDTH
        width = min(100, round(100 * MAX_RATIO / ratio))
        return Markup(f"![{fmt.md(title)}]({div_id}.svg){{width={width}%}}")


def chart_engine_missing() -> str | None:
    """Why static charts cannot be drawn here, or None when they can."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "kaleido is not installed (pip install kaleido)"
    import os

    if os.environ.get("BROWSER_PATH") or any(shutil.which(b) for b in BROWSERS):
        return None
    return "no Chrome or Chromium found to draw the PDF's charts; install one (Debian: apt-get install chromium)"


def _body(text: str) -> str:
    """A page source without its YAML front matter."""
    return re.sub(r"\A---\n.*?\n---\n", "", text, count=1, flags=re.S)


EXECUTIVE_SUMMARY = "Executive summary"
OVERVIEW_TITLE = "How the segments differ"  # the overview's pictures, after the executive summary


def document(results: Results, chart: StaticCharts) -> str:
    """One markdown document: the executive summary (the decision, the segments side by side, one
    chart), the overview's pictures, a section per segment, then the rest."""
    with plotly_white():  # once for all the charts
        pages = {p.name: p for p in build_pages(results, has_pdf=True, chart=chart, paper=True)}
        parts = [f"# {EXECUTIVE_SUMMARY}\n\n{executive_summary(results, chart)}"]
    order = ["index.qmd"] + [n for n in pages if n.startswith("segment-")]
    order += [n for n in ("campaigns.qmd", "baskets.qmd", "methodology.qmd", "data-quality.qmd", "dictionary.qmd")
              if n in pages]
    for name in order:
        title = OVERVIEW_TITLE if name == "index.qmd" else pages[name].title
        parts.append(f"# {fmt.md(title)}\n\n{_body(pages[name].text)}")
    return "\n\n".join(parts)


class ChartDrawer:
    """A Chromium for the PDF's static charts, driven by kaleido in a thread of its own. Opened when
    the run starts, it starts up (about 2 s) while the analysis runs, and it draws (about 0.15 s a
    chart) while the site is built, instead of both after them. It draws with the site's own
    trimmed plotly.js: that holds every trace type the figures use and loads faster than plotly's
    full bundle."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pdf-charts", daemon=True)
        self._thread.start()
        self._kaleido = None  # the browser as soon as it exists: one that never opens can still be killed
        self._closed = False
        self._browser = self._run(self._open())

    def _run(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _open(self):
        self._kaleido = _kaleido_class()(plotlyjs=str(PLOTLY_JS))
        await self._kaleido.open()
        return self._kaleido

    def draw(self, figures: dict[str, go.Figure], folder: Path) -> Future:
        """Every chart as `<id>.svg` in `folder`; the future is done when all are written."""
        specs = [{"fig": fig.to_dict(), "path": folder / f"{i}.svg",
                  "opts": {"format": "svg", "width": CHART_WIDTH, "height": fig.layout.height, "scale": 1}}
                 for i, fig in figures.items()]

        async def draw() -> None:
            browser = await asyncio.wrap_future(self._browser)
            failed = await browser.write_fig_from_object(specs)  # kaleido returns a chart's error, not raises it
            if failed:
                raise failed[0]
        return self._run(draw())

    def close(self) -> None:
        """Closes the browser; one that does not answer within CLOSE_WAIT seconds is killed. Once:
        a build stopped early closes it before removing its staging folder, and again on leaving."""
        if self._closed:
            return
        self._closed = True
        try:
            browser = self._browser.result(timeout=CLOSE_WAIT)  # one still starting is waited for, then closed
            self._run(browser.close()).result(timeout=CLOSE_WAIT)
        except Exception:  # noqa: BLE001 - failed to start (draw() reported it) or stopped answering
            process = getattr(self._kaleido, "subprocess", None)
            if process is not None and process.poll() is None:
                process.kill()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=CLOSE_WAIT)
            if not self._thread.is_alive():
                self._loop.close()


@cache
def _kaleido_class():
    """kaleido's browser, except that a tab is not reloaded after each chart. The reload parses
    plotly.js again, half of the drawing time; the charts come out the same without it (only
    the random ids Plotly gives clip paths and traces differ: tests/test_pdf_charts.py)."""
    import kaleido

    class Kaleido(kaleido.Kaleido):
        async def _return_kaleido_tab(self, tab) -> None:
            await self.tabs_ready.put(tab)

    return Kaleido


CHART_TIMEOUT = 600  # seconds the PDF's static charts may take (the retail demo's take about 10)
# A browser that has not delivered the charts after this many seconds is taken for stuck (one
# started beside a busy run has been seen to never answer): they are drawn again in a new one.
FIRST_WAIT = 120
CLOSE_WAIT = 30


def begin_pdf(results: Results, drawer: ChartDrawer, work: Path,
              progress: Callable[[str], None] = lambda s: None) -> Callable[[], bytes]:
    """Starts the PDF in `work`: its document is written and its charts are sent to be drawn. The
    function returned waits for the charts and typesets the PDF; the caller goes on meanwhile."""
    charts = StaticCharts()
    (work / "report.md").write_text(document(results, charts), encoding="utf-8")
    progress(f"drawing {len(charts.figures)} static charts")
    drawn = drawer.draw(charts.figures, work)
    return partial(_finish_pdf, results, drawn, work, progress, partial(_draw_anew, charts.figures, work))


# Emoji (with their joiners and presentation selectors): Typst draws a chart's text from outlines, and the
# emoji font has pictures only, so they came out as empty boxes ('gadgets ▯ & gifts ▯'). The PDF's own
# text keeps them; its charts leave them out.
EMOJI = re.compile("(?:[\U0001F300-\U0001FAFF\U0001F1E6-\U0001F1FF][\uFE0F\u200D]*)+ ?|\uFE0F")


def without_emoji(svg: str) -> str:
    """A chart's SVG without emoji (see EMOJI)."""
    return EMOJI.sub("", svg)


def _draw_anew(figures: dict[str, go.Figure], folder: Path) -> None:
    """The charts drawn by a browser of their own, waited for (at most CHART_TIMEOUT seconds), into
    a folder of their own first: the stuck browser may still write its files."""
    again = folder / "again"
    again.mkdir(exist_ok=True)
    fresh = ChartDrawer()
    try:
        fresh.draw(figures, again).result(timeout=CHART_TIMEOUT)
    finally:
        fresh.close()
    for svg in again.glob("*.svg"):
        svg.replace(folder / svg.name)


def _finish_pdf(results: Results, drawn: Future, work: Path, progress: Callable[[str], None],
                draw_anew: Callable[[], None]) -> bytes:
    import typst

    try:
        try:
            drawn.result(timeout=FIRST_WAIT)
        except TimeoutError:  # stuck, not slow: a second browser, then an error rather than a wait forever
            progress(f"the browser drawing the charts gave no answer in {FIRST_WAIT} s: drawing them in another")
            draw_anew()
    except Exception as e:  # kaleido reports a missing or broken browser in several ways
        why = (f"the browser gave no answer in {FIRST_WAIT} s, nor a second one in {CHART_TIMEOUT} s"
               if isinstance(e, TimeoutError) else f"{type(e).__name__}: {e}")
        raise UserError(f"could not draw the PDF's charts ({why}); use --no-pdf to skip it") from None
    meta = site_meta(results, has_pdf=True)
    summary = (f"{fmt.integer(results.n_segmented)} customers in {results.chosen.k} segments, "
               f"from {results.manifest.input_name}")
    cmd = [pandoc_path(), str(work / "report.md"), "--from", "markdown", "--to", "typst",
           "--template", str(TEMPLATES / "report.typ"), "--lua-filter", str(TEMPLATES / "pdf.lua"),
           "-V", f"report_title={typst_string(results.title)}", "-V", f"summary_line={typst_string(summary)}",
           "-V", f"data_date={typst_string(meta['data_date'])}", "-V", f"version={typst_string(meta['version'])}",
           "--output", str(work / "report.typ")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"pandoc could not write the PDF source: {done.stderr.strip()}")
    for svg in work.glob("*.svg"):
        svg.write_text(without_emoji(svg.read_text(encoding="utf-8")), encoding="utf-8")
    progress("typesetting the PDF")
    try:
        return typst.compile(str(work / "report.typ"), root=str(work))
    except Exception as e:  # typst raises its own error type with the message
        raise UserError(f"typst could not make the PDF: {str(e).splitlines()[0]}") from None

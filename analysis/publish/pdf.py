"""The PDF for stakeholders: the same page sources with static charts, through pandoc -> Typst.

Charts are drawn as SVG by kaleido, which drives a Chrome or Chromium; interactive charts would
silently vanish from a PDF otherwise.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go
from markupsafe import Markup

from .. import formatters as fmt
from ..errors import UserError
from ..escaping import typst_string
from .pages import TEMPLATES, build_pages, executive_summary, site_meta
from .figures import untitled
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
    pages = {p.name: p for p in build_pages(results, has_pdf=True, chart=chart, paper=True)}
    parts = [f"# {EXECUTIVE_SUMMARY}\n\n{executive_summary(results, chart)}"]
    order = ["index.qmd"] + [n for n in pages if n.startswith("segment-")]
    order += [n for n in ("campaigns.qmd", "baskets.qmd", "methodology.qmd", "data-quality.qmd", "dictionary.qmd")
              if n in pages]
    for name in order:
        title = OVERVIEW_TITLE if name == "index.qmd" else pages[name].title
        parts.append(f"# {fmt.md(title)}\n\n{_body(pages[name].text)}")
    return "\n\n".join(parts)


def draw_svgs(figures: dict[str, go.Figure], folder: Path) -> None:
    """Every chart as `<id>.svg` in one kaleido session, with the site's own trimmed plotly.js:
    it holds every trace type the figures use and loads faster than plotly's full bundle
    (about 15 s instead of 18 s for the demo's charts on a loaded 2-core machine)."""
    import kaleido

    specs = [{"fig": fig.to_dict(), "path": folder / f"{i}.svg",
              "opts": {"format": "svg", "width": CHART_WIDTH, "height": fig.layout.height, "scale": 1}}
             for i, fig in figures.items()]
    kaleido.write_fig_from_object_sync(specs, kopts={"plotlyjs": str(PLOTLY_JS)})


def build_pdf(results: Results, progress: Callable[[str], None] = lambda s: None) -> bytes:
    import typst

    charts = StaticCharts()
    text = document(results, charts)
    meta = site_meta(results, has_pdf=True)
    with tempfile.TemporaryDirectory(prefix="segments-pdf-") as tmp:
        work = Path(tmp)
        progress(f"drawing {len(charts.figures)} static charts")
        try:
            draw_svgs(charts.figures, work)
        except Exception as e:  # kaleido reports a missing or broken browser in several ways
            raise UserError(f"could not draw the PDF's charts ({type(e).__name__}: {e}); use --no-pdf to skip it") from None
        (work / "report.md").write_text(text, encoding="utf-8")
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
        progress("typesetting the PDF")
        try:
            return typst.compile(str(work / "report.typ"), root=str(work))
        except Exception as e:  # typst raises its own error type with the message
            raise UserError(f"typst could not make the PDF: {str(e).splitlines()[0]}") from None

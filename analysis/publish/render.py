"""The rendering half: .qmd sources -> site/ with the built-in pandoc renderer, or Quarto's."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

from ..errors import UserError
from ..escaping import markdown
from .pages import NAV, TEMPLATES, Page

VENDOR = TEMPLATES / "vendor"  # third-party files, pinned; vendor/README.md says where each comes from
# plotly.js with only the trace types figures.py draws (2 MB instead of the full 4.8 MB bundle).
PLOTLY_JS = VENDOR / "plotly" / "plotly.min.js"
SOURCE_GLOBS = ("*.qmd",)
# Copied once into the site, beside the pages: (name in the site, source).
SITE_ASSETS = (
    ("plotly.min.js", PLOTLY_JS),
    ("bootstrap.min.css", VENDOR / "bootstrap" / "bootstrap.min.css"),
    ("site.css", TEMPLATES / "site.css"),
    ("site.js", TEMPLATES / "site.js"),
    ("search.js", TEMPLATES / "search.js"),
)
# What a Quarto render needs beside the sources (Quarto brings its own Bootstrap and search).
QUARTO_ASSETS = ("plotly.min.js", "site.css", "site.js")


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def write_sources(pages: list[Page], out: Path, extra: dict[str, str]) -> None:
    """The Quarto project's sources: one .qmd per page (stale ones removed) plus resources."""
    out.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in pages}
    for old in out.glob("segment-*.qmd"):
        if old.name not in names:
            old.unlink()
    for p in pages:
        _write_if_changed(out / p.name, p.text)
    for rel, text in extra.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(out / rel, text)
    for asset, src in SITE_ASSETS:
        if asset not in QUARTO_ASSETS:
            continue
        dst = out / asset
        if not dst.exists() or dst.stat().st_size != src.stat().st_size or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def quarto_yml(title: str, pre_render: str, pages: tuple[tuple[str, str], ...] = NAV) -> str:
    """A `_quarto.yml` that makes `quarto render` build the same pages into site/."""
    nav = "\n".join(f"      - href: {f}\n        text: {json.dumps(markdown(t), ensure_ascii=False)}" for f, t in pages)
    return f"""# Quarto project: `quarto render` (Quarto >= 1.5) runs the pipeline, then builds site/.
# Without Quarto, `segments report` builds the same pages with its built-in pandoc renderer.
project:
  type: website
  output-dir: site
  pre-render: {pre_render}
  render:
    - "*.qmd"
  resources:
    - plotly.min.js
    - site.js
    - downloads/segments.csv
    - report.pdf
website:
  title: {json.dumps(markdown(title), ensure_ascii=False)}
  search: true
  navbar:
    left:
{nav}
    right:
      - href: report.pdf
        text: PDF
format:
  html:
    theme: cosmo
    css: site.css
    toc: true
    include-in-header:
      text: '<script src="plotly.min.js"></script><script src="site.js"></script>'
"""


def _page_meta(page: Page, common: dict) -> dict:
    """The page's metadata for the HTML template: navigation with the current page marked.

    Pandoc reads every metadata string as markdown, so each is escaped for markdown: a title from
    the config or a segment name from the data lands in the page as text, never as a tag."""
    def mark(items):
        return [{"href": i["href"].replace(".qmd", ".html"), "title": i["title"], "active": i["href"] == page.name}
                for i in items]

    meta = {**common, "nav": mark(common["nav"]), "segments_nav": mark(common["segments_nav"]),
            "in_segment": page.name.startswith("segment-"), "pagetitle": page.title,
            # The browser tab: the page, then the report, once (the overview's title is the report's).
            "title_suffix": common["report_title"] if page.title != common["report_title"] else ""}
    return _escaped(meta)


def _escaped(value):
    if isinstance(value, str):
        return markdown(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _pandoc(pandoc: str, src: Path, dst: Path, meta: Path) -> None:
    cmd = [pandoc, str(src), "--from", "markdown", "--to", "html5", "--standalone",
           "--template", str(TEMPLATES / "page.html"), "--lua-filter", str(TEMPLATES / "quarto.lua"),
           "--lua-filter", str(TEMPLATES / "links.lua"),
           "--toc", "--toc-depth", "2", "--metadata-file", str(meta), "--output", str(dst)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"pandoc failed on {src.name}: {done.stderr.strip().splitlines()[-1] if done.stderr else ''}")


def build_site(pages: list[Page], sources: Path, site: Path, common: dict, files: dict[str, bytes]) -> None:
    """Render every page with pandoc into `site`, a new folder, and add the assets (the caller
    builds it in a staging folder and publishes it with the exports)."""
    pandoc = pandoc_path()
    site.mkdir(parents=True)
    meta_dir = Path(tempfile.mkdtemp(prefix=".meta-", dir=site.parent))
    try:
        metas = []
        for p in pages:
            meta = meta_dir / f"{p.name}.json"
            meta.write_text(json.dumps(_page_meta(p, common), ensure_ascii=False), encoding="utf-8")
            metas.append((sources / p.name, site / p.name.replace(".qmd", ".html"), meta))
        pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        try:
            list(pool.map(lambda a: _pandoc(pandoc, *a), metas))
        finally:  # stopped or failed: start no further page
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        shutil.rmtree(meta_dir, ignore_errors=True)
    for asset, src in SITE_ASSETS:
        shutil.copyfile(src, site / asset)
    (site / "search-index.js").write_text(search_index(site, pages), encoding="utf-8")
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)


class _Text(HTMLParser):
    """The visible text of a page's main content (no scripts, no navigation)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0  # inside <main>
        self.skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "main"
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.depth -= tag == "main" and self.depth > 0
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def search_index(site: Path, pages: list[Page]) -> str:
    """Every page's text as a script, so that search works from file:// where fetch() cannot."""
    entries = []
    for p in pages:
        parser = _Text()
        parser.feed((site / p.name.replace(".qmd", ".html")).read_text(encoding="utf-8"))
        text = re.sub(r"\s+", " ", " ".join(parser.parts)).strip()
        entries.append({"url": p.name.replace(".qmd", ".html"), "title": p.title, "text": text})
    return "window.SEARCH_INDEX = " + json.dumps(entries, ensure_ascii=False) + ";\n"

"""Measure the built site against its budgets: total size, largest page, one plotly.min.js,
points per chart, and how long a real browser takes to draw each page.

    python bench/bench_site.py [SITE]     # default: build the demo into a temporary folder

Budgets: site under 6 MB with plotly.min.js once, no page over 1.5 MB, no chart of individual
customers over 5,000 points, every page drawn in under 2 s.
"""
from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chart_points(html: str) -> list[int]:
    """Points per chart: the longest x array of each Plotly.newPlot call."""
    out = []
    for call in re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, flags=re.S):
        try:
            traces = json.loads(call)
        except json.JSONDecodeError:
            continue
        out.append(sum(_length(t.get("x")) for t in traces))
    return out


def _length(x) -> int:
    """Values in a trace's x: a list, or plotly's base64 typed array {"dtype", "bdata"}."""
    if isinstance(x, list):
        return len(x)
    if isinstance(x, dict) and "bdata" in x:
        import base64

        import numpy as np

        return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
    return 0


def draw_times(site: Path) -> dict[str, float]:
    """Seconds from navigation until every chart on the page has drawn its SVG, per page."""
    from playwright.sync_api import sync_playwright

    times = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        for html in sorted(site.glob("*.html")):
            start = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_function(
                "Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".every(d => d.querySelector('svg.main-svg'))", timeout=30_000)
            times[html.name] = time.perf_counter() - start
        browser.close()
    return times


def main() -> None:
    if len(sys.argv) > 1:
        site = Path(sys.argv[1])
    else:
        sys.path.insert(0, str(ROOT))
        from analysis.cli import main as cli

        out = Path(tempfile.mkdtemp(prefix="segments-site-"))
        cli(["report", "--config", str(ROOT / "data" / "marketing_campaign.yml"), "--out", str(out)])
        site = out / "site"
    files = [f for f in site.rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    pages = {f.name: f.stat().st_size for f in site.glob("*.html")}
    points = {name: chart_points((site / name).read_text()) for name in pages}
    biggest = max(pages, key=pages.get)
    most = max(((n, max(p)) for n, p in points.items() if p), key=lambda x: x[1])
    print(f"site: {total / 1e6:.2f} MB in {len(files)} files; plotly.min.js copies: "
          f"{sum(f.name == 'plotly.min.js' for f in files)}")
    print(f"largest page: {biggest} {pages[biggest] / 1e6:.3f} MB")
    if (site / "report.pdf").exists():
        print(f"report.pdf: {(site / 'report.pdf').stat().st_size / 1e6:.2f} MB")
    print(f"most points in one chart: {most[1]:,} ({most[0]})")
    try:
        times = draw_times(site)
    except ImportError:
        print("draw times: playwright is not installed")
        return
    slowest = max(times, key=times.get)
    print(f"draw time: slowest {slowest} {times[slowest]:.2f} s; median "
          f"{sorted(times.values())[len(times) // 2]:.2f} s over {len(times)} pages")


if __name__ == "__main__":
    main()

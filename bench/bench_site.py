"""Measure the built site against its budgets: total size, largest page, one plotly.min.js,
points per chart, and how long a real browser takes to draw each page.

    python bench/bench_site.py [SITE]     # default: build the demo into a temporary folder

Budgets: site under 6 MB with plotly.min.js once, no page over 1.5 MB, no chart of individual
customers over 5,000 points, every page drawn in under 2 s.

Draw time is measured per page in a fresh browser context (nothing cached, as for a first visit),
from navigation until every chart in the first screen has drawn its traces ("first screen"), and
until every chart on the page has ("all charts": charts waiting below the fold or in a closed tab
are then drawn at once, the most a reader could ask of the page). --runs N repeats and keeps the
median per page.
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


# A chart counts as drawn once its traces are in the page (bars, lines, heatmap, sankey, or the
# WebGL canvas of a 3-D scene), not merely its empty SVG frame.
DRAWN = "d => d.querySelector('g.trace, g.hm, g.sankey, .gl-container canvas') !== null"
FIRST_SCREEN_DRAWN = f"""() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => {{
    const r = d.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top < innerHeight && r.bottom > 0; }}).every({DRAWN})"""
ALL_DRAWN = f"() => [...document.querySelectorAll('.plotly-graph-div')].every({DRAWN})"
# Pages whose charts wait to be scrolled to expose a function that draws them all.
DRAW_ALL = "() => window.segmentsDrawAll && window.segmentsDrawAll()"
VIEWPORT = {"width": 1280, "height": 900}


def draw_times(site: Path, runs: int = 1) -> dict[str, tuple[float, float]]:
    """Per page, the median over `runs` of (first screen, all charts) in seconds."""
    from statistics import median

    from playwright.sync_api import sync_playwright

    samples: dict[str, list[tuple[float, float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs):
            for html in sorted(site.glob("*.html")):
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                start = time.perf_counter()
                page.goto(html.as_uri(), wait_until="load")
                page.wait_for_function(FIRST_SCREEN_DRAWN, timeout=60_000, polling=20)
                first = time.perf_counter() - start
                page.evaluate(DRAW_ALL)
                page.wait_for_function(ALL_DRAWN, timeout=60_000, polling=20)
                samples.setdefault(html.name, []).append((first, time.perf_counter() - start))
                context.close()
        browser.close()
    return {name: (median(f for f, _ in s), median(a for _, a in s)) for name, s in samples.items()}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site/ folder (default: build the demo)")
    parser.add_argument("--runs", type=int, default=3, help="draw-time runs per page (median kept)")
    args = parser.parse_args()
    if args.site:
        site = args.site
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
        times = draw_times(site, args.runs)
    except ImportError:
        print("draw times: playwright is not installed")
        return
    print(f"draw time per page, fresh browser context, median of {args.runs} run(s): first screen / all charts")
    for name, (first, every) in sorted(times.items()):
        print(f"  {name:<20} {first:5.2f} s / {every:5.2f} s")
    for i, what in enumerate(("first screen", "all charts")):
        values = sorted(t[i] for t in times.values())
        slowest = max(times, key=lambda n: times[n][i])
        print(f"{what}: slowest {slowest} {times[slowest][i]:.2f} s; median {values[len(values) // 2]:.2f} s "
              f"over {len(times)} pages")


if __name__ == "__main__":
    main()

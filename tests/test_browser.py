"""The demo website opened in a real browser (Debian's Chromium, driven by Playwright), both from
file:// (the site opened straight from disk) and over HTTP (as published): every page loads without
a console or script error, every chart is drawn once scrolled to (charts draw as they come into
view, or when their tab opens), every internal link resolves and the navbar's Segments menu opens;
tabsets switch panels (and show every panel without JavaScript), callouts are styled, no page is
wider than a phone's screen, and the site's trimmed plotly.js draws every trace type the figures
use. A full-page screenshot of each page is kept in tests/artifacts/screenshots/.

Chromium is not downloaded by Playwright (`playwright install` is never run): the tests use the
system's /usr/bin/chromium and fail, rather than skip, when it or Playwright is missing, so that a
broken site cannot pass unnoticed."""
from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse
from urllib.request import url2pathname

import pytest

from analysis.cli import main
from analysis.publish.pages import NAV

from layout_checks import phone_problems

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "data" / "marketing_campaign.yml"
SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# No network here (nor in CI): without the background-networking flags Chromium can hang on
# refused connections to Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000  # per page and per wait: generous, as a busy CI machine can be slow
EXTERNAL = ("http:", "https:", "mailto:", "tel:", "javascript:", "data:", "#")
ALL_CHARTS_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(d => d.querySelector('svg.main-svg') !== null)"""
UNDRAWN_CHARTS = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .filter(d => d.querySelector('svg.main-svg') === null).map(d => d.id || '(no id)')"""
CHART_DRAWN = "id => document.getElementById(id).querySelector('svg.main-svg') !== null"
PHONE = {"width": 390, "height": 844}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The demo report built once for this module; its site/ folder."""
    out = tmp_path_factory.mktemp("browser") / "out"
    assert main(["report", "--config", str(CONFIG), "--out", str(out), "--no-pdf"]) == 0
    return out / "site"


@pytest.fixture(scope="module")
def pages(site) -> list[str]:
    """Every page of the site, Overview first; the NAV pages and at least one segment must be there."""
    names = sorted(p.name for p in site.glob("*.html"))
    for f, _ in NAV:
        assert f.replace(".qmd", ".html") in names, f"{f} was not rendered"
    assert _segment_pages(names), "no segment-N.html page was rendered"
    return sorted(names, key=lambda n: (n != "index.html", n))


@pytest.fixture(scope="module")
def server(site):
    """The site served over HTTP on 127.0.0.1 (a free port), in a background thread."""
    handler = partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, through Playwright. Fails (never skips) when either is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        pytest.fail(f"Playwright is not installed ({e}): it is a test dependency, install it with "
                    "pip install -e '.[test]' (do not run `playwright install`: the tests use "
                    f"the system's Chromium at {CHROMIUM})", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's Chromium; install it "
                    "with `apt-get install chromium` (or `make system` as root)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                              chromium_sandbox=False, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(browser):
    """A fresh browser context (no cache, cookies or storage shared between tests)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep the test output clean
        pass


# ---------------------------------------------------------------- helpers


def _segment_pages(names) -> list[str]:
    segs = [n for n in names if re.fullmatch(r"segment-\d+\.html", n)]
    return sorted(segs, key=lambda n: int(re.search(r"\d+", n).group()))


def _base_url(scheme: str, site: Path, server: str) -> str:
    return server if scheme == "http" else site.as_uri() + "/"


class _Tab:
    """One browser tab that records every console error and uncaught script error of the page it
    shows. Pages are visited in the same tab, one after the other: each new tab is a new renderer
    process that compiles the 4.8 MB plotly.min.js from scratch (2-3 s a page on a busy machine)."""

    def __init__(self, context):
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught script error: {e}"))

    def _console(self, m):
        if m.type != "error":
            return
        where = (m.location or {}).get("url", "")
        # Chromium asks every HTTP origin for /favicon.ico on its own; the site declares none.
        if urlparse(where).path == "/favicon.ico":
            return
        self.problems.append(f"console error: {m.text}" + (f" [{where}]" if where else ""))

    def goto(self, url: str):
        """Opens `url` (waiting for its load event); returns the main response and forgets the
        problems of the previous page."""
        self.problems = []
        return self.page.goto(url, wait_until="load", timeout=TIMEOUT_MS)


def _open_tab_of(page, element) -> None:
    """Clicks the tab of the tabset panel that holds `element`, if that panel is hidden."""
    pane = element.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' tab-pane ')][1]")
    if pane.count() and pane.is_hidden():
        page.locator(f"#{pane.get_attribute('aria-labelledby')}").click()


def _wait_for_charts(page) -> list[str]:
    """Brings every Plotly chart into view as a reader would (opening its tab, scrolling to it),
    then waits until each has drawn its SVG; returns the ids of any that have not after the timeout
    (so that one report names all of them)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for chart_id in page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)"):
        chart = page.locator(f"#{chart_id}")
        _open_tab_of(page, chart)
        chart.scroll_into_view_if_needed()
        try:
            page.wait_for_function(CHART_DRAWN, arg=chart_id, timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            pass
    try:
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=TIMEOUT_MS)
        return []
    except PlaywrightTimeout:
        return page.evaluate(UNDRAWN_CHARTS)


def _internal_hrefs(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return sorted({h.strip() for h in hrefs if h.strip() and not h.strip().lower().startswith(EXTERNAL)})


def _check_link(scheme: str, page, href: str, site: Path, fetched: dict[str, int]) -> str | None:
    """None if the link resolves, else what is wrong with it."""
    target, _ = urldefrag(urljoin(page.url, href))
    if scheme == "http":
        if target not in fetched:
            fetched[target] = page.request.get(target, timeout=TIMEOUT_MS).status
        return None if fetched[target] == 200 else f"{href} -> HTTP {fetched[target]}"
    path = Path(url2pathname(unquote(urlparse(target).path))).resolve()
    if not path.is_relative_to(site.resolve()):
        return f"{href} points outside the site folder ({path})"
    return None if path.is_file() else f"{href} -> missing file {path.relative_to(site.resolve())}"


# ---------------------------------------------------------------- tests


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["file", "http"])
def test_every_page_loads_draws_its_charts_and_links_resolve(scheme, site, pages, server, context):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{scheme}-*.png"):  # no stale shots of pages that no longer exist
        old.unlink()
    base = _base_url(scheme, site, server)
    tab = _Tab(context)
    failures: list[str] = []
    fetched: dict[str, int] = {}
    charts_seen = 0
    for name in pages:
        response = tab.goto(base + name)
        page = tab.page
        if scheme == "http" and (response is None or response.status != 200):
            failures.append(f"{name}: HTTP {response and response.status}")
            continue
        expected = len(re.findall(r"Plotly\.newPlot\(", (site / name).read_text(encoding="utf-8")))
        found = page.locator(".plotly-graph-div").count()
        charts_seen += found
        if found != expected:
            failures.append(f"{name}: {found} chart containers for {expected} Plotly.newPlot calls")
        undrawn = _wait_for_charts(page) if found else []
        if undrawn:
            failures.append(f"{name}: charts not drawn: {', '.join(undrawn)}")
        for href in _internal_hrefs(page):
            bad = _check_link(scheme, page, href, site, fetched)
            if bad:
                failures.append(f"{name}: broken link {bad}")
        page.screenshot(path=str(SCREENSHOTS / f"{scheme}-{Path(name).stem}.png"), full_page=True,
                        animations="disabled", timeout=TIMEOUT_MS)
        # Errors logged while the page loaded, drew its charts or was captured are all in by now.
        failures.extend(f"{name}: {p}" for p in tab.problems)
    assert charts_seen > 0, "no Plotly chart found on any page"
    assert not failures, f"{scheme}:// problems:\n" + "\n".join(failures)


def _check_segments_menu(page, segments: list[str]) -> None:
    menu = page.locator("header.navbar details", has=page.locator("summary", has_text="Segments"))
    assert menu.count() == 1, f"{page.url}: {menu.count()} Segments menus in the navbar"
    links = menu.locator("a[href]")
    assert menu.get_attribute("open") is None, f"{page.url}: the Segments menu starts open"
    assert not links.first.is_visible(), f"{page.url}: segment links visible before the menu opens"
    menu.locator("summary").click()
    page.wait_for_function("d => d.open", arg=menu.element_handle(), timeout=TIMEOUT_MS)
    for i in range(links.count()):
        links.nth(i).wait_for(state="visible", timeout=TIMEOUT_MS)
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == segments, f"{page.url}: the Segments menu lists {hrefs}, the site has {segments}"


@pytest.mark.slow
def test_segments_menu_opens_and_lists_every_segment(pages, server, context):
    """On the Overview and, reached through the menu itself, on the last segment's page."""
    segments = _segment_pages(pages)
    tab = _Tab(context)
    tab.goto(server + "index.html")
    _check_segments_menu(tab.page, segments)
    menu = tab.page.locator("header.navbar details", has=tab.page.locator("summary", has_text="Segments"))
    menu.locator(f'a[href="{segments[-1]}"]').click()
    tab.page.wait_for_url(server + segments[-1], wait_until="load", timeout=TIMEOUT_MS)
    assert tab.problems == [], "\n".join(tab.problems)
    _check_segments_menu(tab.page, segments)
    assert tab.problems == [], "\n".join(tab.problems)


@pytest.mark.slow
def test_search_finds_a_segment_by_name_from_file(site, pages, context):
    """Typing a segment's name in the search box offers that segment's page, from file:// too."""
    import json

    results = json.loads((site.parent / "exports" / "results.json").read_text())
    segment = results["segments"][-1]
    tab = _Tab(context)
    tab.goto(site.as_uri() + "/index.html")
    tab.page.fill("#search-input", segment["name"])
    first = tab.page.locator("#search-results a").first
    first.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert first.get_attribute("href") == f"segment-{segment['id']}.html"
    first.click()
    tab.page.wait_for_url(re.compile(rf".*/segment-{segment['id']}\.html$"), timeout=TIMEOUT_MS)
    tab.page.fill("#search-input", "zzzz-no-such-word")
    tab.page.locator("#search-results p").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert tab.problems == [], "\n".join(tab.problems)


# ---------------------------------------------------------------- layout and Quarto features


def _trace_types_in_figures() -> set[str]:
    """Plotly trace types analysis/publish/figures.py creates (go.Bar(...), fig.add_scatter3d(...), ...)."""
    import plotly.graph_objects as go
    from plotly.basedatatypes import BaseTraceType

    known = {n.lower() for n in dir(go) if isinstance(getattr(go, n), type) and issubclass(getattr(go, n), BaseTraceType)}
    source = (ROOT / "analysis" / "publish" / "figures.py").read_text(encoding="utf-8")
    used = {m.lower() for m in re.findall(r"\bgo\.(\w+)\(", source)} | set(re.findall(r"\.add_(\w+)\(", source))
    return used & known


@pytest.mark.slow
def test_plotly_bundle_draws_every_trace_type_the_figures_use(site, context):
    """The site ships a trimmed plotly.js: it must be the version the plotly package writes figures
    for, and hold every trace type figures.py uses (also those the demo does not show, e.g. sankey)."""
    import plotly.offline

    tab = _Tab(context)
    tab.goto(site.as_uri() + "/index.html")
    version = tab.page.evaluate("Plotly.version")
    assert version == plotly.offline.get_plotlyjs_version()
    registered = set(tab.page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)"))
    used = _trace_types_in_figures()
    assert {"bar", "heatmap", "scatter"} <= used  # the source scan found the figures' traces
    assert used <= registered, f"trace types missing from plotly.min.js: {sorted(used - registered)}"
    assert tab.problems == [], "\n".join(tab.problems)


@pytest.mark.slow
def test_charts_in_a_closed_tab_draw_when_their_tab_opens(site, context):
    """Methodology: the first panel of each tabset shows, the others are hidden; a chart in a hidden
    panel is not drawn until its tab is clicked, and then fills the panel's width."""
    tab = _Tab(context)
    tab.goto(site.as_uri() + "/methodology.html")
    page = tab.page
    sets = page.locator(".panel-tabset")
    assert sets.count() >= 2, "methodology has no tabsets"
    evidence = sets.first
    buttons = evidence.locator(":scope > .nav-tabs > button[role=tab]")
    panes = evidence.locator(":scope > .tab-pane")
    assert buttons.count() == panes.count() >= 2
    titles = [" ".join(panes.nth(i).locator(".tab-title").text_content().split()) for i in range(panes.count())]
    assert [buttons.nth(i).text_content() for i in range(buttons.count())] == titles
    assert titles[0] == "Validity indices" and "Dendrogram" in titles
    assert panes.nth(0).is_visible() and not panes.nth(1).is_visible()
    assert buttons.nth(0).get_attribute("aria-selected") == "true"
    last = panes.count() - 1
    chart = panes.nth(last).locator(".plotly-graph-div")
    chart_id = chart.get_attribute("id")
    evidence.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # time enough for a visible chart to have been drawn
    assert not page.evaluate(CHART_DRAWN, chart_id), "a chart in a closed tab was drawn"
    buttons.nth(last).click()
    assert panes.nth(last).is_visible() and not panes.nth(0).is_visible()
    assert buttons.nth(last).get_attribute("aria-selected") == "true"
    page.wait_for_function(CHART_DRAWN, arg=chart_id, timeout=TIMEOUT_MS)
    pane_width = panes.nth(last).bounding_box()["width"]
    svg_width = chart.locator("svg.main-svg").first.bounding_box()["width"]
    assert svg_width > 0.8 * pane_width, f"chart {svg_width}px wide in a {pane_width}px panel"
    assert not set(titles) & {" ".join(t.split()) for t in page.locator(".toc a").all_text_contents()}, \
        "tab headings listed in the table of contents"
    assert tab.problems == [], "\n".join(tab.problems)


@pytest.mark.slow
def test_without_javascript_every_tab_panel_shows_in_turn(site, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(site.as_uri() + "/methodology.html", wait_until="load", timeout=TIMEOUT_MS)
        panes = page.locator(".panel-tabset > .tab-pane")
        assert panes.count() >= 4
        for i in range(panes.count()):
            assert panes.nth(i).is_visible(), f"tab panel {i} hidden without JavaScript"
            assert panes.nth(i).locator(".tab-title").is_visible()
        assert page.locator(".panel-tabset .nav-tabs").count() == 0
        assert page.locator("#site-nav a[href='campaigns.html']").is_visible()  # navbar stays usable
    finally:
        ctx.close()


@pytest.mark.slow
def test_callouts_are_styled_with_their_title(site, context):
    tab = _Tab(context)
    tab.goto(site.as_uri() + "/methodology.html")
    tip = tab.page.locator(".callout.callout-tip").filter(has_text="Selection rule")
    assert tip.count() == 1
    header = tip.locator(".callout-header")
    assert header.text_content().strip() == "Selection rule"
    style = tip.evaluate("e => { const s = getComputedStyle(e); return [s.borderLeftWidth, s.borderLeftColor]; }")
    assert style[0] == "5px" and style[1] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    header_bg = header.evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_bg not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"), header_bg
    assert tip.get_attribute("title") is None  # the title is shown, not a hover tooltip
    assert tab.problems == [], "\n".join(tab.problems)


@pytest.mark.slow
def test_phone_width_layout_has_no_horizontal_overflow_and_a_working_menu(site, pages, browser):
    """At 390 px every page fits the screen's width (wide tables scroll inside their own box, with a
    faded right edge while there is more to see), no chart's tick label or axis title is cut or
    overlaps another, no legend covers a plot (tests/layout_checks.py); the navbar folds behind its
    toggle button, which opens it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("phone-*.png"):
        old.unlink()
    ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        tab = _Tab(ctx)
        failures, wide_tables = [], 0
        for name in pages:
            tab.goto(site.as_uri() + "/" + name)
            page = tab.page
            page.evaluate("window.segmentsDrawAll()")  # drawn charts must fit too
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=TIMEOUT_MS)
            failures += [f"{name}: {p}" for p in phone_problems(page, PHONE["width"])]
            shown = page.evaluate("""() => [...document.querySelectorAll('.modebar-container')]
                .filter(e => getComputedStyle(e).display !== 'none').length""")
            if shown:  # Plotly's toolbar would sit on the legend above the chart
                failures.append(f"{name}: {shown} chart toolbar(s) shown at phone width")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-responsive'))
                    .slice(0, 3).map(e => e.tagName + '.' + (e.getAttribute('class') || ''))""", PHONE["width"])
                failures.append(f"{name}: {width}px wide ({', '.join(wide)})")
            # A table that scrolls sideways shows it (a faded right edge) until scrolled to its end.
            cues = page.eval_on_selector_all(".table-responsive", """els => els.map(e => [
                e.scrollWidth - e.clientWidth > 2, e.classList.contains('scrolls-right')])""")
            failures += [f"{name}: a wide table without its scroll cue" for wide, cue in cues if wide and not cue]
            failures += [f"{name}: a scroll cue on a table that fits" for wide, cue in cues if cue and not wide]
            wide_tables += sum(wide for wide, _ in cues)
            scrolled = page.evaluate("""() => { const e = [...document.querySelectorAll('.table-responsive')]
                .find(e => e.scrollWidth - e.clientWidth > 2); if (!e) return null;
                e.scrollLeft = e.scrollWidth; e.dispatchEvent(new Event('scroll'));
                return e.classList.contains('scrolls-right'); }""")
            if scrolled:
                failures.append(f"{name}: the scroll cue stays at the table's right end")
            page.evaluate("() => document.querySelectorAll('.table-responsive').forEach(e => e.scrollLeft = 0)")
            page.screenshot(path=str(SCREENSHOTS / f"phone-{Path(name).stem}.png"), full_page=True,
                            animations="disabled", timeout=TIMEOUT_MS)
            failures.extend(f"{name}: {p}" for p in tab.problems)
        assert not failures, "\n".join(failures)
        assert wide_tables > 0  # the demo has tables wider than a phone: the cue was checked
        page = tab.page
        tab.goto(site.as_uri() + "/index.html")
        link = page.locator("#site-nav a[href='methodology.html']")
        toggle = page.locator(".navbar-toggler")
        assert toggle.is_visible() and not link.is_visible()
        # The demo's title takes two lines on a phone: the menu button stays beside it, on the right.
        brand, button = page.locator(".navbar-brand").bounding_box(), toggle.bounding_box()
        assert brand["height"] > 30 and button["y"] < brand["y"] + brand["height"] / 2, (brand, button)
        assert button["x"] > brand["x"] + brand["width"], (brand, button)
        assert page.locator("details.toc").get_attribute("open") is None  # contents folded on a phone
        toggle.click()
        link.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert toggle.get_attribute("aria-expanded") == "true"
        link.click()
        page.wait_for_url(re.compile(r".*/methodology\.html$"), timeout=TIMEOUT_MS)
        assert tab.problems == [], "\n".join(tab.problems)
    finally:
        ctx.close()


@pytest.mark.slow
def test_desktop_navbar_is_expanded_with_the_contents_beside_the_page(site, context):
    tab = _Tab(context)
    tab.goto(site.as_uri() + "/methodology.html")
    page = tab.page
    assert not page.locator(".navbar-toggler").is_visible()
    assert page.locator("#site-nav a[href='campaigns.html']").is_visible()
    main, toc = page.locator("main").bounding_box(), page.locator("details.toc").bounding_box()
    assert toc["x"] >= main["x"] + main["width"] - 1, "the table of contents is not beside the page"
    assert page.locator("details.toc").get_attribute("open") is not None
    assert page.locator(".toc a[href='#features']").is_visible()
    # At 1200 px, where the navbar starts to expand, its links still fit on one row.
    page.set_viewport_size({"width": 1200, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    tops = {round(b["y"]) for b in (page.locator("#site-nav .navbar-nav > li").nth(i).bounding_box()
                                    for i in range(page.locator("#site-nav .navbar-nav > li").count()))}
    assert len(tops) == 1, f"navbar links on {len(tops)} rows at 1200 px"
    assert tab.problems == [], "\n".join(tab.problems)


@pytest.fixture(scope="module")
def retail_site(retail_demo) -> Path:
    """The order-line demo (baskets page, rules on segment pages), built once for the session."""
    return retail_demo / "site"


@pytest.mark.slow
def test_order_line_demo_pages_load_and_draw_from_file(retail_site, context):
    names = sorted(p.name for p in retail_site.glob("*.html"))
    assert "baskets.html" in names
    tab = _Tab(context)
    failures: list[str] = []
    for name in names:
        tab.goto(retail_site.as_uri() + "/" + name)
        page = tab.page
        expected = len(re.findall(r"Plotly\.newPlot\(", (retail_site / name).read_text(encoding="utf-8")))
        if page.locator(".plotly-graph-div").count() != expected:
            failures.append(f"{name}: chart containers do not match its {expected} charts")
        undrawn = _wait_for_charts(page) if expected else []
        if undrawn:
            failures.append(f"{name}: charts not drawn: {', '.join(undrawn)}")
        for href in _internal_hrefs(page):
            bad = _check_link("file", page, href, retail_site, {})
            if bad:
                failures.append(f"{name}: broken link {bad}")
        if name.startswith("segment-"):  # the rules sit in tabs: each tab opens its panel
            tabs = page.locator(".panel-tabset [role=tab]")
            for i in range(tabs.count()):
                tabs.nth(i).click()
        page.screenshot(path=str(SCREENSHOTS / f"retail-{Path(name).stem}.png"), full_page=True,
                        animations="disabled", timeout=TIMEOUT_MS)
        failures.extend(f"{name}: {p}" for p in tab.problems)
    assert not failures, "order-line demo problems:\n" + "\n".join(failures)
    phone = tab.page.context.browser.new_context(viewport=PHONE, reduced_motion="reduce")
    try:
        page = phone.new_page()
        for name in names:
            page.goto(retail_site.as_uri() + "/" + name, wait_until="load", timeout=TIMEOUT_MS)
            page.evaluate("window.segmentsDrawAll()")
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=TIMEOUT_MS)
            failures += [f"{name} at {PHONE['width']} px: {p}" for p in phone_problems(page, PHONE["width"])]
    finally:
        phone.close()
    assert not failures, "order-line demo at a phone's width:\n" + "\n".join(failures)
    tab.goto(retail_site.as_uri() + "/baskets.html")
    assert _wait_for_charts(tab.page) == []
    bars = tab.page.locator("#chart-rules-product g.trace.bars path")  # one bar per rule shown
    assert bars.count() >= 5


def test_segment_comparison_table_sorts_by_a_column(site, context):
    """The overview's comparison table sorts its rows by a clicked column, numbers as numbers,
    and reverses on a second click."""
    page = context.new_page()
    page.goto(site.as_uri() + "/index.html", wait_until="load")
    table = page.locator(".sortable table").first
    heads = table.locator("thead th")
    col = next(i for i in range(heads.count()) if heads.nth(i).inner_text().strip() == "Customers")

    def column():
        cells = table.locator(f"tbody tr td:nth-child({col + 1})").all_inner_texts()
        return [float(re.search(r"[\d,]+", c).group().replace(",", "")) for c in cells]

    heads.nth(col).click()
    assert column() == sorted(column()) and heads.nth(col).get_attribute("aria-sort") == "ascending"
    heads.nth(col).click()
    assert column() == sorted(column(), reverse=True) and heads.nth(col).get_attribute("aria-sort") == "descending"
    assert len(column()) >= 2

"""Layout checks read from what a reader gets: the PDF itself (pdfplumber's text and image boxes)
and the site as Chromium draws it at a phone's width (element boxes, Plotly's SVG text boxes).
Shared by the end-to-end tests of both demos and of a table with long names; each check returns
its problems as readable lines, so that one failure names all of them."""
from __future__ import annotations

import re
from pathlib import Path

# A page other than the cover and the last must be at least this full (the share of the text
# area's height its content spans).
MIN_FULLNESS = 0.25
# Two words overlap when their boxes share more than this share of the smaller box's area.
OVERLAP = 0.2
EXECUTIVE_SUMMARY = "Executive summary"
AFTER_SUMMARY = "How the segments differ"  # the chapter that follows the executive summary
SUMMARY_PAGES = 3  # the executive summary ends within the PDF's first three pages (cover included)


# ---------------------------------------------------------------- PDF

def _level(obj) -> bool:
    """A character set level (not rotated): a chart's slanted tick labels have boxes that lean on
    each other without their letters touching."""
    m = obj.get("matrix") or (1, 0, 0, 1)
    return obj["object_type"] != "char" or (abs(m[1]) < 1e-3 and abs(m[2]) < 1e-3)


def overlapping_words(page) -> list[str]:
    """Pairs of words whose boxes overlap: text running into other text (a cell into the next,
    a header into a header, a line over a line)."""
    words = sorted(page.filter(_level).extract_words(), key=lambda w: w["top"])
    bad = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b["top"] >= a["bottom"]:
                break
            w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if w <= 0 or h <= 0:
                continue
            smaller = min((a["x1"] - a["x0"]) * (a["bottom"] - a["top"]), (b["x1"] - b["x0"]) * (b["bottom"] - b["top"]))
            if w * h > OVERLAP * smaller:
                bad.append(f"{a['text']!r} over {b['text']!r}")
    return bad


def overlapping_characters(page) -> list[str]:
    """Pairs of characters on one line whose boxes overlap: letters of two cells run together
    (which word boxes miss when pdfplumber reads the two as one word)."""
    chars = sorted((c for c in page.chars if c["text"].strip() and _level(c)), key=lambda c: (round(c["top"]), c["x0"]))
    bad = []
    for i, a in enumerate(chars):
        for b in chars[i + 1:i + 4]:
            if abs(b["top"] - a["top"]) > 1:
                break
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 0.35 * min(a["width"], b["width"]):
                bad.append(a["text"] + b["text"])
    return bad


def fullness(page, margin: float = 45) -> float:
    """How much of the page's text area (between header and footer) its content spans."""
    boxes = [w for w in page.extract_words() if margin < w["top"] < page.height - margin]
    boxes += [i for i in page.images if i["bottom"] > margin and i["top"] < page.height - margin]
    if not boxes:
        return 0.0
    return (max(b["bottom"] for b in boxes) - min(b["top"] for b in boxes)) / (page.height - 2 * margin - 20)


def page_texts(pages) -> list[str]:
    """Each page's text with white space folded; zero-width break opportunities and the line
    break after a hyphen ('High-' / 'spending') read as nothing."""
    out = []
    for p in pages:
        t = (p.extract_text() or "").replace("\u200b", "")
        t = re.sub(r"(?<=\w-)\s+(?=\w)", "", t)
        out.append(re.sub(r"\s+", " ", t))
    return out


def _first_line(page, margin: float = 45) -> str:
    """The first line of the page's body (below the running header)."""
    words = [w for w in page.extract_words() if w["top"] > margin]
    if not words:
        return ""
    top = min(w["top"] for w in words)
    return " ".join(w["text"] for w in sorted(words, key=lambda w: w["x0"]) if abs(w["top"] - top) < 3)


def _hyphen_parts(word: str) -> list[str]:
    """'low-spending,' -> ['low-', 'spending,']: the pieces of a word broken after its hyphens."""
    parts = word.split("-")
    return [p + "-" for p in parts[:-1]] + [parts[-1]]


def pdf_problems(pdf: Path, segments: list[dict]) -> list[str]:
    """Every layout problem of the PDF: overlapping text, pages less than a quarter full (but the
    cover and the last), an executive summary not within the first pages, a segment name broken
    (or missing) in its heading and in the executive summary's table. `segments`: results.json's."""
    import pdfplumber

    problems = []
    with pdfplumber.open(pdf) as doc:
        pages = doc.pages
        for i, p in enumerate(pages, start=1):
            bad = overlapping_words(p) + overlapping_characters(p)
            if bad:
                problems.append(f"page {i}: overlapping text: {', '.join(bad[:3])}")
        for i, p in enumerate(pages[1:-1], start=2):
            f = fullness(p)
            if f < MIN_FULLNESS:
                problems.append(f"page {i}: {f:.0%} full")
        texts = page_texts(pages)
        top_line = _first_line(pages[SUMMARY_PAGES]) if len(pages) > SUMMARY_PAGES else ""
        summary_words = {w["text"].replace("\u200b", "") for p in pages[1:SUMMARY_PAGES] for w in p.extract_words()}
    starts = [i for i, t in enumerate(texts, start=1) if EXECUTIVE_SUMMARY in t and i > 1]
    ends = [i for i, t in enumerate(texts, start=1) if AFTER_SUMMARY in t and i > 1]
    if not starts or starts[0] != 2:
        problems.append(f"the executive summary does not start on page 2 (found on {starts})")
    # The summary ends within SUMMARY_PAGES: the next chapter starts there, or at the top of the
    # page after (its first picture did not fit below the summary).
    if not ends or (ends[0] > SUMMARY_PAGES and not (ends[0] == SUMMARY_PAGES + 1 and top_line == AFTER_SUMMARY)):
        problems.append(f"the executive summary runs past page {SUMMARY_PAGES} (next chapter on {ends})")
    for s in segments:
        if not s["public"]:
            continue
        if not any(f"Segment {s['id']}: {s['name']}" in t for t in texts):
            problems.append(f"segment {s['id']}'s heading does not hold its name unbroken: {s['name']!r}")
        # In the summary's table a name wraps in its cell, at spaces (or after a hyphen) only.
        broken = [w for w in s["name"].split() if w not in summary_words and not (
            "-" in w and all(part in summary_words for part in _hyphen_parts(w)))]
        if broken:
            problems.append(f"segment {s['id']}'s name is broken or missing in the executive summary: {broken}")
    return problems


# ---------------------------------------------------------------- site at a phone's width

# Elements wider than the viewport outside a scroll container; Plotly tick labels that are cut
# (outside the chart or the screen) or overlap another label of the same chart; axis titles and
# notes that are cut or lie on a tick label; legends over the plot area.
PHONE_PROBLEMS = """w => {
  const out = [];
  const scrolls = e => e.closest('.table-responsive, .chart, pre, .sourceCode');
  for (const e of document.querySelectorAll('main *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > w + 1 || r.left < -1) && !scrolls(e)) {
      out.push(`wider than the screen: ${e.tagName.toLowerCase()}.${e.className || ''} (${Math.round(r.left)} to ${Math.round(r.right)} px)`);
      if (out.length > 3) break;
    }
  }
  const inter = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
                          Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  for (const div of document.querySelectorAll('.plotly-graph-div')) {
    const svg = div.querySelector('svg.main-svg');
    if (!svg) { out.push(`${div.id}: not drawn`); continue; }
    const box = svg.getBoundingClientRect();
    const ticks = [...div.querySelectorAll('.xaxislayer-above text, .yaxislayer-above text')]
      .filter(t => t.textContent.trim() && getComputedStyle(t).display !== 'none' && t.getAttribute('opacity') !== '0')
      .map(t => [t.textContent.trim(), t.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
    const titles = [...div.querySelectorAll('[class*="title"] > text, .annotation-text')]
      .filter(t => t.textContent.trim()).map(t => [t.textContent.trim(), t.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0);
    for (const [text, r] of titles) {
      if (r.left < Math.max(box.left, 0) - 1 || r.right > Math.min(box.right, w) + 1)
        out.push(`${div.id}: title or note "${text}" cut (${Math.round(r.left)} to ${Math.round(r.right)} px)`);
      for (const [tick, t] of ticks)
        if (inter(r, t) > 0.1 * Math.min(r.width * r.height, t.width * t.height))
          out.push(`${div.id}: "${text}" overlaps tick label "${tick}"`);
    }
    for (const [text, r] of ticks) {
      if (r.left < Math.max(box.left, 0) - 1 || r.right > Math.min(box.right, w) + 1 ||
          r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.push(`${div.id}: tick label "${text}" cut (${Math.round(r.left)} to ${Math.round(r.right)} px)`);
    }
    for (let i = 0; i < ticks.length; i++)
      for (let j = i + 1; j < ticks.length; j++) {
        const [ta, a] = ticks[i], [tb, b] = ticks[j];
        if (inter(a, b) > 0.1 * Math.min(a.width * a.height, b.width * b.height))
          out.push(`${div.id}: tick labels "${ta}" and "${tb}" overlap`);
      }
    const legend = div.querySelector('g.legend');
    if (legend) {
      const l = legend.getBoundingClientRect();
      for (const plot of div.querySelectorAll('.draglayer .nsewdrag'))
        if (inter(l, plot.getBoundingClientRect()) > 1) out.push(`${div.id}: the legend covers the plot`);
    }
  }
  return out;
}"""


def phone_problems(page, width: int) -> list[str]:
    """The problems of the page open in `page` (charts drawn) at a viewport `width` px wide."""
    return page.evaluate(PHONE_PROBLEMS, width)


# ---------------------------------------------------------------- site text

# Markdown syntax that pandoc leaves as text when a template line loses its blank line: a callout's
# fence, a table's rule, bold marks, a heading.
# (A table's rule row shown as text has its dashes made into em dashes by pandoc: '|:———|'.)
RAW_MARKDOWN = re.compile(r":::\s*\{|(?:^|\s)\|\s*:?[-—–]{3,}|\*\*\S|^#{1,4} \w", re.M)


def raw_markdown(site: Path) -> list[str]:
    """Every page's Markdown shown as text (with some context), as readable lines."""
    import html

    out = []
    for page in sorted(site.glob("*.html")):
        text = re.sub(r"<(script|style)\b.*?</\1>", "", page.read_text(encoding="utf-8"), flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
        out += [f"{page.name}: {text[max(0, m.start() - 60):m.end() + 40]!r}" for m in RAW_MARKDOWN.finditer(text)]
    return out


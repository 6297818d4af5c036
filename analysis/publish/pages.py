"""Page contexts (plain dicts of formatted strings) and the .qmd sources made from them.

Nothing here computes an analysis result: it formats what Results holds and lays it out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from .. import __version__, escaping
from .. import formatters as fmt
from . import figures, quality_page
from ..labels import item_name, items_text, plain
from ..results import VALUE_RATIO, Results

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NAV = (  # (file, title) of the pages in the navbar, in order
    ("index.qmd", "Overview"),
    ("campaigns.qmd", "Campaigns"),
    ("methodology.qmd", "Methodology"),
    ("data-quality.qmd", "Data quality"),
    ("dictionary.qmd", "Data dictionary"),
    ("downloads.qmd", "Downloads"),
)
BASKETS = ("baskets.qmd", "Baskets")  # after Campaigns, when order lines give baskets


def nav(r: Results) -> tuple[tuple[str, str], ...]:
    """The navbar of this report: NAV, plus the baskets page when there are baskets."""
    return NAV[:2] + (BASKETS,) + NAV[2:] if r.baskets else NAV


Chart = Callable[[go.Figure, str, str], str]  # (figure, id, label) -> markdown that shows it


def html_chart(fig: go.Figure, div_id: str, label: str) -> str:
    """An interactive chart: a raw HTML block, which Quarto and pandoc both pass through."""
    return Markup("```{=html}\n" + figures.to_html(fig, div_id, label) + "\n```")


@dataclass(frozen=True)
class Page:
    name: str  # file name of the .qmd source
    title: str
    text: str


def _markdown(value):
    """Every value a page template prints is markdown-escaped, unless it is Markup built here."""
    if isinstance(value, Markup):
        return value
    return Markup(escaping.markdown(value))


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """The .qmd templates' environment: strings land in markdown, so `finalize` escapes each one
    for markdown (nothing from the data can become a tag, link, heading or table cell break).
    Filters name the other places a string can land: `yaml` (the front matter, which pandoc reads
    as markdown), `code` (an inline code span), `attr` (a double-quoted attribute)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)), undefined=jinja2.StrictUndefined,
        autoescape=False, finalize=_markdown, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["md"] = _markdown
    env.filters["yaml"] = lambda v: Markup(fmt.yaml_str(escaping.markdown(v)))
    env.filters["code"] = lambda v: Markup(escaping.code(v))
    env.filters["attr"] = lambda v: Markup(escaping.markdown_attribute(v))
    return env


def segment_file(segment: int) -> str:
    return f"segment-{segment}.qmd"


def _feature_value(r: Results, feature: str, value: float) -> str:
    kind = next(d.kind for d in r.features if d.name == feature)
    return fmt.by_kind(value, kind, r.currency)


HIDDEN_NAME = "Small segment (not published)"


def shown_name(p) -> str:
    """A segment's name on public pages: a small segment's data-made name would describe its few
    customers, so it shows as HIDDEN_NAME."""
    return p.name if p.public else HIDDEN_NAME


def share_texts(r: Results) -> dict[int, tuple[str, str]]:
    """Each segment's share of customers and of revenue as shown, rounded so that each set adds
    up to 100% (largest remainder; see formatters.shares)."""
    cust = fmt.shares([p.share_customers for p in r.segments])
    has_value = all(p.share_value is not None for p in r.segments)
    value = fmt.shares([p.share_value for p in r.segments]) if has_value else ["–"] * len(r.segments)
    return {p.id: (c, v) for p, c, v in zip(r.segments, cust, value)}


def _segment_summary(r: Results, p) -> dict:
    if not p.public:  # no size, share, mean or name of a segment below the minimum size
        return {"id": str(p.id), "name": HIDDEN_NAME, "href": segment_file(p.id), "public": False, "size": "–",
                "share_customers": "–", "share_value": "–", "avg_spend": "–", "traits": [], "next_step": "",
                "colour": Markup(figures.colour(p.id))}
    spend = p.stat("total_spend").mean if any(d.name == "total_spend" for d in r.features) else None
    return {
        "id": str(p.id), "name": p.name, "href": segment_file(p.id), "public": p.public,
        "size": fmt.integer(p.size), "share_customers": share_texts(r)[p.id][0],
        "share_value": share_texts(r)[p.id][1],
        "avg_spend": fmt.money(spend, r.currency) if spend is not None else "–",
        "traits": list(r.personas[p.id - 1].traits[:3]) if p.public else [],
        "next_step": p.actions[0] if p.actions and p.public else "",
        "colour": Markup(figures.colour(p.id)),  # a palette constant, used in a style attribute
    }


def site_meta(r: Results, has_pdf: bool) -> dict:
    """What every page shows around its content."""
    return {
        "report_title": r.title, "version": __version__, "has_pdf": has_pdf,
        "data_date": (f"the run date, {r.reference_date.isoformat()} (the data give no purchase or signup date)" if r.undated
                      else r.reference_date.isoformat()),
        "run_date": date.today().isoformat(),
        "nav": [{"href": f, "title": t} for f, t in nav(r)],
        "segments_nav": [{"href": segment_file(p.id), "title": f"{p.id}. {shown_name(p)}"} for p in r.segments],
    }


def overview(r: Results, chart: Chart, paper: bool = False) -> dict:
    """The overview page; on paper (`paper`) its summary part is the executive summary chapter and
    the segment cards are left out (each segment has its own chapter right after)."""
    n_excl = r.n_input - r.n_segmented
    return {
        "structure": r.chosen.structure,
        # With no natural segments the value tiers stand in: the reason's plain-words sentence says
        # so (its first part, with the indices, is for the methodology page).
        "structure_note": r.chosen.structure_note + (f" {r.chosen.reason.split('). ', 1)[-1]}"
                                                     if r.chosen.fallback else ""),
        "structure_title": structure_title(r.chosen),
        "title": r.title, "value_word": r.value_word,
        "n_input": fmt.integer(r.n_input), "n_segmented": fmt.integer(r.n_segmented),
        "n_excluded": fmt.integer(n_excl), "k": str(r.chosen.k), "tiers_by": r.chosen.tiers_by,
        "tiers_size": fmt.equal_size([p.size for p in r.segments]),
        # A customer table's rows (footers and empty rows among them); order lines give customers.
        "input_unit": "input rows" if r.manifest.config.get("transactions") is None else "customers in the input",
        "grouping": f"{r.chosen.k} {r.chosen.tiers_name}" if r.chosen.tiers_by else f"{r.chosen.k} segments",
        "unassigned": _unassigned(r),
        "segments": [_segment_summary(r, p) for p in r.segments],
        "has_value": all(p.share_value is not None for p in r.segments),
        "chart_sizes": chart(figures.sizes(r), "chart-sizes", f"Bar chart of segment sizes and {r.value_word} shares"
                             if all(p.share_value is not None for p in r.segments) else "Bar chart of segment sizes"),
        "chart_map": chart(figures.segment_map(r), "chart-map", "Scatter map of segments on two principal components"),
        "chart_heatmap": chart(figures.profile_heatmap(r), "chart-heatmap",
                                         "Heatmap of each segment's distance from the average customer per feature"),
        "reason": r.chosen.reason, "algorithm": (r.chosen.tiers_name.capitalize() if r.chosen.algorithm == "tiers"
                                                 else figures.ALGO_NAMES[r.chosen.algorithm]),
        "smaller_split": r.chosen.smaller_split, "set_in_config": r.chosen.set_in_config,
        "lead": _lead(r), "compare": _comparison_table(r, compact=paper), "decision": decision(r), "paper": paper,
        "small_note": small_segments_note(r),
    }


FILLED_NOTE = 0.05  # a feature whose column was filled in for this share of customers or more says so


def filled_in(r: Results) -> dict[str, float]:
    """Feature -> share of the segmented customers whose missing value cleaning filled with the median,
    where that is at least FILLED_NOTE: their means and medians lean towards the median."""
    imputed = {e.column: e.count for e in r.cleaning if e.action == "imputed with the median"}
    return {d.name: imputed[d.source] / r.n_segmented for d in r.features
            if d.source in imputed and r.n_segmented and imputed[d.source] >= FILLED_NOTE * r.n_segmented}


# A segment its tree rules hold to at least this share both ways (of it, and of those they describe).
SINGLED_OUT = 0.95


def segment(r: Results, seg_id: int, chart: Chart) -> dict:
    p = r.segments[seg_id - 1]
    labels = {d.name: d.label for d in r.features}
    kinds = {d.name: d.kind for d in r.features}
    filled = filled_in(r)
    for f, share in filled.items():
        labels[f] += f" ({fmt.percent(share)} filled in with the median)"
    for s in p.stats:
        if s.buyers_only:
            labels[s.feature] += " (customers with orders)"
    rows = [  # a 0/1 flag's median is 0% or 100%: a share says it, a median does not
        {"label": labels[s.feature], "mean": _feature_value(r, s.feature, s.mean),
         "median": "–" if kinds[s.feature] == "flag" else _feature_value(r, s.feature, s.median),
         "overall": _feature_value(r, s.feature, s.overall_mean),
         "effect": fmt.signed(s.effect)}
        for s in sorted(p.stats, key=lambda s: (-abs(s.effect), s.feature))
    ]
    cats = [{"column": plain(mix.column), "rows": _category_rows(r, p, mix)} for mix in p.categories] if p.public else []
    camps = [
        {"name": c.name, "rate": fmt.percent(c.by_segment[seg_id - 1].rate, 1),
         "interval": f"{fmt.percent(c.by_segment[seg_id - 1].low, 1)} – {fmt.percent(c.by_segment[seg_id - 1].high, 1)}",
         "overall": fmt.percent(c.overall.rate, 1), "lift": fmt.ratio(c.by_segment[seg_id - 1].lift)}
        for c in r.campaigns
    ]
    persona = r.personas[seg_id - 1]
    rec = persona.recommendation
    recommendation = [
        {"what": "Channel", "advice": rec.channel, "why": rec.channel_why},
        {"what": "Offer", "advice": rec.offer, "why": rec.offer_why},
        {"what": "Product focus", "advice": rec.product_focus, "why": rec.product_why},
        {"what": "Timing", "advice": rec.timing, "why": rec.timing_why},
    ]
    ex = r.explanation
    mine = [x for x in ex.rules if x.segment == seg_id]
    rules = [{"conditions": " and ".join(x.conditions) or "every customer", "customers": fmt.integer(x.customers),
              "precision": fmt.percent(x.precision), "recall": fmt.percent(x.recall)} for x in mine]
    # Segments that overlap elsewhere may have rules that hold this one all but exactly: not said to be rough.
    covered = sum(x.recall for x in mine)
    inside = sum(x.precision * x.customers for x in mine) / max(sum(x.customers for x in mine), 1)
    singled_out = bool(mine) and min(covered, inside) >= SINGLED_OUT
    effects = [{"label": e.label, "segment": _feature_value(r, e.feature, e.segment_mean),
                "rest": _feature_value(r, e.feature, e.rest_mean), "d": fmt.signed(e.effect, 2)}
               for e in ex.distinguishing.get(seg_id, ())]
    value = None
    if r.targeting:
        v = next(x for x in r.targeting.segments if x.segment == seg_id)
        value = {"rate": fmt.percent(v.latest.rate, 1), "cost": fmt.money(v.cost, r.currency, 2),
                 "revenue": fmt.money(v.revenue, r.currency, 2),
                 "profit": fmt.money(v.profit_per_contact, r.currency, 2),
                 "range": f"{fmt.money(v.profit_low, r.currency, 2)} to {fmt.money(v.profit_high, r.currency, 2)}",
                 "answers": fmt.number(v.expected_answers, 0), "total": fmt.money(v.expected_profit, r.currency),
                 "target": v.target, "break_even": fmt.percent(r.targeting.break_even_rate, 1),
                 "verdict": _segment_payoff(r, p, v)}
    prev_p = r.segments[seg_id - 2] if seg_id > 1 else None
    next_p = r.segments[seg_id] if seg_id < len(r.segments) else None
    return {
        "title": f"Segment {p.id}: {shown_name(p)}",
        "summary": _segment_summary(r, p), "value_word": r.value_word, "public": p.public, "min_size": fmt.integer(r.min_segment_size),
        "stability": _num(p.stability, 2), "unstable": p.stability is not None and p.stability < r.thresholds.unstable,
        "unassigned": p.unassigned, "tiers_by": r.chosen.tiers_by, "k": str(r.chosen.k),
        "tier_name": f"A {r.chosen.tiers_name[:-1]}",
        "tiers_size": fmt.equal_size([x.size for x in r.segments]),
        "stats": rows, "categories": cats, "campaigns": camps, "actions": list(p.actions),
        "description": persona.description, "notes": persona.notes, "generated_name": persona.generated_name,
        "overridden": persona.overridden, "recommendation": recommendation, "plan": list(rec.plan),
        "contact": {True: "yes", False: "no", None: ""}[rec.contact],
        "rules": rules, "effects": effects, "accuracy": fmt.percent(ex.accuracy), "overlap": ex.overlap, "held_out": fmt.percent(ex.held_out),
        "singled_out": singled_out, "covered": fmt.percent(min(covered, 1.0)), "inside": fmt.percent(inside),
        "depth": str(ex.depth), "value": value, "baskets": segment_baskets(r, seg_id) if p.public else [],
        "baskets_assumption": r.baskets.assumption if r.baskets else "",
        "chart_effects": chart(figures.segment_effects(r, seg_id), f"chart-effects-{seg_id}",
                                         f"Bar chart of how segment {seg_id} differs from the average customer")
        if p.public else "",
        "prev": {"href": segment_file(prev_p.id), "title": f"{prev_p.id}. {shown_name(prev_p)}"} if prev_p else None,
        "next": {"href": segment_file(next_p.id), "title": f"{next_p.id}. {shown_name(next_p)}"} if next_p else None,
    }


def _segment_payoff(r: Results, p, v) -> str:
    """Whether a paid contact of the whole segment pays at its answer rate, with what qualifies it:
    the rate's interval reaching below break-even, and the contact list taking only some of it."""
    if not v.target:
        return ("a paid contact of the whole segment does not pay (see the plan above for the customers of the "
                "contact list).")
    text = "at its answer rate, a paid contact of the whole segment pays"
    if v.profit_low is not None and v.profit_low <= 0:
        text += ", though the rate's 95% interval reaches below break-even"
    listed = next((s.contacts for s in r.response.segments if s.segment == p.id), 0) if r.response else None
    if listed is not None and listed < p.size:
        text += ("; the contact list above holds none of its customers: no one's own score pays" if listed == 0 else
                 f"; the contact list above takes only the {_count(r, listed)} of its customers whose own scores pay")
    return text + "."


def _count(r: Results, n: int) -> str:
    """A count of customers as public pages give it: under the minimum group size, not exactly."""
    return fmt.public_count(n, r.min_segment_size)


def _category_rows(r: Results, p, mix) -> list[dict]:
    """A categorical column's shares in the segment; values held by fewer than the minimum group
    size (in the segment or overall) are pooled into one row, so no cell describes a few people."""
    rows, pooled, pooled_all = [], 0.0, 0.0
    # Values the segment lacks count among the others too: the all-customers column adds up to 100%.
    every = {**{c: 0.0 for c in mix.overall}, **mix.shares}
    for c, v in sorted(every.items(), key=lambda kv: -kv[1]):
        overall = mix.overall.get(c, 0.0)
        # None of the segment holds it: a 0% says so of no one (a plan no account of the segment is on).
        if (round(v * p.size) >= r.min_segment_size or v == 0) and round(overall * r.n_segmented) >= r.min_segment_size:
            rows.append({"category": fmt.category_value(c, every), "share": fmt.percent(v), "overall": fmt.percent(overall)})
        else:
            pooled, pooled_all = pooled + v, pooled_all + overall
    if pooled > 0 and round(pooled * p.size) >= r.min_segment_size:
        rows.append({"category": f"Other values (each held by fewer than {r.min_segment_size} customers of this segment)",
                     "share": fmt.percent(pooled), "overall": fmt.percent(pooled_all)})
    elif pooled > 0:
        rows.append({"category": f"Other values (fewer than {r.min_segment_size} customers of this segment in all)",
                     "share": "–", "overall": "–"})
    elif pooled_all > 0:
        rows.append({"category": "Other values (none in this segment)", "share": fmt.percent(0.0),
                     "overall": fmt.percent(pooled_all)})
    return rows



def _has(r: Results, feature: str) -> bool:
    return any(d.name == feature for d in r.features)


def _unassigned(r: Results) -> str:
    """', 203 of them in no dense group (no segment)' when a density model leaves customers out of
    every segment (its noise group), so that a count of customers is not read as the segments' total."""
    n = sum(p.size for p in r.segments if p.unassigned)
    return f", {_count(r, n)} of them in no dense group (no segment)" if n else ""


def _lead(r: Results) -> str:
    """The overview's claim about spend, computed: which public segment spends most on average."""
    segs = [p for p in r.segments if p.public and not p.unassigned]  # the noise group is no segment to name
    if not segs and r.segments:
        return (f"No segment holds the {fmt.integer(r.min_segment_size)} customers a public page needs to describe "
                f"it (report.min_segment_size): none is described here, to protect small groups. Lower that "
                f"setting to publish them.")
    if not segs or not _has(r, "total_spend"):
        return ""
    top = max(segs, key=lambda p: (p.stat("total_spend").mean, -p.id))
    s = top.stat("total_spend")
    most = "spends the most on average" if len(segs) == len(r.segments) else \
        "spends the most on average of the segments large enough to show"
    return (f"Segment {top.id}, {top.name}, {most}: {fmt.money(s.mean, r.currency)} per "
            f"customer against {fmt.money(s.overall_mean, r.currency)} for all customers{_hidden_spenders(r, s)}.")


SMALL_MARGIN = 0.10  # a share known only to within this (95%, at worst) makes the segments small to read


def small_segments_note(r: Results) -> str:
    """When the smallest segment shown is small enough that a share measured in it (an answer rate,
    a category's share) is uncertain by SMALL_MARGIN or more: by how much, so that differences
    between segments are read with that margin. 1.96 sqrt(p(1 - p) / n) is largest at p = 1/2."""
    segs = [p for p in r.segments if p.public and not p.unassigned]
    if not segs:
        return ""
    n = min(p.size for p in segs)
    margin = 1.96 * (0.25 / n) ** 0.5
    if margin < SMALL_MARGIN:
        return ""
    return (f"The smallest segment holds {fmt.integer(n)} customers: a share measured in it, such as the share "
            f"that answered a campaign, is known only to within about ±{round(100 * margin)} percentage points "
            f"(95% confidence). A difference between segments smaller than that may be chance: test it on a "
            f"part of the segment before spending on all of it.")


def _hidden_spenders(r: Results, s) -> str:
    """When the best-spending segment shown is below the average of all customers, the higher
    spenders are in segments too small to show: said, so that no lower figure reads as the top."""
    hidden = len([p for p in r.segments if not p.public])
    if not hidden or s.mean >= s.overall_mean:
        return ""
    return (f"; the customers who spend more are in {hidden} segment{'s' if hidden > 1 else ''} of fewer than "
            f"{fmt.integer(r.min_segment_size)} customers, too small to show")


def _short_action(r: Results, p) -> str:
    """The recommended action in a few words, for the comparison table."""
    rec = r.personas[p.id - 1].recommendation
    what = fmt.offer_on(rec.offer.split(':')[0], rec.offer_on)
    if rec.contacts is not None:
        if rec.contacts == 0:
            return f"{what}; free channels only"
        if rec.contacts < r.min_segment_size:
            return f"{what}; contact its few listed customers"
        return f"{what}; contact its {fmt.integer(rec.contacts)} listed customers"
    if rec.contact is False:
        return f"{what}; free channels only"
    return f"{what}; contact the segment" if rec.contact else what


def _comparison_table(r: Results, compact: bool = False) -> dict:
    """Segments side by side (overview): size, value, recency, frequency, answers, profit, action.
    `compact` (the executive summary on paper) leaves out recency and frequency, which the segment
    chapters give, so that the names and next steps have room on the page's width."""
    freq = "purchases" if _has(r, "purchases") else ("orders" if _has(r, "orders") else None)
    target = {v.segment: v for v in r.targeting.segments} if r.targeting else {}
    latest = r.campaigns[-1] if r.campaigns else None
    shares = share_texts(r)
    rows = []
    for p in r.segments:
        if not p.public:
            continue
        v = target.get(p.id)
        rows.append({
            "id": str(p.id), "name": p.name, "href": segment_file(p.id), "size": fmt.integer(p.size),
            "share_customers": shares[p.id][0], "share_value": shares[p.id][1],
            # As the cards write them: an income the input gives in thousands reads $86k here too.
            "spend": _feature_value(r, "total_spend", p.stat("total_spend").mean) if _has(r, "total_spend") else "–",
            "income": _feature_value(r, "income", p.stat("income").mean) if _has(r, "income") else "–",
            "recency": fmt.number(p.stat("recency_days").mean, 0) if _has(r, "recency_days") else "–",
            "frequency": fmt.number(p.stat(freq).mean, 1) if freq else "–",
            "rate": fmt.percent(latest.by_segment[p.id - 1].rate) if latest else "–",
            "profit": fmt.money(v.profit_per_contact, r.currency, 2) if v else "–",
            "action": _short_action(r, p),
        })
    return {"rows": rows, "has_value": all(p.share_value is not None for p in r.segments),
            "has_spend": _has(r, "total_spend"),
            "has_income": _has(r, "income") and not _has(r, "total_spend"),
            "has_recency": _has(r, "recency_days") and not compact,
            # The headers say what the config's labels say (days since the last login, a monthly fee).
            "spend_header": _average_of(r, "total_spend", "Average spend"),
            "income_header": _average_of(r, "income", "Average income"),
            "recency_header": next((d.label for d in r.features if d.name == "recency_days"), "Days since last purchase"),
            "frequency": "" if compact else {"purchases": "Purchases", "orders": "Orders"}.get(freq or "", ""),
            "has_rate": latest is not None, "has_profit": bool(target), "has_list": r.response is not None}


def _average_of(r: Results, feature: str, usual: str) -> str:
    label = next((d.label for d in r.features if d.name == feature), "")
    return usual if label.lower() in ("", "total spend", "income") else f"Average {fmt.mid_sentence(label)}"


def _seg_ref(p) -> str:
    return f"segment {p.id}, {p.name}"


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _invest(r: Results) -> str:
    """Where the value is: the public segments whose share of revenue is above their share of
    customers, best ratio first; without revenue shares, the segment that spends most. The group
    of customers no dense segment took is no segment to invest in."""
    segs = [p for p in r.segments if p.public and not p.unassigned]
    if not segs:
        return ""
    shares = share_texts(r)
    if all(p.share_value is not None for p in r.segments):
        # As the offers do: a segment is worth investing in from VALUE_RATIO times its share of customers
        # (22% of revenue from 20% of customers gets a standard offer, and no "invest" either).
        ratio = lambda p: p.share_value / p.share_customers if p.share_customers else 0.0  # noqa: E731
        worth = sorted((p for p in segs if ratio(p) >= VALUE_RATIO), key=lambda p: (-ratio(p), p.id))
        if worth:  # the revenue of customers who stopped buying is won back, not rewarded
            lapsed = {p.id for p in worth if r.personas[p.id - 1].recommendation.offer.startswith("Win-back")}
            return _listing([f"{_seg_ref(p)} ({shares[p.id][0]} of customers, {shares[p.id][1]} of {r.value_word}"
                             + (f" while they bought: {'lapsed' if p.name.startswith('Lapsed') else 'lapsing'}, win them back"
                                if p.id in lapsed else "") + ")"
                             for p in worth]) + "."
        top = max(segs, key=lambda p: (ratio(p), -p.id))
        return (f"no one segment: none brings {VALUE_RATIO:g} times its share of customers in {r.value_word} (the most: "
                f"{_seg_ref(top)}, {shares[top.id][0]} of customers, {shares[top.id][1]} of {r.value_word}).")
    if _has(r, "total_spend"):
        top = max(segs, key=lambda p: (p.stat("total_spend").mean, -p.id))
        s = top.stat("total_spend")
        if s.mean < s.overall_mean:  # the segments shown all spend less than the average customer
            return ""
        return (f"{_seg_ref(top)}, the highest average spend: {fmt.money(s.mean, r.currency)} per customer "
                f"against {fmt.money(s.overall_mean, r.currency)} for all customers.")
    if _has(r, "spending_score"):  # no spend: the table's own score of it
        top = max(segs, key=lambda p: (p.stat("spending_score").mean, -p.id))
        s = top.stat("spending_score")
        if s.mean <= s.overall_mean:
            return ""
        return (f"{_seg_ref(top)}, the highest average spending score: {fmt.number(s.mean)} against "
                f"{fmt.number(s.overall_mean)} for all customers.")
    return ""


@dataclass(frozen=True)
class ShownTargets:
    """The plan "segments above break-even" over the segments large enough to show (the public pages
    give no total of a segment under the minimum size), and how many smaller ones are above it too."""
    customers: int
    answers: float
    profit: float
    hidden: int
    plan: str


def _shown_targets(r: Results) -> ShownTargets:
    public = {p.id for p in r.segments if p.public}
    good = [v for v in r.targeting.segments if v.target and v.segment in public]
    hidden = len([v for v in r.targeting.segments if v.target and v.segment not in public])
    return ShownTargets(sum(v.customers for v in good), float(sum(v.expected_answers for v in good)),
                        float(sum(v.expected_profit for v in good)), hidden,
                        "Contact only the segments above break-even" + (" large enough to show" if hidden else ""))


def _contact_and_result(r: Results) -> tuple[str, str]:
    """Whom to contact and what it is expected to earn, from the strongest evidence the data allows:
    the response model's contact list, else the segments above break-even, else answer rates."""
    cur, m, t = r.currency, r.response, r.targeting
    public = {p.id: p for p in r.segments if p.public}
    if m is not None:
        everyone = (f"contacting everyone would have earned {fmt.money(m.everyone_profit.value, cur)} "
                    f"(95% interval {_money_range(m.everyone_profit, cur)})")
        if m.contacts == 0:
            return ("Nobody in a paid campaign: no number of best-scored customers paid for their contacts "
                    "in the out-of-fold estimate.",
                    f"In a campaign like the latest one, {everyone}; use free channels, or change the offer or "
                    "the cost of contact first.")
        if m.gain_over_everyone.high < 0:  # as _verdict: the list surely earns less than contacting everyone
            g = m.gain_over_everyone
            return (f"Everyone the latest campaign contacted ({fmt.integer(m.contacted or m.trained)} customers): that "
                    f"earned {fmt.money(-g.value, cur)} more than the response model's contact list would have (95% "
                    f"interval {fmt.money(-g.high, cur)} to {fmt.money(-g.low, cur)}), measured on customers the model "
                    "did not see.",
                    f"{fmt.money(m.everyone_profit.value, cur)} (95% interval {_money_range(m.everyone_profit, cur)}) "
                    "in a campaign like the latest one.")
        ranks = (f"ranks customers with a ROC AUC of {m.auc.value:.2f}" if m.auc.low > 0.5 else
                 f"ranks customers no better than chance can be ruled out (ROC AUC {m.auc.value:.2f}, 95% interval "
                 f"{m.auc.low:.2f} to {m.auc.high:.2f}): treat the list as a test, not a targeting")
        return (f"The {fmt.integer(m.contacts)} customers of the contact list ({fmt.percent(m.contacts / m.scored)} of "
                f"all customers), picked one by one by a response model that {ranks}; the list is the private file "
                f"exports/contact_list.csv.",
                f"{fmt.money(m.measured_profit.value, cur)} (95% interval {_money_range(m.measured_profit, cur)}) in "
                f"a campaign like the latest one, measured on customers the choice of the list did not see; "
                f"{everyone}.")
    if t is not None:
        be = fmt.percent(t.break_even_rate, 1)
        good = [v for v in t.segments if v.target and v.segment in public]
        if not good:
            hidden = _shown_targets(r).hidden
            small = (f"; {hidden} segment{'s' if hidden > 1 else ''} of fewer than {fmt.integer(r.min_segment_size)} "
                     "customers did (see exports/, private)" if hidden else "")
            return (f"Nobody in a paid campaign: no segment {'large enough to show ' if hidden else ''}answered the "
                    f"latest campaign above the break-even rate of {be}{small}.",
                    f"Contacting everyone would have earned {fmt.money(t.everyone[2], cur)} in the latest campaign.")
        low = sum(v.customers * v.profit_low for v in good)
        high = sum(v.customers * v.profit_high for v in good)
        return (f"The segments that answered the latest campaign above the break-even rate of {be}: "
                + _listing([f"{_seg_ref(public[v.segment])} ({fmt.percent(v.latest.rate, 1)})" for v in good]) + ".",
                f"{fmt.money(sum(v.expected_profit for v in good), cur)} if they answer like the latest campaign "
                f"({fmt.money(low, cur)} to {fmt.money(high, cur)} at the ends of their 95% intervals), against "
                f"{fmt.money(t.everyone[2], cur)} for contacting everyone.")
    if r.campaigns:
        c = r.campaigns[-1]
        rated = [p for p in public.values() if c.by_segment[p.id - 1].rate is not None]
        if rated:
            best = max(rated, key=lambda p: (c.by_segment[p.id - 1].rate, -p.id))
            x = c.by_segment[best.id - 1]
            interval = f"95% interval {fmt.percent(x.low, 1)} to {fmt.percent(x.high, 1)}"
            unpriced = "Not computed: the data gives no cost per contact and no revenue per answer."
            if x.low > c.overall.rate:  # above all customers beyond chance: worth contacting first
                return (f"First {_seg_ref(best)}, which answered the latest campaign most often: "
                        f"{fmt.percent(x.rate, 1)} ({interval}) against {fmt.percent(c.overall.rate, 1)} for all "
                        "customers.", unpriced)
            return (f"No segment answered the latest campaign clearly more often than all customers "
                    f"({fmt.percent(c.overall.rate, 1)}): the highest rate, {fmt.percent(x.rate, 1)} in "
                    f"{_seg_ref(best)}, has a {interval}, which holds it. Answers do not say whom to contact "
                    "first; try the next campaign on a sample of every segment.", unpriced)
    return ("The data holds no campaign answers, so it cannot say whom a campaign would reach: start with the "
            "segments above and record who answers the next campaign.", "")


def _keep(r: Results) -> str:
    """The public segments advised retention (far more of them left than of the other customers), with how many left."""
    keep = [p for p in r.segments if p.public and not p.unassigned
            and r.personas[p.id - 1].recommendation.offer.startswith("Retention")]
    if not keep:
        return ""
    return _listing([f"{_seg_ref(p)} ({fmt.percent(p.stat('churned').mean)} have left against "
                     f"{fmt.percent(p.stat('churned').overall_mean)} of all customers)" for p in keep]) + \
        ": a save offer now, before more of them go."


def decision(r: Results) -> list[dict]:
    """The executive summary's decision: where the value is, whom to keep, whom to contact, the expected result."""
    contact, result = _contact_and_result(r)
    items = [("Invest in", _invest(r)), ("Keep", _keep(r)), ("Contact", contact), ("Expected result", result)]
    return [{"what": w, "text": t} for w, t in items if t]


def _money_range(e, currency: str) -> str:
    return f"{fmt.money(e.low, currency)} to {fmt.money(e.high, currency)}"


def _response(r: Results, chart: Chart) -> dict | None:
    """The response model and the top-N plan (campaigns page)."""
    m = r.response
    if m is None:
        return None
    cur = r.currency
    targets = _shown_targets(r)
    segments = []
    for s in m.segments:
        p = r.segments[s.segment - 1]
        if not p.public:
            continue
        few = 0 < s.contacts < r.min_segment_size
        # What fewer customers than the minimum group earned is theirs alone: not published.
        small, best_small = s.contacts < r.min_segment_size, s.best_n < r.min_segment_size
        segments.append({
            "name": f"{p.id}. {p.name}", "customers": fmt.integer(s.customers),
            "contacts": _count(r, s.contacts),
            "answers": "–" if few else fmt.number(s.expected_answers, 0),
            "expected": "–" if few else fmt.money(s.expected_profit, cur),
            "measured": "–" if small else fmt.money(s.measured_profit, cur),
            "best_n": _count(r, s.best_n),
            "best_measured": fmt.money(s.best_measured.value, cur) if s.best_measured and not best_small else "–",
            "best_interval": _money_range(s.best_measured, cur) if s.best_measured and not best_small else "–",
        })
    t = r.targeting
    return {
        "campaign": "" if m.campaign.lower() in ("", "latest campaign") else m.campaign, "model": m.model_label, "folds": str(m.folds), "resamples": fmt.integer(m.resamples),
        "trained": fmt.integer(m.trained), "answered": fmt.integer(m.answered), "scored": fmt.integer(m.scored),
        "n_inputs": str(len(m.inputs)),
        "candidates": [{"label": c.label, "auc": f"{c.auc:.3f}", "chosen": c.key == m.model} for c in m.candidates],
        "auc": f"{m.auc.value:.2f}", "auc_interval": f"{m.auc.low:.2f} to {m.auc.high:.2f}",
        "contacts": fmt.integer(m.contacts), "any": m.contacts > 0,
        "share": fmt.percent(m.contacts / m.scored) if m.scored else "–",
        "threshold": fmt.percent(m.threshold, 1), "expected_answers": fmt.number(m.expected_answers, 0),
        "expected_profit": fmt.money(m.expected_profit, cur),
        "measured_contacts": fmt.integer(m.measured_contacts),
        "measured": fmt.money(m.measured_profit.value, cur), "measured_interval": _money_range(m.measured_profit, cur),
        "everyone": fmt.money(m.everyone_profit.value, cur), "everyone_interval": _money_range(m.everyone_profit, cur),
        "gain": (f"{fmt.money(abs(m.gain_over_everyone.value), cur)} "
                 f"{'more' if m.gain_over_everyone.value >= 0 else 'less'}"),
        "gain_interval": _money_range(m.gain_over_everyone, cur),
        "profitable": m.measured_profit.low > 0,
        "sampled": (f"The model is fitted and measured on a stratified sample of {fmt.integer(m.trained)} of the "
                    f"{fmt.integer(m.contacted)} customers the latest campaign contacted; its measured profits are "
                    "scaled to all of them." if m.contacted > m.trained else ""),
        "plans": [
            # What the latest campaign earned on the customers it contacted: the model's own count.
            {"plan": "Contact everyone", "contacts": fmt.integer(m.contacted or t.everyone[0]),
             "profit": fmt.money(m.everyone_profit.value, cur), "interval": _money_range(m.everyone_profit, cur),
             "basis": "what the latest campaign earned"},
            {"plan": targets.plan, "contacts": fmt.integer(targets.customers),
             "profit": fmt.money(targets.profit, cur), "interval": "–",
             "basis": "the latest campaign's answer rates of those segments, on the same answers that chose them "
                      "(in sample, so optimistic)"},
            # An empty list on all customers may still contact some in the out-of-fold measurement: said so.
            {"plan": (f"Contact the top {fmt.integer(m.contacts)} customers by score (the contact list)" if m.contacts
                      else "Contact those whose score pays for the contact: none of all the customers"),
             "contacts": fmt.integer(m.contacts), "profit": fmt.money(m.measured_profit.value, cur),
             "interval": _money_range(m.measured_profit, cur),
             "basis": f"out of fold: chosen on one half of the customers, measured on the other (where it contacts "
                      f"{fmt.integer(m.measured_contacts)} of the {fmt.integer(m.contacted)} customers the latest "
                      "campaign contacted)"},
        ] + ([{"plan": "Contact each segment's own best N" + ("" if m.per_segment_contacts else
                                                               ": none of all the customers"),
               "contacts": fmt.integer(m.per_segment_contacts),
               "profit": fmt.money(m.per_segment_profit.value, cur), "interval": _money_range(m.per_segment_profit, cur),
               "basis": "out of fold: each segment's N chosen on one half of its customers, measured on the other"}]
             if m.per_segment_profit else []),
        "segments": segments, "rule": m.rule, "verdict": _verdict(r),
        "chart_gains": chart(figures.response_gains(r), "chart-gains",
                             "Cumulative gains chart of the response model's out-of-fold scores"),
        "chart_profit": chart(figures.response_profit(r), "chart-profit",
                              "Line chart of the profit of contacting the top N customers by score"),
    }


def _response_method(r: Results, chart: Chart) -> dict | None:
    """How the response model is evaluated (methodology page): AUC, candidates, calibration."""
    m = r.response
    if m is None:
        return None
    return {
        "rule": m.rule, "auc": f"{m.auc.value:.2f}", "auc_interval": f"{m.auc.low:.2f} to {m.auc.high:.2f}",
        "trained": fmt.integer(m.trained), "answered": fmt.integer(m.answered),
        "candidates": [{"label": c.label, "auc": f"{c.auc:.3f}", "chosen": c.key == m.model} for c in m.candidates],
        "chart_calibration": chart(figures.response_calibration(r), "chart-calibration",
                                   "Calibration chart of the response model's scores"),
    }


def _verdict(r: Results) -> str:
    """Which plan to run, from the measured plans' intervals: a plan pays when its whole 95%
    interval lies above zero; the list beats contacting everyone only when its gain's does."""
    m, cur = r.response, r.currency
    if m.contacts == 0:
        return "No plan pays in the out-of-fold estimate: change the offer, the cost of contact or the channel first."
    others = [("contacting everyone", m.everyone_profit)] + (
        [("each segment's own best N", m.per_segment_profit)] if m.per_segment_profit else [])
    paying = [(name, e) for name, e in others if e.low > 0]
    named = " and ".join(f"{name} ({_money_range(e, cur)})" for name, e in paying)
    verb = "does" if len(paying) == 1 else "do"
    if m.gain_over_everyone.high < 0:  # the list is surely worse: its few saved contacts cost more than they save
        return (f"Contacting everyone is the plan to run: it earned {fmt.money(-m.gain_over_everyone.value, cur)} more "
                f"than the contact list, and the whole 95% interval of the list's gain over it "
                f"({_money_range(m.gain_over_everyone, cur)}) lies below zero." + _in_sample(r))
    if m.measured_profit.low <= 0:
        first = ("The contact list earned more than it cost in the estimate, but its 95% interval reaches below zero: "
                 "test it on part of the list first." if m.measured_profit.value > 0 else
                 "Not even the best-scored customers paid for their contact in the out-of-fold estimate.")
        return first + (f" Only {named} {'pays' if len(paying) == 1 else 'pay'} with the whole 95% interval above zero."
                        if paying else "")
    if m.gain_over_everyone.low > 0:
        first = (f"The contact list is the plan to run: it earned {fmt.money(m.gain_over_everyone.value, cur)} more than "
                 f"contacting everyone, and the whole 95% interval of that gain ({_money_range(m.gain_over_everyone, cur)}) "
                 "lies above zero.")
    elif not paying:
        first = (f"The contact list is the plan to run: contacting its {fmt.integer(m.contacts)} customers is the one "
                 "plan whose whole 95% interval lies above zero.")
    else:
        fewer = m.contacted - m.contacts
        first = (f"The contact list pays (its whole 95% interval lies above zero), and so {verb} {named}; its gain over "
                 f"contacting everyone ({_money_range(m.gain_over_everyone, cur)}) is not sure"
                 + (f", but it needs {fmt.integer(fewer)} fewer contacts." if fewer > 0 else "."))
    more = [e for name, e in paying if name != "contacting everyone" and e.value > m.measured_profit.value]
    return first + "".join(f" Each segment's own best N earned more in the estimate: {fmt.money(e.value, cur)} against "
                           f"{fmt.money(m.measured_profit.value, cur)} for the list." for e in more) + _in_sample(r)


def _in_sample(r: Results) -> str:
    """When the segments above break-even show more than the list: why that does not make them the
    better plan (their figure is counted on the answers that chose them)."""
    if r.targeting is None:
        return ""
    shown, m = _shown_targets(r), r.response
    if shown.customers == 0 or shown.profit <= m.measured_profit.value:
        return ""
    return (f" The segments above break-even show more ({fmt.money(shown.profit, r.currency)}), but counted on the "
            "same answers that chose them, so that figure is optimistic; the list's is measured on customers its "
            "choice did not see.")


def campaigns(r: Results, chart: Chart) -> dict:
    shown = [p.id for p in r.segments if p.public]  # small segments' answers stay private
    segs = [{"id": str(p.id), "name": p.name} for p in r.segments if p.public]
    rows = []
    for c in r.campaigns:
        rows.append({
            "name": c.name, "column": c.column, "overall": fmt.percent(c.overall.rate, 1),
            "contacted": fmt.integer(c.overall.contacted), "p_value": fmt.p_value(c.p_value), "test": c.test or "–",
            "cells": [f"{fmt.percent(c.by_segment[i - 1].rate, 1)} ({fmt.ratio(c.by_segment[i - 1].lift)})"
                      for i in shown],
        })
    t = r.targeting
    target = None
    if t:
        above = _shown_targets(r)
        target = {
            "cost_source": t.cost_source, "revenue_source": t.revenue_source,
            "break_even": fmt.percent(t.break_even_rate, 1),
            "rows": [{"name": f"{v.segment}. {r.segments[v.segment - 1].name}", "customers": fmt.integer(v.customers),
                      "rate": fmt.percent(v.latest.rate, 1),
                      "interval": f"{fmt.percent(v.latest.low, 1)} – {fmt.percent(v.latest.high, 1)}",
                      "history": fmt.percent(v.history_rate, 1),
                      "profit": fmt.money(v.profit_per_contact, r.currency, 2),
                      "history_profit": fmt.money(v.profit_per_contact_history, r.currency, 2),
                      "answers": fmt.number(v.expected_answers, 0), "total": fmt.money(v.expected_profit, r.currency),
                      "target": "yes" if v.target else "no"} for v in t.segments if v.segment in shown],
            "everyone": [fmt.integer(t.everyone[0]), fmt.number(t.everyone[1], 0), fmt.money(t.everyone[2], r.currency)],
            "targeted": [fmt.integer(above.customers), fmt.number(above.answers, 0),
                         fmt.money(above.profit, r.currency)],
            "targeted_plan": above.plan,
            "none": t.targeted[0] == 0,
        }
    return {
        "title": "Campaigns", "has_campaigns": bool(r.campaigns), "segments": segs, "rows": rows,
        "latest": r.campaigns[-1].name if r.campaigns else "", "targeting": target,
        "response": _response(r, chart) if r.targeting else None,
        "hidden": [str(p.id) for p in r.segments if not p.public], "min_size": fmt.integer(r.min_segment_size),
        "chart": chart(figures.campaign_rates(r), "chart-campaigns", "Bar chart of answer rates by campaign and segment")
        if r.campaigns else "",
        "chart_heatmap": chart(figures.campaign_heatmap(r), "chart-campaign-heatmap",
                               "Heatmap of answer rates by segment and campaign") if r.campaigns else "",
    }


def _rule_text(rule, level: str) -> str:
    return items_text(rule.lhs, level) + " → " + items_text(rule.rhs, level)


def _rule_row(rule, level: str) -> dict:
    return {"rule": _rule_text(rule, level), "baskets": fmt.integer(rule.count), "support": fmt.percent(rule.support, 1),
            "confidence": fmt.percent(rule.confidence), "lift": fmt.lift(rule.lift),
            "overall_lift": fmt.lift(rule.overall_lift), "ratio": fmt.ratio(rule.lift_ratio),
            "support_ratio": fmt.ratio(rule.support_ratio),
            "within": fmt.lift(rule.within_lift)}


def _promotion_row(r: Results, x, level: str) -> dict:
    lhs, rhs = items_text(x.rule.lhs, level), item_name(x.rule.rhs[0], level)
    offer = f"Bundle {lhs} with {rhs}" if x.kind == "bundle" else f"Offer {rhs} to buyers of {lhs}"
    return {"kind": x.kind, "offer": offer, "reach": fmt.integer(x.reach),
            "buyers": fmt.number(x.expected_buyers, 0), "revenue": fmt.money(x.expected_revenue, r.currency),
            "confidence": fmt.percent(x.rule.confidence)}


def _shown_rules(r: Results, rules) -> list:
    """A segment's rules held by at least the minimum group size of baskets."""
    return [x for x in rules if x.count >= r.min_segment_size]


def _level_title(level: str) -> str:
    return {"product": "Products", "category": "Categories"}[level]


def segment_baskets(r: Results, seg_id: int) -> list[dict]:
    """The segment's basket rules, one entry per level (empty without order lines)."""
    out = []
    for lv in (r.baskets.levels if r.baskets else ()):
        s = next((x for x in lv.segments if x.segment == seg_id), None)
        if s is None:
            continue
        # A promotion reaching fewer than the minimum group size would point at a few people.
        promos = [x for x in s.promotions if x.reach >= r.min_segment_size and x.rule.count >= r.min_segment_size]
        distinct, top = _shown_rules(r, s.distinctive)[:5], _shown_rules(r, s.top)[:5]
        table = distinct or top  # the one the page shows: every offer's rule is listed in it
        table = table + [x.rule for x in promos if x.rule not in table]
        out.append({"level": _level_title(lv.level), "baskets": fmt.integer(s.baskets), "min_count": fmt.integer(s.min_count),
                    "lift": fmt.number(r.baskets.distinctive_lift, 1),
                    "n_rules": fmt.integer(s.n_rules), "distinctive": [_rule_row(x, lv.level) for x in table] if distinct else [],
                    "top": [_rule_row(x, lv.level) for x in (top if distinct else table)],
                    "promotions": [_promotion_row(r, x, lv.level) for x in promos],
                    # Without prices no revenue is known: the column is left out rather than filled with dashes.
                    "priced": any(not math.isnan(x.expected_revenue) for x in promos)})
    return out


MIX_LIFT = 1.1  # a rule's lift within segments under this: its pull over all baskets comes from the segment mix


def baskets(r: Results, chart: Chart) -> dict:
    b = r.baskets
    names = {p.id: shown_name(p) for p in r.segments}
    levels = []
    for lv in b.levels:
        levels.append({
            "title": _level_title(lv.level), "level": lv.level, "n_items": fmt.integer(lv.items),
            "min_count": fmt.integer(lv.min_count), "n_rules": fmt.integer(lv.n_rules),
            "rules": fmt.count(lv.n_rules, "rule"),
            "top": [_rule_row(x, lv.level) for x in lv.top],
            # Rules whose lift is gone once the segments are held apart: who buys, not buying together.
            "mix": [_rule_text(x, lv.level) for x in lv.top if x.within_lift is not None and x.within_lift < MIX_LIFT],
            "mix_lift": fmt.number(MIX_LIFT, 1),
            "chart": chart(figures.strongest_rules(lv), f"chart-rules-{lv.level}",
                           f"Bar chart of the strongest {lv.level} rules by lift") if lv.top else "",
            "segments": [{"id": str(s.segment), "name": names[s.segment], "href": segment_file(s.segment),
                          "baskets": fmt.integer(s.baskets), "min_count": fmt.integer(s.min_count),
                          "n_rules": fmt.integer(s.n_rules), "rules": fmt.count(s.n_rules, "rule"),
                          "orders": fmt.count(s.baskets, "order"),
                          "none": ("none is distinctive by the conditions above"
                                   if s.n_rules
                                   else "no rule reaches the thresholds in them"),
                          "distinctive": [_rule_row(x, lv.level) for x in _shown_rules(r, s.distinctive)]} for s in lv.segments],
        })
    return {
        "title": "Baskets", "baskets": fmt.integer(b.baskets), "with_customer": fmt.integer(b.baskets_with_customer),
        "method": b.method, "assumption": b.assumption, "levels": levels,
        "lift": fmt.number(b.distinctive_lift, 1),
        "hidden": [str(p.id) for p in r.segments if not p.public], "min_size": fmt.integer(r.min_segment_size),
    }


def _num(x, digits=3) -> str:
    return "–" if x is None or x != x else f"{x:.{digits}f}"


STRUCTURE_TITLES = {"weak": "Weakly separated segments", "none": "No natural segments"}


def structure_title(c) -> str:
    """The warning's title. With k set in the config only that k was looked at: its segments are
    not natural, which says nothing of whether the data holds others."""
    if c.structure == "none" and c.set_in_config:
        return f"The {c.k} segments set in the configuration are not natural ones"
    return STRUCTURE_TITLES.get(c.structure, "")


def _selection_evidence(r: Results) -> dict:
    c = r.chosen
    labels = {d.name: d.label for d in r.features}
    names = {p.id: f"{p.id}. {p.name}" for p in r.segments if p.public}
    return {
        "structure": c.structure, "structure_note": c.structure_note,
        "structure_title": structure_title(c),
        "votes": [{"index": r.thresholds.index_notes[i][0], "k": str(k) if k else "none", "note": r.thresholds.index_notes[i][1]}
                  for i, k in c.votes],
        "relevance_rule": r.thresholds.relevance_rule,
        "relevance": [{"label": labels[d.name], "relevance": fmt.percent(d.relevance),
                       "used": "yes" if d.weight else "left out: no segment structure"}
                      for d in r.features if d.name in r.clustering_features and d.relevance is not None],
        "overlap": fmt.percent(c.overlap) if c.overlap is not None else "–",
        "valley_max": fmt.percent(r.thresholds.valley_max),
        "border_share": fmt.percent(r.thresholds.border_share),
        "valleys": [{"name": names[s], "ratio": fmt.percent(v), "separated": "yes" if v <= r.thresholds.valley_max else "no valley"}
                    for s, v in sorted(r.evidence.valleys.items()) if s in names],
    }


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def bought(r: Results) -> str:
    """What category shares are shares of: spend, or units where the order lines have no prices."""
    return "units" if r.value_word == "units bought" else "spend"


def features_sentence(used: list[str], labels: dict[str, str], of: str = "spend") -> str:
    """What the segments are found on, from the features the distances use (`of`: what shares are of)."""
    # Shares are named by their prefix: spend per category, purchases per channel, orders at a time
    # (every habit feature is 'orders_' and the moment, features.build_table).
    kinds = [what for what, prefix in ((f"{of} by category", "share_"), ("purchases by channel", "channel_"),
                                       ("orders by time of week and day", "orders_"))
             if any(f.startswith(prefix) for f in used)]
    scale = [fmt.mid_sentence(labels[f]) for f in used if not f.startswith(("share_", "channel_", "orders_"))]
    if len(scale) > 5:  # the table beside lists them all
        scale = scale[:4] + [f"{len(scale) - 4} more measures"]
    if kinds and scale:
        return (f"Segments are found on {_and(kinds)} as shares, beside {_and(scale)}, so that how customers buy "
                "counts as much as how much they buy.")
    return f"Segments are found on {_and(kinds)} as shares." if kinds else f"Segments are found on {_and(scale)}."


def _candidate_note(r: Results, c) -> str:
    """Why a candidate is not the choice, as far as the table's columns do not show it: not
    actionable, or two of its segments with no valley between them (the rule's first test)."""
    if c.why_not:
        return c.why_not
    if (c.algorithm, c.k) == (r.chosen.algorithm, r.chosen.k):
        return "chosen"
    if c.valley is not None and c.valley > r.thresholds.valley_max:
        # As many decimals as it takes to tell the border from the limit ('50.3% > 50%', not '50% > 50%').
        digits = next((d for d in (0, 1, 2) if fmt.percent(c.valley, d) != fmt.percent(r.thresholds.valley_max, d)), 3)
        return (f"no valley between two segments (border {fmt.percent(c.valley, digits)} > "
                f"{fmt.percent(r.thresholds.valley_max)})")
    return ""


def methodology(r: Results, chart: Chart) -> dict:
    labels = {d.name: d.label for d in r.features}
    algo_names = figures.ALGO_NAMES
    rows = sorted(r.model_selection, key=lambda c: (c.final_rank is None, c.final_rank or 0,
                                                    c.separation_rank is None, c.separation_rank or 0))
    cands = [{
        "algorithm": algo_names[c.algorithm] + (f" (min size {c.params['min_cluster_size']})" if "min_cluster_size" in c.params else ""),
        "k": str(c.k), "silhouette": _num(c.silhouette), "ch": fmt.number(c.calinski_harabasz, 1),
        "db": _num(c.davies_bouldin), "smallest": fmt.percent(c.smallest_share, 1),
        "unassigned": fmt.percent(c.unassigned_share) if c.algorithm == "hdbscan" else "–",
        "separation": _num(c.separation_rank, 2), "stability": _num(c.stability, 2),
        "final": _num(c.final_rank, 2), "note": _candidate_note(r, c),
        "chosen": (c.algorithm, c.k) == (r.chosen.algorithm, r.chosen.k),
    } for c in rows]
    loadings = sorted(r.map.loadings.items(), key=lambda kv: -abs(kv[1][0]))
    mix = r.evidence.mix
    unstable = [f"{p.id}. {p.name}" for p in r.segments
                if p.public and p.stability is not None and p.stability < r.thresholds.unstable]
    return {
        **_selection_evidence(r),
        "title": "Methodology",
        "features": [{"label": labels[f], "transform": next(d.transform for d in r.features if d.name == f)}
                     for f in r.clustering_features],
        # What the distances use: features left out (weight 0) are listed in the table, not here.
        "features_sentence": features_sentence([d.name for d in r.features if d.name in r.clustering_features
                                                and (d.weight is None or d.weight > 0)], labels, bought(r)),
        "mix_amounts": _and([what for what, prefix in ((f"{bought(r)} per category", "share_"),
                                                       ("purchases per channel", "channel_"))
                             if any(f.startswith(prefix) for f in r.clustering_features)]),
        "profile_only": [labels[d.name] for d in r.features if d.name not in r.clustering_features],
        "rule": r.chosen.rule, "reason": r.chosen.reason, "k": str(r.chosen.k),
        "algorithm": algo_names[r.chosen.algorithm],
        "chosen_title": (f"{r.chosen.k} {r.chosen.tiers_name} by {r.chosen.tiers_by}" if r.chosen.tiers_by
                         else f"{algo_names[r.chosen.algorithm]} with {r.chosen.k} segments"),
        "knee": str(r.chosen.knee) if r.chosen.knee else "none",
        "gap_k": str(r.chosen.gap_k) if r.chosen.gap_k else "none",
        "sample": fmt.integer(r.chosen.sample), "n": fmt.integer(r.chosen.n), "sampled": r.chosen.sample < r.chosen.n,
        "candidates": cands, "seed": str(r.manifest.seed), "naming_rule": r.naming_rule,
        "action_rules": r.action_rules,
        "stability": [{"name": f"{p.id}. {p.name}", "value": _num(p.stability, 2),
                       "flag": "unstable" if p.stability is not None and p.stability < r.thresholds.unstable else "stable"}
                      for p in r.segments if p.public and p.stability is not None],
        "unstable": unstable, "unstable_threshold": f"{r.thresholds.unstable:.1f}",
        "mix": [{"label": labels[f], "amounts": fmt.percent(mix.amounts[f]), "shares": fmt.percent(mix.shares[f])}
                for f in mix.amounts] if mix else [],
        "loadings": [{"label": labels[f], "pc1": f"{v[0]:+.2f}", "pc2": f"{v[1]:+.2f}" if len(v) > 1 else "–",
                      "pc3": f"{v[2]:+.2f}" if len(v) > 2 else "–"} for f, v in loadings],
        "explained": [fmt.percent(x) for x in r.map.explained],
        # One k searched (set in the config): no curve to find a knee on.
        "one_k": len({c.k for c in r.model_selection}) == 1,
        "chart_elbow": chart(figures.elbow(r), "chart-elbow", "Line chart of k-means inertia by number of segments")
        if any(c.algorithm == "kmeans" for c in r.model_selection) and len({c.k for c in r.model_selection}) > 1 else "",
        "chart_indices": chart(figures.indices(r), "chart-indices", "Line charts of validity indices by number of segments"),
        "chart_gap": chart(figures.gap(r), "chart-gap", "Line chart of the gap statistic by k") if r.evidence.gap else "",
        "chart_dendrogram": chart(figures.dendrogram(r), "chart-dendrogram", "Ward dendrogram of the last merges"),
        "chart_silhouette": chart(figures.silhouette_profile(r), "chart-silhouette",
                                  "Silhouette values of each segment's customers, sorted")
        if r.evidence.silhouette else "",
        "chart_stability": chart(figures.stability(r), "chart-stability", "Bar chart of each segment's stability")
        if any(p.stability is not None for p in r.segments) else "",
        "chart_map3d": chart(figures.segment_map_3d(r), "chart-map3d", "Three-dimensional scatter map of segments"),
        "versions": [{"name": k, "version": v} for k, v in r.manifest.versions.items()],
        "input_name": r.manifest.input_name, "input_sha256": r.manifest.input_sha256,
        "surrogate": {"accuracy": fmt.percent(r.explanation.accuracy), "depth": str(r.explanation.depth),
                      "overlap": r.explanation.overlap, "held_out": fmt.percent(r.explanation.held_out)},
        "comparison": _comparison(r, chart), "response": _response_method(r, chart),
        "overrides": [{"entry": str(m.entry), "name": m.name or "–",
                       "segment": f"{m.segment}. {shown_name(r.segments[m.segment - 1])}" if m.segment else "no match",
                       "distance": _num(m.distance, 2)} for m in r.overrides],
    }


def _comparison(r: Results, chart: Chart) -> dict | None:
    cmp = r.comparison
    if cmp is None:
        return None
    return {
        "source": cmp.source, "shared": fmt.integer(cmp.shared), "ari": f"{cmp.ari:.2f}",
        "current": [f"{s}. {shown_name(r.segments[s - 1])}" for s in cmp.current],
        # Cells under the minimum group size would describe a handful of customers.
        "rows": [{"earlier": e, "cells": [fmt.integer(v) if v >= r.min_segment_size else f"< {r.min_segment_size}"
                                          for v in row]} for e, row in zip(cmp.earlier, cmp.counts)],
        "chart": chart(figures.flows(r), "chart-flows", "Flow chart of customers from earlier groups to segments"),
    }


def data_quality(r: Results) -> dict:
    return {**quality_page.data_quality(r), "unassigned": _unassigned(r)}


def dictionary(r: Results) -> dict:
    cols = r.manifest.config.get("columns", {})
    roles = []
    for role, value in cols.items():
        if value in (None, [], {}):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} ({v})" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(value)
        roles.append({"role": role.replace("_", " "), "columns": str(value)})
    lines = r.manifest.config.get("transactions") or {}
    for role in ("customer", "order", "timestamp", "product", "product_name", "quantity", "unit_price", "amount",
                 "category", "status"):
        if lines.get(role):
            roles.append({"role": f"order lines: {role.replace('_', ' ')}", "columns": str(lines[role])})
        elif role == "order" and lines:
            roles.append({"role": "order lines: order", "columns": "none: a customer's lines at one date and time"})
        elif role == "product" and lines:
            roles.append({"role": "order lines: product", "columns": "none: every line of one product, no baskets"})
    return {
        "title": "Data dictionary",
        "features": [{"name": d.name, "label": d.label, "description": d.description, "source": d.source,
                      "kind": {"money_k": "money (thousands)", "money_10k": "money (ten thousands)"}.get(d.kind, d.kind), "use": "segmentation" if d.name in r.clustering_features else "profile only",
                      "transform": d.transform or "–"} for d in r.features],
        "roles": roles,
    }


def downloads(r: Results) -> dict:
    return {"title": "Downloads", "has_contacts": r.response is not None,
            "segment_files": [f"exports/segments/segment-{p.id}.csv" for p in r.segments]}


def summary_csv(r: Results) -> str:
    """Aggregates only: one row per segment, no customer."""
    import csv
    import io

    feats = [d for d in r.features]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([escaping.csv_cell(x) for x in ["segment", "name", "customers", "share_customers", "share_revenue"] +
                [f"mean_{d.name}" for d in feats] + [f"median_{d.name}" for d in feats]])
    for p in r.segments:
        if not p.public:  # below the minimum group size: neither name nor size nor any statistic
            w.writerow([p.id, HIDDEN_NAME, "", "", ""] + [""] * (2 * len(feats)))
            continue
        w.writerow([p.id, escaping.csv_cell(p.name), p.size, round(p.share_customers, 4),
                    "" if p.share_value is None else round(p.share_value, 4)] +
                   # Seven digits: 28087.4, not 28090 beside a page that shows 28,087.
                   [fmt.plain_number(p.stat(d.name).mean, 7) for d in feats] +
                   [fmt.plain_number(p.stat(d.name).median, 7) for d in feats])
    return buf.getvalue()


def build_pages(r: Results, has_pdf: bool, chart: Chart = html_chart,
                env: jinja2.Environment | None = None, paper: bool = False) -> list[Page]:
    env = env or environment()
    common = site_meta(r, has_pdf)
    with figures.plotly_white():
        specs = [("index.qmd", "overview.qmd.j2", overview(r, chart, paper))]
        specs += [(segment_file(p.id), "segment.qmd.j2", segment(r, p.id, chart)) for p in r.segments]
        specs += [
            ("campaigns.qmd", "campaigns.qmd.j2", campaigns(r, chart)),
            *([("baskets.qmd", "baskets.qmd.j2", baskets(r, chart))] if r.baskets else []),
            ("methodology.qmd", "methodology.qmd.j2", methodology(r, chart)),
            ("data-quality.qmd", "data-quality.qmd.j2", data_quality(r)),
            ("dictionary.qmd", "dictionary.qmd.j2", dictionary(r)),
            ("downloads.qmd", "downloads.qmd.j2", downloads(r)),
        ]
    return [Page(name, ctx["title"], env.get_template(tpl).render(**common, **ctx)) for name, tpl, ctx in specs]


def executive_summary(r: Results, chart: Chart, env: jinja2.Environment | None = None) -> str:
    """The PDF's first chapter: the overview's summary part (decision, comparison table, chart)."""
    env = env or environment()
    with figures.plotly_white():
        return env.get_template("summary.qmd.j2").render(**site_meta(r, True), **overview(r, chart, paper=True))

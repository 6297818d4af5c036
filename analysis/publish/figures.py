"""Plotly figures built from Results. Each has a title; pages embed them as HTML fragments that
share one local plotly.min.js."""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from html import escape, unescape
from typing import Callable, Iterator

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import formatters as fmt
from ..escaping import plotly as _text
from ..labels import items_text
from ..results import Results

# Okabe-Ito, safe for colour-blind readers; a segment keeps its colour on every chart.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255", "#44AA99", "#117733"]
OVERALL = "#555555"
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13)


def colour(segment: int) -> str:
    return PALETTE[(segment - 1) % len(PALETTE)]


@contextmanager
def plotly_white() -> Iterator[None]:
    """Figures made inside start from Plotly's "plotly_white" template. Plotly trusts its default
    template and copies it in unchecked; assigned to each figure, it was validated again every
    time (60 ms a chart). Setting the default validates it too, so builds set it once around all
    their charts."""
    import plotly.io as pio

    if pio.templates.default == "plotly_white":
        yield
        return
    before, pio.templates.default = pio.templates.default, "plotly_white"
    try:
        yield
    finally:
        pio.templates.default = before


def chart(build: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """A chart builder: its figure has the site's look, also when called on its own."""
    @wraps(build)
    def themed(*args, **kwargs) -> go.Figure:
        with plotly_white():
            return build(*args, **kwargs)
    return themed


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Phone first: margins grow to fit the tick labels and axis titles (automargin) instead of a
    fixed width that cuts them, and the legend sits above the plot, where it covers no data and
    rotated tick labels cannot run into it."""
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)), height=height, font=FONT,
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def untitled(fig: go.Figure) -> tuple[go.Figure, str]:
    """The figure without its title, and the title as plain text: pages show it as a caption,
    which wraps on a phone (Plotly's title would be cut off) and reads as a caption on paper.
    The figure is changed in place (each chart is built for one use; a copy would validate the
    whole figure again)."""
    title = fig.layout.title.text
    if not title:
        return fig, ""
    fig.update_layout(title_text=None, margin_t=max(10, (fig.layout.margin.t or 50) - 40))
    return fig, unescape(title)


LABEL_LINES = 3  # a wrapped label's most lines; the rest is cut with an ellipsis (hover has it whole)
LINE_PX = 17  # height of a label line at the charts' font size


def _wrap(text: str, width: int = 24, max_lines: int = LABEL_LINES) -> str:
    """A label from the data on lines of about `width` characters (at most `max_lines`, the last
    one ending with an ellipsis when cut), escaped for Plotly: long category and segment names stay
    readable on a phone instead of taking the plot's width."""
    lines, line = [], ""
    for word in str(text).split():
        while len(word) > width:  # a word longer than a line is cut
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "<br>".join(_text(x) for x in lines)


def _unique(labels: list[str]) -> list[str]:
    """Labels made distinct with invisible zero-width spaces: Plotly draws equal category labels as
    one category, so two rules cut to the same words would be stacked into one bar."""
    seen: dict[str, int] = {}
    out = []
    for x in labels:
        seen[x] = seen.get(x, 0) + 1
        out.append(x + "\u200b" * (seen[x] - 1))
    return out


def _band(labels: list[str], gap: int = 8) -> int:
    """Height (px) of one category on an axis of wrapped labels: the tallest label and a gap, so
    that no two labels touch however they are spread."""
    return LINE_PX * max([x.count("<br>") + 1 for x in labels] + [1]) + gap


def to_html(fig: go.Figure, div_id: str, label: str) -> str:
    """A fragment for a page: no plotly.js of its own, a stable id, and an aria label."""
    fig, title = untitled(fig)
    caption = f'<figcaption>{escape(title)}</figcaption>' if title else ""
    html = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})
    # The drawing script waits for site.js to run it once the chart scrolls into view (or its tab
    # opens): a page then costs what its first screen of charts costs, not all of them.
    if html.count("<script>") != 1:
        raise ValueError(f"unexpected Plotly fragment for {div_id}: {html.count('<script>')} <script> tags")
    html = html.replace("<script>", f'<script type="application/x-plotly-deferred" data-chart="{div_id}">')
    return f'<figure class="chart" role="img" aria-label="{escape(label)}">{caption}{html}</figure>'


def public(r: Results) -> list:
    """Segments large enough to be profiled on public pages: no chart shows any other."""
    return [p for p in r.segments if p.public]


def _short(name: str, limit: int = 28) -> str:
    """A name from the data, shortened and escaped for Plotly (which reads tags in labels)."""
    return _text(name if len(name) <= limit else name[: limit - 1] + "…")


def _labels(r: Results) -> dict[str, str]:
    """Feature labels, escaped for Plotly: labels come from column names in the data."""
    return {d.name: _text(d.label) for d in r.features}


@chart
def sizes(r: Results) -> go.Figure:
    """Horizontal bars (names read across, on a phone too), labelled with the shares as the tables
    round them (adding up to 100%)."""
    segs = public(r)[::-1]  # the first segment on top
    y = [_wrap(f"{p.id}. {p.name}", 26, 2) for p in segs]
    cust = dict(zip([p.id for p in r.segments], fmt.shares([p.share_customers for p in r.segments])))
    fig = go.Figure()
    fig.add_bar(y=y, x=[p.share_customers for p in segs], name="Share of customers", marker_color="#8DA0CB",
                orientation="h", text=[cust[p.id] for p in segs], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}: %{text} of customers<extra></extra>")
    if all(p.share_value is not None for p in r.segments):
        value = dict(zip([p.id for p in r.segments], fmt.shares([p.share_value for p in r.segments])))
        fig.add_bar(y=y, x=[p.share_value for p in segs], name=f"Share of {r.value_word}", marker_color="#1B4F72",
                    orientation="h", text=[value[p.id] for p in segs], textposition="outside", cliponaxis=False,
                    hovertemplate="%{y}: %{text} of " + r.value_word + "<extra></extra>")
    top = max([p.share_customers for p in segs] + [p.share_value or 0 for p in segs] + [0.01])
    fig.update_xaxes(tickformat=".0%", range=[0, top * 1.18], nticks=5)
    fig.update_layout(barmode="group", legend_traceorder="normal")
    band = max(_band(y), 44 if len(fig.data) > 1 else 26)  # room for the two bars of a segment
    title = (f"Share of customers and of {r.value_word} by segment" if len(fig.data) > 1
             else "Share of customers by segment")
    return _layout(fig, title, max(240, 90 + band * len(segs)))


def _ellipse(points: np.ndarray, scale: float, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """The covariance ellipse of points (2 columns) at `scale` standard deviations."""
    centre = points.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov(points, rowvar=False))
    t = np.linspace(0, 2 * np.pi, n)
    ring = (vecs * np.sqrt(np.clip(vals, 0, None)) * scale) @ np.vstack([np.cos(t), np.sin(t)])
    return centre[0] + ring[0], centre[1] + ring[1]


# The ellipse around the central 75% of a two-dimensional normal cloud: sqrt(chi2.ppf(0.75, 2)).
ELLIPSE_SCALE = 1.665


@chart
def segment_map(r: Results) -> go.Figure:
    """Each public segment as its centre and the ellipse that holds about three quarters of its
    customers: aggregates of the whole segment, so no point stands for a single customer."""
    m, fig = r.map, go.Figure()
    for p in public(r):
        pts = m.points[m.point_segments == p.id][:, :2]
        if len(pts) < 3:
            continue
        xs, ys = _ellipse(pts, ELLIPSE_SCALE)
        name = f"{p.id}. {_short(p.name)}"
        # No legend: each centre carries its segment's number, as in the tables (a legend of many
        # long names would cover the map on a phone).
        fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", name=name, legendgroup=str(p.id),
                        line=dict(color=colour(p.id), width=2), opacity=0.35, hoverinfo="name", showlegend=False)
        c = pts.mean(axis=0)
        fig.add_scatter(x=[c[0]], y=[c[1]], mode="markers+text", text=[str(p.id)], textposition="middle center",
                        name=name, legendgroup=str(p.id), showlegend=False, hoverinfo="name",
                        marker=dict(size=22, color="white", line=dict(width=2, color=colour(p.id))))
    ex = list(m.explained) + [0.0, 0.0]
    fig.update_xaxes(title=f"Component 1 ({ex[0]:.0%} of variance)", zeroline=False)
    fig.update_yaxes(title=f"Component 2 ({ex[1]:.0%} of variance)", zeroline=False)
    return _layout(fig, "Segment map: each segment's centre and the area of about 3 in 4 of its customers", 520)


@chart
def profile_heatmap(r: Results) -> go.Figure:
    labels = _labels(r)
    feats = list(r.clustering_features)
    segs = public(r)
    z = [[p.stat(f).effect for p in segs] for f in feats]
    fig = go.Figure(go.Heatmap(
        # Numbers, not names, head the columns: names would not fit a phone's width (hover shows them).
        z=z, y=(rows := _unique([_wrap(unescape(labels[f]), 22, 2) for f in feats])), x=[str(p.id) for p in segs],
        customdata=[[_text(p.name) for p in segs] for _ in feats],
        colorscale="RdBu_r", zmid=0, zmin=-2, zmax=2, colorbar=dict(title="sd", thickness=10, xpad=4),
        text=[[fmt.signed(v) for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="Segment %{x}: %{customdata}<br>%{y}: %{z:+.2f} sd from average<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", title="Segment", type="category")
    fig = _layout(fig, "How far each segment sits from the average customer (standard deviations)",
                  max(380, 110 + _band(rows, 6) * len(feats)))
    # Labels take the room they need (a phone has little to spare), not a fixed 200 px.
    return fig


ALGO_COLOURS = {"kmeans": "#0072B2", "gmm": "#E69F00", "ward": "#009E73", "two_stage": "#CC79A7", "hdbscan": "#D55E00"}
ALGO_NAMES = {"kmeans": "k-means", "gmm": "Gaussian mixture", "ward": "Ward", "two_stage": "Two-stage",
              "hdbscan": "HDBSCAN", "tiers": "Tiers"}


def _kmeans_rows(r: Results):
    return sorted([c for c in r.model_selection if c.algorithm == "kmeans"], key=lambda c: c.k)


@chart
def elbow(r: Results) -> go.Figure:
    c = _kmeans_rows(r)
    fig = go.Figure(go.Scatter(x=[x.k for x in c], y=[x.inertia for x in c], mode="lines+markers", name="Inertia",
                               line=dict(color="#1B4F72")))
    if r.chosen.knee:
        knee = next(x for x in c if x.k == r.chosen.knee)
        fig.add_scatter(x=[knee.k], y=[knee.inertia], mode="markers", name=f"Knee (k={knee.k})",
                        marker=dict(size=16, symbol="circle-open", color="#D55E00", line=dict(width=3)))
    fig.update_xaxes(title="Number of segments k", dtick=1)
    fig.update_yaxes(title="Within-segment sum of squares")
    return _layout(fig, "Elbow: k-means inertia by number of segments, knee marked")


@chart
def indices(r: Results) -> go.Figure:
    # Stacked, not side by side: three panels in a row are unreadable on a phone.
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=(
        "Silhouette (higher is better)", "Calinski-Harabasz (higher is better)", "Davies-Bouldin (lower is better)"))
    for algo in ALGO_COLOURS:
        rows = sorted([c for c in r.model_selection if c.algorithm == algo and c.algorithm != "hdbscan"],
                      key=lambda c: c.k)
        if not rows:
            continue
        for i, attr in enumerate(["silhouette", "calinski_harabasz", "davies_bouldin"], start=1):
            fig.add_scatter(x=[c.k for c in rows], y=[getattr(c, attr) for c in rows], mode="lines+markers",
                            name=ALGO_NAMES[algo], legendgroup=algo, showlegend=i == 1,
                            line=dict(color=ALGO_COLOURS[algo]), row=i, col=1)
    for i in range(1, 4):
        fig.add_vline(x=r.chosen.k, line_dash="dot", line_color="#555", row=i, col=1)
        fig.update_xaxes(dtick=1, row=i, col=1)
    fig.update_xaxes(title="k", row=3, col=1)
    return _layout(fig, f"Validity indices by k and algorithm (dotted line: chosen k={r.chosen.k})", 640)


@chart
def gap(r: Results) -> go.Figure:
    rows = r.evidence.gap
    fig = go.Figure(go.Scatter(
        x=[k for k, _, _ in rows], y=[g for _, g, _ in rows], mode="lines+markers", name="Gap",
        error_y=dict(type="data", array=[s for _, _, s in rows], thickness=1), line=dict(color="#0072B2")))
    if r.chosen.gap_k:
        fig.add_vline(x=r.chosen.gap_k, line_dash="dot", line_color="#D55E00",
                      annotation_text=f"gap rule: k={r.chosen.gap_k}")
    fig.update_xaxes(title="Number of segments k", dtick=1)
    fig.update_yaxes(title="Gap")
    return _layout(fig, "Gap statistic for k-means (bars: one standard error)", 380)


@chart
def dendrogram(r: Results) -> go.Figure:
    d = r.evidence.dendrogram
    fig = go.Figure()
    for xs, ys in zip(d["icoord"], d["dcoord"]):
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="#1B4F72", width=1.5), hoverinfo="skip",
                        showlegend=False)
    ticks = [5 + 10 * i for i in range(len(d["leaves"]))]
    fig.update_xaxes(tickvals=ticks, ticktext=d["leaves"], tickangle=-60, title="Groups of customers (size)")
    fig.update_yaxes(title="Ward merge distance")
    return _layout(fig, "Ward dendrogram: the last 30 merges on the search sample", 420)


@chart
def silhouette_profile(r: Results) -> go.Figure:
    fig = go.Figure()
    offset = 0
    for p in public(r):
        q = r.evidence.silhouette.get(p.id)
        if not q:
            continue
        q = sorted(q, reverse=True)
        ys = [offset + i for i in range(len(q))]
        fig.add_scatter(x=q, y=ys, fill="tozerox", mode="lines", line=dict(color=colour(p.id), width=1),
                        name=f"{p.id}. {_short(p.name)}")
        offset += len(q) + 6
    fig.add_vline(x=0, line_color="#333")
    fig.update_yaxes(showticklabels=False, title="Customers of each segment, sorted (quantiles)")
    fig.update_xaxes(title="Silhouette value")
    return _layout(fig, "Silhouette by segment: how much closer customers are to their own segment", 420)


@chart
def stability(r: Results) -> go.Figure:
    """Horizontal bars; the threshold is a dashed line named in the legend, so that its label
    never sits on a bar."""
    segs = [p for p in public(r) if p.stability is not None][::-1]
    y = [_wrap(f"{p.id}. {p.name}", 26, 2) for p in segs]
    fig = go.Figure(go.Bar(
        y=y, x=[p.stability for p in segs], orientation="h", showlegend=False,
        marker_color=[colour(p.id) for p in segs], hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    cut = r.thresholds.unstable
    line = dict(color="#D55E00", dash="dash", width=2)
    fig.add_vline(x=cut, line=line)
    fig.add_scatter(x=[None], y=[None], mode="lines", name=f"Unstable below {cut:.1f}", line=line)
    fig.update_xaxes(range=[0, 1], title=_wrap("Mean Jaccard over resamples", 16))
    return _layout(fig, "Stability of each segment when the model is refitted on subsamples",
                   max(300, 130 + _band(y) * len(segs)))


@chart
def segment_map_3d(r: Results) -> go.Figure:
    """Each public segment's centre and its three principal ellipses on the first three components
    (covariance at the map's scale): the shape and overlap of segments, no single customer."""
    m, fig = r.map, go.Figure()
    t = np.linspace(0, 2 * np.pi, 60)
    for p in public(r):
        pts = m.points[m.point_segments == p.id][:, :3]
        if len(pts) < 4 or pts.shape[1] < 3:
            continue
        centre = pts.mean(axis=0)
        vals, vecs = np.linalg.eigh(np.cov(pts, rowvar=False))
        axes = vecs * np.sqrt(np.clip(vals, 0, None)) * ELLIPSE_SCALE
        name = f"{p.id}. {_short(p.name)}"
        for n, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
            ring = centre[:, None] + axes[:, [a]] * np.cos(t) + axes[:, [b]] * np.sin(t)
            fig.add_scatter3d(x=ring[0], y=ring[1], z=ring[2], mode="lines", name=name, legendgroup=str(p.id),
                              showlegend=n == 0, line=dict(color=colour(p.id), width=4), hoverinfo="name")
        fig.add_scatter3d(x=[centre[0]], y=[centre[1]], z=[centre[2]], mode="markers+text", text=[str(p.id)],
                          name=name, legendgroup=str(p.id), showlegend=False, hoverinfo="name",
                          marker=dict(size=5, color=colour(p.id)))
    ex = list(m.explained) + [0.0, 0.0, 0.0]
    fig.update_layout(scene=dict(xaxis_title=f"PC1 ({ex[0]:.0%})", yaxis_title=f"PC2 ({ex[1]:.0%})",
                                 zaxis_title=f"PC3 ({ex[2]:.0%})"))
    return _layout(fig, "Segment map in three dimensions (drag to turn)", 560)


@chart
def campaign_rates(r: Results) -> go.Figure:
    """Horizontal groups, one per campaign (first on top): campaign names read across on a phone."""
    fig = go.Figure()
    names = _unique([_wrap(c.name, 16) for c in r.campaigns])
    segs = public(r)
    # On the reversed axis a group's bars run top-down in the order of the traces, as the legend.
    fig.add_bar(y=names, x=[c.overall.rate for c in r.campaigns], name="All customers", marker_color=OVERALL,
                orientation="h")
    for p in segs:
        rates = [c.by_segment[p.id - 1] for c in r.campaigns]
        fig.add_bar(
            y=names, x=[x.rate for x in rates], name=f"{p.id}. {_short(p.name)}", marker_color=colour(p.id),
            orientation="h",
            error_x=dict(type="data", symmetric=False,
                         array=[(x.high - x.rate) if x.rate is not None else None for x in rates],
                         arrayminus=[(x.rate - x.low) if x.rate is not None else None for x in rates],
                         thickness=1, width=2),
        )
    fig.update_xaxes(tickformat=".0%", title="Answer rate", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group", bargap=0.25)
    height = 80 + len(r.campaigns) * (10 * (len(segs) + 1) + 18)
    return _layout(fig, "Answer rate by campaign and segment (bars: 95% Wilson intervals)", max(320, height))


@chart
def campaign_heatmap(r: Results) -> go.Figure:
    names = _unique([_short(c.name, 18) for c in r.campaigns])
    segs = public(r)
    z = [[c.by_segment[p.id - 1].lift for c in r.campaigns] for p in segs]
    text = [[("–" if c.by_segment[p.id - 1].rate is None else f"{c.by_segment[p.id - 1].rate:.0%}")
             for c in r.campaigns] for p in segs]
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=(rows := [_wrap(f"{p.id}. {p.name}", 22, 2) for p in segs]), text=text, texttemplate="%{text}",
        colorscale="RdBu_r", zmid=1, zmin=0, zmax=2, colorbar=dict(title="lift", thickness=10, xpad=4),
        hovertemplate="%{y}<br>%{x}: answer rate %{text}, lift %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=-45 if len(names) > 4 else 0)
    return _layout(fig, "Answer rate by segment and campaign (colour: lift against all customers)",
                   max(320, 150 + max(_band(rows), 40) * len(segs)))


@chart
def segment_effects(r: Results, segment: int) -> go.Figure:
    p = r.segments[segment - 1]
    labels = _labels(r)
    feats = sorted(r.clustering_features, key=lambda f: p.stat(f).effect)
    vals = [p.stat(f).effect for f in feats]
    fig = go.Figure(go.Bar(
        x=vals, y=(rows := _unique([_wrap(unescape(labels[f]), 20, 2) for f in feats])), orientation="h",
        marker_color=["#B2182B" if v > 0 else "#2166AC" for v in vals],
        hovertemplate="%{y}: %{x:+.2f} sd<extra></extra>",
    ))
    fig.update_xaxes(title=_wrap("Distance from average (sd)", 16), zeroline=True, zerolinecolor="#333")
    return _layout(fig, f"What sets segment {p.id} apart", max(360, 120 + _band(rows, 4) * len(feats)))


@chart
def flows(r: Results) -> go.Figure:
    """Sankey of customers moving from the earlier groups to the current segments."""
    cmp = r.comparison
    left = [_short(x) for x in cmp.earlier]
    right = [f"{s}. {_short(r.segments[s - 1].name)}" if r.segments[s - 1].public else f"{s}. (not published)"
             for s in cmp.current]
    src, dst, val = [], [], []
    for i, row in enumerate(cmp.counts):
        for j, v in enumerate(row):
            if v >= r.min_segment_size:  # smaller flows would describe a handful of customers
                src.append(i)
                dst.append(len(left) + j)
                val.append(v)
    fig = go.Figure(go.Sankey(
        node=dict(label=[f"Earlier: {x}" for x in left] + right, pad=14,
                  color=["#BBBBBB"] * len(left) + [colour(s) for s in cmp.current]),
        link=dict(source=src, target=dst, value=val, color="rgba(27,79,114,0.25)")))
    return _layout(fig, "Where the customers of each earlier group are now", max(380, 60 + 40 * max(len(left), len(right))))


@chart
def strongest_rules(level) -> go.Figure:
    """The level's top rules over all baskets by lift, with confidence and baskets on hover."""
    rules = list(level.top)[::-1]  # strongest at the top of a horizontal bar chart
    # The right-hand item always shows: a long left-hand side is cut first.
    lhs = [items_text(x.lhs, level.level) for x in rules]
    rhs = [items_text(x.rhs[:1], level.level) for x in rules]
    text = _unique([_wrap(a, 26, LABEL_LINES - 1) + "<br>→ " + _wrap(b, 24, 1) for a, b in zip(lhs, rhs)])
    fig = go.Figure(go.Bar(
        x=[x.lift for x in rules], y=text, orientation="h", marker_color="#1B4F72",
        customdata=[[x.confidence, x.count, _text(a + " → " + b), fmt.lift(x.lift)] for x, a, b in zip(rules, lhs, rhs)],
        hovertemplate="%{customdata[2]}<br>lift %{customdata[3]}, confidence %{customdata[0]:.0%}, %{customdata[1]:,} baskets"
                      "<extra></extra>",
    ))
    fig.update_xaxes(title=_wrap("Lift (times chance)", 16))
    return _layout(fig, f"Strongest {level.level} rules over all baskets", max(320, 120 + _band(text) * len(rules)))


@chart
def response_gains(r: Results) -> go.Figure:
    m = r.response
    x, y = [g[0] for g in m.gains], [g[1] for g in m.gains]
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Customers picked at random",
                    line=dict(color=OVERALL, dash="dot"), hoverinfo="skip")
    fig.add_scatter(x=x, y=y, mode="lines", name="Customers ranked by score", line=dict(color=PALETTE[0], width=3),
                    hovertemplate="top %{x:.0%} of customers: %{y:.0%} of the answers<extra></extra>")
    chosen = m.contacts / m.scored if m.scored else 0
    fig.add_vline(x=chosen, line=dict(color=PALETTE[5], dash="dash"),
                  annotation_text=f"contact list: {m.contacts:,}", annotation_position="top right")
    fig.update_xaxes(title="Contacted, best scores first", tickformat=".0%", range=[0, 1],
                     tickvals=[0.2, 0.4, 0.6, 0.8, 1.0])  # no 0% beside the other axis' 0%
    fig.update_yaxes(title="Answers reached", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, "Cumulative gains: answers reached by contacting the best-scored customers first "
                        "(out-of-fold scores)", 440)


@chart
def response_profit(r: Results) -> go.Figure:
    m = r.response
    n, profit = [c[0] for c in m.profit_curve], [c[1] for c in m.profit_curve]
    fig = go.Figure()
    fig.add_scatter(x=n, y=profit, mode="lines", name="Top-N customers by score", line=dict(color=PALETTE[0], width=3),
                    hovertemplate="top %{x:,} customers: %{y:,.0f}<extra></extra>")
    fig.add_hline(y=0, line=dict(color="#333", width=1))
    fig.add_vline(x=m.contacts, line=dict(color=PALETTE[5], dash="dash"),
                  annotation_text=f"chosen N = {m.contacts:,}", annotation_position="top right")
    fig.update_xaxes(title="Customers contacted (N)", rangemode="tozero")
    unit = f" ({_text(r.currency.strip())})" if r.currency.strip() else ""
    fig.update_yaxes(title=f"Profit in the latest campaign{unit}", tickformat=",.0f")
    return _layout(fig, "Profit of contacting the top N customers, had they been the only ones contacted "
                        "(out-of-fold scores)", 440)


@chart
def response_calibration(r: Results) -> go.Figure:
    m = r.response
    pred, seen, count = [b[0] for b in m.calibration], [b[1] for b in m.calibration], [b[2] for b in m.calibration]
    top = max(pred + seen + [0.05]) * 1.05
    fig = go.Figure()
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="Perfect calibration",
                    line=dict(color=OVERALL, dash="dot"), hoverinfo="skip")
    fig.add_scatter(x=pred, y=seen, mode="lines+markers", name="Score bands", customdata=count,
                    line=dict(color=PALETTE[0], width=2), marker=dict(size=9),
                    hovertemplate="mean score %{x:.1%}: %{y:.1%} answered (%{customdata:,} customers)<extra></extra>")
    step = 0.1 if top > 0.4 else 0.05
    fig.update_xaxes(title="Predicted answer rate (mean score)", tickformat=".0%", range=[0, top],
                     tickvals=[step * i for i in range(1, int(top / step) + 1)])  # no 0% by the other axis' 0%
    fig.update_yaxes(title="Observed answer rate", tickformat=".0%", range=[0, top])
    return _layout(fig, "Calibration: predicted against observed answer rate, in bands of equal size "
                        "(out-of-fold scores)", 440)

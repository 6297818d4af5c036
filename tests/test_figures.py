"""Every chart has the site's look (Plotly's "plotly_white"), however it is built."""
from __future__ import annotations

import ast
from pathlib import Path

import plotly.io as pio

from analysis.publish import figures
from analysis.publish.pages import build_pages

SOURCE = Path(figures.__file__)


def test_every_chart_of_the_demo_is_drawn_on_plotly_white_and_the_default_is_left_alone(demo_run):
    white = pio.templates["plotly_white"].to_plotly_json()
    drawn: dict[str, dict] = {}

    def collect(fig, div_id, label):
        drawn[div_id] = fig.layout.template.to_plotly_json()
        return ""

    before = pio.templates.default
    build_pages(demo_run.results, has_pdf=False, chart=collect)
    assert pio.templates.default == before
    assert len(drawn) >= 15
    assert {i for i, t in drawn.items() if t != white} == set()


def test_every_builder_that_lays_out_a_chart_is_themed():
    """Charts the demo does not show (flows, rules, ...) are built the same way: each function
    that calls `_layout` carries `@chart`, which gives it the template."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    builders = [f for f in tree.body if isinstance(f, ast.FunctionDef)
                and any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_layout" for n in ast.walk(f))]
    assert len(builders) >= 18
    bare = [f.name for f in builders if not any(getattr(d, "id", "") == "chart" for d in f.decorator_list)]
    assert bare == []


def test_rules_cut_to_the_same_words_are_still_one_bar_each():
    from analysis.insight.baskets import LevelRules, Rule

    cable = "Kabel miedziany instalacyjny YDYp 3x2,5 mm2 450/750V, krążek 100 m"
    rules = tuple(Rule((cable,), (rhs,), 40, 0.01, 0.5, lift, 0.0, 1.0)
                  for rhs, lift in (("Puszka <b>Z1</b>", 7.29), ("Puszka Z2", 7.12), ("Kołki", 7.05)))
    fig = figures.strongest_rules(LevelRules("product", 10, 1000, 10, 3, rules, ()))
    bar = fig.data[0]
    assert len(set(bar.y)) == 3 == len(bar.x)  # Plotly stacks bars of equal labels into one
    assert [y.count("<br>") for y in bar.y] == [2, 2, 2] and all("→ Puszka" in y or "→ Kołki" in y for y in bar.y)
    assert "&lt;b&gt;Z1&lt;/b&gt;" in bar.y[-1] and "<b>" not in bar.y[-1]
    # Segment and feature names cut alike keep their own rows too.
    assert figures._unique(["a…", "a…", "b"]) == ["a…", "a…\u200b", "b"]


def test_the_size_chart_claims_revenue_only_when_it_draws_it(demo_run):
    import dataclasses

    r = demo_run.results
    fig = figures.sizes(r)
    assert len(fig.data) == 2 and "of revenue" in fig.layout.title.text
    bare = dataclasses.replace(r, segments=tuple(dataclasses.replace(p, share_value=None) for p in r.segments))
    fig = figures.sizes(bare)
    assert len(fig.data) == 1 and "revenue" not in fig.layout.title.text


def test_the_profit_axis_names_the_currency_only_when_one_is_set(demo_run):
    import dataclasses

    r = demo_run.results
    assert figures.response_profit(r).layout.yaxis.title.text == "Profit in the latest campaign ($)"
    bare = dataclasses.replace(r, currency="")  # a draft without a sign in the data writes none
    assert figures.response_profit(bare).layout.yaxis.title.text == "Profit in the latest campaign"

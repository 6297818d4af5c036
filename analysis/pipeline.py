"""The analysis half: config -> Results, plus the private exports."""
from __future__ import annotations

import dataclasses
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import __version__
from . import formatters as fmt
from .insight.baskets import basket_rules
from .insight.campaigns import Targeting, campaign_results, targeting
from .ingest.cleaning import check_segmentable, clean
from .segment.clustering import finalize, label_map
from .segment.comparison import Comparison, compare, earlier_from_assignments
from .config import Config, config_to_dict
from .errors import UserError
from .segment.explain import explain
from .segment.model import Model, Rule, fit_rule, nearest
from .segment.features import build_features, from_first_order, spend_is_rate
from .ingest.joining import load_input, with_extra
from .segment.personas import NAMING_RULE, RECOMMENDATION_RULES, Context, build_personas, load_overrides
from .segment.profiles import UNSTABLE, build_profiles, column_sd
from .insight.response import fit_response, model_inputs
from .results import Evidence, Manifest, Results, Thresholds, value_word
from .segment.relevance import rule_text as relevance_rule
from .segment.selection import BORDER_SHARE, INDEX_NOTES, VALLEY_MAX, mix_evidence, search
from .engine import Engine, get_engine
from .memory import release_memory, use_system_allocator

PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "plotly", "jinja2")


def _versions() -> dict[str, str]:
    out = {"segments": __version__}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out


@dataclasses.dataclass(frozen=True)
class Run:
    results: Results
    assignments: pd.DataFrame  # customer_id, segment, segment_name, excluded_reason (every input row)
    customers: pd.DataFrame  # engineered features and segment of the segmented customers (private)
    # Further private CSVs, (path inside exports/, table), written by exports.write_exports.
    tables: Iterable[tuple[str, pd.DataFrame]] = ()  # made as they are written: see PrivateTables
    model: Model | None = None  # the saved segmentation (exports/model/)


def analyse(cfg: Config, progress: Callable[[str], None] = lambda s: None, engine: Engine | None = None) -> Run:
    """`engine`: where the operations that grow with the data run (default: cfg.engine's, started
    and stopped here)."""
    use_system_allocator()
    own = engine is None
    engine = engine or get_engine(cfg.engine, cfg.master)
    try:
        # One thread for BLAS and OpenMP alike: on small (virtual) machines their spinning thread
        # pools fight for the cores, and runs took 2 to 20 times longer, at random, than on one thread.
        with threadpool_limits(limits=1):
            return _analyse(cfg, progress, engine)
    finally:
        if own:
            engine.close()


def _analyse(cfg: Config, progress: Callable[[str], None], engine: Engine) -> Run:
    given = cfg  # as written, for the manifest
    inp = load_input(cfg, progress, load_orders=engine.load_orders, engine=engine.name,
                     load_customers=engine.load_customers)
    table, cfg, orders = inp.table, inp.cfg, inp.orders
    progress(f"cleaning {len(table.frame):,} customers")
    data = engine.clean(table, cfg)
    check_segmentable(data, cfg, table.path)
    # Nothing reads the table as loaded again: its rows (the text of 1M customers: 290 MiB) go now
    # rather than at the end of the run, where the memory's peak is.
    # (New empty frames: an empty slice of Arrow text still holds the whole column's memory.)
    table = dataclasses.replace(table, frame=pd.DataFrame(columns=table.frame.columns))
    orders = dataclasses.replace(orders, frame=pd.DataFrame(columns=orders.frame.columns)) if orders is not None else None
    inp = dataclasses.replace(inp, table=table, orders=orders)
    release_memory()
    data = with_extra(data, inp)
    progress("building features")
    feats = engine.features(data, cfg)
    if orders is not None and one_order_each(feats.table):  # said where the user looks
        progress(f"note: every customer with an order has exactly one ({int((feats.table['orders'] > 0).sum()):,} "
                 f"customers): if {cfg.transactions.customer!r} holds an id per order "
                 "rather than per person, name the person's id instead; recency and tenure then measure the same date")
    release_memory()  # the features' temporaries, before the search's and the final fit's arrays of every row
    seg = cfg.segmentation
    what = "every algorithm" if seg.algorithm == "auto" else seg.algorithm
    ks = f"k = {seg.k_min}..{seg.k_max}" if seg.k == "auto" else f"k = {seg.k}"
    progress(f"searching {what}, {ks}, on {min(len(feats.table), seg.search_sample):,} of "
             f"{len(feats.table):,} customers")
    value = feats.table[feats.value_feature].to_numpy(dtype=float) if feats.value_feature else None
    try:
        value_name = next((d.label for d in feats.docs if d.name == feats.value_feature), "total spend")
        found = search(feats.matrix, seg, cfg.seed, value=value, fallback=True, refit=engine.final_fit,
                       value_name=fmt.mid_sentence(value_name), shown=cfg.report.min_segment_size)
    except UserError as e:  # the search does not know the file: name it
        raise UserError(f"{cfg.customers_path}: {e}") from None
    # The saved model's rule labels every customer, so that the model reproduces the run exactly.
    rule = fit_rule(found, feats.matrix, feats.table, feats.value_feature, cfg.seed)
    raw = rule.raw(feats.matrix, feats.table)
    segments = finalize(raw, feats, cfg.seed)
    labels = segments.labels
    to_final = label_map(found.sample_labels, labels[found.sample_idx])
    evidence = Evidence(
        gap=found.diagnostics.gap, dendrogram=found.diagnostics.dendrogram,
        silhouette={to_final[r]: q for r, q in found.diagnostics.silhouette_profile.items()},
        valleys={to_final[r]: v for r, v in found.choice.valleys.items()},
        mix=mix_evidence(feats.table, feats.clustering, feats.matrix, found.choice.k, cfg.seed),
    )
    stability = {to_final[r]: v for r, v in found.diagnostics.jaccard.items()}
    release_memory()
    progress(f"profiling {segments.k} segments")
    c = cfg.columns
    cat_cols = [x for x in [c.gender, c.loyalty_card] + c.categorical if x]
    # Categorical columns are profiled under the config's readable labels, when it gives them.
    cats = data.customers[cat_cols].rename(columns=lambda col: cfg.labels.get(col, col))
    profiles = build_profiles(feats, labels, cats, cfg.report.min_segment_size,
                              stability, segments.unassigned)
    if not any(p.public for p in profiles):  # said where the user looks, not only on the pages
        progress(f"note: no segment holds report.min_segment_size = {cfg.report.min_segment_size:,} customers "
                 f"(the largest holds {max(p.size for p in profiles):,}): the public pages describe none")
    answers = data.customers[list(c.campaigns.values())]
    camps = campaign_results(answers, dict(c.campaigns), labels, cfg.seed) if c.campaigns else ()
    latest = camps[-1] if camps else None
    target = _targeting(cfg, data, answers, labels) if c.campaigns else None
    scored = None
    if target is not None:
        release_memory()  # the profiles' temporaries, before the response model's matrix of every customer
        progress("scoring every customer's chance to answer (response model, cross-validated)")
        scored = _response(cfg, data, feats.table, answers, labels)
    response = scored[0] if scored else None
    release_memory()
    progress("explaining segments with a surrogate tree")
    explanation = explain(feats.table, labels, feats.clustering, {d.name: (d.label, d.kind) for d in feats.docs},
                          cfg.report.currency, cfg.seed)
    context = Context(
        labels={d.name: d.label for d in feats.docs}, kinds={d.name: d.kind for d in feats.docs},
        clustering=feats.clustering, currency=cfg.report.currency,
        latest_rate={i + 1: r.rate for i, r in enumerate(latest.by_segment)} if latest else {},
        overall_latest_rate=latest.overall.rate if latest else None, latest_name=latest.name if latest else None,
        profit_per_contact={v.segment: v.profit_per_contact for v in target.segments} if target else {},
        break_even_rate=target.break_even_rate if target else None,
        contacts={v.segment: v.contacts for v in response.segments} if response else {},
        contact_profit={v.segment: v.expected_profit for v in response.segments} if response else {},
        min_size=cfg.report.min_segment_size,
        value_word=value_word(feats.table.columns),
        rhythm=any(d.name == "tenure_months" and from_first_order(d.source) for d in feats.docs),
        spend_rate=spend_is_rate(cfg),
    )
    release_memory()
    overrides = load_overrides(cfg.overrides_path) if cfg.overrides_path else None
    comparison = _comparison(cfg, data, feats.table.index, labels)
    profiles, personas, matches = build_personas(profiles, column_sd(feats.table).to_dict(), context, overrides)

    names = {p.id: p.name for p in profiles}
    assignments = _assignments(data, labels, names)
    basket = None
    if orders is not None and cfg.baskets.levels and cfg.transactions.product is not None:
        progress(f"mining basket rules in {orders.baskets.n_orders:,} orders")
        basket = basket_rules(orders.baskets, pd.Series(labels, index=feats.table.index),
                              {p.id for p in profiles if p.public and not p.unassigned}, cfg.baskets, cfg.seed,
                              # locally the bitsets on the matrix already built count fastest
                              recount=None if engine.name == "local" else engine.count_itemsets)
    reasons = assignments.loc[assignments["excluded_reason"] != "", "excluded_reason"].value_counts().sort_index()
    manifest = Manifest(
        input_name=table.path.name, input_sha256=table.sha256,
        input_rows=orders.n_lines if orders is not None else data.n_input,
        delimiter=table.delimiter, encoding=table.encoding, config=config_to_dict(given), seed=cfg.seed,
        versions=_versions(), inputs=inp.sources,
    )
    results = Results(
        title=cfg.report.title, currency=cfg.report.currency, reference_date=data.reference_date,
        undated=data.undated,
        n_input=data.n_input, n_segmented=len(feats.table),
        excluded_reasons={str(k): int(v) for k, v in reasons.items()},
        cleaning=data.log, columns=data.columns, features=feats.docs, clustering_features=feats.clustering,
        model_selection=found.candidates, chosen=found.choice, evidence=evidence, segments=profiles,
        map=segments.map,
        campaigns=camps, targeting=target, explanation=explanation, personas=personas, overrides=matches,
        comparison=comparison, baskets=basket,
        naming_rule=NAMING_RULE,
        action_rules=RECOMMENDATION_RULES,
        thresholds=Thresholds(INDEX_NOTES, VALLEY_MAX, relevance_rule(), UNSTABLE, BORDER_SHARE),
        min_segment_size=cfg.report.min_segment_size, manifest=manifest, response=response,
    )
    customers = feats.table.assign(segment=labels)
    model = saved_model(given, cfg, inp, data, feats, rule, raw, labels, names)
    return Run(results, assignments, customers, PrivateTables(feats.table, labels, names, scored), model)


ONE_ORDER_MIN = 100  # customers with an order before one order each is a pattern, not chance


def one_order_each(table: pd.DataFrame) -> bool:
    """Every customer who ordered did so exactly once, over ONE_ORDER_MIN of them or more: customer ids
    written per order (Olist's customer_id) look so."""
    if "orders" not in table:
        return False
    buyers = table["orders"][table["orders"] > 0]
    return len(buyers) >= ONE_ORDER_MIN and bool((buyers == 1).all())


def saved_model(given: Config, cfg: Config, inp, data, feats, rule: Rule, raw: np.ndarray, labels: np.ndarray,
                names: dict[int, str]) -> Model:
    """Everything `segments assign` needs to place new customers as this run placed its own."""
    kind = "joined" if given.joined else ("transactions" if given.transactions else "customers")
    schema = {}
    if given.customers:
        schema["customers"] = sorted({col for _, col in given.columns.named()} | {cfg.columns.id} - {None})
    if given.transactions:
        t = given.transactions
        schema["transactions"] = sorted({x for x in (t.customer, t.order, t.timestamp, t.product, t.product_name,
                                                     t.quantity, t.unit_price, t.amount, t.category, *t.customer_columns) if x})
    segs = sorted(int(s) for s in np.unique(labels))
    centres = np.vstack([feats.matrix[labels == s].mean(axis=0) for s in segs])
    dist = nearest(feats.matrix, centres)[1]
    fitted = dataclasses.asdict(data.fitted)
    fitted["reference_date"] = data.fitted.reference_date.isoformat()
    return Model(
        config=config_to_dict(given), kind=kind, schema=schema, cleaning=fitted,
        order_categories=list(inp.orders.columns.spend or inp.orders.columns.units) if inp.orders is not None else None,
        product_map=(dict(zip(inp.orders.product_map["product"], inp.orders.product_map["category"]))
                     if inp.orders is not None and inp.orders.product_map is not None else None),
        order_season=list(inp.orders.season) if inp.orders is not None else None,
        features=list(feats.table.columns), scaling=[dataclasses.asdict(x) for x in feats.scaling],
        value_feature=feats.value_feature, rule=rule, segment_of_raw=label_map(raw, labels),
        segments={s: names[s] for s in segs}, centres=centres, distance_p99=float(np.percentile(dist, 99)),
        ranges={c: (float(feats.table[c].min()), float(feats.table[c].max())) for c in feats.table.columns},
        shares={s: float((labels == s).mean()) for s in segs}, n_training=len(labels), versions=_versions(),
        inputs=inp.sources, mix=dict(feats.mix))


def _comparison(cfg: Config, data, ids: pd.Index, labels: np.ndarray) -> Comparison | None:
    if cfg.compare_path is not None:
        return compare(ids, labels, earlier_from_assignments(cfg.compare_path), cfg.compare_path.name)
    col = cfg.columns.previous_segment
    if col:
        earlier = data.customers[col]
        earlier = earlier[earlier != ""]
        return compare(ids, labels, earlier, f"column {col}")
    return None


def _targeting(cfg: Config, data, answers: pd.DataFrame, labels: np.ndarray) -> Targeting | None:
    """Who to target next, when a cost per contact and a revenue per answer are known."""
    c, e = cfg.columns, cfg.economics
    cost = data.customers[c.contact_cost] if c.contact_cost else e.contact_cost
    revenue = data.customers[c.revenue_per_answer] if c.revenue_per_answer else e.revenue_per_answer
    if cost is None or revenue is None:
        return None
    cost_src = f"column {c.contact_cost}" if c.contact_cost else "economics.contact_cost in the config"
    rev_src = f"column {c.revenue_per_answer}" if c.revenue_per_answer else "economics.revenue_per_answer in the config"
    try:
        return targeting(answers, dict(c.campaigns), labels, cost, revenue, cost_src, rev_src)
    except ValueError as err:
        raise UserError(f"{cfg.customers_path}: {err}") from None


def _economics(cfg: Config, data) -> tuple[np.ndarray, np.ndarray]:
    """Cost per contact and revenue per answer, one value per customer (checked by `_targeting`)."""
    c, e, n = cfg.columns, cfg.economics, len(data.customers)
    cost = data.customers[c.contact_cost].to_numpy(dtype=float) if c.contact_cost else np.full(n, float(e.contact_cost))
    revenue = (data.customers[c.revenue_per_answer].to_numpy(dtype=float) if c.revenue_per_answer
               else np.full(n, float(e.revenue_per_answer)))
    return cost, revenue


def _response(cfg: Config, data, table: pd.DataFrame, answers: pd.DataFrame, labels: np.ndarray):
    """The response model and each customer's score, or None when the latest campaign has too few answers."""
    columns = list(cfg.columns.campaigns.values())
    cost, revenue = _economics(cfg, data)
    x = model_inputs(table, answers, columns, labels)
    fitted = fit_response(x, answers[columns[-1]], cost, revenue, labels, list(cfg.columns.campaigns)[-1],
                          cfg.seed, cfg.report.min_segment_size)
    if fitted is None:
        return None
    model, scores = fitted
    return model, scores.assign(cost=cost, revenue=revenue)


# Columns of the per-segment customer lists, when the table has them.
LIST_FEATURES = ("total_spend", "recency_days", "purchases", "orders", "income", "tenure_months", "churned")


@dataclasses.dataclass(frozen=True)
class PrivateTables:
    """exports/contact_list.csv (the response model's contact plan) and exports/segments/segment-N.csv,
    each made when iterated to, as (path inside exports/, table): written one at a time, only one
    is held (all of them at once held 190 MiB more at 1M customers, at the run's peak)."""
    table: pd.DataFrame
    labels: np.ndarray
    names: dict[int, str]
    scored: tuple | None = None

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        table, labels = self.table, self.labels
        base = pd.DataFrame({"customer_id": table.index.astype(str), "segment": labels,
                             "segment_name": pd.Series(self.names, dtype=object).reindex(labels).to_numpy()})
        feats = table[[f for f in LIST_FEATURES if f in table.columns]].round(2).reset_index(drop=True)
        if self.scored:
            s = self.scored[1].reset_index(drop=True)
            base = base.assign(response_score=s["score"].round(6), expected_value=s["expected_value"],
                               in_contact_list=s["contact"].map({True: "yes", False: "no"}))
            # Best score first, ties by id: one sort serves the contact list and the segment lists.
            order = _best_first(base["response_score"], base["customer_id"])
            listed = base.assign(cost=s["cost"], revenue=s["revenue"]).take(order)
            listed = listed[s["contact"].to_numpy()[order]]
            listed.insert(0, "rank", np.arange(1, len(listed) + 1))
            yield ("contact_list.csv", listed[["rank", "customer_id", "segment", "segment_name", "response_score",
                                               "expected_value", "cost", "revenue"]].reset_index(drop=True))
            del listed
            base, feats = base.take(order), feats.take(order)
        for seg in sorted(int(v) for v in np.unique(labels)):  # (no table of every customer's columns side by side)
            mine = (base["segment"] == seg).to_numpy()
            yield (f"segments/segment-{seg}.csv", pd.concat([base[mine], feats[mine]], axis=1).reset_index(drop=True))


def _best_first(score: pd.Series, ids: pd.Series) -> np.ndarray:
    """Positions by score, highest first (missing last), ties by id as text: sorted by Arrow, as
    pandas' sort_values would (UTF-8 byte order is code point order), in a fifth of its time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.table({"score": np.nan_to_num(score.to_numpy(float), nan=-np.inf), "id": pa.array(ids, type=pa.string())})
    return pc.sort_indices(keys, sort_keys=[("score", "descending"), ("id", "ascending")]).to_numpy()


def _assignments(data, labels: np.ndarray, names: dict[int, str]) -> pd.DataFrame:
    """One row per input row, in input order; kept rows take the labels in turn."""
    reasons = pd.Series(data.reasons, dtype=object)
    kept = (reasons == "").to_numpy()
    segment = pd.Series(pd.NA, index=reasons.index, dtype="Int64")
    segment[kept] = labels
    # Each row points to its segment's one name (not a text of its own per row: 60 MiB at 1M).
    segment_name = np.full(len(reasons), "", dtype=object)
    segment_name[kept] = pd.Series(names, dtype=object).reindex(np.asarray(labels)).fillna("").to_numpy()
    return pd.DataFrame({
        "customer_id": pd.Series(data.all_ids, dtype=object),
        "segment": segment,
        "segment_name": segment_name,
        "excluded_reason": reasons,
    })

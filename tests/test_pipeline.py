"""The whole analysis: private exports, the results contract, and determinism."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.config import load_config
from analysis.publish.exports import write_exports
from analysis.pipeline import analyse

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "data" / "marketing_campaign.yml"

RESULT_KEYS = {"segments", "model_selection", "chosen", "campaigns", "cleaning", "manifest"}


@pytest.fixture(scope="module")
def demo_exports(demo_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "exports"
    write_exports(demo_run, folder)
    return folder


@pytest.fixture(scope="module")
def assignments(demo_exports):
    return pd.read_csv(demo_exports / "assignments.csv", dtype=str, keep_default_na=False)


def test_assignments_columns_and_one_row_per_input_row(assignments):
    assert list(assignments.columns) == ["customer_id", "segment", "segment_name", "excluded_reason"]
    assert len(assignments) == 2240
    raw = pd.read_csv(DEMO_CONFIG.parent / "marketing_campaign.csv", sep="\t", dtype=str)
    assert assignments["customer_id"].tolist() == raw["ID"].str.strip().tolist()


def test_every_row_has_a_segment_or_a_reason_never_both(assignments):
    has_segment = assignments["segment"] != ""
    has_reason = assignments["excluded_reason"] != ""
    assert (has_segment ^ has_reason).all()
    assert (has_segment == (assignments["segment_name"] != "")).all()
    assert has_segment.sum() == 2058
    assert has_reason.sum() == 182


def test_assignment_counts_match_the_profiles(demo_run, assignments):
    kept = assignments[assignments["segment"] != ""]
    counts = kept["segment"].astype(int).value_counts().to_dict()
    profiles = demo_run.results.segments
    assert counts == {p.id: p.size for p in profiles}
    for p in profiles:
        assert set(kept.loc[kept["segment"] == str(p.id), "segment_name"]) == {p.name}
    assert sum(p.size for p in profiles) == demo_run.results.n_segmented


def test_results_json_has_the_contract_keys(demo_exports, demo_run):
    data = json.loads((demo_exports / "results.json").read_text(encoding="utf-8"))
    assert RESULT_KEYS <= set(data)
    assert data["n_input"] == 2240 and data["n_segmented"] == 2058
    assert data["chosen"]["k"] == len(data["segments"])
    assert data["manifest"]["input_rows"] == 2240
    assert data["manifest"]["seed"] == 42
    assert data["manifest"]["delimiter"] == "\t"
    assert "base_dir" not in data["manifest"]["config"]
    assert (demo_exports / "customers_features.csv").exists()


def test_segment_1_has_the_highest_mean_spend(demo_run):
    means = {p.id: p.stat("total_spend").mean for p in demo_run.results.segments}
    assert means[1] == max(means.values())
    assert [means[i] for i in sorted(means)] == sorted(means.values(), reverse=True)
    by_table = demo_run.customers.groupby("segment")["total_spend"].mean()
    assert by_table.idxmax() == 1


def test_segment_names_are_unique_and_not_empty(demo_run):
    names = [p.name for p in demo_run.results.segments]
    assert len(set(names)) == len(names)
    assert all(n.strip() for n in names)


def test_segments_numbered_one_to_k(demo_run):
    k = demo_run.results.chosen.k
    assert [p.id for p in demo_run.results.segments] == list(range(1, k + 1))
    assert sorted(demo_run.customers["segment"].unique()) == list(range(1, k + 1))


def test_demo_rerun_gives_byte_identical_results_json(demo_run, demo_exports, tmp_path):
    again = analyse(load_config(DEMO_CONFIG))
    write_exports(again, tmp_path)
    assert (tmp_path / "results.json").read_bytes() == (demo_exports / "results.json").read_bytes()
    assert (tmp_path / "assignments.csv").read_bytes() == (demo_exports / "assignments.csv").read_bytes()


# --- determinism on a small synthetic table ----------------------------------------------------------------

def synthetic_csv() -> str:
    rng = np.random.default_rng(5)
    rows = ["id,birth,income,wine,meat,web,store,joined,resp"]
    groups = [(30000, 20, 200, 6, 2), (60000, 300, 50, 2, 6), (90000, 600, 500, 4, 8)]
    for g, (income, wine, meat, web, store) in enumerate(groups):
        for i in range(40):
            cid = 1000 + 100 * g + i
            rows.append(",".join(str(v) for v in [
                cid, 1950 + int(rng.integers(0, 40)), int(income * rng.uniform(0.9, 1.1)),
                int(wine * rng.uniform(0.5, 1.5)), int(meat * rng.uniform(0.5, 1.5)),
                int(rng.integers(0, web + 1)), int(rng.integers(1, store + 1)),
                f"2013-{1 + int(rng.integers(0, 12)):02d}-15", int(rng.random() < 0.1 + 0.1 * g),
            ]))
    return "\n".join(rows) + "\n"


SYNTH_CFG = {
    "columns": {"id": "id", "birth_year": "birth", "income": "income", "spend": {"Wine": "wine", "Meat": "meat"},
                "purchases": {"Web": "web", "Store": "store"}, "signup_date": "joined",
                "campaigns": {"Latest": "resp"}},
    "segmentation": {"k_max": 5},
    "seed": 11,
}


def test_same_seed_gives_byte_identical_exports(write_case, tmp_path):
    cfg = load_config(write_case(synthetic_csv(), SYNTH_CFG))
    write_exports(analyse(cfg), tmp_path / "a")
    write_exports(analyse(cfg), tmp_path / "b")
    for name in ("results.json", "assignments.csv", "customers_features.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_synthetic_run_is_complete(write_case):
    run = analyse(load_config(write_case(synthetic_csv(), SYNTH_CFG)))
    assert run.results.n_input == run.results.n_segmented == 120
    assert (run.assignments["excluded_reason"] == "").all()
    assert run.assignments["segment"].notna().all()
    assert run.results.manifest.seed == 11
    (campaign,) = run.results.campaigns
    assert campaign.overall.contacted == 120


def test_seed_option_reaches_the_results(write_case, run_cli, tmp_path):
    cfg = write_case(synthetic_csv(), SYNTH_CFG)
    out = tmp_path / "out"
    code, _, err = run_cli("report", "--config", str(cfg), "--out", str(out), "--seed", "7", "--sources-only")
    assert code == 0, err
    data = json.loads((out / "exports" / "results.json").read_text(encoding="utf-8"))
    assert data["manifest"]["seed"] == 7
    assert len(pd.read_csv(out / "exports" / "assignments.csv")) == 120


@pytest.mark.parametrize("per_order, said", [(True, True), (False, False)])
def test_customer_ids_written_per_order_are_pointed_out(tmp_path, per_order, said):
    """Olist's order lines name each order's own customer_id, one order each: recency and tenure are
    then one date, and the user is told to name the person's id. With two orders per customer, not."""
    from analysis.config import parse_config
    from analysis.pipeline import one_order_each

    rng = np.random.default_rng(0)
    rows = ["order,customer,when,product,quantity,price"]
    for o in range(300):
        customer = o if per_order else o // 2
        day = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)), hours=int(rng.integers(8, 22)))
        for j in range(int(rng.integers(1, 4))):
            rows.append(f"O{o},C{customer},{day:%Y-%m-%d %H:%M},P{int(rng.integers(0, 30))},{int(rng.integers(1, 4))},"
                        f"{rng.uniform(2, 60):.2f}")
    (tmp_path / "lines.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = parse_config({"transactions": {"path": "lines.csv", "customer": "customer", "order": "order",
                                         "timestamp": "when", "timestamp_format": "%Y-%m-%d %H:%M", "product": "product",
                                         "quantity": "quantity", "unit_price": "price"}}, "cfg", tmp_path)
    said_lines = []
    run = analyse(cfg, progress=said_lines.append)
    notes = [s for s in said_lines if s.startswith("note: every customer with an order has exactly one")]
    assert bool(notes) == said and one_order_each(run.customers) == said
    if said:
        assert notes == ["note: every customer with an order has exactly one (300 customers): if 'customer' holds an id "
                         "per order rather than per person, name the person's id instead; recency and tenure then "
                         "measure the same date"]
    assert not one_order_each(pd.DataFrame({"orders": [1] * 99 + [0] * 50}))  # too few to say
    assert one_order_each(pd.DataFrame({"orders": [1] * 100 + [0] * 50}))  # customers without orders aside

"""The saved model and `segments assign`: the training table placed exactly as the run placed it, new
customers placed as a fresh run would, drift flagged only when there is drift, damaged models refused."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from analysis import synth
from analysis.assign import assign
from analysis.cli import main
from analysis.config import parse_config
from analysis.errors import UserError
from analysis.ingest.joining import load_input
from analysis.pipeline import analyse
from analysis.segment.model import load, save, tier_of

DATA = Path(__file__).resolve().parents[1] / "data"


def _config(path: str, **segmentation) -> dict:
    base = yaml.safe_load((DATA / "marketing_campaign.yml").read_text(encoding="utf-8"))
    for key in ("contact_cost", "revenue_per_answer"):  # no response model: not what is tested here
        base["columns"].pop(key)
    return {**base, "customers": {"path": path}, "segmentation": segmentation}


def _train(folder: Path, df: pd.DataFrame, **segmentation):
    synth.write(df, folder / "train.tsv")
    run = analyse(parse_config(_config("train.tsv", **segmentation), base_dir=folder))
    save(run.model, folder / "model")
    return run


def _same(run, placed: pd.DataFrame) -> None:
    a, b = run.assignments, placed
    assert list(a["customer_id"].astype(str)) == list(b["customer_id"].astype(str))
    assert list(a["excluded_reason"]) == list(b["excluded_reason"])
    assert a["segment"].equals(b["segment"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assign")
    df, _ = synth.generate(2000, 4, seed=1, dirt=True)
    return folder, df, _train(folder, df, algorithm="kmeans")


def test_assigning_the_training_table_reproduces_the_run(trained):
    folder, _, run = trained
    placed = assign(folder / "model", folder / "train.tsv", None)
    _same(run, placed.assignments)
    assert not placed.drift.drifted, placed.drift.line()
    assert (placed.assignments["excluded_reason"] != "").sum() > 0  # dirt: excluded rows are listed too


@pytest.mark.parametrize("algorithm, kind", [("gmm", "gmm"), ("ward", "centres"), ("hdbscan", "neighbours")])
def test_every_rule_reproduces_its_run(tmp_path, algorithm, kind):
    df, _ = synth.generate(700, 3, seed=5)
    run = _train(tmp_path, df, algorithm=algorithm)
    assert run.model.rule.kind == kind
    _same(run, assign(tmp_path / "model", tmp_path / "train.tsv", None).assignments)


def test_value_tiers_reproduce_their_run(tmp_path):
    """The bundled demo has no natural segments: value tiers, placed by cut points on total spend."""
    cfg = yaml.safe_load((DATA / "marketing_campaign.yml").read_text(encoding="utf-8"))
    cfg["customers"]["path"] = str(DATA / "marketing_campaign.csv")
    for key in ("contact_cost", "revenue_per_answer"):
        cfg["columns"].pop(key)
    cfg["segmentation"] = {"algorithm": "kmeans"}  # the search's best k-means has no valley either
    run = analyse(parse_config(cfg, base_dir=tmp_path))
    assert run.model.rule.kind == "tiers"
    save(run.model, tmp_path / "model")
    _same(run, assign(tmp_path / "model", DATA / "marketing_campaign.csv", None).assignments)


def test_tier_cut_points_by_hand():
    mins = np.array([10.0, 5.0, 0.0])
    assert list(tier_of(np.array([12, 10, 9.9, 5, 4, 0, -1.0]), mins)) == [0, 0, 1, 1, 2, 2, 2]
    assert list(tier_of(np.array([12, 3.0]), np.array([10.0, np.nan, 0.0]))) == [0, 2]  # an empty tier


def test_order_lines_model_reproduces_its_run(tmp_path):
    lines = synth.generate_orders(300, 6000, 3, seed=2)
    paths = synth.write_orders(lines, tmp_path)
    cfg = yaml.safe_load(paths["config"].read_text())
    run = analyse(parse_config({**cfg, "segmentation": {"algorithm": "kmeans"}, "baskets": {"levels": []}},
                               base_dir=tmp_path))
    save(run.model, tmp_path / "model")
    placed = assign(tmp_path / "model", None, paths["lines"])
    _same(run, placed.assignments)
    # The same lines as a folder of Parquet parts, as Spark writes them.
    lines_frame = pd.read_parquet(paths["lines"])
    (tmp_path / "parts").mkdir()
    half = len(lines_frame) // 2
    lines_frame.iloc[:half].to_parquet(tmp_path / "parts" / "part-00000.parquet", index=False)
    lines_frame.iloc[half:].to_parquet(tmp_path / "parts" / "part-00001.parquet", index=False)
    _same(run, assign(tmp_path / "model", None, tmp_path / "parts").assignments)
    # Order lines of another layout are refused by the schema check, in one line naming the column.
    t = cfg["transactions"]
    pd.read_parquet(paths["lines"]).drop(columns=[t["quantity"]]).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(UserError, match=rf"other.parquet: 1 column\(s\) the model needs are missing "
                                        rf"\(first '{t['quantity']}'\)"):
        assign(tmp_path / "model", None, tmp_path / "other.parquet")
    # The same lines read without their prices (unit_price: null): the model keeps its categories of units.
    unpriced = analyse(parse_config({**cfg, "transactions": {**t, "unit_price": None, "amount": None},
                                     "segmentation": {"algorithm": "kmeans"}, "baskets": {"levels": []}},
                                    base_dir=tmp_path))
    assert unpriced.model.order_categories == sorted(run.model.order_categories) != ["All products"]
    save(unpriced.model, tmp_path / "unpriced")
    _same(unpriced, assign(tmp_path / "unpriced", None, paths["lines"]).assignments)


def _lines_model(folder: Path):
    """A k-means model of 300 synthetic customers' order lines, saved in folder/model: (paths, transactions, run)."""
    paths = synth.write_orders(synth.generate_orders(300, 6000, 3, seed=2), folder)
    cfg = yaml.safe_load(paths["config"].read_text())
    run = analyse(parse_config({**cfg, "segmentation": {"algorithm": "kmeans"}, "baskets": {"levels": []}},
                               base_dir=folder))
    save(run.model, folder / "model")
    return paths, cfg["transactions"], run


def test_order_lines_of_a_later_period_are_measured_at_their_own_date(tmp_path, monkeypatch):
    """The same customers' lines 52 weeks later (same weekdays): each placed as before, measured at
    the day after the new latest line, not at the model's date (which came before every new line).
    Lines that end before the model's date are measured at the model's; a date given is kept, and
    one before the lines is refused in one line."""
    paths, t, run = _lines_model(tmp_path)
    lines = pd.read_parquet(paths["lines"])
    when = pd.to_datetime(lines[t["timestamp"]])
    model_ref = run.results.reference_date
    assert model_ref == (when.max() + pd.Timedelta(days=1)).date()
    lines.assign(**{t["timestamp"]: when + pd.Timedelta(weeks=52)}).to_parquet(tmp_path / "later.parquet")
    later = assign(tmp_path / "model", None, tmp_path / "later.parquet")
    _same(run, later.assignments)
    assert (later.reference_date, later.model_reference_date) == (model_ref + timedelta(weeks=52), model_ref)
    assert later.measured() == (f"ages, tenure and recency measured at {model_ref + timedelta(weeks=52)} "
                                f"(later than the model's {model_ref})")
    # The customers whose last order is over 90 days old: their lines end before the model's date.
    last = when.groupby(lines[t["customer"]]).max()
    lines[lines[t["customer"]].isin(last[last < when.max() - pd.Timedelta(days=90)].index)].to_parquet(
        tmp_path / "lapsed.parquet")
    lapsed = assign(tmp_path / "model", None, tmp_path / "lapsed.parquet")
    assert lapsed.reference_date == model_ref and lapsed.measured().endswith("(the model's)")
    # Every feature measured at that date (recency too: this model gives it no weight, so the
    # placement alone would not show it): as when the date is given.
    from analysis import assign as assigning
    loaded = []
    monkeypatch.setattr(assigning, "load_input", lambda *a, **k: loaded.append(load_input(*a, **k)) or loaded[-1])
    at_model = assign(tmp_path / "model", None, tmp_path / "lapsed.parquet", model_ref)
    given_days = loaded[-1].orders.frame["Days since last order"]
    lapsed = assign(tmp_path / "model", None, tmp_path / "lapsed.parquet")
    assert len(lapsed.assignments) > 50 and given_days.min() > 90
    pd.testing.assert_frame_equal(lapsed.assignments, at_model.assignments)
    pd.testing.assert_series_equal(loaded[-1].orders.frame["Days since last order"], given_days)
    given = assign(tmp_path / "model", None, tmp_path / "later.parquet", model_ref + timedelta(weeks=60))
    assert given.reference_date == model_ref + timedelta(weeks=60)
    with pytest.raises(UserError, match=rf"--reference-date {model_ref}: \d+ customers have order lines after it "
                                        rf"\(the latest on {model_ref + timedelta(weeks=52) - timedelta(days=1)}\)"):
        assign(tmp_path / "model", None, tmp_path / "later.parquet", model_ref)


def test_lines_of_products_the_model_has_no_category_for_keep_their_spend(tmp_path, monkeypatch):
    """Products relaunched under codes the model's map does not hold: their money stays in each
    customer's spend (in no share the model reads), and past 5% of the money it is flagged as drift."""
    paths, t, run = _lines_model(tmp_path)
    lines = pd.read_parquet(paths["lines"])
    lines[t["product"]] = lines[t["product"]].astype(str)
    money = (lines[t["quantity"]] * lines[t["unit_price"]]).where(lines[t["quantity"]] > 0, 0.0)
    by_product = money.groupby(lines[t["product"]]).sum().drop(index="POST").sort_values(kind="stable")
    from analysis import assign as assigning
    loaded = []
    monkeypatch.setattr(assigning, "load_input", lambda *a, **k: loaded.append(load_input(*a, **k)) or loaded[-1])
    assign(tmp_path / "model", None, paths["lines"])

    def total(frame):
        return frame.set_index("customer_id")[[c for c in frame if c.startswith("Spend on ")]].sum(axis=1)
    before = total(loaded[-1].orders.frame)
    for target, flagged in ((0.03, False), (0.08, True)):
        relaunched = by_product.index[by_product.cumsum() <= target * money.sum()]
        share = by_product[relaunched].sum() / money.sum()
        new = lines.assign(**{t["product"]: lines[t["product"]].where(~lines[t["product"]].isin(relaunched),
                                                                      "N" + lines[t["product"]])})
        new.to_parquet(tmp_path / "relaunched.parquet")
        placed = assign(tmp_path / "model", None, tmp_path / "relaunched.parquet")
        pd.testing.assert_series_equal(total(loaded[-1].orders.frame), before)
        assert "Spend on Uncategorised" in loaded[-1].orders.frame
        assert placed.drift.unknown_spend == pytest.approx(share, abs=0.005) and target - 0.01 < share <= target
        assert any("categories the model was not built with" in f for f in placed.drift.flags) == flagged


def _new(seed: int, n: int, offset: int) -> pd.DataFrame:
    df, _ = synth.generate(n, 4, seed=seed)
    return df.assign(ID=df["ID"] + offset)


def test_new_customers_placed_as_a_fresh_run_on_old_and_new(trained):
    folder, old, _ = trained
    new = _new(2, 1000, 1_000_000)
    synth.write(new, folder / "new.tsv")
    placed = assign(folder / "model", folder / "new.tsv", None).assignments
    both = pd.concat([old, new], ignore_index=True)
    synth.write(both, folder / "both.tsv")
    fresh = analyse(parse_config(_config("both.tsv", algorithm="kmeans"), base_dir=folder)).assignments
    fresh = fresh.set_index(fresh["customer_id"].astype(str))["segment"]
    got = placed.set_index(placed["customer_id"].astype(str))["segment"]
    ids = got.index[got.notna() & fresh.reindex(got.index).notna()]
    assert len(ids) > 950
    ari = adjusted_rand_score(fresh[ids].astype(int), got[ids].astype(int))
    assert ari >= 0.95, ari


def test_drift_flagged_on_a_shifted_sample_only(trained):
    folder, _, _ = trained
    same = _new(3, 1500, 2_000_000)
    synth.write(same, folder / "same.tsv")
    calm = assign(folder / "model", folder / "same.tsv", None).drift
    assert not calm.drifted, calm.line()
    shifted = same.assign(Income=(same["Income"] * 1.8).round(), MntWines=same["MntWines"] * 4,
                          NumWebVisitsMonth=same["NumWebVisitsMonth"] + 6)
    synth.write(shifted, folder / "shifted.tsv")
    moved = assign(folder / "model", folder / "shifted.tsv", None).drift
    assert moved.drifted and moved.far_share > 0.05, moved.line()
    assert "NumWebVisitsMonth" not in moved.outside and "web_visits" in moved.outside


def test_unseen_category_values_are_reported(trained):
    folder, _, _ = trained
    df = _new(4, 400, 3_000_000)
    df.loc[:50, "Education"] = "Apprenticeship"
    synth.write(df, folder / "unseen.tsv")
    drift = assign(folder / "model", folder / "unseen.tsv", None).drift
    assert drift.unseen == {"Education": {"Apprenticeship": 51}}
    assert any("Education value never seen" in f for f in drift.flags)


def _copy_model(folder: Path, to: Path) -> Path:
    to.mkdir()
    for f in (folder / "model").iterdir():
        (to / f.name).write_bytes(f.read_bytes())
    return to


def _cli_error(capsys, *args) -> str:
    assert main(["assign", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_tampered_model_is_refused(trained, tmp_path, capsys):
    folder, _, _ = trained
    model = _copy_model(folder, tmp_path / "m")
    text = (model / "model.json").read_text()
    (model / "model.json").write_text(text.replace('"distance_p99": ', '"distance_p99": 1'))
    err = _cli_error(capsys, "--model", str(model), "--customers", str(folder / "train.tsv"), "--out",
                     str(tmp_path / "o.csv"))
    assert "model.json: changed since the run wrote it (SHA-256 differs from manifest.json)" in err
    arrays = _copy_model(folder, tmp_path / "a")
    npy = next(arrays.glob("rule_*.npy"))
    npy.write_bytes(npy.read_bytes()[:-8] + b"\x00" * 8)
    err = _cli_error(capsys, "--model", str(arrays), "--customers", str(folder / "train.tsv"), "--out",
                     str(tmp_path / "o.csv"))
    assert f"{npy.name}: changed since the run wrote it" in err


def test_model_of_another_version_is_refused(trained, tmp_path, capsys):
    folder, _, _ = trained
    model = _copy_model(folder, tmp_path / "m")
    manifest = json.loads((model / "manifest.json").read_text())
    (model / "manifest.json").write_text(json.dumps({**manifest, "segments_version": "0.0.1"}))
    err = _cli_error(capsys, "--model", str(model), "--customers", str(folder / "train.tsv"), "--out",
                     str(tmp_path / "o.csv"))
    assert "model written by segments 0.0.1" in err and "build the report again" in err


def test_table_of_another_layout_is_refused(trained, tmp_path, capsys):
    folder, df, _ = trained
    synth.write(df.drop(columns=["Income", "MntFruits"]), tmp_path / "other.tsv")
    err = _cli_error(capsys, "--model", str(folder / "model"), "--customers", str(tmp_path / "other.tsv"),
                     "--out", str(tmp_path / "o.csv"))
    assert "2 column(s) the model needs are missing (first 'Income')" in err
    (tmp_path / "empty.csv").write_text("")
    err = _cli_error(capsys, "--model", str(folder / "model"), "--customers", str(tmp_path / "empty.csv"),
                     "--out", str(tmp_path / "o.csv"))
    assert err.strip().endswith("empty.csv: file is empty")
    err = _cli_error(capsys, "--model", str(folder / "model"), "--transactions", str(tmp_path / "other.tsv"),
                     "--out", str(tmp_path / "o.csv"))
    assert "the model was built from customers: give --customers FILE" in err
    err = _cli_error(capsys, "--model", str(tmp_path / "nope"), "--customers", str(tmp_path / "other.tsv"),
                     "--out", str(tmp_path / "o.csv"))
    assert "no such model folder" in err


def test_cli_writes_assignments_drift_json_and_summary(trained, tmp_path, capsys):
    folder, _, run = trained
    out = tmp_path / "placed.csv"
    assert main(["assign", "--model", str(folder / "model"), "--customers", str(folder / "train.tsv"),
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("drift: none (")
    placed = pd.read_csv(out, dtype={"customer_id": str})
    assert list(placed.columns) == ["customer_id", "segment", "segment_name", "distance", "excluded_reason"]
    assert placed["distance"].notna().sum() == run.results.n_segmented
    drift = json.loads((tmp_path / "placed.drift.json").read_text())
    assert drift["drifted"] is False and drift["customers"] == run.results.n_segmented


def test_model_files_are_plain_json_and_arrays(trained):
    folder, _, run = trained
    names = sorted(p.name for p in (folder / "model").iterdir())
    assert names == ["centres.npy", "manifest.json", "model.json", "rule_centres.npy"]
    model = load(folder / "model")
    assert model.segments == {p.id: p.name for p in run.results.segments}
    assert model.kind == "customers" and "Income" in model.schema["customers"]


def test_model_keeps_the_configs_order(trained):
    """Spend columns are summed in the config's order (another order can differ in the last bit and
    move a customer on a tier's cut point), and the last campaign named is the latest."""
    folder, _, _ = trained
    given = _config("train.tsv", algorithm="kmeans")["columns"]
    saved = load(folder / "model").config["columns"]
    assert list(given["spend"]) != sorted(given["spend"])  # (an order sorting would change)
    for key in ("spend", "purchases", "campaigns"):
        assert list(saved[key].items()) == list(given[key].items()), key


def test_model_keeps_the_share_a_customer_without_spend_is_given(trained):
    """assign gives new non-buyers the training run's average mix (features._mix_share), not their batch's."""
    folder, _, run = trained
    saved = load(folder / "model").mix
    assert saved == run.model.mix and set(saved) == {f for f in run.model.features if f.startswith(("share_", "channel_"))}
    assert 0 < saved["share_wines"] < 1


def test_model_keeps_the_hash_of_every_training_input(trained, tmp_path):
    import dataclasses

    folder, _, run = trained
    inputs = {"customers": {"file": "train.tsv", "sha256": "ab" * 32},
              "transactions": {"file": "lines.parquet", "sha256": "cd" * 32},
              "products": {"file": "products.csv", "sha256": "ef" * 32}}
    save(dataclasses.replace(run.model, inputs=inputs), tmp_path / "m")
    assert load(tmp_path / "m").inputs == inputs
    assert json.loads((tmp_path / "m" / "model.json").read_text())["inputs"] == inputs


def test_a_run_records_the_hash_of_its_input_in_the_model_and_results(trained):
    import hashlib

    folder, _, run = trained
    digest = hashlib.sha256((folder / "train.tsv").read_bytes()).hexdigest()
    expected = {"customers": {"file": "train.tsv", "sha256": digest}}
    assert run.model.inputs == expected
    assert json.loads(run.results.to_json())["manifest"]["inputs"] == expected


def test_new_customers_in_another_delimiter_and_encoding(tmp_path):
    """The training config names its file's delimiter and encoding (as a draft does); new customers
    exported as a comma-separated UTF-8 file are read with their own, and placed as in the run."""
    df, _ = synth.generate(600, 3, seed=2)
    synth.write(df, tmp_path / "train.tsv")
    cfg = _config("train.tsv", algorithm="kmeans")
    cfg["customers"] = {"path": "train.tsv", "delimiter": "\t", "encoding": "cp1252"}
    run = analyse(parse_config(cfg, base_dir=tmp_path))
    save(run.model, tmp_path / "model")
    table = pd.read_csv(tmp_path / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
    table.to_csv(tmp_path / "new.csv", index=False, encoding="utf-8")
    _same(run, assign(tmp_path / "model", tmp_path / "new.csv", None).assignments)


def test_a_score_written_in_levels_places_a_batch_that_holds_one_level_only(tmp_path):
    """A spending score written 'Low', 'Average', 'High' is read by the word: a batch of new customers
    who are all 'High' is placed (a training table of one level throughout is refused as text)."""
    rng = np.random.default_rng(3)
    n = 300
    score = rng.choice(["Low", "Average", "High"], n)
    frame = pd.DataFrame({"id": [f"C{i}" for i in range(n)], "age": rng.integers(18, 80, n),
                          "family": rng.integers(1, 7, n), "score": score})
    frame.to_csv(tmp_path / "train.csv", index=False)
    cfg = {"customers": {"path": "train.csv"},
           "columns": {"id": "id", "age": "age", "spending_score": "score", "numeric": ["family"]},
           "segmentation": {"algorithm": "kmeans", "k": 3}}
    run = analyse(parse_config(cfg, base_dir=tmp_path))
    save(run.model, tmp_path / "model")
    high = frame[frame.score == "High"].head(5)
    high.to_csv(tmp_path / "new.csv", index=False)
    placed = assign(tmp_path / "model", tmp_path / "new.csv", None).assignments
    trained_as = run.assignments.set_index("customer_id").loc[high.id, "segment"].tolist()
    assert placed.set_index("customer_id").loc[high.id, "segment"].tolist() == trained_as


def test_new_customers_need_not_have_the_columns_only_profiled(trained, tmp_path):
    """Who complained, the campaigns' answers and the categories are profiled, never segmented on: a
    batch of new customers without them is placed as it would be with them."""
    folder, df, _ = trained
    new, _ = synth.generate(600, 4, seed=9)
    synth.write(new, tmp_path / "full.tsv")
    profiled = ["Complain", "Education", "Marital_Status", "Response"] + [f"AcceptedCmp{i}" for i in range(1, 6)]
    synth.write(new.drop(columns=profiled), tmp_path / "lean.tsv")
    full = assign(folder / "model", tmp_path / "full.tsv", None).assignments
    lean = assign(folder / "model", tmp_path / "lean.tsv", None)
    assert lean.assignments["segment"].equals(full["segment"]) and len(full) == 600
    assert lean.drift.unseen == {}

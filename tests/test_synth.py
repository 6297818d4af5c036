"""The synthetic customer generator: layout, determinism, planted structure the pipeline recovers, dirt."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from analysis import synth
from analysis.config import parse_config
from analysis.pipeline import analyse

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED = DATA / "marketing_campaign.csv"


def _config(tmp_path: Path, filename: str, k) -> dict:
    base = yaml.safe_load((DATA / "marketing_campaign.yml").read_text(encoding="utf-8"))
    return {**base, "customers": {**base["customers"], "path": filename}, "segmentation": {"k": k}}


def _run(df: pd.DataFrame, tmp_path: Path, k, filename: str = "customers.csv"):
    synth.write(df, tmp_path / filename)
    return analyse(parse_config(_config(tmp_path, filename, k), base_dir=tmp_path))


def _ari(run, truth: np.ndarray) -> float:
    seg = run.assignments["segment"]
    kept = seg.notna().to_numpy()
    return adjusted_rand_score(truth[kept], seg[kept].astype(int).to_numpy())


# ---------------------------------------------------------------- archetypes


def test_archetypes_are_distinct_and_well_formed():
    assert len(synth.ARCHETYPES) >= 6
    assert len({a.name for a in synth.ARCHETYPES}) == len(synth.ARCHETYPES)
    for a in synth.ARCHETYPES:
        assert a.weight > 0 and a.income_mean > a.income_sd > 0 and a.spend_level > 0
        assert len(a.spend_mix) == 6 and len(a.channel_mix) == 3 and len(a.campaign_probs) == 6
        assert np.isclose(sum(a.kid_probs), 1) and np.isclose(sum(a.teen_probs), 1)
        assert np.isclose(sum(a.education), 1) and np.isclose(sum(a.marital), 1)
        assert 0 < a.deal_propensity < 1 and 18 <= a.age_range[0] < a.age_range[1] <= 90


def test_segments_differ_in_mix_and_in_scale():
    """Every pair of planted segments differs by more than one pooled sd on at least two mix
    features (spend, channel, deal shares) and at least two scale features."""
    df, truth = synth.generate(12_000, len(synth.ARCHETYPES), seed=3)
    spend = df[list(synth.SPEND_COLUMNS)].to_numpy(float)
    chan = df[list(synth.CHANNEL_COLUMNS)].to_numpy(float)
    total, purchases = spend.sum(axis=1), chan.sum(axis=1)
    mix = np.column_stack([spend / total[:, None], chan / purchases[:, None], df["NumDealsPurchases"] / purchases])
    scale = np.column_stack([
        df["Income"].astype(float), 2014 - df["Year_Birth"], np.log1p(total), purchases,
        df["Kidhome"] + df["Teenhome"], df["NumWebVisitsMonth"], df["Recency"], np.log(total / purchases),
    ])

    def separated(x, i, j):
        a, b = x[truth == i], x[truth == j]
        d = np.abs(a.mean(axis=0) - b.mean(axis=0)) / np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
        return int((d > 1).sum())

    for i, j in itertools.combinations(range(len(synth.ARCHETYPES)), 2):
        assert separated(mix, i, j) >= 2, (synth.ARCHETYPES[i].name, synth.ARCHETYPES[j].name)
        assert separated(scale, i, j) >= 2, (synth.ARCHETYPES[i].name, synth.ARCHETYPES[j].name)


# ---------------------------------------------------------------- layout


@pytest.mark.parametrize("dirt", [False, True])
def test_layout_types_and_ranges(dirt):
    header = BUNDLED.read_text(encoding="utf-8").splitlines()[0].split("\t")
    n, k = 4_000, 5
    df, truth = synth.generate(n, k, seed=7, dirt=dirt)
    assert list(df.columns) == header
    assert len(df) == n and truth.shape == (n,)
    assert df["ID"].is_unique and pd.api.types.is_integer_dtype(df["ID"])
    for col in header:
        if col in ("Education", "Marital_Status", "Dt_Customer"):
            assert pd.api.types.is_string_dtype(df[col]), col
        else:
            assert pd.api.types.is_integer_dtype(df[col]), col
    assert set(np.unique(truth)) == set(range(k))
    assert np.bincount(truth).min() >= 0.05 * n
    signup = pd.to_datetime(df["Dt_Customer"], format="%d-%m-%Y")
    assert signup.min() >= pd.Timestamp("2012-07-30") and signup.max() <= pd.Timestamp("2014-06-29")
    assert (df["Z_CostContact"] == 3).all() and (df["Z_Revenue"] == 11).all()
    for col in list(synth.CAMPAIGN_COLUMNS) + ["Complain"]:
        assert set(df[col].unique()) <= {0, 1}, col
    counts = [c for c in header if c.startswith(("Mnt", "Num")) or c in ("Kidhome", "Teenhome", "Recency")]
    assert (df[counts] >= 0).all().all()
    assert df["Recency"].max() <= 99 and df["NumWebVisitsMonth"].max() <= 20
    assert set(df["Education"]) <= set(synth.EDUCATION)
    assert set(df["Marital_Status"]) <= set(synth.MARITAL) | set(synth.ODD_MARITAL)
    income = df["Income"].dropna()
    if not dirt:
        assert df["Income"].notna().all() and (df["Year_Birth"] >= 1924).all()
        assert set(df["Marital_Status"]) <= set(synth.MARITAL)
        assert income.between(2_000, 200_000).all()
    assert (df["Year_Birth"] <= 1996).all()


def test_sizes_follow_weights():
    df, truth = synth.generate(10_000, 4, seed=0)
    w = np.array([a.weight for a in synth.ARCHETYPES[:4]])
    assert np.allclose(np.bincount(truth) / 10_000, w / w.sum(), atol=0.001)
    assert df.attrs["synth"]["sizes"] == np.bincount(truth).tolist()
    _, small = synth.generate(40, 6, seed=0)  # the 5% floor holds even when rounding would break it
    assert np.bincount(small).min() >= 2


def test_bad_arguments():
    with pytest.raises(ValueError):
        synth.generate(100, 0)
    with pytest.raises(ValueError):
        synth.generate(100, len(synth.ARCHETYPES) + 1)
    with pytest.raises(ValueError):
        synth.generate(5, 6)  # cannot give six segments 5% each


def test_write_csv_like_bundled_and_parquet(tmp_path):
    df, _ = synth.generate(500, 4, seed=1, dirt=True)
    csv = synth.write(df, tmp_path / "c.csv")
    raw = csv.read_bytes()
    assert raw.splitlines()[0].decode() == BUNDLED.read_bytes().splitlines()[0].decode()
    assert b"\r\n" in raw and b".0\t" not in raw  # CRLF like the bundled file, whole-number incomes
    back = pd.read_csv(csv, sep="\t")
    assert list(back.columns) == list(df.columns) and len(back) == len(df)
    assert back["Income"].isna().sum() == df["Income"].isna().sum()
    assert (back["Dt_Customer"] == df["Dt_Customer"]).all()
    pq = synth.write(df, tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(pq), df, check_dtype=False)


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("dirt", [False, True])
def test_deterministic(dirt):
    a, ta = synth.generate(2_000, 5, seed=11, dirt=dirt)
    b, tb = synth.generate(2_000, 5, seed=11, dirt=dirt)
    pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(ta, tb)
    c, tc = synth.generate(2_000, 5, seed=12, dirt=dirt)
    assert not a.equals(c) and not np.array_equal(ta, tc)


def test_large_tables_keep_their_size_and_planted_shares():
    df, truth = synth.generate(200_000, 6, seed=0, dirt=True)
    assert len(df) == 200_000 and len(truth) == 200_000
    assert df["ID"].is_unique
    assert np.bincount(truth).min() >= 0.05 * len(truth)


# ---------------------------------------------------------------- recovery by the pipeline

@pytest.mark.parametrize("n_segments", [3, 4, 5, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_default_settings_recover_planted_segments(tmp_path, n_segments, seed):
    """The automatic choice of method and number of segments finds what was planted."""
    df, truth = synth.generate(3_000, n_segments, seed=seed)
    run = _run(df, tmp_path, "auto")
    ari = _ari(run, truth)
    assert run.results.chosen.k == n_segments, run.results.chosen.reason
    assert ari >= 0.9, f"n_segments={n_segments} seed={seed}: ARI {ari:.3f}"


def test_fixed_k_recovers_planted_segments(tmp_path):
    df, truth = synth.generate(3_000, 5, seed=3)
    run = _run(df, tmp_path, 5)
    assert run.results.chosen.k == 5 and _ari(run, truth) >= 0.9


# ---------------------------------------------------------------- dirt


def test_dirt_is_reported_by_the_cleaning(tmp_path):
    df, truth = synth.generate(3_000, 4, seed=5, dirt=True)
    dirt = df.attrs["synth"]["dirt"]
    assert 0.005 * len(df) <= dirt["missing_income"] <= 0.02 * len(df)
    assert 1 <= dirt["implausible_birth_years"] <= 20 and dirt["extreme_income"] >= 1
    assert dirt["duplicated_rows"] == round(0.02 * len(df))
    odd = sum(dirt["odd_marital_statuses"].values())
    assert 1 <= odd < 0.01 * len(df)
    assert df["Income"].isna().sum() == dirt["missing_income"]
    assert (df["Year_Birth"] < 1901).sum() == dirt["implausible_birth_years"]
    assert (df["Income"] == synth.EXTREME_INCOME).sum() == dirt["extreme_income"]
    twins = df.drop(columns="ID").duplicated().sum()
    assert twins == dirt["duplicated_rows"]

    run = _run(df, tmp_path, 4)
    log = run.results.cleaning

    def entry(step, column):
        found = [e for e in log if e.step == step and e.column == column]
        assert found, f"no {step!r} entry for {column!r} in {log}"
        return found[0]

    missing = entry("missing values", "Income")
    assert 1 <= missing.count <= dirt["missing_income"]  # counted on the rows kept (copies excluded)
    assert entry("implausible values", "Year_Birth").count == dirt["implausible_birth_years"]
    rare = entry("odd categories", "Marital_Status")
    assert rare.count == odd
    for status, count in dirt["odd_marital_statuses"].items():
        if count:
            assert f"'{status}'" in rare.detail
    assert entry("duplicates", "all columns but ID").count == dirt["duplicated_rows"]
    assert "666,666" in entry("outliers", "Income").detail
    # The dirt is small: the planted segments are still found.
    assert _ari(run, truth) >= 0.9

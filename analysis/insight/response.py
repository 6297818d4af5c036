"""Who to contact, customer by customer: a response model that scores each customer's chance to
answer a campaign like the latest one, evaluated on out-of-fold scores only, and the top-N plan.

How the plan is kept honest:

1. Every candidate model is cross-validated (stratified folds): each contacted customer's score
   comes from a model that never saw that customer ("out of fold").
2. The contacted customers are split into two halves (stratified, seeded). On each half the
   model with the best out-of-fold AUC there is chosen, and the score threshold whose top
   customers earned the most there, counting only customers whose own expected value (score x
   revenue - cost) is positive; that choice is then measured on the *other* half. Summed over
   the two halves, this gives the profit of the procedure on customers it did not choose on
   (cross-fitted), directly comparable with contacting everyone.
3. Intervals are percentile bootstrap intervals: the customers of each half are resampled and the
   whole choice (model and threshold) is made again on every resample.

The contact list itself uses the model and the threshold chosen on all contacted customers, and
each customer's out-of-fold score (customers nobody contacted in the latest campaign, and beyond
MAX_TRAIN contacted customers those outside a stratified sample, are scored by the model fitted
on every customer it was evaluated on, which never saw them)."""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..order import projection

FOLDS = 5
RESAMPLES = 1000
BLOCK = 250  # bootstrap resamples evaluated together (memory: customers x BLOCK numbers per array)
MIN_CLASS = 20  # answers and non-answers the latest campaign needs before a model is fitted
CALIBRATION_BINS = 10
CURVE_POINTS = 100
MAX_TRAIN = 5_000  # contacted customers the model is fitted and evaluated on (a stratified sample beyond)
SCORE_BLOCK = 100_000  # customers scored at a time by the fitted model

# Candidate models, as data: (key, label). Built by `_model`.
CANDIDATES = (
    ("logistic_0.1", "regularised logistic regression (C = 0.1)"),
    ("logistic_1", "logistic regression (C = 1)"),
    ("boosting", "gradient boosting (60 trees of depth 3)"),
)
# Features made from every campaign's answers, the latest included: never an input.
LEAKING = ("campaigns_accepted",)

RESPONSE_RULE = (
    f"Response model: each customer's chance to answer a campaign like the latest one, from the segment "
    f"features, the segment and the answers to earlier campaigns. Candidates ({', '.join(l for _, l in CANDIDATES)}) "
    f"are compared by {FOLDS}-fold stratified cross-validation on out-of-fold scores only. The contacted customers "
    "are split into two halves: on each half the model with the best out-of-fold AUC and the number of customers "
    "to contact (among customers whose expected value, score x revenue per answer - cost per contact, is "
    "positive, the score threshold whose top customers earned the most there) are chosen, and measured on the "
    "other half; the two measurements add up to the estimate shown. Each segment's own number of customers to "
    "contact is chosen and measured the same way, on the segment's customers of each half. 95% intervals are "
    "percentile bootstrap "
    f"intervals ({RESAMPLES:,} resamples of the customers, the choice made again on each)."
)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float  # 95% percentile bootstrap interval
    high: float


@dataclass(frozen=True)
class ModelScore:
    key: str
    label: str
    auc: float  # out-of-fold ROC AUC over every contacted customer


@dataclass(frozen=True)
class SegmentContacts:
    segment: int
    customers: int  # customers scored in the segment
    contacts: int  # of them in the contact list
    expected_answers: float  # sum of the listed customers' scores
    expected_profit: float  # sum of the listed customers' expected values
    measured_profit: float  # realised profit in the latest campaign of the cross-fitted choice, in this segment
    # The segment's own plan: the N of its customers, best scores first, that earns the most in the
    # segment (its own score threshold), and that plan's profit measured as the overall one: the
    # threshold chosen on one half of the segment's contacted customers, measured on the other.
    best_n: int = 0  # the segment's customers (of all scored) at or above its own threshold and above break-even
    best_threshold: float = math.inf  # inf: no N earns more than it costs in the segment
    best_measured: Estimate | None = None  # cross-fitted profit of the segment's own plan, 95% interval


@dataclass(frozen=True)
class ResponseModel:
    campaign: str
    column: str
    inputs: tuple[str, ...]  # input features (names)
    candidates: tuple[ModelScore, ...]
    model: str  # key of the model chosen on all contacted customers
    model_label: str
    folds: int
    resamples: int
    scored: int  # customers scored
    trained: int  # customers contacted in the latest campaign the model is fitted and measured on
    answered: int  # of them, answered
    auc: Estimate  # of the cross-fitted out-of-fold scores
    calibration: tuple[tuple[float, float, int], ...]  # (mean score, answer rate, customers) per score band
    gains: tuple[tuple[float, float], ...]  # (share of customers contacted, share of answers reached)
    profit_curve: tuple[tuple[int, float], ...]  # (top-N contacted, realised out-of-fold profit)
    threshold: float  # the contact list: customers whose score is at least this and above break-even
    contacts: int  # N, the customers in the contact list
    expected_answers: float  # sum of the listed customers' scores
    expected_profit: float  # sum of the listed customers' expected values (rounded as in the list)
    measured_contacts: int  # customers the cross-fitted choice contacts among the contacted
    measured_profit: Estimate  # their realised profit in the latest campaign
    everyone_profit: Estimate  # contacting every contacted customer, realised in the latest campaign
    gain_over_everyone: Estimate  # measured_profit - everyone_profit, on the same resamples
    segments: tuple[SegmentContacts, ...]
    rule: str
    # Every segment with its own N (SegmentContacts.best_n): contacts and cross-fitted profit, summed.
    per_segment_contacts: int = 0
    per_segment_profit: Estimate | None = None
    # Customers the latest campaign contacted. Beyond MAX_TRAIN the measurements above are made on a
    # stratified sample of `trained` of them and scaled by contacted / trained, so that they speak of
    # the same customers as the campaign's own totals; everyone_profit is then counted exactly.
    contacted: int = 0


# ---------------------------------------------------------------- small pure steps

def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by ranks (Mann-Whitney), ties counted as half: NaN when one class is missing."""
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inv]
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def best_threshold(scores: np.ndarray, gain: np.ndarray) -> float:
    """The score threshold whose customers (score >= threshold) earned the most in total.

    `gain`: what each customer earned when contacted (revenue if answered, minus cost). Customers
    with equal scores are contacted together; a tie in profit goes to fewer contacts; when no
    threshold earns more than 0, nobody is contacted (infinity)."""
    scores = np.asarray(scores, dtype=float)
    gain = np.asarray(gain, dtype=float)
    if len(scores) == 0:
        return math.inf
    order = np.argsort(-scores, kind="stable")
    s, total = scores[order], np.cumsum(gain[order])
    cuts = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last position of each run of equal scores
    best = cuts[int(np.argmax(total[cuts]))]
    return float(s[best]) if total[best] > 0 else math.inf


def profit_at(scores: np.ndarray, gain: np.ndarray, threshold: float) -> tuple[int, float]:
    chosen = np.asarray(scores) >= threshold
    return int(chosen.sum()), float(np.asarray(gain)[chosen].sum())


def _interval(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return math.nan, math.nan
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def _model(key: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if key.startswith("logistic_"):
        return make_pipeline(StandardScaler(), LogisticRegression(C=float(key.split("_")[1]), max_iter=5000))
    if key == "boosting":
        return HistGradientBoostingClassifier(max_iter=60, learning_rate=0.1, max_depth=3, random_state=seed)
    raise ValueError(f"unknown response model {key!r}; known: {', '.join(k for k, _ in CANDIDATES)}")


def halves(y: np.ndarray, seed: int) -> np.ndarray:
    """A stratified random split into two halves: True for the first half."""
    rng = np.random.default_rng(seed)
    first = np.zeros(len(y), dtype=bool)
    for cls in (False, True):
        idx = np.flatnonzero(np.asarray(y, dtype=bool) == cls)
        rng.shuffle(idx)
        first[idx[: (len(idx) + 1) // 2]] = True
    return first


def model_inputs(table: pd.DataFrame, answers: pd.DataFrame, columns: list[str], labels: np.ndarray) -> pd.DataFrame:
    """The response model's inputs: the customer features (without those made from the latest
    answer), each earlier campaign's answer (missing: 0), their count, and the segment."""
    if len(table) != len(answers) or len(labels) != len(table):
        raise ValueError(f"features ({len(table)} rows), answers ({len(answers)}) and labels ({len(labels)}) differ in length")
    features = [c for c in table.columns if c not in LEAKING]
    earlier = answers[columns[:-1]].fillna(0).to_numpy(dtype=float)
    labels = np.asarray(labels)
    segments = [int(s) for s in np.unique(labels)[1:]]
    names = (features + [f"answered_{col}" for col in columns[:-1]] + (["earlier_answers"] if len(columns) > 1 else [])
             + [f"segment_{s}" for s in segments])
    # One float matrix filled a column at a time, the frame a view of it: the model reads it
    # without a copy (a frame grown column by column was copied twice more at 1M customers).
    x = np.empty((len(table), len(names)))
    for j, col in enumerate(features):
        v = table[col].to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(v).any():  # logistic regression takes no missing value: the median, else 0
            v = pd.Series(v)
            v = v.fillna(v.median()).fillna(0.0)
        x[:, j] = v
    j = len(features)
    x[:, j:j + earlier.shape[1]] = earlier
    j += earlier.shape[1]
    if len(columns) > 1:
        x[:, j] = earlier.sum(axis=1)
        j += 1
    for s in segments:
        x[:, j] = labels == s
        j += 1
    return pd.DataFrame(x, index=table.index, columns=names, copy=False)


# ---------------------------------------------------------------- the model and the plan

def _oof(x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return {key: cross_val_predict(_model(key, seed), x, y, cv=cv, method="predict_proba")[:, 1]
            for key, _ in CANDIDATES}


def breakeven(cost: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """The score above which a customer's expected value (score x revenue - cost) is positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, np.asarray(cost, dtype=float) / revenue, np.where(cost < 0, -np.inf, np.inf))


def _threshold(s: np.ndarray, gain: np.ndarray, be: np.ndarray) -> float:
    """`best_threshold` among the customers worth contacting by their own score (above break-even):
    a customer the model expects to lose money on is never listed, however the realised answers of
    lower scores happened to fall."""
    worth = s > be
    return best_threshold(s[worth], gain[worth])


def _choose(idx: np.ndarray, oof: dict[str, np.ndarray], y: np.ndarray, gain: np.ndarray,
            be: np.ndarray) -> tuple[str, float]:
    """Model (best out-of-fold AUC; a tie goes to the earlier candidate) and threshold on `idx`."""
    aucs = [auc(y[idx], oof[k][idx]) for k, _ in CANDIDATES]
    key = CANDIDATES[int(np.nanargmax(aucs))][0]
    return key, _threshold(oof[key][idx], gain[idx], be[idx])


def _cross_fit(a: np.ndarray, b: np.ndarray, oof, y, gain, seg: np.ndarray, be: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores and contact decisions of every customer in a and b, each chosen on the other half:
    one threshold over all customers (`contact`), and one per segment (`seg_contact`, each
    segment's threshold chosen on its customers in the other half, with the same model)."""
    n = len(y)
    scores, contact, seg_contact = np.full(n, np.nan), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for choose_on, apply_to in ((a, b), (b, a)):
        key, t = _choose(choose_on, oof, y, gain, be)
        s = scores[apply_to] = oof[key][apply_to]
        contact[apply_to] = (s >= t) & (s > be[apply_to])
        for g in np.unique(seg[apply_to]):
            on, to = choose_on[seg[choose_on] == g], apply_to[seg[apply_to] == g]
            seg_contact[to] = (oof[key][to] >= _threshold(oof[key][on], gain[on], be[on])) & (oof[key][to] > be[to])
    return scores, contact, seg_contact


def _run_ends(s: np.ndarray, descending: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts `s` and the last position of each run of equal scores in it."""
    order = np.argsort(-s if descending else s, kind="stable")
    ss = s[order]
    return order, np.flatnonzero(np.r_[ss[1:] != ss[:-1], True])


def _auc_rows(s: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """`auc(y, s)` on each bootstrap resample, given as a column of `w` (how often each customer was
    drawn): the same Mann-Whitney count, ties as half, from one sort of `s` for every resample."""
    if not len(s):
        return np.full(w.shape[1], np.nan)
    order, ends = _run_ends(s)
    wo, yo = w[order], y[order]
    pos = np.cumsum(wo * yo[:, None], axis=0)[ends]  # answerers up to the end of each run
    neg = np.cumsum(wo * ~yo[:, None], axis=0)[ends]
    before = np.vstack([np.zeros((1, w.shape[1])), neg[:-1]])
    n1, n0 = pos[-1], neg[-1]
    # each run's answerers are above the non-answerers of earlier runs and tied with half of their own
    u = (np.diff(pos, axis=0, prepend=0.0) * (before + neg) / 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n1 > 0) & (n0 > 0), u / (n1 * n0), np.nan)


def _threshold_rows(s: np.ndarray, gain: np.ndarray, w: np.ndarray, be: np.ndarray) -> np.ndarray:
    """`_threshold(s, gain, be)` on each bootstrap resample (a column of `w`). A run of scores nobody
    drew adds nothing to the running total, so the first best run is always one that was drawn."""
    worth = s > be
    s, gain, w = s[worth], gain[worth], w[worth]
    if not len(s):
        return np.full(w.shape[1], np.inf)
    order, ends = _run_ends(s, descending=True)
    total = np.cumsum(w[order] * gain[order, None], axis=0)[ends]
    best = total.argmax(axis=0)
    return np.where(total[best, np.arange(w.shape[1])] > 0, s[order][ends][best], np.inf)


def _bootstrap(a, b, oof, y, gain, seg, be, segments, rng, resamples: int) -> np.ndarray:
    """`_cross_fit` made again on each bootstrap resample of each half: one row per resample with
    the AUC of the cross-fitted scores, the cross-fitted profit, the profit of contacting everyone,
    the profit of the per-segment plans, then that profit in each of `segments`.

    The resamples are drawn one after the other (the same draws for a seed as resampling in a
    loop) and evaluated BLOCK at a time, all of a block's resamples in each array operation."""
    drawn = np.vstack([np.r_[rng.choice(a, size=len(a)), rng.choice(b, size=len(b))] for _ in range(resamples)])
    return np.vstack([_resample_block(drawn[i:i + BLOCK], a, b, oof, y, gain, seg, be, segments)
                      for i in range(0, resamples, BLOCK)])


def _resample_block(drawn, a, b, oof, y, gain, seg, be, segments) -> np.ndarray:
    n, cols = len(y), np.arange(len(drawn))
    # customers x resamples: how often each resample drew each customer (the halves do not overlap)
    w = np.bincount((drawn + cols[:, None] * n).ravel(), minlength=len(cols) * n).reshape(len(cols), n).T
    w = w.astype(float)
    scores = np.stack([oof[k] for k, _ in CANDIDATES])
    chosen, profit, per = [], np.zeros(len(cols)), np.zeros((len(cols), len(segments)))
    for on, to in ((a, b), (b, a)):
        w_on, w_to, g_on, g_to, be_on = w[on], w[to], gain[on], gain[to], be[on]
        aucs = np.stack([_auc_rows(s[on], y[on], w_on) for s in scores])
        key = np.nan_to_num(aucs, nan=-np.inf).argmax(axis=0)  # first best, as in `_choose`
        applied = scores[:, to][key].T  # the other half's customers x resamples, under each chosen model
        worth = applied > be[to][:, None]
        t = np.stack([_threshold_rows(s[on], g_on, w_on, be_on) for s in scores])[key, cols]
        profit += (w_to * g_to[:, None] * ((applied >= t) & worth)).sum(axis=0)
        for i, s_id in enumerate(segments):
            r_on, r_to = seg[on] == s_id, seg[to] == s_id
            t_s = np.stack([_threshold_rows(s[on][r_on], g_on[r_on], w_on[r_on], be_on[r_on])
                            for s in scores])[key, cols]
            per[:, i] += (w_to[r_to] * g_to[r_to, None] * ((applied[r_to] >= t_s) & worth[r_to])).sum(axis=0)
        chosen.append(key)
    in_b = np.zeros(len(y), dtype=bool)
    in_b[b] = True
    auc_all = np.empty(len(cols))
    for ka, kb in set(zip(*chosen)):  # the cross-fitted scores differ only by the pair of models chosen
        sel = (chosen[0] == ka) & (chosen[1] == kb)
        auc_all[sel] = _auc_rows(np.where(in_b, scores[ka], scores[kb]), y, w[:, sel])
    return np.column_stack([auc_all, profit, (w * gain[:, None]).sum(axis=0), per.sum(axis=1), per])


def _curves(scores: np.ndarray, y: np.ndarray, gain: np.ndarray, min_size: int):
    order = np.argsort(-scores, kind="stable")
    hits, total = np.cumsum(y[order]), np.cumsum(gain[order])
    n = len(scores)
    grid = np.unique(np.r_[np.linspace(min(min_size, n), n, CURVE_POINTS).round().astype(int), n])
    grid = grid[grid >= min(min_size, n)]
    answered = max(int(y.sum()), 1)
    gains = ((0.0, 0.0),) + tuple((float(g / n), float(hits[g - 1] / answered)) for g in grid)
    curve = ((0, 0.0),) + tuple((int(g), float(total[g - 1])) for g in grid)
    return gains, curve


def _calibration(scores: np.ndarray, y: np.ndarray, min_size: int) -> tuple[tuple[float, float, int], ...]:
    bins = max(1, min(CALIBRATION_BINS, len(scores) // max(min_size, 1)))
    order = np.argsort(scores, kind="stable")
    return tuple((float(scores[part].mean()), float(y[part].mean()), int(len(part)))
                 for part in np.array_split(order, bins) if len(part))


def _sample(known: np.ndarray, a: np.ndarray, seed: int) -> np.ndarray:
    """`known`, or a stratified random sample of MAX_TRAIN of its customers when there are more."""
    if known.sum() <= MAX_TRAIN:
        return known
    rng = np.random.default_rng(seed)
    out = np.zeros(len(known), dtype=bool)
    idx = np.flatnonzero(known)
    for cls in (True, False):
        part = idx[(a[idx] == 1) == cls]
        take = int(round(len(part) * MAX_TRAIN / len(idx)))
        out[rng.choice(part, size=take, replace=False)] = True
    return out


def fit_response(x: pd.DataFrame, answer: pd.Series, cost: np.ndarray, revenue: np.ndarray, labels: np.ndarray,
                 campaign: str, seed: int = 0, min_size: int = 20,
                 resamples: int = RESAMPLES) -> tuple[ResponseModel, pd.DataFrame] | None:
    """The response model and the contact plan, or None when the latest campaign has fewer than
    MIN_CLASS answers or non-answers among the contacted customers.

    `x`: inputs (see `model_inputs`), one row per customer; `answer`: the latest campaign's 0/1
    answers (NaN: not contacted), indexed like `x`; `cost` / `revenue`: per contact and per answer,
    one value per customer; `labels`: segment of each customer.

    Returns the model and one row per customer (index as `x`): score, expected_value
    (score x revenue - cost, rounded to 4 decimals), contact (in the contact list)."""
    n = len(x)
    if not (len(answer) == len(cost) == len(revenue) == len(labels) == n):
        raise ValueError(f"x has {n} rows but answer, cost, revenue and labels have "
                         f"{len(answer)}, {len(cost)}, {len(revenue)}, {len(labels)}")
    if not answer.index.equals(x.index):
        raise ValueError("answer is not indexed like x")
    a = pd.to_numeric(answer, errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(a)
    if min(int((a[known] == 1).sum()), int((a[known] != 1).sum())) < MIN_CLASS:
        return None
    cost, revenue = np.asarray(cost, dtype=float), np.asarray(revenue, dtype=float)
    everyone = float((np.where(a[known] == 1, revenue[known], 0.0) - cost[known]).sum())  # exact, sampled or not
    contacted = int(known.sum())
    labels = np.asarray(labels)
    xv = x.to_numpy(dtype=float)
    # The contacted customers in their canonical order, not the file's: the sample, folds, halves and
    # resamples drawn by position then hold the same customers however the file sorts its rows.
    rows = np.lexsort((labels, revenue, cost, np.nan_to_num(a, nan=-1.0), projection(xv)))
    sampled = _sample(known[rows], a[rows], seed)  # beyond MAX_TRAIN: the others are scored like the never contacted
    known = np.zeros(n, dtype=bool)
    known[rows[sampled]] = True
    order = rows[sampled]  # the rows trained on, in that order: every array below '[known]' is read through it
    scale = contacted / int(known.sum())  # 1 unless sampled: a stratified sample's sums, scaled to all
    y = a[order].astype(bool)
    gain = np.where(y, revenue[order], 0.0) - cost[order]
    be_all = breakeven(cost, revenue)
    be = be_all[order]

    oof = _oof(xv[order], y.astype(int), seed)
    first = halves(y, seed)
    a_idx, b_idx = np.flatnonzero(first), np.flatnonzero(~first)
    seg_known = labels[order]
    seg_ids = sorted(int(v) for v in np.unique(labels))
    cf_scores, cf_contact, cf_seg_contact = _cross_fit(a_idx, b_idx, oof, y, gain, seg_known, be)
    rng = np.random.default_rng(seed)
    boot = _bootstrap(a_idx, b_idx, oof, y, gain, seg_known, be, seg_ids, rng, resamples)
    boot[:, 1:] *= scale
    measured = float(gain[cf_contact].sum()) * scale

    everyone_idx = np.arange(len(y))
    key, threshold = _choose(everyone_idx, oof, y, gain, be)
    scores = np.full(n, np.nan)
    scores[order] = oof[key]
    if (~known).any():  # never contacted (or not sampled): scored by the model fitted on every contacted customer
        final = _model(key, seed).fit(xv[order], y.astype(int))
        rest = np.flatnonzero(~known)
        # A block at a time (no copy of every row, nor the scaler's), blocks side by side: the trees
        # are walked, and BLAS multiplies, outside the GIL (1M customers: 2.6 -> 1.3 s on 2 cores).
        blocks = [rest[i:i + SCORE_BLOCK] for i in range(0, len(rest), SCORE_BLOCK)]
        with ThreadPoolExecutor(min(os.cpu_count() or 1, len(blocks))) as pool:
            for block, p in zip(blocks, pool.map(lambda b: final.predict_proba(xv[b])[:, 1], blocks)):
                scores[block] = p
    expected = np.round(scores * revenue - cost, 4)
    worth = scores > be_all
    contact = (scores >= threshold) & worth
    gains, curve = _curves(oof[key], y, gain, min_size)

    segs = []
    for i, s in enumerate(seg_ids):
        m = labels == s
        mk = seg_known == s
        t_s = _threshold(oof[key][mk], gain[mk], be[mk])  # the segment's own N, on all its contacted customers
        segs.append(SegmentContacts(
            segment=s, customers=int(m.sum()), contacts=int((m & contact).sum()),
            expected_answers=float(scores[m & contact].sum()), expected_profit=float(expected[m & contact].sum()),
            measured_profit=float(gain[mk & cf_contact].sum()) * scale,
            best_n=int((m & (scores >= t_s) & worth).sum()), best_threshold=t_s,
            best_measured=Estimate(float(gain[mk & cf_seg_contact].sum()) * scale, *_interval(boot[:, 4 + i])),
        ))
    label = dict(CANDIDATES)
    model = ResponseModel(
        campaign=campaign, column=str(answer.name), inputs=tuple(map(str, x.columns)),
        candidates=tuple(ModelScore(k, label[k], auc(y, oof[k])) for k, _ in CANDIDATES),
        model=key, model_label=label[key], folds=FOLDS, resamples=resamples, scored=n, trained=int(known.sum()),
        answered=int(y.sum()),
        auc=Estimate(auc(y, cf_scores), *_interval(boot[:, 0])),
        calibration=_calibration(cf_scores, y, min_size), gains=gains, profit_curve=curve,
        threshold=threshold, contacts=int(contact.sum()), expected_answers=float(scores[contact].sum()),
        expected_profit=float(expected[contact].sum()),
        measured_contacts=int(round(cf_contact.sum() * scale)), measured_profit=Estimate(measured, *_interval(boot[:, 1])),
        everyone_profit=Estimate(everyone, *_interval(boot[:, 2])),
        gain_over_everyone=Estimate(measured - everyone, *_interval(boot[:, 1] - boot[:, 2])),
        segments=tuple(segs), rule=RESPONSE_RULE,
        per_segment_contacts=sum(x.best_n for x in segs),
        per_segment_profit=Estimate(float(gain[cf_seg_contact].sum()) * scale, *_interval(boot[:, 3])), contacted=contacted,
    )
    frame = pd.DataFrame({"score": scores, "expected_value": expected, "contact": contact}, index=x.index)
    return model, frame

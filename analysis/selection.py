"""Model search: every algorithm and number of segments scored, and a written rule that picks one.

The search runs on a random sample of customers (all of them when there are few), so that its
cost does not grow with n^2; the chosen model then labels every customer (see clustering).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from sklearn.metrics import silhouette_samples, silhouette_score

from . import clustering as cl
from .config import Segmentation
from .errors import UserError

NAMES = {"kmeans": "k-means", "gmm": "Gaussian mixture", "ward": "Ward hierarchical",
         "two_stage": "two-stage (Ward niches, then k-means)", "hdbscan": "HDBSCAN (density)"}
GAP_REFERENCES = 4
GAP_SAMPLE = 1000
SUBSAMPLE = 0.8  # share of customers in each stability resample

RULE = (
    "1. Actionable: from {min_segments} to {k_max} segments, the smallest holding at least {share:.0%} of "
    "customers, and at most {unassigned:.0%} of customers left unassigned. "
    "2. Separation: actionable candidates are ranked on silhouette (higher is better), Calinski-Harabasz "
    "(higher) and Davies-Bouldin (lower); the {shortlist} best by mean rank are shortlisted. "
    "3. Stability: each shortlisted candidate is refitted on {resamples} random subsamples of {sub:.0%} of "
    "the customers; its stability is the mean adjusted Rand index (ARI) between those solutions and its own. "
    "4. Choice: among shortlisted candidates with stability of at least {min_stability}, the best mean rank "
    "over silhouette, Calinski-Harabasz, Davies-Bouldin and stability wins; ties go to the higher silhouette, "
    "then to fewer segments, then to the simpler method (k-means, Gaussian mixture, Ward, two-stage, HDBSCAN). "
    "When none is that stable, the most stable shortlisted candidate is chosen and the report says the segments "
    "overlap."
)


@dataclass(frozen=True)
class Candidate:
    algorithm: str
    k: int
    params: dict
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    inertia: float | None
    bic: float | None
    smallest_share: float
    unassigned_share: float
    eligible: bool
    why_not: str  # why it is not actionable ('' when it is)
    separation_rank: float | None
    stability: float | None  # mean ARI over resamples (shortlisted candidates only)
    stability_sd: float | None
    final_rank: float | None


@dataclass(frozen=True)
class Choice:
    algorithm: str
    k: int
    reason: str
    rule: str
    knee: int | None
    gap_k: int | None
    sample: int  # customers the search ran on
    n: int  # customers segmented


@dataclass(frozen=True)
class Diagnostics:
    """Evidence for the methodology page, computed on the search sample."""

    gap: tuple[tuple[int, float, float], ...]  # (k, gap, sd) for k-means
    dendrogram: dict  # Ward tree's last merges: icoord, dcoord, leaf sizes
    silhouette_profile: dict  # segment (raw label) -> silhouette quantiles of the chosen solution
    jaccard: dict  # raw label -> mean Jaccard over resamples of the chosen solution


@dataclass(frozen=True)
class Search:
    candidates: tuple[Candidate, ...]
    choice: Choice
    labels: np.ndarray  # raw labels of every customer under the chosen model (-1 = unassigned)
    sample_idx: np.ndarray  # rows the search ran on
    sample_labels: np.ndarray  # their raw labels in the chosen fit (the diagnostics' keys)
    diagnostics: Diagnostics = field(repr=False)


# ---------------------------------------------------------------- helpers

def knee(ks: list[int], inertia: list[float]) -> int | None:
    """Kneedle: the k farthest below the straight line from the first to the last point of the
    normalised, decreasing inertia curve."""
    if len(ks) < 3:
        return None
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = np.array(inertia, dtype=float)
    span = y[0] - y[-1]
    if span <= 0:
        return None
    y = (y - y[-1]) / span
    gap = (1 - x) - y  # the line from (0,1) to (1,0), minus the curve
    return int(ks[int(np.argmax(gap))])


def ranks(values: list[float], higher_is_better: bool) -> np.ndarray:
    """Average ranks, 1 = best."""
    v = np.array(values, dtype=float)
    v = -v if higher_is_better else v
    order = v.argsort(kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for val in np.unique(v):
        tie = v == val
        r[tie] = r[tie].mean()
    return r


def _scores(x: np.ndarray, dist: np.ndarray | None, labels: np.ndarray, seed: int) -> tuple[float, float, float]:
    keep = labels >= 0
    lab = labels[keep]
    if len(np.unique(lab)) < 2:
        return float("nan"), float("nan"), float("nan")
    if dist is not None:
        d = dist if keep.all() else dist[np.ix_(keep, keep)]
        sil = float(cl.silhouettes(d, lab).mean())
    else:
        sil = float(silhouette_score(x[keep], lab, sample_size=min(len(lab), 5000), random_state=seed))
    return sil, float(calinski_harabasz_score(x[keep], lab)), float(davies_bouldin_score(x[keep], lab))


def gap_statistic(x: np.ndarray, ks: list[int], seed: int) -> tuple[list[tuple[int, float, float]], int | None]:
    """Tibshirani's gap for k-means, references uniform in the principal-axes box of the data."""
    rng = np.random.default_rng(seed)
    if len(x) > GAP_SAMPLE:
        x = x[np.sort(rng.choice(len(x), GAP_SAMPLE, replace=False))]
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    z = xc @ vt.T
    lo, hi = z.min(axis=0), z.max(axis=0)
    refs = [rng.uniform(lo, hi, size=z.shape) @ vt for _ in range(GAP_REFERENCES)]
    rows = []
    for k in ks:
        w = np.log(cl.kmeans(x, k, seed, n_init=2).inertia)
        wr = np.log([cl.kmeans(r, k, seed, n_init=2).inertia for r in refs])
        rows.append((k, float(wr.mean() - w), float(wr.std() * np.sqrt(1 + 1 / GAP_REFERENCES))))
    best = next((rows[i][0] for i in range(len(rows) - 1) if rows[i][1] >= rows[i + 1][1] - rows[i + 1][2]), None)
    return rows, best


def _jaccard(ref: np.ndarray, other: np.ndarray) -> dict[int, float]:
    """For each reference segment, its best Jaccard overlap with a segment of the other solution."""
    out = {}
    for s in np.unique(ref[ref >= 0]):
        a = ref == s
        best = 0.0
        for t in np.unique(other[other >= 0]):
            b = other == t
            best = max(best, (a & b).sum() / (a | b).sum())
        out[int(s)] = float(best)
    return out


def refit(algorithm: str, k: int, params: dict, x: np.ndarray, seed: int) -> cl.Fit | None:
    if k >= len(np.unique(x, axis=0)):
        return None  # a subsample too small for k segments cannot reproduce them
    if algorithm == "kmeans":
        return cl.kmeans(x, k, seed, n_init=2)  # resamples only need a good solution, not the best of many
    if algorithm == "gmm":
        return cl.gmm(x, k, seed)
    if algorithm == "ward":
        return cl.ward(cl.ward_tree(x), k)
    if algorithm == "two_stage":
        return cl.two_stage(x, cl.ward_tree(x), k, seed)
    return cl.hdbscan(x, params["min_cluster_size"])


def stability(fit: cl.Fit, x: np.ndarray, resamples: int, seed: int) -> tuple[float, float, dict[int, float]]:
    """Mean and sd of the ARI between the fit and refits on subsamples, and per-segment Jaccard."""
    rng = np.random.default_rng(seed + 1)
    aris, jac = [], {int(s): [] for s in np.unique(fit.labels[fit.labels >= 0])}
    for b in range(resamples):
        idx = np.sort(rng.choice(len(x), int(SUBSAMPLE * len(x)), replace=False))
        sub = refit(fit.algorithm, fit.k, fit.params, x[idx], seed + 100 + b)
        if sub is None:
            aris.append(0.0)
            for s in jac:
                jac[s].append(0.0)
            continue
        other = cl.extend(sub, x[idx], x)
        aris.append(adjusted_rand_score(fit.labels, other))
        for s, v in _jaccard(fit.labels, other).items():
            jac[s].append(v)
    return float(np.mean(aris)), float(np.std(aris)), {s: float(np.mean(v)) for s, v in jac.items()}


def _dendrogram(tree: np.ndarray, leaves: int = 30) -> dict:
    from scipy.cluster.hierarchy import dendrogram

    d = dendrogram(tree, truncate_mode="lastp", p=leaves, no_plot=True)
    return {"icoord": [[round(v, 2) for v in row] for row in d["icoord"]],
            "dcoord": [[round(v, 3) for v in row] for row in d["dcoord"]],
            "leaves": [str(v) for v in d["ivl"]]}


def _silhouette_profile(dist, x, labels, seed) -> dict:
    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        return {}
    if dist is not None:
        s = cl.silhouettes(dist if keep.all() else dist[np.ix_(keep, keep)], labels[keep])
    else:
        s = silhouette_samples(x[keep], labels[keep])
    qs = np.linspace(0, 1, 41)
    return {int(g): [round(float(v), 4) for v in np.quantile(s[labels[keep] == g], qs)]
            for g in np.unique(labels[keep])}


# ---------------------------------------------------------------- the search

def _candidates(x: np.ndarray, seg: Segmentation, ks: list[int], algos: list[str], seed: int,
                tree: np.ndarray, dist: np.ndarray | None = None) -> list[cl.Fit]:
    fits: list[cl.Fit] = []
    niches = cl.find_niches(x, tree, dist) if "two_stage" in algos else []
    for a in algos:
        if a == "hdbscan":
            if seg.k != "auto":
                continue
            if seg.min_cluster_size == "auto":
                sizes = [max(10, int(len(x) * 0.03))]
            else:
                sizes = [seg.min_cluster_size]
            sizes = [m for m in sizes if 2 * m <= len(x)]  # two dense groups must fit in the sample
            fits += [cl.hdbscan(x, m) for m in sizes]
            continue
        for k in ks:
            if a == "kmeans":
                fits.append(cl.kmeans(x, k, seed))
            elif a == "gmm":
                fits.append(cl.gmm(x, k, seed))
            elif a == "ward":
                fits.append(cl.ward(tree, k))
            elif a == "two_stage":
                f = cl.two_stage(x, tree, k, seed, niches)
                if f is not None:
                    fits.append(f)
    return fits


def search(x_all: np.ndarray, seg: Segmentation, seed: int) -> Search:
    n = len(x_all)
    rng = np.random.default_rng(seed)
    sample_idx = np.arange(n) if n <= seg.search_sample else np.sort(rng.choice(n, seg.search_sample, replace=False))
    x = x_all[sample_idx]
    distinct = len(np.unique(x, axis=0))
    if seg.k != "auto":
        ks = [seg.k]
        if seg.k >= n or seg.k > distinct:
            raise UserError(f"too few usable customers to segment: {n} customers ({distinct} distinct in the "
                            f"search sample) for k={seg.k} segments")
    else:
        ks = [k for k in range(seg.k_min, seg.k_max + 1) if k < min(len(x), distinct)]
        if not ks:
            raise UserError(f"too few usable customers to segment: {n} customers ({distinct} distinct) for "
                            f"k={seg.k_min} segments")
    algos = list(cl.ALGORITHMS) if seg.algorithm == "auto" else [seg.algorithm]
    tree = cl.ward_tree(x)  # for Ward, the two-stage scheme and the dendrogram
    dist = squareform(pdist(x)).astype(np.float32) if len(x) <= 6000 else None
    fits = _candidates(x, seg, ks, algos, seed, tree, dist)

    rows = []
    for f in fits:
        sil, ch, db = _scores(x, dist, f.labels, seed)
        assigned = f.labels[f.labels >= 0]
        sizes = np.bincount(assigned, minlength=max(f.k, 1)) if len(assigned) else np.array([0])
        smallest = float(sizes.min() / len(x)) if f.k else 0.0
        unassigned = float((f.labels < 0).mean())
        why = []
        if seg.k == "auto" and f.k < seg.min_segments:
            why.append(f"fewer than {seg.min_segments} segments")
        if seg.k == "auto" and f.k > seg.k_max:
            why.append(f"more than {seg.k_max} segments")
        if smallest < seg.min_segment_share:
            why.append(f"a segment under {seg.min_segment_share:.0%}")
        if unassigned > seg.max_unassigned_share:
            why.append(f"{unassigned:.0%} unassigned")
        if np.isnan(sil):
            why.append("fewer than two groups")
        rows.append(dict(fit=f, silhouette=sil, calinski_harabasz=ch, davies_bouldin=db, smallest_share=smallest,
                         unassigned_share=unassigned, why_not="; ".join(why)))

    pool = [r for r in rows if not r["why_not"]] or [r for r in rows if not np.isnan(r["silhouette"])]
    if not pool:
        raise UserError(f"no segmentation found: the {n} customers show fewer than two distinct groups")
    sep = np.vstack([ranks([r["silhouette"] for r in pool], True),
                     ranks([r["calinski_harabasz"] for r in pool], True),
                     ranks([r["davies_bouldin"] for r in pool], False)]).mean(axis=0)
    for r, v in zip(pool, sep):
        r["separation_rank"] = float(v)
    short = sorted(pool, key=lambda r: (r["separation_rank"], r["fit"].k, cl.SIMPLICITY[r["fit"].algorithm]))
    short = short[: seg.shortlist]
    for r in short:
        r["stability"], r["stability_sd"], r["jaccard"] = stability(r["fit"], x, seg.stability_resamples, seed)
    stable = [r for r in short if r["stability"] >= seg.min_stability]
    if not stable:  # no reproducible structure: the most stable candidate is the least arbitrary
        stable = [max(short, key=lambda r: (r["stability"], -r["fit"].k, -cl.SIMPLICITY[r["fit"].algorithm]))]
    final = np.vstack([ranks([r["silhouette"] for r in stable], True),
                       ranks([r["calinski_harabasz"] for r in stable], True),
                       ranks([r["davies_bouldin"] for r in stable], False),
                       ranks([r["stability"] for r in stable], True)]).mean(axis=0)
    for r, v in zip(stable, final):
        r["final_rank"] = float(v)
    # Ties go to the better separated candidate first: a tie between a coarse and a finer solution is
    # usually stability (coarse) against silhouette (fine), and a planted structure shows as the latter.
    best = min(stable, key=lambda r: (r["final_rank"], -r["silhouette"], r["fit"].k,
                                      cl.SIMPLICITY[r["fit"].algorithm]))
    fit = best["fit"]

    km = sorted([r for r in rows if r["fit"].algorithm == "kmeans"], key=lambda r: r["fit"].k)
    knee_k = knee([r["fit"].k for r in km], [r["fit"].inertia for r in km]) if km else None
    gap_rows, gap_k = gap_statistic(x, ks, seed) if seg.k == "auto" and "kmeans" in algos else ([], None)
    rule = RULE.format(min_segments=seg.min_segments, k_max=seg.k_max, share=seg.min_segment_share,
                       unassigned=seg.max_unassigned_share, shortlist=seg.shortlist,
                       resamples=seg.stability_resamples, sub=SUBSAMPLE, min_stability=seg.min_stability)
    reason = _reason(best, stable, short, pool, seg)

    labels_all = cl.refit_all(fit, x, x_all, seed)
    candidates = tuple(
        Candidate(algorithm=r["fit"].algorithm, k=r["fit"].k,
                  params={k: v for k, v in r["fit"].params.items() if k != "components"},
                  silhouette=r["silhouette"], calinski_harabasz=r["calinski_harabasz"],
                  davies_bouldin=r["davies_bouldin"], inertia=r["fit"].inertia, bic=r["fit"].bic,
                  smallest_share=r["smallest_share"], unassigned_share=r["unassigned_share"],
                  eligible=not r["why_not"], why_not=r["why_not"], separation_rank=r.get("separation_rank"),
                  stability=r.get("stability"), stability_sd=r.get("stability_sd"), final_rank=r.get("final_rank"))
        for r in rows
    )
    diag = Diagnostics(gap=tuple(gap_rows), dendrogram=_dendrogram(tree),
                       silhouette_profile=_silhouette_profile(dist, x, fit.labels, seed), jaccard=best["jaccard"])
    choice = Choice(fit.algorithm, fit.k, reason, rule, knee_k, gap_k, len(x), n)
    return Search(candidates, choice, np.asarray(labels_all), sample_idx, fit.labels, diag)


def _reason(best: dict, stable: list, short: list, pool: list, seg: Segmentation) -> str:
    f = best["fit"]
    if seg.k != "auto" and seg.algorithm != "auto":
        return f"{NAMES[f.algorithm]} with {f.k} segments, as set in the configuration."
    text = (f"Silhouette {best['silhouette']:.3f}, Calinski-Harabasz {best['calinski_harabasz']:,.0f}, "
            f"Davies-Bouldin {best['davies_bouldin']:.3f}, stability (mean ARI) {best['stability']:.2f}. ")
    if best["stability"] >= seg.min_stability:
        text += (f"Best mean rank ({best['final_rank']:.2f}) of the {len(stable)} stable candidate(s) among the "
                 f"{len(short)} shortlisted from {len(pool)} actionable ones.")
    else:
        text += (f"No shortlisted candidate reached stability {seg.min_stability}, so the most stable of the "
                 f"{len(short)} was chosen: the segments overlap and are indicative rather than sharp.")
    if seg.k != "auto":
        text += f" The number of segments (k={seg.k}) was set in the configuration."
    return text


@dataclass(frozen=True)
class MixEvidence:
    """Why spend and channel habits enter as shares: how much of a segmentation on amounts is
    explained by scale alone, against one on shares (eta squared of each scale feature)."""

    k: int
    amounts: dict[str, float]  # scale feature -> eta squared across segments found on amounts
    shares: dict[str, float]  # the same across segments found on shares (the report's features)


def eta_squared(values: np.ndarray, labels: np.ndarray) -> float:
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    between = sum((labels == s).sum() * (values[labels == s].mean() - values.mean()) ** 2 for s in np.unique(labels))
    return float(between / total)


def mix_evidence(table, clustering: tuple[str, ...], matrix: np.ndarray, k: int, seed: int) -> MixEvidence | None:
    """k-means with the same k on the report's features and on a variant where every share is
    replaced by its amount (share x total), both log-scaled and standardised."""
    shares = [f for f in clustering if f.startswith(("share_", "channel_"))]
    scale = [f for f in ("total_spend", "income", "purchases") if f in table]
    if not shares or not scale:
        return None
    cols = []
    for f in clustering:
        v = table[f].to_numpy(dtype=float)
        if f.startswith("share_") and "total_spend" in table:
            v = v * table["total_spend"].to_numpy()
        elif f.startswith("channel_") and "purchases" in table:
            v = v * table["purchases"].to_numpy()
        v = np.log1p(np.clip(v, 0, None)) if v.min() >= 0 else v
        cols.append((v - v.mean()) / (v.std() or 1.0))
    amounts = np.column_stack(cols)
    rng = np.random.default_rng(seed)
    idx = np.arange(len(matrix)) if len(matrix) <= 50_000 else np.sort(rng.choice(len(matrix), 50_000, replace=False))
    lab_a = cl.kmeans(amounts[idx], k, seed).labels
    lab_s = cl.kmeans(matrix[idx], k, seed).labels
    return MixEvidence(
        k=k,
        amounts={f: eta_squared(table[f].to_numpy(dtype=float)[idx], lab_a) for f in scale},
        shares={f: eta_squared(table[f].to_numpy(dtype=float)[idx], lab_s) for f in scale},
    )

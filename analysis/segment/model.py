"""The saved segmentation: the rule that places a customer in a segment, and its safe file format.

A run's final labels are the labels of this rule on every customer, so the saved model reproduces
the run exactly. Rules by algorithm:

- k-means: nearest centre; the centres are the segments' means (Lloyd steps from k-means' labels
  until no customer changes, which k-means' own convergence leaves at most a few steps away);
- Ward and two-stage: nearest centre of the segments found on the search sample (as `extend`);
- Gaussian mixture: the most probable component of the fitted diagonal mixture;
- HDBSCAN: the segment of the nearest sampled customer (noise stays noise);
- value tiers: cut points on the value feature (or on the first principal component).

Format (`exports/model/`): `manifest.json` (format name and version, the package version, the
SHA-256 of every other file), `model.json` (config, fitted cleaning and feature parameters, segment
ids and names, drift references) and one `.npy` file per array, read with allow_pickle=False.
Nothing is unpickled and nothing in the folder is executed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import UserError
from . import clustering as cl

FORMAT = "segments-model"
FORMAT_VERSION = 1
CHUNK = 100_000  # rows per block when measuring distances: memory stays linear in customers
LLOYD_STEPS = 100


@dataclass(frozen=True)
class Rule:
    kind: str  # centres | gmm | neighbours | tiers
    arrays: dict[str, np.ndarray]
    value_feature: str | None = None  # tiers: the feature cut (None: the first principal component)

    def raw(self, x: np.ndarray, table=None) -> np.ndarray:
        """Raw labels (0..k-1, -1 unassigned) of the rows of x (table: their features, for tiers)."""
        a = self.arrays
        if self.kind == "centres":
            return nearest(x, a["centres"])[0]
        if self.kind == "neighbours":
            return a["point_label"][nearest(x, a["points"])[0]]
        if self.kind == "gmm":
            out = np.empty(len(x), dtype=np.int64)
            for i in range(0, len(x), CHUNK):
                p = x[i:i + CHUNK]
                quad = (p ** 2) @ a["precision"].T - 2 * p @ (a["means"] * a["precision"]).T
                out[i:i + CHUNK] = (a["log_norm"] - 0.5 * (quad + a["mean_term"])).argmax(axis=1)
            label = a["component_label"][out]
            lost = label < 0  # a component that took no sampled customer: nearest centre instead
            if lost.any():
                label[lost] = nearest(x[lost], a["centres"])[0]
            return label
        if self.kind == "tiers":
            if self.value_feature is not None:
                score = table[self.value_feature].to_numpy(dtype=float)
            else:
                score = (x - a["pc_mean"]) @ a["pc_axis"]
            return tier_of(score, a["mins"])
        raise ValueError(f"unknown rule kind {self.kind!r}")


def nearest(x: np.ndarray, c: np.ndarray, squares: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest row of c for every row of x, and the distance to it (in blocks).
    `squares`: row_squares(x), from a caller that asks many times (Lloyd's steps)."""
    idx = np.empty(len(x), dtype=np.int64)
    dist = np.empty(len(x))
    cc = (c ** 2).sum(1)
    twice = 2 * c  # p @ (2c) is (2p) @ c to the bit (doubling is exact), without doubling every row
    for i in range(0, len(x), CHUNK):
        p = x[i:i + CHUNK]
        pp = row_squares(p) if squares is None else squares[i:i + CHUNK]
        d = pp[:, None] - p @ twice.T + cc[None, :]
        j = d.argmin(axis=1)
        idx[i:i + CHUNK] = j
        dist[i:i + CHUNK] = np.sqrt(np.maximum(d[np.arange(len(p)), j], 0.0))
    return idx, dist


def row_squares(x: np.ndarray) -> np.ndarray:
    """Each row's sum of squares (the same values a block of rows gives)."""
    return (x ** 2).sum(1)


def tier_of(score: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Tier 0 holds scores from its lowest score up, then tier 1, ...; the last tier takes the rest."""
    present = [t for t in range(len(mins)) if not np.isnan(mins[t])]
    out = np.full(len(score), present[-1], dtype=np.int64)
    for t in reversed(present[:-1]):
        out[score >= mins[t]] = t
    return out


def fit_rule(found, x: np.ndarray, table, value_feature: str | None, seed: int) -> Rule:
    """The rule for the search's chosen model (see the module docstring)."""
    choice, labels = found.choice, np.asarray(found.labels)
    xs = x[found.sample_idx]
    if choice.algorithm == "tiers":
        if choice.fallback == "value_tiers":
            score, arrays, feature = table[value_feature].to_numpy(dtype=float), {}, value_feature
        else:  # as selection's first component: signed to grow with the column sums
            mean = xs.mean(axis=0)
            _, _, vt = np.linalg.svd(xs - mean, full_matrices=False)
            axis = vt[0] if vt[0].sum() >= 0 else -vt[0]
            score, arrays, feature = (x - mean) @ axis, {"pc_mean": mean, "pc_axis": axis}, None
        mins = np.array([score[labels == t].min() if (labels == t).any() else np.nan
                         for t in range(int(labels.max()) + 1)])
        return Rule("tiers", {**arrays, "mins": mins}, feature)
    k = choice.k
    if choice.algorithm == "kmeans":
        cols = np.ascontiguousarray(x.T)  # one copy for every step's sums (see cl.centres)
        c, current = cl.centres(x, labels, k, columns=cols), labels
        squares = row_squares(x)  # the same every step
        for _ in range(LLOYD_STEPS):
            new = nearest(x, c, squares)[0]
            if np.array_equal(new, current):
                break
            current = new
            c = cl.centres(x, current, k, previous=c, columns=cols)
        del cols, squares
        return Rule("centres", {"centres": c})
    if choice.algorithm == "hdbscan":
        return Rule("neighbours", {"points": xs, "point_label": np.asarray(found.sample_labels, dtype=np.int64)})
    sample_centres = cl.centres(xs, found.sample_labels, k)
    if choice.algorithm == "gmm":
        for n_comp in range(k, k + 4):  # the components asked for (some may have taken no customer)
            fit = cl.gmm(xs, n_comp, seed)
            if np.array_equal(fit.labels, found.sample_labels):
                return _gmm_rule(fit, sample_centres)
    return Rule("centres", {"centres": sample_centres})  # Ward, two-stage (and a mixture not refitted alike)


def _gmm_rule(fit, centres: np.ndarray) -> Rule:
    m = fit.model
    prec = 1.0 / m.covariances_  # diagonal: one variance per component and feature
    d = m.means_.shape[1]
    lookup = np.full(m.n_components, -1, dtype=np.int64)
    for comp, label in fit.params["components"].items():
        lookup[int(comp)] = int(label)
    return Rule("gmm", {
        "means": m.means_, "precision": prec, "mean_term": ((m.means_ ** 2) * prec).sum(axis=1),
        "log_norm": np.log(m.weights_) - 0.5 * d * math.log(2 * math.pi) + 0.5 * np.log(prec).sum(axis=1),
        "component_label": lookup, "centres": centres})


# ---------------------------------------------------------------- the saved model

@dataclass(frozen=True)
class Model:
    config: dict  # the run's config as given (inputs, column roles, cleaning and segmentation settings)
    kind: str  # customers | transactions | joined
    schema: dict[str, list[str]]  # input -> the columns the model reads from it
    cleaning: dict  # ingest.cleaning.Fitted as plain data
    order_categories: list[str] | None  # product categories that became spend columns (order lines)
    product_map: dict[str, str] | None  # product (upper case) -> category, as the run applied it
    features: list[str]  # every feature of the run's feature table
    scaling: list[dict]  # features.Scaling of each clustering feature
    value_feature: str | None
    rule: Rule
    segment_of_raw: dict[int, int]  # raw label of the rule -> segment number
    segments: dict[int, str]  # segment number -> name
    centres: np.ndarray  # (segments, clustering features): each segment's mean in the distances' space
    distance_p99: float  # 99th percentile of the training customers' distance to the nearest centre
    ranges: dict[str, tuple[float, float]]  # feature -> training (min, max)
    shares: dict[int, float]  # segment -> share of the training customers
    n_training: int
    versions: dict[str, str]
    # The training inputs: role (customers, transactions, products) -> {"file": name, "sha256": digest}
    inputs: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    order_season: list[int] | None = None  # calendar months of the order lines' season habit ([] for none)
    mix: dict[str, float] = dataclasses.field(default_factory=dict)  # features.FeatureSet.mix

    def segment(self, raw: np.ndarray) -> np.ndarray:
        lookup = np.zeros(max(self.segment_of_raw) + 2, dtype=np.int64)
        for r, s in self.segment_of_raw.items():
            lookup[r] = s  # -1 (unassigned) lands on the last slot
        return lookup[raw]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(model: Model, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {f"rule_{k}": v for k, v in model.rule.arrays.items()} | {"centres": model.centres}
    files = {}
    for name, arr in sorted(arrays.items()):
        path = folder / f"{name}.npy"
        np.save(path, np.asarray(arr), allow_pickle=False)
        files[path.name] = sha256(path)
    body = {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.name not in ("rule", "centres")}
    body["rule"] = {"kind": model.rule.kind, "value_feature": model.rule.value_feature,
                    "arrays": sorted(model.rule.arrays)}
    path = folder / "model.json"
    # Keys in the order written: the config's order means something (spend columns are added in it,
    # to the bit; the last campaign is the latest), and sorted it was lost.
    path.write_text(json.dumps(body, indent=1, allow_nan=False, default=_plain) + "\n", encoding="utf-8")
    files[path.name] = sha256(path)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "segments_version": __version__,
                "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _plain(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON: {type(x).__name__}")


def load(folder: Path) -> Model:
    """The model in `folder`, after checking its format, version and every file's hash."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such model folder (a run writes it to exports/model/)")
    manifest = _json(folder / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{folder / 'manifest.json'}: not a segments model manifest")
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("segments_version") != __version__:
        raise UserError(f"{folder}: model written by segments {manifest.get('segments_version')} (format "
                        f"{manifest.get('format_version')}); this is segments {__version__} (format {FORMAT_VERSION}): "
                        "build the report again to make a model for this version")
    files = manifest.get("files")
    if not isinstance(files, dict) or "model.json" not in files:
        raise UserError(f"{folder / 'manifest.json'}: lists no model files")
    for name, digest in sorted(files.items()):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise UserError(f"{path}: listed in manifest.json but missing")
        if sha256(path) != digest:
            raise UserError(f"{path}: changed since the run wrote it (SHA-256 differs from manifest.json); "
                            "the model cannot be trusted")
    body = _json(folder / "model.json")
    try:
        rule_meta = body.pop("rule")
        arrays = {k: _array(folder / f"rule_{k}.npy") for k in rule_meta["arrays"]}
        return Model(
            **{**body, "segment_of_raw": {int(k): v for k, v in body["segment_of_raw"].items()},
               "segments": {int(k): v for k, v in body["segments"].items()},
               "shares": {int(k): v for k, v in body["shares"].items()},
               "ranges": {k: tuple(v) for k, v in body["ranges"].items()}},
            rule=Rule(rule_meta["kind"], arrays, rule_meta["value_feature"]), centres=_array(folder / "centres.npy"))
    except (KeyError, TypeError, AttributeError) as e:
        raise UserError(f"{folder / 'model.json'}: not a model of this format ({type(e).__name__}: {e})") from None


def _json(path: Path):
    if not path.is_file():
        raise UserError(f"{path}: missing (not a model folder?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None


def _array(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise UserError(f"{path}: not a plain numeric array ({e})") from None

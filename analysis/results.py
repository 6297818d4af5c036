"""The seam between analysis and rendering: one frozen object, and its JSON form."""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from .insight.baskets import BasketResults
from .insight.campaigns import CampaignResult, Targeting
from .ingest.cleaning import LogEntry
from .ingest.column_profile import ColumnProfile
from .segment.clustering import SegmentMap
from .segment.comparison import Comparison
from .segment.explain import Explanation
from .segment.features import FeatureDoc
from .segment.personas import VALUE_RATIO, OverrideMatch, Persona  # noqa: F401 (VALUE_RATIO: for pages)
from .segment.profiles import Profile
from .insight.response import ResponseModel
from .segment.selection import Candidate, Choice, MixEvidence


@dataclass(frozen=True)
class Evidence:
    """What the methodology page shows besides the comparison table."""

    gap: tuple[tuple[int, float, float], ...]  # (k, gap, sd) of k-means
    dendrogram: dict  # the Ward tree's last merges on the search sample
    silhouette: dict[int, list[float]]  # segment -> quantiles of its customers' silhouette values
    mix: MixEvidence | None
    valleys: dict[int, float] = dataclasses.field(default_factory=dict)  # segment -> border-to-centre density


@dataclass(frozen=True)
class Manifest:
    input_name: str
    input_sha256: str
    input_rows: int
    delimiter: str
    encoding: str
    config: dict
    seed: int
    versions: dict[str, str]
    # Every input file read: role (customers, transactions, products) -> {"file": name, "sha256": digest}
    inputs: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Thresholds:
    """The written rules' constants that the methodology page states (kept here so that publishing
    needs nothing but Results)."""
    index_notes: dict[str, tuple[str, str]]  # validity index -> (title, what it favours)
    valley_max: float  # a border at most this dense separates two segments
    relevance_rule: str  # how columns without segment structure are found
    unstable: float  # mean Jaccard below this: a segment that does not reliably come back
    border_share: float  # a segment borders one whose centre is the next-nearest of this share of its customers


def value_word(features) -> str:
    """What the segments' shares of value are shares of: revenue, or, from order lines without
    prices (units bought and no spend among the features), units bought."""
    return "units bought" if "total_units" in features and "total_spend" not in features else "revenue"


@dataclass(frozen=True)
class Results:
    title: str
    currency: str
    reference_date: date
    n_input: int
    n_segmented: int
    excluded_reasons: dict[str, int]
    cleaning: tuple[LogEntry, ...]
    features: tuple[FeatureDoc, ...]
    clustering_features: tuple[str, ...]
    model_selection: tuple[Candidate, ...]
    chosen: Choice
    evidence: Evidence
    segments: tuple[Profile, ...]
    map: SegmentMap
    campaigns: tuple[CampaignResult, ...]
    targeting: Targeting | None  # who to target next, when contact cost and revenue are known
    explanation: Explanation  # surrogate tree rules and distinguishing features
    personas: tuple[Persona, ...]  # one per segment, in segment order
    overrides: tuple[OverrideMatch, ...]
    comparison: Comparison | None  # against an earlier segmentation, when one is given
    baskets: BasketResults | None  # rules per segment, when order lines are given
    naming_rule: str
    action_rules: str
    thresholds: Thresholds
    min_segment_size: int
    manifest: Manifest
    response: ResponseModel | None = None  # who to contact, customer by customer, when answers and economics allow
    columns: tuple[ColumnProfile, ...] = ()  # a profile of every input column (the data-quality page)
    undated: bool = False  # neither the data nor the config gives a date: reference_date is the run's

    @property
    def value_word(self) -> str:
        return value_word({d.name for d in self.features})

    def to_dict(self) -> dict:
        return _plain({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _plain(x):
    """JSON-ready data; floats rounded to 6 significant digits so files compare byte for byte."""
    if dataclasses.is_dataclass(x):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x) or math.isinf(x):
            return None
        return float(f"{x:.6g}")
    if isinstance(x, date):
        return x.isoformat()
    return x

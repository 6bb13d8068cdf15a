"""The results a run hands on: `Prepared` (item vectors and user profiles, the expensive half) and
`Analysis` (everything every page, exporter and the CLI reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from core.data import Dataset
    from core.embed.profiles import UserProfiles
    from core.explain.insights import SegmentProfile
    from core.segment.types import KAdvice, Segmentation


@dataclass(frozen=True, eq=False)
class Prepared:
    """Embeddings and profiles: the expensive, K-independent half of an analysis."""

    dataset: Dataset
    item_ids: np.ndarray  # (n_items,) object
    item_vectors: np.ndarray  # (n_items, dim) float32, L2-normalised
    profiles: UserProfiles
    embedding_info: dict[str, Any]
    timings: dict[str, float]
    representation_state: dict[str, Any] = field(default_factory=dict)  # hybrid: weight + TF-IDF arrays


@dataclass(frozen=True, eq=False)
class Analysis:
    """One finished analysis: everything pages, exporters and the CLI read."""

    config: AnalysisConfig
    dataset: Dataset
    item_ids: np.ndarray  # (n_items,) object: row order of item_vectors
    item_vectors: np.ndarray  # (n_items, dim) float32, L2-normalised
    profiles: UserProfiles
    segmentation: Segmentation
    k_advice: KAdvice | None
    coords: np.ndarray  # (n_users, 2) float32, same row order as profiles.user_ids
    coords3d: np.ndarray | None  # (n_users, 3) float32 or None
    projection_info: dict[str, Any]  # method, sampled (bool), n_fit
    segments: list[SegmentProfile]  # one per segment id, in id order
    quality: dict[str, float]  # silhouette, davies_bouldin, calinski_harabasz; ari, nmi when labelled
    timings: dict[str, float]  # stage -> seconds
    embedding_info: dict[str, Any]  # model_id, backend, device, n_texts, n_unique, n_cached, n_truncated
    run_id: str  # short id for file names
    warnings: list[str] = field(default_factory=list)
    k_reason: str = ""  # one sentence: which K was used and why ("3 requested, 1 distinct profile")
    representation_state: dict[str, Any] = field(
        default_factory=dict
    )  # for the bundle (core/embed/hybrid.py)

    @property
    def segment_names(self) -> dict[int, str]:
        return {s.segment_id: s.name for s in self.segments}

    def members(self) -> Any:
        """One row per segmented user: user_id, segment_id, segment_name, confidence, x, y."""
        import pandas as pd

        names = self.segment_names
        labels = self.segmentation.labels
        return pd.DataFrame(
            {
                "user_id": self.profiles.user_ids,
                "segment_id": labels,
                "segment_name": [names.get(int(label), "") for label in labels],
                "confidence": np.round(self.segmentation.confidence, 4),
                "x": np.round(self.coords[:, 0], 4),
                "y": np.round(self.coords[:, 1], 4),
            }
        )

"""Composition of the stages: dataset -> embeddings -> profiles -> segments -> insights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from core.clustering import KAdvice, Segmentation
    from core.config import AnalysisConfig
    from core.data import Dataset
    from core.insights import SegmentProfile
    from core.profiles import UserProfiles


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

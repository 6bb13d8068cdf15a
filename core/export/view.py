"""`ExportView`: what may leave the machine, the analysis with every privacy guard applied.

Every writer (members CSV, Excel, HTML report, bundle) reads only this view, built once by
`core.export.writer.build_view`, so no writer can forget a guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.data import IngestReport
    from core.explain.insights import SegmentProfile
    from core.segment.types import KAdvice


@dataclass(frozen=True, eq=False)
class ExportView:
    """What may leave the machine: the analysis with every privacy guard applied."""

    run_id: str
    members: (
        pd.DataFrame
    )  # user_id, segment_id, segment_name, confidence, x, y[, rec_1..rec_n]; one row per user
    segments: list[SegmentProfile]  # kept segments in id order, then "Other" (id -1) when any merged
    recommendations: pd.DataFrame  # user_id, rank, item (empty when none were given)
    privacy: list[dict[str, str]]  # guard, on, detail
    settings: dict[str, Any]  # AnalysisConfig.to_dict()
    k_advice: KAdvice | None
    quality: dict[str, float]
    ingest: IngestReport
    evaluation: dict[str, Any] | None
    projection_info: dict[str, Any]
    embedding_info: dict[str, Any]
    warnings: list[str]
    centroids: np.ndarray  # (k, dim) float32, row i = original segment i
    centroid_segment_ids: np.ndarray  # (k,) int64: exported id of each centroid row (-1 = merged into Other)
    n_users: int
    n_segments: int  # segments before the size guard
    profiles: np.ndarray | None = None  # (n_users, dim) interest vectors, rows as members (for lookalikes)
    representation_state: dict[str, Any] = field(default_factory=dict)  # hybrid weight + TF-IDF arrays
    trends: pd.DataFrame | None = None  # the Trends sheet (core.activate.trends), guards applied

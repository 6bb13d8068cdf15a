"""The results of the segment stage: a `Segmentation` of users and the K advisor's `KAdvice`.

Kept apart from the algorithms so that every module of the stage (and every later stage) can name
them without importing the clustering code, and so that nothing imports in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The result of clustering n users into k segments."""

    method: str
    k: int
    seed: int
    labels: np.ndarray  # (n_users,) int64 in [0, k)
    centroids: np.ndarray  # (k, dim) float32, L2-normalised mean of members
    confidence: np.ndarray  # (n_users,) float64 in [0, 1]: how clearly a user belongs to its segment
    distance: np.ndarray  # (n_users,) float64: cosine distance to own centroid
    sizes: np.ndarray  # (k,) int64
    outlier_mask: np.ndarray | None = None  # (n_users,) bool: hdbscan noise before reassignment
    stability: np.ndarray | None = None  # (k,) float64 in [0, 1]: per-segment stability across re-runs
    tree: Any = None  # agglomerative: scipy linkage matrix (for a dendrogram)
    tree_users: np.ndarray | None = None  # (m,) int64: rows of the users the tree was built on
    outlier_share: float = 0.0  # share of users hdbscan called noise (0 for other methods)
    notes: tuple[str, ...] = field(default_factory=tuple)  # sampling and other honest caveats


@dataclass(frozen=True, eq=False)
class KAdvice:
    """Quality of each candidate K and the recommended one."""

    table: pd.DataFrame  # k, inertia, silhouette, davies_bouldin, calinski_harabasz, min_share, stability
    recommended_k: int
    reason: str  # one sentence a marketer can read
    silhouette_sample: int | None = None  # users sampled for the silhouette (None = all)
    reason_zh: str = ""  # the same sentence in Chinese ("" = only English known)
    rule: str = ""  # which branch of the K rule chose (core.segment.k_advisor), for re-wording
    settings: dict[str, Any] = field(default_factory=dict)  # k range, share floor, stability bar

    def text(self, lang: str = "en") -> str:
        """The reason in `lang` ("en" or "zh"), English when no Chinese is known."""
        return self.reason_zh if lang == "zh" and self.reason_zh else self.reason

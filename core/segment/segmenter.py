"""A scikit-learn estimator over `core.segment.clustering`, for code that wants fit/predict.

Kept apart from `core.segment.clustering` so that importing the registry (e.g. for CLI choices) stays light.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from core.segment.clustering import assign, segment_users


class UserSegmenter(ClusterMixin, BaseEstimator):
    """scikit-learn estimator over `segment_users`, for code that wants fit/predict.

    Learned state: `segmentation_` (the `Segmentation`), `labels_` (n,), `cluster_centers_` (k, dim).
    """

    def __init__(
        self, method: str = "kmeans", k: int | None = 5, seed: int = 42, stability_runs: int = 5
    ) -> None:
        self.method = method
        self.k = k
        self.seed = seed
        self.stability_runs = stability_runs

    def fit(self, X: np.ndarray, y: None = None) -> UserSegmenter:
        seg = segment_users(
            X, method=self.method, k=self.k, seed=self.seed, stability_runs=self.stability_runs
        )
        self.segmentation_ = seg
        self.labels_ = seg.labels
        self.cluster_centers_ = seg.centroids
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "segmentation_")
        return assign(X, self.segmentation_)[0]

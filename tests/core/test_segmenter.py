"""The scikit-learn estimator over segment_users: fit/predict contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from core.segment.segmenter import UserSegmenter


def two_personas() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.repeat(np.eye(2, 8), 50, axis=0) + 0.05 * rng.normal(size=(100, 8))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_fit_returns_self_and_predict_reproduces_the_labels():
    x = two_personas()
    model = UserSegmenter(k=2, stability_runs=0)
    assert model.fit(x) is model
    assert model.cluster_centers_.shape == (2, 8)
    np.testing.assert_array_equal(model.predict(x), model.labels_)
    assert len(set(model.labels_[:50])) == 1 and model.labels_[0] != model.labels_[-1]


def test_predict_before_fit_raises_and_clone_keeps_parameters_only():
    model = UserSegmenter(method="agglomerative", k=3, seed=1)
    with pytest.raises(NotFittedError):
        model.predict(two_personas())
    copy = clone(model.fit(two_personas()))
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "segmentation_")

"""Hybrid: a blend of segment, co-occurrence and content signals, tuned on a split of TRAIN only."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.recommend.base import Recommender
from core.recommend.metrics import relevant_items
from core.recommend.models import ContentRecommender, ItemKNNRecommender, SegmentPopularRecommender
from core.recommend.splits import random_split, temporal_split

if TYPE_CHECKING:
    from core.embed.profiles import UserProfiles
    from core.segment.types import Segmentation

COMPONENTS: dict[str, type[Recommender]] = {
    "segment_popular": SegmentPopularRecommender,
    "item_knn": ItemKNNRecommender,
    "content": ContentRecommender,
}


class HybridRecommender(Recommender):
    """score(u, i) = sum_c w_c z_c(u, i), z_c = component c's scores standardised per user.

    With `weights=None` the weights are chosen on a grid (step `grid_step`, summing to 1) by NDCG@10
    on a validation split carved from the training events (each user's last `val_size` events, or a
    seeded random hold-out without timestamps); the test period is never looked at.
    `component_options` passes settings to a component, e.g. {"segment_popular": {"lift": 0.1}}. `weights_`
    and `validation_` record the choice.
    """

    name = "hybrid"
    label = "Hybrid (tuned blend)"

    def __init__(
        self,
        *,
        components: Sequence[str] = ("segment_popular", "item_knn", "content"),
        weights: dict[str, float] | None = None,
        component_options: dict[str, dict[str, Any]] | None = None,
        val_size: int = 3,
        grid_step: float = 0.1,
        max_val_users: int = 1500,
        random_state: int = 42,
    ) -> None:
        self.components = components
        self.weights = weights
        self.component_options = component_options  # name -> keyword options of that component
        self.val_size = val_size
        self.grid_step = grid_step
        self.max_val_users = max_val_users
        self.random_state = random_state

    def fit(
        self,
        train_events: pd.DataFrame,
        *,
        item_ids: Sequence[str] | np.ndarray,
        item_vectors: np.ndarray | None = None,
        profiles: UserProfiles | None = None,
        segmentation: Segmentation | None = None,
        segment_labels: pd.Series | None = None,
        segment_names: Sequence[str] | None = None,
        item_texts: Sequence[str] | None = None,
    ) -> HybridRecommender:
        self._fit_kwargs: dict[str, Any] = dict(
            item_ids=item_ids,
            item_vectors=item_vectors,
            profiles=profiles,
            segmentation=segmentation,
            segment_labels=segment_labels,
            segment_names=segment_names,
            item_texts=item_texts,
        )
        super().fit(train_events, **self._fit_kwargs)
        return self

    def _names(self) -> list[str]:
        usable = [c for c in self.components if c != "content" or self.item_vectors_ is not None]
        return [c for c in usable if c in COMPONENTS]

    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        names = self._names()
        self.weights_ = dict(self.weights) if self.weights else self._tune(train_events, names)
        self.models_ = {
            c: COMPONENTS[c]().fit(train_events, **self._fit_kwargs)
            for c in names
            if self.weights_.get(c, 0) > 0
        }

    def _component(self, name: str) -> Recommender:
        return COMPONENTS[name](**(self.component_options or {}).get(name, {}))

    def _tune(self, train_events: pd.DataFrame, names: list[str]) -> dict[str, float]:
        """Grid-search the blend on (train minus each user's last val_size events) -> those events."""
        has_time = "timestamp" in train_events and train_events["timestamp"].notna().all()
        val = (
            temporal_split(train_events, test_size=self.val_size)
            if has_time
            else random_split(train_events, test_size=self.val_size, seed=self.random_state)
        )
        users = np.array(sorted(val.test["user_id"].astype(str).unique()), dtype=object)
        if len(users) > self.max_val_users:
            rng = np.random.default_rng(self.random_state)
            users = np.sort(rng.choice(users, self.max_val_users, replace=False))
        relevant = relevant_items(val.test, val.train, list(users))
        # profiles summarise the full training period, so validation uses item-mean vectors instead
        kwargs = {**self._fit_kwargs, "profiles": None, "segmentation": None}
        if self._fit_kwargs["segmentation"] is not None and kwargs["segment_labels"] is None:
            from core.recommend.base import segment_labels_of

            kwargs["segment_labels"] = segment_labels_of(
                self._fit_kwargs["profiles"], self._fit_kwargs["segmentation"]
            )
        parts = {}
        for c in names:
            model = self._component(c).fit(val.train, **kwargs)
            rows = pd.Index(model.interactions_.user_ids).get_indexer(users)
            parts[c] = _standardise(model, rows)
        # Seen items get a score no blend can lift (weights are >= 0 and sum to 1), so the mask is
        # applied once; each grid point is then a weighted sum, a top-10 and a vectorised NDCG@10.
        floor = -1e6
        warm = rows >= 0
        mask_rows, mask_cols = model.interactions_.seen[rows[warm]].nonzero()
        mask_rows = np.flatnonzero(warm)[mask_rows]
        for c in names:
            parts[c][mask_rows, mask_cols] = floor
        index = pd.Index(model.item_ids_)
        gain = _relevance_matrix(relevant, index)
        grid = np.round(np.arange(0.0, 1.0 + 1e-9, self.grid_step), 6)
        best, best_w = -1.0, {names[0]: 1.0}
        blend = np.empty_like(parts[names[0]])
        for combo in itertools.product(grid, repeat=len(names)):
            if abs(sum(combo) - 1.0) > 1e-6:
                continue
            np.multiply(parts[names[0]], np.float32(combo[0]), out=blend)
            for w, c in zip(combo[1:], names[1:], strict=True):
                if w:
                    blend += np.float32(w) * parts[c]
            score = _ndcg_at(blend, gain, 10)
            if score > best + 1e-12:
                best, best_w = score, dict(zip(names, map(float, combo), strict=True))
        self.validation_ = {"ndcg@10": best, "n_users": len(users), "val_size": self.val_size}
        return best_w

    def _score(self, rows: np.ndarray) -> np.ndarray:
        total = np.zeros((len(rows), len(self.item_ids_)))
        for c, model in self.models_.items():
            total += self.weights_[c] * _standardise(model, rows)
        return total

    def _cold_scores(self) -> np.ndarray:
        return (
            self.models_["segment_popular"]._cold_scores()
            if "segment_popular" in self.models_
            else super()._cold_scores()
        )

    def _reason(self, row: int, item: int) -> str:
        """The reason of the component that contributes most to this item's blended score."""
        cached = getattr(self, "_row_parts", None)
        if cached is None or cached[0] != row:
            parts = {
                c: self.weights_[c] * _standardise(m, np.array([row]))[0] for c, m in self.models_.items()
            }
            self._row_parts = cached = (row, parts)
        best = max(cached[1], key=lambda c: float(cached[1][c][item]))
        return self.models_[best]._reason(row, item)


def _standardise(model: Recommender, rows: np.ndarray) -> np.ndarray:
    """(len(rows), n_items) float32: the model's scores, z-scored per user (rows < 0 = cold)."""
    scores = np.empty((len(rows), len(model.item_ids_)), dtype=np.float64)
    warm = rows >= 0
    scores[~warm] = model._cold_scores()
    if warm.any():
        scores[warm] = model._score(rows[warm])
    scores -= scores.mean(axis=1, keepdims=True)
    scores /= np.maximum(scores.std(axis=1, keepdims=True), 1e-12)
    return scores.astype(np.float32)


def _relevance_matrix(relevant: list[set[str]], index: pd.Index) -> Any:
    """(n_users, n_items) sparse 0/1: the held-out items of each user (items outside the catalogue dropped)."""
    from scipy import sparse

    rows = np.repeat(np.arange(len(relevant)), [len(r) for r in relevant])
    cols = index.get_indexer([item for r in relevant for item in r]) if len(rows) else np.zeros(0, int)
    keep = cols >= 0
    data = np.ones(int(keep.sum()))
    return sparse.csr_matrix((data, (rows[keep], cols[keep])), shape=(len(relevant), len(index)))


def _ndcg_at(scores: np.ndarray, gain: Any, k: int) -> float:
    """Mean NDCG@k over users with at least one relevant item (as ranking_metrics computes it)."""
    n_rel = np.diff(gain.indptr)
    users = np.flatnonzero(n_rel > 0)
    if not len(users):
        return float("nan")
    k = min(k, scores.shape[1])
    block = scores[users]
    top = np.argpartition(-block, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(block, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    coo = gain.tocoo()
    wanted = coo.row.astype(np.int64) * scores.shape[1] + coo.col
    hits = np.isin(users[:, None].astype(np.int64) * scores.shape[1] + top, wanted)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel[users], k) - 1]
    return float(np.mean((hits * discounts).sum(axis=1) / ideal))

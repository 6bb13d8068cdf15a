"""Popularity, item-kNN, segment-popular and content recommenders (full ranking by matrix products)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from core.errors import ConfigError
from core.notes import Note
from core.recommend.base import Recommender, build_interactions

if TYPE_CHECKING:
    from core.embed.profiles import UserProfiles


class PopularRecommender(Recommender):
    """Baseline: the items most users touched in training, the same list for everyone."""

    name = "popular"
    label = "Global popularity"

    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        pass

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.global_popularity_.astype(np.float64), (len(rows), 1))


class ItemKNNRecommender(Recommender):
    """Baseline: score(u, i) = sum over the user's items j of cosine(i, j) on the user x item matrix.

    Computed as (R_u Xn^T) Xn with Xn the column-normalised (optionally log-weighted) matrix, so the
    item x item similarity matrix is never materialised.
    """

    name = "item_knn"
    label = "Item-kNN (co-occurrence)"

    def __init__(self, *, shrink: float = 0.0, alpha: float = 0.5) -> None:
        self.shrink = shrink
        self.alpha = alpha  # asymmetric-cosine exponent on the popularity of the candidate item

    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        x = self.interactions_.seen.tocsc().astype(np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
        # asymmetric cosine: |i|^alpha |j|^(1-alpha); alpha = 0.5 is plain cosine
        left = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12) ** (2 * (1 - self.alpha)), 0.0)
        right = np.where(norms > 0, 1.0 / (np.maximum(norms, 1e-12) ** (2 * self.alpha) + self.shrink), 0.0)
        self.left_ = (x @ sparse.diags(left)).T.tocsr()  # (n_items, n_users)
        self.right_ = (x @ sparse.diags(right)).tocsr()  # (n_users, n_items)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        r = self.interactions_.seen[rows]
        return np.asarray(((r @ self.left_) @ self.right_).todense())

    def _reason(self, row: int, item: int) -> str:
        similar = self._similar_seen_item(row, item)
        if similar:
            return Note(f"often chosen with {similar}", f"常与“{similar}”一起被选择")
        return Note("popular overall", "整体热门")


class SegmentPopularRecommender(Recommender):
    """Items most engaged with by the user's segment, recency-decayed and lift-aware.

    With c_k(i) the decayed engagement of segment k's members with item i (each user's row divided
    by its total ** `user_norm`: 1 = every user counts the same, 0 = heavy buyers count more) and
    p(i) the global share,
        p_k(i) = (c_k(i) + m p(i)) / (C_k + m)            (shrunk towards global; m = `shrinkage`)
        score  = (1 + lift) log p_k(i) - lift log p(i)     (lift = 0: segment popularity; 1: pure lift)
    Users without a segment (or cold users) get global popularity. The defaults are the values that
    won on train-period validation splits of ml-latest-small and Online Retail (bench/recsys_bench.py).
    """

    name = "segment_popular"
    label = "Segment popularity"

    def __init__(
        self,
        *,
        lift: float = 0.0,
        half_life_days: float | None = None,
        shrinkage: float = 5.0,
        user_norm: float = 0.0,
    ) -> None:
        self.lift = lift
        self.half_life_days = half_life_days
        self.shrinkage = shrinkage
        self.user_norm = user_norm

    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        decayed = build_interactions(train_events, self.item_ids_, half_life_days=self.half_life_days).weights
        if self.user_norm:
            totals = np.asarray(decayed.sum(axis=1)).ravel()
            scale = np.where(totals > 0, np.maximum(totals, 1e-300) ** -self.user_norm, 0.0)
            decayed = sparse.diags(scale) @ decayed
        labels = self.segment_of_user_
        k = max(int(labels.max()) + 1, 1) if len(labels) else 1
        member = labels >= 0
        onehot = sparse.csr_matrix(
            (np.ones(member.sum()), (labels[member], np.flatnonzero(member))), shape=(k, len(labels))
        )
        counts = np.asarray((onehot @ decayed).todense())  # (k, n_items)
        glob = np.asarray(decayed.sum(axis=0)).ravel()
        p_global = (glob + 1e-9) / (glob.sum() + 1e-9 * len(glob))
        m = self.shrinkage
        p_seg = (counts + m * p_global) / (counts.sum(axis=1, keepdims=True) + m)
        self.segment_scores_ = (1 + self.lift) * np.log(p_seg) - self.lift * np.log(p_global)  # (k, n_items)
        self.global_scores_ = np.log(p_global)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        seg = self.segment_of_user_[rows]
        out = np.tile(self.global_scores_, (len(rows), 1))
        has = seg >= 0
        out[has] = self.segment_scores_[seg[has]]
        return out

    def _cold_scores(self) -> np.ndarray:
        return self.global_scores_

    def _reason(self, row: int, item: int) -> str:
        name = self._segment_name(row)
        return (
            Note(f"popular with {name}", f"在“{name}”中热门") if name else Note("popular overall", "整体热门")
        )


class ContentRecommender(Recommender):
    """The seed's content model: score(u, i) = <interest vector of u, embedding of i>.

    The interest vector is the user's profile when given, else the weighted mean of the vectors
    of the items the user touched in training (r_ik = sum_j w_ij s_j in the article's notation).
    """

    name = "content"
    label = "Content similarity"

    def __init__(self, *, half_life_days: float | None = None) -> None:
        self.half_life_days = half_life_days

    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        if self.item_vectors_ is None:
            raise ConfigError("The content recommender needs item vectors.", "内容推荐需要物品向量。")
        self.user_vectors_ = user_vectors(
            self, train_events, profiles=profiles, half_life_days=self.half_life_days
        )

    def _score(self, rows: np.ndarray) -> np.ndarray:
        assert self.item_vectors_ is not None
        return (self.user_vectors_[rows] @ self.item_vectors_.T).astype(np.float64)

    def _reason(self, row: int, item: int) -> str:
        similar = self._similar_seen_item(row, item)
        if similar:
            return Note(f"similar to {similar}", f"与“{similar}”相似")
        return Note("matches your interests", "符合你的兴趣")


def user_vectors(
    model: Recommender,
    train_events: pd.DataFrame,
    *,
    profiles: UserProfiles | None,
    half_life_days: float | None,
) -> np.ndarray:
    """(n_train_users, dim) float32 L2-normalised: the profile where given, else a weighted item mean."""
    assert model.item_vectors_ is not None
    weights = build_interactions(train_events, model.item_ids_, half_life_days=half_life_days).weights
    vectors = np.asarray(weights @ model.item_vectors_, dtype=np.float32)
    if profiles is not None:
        rows = pd.Index(profiles.user_ids.astype(str)).get_indexer(model.interactions_.user_ids)
        have = rows >= 0
        vectors[have] = profiles.vectors[rows[have]]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)

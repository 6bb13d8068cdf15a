"""The shared recommender interface: interaction matrix, full-ranking `recommend`, reasons."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from core.config import DEFAULT_EVENT_WEIGHTS
from core.errors import ConfigError
from core.notes import Note

if TYPE_CHECKING:
    from core.embed.profiles import UserProfiles
    from core.segment.types import Segmentation

BATCH_USERS = 512


@dataclass(frozen=True, eq=False)
class Interactions:
    """Training events as a user x item matrix over the whole catalogue."""

    user_ids: np.ndarray  # (n_users,) object, sorted user ids with at least one event
    item_ids: np.ndarray  # (n_items,) object, the catalogue (row order of item_vectors)
    weights: sparse.csr_matrix  # (n_users, n_items) float64: sum of event weight x recency decay
    seen: sparse.csr_matrix  # (n_users, n_items) float64 in {0, 1}


MEMO_SIZE = 8  # recent build_interactions results kept (an evaluation refits ~20 models on 2 frames)
_memo: OrderedDict[tuple, tuple[weakref.ref, Interactions]] = OrderedDict()


def build_interactions(
    events: pd.DataFrame,
    item_ids: Sequence[str] | np.ndarray,
    *,
    weights: Mapping[str, float] | None = None,
    half_life_days: float | None = None,
    use_ratings: bool = True,
    reference_time: pd.Timestamp | None = None,
) -> Interactions:
    """Sum each user's weighted, recency-decayed events per catalogue item (unknown items dropped).

    weight(event) = weights[event_type] x (rating / max rating, if ratings are used) x
    0.5 ** (age_days / half_life_days), age measured from `reference_time` (default: last event).

    Events frames are treated as read-only: the result is memoised per frame object (a weak
    reference, so a frame that is gone is never matched) and arguments, because an evaluation fits
    every recommender and segmentation on the same training frame.
    """
    item_ids = np.asarray(item_ids, dtype=object)
    key = (
        id(events),
        len(events),
        len(item_ids),
        hash(tuple(item_ids.tolist())),
        tuple(sorted((weights or {}).items())),
        half_life_days,
        use_ratings,
        reference_time,
    )
    hit = _memo.get(key)
    if hit is not None and hit[0]() is events:
        _memo.move_to_end(key)
        return hit[1]
    result = _build_interactions(events, item_ids, weights, half_life_days, use_ratings, reference_time)
    try:
        _memo[key] = (weakref.ref(events), result)
    except TypeError:  # an object that cannot be weakly referenced is simply not memoised
        return result
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return result


def _build_interactions(
    events: pd.DataFrame,
    item_ids: np.ndarray,
    weights: Mapping[str, float] | None,
    half_life_days: float | None,
    use_ratings: bool,
    reference_time: pd.Timestamp | None,
) -> Interactions:
    # Codes first: the catalogue lookups run over the distinct ids, not every event.
    item_codes, item_values = pd.factorize(events["item_id"].astype(str))
    cols = np.append(pd.Index(item_ids).get_indexer(item_values), -1)[item_codes]
    keep = np.flatnonzero(cols >= 0)
    cols = cols[keep]
    table = {**DEFAULT_EVENT_WEIGHTS, **(weights or {})}
    type_codes, type_values = pd.factorize(events["event_type"])
    per_type = pd.Series(type_values).map(table).fillna(1.0).to_numpy(dtype=np.float64)
    w = np.append(per_type, 1.0)[type_codes[keep]]  # a missing type weighs 1, like an unknown one
    rating = (
        events["rating"].to_numpy(dtype=np.float64, na_value=np.nan)[keep]
        if use_ratings and "rating" in events
        else None
    )
    if rating is not None and not np.isnan(rating).all():
        top = np.nanmax(rating)
        w = w * np.where(np.isnan(rating), 1.0, np.clip(rating / top, 0.05, 1.0) if top > 0 else 1.0)
    if half_life_days and "timestamp" in events and events["timestamp"].notna().any():
        ts = pd.to_datetime(events["timestamp"]).iloc[keep]
        ref = reference_time if reference_time is not None else ts.max()
        age = ((ref - ts).dt.total_seconds() / 86400.0).fillna(0.0).clip(lower=0.0).to_numpy()
        w = w * 0.5 ** (age / float(half_life_days))
    rows, users = pd.factorize(events["user_id"].astype(str).iloc[keep], sort=True)
    user_ids = np.asarray(users, dtype=object)
    shape = (len(user_ids), len(item_ids))
    matrix = sparse.csr_matrix((w, (rows, cols)), shape=shape)
    seen = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    seen.data[:] = 1.0
    return Interactions(user_ids, item_ids, matrix, seen)


@dataclass(frozen=True, eq=False)
class Recommendations:
    """Top-n items per requested user, best first."""

    user_ids: np.ndarray  # (n_users,) object, as requested
    item_ids: np.ndarray  # (n_users, n) object; "" pads users with fewer than n candidates
    scores: np.ndarray  # (n_users, n) float64; -inf pads
    reasons: list[list[str]]  # per user, one short sentence per item ([] when reasons were not asked for)
    cold: np.ndarray  # (n_users,) bool: no training history, served segment/global popularity

    @property
    def n_cold(self) -> int:
        return int(self.cold.sum())

    def to_frame(self) -> pd.DataFrame:
        """Long table: user_id, rank (1-based), item_id, score, reason, cold."""
        n = self.item_ids.shape[1] if self.item_ids.ndim == 2 else 0
        frame = pd.DataFrame(
            {
                "user_id": np.repeat(self.user_ids, n),
                "rank": np.tile(np.arange(1, n + 1), len(self.user_ids)),
                "item_id": self.item_ids.ravel(),
                "score": self.scores.ravel(),
                "reason": pd.Series(
                    [r for rs in self.reasons for r in rs]
                    if self.reasons
                    else [""] * (n * len(self.user_ids)),
                    dtype=object,  # keeps each reason's Chinese (core.notes.Note); a str column drops it
                ),
                "cold": np.repeat(self.cold, n),
            }
        )
        return frame[frame["item_id"] != ""].reset_index(drop=True)


def segment_labels_of(profiles: UserProfiles | None, segmentation: Segmentation | None) -> pd.Series | None:
    """user_id -> segment id, from a segmentation whose labels follow `profiles.user_ids`."""
    if segmentation is None:
        return None
    if profiles is None or len(profiles.user_ids) != len(segmentation.labels):
        raise ConfigError(
            "A segmentation needs the profiles it was computed from (same users, same order).",
            "分群结果需要与其对应的用户画像(相同用户、相同顺序)一起提供。",
        )
    return pd.Series(np.asarray(segmentation.labels, dtype=np.int64), index=profiles.user_ids.astype(str))


class Recommender:
    """Base: subclasses set `name` and implement `_fit` and `_score`; `recommend` ranks everything.

    Parameters live in `__init__` (sklearn contract); learned state ends in `_`; `fit` returns self.
    """

    name: ClassVar[str] = "base"
    label: ClassVar[str] = ""

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
    ) -> Recommender:
        """Learn from `train_events` (canonical events). item_vectors: (n_items, dim) float32, L2-normalised,
        rows follow `item_ids`. `segment_labels` (user_id -> segment id) may replace profiles + segmentation.
        """
        self.item_ids_ = np.asarray(item_ids, dtype=object).astype(str).astype(object)
        if item_vectors is not None and len(item_vectors) != len(self.item_ids_):
            raise ConfigError(
                f"item_vectors has {len(item_vectors)} rows for {len(self.item_ids_)} items.",
                f"物品向量有 {len(item_vectors)} 行,但物品有 {len(self.item_ids_)} 个。",
            )
        self.item_vectors_ = None if item_vectors is None else np.asarray(item_vectors, dtype=np.float32)
        self.item_texts_ = list(item_texts) if item_texts is not None else [str(i) for i in self.item_ids_]
        self.interactions_ = build_interactions(train_events, self.item_ids_)
        labels = segment_labels if segment_labels is not None else segment_labels_of(profiles, segmentation)
        self.segment_of_user_ = (
            labels.reindex(self.interactions_.user_ids).fillna(-1).to_numpy(dtype=np.int64)
            if labels is not None
            else np.full(len(self.interactions_.user_ids), -1, dtype=np.int64)
        )
        n_seg = int(self.segment_of_user_.max()) + 1 if len(self.segment_of_user_) else 0
        self.segment_names_ = (
            list(segment_names) if segment_names else [f"segment {k + 1}" for k in range(n_seg)]
        )
        counts = np.asarray(self.interactions_.seen.sum(axis=0)).ravel()
        self.global_popularity_ = counts  # (n_items,) distinct users per item
        self._fit(train_events, profiles=profiles)
        return self

    # -- subclass hooks -------------------------------------------------------------------------
    def _fit(self, train_events: pd.DataFrame, *, profiles: UserProfiles | None) -> None:
        raise NotImplementedError

    def _score(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_items) scores for training-user row indices; higher is better."""
        raise NotImplementedError

    def _reason(self, row: int, item: int) -> str:
        return Note("popular overall", "整体热门")

    def _cold_scores(self) -> np.ndarray:
        """(n_items,) scores for users without history: global popularity."""
        return self.global_popularity_.astype(np.float64)

    # -- shared helpers -------------------------------------------------------------------------
    def _similar_seen_item(self, row: int, item: int) -> str:
        """Text of the user's training item most similar to `item` (by embedding, else co-occurrence)."""
        seen = self.interactions_.seen.indices[
            self.interactions_.seen.indptr[row] : self.interactions_.seen.indptr[row + 1]
        ]
        if len(seen) == 0:
            return ""
        if self.item_vectors_ is not None:
            best = seen[int(np.argmax(self.item_vectors_[seen] @ self.item_vectors_[item]))]
        else:
            col = self.interactions_.seen[:, item]
            co = np.asarray((self.interactions_.seen[:, seen].T @ col).todense()).ravel()
            best = seen[int(np.argmax(co))]
        return _short(self.item_texts_[best])

    def _segment_name(self, row: int) -> str:
        k = int(self.segment_of_user_[row]) if row >= 0 else -1
        return self.segment_names_[k] if 0 <= k < len(self.segment_names_) else ""

    # -- public ---------------------------------------------------------------------------------
    def recommend(
        self,
        user_ids: Sequence[str] | np.ndarray,
        n: int = 10,
        exclude_seen: bool = True,
        *,
        with_reasons: bool = True,
    ) -> Recommendations:
        """Rank the whole catalogue for each user (batched matrix products); return the top `n`.

        Items the user touched in training are masked out when `exclude_seen`. Users unknown to
        training are cold: they get global popularity (their segment's, where a subclass knows it).
        """
        if not hasattr(self, "interactions_"):
            raise ConfigError("Call fit() before recommend().", "请先调用 fit() 再调用 recommend()。")
        users = np.asarray(user_ids, dtype=object).astype(str).astype(object)
        rows = pd.Index(self.interactions_.user_ids).get_indexer(users)
        n = min(int(n), len(self.item_ids_))
        out_items = np.full((len(users), n), "", dtype=object)
        out_scores = np.full((len(users), n), -np.inf)
        cold_scores = self._cold_scores()
        for start in range(0, len(users), BATCH_USERS):
            batch = rows[start : start + BATCH_USERS]
            scores = np.empty((len(batch), len(self.item_ids_)))
            warm = batch >= 0
            scores[~warm] = cold_scores
            if warm.any():
                scores[warm] = self._score(batch[warm])
                if exclude_seen:
                    seen = self.interactions_.seen[batch[warm]]
                    block = scores[warm]
                    block[seen.nonzero()] = -np.inf
                    scores[warm] = block
            top = np.argpartition(-scores, n - 1, axis=1)[:, :n] if n else np.zeros((len(batch), 0), int)
            top_scores = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            top_scores = np.take_along_axis(top_scores, order, axis=1)
            valid = np.isfinite(top_scores)
            out_items[start : start + len(batch)] = np.where(valid, self.item_ids_[top], "")
            out_scores[start : start + len(batch)] = np.where(valid, top_scores, -np.inf)
        reasons: list[list[str]] = []
        if with_reasons:
            index = pd.Index(self.item_ids_)
            for u, row in enumerate(rows):
                cols = index.get_indexer(out_items[u][out_items[u] != ""])
                reasons.append(
                    [
                        self._reason(int(row), int(c)) if row >= 0 else Note("popular overall", "整体热门")
                        for c in cols
                    ]
                )
        return Recommendations(users, out_items, out_scores, reasons, rows < 0)


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

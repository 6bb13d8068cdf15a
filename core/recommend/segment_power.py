"""Predictive power of a segmentation: how well `segment_popular` on it predicts future interactions.

A segmentation is a `pd.Series` user_id -> segment id (int >= 0). Builders for the comparisons:
`rfm_segments` (the classic marketer RFM + KMeans), `random_segments` (same sizes, shuffled) and
`single_segment` (everyone together = global popularity). Ours and TF-IDF come from profiles +
`core.segment.clustering.segment_users` (see `core.recommend.evaluation.evaluate_dataset`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.recommend.metrics import ranking_metrics, relevant_items
from core.recommend.models import SegmentPopularRecommender
from core.recommend.splits import Split


def rfm_segments(train_events: pd.DataFrame, *, k: int, seed: int = 42) -> pd.Series:
    """KMeans(k) on standardised log recency / frequency / monetary value per user.

    recency = days from the user's last event to the last event overall; frequency = distinct
    timestamps (orders) or events; monetary = sum of quantity x price (events when absent).
    """
    from sklearn.cluster import KMeans

    ev = train_events
    by_user = ev.groupby("user_id", sort=True)
    has_time = "timestamp" in ev and ev["timestamp"].notna().any()
    if has_time:
        last = by_user["timestamp"].max()
        recency = (ev["timestamp"].max() - last).dt.total_seconds().fillna(0).to_numpy() / 86400.0
        frequency = by_user["timestamp"].nunique().to_numpy(dtype=np.float64)
    else:
        recency = np.zeros(by_user.ngroups)
        frequency = by_user.size().to_numpy(dtype=np.float64)
    if {"quantity", "price"} <= set(ev.columns) and (ev["quantity"] * ev["price"]).notna().any():
        money = (ev["quantity"].fillna(1.0) * ev["price"].fillna(0.0)).clip(lower=0)
        monetary = money.groupby(ev["user_id"]).sum().sort_index().to_numpy()
    else:
        monetary = by_user.size().to_numpy(dtype=np.float64)
    features = np.log1p(np.column_stack([recency, frequency, monetary]).clip(min=0))
    features = (features - features.mean(axis=0)) / np.maximum(features.std(axis=0), 1e-12)
    k = max(1, min(int(k), len(np.unique(features.round(9), axis=0))))  # never more than distinct users
    labels = KMeans(n_clusters=k, random_state=seed, n_init=4).fit_predict(features)
    return pd.Series(labels.astype(np.int64), index=np.asarray(by_user.size().index, dtype=object))


def random_segments(labels: pd.Series, *, seed: int = 42) -> pd.Series:
    """The same segment sizes with users shuffled between them (seeded)."""
    rng = np.random.default_rng(seed)
    return pd.Series(rng.permutation(labels.to_numpy()), index=labels.index)


def single_segment(user_ids: Sequence[str] | np.ndarray) -> pd.Series:
    """Everyone in one segment: segment_popular becomes global popularity."""
    return pd.Series(np.zeros(len(user_ids), dtype=np.int64), index=np.asarray(user_ids, dtype=object))


def segment_power(
    split: Split,
    segmentations: Mapping[str, pd.Series],
    *,
    item_ids: Sequence[str] | np.ndarray,
    top_k: int = 10,
    segment_options: Mapping[str, Any] | None = None,
    eval_users: tuple[Sequence[str], Sequence[set[str]]] | None = None,
) -> dict[str, dict[str, float]]:
    """name -> {"hr@K", "ndcg@K", "n_segments", "n_users"}: segment_popular fitted on `split.train`
    with each segmentation (and `segment_options`: lift, half_life_days, ...), ranked over the full
    catalogue for every test user (train items masked). `eval_users` (users, their relevant sets)
    replaces "every test user with an unseen test item" (the evaluation passes its, maybe sampled, users).
    """
    if eval_users is None:
        users = sorted(set(split.test["user_id"].astype(str)))
        relevant = relevant_items(split.test, split.train, users)
        keep = [u for u, r in zip(users, relevant, strict=True) if r]
        relevant = [r for r in relevant if r]
    else:
        keep, relevant = list(eval_users[0]), list(eval_users[1])
    out: dict[str, dict[str, float]] = {}
    for name, labels in segmentations.items():
        model = SegmentPopularRecommender(**(segment_options or {}))
        model.fit(split.train, item_ids=item_ids, segment_labels=labels)
        recs = model.recommend(keep, top_k, with_reasons=False)
        scores = ranking_metrics(recs.item_ids, relevant, k=top_k)
        out[name] = {
            f"hr@{top_k}": scores[f"hr@{top_k}"],
            f"ndcg@{top_k}": scores[f"ndcg@{top_k}"],
            "n_segments": float(labels.nunique()),
            "n_users": scores["n_users"],
        }
    return out

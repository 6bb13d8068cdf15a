"""Recommenders with one interface: `fit(train_events, *, item_ids, item_vectors, ...)` -> self,
`recommend(user_ids, n=10, exclude_seen=True)` -> `Recommendations`.

`RECOMMENDERS` maps each name (also shown in the UI) to its class; instantiate with defaults.
"""

from __future__ import annotations

from core.recommenders.base import Interactions, Recommendations, Recommender, build_interactions
from core.recommenders.hybrid import HybridRecommender
from core.recommenders.logistic import LogisticRecommender
from core.recommenders.models import (
    ContentRecommender,
    ItemKNNRecommender,
    PopularRecommender,
    SegmentPopularRecommender,
)

RECOMMENDERS: dict[str, type[Recommender]] = {
    "popular": PopularRecommender,
    "item_knn": ItemKNNRecommender,
    "segment_popular": SegmentPopularRecommender,
    "content": ContentRecommender,
    "logistic": LogisticRecommender,
    "hybrid": HybridRecommender,
}

__all__ = [
    "RECOMMENDERS",
    "ContentRecommender",
    "HybridRecommender",
    "Interactions",
    "ItemKNNRecommender",
    "LogisticRecommender",
    "PopularRecommender",
    "Recommendations",
    "Recommender",
    "SegmentPopularRecommender",
    "build_interactions",
]

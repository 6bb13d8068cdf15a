"""Recommenders with one interface: `fit(train_events, *, item_ids, item_vectors, ...)` -> self,
`recommend(user_ids, n=10, exclude_seen=True)` -> `Recommendations`.

`RECOMMENDERS` maps each name (also shown in the UI) to its class; instantiate with defaults.
"""

from __future__ import annotations

from core.recommend.base import Recommender
from core.recommend.hybrid import HybridRecommender
from core.recommend.logistic import LogisticRecommender
from core.recommend.models import (
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

"""Segment-aware recommendations: the public entry point (implementations live in core/recommenders/)."""

from __future__ import annotations

from core.recommenders import (
    RECOMMENDERS,
    ContentRecommender,
    HybridRecommender,
    ItemKNNRecommender,
    LogisticRecommender,
    PopularRecommender,
    Recommendations,
    Recommender,
    SegmentPopularRecommender,
)

__all__ = [
    "RECOMMENDERS",
    "ContentRecommender",
    "HybridRecommender",
    "ItemKNNRecommender",
    "LogisticRecommender",
    "PopularRecommender",
    "Recommendations",
    "Recommender",
    "SegmentPopularRecommender",
]

"""What each segment is about: keywords, sentiment, top items with lift, composition, names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class SegmentProfile:
    """Everything a marketer reads about one segment."""

    segment_id: int
    name: str
    size: int  # distinct users
    share: float  # of all segmented users
    keywords: list[tuple[str, float]]  # (term, score), best first
    sentiment: dict[str, float]  # positive, neutral, negative (shares), mean_score, n_texts
    mean_rating: float | None
    top_items: list[dict[str, Any]]  # item_id, text, users, share, lift; best first
    composition: dict[str, list[tuple[str, float]]]  # attribute -> [(value, share)] for the top values
    revenue: dict[str, float] | None  # revenue, orders, revenue_per_user, avg_order_value (when price/qty)
    representative_users: list[str]  # closest members to the centroid
    stability: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

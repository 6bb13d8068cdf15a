"""User interest profiles: a weighted, recency-decayed mean of the vectors of what each user touched."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class UserProfiles:
    """One L2-normalised interest vector per user who has at least one usable event."""

    user_ids: np.ndarray  # (n_users,) object: exact user id strings, sorted
    vectors: np.ndarray  # (n_users, dim) float32, L2-normalised
    event_counts: np.ndarray  # (n_users,) int64: events that contributed
    top_items: list[list[str]]  # per user, up to 5 item_ids that contribute most ("why" items)
    skipped_users: dict[str, str] = field(default_factory=dict)  # user_id -> reason (no usable events)

    def __len__(self) -> int:
        return len(self.user_ids)

"""Tiny hand-built events for the recommender/evaluation tests (two taste groups, 8 items)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ITEMS = np.array([f"i{j}" for j in range(8)], dtype=object)


def toy_events(n_users: int = 12, per_user: int = 4, seed: int = 0) -> pd.DataFrame:
    """Users u0..: even users like items i0-i3, odd users i4-i7; one event per day."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        pool = ITEMS[:4] if u % 2 == 0 else ITEMS[4:]
        for t, item in enumerate(rng.permutation(pool)[:per_user]):
            rows.append((f"u{u}", item, "purchase", pd.Timestamp("2024-01-01") + pd.Timedelta(days=t + u)))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "timestamp"])
    for col in ("rating", "quantity", "price"):
        events[col] = np.nan
    events["review"] = ""
    return events


def toy_vectors(dim: int = 6, seed: int = 0) -> np.ndarray:
    """(8, dim) float32 unit vectors: items 0-3 near one direction, 4-7 near another."""
    rng = np.random.default_rng(seed)
    base = np.zeros((8, dim))
    base[:4, 0] = 1.0
    base[4:, 1] = 1.0
    v = base + 0.2 * rng.normal(size=base.shape)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

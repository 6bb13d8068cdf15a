"""User interest profiles: a weighted, recency-decayed mean of the vectors of what each user touched.

Weight of one event (user u, item i):

    w = type_weight[event_type] * rating_factor(rating) * 0.5 ** (age_days / half_life_days)

- type_weight: `weights` over core.config.DEFAULT_EVENT_WEIGHTS (view 1, click 1, favorite 2, cart 2,
  purchase 3, rating 2, review 3); an unknown event type weighs 1; a weight of 0 drops the type.
- rating_factor (when `use_ratings` and the event has a rating): the rating mapped linearly onto
  [-1, 1] over its scale, `(r - mid) / half_range`, clipped. The scale is 1-5 when every rating is
  <= 5 (so 5 -> +1, 4 -> +0.5, 3 -> 0, 2 -> -0.5, 1 and below -> -1), 1-10 when <= 10, else 0-100.
  Low ratings push the profile away from the item; a neutral rating adds nothing. A user with no
  positive weight at all (only neutral or low ratings) gets a profile from what they engaged with,
  ratings ignored, and is listed in `rating_fallback_users`. Events without a rating: factor 1.
- top_items: the items with the largest positive summed weight W[u, i] for the user.
- recency: age is measured back from `reference_time` (default: the latest timestamp in `events`);
  events in the future count as age 0; events without a timestamp, or `half_life_days=None`, are
  not decayed. Decay weighs a user's events against each other: a user whose events are all years
  old still gets a profile (of what they did most recently), never a decayed-away zero vector.
Quantity is not used: a wholesaler's 500 mugs say as much about interest as one mug.

profile_u = normalise(sum_i W[u, i] * item_vectors[i]): one sparse (users x items) product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.config import DEFAULT_EVENT_WEIGHTS
from core.errors import AnalysisError, ConfigError

N_TOP_ITEMS = 5
_ZERO_NORM = 1e-6


@dataclass(frozen=True, eq=False)
class UserProfiles:
    """One L2-normalised interest vector per user who has at least one usable event."""

    user_ids: np.ndarray  # (n_users,) object: exact user id strings, sorted
    vectors: np.ndarray  # (n_users, dim) float32, L2-normalised
    event_counts: np.ndarray  # (n_users,) int64: events that contributed
    top_items: list[list[str]]  # per user, up to 5 item_ids that contribute most ("why" items)
    skipped_users: dict[str, str] = field(default_factory=dict)  # user_id -> reason (no usable events)
    rating_fallback_users: list[str] = field(
        default_factory=list
    )  # only neutral/low ratings: ratings ignored

    def __len__(self) -> int:
        return len(self.user_ids)


def rating_factor(ratings: np.ndarray) -> np.ndarray:
    """(n,) ratings -> (n,) factors in [-1, 1] (NaN -> 1), on the scale inferred from the ratings."""
    ratings = np.asarray(ratings, dtype=np.float64)
    known = ratings[~np.isnan(ratings)]
    if known.size == 0:
        return np.ones_like(ratings)
    top = float(known.max())
    low, high = (1.0, 5.0) if top <= 5 else (1.0, 10.0) if top <= 10 else (0.0, 100.0)
    mid, half = (low + high) / 2, (high - low) / 2
    factor = np.clip((ratings - mid) / half, -1.0, 1.0)
    return np.where(np.isnan(ratings), 1.0, factor)


def build_profiles(
    events: pd.DataFrame,
    item_ids: Sequence[str] | np.ndarray,
    item_vectors: np.ndarray,
    *,
    weights: Mapping[str, float] | None = None,
    half_life_days: float | None = 90.0,
    use_ratings: bool = True,
    reference_time: pd.Timestamp | None = None,
) -> UserProfiles:
    """Profiles of every user in `events` (core/data.py columns) from (n_items, dim) `item_vectors`.

    `item_ids[j]` names row j of `item_vectors`. Users left without a usable vector are in
    `skipped_users` with the reason. Does not modify its inputs.
    """
    # 1. validate
    vectors = np.asarray(item_vectors, dtype=np.float32)
    item_index = pd.Index(np.asarray(item_ids, dtype=object))
    if vectors.ndim != 2 or vectors.shape[0] != len(item_index):
        raise AnalysisError(
            f"item_vectors has shape {vectors.shape}, expected ({len(item_index)}, dim).",
            f"item_vectors 形状为 {vectors.shape}，应为 ({len(item_index)}, dim)。",
        )
    for column in ("user_id", "item_id"):
        if column not in events.columns:
            raise AnalysisError(f"events has no '{column}' column.", f"事件数据缺少 '{column}' 列。")
    type_weights = {**DEFAULT_EVENT_WEIGHTS, **(weights or {})}
    if any(not np.isfinite(w) or w < 0 for w in type_weights.values()):
        raise ConfigError("Event weights must be zero or positive numbers.", "事件权重必须是零或正数。")
    if half_life_days is not None and not half_life_days > 0:
        raise ConfigError("The half-life must be more than 0 days.", "半衰期必须大于 0 天。")

    # 2. per-event weights
    # factorize first: lookups then run over the few distinct values, not every event
    users, user_ids = pd.factorize(events["user_id"].astype(str), sort=True)
    item_codes, item_values = pd.factorize(events["item_id"].astype(str))
    items = np.append(item_index.get_indexer(item_values), -1)[item_codes]  # code -1 (missing) -> -1
    if "event_type" in events.columns:
        type_codes, type_values = pd.factorize(events["event_type"].astype(str))
        per_type = np.array([type_weights.get(t, 1.0) for t in type_values] + [1.0], dtype=np.float64)
        base = per_type[type_codes]
    else:
        base = np.ones(len(events))
    base = base * _decay(events, half_life_days, reference_time, users, len(user_ids))
    signed = (
        base
        * rating_factor(
            pd.to_numeric(events["rating"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        )
        if use_ratings and "rating" in events.columns
        else base
    )

    # 3. users with no positive weight fall back to unsigned (engagement) weights
    known = items >= 0
    n_users = len(user_ids)
    positive = np.bincount(users[known], weights=np.maximum(signed[known], 0), minlength=n_users)
    engaged = np.bincount(users[known], weights=base[known], minlength=n_users)
    fallback = (positive <= 0) & (engaged > 0)
    w = np.where(fallback[users], base, signed)

    # 4. one sparse product: (n_users, n_items) @ (n_items, dim)
    use = known & (w != 0)
    matrix = sp.csr_matrix((w[use], (users[use], items[use])), shape=(n_users, len(item_index)))
    matrix.sum_duplicates()
    # float32 product, normalised in place: at 1M users x 640 dims a float64 product and its
    # float32 copy held 7.7 GB at once; this holds one 2.6 GB array (the weights stay float64 below).
    raw = np.asarray(matrix.astype(np.float32) @ vectors, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", raw, raw, dtype=np.float64))
    ok = norms > _ZERO_NORM
    profile = raw if ok.all() else raw[ok]
    profile /= norms[ok, None].astype(np.float32)

    # 5. report the users left out, and the ones whose ratings were ignored
    counts = np.bincount(users[use], minlength=n_users)
    has_known = np.bincount(users[known], minlength=n_users) > 0
    skipped: dict[str, str] = {}
    for u in np.flatnonzero(~ok):
        if not has_known[u]:
            reason = "no event with a known item"
        elif counts[u] == 0:
            reason = "every event has weight 0 (event type weighted 0 or neutral ratings)"
        else:
            reason = "likes and dislikes cancel out (profile vector is zero)"
        skipped[str(user_ids[u])] = reason

    kept = np.flatnonzero(ok)
    top = _top_items(matrix, kept, item_index)
    return UserProfiles(
        user_ids=np.asarray(user_ids[kept], dtype=object),
        vectors=np.ascontiguousarray(profile, dtype=np.float32),
        event_counts=counts[kept].astype(np.int64),
        top_items=top,
        skipped_users=skipped,
        rating_fallback_users=[str(user_ids[u]) for u in np.flatnonzero(fallback & ok)],
    )


def _decay(
    events: pd.DataFrame,
    half_life_days: float | None,
    reference_time: pd.Timestamp | None,
    users: np.ndarray,
    n_users: int,
) -> np.ndarray:
    """(n_events,) factor 0.5 ** (age_days / half_life), rescaled per user; 1 where the time is unknown.

    Each user's factors are divided by their largest one (computed in log space). A profile is a
    normalised mean, so this leaves every direction unchanged, but a user whose events are all years
    old keeps a profile instead of decaying below the zero-vector threshold (or to 0.0 in float64).
    """
    if half_life_days is None or "timestamp" not in events.columns:
        return np.ones(len(events))
    stamps = pd.to_datetime(events["timestamp"], errors="coerce")
    if stamps.isna().all():
        return np.ones(len(events))
    reference = pd.Timestamp(reference_time) if reference_time is not None else stamps.max()
    age_days = ((reference - stamps).dt.total_seconds() / 86400.0).to_numpy(dtype=np.float64, na_value=np.nan)
    exponent = np.where(
        np.isnan(age_days), 0.0, -np.clip(age_days, 0.0, None) / half_life_days
    )  # log2 factor
    newest = np.full(n_users, -np.inf)
    np.maximum.at(newest, users, exponent)
    return np.exp2(exponent - newest[users])


def _top_items(matrix: sp.csr_matrix, kept: np.ndarray, item_index: pd.Index) -> list[list[str]]:
    """Per kept user, up to N_TOP_ITEMS item ids with the largest positive weight W[u, i]."""
    coo = matrix.tocoo()
    good = coo.data > 0  # a disliked item is never a reason for an interest
    rows, cols, data = coo.row[good], coo.col[good], coo.data[good]
    order = np.lexsort((-data, rows))  # CSR order is (row, col), and lexsort is stable: ties by item position
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, rows, side="left")
    first = (np.arange(len(rows)) - starts) < N_TOP_ITEMS
    rows, cols = rows[first], cols[first]
    names = np.asarray(item_index, dtype=object)[cols]
    lo, hi = np.searchsorted(rows, kept, side="left"), np.searchsorted(rows, kept, side="right")
    return [list(names[a:b]) for a, b in zip(lo, hi, strict=True)]

"""Top-N segment-popularity items for every member of a large run, without a users x items matrix.

`SegmentPopularRecommender` scores every user with its segment's row (or the global row), so a
user's top N is the first N items of that row's ranking the user has not seen. Each distinct row
is ranked once; per user only the first `n + seen` candidates are looked at, and seen items are
found by a sorted-key lookup over the sparse seen matrix. Same items as `recommend` except where
scores tie exactly (the order among equal scores is arbitrary there too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def segment_popular_top(model: Any, user_ids: np.ndarray, n: int) -> np.ndarray:
    """(n_users, n) object array of item ids, "" where fewer than n unseen items score finitely."""
    users = np.asarray(user_ids, dtype=object).astype(str).astype(object)
    rows = pd.Index(model.interactions_.user_ids).get_indexer(users)
    n_items = len(model.item_ids_)
    n = min(int(n), n_items)
    scores = np.vstack([model.segment_scores_, model.global_scores_[None, :]])  # last row: no segment
    which = np.full(len(users), len(scores) - 1)
    warm = rows >= 0
    seg = np.asarray(model.segment_of_user_)[rows[warm]]
    which[warm] = np.where(seg >= 0, seg, len(scores) - 1)
    seen = model.interactions_.seen.tocsr()
    seen_counts = np.zeros(len(users), dtype=np.int64)
    seen_counts[warm] = np.diff(seen.indptr)[rows[warm]]
    ranking = np.argsort(-scores, axis=1, kind="stable")
    finite = np.isfinite(np.take_along_axis(scores, ranking, axis=1))
    # Sorted keys of every (user row, item) seen pair: membership by binary search.
    seen_rows = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr))
    seen_keys = seen_rows * n_items + seen.indices.astype(np.int64)
    order = np.argsort(seen_keys, kind="stable")
    seen_keys = seen_keys[order]
    out = np.full((len(users), n), "", dtype=object)
    if n == 0:
        return out
    for width in np.unique(np.minimum(seen_counts + n, n_items)):
        group = np.flatnonzero(np.minimum(seen_counts + n, n_items) == width)
        for start in range(0, len(group), 20_000):
            idx = group[start : start + 20_000]
            cand = ranking[which[idx], :width]  # (b, width)
            ok = finite[which[idx], :width].copy()
            if len(seen_keys):
                keys = np.where(rows[idx] >= 0, rows[idx], 0)[:, None].astype(np.int64) * n_items + cand
                pos = np.clip(np.searchsorted(seen_keys, keys), 0, len(seen_keys) - 1)
                hit = (seen_keys[pos] == keys) & (rows[idx] >= 0)[:, None]
                ok &= ~hit
            rank = np.cumsum(ok, axis=1)
            take = ok & (rank <= n)
            r, c = np.nonzero(take)
            out[idx[r], rank[r, c] - 1] = np.asarray(model.item_ids_, dtype=object)[cand[r, c]]
    return out

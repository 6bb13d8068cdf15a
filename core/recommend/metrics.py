"""Top-K ranking metrics over full rankings (no sampled negatives), with their definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# One-line definitions the UI shows next to each number (K = the list length, e.g. 10).
METRIC_DEFINITIONS: dict[str, str] = {
    "hr": "Hit rate@K: share of users with at least one of their future items in their top K.",
    "ndcg": "NDCG@K: hits discounted by log2(rank + 1), divided by the best possible for that user.",
    "precision": "Precision@K: future items found in the top K, divided by K.",
    "recall": "Recall@K: future items found in the top K, divided by the user's number of future items.",
    "mrr": "MRR@K: mean of 1 / rank of the first hit in the top K (0 when none).",
    "coverage": "Catalogue coverage: share of all items recommended to at least one user.",
    "novelty": "Novelty: mean -log2(share of training users who had the item) over recommended items; "
    "higher = less obvious picks.",
    "fit_seconds": "Wall time to train the recommender, in seconds.",
}


def relevant_items(test: pd.DataFrame, train: pd.DataFrame, user_ids: Sequence[str]) -> list[set[str]]:
    """Per user (in `user_ids` order), the set of test items the user did not already have in train."""
    pairs = test[["user_id", "item_id"]].astype(str).drop_duplicates()
    wanted = pairs["user_id"].isin(set(map(str, user_ids)))
    pairs = pairs[wanted]
    train_users = train["user_id"].astype(str)
    near = train[train_users.isin(set(pairs["user_id"]))]  # only the test users' training rows
    seen = pd.MultiIndex.from_frame(near[["user_id", "item_id"]].astype(str))
    fresh = pairs[~pd.MultiIndex.from_frame(pairs).isin(seen)]
    future = fresh.groupby("user_id", sort=False)["item_id"].agg(set)
    empty: set[str] = set()
    return [set(future.get(u, empty)) for u in user_ids]


def ranking_metrics(
    ranked: np.ndarray,
    relevant: Sequence[set[str]],
    *,
    k: int = 10,
    item_popularity: Mapping[str, float] | None = None,
    n_train_users: int | None = None,
    n_catalogue: int | None = None,
) -> dict[str, float]:
    """Mean top-K metrics over users with at least one relevant item.

    ranked: (n_users, >= k) object array of item ids, best first ("" = no item at that rank).
    relevant: per user, the set of held-out item ids (users with an empty set are skipped).

    For a user with relevant set R and hits h_r in {0, 1} at ranks r = 1..K:
        HR@K        = 1 if sum_r h_r > 0 else 0
        NDCG@K      = sum_r h_r / log2(r + 1)  /  sum_{r=1..min(|R|, K)} 1 / log2(r + 1)
        precision@K = sum_r h_r / K            (always K, even when fewer items were returned)
        recall@K    = sum_r h_r / |R|
        MRR@K       = 1 / (first r with h_r = 1), 0 when no hit
    coverage = |distinct recommended items| / n_catalogue (over all users given, ranks 1..K);
    novelty  = mean over recommended items of -log2((users who had the item + 1) / (n_train_users + 1)).
    Returns keys hr@K, ndcg@K, precision@K, recall@K, mrr, coverage, novelty, n_users.
    """
    top = np.asarray(ranked, dtype=object)[:, :k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hr, ndcg, prec, rec, mrr = [], [], [], [], []
    for row, rel in zip(top, relevant, strict=True):
        if not rel:
            continue
        hits = np.fromiter((item in rel for item in row), dtype=bool, count=len(row))
        n_hits = int(hits.sum())
        ideal = discounts[: min(len(rel), k)].sum()
        hr.append(float(n_hits > 0))
        ndcg.append(float(discounts[: len(row)][hits].sum() / ideal))
        prec.append(n_hits / k)
        rec.append(n_hits / len(rel))
        mrr.append(1.0 / (int(np.argmax(hits)) + 1) if n_hits else 0.0)
    out = {
        f"hr@{k}": _mean(hr),
        f"ndcg@{k}": _mean(ndcg),
        f"precision@{k}": _mean(prec),
        f"recall@{k}": _mean(rec),
        "mrr": _mean(mrr),
        "n_users": float(len(hr)),
    }
    shown = [item for item in top.ravel() if item != ""]
    out["coverage"] = len(set(shown)) / n_catalogue if n_catalogue else float("nan")
    if item_popularity is not None and n_train_users and shown:
        counts = np.array([item_popularity.get(item, 0.0) for item in shown])
        out["novelty"] = float(np.mean(-np.log2((counts + 1.0) / (n_train_users + 1.0))))
    else:
        out["novelty"] = float("nan")
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")

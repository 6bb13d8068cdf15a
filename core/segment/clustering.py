"""Segments of users: clustering methods, assignment of new users and agreement with known labels.

Vectors are L2-normalised user profiles, so the geometry is cosine: centroids are re-normalised
means, a user's distance is the cosine distance to its own centroid, and every method ends with a
nearest-centroid pass so that `assign(training_vectors, seg)` returns exactly `seg.labels`.
The result types live in `core.segment.types`, stability and identity matching in
`core.segment.stability`, the K advisor in `core.segment.k_advisor`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError
from core.progress import Progress, no_progress, scaled
from core.segment.clusterers import (
    CLUSTERERS,
    HDBSCAN_MIN_USERS,
    all_finite,
    count_distinct,
    finalise,
    kmeans,
    nearest,
    normalise,
    single_threaded,
    unit_rows,
)
from core.segment.stability import segment_stability
from core.segment.types import Segmentation

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["assign", "label_agreement", "segment_users"]

RERUN_MAX_USERS = {"kmeans": 4_000, "agglomerative": 1_500, "hdbscan": 4_000}  # per stability re-run


# The orchestrator ------------------------------------------------------------------------------


def _validate(vectors: np.ndarray, method: str, k: int | None) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or len(x) < 2:
        raise ConfigError(
            "Segmentation needs a (users x dimensions) matrix with at least two users.",
            "分群需要至少两个用户的（用户 x 维度）矩阵。",
        )
    if not all_finite(x):
        raise ConfigError("User vectors contain NaN or infinite values.", "用户向量包含 NaN 或无穷值。")
    if method not in CLUSTERERS:
        raise ConfigError(
            f"Unknown clustering method {method!r}; choose one of {', '.join(CLUSTERERS)}.",
            f"未知的聚类方法 {method!r}；可选：{'、'.join(CLUSTERERS)}。",
        )
    if method != "hdbscan" and (k is None or not 2 <= k <= len(x)):
        raise ConfigError(
            f"K must be between 2 and the number of users ({len(x)}); got {k}.",
            f"K 必须在 2 到用户数（{len(x)}）之间，当前为 {k}。",
        )
    if method == "hdbscan" and len(x) < HDBSCAN_MIN_USERS:
        raise ConfigError(
            f"HDBSCAN needs at least {HDBSCAN_MIN_USERS} users to find separate groups; there are "
            f"{len(x)}. Use k-means or agglomerative.",
            f"HDBSCAN 至少需要 {HDBSCAN_MIN_USERS} 个用户才能找到分离的群组，当前只有 {len(x)} 个。"
            "请改用 K-means 或层次聚类。",
        )
    return unit_rows(x)


def segment_users(
    vectors: np.ndarray,
    *,
    method: str = "kmeans",
    k: int | None,
    seed: int = 42,
    stability_runs: int = 5,
    assign_outliers: bool = True,
    progress: Progress | None = None,
) -> Segmentation:
    """Cluster users (n, dim) into segments with `CLUSTERERS[method]`.

    `k` is the number of segments for kmeans/agglomerative; hdbscan finds its own and uses `k`
    only as a hint for the minimum segment size. HDBSCAN's noise is reported in `outlier_mask`
    and, with `assign_outliers` (default), joins the nearest segment; otherwise it keeps label -1.
    `stability_runs` re-runs (0 = skip) give `stability` per segment, see `core.segment.stability`.
    Fewer distinct profiles than `k`: K becomes the number of distinct profiles, said in `notes`
    (one distinct profile: one segment holding everyone).
    """
    x = _validate(vectors, method, k)
    notes: list[str] = []
    distinct = count_distinct(x, limit=(k or 0) + 1)
    if distinct == 1:
        return _one_segment(x, method, seed, k)
    if method != "hdbscan" and k is not None and k > distinct:
        notes.append(f"K={distinct}: {k} requested, but the users have only {distinct} distinct profiles.")
        k = distinct
    with single_threaded():
        seg = _segment(x, method, k, seed, stability_runs, assign_outliers, progress or no_progress)
    return replace(seg, notes=(*notes, *seg.notes)) if notes else seg


def _one_segment(x: np.ndarray, method: str, seed: int, k: int | None) -> Segmentation:
    """Every user has the same profile: one segment, everyone certain, no stability to measure."""
    asked = f" ({k} requested)" if k and k > 1 else ""
    return Segmentation(
        method=method,
        k=1,
        seed=seed,
        labels=np.zeros(len(x), dtype=np.int64),
        centroids=normalise(x[:1]),
        confidence=np.ones(len(x)),
        distance=np.zeros(len(x)),
        sizes=np.array([len(x)], dtype=np.int64),
        outlier_mask=np.zeros(len(x), dtype=bool) if method == "hdbscan" else None,
        notes=(f"K=1{asked}: all {len(x):,} users have the same interest profile, so there is one segment.",),
    )


def _segment(
    x: np.ndarray, method: str, k: int | None, seed: int, runs: int, assign_outliers: bool, report: Progress
) -> Segmentation:
    # 1. The method's own partition (-1 noise, -2 outside its sample).
    report(0.0, f"Clustering {len(x):,} users with {method}")
    fit = CLUSTERERS[method]
    raw, notes, extras = fit(x, k, seed)
    if not (raw >= 0).any():
        raise ConfigError(
            "HDBSCAN found no dense, separated group: these users form one continuous cloud. "
            "Use k-means or agglomerative instead.",
            "HDBSCAN 未找到密度分离的群组：这些用户构成一个连续的整体。请改用 K-means 或层次聚类。",
        )

    # 2. Centroids from the partition, then the final nearest-centroid pass (assign == labels).
    labels, confidence, distance, centroids = finalise(x, raw)
    found = len(centroids)
    outliers = raw == -1
    if method == "hdbscan" and not assign_outliers:
        labels = np.where(outliers, -1, labels)
        confidence = np.where(outliers, 0.0, confidence)

    # 3. Stability from cheap re-runs on subsamples.
    stability = None
    if runs > 0:
        report(0.6, "Checking stability")

        def refit(sub: np.ndarray, run_seed: int) -> tuple[np.ndarray, np.ndarray]:
            # A subsample can hold fewer distinct users than there are segments (K close to n).
            run_k = min(found, count_distinct(sub))
            run = (
                kmeans(sub, run_k, run_seed, n_init=2)[0]
                if method == "kmeans"
                else fit(sub, None if k is None else min(k, run_k), run_seed)[0]
            )
            if not (run >= 0).any():  # hdbscan found nothing in this subsample
                return np.zeros(len(sub), dtype=np.int64), normalise(sub.mean(axis=0, keepdims=True))
            run_labels, _, _, run_centroids = finalise(sub, run)
            return run_labels, run_centroids

        stability = segment_stability(
            x,
            labels,
            centroids,
            refit,
            runs=runs,
            seed=seed,
            max_users=RERUN_MAX_USERS[method],
            progress=scaled(report, 0.6, 1.0),
        )
    report(1.0, "Segments ready")
    return Segmentation(
        method=method,
        k=found,
        seed=seed,
        labels=labels,
        centroids=centroids,
        confidence=confidence,
        distance=distance,
        sizes=np.bincount(labels[labels >= 0], minlength=found).astype(np.int64),
        outlier_mask=outliers if method == "hdbscan" else None,
        stability=stability,
        tree=extras.get("tree"),
        tree_users=extras.get("tree_users"),
        outlier_share=float(outliers.mean()) if method == "hdbscan" else 0.0,
        notes=tuple(notes),
    )


def assign(new_vectors: np.ndarray, segmentation: Segmentation) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-centroid segment of new users (n, dim) -> labels (n,) int64, confidence (n,) float64.

    Deterministic; on the training users it returns `segmentation.labels` exactly (outliers kept
    as -1 with `assign_outliers=False` are assigned to their nearest segment here).
    """
    x = np.asarray(new_vectors)
    if x.ndim != 2 or x.shape[1] != segmentation.centroids.shape[1]:
        raise ConfigError(
            f"New users must have {segmentation.centroids.shape[1]} dimensions, like the segmentation.",
            f"新用户的向量维度必须为 {segmentation.centroids.shape[1]}，与分群一致。",
        )
    labels, confidence, _ = nearest(normalise(x), segmentation.centroids)
    return labels, confidence


def label_agreement(labels: np.ndarray, truth: Sequence[Any] | np.ndarray) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information of segments vs a known label column."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    truth_arr = np.asarray(truth).astype(str)
    if len(truth_arr) != len(labels):
        raise ConfigError(
            "The label column must have one value per user.", "标签列必须为每个用户提供一个值。"
        )
    return {
        "ari": float(adjusted_rand_score(truth_arr, labels)),
        "nmi": float(normalized_mutual_info_score(truth_arr, labels)),
    }


def majority_label(
    users: Sequence[Any] | np.ndarray, labels: Sequence[Any] | np.ndarray, order: Sequence[Any] | np.ndarray
) -> np.ndarray:
    """Per user in `order`, the label seen most often among that user's rows (ties: the smallest,
    as pandas' `Series.mode().iat[0]`); "" for a user with no row. Counts over codes, no per-user
    Python: a million users take about a second."""
    import pandas as pd

    user_codes, user_values = pd.factorize(np.asarray(users, dtype=object))
    label_codes, label_values = pd.factorize(np.asarray(labels, dtype=object).astype(str), sort=True)
    n_labels = max(len(label_values), 1)
    pairs, counts = np.unique(user_codes.astype(np.int64) * n_labels + label_codes, return_counts=True)
    pair_user, pair_label = pairs // n_labels, pairs % n_labels
    best = np.lexsort((pair_label, -counts, pair_user))  # per user: most rows first, then smallest label
    first = best[np.r_[True, pair_user[best][1:] != pair_user[best][:-1]]]
    winner = pd.Series(
        np.asarray(label_values, dtype=object)[pair_label[first]], index=user_values[pair_user[first]]
    )
    return winner.reindex(pd.Index(np.asarray(order, dtype=object))).fillna("").astype(str).to_numpy()

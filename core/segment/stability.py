"""Stability of segments across re-runs, and segment identity between two segmentations.

Both rest on one step: matching two sets of centroids with the Hungarian algorithm on cosine
similarity (`scipy.optimize.linear_sum_assignment`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.progress import Progress, no_progress

if TYPE_CHECKING:
    from core.segment.types import Segmentation

# refit(vectors (m, dim), seed) -> (labels (m,) in [0, k'), centroids (k', dim) unit rows)
Refit = Callable[[np.ndarray, int], "tuple[np.ndarray, np.ndarray]"]

STABILITY_MAX_USERS = 4_000  # users per stability re-run: stability is a sample statistic
STABILITY_FRACTION = 0.8  # each re-run sees a seeded 80% subsample (no duplicates, unlike a bootstrap)


def match_centroids(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching of centroids a (ka, dim) to b (kb, dim), maximising cosine similarity.

    Returns rows (m,), cols (m,) and their similarities (m,), with m = min(ka, kb).
    """
    from scipy.optimize import linear_sum_assignment

    sims = a.astype(np.float64) @ b.astype(np.float64).T
    rows, cols = linear_sum_assignment(sims, maximize=True)
    return rows, cols, sims[rows, cols]


def subsample(n: int, fraction: float, max_users: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices of a subsample of min(fraction * n, max_users) users (at least 2)."""
    size = max(2, min(int(round(fraction * n)), max_users, n))
    return np.sort(rng.choice(n, size, replace=False))


def segment_stability(
    vectors: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    refit: Refit,
    *,
    runs: int = 5,
    seed: int = 42,
    max_users: int = STABILITY_MAX_USERS,
    progress: Progress | None = None,
) -> np.ndarray:
    """Per-segment stability (k,) in [0, 1]: how many members stay together across re-runs.

    Each run re-clusters a seeded subsample with another seed, matches its segments to the
    reference centroids (Hungarian), and scores segment j by the Jaccard index between its members
    in the subsample and the members of its partner; a segment with no partner scores 0. The
    score is the mean over runs. vectors (n, dim) unit rows, labels (n,), centroids (k, dim).
    """
    report = progress or no_progress
    k = len(centroids)
    scores = np.zeros((runs, k))
    rng = np.random.default_rng(seed)
    for run in range(runs):
        report(run / runs, f"Stability re-run {run + 1} of {runs}")
        rows = subsample(len(vectors), STABILITY_FRACTION, max_users, rng)
        run_labels, run_centroids = refit(vectors[rows], seed + 1 + run)
        ref_ids, run_ids, _ = match_centroids(centroids, run_centroids)
        to_ref = np.full(len(run_centroids), -1, dtype=np.int64)
        to_ref[run_ids] = ref_ids
        mapped = to_ref[run_labels]
        ref = labels[rows]
        for j in range(k):
            a, b = ref == j, mapped == j
            union = np.count_nonzero(a | b)
            scores[run, j] = np.count_nonzero(a & b) / union if union else 1.0
    report(1.0, "Stability done")
    return scores.mean(axis=0)


# Segment identity across re-runs ----------------------------------------------------------------


@dataclass(frozen=True)
class SegmentMatch:
    """How the segments of a new run relate to a previous run's.

    `mapping` is a permutation of range(new.k): new id -> id to use, so that a segment matched to
    previous segment p keeps id p whenever p < new.k (ids stay 0..k-1). `partner` gives every new
    id its matched previous id (None: no partner, a fresh segment), even when that id could not be
    kept, so names can still be carried over through it.
    """

    mapping: dict[int, int]
    partner: dict[int, int | None]
    similarity: dict[int, float]  # new id -> cosine similarity of centroids with its partner (nan: none)


def match_segments(new: Segmentation, previous: Segmentation, *, min_similarity: float = 0.5) -> SegmentMatch:
    """Match new segments to previous ones by centroid cosine similarity (Hungarian).

    Pairs less similar than `min_similarity` are not partners: the new segment is a fresh one.
    """
    if new.centroids.shape[1] != previous.centroids.shape[1]:
        raise ConfigError(
            "The two segmentations use vectors of different dimensions and cannot be matched.",
            "两次分群的向量维度不同，无法对应。",
        )
    rows, cols, sims = match_centroids(new.centroids, previous.centroids)
    partner: dict[int, int | None] = dict.fromkeys(range(new.k))
    similarity = dict.fromkeys(range(new.k), float("nan"))
    for r, c, s in zip(rows, cols, sims, strict=True):
        if s >= min_similarity:
            partner[int(r)], similarity[int(r)] = int(c), float(s)
    # Keep the previous id where it fits in 0..k-1, most similar pairs first; fill the rest in order.
    mapping: dict[int, int] = {}
    for r in sorted((r for r in partner if partner[r] is not None), key=lambda r: -similarity[r]):
        p = partner[r]
        if p is not None and p < new.k and p not in mapping.values():
            mapping[r] = p
    free = iter(sorted(set(range(new.k)) - set(mapping.values())))
    for r in range(new.k):
        if r not in mapping:
            mapping[r] = next(free)
    return SegmentMatch(mapping=mapping, partner=partner, similarity=similarity)


def relabel(segmentation: Segmentation, mapping: SegmentMatch | Mapping[int, int]) -> Segmentation:
    """A copy of `segmentation` whose segment ids follow `mapping` (old id -> new id, a permutation)."""
    table = mapping.mapping if isinstance(mapping, SegmentMatch) else dict(mapping)
    k = segmentation.k
    if sorted(table) != list(range(k)) or sorted(table.values()) != list(range(k)):
        raise ConfigError(
            f"A relabelling must be a permutation of the segment ids 0..{k - 1}.",
            f"重新编号必须是分群编号 0..{k - 1} 的一个排列。",
        )
    new_of_old = np.array([table[i] for i in range(k)], dtype=np.int64)
    old_of_new = np.argsort(new_of_old)
    labels = segmentation.labels
    changes: dict[str, Any] = {
        "labels": np.where(labels >= 0, new_of_old[np.maximum(labels, 0)], labels),
        "centroids": segmentation.centroids[old_of_new],
        "sizes": segmentation.sizes[old_of_new],
    }
    if segmentation.stability is not None:
        changes["stability"] = segmentation.stability[old_of_new]
    return replace(segmentation, **changes)


def who_moved(
    new_labels: np.ndarray,
    previous_labels: np.ndarray,
    *,
    new_user_ids: np.ndarray | None = None,
    previous_user_ids: np.ndarray | None = None,
) -> pd.DataFrame:
    """Crosstab of users present in both runs: rows = previous segment, columns = new segment.

    Without user ids the two label arrays must describe the same users in the same order.
    """
    if new_user_ids is None or previous_user_ids is None:
        if len(new_labels) != len(previous_labels):
            raise ConfigError(
                "Without user ids, both runs must cover the same users.",
                "未提供用户 ID 时，两次运行必须覆盖相同用户。",
            )
        new_user_ids = previous_user_ids = np.arange(len(new_labels))
    new = pd.Series(np.asarray(new_labels), index=pd.Index(new_user_ids, name="user_id"), name="new_segment")
    old = pd.Series(
        np.asarray(previous_labels),
        index=pd.Index(previous_user_ids, name="user_id"),
        name="previous_segment",
    )
    both = pd.concat([old, new], axis=1, join="inner")
    return pd.crosstab(both["previous_segment"], both["new_segment"])

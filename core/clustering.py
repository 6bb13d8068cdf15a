"""Segments of users: clustering methods, assignment of new users and agreement with known labels.

Vectors are L2-normalised user profiles, so the geometry is cosine: centroids are re-normalised
means, a user's distance is the cosine distance to its own centroid, and every method ends with a
nearest-centroid pass so that `assign(training_vectors, seg)` returns exactly `seg.labels`.
Stability and identity matching live in `core.stability`, the K advisor in `core.k_advisor`;
both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.progress import Progress, no_progress, scaled
from core.stability import SegmentMatch, match_segments, relabel, segment_stability, who_moved

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CLUSTERERS",
    "CLUSTERER_LABELS",
    "KAdvice",
    "SegmentMatch",
    "Segmentation",
    "advise_k",
    "assign",
    "label_agreement",
    "match_segments",
    "relabel",
    "segment_users",
    "who_moved",
]

MINIBATCH_THRESHOLD = 50_000  # users above which k-means switches to MiniBatchKMeans
TREE_MAX_USERS = 3_000  # Ward's linkage is O(n^2) in memory: above this the tree is built on a sample
HDBSCAN_MAX_USERS = 20_000  # above this HDBSCAN runs on a sample, the rest go to the nearest centroid
HDBSCAN_DIMS = 50  # HDBSCAN works on a PCA reduction: density is meaningless in 384 dimensions


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The result of clustering n users into k segments."""

    method: str
    k: int
    seed: int
    labels: np.ndarray  # (n_users,) int64 in [0, k)
    centroids: np.ndarray  # (k, dim) float32, L2-normalised mean of members
    confidence: np.ndarray  # (n_users,) float64 in [0, 1]: how clearly a user belongs to its segment
    distance: np.ndarray  # (n_users,) float64: cosine distance to own centroid
    sizes: np.ndarray  # (k,) int64
    outlier_mask: np.ndarray | None = None  # (n_users,) bool: hdbscan noise before reassignment
    stability: np.ndarray | None = None  # (k,) float64 in [0, 1]: per-segment stability across re-runs
    tree: Any = None  # agglomerative: scipy linkage matrix (for a dendrogram)
    tree_users: np.ndarray | None = None  # (m,) int64: rows of the users the tree was built on
    outlier_share: float = 0.0  # share of users hdbscan called noise (0 for other methods)
    notes: tuple[str, ...] = field(default_factory=tuple)  # sampling and other honest caveats


@dataclass(frozen=True, eq=False)
class KAdvice:
    """Quality of each candidate K and the recommended one."""

    table: pd.DataFrame  # k, inertia, silhouette, davies_bouldin, calinski_harabasz, min_share, stability
    recommended_k: int
    reason: str  # one sentence a marketer can read
    silhouette_sample: int | None = None  # users sampled for the silhouette (None = all)


# A clusterer maps (unit vectors (n, dim), k, seed) to (labels (n,) with -1 = noise, notes, extras).
Clusterer = Callable[[np.ndarray, int | None, int], "tuple[np.ndarray, list[str], dict[str, Any]]"]


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero). (n, dim) -> (n, dim) float32."""
    x = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def centroids_of(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """L2-normalised mean of each segment's members; labels < 0 are ignored. -> (k, dim) float32."""
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    keep = labels >= 0
    np.add.at(sums, labels[keep], vectors[keep])
    return normalise(sums)


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centroid by cosine. Returns labels (n,) int64, confidence (n,), distance (n,).

    Confidence is the simplified silhouette 1 - d1/d2, with d1, d2 the cosine distances to the
    nearest and second-nearest centroid: 1 at the centroid, 0 half-way between two segments.
    """
    sims = vectors.astype(np.float64) @ centroids.astype(np.float64).T  # (n, k)
    labels = np.argmax(sims, axis=1).astype(np.int64)
    d1 = np.clip(1.0 - sims[np.arange(len(sims)), labels], 0.0, 2.0)
    if sims.shape[1] < 2:
        return labels, np.ones(len(sims)), d1
    d2 = np.clip(1.0 - np.partition(sims, -2, axis=1)[:, -2], 0.0, 2.0)
    confidence = np.where(d2 > 1e-12, 1.0 - d1 / np.maximum(d2, 1e-12), 0.0)
    return labels, np.clip(confidence, 0.0, 1.0), d1


def _compact(labels: np.ndarray) -> np.ndarray:
    """Renumber labels >= 0 to 0..k-1 in order of first appearance of the sorted ids; -1 stays."""
    out = labels.astype(np.int64).copy()
    ids = np.unique(out[out >= 0])
    out[out >= 0] = np.searchsorted(ids, out[out >= 0])
    return out


def _finalise(x: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, ...]:
    """Centroids of a partition (raw labels, < 0 ignored), then the nearest-centroid pass.

    Segments left empty by the pass are dropped, so labels cover 0..k-1 and `assign` == labels.
    Returns labels (n,), confidence (n,), distance (n,), centroids (k, dim).
    """
    centroids = centroids_of(x, raw, int(raw.max()) + 1)
    labels = nearest(x, centroids)[0]
    kept = np.unique(labels)
    centroids = centroids[kept]
    labels, confidence, distance = nearest(x, centroids)
    return labels, confidence, distance, centroids


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


# 1. The methods --------------------------------------------------------------------------------


def _kmeans(
    x: np.ndarray, k: int | None, seed: int, *, n_init: int = 4
) -> tuple[np.ndarray, list[str], dict]:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    assert k is not None
    if len(x) > MINIBATCH_THRESHOLD:
        model: Any = MiniBatchKMeans(
            n_clusters=k, init="k-means++", n_init=min(n_init, 3), batch_size=4096, random_state=seed
        )
        notes = [f"MiniBatchKMeans: more than {MINIBATCH_THRESHOLD:,} users."]
    else:
        model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed)
        notes = []
    labels = model.fit_predict(x)
    # Spherical refinement: a few Lloyd steps with normalised centroids, the cosine fixed point.
    for _ in range(10):
        new = nearest(x, centroids_of(x, labels, k))[0]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels, notes, {}


def _agglomerative(x: np.ndarray, k: int | None, seed: int) -> tuple[np.ndarray, list[str], dict]:
    from scipy.cluster.hierarchy import fcluster, linkage

    assert k is not None
    rows = _sample(len(x), TREE_MAX_USERS, seed)
    tree = linkage(x[rows].astype(np.float64), method="ward")
    tree_labels = _compact(fcluster(tree, t=k, criterion="maxclust") - 1)
    notes = []
    labels = np.full(len(x), -1, dtype=np.int64)
    labels[rows] = tree_labels
    if len(rows) < len(x):
        notes.append(
            f"Ward tree built on a seeded sample of {len(rows):,} users; the rest joined the nearest segment."
        )
    return labels, notes, {"tree": tree, "tree_users": rows}


def _hdbscan(x: np.ndarray, k: int | None, seed: int) -> tuple[np.ndarray, list[str], dict]:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    rows = _sample(len(x), HDBSCAN_MAX_USERS, seed)
    fit_x = x[rows]
    if fit_x.shape[1] > HDBSCAN_DIMS and len(rows) > HDBSCAN_DIMS:
        fit_x = PCA(n_components=HDBSCAN_DIMS, random_state=seed).fit_transform(fit_x)
    # k is only a hint for the smallest segment's size: HDBSCAN finds its own number of segments.
    hint = len(rows) // (3 * k) if k and k >= 2 else int(0.02 * len(rows))
    min_size = max(5, min(hint, len(rows) // 2))
    found = HDBSCAN(min_cluster_size=min_size, copy=True).fit_predict(fit_x)
    labels = np.full(len(x), -2, dtype=np.int64)  # -2: not in the sample, -1: noise
    labels[rows] = _compact(found)
    notes = [f"HDBSCAN chooses the number of segments itself (min_cluster_size={min_size})."]
    if len(rows) < len(x):
        notes.append(
            f"HDBSCAN ran on a seeded sample of {len(rows):,} users; the rest joined the nearest segment."
        )
    return labels, notes, {}


CLUSTERERS: dict[str, Clusterer] = {"kmeans": _kmeans, "agglomerative": _agglomerative, "hdbscan": _hdbscan}
CLUSTERER_LABELS: dict[str, str] = {
    "kmeans": "K-means (fast, even segments)",
    "agglomerative": "Agglomerative (Ward, with a tree)",
    "hdbscan": "HDBSCAN (finds K itself, flags outliers)",
}


# 2. The orchestrator ---------------------------------------------------------------------------


def _validate(vectors: np.ndarray, method: str, k: int | None) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or len(x) < 2:
        raise ConfigError(
            "Segmentation needs a (users x dimensions) matrix with at least two users.",
            "分群需要至少两个用户的（用户 x 维度）矩阵。",
        )
    if not np.isfinite(x).all():
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
    return normalise(x)


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
    `stability_runs` re-runs (0 = skip) give `stability` per segment, see `core.stability`.
    """
    report = progress or no_progress
    x = _validate(vectors, method, k)
    fit = CLUSTERERS[method]

    # 1. The method's own partition (-1 noise, -2 outside its sample).
    report(0.0, f"Clustering {len(x):,} users with {method}")
    raw, notes, extras = fit(x, k, seed)
    if not (raw >= 0).any():
        raise ConfigError(
            "HDBSCAN found no dense segment in these users; try k-means or a smaller K.",
            "HDBSCAN 未找到任何密集分群；请改用 K-means 或更小的 K。",
        )

    # 2. Centroids from the partition, then the final nearest-centroid pass (assign == labels).
    labels, confidence, distance, centroids = _finalise(x, raw)
    found = len(centroids)
    outliers = raw == -1
    if method == "hdbscan" and not assign_outliers:
        labels = np.where(outliers, -1, labels)
        confidence = np.where(outliers, 0.0, confidence)

    # 3. Stability from cheap re-runs on subsamples.
    stability = None
    if stability_runs > 0:
        report(0.6, "Checking stability")

        def refit(sub: np.ndarray, run_seed: int) -> tuple[np.ndarray, np.ndarray]:
            run = (
                _kmeans(sub, found, run_seed, n_init=2)[0] if method == "kmeans" else fit(sub, k, run_seed)[0]
            )
            if not (run >= 0).any():  # hdbscan found nothing in this subsample
                return np.zeros(len(sub), dtype=np.int64), normalise(sub.mean(axis=0, keepdims=True))
            run_labels, _, _, run_centroids = _finalise(sub, run)
            return run_labels, run_centroids

        stability = segment_stability(
            x, labels, centroids, refit, runs=stability_runs, seed=seed, progress=scaled(report, 0.6, 1.0)
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


def advise_k(
    vectors: np.ndarray,
    *,
    k_range: Sequence[int] = range(2, 13),
    seed: int = 42,
    min_segment_share: float = 0.02,
    min_stability: float = 0.8,
    progress: Progress | None = None,
) -> KAdvice:
    """Quality of each K in `k_range` and a recommended K: see `core.k_advisor.advise_k`."""
    from core.k_advisor import advise_k as _advise_k

    return _advise_k(
        vectors,
        k_range=k_range,
        seed=seed,
        min_segment_share=min_segment_share,
        min_stability=min_stability,
        progress=progress,
    )

"""Clustering methods on unit vectors (the `CLUSTERERS` registry) and their cosine geometry.

Each method maps (unit vectors (n, dim), k, seed) to raw labels (-1 noise, -2 outside the
method's sample), notes for the user and extras (e.g. the Ward tree). `core.segment.clustering` turns
raw labels into a `Segmentation` with a final nearest-centroid pass.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from core.errors import ConfigError

MINIBATCH_THRESHOLD = 50_000  # users above which k-means switches to MiniBatchKMeans
MINIBATCH_INIT_USERS = 10_000  # MiniBatchKMeans starts from full k-means on a sample this size
TREE_MAX_USERS = 3_000  # Ward's linkage is O(n^2) in memory: above this the tree is built on a sample
HDBSCAN_MAX_USERS = 20_000  # above this HDBSCAN runs on a sample, the rest go to the nearest centroid
HDBSCAN_DIMS = 15  # HDBSCAN works on a PCA reduction: density is meaningless in 384 dimensions
HDBSCAN_MIN_SAMPLES = 10  # "dense" neighbourhood; the default (min_cluster_size) calls everything noise
HDBSCAN_MIN_SIZE = 5  # smallest segment HDBSCAN may report
HDBSCAN_MIN_USERS = 2 * HDBSCAN_MIN_SIZE  # fewer users cannot hold two such segments
DISTINCT_DECIMALS = 5  # profiles equal to 5 decimals are the same profile
# Spherical Lloyd steps after k-means, run to the fixed point (capped): stopping early leaves labels
# that depend on where the start was (Online Retail K=8 converges at step 35; stopped at 10 it agreed
# only 0.79 ARI with its own fixed point, and so with the Spark engine's).
REFINE_MAX_STEPS = 100

# A clusterer maps (unit vectors (n, dim), k, seed) to (labels (n,) with -1 = noise, notes, extras).
Clusterer = Callable[[np.ndarray, int | None, int], "tuple[np.ndarray, list[str], dict[str, Any]]"]


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Context limiting BLAS and OpenMP to one thread, with scikit-learn's ConvergenceWarning silenced.

    The fits here are small and many; on a busy machine threads oversubscribe the cores and k-means
    runs 10x slower. scikit-learn's OpenMP runtime is loaded first: threadpoolctl can only limit
    libraries that are already loaded. The warning ("fewer distinct clusters than n_clusters") comes
    from k-means on duplicate-heavy subsamples; segment_users already says, in its notes, when the
    users have fewer distinct profiles than K, so the raw line would only be noise on stderr.
    """
    import sklearn.cluster
    import sklearn.metrics  # noqa: F401
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero). (n, dim) -> (n, dim) float32."""
    x = np.asarray(vectors, dtype=np.float32)
    # einsum sums in blocks: np.linalg.norm would first square all n x dim values (2.6 GB at 1M x 640)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64)).astype(np.float32)[:, None]
    return x / np.where(norms > 0, norms, np.float32(1.0))


def all_finite(x: np.ndarray) -> bool:
    """No NaN or infinity, checked in blocks (no n x dim mask: 640 MB at 1M users x 640)."""
    return all(np.isfinite(x[i : i + CHUNK]).all() for i in range(0, len(x), CHUNK))


def unit_rows(x: np.ndarray) -> np.ndarray:
    """float32 rows of unit length: `x` itself when it already is (profiles arrive L2-normalised from
    core.embed.profiles; a normalised copy would be 2.6 GB at 1M users x 640 and differ from them
    only in the last bit), else `normalise(x)`."""
    if x.dtype == np.float32:
        norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
        if bool(np.all(np.abs(norms - 1.0) < 1e-5)):
            return x
    return normalise(x)


CHUNK = 16_384  # rows per float64 block: a float64 copy of 1M profiles would be 3 GB of fresh pages


def count_distinct(vectors: np.ndarray, *, limit: int | None = None) -> int:
    """Distinct rows of (n, dim) vectors, to DISTINCT_DECIMALS decimals (capped at `limit`).

    Each rounded row is reduced to one number by a fixed random projection: equal rows give
    equal numbers exactly, and distinct rows colliding has probability ~0. O(n * dim), in chunks.
    With `limit`, the first rows are counted first: when they already hold `limit` distinct
    profiles the answer is `limit` without reading the rest (exact: a subset has no more).
    """
    x = np.asarray(vectors)
    if len(x) == 0:
        return 0
    direction = np.random.default_rng(0).standard_normal(x.shape[1])

    def keys(rows: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                (np.round(rows[start : start + CHUNK].astype(np.float64), DISTINCT_DECIMALS) + 0.0)
                @ direction
                for start in range(0, len(rows), CHUNK)
            ]
        )  # + 0.0 turns -0.0 into 0.0

    if limit is not None and len(x) > CHUNK and len(np.unique(keys(x[:CHUNK]))) >= limit:
        return limit
    found = len(np.unique(keys(x)))
    return found if limit is None else min(found, limit)


def centroids_of(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """L2-normalised mean of each segment's members; labels < 0 are ignored. -> (k, dim) float32."""
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    dtype: Any = np.float64 if np.asarray(vectors).dtype == np.float64 else np.float32
    for start in range(0, len(vectors), CHUNK):
        part = labels[start : start + CHUNK]
        keep = part >= 0
        onehot = np.zeros((int(keep.sum()), k), dtype=dtype)
        onehot[np.arange(len(onehot)), part[keep]] = 1.0
        sums += onehot.T @ np.asarray(
            vectors[start : start + CHUNK][keep], dtype=dtype
        )  # the profiles' precision within a block
    return normalise(sums)  # (k, dim) member sums, normalised


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centroid by cosine. Returns labels (n,) int64, confidence (n,), distance (n,).

    Confidence is the simplified silhouette 1 - d1/d2, with d1, d2 the cosine distances to the
    nearest and second-nearest centroid: 1 at the centroid, 0 half-way between two segments.
    Similarities in the profiles' precision (float32 profiles: no float64 copy of them, 3 GB at 1M
    users), CHUNK rows at a time; the rest in float64.
    """
    dtype: Any = np.float64 if np.asarray(vectors).dtype == np.float64 else np.float32
    c = np.asarray(centroids, dtype=dtype).T
    parts = [
        _nearest((np.asarray(vectors[start : start + CHUNK], dtype=dtype) @ c).astype(np.float64))
        for start in range(0, len(vectors), CHUNK)
    ]
    if not parts:
        return _nearest(np.zeros((0, c.shape[1])))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]


def _nearest(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = np.argmax(sims, axis=1).astype(np.int64) if sims.shape[1] else np.zeros(len(sims), np.int64)
    d1 = np.clip(1.0 - sims[np.arange(len(sims)), labels], 0.0, 2.0) if sims.shape[1] else np.zeros(len(sims))
    if sims.shape[1] < 2:
        return labels, np.ones(len(sims)), d1
    d2 = np.clip(1.0 - np.partition(sims, -2, axis=1)[:, -2], 0.0, 2.0)
    confidence = np.where(d2 > 1e-12, 1.0 - d1 / np.maximum(d2, 1e-12), 0.0)
    return labels, np.clip(confidence, 0.0, 1.0), d1


def compact(labels: np.ndarray) -> np.ndarray:
    """Renumber labels >= 0 to 0..k-1 in order of first appearance of the sorted ids; -1 stays."""
    out = labels.astype(np.int64).copy()
    ids = np.unique(out[out >= 0])
    out[out >= 0] = np.searchsorted(ids, out[out >= 0])
    return out


def finalise(x: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, ...]:
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


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def _required(k: int | None) -> int:
    if k is None or k < 1:
        raise ConfigError("This method needs a number of segments K.", "该方法需要指定分群数 K。")
    return k


# 1. The methods --------------------------------------------------------------------------------


def kmeans(x: np.ndarray, k: int | None, seed: int, *, n_init: int = 4) -> tuple[np.ndarray, list[str], dict]:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    k = _required(k)
    if len(x) > MINIBATCH_THRESHOLD:
        # k-means++ with several inits on a seeded sample, then mini-batches over everyone: plain
        # MiniBatchKMeans inits on small batches and can merge two real segments.
        rows = sample_rows(len(x), MINIBATCH_INIT_USERS, seed)
        start = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit(x[rows])
        model: Any = MiniBatchKMeans(
            n_clusters=k, init=start.cluster_centers_, n_init=1, batch_size=4096, random_state=seed
        )
        notes = [
            f"MiniBatchKMeans (initialised on {len(rows):,} users): more than {MINIBATCH_THRESHOLD:,} users."
        ]
    else:
        model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed)
        notes = []
    return refine(x, model.fit_predict(x), k), notes, {}


def refine(x: np.ndarray, labels: np.ndarray, k: int, max_steps: int = REFINE_MAX_STEPS) -> np.ndarray:
    """Spherical k-means from `labels`: Lloyd steps with normalised centroids until no user moves
    (at most `max_steps`), the cosine fixed point both engines end at. -> labels (n,)."""
    for _ in range(max_steps):
        new = nearest(x, centroids_of(x, labels, k))[0]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def agglomerative(x: np.ndarray, k: int | None, seed: int) -> tuple[np.ndarray, list[str], dict]:
    from scipy.cluster.hierarchy import fcluster, linkage

    k = _required(k)
    rows = sample_rows(len(x), TREE_MAX_USERS, seed)
    tree = linkage(x[rows].astype(np.float64), method="ward")
    tree_labels = compact(fcluster(tree, t=k, criterion="maxclust") - 1)
    notes = []
    labels = np.full(len(x), -1, dtype=np.int64)
    labels[rows] = tree_labels
    if len(rows) < len(x):
        notes.append(
            f"Ward tree built on a seeded sample of {len(rows):,} users; the rest joined the nearest segment."
        )
    return labels, notes, {"tree": tree, "tree_users": rows}


def hdbscan(x: np.ndarray, k: int | None, seed: int) -> tuple[np.ndarray, list[str], dict]:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    rows = sample_rows(len(x), HDBSCAN_MAX_USERS, seed)
    fit_x = x[rows]
    if fit_x.shape[1] > HDBSCAN_DIMS and len(rows) > HDBSCAN_DIMS:
        fit_x = PCA(n_components=HDBSCAN_DIMS, random_state=seed).fit_transform(fit_x)
    # k is only a hint for the smallest segment's size: HDBSCAN finds its own number of segments.
    hint = len(rows) // (3 * k) if k and k >= 2 else int(0.02 * len(rows))
    min_size = max(HDBSCAN_MIN_SIZE, min(hint, len(rows) // 2))
    found = HDBSCAN(
        min_cluster_size=min_size, min_samples=min(HDBSCAN_MIN_SAMPLES, min_size), copy=True
    ).fit_predict(fit_x)
    labels = np.full(len(x), -2, dtype=np.int64)  # -2: not in the sample, -1: noise
    labels[rows] = compact(found)
    notes = [f"HDBSCAN chooses the number of segments itself (min_cluster_size={min_size})."]
    if len(rows) < len(x):
        notes.append(
            f"HDBSCAN ran on a seeded sample of {len(rows):,} users; the rest joined the nearest segment."
        )
    return labels, notes, {}


CLUSTERERS: dict[str, Clusterer] = {"kmeans": kmeans, "agglomerative": agglomerative, "hdbscan": hdbscan}
CLUSTERER_LABELS: dict[str, str] = {
    "kmeans": "K-means (fast, even segments)",
    "agglomerative": "Agglomerative (Ward, with a tree)",
    "hdbscan": "HDBSCAN (finds K itself, flags outliers)",
}

"""2-D and 3-D maps of users: UMAP (seeded) after a PCA pre-reduction, or PCA alone as the fast path.

umap-learn compiles its numba kernels on the first fit of every process (tens of seconds). Its
own kernels are not marked `cache=True`, so `_import_umap` imports umap with numba's on-disk
cache switched on (directory: `$NUMBA_CACHE_DIR`, else `<user cache>/interest-lens/numba`): a
second process loads the compiled kernels instead of compiling them. `warm_up()` runs a tiny fit
so an app can pay the remaining cost in a background thread before the user asks for a map.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.progress import Progress, no_progress

PROJECTIONS: dict[str, str] = {"umap": "UMAP (neighbourhoods, slower)", "pca": "PCA (fast, linear)"}
PCA_DIMS = 50  # pre-reduction before UMAP
UMAP_MIN_USERS = 16  # below this UMAP's neighbour graph is meaningless: PCA is used (and said so)
# Layout epochs dominate a warm fit: umap-learn's default is 500 below 10,000 points. 200 gives
# the same picture on our data at 40% of the cost; very large fits get 120.
EPOCHS, EPOCHS_LARGE, LARGE_N = 200, 120, 10_000
# Above this many users the map is a seeded sample of them: UMAP is fitted on the sample and the
# other users are not placed (their coordinates are NaN). A scatter of more points adds nothing a
# user can see, and placing 1M users by nearest neighbours took minutes.
MAP_SAMPLE = 20_000
_IMPORT_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class Projection:
    """Coordinates of every user on the map."""

    coords: np.ndarray  # (n_users, dims) float32; NaN rows = users not on the map (sampled runs)
    method: str  # "umap" or "pca": the method actually used
    sampled: bool  # True when only a seeded sample of `n_fit` users is on the map
    n_fit: int  # users the projection was fitted on
    note: str = ""  # why the method or the sample differs from what was asked, if it does


def numba_cache_dir() -> str:
    """Where numba's compiled kernels are cached: $NUMBA_CACHE_DIR, else the user cache dir."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    from core.embed.cache import default_cache_dir

    return str(default_cache_dir() / "numba")


def _import_umap() -> Any:
    """Import umap with numba's on-disk cache on for its kernels (they do not ask for it)."""
    with _IMPORT_LOCK:
        if "umap" in sys.modules:
            return sys.modules["umap"]
        cache_dir = numba_cache_dir()
        os.makedirs(cache_dir, exist_ok=True)
        os.environ.setdefault("NUMBA_CACHE_DIR", cache_dir)
        import numba

        numba.config.CACHE_DIR = cache_dir  # type: ignore[attr-defined]  # numba may have been imported before the variable was set
        plain_jit, plain_njit = numba.jit, numba.njit

        def cached(decorator: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                kwargs.setdefault("cache", True)
                return decorator(*args, **kwargs)

            return wrapper

        numba.jit, numba.njit = cached(plain_jit), cached(plain_njit)
        try:
            import umap
        finally:
            numba.jit, numba.njit = plain_jit, plain_njit
        return umap


def _validate(vectors: np.ndarray, dims: int, method: str) -> np.ndarray:
    from core.segment.clusterers import all_finite, unit_rows

    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0 or not all_finite(x):
        raise ConfigError(
            "The map needs a finite (users x dimensions) matrix with at least one user.",
            "绘制地图需要至少一个用户的有限值（用户 x 维度）矩阵。",
        )
    if dims not in (2, 3):
        raise ConfigError(
            f"The map has 2 or 3 dimensions, not {dims}.", f"地图只能是 2 维或 3 维，不能是 {dims} 维。"
        )
    if method not in PROJECTIONS:
        raise ConfigError(
            f"Unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}.",
            f"未知的投影方法 {method!r}；可选：{'、'.join(PROJECTIONS)}。",
        )
    return unit_rows(x)  # the profiles themselves when already unit rows: no n x dim copy


def _pca(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """PCA to `dims` columns (zero-padded when the data has fewer): (n, d) -> (n, dims) float32."""
    from sklearn.decomposition import PCA

    n_components = min(dims, len(x), x.shape[1])
    out = np.zeros((len(x), dims), dtype=np.float32)
    if len(x) > 1:
        with warnings.catch_warnings():  # identical users: zero variance, explained ratio 0/0
            warnings.simplefilter("ignore", RuntimeWarning)
            out[:, :n_components] = PCA(n_components=n_components, random_state=seed).fit_transform(x)
    return out


def project(
    vectors: np.ndarray,
    *,
    dims: int = 2,
    method: str = "umap",
    seed: int = 42,
    max_fit: int = MAP_SAMPLE,
    progress: Progress | None = None,
) -> Projection:
    """Map users (n, dim) to coordinates (n, dims) with `method` ("umap" or "pca").

    UMAP: PCA to 50 dims, exact 15 nearest neighbours (euclidean on the PCA of unit vectors,
    which ranks neighbours like cosine on the originals), then seeded single-threaded UMAP.
    Above `max_fit` users the map is a seeded sample of `max_fit` users (`sampled=True`, `n_fit`):
    PCA and UMAP are fitted on the sample only and the other users' rows are NaN (not on the map).
    Fewer than 16 users fall back to PCA, with a note.
    """
    from core.segment.clusterers import single_threaded

    x = _validate(vectors, dims, method)
    with single_threaded():  # PCA and the neighbour search oversubscribe a busy machine otherwise
        return _project(x, dims, method, seed, max_fit, progress or no_progress)


def _project(x: np.ndarray, dims: int, method: str, seed: int, max_fit: int, report: Progress) -> Projection:
    if method == "pca":
        report(0.0, "PCA map")
        coords = _pca(x, dims, seed)
        report(1.0, "Map ready")
        return Projection(coords=coords, method="pca", sampled=False, n_fit=len(x))
    if len(x) < UMAP_MIN_USERS:
        note = f"PCA used: UMAP needs at least {UMAP_MIN_USERS} users."
        return Projection(coords=_pca(x, dims, seed), method="pca", sampled=False, n_fit=len(x), note=note)

    # 1. Seeded sample of the users on the map when there are many.
    fit_rows = np.arange(len(x))
    max_fit = max(max_fit, UMAP_MIN_USERS)
    if len(x) > max_fit:
        fit_rows = np.sort(np.random.default_rng(seed).choice(len(x), max_fit, replace=False))
    sampled = len(fit_rows) < len(x)

    # 2. PCA pre-reduction of the sample (float32 neighbour search: half the work).
    report(0.0, "Reducing dimensions")
    fit_x = x[fit_rows] if sampled else x
    fit_x = _pca(fit_x, PCA_DIMS, seed) if x.shape[1] > PCA_DIMS else fit_x
    fit_x = np.ascontiguousarray(fit_x, dtype=np.float32)

    # 3. Exact neighbours with scikit-learn: UMAP's own (pynndescent) recompiles in every process.
    from sklearn.neighbors import NearestNeighbors

    n_neighbors = min(15, len(fit_rows) - 1)
    index = NearestNeighbors(n_neighbors=n_neighbors).fit(fit_x)
    knn_dists, knn_indices = index.kneighbors(fit_x)  # (m, n_neighbors), self first

    # 4. Seeded, single-threaded UMAP on the sample.
    report(0.2, "Loading UMAP")
    umap = _import_umap()
    model = umap.UMAP(
        n_components=dims,
        n_neighbors=n_neighbors,
        metric="euclidean",
        random_state=seed,
        n_jobs=1,
        low_memory=True,
        n_epochs=EPOCHS_LARGE if len(fit_rows) > LARGE_N else EPOCHS,
        precomputed_knn=(knn_indices, knn_dists.astype(np.float32)),
    )
    report(0.3, f"Fitting UMAP on {len(fit_rows):,} users")
    coords = np.full((len(x), dims), np.nan, dtype=np.float32)  # NaN: not on the map
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no search index", "n_jobs overridden by random_state"
        coords[fit_rows] = model.fit_transform(fit_x)
    report(1.0, "Map ready")
    note = f"The map shows a seeded sample of {len(fit_rows):,} of {len(x):,} users." if sampled else ""
    return Projection(coords=coords, method="umap", sampled=sampled, n_fit=len(fit_rows), note=note)


def warm_up(*, seed: int = 0) -> float:
    """Compile (or load from numba's cache) UMAP's kernels with a tiny fit; returns the seconds spent.

    Safe to run in a background thread (e.g. `threading.Thread(target=warm_up, daemon=True)`).
    """
    start = time.perf_counter()
    x = np.random.default_rng(seed).normal(size=(64, 8)).astype(np.float32)
    project(x, dims=2, method="umap", seed=seed)
    return time.perf_counter() - start

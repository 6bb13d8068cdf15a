"""The K advisor: quality of each candidate number of segments, and a recommended K with a reason.

The rule: among the K whose smallest segment holds at least `min_segment_share` of the users and
whose stability (mean adjusted Rand index between k-means runs with other seeds on 80%
subsamples) is at least `min_stability`, take the K with the highest cosine silhouette. When even
the best silhouette is weak (< 0.25: overlapping segments, typical of real behaviour data, where the
top silhouette usually sits at an unactionable K=2), take the largest K that passes both bars
instead: the finest split that is still stable. When no K passes both, the stability bar is dropped
first, then the size bar, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.progress import Progress, no_progress
from core.segment.clusterers import normalise, single_threaded
from core.segment.stability import STABILITY_FRACTION, STABILITY_MAX_USERS, subsample
from core.segment.types import KAdvice

ADVISOR_MAX_USERS = 10_000  # users the advisor fits on (seeded sample above this)
ADVISOR_DIMS = 64  # k-means runs on a PCA reduction (metrics stay in the full space): ~6x faster
SILHOUETTE_MAX_USERS = 3_000  # users in the silhouette (an O(n^2) statistic)
STABILITY_RUNS = 3  # re-runs per K
WEAK_SILHOUETTE = 0.25  # below this the reason says that segments overlap (typical of real profiles)


def _kmeans(x: np.ndarray, k: int, seed: int, n_init: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit(x)
    return model.labels_.astype(np.int64)


def _score_k(
    x: np.ndarray, reduced: np.ndarray, k: int, seed: int, distances: np.ndarray, sil_rows: np.ndarray
) -> dict[str, float]:
    from sklearn.metrics import (
        adjusted_rand_score,
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    labels = _kmeans(reduced, k, seed, n_init=2)
    sizes = np.bincount(labels, minlength=k)
    sums = np.eye(k, dtype=np.float32)[labels].T @ x  # (k, dim) member sums
    inertia = float(np.sum(x.astype(np.float64) ** 2) - np.sum(sums**2 / np.maximum(sizes, 1)[:, None]))
    sil_labels = labels[sil_rows]
    silhouette = (
        float(silhouette_score(distances, sil_labels, metric="precomputed"))
        if len(np.unique(sil_labels)) > 1
        else float("nan")
    )
    rng = np.random.default_rng([seed, k])
    aris = []
    for run in range(STABILITY_RUNS):
        rows = subsample(len(x), STABILITY_FRACTION, STABILITY_MAX_USERS, rng)
        run_labels = _kmeans(reduced[rows], k, seed + 1 + run, n_init=1)
        aris.append(adjusted_rand_score(labels[rows], run_labels))
    return {
        "k": k,
        "inertia": inertia,
        "silhouette": silhouette,
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
        "min_share": float(sizes.min() / len(x)),
        "stability": float(np.mean(aris)),
    }


def _recommend(table: pd.DataFrame, min_share: float, min_stability: float) -> tuple[int, str]:
    big = table["min_share"] >= min_share
    stable = table["stability"] >= min_stability
    size_rule = f"whose smallest segment holds >= {min_share:.0%} of users"
    for mask, scope, caveat in (
        (big & stable, f"among K {size_rule} and whose stability is >= {min_stability:.2f}", ""),
        (
            big,
            f"among K {size_rule}",
            f"; no such K reached stability {min_stability:.2f}, so segments may shift",
        ),
        (
            stable,
            f"among K whose stability is >= {min_stability:.2f}",
            f"; every such K has a segment under {min_share:.0%}",
        ),
        (pd.Series(True, index=table.index), "of all K tried", "; no K met the size or stability bar"),
    ):
        candidates = table[mask & table["silhouette"].notna()]
        if len(candidates):
            best = candidates.loc[candidates["silhouette"].idxmax()]
            k = int(best["k"])
            if best["silhouette"] < WEAK_SILHOUETTE and not caveat:
                # Weak structure (typical of real behaviour): no K is "the" answer, and the top
                # silhouette usually sits at K=2, too coarse to act on. Take the finest split that
                # is still stable with every segment big enough.
                finest = candidates.loc[candidates["k"].idxmax()]
                return int(finest["k"]), (
                    f"K={int(finest['k'])}: all silhouettes are low (best {best['silhouette']:.2f} at K={k}), so"
                    f" segments overlap and K is a choice of granularity; this is the finest split {scope}"
                    f" (stability {finest['stability']:.2f}, smallest segment {finest['min_share']:.1%})."
                )
            if best["silhouette"] < WEAK_SILHOUETTE:
                caveat += "; all silhouettes are low, so segments overlap and K is a choice of granularity"
            reason = (
                f"K={k}: highest silhouette ({best['silhouette']:.2f}) {scope}"
                f" (stability {best['stability']:.2f}, smallest segment {best['min_share']:.1%}){caveat}."
            )
            return k, reason
    k = int(table["k"].iloc[0])
    return k, f"K={k}: the smallest K tried; no silhouette could be computed."


def advise_k(
    vectors: np.ndarray,
    *,
    k_range: Sequence[int] = range(2, 13),
    seed: int = 42,
    min_segment_share: float = 0.02,
    min_stability: float = 0.8,
    progress: Progress | None = None,
) -> KAdvice:
    """Score k-means for every K in `k_range` on users (n, dim) and recommend one (rule above).

    The table has one row per K: inertia, silhouette (cosine, on a seeded sample of at most
    3,000 users, reported as `silhouette_sample`), Davies-Bouldin, Calinski-Harabasz, the
    smallest segment's share and stability. Above 10,000 users everything runs on a seeded sample.
    """
    report = progress or no_progress
    x = np.asarray(vectors)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ConfigError(
            "The K advisor needs a finite (users x dimensions) matrix.",
            "K 建议需要有限值的（用户 x 维度）矩阵。",
        )
    ks = sorted({int(k) for k in k_range if 2 <= int(k) < len(x)})
    if not ks:
        raise ConfigError(
            f"No K in the range can split {len(x)} users: K must be between 2 and {len(x) - 1}.",
            f"范围内没有可用于 {len(x)} 个用户的 K：K 必须在 2 到 {len(x) - 1} 之间。",
        )

    # 1. Seeded samples: users to fit on, and the subset for the silhouette's distance matrix.
    rng = np.random.default_rng(seed)
    fit_rows = np.arange(len(x))
    if len(x) > ADVISOR_MAX_USERS:
        fit_rows = np.sort(rng.choice(len(x), ADVISOR_MAX_USERS, replace=False))
    fit_x = normalise(x[fit_rows])
    sil_rows = np.arange(len(fit_x))
    if len(fit_x) > SILHOUETTE_MAX_USERS:
        sil_rows = np.sort(rng.choice(len(fit_x), SILHOUETTE_MAX_USERS, replace=False))
    with single_threaded():  # many small fits: see core.segment.clusterers.single_threaded
        sil_x = fit_x[sil_rows]
        distances = np.clip(1.0 - (sil_x @ sil_x.T).astype(np.float64), 0.0, 2.0)  # cosine, once for all K
        np.fill_diagonal(distances, 0.0)

        # 2. One row per K; the fits run on a PCA reduction, every metric on the full vectors.
        reduced = fit_x
        if fit_x.shape[1] > ADVISOR_DIMS and len(fit_x) > ADVISOR_DIMS:
            from sklearn.decomposition import PCA

            reduced = (
                PCA(n_components=ADVISOR_DIMS, random_state=seed).fit_transform(fit_x).astype(np.float32)
            )
        rows = []
        for i, k in enumerate(ks):
            report(i / len(ks), f"Trying K={k}")
            rows.append(_score_k(fit_x, reduced, k, seed, distances, sil_rows))
    table = pd.DataFrame(rows)

    # 3. The recommendation.
    k, reason = _recommend(table, min_segment_share, min_stability)
    report(1.0, f"Recommended K={k}")
    sampled = len(sil_rows) < len(x)
    return KAdvice(
        table=table, recommended_k=k, reason=reason, silhouette_sample=len(sil_rows) if sampled else None
    )

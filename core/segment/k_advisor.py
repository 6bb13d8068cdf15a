"""The K advisor: quality of each candidate number of segments, and one recommended K with a reason.

The one K rule (used by `analyze`, `evaluate`, the app and the bundle through `advise_for_config`):
K is proposed inside an actionable range (default 4-12, `AnalysisConfig.k_min`/`k_max`, CLI
`--k-range`). Every K from 2 to the top of the range is scored: silhouette (cosine), the smallest
segment's share and stability (mean adjusted Rand index between k-means runs with other seeds on
80% subsamples).

1. `groups`: a K below the range wins only when the data really has that few groups: silhouette
   >= 0.4, stable, every group at least half its fair share (1 / 2K), and no K in the range
   separates better.
2. In the range, among K whose smallest segment holds >= `min_segment_share` and whose stability
   is >= `min_stability`: `clearest`, the highest silhouette when it is at least 0.25; else
   `finest`, the largest such K (segments overlap, K is a granularity choice, take the finest
   split that is still stable).
3. `size_only`: no K is stable: the most stable K whose segments are all above the floor.
   `closest`: no K keeps every segment above the floor: the K whose smallest segment is largest.

`final_advice` re-words the reason with the sizes of the final segmentation, so the numbers in
the sentence are the numbers in the sizes table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.progress import Progress, no_progress
from core.segment.clusterers import normalise, single_threaded
from core.segment.stability import STABILITY_FRACTION, STABILITY_MAX_USERS, subsample
from core.segment.types import KAdvice

if TYPE_CHECKING:
    from core.config import AnalysisConfig

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


STRONG_SILHOUETTE = 0.4  # a K below the actionable range needs clearly separated groups


def _recommend(table: pd.DataFrame, min_share: float, min_stability: float, k_min: int) -> tuple[int, str]:
    """(K, rule) by the rule in the module docstring; table rows: k, silhouette, min_share, stability."""
    sil = table["silhouette"].fillna(-1.0)
    in_range = table["k"] >= k_min
    big = table["min_share"] >= min_share
    stable = table["stability"] >= min_stability
    best_in_range = float(sil[in_range].max()) if in_range.any() else -1.0
    balanced = table["min_share"] >= np.maximum(min_share, 0.5 / table["k"])
    groups = ~in_range & (sil >= max(STRONG_SILHOUETTE, best_in_range)) & stable & balanced
    if groups.any():
        return int(table.loc[sil[groups].idxmax(), "k"]), "groups"
    good = in_range & big & stable
    if good.any():
        if float(sil[good].max()) >= WEAK_SILHOUETTE:
            return int(table.loc[sil[good].idxmax(), "k"]), "clearest"
        return int(table.loc[good, "k"].max()), "finest"
    if (in_range & big).any():
        return int(table.loc[table["stability"][in_range & big].idxmax(), "k"]), "size_only"
    rows = table[in_range] if in_range.any() else table
    return int(rows.loc[rows["min_share"].idxmax(), "k"]), "closest"


def _explain(table: pd.DataFrame, k: int, rule: str, settings: dict[str, Any]) -> tuple[str, str]:
    """The one-sentence trade-off of choosing K, in English and Chinese."""
    row = table.set_index("k").loc[k]
    lo, hi, floor, bar = (
        settings["k_min"],
        settings["k_max"],
        settings["min_share"],
        settings["min_stability"],
    )
    sil, stab, small = float(row["silhouette"]), float(row["stability"]), float(row["min_share"])
    best_sil = float(table["silhouette"].max())
    best_k = int(table.loc[table["silhouette"].idxmax(), "k"])
    facts_en = f"stability {stab:.2f}, smallest segment {small:.1%}"
    facts_zh = f"稳定性 {stab:.2f}，最小分群占 {small:.1%}"
    if rule == "groups":
        return (
            f"K={k}: the users form {k} clearly separated groups (silhouette {sil:.2f}, {facts_en});"
            f" no split into {lo}-{hi} segments separates them better.",
            f"K={k}：用户明显分成 {k} 个群组（轮廓系数 {sil:.2f}，{facts_zh}）；"
            f"分成 {lo}-{hi} 个分群都不如它清晰。",
        )
    if rule == "clearest":
        return (
            f"K={k}: the clearest split into {lo}-{hi} segments (silhouette {sil:.2f}, {facts_en}),"
            f" with every segment >= {floor:.0%} of users and stable across re-runs.",
            f"K={k}：在 {lo}-{hi} 个分群中划分最清晰（轮廓系数 {sil:.2f}，{facts_zh}），"
            f"每个分群都不少于 {floor:.0%} 的用户，且多次重跑结果稳定。",
        )
    if rule == "finest":
        return (
            f"K={k}: segments overlap (best silhouette {best_sil:.2f} at K={best_k}), so K is a choice of"
            f" granularity; {k} is the finest split in {lo}-{hi} whose segments all hold >= {floor:.0%} of"
            f" users and stay stable (>= {bar:.2f}), while finer splits are unstable or too small"
            f" ({facts_en}).",
            f"K={k}：分群之间有重叠（最佳轮廓系数 {best_sil:.2f}，K={best_k}），K 是粒度的选择；"
            f"{k} 是 {lo}-{hi} 中最细且每个分群不少于 {floor:.0%} 用户、结果稳定（>= {bar:.2f}）的划分，"
            f"更细的划分不稳定或分群过小（{facts_zh}）。",
        )
    if rule == "size_only":
        return (
            f"K={k}: segments overlap and no split into {lo}-{hi} segments is stable (>= {bar:.2f}), so"
            f" members may shift between runs; {k} is the most stable one whose segments all hold"
            f" >= {floor:.0%} of users ({facts_en}).",
            f"K={k}：分群之间有重叠，{lo}-{hi} 个分群的划分都不够稳定（>= {bar:.2f}），成员可能随重跑变化；"
            f"{k} 是每个分群不少于 {floor:.0%} 用户的划分中最稳定的（{facts_zh}）。",
        )
    return (
        f"K={k}: segments overlap and every split into {lo}-{hi} segments has one under {floor:.0%} of"
        f" users; {k} keeps the smallest segment largest ({facts_en}).",
        f"K={k}：分群之间有重叠，{lo}-{hi} 个分群的每种划分都有分群少于 {floor:.0%} 的用户；"
        f"{k} 的最小分群最大（{facts_zh}）。",
    )


def final_advice(advice: KAdvice, sizes: np.ndarray) -> KAdvice:
    """The advice re-worded with the final segmentation's sizes (k,): the smallest share it quotes
    (and the table's row for the chosen K) is then the one in the sizes table."""
    sizes = np.asarray(sizes)
    if len(sizes) != advice.recommended_k or not advice.rule or sizes.sum() <= 0:
        return advice
    table = advice.table.copy()
    table.loc[table["k"] == advice.recommended_k, "min_share"] = float(sizes.min() / sizes.sum())
    reason, reason_zh = _explain(table, advice.recommended_k, advice.rule, advice.settings)
    return replace(advice, table=table, reason=reason, reason_zh=reason_zh)


def advise_for_config(
    vectors: np.ndarray, config: AnalysisConfig, *, progress: Progress | None = None
) -> KAdvice:
    """`advise_k` with the K range, share floor and seed of an analysis config (the one K rule)."""
    n_users = len(vectors)
    k_max = max(2, min(config.k_max, n_users - 1))
    k_min = max(2, min(config.k_min, k_max))
    return advise_k(
        vectors,
        k_range=range(k_min, k_max + 1),
        seed=config.seed,
        min_segment_share=config.min_segment_share,
        progress=progress,
    )


def advise_k(
    vectors: np.ndarray,
    *,
    k_range: Sequence[int] = range(4, 13),
    seed: int = 42,
    min_segment_share: float = 0.02,
    min_stability: float = 0.8,
    progress: Progress | None = None,
) -> KAdvice:
    """Score k-means for K = 2 .. max(k_range) on users (n, dim) and recommend one (rule above);
    `k_range` is the actionable range, K below it wins only on clearly separated groups.

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
    actionable = sorted({int(k) for k in k_range if 2 <= int(k) < len(x)})
    if not actionable:
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
        ks = list(range(2, actionable[-1] + 1))  # below the range too: a real 2- or 3-group structure
        for i, k in enumerate(ks):
            report(i / len(ks), f"Trying K={k}")
            rows.append(_score_k(fit_x, reduced, k, seed, distances, sil_rows))
    table = pd.DataFrame(rows)

    # 3. The recommendation, and its trade-off in one sentence.
    settings = {
        "k_min": actionable[0],
        "k_max": actionable[-1],
        "min_share": float(min_segment_share),
        "min_stability": float(min_stability),
    }
    k, rule = _recommend(table, min_segment_share, min_stability, actionable[0])
    reason, reason_zh = _explain(table, k, rule, settings)
    report(1.0, f"Recommended K={k}")
    sampled = len(sil_rows) < len(x)
    return KAdvice(
        table=table,
        recommended_k=k,
        reason=reason,
        silhouette_sample=len(sil_rows) if sampled else None,
        reason_zh=reason_zh,
        rule=rule,
        settings=settings,
    )

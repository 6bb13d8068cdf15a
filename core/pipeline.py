"""Composition of the stages: dataset -> embeddings -> profiles -> segments -> insights.

The work is split in two so that changing K, the method or the seed reuses the expensive part:
`embed_and_profile` (model calls, cached by content) and `segment_and_describe` (seconds).
`run_analysis` runs both.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from core.analysis import Analysis, Prepared
from core.errors import AnalysisError, ConfigError
from core.notes import Note
from core.progress import Progress, no_progress, scaled

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from core.data import Dataset
    from core.embed.embedding import Embedder
    from core.segment.types import KAdvice

PIPELINE_PREPARE_SHARE = 0.6  # run_analysis: embed_and_profile reports over [0, 0.6] of its progress
QUALITY_SAMPLE = 5000  # users sampled for the silhouette of the chosen segmentation


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - start, 3)


def embed_and_profile(
    dataset: Dataset,
    config: AnalysisConfig,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> Prepared:
    """Embed every unique item text (cached by content) and build one interest vector per user."""
    from core.embed.hybrid import representation_for
    from core.embed.profiles import build_profiles

    report = progress or no_progress
    timings: dict[str, float] = {}
    items = dataset.items
    if len(items) == 0 or len(dataset.events) == 0:
        raise AnalysisError("The dataset has no usable events.", "数据中没有可用的行为记录。")

    # 1. Embed item texts.
    with _timed(timings, "load_model"):
        report(0.0, Note("Loading the language model", "正在加载语言模型"))
        model = embedder or representation_for(config)
    with _timed(timings, "embed"):
        texts = items["text"].astype(str).tolist()
        vectors = model.embed(texts, progress=scaled(report, 0.02, 0.9))
    info = embedding_info(model, vectors, config)
    state = model.state() if hasattr(model, "state") else {}

    # 2. Build profiles.
    from core.memory import release_memory

    release_memory()  # the model's batches and the embedding cache's buffers
    with _timed(timings, "profiles"):
        report(0.92, Note("Building user interest profiles", "正在构建用户兴趣画像"))
        profiles = build_profiles(
            dataset.events,
            items["item_id"].to_numpy(dtype=object),
            vectors,
            weights=config.weights,
            half_life_days=config.half_life_days,
            use_ratings=config.use_ratings,
        )
    if len(profiles) < 2:
        raise AnalysisError(
            f"Only {len(profiles)} user(s) have usable events; segments need at least 2.",
            f"只有 {len(profiles)} 个用户有可用行为，至少需要 2 个用户才能分群。",
        )
    release_memory()  # the sparse weight matrix and per-event arrays
    report(1.0, Note("Profiles ready", "用户画像已就绪"))
    return Prepared(
        dataset=dataset,
        item_ids=items["item_id"].to_numpy(dtype=object),
        item_vectors=vectors,
        profiles=profiles,
        embedding_info=info,
        timings=timings,
        representation_state=state,
    )


def embedding_info(model: Any, vectors: np.ndarray, config: AnalysisConfig, **extra: Any) -> dict[str, Any]:
    """summary.json's `embedding` section: which model, backend, device and representation ran, and
    the embedder's own counters (cache hits, truncations, ...). Shared by the local and Spark engines."""
    return {
        "model_id": getattr(model, "model_id", str(config.model)),
        "backend": getattr(model, "backend", ""),
        "device": getattr(model, "device", "cpu"),
        "dim": int(vectors.shape[1]),
        "representation": getattr(model, "representation", "sentence"),
        **dict(getattr(model, "last_stats", {}) or {}),
        **extra,
    }


def _choose_k(
    vectors: np.ndarray, config: AnalysisConfig, progress: Progress
) -> tuple[int, KAdvice | None, str]:
    """K given, or advised, bounded by the distinct profiles -> (k, advice or None, reason)."""
    from core.segment.clusterers import count_distinct
    from core.segment.k_advisor import advise_for_config

    n_users = len(vectors)
    if config.method == "hdbscan":
        return (config.k or 0), None, ""
    distinct = count_distinct(vectors, limit=max(config.k or 0, config.k_max) + 1)
    if config.k is not None:
        if not 2 <= config.k <= n_users:
            raise ConfigError(
                f"K must be between 2 and the number of users ({n_users}); got {config.k}.",
                f"K 必须在 2 到用户数（{n_users}）之间，当前为 {config.k}。",
            )
        if config.k > distinct:
            return (
                distinct,
                None,
                Note(
                    f"K={distinct}: {config.k} requested, but the {n_users:,} users have only {distinct} "
                    f"distinct interest profile{'s' if distinct > 1 else ''}.",
                    f"K={distinct}：设定为 {config.k}，但 {n_users:,} 位用户只有 {distinct} 种不同的兴趣画像。",
                ),
            )
        return config.k, None, Note(f"K={config.k} was set by the user.", f"K={config.k} 由用户设定。")
    if distinct == 1:
        return (
            1,
            None,
            Note(
                f"K=1: all {n_users:,} users have the same interest profile, so there is one segment.",
                f"K=1：全部 {n_users:,} 位用户的兴趣画像相同，因此只有一个分群。",
            ),
        )
    k_max = min(config.k_max, n_users - 1, distinct)
    if k_max < 2:  # two users with different profiles: nothing to compare, each is a segment
        return (
            distinct,
            None,
            Note(
                f"K={distinct}: with only {n_users} users the K advisor has no choice to compare; "
                "each distinct profile is a segment.",
                f"K={distinct}：只有 {n_users} 位用户，K 值建议无从比较；每种不同的画像各成一个分群。",
            ),
        )
    bounded = replace(config, k_min=min(config.k_min, k_max), k_max=k_max)  # never more K than profiles
    advice = advise_for_config(vectors, bounded, progress=progress)
    return advice.recommended_k, advice, Note(advice.reason, advice.text("zh"))


def _quality(vectors: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, float]:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    rng = np.random.default_rng(seed)
    idx = np.arange(len(labels))
    if len(idx) > QUALITY_SAMPLE:
        idx = np.sort(rng.choice(idx, QUALITY_SAMPLE, replace=False))
    sample_x, sample_y = vectors[idx], labels[idx]
    if not 2 <= len(np.unique(sample_y)) < len(sample_y):
        return {}  # the scores are undefined for one segment or one user per segment
    out = {"davies_bouldin": float(davies_bouldin_score(sample_x, sample_y))}
    out["calinski_harabasz"] = float(calinski_harabasz_score(sample_x, sample_y))
    out["silhouette"] = float(silhouette_score(sample_x, sample_y, metric="cosine"))
    out["quality_sample"] = float(len(idx))
    return out


def _run_id(dataset: Dataset, config: AnalysisConfig) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True, default=str).encode())
    digest.update(str(dataset.report.rows_in).encode())
    digest.update(str(dataset.report.n_users).encode())
    return time.strftime("%Y%m%d-%H%M%S") + "-" + digest.hexdigest()[:6]


def segment_and_describe(
    prepared: Prepared,
    config: AnalysisConfig,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    previous: Analysis | None = None,
) -> Analysis:
    """Cluster the profiles, project them to a map and describe every segment (no model load).

    With `previous`, segment ids are matched to that run's (Hungarian on centroid similarity), so
    names a person gave to segment ids survive a re-run with another K, method or seed.
    """
    from core.explain.insights import describe_segments
    from core.segment.clustering import label_agreement, majority_label, segment_users
    from core.segment.k_advisor import final_advice
    from core.segment.projection import project
    from core.segment.stability import match_segments, relabel

    report = progress or no_progress
    timings = dict(prepared.timings)
    vectors = prepared.profiles.vectors
    warnings: list[str] = []

    # 1. K: given, or advised.
    # The advice and the map depend only on the profiles and the seed: a re-run on the same
    # profiles (another K or method) reuses them, so it answers in about a second.
    same_profiles = previous is not None and previous.profiles is prepared.profiles
    with _timed(timings, "k_advice"):
        report(0.0, Note("Choosing the number of segments", "正在确定分群数量"))
        k, advice, k_reason = _choose_k(vectors, config, scaled(report, 0.0, 0.3))
        if k == 1 or (config.k is not None and config.method != "hdbscan" and k != config.k):
            warnings.append(k_reason)  # the data decided K, not the person: say so where results show
        if advice is None and same_profiles and previous is not None and previous.config.seed == config.seed:
            advice = previous.k_advice

    # 2. Segments, with ids matched to the previous run so names survive.
    with _timed(timings, "segment"):
        report(0.3, Note(f"Segmenting {len(vectors):,} users", f"正在为 {len(vectors):,} 位用户分群"))
        # K=1 (one distinct profile) is asked as 2: segment_users answers with the one segment.
        segmentation = segment_users(vectors, method=config.method, k=max(k, 2) if k else k, seed=config.seed)
        if config.method == "hdbscan":
            k_reason = Note(
                f"HDBSCAN found {segmentation.k} dense groups.", f"HDBSCAN 找到 {segmentation.k} 个密集群组。"
            )
        if (
            previous is not None
            and previous.segmentation.centroids.shape[1] == segmentation.centroids.shape[1]
        ):
            mapping = match_segments(segmentation, previous.segmentation)
            segmentation = relabel(segmentation, mapping)
        if advice is not None and config.method != "hdbscan":
            advice = final_advice(advice, segmentation.sizes)  # quote the sizes table's numbers

    # 3. Map.
    with _timed(timings, "projection"):
        report(0.45, Note("Drawing the map", "正在绘制兴趣地图"))
        reuse_map = (
            same_profiles
            and previous is not None
            and (previous.config.projection, previous.config.seed) == (config.projection, config.seed)
        )
        if reuse_map and previous is not None:
            coords, projection_info = previous.coords, dict(previous.projection_info)
            coords3d = previous.coords3d
        else:
            projection = project(vectors, dims=2, method=config.projection, seed=config.seed)
            coords = projection.coords
            projection_info = {
                "method": projection.method,
                "sampled": projection.sampled,
                "n_fit": projection.n_fit,
            }
            coords3d = None
        if config.projection_3d and coords3d is None:
            coords3d = project(vectors, dims=3, method=config.projection, seed=config.seed).coords

    # 4. Quality and agreement with a known label.
    quality = _quality(vectors, segmentation.labels, config.seed)
    if prepared.dataset.has_labels:
        events = prepared.dataset.events
        truth = majority_label(events["user_id"], events["label"], prepared.profiles.user_ids)
        quality.update(label_agreement(segmentation.labels, truth))

    # 5. Describe and name segments.
    with _timed(timings, "insights"):
        report(0.7, Note("Describing segments", "正在描述各分群"))
        embed = embedder.embed if embedder is not None else None
        segments = describe_segments(
            prepared.dataset,
            prepared.profiles,
            segmentation,
            item_ids=prepared.item_ids,
            item_vectors=prepared.item_vectors,
            embed=embed,
            n_keywords=config.n_keywords,
            min_keyword_users=config.min_keyword_users,
            progress=scaled(report, 0.7, 0.98),
        )
    report(1.0, Note("Done", "完成"))
    return Analysis(
        config=config,
        dataset=prepared.dataset,
        item_ids=prepared.item_ids,
        item_vectors=prepared.item_vectors,
        profiles=prepared.profiles,
        segmentation=segmentation,
        k_advice=advice,
        coords=coords,
        coords3d=coords3d,
        projection_info=projection_info,
        segments=segments,
        quality=quality,
        timings=timings,
        embedding_info=prepared.embedding_info,
        run_id=_run_id(prepared.dataset, config),
        warnings=warnings,
        k_reason=k_reason,
        representation_state=prepared.representation_state,
    )


def run_analysis(
    dataset: Dataset,
    config: AnalysisConfig,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> Analysis:
    """The whole pipeline: embed, profile, segment, project, describe."""
    from core.embed.hybrid import representation_for

    report = progress or no_progress
    model = embedder or representation_for(config)
    prepared = embed_and_profile(
        dataset, config, progress=scaled(report, 0.0, PIPELINE_PREPARE_SHARE), embedder=model
    )
    return segment_and_describe(
        prepared, config, progress=scaled(report, PIPELINE_PREPARE_SHARE, 1.0), embedder=model
    )

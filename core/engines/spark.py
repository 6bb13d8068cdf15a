"""`analyze_spark`: the pipeline on Apache Spark, giving the same `Analysis` as core.pipeline.

Stages (each in its own module): ingest (core.engines.spark_ingest: core's cleaning rules per
partition, one reconciled report), embedding of the distinct item texts and profiles
(core.engines.spark_profiles), K advice on a sample of profiles with the local K rule
(core.pipeline._choose_k -> core.segment.k_advisor), Spark ML KMeans (core.engines.spark_segment).
The map, the quality scores, segment descriptions and every export then run on the driver with the
local engine's code over the collected profiles and kept events, so summary.json, segments.json,
the report and the bundle are the local engine's files; per-user assignments are also written as
Parquet (`assignments.parquet`).

From Python:

    from core.engines.spark import analyze_spark
    analysis = analyze_spark("events.parquet/", AnalysisConfig(k=8), master="local[4]")
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.analysis import Analysis
from core.errors import AnalysisError
from core.progress import Progress, no_progress, scaled

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from core.data import Dataset
    from core.embed.embedding import Embedder

K_ADVICE_SAMPLE = 20_000  # profiles the K advisor compares candidate K on


def _seconds(timings: dict[str, float], stage: str, start: float) -> float:
    now = time.perf_counter()
    timings[stage] = round(now - start, 3)
    return now


def analyze_spark(
    path: str | Path,
    config: AnalysisConfig,
    *,
    master: str | None = None,
    spark: Any = None,
    mapping_overrides: dict[str, Any] | None = None,
    items: str | Path | None = None,
    items_mapping_overrides: dict[str, Any] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    embedder: Embedder | None = None,
    accept_warnings: bool = True,
    rows_per_partition: int | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Run the whole analysis of `path` (file or directory of parts) on Spark (`master`, default local[2])."""
    from core.embed.hybrid import representation_for
    from core.engines.spark_ingest import ROWS_PER_PARTITION, collect_dataset, spark_ingest
    from core.engines.spark_profiles import build_profiles_spark, collect_profiles, embed_items
    from core.engines.spark_segment import segmentation_from_labels, spark_kmeans_labels
    from core.engines.spark_session import get_session, owns_no_session, release
    from core.ingest.plausibility import require_plausible
    from core.pipeline import embedding_info

    report = progress or no_progress
    if config.method != "kmeans":
        raise AnalysisError(
            f"The Spark engine clusters with k-means only; got --method {config.method}.",
            f"Spark 引擎仅支持 k-means 聚类；当前为 --method {config.method}。",
        )
    timings: dict[str, float] = {}
    start = time.perf_counter()
    report(0.0, "Starting Spark")
    owned = spark is None and owns_no_session()  # started here: stopped once Spark's part is done
    session = spark or get_session(master)
    if config.label_column:
        mapping_overrides = {**(mapping_overrides or {}), "label": config.label_column}
    start = _seconds(timings, "spark_start", start)

    # 1. Ingest: Spark reads and cleans; the kept events come to the driver for the descriptions.
    report(0.05, "Reading and cleaning on Spark")
    events, ingest_report, items_df, text_columns = spark_ingest(
        session,
        path,
        mapping_overrides=mapping_overrides,
        items=items,
        items_mapping_overrides=items_mapping_overrides,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        rows_per_partition=rows_per_partition or ROWS_PER_PARTITION,
    )
    dataset = collect_dataset(events, ingest_report, items_df, text_columns)
    if not accept_warnings:
        require_plausible(dataset.report)
    start = _seconds(timings, "ingest", start)

    # 2. Embed the distinct item texts, then profiles as a shuffle by user + per-partition aggregate.
    report(0.3, "Embedding item texts")
    model = embedder or representation_for(config)
    vectors, where = embed_items(session, items_df, config, model)
    info = embedding_info(model, vectors, config, **where)
    start = _seconds(timings, "embed", start)
    report(0.5, "Building profiles on Spark")
    item_ids = items_df["item_id"].to_numpy(dtype=object)
    spark_profiles = build_profiles_spark(
        session,
        events,
        item_ids,
        vectors,
        weights=config.weights,
        half_life_days=config.half_life_days,
        use_ratings=config.use_ratings,
        n_users=ingest_report.n_users,
    ).persist()
    profiles = collect_profiles(spark_profiles)
    if len(profiles) < 2:
        raise AnalysisError(
            f"Only {len(profiles)} user(s) have usable events; segments need at least 2.",
            f"只有 {len(profiles)} 个用户有可用行为，至少需要 2 个用户才能分群。",
        )
    start = _seconds(timings, "profiles", start)

    # 3. K: given, or advised on a sample with the local rule.
    report(0.6, "Choosing the number of segments")
    k, advice, k_reason = _k_on_sample(profiles.vectors, config)
    warnings: list[str] = []
    if config.k is not None and k != config.k:
        warnings.append(k_reason)
    start = _seconds(timings, "k_advice", start)

    # 4. Spark ML KMeans, finished with the local rules.
    report(0.65, f"Segmenting {len(profiles):,} users on Spark")
    raw = spark_kmeans_labels(spark_profiles, profiles.vectors, max(k, 2), config.seed)
    segmentation = segmentation_from_labels(profiles.vectors, raw, max(k, 2), config.seed)
    if advice is not None:
        from core.segment.k_advisor import final_advice

        advice = final_advice(advice, segmentation.sizes)
    spark_profiles.unpersist()
    events.unpersist()
    if owned:
        release(session)
    start = _seconds(timings, "segment", start)

    # 5. Map, quality, descriptions: the local engine's code on the driver.
    analysis = _describe(
        dataset,
        profiles,
        item_ids,
        vectors,
        segmentation,
        advice,
        k_reason,
        warnings,
        config,
        info,
        timings,
        model,
        scaled(report, 0.7, 1.0),
    )
    return analysis


def _k_on_sample(vectors: np.ndarray, config: AnalysisConfig) -> tuple[int, Any, str]:
    from core.pipeline import _choose_k
    from core.segment.clusterers import sample_rows

    rows = sample_rows(len(vectors), K_ADVICE_SAMPLE, config.seed)
    k, advice, reason = _choose_k(vectors[rows], config, no_progress)
    if len(rows) < len(vectors) and advice is not None:
        reason += f" (advised on a sample of {len(rows):,} of {len(vectors):,} users)"
        advice = replace(advice, reason=reason)
    return k, advice, reason


def _describe(
    dataset: Dataset,
    profiles: Any,
    item_ids: np.ndarray,
    vectors: np.ndarray,
    segmentation: Any,
    advice: Any,
    k_reason: str,
    warnings: list[str],
    config: AnalysisConfig,
    info: dict[str, Any],
    timings: dict[str, float],
    model: Any,
    report: Progress,
) -> Analysis:
    from core.explain.insights import describe_segments
    from core.pipeline import _quality, _run_id
    from core.segment.clustering import label_agreement, majority_label
    from core.segment.projection import project

    start = time.perf_counter()
    x = profiles.vectors
    report(0.0, "Drawing the map")
    projection = project(x, dims=2, method=config.projection, seed=config.seed)
    coords3d = (
        project(x, dims=3, method=config.projection, seed=config.seed).coords
        if config.projection_3d
        else None
    )
    start = _seconds(timings, "projection", start)
    quality = _quality(x, segmentation.labels, config.seed)
    if dataset.has_labels:
        events = dataset.events  # the local engine's rule, vectorised (a per-user lambda took minutes at 1M)
        truth = majority_label(events["user_id"], events["label"], profiles.user_ids)
        quality.update(label_agreement(segmentation.labels, truth))
    report(0.3, "Describing segments")
    segments = describe_segments(
        dataset,
        profiles,
        segmentation,
        item_ids=item_ids,
        item_vectors=vectors,
        embed=model.embed,
        n_keywords=config.n_keywords,
        min_keyword_users=config.min_keyword_users,
        progress=scaled(report, 0.3, 1.0),
    )
    _seconds(timings, "insights", start)
    report(1.0, "Done")
    return Analysis(
        config=config,
        dataset=dataset,
        item_ids=item_ids,
        item_vectors=vectors,
        profiles=profiles,
        segmentation=segmentation,
        k_advice=advice,
        coords=projection.coords,
        coords3d=coords3d,
        projection_info={
            "method": projection.method,
            "sampled": projection.sampled,
            "n_fit": projection.n_fit,
            "engine": "spark",
        },
        segments=segments,
        quality=quality,
        timings=timings,
        embedding_info=info,
        run_id=_run_id(dataset, config),
        warnings=warnings,
        k_reason=k_reason,
        representation_state=model.state() if hasattr(model, "state") else {},  # hybrid: TF-IDF space
    )


def write_assignments_parquet(analysis: Analysis, out_dir: Path, *, privacy: Any = None) -> Path:
    """assignments.parquet: user_id, segment_id, segment_name, confidence, x, y (the export view's ids)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.export.writer import build_view

    view = build_view(analysis, privacy=privacy)
    columns = ["user_id", "segment_id", "segment_name", "confidence", "x", "y"]
    path = out_dir / "assignments.parquet"
    pq.write_table(pa.Table.from_pandas(view.members[columns], preserve_index=False), path)
    return path

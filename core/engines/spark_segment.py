"""Clustering on Spark: MLlib KMeans with cosine distance, then the local engine's finishing rules.

The choice, for parity (ARI >= 0.9 with the local engine at the same K and seed): both engines run
the same algorithm from the same start and stop at the same place.
- Start: pyspark.ml's KMeans takes no initial centres, so the RDD-based pyspark.mllib KMeans (the
  same Lloyd iterations, `initialModel` supported, cosine distance) runs on the executors, started
  from the local engine's k-means++ (core.segment.clusterers.kmeans, n_init 4) on a seeded sample
  of at most INIT_SAMPLE users: on data that fits the sample both engines start from the same
  centres, on more data the start is a good one. Spark does the distributed work (the Lloyd passes
  over every user); the driver only seeds it.
- Stop: the fitted centres' partition goes through the local engine's spherical refinement
  (core.segment.clusterers.refine: Lloyd steps with normalised centroids to the fixed point) and
  `finalise` (nearest-centroid pass, empty segments dropped), so labels, confidence and distance
  mean exactly what they mean for the local engine and `assign(training_vectors)` returns the
  labels. The local engine once stopped its refinement after 10 steps; Online Retail at K=8, seed
  42 needs 35, and that cap alone held the engines at ARI 0.81. Both now run to the fixed point:
  Online Retail ARI 1.000 at the advised K and K=8, seeds 42 and 1 (bench/spark_bench.py).
Stability re-runs use the local k-means on the same small subsamples as the local engine
(core.segment.stability).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.segment.types import Segmentation

MAX_ITER = 40
INIT_SAMPLE = 20_000  # users the local k-means++ start is computed on


def spark_kmeans_labels(profiles: Any, x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Raw labels (rows of `x`, the collected profiles) from Spark MLlib KMeans with cosine distance,
    started from the local engine's k-means++ on a seeded sample of at most INIT_SAMPLE users."""
    from pyspark.mllib.clustering import KMeans, KMeansModel

    from core.segment.clusterers import (
        centroids_of,
        kmeans,
        nearest,
        normalise,
        sample_rows,
        single_threaded,
        unit_rows,
    )

    # Exactly the local engine's input and threading (core.segment.clustering.segment_users): float32
    # unit rows (the profiles themselves, no copy), one BLAS thread. sklearn's k-means on other bits
    # or threads can settle elsewhere on weakly separated data (Online Retail: ARI 0.81 between engines).
    x = unit_rows(x)
    rows = sample_rows(len(x), INIT_SAMPLE, seed)
    with single_threaded():
        init_labels = kmeans(x[rows], k, seed)[0]
    start = centroids_of(x[rows], init_labels, k)
    # Not cached on the Python side: MLlib persists the converted vectors itself (MEMORY_AND_DISK),
    # and a second cached copy of 1M pickled profiles would double the JVM's share.
    data = (
        profiles.filter(profiles["skipped"].isNull())
        .select("vector")
        .rdd.map(lambda r: np.frombuffer(r[0], dtype=np.float32).astype(np.float64))
    )
    model = KMeans.train(
        data,
        k,
        maxIterations=MAX_ITER,
        seed=seed,
        epsilon=1e-6,
        initialModel=KMeansModel([c.astype(np.float64) for c in start]),
        distanceMeasure="cosine",
    )
    centers = normalise(np.asarray(model.clusterCenters, dtype=np.float64))
    return nearest(x, centers)[0]


def segmentation_from_labels(
    x: np.ndarray, raw: np.ndarray, k: int, seed: int, *, stability_runs: int = 5
) -> Segmentation:
    """The local engine's finish on Spark's partition: refinement, finalise, stability."""
    from core.segment.clusterers import single_threaded, unit_rows

    x = unit_rows(x)  # as core.segment.clustering.segment_users: the profiles themselves when unit rows
    with single_threaded():
        return _finish(x, raw, k, seed, stability_runs)


def _finish(x: np.ndarray, raw: np.ndarray, k: int, seed: int, stability_runs: int) -> Segmentation:
    from core.segment.clusterers import count_distinct, finalise, kmeans, refine
    from core.segment.clustering import RERUN_MAX_USERS
    from core.segment.stability import segment_stability

    labels = refine(x, raw, int(raw.max()) + 1)  # to the fixed point, as core.segment.clusterers.kmeans ends
    labels, confidence, distance, centroids = finalise(x, labels)
    found = len(centroids)

    def refit(sub: np.ndarray, run_seed: int) -> tuple[np.ndarray, np.ndarray]:
        run_k = min(found, count_distinct(sub))
        run = kmeans(sub, run_k, run_seed, n_init=2)[0]
        run_labels, _, _, run_centroids = finalise(sub, run)
        return run_labels, run_centroids

    stability = (
        segment_stability(
            x, labels, centroids, refit, runs=stability_runs, seed=seed, max_users=RERUN_MAX_USERS["kmeans"]
        )
        if stability_runs > 0 and found > 1
        else None
    )
    return Segmentation(
        method="kmeans",
        k=found,
        seed=seed,
        labels=labels,
        centroids=centroids.astype(np.float32),
        confidence=confidence,
        distance=distance,
        sizes=np.bincount(labels, minlength=found).astype(np.int64),
        stability=stability,
        notes=(
            f"Spark MLlib KMeans (cosine), started from local k-means++ on up to {INIT_SAMPLE:,} users (seed {seed}).",
        ),
    )

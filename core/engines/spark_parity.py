"""Parity of the Spark engine with the local engine on one file: the figures the slow test and
bench/spark_bench.py report (ARI between the engines' segments, ingest report fields that differ,
item texts that differ, cosine between each user's two profiles)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np


def parity(
    path: str | Path, *, k: int | None = 8, seed: int = 42, master: str = "local[2]", spark: Any = None
) -> dict:
    """Both engines on `path` at the same K and seed (projection pca; the map plays no part).

    `k` None: each engine advises K itself (the Spark engine on a sample of at most
    core.engines.spark.K_ADVICE_SAMPLE users, so the same users on smaller data); `k_local` and
    `k_spark` say what each chose."""
    from sklearn.metrics import adjusted_rand_score

    from core.config import AnalysisConfig
    from core.engines.spark import analyze_spark
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    config = AnalysisConfig(k=k, seed=seed, projection="pca")
    start = time.perf_counter()
    local = run_analysis(load_dataset(path), config)
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    other = analyze_spark(path, config, master=master, spark=spark)
    spark_s = time.perf_counter() - start
    a, b = local.dataset.report.to_dict(), other.dataset.report.to_dict()
    diff = sorted(key for key in set(a) | set(b) if a.get(key) != b.get(key))
    li = local.dataset.items.set_index("item_id")["text"]
    si = other.dataset.items.set_index("item_id")["text"].reindex(li.index)
    position = {u: i for i, u in enumerate(other.profiles.user_ids.tolist())}
    rows = np.array([position.get(u, -1) for u in local.profiles.user_ids.tolist()])
    found = rows >= 0
    x, y = local.profiles.vectors[found], other.profiles.vectors[rows[found]]
    cosine = np.sum(x * y, axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1) + 1e-12)
    return {
        "ari": float(
            adjusted_rand_score(local.segmentation.labels[found], other.segmentation.labels[rows[found]])
        ),
        "users_missing": int((~found).sum()) + abs(len(other.profiles) - int(found.sum())),
        "report_equal": not diff,
        "report_diff": diff,
        "texts_differ": int((li != si).sum()),
        "items_same_order": local.dataset.items["item_id"].tolist()
        == other.dataset.items["item_id"].tolist(),
        "cosine_min": float(cosine.min()) if len(cosine) else float("nan"),
        "cosine_mean": float(cosine.mean()) if len(cosine) else float("nan"),
        "k_local": local.segmentation.k,
        "k_spark": other.segmentation.k,
        "n_users": len(local.profiles),
        "n_items": len(local.dataset.items),
        "local_s": local_s,
        "spark_s": spark_s,
    }

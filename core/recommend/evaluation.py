"""Honest offline evaluation: every recommender and every segmentation on the same split, full ranking.

Splits live in core/recommend/splits.py and metrics (with their definitions) in core/recommend/metrics.py; both are
re-exported here. `evaluate_dataset` is the one-call entry point used by the CLI and the UI.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.config import AnalysisConfig
from core.errors import ConfigError
from core.progress import Progress, no_progress, scaled
from core.recommend.metrics import ranking_metrics, relevant_items
from core.recommend.segment_power import random_segments, rfm_segments, segment_power, single_segment
from core.recommend.splits import SPLITS, Split, make_split

if TYPE_CHECKING:
    import argparse

    from core.data import Dataset
    from core.embed.embedding import Embedder

__all__ = ["EvaluationResult", "cli_evaluate", "evaluate_dataset", "evaluate_split"]

RECOMMENDER_ORDER = ("popular", "item_knn", "segment_popular", "content", "logistic", "hybrid")
SEGMENTATION_ORDER = ("ours", "rfm_kmeans", "tfidf", "random", "single")
SEGMENTATION_LABELS = {
    "ours": "Ours: MiniLM interest profiles (weighted, recency) + KMeans",
    "rfm_kmeans": "RFM + KMeans (recency, frequency, monetary)",
    "tfidf": "TF-IDF profiles + KMeans",
    "random": "Random segments of the same sizes",
    "single": "One segment (global popularity)",
}


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Metrics per recommender and predictive power per segmentation, on one stated split."""

    recommenders: dict[str, dict[str, float]]  # name -> {"hr@10", "ndcg@10", ..., "fit_seconds"}
    segmentations: dict[str, dict[str, float]]  # name -> {"hr@10", "ndcg@10", "n_segments", "n_users"}
    split: dict[str, Any]  # kind, seed, test_size / cutoff, counts, skipped and cold users
    top_k: int = 10
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: {"recommenders": {...}, "segmentations": {...}, "split": {...}}."""
        clean = {
            "recommenders": _finite(self.recommenders),
            "segmentations": _finite(self.segmentations),
            "split": self.split,
        }
        return json.loads(json.dumps(clean, default=str))

    def to_markdown(self) -> str:
        """Two tables (recommender x metric, segmentation x predictive power) with the split stated."""
        k = self.top_k
        s = self.split
        how = (
            f"cut-off {s['cutoff']}"
            if s.get("cutoff")
            else f"last {s.get('test_size')} interactions per user"
        )
        lines = [
            f"Split: {s['kind']} ({how}), seed {s['seed']}; {s['n_eval_users']} users evaluated, "
            f"{s['skipped_users']} skipped (no unseen test items), {s.get('cold_users', 0)} cold. "
            "Full ranking over the catalogue; items seen in training excluded.",
            "",
            f"| recommender | HR@{k} | NDCG@{k} | P@{k} | R@{k} | MRR | coverage | novelty | fit s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, m in self.recommenders.items():
            cells = [m.get(f"{key}@{k}", np.nan) for key in ("hr", "ndcg", "precision", "recall")]
            cells += [m.get("mrr", np.nan), m.get("coverage", np.nan)]
            lines.append(
                f"| {name} | " + " | ".join(f"{c:.4f}" for c in cells) + f" | {m.get('novelty', np.nan):.2f}"
                f" | {m.get('fit_seconds', np.nan):.1f} |"
            )
        lines += ["", f"| segmentation | segments | HR@{k} | NDCG@{k} |", "| --- | --- | --- | --- |"]
        for name, m in self.segmentations.items():
            lines.append(
                f"| {name} | {int(m.get('n_segments', 0))} | {m[f'hr@{k}']:.4f} | {m[f'ndcg@{k}']:.4f} |"
            )
        lines += ["", *[f"- {n}" for n in self.notes]] if self.notes else []
        return "\n".join(lines) + "\n"


def evaluate_dataset(
    dataset: Dataset,
    *,
    split: str = "temporal",
    top_k: int = 10,
    test_size: int = 5,
    cutoff: str | pd.Timestamp | None = None,
    segments: str | int = "auto",
    seed: int = 42,
    embedder: Embedder | None = None,
    config: AnalysisConfig | None = None,
    recommenders: tuple[str, ...] = RECOMMENDER_ORDER,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Split `dataset`, fit every recommender and segmentation on the train part, score the test part.

    segments: "auto" (the K advisor on the training profiles) or an int K, used by every segmentation.
    config supplies event weights, half-life and ratings use for the profiles (default AnalysisConfig()).
    """
    from core.embed.embedding import make_embedder

    report = progress or no_progress
    cfg = config or AnalysisConfig(seed=seed)
    # 1. split
    report(0.0, "Splitting")
    parts = make_split(dataset.events, split=split, test_size=test_size, cutoff=cutoff, seed=seed)
    # 2. item vectors over the whole catalogue (model and TF-IDF)
    item_ids = dataset.items["item_id"].astype(str).to_numpy(dtype=object)
    texts = dataset.items["text"].astype(str).tolist()
    report(0.05, "Embedding items")
    vectors = (embedder or make_embedder(cfg.model)).embed(texts)
    tfidf_vectors = make_embedder("tfidf").embed(texts)
    return evaluate_split(
        parts,
        item_ids=item_ids,
        item_vectors=vectors,
        tfidf_vectors=tfidf_vectors,
        item_texts=texts,
        top_k=top_k,
        segments=segments,
        seed=seed,
        config=cfg,
        recommenders=recommenders,
        progress=scaled(report, 0.2, 1.0),
    )


def evaluate_split(
    parts: Split,
    *,
    item_ids: np.ndarray,
    item_vectors: np.ndarray,
    tfidf_vectors: np.ndarray | None = None,
    item_texts: list[str] | None = None,
    top_k: int = 10,
    segments: str | int = "auto",
    seed: int = 42,
    config: AnalysisConfig | None = None,
    recommenders: tuple[str, ...] = RECOMMENDER_ORDER,
    segment_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate on a prepared split with prepared item vectors ((n_items, dim) rows follow item_ids).

    segment_options: keyword options of SegmentPopularRecommender (lift, half_life_days, ...) used by
    the segment_popular recommender and by every segmentation's predictive power.
    """
    from core.embed.profiles import build_profiles
    from core.recommend.registry import RECOMMENDERS
    from core.segment.clustering import segment_users
    from core.segment.k_advisor import advise_k

    report = progress or no_progress
    cfg = config or AnalysisConfig(seed=seed)
    seg_opts = dict(segment_options or {})
    if parts.train.empty or parts.test.empty:
        raise ConfigError(
            "The split left no training or no test events; lower --test-size or move the cut-off.",
            "切分后没有训练或测试事件;请减小 --test-size 或调整截止日期。",
        )
    # 1. the users we can evaluate
    users = sorted(set(parts.test["user_id"].astype(str)))
    relevant_all = relevant_items(parts.test, parts.train, users)
    eval_users = [u for u, r in zip(users, relevant_all, strict=True) if r]
    relevant = [r for r in relevant_all if r]
    # 2. train-only profiles and our segments
    profile_opts: dict[str, Any] = dict(
        weights=cfg.weights, half_life_days=cfg.half_life_days, use_ratings=cfg.use_ratings
    )
    profiles = build_profiles(parts.train, item_ids, item_vectors, **profile_opts)
    k = int(segments) if str(segments) != "auto" else advise_k(profiles.vectors, seed=seed).recommended_k
    report(0.1, f"Segmenting (K={k})")
    ours = segment_users(profiles.vectors, method="kmeans", k=k, seed=seed, stability_runs=0)
    ours_labels = pd.Series(ours.labels, index=profiles.user_ids.astype(str))
    # 3. recommenders, timed
    train_users = int(parts.train["user_id"].nunique())
    popularity = parts.train.drop_duplicates(["user_id", "item_id"])["item_id"].value_counts().to_dict()
    results: dict[str, dict[str, float]] = {}
    cold = 0
    for i, name in enumerate(recommenders):
        report(0.15 + 0.65 * i / len(recommenders), f"Fitting {name}")
        start = time.perf_counter()
        options: dict[str, Any] = {
            "segment_popular": seg_opts,
            "hybrid": {"component_options": {"segment_popular": seg_opts}},
        }.get(name, {})
        model = RECOMMENDERS[name](**options)
        model.fit(
            parts.train,
            item_ids=item_ids,
            item_vectors=item_vectors,
            profiles=profiles,
            segment_labels=ours_labels,
            item_texts=item_texts,
        )
        fit_seconds = time.perf_counter() - start
        recs = model.recommend(eval_users, top_k, with_reasons=False)
        cold = recs.n_cold
        metrics = ranking_metrics(
            recs.item_ids,
            relevant,
            k=top_k,
            item_popularity=popularity,
            n_train_users=train_users,
            n_catalogue=len(item_ids),
        )
        metrics.pop("n_users")
        results[name] = {**metrics, "fit_seconds": fit_seconds}
    # 4. segmentations' predictive power (same K everywhere)
    report(0.8, "Comparing segmentations")
    segmentations = {"ours": ours_labels, "rfm_kmeans": rfm_segments(parts.train, k=k, seed=seed)}
    if tfidf_vectors is not None:
        tfidf_profiles = build_profiles(parts.train, item_ids, tfidf_vectors, **profile_opts)
        tfidf = segment_users(tfidf_profiles.vectors, method="kmeans", k=k, seed=seed, stability_runs=0)
        segmentations["tfidf"] = pd.Series(tfidf.labels, index=tfidf_profiles.user_ids.astype(str))
    segmentations["random"] = random_segments(ours_labels, seed=seed)
    segmentations["single"] = single_segment(ours_labels.index)
    power = segment_power(parts, segmentations, item_ids=item_ids, top_k=top_k, segment_options=seg_opts)
    report(1.0, "Done")
    info = {
        **parts.info,
        "seed": int(seed),
        "top_k": int(top_k),
        "k": int(k),
        "n_eval_users": len(eval_users),
        "skipped_users": len(users) - len(eval_users),
        "cold_users": int(cold),
        "n_items": len(item_ids),
        "half_life_days": cfg.half_life_days,
    }
    return EvaluationResult(results, power, info, top_k=top_k)


def cli_evaluate(args: argparse.Namespace) -> int:
    """`python -m core evaluate EVENTS [--items ITEMS] [--split ..] [--top-k ..] [--test-size ..]
    [--segments K|auto] [--seed N] [--cutoff DATE] --out DIR` -> DIR/evaluation.json + evaluation.md.
    """
    from core.ingest.cli_args import load_from_args

    dataset = load_from_args(args)
    result = evaluate_dataset(
        dataset,
        split=args.split,
        top_k=args.top_k,
        test_size=args.test_size,
        cutoff=getattr(args, "cutoff", None),
        segments=args.segments,
        seed=args.seed,
        progress=getattr(args, "progress", None),
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
    (out / "evaluation.md").write_text("# Offline evaluation\n\n" + result.to_markdown(), encoding="utf-8")
    return 0


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m core evaluate` (for core/cli.py's registry)."""
    parser.add_argument("events", help="events file (csv/tsv/xlsx/parquet, optionally compressed)")
    from core.ingest.cli_args import add_read_options

    add_read_options(
        parser,
        items_help="items table joined on item_id (e.g. MovieLens movies.csv)",
        map_help="override a column mapping, as for analyze",
    )
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--test-size", type=int, default=5, help="held-out interactions per user")
    parser.add_argument("--cutoff", help="temporal split at this date instead of last-N per user")
    parser.add_argument("--segments", default="auto", help="K for every segmentation, or auto")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True, help="output folder")


def _finite(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    return {n: {k: (float(v) if np.isfinite(v) else None) for k, v in m.items()} for n, m in table.items()}

"""Honest offline evaluation: every recommender and every segmentation on the same split, full ranking.

Splits live in core/recommend/splits.py and metrics (with their definitions) in core/recommend/metrics.py; both are
re-exported here. `evaluate_dataset` is the one-call entry point used by the CLI (core/recommend/evaluation_cli.py) and the UI.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.config import AnalysisConfig
from core.errors import ConfigError
from core.progress import Progress, no_progress, scaled
from core.recommend.metrics import ranking_metrics, relevant_items
from core.recommend.segment_power import random_segments, rfm_segments, segment_power, single_segment
from core.recommend.splits import Split, make_split

if TYPE_CHECKING:
    from core.data import Dataset
    from core.embed.embedding import Embedder
    from core.segment.types import KAdvice

__all__ = ["EvaluationResult", "advised_k", "evaluate_dataset", "evaluate_split"]

RECOMMENDER_ORDER = ("popular", "item_knn", "segment_popular", "content", "logistic", "hybrid")
FINE_K = 32  # segmentations are also compared at this fine K (when the data has users enough)
DEFAULT_TOP_K = 10
MAX_TOP_K = 1_000  # longest ranked list evaluated (further bounded by the catalogue)
APP_EVAL_USERS = 1_000  # test users the dashboard's evaluation scores (a seeded sample, stated on the page)


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Metrics per recommender and predictive power per segmentation, on one stated split."""

    recommenders: dict[str, dict[str, float]]  # name -> {"hr@10", "ndcg@10", ..., "fit_seconds"}
    segmentations: dict[str, dict[str, float]]  # name -> {"hr@10", "ndcg@10", "n_segments", "n_users"}
    split: dict[str, Any]  # kind, seed, test_size / cutoff, counts, skipped and cold users, k, fine_k
    top_k: int = 10
    notes: list[str] = field(default_factory=list)
    segmentations_fine: dict[str, dict[str, float]] = field(default_factory=dict)  # same at split["fine_k"]

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: {"recommenders", "segmentations", "segmentations_fine", "split"}."""
        clean = {
            "recommenders": _finite(self.recommenders),
            "segmentations": _finite(self.segmentations),
            "segmentations_fine": _finite(self.segmentations_fine),
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
        for table in (self.segmentations, self.segmentations_fine):
            if not table:
                continue
            lines += ["", f"| segmentation | segments | HR@{k} | NDCG@{k} |", "| --- | --- | --- | --- |"]
            for name, m in table.items():
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
    item_vectors: np.ndarray | None = None,
    tfidf_vectors: np.ndarray | None = None,
    fine_k: int | None = FINE_K,
    max_eval_users: int | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Split `dataset`, fit every recommender and segmentation on the train part, score the test part.

    segments: "auto" (the K `analyze` would choose: the one K rule on the whole data's profiles,
    `core.segment.k_advisor.advise_for_config`) or an int K, used by every segmentation; `fine_k`
    (default 32) adds a second comparison of segmentations at a fine K.
    config supplies event weights, half-life, ratings use and K range (default AnalysisConfig()).
    item_vectors / tfidf_vectors: the analysis's embeddings of `dataset.items` rows and their TF-IDF
    vectors (skip re-embedding). max_eval_users: score a seeded random sample of this many test
    users (every one when None); the split info records `n_eval_users` and `eval_users_sampled_from`.
    """
    from core.embed.embedding import make_embedder
    from core.embed.hybrid import representation_for

    report = progress or no_progress
    cfg = config or AnalysisConfig(seed=seed)
    # 1. split
    report(0.0, "Splitting")
    parts = make_split(dataset.events, split=split, test_size=test_size, cutoff=cutoff, seed=seed)
    # 2. item vectors over the whole catalogue (model and TF-IDF)
    item_ids = dataset.items["item_id"].astype(str).to_numpy(dtype=object)
    texts = dataset.items["text"].astype(str).tolist()
    report(0.05, "Embedding items")
    vectors = item_vectors if item_vectors is not None else (embedder or representation_for(cfg)).embed(texts)
    if tfidf_vectors is None:
        tfidf_vectors = make_embedder("tfidf").embed(texts)
    if str(segments) == "auto":
        advice = advised_k(
            dataset.events, item_ids, vectors, cfg.with_(seed=seed), progress=scaled(report, 0.1, 0.2)
        )
        segments = advice.recommended_k
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
        fine_k=fine_k,
        max_eval_users=max_eval_users,
        progress=scaled(report, 0.2, 1.0),
    )


def advised_k(
    events: pd.DataFrame,
    item_ids: np.ndarray,
    vectors: np.ndarray,
    config: AnalysisConfig,
    *,
    progress: Progress | None = None,
) -> KAdvice:
    """The K advice `analyze` gives for these events and config: the one K rule on all users' profiles."""
    from core.embed.profiles import build_profiles
    from core.segment.k_advisor import advise_for_config

    profiles = build_profiles(
        events,
        item_ids,
        vectors,
        weights=config.weights,
        half_life_days=config.half_life_days,
        use_ratings=config.use_ratings,
    )
    return advise_for_config(profiles.vectors, config, progress=progress)


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
    fine_k: int | None = None,
    max_eval_users: int | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate on a prepared split with prepared item vectors ((n_items, dim) rows follow item_ids).

    segment_options: keyword options of SegmentPopularRecommender (lift, half_life_days, ...) used by
    the segment_popular recommender and by every segmentation's predictive power.
    """
    from core.embed.profiles import build_profiles
    from core.recommend.registry import RECOMMENDERS
    from core.segment.clustering import segment_users
    from core.segment.k_advisor import advise_for_config

    report = progress or no_progress
    cfg = config or AnalysisConfig(seed=seed)
    seg_opts = dict(segment_options or {})
    if parts.train.empty or parts.test.empty:
        raise ConfigError(
            "The split left no training or no test events; lower --test-size or move the cut-off.",
            "切分后没有训练或测试事件;请减小 --test-size 或调整截止日期。",
        )
    notes: list[str] = []
    bound = min(max(len(item_ids), DEFAULT_TOP_K), MAX_TOP_K)
    if top_k > bound:
        # A list longer than the catalogue is the catalogue (the standard @10 is kept even for tiny
        # catalogues); beyond MAX_TOP_K it is no longer a recommendation list, and costs memory.
        notes.append(f"top-k {top_k:,} requested; {bound:,} used (catalogue {len(item_ids):,} items).")
        top_k = bound
    # 1. the users we can evaluate
    users = sorted(set(parts.test["user_id"].astype(str)))
    relevant_all = relevant_items(parts.test, parts.train, users)
    eval_users = [u for u, r in zip(users, relevant_all, strict=True) if r]
    relevant = [r for r in relevant_all if r]
    sampled_from = len(eval_users)
    if max_eval_users is not None and len(eval_users) > max_eval_users:
        pick = np.sort(
            np.random.default_rng(seed).choice(len(eval_users), int(max_eval_users), replace=False)
        )
        eval_users = [eval_users[i] for i in pick]
        relevant = [relevant[i] for i in pick]
    # 2. train-only profiles and our segments
    profile_opts: dict[str, Any] = dict(
        weights=cfg.weights, half_life_days=cfg.half_life_days, use_ratings=cfg.use_ratings
    )
    profiles = build_profiles(parts.train, item_ids, item_vectors, **profile_opts)
    k = (
        int(segments)
        if str(segments) != "auto"
        else advise_for_config(profiles.vectors, cfg.with_(seed=seed)).recommended_k
    )
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
    # 4. segmentations' predictive power (same K everywhere), at K and at a fine K
    report(0.8, "Comparing segmentations")
    tfidf_profiles = (
        None
        if tfidf_vectors is None
        else build_profiles(parts.train, item_ids, tfidf_vectors, **profile_opts)
    )

    def compare(at_k: int, ours_at_k: pd.Series) -> dict[str, dict[str, float]]:
        segmentations = {"ours": ours_at_k, "rfm_kmeans": rfm_segments(parts.train, k=at_k, seed=seed)}
        if tfidf_profiles is not None:
            tfidf = segment_users(
                tfidf_profiles.vectors, method="kmeans", k=at_k, seed=seed, stability_runs=0
            )
            segmentations["tfidf"] = pd.Series(tfidf.labels, index=tfidf_profiles.user_ids.astype(str))
        segmentations["random"] = random_segments(ours_at_k, seed=seed)
        segmentations["single"] = single_segment(ours_at_k.index)
        return segment_power(parts, segmentations, item_ids=item_ids, top_k=top_k, segment_options=seg_opts,
                             eval_users=(eval_users, relevant))  # fmt: skip

    power = compare(k, ours_labels)
    fine: dict[str, dict[str, float]] = {}
    if fine_k is not None and k < fine_k < len(profiles.user_ids) // 2:
        report(0.9, f"Comparing segmentations at K={fine_k}")
        ours_fine = segment_users(profiles.vectors, method="kmeans", k=fine_k, seed=seed, stability_runs=0)
        fine = compare(fine_k, pd.Series(ours_fine.labels, index=profiles.user_ids.astype(str)))
    report(1.0, "Done")
    info = {
        **parts.info,
        "seed": int(seed),
        "top_k": int(top_k),
        "k": int(k),
        "fine_k": int(fine_k) if fine and fine_k is not None else None,
        "n_eval_users": len(eval_users),
        "eval_users_sampled_from": sampled_from if len(eval_users) < sampled_from else None,
        "skipped_users": len(users) - sampled_from,
        "cold_users": int(cold),
        "n_items": len(item_ids),
        "half_life_days": cfg.half_life_days,
    }
    return EvaluationResult(results, power, info, top_k=top_k, segmentations_fine=fine, notes=notes)


def _finite(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    return {n: {k: (float(v) if np.isfinite(v) else None) for k, v in m.items()} for n, m in table.items()}

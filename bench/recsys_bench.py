"""Recommenders and segmentations on ml-latest-small and Online Retail -> docs/benchmarks.md.

`python bench/recsys_bench.py` writes the `recsys_bench` section; `--tune` instead prints the
validation grid (K, half-life, lift) measured inside the TRAINING period only, which is where the
settings below come from. Embeddings are cached on disk (bench/recsys_data.py).
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.recsys_data import load_movielens, load_online_retail  # noqa: E402
from bench.sections import write_section  # noqa: E402
from core.config import AnalysisConfig  # noqa: E402
from core.recommend.evaluation import EvaluationResult, advised_k, evaluate_split  # noqa: E402
from core.recommend.splits import Split, temporal_split  # noqa: E402

SEED = 42


@dataclass(frozen=True)
class BenchCase:
    name: str
    loader: Any
    split_note: str
    cutoff: str | None  # global cut-off, else leave-last-5-out
    val_cutoff: str | None  # the validation cut-off inside the training period
    k: int | str  # segments of the recommenders, also the fine K of the segmentations (chosen on validation)
    half_life_days: float | None  # profiles
    segment_options: dict[str, Any]


CASES = (
    BenchCase(
        "ml-latest-small",
        load_movielens,
        "leave-last-5-out by time per user",
        None,
        None,
        32,
        None,
        {"lift": 0.0, "half_life_days": None, "user_norm": 0.0},
    ),
    BenchCase(
        "Online Retail",
        load_online_retail,
        "train before 2011-10-01, test after; customers with purchases on both sides; items a customer "
        "bought before the cut-off excluded from their ranking",
        "2011-10-01",
        "2011-07-01",
        32,
        180.0,
        {"lift": 0.0, "half_life_days": 30.0, "user_norm": 0.0},
    ),
)


def _split(case: BenchCase, events: pd.DataFrame, *, validation: bool = False) -> Split:
    if case.cutoff is None:
        outer = temporal_split(events, test_size=5)
        return temporal_split(outer.train, test_size=5) if validation else outer
    if validation:
        assert case.val_cutoff is not None
        train_period = events[events["timestamp"] < pd.Timestamp(case.cutoff)]
        return temporal_split(train_period, cutoff=case.val_cutoff)
    return temporal_split(events, cutoff=case.cutoff)


def _vectors(items: pd.DataFrame) -> tuple[Any, Any, list[str]]:
    """ "Ours" is the product's default representation (the sentence + TF-IDF hybrid), as `analyze` runs it."""
    from core.config import AnalysisConfig
    from core.embed.embedding import make_embedder
    from core.embed.hybrid import make_representation

    texts = items["text"].astype(str).tolist()
    default = AnalysisConfig()
    ours = make_representation(default.model, default.representation).embed(texts)
    return np.asarray(ours, dtype=np.float32), make_embedder("tfidf").embed(texts), texts


def run_case(case: BenchCase, *, validation: bool = False, **overrides: Any) -> EvaluationResult:
    """Every recommender and segmentation on the case's test split (or its validation split)."""
    events, items = case.loader()
    vectors, tfidf, texts = _vectors(items)
    opts = {"k": case.k, "half_life_days": case.half_life_days, "segment_options": case.segment_options}
    opts.update(overrides)
    return evaluate_split(
        _split(case, events, validation=validation),
        item_ids=items["item_id"].to_numpy(dtype=object),
        item_vectors=vectors,
        tfidf_vectors=tfidf,
        item_texts=texts,
        segments=opts["k"],
        seed=SEED,
        config=AnalysisConfig(seed=SEED, half_life_days=opts["half_life_days"]),
        recommenders=opts.get(
            "recommenders", ("popular", "item_knn", "segment_popular", "content", "logistic", "hybrid")
        ),
        segment_options=opts["segment_options"],
    )


def advice_for(case: BenchCase) -> Any:
    """The K the app and `analyze` would advise on the case's events (the one K rule, all users)."""
    events, items = case.loader()
    vectors, _, _ = _vectors(items)
    config = AnalysisConfig(seed=SEED, half_life_days=case.half_life_days)
    return advised_k(events, items["item_id"].to_numpy(dtype=object), vectors, config)


def _segment_targets(seg: dict[str, dict[str, float]]) -> list[str]:
    k = int(seg["ours"]["n_segments"])
    ours, single = seg["ours"]["ndcg@10"], seg["single"]["ndcg@10"]
    ratio = ours / single if single else float("nan")
    lines = [
        f"K={k}: ours NDCG@10 {ours:.4f} = {ratio:.2f}x single {single:.4f}: "
        + ("above" if ratio > 1 else "MISSED")
    ]
    for name in ("rfm_kmeans", "tfidf", "random"):
        other = seg[name]["ndcg@10"]
        lines.append(
            f"K={k}: ours vs {name} {other:.4f} ({ours / other:.2f}x): "
            + ("above" if ours > other else "MISSED")
        )
    return lines


def _targets(case: BenchCase, result: EvaluationResult) -> list[str]:
    rec, seg = result.recommenders, result.segmentations
    lines = []
    if case.cutoff is None:
        ok = rec["hybrid"]["ndcg@10"] >= rec["item_knn"]["ndcg@10"]
        lines.append(
            f"hybrid NDCG@10 {rec['hybrid']['ndcg@10']:.4f} vs item_knn {rec['item_knn']['ndcg@10']:.4f}: "
            + ("met" if ok else "MISSED")
        )
        for name in ("segment_popular", "content", "logistic", "hybrid"):
            ok = rec[name]["ndcg@10"] > rec["popular"]["ndcg@10"]
            lines.append(
                f"{name} NDCG@10 {rec[name]['ndcg@10']:.4f} vs popular {rec['popular']['ndcg@10']:.4f}: "
                + ("beats it" if ok else "MISSED")
            )
    else:
        ours, single = seg["ours"]["ndcg@10"], seg["single"]["ndcg@10"]
        ratio = ours / single if single else float("nan")
        lines.append(
            f"ours NDCG@10 {ours:.4f} = {ratio:.2f}x single {single:.4f} (target >= 1.5x): "
            + ("met" if ratio >= 1.5 else "MISSED")
        )
    return lines


def tune() -> None:
    """Print validation NDCG@10 of our segments over K x profile half-life x segment_popular options."""
    grid_k = (8, 12, 16, 24, 32)
    grid_half_life = (None, 90.0, 30.0)
    grid_seg = (
        {"lift": 0.0, "half_life_days": 60.0},
        {"lift": 0.25, "half_life_days": 60.0},
        {"lift": 0.25, "half_life_days": None},
        {"lift": 0.5, "half_life_days": 60.0},
    )
    for case in CASES:
        for k, hl, seg in itertools.product(grid_k, grid_half_life, grid_seg):
            start = time.perf_counter()
            r = run_case(case, validation=True, k=k, half_life_days=hl, segment_options=seg, recommenders=())
            s = r.segmentations
            print(
                f"{case.name} k={k} profile_hl={hl} seg={seg}: ours {s['ours']['ndcg@10']:.4f} "
                f"single {s['single']['ndcg@10']:.4f} tfidf {s['tfidf']['ndcg@10']:.4f} "
                f"rfm {s['rfm_kmeans']['ndcg@10']:.4f} ({time.perf_counter() - start:.0f}s)",
                flush=True,
            )


def main() -> None:
    parts = [
        "## Recommenders and segment predictive power (`bench/recsys_bench.py`)",
        "",
        "Full ranking over the whole catalogue (no sampled negatives); items a user had in training "
        f"are never recommended to them. Seed {SEED}. Settings (K, profile half-life, lift) were chosen "
        "on a validation split inside the training period (`python bench/recsys_bench.py --tune`), "
        "never on the test period. Fit times are wall seconds on a shared, busy 2-core machine.",
    ]
    for case in CASES:
        start = time.perf_counter()
        result = run_case(case)
        print(result.to_markdown(), flush=True)
        advice = advice_for(case)
        advised = run_case(case, k=advice.recommended_k, recommenders=())
        seg_table = advised.to_markdown().split("| segmentation |", 1)[1]
        parts += [
            "",
            f"### {case.name}: {case.split_note}",
            "",
            f"Recommenders with K = {result.split['k']}, profile half-life {case.half_life_days} days, "
            f"segment_popular {case.segment_options}; total {time.perf_counter() - start:.0f} s.",
            "",
            result.to_markdown().rstrip(),
            "",
            f"Segment predictive power at the K the app advises on these events, same split and settings."
            f" The advice: {advice.reason}",
            "",
            "| segmentation |" + seg_table.rstrip(),
            "",
            "Targets:",
            *[f"- {line}" for line in _targets(case, result)],
            *[f"- {line}" for line in _segment_targets(advised.segmentations)],
            *[f"- {line}" for line in _segment_targets(result.segmentations)],
        ]
    parts += [
        "",
        "Notes: on Online Retail, TF-IDF profiles (fitted on this catalogue's own product names, where "
        "product-line words such as RETROSPOT carry the signal) are the strongest segmentation baseline. "
        "On the train-period validation split we tried K 8-48, profile half-life none/180/90/60 days, "
        "segment_popular lift 0-0.5, recency 30/60 days/none and per-customer normalisation, "
        "IDF-weighted profiles and MiniLM+TF-IDF concatenation; none put MiniLM segments above TF-IDF there. "
        "Counting every customer once in segment_popular (user_norm 1.0) was below the volume-weighted "
        "setting for every segmentation on 2026-11-28, so it is no longer re-run here. Segmentations are "
        "compared at the advised K (what a user sees) and at the tuned fine K=32; a margin of 1-2% "
        "between two segmentations is within the run-to-run noise of this split.",
    ]
    write_section("recsys_bench", "\n".join(parts))


if __name__ == "__main__":
    if "--tune" in sys.argv:
        tune()
    else:
        main()

"""Which item representation segments best: sentence model, TF-IDF or the hybrid (core/embed/hybrid.py).

`python bench/representation_bench.py` writes the `representation_bench` section of docs/benchmarks.md:
- Chinese planted interests from real Toutiao headlines (bench/zh_planted.py; skipped with a message
  when the corpus is absent): ARI of the full pipeline at K=10 for each representation, three seeds;
- the English sample data (sample_data/events.csv, its `label` column): ARI at the advised K;
- Online Retail: segment predictive power (NDCG@10 of segment_popular, bench/recsys_bench.py's split
  and settings at K=32) of hybrid-profile segments vs TF-IDF-profile segments.
The sentence vectors come from the embedding cache, so a second run embeds nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sections import write_section  # noqa: E402
from core.config import AnalysisConfig  # noqa: E402

SEEDS = (42, 1, 2)
REPRESENTATIONS = ("sentence", "tfidf", "hybrid")


def _dataset_from_frame(frame: Any) -> Any:
    from core.ingest.dataset import load_dataset

    return load_dataset(frame.to_csv(index=False).encode("utf-8"), filename="zh_planted.csv")


def _ari(dataset: Any, representation: str, seed: int, k: int | None) -> tuple[float, dict[str, Any]]:
    from core.pipeline import run_analysis

    config = AnalysisConfig(representation=representation, seed=seed, k=k, projection="pca")
    analysis = run_analysis(dataset, config)
    return float(analysis.quality.get("ari", float("nan"))), analysis.embedding_info


def chinese() -> list[str]:
    from bench.zh_planted import ZH_CORPUS, corpus_present, planted_events

    if not corpus_present():
        return [f"Skipped: the Toutiao headline corpus is not in {ZH_CORPUS} (see bench/zh_planted.py)."]
    dataset = _dataset_from_frame(planted_events())
    lines = [
        "Chinese planted interests (real Toutiao headlines, 10 categories, 1,500 users, "
        f"{len(dataset.events):,} events, 3,000 texts; full pipeline at K=10):",
        "",
        "| representation | ARI seed 42 | seed 1 | seed 2 | mean |",
        "|---|---|---|---|---|",
    ]
    means = {}
    reason = ""
    for rep in REPRESENTATIONS:
        scores = []
        for seed in SEEDS:
            ari, info = _ari(dataset, rep, seed, 10)
            scores.append(ari)
            reason = info.get("representation_reason", reason) if rep == "hybrid" else reason
        means[rep] = sum(scores) / len(scores)
        lines.append(f"| {rep} | " + " | ".join(f"{s:.3f}" for s in scores) + f" | {means[rep]:.3f} |")
    ok = means["hybrid"] >= 0.90 and means["hybrid"] >= means["tfidf"]
    lines += [
        "",
        f"Language: {dataset.report.language}. Default ran as: {reason}.",
        f"- target hybrid ARI >= 0.90 and >= tfidf: {'met' if ok else 'MISSED'} "
        f"(hybrid {means['hybrid']:.3f}, tfidf {means['tfidf']:.3f}, sentence {means['sentence']:.3f})",
    ]
    return lines


def english_sample() -> list[str]:
    from core.ingest.dataset import load_dataset

    dataset = load_dataset(ROOT / "sample_data" / "events.csv")
    rows = []
    for rep in ("sentence", "hybrid"):
        ari, info = _ari(dataset, rep, 42, None)
        rows.append((rep, ari, info.get("representation_reason", "")))
    ok = rows[1][1] >= rows[0][1] - 0.01
    return [
        "English sample data (sample_data/events.csv, advised K, seed 42):",
        "",
        *[f"- {rep}: ARI {ari:.3f} ({why})" for rep, ari, why in rows],
        f"- target hybrid no worse than sentence (today's default): {'met' if ok else 'MISSED'}",
    ]


def online_retail() -> list[str]:
    import numpy as np

    from bench.recsys_bench import CASES, SEED, _split
    from bench.recsys_data import cached_embed
    from core.embed.hybrid import sentence_weight
    from core.embed.language import detect_language
    from core.embed.tfidf import TfidfEmbedder
    from core.recommend.evaluation import evaluate_split

    case = next(c for c in CASES if c.name == "Online Retail")
    events, items = case.loader()
    texts = items["text"].astype(str).tolist()
    sent = cached_embed(texts)
    tfidf = TfidfEmbedder().embed(texts)
    w = sentence_weight(detect_language(texts).han_share)
    hybrid = np.hstack([np.sqrt(w) * sent, np.sqrt(1 - w) * tfidf]).astype(np.float32)
    hybrid /= np.linalg.norm(hybrid, axis=1, keepdims=True)
    out = {}
    for name, vectors in (("sentence", sent), ("hybrid", hybrid)):
        result = evaluate_split(
            _split(case, events),
            item_ids=items["item_id"].to_numpy(dtype=object),
            item_vectors=vectors,
            tfidf_vectors=tfidf,
            item_texts=texts,
            segments=case.k,
            seed=SEED,
            config=AnalysisConfig(seed=SEED, half_life_days=case.half_life_days),
            recommenders=(),
            segment_options=case.segment_options,
        )
        out[name] = result.segmentations
    tf = out["hybrid"]["tfidf"]["ndcg@10"]
    hy, se = out["hybrid"]["ours"]["ndcg@10"], out["sentence"]["ours"]["ndcg@10"]
    return [
        f"Online Retail segment predictive power (NDCG@10 of segment_popular, K={case.k}, "
        "recsys_bench split and settings):",
        "",
        f"- hybrid (sentence {w:.2f}): {hy:.4f}; sentence only: {se:.4f}; TF-IDF profiles: {tf:.4f}",
        f"- target hybrid >= TF-IDF: {'met' if hy >= tf else 'MISSED'} ({hy / tf:.3f}x)",
    ]


def main() -> None:
    parts = ["## Item representation: sentence model, TF-IDF, hybrid (`bench/representation_bench.py`)", ""]
    for block in (chinese, english_sample, online_retail):
        start = time.perf_counter()
        try:
            lines = block()
        except FileNotFoundError as exc:
            lines = [f"Skipped {block.__name__}: {exc}"]
        parts += [*lines, f"({block.__name__}: {time.perf_counter() - start:.0f} s)", ""]
        print("\n".join(lines), flush=True)
    parts.append(
        "Weighting rule (core/embed/hybrid.py): sentence weight = 0.70 - 0.65 x the Han share of the "
        "letters in the item texts; the hybrid vector's cosine is that weight x the sentence cosine + "
        "the rest x the TF-IDF cosine."
    )
    write_section("representation_bench", "\n".join(parts))


if __name__ == "__main__":
    main()

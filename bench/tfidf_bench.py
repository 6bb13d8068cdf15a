"""TF-IDF embedder at scale: generated distinct texts (25,000 and 500,000), seconds and peak RSS.

Baseline in the same run: the previous implementation (TfidfVectorizer with a full vocabulary, then
arpack TruncatedSVD over every text) on the 25,000 texts, capped at BASELINE_LIMIT_S. Agreement: on
the 25,000 texts, the share of each text's 10 nearest neighbours (cosine) that the new vectors and
the baseline's have in common, and the ARI of KMeans(k=8) segments of both.
Writes its section of docs/benchmarks.md. Run: `nice -n 10 .venv/bin/python bench/tfidf_bench.py`.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sections import write_section  # noqa: E402
from core.embed.tfidf import TfidfEmbedder, tokenize  # noqa: E402

SIZES = (25_000, 500_000)
BASELINE_LIMIT_S = 900
WORDS = 20_000
SEED = 7


def generated_texts(n: int, seed: int = SEED) -> list[str]:
    """n distinct product-like texts: 4-12 words from a Zipf-distributed vocabulary, 10% Chinese."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "an", "el", "or", "is"]
    vocab = ["".join(rng.choice(syllables, size=rng.integers(2, 5))) + str(i % 7) for i in range(WORDS)]
    chinese = [
        "红色",
        "连衣裙",
        "夏季",
        "新款",
        "笔记本",
        "电脑",
        "轻薄",
        "办公",
        "学生",
        "女装",
        "运动",
        "鞋",
    ]
    ranks = np.minimum(rng.zipf(1.3, size=n * 12), WORDS) - 1
    lengths = rng.integers(4, 13, size=n)
    texts, pos = [], 0
    for i, length in enumerate(lengths):
        words = [vocab[r] for r in ranks[pos : pos + length]]
        pos += length
        if i % 10 == 0:
            words[:3] = rng.choice(chinese, size=3).tolist()
        texts.append(" ".join(words) + f" #{i}")  # distinct by construction
    return texts


def baseline(texts: list[str], dim: int = 256) -> np.ndarray:
    """The implementation before issue 16: full vocabulary, arpack SVD on every text."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True
    ).fit_transform(texts)
    out = TruncatedSVD(n_components=dim, algorithm="arpack", random_state=0).fit_transform(tfidf)
    return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _run(kind: str, n: int, queue: multiprocessing.Queue) -> None:
    texts = generated_texts(n)
    updates: list[float] = []
    start = time.perf_counter()
    if kind == "new":
        vectors = TfidfEmbedder().embed(texts, progress=lambda f, m: updates.append(f))
    else:
        vectors = baseline(texts)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path = ROOT / ".cache" / f"tfidf-{kind}-{n}.npy"
    if n == SIZES[0]:
        path.parent.mkdir(exist_ok=True)
        np.save(path, vectors)
    queue.put({"seconds": seconds, "rss_mb": rss, "updates": len(set(np.round(updates, 2)))})


def measure(kind: str, n: int, limit: float) -> dict[str, float] | None:
    """Run in a fresh process (own peak RSS); None when it passes `limit` seconds."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_run, args=(kind, n, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def agreement(n: int) -> tuple[float, float, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    new = np.load(ROOT / ".cache" / f"tfidf-new-{n}.npy")
    old = np.load(ROOT / ".cache" / f"tfidf-baseline-{n}.npy")
    rows = np.random.default_rng(0).choice(n, 2_000, replace=False)
    a = np.argsort(-(new[rows] @ new.T), axis=1)[:, 1:11]
    b = np.argsort(-(old[rows] @ old.T), axis=1)[:, 1:11]
    overlap = [len(set(x) & set(y)) / 10 for x, y in zip(a, b, strict=True)]
    old_labels = KMeans(8, n_init=2, random_state=0).fit_predict(old)
    ari = adjusted_rand_score(old_labels, KMeans(8, n_init=2, random_state=0).fit_predict(new))
    # The baseline against itself under another k-means seed: how stable k-means segments of these texts are.
    self_ari = adjusted_rand_score(old_labels, KMeans(8, n_init=2, random_state=1).fit_predict(old))
    return float(np.mean(overlap)), float(ari), float(self_ari)


def main() -> None:
    base = measure("baseline", SIZES[0], BASELINE_LIMIT_S)
    print("baseline", base, flush=True)
    results = {}
    for n in SIZES:
        results[n] = measure("new", n, 1800)
        print("new", n, results[n], flush=True)
    lines = [
        "## TF-IDF at scale",
        "",
        "Generated distinct texts (4-12 Zipf words, 10% Chinese). Each run in a fresh process.",
        "",
        "| texts | implementation | seconds | peak RSS MB | progress steps | vs baseline |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    if base is None:
        lines.append(
            f"| {SIZES[0]:,} | before (vocabulary + arpack) | > {BASELINE_LIMIT_S} (stopped) | - | 1 | 1.0x |"
        )
    else:
        lines.append(
            f"| {SIZES[0]:,} | before (vocabulary + arpack) | {base['seconds']:.1f} | {base['rss_mb']:.0f} | 1 | 1.0x |"
        )
    for n, result in results.items():
        if result is None:
            lines.append(f"| {n:,} | hashed + sampled SVD | > 1800 (stopped) | - | - | - |")
            continue
        ratio = (
            f"{(base['seconds'] if base else BASELINE_LIMIT_S) / result['seconds']:.1f}x faster"
            if n == SIZES[0]
            else "-"
        )
        lines.append(
            f"| {n:,} | hashed + sampled SVD | {result['seconds']:.1f} | {result['rss_mb']:.0f} | "
            f"{result['updates']} | {ratio} |"
        )
    if base is not None and results[SIZES[0]] is not None:
        overlap, ari, self_ari = agreement(SIZES[0])
        lines += [
            "",
            f"Agreement with the baseline on {SIZES[0]:,} texts: {overlap:.0%} of the 10 nearest neighbours "
            f"shared (2,000 sampled texts); ARI {ari:.2f} between KMeans(k=8) segments of both, against "
            f"{self_ari:.2f} for the baseline with itself under another k-means seed (generated texts have "
            "no real segments, so k-means partitions of them are unstable anyway).",
        ]
    load = os.getloadavg()[0]
    lines += [
        "",
        f"Load average at the end of the run: {load:.0f} on {os.cpu_count()} cores (a shared machine): absolute "
        "seconds are inflated by the other work, the ratio is measured in the same run.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("tfidf", body)


if __name__ == "__main__":
    main()

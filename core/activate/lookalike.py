"""Lookalikes: rank users by how much their interest profile resembles a seed set's.

score = 0.5 * cosine to the seed centroid + 0.5 * mean cosine to the user's 10 nearest seeds (exact
dot products on the unit profile vectors, in blocks). Seeds are excluded from the ranking.

Up to `EXACT_MAX_USERS` (100k) profile rows every user is scored. Above, an approximate index
(faiss IndexIVFFlat, inner product, nlist ~ sqrt(n), trained on 64 points per list, nprobe 16) proposes the candidates: the
users nearest to the seed centroid and to up to 256 sampled seeds; only those are scored, with the
same exact formula, so the output (user_id, score) has the same format and the same scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import ConfigError, IngestError

if TYPE_CHECKING:
    from core.export.bundle import Bundle

NEIGHBOURS = 10
BLOCK = 4096
EXACT_MAX_USERS = 100_000
SEED_QUERIES = 256  # seeds sampled as index queries (approximate path)
SEED_QUERY_K = 64  # neighbours per sampled seed
NPROBE = 16


def lookalikes(
    user_ids: np.ndarray,
    vectors: np.ndarray,
    seeds: set[str],
    top: int,
    *,
    exact_max_users: int = EXACT_MAX_USERS,
) -> pd.DataFrame:
    """user_id, score (best first) for the `top` non-seed users most like the seeds.

    Exact up to `exact_max_users` profile rows, an approximate candidate index above."""
    ids = np.asarray(user_ids).astype(str)
    is_seed = np.isin(ids, list(seeds))
    if not is_seed.any():
        raise ConfigError(
            "None of the seed user ids is in this bundle; check the user_id column (pseudonyms when on).",
            "种子用户 ID 均不在该项目包中；请检查 user_id 列（如启用假名化，应为假名）。",
            code="lookalike_no_seeds",
        )
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    seed_vectors = x[is_seed]
    centroid = seed_vectors.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    if len(x) > exact_max_users:
        candidates = _approximate_candidates(x, seed_vectors, centroid, top)
        candidates = candidates[~is_seed[candidates]]
    else:
        candidates = np.flatnonzero(~is_seed)
    score = _scores(x[candidates], seed_vectors, centroid)
    order = np.argsort(-score, kind="stable")[:top]
    rows = candidates[order]
    return pd.DataFrame({"user_id": ids[rows], "score": np.round(score[order].astype(np.float64), 6)})


def _scores(x: np.ndarray, seed_vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """The exact score of rows `x`: 0.5 cos(centroid) + 0.5 mean cos of the 10 nearest seeds."""
    k = min(NEIGHBOURS, len(seed_vectors))
    neighbour = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), BLOCK):
        sims = x[start : start + BLOCK] @ seed_vectors.T
        neighbour[start : start + BLOCK] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return 0.5 * (x @ centroid) + 0.5 * neighbour


def _approximate_candidates(
    x: np.ndarray, seed_vectors: np.ndarray, centroid: np.ndarray, top: int
) -> np.ndarray:
    """Rows worth scoring: nearest to the centroid and to sampled seeds in a faiss IVF index."""
    import faiss

    n, dim = x.shape
    nlist = int(min(max(np.sqrt(n), 1), n // 39 or 1))  # faiss wants >= 39 training points per list
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 5  # coarse lists only route the search; 5 k-means rounds halve the training time
    rng = np.random.default_rng(0)
    train = x[rng.choice(n, size=64 * nlist, replace=False)] if n > 64 * nlist else x
    index.train(train)
    index.add(x)
    index.nprobe = min(NPROBE, nlist)
    picked = seed_vectors[
        rng.choice(len(seed_vectors), size=min(len(seed_vectors), SEED_QUERIES), replace=False)
    ]
    k_centroid = int(min(n, max(20 * top, 2_000)))
    _, near_centroid = index.search(centroid[None, :].astype(np.float32), k_centroid)
    _, near_seeds = index.search(np.ascontiguousarray(picked), int(min(n, SEED_QUERY_K)))
    rows = np.concatenate([near_centroid.ravel(), near_seeds.ravel()])
    return np.unique(rows[rows >= 0])


def bundle_profiles(bundle: Bundle) -> tuple[np.ndarray, np.ndarray]:
    if bundle.profiles is None:
        raise ConfigError(
            "This bundle has no profile vectors (made before lookalikes existed); re-run analyze.",
            "该项目包不含用户画像向量（旧版本生成）；请重新运行 analyze。",
            code="lookalike_no_profiles",
        )
    return bundle.assignments["user_id"].to_numpy(dtype=object), bundle.profiles


def read_seeds(path: Path) -> set[str]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise IngestError(
            f"Cannot read the seeds file '{path.name}'.", f"无法读取种子文件“{path.name}”。"
        ) from exc
    if "user_id" not in frame.columns:
        raise IngestError(
            f"The seeds file needs a 'user_id' column; it has {', '.join(map(str, frame.columns[:5]))}.",
            "种子文件需要 user_id 列。",
        )
    return {u for u in frame["user_id"].str.strip() if u}

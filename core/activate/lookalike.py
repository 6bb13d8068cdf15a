"""Lookalikes: rank users by how much their interest profile resembles a seed set's.

score = 0.5 * cosine to the seed centroid + 0.5 * mean cosine to the user's 10 nearest seeds (exact
dot products on the unit profile vectors, in blocks). Seeds are excluded from the ranking.
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


def lookalikes(user_ids: np.ndarray, vectors: np.ndarray, seeds: set[str], top: int) -> pd.DataFrame:
    """user_id, score (best first) for the `top` non-seed users most like the seeds."""
    ids = np.asarray(user_ids).astype(str)
    is_seed = np.isin(ids, list(seeds))
    if not is_seed.any():
        raise ConfigError(
            "None of the seed user ids is in this bundle; check the user_id column (pseudonyms when on).",
            "种子用户 ID 均不在该项目包中；请检查 user_id 列（如启用假名化，应为假名）。",
            code="lookalike_no_seeds",
        )
    x = vectors.astype(np.float32)
    seed_vectors = x[is_seed]
    centroid = seed_vectors.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    k = min(NEIGHBOURS, len(seed_vectors))
    neighbour = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), BLOCK):
        sims = x[start : start + BLOCK] @ seed_vectors.T
        neighbour[start : start + BLOCK] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    score = 0.5 * (x @ centroid) + 0.5 * neighbour
    candidates = np.flatnonzero(~is_seed)
    order = candidates[np.argsort(-score[candidates], kind="stable")][:top]
    return pd.DataFrame({"user_id": ids[order], "score": np.round(score[order].astype(np.float64), 6)})


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

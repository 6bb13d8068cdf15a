"""A real bundle from a slice of the sample data, made with a deterministic word-hashing embedder
(no model download, same vectors in every process), for the serving tests and the benchmark."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"
DIM = 32


class HashEmbedder:
    """Each word is a fixed random direction (seeded by its CRC32); a text is the normalised sum."""

    model_id = "hash-words"
    device = "cpu"
    backend = "hash"

    def __init__(self) -> None:
        self.last_stats: dict = {}
        self.calls = 0
        self._model = object()

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts, *, progress=None) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in str(text).lower().split():
                out[row] += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(DIM)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def sample_slice(path: Path, n_users: int = 120) -> Path:
    """The first `n_users` users of the sample data, written to `path` (CSV)."""
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)[:n_users]
    events[events["user_id"].isin(users)].to_csv(path, index=False)
    return path


def build_bundle(events_csv: Path, out: Path, *, k: int = 4) -> Path:
    """Analyse `events_csv` with the hash embedder and write the bundle to `out`."""
    from core.config import AnalysisConfig
    from core.export.bundle import bundle_bytes
    from core.export.writer import build_view
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    dataset = load_dataset(events_csv)
    config = AnalysisConfig(model="hash-words", k=k, seed=7, projection="pca")
    analysis = run_analysis(dataset, config, embedder=HashEmbedder())
    out.write_bytes(bundle_bytes(build_view(analysis)))
    return out

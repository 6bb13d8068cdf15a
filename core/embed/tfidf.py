"""TF-IDF + truncated SVD: a fast, model-free embedder and the baseline the model is compared with.

It learns from the texts it is given: every `embed(texts)` call fits TF-IDF and SVD on those
(unique, whitespace-normalised) texts and returns their vectors, so vectors from two different
calls live in different spaces. Embed all item texts of an analysis in one call.
Chinese runs of text are segmented with jieba; other text is split into lower-case words.

Scale: 1-2 grams are hashed (scikit-learn's HashingVectorizer: no vocabulary in memory) in batches
with progress, IDF comes from every text. Up to `dim` texts the vectors are exact (the Gram matrix's
eigenvectors: cosine similarities equal TF-IDF's); above that the SVD is fitted on a seeded sample
of SVD_FIT_ROWS texts over the MAX_FEATURES most frequent terms (seen in at least two texts), and
every text is projected in batches: 500,000 texts take minutes, not hours.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.embed.texts import normalise_text, unique_texts
from core.progress import Progress, no_progress, scaled

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-case words; Chinese runs cut into words by jieba (loaded only when Chinese is present)."""
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        token = match.group(0)
        if _CJK.fullmatch(token):
            tokens.extend(w for w in _jieba_cut(token) if w.strip())
        else:
            tokens.append(token)
    return tokens


def _jieba_cut(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return list(jieba.cut(text))


HASH_FEATURES = 2**20  # hashed 1-2 gram space (collisions are rare at this size)
MAX_FEATURES = 30_000  # terms kept for the SVD on large corpora (most frequent, df >= 2)
SVD_FIT_ROWS = 20_000  # texts the SVD is fitted on when there are more
BATCH = 10_000  # texts hashed or projected per progress step
SVD_ITERATIONS = (
    5  # power iterations of the randomized SVD (bench/tfidf_bench.py: 7 and 100k terms agree no better)
)


@dataclass(frozen=True, eq=False)
class TfidfProjection:
    """A fitted TF-IDF + SVD space that embeds new texts the way the fit embedded its own.

    features (m,) int64: hashed term columns kept; idf (m,) float32 of those; components (m, dim)
    float32. New text: hashed 1-2 gram counts -> sublinear TF x idf on the kept columns ->
    @ components -> L2 norm (row scale never matters: the result is normalised). Saved in project
    bundles (core/export/bundle.py) so `core assign` embeds new users in the analysis's space.
    """

    features: np.ndarray
    idf: np.ndarray
    components: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.components.shape[1])

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised rows (zero rows for texts with no known term)."""
        counts = _hasher().transform([normalise_text(t) for t in texts]).tocsr()
        counts.data = 1.0 + np.log(counts.data)  # sublinear TF, as in the fit
        kept = counts[:, self.features].multiply(self.idf[None, :]).tocsr()
        out = np.asarray(kept @ self.components, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), np.float32(1e-30))
        return out


class TfidfEmbedder:
    """`make_embedder("tfidf")`: TF-IDF (1-2 grams) -> SVD(dim) -> L2-normalised float32.

    Deterministic for the same texts (`seed` fixes the SVD sample). Vectors are (n, dim); when the
    corpus has fewer than `dim` informative directions the remaining columns are zero.
    """

    model_id = "tfidf-svd"
    device = "cpu"
    backend = "sklearn"

    def __init__(self, *, dim: int = 256, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self.notes: list[str] = []
        self.last_stats: dict[str, Any] = {}
        self.fitted: TfidfProjection | None = None  # the space of the last embed() call

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """(n, dim) float32 L2-normalised vectors of `texts`, fitted on these texts."""
        report = progress or no_progress
        started = time.perf_counter()
        normalised = [normalise_text(t) for t in texts]
        uniq, inverse = unique_texts(normalised)
        out = np.zeros((len(uniq), self.dim), dtype=np.float32)
        report(0.0, f"TF-IDF of {len(uniq):,} texts")
        if uniq:
            tfidf, idf = _tfidf(uniq, scaled(report, 0.0, 0.5))
            if tfidf.nnz:
                out = self._reduce(tfidf, scaled(report, 0.5, 1.0), idf)
        out /= np.maximum(
            np.linalg.norm(out, axis=1, keepdims=True), np.float32(1e-30)
        )  # in place: zero rows stay 0
        report(1.0, "TF-IDF done")
        self.last_stats = {
            "n_texts": len(texts),
            "n_unique": len(uniq),
            "n_cached": 0,
            "n_embedded": len(uniq),
            "n_truncated": 0,
            "model_calls": 1 if uniq else 0,
            "seconds": time.perf_counter() - started,
            "notes": list(self.notes),
        }
        if len(uniq) == len(texts):  # all distinct, in first-seen order: no copy (500,000 x dim floats)
            return out
        return out[inverse]

    def _reduce(self, tfidf: Any, report: Progress, idf: np.ndarray) -> np.ndarray:
        """(n, features) sparse unit rows -> (n, dim) float32 with the same geometry (see module doc)."""
        n = tfidf.shape[0]
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n <= self.dim:
            # Exact: the Gram matrix X X^T = V diag(w) V^T gives coordinates V sqrt(w) whose inner
            # products are TF-IDF's own (a truncated SVD of two texts would keep one direction).
            gram = (tfidf @ tfidf.T).toarray().astype(np.float64)
            w, v = np.linalg.eigh(gram)
            order = np.argsort(w)[::-1]
            coords = v[:, order] * np.sqrt(np.clip(w[order], 0.0, None))
            signs = np.sign(coords[np.abs(coords).argmax(axis=0), np.arange(n)])
            signs = np.where(signs == 0, 1.0, signs)
            out[:, :n] = coords * signs
            # The same coordinates as a projection X @ (X^T V diag(signs / sqrt(w))) for new texts.
            used = np.flatnonzero(np.bincount(tfidf.indices, minlength=tfidf.shape[1]))
            scale = np.where(w[order] > 1e-9, signs / np.sqrt(np.clip(w[order], 1e-9, None)), 0.0)
            components = np.zeros((len(used), self.dim), dtype=np.float32)
            components[:, :n] = np.asarray(tfidf[:, used].T @ (v[:, order] * scale))
            self.fitted = TfidfProjection(used.astype(np.int64), idf[used].astype(np.float32), components)
            return out
        from sklearn.decomposition import TruncatedSVD

        # 1. The most frequent terms seen in at least two texts (a term in one text links nothing).
        df = np.bincount(tfidf.indices, minlength=tfidf.shape[1])
        keep = np.flatnonzero(df >= 2)
        if len(keep) > MAX_FEATURES:
            keep = keep[np.argsort(-df[keep], kind="stable")[:MAX_FEATURES]]
        keep = np.sort(keep)
        if len(keep) < 2:
            keep = np.flatnonzero(df)
        matrix = tfidf[:, keep]
        # 2. SVD on a seeded sample, then every text projected in batches.
        rows = np.arange(n)
        if n > SVD_FIT_ROWS:
            rows = np.sort(np.random.default_rng(self.seed).choice(n, SVD_FIT_ROWS, replace=False))
            self.notes = [f"SVD fitted on a seeded sample of {SVD_FIT_ROWS:,} of {n:,} texts."]
        n_comp = min(self.dim, matrix.shape[1] - 1, len(rows) - 1)
        if n_comp < 1:
            width = min(self.dim, matrix.shape[1])
            out[:, :width] = matrix[:, :width].toarray()
            components = np.zeros((len(keep), self.dim), dtype=np.float32)
            components[np.arange(width), np.arange(width)] = 1.0
            self.fitted = TfidfProjection(keep.astype(np.int64), idf[keep].astype(np.float32), components)
            return out
        report(0.0, f"Fitting the SVD on {len(rows):,} texts")
        svd = TruncatedSVD(
            n_components=n_comp, algorithm="randomized", n_iter=SVD_ITERATIONS, random_state=self.seed
        )
        svd.fit(matrix[rows])
        components = svd.components_.astype(np.float32).T  # (features, n_comp)
        for start in range(0, n, BATCH):
            report(0.2 + 0.8 * start / n, f"Projecting texts {start:,}-{min(start + BATCH, n):,} of {n:,}")
            out[start : start + BATCH, :n_comp] = matrix[start : start + BATCH] @ components
        full = np.zeros((len(keep), self.dim), dtype=np.float32)
        full[:, :n_comp] = components
        self.fitted = TfidfProjection(keep.astype(np.int64), idf[keep].astype(np.float32), full)
        return out


def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        n_features=HASH_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )


def _tfidf(texts: list[str], report: Progress) -> tuple[Any, np.ndarray]:
    """((n, HASH_FEATURES) CSR float32 rows: sublinear TF x smooth IDF, L2-normalised (like
    TfidfVectorizer), (HASH_FEATURES,) idf)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    hasher = _hasher()
    batches = []
    for start in range(0, len(texts), BATCH):
        report(
            start / len(texts),
            f"Reading words of texts {start:,}-{min(start + BATCH, len(texts)):,} of {len(texts):,}",
        )
        batches.append(hasher.transform(texts[start : start + BATCH]))
    counts = sp.vstack(batches, format="csr")
    report(1.0, "Weighting terms")
    transformer = TfidfTransformer(sublinear_tf=True)
    weighted = transformer.fit_transform(counts).astype(np.float32).tocsr()
    return weighted, np.asarray(transformer.idf_, dtype=np.float32)

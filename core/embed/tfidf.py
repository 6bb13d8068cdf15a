"""TF-IDF + truncated SVD: a fast, model-free embedder and the baseline the model is compared with.

It learns its vocabulary from the texts it is given: every `embed(texts)` call fits TF-IDF and
SVD on those (unique, whitespace-normalised) texts and returns their vectors, so vectors from two
different calls live in different spaces. Embed all item texts of an analysis in one call.
Chinese runs of text are segmented with jieba; other text is split into lower-case words.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.embed.texts import normalise_text, unique_texts
from core.progress import Progress, no_progress

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


class TfidfEmbedder:
    """`make_embedder("tfidf")`: TF-IDF (1-2 grams) -> TruncatedSVD(dim) -> L2-normalised float32.

    Deterministic for the same texts (`seed` fixes the SVD). Vectors are (n, dim); when the
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

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """(n, dim) float32 L2-normalised vectors of `texts`, fitted on these texts."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        report = progress or no_progress
        started = time.perf_counter()
        normalised = [normalise_text(t) for t in texts]
        uniq, inverse = unique_texts(normalised)
        out = np.zeros((len(uniq), self.dim), dtype=np.float32)
        report(0.0, "TF-IDF")
        if uniq:
            vectorizer = TfidfVectorizer(
                tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True
            )
            try:
                tfidf = vectorizer.fit_transform(uniq)
            except ValueError:  # empty vocabulary: every text is empty or punctuation
                tfidf = None
            if tfidf is not None:
                n_comp = min(self.dim, tfidf.shape[1] - 1, len(uniq) - 1)
                if n_comp >= 1:
                    svd = TruncatedSVD(n_components=n_comp, algorithm="arpack", random_state=self.seed)
                    out[:, :n_comp] = svd.fit_transform(tfidf)
                else:  # one text or one term: keep raw tf-idf weights
                    width = min(self.dim, tfidf.shape[1])
                    out[:, :width] = tfidf[:, :width].toarray()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
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
        return out[inverse] if len(texts) else np.zeros((0, self.dim), dtype=np.float32)

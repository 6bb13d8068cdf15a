"""The default representation: sentence-model vectors and TF-IDF/SVD vectors, weighted by language.

representation (`--representation`, the Segments page's model box):
    hybrid     (default) [sqrt(w) * sentence, sqrt(1 - w) * TF-IDF], each part L2-normalised, then
               the whole re-normalised: the cosine of two texts is w x the sentence model's cosine
               + (1 - w) x TF-IDF's.
    sentence   the sentence-transformers model alone (what every run did before).
    tfidf      TF-IDF + SVD alone (jieba for Chinese), same as `--model tfidf`.

The weighting rule reads the Han share of the letters in the item texts (core/embed/language.py):
    w = SENTENCE_WEIGHT_LATIN - HAN_PENALTY x han_share = 0.70 - 0.65 x han_share, clipped to
    [0.05, 0.70]   (0.70 for English, 0.05 for all-Chinese)
The default model (all-MiniLM-L6-v2) is English: it reads Han characters one by one and puts
unrelated Chinese texts close together, while TF-IDF over jieba words keeps topic words sharp. On
real Chinese headlines (bench/representation_bench.py) the sentence model alone recovers planted
interests at ARI ~0.5, TF-IDF at 0.80-0.91, the hybrid at w = 0.05-0.10 at 0.90-0.92 on three
seeds (at w = 0.12 one seed fell to 0.79: K-means merged two interests). On English
text the sentence model carries most of the signal (w = 0.7) and TF-IDF adds product-line words
(Online Retail). A multilingual model (named with `--model`) keeps the same rule.

`HybridEmbedder.embed` fits TF-IDF on the texts it is given; `.projection` (a TfidfProjection) and
`.sentence_weight` are then saved in the project bundle so `core assign` embeds new users the same way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.config import AUTO_MAX_TOKENS
from core.embed.language import LanguageProfile, detect_language
from core.embed.tfidf import TfidfEmbedder, TfidfProjection
from core.errors import ConfigError
from core.progress import Progress, no_progress, scaled

REPRESENTATIONS = ("hybrid", "sentence", "tfidf")
DEFAULT_REPRESENTATION = "hybrid"
SENTENCE_WEIGHT_LATIN = 0.70
HAN_PENALTY = 0.65
MIN_SENTENCE_WEIGHT = 0.05
TFIDF_DIM = 256


def sentence_weight(han_share: float) -> float:
    """The documented rule: 0.70 - 0.65 x Han share, in [0.05, 0.70]."""
    raw = SENTENCE_WEIGHT_LATIN - HAN_PENALTY * float(han_share)
    return round(min(max(raw, MIN_SENTENCE_WEIGHT), SENTENCE_WEIGHT_LATIN), 2)


def reason(weight: float, language: LanguageProfile) -> tuple[str, str]:
    """Why the hybrid is weighted so, in English and Chinese."""
    tf = round(1.0 - weight, 2)
    en = (
        f"hybrid: sentence {weight:.2f} + TF-IDF {tf:.2f} because {language.han_share:.0%} of the "
        f"letters in the item texts are Chinese (rule: sentence weight = 0.70 - 0.65 x Chinese share)"
    )
    zh = (
        f"混合表示：句向量 {weight:.2f} + TF-IDF {tf:.2f}，因为条目文本中 {language.han_share:.0%} 的文字是汉字"
        f"（规则：句向量权重 = 0.70 - 0.65 × 汉字占比）"
    )
    return en, zh


def check_representation(value: str) -> str:
    name = (value or DEFAULT_REPRESENTATION).strip().lower()
    if name not in REPRESENTATIONS:
        raise ConfigError(
            f"Unknown representation '{value}' (use one of {', '.join(REPRESENTATIONS)}).",
            f"未知表示方式 '{value}'（可选：{', '.join(REPRESENTATIONS)}）。",
        )
    return name


class HybridEmbedder:
    """Sentence model + TF-IDF, weighted by the texts' Han share (see the module docstring).

    `sentence_weight` and `projection` given (from a bundle): no refit, new texts land in that space.
    """

    representation = "hybrid"

    def __init__(
        self,
        sentence: Any,
        *,
        tfidf_dim: int = TFIDF_DIM,
        seed: int = 0,
        sentence_weight: float | None = None,
        projection: TfidfProjection | None = None,
    ) -> None:
        self.sentence = sentence
        self.tfidf_dim = projection.dim if projection is not None else tfidf_dim
        self.seed = seed
        self.sentence_weight = sentence_weight
        self.projection = projection
        self.language: LanguageProfile | None = None
        self.last_stats: dict[str, Any] = {}

    @property
    def model_id(self) -> str:
        return str(self.sentence.model_id)

    @property
    def device(self) -> str:
        return str(self.sentence.device)

    @property
    def backend(self) -> str:
        return str(self.sentence.backend)

    @property
    def chars_per_s(self) -> float | None:
        return getattr(self.sentence, "chars_per_s", None)

    @property
    def dim(self) -> int:
        return int(self.sentence.dim) + self.tfidf_dim

    def uncached(self, texts: Sequence[str]) -> list[str]:
        return list(self.sentence.uncached(texts)) if hasattr(self.sentence, "uncached") else list(texts)

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """(n, sentence dim + tfidf dim) float32 L2-normalised rows."""
        report = progress or no_progress
        started = time.perf_counter()
        self.language = detect_language(texts)
        fixed = self.sentence_weight is not None and self.projection is not None
        weight = self.sentence_weight if fixed and self.sentence_weight is not None else None
        if weight is None:
            weight = sentence_weight(self.language.han_share)
        sentence = np.asarray(self.sentence.embed(texts, progress=scaled(report, 0.0, 0.85)), np.float32)
        report(0.85, "TF-IDF part of the hybrid representation")
        if fixed and self.projection is not None:
            tfidf = self.projection.transform(list(texts))
        else:
            fitter = TfidfEmbedder(dim=self.tfidf_dim, seed=self.seed)
            tfidf = fitter.embed(texts, progress=scaled(report, 0.85, 1.0))
            self.projection = fitter.fitted
            self.sentence_weight = weight
        out = np.hstack([np.sqrt(weight) * sentence, np.sqrt(1.0 - weight) * tfidf]).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), np.float32(1e-12))
        en, zh = reason(weight, self.language)
        self.last_stats = {
            **dict(getattr(self.sentence, "last_stats", {}) or {}),
            "representation": "hybrid",
            "sentence_weight": weight,
            "tfidf_weight": round(1.0 - weight, 2),
            "representation_reason": en,
            "representation_reason_zh": zh,
            "language": self.language.to_dict(),
            "seconds": time.perf_counter() - started,
        }
        report(1.0, "embeddings ready")
        return out

    def state(self) -> dict[str, Any]:
        """What a bundle stores to rebuild this space: arrays + the weight (empty before a fit)."""
        if self.projection is None or self.sentence_weight is None:
            return {}
        return {
            "sentence_weight": float(self.sentence_weight),
            "tfidf_features": self.projection.features,
            "tfidf_idf": self.projection.idf,
            "tfidf_components": self.projection.components,
        }


class _Labelled:
    """A single-part embedder that reports which representation ran and why."""

    def __init__(self, inner: Any, name: str, why_en: str, why_zh: str) -> None:
        self.inner, self.representation, self._why = inner, name, (why_en, why_zh)
        self.last_stats: dict[str, Any] = {}

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        out = self.inner.embed(texts, progress=progress)
        language = detect_language(texts)
        self.last_stats = {
            **dict(getattr(self.inner, "last_stats", {}) or {}),
            "representation": self.representation,
            "representation_reason": self._why[0],
            "representation_reason_zh": self._why[1],
            "language": language.to_dict(),
        }
        return np.asarray(out)

    def state(self) -> dict[str, Any]:
        return {}


def make_representation(
    model: str | None,
    representation: str = DEFAULT_REPRESENTATION,
    *,
    device: str = "auto",
    backend: str = "auto",
    seed: int = 0,
    max_tokens: int | str | None = AUTO_MAX_TOKENS,
) -> Any:
    """The embedder an analysis runs: `representation` over `model` (None = the bundled MiniLM)."""
    from core.embed.embedding import make_embedder

    name = check_representation(representation)
    if name == "tfidf" or (model or "").strip().lower() == "tfidf":
        why = "model tfidf" if name != "tfidf" else "representation tfidf"
        return _Labelled(
            make_embedder("tfidf"),
            "tfidf",
            f"tfidf: TF-IDF + SVD only ({why} was chosen)",
            f"TF-IDF：仅使用 TF-IDF + SVD（选择了 {why}）",
        )
    sentence = make_embedder(model, device=device, backend=backend, max_tokens=max_tokens)
    if name == "sentence":
        return _Labelled(
            sentence,
            "sentence",
            "sentence: the sentence model only (representation sentence was chosen)",
            "句向量：仅使用句向量模型（选择了 sentence 表示）",
        )
    return HybridEmbedder(sentence, seed=seed)


def representation_for(config: Any) -> Any:
    """The embedder an AnalysisConfig asks for (model, representation, device, backend, token limit):
    one place for `analyze`, `evaluate`, the pipeline and the Spark engine."""
    return make_representation(
        config.model,
        config.representation,
        device=config.device,
        backend=config.backend,
        max_tokens=config.max_tokens,
    )

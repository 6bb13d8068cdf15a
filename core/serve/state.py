"""What the API serves, precomputed once at startup, and the per-request hot path.

Startup (`load_state`): the bundle (centroids, names, keywords), and from the events the bundle was
made from: the item catalogue (item_id -> row, text -> row, the (n_items, dim) vector matrix, embedded
with the bundle's model through the persistent embedding cache), every known user's segment and a
segment-popularity recommender (core.recommend, the one the exports use).

Per request (`ServingState.assign`): exact repeats dropped (as ingest drops duplicate rows), the
events' item rows, one weight per event with the rules of
core.embed.profiles.build_profiles (type weight x rating factor x recency decay relative to the
user's newest event; low ratings push away; only neutral/low ratings -> engagement weights), the
normalised weighted sum of the item vectors and core.export.assign.nearest_segments. No pandas, no
file I/O. Item texts the catalogue does not hold are embedded with the bundle's model (loaded on the
first such text) and kept in an in-memory LRU on top of the embedding cache on disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.config import DEFAULT_EVENT_WEIGHTS
from core.embed.profiles import rating_factor
from core.embed.texts import normalise_text
from core.errors import ConfigError, InterestLensError
from core.export.assign import assign_new_users, nearest_segments

if TYPE_CHECKING:
    from core.data import Dataset
    from core.embed.embedding import Embedder
    from core.export.bundle import Bundle
    from core.recommend.models import SegmentPopularRecommender

N_REASON_ITEMS = 3
N_REASON_KEYWORDS = 5
LRU_TEXTS = 10_000  # unseen item texts kept in memory (their vectors are also in the disk cache)
_ZERO_NORM = 1e-6  # as core.embed.profiles


class RequestError(InterestLensError):
    """A well-formed request the served data cannot answer (HTTP status in `status`)."""

    def __init__(self, en: str, zh: str, *, status: int = 422, code: str = "") -> None:
        super().__init__(en, zh, code=code)
        self.status = status


class EventLike(Protocol):
    """One request event (core.serve.api.Event): validated, event_type canonical, timestamp in epoch s."""

    @property
    def item_id(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def event_type(self) -> str | None: ...
    @property
    def timestamp(self) -> Any: ...  # float epoch seconds or None, once validated
    @property
    def rating(self) -> float | None: ...


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(eq=False)
class ServingState:
    """Everything a request reads; built by `load_state`, never written by requests (except the LRU)."""

    bundle: Bundle
    embedder: Embedder | None  # None until the first text to embed (then `make_embedder()`)
    item_ids: np.ndarray  # (n_items,) object
    item_texts: list[str]
    item_vectors: np.ndarray  # (n_items, dim) float32, L2-normalised
    row_of_item: dict[str, int]
    row_of_text: dict[str, int]  # normalised catalogue text -> row (a text-only event of a known item)
    type_weights: dict[str, float]
    half_life_days: float | None
    use_ratings: bool
    rating_top: float | None  # largest rating in the events the bundle was made from (rating scale)
    names: dict[int, str]
    keywords: dict[int, list[str]]
    segments: list[dict[str, Any]]
    recommender: SegmentPopularRecommender | None = None
    user_row: dict[str, int] = field(default_factory=dict)  # known user -> recommender row
    make_embedder: Callable[[], Embedder] | None = None
    _lru: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- item vectors ---------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.bundle.centroids.shape[1])

    @property
    def model_loaded(self) -> bool:
        return self.embedder is not None and getattr(self.embedder, "_model", True) is not None

    def warm(self) -> None:
        """Load the model now rather than on the first new item text (`serve --warm-model`)."""
        with self._lock:
            if self.embedder is None and self.make_embedder is not None:
                self.embedder = self.make_embedder()
            model = getattr(self.embedder, "model", None)  # SentenceTransformerEmbedder loads on access
            if model is not None and hasattr(model, "encode"):
                model.encode(["warm-up"])

    def _resolve(self, event: EventLike) -> tuple[int, str]:
        """(catalogue row or -1, normalised text to embed when -1; "" = unusable)."""
        if event.item_id is not None:
            row = self.row_of_item.get(event.item_id)
            if row is not None:
                return row, ""
        text = normalise_text(event.text) if event.text else ""
        if text:
            row = self.row_of_text.get(text, -1)
            return row, ("" if row >= 0 else text)
        return -1, ""

    def needs_embedding(self, events: Sequence[EventLike]) -> bool:
        """True when some event's text is neither in the catalogue nor in the in-memory LRU."""
        for event in events:
            row, text = self._resolve(event)
            if row < 0 and text and text not in self._lru:
                return True
        return False

    def text_vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Vectors of unseen (normalised) texts: LRU first, then the embedder (disk cache, then model)."""
        out: dict[str, np.ndarray] = {}
        missing: list[str] = []
        with self._lock:
            for text in texts:
                vector = self._lru.get(text)
                if vector is None:
                    missing.append(text)
                else:
                    self._lru.move_to_end(text)
                    out[text] = vector
        if missing:
            with self._lock:  # one model call at a time (models are not thread-safe)
                if self.embedder is None:
                    if self.make_embedder is None:
                        raise RequestError(
                            "This server has no model to embed new item texts; send item_ids from the catalogue.",
                            "此服务没有可用于新商品文本的模型；请发送目录中已有的 item_id。",
                            status=503,
                            code="no_model",
                        )
                    self.embedder = self.make_embedder()
                vectors = self.embedder.embed(missing)
                for text, vector in zip(missing, vectors, strict=True):
                    self._lru[text] = vector
                    out[text] = vector
                while len(self._lru) > LRU_TEXTS:
                    self._lru.popitem(last=False)
        return out

    # -- the hot path ---------------------------------------------------------------------------
    def profile(
        self, events: Sequence[EventLike]
    ) -> tuple[np.ndarray, list[tuple[str, float]], int, list[int]]:
        """(L2-normalised profile (dim,), [(item text, share of positive weight)] best first,
        number of events ignored, catalogue rows touched). RequestError when no event is usable."""
        rows: list[int] = []
        unseen: list[str] = []
        keys: list[int] = []  # per usable event: row, or -(1 + index into unseen)
        types: list[float] = []
        stamps: list[float] = []
        ratings: list[float] = []
        ignored = 0
        unseen_index: dict[str, int] = {}
        distinct: set[tuple[Any, ...]] = set()
        for event in events:
            signature = (event.item_id, event.text, event.event_type, event.timestamp, event.rating)
            if signature in distinct:
                continue  # an exact repeat counts once, as ingest drops duplicate rows
            distinct.add(signature)
            row, text = self._resolve(event)
            if row >= 0:
                keys.append(row)
                rows.append(row)
            elif text:
                keys.append(-1 - unseen_index.setdefault(text, len(unseen_index)))
            else:
                ignored += 1
                continue
            kind = event.event_type or ("rating" if event.rating is not None else "view")
            types.append(self.type_weights.get(kind, 1.0))
            stamps.append(np.nan if event.timestamp is None else event.timestamp)
            ratings.append(np.nan if event.rating is None else event.rating)
        if not keys:
            raise RequestError(
                "None of the events names a known item_id or has a text; send item_ids from the catalogue "
                "or item texts.",
                "没有任何事件包含已知的 item_id 或文本；请发送目录中的 item_id 或商品文本。",
                code="no_usable_events",
            )
        unseen = list(unseen_index)
        extra = self.text_vectors(unseen) if unseen else {}
        key_array = np.asarray(keys, dtype=np.int64)
        vectors = np.empty((len(keys), self.dim), dtype=np.float32)
        known = key_array >= 0
        vectors[known] = self.item_vectors[key_array[known]]
        for j in np.flatnonzero(~known):
            vectors[j] = extra[unseen[-1 - key_array[j]]]

        # weights: the rules of core.embed.profiles.build_profiles, for one user
        base = np.asarray(types, dtype=np.float64)
        t = np.asarray(stamps, dtype=np.float64)
        if self.half_life_days is not None and not np.isnan(t).all():
            age_days = (np.nanmax(t) - t) / 86400.0
            exponent = np.where(np.isnan(age_days), 0.0, -np.clip(age_days, 0.0, None) / self.half_life_days)
            base = base * np.exp2(exponent - exponent.max())
        r = np.asarray(ratings, dtype=np.float64)
        if self.use_ratings and not np.isnan(r).all():
            scale = r if self.rating_top is None else np.append(r, self.rating_top)
            signed = base * rating_factor(scale)[: len(r)]
        else:
            signed = base
        weights = signed if np.maximum(signed, 0).sum() > 0 or base.sum() <= 0 else base
        raw = weights.astype(np.float64) @ vectors.astype(np.float64)
        norm = float(np.linalg.norm(raw))
        if not norm > _ZERO_NORM:
            raise RequestError(
                "These events give no interest profile (every weight is 0, or likes and dislikes cancel out).",
                "这些事件无法形成兴趣画像（权重全为 0，或喜欢与不喜欢相互抵消）。",
                code="zero_profile",
            )
        # the items that weigh most: the reasons
        per_item: dict[int, float] = {}
        for key, w in zip(keys, weights.tolist(), strict=True):
            per_item[key] = per_item.get(key, 0.0) + w
        positive = {k: w for k, w in per_item.items() if w > 0}
        total = sum(positive.values()) or 1.0
        top = sorted(positive.items(), key=lambda kv: -kv[1])[:N_REASON_ITEMS]
        named = [(self.item_texts[k] if k >= 0 else unseen[-1 - k], w / total) for k, w in top]
        return (raw / norm).astype(np.float32), named, ignored, rows

    def assign(self, events: Sequence[EventLike]) -> dict[str, Any]:
        """The /assign answer: segment_id, segment_name, confidence, reasons."""
        vector, top, ignored, _ = self.profile(events)
        segment, confidence = self.nearest(vector)
        return {
            "segment_id": segment,
            "segment_name": self.names.get(segment, "Other"),
            "confidence": round(confidence, 4),
            "reasons": self._reasons(segment, top, ignored),
        }

    def nearest(self, vector: np.ndarray) -> tuple[int, float]:
        labels, confidence = nearest_segments(vector[None, :], self.bundle)
        return int(labels[0]), float(confidence[0])

    def _reasons(self, segment: int, top: list[tuple[str, float]], ignored: int) -> list[str]:
        reasons = [f"interest in “{_short(text)}” ({share:.0%} of the weight)" for text, share in top]
        keywords = self.keywords.get(segment, [])[:N_REASON_KEYWORDS]
        if keywords:
            reasons.append("segment keywords: " + ", ".join(keywords))
        if ignored:
            reasons.append(f"{ignored} event(s) ignored: item_id not in the catalogue and no text")
        return reasons

    # -- recommendations ------------------------------------------------------------------------
    def recommend(
        self, user_id: str | None, events: Sequence[EventLike] | None, top_n: int
    ) -> dict[str, Any]:
        """The /recommend answer: top_n unseen catalogue items with a score and a reason."""
        model = self.recommender
        if model is None:
            raise RequestError(
                "This server was started without the events table, so it has no catalogue to recommend "
                "from; start it with --events.",
                "服务启动时未提供事件表，没有可推荐的商品目录；请使用 --events 启动。",
                status=409,
                code="no_catalogue",
            )
        known_row = self.user_row.get(user_id, -1) if user_id is not None else -1
        if not events:
            if known_row < 0:
                raise RequestError(
                    "Unknown user_id and no events: send the user's recent events.",
                    "未知的 user_id 且没有事件：请发送该用户最近的事件。",
                    status=404,
                    code="unknown_user",
                )
            recs = model.recommend([str(user_id)], n=top_n, with_reasons=True)
            row_ids = recs.item_ids[0]
            return {
                "items": [
                    {
                        "item_id": str(item),
                        "text": self.item_texts[self.row_of_item[str(item)]],
                        "score": round(float(score), 6),
                        "reason": reason,
                    }
                    for item, score, reason in zip(row_ids, recs.scores[0], recs.reasons[0], strict=False)
                    if item
                ]
            }
        vector, _, _, rows = self.profile(events)
        segment, _ = self.nearest(vector)
        table = model.segment_scores_
        scores = (table[segment] if 0 <= segment < len(table) else model.global_scores_).astype(np.float64)
        scores = scores.copy()
        scores[rows] = -np.inf
        if known_row >= 0:
            seen = model.interactions_.seen
            scores[seen.indices[seen.indptr[known_row] : seen.indptr[known_row + 1]]] = -np.inf
        n = min(top_n, int(np.isfinite(scores).sum()))
        top = np.argpartition(-scores, n - 1)[:n] if n else np.zeros(0, dtype=np.int64)
        top = top[np.argsort(-scores[top], kind="stable")]
        name = self.names.get(segment, "")
        reason = f"popular with {name}" if segment >= 0 and name else "popular overall"
        return {
            "items": [
                {
                    "item_id": str(self.item_ids[i]),
                    "text": self.item_texts[i],
                    "score": round(float(scores[i]), 6),
                    "reason": reason,
                }
                for i in top.tolist()
            ]
        }

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "run_id": self.bundle.run_id,
            "segments": len(self.segments),
            "items": len(self.item_ids),
            "known_users": len(self.user_row),
            "model_id": self.bundle.model_id,
            "model_loaded": self.model_loaded,
        }


def _segments(bundle: Bundle) -> list[dict[str, Any]]:
    return [
        {
            "segment_id": int(row.segment_id),
            "name": str(row.name),
            "size": int(row.size),
            "share": float(row.share),
            "keywords": [str(k) for k in row.keywords],
        }
        for row in bundle.segments.itertuples(index=False)
    ]


def bundle_embedder(bundle: Bundle) -> Embedder:
    """The bundle's model (`core assign`'s choice), loaded lazily on the first text to embed."""
    from core.embed.embedding import make_embedder
    from core.export.assign import bundle_model

    return make_embedder(bundle_model(bundle)[0], device="auto", max_tokens=bundle.config.max_tokens)


def load_state(
    bundle: Bundle, dataset: Dataset | None = None, embedder: Embedder | None = None
) -> ServingState:
    """Precompute what requests read. `dataset`: the events the bundle was made from (catalogue,
    known users, recommendations); without it only item texts can be assigned."""
    import pandas as pd

    from core.recommend.models import SegmentPopularRecommender

    if bundle.model_id.lower().startswith("tfidf"):
        raise ConfigError(
            "This bundle was made with TF-IDF vectors, which cannot be rebuilt for new users; "
            "re-run the analysis with a language model to serve it.",
            "该项目包使用 TF-IDF 向量，无法为新用户重建；请用语言模型重新分析后再提供服务。",
        )
    if embedder is None and dataset is not None:
        embedder = bundle_embedder(bundle)  # the catalogue is embedded now (disk cache first)
    config = bundle.config
    segments = _segments(bundle)
    names = {s["segment_id"]: s["name"] for s in segments}
    state = ServingState(
        bundle=bundle,
        embedder=embedder,
        item_ids=np.zeros(0, dtype=object),
        item_texts=[],
        item_vectors=np.zeros((0, bundle.centroids.shape[1]), dtype=np.float32),
        row_of_item={},
        row_of_text={},
        type_weights={**DEFAULT_EVENT_WEIGHTS, **config.weights},
        half_life_days=config.half_life_days,
        use_ratings=config.use_ratings,
        rating_top=None,
        names=names,
        keywords={s["segment_id"]: s["keywords"] for s in segments},
        segments=segments,
        make_embedder=lambda: bundle_embedder(bundle),
    )
    if dataset is None or embedder is None:
        return state
    items = dataset.items
    state.item_ids = items["item_id"].astype(str).to_numpy(dtype=object)
    state.item_texts = items["text"].astype(str).tolist()
    vectors = np.asarray(embedder.embed(state.item_texts), dtype=np.float32)
    if vectors.shape[1] != state.dim:
        nearest_segments(vectors[:1], bundle)  # raises the dimension mismatch error
    state.item_vectors = np.ascontiguousarray(vectors)
    state.row_of_item = {item: row for row, item in enumerate(state.item_ids.tolist())}
    for row, text in enumerate(state.item_texts):
        state.row_of_text.setdefault(normalise_text(text), row)
    ratings = pd.to_numeric(dataset.events["rating"], errors="coerce") if "rating" in dataset.events else None
    if ratings is not None and ratings.notna().any():
        state.rating_top = float(ratings.max())

    # Known users: the bundle's saved segment where the ids match (not pseudonymised), else the
    # nearest centroid of their profile, exactly as `core assign` computes it.
    assigned = assign_new_users(bundle, dataset, embedder=_Fixed(state.item_texts, vectors))
    labels = pd.Series(assigned["segment_id"].to_numpy(), index=assigned["user_id"].astype(str))
    saved = bundle.assignments.set_index(bundle.assignments["user_id"].astype(str))["segment_id"]
    saved = saved[saved.index.isin(labels.index)]
    labels.loc[saved.index] = saved.to_numpy()
    top_id = max([-1, *names])
    model = SegmentPopularRecommender()
    model.fit(
        dataset.events,
        item_ids=state.item_ids,
        item_vectors=state.item_vectors,
        segment_labels=labels,
        segment_names=[names.get(i, f"segment {i}") for i in range(top_id + 1)],
        item_texts=state.item_texts,
    )
    state.recommender = model
    state.user_row = {str(u): i for i, u in enumerate(model.interactions_.user_ids.tolist())}
    return state


class _Fixed:
    """An embedder that answers the catalogue texts with the vectors already computed."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self._rows = {t: i for i, t in enumerate(texts)}
        self._vectors = vectors
        self.model_id, self.device, self.backend = "fixed", "cpu", "fixed"
        self.last_stats: dict[str, Any] = {}

    @property
    def dim(self) -> int:
        return int(self._vectors.shape[1])

    def embed(self, texts: Sequence[str], *, progress: Any = None) -> np.ndarray:
        return self._vectors[[self._rows[t] for t in texts]]

"""Embedding and user profiles on Spark.

Embedding: only the distinct item texts. On the driver with core.embed (cache included) when there
are at most DRIVER_EMBED_MAX of them; otherwise the sentence model runs in a batched mapInPandas that
loads it once per Python worker (kept in `_WORKER_MODELS` across tasks, spark.python.worker.reuse),
and the rest of the representation (the hybrid's TF-IDF part and weight) is computed on the driver,
so both paths give the same vectors and the same space for the bundle.

Profiles: the events are shuffled by user (every user's events in one partition) and each partition
runs core.embed.profiles.build_profiles with the item vectors broadcast. That is the local engine's
rule, weights, recency and rating handling exactly; the two table-wide facts are made global: the
recency reference is the latest timestamp of the whole table (passed as `reference_time`) and the
rating scale comes from the whole table's top rating (one guard event per partition carries it; the
guard user is dropped from the output).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from core.embed.profiles import UserProfiles
from core.engines.spark_ingest import GUARD_USER

DRIVER_EMBED_MAX = 2_000_000  # distinct item texts embedded on the driver (about 3 GB of float32 at 384 dims)
USERS_PER_PARTITION = 100_000
OUTPUT_ROWS = 10_000  # users per Arrow batch a worker hands back (Spark's own maxRecordsPerBatch)
_WORKER_MODELS: dict[tuple[str, str, str, str], Any] = {}
# A vector travels as the raw bytes of its float32 values (`binary`): an array<float> column made
# PySpark build a Python float per value on the way out of the worker (3.5 GB of worker memory and
# 2.3x the time for 100k users x 640 dimensions, against 1.3 GB as bytes).
PROFILE_SCHEMA = "user_id string, vector binary, event_count long, top_items array<string>, skipped string, fallback boolean"


def embed_items(
    spark: Any, items: pd.DataFrame, config: Any, model: Any, *, driver_max: int = DRIVER_EMBED_MAX
) -> tuple[np.ndarray, dict[str, Any]]:
    """(n_items, dim) float32 L2-normalised vectors in `items` row order, and where they were computed.

    Beyond `driver_max` texts the sentence model runs on the workers (`WorkerSentence`) while the rest
    of the representation stays on the driver: the hybrid's TF-IDF fit needs every text at once, and
    its weight and space must be the ones the bundle saves. TF-IDF alone has no model to distribute.
    """
    texts = items["text"].astype(str).tolist()
    holder = _sentence_holder(model)
    if len(texts) <= driver_max or holder is None:
        vectors = model.embed(texts)
        return np.asarray(vectors, dtype=np.float32), {"embedded_on": "driver"}
    owner, attr = holder
    inner = getattr(owner, attr)
    setattr(owner, attr, WorkerSentence(spark, config, inner))
    try:
        vectors = model.embed(texts)
    finally:
        setattr(owner, attr, inner)
    return np.asarray(vectors, dtype=np.float32), {"embedded_on": "workers (pandas UDF)"}


def _sentence_holder(model: Any) -> tuple[Any, str] | None:
    """(object, attribute) holding the sentence-transformers part of `model`, or None (TF-IDF only)."""
    for attr in ("sentence", "inner"):  # HybridEmbedder.sentence; a single-part representation's inner
        part = vars(model).get(attr)
        if part is not None and hasattr(part, "max_tokens_setting"):
            return model, attr
    return None


class WorkerSentence:
    """A sentence embedder whose `embed` runs on Spark's Python workers (batched mapInPandas).

    Each worker loads the model once (`_WORKER_MODELS`, kept across tasks by Python worker reuse) with
    the driver's model, device and backend; the token limit is resolved once on the driver over all
    the texts (max_tokens "auto" would otherwise be decided per batch). Everything else is read from
    the driver's embedder.
    """

    def __init__(self, spark: Any, config: Any, inner: Any, *, texts_per_task: int = 50_000) -> None:
        self.spark, self.config, self.inner, self.texts_per_task = spark, config, inner, texts_per_task
        self.last_stats: dict[str, Any] = {}

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def embed(self, texts: list[str], *, progress: Any = None) -> np.ndarray:
        from core.config import resolve_max_tokens
        from core.embed.language import detect_language

        started = time.perf_counter()
        limit = resolve_max_tokens(self.inner.max_tokens_setting, detect_language(texts).han_share)
        name, device, backend = self.config.model, self.config.device, self.config.backend
        key = (str(name), str(device), str(backend), str(limit))  # the closure must not hold the session
        frame = self.spark.createDataFrame(
            pd.DataFrame({"row": np.arange(len(texts), dtype=np.int64), "text": list(texts)})
        )

        def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            from core.embed.embedding import make_embedder

            if key not in _WORKER_MODELS:  # once per Python worker
                _WORKER_MODELS[key] = make_embedder(name, device=device, backend=backend, max_tokens=limit)
            worker = _WORKER_MODELS[key]
            for batch in batches:
                out = np.asarray(worker.embed(batch["text"].astype(str).tolist()), dtype=np.float32)
                stats = worker.last_stats
                counts = np.zeros((len(batch), 2), dtype=np.int64)
                counts[0] = (stats.get("n_truncated", 0), stats.get("n_cached", 0))
                yield pd.DataFrame(
                    {
                        "row": batch["row"].to_numpy(),
                        "vector": as_bytes(out),
                        "truncated": counts[:, 0],
                        "cached": counts[:, 1],
                    }
                )

        parts = max(2, -(-len(texts) // self.texts_per_task))
        schema = "row long, vector binary, truncated long, cached long"
        result = frame.repartition(parts).mapInPandas(run, schema).toPandas().sort_values("row")
        vectors = from_bytes(result["vector"].tolist()) if len(result) else None
        if vectors is None or len(vectors) != len(texts):
            raise RuntimeError(f"workers returned {len(result)} vectors for {len(texts)} texts")
        seconds = time.perf_counter() - started
        self.last_stats = {
            "n_texts": len(texts),
            "n_cached": int(result["cached"].sum()),
            "n_embedded": len(texts) - int(result["cached"].sum()),
            "n_truncated": int(result["truncated"].sum()),
            "max_tokens": limit,
            "seconds": seconds,
            "texts_per_s": len(texts) / seconds if seconds > 0 else None,
            "model_id": self.inner.model_id,
            "backend": self.inner.backend,
            "device": self.inner.device,
            "notes": [],
        }
        return vectors


def build_profiles_spark(
    spark: Any,
    events: Any,
    item_ids: np.ndarray,
    item_vectors: np.ndarray,
    *,
    weights: Any,
    half_life_days: float | None,
    use_ratings: bool,
    n_users: int,
) -> Any:
    """Spark DataFrame of PROFILE_SCHEMA rows, one per user (vector null for a skipped user)."""
    from pyspark.sql import functions as F

    columns = [c for c in ("user_id", "item_id", "event_type", "timestamp", "rating") if c in events.columns]
    facts = events.agg(
        F.max("timestamp").alias("ts") if "timestamp" in columns else F.lit(None).alias("ts"),
        F.max("rating").alias("rating") if "rating" in columns else F.lit(None).alias("rating"),
    ).collect()[0]
    reference = pd.Timestamp(facts["ts"]) if facts["ts"] is not None else None
    top_rating = facts["rating"]
    shared = spark.sparkContext.broadcast(
        (np.asarray(item_ids, dtype=object), np.asarray(item_vectors, dtype=np.float32))
    )
    n_parts = max(1, -(-n_users // USERS_PER_PARTITION))

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from core.embed.profiles import build_profiles

        parts = list(batches)
        if not parts or not sum(len(p) for p in parts):
            return
        frame = pd.concat(parts, ignore_index=True)
        for name in ("user_id", "item_id", "event_type"):
            if name in frame.columns:
                frame[name] = frame[name].astype("str")
        ids, vectors = shared.value
        if use_ratings and top_rating is not None and "rating" in frame.columns:
            guard: dict[str, Any] = {c: None for c in frame.columns}
            guard.update(user_id=GUARD_USER, item_id=str(ids[0]), rating=float(top_rating))
            if "event_type" in frame.columns:
                guard["event_type"] = "rating"
            frame = pd.concat([frame, pd.DataFrame([guard])], ignore_index=True)
            frame["rating"] = pd.to_numeric(frame["rating"], errors="coerce")
            frame["user_id"] = frame["user_id"].astype("str")
        if "timestamp" in frame.columns:
            frame["timestamp"] = pd.to_datetime(frame["timestamp"])
        profiles = build_profiles(
            frame,
            ids,
            vectors,
            weights=weights,
            half_life_days=half_life_days,
            use_ratings=use_ratings,
            reference_time=reference,
        )
        keep = np.flatnonzero(profiles.user_ids != GUARD_USER)
        fallback = set(profiles.rating_fallback_users)
        # In slices of OUTPUT_ROWS users: one Arrow batch of a whole partition (100k x 640 float32)
        # ran a 1-2 GB JVM heap out of memory while Spark cached and wrote it.
        for start in range(0, len(keep), OUTPUT_ROWS):
            rows = keep[start : start + OUTPUT_ROWS]
            yield pd.DataFrame(
                {
                    "user_id": profiles.user_ids[rows].astype(str),
                    "vector": as_bytes(profiles.vectors[rows]),
                    "event_count": profiles.event_counts[rows],
                    "top_items": [list(profiles.top_items[i]) for i in rows],
                    "skipped": None,
                    "fallback": [u in fallback for u in profiles.user_ids[rows]],
                }
            )
        skipped = {u: r for u, r in profiles.skipped_users.items() if u != GUARD_USER}
        if skipped:
            yield pd.DataFrame(
                {
                    "user_id": list(skipped),
                    "vector": None,
                    "event_count": 0,
                    "top_items": [[] for _ in skipped],
                    "skipped": list(skipped.values()),
                    "fallback": False,
                }
            )

    return events.select(*columns).repartition(n_parts, "user_id").mapInPandas(run, PROFILE_SCHEMA)


def collect_profiles(profiles: Any) -> UserProfiles:
    """The Spark profiles on the driver as core `UserProfiles` (users sorted as the local engine sorts them).

    Through Arrow, a few columns at a time (core.engines.spark_session.collected): first the ids and
    counts, then the `binary` vectors batch by batch, each batch's value buffer (float32 rows) copied
    once into its users' sorted rows. At 1M users x 640 reading the whole table, filtering it and
    copying the vectors out held three 2.6 GB copies on the driver at once.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from core.engines.spark_session import collected

    names = ["user_id", "event_count", "top_items", "skipped", "fallback"]
    with collected(profiles) as read:
        table = pa.Table.from_batches(list(read(names)), schema=pa.schema([profiles_field(n) for n in names]))
        skipped_rows = pc.is_valid(table["skipped"])
        skipped = table.filter(skipped_rows)
        kept = table.filter(pc.invert(skipped_rows))
        del table
        ids = np.asarray(kept["user_id"].to_pylist(), dtype=object)
        order = np.argsort(ids, kind="stable")
        destination = np.empty(len(order), np.int64)
        destination[order] = np.arange(len(order))
        # Skipped users' vectors are null (no bytes), so the batches' value buffers hold the kept
        # users' rows in row order; each goes straight to its sorted row.
        vectors = np.zeros((len(ids), 0), np.float32)
        row = 0
        for batch in read(["vector"]):
            cells = batch.column(0)
            data = binary_values(cells)
            if not len(data):
                continue
            count = len(cells) - cells.null_count
            if vectors.shape[1] == 0:
                vectors = np.empty((len(ids), len(data) // 4 // count), np.float32)
            block = data.view(np.float32).reshape(count, vectors.shape[1])
            vectors[destination[row : row + count]] = block
            row += count
    if row != len(ids):
        raise RuntimeError(f"collected {row} profile vectors for {len(ids)} users")
    fallback = kept["fallback"].to_numpy(zero_copy_only=False).astype(bool)
    top_items = kept["top_items"].to_pylist()
    return UserProfiles(
        user_ids=ids[order],
        vectors=vectors,
        event_counts=kept["event_count"].to_numpy(zero_copy_only=False).astype(np.int64)[order],
        top_items=[list(top_items[i]) for i in order],
        skipped_users=dict(
            zip(
                [str(u) for u in skipped["user_id"].to_pylist()],
                [str(r) for r in skipped["skipped"].to_pylist()],
                strict=True,
            )
        ),
        rating_fallback_users=sorted(str(u) for u in ids[fallback]),
    )


def profiles_field(name: str) -> Any:
    """The pyarrow field of a PROFILE_SCHEMA column (for an empty read)."""
    import pyarrow as pa

    types = {
        "user_id": pa.string(),
        "vector": pa.binary(),
        "event_count": pa.int64(),
        "top_items": pa.list_(pa.string()),
        "skipped": pa.string(),
        "fallback": pa.bool_(),
    }
    return pa.field(name, types[name])


def as_bytes(vectors: np.ndarray) -> list[bytes]:
    """One `binary` cell per row: the row's float32 values as bytes."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    return [row.tobytes() for row in rows]


def from_bytes(cells: list[bytes]) -> np.ndarray:
    """The (n, dim) float32 array of `as_bytes` cells."""
    return np.frombuffer(b"".join(cells), dtype=np.float32).reshape(len(cells), -1).copy()


def binary_values(chunk: Any) -> np.ndarray:
    """The bytes of a pyarrow Binary/LargeBinary chunk's non-null cells, concatenated, as uint8 (no copy)."""
    import pyarrow as pa

    if len(chunk) == 0:
        return np.zeros(0, np.uint8)
    offset_type = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
    _, offsets_buffer, values_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
    if values_buffer is None:
        return np.zeros(0, np.uint8)
    return np.frombuffer(values_buffer, dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]

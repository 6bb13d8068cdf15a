"""The embedding cache: hits, misses, damage, dedup and two writers at once (no real model needed)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.embed.cache import CACHE_ENV, DB_NAME, EmbeddingCache, default_cache_dir, text_key
from core.embed.embedding import SentenceTransformerEmbedder
from core.embed.texts import normalise_text

REPO = Path(__file__).resolve().parents[2]
DIM = 384  # the default model's width, read from its config without loading it


class FakeTokenizer:
    def __call__(self, texts, **_):
        return {"input_ids": [[0] * (len(t.split()) + 2) for t in texts]}


class FakeModel:
    """Deterministic stand-in for a SentenceTransformer that records what it was asked to embed."""

    max_seq_length = 256
    tokenizer = FakeTokenizer()

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts, **_):
        self.seen.extend(texts)
        out = np.stack([_vector(t) for t in texts])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def _embedder(cache_dir: Path, model: FakeModel | None = None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        device="cpu", backend="torch", cache_dir=cache_dir, model=model or FakeModel()
    )


TEXTS = ["red mug", "blue  teapot ", "red mug", "garden hose", "\tblue teapot"]


def test_second_run_makes_no_model_call(tmp_path):
    first = _embedder(tmp_path)
    a = first.embed(TEXTS)
    assert first.last_stats["model_calls"] == 1
    assert first.last_stats["n_embedded"] == 3

    model = FakeModel()
    second = _embedder(tmp_path, model)
    b = second.embed(TEXTS)
    assert second.last_stats["model_calls"] == 0
    assert second.last_stats["n_cached"] == 3
    assert model.seen == []
    np.testing.assert_array_equal(a, b)


def test_only_new_texts_are_embedded(tmp_path):
    _embedder(tmp_path).embed(["red mug", "garden hose"])
    model = FakeModel()
    emb = _embedder(tmp_path, model)
    emb.embed(["garden hose", "red mug", "lamp shade"])
    assert model.seen == ["lamp shade"]
    assert (emb.last_stats["n_cached"], emb.last_stats["n_embedded"]) == (2, 1)


def test_duplicates_and_whitespace_variants_are_embedded_once(tmp_path):
    model = FakeModel()
    emb = _embedder(tmp_path, model)
    out = emb.embed(TEXTS)
    assert sorted(model.seen) == ["blue teapot", "garden hose", "red mug"]
    assert emb.last_stats["n_texts"] == 5 and emb.last_stats["n_unique"] == 3
    assert out.shape == (5, DIM) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])


def test_long_texts_are_counted_as_truncated(tmp_path):
    emb = _embedder(tmp_path)
    emb.embed(["short", "word " * 300, "word " * 100])
    assert emb.last_stats["n_truncated"] == 1
    warm = _embedder(tmp_path)
    warm.embed(["word " * 300])
    assert warm.last_stats["n_truncated"] == 1  # remembered by the cache


def test_progress_reaches_one(tmp_path):
    calls: list[float] = []
    _embedder(tmp_path).embed([f"text {i}" for i in range(1200)], progress=lambda f, m: calls.append(f))
    assert calls[-1] == 1.0
    assert calls == sorted(calls)
    assert len(calls) >= 4  # start, three blocks of at most 512, end


def test_first_block_is_small_and_measures_speed(tmp_path):
    """Progress moves within seconds (a 32-text first block), the speed is measured, and the messages
    say how many texts are done and how long is left; the first block spans every length."""
    model = FakeModel()
    texts = [f"text {i} " + "word " * (i % 40) for i in range(400)]
    messages: list[str] = []
    embedder = _embedder(tmp_path, model)
    assert len(embedder.uncached(texts)) == 400
    embedder.embed(texts, progress=lambda f, m: messages.append(m))
    first_block = model.seen[:32]
    assert len({len(t) for t in first_block}) > 20  # short and long texts, not the 32 shortest
    assert any(m.startswith("embedded 32/400 texts") and "s left" in m for m in messages)
    assert embedder.chars_per_s is not None and embedder.chars_per_s > 0
    assert embedder.uncached(texts) == []


def test_garbage_database_is_replaced_and_recomputed(tmp_path):
    reference = _embedder(tmp_path).embed(TEXTS)
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp_path / DB_NAME) + suffix).unlink(missing_ok=True)
    emb = _embedder(tmp_path)
    out = emb.embed(TEXTS)
    np.testing.assert_allclose(out, reference, atol=1e-6)
    assert emb.last_stats["n_embedded"] == 3
    assert any("moved aside" in note for note in emb.last_stats["notes"])
    again = _embedder(tmp_path)
    again.embed(TEXTS)
    assert again.last_stats["model_calls"] == 0


def test_damaged_row_is_recomputed(tmp_path):
    _embedder(tmp_path).embed(["red mug", "garden hose"])
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("UPDATE vectors SET vec = ? WHERE key = ?", (b"\x00\x01\x02", text_key("red mug")))
    model = FakeModel()
    emb = _embedder(tmp_path, model)
    out = emb.embed(["red mug", "garden hose"])
    assert model.seen == ["red mug"]
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_truncated_database_file_does_not_crash(tmp_path):
    _embedder(tmp_path).embed([f"item {i}" for i in range(300)])
    db = tmp_path / DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(db.read_bytes()[:5000])
    emb = _embedder(tmp_path)
    out = emb.embed([f"item {i}" for i in range(300)])
    assert out.shape == (300, DIM)


WRITER = """
import sys, numpy as np
from core.embed.cache import EmbeddingCache, text_key
cache = EmbeddingCache(sys.argv[1])
tag = sys.argv[2]
for batch in range(20):
    rows = [(text_key(f"{tag}-{batch}-{i}"), np.full(8, batch, np.float32), 3) for i in range(50)]
    rows += [(text_key(f"shared-{i}"), np.ones(8, np.float32), 3) for i in range(20)]
    cache.put_many("ns", rows)
assert not cache.notes, cache.notes
"""


def test_two_processes_write_at_once(tmp_path):
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), tag], cwd=REPO, stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    cache = EmbeddingCache(tmp_path)
    keys = [text_key(f"{tag}-{b}-{i}") for tag in "ab" for b in range(20) for i in range(50)]
    keys += [text_key(f"shared-{i}") for i in range(20)]
    assert len(cache.get_many("ns", keys, dim=8)) == len(keys)


def test_namespaces_do_not_mix(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put_many("model-a", [(text_key("x"), np.ones(4, np.float32), 1)])
    assert cache.get_many("model-b", [text_key("x")]) == {}
    assert set(cache.get_many("model-a", [text_key("x")])) == {text_key("x")}


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"


@pytest.mark.parametrize(("raw", "clean"), [(" a \n b\t", "a b"), (None, ""), (float("nan"), ""), (7, "7")])
def test_normalise_text(raw, clean):
    assert normalise_text(raw) == clean


def test_a_file_locked_by_another_process_is_waited_for_not_moved_aside(tmp_path, monkeypatch) -> None:
    """Two processes opening a new cache at once: one may see "database is locked" while the other
    switches it to WAL. That is not damage: the cache waits and opens it, keeping every vector."""
    cache = EmbeddingCache(tmp_path)
    cache.put_many("ns", [(b"k" * 16, np.ones(4, dtype=np.float32), 3)])
    cache.close()
    real_open, calls = EmbeddingCache._open, []

    def locked_twice(self):
        calls.append(1)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return real_open(self)

    monkeypatch.setattr(EmbeddingCache, "_open", locked_twice)
    again = EmbeddingCache(tmp_path)
    assert list(again.get_many("ns", [b"k" * 16])) == [b"k" * 16]
    assert again.notes == [] and not list(tmp_path.glob("*.corrupt-*"))

"""The token limit (max_tokens): texts are cut at it, the cuts are counted, and summary.json says so."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from core.config import AUTO_MAX_TOKENS, CHINESE_MAX_TOKENS, DEFAULT_MAX_TOKENS, AnalysisConfig
from core.embed.embedding import SentenceTransformerEmbedder
from core.errors import ConfigError

DIM = 384  # the default model's width, read from its config without loading it


class FakeTokenizer:
    """One token per word plus two special tokens, like the real one on space-separated words."""

    def __call__(self, texts, **_):
        return {"input_ids": [[0] * (len(t.split()) + 2) for t in texts]}


class FakeModel:
    max_seq_length = 256
    tokenizer = FakeTokenizer()

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts, **_):
        self.calls += 1
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
            rows.append(np.random.default_rng(seed).standard_normal(DIM))
        out = np.asarray(rows, dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _embedder(tmp_path, max_tokens, model=None):
    return SentenceTransformerEmbedder(
        device="cpu", backend="torch", cache_dir=tmp_path, model=model or FakeModel(), max_tokens=max_tokens
    )


def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_texts_longer_than_the_limit_are_counted(tmp_path):
    model = FakeModel()
    emb = _embedder(tmp_path, 16, model)
    # tokens = words + 2: 7, 16, 17, 22, 102 -> three exceed 16
    emb.embed([_words(5), _words(14), _words(15), _words(20), _words(100)])
    assert emb.last_stats["n_truncated"] == 3
    assert emb.last_stats["max_tokens"] == 16
    assert model.max_seq_length == 16  # the model itself reads at most 16 tokens
    full = _embedder(tmp_path, None)
    full.embed([_words(5), _words(100)])
    assert full.last_stats["n_truncated"] == 0 and full.last_stats["max_tokens"] == 256


def test_a_limit_above_the_models_own_is_the_models(tmp_path):
    emb = _embedder(tmp_path, 10_000)
    emb.embed([_words(300)])
    assert emb.last_stats["max_tokens"] == 256 and emb.last_stats["n_truncated"] == 1


def test_vectors_under_different_limits_are_cached_apart(tmp_path):
    _embedder(tmp_path, 16).embed([_words(40)])
    model = FakeModel()
    full = _embedder(tmp_path, None, model)
    full.embed([_words(40)])
    assert model.calls == 1  # the cut vector is not reused for the full-length one
    again = FakeModel()
    cut = _embedder(tmp_path, 16, again)
    cut.embed([_words(40)])
    assert again.calls == 0 and cut.last_stats["n_truncated"] == 1


def test_a_tiny_limit_is_refused_in_both_languages(tmp_path):
    with pytest.raises(ConfigError) as err:
        _embedder(tmp_path, 3)
    assert "max_tokens" in str(err.value) and "至少" in err.value.message_zh


def test_progress_counts_batches(tmp_path):
    messages: list[str] = []
    emb = _embedder(tmp_path, 16)
    emb.embed([f"text {i}" for i in range(100)], progress=lambda f, m: messages.append(str(m)))
    batches = [m for m in messages if "batch" in m]
    assert batches and batches[-1].startswith("embedded 100/100 texts · batch 4/4")  # 100 texts / 32


def test_summary_json_reports_the_limit_and_the_cuts(tmp_path):
    from core.embed.hybrid import HybridEmbedder
    from core.export.outputs import summary
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    rng = np.random.default_rng(0)
    topics = ["garden hose watering", "tea pot kettle", "running shoes sport", "desk lamp light"]
    rows = []
    for u in range(40):
        topic = topics[u % 4]
        for j in range(6):
            n = int(rng.integers(1, 12))  # 1 to 11 repeats: 3 to 33 words + 2 special tokens
            text = " ".join([topic] * n) + f" item{j}"
            rows.append((f"u{u}", f"{topic[:4]}{j}{n}", "view", f"2026-01-{j + 1:02d}", text))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "timestamp", "text"])
    dataset = load_dataset(frame.to_csv(index=False).encode(), filename="events.csv")
    sentence = _embedder(tmp_path, 16)
    analysis = run_analysis(
        dataset, AnalysisConfig(k=4, projection="pca", max_tokens=16), embedder=HybridEmbedder(sentence)
    )
    tokens = dataset.items["text"].map(lambda t: len(t.split()) + 2)
    out = json.loads(json.dumps(summary(analysis), default=str))
    assert out["embedding"]["max_tokens"] == 16
    assert out["embedding"]["n_truncated"] == int((tokens > 16).sum()) > 0


def test_the_default_limit_is_auto_everywhere():
    assert AnalysisConfig().max_tokens == AUTO_MAX_TOKENS
    import inspect

    from core.embed.embedding import make_embedder
    from core.embed.hybrid import make_representation

    for factory in (make_embedder, make_representation):
        assert inspect.signature(factory).parameters["max_tokens"].default == AUTO_MAX_TOKENS


def test_auto_reads_chinese_texts_at_the_chinese_limit(tmp_path):
    model = FakeModel()
    emb = _embedder(tmp_path, AUTO_MAX_TOKENS, model)
    emb.embed(["新能源汽车销量再创新高", "股市今日大盘震荡上涨"])
    assert emb.last_stats["max_tokens"] == CHINESE_MAX_TOKENS == model.max_seq_length
    emb.embed(["red mug", "garden hose"])
    assert emb.last_stats["max_tokens"] == DEFAULT_MAX_TOKENS == model.max_seq_length


def test_cli_refuses_a_tiny_token_limit_in_one_bilingual_line(tmp_path, capsys):
    from core.cli import main

    events = tmp_path / "events.csv"
    events.write_text("user_id,item_id,text\nu1,i1,red mug\n", encoding="utf-8")
    code = main(["analyze", str(events), "--max-tokens", "3", "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--max-tokens" in err[0] and "至少 8" in err[0]

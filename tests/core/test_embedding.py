"""The real default model (offline), the ONNX path, device and backend choice, and TF-IDF.

The ONNX export takes 15-70 s on the shared 2-core box, so the tests that need it are `slow`;
the `model` tests load the real model with the torch backend (a few seconds).
"""

from __future__ import annotations

import numpy as np
import pytest

from core.embed.embedding import AUTO_CPU_BACKEND, make_embedder
from core.embed.tfidf import TfidfEmbedder, tokenize
from core.errors import ConfigError, EmbeddingError

TEXTS = [
    "red ceramic coffee mug",
    "large red coffee cup",
    "garden hose 20 metres",
    "white hanging heart t-light holder",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="module")
def torch_vectors(cache_dir):
    """The real default model, loaded once for the module, strictly offline."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        emb = make_embedder(device="cpu", backend="torch", cache_dir=cache_dir)
        return emb, emb.embed(TEXTS)


@pytest.fixture(scope="module")
def onnx_vectors(cache_dir):
    """The ONNX Runtime path: the export happens once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        emb = make_embedder(device="cpu", backend="onnx", cache_dir=cache_dir)
        return emb, emb.embed(TEXTS)


@pytest.mark.model
def test_default_model_embeds_offline_and_similar_is_closer(torch_vectors):
    emb, vecs = torch_vectors
    assert (emb.device, emb.backend, emb.dim) == ("cpu", "torch", 384)
    assert emb.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert vecs.shape == (4, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert sims[0, 1] > sims[0, 3]
    assert emb.last_stats["model_calls"] == 1 and emb.last_stats["notes"] == []


@pytest.mark.model
def test_second_run_makes_no_model_call(torch_vectors, cache_dir):
    _, first = torch_vectors
    again = make_embedder(device="cpu", backend="torch", cache_dir=cache_dir)
    out = again.embed(list(reversed(TEXTS)))
    assert again.last_stats["model_calls"] == 0
    assert again.last_stats["n_cached"] == 4
    np.testing.assert_array_equal(out, first[::-1])


@pytest.mark.model
def test_default_cpu_path_agrees_with_torch_fp32(torch_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = make_embedder(device="cpu", cache_dir=tmp_path)
    vecs = emb.embed(TEXTS)
    assert (emb.device, emb.backend) == ("cpu", AUTO_CPU_BACKEND)
    assert emb.last_stats["model_calls"] == 1 and emb.last_stats["notes"] == []
    assert (vecs * torch_vectors[1]).sum(axis=1).min() > 0.999
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.model
def test_onnx_export_lives_in_the_cache_and_agrees_with_torch(onnx_vectors, torch_vectors, cache_dir):
    emb, onnx_vecs = onnx_vectors
    assert (emb.device, emb.backend) == ("cpu", "onnx")
    assert emb.last_stats["model_calls"] == 1 and emb.last_stats["notes"] == []
    assert list((cache_dir / "models").glob("*/onnx/model.onnx")), "the export lives in the cache dir"
    assert (onnx_vecs * torch_vectors[1]).sum(axis=1).min() > 0.999
    again = make_embedder(device="cpu", backend="onnx", cache_dir=cache_dir)
    again.embed(TEXTS + ["a new text"])
    assert again.last_stats["model_calls"] == 1 and again.last_stats["notes"] == []  # export reused


@pytest.mark.slow
@pytest.mark.model
def test_int8_mode_is_close_to_fp32(onnx_vectors, cache_dir):
    _, fp32 = onnx_vectors
    fast = make_embedder(device="cpu", backend="onnx-int8", cache_dir=cache_dir)
    out = fast.embed(TEXTS)
    assert fast.backend in ("onnx-int8", "onnx") and fast.last_stats["notes"] == []
    assert (out * fp32).sum(axis=1).min() > 0.95


def test_unknown_model_name_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="hf download"):
        make_embedder("no-such-org/no-such-model-xyz", device="cpu", cache_dir=tmp_path)


@pytest.mark.parametrize(("option", "value"), [("backend", "tensorflow"), ("device", "tpu")])
def test_unknown_options_are_config_errors(tmp_path, option, value):
    with pytest.raises(ConfigError):
        make_embedder(cache_dir=tmp_path, **{option: value})


def test_tfidf_is_selected_by_name():
    assert isinstance(make_embedder("tfidf"), TfidfEmbedder)
    assert isinstance(make_embedder(" TFIDF "), TfidfEmbedder)


def test_tfidf_segments_chinese_with_jieba():
    assert tokenize("红色连衣裙 Red Dress") == ["红色", "连衣裙", "red", "dress"]


def test_tfidf_with_chinese_text_groups_related_items():
    texts = [
        "红色连衣裙 夏季新款",
        "夏季红色连衣裙 女装",
        "笔记本电脑 轻薄 办公",
        "轻薄笔记本电脑 学生办公",
        "红色连衣裙 夏季新款",
    ]
    emb = make_embedder("tfidf")
    vecs = emb.embed(texts)
    assert vecs.shape == (5, emb.dim) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] and sims[2, 3] > sims[2, 1]
    assert emb.last_stats["n_unique"] == 4
    np.testing.assert_array_equal(vecs, make_embedder("tfidf").embed(texts))  # deterministic


def test_tfidf_handles_degenerate_input():
    emb = make_embedder("tfidf")
    assert emb.embed([]).shape == (0, emb.dim)
    one = emb.embed(["only one text"])
    np.testing.assert_allclose(np.linalg.norm(one, axis=1), 1.0, rtol=1e-5)
    assert np.all(emb.embed(["!!!", "???"]) == 0)  # no words at all: zero vectors, no crash

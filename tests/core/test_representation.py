"""Language detection, the hybrid representation's weighting rule, and its round trip through a bundle."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

from core.config import AnalysisConfig
from core.embed.hybrid import HybridEmbedder, make_representation, sentence_weight
from core.embed.language import detect_language
from core.embed.tfidf import TfidfEmbedder
from core.errors import IngestError

TOPICS = {
    "体育": [
        "国足世预赛主场迎战对手",
        "篮球联赛总决赛今晚开打",
        "马拉松比赛吸引万人参赛",
        "足球俱乐部签下新外援",
    ],
    "汽车": [
        "新能源汽车销量再创新高",
        "这款SUV油耗表现如何",
        "电动车续航里程测试结果",
        "汽车品牌发布全新轿车",
    ],
    "财经": [
        "央行宣布下调存款准备金率",
        "股市今日大盘震荡上涨",
        "基金经理谈下半年投资策略",
        "银行理财产品收益率下降",
    ],
}


class FakeSentence:
    """A deterministic stand-in for the sentence model: a unit vector seeded by each text's hash."""

    model_id, device, backend, dim = "fake-sentence", "cpu", "torch", 16

    def __init__(self) -> None:
        self.last_stats: dict[str, object] = {}

    def embed(self, texts, *, progress=None) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(str(text).encode()).digest()[:4], "little")
            v = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(v / np.linalg.norm(v))
        self.last_stats = {"n_texts": len(texts), "n_truncated": 0}
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


def test_language_shares_and_primary_code() -> None:
    zh = detect_language(["新能源汽车销量再创新高", "股市今日大盘震荡上涨 ETF"])
    assert zh.primary == "zh" and zh.han_share > 0.8
    en = detect_language(["WHITE HANGING HEART T-LIGHT HOLDER", "Toy Story (1995)"])
    assert en.primary == "en" and en.han_share == 0.0 and en.latin_share == 1.0
    mixed = detect_language(["苹果手机保护壳 iPhone", "耐克跑步鞋 Nike"])
    assert mixed.primary == "mixed"
    assert detect_language(["Привет мир", "Добрый день"]).primary == "other"
    assert detect_language(["123 !!!", None, float("nan")]).primary == "none"
    assert "Chinese" in zh.describe() and "中文" in zh.describe_zh()


def test_weighting_rule_is_the_documented_one() -> None:
    assert sentence_weight(0.0) == 0.70
    assert sentence_weight(1.0) == 0.05
    assert sentence_weight(0.2) == 0.57


def test_tfidf_projection_embeds_the_fitted_texts_as_the_fit_did() -> None:
    texts = [t for group in TOPICS.values() for t in group] * 2 + ["完全不同的新闻标题"]
    for dim in (256, 4):  # exact (texts <= dim) and SVD paths
        fitter = TfidfEmbedder(dim=dim)
        fitted = fitter.embed(texts)
        assert fitter.fitted is not None
        again = fitter.fitted.transform(texts)
        assert np.allclose((fitted * again).sum(axis=1), 1.0, atol=1e-4)  # same direction per text


def test_hybrid_vectors_mix_the_cosines_with_the_rule_weight() -> None:
    texts = [t for group in TOPICS.values() for t in group]
    hybrid = HybridEmbedder(FakeSentence())
    vectors = hybrid.embed(texts)
    weight = hybrid.last_stats["sentence_weight"]
    assert weight == sentence_weight(detect_language(texts).han_share) == 0.06  # SUV: 98% Han
    assert "TF-IDF 0.94" in hybrid.last_stats["representation_reason"]
    sent = FakeSentence().embed(texts)
    tfidf = TfidfEmbedder().embed(texts)
    expected = weight * sent @ sent.T + (1 - weight) * tfidf @ tfidf.T
    assert np.allclose(vectors @ vectors.T, expected, atol=1e-4)


def test_representation_choices() -> None:
    assert make_representation("tfidf").representation == "tfidf"
    assert make_representation(None, "tfidf").representation == "tfidf"
    assert make_representation(None, "sentence").representation == "sentence"
    assert isinstance(make_representation(None), HybridEmbedder)
    from core.errors import ConfigError

    with pytest.raises(ConfigError):
        make_representation(None, "bag")


def _events_csv() -> bytes:
    rows = ["user_id,item_id,event_type,timestamp,text"]
    for t, (topic, titles) in enumerate(TOPICS.items()):
        for u in range(15):
            for k, title in enumerate(titles):
                rows.append(f"{topic}-{u},{t}-{k},view,2026-01-0{1 + k},{title}")
    return "\n".join(rows).encode("utf-8")


def test_hybrid_analysis_reports_why_and_its_bundle_assigns_new_users_the_same_way(monkeypatch) -> None:
    import core.embed.embedding
    from core.export.assign import assign_new_users
    from core.export.bundle import bundle_bytes, load_bundle
    from core.export.outputs import summary
    from core.export.writer import build_view
    from core.ingest.dataset import load_dataset
    from core.pipeline import run_analysis

    dataset = load_dataset(_events_csv(), filename="events.csv")
    assert dataset.report.language["primary"] == "zh"
    analysis = run_analysis(
        dataset, AnalysisConfig(k=3, projection="pca"), embedder=HybridEmbedder(FakeSentence())
    )
    info = summary(analysis)["embedding"]
    assert info["representation"] == "hybrid" and info["sentence_weight"] == 0.06
    assert "Chinese" in info["representation_reason"]
    raw = bundle_bytes(build_view(analysis))
    bundle = load_bundle(raw)
    assert bundle.representation == "hybrid" and bundle.representation_state is not None

    monkeypatch.setattr(core.embed.embedding, "make_embedder", lambda *a, **k: FakeSentence())
    assigned = assign_new_users(bundle, dataset)
    saved = bundle.assignments.set_index("user_id")["segment_id"]
    assert (assigned.set_index("user_id")["segment_id"] == saved.reindex(assigned["user_id"]).values).all()

    # The HTTP service embeds in the same hybrid space (its catalogue and unseen texts alike).
    from types import SimpleNamespace

    from core.serve.state import load_state

    state = load_state(bundle, dataset)
    assert state.item_vectors.shape[1] == bundle.centroids.shape[1]
    unseen = SimpleNamespace(item_id=None, text=dataset.items["text"].iloc[0] + " 新款", event_type=None,
                             timestamp=None, rating=None)  # fmt: skip
    assert state.assign([unseen])["segment_id"] in set(bundle.centroid_ids.tolist())

    # A bundle with only part of the hybrid files is refused with the bundle message.
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            if name != "tfidf_idf.npy":
                zf.writestr(name, src.read(name))
    with pytest.raises(IngestError, match="incomplete"):
        load_bundle(out.getvalue())
    assert json.loads(src.read("representation.json"))["sentence_weight"] == 0.06


def test_local_models_are_found_in_the_hub_cache_multilingual_first(tmp_path) -> None:
    from core.embed.local_models import local_sentence_models

    for name, sentence in (("acme--tiny-en", True), ("acme--multilingual-mini", True), ("acme--bert", False)):
        snap = tmp_path / f"models--{name}" / "snapshots" / "abc"
        snap.mkdir(parents=True)
        if sentence:
            (snap / "modules.json").write_text("[]")
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    found = local_sentence_models([folder, tmp_path / "nothing"], hub_cache=tmp_path)
    assert found == ["acme/multilingual-mini", "acme/tiny-en", str(folder)]

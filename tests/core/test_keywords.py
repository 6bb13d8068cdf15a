from __future__ import annotations

import re
import time

import numpy as np
import pytest
import scipy.sparse as sp

from core.explain.keywords import (
    analyze,
    build_term_index,
    class_tfidf,
    log_odds,
    mmr,
    segment_keywords,
    tokenize,
)

PUNCT = re.compile(r"[\s，。！？、,.!?;；:：]")


def _user_docs(pairs: list[tuple[int, int]], n_users: int, n_docs: int) -> sp.csr_matrix:
    rows, cols = zip(*pairs, strict=True)
    return sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n_users, n_docs))


def test_english_tokens_drop_stop_words_and_add_bigrams() -> None:
    assert tokenize("The BEST hiking boots for the trail!") == ["best", "hiking", "boots", "trail"]
    assert "hiking boots" in analyze("The best hiking boots")
    assert "boots waterproof" not in analyze("Hiking boots, waterproof and light")  # no bigram across a comma
    assert "透气登山" not in analyze("防水透气，登山必备")


def test_chinese_is_split_into_words() -> None:
    words = tokenize("我喜欢户外露营和登山，帐篷质量很好！")
    assert {"户外", "露营", "登山", "帐篷"} <= set(words)
    assert all(2 <= len(w) <= 4 for w in words)


def test_class_tfidf_favours_terms_specific_to_a_class() -> None:
    counts = np.array([[4, 2, 0], [0, 2, 4]])
    scores = class_tfidf(counts)
    assert scores[0, 0] > scores[0, 1] > scores[0, 2] == 0
    assert scores[1, 2] > scores[1, 1]


def test_mmr_skips_near_duplicates() -> None:
    vectors = np.array([[1.0, 0.0], [0.999, 0.045], [0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert mmr(vectors, np.array([1.0, 0.95, 0.6]), 2, diversity=0.5) == [0, 2]


def test_log_odds_sign_points_to_the_segment_that_uses_the_term_more() -> None:
    # both segments have 40 tokens; "term 1" has the same share (1/4) in each
    z = log_odds(np.array([25, 10, 5]), np.array([5, 10, 25]), np.array([30, 20, 30]), prior_mass=50)
    assert z[0] > 2 and abs(z[1]) < 0.1 and z[2] < -2


def _toy_index() -> tuple[object, np.ndarray]:
    docs = [
        "waterproof hiking boots",
        "camping tent for hiking",
        "espresso coffee beans",
        "milk frother for espresso",
        "secret limited edition gnome",  # touched by one user only
    ]
    # users 0-3 hike, users 4-7 drink coffee, user 0 also bought the gnome
    pairs = [(u, 0) for u in range(4)] + [(u, 1) for u in range(4)]
    pairs += [(u, 2) for u in range(4, 8)] + [(u, 3) for u in range(4, 8)] + [(0, 4)]
    return build_term_index(docs, _user_docs(pairs, 8, 5)), np.array([0, 0, 0, 0, 1, 1, 1, 1])


def test_segment_keywords_find_each_segments_topic_and_respect_the_user_floor() -> None:
    index, labels = _toy_index()
    keywords = segment_keywords(index, labels, 2, n_keywords=5, min_keyword_users=3)  # type: ignore[arg-type]
    terms0, terms1 = [t for t, _ in keywords[0]], [t for t, _ in keywords[1]]
    assert terms0[0] == "hiking" and "espresso" in terms1[:2]
    assert not {"gnome", "secret", "limited"} & set(terms0)  # one user only: private
    assert not set(terms0) & set(terms1)
    loose = segment_keywords(index, labels, 2, n_keywords=20, min_keyword_users=1)  # type: ignore[arg-type]
    assert any("gnome" in t for t, _ in loose[0])


def test_centroid_reranking_uses_the_embedding_space() -> None:
    index, labels = _toy_index()

    def embed(texts: list[str]) -> np.ndarray:  # "boots" points at the centroid, everything else away
        return np.array([[1.0, 0.0] if "boots" in t else [0.0, 1.0] for t in texts])

    centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    plain = segment_keywords(index, labels, 2, n_keywords=3)  # type: ignore[arg-type]
    ranked = segment_keywords(index, labels, 2, n_keywords=3, centroids=centroids, embed=embed)  # type: ignore[arg-type]
    assert plain[0][0][0] == "hiking"
    assert "boots" in ranked[0][0][0]
    for terms in (*plain, *ranked):  # rank order by the score shown (MMR picks, then sorts)
        scores = [score for _, score in terms]
        assert scores == sorted(scores, reverse=True)


def test_keywords_are_contrastive_terms_every_segment_shares_are_dropped() -> None:
    pairs = [(u, 0) for u in range(15)] + [(u, u // 5) for u in range(5, 15)]  # everyone watches drama
    labels = np.repeat([0, 1, 2], 5)
    docs = ["drama", "drama heist", "drama space"]
    index = build_term_index(docs, _user_docs(pairs, 15, 3))
    keywords = segment_keywords(index, labels, 3, min_keyword_users=3)  # type: ignore[arg-type]
    assert "drama" not in [t for terms in keywords for t, _ in terms]
    assert "heist" in keywords[1][0][0] and "space" in keywords[2][0][0]


def test_chinese_keywords_are_words_not_sentences() -> None:
    docs = [
        "户外露营帐篷，防水透气，登山徒步必备。",
        "轻便登山杖，徒步旅行好帮手！",
        "意式咖啡豆，香气浓郁，适合做拿铁。",
        "手动咖啡研磨机，研磨均匀，咖啡爱好者必备。",
    ]
    pairs = [(u, d) for u in range(5) for d in (0, 1)] + [(u, d) for u in range(5, 10) for d in (2, 3)]
    index = build_term_index(docs, _user_docs(pairs, 10, 4))
    keywords = segment_keywords(index, np.array([0] * 5 + [1] * 5), 2, n_keywords=8)
    terms = [t for seg in keywords for t, _ in seg]
    assert terms and all(len(t) <= 8 and not PUNCT.search(t) for t in terms)
    assert {"登山", "徒步"} & {t for t, _ in keywords[0]}
    assert "咖啡" in {t for t, _ in keywords[1]}


def test_empty_texts_give_empty_keywords() -> None:
    index = build_term_index(["", "  "], _user_docs([(0, 0), (1, 1)], 2, 2))
    assert segment_keywords(index, np.array([0, 1]), 2) == [[], []]


@pytest.mark.slow
def test_keywords_scale_to_online_retail_size() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"word{i}" for i in range(600)]
    docs = [" ".join(rng.choice(vocab, size=5)) for _ in range(4000)]
    n_users, n_events = 4372, 400_000
    user_docs = sp.csr_matrix(
        (np.ones(n_events), (rng.integers(0, n_users, n_events), rng.integers(0, 4000, n_events))),
        shape=(n_users, 4000),
    )
    start = time.perf_counter()
    index = build_term_index(docs, user_docs)
    segment_keywords(index, rng.integers(0, 10, n_users), 10)
    assert time.perf_counter() - start < 15

"""Segment keywords: class-based TF-IDF over members' texts weighted by lift over the other segments,
re-ranked toward the centroid with MMR; every list is in rank order by the score it shows.

Texts are tokenised once per unique document (item text or review); users reach documents through a
sparse users x documents matrix, so nothing is re-tokenised per event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

EmbedFn = Callable[[list[str]], np.ndarray]

_TOKEN = re.compile(r"[\u4e00-\u9fff]+|[a-z][a-z0-9]*(?:['-][a-z0-9]+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSE = re.compile(r"[,.;:!?()\[\]/|\n\u3001-\u3003\uff0c\uff1b\uff1a\uff01\uff1f\uff08\uff09]+")
_ZH_STOP = frozenset(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "很",
        "也",
        "都",
        "就",
        "和",
        "与",
        "及",
        "在",
        "有",
        "这",
        "那",
        "这个",
        "那个",
        "一个",
        "我们",
        "你们",
        "他们",
        "还",
        "又",
        "但",
        "但是",
        "而且",
        "因为",
        "所以",
        "如果",
        "非常",
        "比较",
        "真的",
        "已经",
        "没有",
        "不是",
        "什么",
        "怎么",
        "可以",
        "一下",
        "一些",
        "东西",
        "感觉",
        "觉得",
        "收到",
        "买",
        "买了",
        "个",
        "吧",
        "啊",
        "呢",
        "吗",
        "就是",
        "还是",
        "这样",
        "这么",
        "那么",
        "然后",
        "之后",
        "时候",
        "一直",
        "有点",
        "特别",
        "自己",
        "大家",
        "其他",
        "宝贝",
    ]
)
_EN_EXTRA_STOP = frozenset(
    ["don", "doesn", "didn", "isn", "wasn", "won", "just", "really", "ve", "ll", "re", "im", "it's", "i'm"]
)


@lru_cache(maxsize=1)
def _en_stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EN_EXTRA_STOP


def tokenize(text: str) -> list[str]:
    """Words of one text, lower-cased, stop words dropped; Chinese runs are split into words by jieba."""
    import jieba

    stop = _en_stop()
    words: list[str] = []
    for run in _TOKEN.findall(str(text).lower()):
        if _CJK.match(run):
            words.extend(w for w in jieba.lcut(run) if len(w) >= 2 and w not in _ZH_STOP)
        elif len(run) >= 2 and run not in stop:
            words.append(run)
    return words


def _join(a: str, b: str) -> str:
    return a + b if _CJK.match(a) and _CJK.match(b) else f"{a} {b}"


def analyze(text: str) -> list[str]:
    """Unigrams and adjacent bigrams of `tokenize(text)`; bigrams never cross punctuation."""
    unigrams: list[str] = []
    bigrams: list[str] = []
    for clause in _CLAUSE.split(str(text)):
        words = tokenize(clause)
        unigrams += words
        bigrams += [_join(a, b) for a, b in zip(words, words[1:], strict=False) if a != b]
    return unigrams + bigrams


@dataclass(frozen=True, eq=False)
class TermIndex:
    """Terms of the unique documents and who reached them."""

    terms: np.ndarray  # (n_terms,) object
    doc_terms: sp.csr_matrix  # (n_docs, n_terms) int counts
    user_terms: sp.csr_matrix  # (n_users, n_terms) float: term counts summed over each user's distinct docs
    user_has_term: sp.csr_matrix  # (n_users, n_terms) {0,1}


def build_term_index(doc_texts: Sequence[str], user_docs: sp.spmatrix) -> TermIndex:
    """`doc_texts` (n_docs,) and `user_docs` (n_users, n_docs) -> TermIndex (each doc tokenised once)."""
    from sklearn.feature_extraction.text import CountVectorizer

    n_docs = len(doc_texts)
    binary_docs = sp.csr_matrix(user_docs, dtype=np.float64)
    binary_docs.data[:] = 1.0
    if n_docs == 0 or not any(str(t).strip() for t in doc_texts):
        empty = sp.csr_matrix((binary_docs.shape[0], 0))
        return TermIndex(np.array([], dtype=object), sp.csr_matrix((n_docs, 0)), empty, empty)
    vectorizer = CountVectorizer(analyzer=analyze, lowercase=False)
    try:
        doc_terms = vectorizer.fit_transform([str(t) for t in doc_texts]).tocsr()
    except ValueError:  # no term survived the stop words
        empty = sp.csr_matrix((binary_docs.shape[0], 0))
        return TermIndex(np.array([], dtype=object), sp.csr_matrix((n_docs, 0)), empty, empty)
    user_terms = (binary_docs @ doc_terms).tocsr()
    has = user_terms.copy()
    has.data[:] = 1.0
    return TermIndex(np.asarray(vectorizer.get_feature_names_out(), dtype=object), doc_terms, user_terms, has)


def class_tfidf(counts: np.ndarray) -> np.ndarray:
    """c-TF-IDF (BERTopic): (k, n_terms) term counts per class -> (k, n_terms) scores."""
    counts = np.asarray(counts, dtype=np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_words = counts.sum() / max(counts.shape[0], 1)
    idf = np.log1p(avg_words / np.maximum(counts.sum(axis=0), 1.0))
    return tf * idf


def segment_sums(matrix: sp.spmatrix, labels: np.ndarray, k: int) -> np.ndarray:
    """Sum rows of (n_users, n) `matrix` per segment -> (k, n) dense."""
    n = len(labels)
    member = sp.csr_matrix((np.ones(n), (np.asarray(labels), np.arange(n))), shape=(k, n))
    return np.asarray((member @ matrix).todense())


def mmr(term_vectors: np.ndarray, relevance: np.ndarray, n: int, *, diversity: float = 0.3) -> list[int]:
    """Maximal marginal relevance: pick n of (m, dim) unit vectors by relevance (m,) minus redundancy."""
    chosen: list[int] = []
    left = list(range(len(relevance)))
    sims = term_vectors @ term_vectors.T
    while left and len(chosen) < n:
        redundancy = sims[np.ix_(left, chosen)].max(axis=1) if chosen else np.zeros(len(left))
        score = (1 - diversity) * relevance[left] - diversity * redundancy
        chosen.append(left.pop(int(np.argmax(score))))
    return chosen


def _drop_contained(terms: list[str], n: int) -> list[int]:
    """Positions of the first n terms not already said by a better one ("bottle" after "water bottle")."""
    kept: list[int] = []
    for i, term in enumerate(terms):
        words = set(term.split())  # Chinese terms have no spaces: jieba words stay next to their bigrams
        if not _CJK.search(term) and any(words <= set(terms[j].split()) for j in kept):
            continue
        kept.append(i)
        if len(kept) == n:
            break
    return kept


def segment_keywords(
    index: TermIndex,
    labels: np.ndarray,
    k: int,
    *,
    centroids: np.ndarray | None = None,
    embed: EmbedFn | None = None,
    n_keywords: int = 10,
    min_keyword_users: int = 3,
    n_candidates: int = 30,
    diversity: float = 0.3,
) -> list[list[tuple[str, float]]]:
    """Per segment, up to n_keywords (term, score) best first; labels (n_users,), centroids (k, dim).

    Terms used by fewer than `min_keyword_users` distinct members are dropped. With `embed` and
    centroids of the same dimension, candidates are re-ranked by similarity to the centroid and MMR.
    """
    if index.terms.size == 0:
        return [[] for _ in range(k)]
    scores = class_tfidf(segment_sums(index.user_terms, labels, k))
    users = segment_sums(index.user_has_term, labels, k)
    # Contrastive, not just frequent: weight by the term's user lift over the OTHER segments
    # (smoothed), and drop terms no more common here than elsewhere: genres every segment watches,
    # or "set" and "red" in a gift shop, say nothing about what sets this segment apart.
    sizes = np.bincount(labels, minlength=k).astype(np.float64)[:, None]
    rest_users = users.sum(axis=0, keepdims=True) - users
    rest_sizes = max(len(labels), 1) - sizes
    lift = ((users + 1.0) / (sizes + 2.0)) / ((rest_users + 1.0) / (rest_sizes + 2.0))
    scores *= np.log2(np.maximum(lift, 1.0))
    scores[users < min_keyword_users] = 0.0
    candidates = []
    for seg in range(k):
        top = np.argsort(-scores[seg], kind="stable")[:n_candidates]
        candidates.append(top[scores[seg, top] > 0])
    vectors: dict[int, np.ndarray] = {}
    if embed is not None and centroids is not None:
        unique = sorted({int(t) for c in candidates for t in c})
        if unique:
            emb = np.asarray(embed([str(index.terms[t]) for t in unique]), dtype=np.float64)
            if emb.ndim == 2 and emb.shape[1] == centroids.shape[1]:
                emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
                vectors = {t: emb[i] for i, t in enumerate(unique)}
    out: list[list[tuple[str, float]]] = []
    for seg, cand in enumerate(candidates):
        if cand.size == 0:
            out.append([])
            continue
        tfidf = scores[seg, cand] / scores[seg, cand].max()
        if vectors:
            vecs = np.stack([vectors[int(t)] for t in cand])
            centroid = np.asarray(centroids[seg], dtype=np.float64)  # type: ignore[index]
            sim = vecs @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
            span = sim.max() - sim.min()
            relevance = 0.5 * tfidf + 0.5 * ((sim - sim.min()) / span if span > 0 else np.ones_like(sim))
            order = mmr(vecs, relevance, cand.size, diversity=diversity)
        else:
            relevance = tfidf
            order = list(range(cand.size))
        picked = _drop_contained([str(index.terms[cand[i]]) for i in order], n_keywords)
        chosen = [(str(index.terms[cand[order[j]]]), round(float(relevance[order[j]]), 4)) for j in picked]
        out.append(sorted(chosen, key=lambda term: -term[1]))  # rank order = the score shown
    return out


def log_odds(
    counts_a: np.ndarray, counts_b: np.ndarray, background: np.ndarray, *, prior_mass: float = 1000.0
) -> np.ndarray:
    """Weighted log-odds z-scores with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).

    counts_a, counts_b, background: (n_terms,) counts. Positive z: typical of a; negative: of b.
    """
    ya, yb = np.asarray(counts_a, np.float64), np.asarray(counts_b, np.float64)
    bg = np.asarray(background, np.float64)
    alpha = prior_mass * bg / max(bg.sum(), 1.0) + 1e-3  # (n_terms,)
    a0, na, nb = alpha.sum(), ya.sum(), yb.sum()
    delta = np.log((ya + alpha) / (na + a0 - ya - alpha)) - np.log((yb + alpha) / (nb + a0 - yb - alpha))
    return delta / np.sqrt(1.0 / (ya + alpha) + 1.0 / (yb + alpha))

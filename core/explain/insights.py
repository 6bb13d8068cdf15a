"""What each segment is about: keywords, sentiment, top items with lift, composition, names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.errors import AnalysisError
from core.explain import segment_stats as stats
from core.explain.keywords import TermIndex, build_term_index, log_odds, segment_keywords, segment_sums
from core.explain.naming import LLMConfig, name_segments
from core.explain.sentiment import score_sentiment
from core.progress import Progress, scaled

if TYPE_CHECKING:
    from core.data import Dataset
    from core.embed.profiles import UserProfiles
    from core.segment.types import Segmentation

EmbedFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True, eq=False)
class SegmentProfile:
    """Everything a marketer reads about one segment."""

    segment_id: int
    name: str
    size: int  # distinct users
    share: float  # of all segmented users
    keywords: list[tuple[str, float]]  # (term, score), best first
    sentiment: dict[str, float]  # positive, neutral, negative (shares), mean_score, n_texts
    mean_rating: float | None
    top_items: list[dict[str, Any]]  # item_id, text, users, share, lift; best first
    composition: dict[str, list[tuple[str, float]]]  # attribute -> [(value, share)] for the top values
    revenue: dict[str, float] | None  # revenue, orders, revenue_per_user, avg_order_value (when price/qty)
    representative_users: list[str]  # closest members to the centroid
    stability: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class _Members:
    """Events of profiled users, indexed for sparse aggregation."""

    events: pd.DataFrame  # kept events with _uidx (row in profiles) and _item (column in item_ids)
    item_ids: np.ndarray  # (n_items,) object
    user_items: sp.csr_matrix  # (n_users, n_items) {0,1}
    index: TermIndex  # over unique item texts + unique reviews


def _members(dataset: Dataset, profiles: UserProfiles) -> _Members:
    users = pd.Index(profiles.user_ids)
    events = dataset.events.assign(_uidx=users.get_indexer(dataset.events["user_id"]))
    events = events[events["_uidx"] >= 0]
    item_ids = np.asarray(pd.unique(events["item_id"]), dtype=object)
    events = events.assign(_item=pd.Index(item_ids).get_indexer(events["item_id"]))
    n_users, n_items = len(users), len(item_ids)
    ones = np.ones(len(events))
    user_items = sp.csr_matrix((ones, (events["_uidx"], events["_item"])), shape=(n_users, n_items))
    user_items.data[:] = 1.0
    text = (
        dataset.items.drop_duplicates("item_id").set_index("item_id")["text"] if len(dataset.items) else None
    )
    item_text = (
        text.reindex(item_ids).fillna("").astype(str).to_numpy() if text is not None else np.full(n_items, "")
    )
    reviews = (
        events["review"].fillna("").astype(str) if "review" in events else pd.Series("", index=events.index)
    )
    has_review = (reviews.str.strip() != "").to_numpy()
    review_texts, review_idx = np.unique(reviews[has_review].to_numpy(dtype=object), return_inverse=True)
    user_reviews = sp.csr_matrix(
        (np.ones(int(has_review.sum())), (events["_uidx"].to_numpy()[has_review], review_idx)),
        shape=(n_users, len(review_texts)),
    )
    docs = [*item_text, *review_texts]
    index = build_term_index(docs, sp.hstack([user_items, user_reviews]).tocsr())
    return _Members(events, item_ids, user_items, index)


def _segment_sentiment(events: pd.DataFrame, labels: np.ndarray, k: int, embed: Any) -> list[dict[str, Any]]:
    seg = labels[events["_uidx"].to_numpy()]
    ratings = events["rating"].to_numpy(np.float64) if "rating" in events else np.full(len(events), np.nan)
    reviews = (
        events["review"].fillna("").astype(str).to_numpy() if "review" in events else np.full(len(events), "")
    )
    has_text = np.char.str_len(reviews.astype(str)) > 0
    method = "model" if embed is not None else "lexicon"
    text_scores = np.full(len(events), np.nan)
    if has_text.any():
        text_scores[has_text] = score_sentiment(
            list(reviews[has_text]), ratings=ratings[has_text], embed=embed, method=method
        )
    out: list[dict[str, Any]] = []
    for s in range(k):
        summary: dict[str, Any]
        mine = seg == s
        use_text = mine & has_text
        if use_text.any():  # review rows; a review's own rating wins over its text (score_sentiment)
            summary = dict(stats.sentiment_summary(text_scores[use_text]))
            from_rating = int((use_text & np.isfinite(ratings)).sum())
            from_text = int(use_text.sum()) - from_rating
        else:
            rated = mine & np.isfinite(ratings)
            summary = dict(stats.sentiment_summary(np.clip((ratings[rated] - 3.0) / 2.0, -1, 1)))
            from_rating, from_text = int(rated.sum()), 0
        summary["source"] = sentiment_source(from_text=from_text, from_rating=from_rating)
        summary["n_from_text"], summary["n_from_ratings"] = float(from_text), float(from_rating)
        r = ratings[mine & np.isfinite(ratings)]
        summary["_mean_rating"] = round(float(r.mean()), 3) if r.size else None
        out.append(summary)
    return out


def sentiment_source(*, from_text: int, from_rating: int) -> str:
    """Where a segment's sentiment comes from: "reviews" (review text), "ratings", "reviews+ratings"
    (reviews, some carrying a rating that won over their text) or "none" (nothing to measure)."""
    if from_text and from_rating:
        return "reviews+ratings"
    return "reviews" if from_text else "ratings" if from_rating else "none"


def describe_segments(
    dataset: Dataset,
    profiles: UserProfiles,
    segmentation: Segmentation,
    *,
    item_ids: Sequence[str] | np.ndarray,
    item_vectors: np.ndarray,
    embed: Any = None,
    embedder: Any = None,
    n_keywords: int = 10,
    min_keyword_users: int = 3,
    llm: LLMConfig | None | bool = None,
    progress: Progress | None = None,
) -> list[SegmentProfile]:
    """One SegmentProfile per segment id 0..k-1. profiles.user_ids (n_users,) align with segmentation.labels.

    item_ids (n_items,) / item_vectors (n_items, dim): the embedded items (for central items).
    embed: callable texts -> (n, dim) or an Embedder of the same model as the profiles; it re-ranks
    keywords and scores unrated review text. Without it keywords stay c-TF-IDF and text sentiment
    falls back to lexicons (`embedder` is an alias of `embed`). llm: None reads the LLM namer from
    the environment, False disables it.
    """
    embed = embed if embed is not None else embedder
    labels = np.asarray(segmentation.labels, dtype=np.int64)
    if len(labels) != len(profiles.user_ids):
        raise AnalysisError(
            "The segmentation does not match the user profiles.", "分群结果与用户画像的数量不一致。"
        )
    embed_fn = embed.embed if hasattr(embed, "embed") else embed
    # A TF-IDF embedder refits on whatever it embeds: its term vectors would not share the centroids' space.
    model_id = str(getattr(getattr(embed, "__self__", embed), "model_id", ""))  # Embedder or its bound .embed
    term_embed = None if model_id.startswith("tfidf") else embed_fn
    k, n_users = int(segmentation.k), len(labels)
    report = scaled(progress, 0.0, 1.0)
    # 1. Members' events, items and the term index (each unique text tokenised once).
    report(0.0, "Indexing segment texts")
    members = _members(dataset, profiles)
    # 2. Keywords: c-TF-IDF, privacy floor, re-ranked toward the centroid.
    report(0.3, "Finding keywords")
    keywords = segment_keywords(
        members.index, labels, k, centroids=segmentation.centroids, embed=term_embed,
        n_keywords=n_keywords, min_keyword_users=min_keyword_users,
    )  # fmt: skip
    # 3. Sentiment, items, composition, revenue.
    report(0.6, "Scoring sentiment")
    sentiment = _segment_sentiment(members.events, labels, k, None if term_embed is None else embed)
    report(0.8, "Items, composition and revenue")
    text = dataset.items.drop_duplicates("item_id").set_index("item_id")["text"].astype(str).to_dict()
    items = stats.top_items_with_lift(
        members.user_items, labels, k, members.item_ids, text, min_users=min_keyword_users
    )
    comp = stats.composition(members.events, labels, k)
    money = stats.revenue(members.events, labels, k)
    central = _central_items(np.asarray(item_ids, dtype=object), item_vectors, segmentation.centroids, text)
    # 4. Contrastive, unique names (or the LLM's, when configured).
    # Only top item texts (never user ids or members' own reviews) reach the namer and its LLM.
    examples = [[it["text"] for it in seg_items[:3]] for seg_items in items]
    sizes = np.bincount(labels, minlength=k)
    names = name_segments(keywords, examples=examples, llm=llm, compositions=comp, sizes=sizes.tolist())
    distance = np.asarray(segmentation.distance, dtype=np.float64)
    out = []
    for s in range(k):
        idx = np.flatnonzero(labels == s)
        reps = idx[np.argsort(distance[idx], kind="stable")[:5]]
        senti = dict(sentiment[s])
        mean_rating = senti.pop("_mean_rating")
        source = senti.pop("source")
        stability = None if segmentation.stability is None else float(segmentation.stability[s])
        out.append(
            SegmentProfile(
                segment_id=s, name=names[s], size=int(idx.size), share=round(idx.size / max(n_users, 1), 4),
                keywords=keywords[s], sentiment=senti, mean_rating=mean_rating, top_items=items[s],
                composition=comp[s], revenue=money[s],
                representative_users=[str(profiles.user_ids[i]) for i in reps], stability=stability,
                extra={"sentiment_source": source, "central_items": central[s]},
            )
        )  # fmt: skip
    report(1.0, "Segments described")
    return out


def _central_items(
    item_ids: np.ndarray, item_vectors: np.ndarray, centroids: np.ndarray, text: dict[str, str], n: int = 5
) -> list[list[str]]:
    """Per segment, the n item ids closest to the centroid (what the segment 'looks like')."""
    vectors = np.asarray(item_vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(item_ids) or vectors.shape[1] != centroids.shape[1]:
        return [[] for _ in range(len(centroids))]
    sims = np.asarray(centroids, dtype=np.float32) @ vectors.T  # (k, n_items)
    return [[str(item_ids[i]) for i in np.argsort(-row, kind="stable")[:n]] for row in sims]


@dataclass(frozen=True)
class SegmentComparison:
    """How segment a differs from segment b."""

    a: int
    b: int
    terms_a: list[tuple[str, float]]  # terms typical of a: (term, z-score of weighted log-odds)
    terms_b: list[tuple[str, float]]  # terms typical of b
    sentiment_delta: float | None  # mean_score a - b; None when either has nothing to measure
    positive_share_delta: float | None
    rating_delta: float | None  # mean rating a - b
    item_jaccard: float  # Jaccard of the top-item sets
    shared_items: list[str]  # item ids in both top lists


def compare_segments(
    dataset: Dataset,
    profiles: UserProfiles,
    segmentation: Segmentation,
    a: int,
    b: int,
    *,
    segment_profiles: Sequence[SegmentProfile],
    n_terms: int = 10,
    min_keyword_users: int = 3,
    prior_mass: float = 1000.0,
) -> SegmentComparison:
    """Distinguishing terms (weighted log-odds, informative Dirichlet prior; Monroe et al. 2008),
    sentiment and rating deltas and top-item overlap between segments a and b."""
    k = int(segmentation.k)
    if not (0 <= a < k and 0 <= b < k) or a == b:
        raise AnalysisError(
            f"Pick two different segments between 0 and {k - 1}.", f"请选择 0 到 {k - 1} 之间的两个不同分群。"
        )
    labels = np.asarray(segmentation.labels, dtype=np.int64)
    members = _members(dataset, profiles)
    counts = segment_sums(members.index.user_terms, labels, k)
    users = segment_sums(members.index.user_has_term, labels, k)
    z = log_odds(counts[a], counts[b], counts.sum(axis=0), prior_mass=prior_mass)
    terms = members.index.terms

    def top(sign: float, seg: int) -> list[tuple[str, float]]:
        score = np.where(users[seg] >= min_keyword_users, sign * z, -np.inf)
        order = [
            i for i in np.argsort(-score, kind="stable")[:n_terms] if np.isfinite(score[i]) and score[i] > 0
        ]
        return [(str(terms[i]), round(float(score[i]), 3)) for i in order]

    pa, pb = segment_profiles[a], segment_profiles[b]
    items_a = {it["item_id"] for it in pa.top_items}
    items_b = {it["item_id"] for it in pb.top_items}
    union = items_a | items_b
    rating = (
        None
        if pa.mean_rating is None or pb.mean_rating is None
        else round(pa.mean_rating - pb.mean_rating, 3)
    )
    return SegmentComparison(
        a=a, b=b, terms_a=top(1.0, a), terms_b=top(-1.0, b),
        sentiment_delta=_delta(pa.sentiment.get("mean_score"), pb.sentiment.get("mean_score")),
        positive_share_delta=_delta(pa.sentiment.get("positive"), pb.sentiment.get("positive")),
        rating_delta=rating, item_jaccard=round(len(items_a & items_b) / len(union), 4) if union else 0.0,
        shared_items=sorted(items_a & items_b),
    )  # fmt: skip


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 4)

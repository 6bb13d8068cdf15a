"""Sentences that say where a segment's sentiment comes from, identical on the page, in Excel and in
the HTML report (English and 中文).

A segment's sentiment is measured from review text, from ratings (no review text), from reviews of
which some carry a rating that won over their text, or not at all. When there is nothing to measure
no number is given, so a page never shows "+0.00" beside "no review text".
"""

from __future__ import annotations

from typing import Any

from core.export import numbers

_HEADINGS = {
    "reviews": ("Sentiment of review texts", "评论文本情感"),
    "reviews+ratings": ("Sentiment of reviews", "评论情感"),
    "ratings": ("Sentiment from ratings", "评分所反映的情感"),
    "none": ("Sentiment", "情感"),
}
_BASIS = {
    "reviews": ("{n} review texts scored by the sentiment model", "情感模型评分的 {n} 条评论文本"),
    "reviews+ratings": (
        "{n} reviews: {t} scored from their text, {r} from their own rating",
        "{n} 条评论：{t} 条按文本评分，{r} 条按其评分",
    ),
    "ratings": (
        "{n} ratings (no review text; 3 of 5 stars is neutral)",
        "{n} 个评分（没有评论文本；5 分制中 3 分为中性）",
    ),
}
_NONE = (
    "No review text or rating in this segment: there is no sentiment to measure.",
    "该分群没有评论文本或评分：无法衡量情感。",
)
_SHARES = ("{p} positive, {u} neutral, {g} negative", "正面 {p}，中性 {u}，负面 {g}")


def source_of(segment: Any) -> str:
    """The sentiment source of a SegmentProfile: reviews / reviews+ratings / ratings / none."""
    sentiment = segment.sentiment or {}
    source = str((segment.extra or {}).get("sentiment_source", ""))
    if not sentiment.get("n_texts") or "mean_score" not in sentiment:
        return "none"
    return source if source in _BASIS else "reviews"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def sentiment_heading(segment: Any, lang: str = "en") -> str:
    return _pick(_HEADINGS[source_of(segment)], lang)


def sentiment_basis(segment: Any, lang: str = "en") -> str:
    """What was measured ("1,204 ratings (no review text; ...)"), or the sentence saying nothing was."""
    source = source_of(segment)
    if source == "none":
        return _pick(_NONE, lang)
    sentiment = segment.sentiment
    return _pick(_BASIS[source], lang).format(
        n=numbers.count(sentiment.get("n_texts"), lang),
        t=numbers.count(sentiment.get("n_from_text", 0), lang),
        r=numbers.count(sentiment.get("n_from_ratings", 0), lang),
    )


def sentiment_sentence(segment: Any, lang: str = "en") -> str:
    """One line: basis and shares, e.g. "Sentiment from 1,204 ratings (...): 61.0% positive, ..."."""
    source = source_of(segment)
    if source == "none":
        return _pick(_NONE, lang)
    sentiment = segment.sentiment
    shares = _pick(_SHARES, lang).format(
        p=numbers.share(sentiment.get("positive"), lang, digits=0),
        u=numbers.share(sentiment.get("neutral"), lang, digits=0),
        g=numbers.share(sentiment.get("negative"), lang, digits=0),
    )
    sep = "：" if lang == "zh" else ": "
    return f"{sentiment_heading(segment, lang)}{sep}{sentiment_basis(segment, lang)}{sep}{shares}"

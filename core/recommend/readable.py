"""The evaluation as a marketer reads it: labelled tables, the best value per column and a one-line
verdict per table, in English or Chinese. The app, the HTML report and Excel all show these tables.

`readable_tables(evaluation_json, lang)` -> [`ReadableTable`], from `EvaluationResult.to_json()`.
Method labels are the recommender dropdown's labels (`METHOD_LABELS`, used by the app too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.recommend.metrics import METRIC_DEFINITIONS

Bilingual = tuple[str, str]

METHOD_LABELS: dict[str, Bilingual] = {
    "popular": ("Most popular (baseline)", "最热门（基线）"),
    "item_knn": ("Item-to-item (baseline)", "物品协同（基线）"),
    "segment_popular": ("Popular in the segment", "分群内热门"),
    "content": ("Content similarity", "内容相似"),
    "logistic": ("Logistic per segment", "分群逻辑回归"),
    "hybrid": ("Hybrid (segment + content)", "混合（分群 + 内容）"),
}
SEGMENT_AWARE = ("segment_popular", "hybrid", "logistic")
SEGMENTATION_LABELS: dict[str, Bilingual] = {
    "ours": ("Our interest segments", "我们的兴趣分群"),
    "rfm_kmeans": ("RFM segments (recency, frequency, spend)", "RFM 分群（最近、频次、金额）"),
    "tfidf": ("Keyword (TF-IDF) segments", "关键词（TF-IDF）分群"),
    "random": ("Random segments (same sizes)", "随机分群（同样大小）"),
    "single": ("No segments (best-sellers for all)", "不分群（所有人看畅销榜）"),
}
# metric key (without @K) -> (label, higher is better); {k} is the list length
COLUMNS: dict[str, tuple[Bilingual, bool]] = {
    "hr": (("Users with a hit in their top {k}", "前 {k} 个中有命中的用户"), True),
    "ndcg": (("Ranking quality (hits near the top)", "排序质量（命中越靠前越好）"), True),
    "precision": (("Hits per list slot", "每个推荐位的命中率"), True),
    "recall": (("Share of next items found", "找到的后续商品占比"), True),
    "mrr": (("How high the first hit ranks", "首个命中的排名"), True),
    "coverage": (("Catalogue recommended", "被推荐到的商品占比"), True),
    "novelty": (("Novelty (less obvious picks)", "新颖度（越高越不大众）"), True),
    "fit_seconds": (("Training time (s)", "训练时间（秒）"), False),
}
SEGMENT_COUNT: Bilingual = ("Segments", "分群数")
METHOD: Bilingual = ("Method", "方法")
TITLES: dict[str, Bilingual] = {
    "recommenders": ("Recommenders", "推荐方法"),
    "segmentations": (
        "How well each segmentation predicts what users do next (K={k})",
        "各分群方式对后续行为的预测力（K={k}）",
    ),
    "segmentations_fine": ("The same at a fine K={k}", "细粒度 K={k} 下的同一比较"),
}


def _pick(text: Bilingual, lang: str) -> str:
    return text[1] if lang == "zh" else text[0]


@dataclass(frozen=True, eq=False)
class ReadableTable:
    """One evaluation table for people: display labels, tooltips, best cell per column, verdict."""

    key: str  # recommenders | segmentations | segmentations_fine
    title: str
    frame: pd.DataFrame  # first column: method label; then one column per metric (raw numbers)
    tooltips: dict[str, str]  # column label -> metric name and definition
    best: dict[str, str]  # column label -> method label holding the best value
    verdict: str
    percent_columns: list[str] = field(default_factory=list)  # columns that are shares (0-1)


def _frame(
    rows: Mapping[str, Mapping[str, Any]], labels: Mapping[str, Bilingual], top_k: int, lang: str
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str], list[str]]:
    method = _pick(METHOD, lang)
    data: dict[str, list[Any]] = {method: [_pick(labels.get(n, (n, n)), lang) for n in rows]}
    tooltips: dict[str, str] = {}
    best: dict[str, str] = {}
    percents: list[str] = []
    if any("n_segments" in m for m in rows.values()):
        data[_pick(SEGMENT_COUNT, lang)] = [int(m.get("n_segments") or 0) for m in rows.values()]
    for key, (label, higher) in COLUMNS.items():
        metric = f"{key}@{top_k}" if key in ("hr", "ndcg", "precision", "recall") else key
        if not any(metric in m for m in rows.values()):
            continue
        column = _pick(label, lang).format(k=top_k)
        values = pd.Series([m.get(metric) for m in rows.values()], dtype="float64")
        data[column] = values.tolist()
        tooltips[column] = f"{metric}: {METRIC_DEFINITIONS.get(key, '')}".replace("K", str(top_k), 1)
        if values.notna().any():
            at = int(values.idxmax() if higher else values.idxmin())
            best[column] = data[method][at]
        if key in ("hr", "precision", "recall", "coverage"):
            percents.append(column)
    return pd.DataFrame(data), tooltips, best, percents


def _more(a: float, b: float) -> float:
    return a / b - 1.0 if b > 0 else float("inf") if a > 0 else 0.0


def recommender_verdict(rows: Mapping[str, Mapping[str, Any]], top_k: int, lang: str) -> str:
    """ "Recommending by segment finds 64% more next items than best-sellers; item-to-item ... still"."""
    hr = f"hr@{top_k}"
    scores = {n: float(m[hr]) for n, m in rows.items() if m.get(hr) is not None}
    aware = {n: v for n, v in scores.items() if n in SEGMENT_AWARE}
    if not aware or "popular" not in scores:
        return ""
    seg = max(aware, key=lambda n: aware[n])
    best = max(scores, key=lambda n: scores[n])
    gain = _more(aware[seg], scores["popular"])
    seg_label, best_label = (
        _pick(METHOD_LABELS[seg], lang),
        _pick(METHOD_LABELS.get(best, (best, best)), lang),
    )
    if lang == "zh":
        head = (
            f"按分群推荐（{seg_label}）比畅销榜{'多' if gain >= 0 else '少'}命中 {abs(gain):.0%} 的后续商品"
        )
        tail = "，是这份数据上最好的方法。" if best == seg else f"；在这份数据上，{best_label}表现更好。"
        return head + tail
    head = (
        f"Recommending by segment ({seg_label}) finds {abs(gain):.0%} {'more' if gain >= 0 else 'fewer'}"
        " next items than best-sellers"
    )
    tail = (
        ", the best method on this data."
        if best == seg
        else f"; {best_label} does better still on this data."
    )
    return head + tail


def segmentation_verdict(rows: Mapping[str, Mapping[str, Any]], top_k: int, k: Any, lang: str) -> str:
    """How our segments compare with the others at this K, on the hit rate."""
    hr = f"hr@{top_k}"
    scores = {n: float(m[hr]) for n, m in rows.items() if m.get(hr) is not None}
    if "ours" not in scores or "single" not in scores:
        return ""
    ratio = scores["ours"] / scores["single"] if scores["single"] > 0 else float("inf")
    better = [n for n in scores if n not in ("ours", "single") and scores[n] > scores["ours"]]
    names = [_pick(SEGMENTATION_LABELS.get(n, (n, n)), lang) for n in better]
    if lang == "zh":
        head = f"K={k} 时，我们的分群预测后续商品的命中率是不分群（畅销榜）的 {ratio:.2f} 倍"
        return head + ("，优于 RFM、关键词和随机分群。" if not better else f"；{'、'.join(names)}更好。")
    head = f"At K={k}, our segments find {ratio:.2f}x the next items that best-sellers for all do"
    return head + (
        ", more than RFM, keyword or random segments." if not better else f"; {', '.join(names)} did better."
    )


def readable_tables(evaluation: Mapping[str, Any], lang: str = "en") -> list[ReadableTable]:
    """The recommender table and the segmentation table(s) of `EvaluationResult.to_json()`."""
    split = evaluation.get("split", {}) or {}
    top_k = int(split.get("top_k", 10) or 10)
    out = []
    for key, labels in (
        ("recommenders", METHOD_LABELS),
        ("segmentations", SEGMENTATION_LABELS),
        ("segmentations_fine", SEGMENTATION_LABELS),
    ):
        rows = evaluation.get(key) or {}
        if not rows:
            continue
        k = split.get("fine_k" if key == "segmentations_fine" else "k", "")
        frame, tooltips, best, percents = _frame(rows, labels, top_k, lang)
        verdict = (
            recommender_verdict(rows, top_k, lang)
            if key == "recommenders"
            else segmentation_verdict(rows, top_k, k, lang)
        )
        title = _pick(TITLES[key], lang).format(k=k)
        out.append(ReadableTable(key, title, frame, tooltips, best, verdict, percents))
    return out

"""A small hand-made Analysis full of hostile strings, for the export, report, bundle and privacy tests.

Segments (ids in order): 0 formula-named (15 users), 1 html-named (12), 2 Chinese (11), 3 tiny (4 users,
below the default minimum size of 10). Every payload of RELIABILITY.md families 13-15 sits in user ids,
item texts, segment names, keywords, reviews, attribute values and the ingest report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis import Analysis
from core.config import AnalysisConfig
from core.data import Dataset, IngestReport
from core.embed.profiles import UserProfiles
from core.explain.insights import SegmentProfile
from core.segment.types import KAdvice, Segmentation

FORMULA_PAYLOADS = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "{=1+1}",
    "  =1+1",
    "\r=2",
]
HTML_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "[x](javascript:alert(3))",
    "![](http://host/px)",
    "</script><script>alert(4)</script>",
    "<a href='https://evil.example/'>click</a>",
    "<style>@import url(//evil.example/x.css)</style>",
    '" onmouseover="alert(5)',
    "<!-- <iframe src=//evil.example>",
]
FILENAME_PAYLOADS = ["../../etc/passwd.csv", "..\\..\\evil.csv", "/abs/path/x.csv", "CON.csv", "a\x00b.csv"]
ALL_PAYLOADS = FORMULA_PAYLOADS + HTML_PAYLOADS

TINY_NAME = "Tiny secret segment"
TINY_KEYWORD = "rarekeywordxyz"
TINY_USERS = [f"tiny-user-{i}" for i in range(4)]
PII_REVIEW = "Great! mail me at jane.doe@example.com or call +86 138-1234-5678 / 13912345678"
SIZES = (15, 12, 11, 4)
DIM = 8


def _user_ids() -> list[list[str]]:
    ids: list[list[str]] = [[], [], [], TINY_USERS]
    ids[0] = FORMULA_PAYLOADS + [f"f-{i}" for i in range(SIZES[0] - len(FORMULA_PAYLOADS))]
    ids[1] = HTML_PAYLOADS + [f"h-{i}" for i in range(SIZES[1] - len(HTML_PAYLOADS))]
    ids[2] = ["007", "NA", "用户甲", "用户乙"] + [f"c-{i}" for i in range(SIZES[2] - 4)]
    return ids


def make_analysis(*, seed: int = 0, config: AnalysisConfig | None = None) -> Analysis:
    """The hostile analysis. Users are sorted like UserProfiles; vectors sit close to their centroid."""
    rng = np.random.default_rng(seed)
    config = config or AnalysisConfig(model="fake-model", k=4, seed=7)
    per_segment = _user_ids()
    pairs = sorted((u, s) for s, users in enumerate(per_segment) for u in users)
    user_ids = np.array([u for u, _ in pairs], dtype=object)
    labels = np.array([s for _, s in pairs], dtype=np.int64)
    k = len(SIZES)

    # 1. Vectors: one axis per segment plus noise, so nearest centroid == label.
    base = np.eye(k, DIM, dtype=np.float32)
    vectors = base[labels] + 0.05 * rng.standard_normal((len(labels), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    centroids = np.stack([vectors[labels == s].mean(axis=0) for s in range(k)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    sims = vectors @ centroids.T
    confidence = np.clip(sims.max(axis=1), 0, 1).astype(np.float64)
    segmentation = Segmentation(
        method="kmeans",
        k=k,
        seed=config.seed,
        labels=labels,
        centroids=centroids.astype(np.float32),
        confidence=confidence,
        distance=1 - sims.max(axis=1).astype(np.float64),
        sizes=np.bincount(labels, minlength=k).astype(np.int64),
        stability=np.array([0.95, 0.9, 0.85, 0.3]),
    )

    # 2. Events and items, hostile text everywhere.
    item_texts = [*ALL_PAYLOADS, "运动鞋 跑步 轻便", "咖啡 拿铁", PII_REVIEW]
    items = pd.DataFrame({"item_id": [f"i{n}" for n in range(len(item_texts))], "text": item_texts})
    events = pd.DataFrame(
        {
            "user_id": np.repeat(user_ids, 2).astype(str),
            "item_id": [f"i{n % len(item_texts)}" for n in range(2 * len(user_ids))],
            "event_type": "purchase",
            "timestamp": pd.Timestamp("2024-01-05"),
            "rating": 4.0,
            "quantity": np.nan,
            "price": np.nan,
            "review": [ALL_PAYLOADS[n % len(ALL_PAYLOADS)] for n in range(2 * len(user_ids))],
            "Country": [ALL_PAYLOADS[n % len(ALL_PAYLOADS)] for n in range(2 * len(user_ids))],
        }
    )
    report = IngestReport(
        source_name=FILENAME_PAYLOADS[0] + HTML_PAYLOADS[0],
        file_format="csv",
        encoding="utf-8",
        delimiter=",",
        rows_in=len(events) + 3,
        rows_kept=len(events),
        rows_rejected={"missing user_id": 2, HTML_PAYLOADS[1]: 1},
        rejected_examples={"missing user_id": [3, 9]},
        mapping={"user_id": FORMULA_PAYLOADS[0], "text": HTML_PAYLOADS[3]},
        attributes=["Country"],
        n_users=len(user_ids),
        n_items=len(items),
        n_events=len(events),
        warnings=[HTML_PAYLOADS[2], FORMULA_PAYLOADS[1]],
    )
    dataset = Dataset(events=events, items=items, report=report)
    profiles = UserProfiles(
        user_ids=user_ids,
        vectors=vectors,
        event_counts=np.full(len(user_ids), 2, dtype=np.int64),
        top_items=[["i0", "i1"] for _ in user_ids],
    )

    # 3. Segment profiles.
    names = [FORMULA_PAYLOADS[0], HTML_PAYLOADS[0], "运动鞋爱好者", TINY_NAME]
    segments = []
    for s in range(k):
        members = [u for u, lab in zip(user_ids, labels, strict=True) if lab == s]
        keywords = (
            [(p, 1.0 - 0.01 * n) for n, p in enumerate(ALL_PAYLOADS)] if s < 3 else [(TINY_KEYWORD, 0.9)]
        )
        if s == 2:
            keywords = [("跑步", 0.9), ("咖啡", 0.8), *keywords]
        segments.append(
            SegmentProfile(
                segment_id=s,
                name=names[s],
                size=len(members),
                share=len(members) / len(user_ids),
                keywords=keywords,
                sentiment={
                    "positive": 0.6,
                    "neutral": 0.3,
                    "negative": 0.1,
                    "mean_score": 0.4,
                    "n_texts": 10.0,
                },
                mean_rating=4.2,
                top_items=[
                    {"item_id": f"i{n}", "text": t, "users": 5, "share": 0.3, "lift": 1.5}
                    for n, t in enumerate(item_texts)
                ],
                composition={"Country": [(p, 0.1) for p in ALL_PAYLOADS[:5]]},
                revenue=None,
                representative_users=members[:3],
                stability=float(segmentation.stability[s]),
                extra={"example_reviews": [PII_REVIEW, *HTML_PAYLOADS[:3]]},
            )
        )
    advice = KAdvice(
        table=pd.DataFrame(
            {
                "k": [2, 3, 4],
                "inertia": [9.0, 6.0, 4.0],
                "silhouette": [0.2, 0.3, 0.35],
                "min_share": [0.2, 0.1, 0.09],
            }
        ),
        recommended_k=4,
        reason="K=4 separates users best while every segment keeps at least 2% of users.",
    )
    coords = rng.uniform(-1, 1, (len(user_ids), 2)).astype(np.float32)
    coords[0] = (-0.5, 0.25)
    return Analysis(
        config=config,
        dataset=dataset,
        item_ids=items["item_id"].to_numpy(dtype=object),
        item_vectors=np.eye(len(items), DIM, dtype=np.float32),
        profiles=profiles,
        segmentation=segmentation,
        k_advice=advice,
        coords=coords,
        coords3d=None,
        projection_info={"method": "pca", "sampled": False, "n_fit": len(user_ids)},
        segments=segments,
        quality={"silhouette": 0.35, "davies_bouldin": 0.8},
        timings={"embed": 0.1},
        embedding_info={"model_id": "fake-model", "backend": "torch", "device": "cpu"},
        run_id="20240105-120000-abc123",
        warnings=[HTML_PAYLOADS[4]],
    )


def recommendations_for(analysis: Analysis) -> dict[str, list[str]]:
    """Three hostile recommended items per user (raw ids)."""
    return {
        str(u): [ALL_PAYLOADS[(n + j) % len(ALL_PAYLOADS)] for j in range(3)]
        for n, u in enumerate(analysis.profiles.user_ids)
    }


def make_large_analysis(n_users: int, *, k: int = 8, dim: int = 16, seed: int = 0) -> Analysis:
    """A plain synthetic analysis of n_users (no hostile strings) for size checks."""
    from dataclasses import replace

    small = make_analysis(seed=seed)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n_users).astype(np.int64)
    vectors = rng.standard_normal((n_users, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    centroids = np.stack([vectors[labels == s].mean(axis=0) for s in range(k)]).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    segmentation = Segmentation(
        method="kmeans", k=k, seed=seed, labels=labels, centroids=centroids,
        confidence=rng.uniform(0, 1, n_users), distance=rng.uniform(0, 1, n_users),
        sizes=np.bincount(labels, minlength=k), stability=np.full(k, 0.9),
    )  # fmt: skip
    user_ids = np.array([f"user-{i:06d}" for i in range(n_users)], dtype=object)
    profiles = UserProfiles(user_ids, vectors, np.ones(n_users, dtype=np.int64), [[] for _ in range(n_users)])
    template = small.segments[2]
    segments = [
        replace(template, segment_id=s, name=f"Segment {s}", size=int((labels == s).sum()), share=float((labels == s).mean()),
                keywords=[(f"kw{s}-{j}", 0.5) for j in range(10)], representative_users=list(user_ids[labels == s][:3]))
        for s in range(k)
    ]  # fmt: skip
    return replace(
        small,
        profiles=profiles,
        segmentation=segmentation,
        segments=segments,
        coords=rng.standard_normal((n_users, 2)).astype(np.float32),
    )

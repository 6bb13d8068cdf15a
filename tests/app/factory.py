"""A small, fully built `Analysis` from synthetic arrays and the real dataclasses (no model, no pipeline).

Item texts include Markdown/HTML payloads so page tests can check that user text stays literal.
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

TOPICS = ("tea", "running", "camera")
HOSTILE_TEXT = "**bold** ![px](http://example.invalid/px.png) <script>alert(1)</script> :red[x]"


def make_dataset(*, n_users: int = 60, n_items: int = 30, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    items = pd.DataFrame(
        {
            "item_id": [f"i{j:03d}" for j in range(n_items)],
            "text": [f"{TOPICS[j % 3]} product {j}" if j != 4 else HOSTILE_TEXT for j in range(n_items)],
        }
    )
    rows = []
    for u in range(n_users):
        topic = u % 3
        for _ in range(5):
            j = int(rng.choice([i for i in range(n_items) if i % 3 == topic]))
            rows.append(
                {
                    "user_id": f"{u:03d}",
                    "item_id": f"i{j:03d}",
                    "event_type": "purchase" if rng.random() < 0.3 else "view",
                    "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 90))),
                    "rating": float(rng.integers(1, 6)),
                    "quantity": 1.0,
                    "price": 9.5,
                    "review": "great" if rng.random() < 0.5 else "",
                    "country": ["UK", "FR", "CN"][u % 3],
                }
            )
    events = pd.DataFrame(rows)
    report = IngestReport(
        source_name="events.csv",
        file_format="csv",
        encoding="utf-8",
        delimiter=",",
        rows_in=len(events) + 3,
        rows_kept=len(events),
        rows_rejected={"missing user_id": 2, "empty text": 1},
        mapping={"user_id": "user", "item_id": "item"},
        attributes=["country"],
        n_users=n_users,
        n_items=n_items,
        n_events=len(events),
    )
    rejected = pd.DataFrame(
        {"user": ["", '=HYPERLINK("http://x")'], "reason": ["missing user_id", "empty text"]}
    )
    return Dataset(events=events, items=items, report=report, rejected=rejected)


def make_analysis(
    *, n_users: int = 60, k: int = 3, seed: int = 0, run_id: str = "20240101-000000-abc123"
) -> Analysis:
    dataset = make_dataset(n_users=n_users, seed=seed)
    rng = np.random.default_rng(seed)
    dim = 8
    item_ids = dataset.items["item_id"].to_numpy(dtype=object)
    item_vectors = rng.normal(size=(len(item_ids), dim)).astype(np.float32)
    item_vectors /= np.linalg.norm(item_vectors, axis=1, keepdims=True)
    user_ids = np.array([f"{u:03d}" for u in range(n_users)], dtype=object)
    labels = np.array([u % k for u in range(n_users)], dtype=np.int64)
    centroids = rng.normal(size=(k, dim)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    vectors = (centroids[labels] + 0.1 * rng.normal(size=(n_users, dim))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    top_items = [
        dataset.events.loc[dataset.events["user_id"] == uid, "item_id"].drop_duplicates().head(5).tolist()
        for uid in user_ids
    ]
    profiles = UserProfiles(
        user_ids=user_ids,
        vectors=vectors,
        event_counts=np.full(n_users, 5, dtype=np.int64),
        top_items=top_items,
    )
    segmentation = Segmentation(
        method="kmeans",
        k=k,
        seed=seed,
        labels=labels,
        centroids=centroids,
        confidence=rng.uniform(0.5, 1.0, n_users),
        distance=rng.uniform(0.0, 0.5, n_users),
        sizes=np.bincount(labels, minlength=k).astype(np.int64),
        stability=np.full(k, 0.9),
    )
    table = pd.DataFrame(
        {
            "k": list(range(2, 7)),
            "inertia": [50.0, 30.0, 25.0, 22.0, 20.0],
            "silhouette": [0.3, 0.5, 0.4, 0.35, 0.3],
            "davies_bouldin": [1.2, 0.8, 1.0, 1.1, 1.3],
            "calinski_harabasz": [40.0, 80.0, 60.0, 55.0, 50.0],
            "min_share": [0.5, 0.33, 0.25, 0.2, 0.16],
            "stability": [0.8, 0.95, 0.7, 0.6, 0.5],
        }
    )
    advice = KAdvice(table=table, recommended_k=k, reason="K=3 has the best silhouette and stability.",
                     reason_zh="K=3 的轮廓系数和稳定性最好。")  # fmt: skip
    segments = []
    for s in range(k):
        members = user_ids[labels == s]
        segments.append(
            SegmentProfile(
                segment_id=s,
                name=f"{TOPICS[s % 3].title()} fans",
                size=len(members),
                share=len(members) / n_users,
                keywords=[(TOPICS[s % 3], 0.9), ("product", 0.5), (HOSTILE_TEXT, 0.2)],
                sentiment={
                    "positive": 0.6,
                    "neutral": 0.3,
                    "negative": 0.1,
                    "mean_score": 0.4,
                    "n_texts": 12.0,
                },
                mean_rating=3.5,
                top_items=[
                    {"item_id": "i004", "text": HOSTILE_TEXT, "users": 5, "share": 0.25, "lift": 2.5},
                    {
                        "item_id": f"i{s:03d}",
                        "text": f"{TOPICS[s % 3]} product {s}",
                        "users": 4,
                        "share": 0.2,
                        "lift": 1.8,
                    },
                ],
                composition={"country": [(["UK", "FR", "CN"][s % 3], 1.0)]},
                revenue={"revenue": 100.0, "orders": 10.0, "revenue_per_user": 5.0, "avg_order_value": 10.0},
                representative_users=list(members[:3]),
                stability=0.9,
            )
        )
    coords = rng.normal(size=(n_users, 2)).astype(np.float32) + labels[:, None] * 3
    return Analysis(
        config=AnalysisConfig(k=None, seed=seed),
        dataset=dataset,
        item_ids=item_ids,
        item_vectors=item_vectors,
        profiles=profiles,
        segmentation=segmentation,
        k_advice=advice,
        coords=coords,
        coords3d=np.c_[coords, rng.normal(size=n_users)].astype(np.float32),
        projection_info={"method": "umap", "sampled": False, "n_fit": n_users},
        segments=segments,
        quality={"silhouette": 0.5, "davies_bouldin": 0.8, "calinski_harabasz": 80.0},
        timings={"embed": 1.0, "segment": 0.2},
        embedding_info={"model_id": "test-model", "backend": "none", "device": "cpu"},
        run_id=run_id,
    )

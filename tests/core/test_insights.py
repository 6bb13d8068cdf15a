from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import Dataset, IngestReport
from core.embed.profiles import UserProfiles
from core.errors import AnalysisError
from core.explain.insights import compare_segments, describe_segments
from core.segment.types import Segmentation

ITEMS = {
    "B1": "waterproof hiking boots",
    "T1": "camping tent for hiking",
    "C1": "espresso coffee beans",
    "F1": "milk frother for espresso",
    "G1": "gift wrapping paper",  # everyone buys it: popular, but no lift
    "Z1": "rare golden gnome",  # one hiker only: below the support floor
}


def _dataset(with_reviews: bool = True) -> tuple[Dataset, UserProfiles, Segmentation]:
    """Users h0-h5 hike (UK, 2 invoices each), c0-c5 drink coffee (FR, 1 invoice each)."""
    rows = []
    for i in range(6):
        h, c = f"h{i}", f"c{i}"
        rows += [
            (h, "B1", 5.0, 2.0, 50.0, "great boots" if with_reviews else "", "United Kingdom", f"I{h}a"),
            (h, "T1", 4.0, 1.0, 100.0, "", "United Kingdom", f"I{h}b"),
            (h, "G1", np.nan, 1.0, 2.0, "", "United Kingdom", f"I{h}b"),
            (c, "C1", 1.0, 3.0, 10.0, "terrible bitter beans" if with_reviews else "", "France", f"I{c}"),
            (c, "F1", 2.0, 1.0, 30.0, "", "France", f"I{c}"),
            (c, "G1", np.nan, 1.0, 2.0, "", "France", f"I{c}"),
        ]
    rows.append(("h0", "Z1", np.nan, 1.0, 500.0, "", "United Kingdom", "Ih0c"))
    events = pd.DataFrame(
        rows, columns=["user_id", "item_id", "rating", "quantity", "price", "review", "Country", "InvoiceNo"]
    )
    events["event_type"] = "purchase"
    events["timestamp"] = pd.NaT
    items = pd.DataFrame({"item_id": list(ITEMS), "text": list(ITEMS.values())})
    user_ids = np.array(sorted(events["user_id"].unique()), dtype=object)  # c0..c5, h0..h5
    labels = np.array([1 if u.startswith("c") else 0 for u in user_ids], dtype=np.int64)
    vectors = np.where(labels[:, None] == 0, [1.0, 0.0], [0.0, 1.0]).astype(np.float32)
    distance = np.linspace(0.5, 0.0, len(user_ids))  # later users are closer to their centroid
    profiles = UserProfiles(user_ids, vectors, np.full(len(user_ids), 3), [[] for _ in user_ids])
    segmentation = Segmentation(
        method="kmeans", k=2, seed=0, labels=labels, centroids=np.eye(2, dtype=np.float32),
        confidence=np.ones(len(user_ids)), distance=distance, sizes=np.bincount(labels),
        stability=np.array([0.9, 0.8]),
    )  # fmt: skip
    return Dataset(events, items, IngestReport()), profiles, segmentation


def _describe(with_reviews: bool = True):  # type: ignore[no-untyped-def]
    dataset, profiles, segmentation = _dataset(with_reviews)
    item_ids = np.array(list(ITEMS), dtype=object)
    item_vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0.7, 0.7], [1, 0]], dtype=np.float32)
    result = describe_segments(
        dataset, profiles, segmentation, item_ids=item_ids, item_vectors=item_vectors, llm=False
    )
    return result, dataset, profiles, segmentation


def test_each_segment_gets_size_share_keywords_and_a_name() -> None:
    hikers, coffee = _describe()[0]
    assert (hikers.size, coffee.size) == (6, 6) and hikers.share == 0.5
    assert "hiking" in [t for t, _ in hikers.keywords[:3]]
    assert "espresso" in [t for t, _ in coffee.keywords[:3]]
    assert not {"gnome", "golden", "rare"} & {t for t, _ in hikers.keywords}  # one user: private
    assert hikers.name != coffee.name and "hiking" in hikers.name.lower()


def test_top_items_rank_by_lift_and_skip_unsupported_items() -> None:
    hikers, coffee = _describe()[0]
    assert {it["item_id"] for it in hikers.top_items} == {"B1", "T1"}
    assert {it["item_id"] for it in coffee.top_items} == {"C1", "F1"}
    top = hikers.top_items[0]
    assert top["users"] == 6 and top["share"] == 1.0 and top["lift"] == 2.0
    assert top["text"] in (ITEMS["B1"], ITEMS["T1"])


def test_sentiment_prefers_ratings_and_reports_mean_rating() -> None:
    hikers, coffee = _describe()[0]
    assert hikers.sentiment["positive"] == 1.0 and coffee.sentiment["negative"] == 1.0
    assert hikers.sentiment["n_texts"] == 6
    assert hikers.mean_rating == 4.5 and coffee.mean_rating == 1.5
    no_text_hikers = _describe(with_reviews=False)[0][0]
    assert no_text_hikers.extra["sentiment_source"] == "ratings"
    assert no_text_hikers.sentiment["positive"] == pytest.approx(1.0)
    assert no_text_hikers.sentiment["n_texts"] == 12


def test_composition_revenue_representatives_and_stability() -> None:
    hikers, coffee = _describe()[0]
    assert hikers.composition["Country"] == [("United Kingdom", 1.0)]
    assert coffee.composition["Country"] == [("France", 1.0)]
    assert "InvoiceNo" not in hikers.composition
    # hikers: 6 x (2*50 + 100 + 2) + 500 = 1712 over 13 invoices
    assert hikers.revenue == {
        "revenue": 1712.0,
        "orders": 13.0,
        "revenue_per_user": 285.33,
        "avg_order_value": 131.69,
    }
    assert coffee.revenue is not None and coffee.revenue["orders"] == 6.0
    assert hikers.representative_users[0] == "h5"  # smallest distance
    assert (hikers.stability, coffee.stability) == (0.9, 0.8)


def test_progress_runs_to_completion() -> None:
    dataset, profiles, segmentation = _dataset()
    seen: list[float] = []
    describe_segments(
        dataset, profiles, segmentation, item_ids=np.array(list(ITEMS)), item_vectors=np.zeros((6, 2)),
        llm=False, progress=lambda fraction, message: seen.append(fraction),
    )  # fmt: skip
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_describe_does_not_mutate_its_inputs() -> None:
    dataset, profiles, segmentation = _dataset()
    before = dataset.events.copy()
    describe_segments(
        dataset,
        profiles,
        segmentation,
        item_ids=np.array(list(ITEMS)),
        item_vectors=np.zeros((6, 2)),
        llm=False,
    )
    pd.testing.assert_frame_equal(dataset.events, before)


def test_compare_segments_terms_deltas_and_overlap() -> None:
    result, dataset, profiles, segmentation = _describe()
    cmp = compare_segments(dataset, profiles, segmentation, 0, 1, segment_profiles=result)
    assert "hiking" in [t for t, _ in cmp.terms_a[:3]]
    assert "espresso" in [t for t, _ in cmp.terms_b[:3]]
    assert cmp.rating_delta == 3.0 and cmp.sentiment_delta > 1.5
    assert cmp.item_jaccard == 0.0 and cmp.shared_items == []
    with pytest.raises(AnalysisError):
        compare_segments(dataset, profiles, segmentation, 0, 0, segment_profiles=result)


def test_chinese_item_texts_give_word_keywords() -> None:
    dataset, profiles, segmentation = _dataset()
    zh = {
        "B1": "防水登山鞋，徒步必备",
        "T1": "户外露营帐篷，登山徒步",
        "C1": "意式咖啡豆，香气浓郁",
        "F1": "咖啡奶泡机",
    }
    items = dataset.items.assign(text=dataset.items["item_id"].map(zh).fillna(dataset.items["text"]))
    zh_dataset = Dataset(dataset.events.assign(review=""), items, dataset.report)
    hikers, coffee = describe_segments(
        zh_dataset,
        profiles,
        segmentation,
        item_ids=np.array(list(ITEMS)),
        item_vectors=np.zeros((6, 2)),
        llm=False,
    )
    terms = [t for seg in (hikers, coffee) for t, _ in seg.keywords]
    assert {"登山", "徒步"} <= {t for t, _ in hikers.keywords} and "咖啡" in {t for t, _ in coffee.keywords}
    assert all(len(t) <= 8 and "，" not in t for t in terms)


def test_tfidf_embedder_is_not_used_for_term_vectors() -> None:
    class Tfidf:
        model_id = "tfidf-svd"

        def embed(self, texts: list[str]) -> np.ndarray:
            raise AssertionError("term vectors from a refitted TF-IDF would not share the centroids' space")

    dataset, profiles, segmentation = _dataset(with_reviews=False)
    for embed in (Tfidf(), Tfidf().embed):
        result = describe_segments(
            dataset, profiles, segmentation, item_ids=np.array(list(ITEMS)), item_vectors=np.zeros((6, 2)),
            embed=embed, llm=False,
        )  # fmt: skip
        assert result[0].keywords

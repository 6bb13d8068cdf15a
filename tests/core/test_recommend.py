from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.recommend.logistic import LogisticRecommender
from core.recommend.models import SegmentPopularRecommender
from core.recommend.registry import RECOMMENDERS
from tests.core.recsys_toy import ITEMS, toy_events, toy_vectors

ALL = sorted(RECOMMENDERS)


def _fit(name: str, events: pd.DataFrame | None = None):
    events = toy_events() if events is None else events
    labels = pd.Series(
        [int(u[1:]) % 2 for u in sorted(set(events["user_id"]))], index=sorted(set(events["user_id"]))
    )
    return RECOMMENDERS[name]().fit(
        events,
        item_ids=ITEMS,
        item_vectors=toy_vectors(),
        segment_labels=labels,
        segment_names=["Group A", "Group B"],
    )


def test_registry_names_match_the_contract():
    assert set(RECOMMENDERS) == {"popular", "item_knn", "segment_popular", "content", "logistic", "hybrid"}


@pytest.mark.parametrize("name", ALL)
def test_train_items_never_come_back(name):
    events = toy_events(per_user=2)
    model = _fit(name, events)
    users = sorted(set(events["user_id"]))
    recs = model.recommend(users, n=6)
    seen = events.groupby("user_id")["item_id"].agg(set)
    for user, row in zip(recs.user_ids, recs.item_ids, strict=True):
        assert not (set(row) - {""}) & seen[user]
        assert len(set(row) - {""}) == 6  # 8 items - 2 seen


@pytest.mark.parametrize("name", ALL)
def test_recommend_is_deterministic(name):
    a = _fit(name).recommend(["u0", "u1"], n=3)
    b = _fit(name).recommend(["u0", "u1"], n=3)
    assert (a.item_ids == b.item_ids).all()
    np.testing.assert_allclose(a.scores, b.scores)


@pytest.mark.parametrize("name", ["segment_popular", "content", "item_knn", "hybrid", "logistic"])
def test_personal_recommenders_stay_in_the_users_taste_group(name):
    recs = _fit(name, toy_events(per_user=2)).recommend(["u0", "u1"], n=2)
    assert set(recs.item_ids[0]) <= set(ITEMS[:4])
    assert set(recs.item_ids[1]) <= set(ITEMS[4:])


def test_cold_users_get_popularity_and_are_counted():
    recs = _fit("segment_popular").recommend(["u0", "stranger", "nobody"], n=3)
    assert recs.n_cold == 2
    assert recs.cold.tolist() == [False, True, True]
    assert recs.reasons[1] == ["popular overall"] * 3


def test_reasons_are_human_readable():
    model = _fit("segment_popular", toy_events(per_user=2))
    assert model.recommend(["u0"], n=1).reasons[0][0] == "popular with Group A"
    texts = [f"ITEM NUMBER {j}" for j in range(8)]
    events = toy_events(per_user=2)
    content = RECOMMENDERS["content"]().fit(
        events, item_ids=ITEMS, item_vectors=toy_vectors(), item_texts=texts
    )
    assert content.recommend(["u0"], n=1).reasons[0][0].startswith("similar to ITEM NUMBER ")


def test_to_frame_is_long_and_ranked():
    frame = _fit("popular").recommend(["u0", "u1"], n=3).to_frame()
    assert list(frame.columns) == ["user_id", "rank", "item_id", "score", "reason", "cold"]
    assert frame["rank"].tolist() == [1, 2, 3, 1, 2, 3]


def test_logistic_improves_its_training_loss():
    model = LogisticRecommender(epochs=30, random_state=1)
    labels_events = toy_events()
    model.fit(labels_events, item_ids=ITEMS, item_vectors=toy_vectors())
    assert model.loss_history_[-1] < 0.8 * model.loss_history_[0]


def test_segment_lift_prefers_distinctive_items():
    # segment 0 buys i0 (also bought by everyone) and i1 (only them): lift must favour i1
    rows = [(f"a{u}", it) for u in range(4) for it in ("i0", "i1")] + [(f"b{u}", "i0") for u in range(20)]
    events = pd.DataFrame(rows, columns=["user_id", "item_id"]).assign(event_type="purchase")
    labels = pd.Series([0] * 4 + [1] * 20, index=[f"a{u}" for u in range(4)] + [f"b{u}" for u in range(20)])
    plain = SegmentPopularRecommender(lift=0.0, half_life_days=None).fit(
        events, item_ids=ITEMS, segment_labels=labels
    )
    lifted = SegmentPopularRecommender(lift=1.0, half_life_days=None).fit(
        events, item_ids=ITEMS, segment_labels=labels
    )
    i0, i1 = 0, 1
    assert plain.segment_scores_[0, i0] > plain.segment_scores_[0, i1]
    assert lifted.segment_scores_[0, i1] > lifted.segment_scores_[0, i0]


def test_hybrid_tunes_weights_that_sum_to_one():
    model = _fit("hybrid", toy_events(n_users=16, per_user=4))
    assert abs(sum(model.weights_.values()) - 1.0) < 1e-9
    assert 0.0 <= model.validation_["ndcg@10"] <= 1.0


def test_recommend_before_fit_is_a_domain_error():
    with pytest.raises(ConfigError):
        RECOMMENDERS["popular"]().recommend(["u0"])


def test_content_without_vectors_is_a_domain_error():
    with pytest.raises(ConfigError):
        RECOMMENDERS["content"]().fit(toy_events(), item_ids=ITEMS)


def test_interactions_weigh_each_event_as_documented() -> None:
    """build_interactions (h14-export: codes first): per (user, item) the sum of type weight x
    rating / max rating x decay; unknown items dropped; a missing or unknown type weighs 1;
    users sorted as strings (Chinese and digits too)."""
    from core.recommend.base import build_interactions

    t = pd.Timestamp("2024-03-01")
    events = pd.DataFrame(
        {
            "user_id": ["b", "a", "用户", "a", "b", "10", "a"],
            "item_id": ["x", "x", "y", "nope", "y", "x", "x"],
            "event_type": ["purchase", "view", None, "view", "weird", "cart", "view"],
            "rating": [np.nan, 2.0, np.nan, np.nan, 4.0, np.nan, np.nan],
            "timestamp": [t, t - pd.Timedelta(days=10), t, t, t, t, t],
        }
    )
    got = build_interactions(events, ["x", "y"], half_life_days=10.0)
    assert got.user_ids.tolist() == sorted(["a", "b", "用户", "10"])
    weights = pd.DataFrame(got.weights.toarray(), index=got.user_ids, columns=["x", "y"])
    assert weights.loc["a", "x"] == pytest.approx(1.0 * 0.5 * 0.5 + 1.0)  # rating 2/4, 10 days old; + view
    assert weights.loc["b", "x"] == pytest.approx(3.0) and weights.loc["b", "y"] == pytest.approx(1.0)
    assert weights.loc["用户", "y"] == pytest.approx(1.0) and weights.loc["10", "x"] == pytest.approx(2.0)
    assert got.seen.toarray().sum() == 5 and set(got.seen.data) == {1.0}
    unrated = build_interactions(events, ["x", "y"], use_ratings=False)
    assert unrated.weights.toarray()[got.user_ids.tolist().index("a"), 0] == pytest.approx(2.0)

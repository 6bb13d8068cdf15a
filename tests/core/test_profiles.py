"""build_profiles on tiny inputs whose answers were worked out by hand."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.embed.profiles import build_profiles, rating_factor
from core.errors import AnalysisError, ConfigError

# Two orthogonal items and one between them; vectors are unit length.
ITEMS = ["a", "b", "c"]
VECS = np.array([[1, 0], [0, 1], [np.sqrt(0.5), np.sqrt(0.5)]], dtype=np.float32)
T0 = pd.Timestamp("2024-06-01")


def events(rows):
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "timestamp", "rating"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame["rating"] = frame["rating"].astype(float)
    return frame


def unit(*v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def profile_of(profiles, user):
    return profiles.vectors[list(profiles.user_ids).index(user)]


def test_event_type_weights():
    # u1: view a (weight 1) + purchase b (weight 3) -> (1, 3) / sqrt(10)
    ev = events([("u1", "a", "view", None, None), ("u1", "b", "purchase", None, None)])
    p = build_profiles(ev, ITEMS, VECS)
    np.testing.assert_allclose(profile_of(p, "u1"), unit(1, 3), atol=1e-6)
    assert p.vectors.dtype == np.float32
    assert p.event_counts.tolist() == [2]
    assert p.top_items == [["b", "a"]]  # contributions 3 * 3/sqrt(10) > 1 * 1/sqrt(10)


def test_custom_weights_and_zero_weight_drops_a_type():
    ev = events([("u1", "a", "view", None, None), ("u1", "b", "purchase", None, None)])
    p = build_profiles(ev, ITEMS, VECS, weights={"view": 0.0})
    np.testing.assert_allclose(profile_of(p, "u1"), [0, 1], atol=1e-6)
    assert p.event_counts.tolist() == [1]
    p2 = build_profiles(ev, ITEMS, VECS, weights={"view": 6.0})  # (6, 3) -> (2, 1)/sqrt(5)
    np.testing.assert_allclose(profile_of(p2, "u1"), unit(2, 1), atol=1e-6)


def test_half_life_halves_the_weight_of_an_event_one_half_life_old():
    # view a now (1) and purchase b 90 days earlier (3 * 0.5 = 1.5) -> (1, 1.5)
    ev = events([("u1", "a", "view", T0, None), ("u1", "b", "purchase", T0 - pd.Timedelta(days=90), None)])
    p = build_profiles(ev, ITEMS, VECS, half_life_days=90)
    np.testing.assert_allclose(profile_of(p, "u1"), unit(1, 1.5), atol=1e-6)
    no_decay = build_profiles(ev, ITEMS, VECS, half_life_days=None)
    np.testing.assert_allclose(profile_of(no_decay, "u1"), unit(1, 3), atol=1e-6)
    # reference time 180 days after the view: (1 * 0.25, 3 * 0.125) -> (2, 3)
    later = build_profiles(ev, ITEMS, VECS, half_life_days=90, reference_time=T0 + pd.Timedelta(days=180))
    np.testing.assert_allclose(profile_of(later, "u1"), unit(2, 3), atol=1e-6)


def test_users_whose_events_are_all_old_keep_their_profile():
    # u_old rated 20 years before the newest event: 0.5 ** 81 per event at a 90-day half-life, far
    # below the zero-vector threshold in absolute terms; the profile must still be (1, 3) normalised
    old = T0 - pd.Timedelta(days=20 * 365)
    ev = events(
        [
            ("u_new", "a", "view", T0, None),
            ("u_old", "a", "view", old, None),
            ("u_old", "b", "purchase", old, None),
            ("u_older", "b", "view", old - pd.Timedelta(days=200 * 365), None),  # 0.5 ** 811: 0.0 in float64
        ]
    )
    p = build_profiles(ev, ITEMS, VECS, half_life_days=90)
    assert sorted(p.user_ids) == ["u_new", "u_old", "u_older"] and not p.skipped_users
    np.testing.assert_allclose(profile_of(p, "u_old"), unit(1, 3), atol=1e-6)
    np.testing.assert_allclose(profile_of(p, "u_older"), [0, 1], atol=1e-6)


def test_missing_timestamps_are_not_decayed():
    ev = events([("u1", "a", "view", T0, None), ("u1", "b", "view", None, None)])
    p = build_profiles(ev, ITEMS, VECS, half_life_days=1, reference_time=T0 + pd.Timedelta(days=1))
    np.testing.assert_allclose(profile_of(p, "u1"), unit(0.5, 1), atol=1e-6)


def test_low_rating_negates_and_high_rating_pulls():
    # rating events weigh 2; 5 stars -> +1, 1 star -> -1: (2, -2) -> (1, -1)/sqrt(2)
    ev = events([("u2", "a", "rating", None, 5), ("u2", "b", "rating", None, 1)])
    p = build_profiles(ev, ITEMS, VECS)
    np.testing.assert_allclose(profile_of(p, "u2"), unit(1, -1), atol=1e-6)
    assert p.top_items == [["a"]]  # a disliked item is never a reason for an interest
    ignored = build_profiles(ev, ITEMS, VECS, use_ratings=False)
    np.testing.assert_allclose(profile_of(ignored, "u2"), unit(1, 1), atol=1e-6)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([5, 4, 3, 2, 1], [1, 0.5, 0, -0.5, -1]),
        ([0.5, 3.5, np.nan], [-1, 0.25, 1]),  # MovieLens half stars; NaN = no rating
        ([10, 1, 5.5], [1, -1, 0]),  # a 1-10 scale
    ],
)
def test_rating_factor(ratings, expected):
    np.testing.assert_allclose(rating_factor(np.array(ratings, dtype=float)), expected)


def test_user_with_only_low_ratings_falls_back_to_engagement():
    # u3 rated a 2 and c 1: no positive signal -> weights 2 and 2 unsigned -> a + c
    ev = events([("u3", "a", "rating", None, 2), ("u3", "c", "rating", None, 1)])
    p = build_profiles(ev, ITEMS, VECS)
    np.testing.assert_allclose(profile_of(p, "u3"), unit(1 + np.sqrt(0.5), np.sqrt(0.5)), atol=1e-6)
    assert p.rating_fallback_users == ["u3"]


def test_unusable_users_are_reported_not_dropped():
    ev = events(
        [
            ("ok", "a", "view", None, None),
            ("unknown", "zzz", "view", None, None),
            ("cancel", "a", "rating", None, 5),
            ("cancel", "a", "rating", None, 1),
            ("zero", "b", "view", None, None),
        ]
    )
    p = build_profiles(ev, ITEMS, VECS, weights={"view": 0.0})
    assert list(p.user_ids) == []  # "ok" and "zero" only have views, weighted 0
    p = build_profiles(ev, ITEMS, VECS)
    assert list(p.user_ids) == ["ok", "zero"]
    assert set(p.skipped_users) == {"unknown", "cancel"}
    assert "known item" in p.skipped_users["unknown"]
    assert "cancel" in p.skipped_users["cancel"]


def test_user_ids_are_exact_sorted_strings_and_inputs_untouched():
    ev = events(
        [("007", "a", "view", None, None), ("NA", "b", "view", None, None), ("10", "c", "view", None, None)]
    )
    before = ev.copy()
    p = build_profiles(ev, ITEMS, VECS)
    assert list(p.user_ids) == ["007", "10", "NA"]
    assert len(p) == 3
    pd.testing.assert_frame_equal(ev, before)


def test_bad_arguments_raise_domain_errors():
    ev = events([("u1", "a", "view", None, None)])
    with pytest.raises(AnalysisError):
        build_profiles(ev, ITEMS, VECS[:2])
    with pytest.raises(ConfigError):
        build_profiles(ev, ITEMS, VECS, weights={"view": -1.0})
    with pytest.raises(ConfigError):
        build_profiles(ev, ITEMS, VECS, half_life_days=0)
    with pytest.raises(AnalysisError):
        build_profiles(ev.drop(columns="item_id"), ITEMS, VECS)


def test_top_items_keep_at_most_five_best():
    items = [f"i{k}" for k in range(8)]
    vecs = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (8, 1))
    # purchases weigh 3, views 1: the 3 purchased items rank first, then views by item order
    rows = [("u", f"i{k}", "purchase" if k in (5, 6, 7) else "view", None, None) for k in range(8)]
    p = build_profiles(events(rows), items, vecs)
    assert p.top_items[0][:3] == ["i5", "i6", "i7"]
    assert len(p.top_items[0]) == 5


@pytest.mark.slow
def test_scales_to_online_retail_size():
    rng = np.random.default_rng(0)
    n_events, n_users, n_items, dim = 400_000, 4_372, 3_900, 384
    vecs = rng.standard_normal((n_items, dim)).astype(np.float32)
    item_ids = np.array([f"item{k}" for k in range(n_items)], dtype=object)
    ev = pd.DataFrame(
        {
            "user_id": np.array([f"{k:05d}" for k in range(n_users)], dtype=object)[
                rng.integers(0, n_users, n_events)
            ],
            "item_id": item_ids[rng.integers(0, n_items, n_events)],
            "event_type": "purchase",
            "timestamp": T0 - pd.to_timedelta(rng.integers(0, 365, n_events), unit="D"),
            "rating": np.nan,
        }
    )
    started = time.perf_counter()
    p = build_profiles(ev, item_ids, vecs)
    elapsed = time.perf_counter() - started
    assert len(p) == n_users
    # 2 s is the target on an idle machine; the shared 2-core box here is often 3x slower
    assert elapsed < 6.0, f"{elapsed:.2f} s"

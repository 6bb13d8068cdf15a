from __future__ import annotations

import numpy as np
import pandas as pd

from core.recommend.segment_power import random_segments, rfm_segments, segment_power, single_segment
from core.recommend.splits import temporal_split
from tests.core.recsys_toy import ITEMS, toy_events


def test_random_segments_keep_sizes_and_are_seeded():
    labels = pd.Series([0, 0, 0, 1, 1, 2], index=list("abcdef"))
    shuffled = random_segments(labels, seed=1)
    assert sorted(shuffled.value_counts().tolist()) == sorted(labels.value_counts().tolist())
    assert shuffled.equals(random_segments(labels, seed=1))


def test_single_segment_is_everyone():
    assert single_segment(["a", "b"]).tolist() == [0, 0]


def test_rfm_separates_big_recent_spenders_from_small_old_ones():
    rows = []
    for u in range(5):  # recent, frequent, big
        for d in range(10):
            rows.append((f"big{u}", "i0", pd.Timestamp("2024-03-01") + pd.Timedelta(days=d), 10.0, 50.0))
    for u in range(5):  # one small order long ago
        rows.append((f"small{u}", "i1", pd.Timestamp("2023-01-01"), 1.0, 1.0))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "quantity", "price"])
    labels = rfm_segments(events, k=2, seed=0)
    assert labels[[f"big{u}" for u in range(5)]].nunique() == 1
    assert labels[[f"small{u}" for u in range(5)]].nunique() == 1
    assert labels["big0"] != labels["small0"]


def test_taste_segments_beat_random_and_single():
    events = toy_events(n_users=30, per_user=4)
    split = temporal_split(events, test_size=1)
    users = sorted(set(events["user_id"]))
    taste = pd.Series([int(u[1:]) % 2 for u in users], index=users)
    power = segment_power(
        split,
        {"taste": taste, "random": random_segments(taste, seed=0), "single": single_segment(users)},
        item_ids=ITEMS,
        top_k=2,
    )
    assert power["taste"]["ndcg@2"] > power["single"]["ndcg@2"]
    assert power["taste"]["hr@2"] >= power["random"]["hr@2"]
    assert power["taste"]["n_segments"] == 2
    assert np.isclose(power["taste"]["n_users"], 30)

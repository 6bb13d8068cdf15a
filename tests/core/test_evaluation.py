from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.data import Dataset, IngestReport
from core.errors import ConfigError
from core.recommend.evaluation import evaluate_dataset
from core.recommend.metrics import METRIC_DEFINITIONS, ranking_metrics, relevant_items
from core.recommend.splits import random_split, temporal_split
from tests.core.recsys_toy import ITEMS, toy_events, toy_vectors


def test_metrics_match_hand_computed_values():
    ranked = np.array([["a", "b", "c"], ["x", "y", "z"], ["p", "q", "r"]], dtype=object)
    relevant = [{"b", "c", "d"}, {"w"}, set()]  # third user has nothing to find: skipped
    m = ranking_metrics(ranked, relevant, k=3)
    # user 1: hits at ranks 2, 3 of |R| = 3; user 2: no hit
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["n_users"] == 2
    assert m["hr@3"] == pytest.approx(0.5)
    assert m["ndcg@3"] == pytest.approx((dcg / idcg + 0) / 2)
    assert m["precision@3"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall@3"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["mrr"] == pytest.approx((1 / 2 + 0) / 2)


def test_precision_divides_by_k_even_for_short_lists():
    m = ranking_metrics(np.array([["a", "", ""]], dtype=object), [{"a"}], k=3)
    assert m["precision@3"] == pytest.approx(1 / 3)
    assert m["ndcg@3"] == pytest.approx(1.0)


def test_coverage_and_novelty():
    ranked = np.array([["a", "b"], ["a", "c"]], dtype=object)
    m = ranking_metrics(
        ranked, [{"a"}, {"a"}], k=2, item_popularity={"a": 3, "b": 1}, n_train_users=3, n_catalogue=10
    )
    assert m["coverage"] == pytest.approx(3 / 10)
    expected = np.mean([-np.log2(4 / 4), -np.log2(2 / 4), -np.log2(4 / 4), -np.log2(1 / 4)])
    assert m["novelty"] == pytest.approx(expected)


def test_definitions_cover_every_metric():
    assert {"hr", "ndcg", "precision", "recall", "mrr", "coverage", "novelty"} <= set(METRIC_DEFINITIONS)
    assert "divided by K" in METRIC_DEFINITIONS["precision"]


def test_temporal_split_holds_out_each_users_last_events():
    events = toy_events(n_users=4, per_user=4)
    split = temporal_split(events, test_size=1)
    last = events.sort_values("timestamp").groupby("user_id").tail(1)
    assert sorted(map(tuple, split.test[["user_id", "item_id"]].to_numpy())) == sorted(
        map(tuple, last[["user_id", "item_id"]].to_numpy())
    )
    assert len(split.train) + len(split.test) == len(events)
    assert split.info["n_test_events"] == 4


def test_cutoff_split_drops_and_counts_users_without_history():
    events = toy_events(n_users=4, per_user=4)
    new = events.iloc[[0]].assign(user_id="newcomer", timestamp=pd.Timestamp("2030-01-01"))
    split = temporal_split(pd.concat([events, new], ignore_index=True), cutoff="2024-01-05")
    assert (split.train["timestamp"] < pd.Timestamp("2024-01-05")).all()
    assert (split.test["timestamp"] >= pd.Timestamp("2024-01-05")).all()
    assert "newcomer" not in set(split.test["user_id"])
    assert split.info["test_users_without_history"] == 1


def test_random_split_is_seeded():
    events = toy_events(n_users=6, per_user=4)
    a, b = random_split(events, test_size=2, seed=3), random_split(events, test_size=2, seed=3)
    assert a.test.index.equals(b.test.index)
    assert (a.test.groupby("user_id").size() == 2).all()


def test_temporal_split_without_time_is_a_domain_error():
    with pytest.raises(ConfigError):
        temporal_split(toy_events().assign(timestamp=pd.NaT))


def test_relevant_items_exclude_what_was_seen_in_training():
    train = pd.DataFrame({"user_id": ["u", "u"], "item_id": ["a", "b"]})
    test = pd.DataFrame({"user_id": ["u", "u", "v"], "item_id": ["b", "c", "a"]})
    assert relevant_items(test, train, ["u", "v", "w"]) == [{"c"}, {"a"}, set()]


class FixedEmbedder:
    """Stands in for the model: the toy vectors, looked up by item text."""

    def embed(self, texts, *, progress=None):
        table = dict(zip([f"item {j}" for j in range(8)], toy_vectors(), strict=True))
        return np.stack([table[t] for t in texts])


@pytest.fixture(scope="module")
def toy_result():
    events = toy_events(n_users=20, per_user=4)
    items = pd.DataFrame({"item_id": ITEMS, "text": [f"item {j}" for j in range(8)]})
    dataset = Dataset(events, items, IngestReport())
    return evaluate_dataset(dataset, test_size=1, segments=2, seed=7, embedder=FixedEmbedder())


def test_evaluation_json_contract(toy_result):
    out = json.loads(json.dumps(toy_result.to_json()))
    assert set(out) == {"recommenders", "segmentations", "segmentations_fine", "split"}
    assert set(out["recommenders"]) == {
        "popular",
        "item_knn",
        "segment_popular",
        "content",
        "logistic",
        "hybrid",
    }
    assert set(out["segmentations"]) == {"ours", "rfm_kmeans", "tfidf", "random", "single"}
    for metrics in out["recommenders"].values():
        assert {
            "hr@10",
            "ndcg@10",
            "precision@10",
            "recall@10",
            "mrr",
            "coverage",
            "novelty",
            "fit_seconds",
        } <= set(metrics)
    for metrics in out["segmentations"].values():
        assert {"hr@10", "ndcg@10"} <= set(metrics)
    assert out["split"]["seed"] == 7
    assert out["split"]["kind"] == "temporal"
    assert out["split"]["n_eval_users"] == 20


def test_markdown_states_seed_and_split(toy_result):
    md = toy_result.to_markdown()
    assert "seed 7" in md and "temporal" in md
    assert "| hybrid |" in md and "| rfm_kmeans |" in md


def test_taste_segments_predict_better_than_one_segment(toy_result):
    seg = toy_result.segmentations
    assert seg["ours"]["ndcg@10"] > seg["single"]["ndcg@10"]


def test_cli_evaluate_writes_json_and_markdown(tmp_path, monkeypatch):
    import argparse

    import core.embed.embedding
    from core.recommend.evaluation_cli import add_evaluate_arguments, cli_evaluate

    real = core.embed.embedding.make_embedder
    monkeypatch.setattr(
        core.embed.embedding,
        "make_embedder",
        lambda name=None, **kw: real(name, **kw) if name else FixedEmbedder(),
    )
    events = toy_events(n_users=20, per_user=4)
    events[["user_id", "item_id", "event_type", "timestamp"]].to_csv(tmp_path / "events.csv", index=False)
    pd.DataFrame({"item_id": ITEMS, "text": [f"item {j}" for j in range(8)]}).to_csv(
        tmp_path / "items.csv", index=False
    )
    parser = argparse.ArgumentParser()
    add_evaluate_arguments(parser)
    args = parser.parse_args(
        [str(tmp_path / "events.csv"), "--items", str(tmp_path / "items.csv"), "--test-size", "1"]
        + ["--segments", "2", "--seed", "3", "--out", str(tmp_path / "out")]
    )
    assert cli_evaluate(args) == 0
    out = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert set(out["recommenders"]) == {
        "popular",
        "item_knn",
        "segment_popular",
        "content",
        "logistic",
        "hybrid",
    }
    assert out["split"]["seed"] == 3
    markdown = (tmp_path / "out" / "evaluation.md").read_text()
    assert "seed 3" in markdown
    assert "than best-sellers" in markdown and "our segments find" in markdown  # a verdict per table


@pytest.mark.slow
def test_app_evaluation_of_online_retail_takes_under_20_seconds() -> None:
    """Issue 13: the dashboard's evaluation (analysis vectors reused, 1,000 sampled test users)."""
    import time
    from pathlib import Path

    from core.config import AnalysisConfig
    from core.embed.embedding import make_embedder
    from core.ingest.dataset import load_dataset
    from core.pipeline import embed_and_profile
    from core.recommend.evaluation import APP_EVAL_USERS, evaluate_dataset

    path = (
        Path(__file__).resolve().parents[2]
        / ".."
        / "shared"
        / "datasets"
        / "online_retail"
        / "online_retail.csv.gz"
    )
    if not path.exists():
        pytest.skip(f"{path} is not here")
    config = AnalysisConfig()
    prep = embed_and_profile(load_dataset(path), config, embedder=make_embedder(None))
    tfidf = make_embedder("tfidf").embed(prep.dataset.items["text"].astype(str).tolist())
    start = time.perf_counter()
    result = evaluate_dataset(prep.dataset, segments=6, item_vectors=prep.item_vectors, tfidf_vectors=tfidf,
                              config=config, max_eval_users=APP_EVAL_USERS)  # fmt: skip
    seconds = time.perf_counter() - start
    print(f"app evaluation of Online Retail: {seconds:.1f} s")
    assert (
        result.split["n_eval_users"] == APP_EVAL_USERS
        and result.split["eval_users_sampled_from"] > APP_EVAL_USERS
    )
    assert seconds <= 20.0

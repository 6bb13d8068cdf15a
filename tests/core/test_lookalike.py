"""`python -m core lookalike`: recovers the held-out half of a planted segment far above random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.activate.lookalike import lookalikes
from core.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)[:300]
    base = tmp_path_factory.mktemp("look")
    path = base / "events.csv"
    events = events[events["user_id"].isin(users)]
    events.to_csv(path, index=False)
    fast = ["--model", "tfidf", "--projection", "pca", "--recommendations", "0"]
    assert main(["analyze", str(path), *fast, "--out", str(base / "out")]) == 0
    labels = events.groupby("user_id")["label"].first()
    return base, labels


def test_lookalike_recovers_a_held_out_half_of_a_planted_segment(analyzed: tuple[Path, pd.DataFrame]) -> None:
    base, labels = analyzed
    planted = sorted(labels[labels == labels.iloc[0]].index)
    seeds, held_out = planted[::2], set(planted[1::2])
    pd.DataFrame({"user_id": seeds}).to_csv(base / "seeds.csv", index=False)
    n = len(held_out)
    assert (
        main(
            [
                "lookalike",
                str(base / "out"),
                str(base / "seeds.csv"),
                "--top",
                str(n),
                "--out",
                str(base / "l.csv"),
            ]
        )
        == 0
    )
    ranked = pd.read_csv(base / "l.csv", encoding="utf-8-sig", dtype={"user_id": str})
    assert list(ranked.columns) == ["user_id", "score"] and len(ranked) == n
    assert ranked["score"].is_monotonic_decreasing and not set(ranked["user_id"]) & set(seeds)
    precision = len(set(ranked["user_id"]) & held_out) / n
    random_precision = n / (len(labels) - len(seeds))
    assert precision >= 0.9 and precision > 3 * random_precision


def test_unknown_seeds_and_missing_column_are_clear_errors(
    analyzed: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = analyzed
    pd.DataFrame({"user_id": ["nobody"]}).to_csv(base / "none.csv", index=False)
    assert main(["lookalike", str(base / "out"), str(base / "none.csv"), "--out", str(base / "x.csv")]) == 2
    assert "种子" in capsys.readouterr().err
    pd.DataFrame({"customer": ["a"]}).to_csv(base / "bad.csv", index=False)
    assert main(["lookalike", str(base / "out"), str(base / "bad.csv"), "--out", str(base / "x.csv")]) == 2
    assert "user_id" in capsys.readouterr().err


def test_scores_prefer_the_seed_direction() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 8)) + np.eye(8)[0] * 5
    b = rng.normal(size=(50, 8)) + np.eye(8)[1] * 5
    x = np.vstack([a, b])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.array([f"u{i}" for i in range(100)])
    ranked = lookalikes(ids, x, set(ids[:10]), 40)
    assert all(int(u[1:]) < 50 for u in ranked["user_id"])


def _clustered(
    n: int, dim: int = 32, k: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim))
    labels = rng.integers(0, k, n)
    x = (centres[labels] + 0.6 * rng.standard_normal((n, dim))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.array([f"u{i}" for i in range(n)], dtype=object), x, labels


def test_approximate_index_agrees_with_exact_on_the_top_n() -> None:
    ids, x, labels = _clustered(20_000)
    seeds = set(ids[labels == 3][:200])
    exact = lookalikes(ids, x, seeds, 500)
    approx = lookalikes(ids, x, seeds, 500, exact_max_users=1_000)  # low threshold: the faiss path
    assert list(approx.columns) == ["user_id", "score"] and len(approx) == 500
    assert approx["score"].is_monotonic_decreasing and not set(approx["user_id"]) & seeds
    recall = len(set(approx["user_id"]) & set(exact["user_id"])) / 500
    assert recall >= 0.9, recall
    common = exact.merge(approx, on="user_id")  # the same users get the same (exact) scores
    assert np.allclose(common["score_x"], common["score_y"])

"""The `python -m core analyze|evaluate|assign` contract, run in-process on a slice of the sample data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


@pytest.fixture(scope="module")
def small_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)[:300]
    path = tmp_path_factory.mktemp("data") / "events.csv"
    events[events["user_id"].isin(users)].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def analyzed(small_events: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    code = main(
        [
            "analyze",
            str(small_events),
            "--model",
            "tfidf",
            "--projection",
            "pca",
            "--label-column",
            "label",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_analyze_writes_every_documented_file(analyzed: Path) -> None:
    expected = {
        "segments.csv",
        "segments.json",
        "summary.json",
        "ingest_report.json",
        "members.csv",
        "report.xlsx",
        "report.html",
        "bundle.zip",
    }
    assert expected <= {p.name for p in analyzed.iterdir()}


def test_segments_csv_and_summary_follow_the_contract(analyzed: Path) -> None:
    members = pd.read_csv(analyzed / "segments.csv", encoding="utf-8-sig", dtype={"user_id": str})
    assert list(members.columns) == ["user_id", "segment_id", "segment_name", "confidence", "x", "y"]
    assert members["user_id"].is_unique and len(members) == 300
    summary = json.loads((analyzed / "summary.json").read_text(encoding="utf-8"))
    for key in ("k", "k_reason", "quality", "timings", "ari", "nmi", "n_users"):
        assert key in summary
    assert summary["k"] == members["segment_id"].nunique()
    assert summary["k_reason"].startswith(f"K={summary['k']}")
    assert summary["ari"] > 0.8  # five clear personas, even with TF-IDF on 300 users
    assert {"embed", "profiles", "segment", "projection", "insights"} <= set(summary["timings"])
    segments = json.loads((analyzed / "segments.json").read_text(encoding="utf-8"))
    assert [s["segment_id"] for s in segments] == sorted(members["segment_id"].unique().tolist())
    assert all(s["name"] and s["keywords"] and s["top_items"] for s in segments)


def test_members_csv_carries_recommendations(analyzed: Path) -> None:
    members = pd.read_csv(analyzed / "members.csv", encoding="utf-8-sig", dtype=str)
    assert "rec_1" in members.columns
    assert members["rec_1"].notna().mean() > 0.95


def test_assign_puts_the_training_users_back_in_their_segments(
    analyzed: Path, small_events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "assigned.csv"
    # TF-IDF spaces cannot be rebuilt for new users: assign says so instead of guessing.
    assert main(["assign", str(analyzed / "bundle.zip"), str(small_events), "--out", str(out)]) == 2


def test_analyze_unusable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert main(["analyze", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_analyze_rejects_impossible_k(small_events: Path, tmp_path: Path, capsys) -> None:
    code = main(["analyze", str(small_events), "--model", "tfidf", "--k", "5000", "--out", str(tmp_path)])
    assert code == 2
    assert "K must be between 2" in capsys.readouterr().err


@pytest.mark.model
def test_bundle_from_the_default_model_assigns_users_to_their_own_segments(
    small_events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert main(["analyze", str(small_events), "--projection", "pca", "--k", "5", "--out", str(out)]) == 0
    assigned_path = tmp_path / "assigned.csv"
    assert main(["assign", str(out / "bundle.zip"), str(small_events), "--out", str(assigned_path)]) == 0
    fitted = pd.read_csv(out / "segments.csv", encoding="utf-8-sig", dtype={"user_id": str})
    assigned = pd.read_csv(assigned_path, encoding="utf-8-sig", dtype={"user_id": str})
    both = fitted.merge(assigned, on="user_id", suffixes=("_fit", "_new"))
    assert len(both) == len(fitted) == 300
    assert (both["segment_id_fit"] == both["segment_id_new"]).all()
    assert (both["segment_name_fit"] == both["segment_name_new"]).all()


@pytest.mark.parametrize("n", [0, 2])
def test_recommendations_per_user_on_request(small_events: Path, tmp_path: Path, n: int) -> None:
    import openpyxl

    out = tmp_path / "out"
    args = ["analyze", str(small_events), "--model", "tfidf", "--projection", "pca", "--k", "3",
            "--recommendations", str(n), "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    members = pd.read_csv(out / "members.csv", dtype=str, encoding="utf-8-sig")
    assert [c for c in members.columns if c.startswith("rec_")] == [f"rec_{i}" for i in range(1, n + 1)]
    sheet = openpyxl.load_workbook(out / "report.xlsx", read_only=True)["Recommendations"]
    header = next(sheet.iter_rows(values_only=True))
    assert header == (("user_id", "rank", "item") if n else ("note",))


def test_recommendations_out_of_range_is_one_error_line(small_events: Path, tmp_path: Path, capsys) -> None:
    code = main(["analyze", str(small_events), "--recommendations", "-1", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--recommendations" in err[0]

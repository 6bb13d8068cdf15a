from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.ingest.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / ".." / "shared" / "datasets"
SAMPLE = ROOT / "sample_data"


def test_ingest_report_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(SAMPLE / "events.csv"), "--report-json", "-"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    for key in (
        "rows_in",
        "rows_kept",
        "rows_rejected",
        "encoding",
        "delimiter",
        "mapping",
        "n_users",
        "n_items",
        "n_events",
        "warnings",
    ):
        assert key in report
    assert report["rows_in"] == report["rows_kept"] + sum(report["rows_rejected"].values())
    assert report["rows_rejected"] == {"duplicate": 1, "missing_text": 1, "missing_user": 1}
    assert report["n_users"] == 1000 and report["mapping"]["label"] == "label"
    assert "rows in" in out.err


def test_ingest_items_table_and_map_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    code = main(
        [
            "ingest",
            str(SAMPLE / "events_items_only.csv"),
            "--items",
            str(SAMPLE / "items.csv"),
            "--map",
            "timestamp=",
            "--report-json",
            str(target),
        ]
    )
    assert code == 0
    report = json.loads(target.read_text(encoding="utf-8"))
    assert "timestamp" not in report["mapping"] and report["items_source"] == "items.csv"
    assert "kept" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "content"),
    [
        (["ingest", "missing.csv"], None),
        (["ingest", "bad.csv"], b"\x89PNG\r\n\x1a\n\x00\x00"),
        (["ingest", "bad.csv", "--map", "user_id"], b"user,title\nu1,a\n"),
    ],
    ids=["missing-file", "png", "bad-map"],
)
def test_unusable_input_exits_2_with_one_error_line(
    tmp_path: Path, args: list[str], content: bytes | None
) -> None:
    if content is not None:
        (tmp_path / "bad.csv").write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr


def test_sample_data_is_deterministic_and_labelled() -> None:
    data = load_dataset(SAMPLE / "events.csv")
    assert data.has_labels and data.events["label"].nunique() == 5
    assert set(data.events["event_type"]) >= {"view", "click", "cart", "favorite", "purchase", "review"}
    per_user = data.events.groupby("user_id").size()
    assert 12 <= per_user.median() <= 30


@pytest.mark.slow
def test_online_retail_full_file_reconciles() -> None:
    data = load_dataset(DATASETS / "online_retail" / "online_retail.csv.gz")
    r = data.report
    assert r.rows_in == 541_909 == r.rows_kept + sum(r.rows_rejected.values())
    # Cancellations and negative quantities are checked first, so their counts are the README's exactly:
    # 9,288 'C' invoices and 1,336 negative-quantity adjustments without a 'C'.
    assert r.rows_rejected["cancelled_invoice"] == 9_288
    assert r.rows_rejected["negative_quantity"] == 1_336
    # Rows without a CustomerID are checked after those, so missing_user counts the README's 135,080
    # minus the cancellations/adjustments that also lack one; the 1,454 empty descriptions all lack a
    # customer too, so none reach the missing_text check.
    assert r.rows_rejected["missing_user"] < 135_080 and "missing_text" not in r.rows_rejected
    # All 4,372 customers survive as exact strings into the kept or rejected rows; customers whose every
    # row was cancelled/returned drop out, hence <=.
    assert 4_300 < r.n_users <= 4_372
    assert data.events["user_id"].str.fullmatch(r"\d{5}").all()


@pytest.mark.slow
def test_movielens_real_files_join() -> None:
    folder = DATASETS / "movielens_latest_small"
    data = load_dataset(folder / "ratings.csv.gz", items=folder / "movies.csv.gz")
    assert data.report.rows_in == 100_836 == data.report.rows_kept
    assert data.report.n_users == 610 and data.report.n_items == 9_724

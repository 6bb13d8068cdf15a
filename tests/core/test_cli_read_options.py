"""CLI read options of issue 12: --no-header, --items-map, --items-no-header, --items-delimiter,
--accept-warnings (ingest, analyze and evaluate share them)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from core.cli import main

GAMES = ["Star Harbor", "Dungeon Bakery", "Pixel Rally", "Quiet Forest", "Mecha League"]


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    rng = random.Random(3)
    lines = [f"u{u}\t{rng.randint(1, 40)}\t{rng.randint(1, 5)}" for u in range(60) for _ in range(6)]
    (tmp_path / "plays.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = [f"{g};{GAMES[g % 5]} {g}" for g in range(1, 41)]
    (tmp_path / "games.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    feedback = [f"{rng.randint(1, 200)},{rng.randint(1, 300)},{rng.randint(1, 10)}" for _ in range(1500)]
    (tmp_path / "feedback.csv").write_text("User_ID,Anime_ID,Feedback\n" + "\n".join(feedback) + "\n")
    return tmp_path


def report(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_headerless_events_and_items_mapped_by_position(files: Path, capsys) -> None:
    code = main(["ingest", str(files / "plays.tsv"), "--no-header", "--map", "user_id=1", "--map", "item_id=2",
                 "--map", "rating=3", "--items", str(files / "games.txt"), "--items-no-header",
                 "--items-delimiter", ";", "--items-map", "item_id=1", "--items-map", "text=2",
                 "--report-json", "-"])  # fmt: skip
    assert code == 0
    got = report(capsys)
    assert got["mapping"] == {"user_id": "1", "item_id": "2", "rating": "3"}
    assert got["items_mapping"] == {"item_id": "1", "text": "2"}
    assert got["header_row"] == 0 and got["rows_in"] == 360  # the first line is data
    assert set(got["rows_rejected"]) <= {"duplicate"}
    assert got["items_matched_events"] == 360 and got["n_users"] == 60


def test_headerless_file_without_map_names_the_positional_columns(files: Path, capsys) -> None:
    assert main(["ingest", str(files / "plays.tsv"), "--no-header"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: No user column found") and "Columns: 1, 2, 3." in err
    assert len(err.splitlines()) == 1


def test_items_map_error_names_the_flag(files: Path, capsys) -> None:
    args = ["ingest", str(files / "plays.tsv"), "--no-header", "--map", "user_id=1", "--map", "item_id=2"]
    assert main([*args, "--items", str(files / "games.txt"), "--items-map", "nonsense"]) == 2
    assert "--items-map expects canonical=column" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["ingest", "analyze", "evaluate"])
def test_implausible_mapping_exits_2_unless_accepted(files: Path, capsys, command: str) -> None:
    out = ["--out", str(files / "out")] if command != "ingest" else []
    assert main([command, str(files / "feedback.csv"), *out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: The data looks wrongly mapped.")
    assert "'Feedback'" in err[0] and "--accept-warnings" in err[0] and "数据的列映射看起来不对" in err[0]


def test_accept_warnings_lets_the_ingest_go_on(files: Path, capsys) -> None:
    assert main(["ingest", str(files / "feedback.csv"), "--accept-warnings", "--report-json", "-"]) == 0
    got = report(capsys)
    assert [f["code"] for f in got["plausibility"]] == ["text_numeric", "few_items"]

"""Members CSV, Excel workbook and write_all: every hostile payload stays inert text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from core.errors import ConfigError
from core.export.privacy import PrivacySettings
from core.export.tables import excel_bytes, members_csv_bytes, neutralise
from core.export.writer import FILE_NAMES, build_view, write_all
from tests.core.analysis_factory import (
    ALL_PAYLOADS,
    FILENAME_PAYLOADS,
    FORMULA_PAYLOADS,
    TINY_KEYWORD,
    TINY_NAME,
    make_analysis,
    recommendations_for,
)

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
EXPECTED_SHEETS = [
    "Summary",
    "Segments",
    "Members",
    "Keywords",
    "Recommendations",
    "Evaluation",
    "Data quality",
]
EVALUATION = {"hr@10": {"hybrid": 0.31, "segment_popular": 0.22}, "note": '=HYPERLINK("http://x")'}


@pytest.fixture(scope="module")
def analysis():
    return make_analysis()


@pytest.fixture(scope="module")
def view(analysis):
    return build_view(analysis, recommendations=recommendations_for(analysis), evaluation=EVALUATION)


@pytest.fixture(scope="module")
def workbook(view):
    return openpyxl.load_workbook(io.BytesIO(excel_bytes(view)))


def _is_inert(text: str) -> bool:
    return not text.lstrip(" ").startswith(DANGEROUS_START) and not text.startswith(("{=",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("{=1+1}", "'{=1+1}"),
        ("＝1+1", "'＝1+1"),
        ("plain text", "plain text"),
        ("运动鞋", "运动鞋"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_members_csv_has_bom_and_reads_back_neutralised(view) -> None:
    raw = members_csv_bytes(view)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(view.members)
    assert list(rows[0])[:6] == ["user_id", "segment_id", "segment_name", "confidence", "x", "y"]
    assert {"rec_1", "rec_2", "rec_3"} <= set(rows[0])
    for row in rows:
        for column in ("user_id", "segment_name", "rec_1", "rec_2", "rec_3"):
            assert _is_inert(row[column]), (column, row[column])
    users = {row["user_id"] for row in rows}
    for payload in FORMULA_PAYLOADS:  # every formula id is present, prefixed, not dropped
        assert "'" + payload in users
    assert "007" in users and "NA" in users and "用户甲" in users


def test_members_csv_keeps_numbers_numeric(view) -> None:
    rows = list(csv.DictReader(io.StringIO(members_csv_bytes(view).decode("utf-8-sig"), newline="")))
    first = next(r for r in rows if r["user_id"] == "'\t=1")
    assert (first["x"], first["y"]) == ("-0.5", "0.25")  # negative number not prefixed
    assert all(float(r["confidence"]) >= 0 for r in rows)
    assert {r["segment_id"] for r in rows} == {"0", "1", "2", "-1"}


def test_members_csv_without_recommendations_has_no_rec_columns(analysis) -> None:
    header = members_csv_bytes(build_view(analysis)).decode("utf-8-sig").splitlines()[0]
    assert header == "user_id,segment_id,segment_name,confidence,x,y"


def test_excel_has_every_sheet_with_frozen_headers(workbook) -> None:
    assert workbook.sheetnames == EXPECTED_SHEETS
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.bold


def test_excel_has_no_formula_and_every_payload_is_text(workbook) -> None:
    seen: set[str] = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert _is_inert(cell.value), (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    text = "\n".join(seen)
    for payload in ALL_PAYLOADS:
        assert payload.strip() in text  # still there, just inert


def test_excel_numbers_stay_numbers(workbook) -> None:
    members = workbook["Members"]
    header = [c.value for c in members[1]]
    first = [c.value for c in members[2]]
    assert isinstance(first[header.index("confidence")], float)
    assert isinstance(first[header.index("segment_id")], int)
    xs = [row[header.index("x")].value for row in members.iter_rows(min_row=2)]
    assert -0.5 in xs


def test_excel_and_csv_never_show_the_small_segment(view, workbook) -> None:
    cells = [
        str(c.value) for s in workbook.worksheets for row in s.iter_rows() for c in row if c.value is not None
    ]
    blob = "\n".join(cells) + members_csv_bytes(view).decode("utf-8-sig")
    assert TINY_NAME not in blob and TINY_KEYWORD not in blob
    segment_ids = {row[0].value for row in workbook["Segments"].iter_rows(min_row=2)}
    assert segment_ids == {0, 1, 2, -1}


def test_excel_truncates_with_a_note_pointing_to_the_csv(view) -> None:
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(view, max_rows=10)))
    members = book["Members"]
    assert members.max_row == 10
    assert "members.csv" in members.cell(row=10, column=1).value
    notes = [r[1].value for r in book["Summary"].iter_rows() if r[0].value == "Note"]
    assert any("members.csv" in n and "Members" in n for n in notes)


def test_excel_evaluation_sheet_only_when_given(analysis) -> None:
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(build_view(analysis))))
    assert "Evaluation" not in book.sheetnames and "Data quality" in book.sheetnames


def test_write_all_uses_template_names_only(analysis, tmp_path: Path) -> None:
    written = write_all(
        analysis, tmp_path, recommendations=recommendations_for(analysis), evaluation=EVALUATION
    )
    assert {p.name for p in written.values()} == set(FILE_NAMES.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        FILE_NAMES.values()
    )  # no stray or .part files
    for payload in FILENAME_PAYLOADS:
        assert analysis.dataset.report.source_name.startswith(FILENAME_PAYLOADS[0])
        assert not any(payload in str(p) for p in written.values())


def test_write_all_prefix(analysis, tmp_path: Path) -> None:
    written = write_all(analysis, tmp_path, prefix="run-42_")
    assert written["html"].name == "run-42_report.html"


@pytest.mark.parametrize("prefix", ["../", "a/b", "x\x00", "..\\evil", "名字"])
def test_write_all_rejects_a_path_like_prefix(analysis, tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ConfigError):
        write_all(analysis, tmp_path, prefix=prefix)
    assert list(tmp_path.iterdir()) == []


def test_write_all_does_not_mutate_the_analysis(analysis, tmp_path: Path) -> None:
    labels = analysis.segmentation.labels.copy()
    names = [s.name for s in analysis.segments]
    write_all(analysis, tmp_path, privacy=PrivacySettings(pseudonymize=True, key=b"k"))
    assert (analysis.segmentation.labels == labels).all()
    assert [s.name for s in analysis.segments] == names

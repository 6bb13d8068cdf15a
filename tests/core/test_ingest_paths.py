"""Local paths: the streamed CSV reader gives exactly the exact path's RawTable, and folders or globs
of CSV/Parquet parts read as one table whose rejects name their part and line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.errors import IngestError
from core.ingest import local, stream
from core.ingest.dataset import load_dataset
from core.ingest.local import read_file, read_path
from core.ingest.read import read_table
from core.ingest.sniffing import ReadLimits

LIMITS = ReadLimits()


def _rows(n: int, quote: str = "none", sep: str = ",", end: str = "\n") -> str:
    out = [sep.join(("user_id", "item_id", "title", "rating"))]
    for i in range(n):
        cells = [f"u{i % 17}", f"i{i % 11}", f"Title {i} vol {i % 3}", str(i % 5 + 1)]
        if quote == "all":
            cells[2] = f'Title {i}, "vol" {i % 3}'
            out.append(sep.join('"' + c.replace('"', '""') + '"' for c in cells))
        elif quote == "minimal":  # pandas' to_csv: only cells that need it
            cells[2] = f'"Say ""hi"", {i}"' if i % 4 == 0 else (f'"Title, {i}"' if i % 3 == 0 else cells[2])
            out.append(sep.join(cells))
        elif quote == "strings":  # pyarrow's write_csv: strings quoted, numbers not
            out.append(sep.join([*(f'"{c}"' for c in cells[:3]), cells[3]]))
        else:
            out.append(sep.join(cells))
    return end.join(out) + end


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


CASES: dict[str, tuple[bytes, dict[str, object], bool]] = {
    # name: (file bytes, read options, whether the streamed path must answer itself)
    "plain": (_rows(400).encode(), {}, True),
    "all_quoted": (_rows(400, "all").encode(), {}, True),
    "minimal_quotes": (_rows(400, "minimal").encode(), {}, True),
    "strings_quoted": (_rows(400, "strings").encode(), {}, True),
    "strings_quoted_escapes": (
        _edit(_rows(300, "strings"), '"Title 5 vol 2"', '"Title ""5"", vol 2"').encode(),
        {},
        True,
    ),
    "crlf": (_rows(400, "all", end="\r\n").encode(), {}, True),
    "bom": (b"\xef\xbb\xbf" + _rows(400).encode(), {}, True),
    "tsv": (_rows(400, sep="\t").encode(), {}, True),
    "headerless": (_rows(400).split("\n", 1)[1].encode(), {"has_header": False}, True),
    "title_lines": (b"Export of 2024-01-01\n\n" + _rows(400).encode(), {}, True),
    "sep_line": (b"sep=;\n" + _rows(400, sep=";").encode(), {}, True),
    "no_final_newline": (_rows(400).rstrip("\n").encode(), {}, True),
    "blank_lines": (
        _edit(_edit(_rows(200), "\nu3,", "\n\nu3,"), "\nu5,", "\n\r\nu5,").encode() + b"\n\n",
        {},
        True,
    ),
    "chinese": (
        (
            "用户,商品,标题,评分\n"
            + "".join(f"用户{i},商品{i % 9},好看的“书” {i},{i % 5}\n" for i in range(400))
        ).encode(),
        {},
        True,
    ),
    "repeated_header": ((_rows(200) + _rows(200)).encode(), {}, True),
    "explicit_utf8": (_rows(300).encode(), {"encoding": "utf-8"}, True),
    "quote_inside_field": (_edit(_rows(300), "Title 7 ", 'Ti"tle 7 ').encode(), {}, True),
    "text_after_quote": (
        _edit(_rows(300, "all"), '"Title 9, ""vol"" 0"', '"Title 9" vol 0').encode(),
        {},
        False,
    ),
    "ragged": (
        _edit(_edit(_rows(300), "\nu4,i4,", "\nu4,i4,extra,"), "\nu6,i6,Title 6 vol 0,2", "\nu6,i6").encode(),
        {},
        False,
    ),
    "quoted_newline": (_edit(_rows(300), "Title 8 vol 2", '"Title\n8"').encode(), {}, False),
    "unterminated_quote": (_edit(_rows(300), "Title 250 vol 1", '"Title 250').encode(), {}, False),
    "lone_cr": (_rows(300, end="\r").encode(), {}, False),
    "whitespace_line": (_edit(_rows(300), "\nu9,", "\n   \nu9,").encode(), {}, False),
    "invalid_utf8": (
        _edit(_rows(300), "Title 12 ", "Title \udcff12 ").encode("utf-8", "surrogateescape"),
        {},
        False,
    ),
    "gbk": (
        (
            "用户,商品,标题,评分\n" + "".join(f"用户{i},商品{i},中文标题{i},{i % 5}\n" for i in range(300))
        ).encode("gbk"),
        {},
        False,
    ),
    "nul": (_edit(_rows(300), "Title 3 ", "Title\x003 ").encode(), {}, False),
    "utf16": (_rows(300).encode("utf-16"), {}, False),
}


def _assert_same(old, new) -> None:
    pd.testing.assert_frame_equal(new.frame, old.frame)
    np.testing.assert_array_equal(new.lines, old.lines)
    pd.testing.assert_frame_equal(
        new.rejects.reset_index(drop=True), old.rejects.reset_index(drop=True), check_dtype=False
    )
    for field in (
        "source_name",
        "file_format",
        "compression",
        "encoding",
        "delimiter",
        "header_row",
        "warnings",
    ):
        assert getattr(new, field) == getattr(old, field), field


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", list(CASES))
def test_streamed_read_equals_exact_read(case: str, gz: bool, tmp_path: Path, monkeypatch) -> None:
    raw, options, streamed = CASES[case]
    monkeypatch.setattr(stream, "BLOCK_BYTES", 600)  # many blocks: the proof runs across block ends
    monkeypatch.setattr(stream, "HEAD_BYTES", 1000)
    answers: list[object] = []

    def spy(*args, **kwargs):
        answers.append(stream.read_text_path(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(local, "read_text_path", spy)
    path = tmp_path / ("data.csv.gz" if gz else "data.csv")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    new = read_file(path, path.name, limits=LIMITS, **options)  # type: ignore[arg-type]
    assert (answers[0] is not None) == streamed
    _assert_same(read_table(path.read_bytes(), path.name, limits=LIMITS, **options), new)  # type: ignore[arg-type]


def test_concatenated_gzip_members_stream_like_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(stream, "BLOCK_BYTES", 600)
    text = _rows(400, "minimal")
    cut = text.index("\n", len(text) // 2) + 1
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(text[:cut].encode()) + gzip.compress(text[cut:].encode()))
    assert (
        stream.read_text_path(path, encoding=None, delimiter=None, has_header=True, limits=LIMITS) is not None
    )
    _assert_same(
        read_table(path.read_bytes(), path.name, limits=LIMITS), read_file(path, path.name, limits=LIMITS)
    )
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IngestError, match="truncated"):
        read_file(path, path.name, limits=LIMITS)


def test_over_the_memory_budget_is_a_bilingual_error(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(_rows(3000))
    small = ReadLimits(max_rows=500, max_lines=1000)
    with pytest.raises(IngestError) as caught:
        read_file(path, path.name, limits=small)
    assert "memory" in caught.value.message_en and "GB" in caught.value.message_en
    assert "内存" in caught.value.message_zh
    with pytest.raises(IngestError, match="memory"):  # rows over the budget, lines within it
        read_file(path, path.name, limits=ReadLimits(max_rows=500))
    _parquet_parts(tmp_path / "pq", n=3)
    with pytest.raises(IngestError, match="3 parts.*6 rows.*memory"):
        read_path(tmp_path / "pq", limits=ReadLimits(max_rows=5))


# --- parts -----------------------------------------------------------------------------------------
def _csv_parts(folder: Path) -> None:
    folder.mkdir()
    (folder / "part-0000.csv").write_text("user_id,item_id,title,rating\nu1,i1,Boots,5\nu2,i2,Stroller,4\n")
    (folder / "part-0001.csv").write_text(
        "user_id,item_id,title,rating\nu3,i1,Boots,x\nu4,i3,Tent,3,9\nu5,i2,Stroller,2\n"
    )
    with gzip.open(folder / "part-0002.csv.gz", "wt") as handle:  # columns in another order are fine
        handle.write("item_id,user_id,title,rating\ni3,u6,Tent,1\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0000.csv.crc").write_text("junk")


def test_folder_of_csv_parts_names_the_part_of_each_reject(tmp_path: Path) -> None:
    _csv_parts(tmp_path / "events")
    table = read_path(tmp_path / "events", limits=LIMITS)
    assert list(table.frame["user_id"]) == ["u1", "u2", "u3", "u5", "u6"]
    assert table.parts == (("part-0000.csv", 0), ("part-0001.csv", 3), ("part-0002.csv.gz", 7))
    assert list(table.rejects["part"]) == ["part-0001.csv:3"]  # u4's extra field
    assert table.locate(table.lines) == [
        "part-0000.csv:2", "part-0000.csv:3", "part-0001.csv:2", "part-0001.csv:4", "part-0002.csv.gz:2"
    ]  # fmt: skip
    data = load_dataset(tmp_path / "events")
    report = data.report
    assert report.reconciled and report.rows_in == 6 and report.rows_kept == 4
    assert report.rows_rejected == {"too_many_fields": 1, "bad_rating": 1}
    assert data.rejected is not None
    assert sorted(data.rejected["part"]) == ["part-0001.csv:2", "part-0001.csv:3"]
    assert any("part-0001.csv lines 4-7" in w for w in report.warnings)


def _parquet_parts(folder: Path, n: int = 3) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    for k in range(n):
        pq.write_table(
            pa.table({"user_id": [f"u{k}", f"u{k + 1}"], "item_id": [1, 2], "title": ["Boots", "Tent"]}),
            folder / f"part-{k:04d}.parquet",
        )


def test_glob_of_parquet_parts_and_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _parquet_parts(tmp_path / "events")
    table = read_path(tmp_path / "events" / "part-*.parquet", limits=LIMITS)
    assert table.file_format == "parquet" and len(table.frame) == 6
    assert list(table.frame["item_id"]) == ["1", "2"] * 3 and table.lines.tolist() == [1, 2, 3, 4, 5, 6]
    assert table.locate(np.array([3])) == ["part-0001.parquet:1"]
    assert main(["ingest", str(tmp_path / "events"), "--report-json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_in"] == 6 and report["rows_kept"] == 6


def test_parts_with_other_columns_are_refused_by_name(tmp_path: Path) -> None:
    _parquet_parts(tmp_path / "pq")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"user_id": ["u9"], "product": [3]}), tmp_path / "pq" / "part-0009.parquet")
    with pytest.raises(IngestError) as caught:
        read_path(tmp_path / "pq", limits=LIMITS)
    assert "part-0009.parquet" in caught.value.message_en and "part-0009.parquet" in caught.value.message_zh
    _csv_parts(tmp_path / "csv")
    (tmp_path / "csv" / "part-0003.csv").write_text("user,item\nu1,i1\n")
    with pytest.raises(IngestError, match="part-0003.csv"):
        read_path(tmp_path / "csv", limits=LIMITS)
    (tmp_path / "csv" / "part-0003.csv").unlink()
    (tmp_path / "csv" / "part-0004.parquet").write_bytes((tmp_path / "pq" / "part-0000.parquet").read_bytes())
    with pytest.raises(IngestError, match="mix Parquet"):
        read_path(tmp_path / "csv", limits=LIMITS)
    with pytest.raises(IngestError, match="No file matches"):
        read_path(tmp_path / "nothing-*.csv", limits=LIMITS)

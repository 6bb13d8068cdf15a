from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from core.errors import IngestError
from core.ingest import read as loading
from core.ingest import textparse
from core.ingest.rawtable import RawTable
from core.ingest.read import _read_text, read_table
from core.ingest.sniffing import ReadLimits


def test_strings_stay_exact_and_lines_are_source_lines() -> None:
    raw = b'id,note\n007,NA\n008,"a\nb"\n009,null\n'
    table = read_table(raw, "x.csv")
    assert table.frame["id"].tolist() == ["007", "008", "009"]
    assert table.frame["note"].tolist() == ["NA", "a\nb", "null"]
    assert table.lines.tolist() == [2, 3, 5]
    assert table.rows_in == 3 and table.encoding == "utf-8" and table.delimiter == ","


def test_rejects_keep_line_and_reason() -> None:
    table = read_table(b"a,b\n1,2\n1,2,3\n4\n5,6\n", "x.csv")
    assert table.rejects[["line", "reason"]].values.tolist() == [
        [3, "too_many_fields"],
        [4, "too_few_fields"],
    ]
    assert table.rows_in == 4 and len(table.frame) == 2


def test_duplicate_header_names_are_made_unique() -> None:
    table = read_table(b"a,a,\n1,2,3\n", "x.csv")
    assert list(table.frame.columns) == ["a", "a (2)", "column_3"]
    assert any("more than once" in w for w in table.warnings)


def test_explicit_encoding_that_does_not_fit_names_the_line() -> None:
    with pytest.raises(IngestError, match="line 2"):
        read_table("a,b\n1,é\n".encode("latin-1"), "x.csv", encoding="utf-8")


def test_explicit_delimiter() -> None:
    assert read_table(b"a;b\n1;2\n", "x.csv", delimiter=",").frame.columns.tolist() == ["a;b"]


# --- fast parse == strict parse ----------------------------------------------------------------------
CLEAN_INPUTS = {
    "plain": b"id,item,qty\n1,a,2\n2,b,3\n",
    "no_trailing_newline": b"id,item,qty\n1,a,2\n2,b,3",
    "quoted_commas": b'id,desc\n1,"RED, LARGE"\n2,"say ""hi"""\n3,x"y\n4, "sp"\n',
    "crlf": b"id,item\r\n1,a\r\n2,b\r\n",
    "cr_only": b"id,item\r1,a\r2,b\r",
    "blank_lines": b"id,item\n\n1,a\r\n\r\n2,b\n\n\n",
    "semicolon": b"id;price\n1;2,5\n2;3,75\n",
    "tab": b"id\titem\tnote\n1\ta, b\t\n2\tc\tNA\n",
    "sep_line": b"sep=;\nid;item\n1;a\n2;b\n",
    "title_above_header": b"Sales export\n\nid,item,qty\n1,a,2\n2,b,3\n",
    "empty_and_exact_strings": b"id,note,code\n1,,007\n2,NA,null\n3,,\n,N/A,-0\n",
    "utf8_bom_and_cjk": "\ufeff用户,商品\n张三,苹果\n李四,\n".encode(),
    "duplicate_header": b"a,a,\n1,2,3\n",
}
FALLBACK_INPUTS = {
    "quoted_newline": b'id,note\n007,NA\n008,"a\nb"\n009,null\n',
    "quoted_crlf": b'id,note\r\n1,"a\r\nb"\r\n2,c\r\n',
    "bad_rows": b"a,b\n1,2\n1,2,3\n4\n5,6\n",
    "broken_quote": b'a,b\n1,"x"y\n2,z\n',
    "unterminated_quote": b'a,b\n1,"x\n2,z\n',
    "whitespace_line": b"a,b\n   \n1,2\n",
    "invalid_bytes": b"a,b\n" + "1,é\n".encode() * 5 + b"2,\xff\n",
    "nul_chars": b"a,b\n1,x\x00y\n",
    "one_column": b"name\nann\n\nbob\n",
    "header_only": b"a,b\n",
}


def _both(raw: bytes) -> tuple[RawTable, RawTable]:
    limits = ReadLimits()
    return _read_text(raw, None, None, limits), _read_text(raw, None, None, limits, fast=False)


def _assert_same(fast: RawTable, strict: RawTable) -> None:
    pd.testing.assert_frame_equal(fast.frame, strict.frame, check_exact=True)
    assert [str(t) for t in fast.frame.dtypes] == [str(t) for t in strict.frame.dtypes]
    assert fast.lines.dtype == strict.lines.dtype and fast.lines.tolist() == strict.lines.tolist()
    assert fast.rejects.values.tolist() == strict.rejects.values.tolist()
    assert list(fast.rejects.columns) == list(strict.rejects.columns)
    assert fast.warnings == strict.warnings
    assert (fast.header_row, fast.delimiter, fast.encoding) == (
        strict.header_row,
        strict.delimiter,
        strict.encoding,
    )


@pytest.mark.parametrize("name", sorted(CLEAN_INPUTS))
def test_fast_parse_is_used_on_clean_text_and_matches_strict(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = _read_text(CLEAN_INPUTS[name], None, None, ReadLimits(), fast=False)

    def no_strict(*args: object, **kwargs: object) -> None:
        raise AssertionError("the strict parser ran")

    monkeypatch.setattr(loading, "_parse_rows", no_strict)
    fast = _read_text(CLEAN_INPUTS[name], None, None, ReadLimits())
    _assert_same(fast, strict)
    assert len(fast.frame) > 0


@pytest.mark.parametrize("name", sorted(FALLBACK_INPUTS))
def test_fast_parse_falls_back_on_irregular_text(name: str) -> None:
    try:
        fast, strict = _both(FALLBACK_INPUTS[name])
    except IngestError as exc:  # header_only: same error either way
        with pytest.raises(IngestError, match=str(exc.args[0])[:20]):
            _read_text(FALLBACK_INPUTS[name], None, None, ReadLimits(), fast=False)
        return
    _assert_same(fast, strict)


def test_fast_parse_matches_strict_on_generated_tables() -> None:
    rng = np.random.default_rng(7)
    pool = [
        "",
        "NA",
        "null",
        "007",
        "a,b",
        'say "hi"',
        "x\ny",
        "r\r\nn",
        " pad ",
        "é中",
        "-0",
        '"',
        "1;2",
        "\t",
    ]
    mismatches = []
    for case in range(60):
        delimiter = str(rng.choice([",", ";", "\t", "|"]))
        terminator = str(rng.choice(["\n", "\r\n", "\r"]))
        n_cols = int(rng.integers(2, 5))
        quoting = csv.QUOTE_MINIMAL if rng.random() < 0.7 else csv.QUOTE_ALL
        simple = rng.random() < 0.5  # half the tables without quotes or line breaks in cells
        cells = pool[:4] + pool[9:11] if simple else pool
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
        writer.writerow([f"col{j}" for j in range(n_cols)])
        for _ in range(int(rng.integers(1, 30))):
            writer.writerow([f"{rng.integers(100)}"] + [str(rng.choice(cells)) for _ in range(n_cols - 1)])
            if rng.random() < 0.1:
                buffer.write(terminator)  # blank line
            if rng.random() < 0.05 and not simple:
                buffer.write(delimiter.join(["extra"] * (n_cols + 1)) + terminator)
        text = buffer.getvalue()
        if rng.random() < 0.3:
            text = text.rstrip("\r\n")
        fast, strict = _both(text.encode())
        try:
            _assert_same(fast, strict)
        except AssertionError:
            mismatches.append((case, text[:200]))
    assert not mismatches


@pytest.mark.parametrize("text", ["a,b\n1,2\r\n3,4\r5,6", "a,b\n1,x\x0cy\n2,p\u2028q\x1e\r\n\n", ""])
def test_lines_split_only_on_cr_and_lf(text: str) -> None:
    assert textparse._split_lines(text) == io.StringIO(text, newline="").readlines()


def test_form_feed_and_unicode_line_separator_stay_inside_cells() -> None:
    fast, strict = _both("id,note\n1,x\x0cy\n2,p\u2028q\n".encode())
    _assert_same(fast, strict)
    assert fast.frame["note"].tolist() == ["x\x0cy", "p\u2028q"] and fast.lines.tolist() == [2, 3]

from __future__ import annotations

import pytest

from core.errors import IngestError
from core.loading import read_table


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

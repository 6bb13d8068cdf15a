"""RELIABILITY.md bad-input families 1-12: each input gives a correct result or a bilingual IngestError."""

from __future__ import annotations

import gzip
import io
import zipfile

import pandas as pd
import pytest

from core.errors import IngestError
from core.ingest.dataset import load_dataset
from core.ingest.read import read_table
from core.ingest.sniffing import ReadLimits

GOOD = "user_id,item_id,title,rating\nu1,i1,Hiking boots,5\nu2,i2,Baby stroller,4\n"


def ingest(raw: bytes, name: str = "data.csv", **kwargs):
    return load_dataset(raw, filename=name, **kwargs)


def assert_bilingual(exc: IngestError, *words: str) -> None:
    assert exc.message_en != exc.message_zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message_zh)
    for word in words:
        assert word.lower() in exc.message_en.lower()


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, header=False, index=False)
    return buffer.getvalue()


# 1. Encodings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("用户ID,商品名称\nu1,登山鞋\nu2,婴儿车\n".encode("gbk"), "gb18030"),
        ("用户,标题\n1,苹果\n".encode("gbk"), "gb18030"),
        ("\ufeffuser_id,title\nu1,Café crème\n".encode(), "utf-8-sig"),
        ("\ufeffuser_id\ttitle\nu1\t帐篷\nu2\tboots\n".encode("utf-16-le"), "utf-16"),
    ],
    ids=["gbk", "short-gbk", "utf8-bom", "utf16le-tab"],
)
def test_encodings_are_detected(raw: bytes, encoding: str) -> None:
    data = ingest(raw)
    assert data.report.encoding == encoding
    assert data.report.rows_kept == data.report.rows_in
    assert not any("\ufffd" in t for t in data.items["text"])


# 2. Mostly UTF-8 with invalid bytes: those lines are rejected by number, nothing replaced silently.
def test_invalid_utf8_lines_are_named_and_rejected() -> None:
    raw = "user_id,title\nu1,Café\nu2,Crème brûlée\n".encode() + b"u3,bad \xe9 byte\n" + "u4,Naïve\n".encode()
    data = ingest(raw)
    report = data.report
    assert report.rows_rejected == {"invalid_encoding": 1}
    assert report.rejected_examples["invalid_encoding"] == [4]
    assert any("line" in w and "4" in w and "encoding" in w for w in report.warnings)
    assert report.rows_in == 4 and report.rows_kept == 3


# 3. Delimiters and decimal comma -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("user_id;title;price\nu1;Boots;3,50\nu2;Tent;12,00\n", ";"),
        ("user_id\ttitle\tprice\nu1\tBoots\t3.50\nu2\tTent\t12\n", "\t"),
        ("sep=;\nuser_id;title;price\nu1;Boots;3,50\nu2;Tent;12,00\n", ";"),
        ("user_id|title|price\nu1|Boots|3.5\nu2|Tent|12\n", "|"),
    ],
    ids=["semicolon", "tab", "excel-sep-line", "pipe"],
)
def test_delimiters(text: str, delimiter: str) -> None:
    data = ingest(text.encode())
    assert data.report.delimiter == delimiter
    assert list(data.events["price"]) == [3.5, 12.0]
    assert list(data.events["user_id"]) == ["u1", "u2"]


# 4. Empty inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "words"),
    [(b"", ("empty",)), (b"  \n\t\n ", ("empty",)), (b"user_id,title\n", ("no data rows",))],
    ids=["empty", "whitespace", "header-only"],
)
def test_empty_inputs(raw: bytes, words: tuple[str, ...]) -> None:
    with pytest.raises(IngestError) as info:
        ingest(raw)
    assert_bilingual(info.value, *words)


# 5. Columns --------------------------------------------------------------------------------------
def test_required_user_column_missing() -> None:
    with pytest.raises(IngestError) as info:
        ingest(b"title,price\nBoots,3\n")
    assert_bilingual(info.value, "user column", "--map user_id")


@pytest.mark.parametrize("header", [" User_ID ", "user\u200b_id", "用户ID", "ＵＳＥＲ＿ＩＤ"])
def test_header_variants_map_to_user_id(header: str) -> None:
    data = ingest(f"{header},title\n007,Boots\n".encode())
    assert list(data.events["user_id"]) == ["007"]


def test_duplicate_columns_after_normalisation_ask_for_a_choice() -> None:
    with pytest.raises(IngestError) as info:
        ingest(b"User_ID,user id,title\n1,2,Boots\n")
    assert_bilingual(info.value, "both look like user_id", "--map")
    data = ingest(b"User_ID,user id,title\n1,2,Boots\n", mapping_overrides={"user_id": "user id"})
    assert list(data.events["user_id"]) == ["2"]


# 6. Row structure --------------------------------------------------------------------------------
def test_extra_missing_fields_and_unterminated_quote_are_rejected_with_lines() -> None:
    text = 'user_id,title\nu1,Boots\nu2,Tent,EXTRA\nu3\nu4,"unterminated\nu5,Stove\nu6,"multi\nline"\n'
    data = ingest(text.encode())
    report = data.report
    assert report.rows_rejected == {"too_many_fields": 1, "too_few_fields": 1, "malformed_quotes": 1}
    assert report.rejected_examples["too_many_fields"] == [3]
    assert report.rejected_examples["too_few_fields"] == [4]
    assert report.rejected_examples["malformed_quotes"] == [5]
    assert list(data.events["user_id"]) == ["u1", "u5", "u6"]
    assert data.items.set_index("item_id").shape[0] == 3
    assert report.rows_in == report.rows_kept + sum(report.rows_rejected.values()) == 6
    assert set(data.rejected["line"]) == {3, 4, 5}


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"], ids=["crlf", "cr", "lf"])
def test_line_endings_and_quoted_newlines(newline: str) -> None:
    text = newline.join(["user_id,title", 'u1,"two', 'lines"', "u2,Tent", ""])
    data = ingest(text.encode())
    assert list(data.events["user_id"]) == ["u1", "u2"]
    assert list(data.events["source_row"]) == [2, 4]


# 7. Ratings --------------------------------------------------------------------------------------
def test_rating_variants() -> None:
    values = ["5", "4", "3", "2", "1", "4", "5", "3"] * 3 + ["five", "4星", "５", "N/A", "0", "6", "-1"]
    text = "user_id,title,rating\n" + "".join(f"u{i},Item {i},{v}\n" for i, v in enumerate(values))
    data = ingest(text.encode())
    ratings = dict(zip(data.events["user_id"], data.events["rating"], strict=True))
    n = len(values)
    assert ratings[f"u{n - 7}"] == 5.0 and ratings[f"u{n - 6}"] == 4.0 and ratings[f"u{n - 5}"] == 5.0
    assert pd.isna(ratings[f"u{n - 4}"])  # N/A: kept, no rating
    assert data.report.rows_rejected == {"bad_rating": 3}  # 0, 6, -1 outside the 1-5 scale
    assert any("rating scale inferred as 1-5" in w for w in data.report.warnings)  # whole stars


def test_half_star_ratings_have_a_half_star_scale() -> None:
    values = ["4.5", "0.5", "3", "5", "2.5", "4"] * 4
    text = "user_id,title,rating\n" + "".join(f"u{i},Item {i},{v}\n" for i, v in enumerate(values))
    data = ingest(text.encode())
    assert data.report.rows_rejected == {}
    assert any("rating scale inferred as 0.5-5" in w for w in data.report.warnings)


def test_rating_type_change_late_in_file() -> None:
    rows = [f"u{i},Item,{i % 5 + 1}\n" for i in range(30_000)] + ["u30000,Item,five\n", "u30001,Item,great\n"]
    data = ingest(("user_id,title,rating\n" + "".join(rows)).encode())
    assert data.events["rating"].iloc[-1] == 5.0
    assert data.report.rows_rejected == {"bad_rating": 1}
    assert data.report.rejected_examples["bad_rating"] == [30_003]


# 8. Timestamps -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-04T12:00:00", "2024-01-04 12:00:00"),
        ("2024/01/04 12:00", "2024-01-04 12:00:00"),
        ("2024年1月5日", "2024-01-05 00:00:00"),
        ("1704369600", "2024-01-04 12:00:00"),
        ("1704369600000", "2024-01-04 12:00:00"),
        ("2024-01-04T12:00:00+08:00", "2024-01-04 04:00:00"),
    ],
)
def test_timestamp_formats(value: str, expected: str) -> None:
    data = ingest(f"user_id,title,time\nu1,Boots,{value}\nu2,Tent,2024-01-01 00:00:00\n".encode())
    assert str(data.events["timestamp"].iloc[0]) == expected


def test_bad_ambiguous_and_empty_timestamps_have_reasons() -> None:
    text = "user_id,title,time\nu1,A,01/02/2024\nu2,B,2024-02-30\nu3,C,\nu4,D,03/04/2024\nu5,E,2024-01-01T10:00:00Z\n"
    data = ingest(text.encode())
    assert data.report.rows_rejected == {"bad_timestamp": 1}
    assert data.report.rejected_examples["bad_timestamp"] == [3]
    times = dict(zip(data.events["user_id"], data.events["timestamp"], strict=True))
    assert str(times["u1"]) == "2024-01-02 00:00:00"  # month/day assumed and reported
    assert pd.isna(times["u3"])
    warnings = " ".join(data.report.warnings)
    assert "ambiguous" in warnings and "no timestamp" in warnings and "2024-02-30" in warnings


def test_unreadable_time_column_is_unmapped_not_bulk_nat() -> None:
    data = ingest(b"user_id,title,date\nu1,A,soon\nu2,B,later\nu3,C,never\n")
    assert data.report.rows_kept == 3 and "timestamp" not in data.report.mapping
    assert any("could not be read as timestamp" in w for w in data.report.warnings)


# 9. IDs stay exact strings -----------------------------------------------------------------------
def test_ids_are_exact_strings() -> None:
    ids = ["007", "12345678901234567890", "NA", "null", "None"]
    text = "user_id,item_id,title\n" + "".join(f"{v},{v},Item {v}\n" for v in ids)
    data = ingest(text.encode())
    assert list(data.events["user_id"]) == ids
    assert list(data.events["item_id"]) == ids


# 10. Cells ---------------------------------------------------------------------------------------
def test_huge_cell_is_rejected_with_the_limit_named() -> None:
    text = "user_id,title\nu1," + "x" * 5_000_000 + "\nu2,Tent\n"
    data = ingest(text.encode())
    assert data.report.rows_rejected == {"cell_too_large": 1}
    assert list(data.events["user_id"]) == ["u2"]


def test_control_chars_emoji_empty_reviews_and_duplicates() -> None:
    text = "user_id,title,review\nu1,Bo\x00ots\x07,😀😀\nu2,Tent,\nu2,Tent,\nu3,,\n"
    data = ingest(text.encode())
    assert data.report.rows_rejected == {"duplicate": 1, "missing_text": 1}
    assert set(data.items["text"]) == {"Boots", "Tent"}
    assert data.events["review"].iloc[0] == "😀😀"


# 11. Limits --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "limits", "words"),
    [
        (GOOD.encode(), ReadLimits(max_upload_bytes=10), ("upload limit",)),
        (GOOD.encode(), ReadLimits(max_rows=1), ("row limit",)),
        (
            (",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n").encode(),
            None,
            ("2,000-column limit",),
        ),
    ],
    ids=["upload-size", "rows", "columns"],
)
def test_limits_are_named(raw: bytes, limits: ReadLimits | None, words: tuple[str, ...]) -> None:
    with pytest.raises(IngestError) as info:
        read_table(raw, "data.csv", limits=limits)
    assert_bilingual(info.value, *words)


# 12. Not-a-table and workbooks -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (bytes(range(256)) * 40, ("binary",)),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ("image",)),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, (".xls", "xlsx")),
    ],
    ids=["garbage", "png", "legacy-xls"],
)
def test_not_a_table(raw: bytes, words: tuple[str, ...]) -> None:
    with pytest.raises(IngestError) as info:
        ingest(raw)
    assert_bilingual(info.value, *words)


def test_xlsx_renamed_csv_is_read_as_excel() -> None:
    raw = _xlsx({"Sheet1": [["user_id", "title"], ["007", "Boots"]]})
    data = ingest(raw, "data.csv")
    assert data.report.file_format == "xlsx" and list(data.events["user_id"]) == ["007"]
    assert any("Excel workbook despite its name" in w for w in data.report.warnings)


def test_multi_sheet_workbook_and_header_not_on_row_one() -> None:
    raw = _xlsx(
        {
            "Empty": [[None]],
            "Data": [["Sales export"], [None], ["user_id", "title"], ["u1", "Boots"], ["u2", "Tent"]],
            "Other": [["user_id", "title"], ["x", "y"]],
        }
    )
    data = ingest(raw, "book.xlsx")
    assert data.report.sheet == "Data" and data.report.header_row == 3
    assert list(data.events["source_row"]) == [4, 5]
    assert ingest(raw, "book.xlsx", sheet="Other").events["user_id"].tolist() == ["x"]
    with pytest.raises(IngestError) as info:
        ingest(raw, "book.xlsx", sheet="Nope")
    assert_bilingual(info.value, "no sheet")


def test_csv_header_not_on_first_line() -> None:
    data = ingest(b"Export of 2024-01-05\n\nuser_id,title\nu1,Boots\n")
    assert data.report.header_row == 3 and list(data.events["source_row"]) == [4]


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_xlsx_zip_bomb_is_refused_before_parsing() -> None:
    raw = _xlsx({"Sheet1": [["user_id", "title"], ["u1", "Boots"]]})
    parts = {
        i.filename: zipfile.ZipFile(io.BytesIO(raw)).read(i)
        for i in zipfile.ZipFile(io.BytesIO(raw)).infolist()
    }
    parts["xl/media/padding.xml"] = b"<a>" + b" " * 50_000_000 + b"</a>"
    with pytest.raises(IngestError) as info:
        ingest(_zip(parts), "bomb.xlsx")
    assert_bilingual(info.value, "unpacks to", "limits")


def test_xlsx_entity_bomb_is_refused() -> None:
    raw = _xlsx({"Sheet1": [["user_id", "title"], ["u1", "Boots"]]})
    archive = zipfile.ZipFile(io.BytesIO(raw))
    parts = {i.filename: archive.read(i) for i in archive.infolist()}
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    parts["xl/sharedStrings.xml"] = lol + parts.get("xl/sharedStrings.xml", b"<sst/>").split(b"?>", 1)[-1]
    with pytest.raises(IngestError) as info:
        ingest(_zip(parts), "entities.xlsx")
    assert_bilingual(info.value, "entities")


def test_compressed_csv() -> None:
    assert ingest(gzip.compress(GOOD.encode()), "data.csv.gz").report.compression == "gzip"
    assert ingest(_zip({"data.csv": GOOD.encode()}), "data.zip").report.compression == "zip"


def test_parquet() -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"user_id": ["007", "u2"], "title": ["Boots", "Tent"], "rating": [5.0, 4.0]}).to_parquet(
        buffer
    )
    data = ingest(buffer.getvalue(), "data.parquet")
    assert data.report.file_format == "parquet" and list(data.events["user_id"]) == ["007", "u2"]
    assert list(data.events["rating"]) == [5.0, 4.0]


# 16. Hardening (issue 16): out-of-range values, truncated archives, streaming limits, odd paths ------
def test_dates_outside_the_pandas_range_are_rejected_per_row() -> None:
    times = ["9999-12-31", "0001-01-01", "2300-01-01 10:00", "99999999999", "9999999999999", "2024-01-04"]
    text = "user_id,title,time\n" + "".join(f"u{i},Item {i},{t}\n" for i, t in enumerate(times))
    data = ingest(text.encode())
    assert data.report.rows_rejected == {"timestamp_out_of_range": 5}
    assert data.report.rejected_examples["timestamp_out_of_range"] == [2, 3, 4, 5, 6]
    assert (
        list(data.events["user_id"]) == ["u5"]
        and str(data.events["timestamp"].iat[0]) == "2024-01-04 00:00:00"
    )
    assert any("outside the supported range" in w for w in data.report.warnings)


def test_parquet_dates_in_year_9999_are_rejected_per_row() -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "user_id": ["u1", "u2", "u3"],
            "title": ["A", "B", "C"],
            "day": pa.array([dt.date(9999, 12, 31), dt.date(2024, 1, 1), dt.date(1, 1, 1)], pa.date32()),
            "ts": pa.array([3 * 10**15, 1_704_067_200_000, 1_704_067_200_000], pa.timestamp("ms")),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    for column, kept in (("day", ["u2"]), ("ts", ["u2", "u3"])):
        data = ingest(buffer.getvalue(), "data.parquet", mapping_overrides={"timestamp": column})
        assert list(data.events["user_id"]) == kept
        assert data.report.rows_rejected == {"timestamp_out_of_range": 3 - len(kept)}


def test_non_finite_numbers_are_rejected_per_row() -> None:
    text = (
        "user_id,title,price,quantity,rating\n"
        "u1,A,inf,1,5\nu2,B,1e400,2,4\nu3,C,3,-inf,4\nu4,D,2,1,Infinity\nu5,E,2,1,3\nu6,F,-nan,1,3\nu7,G,nan,1,3\n"
    )
    data = ingest(text.encode())
    assert data.report.rows_rejected == {
        "non_finite_price": 3,
        "non_finite_quantity": 1,
        "non_finite_rating": 1,
    }
    assert list(data.events["user_id"]) == ["u5", "u7"]  # a bare `nan` is a null token: kept, no price
    assert data.events["price"].isna().tolist() == [False, True]


def _csv(n: int) -> bytes:
    return ("user_id,title\n" + "".join(f"u{i},Item {i}\n" for i in range(n))).encode()


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"user_id": [f"u{i}" for i in range(500)], "title": ["Boots"] * 500}).to_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "name", "words"),
    [
        (gzip.compress(_csv(3000))[:-900], "data.csv.gz", ("gzip", "truncated")),
        (gzip.compress(_csv(3000))[:-4], "data.csv.gz", ("gzip",)),  # trailer cut: size check fails
        (_zip({"data.csv": _csv(3000)})[:-200], "data.zip", ("truncated",)),
        (_parquet_bytes()[:-100], "data.parquet", ("parquet", "truncated")),
    ],
    ids=["gzip-body", "gzip-trailer", "zip", "parquet"],
)
def test_truncated_archives_are_reported_never_read_as_complete(
    raw: bytes, name: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(IngestError) as info:
        ingest(raw, name)
    assert_bilingual(info.value, *words)


def test_zip_member_with_a_bad_crc_is_reported_as_damaged() -> None:
    raw = bytearray(_zip({"data.csv": _csv(50)}, zipfile.ZIP_STORED))
    at = raw.index(b"u10,Item")
    raw[at : at + 3] = b"X10"
    with pytest.raises(IngestError) as info:
        ingest(bytes(raw), "data.zip")
    assert_bilingual(info.value, "truncated or damaged")


@pytest.mark.parametrize(
    ("raw", "limits", "words"),
    [
        (
            gzip.compress(b"user_id,title\n" + b"a,b\n" * 200_000),
            ReadLimits(max_lines=100_000),
            ("100,000 lines",),
        ),
        (b"user_id,title\n" + b"a,b\n" * 200_000, ReadLimits(max_lines=100_000), ("100,000 lines",)),
        (
            gzip.compress(b"user_id,title\n" + b"a,b\n" * 1_000_000),
            ReadLimits(min_decompressed_allowance=1_000_000),
            ("unpacks to more than", "100x"),
        ),
        (
            _zip({"data.csv": b"user_id,title\n" + b"a,b\n" * 1_000_000}),
            ReadLimits(min_decompressed_allowance=1_000_000),
            ("over the", "limit"),
        ),
    ],
    ids=["gzip-lines", "plain-lines", "gzip-ratio", "zip-ratio"],
)
def test_limits_are_counted_while_unpacking(raw: bytes, limits: ReadLimits, words: tuple[str, ...]) -> None:
    with pytest.raises(IngestError) as info:
        read_table(raw, "data.csv", limits=limits)
    assert_bilingual(info.value, *words)


def test_devices_fifos_and_folders_are_refused_before_reading(tmp_path) -> None:
    import os

    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)  # opening it for reading would block forever without O_NONBLOCK
    for path, words in (
        ("/dev/zero", ("not a regular file",)),
        (fifo, ("not a regular file",)),
        (tmp_path, ("folder",)),
    ):
        with pytest.raises(IngestError) as info:
            load_dataset(path)
        assert_bilingual(info.value, *words)


def test_a_symlink_to_a_file_that_is_no_table_never_echoes_its_content(tmp_path) -> None:
    secret = "root:x:0:0:root:/root:/bin/bash"
    lines = [f"{secret}{i}" for i in range(20)] + ["svc:x:101:104:Service daemon,,,:/var/lib/svc:/bin/sh"] * 2
    (tmp_path / "passwd").write_text("\n".join(lines) + "\n")
    (tmp_path / "one-column").write_text("\n".join(lines[:20]) + "\n")
    for target in ("passwd", "one-column"):
        link = tmp_path / f"{target}.csv"
        link.symlink_to(tmp_path / target)
        with pytest.raises(IngestError) as info:
            load_dataset(link)
        assert "root:x" not in info.value.bilingual() and "svc:x" not in info.value.bilingual()
        assert_bilingual(info.value, "user column")


def test_a_quote_cannot_be_the_delimiter() -> None:
    with pytest.raises(IngestError) as info:
        ingest(GOOD.encode(), delimiter='"')
    assert_bilingual(info.value, "cannot be a double quote")


def test_ids_differing_only_by_whitespace_are_kept_apart_with_a_warning() -> None:
    data = ingest("user_id,item_id,title\nu1,i1,A\n u1,i1 ,B\nu1\u00a0,i1,C\n   ,i2,D\n".encode())
    assert list(data.events["user_id"]) == ["u1", " u1", "u1\u00a0"]
    assert list(data.events["item_id"]) == ["i1", "i1 ", "i1"]
    assert data.report.rows_rejected == {"missing_user": 1} and data.report.n_users == 3
    warnings = [w for w in data.report.warnings if "only by spaces" in w]
    assert len(warnings) == 2 and "' u1'" in warnings[0] and "'u1\\xa0'" in warnings[0]


def test_a_header_repeated_mid_file_is_rejected_with_its_own_reason() -> None:
    data = ingest(b"user_id,title\nu1,Boots\nuser_id,title\nu2,Tent\n user_id , title \n")
    assert data.report.rows_rejected == {"repeated_header": 2}
    assert data.report.rejected_examples["repeated_header"] == [3, 5]
    assert list(data.events["user_id"]) == ["u1", "u2"] and data.report.reconciled


def test_a_header_repeated_in_a_workbook_is_rejected() -> None:
    raw = _xlsx({"Data": [["user_id", "title"], ["u1", "Boots"], ["user_id", "title"], ["u2", "Tent"]]})
    data = ingest(raw, "book.xlsx")
    assert data.report.rows_rejected == {"repeated_header": 1} and list(data.events["user_id"]) == [
        "u1",
        "u2",
    ]


def test_user_columns_named_like_internal_ones_are_kept_as_attributes() -> None:
    data = ingest(b"user_id,title,source_row,attr_source_row,_uidx\nu1,A,x,y,z\nu2,B,x2,y2,z2\n")
    events = data.events
    assert list(events["source_row"]) == [2, 3]  # the pipeline's own line numbers
    assert list(events["attr_source_row"]) == ["y", "y2"]  # the user's column of that name, untouched
    assert list(events["attr_source_row (2)"]) == ["x", "x2"]
    assert list(events["attr__uidx"]) == ["z", "z2"] and "_uidx" not in events.columns
    assert sum("used by Interest Lens itself" in w for w in data.report.warnings) == 2


def test_items_table_ids_are_exact_too() -> None:
    items = b"item_id,title\ni1,Boots\n i1,Other\n"
    data = ingest(b"user_id,item_id\nu1,i1\nu2, i1\n", items=items, items_filename="items.csv")
    texts = dict(zip(data.items["item_id"], data.items["text"], strict=True))
    assert texts == {"i1": "Boots", " i1": "Other"}


def test_hidden_sheets_are_skipped_unless_named() -> None:
    from tests.fuzz.hostile import hidden_first_sheet

    raw = hidden_first_sheet()  # sheet "Old" (hidden, first) and "Data"
    data = ingest(raw, "book.xlsx")
    assert data.report.sheet == "Data" and list(data.events["user_id"]) == ["u1", "u2"]
    assert any("Skipped hidden sheet(s) Old" in w for w in data.report.warnings)
    assert list(ingest(raw, "book.xlsx", sheet="Old").events["user_id"]) == ["h1"]


def test_formulas_without_saved_values_are_explained() -> None:
    import openpyxl

    def book(rows: list[list[str]]) -> bytes:
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    with pytest.raises(IngestError) as info:
        ingest(book([['="user_id"', '="title"'], ['="u"&1', '=UPPER("boots")']]), "f.xlsx")
    assert_bilingual(info.value, "formulas saved without their computed values", "save it", "csv")
    with pytest.raises(IngestError) as info:
        ingest(book([["user_id", "title"], ['="u"&1', '=UPPER("boots")']]), "f.xlsx")
    assert_bilingual(info.value, "formulas")
    data = ingest(book([["user_id", "title"], ['="u"&1', "=A2"], ["u2", "Tent"]]), "f.xlsx")
    assert list(data.events["user_id"]) == ["u2"]
    assert any("2 cells are formulas saved without their values" in w for w in data.report.warnings)

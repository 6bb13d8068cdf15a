"""`has_header=False`: the first row is data and the columns are named by position, "1", "2", ..."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pytest

from core.ingest.dataset import load_dataset
from core.ingest.read import read_table

UDATA = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="data", header=False, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (UDATA.encode(), "u.data"),
        (gzip.compress(UDATA.encode()), "u.data.gz"),
        (_xlsx([[196, 242, 3, 881250949], [186, 302, 3, 891717742], [22, 377, 1, 878887116]]), "u.xlsx"),
    ],
)
def test_first_row_is_data_and_columns_are_numbered(raw: bytes, name: str) -> None:
    table = read_table(raw, name, has_header=False)
    assert list(table.frame.columns) == ["1", "2", "3", "4"]
    assert table.frame["1"].tolist() == ["196", "186", "22"] and table.rows_in == 3
    assert table.lines.tolist() == [1, 2, 3] and table.header_row == 0


def test_default_still_reads_the_first_row_as_header() -> None:
    table = read_table(UDATA.encode(), "u.data")
    assert list(table.frame.columns) == ["196", "242", "3", "881250949"] and table.rows_in == 2


def test_a_row_of_another_width_is_rejected_with_its_line() -> None:
    table = read_table((UDATA + "5\t6\n").encode(), "u.data", has_header=False)
    assert table.rows_in == 4 and table.rejects["line"].tolist() == [4]


def test_headerless_events_and_items_map_by_position() -> None:
    items = b"242|Kolya (1996)|Comedy\n302|L.A. Confidential (1997)|Crime\n377|Heavyweights (1994)|Comedy\n"
    dataset = load_dataset(UDATA.encode(), filename="u.data", has_header=False,
                           mapping_overrides={"user_id": "1", "item_id": "2", "rating": "3", "timestamp": "4"},
                           items=items, items_filename="u.item", items_has_header=False, items_delimiter="|",
                           items_mapping_overrides={"item_id": "1", "text": ["2", "3"]})  # fmt: skip
    assert dataset.items.set_index("item_id").loc["242", "text"] == "Kolya (1996). Comedy"
    assert dataset.events["user_id"].tolist() == ["196", "186", "22"]
    assert dataset.events["rating"].tolist() == [3.0, 3.0, 1.0]
    assert dataset.events["timestamp"].iat[0] == pd.Timestamp(881250949, unit="s")

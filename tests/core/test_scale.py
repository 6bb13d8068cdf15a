"""Large-run paths (issue 14): column-wise members CSV, capped Excel members, majority label."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core.export.fast import csv_bytes, neutralise_strings, top_members_sheets, write_csv
from core.export.tables import frame_csv_bytes, neutralise, neutralise_frame
from core.segment.clustering import majority_label

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    " \u3000=cmd|' /C calc'!A0",
    "\tleading tab",
    "\r\n=2",
    "\uff1d1+1",
    "{ =1}",
    "{a}",
    "plain",
    "",
    "007",
    'a,b"c',
    "多字节",
]


def test_vectorised_neutralisation_matches_the_cell_by_cell_one():
    got = neutralise_strings(pd.Series(HOSTILE, dtype="str"), neutralise).to_pylist()
    assert got == [neutralise(v) for v in HOSTILE]
    assert got[0].startswith("'=") and got[10] == "plain"


def test_fast_members_csv_reads_back_as_the_slow_one():
    n = len(HOSTILE)
    frame = pd.DataFrame(
        {
            "user_id": pd.array(HOSTILE, dtype="str"),
            "segment_id": np.arange(n) % 3,
            "segment_name": pd.array(["=evil()"] * n, dtype="str"),
            "confidence": np.linspace(0, 1, n).round(4),
            "rec_1": pd.array(["@x"] * n, dtype="str"),
        }
    )
    fast = csv_bytes(frame, neutralise)
    assert fast.startswith("\ufeff".encode()) and b"\r\n" in fast
    read = dict(keep_default_na=False, dtype={"user_id": str, "segment_name": str, "rec_1": str})
    got = pd.read_csv(io.BytesIO(fast), encoding="utf-8-sig", **read)
    want = neutralise_frame(frame)
    assert got["user_id"].tolist() == want["user_id"].tolist()
    assert set(got["segment_name"]) == {"'=evil()"} and set(got["rec_1"]) == {"'@x"}
    assert got["confidence"].tolist() == frame["confidence"].tolist()
    assert frame_csv_bytes(frame).count(b"\r\n") == fast.count(b"\r\n")  # same rows as the pandas writer


def test_object_columns_and_the_file_writer_give_the_same_cells(tmp_path):
    """Object columns (the recommendation columns build_view makes) take Arrow's path without a
    Python string per cell; mixed cells (None, NaN, numbers) still read as pandas' text."""
    mixed = np.array([*HOSTILE, None, float("nan"), 7, 2.5], dtype=object)
    as_text = pd.Series(mixed).astype("str").to_numpy(dtype=object, na_value="")
    assert neutralise_strings(pd.Series(mixed), neutralise).to_pylist() == [
        neutralise(str(v)) for v in as_text
    ]
    strings = np.array([*HOSTILE, None], dtype=object)
    assert neutralise_strings(pd.Series(strings), neutralise).to_pylist() == [
        neutralise(v) for v in [*HOSTILE, ""]
    ]
    frame = pd.DataFrame(
        {"user_id": pd.array(HOSTILE, dtype="str"), "rec_1": np.array(HOSTILE, dtype=object)}
    )
    assert write_csv(frame, tmp_path / "m.csv", neutralise).read_bytes() == csv_bytes(frame, neutralise)


class _View:
    def __init__(self, members, recommendations):
        self.members, self.recommendations = members, recommendations


def test_excel_top_members_are_capped_per_segment_and_say_so():
    n = 1000
    members = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "segment_id": np.arange(n) % 2,
            "segment_name": ["A", "B"] * (n // 2),
            "confidence": np.arange(n) / n,
        }
    )
    recs = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "rank": 1, "item": "x"})
    sheets, shown_recs = top_members_sheets(_View(members, recs), cap=10)
    assert list(sheets) == ["Segment 0", "Segment 1"]
    top = sheets["Segment 1"]
    assert "Top 10 of 500 members" in str(top.iloc[0, 0]) and len(top) == 11
    assert top["user_id"].iloc[1] == "u999"  # most confident first
    assert len(shown_recs) == 20


def test_majority_label_matches_pandas_mode():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 200, 3000).astype(str)
    labels = rng.choice(["b", "a", "c", ""], 3000)
    order = np.unique(np.r_[users, ["nobody"]])
    frame = pd.DataFrame({"user_id": users, "label": labels})
    want = (
        frame.groupby("user_id")["label"].agg(lambda s: s.mode().iat[0]).reindex(order).fillna("").to_numpy()
    )
    assert (majority_label(users, labels, order) == want).all()


def test_fast_member_recommendations_match_the_recommender():
    from core.recommend.fast_members import segment_popular_top
    from core.recommend.registry import RECOMMENDERS

    rng = np.random.default_rng(1)
    n_users, n_items = 300, 40
    events = pd.DataFrame(
        {
            "user_id": pd.array([f"u{i}" for i in rng.integers(0, n_users, 3000)], dtype="str"),
            "item_id": pd.array([f"i{i}" for i in rng.integers(0, n_items, 3000)], dtype="str"),
            "event_type": "view",
        }
    )
    events["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, 3000), unit="D")
    users = np.array(sorted(events["user_id"].unique()), dtype=object)
    item_ids = np.array([f"i{i}" for i in range(n_items)], dtype=object)

    class Seg:
        labels = rng.integers(0, 3, len(users))

    class Prof:
        user_ids = users

    model = RECOMMENDERS["segment_popular"]().fit(
        events,
        item_ids=item_ids,
        item_vectors=rng.normal(size=(n_items, 4)).astype(np.float32),
        profiles=Prof(),
        segmentation=Seg(),
        segment_names=["a", "b", "c"],
        item_texts=list(item_ids),
    )
    want = model.recommend(np.r_[users, ["stranger"]], n=5, with_reasons=False).item_ids
    got = segment_popular_top(model, np.r_[users, ["stranger"]], 5)
    assert (got != "").all() and (got == want).mean() > 0.95
    # Where they differ, only the order among exactly tied scores does: same scores, rank by rank.
    index = {item: j for j, item in enumerate(item_ids)}
    rows = list(model.interactions_.user_ids).index
    for u, (a, b) in enumerate(zip(got, want, strict=True)):
        k = model.segment_of_user_[rows(users[u])] if u < len(users) else -1
        score = model.segment_scores_[k] if k >= 0 else model.global_scores_
        assert np.allclose([score[index[i]] for i in a], [score[index[i]] for i in b])


def test_local_files_get_a_memory_budget_not_the_upload_row_limit():
    from core.ingest.budget import local_file_limits
    from core.ingest.sniffing import ReadLimits

    base = ReadLimits()
    big = local_file_limits(memory=24 * 2**30)
    assert big.max_rows > 10_000_000 > base.max_rows and big.max_lines >= big.max_rows
    assert local_file_limits(memory=0) == base  # never below what an upload may hold


def test_parquet_columns_in_arrow_read_as_the_per_cell_text():
    import datetime as dt

    import pyarrow as pa

    from core.ingest.columnar import arrow_text
    from core.ingest.rawtable import cell_to_str

    columns = {
        "s": pa.array(["a", None, "007", " =x "]),
        "i": pa.array([1, None, -3, 2**40]),
        "b": pa.array([True, False, None, True]),
        "ts": pa.array(
            [dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(1999, 12, 31), dt.datetime(2000, 1, 1)]
        ),
        "d": pa.array(["x", "y", None, "x"]).dictionary_encode(),
    }
    for name, column in columns.items():
        got = arrow_text(pa.chunked_array([column]))
        assert list(got) == [cell_to_str(v) for v in column.to_pylist()], name
    fraction = pa.chunked_array([pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 123)])])
    assert arrow_text(fraction) is None and arrow_text(pa.chunked_array([pa.array([0.5])])) is None

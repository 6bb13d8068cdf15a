"""Segment trends: sizes per period add up to the period's active users; planted growth shows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.activate.trends import UNASSIGNED, Trends, choose_granularity, segment_trends
from core.config import AnalysisConfig
from core.errors import ConfigError
from core.ingest.dataset import load_dataset
from core.pipeline import run_analysis
from tests.core.serve_fixtures import HashEmbedder

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"


def _analyse(path: Path):
    config = AnalysisConfig(model="hash-words", k=5, seed=7, projection="pca")
    return run_analysis(load_dataset(path), config, embedder=HashEmbedder())


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    """The sample plus 150 clones of gaming users whose events all fall in the last three weeks."""
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(events["timestamp"])
    gaming = sorted(events.loc[events["label"] == "gaming", "user_id"].unique())[:150]
    clones = events[events["user_id"].isin(gaming)].copy()
    clones["user_id"] = "new-" + clones["user_id"]
    end = stamps.max()
    offset = pd.to_timedelta(pd.Series(range(len(clones))) % 20, unit="D")
    clones["timestamp"] = (end - offset).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    path = tmp_path_factory.mktemp("trends") / "planted.csv"
    pd.concat([events, clones]).to_csv(path, index=False)
    analysis = _analyse(path)
    return analysis, segment_trends(analysis)


def test_sizes_add_up_to_active_users(planted) -> None:
    analysis, trends = planted
    events = analysis.dataset.events
    period = pd.to_datetime(events["timestamp"]).dt.to_period("W-SUN").astype(str)
    truth = events.groupby(period)["user_id"].nunique()
    assert trends.granularity == "week"  # the sample spans about 18 weeks
    assert len(trends.periods) >= 15
    totals = trends.sizes.groupby("period", sort=False)["users"].sum()
    assert totals.to_dict() == truth.to_dict()
    assert trends.active_users.to_dict() == truth.to_dict()
    assert (trends.sizes["segment_id"] != UNASSIGNED).all()  # every sample user has a profile


def test_planted_segment_grows(planted) -> None:
    analysis, trends = planted
    members = analysis.members()
    labels = analysis.dataset.events.drop_duplicates("user_id").set_index("user_id")["label"]
    members["label"] = members["user_id"].map(labels)
    gaming = int(members[members["label"] == "gaming"]["segment_id"].mode()[0])
    shares = trends.sizes[trends.sizes["segment_id"] == gaming].set_index("period")["share"]
    first, last = shares.iloc[0], shares.iloc[-1]
    others = trends.sizes[trends.sizes["segment_id"] != gaming].groupby("segment_id")["share"]
    assert last > first + 0.2, (first, last)
    assert (others.last() < others.first()).all()  # the rest lose share to it
    row = trends.keywords.set_index("segment_id").loc[gaming]
    assert row["first_keywords"] and row["last_keywords"]
    assert len(trends.keywords) == len(analysis.segments)


def test_month_granularity_for_long_spans() -> None:
    short = pd.Series(pd.to_datetime(["2024-01-01", "2024-05-01"]))
    long = pd.Series(pd.to_datetime(["2023-01-01", "2024-05-01"]))
    assert choose_granularity(short) == "week"
    assert choose_granularity(long) == "month"


def test_no_timestamps_is_a_clear_error(tmp_path: Path) -> None:
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).drop(columns=["timestamp"])
    path = tmp_path / "no_time.csv"
    events[events["user_id"] < "U0200"].to_csv(path, index=False)
    with pytest.raises(ConfigError) as info:
        segment_trends(_analyse(path))
    assert "timestamps" in str(info.value) and "时间戳" in info.value.message_zh


def _hostile_trends(analysis) -> Trends:
    """Trends of the hostile factory analysis, by hand: payload keywords, a phone number, the tiny segment."""
    from tests.core.analysis_factory import FORMULA_PAYLOADS, TINY_KEYWORD

    periods = ["2024-01", "2024-02"]
    rows = [
        {"period": p, "period_start": f"{p}-01", "period_end": f"{p}-28", "segment_id": s,
         "segment_name": analysis.segment_names[s], "users": 5 + s, "share": 0.0}
        for p in periods for s in range(4)
    ]  # fmt: skip
    keywords = pd.DataFrame(
        {
            "segment_id": range(4),
            "segment_name": [analysis.segment_names[s] for s in range(4)],
            "first_keywords": [FORMULA_PAYLOADS[0], "call 13912345678", "茶", TINY_KEYWORD],
            "last_keywords": ["x", "y", "茶; 咖啡", TINY_KEYWORD],
            "gained": ["x", "y", "咖啡", ""],
            "lost": [FORMULA_PAYLOADS[0], "call 13912345678", "", ""],
        }
    )
    active = pd.Series({p: sum(5 + s for s in range(4)) for p in periods})
    return Trends("month", pd.DataFrame(rows), active, keywords)


def test_excel_trends_sheet_keeps_the_guards() -> None:
    import io

    import openpyxl

    from core.export.tables import excel_bytes
    from core.export.writer import build_view
    from tests.core.analysis_factory import TINY_KEYWORD, TINY_NAME, make_analysis

    analysis = make_analysis()
    book = openpyxl.load_workbook(
        io.BytesIO(excel_bytes(build_view(analysis, trends=_hostile_trends(analysis))))
    )
    assert "Trends" in book.sheetnames
    sheet = book["Trends"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    sizes = [r for r in rows if r["users"] is not None]
    assert {r["segment_id"] for r in sizes} == {0, 1, 2, -1}  # the tiny segment (3) is inside Other
    assert sum(r["users"] for r in sizes if r["period"] == "2024-01") == 26  # still adds up
    blob = "\n".join(str(v) for r in rows for v in r.values() if v is not None)
    assert TINY_NAME not in blob and TINY_KEYWORD not in blob
    assert "13912345678" not in blob and "[phone]" in blob  # PII scrub on by default
    for r in rows:
        for value in r.values():
            if isinstance(value, str):
                assert not value.startswith(("=", "+", "@", "\t", "\r")), value


def test_analyze_writes_a_trends_sheet(tmp_path: Path) -> None:
    import openpyxl

    from core.cli import main

    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    path = tmp_path / "slice.csv"
    events[events["user_id"] < "U0300"].to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["--model", "tfidf", "--projection", "pca", "--k", "4", "--min-segment-size", "0"]
    assert main(["analyze", str(path), *args, "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert "Trends" in book.sheetnames
    header = [c.value for c in next(book["Trends"].iter_rows(max_row=1))]
    assert header[:3] == ["granularity", "period", "period_start"]


def test_report_skips_trends_above_the_event_cap(planted) -> None:
    from core.activate.trends import try_trends

    analysis, _ = planted
    assert try_trends(analysis, max_events=len(analysis.dataset.events) - 1) is None
    assert try_trends(analysis) is not None


# --- h14-export: the one-pass walk gives the segments of one build_profiles per period -----------
def _reference_sizes(analysis) -> pd.DataFrame:
    """The former algorithm, kept as the reference: per period, build_profiles over the active
    users' events up to the period's end, then nearest centroid. (period, segment_id) -> users."""
    from core.embed.profiles import build_profiles
    from core.segment.clustering import assign

    events = analysis.dataset.events
    stamps = pd.to_datetime(events["timestamp"], errors="coerce")
    timed = events.loc[stamps.notna()].assign(_ts=stamps[stamps.notna()])
    freq = "W-SUN" if choose_granularity(timed["_ts"]) == "week" else "M"
    timed = timed.assign(_period=timed["_ts"].dt.to_period(freq))
    config = analysis.config
    rows = []
    for period in sorted(timed["_period"].unique()):
        users = timed.loc[timed["_period"] == period, "user_id"].astype(str).unique()
        history = timed[(timed["_ts"] <= period.end_time) & timed["user_id"].astype(str).isin(users)]
        profiles = build_profiles(
            history, analysis.item_ids, analysis.item_vectors, weights=config.weights,
            half_life_days=config.half_life_days, use_ratings=config.use_ratings,
            reference_time=period.end_time,
        )  # fmt: skip
        labels = assign(profiles.vectors, analysis.segmentation)[0] if len(profiles) else []
        counts = pd.Series(labels, dtype="int64").value_counts()
        for segment_id, n in counts.items():
            rows.append((str(period), int(segment_id), int(n)))
        if len(users) > len(profiles):
            rows.append((str(period), UNASSIGNED, len(users) - len(profiles)))
    return pd.DataFrame(rows, columns=["period", "segment_id", "users"]).set_index(["period", "segment_id"])


def _walk_sizes(trends: Trends) -> pd.DataFrame:
    sizes = trends.sizes[trends.sizes["users"] > 0]
    return sizes[["period", "segment_id", "users"]].set_index(["period", "segment_id"])


def _same_sizes(analysis) -> None:
    expected = _reference_sizes(analysis).sort_index()
    got = _walk_sizes(segment_trends(analysis)).sort_index()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_one_pass_matches_a_profile_build_per_period(planted) -> None:
    analysis, _ = planted
    _same_sizes(analysis)


def test_one_pass_matches_with_ratings_fallback_and_zero_weights(planted) -> None:
    """The cases build_profiles treats specially: users with only low ratings (the unsigned
    fallback), likes and dislikes, an event type weighted 0 (users left unassigned), ratings on a
    1-10 scale from the middle of the span on (the scale of early periods differs), no decay."""
    from dataclasses import replace

    analysis, _ = planted
    events = analysis.dataset.events.copy()
    users = events["user_id"].astype(str)
    stamps = pd.to_datetime(events["timestamp"])
    codes = pd.factorize(users, sort=True)[0]
    rating = pd.Series(float("nan"), index=events.index)
    rating[codes % 7 == 1] = 1.0  # only low ratings: every weight negative -> engagement fallback
    rating[(codes % 7 == 2) & (events.index.to_series() % 2 == 0)] = 5.0  # likes and dislikes
    rating[(codes % 7 == 2) & (events.index.to_series() % 2 == 1)] = 1.0
    late = stamps > stamps.min() + (stamps.max() - stamps.min()) / 2
    rating[(codes % 7 == 3) & late] = 9.0  # first 10-point ratings half-way: the scale changes
    events["rating"] = rating.to_numpy()
    event_type = events["event_type"].astype(str).to_numpy(dtype=object)
    event_type[codes % 7 == 4] = "ignored"  # weighted 0 below: these users have no profile
    events["event_type"] = event_type
    weights = {**analysis.config.weights, "ignored": 0.0}
    for half_life in (analysis.config.half_life_days, None, 3.0):
        config = analysis.config.with_(event_weights=weights, half_life_days=half_life)
        changed = replace(analysis, config=config, dataset=replace(analysis.dataset, events=events))
        trends = segment_trends(changed)
        assert (trends.sizes["segment_id"] == UNASSIGNED).any()  # the weight-0 users
        _same_sizes(changed)


def test_a_run_too_large_for_trends_says_so_in_its_warnings(planted) -> None:
    from core.activate.trends import trends_skipped, try_trends
    from core.commands import _trends

    analysis = planted[0]
    n = len(analysis.dataset.events)
    assert trends_skipped(analysis) is None  # small: the sheet is there, nothing to say
    before = list(analysis.warnings)
    try:
        got = _trends(
            analysis,
            lambda a: try_trends(a, max_events=n - 1),
            lambda a: trends_skipped(a, max_events=n - 1),
        )
        assert got is None
        note = analysis.warnings[-1]
        assert f"{n:,} events" in str(note) and "Trends" in str(note) and "趋势" in note.zh
    finally:
        analysis.warnings[:] = before

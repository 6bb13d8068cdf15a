"""Activate page: trends chart, lookalikes of a segment or an uploaded seed list, in English and 中文."""

from __future__ import annotations

import json

import pandas as pd

from tests.app.conftest import no_exceptions
from ui import state

PAGE = "app_pages/activate.py"


def _open(seeded, language: str = "en"):
    seeded.session_state["language"] = language
    at = seeded.run()
    at = at.switch_page(PAGE).run()
    no_exceptions(at)
    return at


def test_trends_chart_and_keyword_changes(seeded) -> None:
    at = _open(seeded)
    assert at.title[0].value == "Activate segments"
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["xaxis"]["title"]["text"] == "Week"  # the factory spans 90 days
    assert figure["layout"]["yaxis"]["title"]["text"] == "Active users"
    analysis = at.session_state[state.ANALYSIS]
    events = analysis.dataset.events
    weekly = events.groupby(events["timestamp"].dt.to_period("W-SUN").astype(str))["user_id"].nunique()
    per_period = pd.DataFrame(
        [(x, y) for trace in figure["data"] for x, y in zip(trace["x"], trace["y"], strict=True)]
    )
    assert per_period.groupby(0)[1].sum().to_dict() == weekly.to_dict()  # sizes add up to active users
    frames = [d.value for d in at.dataframe]
    assert any("New keywords" in f.columns for f in frames)


def test_lookalikes_of_a_segment_exclude_its_members(seeded) -> None:
    at = _open(seeded)
    at.number_input(key="act_top").set_value(10).run()
    no_exceptions(at)
    analysis = at.session_state[state.ANALYSIS]
    picked = at.selectbox(key="act_seed_seg").value
    members = analysis.members()
    seeds = set(members.loc[members["segment_id"] == picked, "user_id"])
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert len(ranked) == 10 and not seeds & set(ranked["user_id"])
    assert ranked["score"].is_monotonic_decreasing
    assert [b.key for b in at.get("download_button")] == ["act_look_dl"]


def test_page_in_chinese(seeded) -> None:
    at = _open(seeded, "zh")
    assert at.title[0].value == "激活分群"
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["xaxis"]["title"]["text"] == "周"
    assert figure["layout"]["yaxis"]["title"]["text"] == "活跃用户数"
    assert any("得分" in d.value.columns for d in at.dataframe)


def test_control_group_note_points_to_export(seeded) -> None:
    at = _open(seeded)
    assert any("Export page" in c.value for c in at.caption)


def test_refresh_upload_shows_reconciled_changes(seeded, tmp_path) -> None:
    from pathlib import Path

    from core.cli import main

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"
    events = pd.read_csv(sample, dtype=str, keep_default_na=False)
    users = sorted(events["user_id"].unique())
    events[events["user_id"].isin(users[:120])].to_csv(tmp_path / "old.csv", index=False)
    new = events[events["user_id"].isin(users[20:150])].to_csv(index=False).encode()
    args = ["--model", "tfidf", "--projection", "pca", "--k", "3", "--min-segment-size", "0"]
    assert (
        main(
            [
                "analyze",
                str(tmp_path / "old.csv"),
                *args,
                "--recommendations",
                "0",
                "--out",
                str(tmp_path / "run"),
            ]
        )
        == 0
    )
    at = _open(seeded)
    at.file_uploader(key="act_refresh_bundle").set_value(
        ("bundle.zip", (tmp_path / "run" / "bundle.zip").read_bytes(), "application/zip")
    ).run()
    at.file_uploader(key="act_refresh_events").set_value(("new.csv", new, "text/csv")).run(timeout=120)
    no_exceptions(at)
    totals = next(c.value for c in at.caption if "users before" in c.value)
    assert "130 after: 30 entered" in totals, totals  # users 120-149 are new
    table = next(d.value for d in at.dataframe if "Users before" in d.value.columns)
    assert set(table["Adds up"]) == {"yes"}
    assert (table["Users before"] + table["Entered"] - table["Left"] == table["Users after"]).all()
    assert "act_refresh_dl" in [b.key for b in at.get("download_button")]

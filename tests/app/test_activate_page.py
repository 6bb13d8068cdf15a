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

"""Profiles page: per-segment profile, rename, user text stays literal, ad-hoc selection, compare."""

from __future__ import annotations

import importlib.util

import pytest

from tests.app.conftest import no_exceptions
from tests.app.factory import HOSTILE_TEXT


@pytest.fixture
def on_profiles(seeded):
    at = seeded.run()
    return at.switch_page("app_pages/profiles.py").run()


def test_profile_shows_metrics_items_and_members(on_profiles, analysis):
    at = on_profiles
    no_exceptions(at)
    first = analysis.segments[0]
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Users"] == str(first.size) and metrics["Share"] == f"{first.share:.1%}"
    assert metrics["Mean rating"] == "3.50" and metrics["Stability"] == "0.90"
    frames = [d.value for d in at.dataframe]
    items = next(f for f in frames if "lift" in f.columns)
    assert items["text"].iloc[0] == HOSTILE_TEXT  # shown verbatim in the grid, as text
    members = next(f for f in frames if "why (top items)" in f.columns and len(f) == first.size)
    assert set(members["segment"]) == {0}


def test_user_text_never_reaches_markdown_unescaped(on_profiles):
    rendered = " ".join(m.value for m in on_profiles.markdown) + " ".join(
        s.value for s in on_profiles.subheader
    )
    assert "<script>" not in rendered and "![px](" not in rendered and "**bold**" not in rendered


def test_rename_is_kept_per_run_and_shown_in_selectors(on_profiles, analysis):
    at = on_profiles
    at.text_input(key=f"name_{analysis.run_id}_0").set_value("Tea lovers").run()
    no_exceptions(at)
    assert at.session_state["segment_names"][analysis.run_id][0] == "Tea lovers"
    assert any("Tea lovers" in o for s in at.selectbox for o in s.options)


def test_compare_view_lists_both_segments(on_profiles, analysis):
    frame = next(d.value for d in on_profiles.dataframe if any("#1" in str(c) for c in d.value.columns))
    assert any("#0" in str(c) for c in frame.columns)


@pytest.mark.skipif(
    importlib.util.find_spec("core.explain.insights") is None, reason="core.explain.insights missing"
)
def test_adhoc_selection_gets_its_own_profile(seeded, analysis):
    try:
        from core.explain.insights import describe_segments  # noqa: F401
    except ImportError:
        pytest.skip("core.explain.insights.describe_segments not available yet")
    picked = [str(u) for u in analysis.profiles.user_ids[:7]]
    seeded.session_state["adhoc"] = {"run_id": analysis.run_id, "user_ids": picked}
    at = seeded.run()
    at.switch_page("app_pages/profiles.py").run()
    no_exceptions(at)
    assert at.subheader[0].value == "Map selection"
    assert {m.label: m.value for m in at.main.metric}["Users"] == "7"

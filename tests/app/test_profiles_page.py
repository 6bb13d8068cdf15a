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


def test_sentiment_card_says_what_it_measured(app, analysis):
    """Ratings-only sentiment is labelled as ratings; a segment with nothing to measure shows no number."""
    from dataclasses import replace

    from core.export.labels import sentiment_basis
    from ui.widgets import escape_md

    ratings = {"positive": 0.5, "neutral": 0.3, "negative": 0.2, "mean_score": 0.2, "n_texts": 40.0,
               "n_from_text": 0.0, "n_from_ratings": 40.0}  # fmt: skip
    first = replace(analysis.segments[0], sentiment=ratings, extra={"sentiment_source": "ratings"})
    second = replace(analysis.segments[1], sentiment={"n_texts": 0.0}, extra={"sentiment_source": "none"},
                     revenue={"revenue": 431_687.58, "orders": 1208.0, "revenue_per_user": 21_584.38,
                              "avg_order_value": 357.36})  # fmt: skip
    analysis = replace(analysis, segments=[first, second, *analysis.segments[2:]])
    app.session_state["dataset"] = analysis.dataset
    app.session_state["dataset_key"] = "k"
    app.session_state["analysis"] = analysis
    at = app.run().switch_page("app_pages/profiles.py").run()
    no_exceptions(at)
    assert any("Sentiment from ratings" in m.value for m in at.markdown)
    assert any(escape_md(sentiment_basis(first), max_len=400) == c.value for c in at.caption)
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Sentiment"] == "+0.20"
    at.selectbox[0].select(at.selectbox[0].options[1]).run()
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Sentiment"] == "—"  # not "+0.00"
    assert metrics["Revenue"] == "432k" and metrics["Orders"] == "1,208"
    assert any("there is no sentiment to measure" in c.value.replace("\\", "") for c in at.caption)

"""Recommendations page: top-N for a user and a segment; evaluation on demand."""

from __future__ import annotations

import pytest

from tests.app.conftest import no_exceptions


@pytest.fixture
def on_recommend(seeded):
    at = seeded.run()
    return at.switch_page("app_pages/recommend.py").run()


def test_user_gets_top_n_with_reasons(on_recommend, analysis):
    at = on_recommend
    no_exceptions(at)
    frame = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert len(frame) == 10 and frame["rank"].tolist() == list(range(1, 11))
    seen = set(analysis.dataset.events.loc[analysis.dataset.events["user_id"] == "000", "item_id"])
    assert not seen & set(frame["item_id"])  # already-seen items are not recommended


def test_search_narrows_users_and_segment_mode_pools_members(on_recommend):
    at = on_recommend
    at.text_input(key="rec_query").set_value("05").run()
    assert all("05" in o for o in at.selectbox[-1].options)
    next(r for r in at.radio if r.label == "Recommend for").set_value("a segment").run()
    no_exceptions(at)
    assert any("members" in d.value.columns for d in at.dataframe)

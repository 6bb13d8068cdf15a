"""RELIABILITY.md family 16: two sessions with near-identical large uploads each see only their own data."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TIMEOUT, no_exceptions


def _csv(last_user: str) -> bytes:
    # 60,000 rows: past the 50,000 rows from which st.cache_data would hash only a sample.
    rows = [f"u{i % 3000},item{i % 500},product {i % 500}" for i in range(59_999)]
    rows.append(f"{last_user},item1,product 1")
    return ("user_id,item_id,title\n" + "\n".join(rows) + "\n").encode()


def test_near_identical_uploads_in_two_sessions_stay_separate() -> None:
    first, second = (
        AppTest.from_file(APP, default_timeout=TIMEOUT),
        AppTest.from_file(APP, default_timeout=TIMEOUT),
    )
    first.run()
    second.run()
    first.file_uploader(key="upload_events").set_value(("same.csv", _csv("alice"), "text/csv")).run()
    second.file_uploader(key="upload_events").set_value(("same.csv", _csv("bob"), "text/csv")).run()
    no_exceptions(first)
    no_exceptions(second)
    users_first = set(first.session_state["dataset"].events["user_id"])
    users_second = set(second.session_state["dataset"].events["user_id"])
    assert "alice" in users_first and "bob" not in users_first
    assert "bob" in users_second and "alice" not in users_second
    assert first.session_state["dataset_key"] != second.session_state["dataset_key"]

"""AppTest fixtures: the app path from __file__, caches cleared per test, a seeded session."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.factory import make_analysis

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60  # seconds per script run: the machine is shared


@pytest.fixture(autouse=True)
def _no_background_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page tests never draw a UMAP map; the app's background JIT warm-up would only cost CPU."""
    monkeypatch.setenv("INTEREST_LENS_NO_WARMUP", "1")


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


@pytest.fixture
def analysis():
    return make_analysis()


@pytest.fixture
def seeded(app: AppTest, analysis) -> AppTest:
    """An app whose session already holds a dataset and a finished analysis."""
    app.session_state["dataset"] = analysis.dataset
    app.session_state["dataset_key"] = "test-dataset-key"
    app.session_state["dataset_label"] = "upload"
    app.session_state["analysis"] = analysis
    return app


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]

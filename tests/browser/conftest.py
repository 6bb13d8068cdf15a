"""Shared by the real-browser tests: one `streamlit run app.py` for the whole session (pages are
separate Streamlit sessions; the model loads once) and one chromium per test module (a Playwright
sync context left open would break later tests that start their own, e.g. tests/core/test_report.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.live_app import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    port = free_port()
    try:
        proc = start_server(port)
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()

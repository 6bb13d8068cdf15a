"""One real run in a real browser: `streamlit run app.py` + Debian chromium driven by Playwright.

Loads the sample data, runs the analysis, checks the map and a profile render without an exception
element, and downloads the members CSV.
"""

from __future__ import annotations

import pytest

from tools.live_app import CHROMIUM, ROOT, download_first, nav, no_exception, run_analysis

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (make browser-deps)"
    ),
    pytest.mark.skipif(
        not (ROOT / "sample_data" / "events.csv").exists(), reason="sample data missing (make sample-data)"
    ),
]


def test_sample_data_to_segments_profile_and_download(server, browser, tmp_path):
    page = browser.new_page(accept_downloads=True)
    page.goto(server)
    page.get_by_role("button", name="Use sample data").click()
    page.get_by_text("Ingest report").wait_for(timeout=120_000)
    no_exception(page)

    run_analysis(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    no_exception(page)

    nav(page, "Profiles").click()
    page.get_by_text("Keywords").first.wait_for(timeout=60_000)
    page.get_by_text("Members and why they are here").wait_for(timeout=60_000)
    no_exception(page)

    target = download_first(page, tmp_path)
    name = target.name
    assert name.startswith("interest-lens_members_") and name.endswith(".csv") and "events" not in name
    header = target.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("user_id") and "segment" in header
    no_exception(page)
    page.close()

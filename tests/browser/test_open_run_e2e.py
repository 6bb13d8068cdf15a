"""A CLI run opened in the real dashboard: `python -m core analyze` (in-process, TF-IDF) writes a
folder; Data -> "Open a finished run" opens it and the Segments page draws its map, with no upload
and no run in the browser. (docs/screenshots/20-open-run.png of a 100k-user run comes from
tools/open_run_screenshot.py; this test writes no screenshot.)"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.cli import main
from tools.live_app import CHROMIUM, ROOT, nav, no_exception

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (make browser-deps)"
    ),
]
SAMPLE = ROOT / "sample_data" / "events.csv"


def test_a_cli_run_opens_in_the_browser_without_recomputing(server, browser, tmp_path):
    events = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    users = sorted(u for u in events["user_id"].unique() if u)[:200]
    path = tmp_path / "events.csv"
    events[events["user_id"].isin(users)].to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--model", "tfidf", "--projection", "pca", "--k", "4",
                 "--out", str(out)]) == 0  # fmt: skip

    page = browser.new_page(viewport={"width": 1440, "height": 1800})
    page.goto(server)
    section = page.locator('[data-testid="stExpander"]', has_text="Open a finished run")
    section.get_by_text("Open a finished run").click()
    section.get_by_label("Folder on this machine", exact=True).fill(str(out))
    section.get_by_role("button", name="Open run").click()
    page.get_by_text("is open:").wait_for(timeout=120_000)
    no_exception(page)
    assert page.get_by_text("200 users in 4 segments").count() >= 1
    nav(page, "Segments").click()
    page.get_by_text("Interest map").wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)  # the map, drawn from the saved x/y
    no_exception(page)
    # the run on screen is the CLI's, not a new one: its id is in the sidebar
    run_id = json.loads((out / "summary.json").read_text(encoding="utf-8"))["run_id"]
    assert page.locator('[data-testid="stSidebar"]').get_by_text(run_id).count() >= 1
    page.close()

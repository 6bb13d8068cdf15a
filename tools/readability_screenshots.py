"""Issue 12 point 7 / point 4 views captured for review into docs/screenshots/11-*.png ... 19-*.png.

`python tools/readability_screenshots.py [REPORT.html ...]`: the sample data's empty Data page, the
map by country and by confidence, the K advisor, the segment table, Profiles, segment
recommendations; each HTML report given (e.g. from `python -m core analyze` on MovieLens and Online
Retail) is opened offline in chromium and its segment section captured.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.live_app import CHROMIUM, CHROMIUM_ARGS, free_port, nav, start_server, stop_server  # noqa: E402
from tools.screenshots import settle  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def colour_map(page, colour: str, name: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]', has_text="Colour by")
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=colour, exact=True).click()
    settle(page)
    page.wait_for_timeout(2000)  # the old figure leaves the page after the rerun
    page.locator(".st-key-map_2d .js-plotly-plot").last.screenshot(path=OUT / name)


def main(reports: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 2600})
            page.goto(f"http://127.0.0.1:{port}")
            settle(page)
            page.screenshot(path=OUT / "11-data-empty.png")
            page.get_by_role("button", name="Use sample data").click()
            page.get_by_text("Ingest report").wait_for(timeout=120_000)
            settle(page)
            page.locator(".st-key-rejected_chart .js-plotly-plot").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(
                path=OUT / "12-data-loaded.png", clip={"x": 300, "y": 0, "width": 1140, "height": 1100}
            )
            nav(page, "Segments").click()
            page.get_by_role("button", name="Run analysis").click()
            page.get_by_text("Interest map").wait_for(timeout=600_000)
            settle(page)
            page.locator(".st-key-k_advice_chart").screenshot(path=OUT / "13-k-advisor.png")
            page.locator('[data-testid="stDataFrame"]').first.screenshot(path=OUT / "14-segment-table.png")
            colour_map(page, "country", "15-map-by-country.png")
            colour_map(page, "confidence", "16-map-by-confidence.png")
            nav(page, "Profiles").click()
            settle(page)
            page.screenshot(path=OUT / "17-profiles.png")
            nav(page, "Recommendations").click()
            settle(page)
            page.get_by_text("a segment", exact=True).click()
            settle(page)
            page.screenshot(path=OUT / "18-segment-recommendations.png")
            for i, report in enumerate(reports):
                html = browser.new_page(viewport={"width": 1280, "height": 1600}, java_script_enabled=True)
                html.route(
                    "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
                )
                html.goto(Path(report).resolve().as_uri())
                html.wait_for_timeout(1500)
                html.locator("#segments .card").first.screenshot(
                    path=OUT / f"19{'abcdefgh'[i]}-report-{Path(report).parent.name}.png"
                )
                html.close()
            browser.close()
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

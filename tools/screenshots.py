"""Capture every page with the sample data into docs/screenshots/*.png (`make screenshots`).

The main area scrolls inside the page, so a tall viewport (not full_page) captures it.
Starts `streamlit run app.py` on a free port, drives Debian chromium with Playwright, loads the
sample data, runs the analysis with the default settings and screenshots each page.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tools/screenshots.py` from the Makefile
    sys.path.insert(0, str(ROOT))

from tools.live_app import CHROMIUM, CHROMIUM_ARGS, free_port, nav, start_server, stop_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = [("Segments", "02-segments"), ("Profiles", "03-profiles"), ("Recommendations", "04-recommendations"),
         ("Export", "05-export")]  # fmt: skip
# The map coloured by an attribute (distinct hues per value) and by a number (a titled colour bar).
COLOURINGS = [("country", "02b-map-by-country"), ("confidence", "02c-map-by-confidence")]


def settle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=300_000)
    page.wait_for_timeout(1500)


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        print("chromium missing: run `make browser-deps`", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 2600})
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_role("button", name="Use sample data").click()
            page.get_by_text("Ingest report").wait_for(timeout=120_000)
            settle(page)
            page.screenshot(path=OUT / "01-data.png")
            nav(page, "Segments").click()
            page.get_by_role("button", name="Run analysis").click()
            page.get_by_text("Interest map").wait_for(timeout=600_000)
            for link, name in PAGES:
                nav(page, link).click()
                settle(page)
                page.screenshot(path=OUT / f"{name}.png")
                print(f"wrote {OUT / name}.png")
            nav(page, "Segments").click()
            settle(page)
            for colour, name in COLOURINGS:
                page.locator('[data-testid="stSelectbox"]', has_text="Colour by").click()
                page.get_by_role("option", name=colour, exact=True).click()
                settle(page)
                page.locator(".js-plotly-plot").first.screenshot(path=OUT / f"{name}.png")
                print(f"wrote {OUT / name}.png")
            browser.close()
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())

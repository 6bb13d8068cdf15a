"""Open a finished CLI run in the real dashboard and capture docs/screenshots/20-open-run.png.

    python -m bench.scale_data --users 100000 --events 1000000 --items 20000 --out /tmp/ev.parquet
    python -m core analyze /tmp/ev.parquet --out /tmp/out --k 8 --representation tfidf
    python tools/open_run_screenshot.py /tmp/out

Starts `streamlit run app.py` on a free port, types the folder into Data -> "Open a finished run",
waits for it to open, then screenshots the Segments page (its map on the saved sample) and prints how
long opening took in the browser.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.live_app import CHROMIUM, CHROMIUM_ARGS, free_port, nav, start_server, stop_server  # noqa: E402
from tools.screenshots import OUT, settle  # noqa: E402


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    if len(argv) != 1:
        print("usage: python tools/open_run_screenshot.py OUT_DIR", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print("chromium missing: run `make browser-deps`", file=sys.stderr)
        return 2
    folder = str(Path(argv[0]).resolve())
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 2000})
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text("Open a finished run").first.wait_for(timeout=60_000)
            settle(page)
            section = page.locator('[data-testid="stExpander"]', has_text="Open a finished run")
            section.get_by_text("Open a finished run").click()
            section.get_by_label("Folder on this machine", exact=True).fill(folder)
            started = time.perf_counter()
            section.get_by_role("button", name="Open run").click()
            page.get_by_text("is open:").wait_for(timeout=300_000)
            print(f"opened in the browser in {time.perf_counter() - started:,.1f} s")
            nav(page, "Segments").click()
            page.get_by_text("Interest map").wait_for(timeout=300_000)
            settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=OUT / "20-open-run.png")
            print(f"wrote {OUT / '20-open-run.png'}")
            browser.close()
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

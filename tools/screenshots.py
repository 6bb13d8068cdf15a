"""Capture every page with the sample data into docs/screenshots/*.png (`make screenshots`).

The main area scrolls inside the page, so a tall viewport (not full_page) captures it.
Starts `streamlit run app.py` on a free port, drives Debian chromium with Playwright, loads the
sample data, runs the analysis with the default settings and screenshots each page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PAGES = [("Segments", "02-segments"), ("Profiles", "03-profiles"), ("Recommendations", "04-recommendations"),
         ("Export", "05-export")]  # fmt: skip


def nav(page, title: str):
    """The sidebar navigation link of a page (page links in the body may share words)."""
    return page.locator('[data-testid="stSidebarNav"] a', has_text=title).first


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("streamlit did not start within 60 s")


def settle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=300_000)
    page.wait_for_timeout(1500)


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print("chromium missing: run `make browser-deps`", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

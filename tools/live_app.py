"""Start the real app and drive Debian chromium: shared by tools/screenshots.py and the browser test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


RUN_TIMEOUT_MS = 300_000  # a cold run with the real model on a busy 2-core machine


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def run_analysis(page, *, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Segments page -> "Run analysis" with the defaults; returns once the map is there (fails on an error)."""
    nav(page, "Segments").click()
    page.get_by_role("button", name="Run analysis").click()
    error = page.locator('[data-testid="stAlertContentError"]')
    page.get_by_text("Interest map").or_(error).first.wait_for(timeout=timeout_ms)
    assert error.count() == 0, error.first.inner_text()


def download_first(page, folder: Path) -> Path:
    """Export page -> the first download (the members CSV), saved into `folder` under its own name."""
    nav(page, "Export").click()
    button = page.locator('[data-testid="stDownloadButton"]').first
    button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as info:
        button.locator("button").click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def nav(page, title: str):
    """The sidebar navigation link of a page (page links in the body may share words)."""
    return page.locator('[data-testid="stSidebarNav"] a', has_text=title).first


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, *, timeout_s: float = 60.0) -> subprocess.Popen[bytes]:
    """`streamlit run app.py` on 127.0.0.1:port, offline; returns once /_stcore/health answers.

    Raises RuntimeError with the server's output when it exits or does not answer in time.
    """
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    # A file, not a pipe (a chatty server can never block on it); it lives as long as the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    log.seek(0)
    out = log.read().decode(errors="replace")
    raise RuntimeError(f"streamlit did not start:\n{out[-3000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()

"""Issue 12 in a real browser: a headerless TSV plus an items table with non-standard headers are
mapped through the Data page and analysed; an implausible mapping is held back until overridden.

Screenshots go to pytest's tmp dir, or to docs/screenshots/ with INTEREST_LENS_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tools.live_app import CHROMIUM, ROOT, download_first, no_exception, run_analysis

PlaywrightTimeout = pytest.importorskip("playwright.sync_api").TimeoutError

GENRES = {  # three kinds of players, each keeping to one kind of game
    "space": ["Star Harbor", "Orbit Freight", "Nebula Miners", "Comet Courier"],
    "cooking": ["Dungeon Bakery", "Noodle Rush", "Soup Kitchen Tycoon", "Pastry Panic"],
    "racing": ["Pixel Rally", "Drift Kings", "Turbo Canyon", "Kart Storm"],
}
DESCRIPTIONS = {
    "space": "space trading and starship exploration",
    "cooking": "cooking restaurant kitchen recipes",
    "racing": "car racing arcade speed",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (make browser-deps)"
    ),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """plays.data (a headerless TSV, as MovieLens names it: player, game id, hours, epoch seconds) and games.txt (a CSV: Game_ID, Game Name, Genre)."""
    folder = tmp_path_factory.mktemp("issue12")
    rng = random.Random(12)
    names = [(name, genre) for genre, titles in GENRES.items() for name in titles]
    games = [(100 + i, name, genre) for i, (name, genre) in enumerate(names)]
    by_genre = {g: [gid for gid, _, genre in games if genre == g] for g in GENRES}
    lines = []
    for player in range(45):
        genre = list(GENRES)[player % 3]
        for j in range(6):
            lines.append(
                f"p{player:03d}\t{rng.choice(by_genre[genre])}\t{rng.randint(1, 40)}\t{1_700_000_000 + player * 3600 + j}"
            )
    (folder / "plays.data").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = [f"{gid},{name},{DESCRIPTIONS[genre]}" for gid, name, genre in games]
    (folder / "games.txt").write_text("Game_ID,Game Name,Genre\n" + "\n".join(rows) + "\n", encoding="utf-8")
    feedback = [f"{rng.randint(1, 150)},{rng.randint(1, 300)},{rng.randint(1, 10)}" for _ in range(1200)]
    (folder / "anime.csv").write_text(
        "User_ID,Anime_ID,Feedback\n" + "\n".join(feedback) + "\n", encoding="utf-8"
    )
    return folder


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" / "screenshots" if os.environ.get("INTEREST_LENS_SCREENSHOTS") else tmp_path


def settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=120_000)
    page.wait_for_timeout(600)


def choose(page, label: str, value: str, *, nth: int = 0) -> None:
    """Pick `value` in the select box (or multiselect) labelled `label`."""
    option = page.get_by_role("option", name=value, exact=True)
    for _attempt in range(3):  # a rerun may replace the widget between the click and the pick
        page.get_by_role("combobox", name=label, exact=True).nth(nth).click()
        try:
            option.wait_for(timeout=5_000)
            option.click()
            page.keyboard.press("Escape")  # a multiselect stays open after a pick
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            settle(page)
    raise AssertionError(f"no option {value!r} in {label!r}")


def upload(page, events: Path, items: Path | None = None) -> None:
    inputs = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if items is not None:
        inputs.nth(1).set_input_files(str(items))
        settle(page)
    inputs.nth(0).set_input_files(str(events))
    settle(page)


def test_headerless_tsv_and_items_table_mapped_in_the_page_then_analysed(
    server, browser, files, shots, tmp_path
):
    page = browser.new_page(viewport={"width": 1440, "height": 2200}, accept_downloads=True)
    page.goto(server)
    page.get_by_role("button", name="Use sample data").wait_for(timeout=60_000)
    upload(page, files / "plays.data", files / "games.txt")
    alert = page.locator('[data-testid="stAlertContentError"]').first
    alert.wait_for(timeout=60_000)
    assert "No user column was recognised" in alert.inner_text() and "--map" not in alert.inner_text()
    no_exception(page)
    # The failed file gets the mapping controls: switch the header off, map by position.
    switch = page.get_by_role("switch", name="First row is data").first
    for _attempt in range(3):  # a click that lands during a rerun can be lost
        if not switch.is_checked():
            page.get_by_text("First row is data").first.click()
        settle(page)
        try:  # column previews (the grid's cells live in its accessibility layer), positional names
            page.get_by_text("p000 · p001 · p002").wait_for(state="attached", timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    assert switch.is_checked()
    page.get_by_text("p000 · p001 · p002").wait_for(state="attached", timeout=10_000)
    choose(page, "User (required)", "1")
    choose(page, "Item id", "2")
    choose(page, "Time", "4")
    choose(page, "Item id", "Game_ID", nth=1)
    choose(page, "Item text (one or more)", "Game Name", nth=1)
    choose(page, "Item text (one or more)", "Genre", nth=1)
    page.get_by_text("Items table: the column with the item id").click()  # closes the last drop-down
    page.wait_for_timeout(800)
    page.screenshot(path=shots / "06-headerless-mapping.png")
    page.get_by_role("button", name="Re-read with these settings").click()
    page.get_by_text("Ingest report").wait_for(timeout=60_000)
    settle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0  # the old error is gone
    metrics = {
        m.locator('[data-testid="stMetricLabel"]').inner_text().strip(): m.locator(
            '[data-testid="stMetricValue"]'
        )
        .inner_text()
        .strip()
        for m in page.locator('[data-testid="stMetric"]').all()
    }
    assert metrics["Rows read"] == "270" and metrics["Users"] == "45" and metrics["Items"] == "12"
    page.screenshot(path=shots / "07-headerless-loaded.png")
    no_exception(page)

    run_analysis(page)
    settle(page)
    no_exception(page)
    page.screenshot(path=shots / "08-headerless-segments.png")

    rows = download_first(page, tmp_path).read_text(encoding="utf-8-sig").splitlines()
    header, body = rows[0].split(","), [r.split(",") for r in rows[1:]]
    users = {r[header.index("user_id")] for r in body}
    assert users == {f"p{i:03d}" for i in range(45)}  # every player, ids as written in column 1
    # Players keep to one kind of game (player % 3, via the items table's text): one segment each.
    column = next(i for i, name in enumerate(header) if name.startswith("segment"))
    segment_of = {r[header.index("user_id")]: r[column] for r in body}
    kinds = [{segment_of[f"p{i:03d}"] for i in range(kind, 45, 3)} for kind in range(3)]
    assert all(len(k) == 1 for k in kinds) and len(set.union(*kinds)) == 3, kinds
    page.close()


def test_implausible_mapping_warning_and_its_override(server, browser, files, shots):
    page = browser.new_page(viewport={"width": 1440, "height": 1600})
    page.goto(server)
    page.get_by_role("button", name="Use sample data").wait_for(timeout=60_000)
    upload(page, files / "anime.csv")
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    warning.wait_for(timeout=60_000)
    text = warning.inner_text()
    assert "This data looks wrongly mapped" in text and "Feedback" in text and "10 distinct items" in text
    assert page.get_by_text("Ingest report").count() == 0  # nothing loaded yet
    page.get_by_text("Anime_ID", exact=True).first.wait_for(state="attached", timeout=30_000)  # the previews
    settle(page)
    page.wait_for_timeout(1500)  # let the grid paint for the screenshot
    page.screenshot(path=shots / "09-implausible-warning.png")
    page.get_by_role("button", name="Use this data anyway").click()
    page.get_by_text("Ingest report").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text("Loaded despite a warning").count() >= 1
    no_exception(page)
    page.screenshot(path=shots / "10-implausible-accepted.png")
    page.close()

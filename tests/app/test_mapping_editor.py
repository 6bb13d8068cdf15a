"""Data page mapping editor (issue 12): failed files get mapping controls, headerless files and
items tables are mapped in the page, implausible mappings are held back until accepted."""

from __future__ import annotations

import random

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import InterestLensError
from core.ingest.dataset import load_dataset
from tests.app.conftest import no_exceptions
from ui.i18n import STRINGS
from ui.widgets import error_text

REREAD = "Re-read with these settings"


def plays_tsv() -> bytes:
    rng = random.Random(3)
    return (
        "\n".join(f"u{u}\t{rng.randint(1, 40)}\t{rng.randint(1, 5)}" for u in range(60) for _ in range(6))
        + "\n"
    ).encode()


GAMES = (
    "Game_ID,Game Name,Genre\n" + "".join(f"{g},Game {g},genre {g % 7}\n" for g in range(1, 41))
).encode()


def feedback_csv() -> bytes:
    rng = random.Random(1)
    rows = [f"{rng.randint(1, 200)},{rng.randint(1, 300)},{rng.randint(1, 10)}" for _ in range(1500)]
    return ("User_ID,Anime_ID,Feedback\n" + "\n".join(rows) + "\n").encode()


def upload(at: AppTest, events: tuple[str, bytes], items: tuple[str, bytes] | None = None) -> AppTest:
    at.file_uploader(key="upload_events").set_value((*events, "text/plain"))
    if items:
        at.file_uploader(key="upload_items").set_value((*items, "text/csv"))
    return at.run()


def pick(at: AppTest, label: str, value, nth: int = 0) -> None:
    widgets = [w for w in at.selectbox if w.label == label] + [w for w in at.multiselect if w.label == label]
    widgets[nth].set_value(value)


def submit(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == REREAD).click().run()


def previews(at: AppTest) -> list[list[str]]:
    return [
        d.value.iloc[:, 0].tolist()
        for d in at.dataframe
        if list(d.value.columns) == ["column", "sample values"]
    ]


def test_both_uploaders_accept_every_table_ending(app: AppTest) -> None:
    at = app.run()
    wanted = {".data", ".dat", ".txt", ".tsv", ".csv", ".gz", ".zip", ".xlsx", ".parquet"}
    for key in ("upload_events", "upload_items"):
        assert wanted <= set(at.file_uploader(key=key).proto.type)


def test_headerless_events_and_items_table_are_mapped_in_the_page(app: AppTest) -> None:
    at = upload(app.run(), ("plays.tsv", plays_tsv()), ("games.csv", GAMES))
    no_exceptions(at)
    assert at.session_state["dataset"] is None
    message = at.error[0].value
    assert "No user column was recognised" in message and "--" not in message
    assert previews(at) == [
        ["u0", "16", "5"],
        ["Game_ID", "Game Name", "Genre"],
    ]  # controls for the failed file
    at.toggle[0].set_value(True).run()  # events: first row is data
    assert previews(at)[0] == ["1", "2", "3"]
    pick(at, "User (required)", "1")
    pick(at, "Item id", "2")
    pick(at, "Rating", "3")
    pick(at, "Item id", "Game_ID", nth=1)
    pick(at, "Item text (one or more)", ["Game Name", "Genre"], nth=1)
    at = submit(at)
    no_exceptions(at)
    assert not at.error, "the old error is gone once the re-read works"
    dataset = at.session_state["dataset"]
    assert dataset.report.mapping == {"user_id": "1", "item_id": "2", "rating": "3"}
    assert dataset.report.items_mapping == {"item_id": "Game_ID", "text": "Game Name + Genre"}
    assert dataset.report.rows_in == 360 and dataset.report.n_users == 60
    assert dataset.items.set_index("item_id").loc["16", "text"] == "Game 16. genre 2"
    # The form now shows what was used, and re-reading it unchanged keeps both tables.
    assert next(w for w in at.selectbox if w.label == "User (required)").value == "1"
    at = submit(at)
    assert not at.error and at.session_state["dataset"].report.items_source == "games.csv"
    assert at.session_state["dataset"].report.items_matched_events == 360


def test_implausible_mapping_is_held_back_until_accepted(app: AppTest) -> None:
    at = upload(app.run(), ("anime.csv", feedback_csv()))
    no_exceptions(at)
    assert at.session_state["dataset"] is None
    warning = at.warning[0].value
    assert (
        "This data looks wrongly mapped" in warning
        and "Feedback" in warning
        and "10 distinct items" in warning
    )
    assert previews(at) == [["User_ID", "Anime_ID", "Feedback"]]
    at = next(b for b in at.button if b.label == "Use this data anyway").click().run()
    no_exceptions(at)
    dataset = at.session_state["dataset"]
    assert dataset is not None and len(dataset.items) == 10
    assert any("Loaded despite a warning" in w.value for w in at.warning)


def test_fixing_the_mapping_clears_the_warning(app: AppTest) -> None:
    at = upload(app.run(), ("anime.csv", feedback_csv()))
    pick(at, "Item id", "Anime_ID")
    pick(at, "Rating", "Feedback")
    pick(at, "Review text", "(not used)")
    at = submit(at)
    assert not at.warning or all("wrongly mapped" not in w.value for w in at.warning)
    # No text at all is an error in the page's words (one message, not a pile), and the controls stay.
    assert at.session_state["dataset"] is None and len(at.error) == 1 and previews(at)
    assert "No column with item or post text" in at.error[0].value and "“Item text”" in at.error[0].value


def test_a_new_file_never_shows_the_previous_files_columns(app: AppTest) -> None:
    good = b"user_id,item_id,title\n007,a,green tea\nNA,b,running shoes\n007,b,running shoes\n"
    at = upload(app.run(), ("shop.csv", good))
    assert at.session_state["dataset"] is not None
    at = upload(at, ("plays.tsv", plays_tsv()))
    assert previews(at) == [["u0", "16", "5"]]
    assert any("previously loaded" in c.value for c in at.caption)


def test_errors_follow_the_language_without_cli_flags(app: AppTest) -> None:
    at = app.run()
    at.sidebar.segmented_control[0].set_value("zh").run()
    at = upload(at, ("plays.tsv", plays_tsv()), ("games.csv", GAMES))
    message = at.error[0].value
    assert "未识别出用户列" in message and "--map" not in message and "列名" not in message


@pytest.mark.parametrize(
    ("events", "items", "overrides", "code"),
    [
        (b"a,b\n1,x\n", None, None, "no_user_column"),
        (b"user_id,User ID,title\n1,2,x\n", None, None, "ambiguous_column"),
        (b"user_id,title\n1,x\n", b"item_id,title\n1,x\n", None, "no_join_column"),
        (b"user_id,item_id\n1,x\n", b"Game_ID,Game Name\n1,x\n", None, "items_columns"),
        (b"user_id,title\n1,x\n", None, {"rating": "stars"}, "column_not_found"),
    ],
)
def test_core_errors_that_name_cli_flags_are_worded_by_the_page(events, items, overrides, code) -> None:
    with pytest.raises(InterestLensError) as info:
        load_dataset(
            events, filename="e.csv", items=items, items_filename="i.csv", mapping_overrides=overrides
        )
    assert info.value.code == code
    text = error_text(info.value)
    assert text.startswith(STRINGS[f"error.{code}"][0].split("{")[0]) and "--" not in text


def test_the_issues_anime_case_is_walked_to_a_correct_load(app: AppTest) -> None:
    """Events `User_ID, Anime_ID, Feedback` + items `anime_ids, name, genre` (generated here): each step
    says what to choose in the page's words, and the plausibility check stops Feedback as review text."""
    rng = random.Random(5)
    events = "User_ID,Anime_ID,Feedback\n" + "".join(
        f"{rng.randint(1, 80)},{rng.randint(1, 60)},{rng.randint(1, 10)}\n" for _ in range(1500)
    )
    items = "anime_ids,name,genre\n" + "".join(
        f"{i},Show {i},{['mecha', 'romance', 'sports'][i % 3]}\n" for i in range(1, 61)
    )
    at = upload(app.run(), ("anime.csv", events.encode()), ("anime_items.csv", items.encode()))
    assert "The items table needs an item id and a text column" in at.error[0].value
    pick(at, "Item id", "anime_ids", nth=1)
    pick(at, "Item text (one or more)", ["name", "genre"], nth=1)
    at = submit(at)
    assert len(at.error) == 1 and "no events column is the item id" in at.error[0].value
    pick(at, "Item id", "Anime_ID")
    at = submit(at)
    assert not at.error and at.session_state["dataset"] is None  # held back: Feedback is not text
    assert "Feedback" in at.warning[0].value
    pick(at, "Review text", "(not used)")
    pick(at, "Rating", "Feedback")
    at = submit(at)
    no_exceptions(at)
    dataset = at.session_state["dataset"]
    assert dataset.report.plausibility == [] and dataset.report.mapping["rating"] == "Feedback"
    assert len(dataset.items) == 60 and dataset.report.items_mapping == {
        "item_id": "anime_ids",
        "text": "name + genre",
    }

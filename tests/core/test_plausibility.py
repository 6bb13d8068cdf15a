"""Plausibility checks (core.ingest.plausibility): wrong mappings are caught, real data passes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.errors import PlausibilityError
from core.ingest.dataset import load_dataset
from core.ingest.plausibility import require_plausible

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


def codes(dataset) -> list[str]:
    return [f["code"] for f in dataset.report.plausibility]


def feedback_events(n: int = 2000) -> bytes:
    """The issue's case: `User_ID, Anime_ID, Feedback` with Feedback a 1-10 score."""
    rng = random.Random(1)
    rows = [f"{rng.randint(1, 200)},{rng.randint(1, 300)},{rng.randint(1, 10)}" for _ in range(n)]
    return ("User_ID,Anime_ID,Feedback\n" + "\n".join(rows) + "\n").encode()


def test_rating_taken_as_review_text_is_caught_with_numbers_in_both_languages() -> None:
    dataset = load_dataset(feedback_events(), filename="feedback.csv")
    assert dataset.report.mapping["review"] == "Feedback" and len(dataset.items) == 10
    assert codes(dataset) == ["text_numeric", "few_items"]
    numeric = dataset.report.plausibility[0]
    assert numeric["numbers"] == {"column": "Feedback", "share": 1.0, "values": 2000}
    assert "Feedback" in numeric["en"] and "Feedback" in numeric["zh"] and "数字" in numeric["zh"]
    assert dataset.report.plausibility[1]["numbers"] == {"items": 10, "events": 2000}
    with pytest.raises(PlausibilityError) as info:
        require_plausible(dataset.report)
    assert info.value.code == "implausible" and len(info.value.details["findings"]) == 2


def test_items_table_that_joins_few_events_is_caught() -> None:
    events = "user_id,item_id\n" + "".join(f"u{i % 30},{i % 50}\n" for i in range(300))
    items = "item_id,title\n" + "".join(f"{i},film {i}\n" for i in range(40, 140))  # ids 40-49 overlap
    dataset = load_dataset(events.encode(), filename="e.csv", items=items.encode(), items_filename="i.csv")
    finding = next(f for f in dataset.report.plausibility if f["code"] == "items_join_low")
    assert finding["numbers"] == {"share": 0.2, "matched": 60, "events": 300}


def test_category_as_text_and_a_single_user_are_caught() -> None:
    events = "user_id,item_id,title\n" + "".join(f"u1,{i},{['red', 'blue'][i % 2]}\n" for i in range(200))
    dataset = load_dataset(events.encode(), filename="e.csv")
    assert codes(dataset) == ["text_few_distinct", "single_user"]
    assert dataset.report.plausibility[0]["numbers"] == {"column": "title", "distinct": 2, "values": 200}


@pytest.mark.parametrize(
    ("events", "items"),
    [("events.csv", None), ("events_items_only.csv", "items.csv")],
)
def test_sample_data_passes(events: str, items: str | None) -> None:
    dataset = load_dataset(SAMPLE / events, items=SAMPLE / items if items else None)
    assert dataset.report.plausibility == []
    require_plausible(dataset.report)  # does not raise


DATASETS = ROOT / ".." / "shared" / "datasets"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("events", "items"),
    [
        ("online_retail/online_retail.csv.gz", None),
        ("movielens_latest_small/ratings.csv.gz", "movielens_latest_small/movies.csv.gz"),
        ("amazon_reviews_2018_small5core/reviews.csv.gz", None),
    ],
)
def test_shared_datasets_pass(events: str, items: str | None) -> None:
    if not (DATASETS / events).exists():
        pytest.skip("shared datasets not present")
    dataset = load_dataset(DATASETS / events, items=DATASETS / items if items else None)
    assert dataset.report.plausibility == []


def test_a_small_real_catalogue_with_titles_is_not_few_items() -> None:
    """9 named products bought 540 times is a small shop, not a rating taken as the item."""
    names = ["Red mug", "Blue teapot", "Linen towel", "Oak board", "Tin box", "Wool scarf",
             "Glass jar", "Paper lamp", "Clay bowl"]  # fmt: skip
    rng = random.Random(2)
    day = "2024-01-01T00:00:00"
    rows = [
        f"u{rng.randint(1, 120)},p{i % 9},{names[i % 9]},{day[:-5]}{i // 60:02d}:{i % 60:02d}"
        for i in range(540)
    ]
    events = ("user_id,item_id,title,timestamp\n" + "\n".join(rows) + "\n").encode()
    dataset = load_dataset(events, filename="shop.csv")
    assert len(dataset.items) == 9 and len(dataset.events) == 540
    assert "few_items" not in codes(dataset)
    items = "item_id,title\n" + "".join(f"{i},{names[i]}\n" for i in range(9))
    numbered = "user_id,item_id,timestamp\n" + "".join(
        f"u{rng.randint(1, 120)},{i % 9},2024-01-01T00:{i // 60:02d}:{i % 60:02d}\n" for i in range(540)
    )
    joined = load_dataset(numbered.encode(), filename="e.csv", items=items.encode(), items_filename="i.csv")
    assert len(joined.items) == 9 and "few_items" not in codes(joined)


def test_numbered_items_without_titles_are_still_few_items() -> None:
    """Ten "items" that are the numbers 1-10 with no title: the rating was taken as the item."""
    rng = random.Random(3)
    rows = [f"u{rng.randint(1, 200)},{(n := rng.randint(1, 10))},{n},2024-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}"
            for i in range(2000)]  # fmt: skip
    events = ("user_id,item_id,title,timestamp\n" + "\n".join(rows) + "\n").encode()
    dataset = load_dataset(events, filename="e.csv")
    assert len(dataset.items) == 10 and "few_items" in codes(dataset)

"""Plausibility of a loaded `Dataset`: does the mapping look like what the columns really hold?

A file can be read without a single rejected row and still be wrongly mapped: a rating column taken
as review text, an items table that joins almost nothing, ten "items" that are really ten rating
values, one user. `check_plausibility` returns one `Finding` per such sign (code, English, Chinese,
the numbers behind it); `require_plausible` turns findings into a `PlausibilityError` for callers
that must not go on without the user's say-so (the CLI without `--accept-warnings`, the Data page
until its override is pressed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core.data import Dataset, IngestReport
from core.errors import PlausibilityError

NUMERIC_SHARE = 0.8  # a text column with at least this share of numbers is not text
FEW_DISTINCT = 20  # a text column with at most this many distinct values ...
FEW_DISTINCT_SHARE = 0.01  # ... that are also at most this share of its values is a category
MIN_VALUES = 20  # fewer non-empty values than this say nothing either way
MIN_JOIN_SHARE = 0.5  # an items table should describe at least half the events
FEW_ITEMS = 20  # at most this many items ...
EVENTS_PER_ITEM = 50  # ... with at least this many events each is implausible
_SAMPLE = 100_000  # values sampled per column for the numeric share
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class Finding:
    """One reason to doubt the mapping. `numbers` holds the values the messages quote."""

    code: str  # text_numeric | text_few_distinct | items_join_low | few_items | single_user
    en: str
    zh: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_plausibility(dataset: Dataset, *, text_columns: Mapping[str, pd.Series]) -> list[Finding]:
    """Findings for `dataset`, in order of how sure they are; [] when it looks right.

    `text_columns`: {source column name: its raw cells (n_rows,) str} for every column used as text
    or review text, from the events and the items table.
    """
    findings = [f for name, values in text_columns.items() if (f := _text_finding(name, values))]
    report = dataset.report
    # 1. An items table that describes fewer than half the events that name an item.
    if report.items_source:
        looked_up = report.items_matched_events + report.items_unmatched_events
        share = report.items_matched_events / looked_up if looked_up else 0.0
        if share < MIN_JOIN_SHARE:
            findings.append(
                Finding(
                    "items_join_low",
                    f"The items table describes only {share:.0%} of the events ({report.items_matched_events:,} of "
                    f"{looked_up:,}): the item id columns of the two tables may not be the same id.",
                    f"商品表只对应 {share:.0%} 的行为（{looked_up:,} 条中的 {report.items_matched_events:,} 条）："
                    "两张表的商品ID列可能不是同一种ID。",
                    {"share": round(share, 4), "matched": report.items_matched_events, "events": looked_up},
                )
            )
    # 2. Very few items for many events: usually a rating or category taken as the item.
    n_items, n_events = len(dataset.items), len(dataset.events)
    if (
        0 < n_items <= FEW_ITEMS
        and n_events >= EVENTS_PER_ITEM * n_items
        and _items_look_like_values(dataset)
    ):
        findings.append(
            Finding(
                "few_items",
                f"Only {n_items:,} distinct items for {n_events:,} events: the item column (or the text the "
                "items are made of) is probably a rating or a category, not an item.",
                f"{n_events:,} 条行为只有 {n_items:,} 个不同的商品：商品列（或生成商品的文本列）很可能是评分或类别，"
                "而不是商品。",
                {"items": n_items, "events": n_events},
            )
        )
    # 3. One user: the user column is probably something else (a country, a constant).
    n_users = int(dataset.events["user_id"].nunique())
    if n_users == 1 and n_events > 1:
        column = report.mapping.get("user_id", "")
        findings.append(
            Finding(
                "single_user",
                f"The user column '{column}' holds one value for all {n_events:,} events: segments need many users.",
                f"用户列“{column}”在全部 {n_events:,} 条行为中只有一个值：分群需要许多用户。",
                {"column": column, "users": n_users, "events": n_events},
            )
        )
    return findings


def _items_look_like_values(dataset: Dataset) -> bool:
    """True when most items have no real title: the text is a number or just the item id.

    A small real catalogue (9 products with names, 540 orders) is fine; ten "items" that are the
    scores 1-10 are not.
    """
    items = dataset.items
    if "text" not in items or items.empty:
        return True
    text = items["text"].astype("str").str.strip()
    ids = items["item_id"].astype("str").str.strip()
    numeric = text.str.fullmatch(r"[\d\s.,:;/+\-]*")  # numbers only (also review texts joined)
    untitled = numeric.fillna(True).astype(bool) | (text == ids)
    return bool(untitled.mean() >= 0.5)


def _text_finding(name: str, values: pd.Series) -> Finding | None:
    cells = values.astype("str").str.strip()
    cells = cells[cells != ""]
    n = len(cells)
    if n < MIN_VALUES:
        return None
    sample = cells.iloc[:_SAMPLE]
    numeric = float(sample.str.fullmatch(_NUMBER).fillna(False).mean())
    if numeric >= NUMERIC_SHARE:
        return Finding(
            "text_numeric",
            f"Column '{name}' is used as text, but {numeric:.0%} of its values are numbers (e.g. "
            f"{', '.join(sample.drop_duplicates().iloc[:3])}): it looks like a rating or an id.",
            f"列“{name}”被用作文本，但其中 {numeric:.0%} 的值是数字（如 {', '.join(sample.drop_duplicates().iloc[:3])}）："
            "它更像评分或ID。",
            {"column": name, "share": round(numeric, 4), "values": n},
        )
    distinct = int(cells.nunique())
    if distinct <= FEW_DISTINCT and distinct <= FEW_DISTINCT_SHARE * n:
        return Finding(
            "text_few_distinct",
            f"Column '{name}' is used as text, but its {n:,} values hold only {distinct:,} distinct ones: it "
            "looks like a category, which says little about interests.",
            f"列“{name}”被用作文本，但 {n:,} 个值中只有 {distinct:,} 个不同的值：它更像类别，难以反映兴趣。",
            {"column": name, "distinct": distinct, "values": n},
        )
    return None


def require_plausible(report: IngestReport) -> None:
    """PlausibilityError (code `implausible`, one line in each language) when `report` has findings."""
    if not report.plausibility:
        return
    en = " ".join(f["en"] for f in report.plausibility)
    zh = "".join(f["zh"] for f in report.plausibility)
    raise PlausibilityError(
        f"The data looks wrongly mapped. {en} Fix the mapping (--map, --items-map, --no-header) "
        "or pass --accept-warnings to use it anyway.",
        f"数据的列映射看起来不对。{zh}请修正映射（--map、--items-map、--no-header），或加 --accept-warnings 仍然使用。",
        code="implausible",
        details={"findings": list(report.plausibility)},
    )

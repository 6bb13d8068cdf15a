"""Item text and the items table: what each item's `text` is in `Dataset.items` (used by core.ingest.cleaning).

Item text: the mapped text columns joined with ". " (`|` in genres/tags becomes ", "); an items
table, when given, is indexed on item_id and wins over the events' own text. When no item text exists
at all, an item's text is its reviews joined (capped at `CleaningOptions.review_text_cap` characters).
Without an item column the id is `t:` + the first 12 hex digits of the SHA-1 of the row's text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pandas as pd

from core.data import IngestReport
from core.errors import IngestError
from core.ingest.columns import attribute_names
from core.ingest.rawtable import RawTable
from core.ingest.schema import ColumnMapping, normalize_header, resolve_mapping

CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_LIST_COLUMNS = frozenset({"genres", "genre", "tags", "tag", "categories"})


def join_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """(n_rows,) str: the text columns of each row joined with ". ", control characters removed."""
    parts = []
    for name in columns:
        part = frame[name].astype("str").str.replace(CONTROL_CHARS, "", regex=True).str.strip()
        if normalize_header(name) in _LIST_COLUMNS:
            part = part.str.replace(r"\s*\|\s*", ", ", regex=True).replace("(no genres listed)", "")
        parts.append(part)
    if not parts:
        return pd.Series("", index=frame.index, dtype="str")
    text = parts[0]
    for part in parts[1:]:
        text = (text + ". " + part).where(text != "", part).where(part != "", text)
    return text


def text_id(text: str) -> str:
    """Derived item id for a row without an item column: `t:` + 12 hex digits of SHA-1(text)."""
    return "t:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def items_mapping(
    items: RawTable, overrides: Mapping[str, str | Sequence[str] | None] | None = None
) -> ColumnMapping:
    """The items table's item_id and text columns: inferred from its headers, then the caller's
    `overrides` ({canonical: source}, as for the events). IngestError (code `items_columns`) when
    either is missing."""
    columns = list(items.frame.columns)
    mapping = resolve_mapping(columns, overrides)
    if not mapping.item_id or not mapping.text:
        shown = ", ".join(columns[:30])
        raise IngestError(
            f"The items table needs an item id and a text column (e.g. movieId + title). Columns: {shown}. "
            "Name them with --items-map item_id=COLUMN --items-map text=COLUMN.",
            f"商品表需要商品ID列和文本列（如 movieId + title）。现有列：{shown}。"
            "请用 --items-map item_id=列名 --items-map text=列名 指定。",
            code="items_columns",
            details={"columns": shown},
        )
    return mapping


def index_items_table(
    items: RawTable, report: IngestReport, overrides: Mapping[str, str | Sequence[str] | None] | None = None
) -> pd.DataFrame:
    """Items table -> DataFrame indexed by item_id with `text` and attributes (first row per id)."""
    mapping = items_mapping(items, overrides)
    frame = items.frame
    table = pd.DataFrame(
        {"item_id": frame[mapping.item_id].astype("str"), "text": join_text(frame, mapping.text)}
    )  # item ids exactly as written, like the events' own
    names, renamed = attribute_names([c for c in frame.columns if c not in mapping.source_columns()], table)
    for name, out_name in names.items():
        table[out_name] = frame[name].astype("str")
    report.warnings.extend(f"Items table: {w}" for w in renamed)
    duplicated = table["item_id"].duplicated()
    if duplicated.any():
        report.warnings.append(
            f"The items table repeats {int(duplicated.sum()):,} item ids; the first row of each is used."
        )
    report.items_mapping = mapping.as_dict()
    report.items_source = items.source_name
    report.items_rows_in = items.rows_in
    return table[~duplicated].set_index("item_id")


def build_items(
    item_ids: pd.Series, item_text: pd.Series, review: pd.Series, table: pd.DataFrame | None, cap: int
) -> pd.DataFrame:
    """One row per kept item (first-seen order): item_id, text (most frequent, else reviews joined and
    capped at `cap` characters), then the items table's attributes when given."""
    pairs = pd.DataFrame({"item_id": item_ids.array, "text": item_text.array, "review": review.array})
    with_text = pairs[pairs["text"] != ""]
    # Most frequent text per item (Online Retail gives one code several descriptions).
    best = with_text.groupby(["item_id", "text"], sort=False).size().reset_index(name="n")
    best = (
        best.sort_values("n", ascending=False, kind="stable")
        .drop_duplicates("item_id")
        .set_index("item_id")["text"]
    )
    items = pd.DataFrame({"item_id": pd.unique(pairs["item_id"])})
    items["text"] = items["item_id"].map(best).astype(object)
    missing = items["text"].isna()
    if missing.any():
        reviews = (
            pairs[pairs["review"] != ""]
            .groupby("item_id", sort=False)["review"]
            .agg(lambda s: " ".join(s)[:cap])
        )
        items.loc[missing, "text"] = items.loc[missing, "item_id"].map(reviews)
    items["text"] = items["text"].fillna("").astype("str")
    if table is not None:
        attrs = table.drop(columns="text")
        items = items.join(attrs, on="item_id")
    return items.reset_index(drop=True)

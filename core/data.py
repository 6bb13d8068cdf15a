"""The data contract every stage after ingestion relies on.

`Dataset.events` (one row per kept event, pandas DataFrame):
    user_id     str          exact string from the source ("007" stays "007", "NA" is an id)
    item_id     str          exact string; "t:<sha1[:12]>" of the text when the source has none
    event_type  str          one of EVENT_TYPES
    timestamp   datetime64   naive UTC; NaT when the source has no time column
    rating      float64      NaN when absent
    quantity    float64      NaN when absent
    price       float64      NaN when absent (unit price)
    review      str          the event's own free text (review/comment), "" when absent
    label       str          ground-truth segment when the source has one, else column absent
    <other>     str          every unmapped source column, kept as an attribute (e.g. Country)

`Dataset.items` (one row per item_id that occurs in events):
    item_id     str
    text        str          what the model embeds: title/description/genres/tags; when the source has
                             no item text, the item's reviews joined (see core/ingest/items.py)
    <other>     str          item attributes from an items table

Row order of `events` is the source order of kept rows; `source_row` (int, 1-based data line)
ties each event back to the upload. A source column whose name is taken by the pipeline (the names
above, `source_row`, or any name starting with `_`, kept for scratch columns of later stages) is kept
as `attr_<name>` with a report warning (core/ingest/columns.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

EVENT_TYPES = ("view", "click", "favorite", "cart", "purchase", "rating", "review")

CORE_EVENT_COLUMNS = (
    "user_id",
    "item_id",
    "event_type",
    "timestamp",
    "rating",
    "quantity",
    "price",
    "review",
)
INTERNAL_PREFIX = "_"  # later stages add scratch columns named so (e.g. `_uidx`); never a user's column
INTERNAL_EVENT_COLUMNS = (*CORE_EVENT_COLUMNS, "label", "source_row")


@dataclass
class IngestReport:
    """What happened to every uploaded row. rows_in == rows_kept + sum(rows_rejected.values())."""

    source_name: str = ""
    file_format: str = ""  # csv | tsv | xlsx | parquet
    compression: str = ""  # "" | gzip | zip
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    header_row: int = 1  # 1-based line/row of the header
    rows_in: int = 0
    rows_kept: int = 0
    rows_rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    rejected_examples: dict[str, list[int]] = field(default_factory=dict)  # reason -> source lines (capped)
    mapping: dict[str, str] = field(default_factory=dict)  # canonical -> source column
    attributes: list[str] = field(default_factory=list)  # unmapped source columns kept as attributes
    cleaning: dict[str, Any] = field(default_factory=dict)  # option -> value used
    n_users: int = 0
    n_items: int = 0
    n_events: int = 0
    items_source: str = ""  # "" | name of the items table
    items_rows_in: int = 0
    items_unmatched_events: int = 0
    items_matched_events: int = 0  # events whose item_id is in the items table
    items_mapping: dict[str, str] = field(default_factory=dict)  # the items table's canonical -> source
    plausibility: list[dict[str, Any]] = field(default_factory=list)  # core.ingest.plausibility findings
    language: dict[str, Any] = field(default_factory=dict)  # core.embed.language.LanguageProfile.to_dict()
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reconciled(self) -> bool:
        return self.rows_in == self.rows_kept + sum(self.rows_rejected.values())


@dataclass(frozen=True, eq=False)
class Dataset:
    """Clean events, their items and the report of how they were made."""

    events: pd.DataFrame
    items: pd.DataFrame
    report: IngestReport
    rejected: pd.DataFrame | None = None  # rejected source rows with a `reason` column (capped)

    @property
    def has_labels(self) -> bool:
        return "label" in self.events.columns

"""One call from a file (path or bytes) to a clean `Dataset`: read -> map -> clean."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from core.data import Dataset
from core.ingest.budget import local_file_limits
from core.ingest.cleaning import CleaningOptions, clean
from core.ingest.items import items_mapping
from core.ingest.local import parts_note, read_path
from core.ingest.plausibility import check_plausibility
from core.ingest.rawtable import RawTable
from core.ingest.read import read_table
from core.ingest.schema import resolve_mapping
from core.ingest.sniffing import ReadLimits
from core.progress import Progress, no_progress


def _read(
    source: str | Path | bytes, filename: str | None, limits: ReadLimits, **options: object
) -> RawTable:
    """Bytes through `read_table`; a local path (file, folder or glob of parts) through `read_path`."""
    if isinstance(source, bytes | bytearray | memoryview):
        return read_table(bytes(source), filename or "upload", limits=limits, **options)  # type: ignore[arg-type]
    return read_path(Path(source), filename, limits=limits, **options)  # type: ignore[arg-type]


def load_dataset(
    events: str | Path | bytes,
    *,
    filename: str | None = None,
    items: str | Path | bytes | None = None,
    items_filename: str | None = None,
    mapping_overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    has_header: bool = True,
    items_mapping_overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    items_delimiter: str | None = None,
    items_has_header: bool = True,
    options: CleaningOptions | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Read the events table (and an optional items table joined on item_id) into a `Dataset`.

    `mapping_overrides` ({canonical: source column}) wins over the inferred mapping; `encoding`,
    `delimiter`, `sheet` and `has_header` apply to the events table; the items table is sniffed on
    its own unless `items_delimiter`/`items_has_header`/`items_mapping_overrides` say otherwise.
    Without a header row the columns are named "1", "2", ... by position. The plausibility findings
    (core.ingest.plausibility) land in `report.plausibility`; acting on them is the caller's choice.
    """
    progress = progress or no_progress
    if limits is None:  # a file on this machine is bounded by its memory, an upload by ReadLimits()
        limits = ReadLimits() if isinstance(events, bytes | bytearray | memoryview) else local_file_limits()
    # 1. Read the bytes as text tables.
    progress(0.0, "Reading file")
    raw = _read(
        events, filename, limits, encoding=encoding, delimiter=delimiter, sheet=sheet, has_header=has_header
    )
    items_raw: RawTable | None = None
    if items is not None:
        progress(0.3, "Reading items table")
        items_raw = _read(
            items, items_filename, limits, delimiter=items_delimiter, has_header=items_has_header
        )
    # 2. Map columns: inferred, then the caller's overrides.
    progress(0.4, "Mapping columns")
    mapping = resolve_mapping(list(raw.frame.columns), mapping_overrides, header_row=raw.header_row)
    # 3. Clean and convert.
    progress(0.5, "Cleaning rows")
    dataset = clean(raw, mapping, items=items_raw, items_overrides=items_mapping_overrides, options=options)
    # 4. Does the result look like what the columns hold?
    text_columns = {c: raw.frame[c] for c in (*mapping.text, mapping.review) if c}
    if items_raw is not None:
        for column in items_mapping(items_raw, items_mapping_overrides).text:
            text_columns.setdefault(column, items_raw.frame[column])
    if raw.parts:  # read from parts: say which part each run-on line number is in
        dataset.report.warnings.append(parts_note(raw))
        if dataset.rejected is not None and len(dataset.rejected):
            dataset.rejected["part"] = raw.locate(dataset.rejected["line"].to_numpy())
    findings = check_plausibility(dataset, text_columns=text_columns)
    dataset.report.plausibility = [f.to_dict() for f in findings]
    from core.embed.language import detect_language

    dataset.report.language = detect_language(dataset.items["text"].tolist()).to_dict()
    progress(1.0, f"{dataset.report.rows_kept:,} of {dataset.report.rows_in:,} rows kept")
    from core.memory import release_memory

    del raw, items_raw, text_columns
    release_memory()  # the text tables are gone: hand their pages back before the next stage
    return dataset

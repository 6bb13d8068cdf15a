"""`RawTable`: a table read as exact strings, with source line numbers and parse rejects, and the helpers
that build one from rows or typed cells (shared by the CSV, Excel and Parquet readers)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from core.errors import IngestError
from core.ingest.sniffing import (
    ReadLimits,
)

REJECT_COLUMNS = ("line", "reason", "raw")


@dataclass(frozen=True, eq=False)
class RawTable:
    """A table read as text. rows_in = len(frame) + len(rejects)."""

    frame: pd.DataFrame  # (n_rows, n_cols) str cells, columns = header names (trimmed, made unique)
    lines: np.ndarray  # (n_rows,) int64: 1-based source line (CSV) or sheet row (xlsx) of each row
    source_name: str = ""
    file_format: str = "csv"  # csv | tsv | xlsx | parquet
    compression: str = ""  # "" | gzip | zip
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    header_row: int = 1  # 1-based line/row of the header (0: none, for parquet or has_header=False)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REJECT_COLUMNS)))
    warnings: tuple[str, ...] = ()
    # Read from several parts (a folder or glob): (part name, line offset) in reading order. Line
    # numbers then run on across the parts: part k's line j is offset_k + j (`locate` undoes it).
    parts: tuple[tuple[str, int], ...] = ()

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.rejects)

    def locate(self, lines: np.ndarray) -> list[str]:
        """ "part:line" of each (run-on) line number; the plain number when there are no parts."""
        lines = np.asarray(lines, dtype=np.int64)
        if not self.parts:
            return [str(int(v)) for v in lines]
        offsets = np.array([o for _, o in self.parts], dtype=np.int64)
        k = np.searchsorted(offsets, lines, side="left") - 1  # the part whose offset is below the line
        k = np.clip(k, 0, len(offsets) - 1)
        return [f"{self.parts[i][0]}:{int(v - offsets[i])}" for i, v in zip(k, lines, strict=True)]


def frame_from_rows(
    header: list[str], rows: list[list[str]] | list[tuple[str, ...]], limits: ReadLimits
) -> tuple[pd.DataFrame, list[str]]:
    """DataFrame of str columns from row lists; header trimmed, blanks named, duplicates made unique."""
    names, warnings = _column_names(header, limits)
    cells = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        cells[:] = rows  # (n_rows, n_cols); rows all have len(names) fields
    frame = pd.DataFrame({n: pd.array(cells[:, j], dtype="str") for j, n in enumerate(names)})
    return frame, warnings


def positional_header(rows: list[list[str]]) -> list[str]:
    """Column names "1", "2", ... for a table without a header row: as many as the most common
    field count of its non-empty sample rows (rows of another width are rejected by the parsers)."""
    widths = Counter(len(row) for row in rows if any(str(c).strip() for c in row))
    width = widths.most_common(1)[0][0] if widths else 1
    return [str(i) for i in range(1, width + 1)]


def _column_names(header: list[str], limits: ReadLimits) -> tuple[list[str], list[str]]:
    if len(header) > limits.max_columns:
        raise IngestError(
            f"The table has {len(header):,} columns, over the {limits.max_columns:,}-column limit.",
            f"数据表有 {len(header):,} 列，超过 {limits.max_columns:,} 列的上限。",
        )
    names, warnings, seen = [], [], set()
    for i, raw_name in enumerate(header, start=1):
        name = "".join(ch for ch in str(raw_name) if ch not in "\u200b\u200c\u200d\u2060\ufeff").strip()
        name = name or f"column_{i}"
        if name in seen:
            unique = next(f"{name} ({k})" for k in range(2, 10_000) if f"{name} ({k})" not in seen)
            warnings.append(f"Column name '{name}' appears more than once; the repeat is named '{unique}'.")
            name = unique
        seen.add(name)
        names.append(name)
    return names, warnings


def cell_to_str(value: object) -> str:
    """Typed cell (Excel/Parquet) -> the string a person sees: 17850.0 -> "17850", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)

"""Column-wise exports for large runs: members CSV through pyarrow, formula neutralisation vectorised.

`neutralise` (core.export.tables) runs per cell in Python, and pandas' CSV writer formats row by row:
for a million members that is minutes. Here a cell is a *candidate* when a regular expression over
the whole column (pyarrow.compute, in C++) says its first non-blank character could start a formula;
only candidates go through the same `neutralise`, so the result is the slow path's, cell for cell.
The table is then written by pyarrow.csv in batches (UTF-8 with BOM, CRLF, every text cell quoted:
any CSV reader reads the same values as from the pandas writer).

`LARGE_EXPORT_USERS`: from this many members the writers switch to this path and the Excel workbook
holds each segment's top members instead of every member (core.export.tables says so in the sheet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LARGE_EXPORT_USERS = 50_000
# Superset of what `neutralise` prefixes: a line end or tab first, or a formula character or "{"
# after the blanks it strips. Candidates are then checked by `neutralise` itself.
_CANDIDATE = r"^(?:[\t\r\n]|[ \x{3000}\x{a0}]*[=+\-@\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}\t\r\n{])"
BOM = "\ufeff".encode()


def is_large(n_users: int) -> bool:
    return n_users >= LARGE_EXPORT_USERS


Neutralise = Callable[[str], str]  # core.export.tables.neutralise, passed in (no import cycle)


def neutralise_strings(values: Iterable[Any] | pd.Series | np.ndarray, neutralise: Neutralise) -> Any:
    """A pyarrow string array: every cell as `core.export.tables._cell` would write it (None -> "")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pd.Series):
        array = _text_array(values)
    else:
        array = pa.array(np.asarray(values, dtype=object), pa.large_string(), from_pandas=True)
    array = pc.fill_null(array, "")
    hits = pc.match_substring_regex(array, _CANDIDATE)
    where = np.flatnonzero(hits.to_numpy(zero_copy_only=False))
    if len(where) == 0:
        return array
    cells = array.to_numpy(zero_copy_only=False).astype(object)
    cells[where] = [neutralise(str(cells[i])) for i in where]
    return pa.array(cells, pa.large_string())


def _text_array(values: pd.Series) -> Any:
    """The column's cells as `astype("str")` gives them (missing -> ""), without a Python string per
    cell where the cells already are strings: 1M members x 5 recommendation columns made 5M new
    string objects (~0.4 GB) on the way to Arrow."""
    import pyarrow as pa

    if values.dtype == object:
        try:  # all str (None/NaN -> null): Arrow copies the bytes, Python makes nothing
            return pa.array(values.to_numpy(dtype=object), pa.large_string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass  # numbers, bytes, ...: pandas' text for them
    return pa.array(values.astype("str").to_numpy(dtype=object, na_value=""), pa.large_string())


def arrow_table(frame: pd.DataFrame, neutralise: Neutralise) -> Any:
    """Numbers (not bools) stay numbers; every other column is neutralised text; headers too."""
    import pyarrow as pa

    columns, names = [], []
    for name in frame.columns:
        series = frame[name]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric:
            column = pa.array(series.to_numpy(), from_pandas=True)
        elif pd.api.types.is_bool_dtype(series):
            column = pa.array(np.where(series.to_numpy(bool), "yes", "no"), pa.large_string())
        else:
            column = neutralise_strings(series, neutralise)
        columns.append(column)
        names.append(neutralise(str(name)))
    return pa.Table.from_arrays(columns, names=names)


def write_csv(frame: pd.DataFrame, path: str | Path, neutralise: Neutralise) -> Path:
    """`frame` as a formula-proof CSV at `path` (UTF-8 with BOM, CRLF), written column-wise."""
    import pyarrow.csv as pacsv

    path = Path(path)
    table = arrow_table(frame, neutralise)
    with open(path, "wb") as handle:
        handle.write(BOM)
        pacsv.write_csv(table, handle, pacsv.WriteOptions(eol="\r\n", batch_size=65_536))
    return path


def csv_bytes(frame: pd.DataFrame, neutralise: Neutralise) -> bytes:
    import io

    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    buffer.write(BOM)
    pacsv.write_csv(arrow_table(frame, neutralise), buffer, pacsv.WriteOptions(eol="\r\n", batch_size=65_536))
    return buffer.getvalue()


EXCEL_TOP_MEMBERS = 1_000  # rows per segment sheet in a large run's workbook (xlsxwriter: ~60k cells/s here)


def top_members_sheets(
    view: Any, cap: int = EXCEL_TOP_MEMBERS
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A large run's Excel members: one sheet per exported segment ("Segment 3", never a user's
    text as a sheet name) with its `cap` most confident members, a first row saying so, and the
    recommendations of just those members. members.csv stays complete."""
    members = view.members
    order = np.lexsort((np.arange(len(members)), -members["confidence"].to_numpy(dtype=float)))
    ranked = members.iloc[order]
    sheets: dict[str, pd.DataFrame] = {}
    shown: list[np.ndarray] = []
    for segment_id, group in ranked.groupby("segment_id", sort=True):
        top = group.head(cap)
        shown.append(top["user_id"].to_numpy(dtype=object))
        note = (
            f"Top {len(top):,} of {len(group):,} members of segment {int(segment_id)} by confidence "
            f"(the workbook is capped at {cap:,} rows per segment); every member is in members.csv."
        )
        head = pd.DataFrame({c: [note if i == 0 else None] for i, c in enumerate(top.columns)})
        sheets[f"Segment {int(segment_id)}"[:31]] = pd.concat([head, top], ignore_index=True)
    recommendations = view.recommendations
    if len(recommendations) and shown:
        keep = recommendations["user_id"].isin(np.concatenate(shown))
        recommendations = recommendations[keep.to_numpy(bool)].reset_index(drop=True)
    return sheets, recommendations

"""Parquet columns to the exact text `cell_to_str` gives, in Arrow (C++) rather than per cell.

Only types whose Arrow text is provably the same string are converted here: strings (null -> ""),
integers, booleans ("TRUE"/"FALSE") and naive timestamps whose values are whole seconds (Arrow
writes `2024-01-26 15:41:48`, as `datetime.isoformat(sep=" ")` does). Anything else (floats,
dates, time zones, sub-second stamps, nested types) returns None and takes the per-cell path.
At 10,000,000 rows this turns minutes of Python objects into seconds.
"""

from __future__ import annotations

from typing import Any


def arrow_text(column: Any) -> Any:
    """A pandas "str" array of the column's cells as text, or None when the exact text needs Python."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column
    elif pa.types.is_integer(kind):
        text = column.cast(pa.string())
    elif pa.types.is_boolean(kind):
        text = pc.if_else(column, "TRUE", "FALSE")
    elif pa.types.is_timestamp(kind) and kind.tz is None:
        try:
            seconds = column.cast(pa.timestamp("s"))  # safe cast: fails when any value has a fraction
        except pa.ArrowInvalid:
            return None
        text = seconds.cast(pa.string())
        years = pc.year(seconds)
        span = pc.min_max(years).as_py()
        if span["min"] is not None and not 1000 <= span["min"] <= span["max"] <= 9999:
            return None  # Python pads years to 4 digits; past 9999 the per-cell path rejects per row
    else:
        return None
    return pd.array(pc.fill_null(text, ""), dtype="str")

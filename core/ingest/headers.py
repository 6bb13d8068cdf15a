"""A header line repeated inside the body (files concatenated with their headers, exports in pages)
is rejected with the reason `repeated_header`, never read as a row (a user called `user_id`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.ingest.rawtable import REJECT_COLUMNS, RawTable, _column_names
from core.ingest.sniffing import ReadLimits


def drop_repeated_headers(table: RawTable, limits: ReadLimits) -> RawTable:
    """`table` without body rows that read as its header (the same names after the header's own
    clean-up), those rows added to `rejects` with their line; the same table when there are none."""
    frame = table.frame
    names = list(frame.columns)
    if len(frame) == 0 or len(names) < 2:
        return table
    first = frame.iloc[:, 0].astype("str").str.strip()
    candidates = np.flatnonzero((first == names[0]).to_numpy(bool))
    hits = [i for i in candidates if _column_names([str(v) for v in frame.iloc[i]], limits)[0] == names]
    if not hits:
        return table
    delimiter = table.delimiter or ","
    rejects = pd.DataFrame(
        [
            (int(table.lines[i]), "repeated_header", delimiter.join(map(str, frame.iloc[i]))[:500])
            for i in hits
        ],
        columns=list(REJECT_COLUMNS),
    )
    keep = np.ones(len(frame), dtype=bool)
    keep[hits] = False
    combined = pd.concat([table.rejects, rejects], ignore_index=True) if len(table.rejects) else rejects
    return replace(
        table,
        frame=frame[keep].reset_index(drop=True),
        lines=table.lines[keep],
        rejects=combined.sort_values("line", kind="stable").reset_index(drop=True),
    )

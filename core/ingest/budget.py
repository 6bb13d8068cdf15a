"""Read limits for a file on this machine's disk (CLI, Python API): a memory budget, not a fixed count.

Uploads through the browser keep `ReadLimits()` (500 MB, 5,000,000 rows). A local path is read
under limits sized from the memory available now (Linux `MemAvailable`, else `os.sysconf`):
half of it is the budget, and a row is costed at `BYTES_PER_ROW` (the text table, the typed
events and the cleaning masks together, measured on the scale benchmark's 6-column events). The
defaults are never lowered: a small machine still reads what an upload may hold.
"""

from __future__ import annotations

import os
from dataclasses import replace

from core.ingest.sniffing import ReadLimits

BYTES_PER_ROW = 600
BUDGET_SHARE = 0.5


def available_memory() -> int:
    """Bytes of memory available to this process now (0 when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def local_file_limits(base: ReadLimits | None = None, memory: int | None = None) -> ReadLimits:
    """`base` (default ReadLimits()) with rows, lines and bytes raised to what memory allows."""
    base = base or ReadLimits()
    budget = int((available_memory() if memory is None else memory) * BUDGET_SHARE)
    rows = max(base.max_rows, budget // BYTES_PER_ROW)
    size = max(base.max_upload_bytes, budget // 4)  # the file's bytes are one of several copies
    return replace(
        base,
        max_rows=rows,
        max_lines=max(base.max_lines, 2 * rows),
        max_upload_bytes=size,
        max_decompressed_bytes=max(base.max_decompressed_bytes, size * 2),
    )

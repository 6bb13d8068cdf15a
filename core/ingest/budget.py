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

from core.errors import IngestError
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


def over_budget(name: str, rows: float, limits: ReadLimits) -> IngestError:
    """The error for a local file whose rows (about `rows`, counted or estimated) need more memory
    than the budget `local_file_limits` set."""
    need, have = rows * BYTES_PER_ROW, limits.max_rows * BYTES_PER_ROW
    return IngestError(
        f"'{name}' has about {rows:,.0f} rows; reading them needs about {_gb(need)} of memory, over this "
        f"machine's budget of {_gb(have)} ({limits.max_rows:,} rows, half the memory available now). "
        "Free memory, or read a sample or a subset of the parts.",
        f"“{name}”约有 {rows:,.0f} 行；读取需要约 {_gb(need)} 内存，超过本机 {_gb(have)} 的预算"
        f"（{limits.max_rows:,} 行，即当前可用内存的一半）。请释放内存，或读取样本或部分分片。",
    )


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GB"

"""A table on this machine's disk, read from its path: one file, a folder of parts or a glob of parts.

Engine: pyarrow. CSV/TSV files (plain or .gz) stream through pyarrow.csv in line-aligned blocks
(core.ingest.stream) and Parquet parts through pyarrow.dataset: both columnar and streaming, and
pyarrow is already a dependency (the Parquet reader and the fast CSV parse use it). DuckDB would
read the same files but add a dependency for the same reads, and its CSV sniffing and type
inference differ from ours (exact strings, line numbers, rejects by reason), so it could not stand
in for the exact path anyway. Whatever the fast readers cannot prove exact is read by the exact
in-memory path (`core.ingest.read.read_table`), within the memory budget (`local_file_limits`).
A streamed file is bounded by its rows (lines counted per block against the budget), not its size:
its bytes are never held whole.

Parts (`events/` or 'events/part-*.parquet'): the visible files of a folder (recursively, as Spark
writes them; names starting with "_" or "." such as `_SUCCESS` and `.crc` files are skipped), or the
files a glob matches, read in sorted order. They must be all Parquet or all text and have the same
columns (names; order may differ), else an IngestError names the odd part. Line numbers run on
across the parts (part k's line j is offset_k + j, offset_k = the lines of the parts before it), so
every count, example and `source_row` stays one integer; `RawTable.parts` holds the offsets,
rejects carry a `part` column ("part-00001.csv:17": the file and the line in it) and
`load_dataset` adds that column to the rejected rows and a note mapping line ranges to parts.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import replace
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from core.errors import IngestError
from core.ingest.budget import over_budget
from core.ingest.guards import (
    check_line_count,
    count_lines,
    gunzip,
    open_regular,
    parquet_truncated,
    read_source_file,
)
from core.ingest.headers import drop_repeated_headers
from core.ingest.rawtable import REJECT_COLUMNS, RawTable
from core.ingest.read import _finish, _read_text, parquet_text, read_table
from core.ingest.sniffing import ReadLimits, _mb
from core.ingest.stream import read_text_path

GLOB_CHARS = "*?["
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:/")  # a scheme of 2+ letters: "C:/x" stays a local path


def is_uri(path: str | Path) -> bool:
    """True for `scheme:/...` (hdfs://, s3a://, file:///, dbfs:/): data only Spark's file systems read."""
    return isinstance(path, str) and bool(_URI.match(path))


def require_local(path: str) -> None:
    """A URI given to the local engine: say where it can be read instead of 'file not found'."""
    if is_uri(path):
        raise IngestError(
            f"'{path}' is not on this machine: run it with --engine spark (Spark reads hdfs://, s3a://, "
            "abfss://, gs:// and file:// paths), or copy it here first.",
            f"“{path}”不在本机：请加 --engine spark 运行（Spark 可读取 hdfs://、s3a://、abfss://、gs:// 和 file:// "
            "路径），或先复制到本机。",
            code="not_found",
        )


MAX_PART_NOTES = 20  # parts named in the line-range note


def list_parts(path: Path) -> list[Path] | None:
    """The parts a folder or glob names (sorted), or None for a path that is one file."""
    text = str(path)
    if path.is_dir():
        files = sorted(
            f
            for f in path.rglob("*")
            if f.is_file() and not any(p.startswith(("_", ".")) for p in f.relative_to(path).parts)
        )
        if not files:
            raise IngestError(
                f"The folder '{path.name}' holds no data files.", f"文件夹“{path.name}”中没有数据文件。"
            )
        return files
    if any(ch in text for ch in GLOB_CHARS) and not path.exists():
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise IngestError(f"No file matches '{text}'.", f"没有文件匹配“{text}”。", code="not_found")
        return files
    return None


def read_path(
    path: Path,
    filename: str | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    has_header: bool = True,
    limits: ReadLimits,
) -> RawTable:
    """The RawTable of a local file, folder or glob (see the module docstring)."""
    parts = list_parts(path)
    if parts is None:
        return read_file(path, filename or path.name, encoding=encoding, delimiter=delimiter, sheet=sheet,
                         has_header=has_header, limits=limits)  # fmt: skip
    return read_parts(parts, filename or path.name, encoding=encoding, delimiter=delimiter,
                      has_header=has_header, limits=limits)  # fmt: skip


def _magic(path: Path) -> bytes:
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(8)


def read_file(
    path: Path,
    name: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    has_header: bool = True,
    limits: ReadLimits,
) -> RawTable:
    """One local file: Parquet from its path, CSV/TSV streamed, anything else (or what the stream
    cannot prove exact) by `read_table` on its bytes."""
    name = PurePath(name).name
    magic = _magic(path)
    if magic.startswith(b"PAR1"):
        return _finish(_parquet_part(path, limits), name, "parquet", "", [], limits)
    if _may_be_text(magic):
        table = read_text_path(
            path, encoding=encoding, delimiter=delimiter, has_header=has_header, limits=limits
        )
        if table is not None:
            gz = magic.startswith(b"\x1f\x8b")
            shown = name[:-3] if gz and name.lower().endswith(".gz") else name
            return _finish(table, shown, "", "gzip" if gz else "", [], limits)
    return read_table(read_source_file(path, limits), name, encoding=encoding, delimiter=delimiter, sheet=sheet,
                      has_header=has_header, limits=limits)  # fmt: skip


def _may_be_text(magic: bytes) -> bool:
    if magic.startswith(b"\x1f\x8b"):
        return True
    binary = (
        b"PK",
        b"PAR1",
        b"\xd0\xcf\x11\xe0",
        b"%PDF",
        b"\x89PNG",
        b"GIF8",
        b"\xff\xd8\xff",
        b"BM",
        b"RIFF",
    )
    return not magic.startswith(binary)


def _parquet_part(path: Path, limits: ReadLimits) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(size - 4, 0))
        if size < 12 or handle.read(4) != b"PAR1":
            raise parquet_truncated()
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(
            f"The Parquet file '{path.name}' is damaged or truncated ({exc}).",
            f"Parquet 文件“{path.name}”已损坏或不完整（{exc}）。",
        ) from exc
    if meta.num_rows > limits.max_rows:
        raise over_budget(path.name, meta.num_rows, limits)
    if meta.num_columns > limits.max_columns:
        raise IngestError(
            f"The table has {meta.num_columns:,} columns, over the {limits.max_columns:,}-column limit.",
            f"数据表有 {meta.num_columns:,} 列，超过 {limits.max_columns:,} 列的上限。",
        )
    return parquet_text(pq.read_table(path))


# --- parts -----------------------------------------------------------------------------------------
def read_parts(
    parts: list[Path],
    label: str,
    *,
    encoding: str | None,
    delimiter: str | None,
    has_header: bool,
    limits: ReadLimits,
) -> RawTable:
    """The parts as one RawTable, line numbers run on across them (module docstring)."""
    root = Path(os.path.commonpath([p.parent for p in parts]))
    names = [p.relative_to(root).as_posix() for p in parts]
    is_parquet = [_magic(p).startswith(b"PAR1") for p in parts]
    if any(is_parquet) and not all(is_parquet):
        odd = names[is_parquet.index(not is_parquet[0])]
        raise IngestError(
            f"The parts mix Parquet and text files: '{odd}' is not the format of '{names[0]}'. "
            "Read one format at a time.",
            f"分片混合了 Parquet 与文本文件：“{odd}”与“{names[0]}”格式不同。请一次只读取一种格式。",
        )
    if is_parquet[0]:
        tables = _parquet_parts(parts, names, limits)
        file_format = "parquet"
    else:
        tables = _text_parts(parts, names, encoding, delimiter, has_header, limits)
        file_format = ""
    return _combine(tables, names, label, file_format, limits)


def _parquet_parts(parts: list[Path], names: list[str], limits: ReadLimits) -> list[RawTable | None]:
    """Each Parquet part through pyarrow.dataset, one part's Arrow table alive at a time."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset([str(p) for p in parts], format="parquet")
        fragments = list(dataset.get_fragments())
        schemas = [f.physical_schema for f in fragments]
        total = sum(f.metadata.num_rows for f in fragments)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(
            f"A Parquet part cannot be read ({exc}).", f"有 Parquet 分片无法读取（{exc}）。"
        ) from exc
    for name, schema in zip(names, schemas, strict=True):
        _same_columns(names[0], list(schemas[0].names), name, list(schema.names))
    if total > limits.max_rows:
        raise over_budget(f"{len(parts)} parts", total, limits)
    tables: list[RawTable | None] = []
    for fragment, schema in zip(fragments, schemas, strict=True):
        table = parquet_text(fragment.to_table(schema=schema))
        tables.append(table)
    return tables


def _text_parts(
    parts: list[Path],
    names: list[str],
    encoding: str | None,
    delimiter: str | None,
    has_header: bool,
    limits: ReadLimits,
) -> list[RawTable | None]:
    sizes = [p.stat().st_size for p in parts]
    tables: list[RawTable | None] = []
    rows, read_bytes = 0, 0
    for path, name, size in zip(parts, names, sizes, strict=True):
        table = _text_part(path, encoding, delimiter, has_header, limits)
        read_bytes += size
        if table is not None:
            table = drop_repeated_headers(table, limits)
            if tables and (first := next((t for t in tables if t is not None), None)) is not None:
                _same_columns(names[0], list(first.frame.columns), name, list(table.frame.columns))
            rows += table.rows_in
            if rows > limits.max_rows:
                raise over_budget(f"{len(parts)} parts", rows * sum(sizes) / max(read_bytes, 1), limits)
        tables.append(table)
    return tables


def _text_part(
    path: Path, encoding: str | None, delimiter: str | None, has_header: bool, limits: ReadLimits
) -> RawTable | None:
    """A CSV/TSV part before `_finish` (a header-only part is 0 rows, an empty file None)."""
    table = read_text_path(path, encoding=encoding, delimiter=delimiter, has_header=has_header, limits=limits)
    if table is not None:
        return table
    raw = read_source_file(path, limits)
    if raw.startswith(b"\x1f\x8b"):
        raw = gunzip(raw, limits)
    else:
        check_line_count(count_lines(raw), limits)
    if not raw.strip():
        return None
    if not _may_be_text(raw[:8]):
        raise IngestError(
            f"The part '{path.name}' is not CSV/TSV text; a folder or glob of parts reads CSV/TSV (plain "
            "or .gz) or Parquet.",
            f"分片“{path.name}”不是 CSV/TSV 文本；文件夹或通配符分片只读取 CSV/TSV（普通或 .gz）或 Parquet。",
        )
    if len(raw) > limits.max_decompressed_bytes:
        raise IngestError(
            f"The part '{path.name}' is {_mb(len(raw))}, over the {_mb(limits.max_decompressed_bytes)} limit.",
            f"分片“{path.name}”大小为 {_mb(len(raw))}，超过 {_mb(limits.max_decompressed_bytes)} 的上限。",
        )
    return _read_text(raw, encoding, delimiter, limits, has_header=has_header)


def _same_columns(first_name: str, first: list[str], name: str, columns: list[str]) -> None:
    if sorted(first) == sorted(columns):
        return
    missing = [c for c in first if c not in columns][:5]
    extra = [c for c in columns if c not in first][:5]
    detail = "; ".join(
        s
        for s in (
            f"missing {', '.join(missing)}" if missing else "",
            f"extra {', '.join(extra)}" if extra else "",
        )
        if s
    )
    detail_zh = "；".join(
        s
        for s in (
            f"缺少 {', '.join(missing)}" if missing else "",
            f"多出 {', '.join(extra)}" if extra else "",
        )
        if s
    )
    raise IngestError(
        f"The part '{name}' does not have the columns of '{first_name}' ({detail}). All parts must have "
        "the same columns.",
        f"分片“{name}”的列与“{first_name}”不同（{detail_zh}）。所有分片必须有相同的列。",
    )


def _combine(
    tables: list[RawTable | None], names: list[str], label: str, file_format: str, limits: ReadLimits
) -> RawTable:
    present = [(n, t) for n, t in zip(names, tables, strict=True) if t is not None]
    if not present:
        raise IngestError("The parts are all empty.", "所有分片都是空的。")
    columns = list(present[0][1].frame.columns)
    frames, lines, rejects = [], [], []
    parts: list[tuple[str, int]] = []
    warnings: list[str] = []
    offset = 0
    for name, table in present:
        frames.append(table.frame[columns])
        lines.append(table.lines + offset)
        if len(table.rejects):
            part_rejects = table.rejects[list(REJECT_COLUMNS)].copy()
            part_rejects["part"] = [f"{name}:{int(v)}" for v in part_rejects["line"]]
            part_rejects["line"] = part_rejects["line"].astype(np.int64) + offset
            rejects.append(part_rejects)
        parts.append((name, offset))
        warnings.extend(f"{name}: {w}" for w in table.warnings)
        span = max(
            int(table.lines.max()) if len(table.lines) else 0,
            int(table.rejects["line"].max()) if len(table.rejects) else 0,
            table.header_row,
        )
        offset += span
    first = present[0][1]
    gz = {t.compression for _, t in present}
    encodings = {t.encoding for _, t in present}
    combined = RawTable(
        frame=pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0],
        lines=np.concatenate(lines).astype(np.int64),
        encoding=first.encoding if len(encodings) == 1 else ", ".join(sorted(encodings)),
        delimiter=first.delimiter,
        header_row=first.header_row,
        rejects=(
            pd.concat(rejects, ignore_index=True)
            if rejects
            else pd.DataFrame([], columns=[*REJECT_COLUMNS, "part"])
        ),
        warnings=tuple(warnings[:50]),
    )
    table = _finish(combined, label, file_format, next(iter(gz)) if len(gz) == 1 else "", [], limits)
    return replace(table, parts=tuple(parts))


def parts_note(table: RawTable) -> str:
    """Where the run-on line numbers of a table read from parts lie: 'a.csv lines 1-1,001; ...'."""
    spans = []
    bounds = [o for _, o in table.parts[1:]] + [None]
    for (name, start), end in list(zip(table.parts, bounds, strict=True))[:MAX_PART_NOTES]:
        spans.append(
            f"{name} lines {start + 1:,}-{end:,}" if end is not None else f"{name} from line {start + 1:,}"
        )
    more = (
        f"; and {len(table.parts) - MAX_PART_NOTES:,} more parts" if len(table.parts) > MAX_PART_NOTES else ""
    )
    return (
        f"Read {len(table.parts):,} parts; line numbers run on across them in this order: "
        + "; ".join(spans)
        + more
        + ". Rejected rows name the part and its own line (part:line)."
    )

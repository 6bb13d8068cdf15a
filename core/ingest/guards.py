"""Streaming guards on an upload: what may be opened at all, and limits counted while the bytes are
read and decompressed, so a bomb stops at the limit in small memory instead of after it is unpacked.

Entry points: `read_source_file` (regular files only; devices, FIFOs and sockets refused before a
byte is read), `gunzip` and `unzip_table` (decompressed bytes and lines counted per chunk, truncation
reported as such), `check_line_count` (plain text), `check_parquet` (footer, row and column counts
from the metadata before any column is read). No message ever quotes the file's content.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from pathlib import Path

from core.errors import IngestError
from core.ingest.rawtable import RawTable
from core.ingest.sniffing import ReadLimits, _mb

CHUNK = 1 << 20  # decompressed bytes per step: the counters run at least this often


def open_regular(path: Path) -> int:
    """File descriptor of a regular file (a symlink counts as its target); devices, FIFOs, sockets
    and folders refused before a byte is read."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then decides on the open file.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as exc:
        raise IngestError(
            f"Cannot read '{path}': {exc.strerror}.", f"无法读取“{path}”：{exc.strerror}。"
        ) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IngestError(f"'{path}' is a folder, not a file.", f"“{path}”是文件夹，不是文件。")
        raise IngestError(
            f"'{path}' is not a regular file (a device, pipe or socket); only data files are read.",
            f"“{path}”不是普通文件（设备、管道或套接字）；只能读取数据文件。",
        )
    return fd


def read_source_file(path: Path, limits: ReadLimits) -> bytes:
    """The bytes of a regular file (a symlink counts as its target), at most the upload limit."""
    fd = open_regular(path)
    info = os.fstat(fd)
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limits.max_upload_bytes:
            raise _too_big(path.name, info.st_size, limits)
        data = handle.read(limits.max_upload_bytes + 1)
    if len(data) > limits.max_upload_bytes:  # it grew while being read
        raise _too_big(path.name, len(data), limits)
    return data


def _too_big(name: str, size: int, limits: ReadLimits) -> IngestError:
    return IngestError(
        f"'{name}' is {_mb(size)}, over the {_mb(limits.max_upload_bytes)} upload limit.",
        f"“{name}”大小为 {_mb(size)}，超过 {_mb(limits.max_upload_bytes)} 的上传上限。",
    )


class _Budget:
    """Decompressed bytes and lines, counted chunk by chunk against the limits."""

    def __init__(self, compressed_size: int, limits: ReadLimits) -> None:
        self.limits = limits
        self.max_bytes = min(
            limits.max_decompressed_bytes,
            max(limits.min_decompressed_allowance, int(compressed_size * limits.max_decompression_ratio)),
        )
        self.size = self.lf = self.cr = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            limit = self.limits
            raise IngestError(
                f"The compressed file unpacks to more than {_mb(self.max_bytes)}; the limits are "
                f"{_mb(limit.max_decompressed_bytes)} and {limit.max_decompression_ratio:,.0f}x the compressed "
                "size (above that it looks like a decompression bomb). It was not unpacked further.",
                f"压缩文件解压后超过 {_mb(self.max_bytes)}；上限为 {_mb(limit.max_decompressed_bytes)}，且不超过压缩大小的 "
                f"{limit.max_decompression_ratio:,.0f} 倍（超出则疑似解压炸弹）。已停止解压。",
            )
        self.lf += chunk.count(b"\n")
        self.cr += chunk.count(b"\r")
        check_line_count(max(self.lf, self.cr), self.limits)


def check_line_count(lines: int, limits: ReadLimits) -> None:
    """IngestError when a text has more lines than `limits.max_lines` (before it is split)."""
    if lines > limits.max_lines:
        raise IngestError(
            f"The file has more than {limits.max_lines:,} lines, over the limit (at most {limits.max_rows:,} "
            "rows are read). It was not read further.",
            f"文件超过 {limits.max_lines:,} 行，超出上限（最多读取 {limits.max_rows:,} 行数据）。已停止读取。",
        )


def count_lines(raw: bytes) -> int:
    """Lines of a text's bytes (LF, CRLF or CR ends; also right for UTF-16/32, whose ends hold 0x0A/0x0D)."""
    return max(raw.count(b"\n"), raw.count(b"\r"))


def gunzip(raw: bytes, limits: ReadLimits) -> bytes:
    """Decompress gzip (concatenated members too) with bytes and lines capped while unpacking; a
    stream that ends before its end-of-stream marker is reported as truncated, never read as complete."""
    chunks: list[bytes] = []  # joined once at the end (one copy of the output, not two)
    budget = _Budget(len(raw), limits)
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = raw
    try:
        while data:
            chunks.append(stream.decompress(data, CHUNK))
            budget.add(chunks[-1])
            data = stream.unconsumed_tail
            if stream.eof and stream.unused_data:  # concatenated gzip members
                data = stream.unused_data
                stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while not stream.eof:  # input consumed, output still buffered in zlib
            chunk = stream.decompress(b"", CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            budget.add(chunk)
    except zlib.error as exc:
        raise IngestError(f"The gzip file is damaged ({exc}).", f"gzip 文件已损坏（{exc}）。") from exc
    if not stream.eof:
        raise IngestError(
            "The gzip file is truncated: its data ends before the end-of-stream marker (an incomplete "
            "download or copy). Upload the complete file.",
            "gzip 文件不完整：数据在结束标记之前中断（下载或复制未完成）。请上传完整的文件。",
        )
    return b"".join(chunks)


def unzip_table(raw: bytes, limits: ReadLimits) -> tuple[bytes, str]:
    """The one data file inside a zip archive, with its name; read in chunks under the limits, and a
    truncated or corrupt member (bad CRC, cut deflate stream) reported as such."""
    archive = zipfile.ZipFile(io.BytesIO(raw))
    entries = [
        i
        for i in archive.infolist()
        if not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not i.filename.split("/")[-1].startswith(".")
    ]
    if len(entries) != 1:
        names = ", ".join(i.filename for i in entries[:10]) or "none"
        raise IngestError(
            f"The zip archive must hold exactly one data file; it holds {len(entries)} ({names}).",
            f"ZIP 压缩包中应只有一个数据文件，实际有 {len(entries)} 个（{names}）。",
        )
    entry = entries[0]
    budget = _Budget(entry.compress_size, limits)
    if entry.file_size > budget.max_bytes:
        raise IngestError(
            f"'{entry.filename}' unpacks to {_mb(entry.file_size)}, over the {_mb(budget.max_bytes)} limit.",
            f"“{entry.filename}”解压后为 {_mb(entry.file_size)}，超过 {_mb(budget.max_bytes)} 的上限。",
        )
    chunks: list[bytes] = []
    try:
        with archive.open(entry) as handle:
            while chunk := handle.read(CHUNK):
                chunks.append(chunk)
                budget.add(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise IngestError(
            f"'{entry.filename}' inside the zip archive is truncated or damaged ({exc}). Upload the complete file.",
            f"ZIP 压缩包内的“{entry.filename}”不完整或已损坏（{exc}）。请上传完整的文件。",
        ) from exc
    return b"".join(chunks), entry.filename


def check_parquet(raw: bytes, limits: ReadLimits) -> None:
    """Footer present and the row/column counts within the limits, from the metadata alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(raw) < 12 or not raw.endswith(b"PAR1"):
        raise parquet_truncated()
    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(f"The Parquet file is damaged ({exc}).", f"Parquet 文件已损坏（{exc}）。") from exc
    if meta.num_rows > limits.max_rows:
        raise IngestError(
            f"The table has {meta.num_rows:,} rows, over the {limits.max_rows:,}-row limit.",
            f"数据表有 {meta.num_rows:,} 行，超过 {limits.max_rows:,} 行的上限。",
        )
    if meta.num_columns > limits.max_columns:
        raise IngestError(
            f"The table has {meta.num_columns:,} columns, over the {limits.max_columns:,}-column limit.",
            f"数据表有 {meta.num_columns:,} 列，超过 {limits.max_columns:,} 列的上限。",
        )


def parquet_truncated() -> IngestError:
    return IngestError(
        "The Parquet file is truncated: its footer (the end of the file) is missing. Upload the complete file.",
        "Parquet 文件不完整：缺少文件末尾的元数据。请上传完整的文件。",
    )


_SHAPE_REASONS = ("too_many_fields", "too_few_fields", "malformed_quotes", "unterminated_quote")


def check_table_shape(table: RawTable) -> None:
    """IngestError (quoting nothing of the file) when most rows do not have the header's fields:
    the file is not a table of that shape (a text or system file, or the wrong delimiter)."""
    if not len(table.rejects):
        return
    misshapen = int(table.rejects["reason"].isin(_SHAPE_REASONS).sum())
    if misshapen > max(table.rows_in // 2, 2):
        width = len(table.frame.columns)
        raise IngestError(
            f"The file does not look like a table: {misshapen:,} of {table.rows_in:,} rows do not have the "
            f"{width} fields of the first line. If it is a table, name the delimiter (--delimiter) or fix "
            "its quoting.",
            f"文件看起来不是数据表：{table.rows_in:,} 行中有 {misshapen:,} 行的字段数与第一行的 {width} 个不同。"
            "如果它是数据表，请指定分隔符（--delimiter）或修正引号。",
        )

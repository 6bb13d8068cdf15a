"""A local CSV/TSV file (plain or .gz) read from its path in blocks, never as one Python str.

`read_text_path` streams the file's bytes in line-aligned blocks (pyarrow.csv, every column as
string), so memory holds the Arrow text columns, not the file, its decoded text and a Python str per
line. It answers only when its result is provably the RawTable that `core.ingest.read._read_text`
(the exact, in-memory path) gives; otherwise it returns None and the caller reads the file that way.
The proof, block by block, on the raw bytes with numpy:

- the head (first lines) is valid UTF-8 (an UTF-8 BOM is allowed) and is sniffed by the same code
  (`text_prelude`): delimiter, title lines, header, `sep=` line;
- no NUL byte, no lone CR (CRLF and LF are fine), no line longer than the cell limit;
- Arrow yields one row per non-blank line (blank = "\\n" or "\\r\\n"), so row i's source line is the
  i-th non-blank line's number: no quoted line breaks, no ragged rows;
- every line holding a quote is rebuilt from its Arrow cells with a quoting the `csv` module reads
  back to those cells (all cells quoted, minimal quoting, or one column pattern); the few lines no
  pattern rebuilds are parsed by `csv` (strict) and compared, as `_parse_fast` does;
- Arrow's UTF-8 check on every cell (invalid bytes -> None: the exact path rejects those lines).

Blank lines, invalid UTF-8, ragged rows, quoted newlines, other encodings (GBK, UTF-16) and files
with no body rows all take the exact path, which reports rejects with their line and reason.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import IngestError
from core.ingest.budget import over_budget
from core.ingest.guards import CHUNK, _Budget, open_regular
from core.ingest.rawtable import REJECT_COLUMNS, RawTable, _column_names
from core.ingest.sniffing import ReadLimits, _utf16_without_bom, looks_binary

BLOCK_BYTES = 32 << 20  # bytes of text parsed per step
HEAD_LINES = 160  # the sniffers look at the first ~150 lines
HEAD_BYTES = 32_000  # and `looks_binary` at the first 8,000 characters
_UTF8_BOM = b"\xef\xbb\xbf"


class _Source:
    """The file's (decompressed) bytes in chunks, with how far through the file they are."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        fd = open_regular(path)
        self.handle = os.fdopen(fd, "rb")
        self.size = os.fstat(fd).st_size
        self.gzip = self.handle.read(2) == b"\x1f\x8b"
        self.handle.seek(0)
        self.limits = limits
        self.name = path.name

    def fraction(self) -> float:
        return min(1.0, self.handle.tell() / max(self.size, 1))

    def chunks(self, size: int) -> Iterator[bytes]:
        if not self.gzip:
            while chunk := self.handle.read(size):
                yield chunk
            return
        # A first pass counts the unpacked bytes and lines against the bomb guards of `gunzip`
        # (and finds a truncated stream) before any row is parsed and kept: unpacking twice costs
        # less than holding a bomb's rows.
        for _ in self._gunzip(size):
            pass
        self.handle.seek(0)
        yield from self._gunzip(size)

    def _gunzip(self, size: int) -> Iterator[bytes]:
        budget = _Budget(self.size, self.limits)
        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while data := self.handle.read(CHUNK):
                while data:
                    out = stream.decompress(data, size)
                    budget.add(out)
                    yield out
                    data = stream.unconsumed_tail
                    if stream.eof and stream.unused_data:  # concatenated gzip members
                        data = stream.unused_data
                        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not stream.eof and (out := stream.decompress(b"", size)):
                budget.add(out)
                yield out
        except zlib.error as exc:
            raise IngestError(f"The gzip file is damaged ({exc}).", f"gzip 文件已损坏（{exc}）。") from exc
        if not stream.eof:
            raise IngestError(
                "The gzip file is truncated: its data ends before the end-of-stream marker (an incomplete "
                "download or copy). Upload the complete file.",
                "gzip 文件不完整：数据在结束标记之前中断（下载或复制未完成）。请上传完整的文件。",
            )

    def close(self) -> None:
        self.handle.close()


def _line_blocks(chunks: Iterator[bytes], block: int) -> Iterator[bytes]:
    """Blocks of about `block` bytes that end at a line end (the last one where the file ends)."""
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= block:
            data = b"".join(pending)
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending, size = [data], len(data)  # one line longer than the block: keep reading
                continue
            yield data[:cut]
            pending, size = [data[cut:]], len(data) - cut
    tail = b"".join(pending)
    if tail:
        yield tail


def read_text_path(
    path: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    has_header: bool,
    limits: ReadLimits,
    block_bytes: int | None = None,
) -> RawTable | None:
    """The RawTable `_read_text` would give for this file's (decompressed) text, or None when that
    cannot be proven cheaply (the caller then reads the file with the exact path). Raises
    IngestError when the file has more lines than the memory budget allows."""
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    source = _Source(path, limits)
    try:
        return _read(source, encoding, delimiter, has_header, limits, block_bytes or BLOCK_BYTES)
    finally:
        source.close()


def _read(
    source: _Source,
    encoding: str | None,
    delimiter: str | None,
    has_header: bool,
    limits: ReadLimits,
    block_bytes: int,
) -> RawTable | None:
    from core.ingest.read import text_prelude
    from core.ingest.textparse import _split_lines

    blocks = _line_blocks(source.chunks(min(block_bytes, CHUNK)), block_bytes)
    # 1. Head: enough whole lines for the sniffers, or the whole file.
    head, ended = b"", False
    while head.count(b"\n") < HEAD_LINES or len(head) < HEAD_BYTES:
        nxt = next(blocks, None)
        if nxt is None:
            ended = True
            break
        head += nxt
    if not head.strip() or b"\x00" in head:
        return None  # empty, or NULs to remove: the exact path words it
    text_encoding = encoding or "utf-8"
    offset = 0
    if head.startswith(_UTF8_BOM):
        if encoding:
            return None  # an explicit utf-8 keeps the BOM as a character
        text_encoding, offset = "utf-8-sig", len(_UTF8_BOM)
    elif head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or _utf16_without_bom(head):
        return None
    sample = head[:8000]
    if not encoding and sum(1 for b in sample if b < 9 or 13 < b < 32) / len(sample) > 0.1:
        return None
    cut = _head_cut(head)
    try:
        head_text = head[offset:cut].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if looks_binary(head_text):
        return None
    lines = _split_lines(head_text)
    try:
        delimiter, header, header_index, start, warnings = text_prelude(lines, delimiter, limits, has_header)
    except IngestError:
        return None  # the exact path raises it (or reads what the head cut short)
    if not ended and start + 2 > len(lines):
        return None
    if len(header) < 2 or not delimiter.isascii():
        return None
    body_offset = offset + len("".join(lines[:start]).encode("utf-8"))
    names, name_warnings = _column_names(header, limits)
    parser = _BlockParser(delimiter, len(header), limits)
    first_line = start  # 0-based index of the block's first line
    counted = head.count(b"\n")
    first = head[body_offset:]
    del head, head_text, lines
    for block in _chain(first, blocks):
        if block is not first:
            counted += block.count(b"\n")
        if counted > limits.max_lines:
            raise over_budget(source.name, counted / max(source.fraction(), 1e-9), limits)
        n_lines = parser.add(block, first_line)
        if n_lines < 0:
            return None
        first_line += n_lines
        if parser.rows > limits.max_rows:  # rows_in of this table: stop now, not after the last block
            raise over_budget(source.name, parser.rows / max(source.fraction(), 1e-9), limits)
    if parser.rows == 0:
        return None  # header only: the exact path says so
    columns = parser.columns()
    return RawTable(
        frame=pd.DataFrame(dict(zip(names, columns, strict=True))),
        lines=np.concatenate(parser.lines).astype(np.int64),
        encoding=text_encoding,
        delimiter=delimiter,
        header_row=header_index + 1 if has_header else 0,
        rejects=pd.DataFrame([], columns=list(REJECT_COLUMNS)),
        warnings=tuple(warnings + name_warnings),
    )


def _head_cut(head: bytes) -> int:
    """End of the head's sniffed part: HEAD_LINES lines and at least 32,000 bytes (8,000 characters for
    `looks_binary`), at a line end."""
    pos = -1
    for _ in range(HEAD_LINES):
        pos = head.find(b"\n", pos + 1)
        if pos < 0:
            return len(head)
    if pos < HEAD_BYTES:
        pos = head.find(b"\n", HEAD_BYTES)
    return len(head) if pos < 0 else pos + 1


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class _BlockParser:
    """Parses line-aligned blocks with pyarrow.csv and proves each block's result exact."""

    def __init__(self, delimiter: str, n_columns: int, limits: ReadLimits) -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        self.delimiter, self.n_columns, self.limits = delimiter, n_columns, limits
        self.names = [f"f{j}" for j in range(n_columns)]
        self.read_options = pacsv.ReadOptions(column_names=self.names, block_size=1 << 24)
        self.parse_options = pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False
        )
        self.convert_options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(self.names, pa.large_string()),  # pandas "str" storage: no copy
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        self.chunks: list[list[Any]] = [[] for _ in range(n_columns)]
        self.lines: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        self.rows = 0
        self.pattern: list[bool] | None = None  # which columns a file quotes, from its first odd line

    def add(self, block: bytes, first_line: int) -> int:
        """Lines in the block, or -1 when its parse is not provably the exact one."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        data = np.frombuffer(block, dtype=np.uint8)
        newlines = np.flatnonzero(data == 10)
        ends = newlines if block.endswith(b"\n") else np.append(newlines, len(block))
        starts = np.concatenate(([0], ends[:-1] + 1))
        if (data == 0).any():
            return -1
        crlf = np.zeros(len(ends), dtype=bool)
        n_cr = int(np.count_nonzero(data == 13))
        if n_cr:
            has_prev = ends > 0
            crlf[has_prev] = data[ends[has_prev] - 1] == 13
            crlf &= ends < len(block)  # the file's last line has no end to be CRLF
            if int(crlf.sum()) != n_cr:
                return -1  # a lone CR ends a line for `csv`, not for this proof
        if len(ends) and int((ends - starts).max()) + 1 > self.limits.max_cell_chars:
            return -1
        content_end = ends - crlf
        keep = content_end > starts  # blank lines ("\n", "\r\n") hold no row
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(block)),
                read_options=self.read_options,
                parse_options=self.parse_options,
                convert_options=self.convert_options,
            )
        except (pa.ArrowException, ValueError):
            return -1  # wrong field count, broken quoting, invalid UTF-8 ...
        if table.num_rows != int(keep.sum()):
            return -1
        quote_at = np.flatnonzero(data == 34)
        if len(quote_at):
            counts = np.searchsorted(quote_at, ends) - np.searchsorted(quote_at, starts)  # quotes per line
            quoted_lines = np.flatnonzero(counts)
            rows = (np.cumsum(keep) - 1)[quoted_lines]
            if len(rows) == table.num_rows:  # every row (rows are in order): no copy
                cells = [table.column(j) for j in range(self.n_columns)]
            else:
                cells = [table.column(j).take(pa.array(rows)) for j in range(self.n_columns)]
            s, e = starts[quoted_lines], content_end[quoted_lines]
            plain = self._plain_quoting(data, s, e, counts[quoted_lines], cells)
            if not plain.all():
                odd = np.flatnonzero(~plain)
                odd_cells = [c.take(pa.array(odd)) for c in cells]
                if not self._quoted_ok(block, odd_cells, s[odd], e[odd]):
                    return -1
        for j in range(self.n_columns):
            self.chunks[j].extend(table.column(j).chunks)
        self.lines.append(np.flatnonzero(keep) + first_line + 1)
        self.rows += table.num_rows
        return len(ends)

    def _plain_quoting(
        self, data: np.ndarray, starts: np.ndarray, ends: np.ndarray, quotes: np.ndarray, cells: list[Any]
    ) -> np.ndarray:
        """(n_lines,) bool: the line is its cells, each either unquoted or wrapped in one pair of quotes
        and holding no quote, joined by the delimiter, and has no other quote. Such a line reads the
        same in `csv` (strict) and Arrow: checked from the cells' byte lengths at the quote and
        delimiter positions, with numpy, no string built."""
        import pyarrow.compute as pc

        last = len(data) - 1
        delimiter = ord(self.delimiter)
        pos = starts.copy()
        ok = np.ones(len(starts), dtype=bool)
        n_quoted = np.zeros(len(starts), dtype=np.int64)
        for j, column in enumerate(cells):
            length = pc.binary_length(column).to_numpy(zero_copy_only=False).astype(np.int64)
            is_quoted = (pos < ends) & (data[np.minimum(pos, last)] == 34)
            close = pos + 1 + length
            ok &= ~is_quoted | ((close < ends) & (data[np.minimum(close, last)] == 34))
            after = np.where(is_quoted, close + 1, pos + length)
            n_quoted += is_quoted
            if j < len(cells) - 1:
                ok &= (after < ends) & (data[np.minimum(after, last)] == delimiter)
                pos = after + 1
            else:
                ok &= after == ends
        return ok & (quotes == 2 * n_quoted)

    def _quoted_ok(self, block: bytes, cells: list[Any], starts: np.ndarray, ends: np.ndarray) -> bool:
        """Lines holding a quote `_plain_quoting` cannot place: rebuilt from their cells with a
        quoting `csv` reads back to those cells, else parsed by `csv` (strict) and compared."""
        import pyarrow as pa
        import pyarrow.compute as pc

        offsets = np.empty(2 * len(starts), dtype=np.int64)
        offsets[0::2], offsets[1::2] = starts, ends
        spans = pa.Array.from_buffers(
            pa.large_binary(), 2 * len(starts) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(block)]
        )
        original = spans.take(pa.array(np.arange(0, 2 * len(starts), 2)))  # every other span is a line
        rows = np.arange(len(starts))
        quote, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
        quoted = [
            pc.binary_join_element_wise(quote, pc.replace_substring(c, '"', '""'), quote, empty)
            for c in cells
        ]
        unsafe: list[Any] = []  # computed when a quoting other than "all" is tried
        left = np.ones(len(rows), dtype=bool)
        pattern: list[bool] = []
        for choice in ("all", "minimal", "pattern"):
            if choice == "pattern":
                if self.pattern is None:
                    self.pattern = self._column_pattern(block, starts, ends, cells, left)
                pattern = self.pattern
            if choice != "all" and not unsafe:
                unsafe = [self._needs_quotes(c) for c in cells]
            parts = []
            for j in range(self.n_columns):
                if choice == "all" or (choice == "pattern" and pattern[j]):
                    parts.append(quoted[j])
                elif choice == "minimal":
                    parts.append(pc.if_else(unsafe[j], quoted[j], cells[j]))
                else:
                    parts.append(cells[j])
            rebuilt = pc.binary_join_element_wise(*parts, pa.scalar(self.delimiter, pa.large_string()))
            rebuilt = rebuilt.cast(pa.large_binary())
            same = pc.equal(rebuilt, original).to_numpy(zero_copy_only=False)
            if choice == "pattern":  # unquoted cells must hold no quote, delimiter or line end
                for j in range(self.n_columns):
                    if not pattern[j]:
                        same &= ~unsafe[j].to_numpy(zero_copy_only=False)
            left &= ~same
            if not left.any():
                return True
        rest = np.flatnonzero(left)
        csv.field_size_limit(self.limits.max_cell_chars)
        try:
            expected = [
                tuple(row)
                for i in rest
                for row in csv.reader(
                    [block[starts[i] : ends[i]].decode("utf-8")], delimiter=self.delimiter, strict=True
                )
            ]
        except (csv.Error, UnicodeDecodeError):
            return False
        got = list(zip(*(c.take(pa.array(rest)).to_pylist() for c in cells), strict=True))
        return got == expected

    def _needs_quotes(self, column: Any) -> Any:
        import pyarrow.compute as pc

        return pc.or_(
            pc.or_(pc.match_substring(column, '"'), pc.match_substring(column, self.delimiter)),
            pc.or_(pc.match_substring(column, "\r"), pc.match_substring(column, "\n")),
        )

    def _column_pattern(
        self, block: bytes, starts: np.ndarray, ends: np.ndarray, cells: list[Any], left: np.ndarray
    ) -> list[bool]:
        """Which columns are quoted on the first line no other quoting rebuilt."""
        i = int(np.flatnonzero(left)[0])
        line = block[starts[i] : ends[i]].decode("utf-8", "replace")
        pattern, pos = [], 0
        for j in range(self.n_columns):
            cell = cells[j][i].as_py()
            is_quoted = line.startswith('"', pos)
            pattern.append(is_quoted)
            pos += (len(cell) + cell.count('"') + 2 if is_quoted else len(cell)) + 1
        return pattern

    def columns(self) -> list[Any]:
        import pyarrow as pa

        return [
            pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype="str") for chunks in self.chunks
        ]

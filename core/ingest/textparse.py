"""Delimited text -> rows: line splitting, the vectorised fast parse and the strict reference parse.

`_parse_fast` (pyarrow) answers only when its result is provably the one `_parse_rows` (strict `csv`)
would give; otherwise it returns None and the strict parse decides, rejecting bad lines with their
line number and a reason. `_drop_invalid_bytes` rejects rows holding undecodable bytes.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from core.ingest.sniffing import INVALID_BYTES, ReadLimits

_BLANK_LINES = frozenset(("\n", "\r", "\r\n"))
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines splits on these too


def _split_lines(text: str) -> list[str]:
    """Lines with their ends, split on \\n, \\r\\n and \\r only (as `csv` and Excel read them)."""
    if any(ch in text for ch in _OTHER_BREAKS):
        return io.StringIO(text, newline="").readlines()
    return text.splitlines(keepends=True)  # the same lines, twice as fast


def _parse_fast(
    text: str, lines: list[str], start: int, delimiter: str, n_columns: int, limits: ReadLimits
) -> tuple[list[pd.api.extensions.ExtensionArray], np.ndarray] | None:
    """Vectorised parse (pyarrow) of `lines[start:]`: n_columns str arrays (n_rows,) and the 1-based
    source line of each row (n_rows,) int64. None, for the strict parse to decide, unless the result
    is provably the strict one: one row per non-blank line, every row n_columns fields, no cell over
    the limit, and each line holding a quote parsed alone by `csv` (strict) to the same fields."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = lines[start:]
    if n_columns < 2 or not data or delimiter in '"\r\n' or not delimiter.isascii():
        return None
    if max(map(len, data)) > limits.max_cell_chars:
        return None
    keep = ~np.fromiter(map(_BLANK_LINES.__contains__, data), dtype=bool, count=len(data))
    try:
        body = pa.py_buffer(text.encode("utf-8")).slice(len("".join(lines[:start]).encode("utf-8")))
    except UnicodeEncodeError:
        return None
    names = [f"f{j}" for j in range(n_columns)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None  # wrong field count, broken quoting, a line over the block size ...
    if table.num_rows != int(keep.sum()):
        return None
    quoted = [i for i, line in enumerate(data) if '"' in line]
    if quoted:
        positions = pa.array((np.cumsum(keep) - 1)[quoted])
        got = list(zip(*(table.column(j).take(positions).to_pylist() for j in range(n_columns)), strict=True))
        csv.field_size_limit(limits.max_cell_chars)
        try:
            expected = [
                tuple(row) for i in quoted for row in csv.reader([data[i]], delimiter=delimiter, strict=True)
            ]
        except csv.Error:
            return None
        if got != expected:
            return None
    columns = [pd.array(table.column(j), dtype="str") for j in range(n_columns)]
    return columns, (np.flatnonzero(keep) + start + 1).astype(np.int64)


def _parse_rows(
    lines: list[str], start: int, delimiter: str, n_columns: int, limits: ReadLimits
) -> tuple[list[list[str]], list[int], list[tuple[int, str, str]]]:
    """Strict CSV parse from line index `start`. A row that spans lines but has the wrong field
    count, or a quoting error, rejects only its first line; parsing resumes on the next line."""
    rows: list[list[str]] = []
    row_lines: list[int] = []
    rejects: list[tuple[int, str, str]] = []
    csv.field_size_limit(limits.max_cell_chars)
    n, i = len(lines), start
    while i < n:
        reader = csv.reader(map(lines.__getitem__, range(i, n)), delimiter=delimiter, strict=True)
        consumed, restart = 0, None
        try:
            for row in reader:
                first, span = i + consumed, reader.line_num - consumed
                consumed = reader.line_num
                if len(row) == n_columns:
                    rows.append(row)
                    row_lines.append(first + 1)
                elif not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                elif span > 1:
                    rejects.append((first + 1, "malformed_quotes", lines[first][:500]))
                    restart = first + 1
                    break
                else:
                    reason = "too_many_fields" if len(row) > n_columns else "too_few_fields"
                    rejects.append((first + 1, reason, lines[first][:500]))
        except csv.Error as exc:
            first = i + consumed
            message = str(exc)
            if "field larger than field limit" in message:
                reason = "cell_too_large"
            elif "unexpected end of data" in message:
                reason = "unterminated_quote"
            else:
                reason = "malformed_quotes"
            rejects.append((first + 1, reason, lines[first][:500]))
            restart = first + 1
        if restart is None:
            break
        i = restart
    return rows, row_lines, rejects


def _drop_invalid_bytes(
    rows: list[list[str]], row_lines: list[int], lines: list[str], delimiter: str
) -> tuple[list[list[str]], list[int], list[tuple[int, str, str]]]:
    keep_rows, keep_lines, bad = [], [], []
    for row, line in zip(rows, row_lines, strict=True):
        if any(INVALID_BYTES.search(cell) for cell in row):
            shown = INVALID_BYTES.sub(
                lambda m: m.group().encode("utf-8", "surrogateescape").hex(" "), delimiter.join(row)
            )
            bad.append((line, "invalid_encoding", shown[:500]))
        else:
            keep_rows.append(row)
            keep_lines.append(line)
    return keep_rows, keep_lines, bad

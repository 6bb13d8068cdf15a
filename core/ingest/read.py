"""Raw bytes -> `RawTable`: every cell as an exact string, with source line numbers and parse rejects.

Formats: CSV/TSV (plain, gzip, zip), Excel .xlsx, Parquet, recognised by magic bytes, not by name.
CSV is parsed strictly as text: a row with extra or missing fields, broken quoting or undecodable
bytes is rejected with its line number and a reason; quoted newlines and CRLF/CR line ends work;
`NA`, `null` and `007` stay the exact strings they are.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import PurePath

import numpy as np
import pandas as pd

from core.errors import IngestError
from core.ingest.guards import (
    check_line_count,
    check_parquet,
    check_table_shape,
    count_lines,
    gunzip,
    unzip_table,
)
from core.ingest.headers import drop_repeated_headers
from core.ingest.rawtable import (
    REJECT_COLUMNS,
    RawTable,
    _column_names,
    cell_to_str,
    frame_from_rows,
    positional_header,
)
from core.ingest.sniffing import (
    ReadLimits,
    _mb,
    check_xlsx,
    decode_text,
    detect_container,
    excel_sep_line,
    find_header,
    looks_binary,
    sniff_delimiter,
)
from core.ingest.textparse import _drop_invalid_bytes, _parse_fast, _parse_rows, _split_lines


def read_table(
    raw: bytes,
    filename: str = "",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    has_header: bool = True,
    limits: ReadLimits | None = None,
) -> RawTable:
    """Read an uploaded table from its bytes. Raises IngestError (EN + ZH) when it cannot be used.

    `has_header=False` reads the first row as data and names the columns by position, "1", "2", ...
    (CSV/TSV and Excel; Parquet always names its columns)."""
    limits = limits or ReadLimits()
    name = PurePath(filename or "upload").name
    if len(raw) > limits.max_upload_bytes:
        raise IngestError(
            f"The file is {_mb(len(raw))}, over the {_mb(limits.max_upload_bytes)} upload limit.",
            f"文件大小为 {_mb(len(raw))}，超过 {_mb(limits.max_upload_bytes)} 的上传上限。",
        )
    # 1. Unwrap compression.
    compression = ""
    kind = detect_container(raw)
    if kind == "gzip":
        raw, compression = gunzip(raw, limits), "gzip"
        name = name[:-3] if name.lower().endswith(".gz") else name
        kind = detect_container(raw)
    elif kind == "zip":
        raw, name = unzip_table(raw, limits)
        compression = "zip"
        kind = detect_container(raw)
    # 2. Dispatch on what the bytes are, whatever the name says.
    if kind == "xls":
        raise IngestError(
            "Legacy Excel .xls files are not supported. Save the sheet as .xlsx or CSV and upload that.",
            "不支持旧版 Excel .xls 文件。请另存为 .xlsx 或 CSV 后再上传。",
        )
    if kind in ("image", "pdf", "zip", "gzip"):
        what_en = {"image": "an image", "pdf": "a PDF"}.get(kind, "a nested archive")
        what_zh = {"image": "图片", "pdf": "PDF"}.get(kind, "嵌套压缩包")
        raise IngestError(
            f"'{name}' is {what_en}, not a data table. Upload CSV, TSV, Excel .xlsx or Parquet.",
            f"“{name}”是{what_zh}，不是数据表。请上传 CSV、TSV、Excel .xlsx 或 Parquet。",
        )
    warnings: list[str] = []
    suffix = PurePath(name).suffix.lower()
    if kind == "xlsx":
        if suffix not in (".xlsx", ".xlsm"):
            warnings.append(f"'{name}' is an Excel workbook despite its name; it was read as .xlsx.")
        from core.ingest.excel import read_xlsx

        check_xlsx(raw, limits)
        return _finish(
            read_xlsx(raw, sheet=sheet, has_header=has_header, limits=limits),
            name,
            "xlsx",
            compression,
            warnings,
            limits,
        )
    if kind == "parquet":
        check_parquet(raw, limits)
        return _finish(_read_parquet(raw), name, "parquet", compression, warnings, limits)
    if not compression:  # unpacked text was counted while decompressing
        check_line_count(count_lines(raw), limits)
    table = _read_text(raw, encoding, delimiter, limits, has_header=has_header)
    return _finish(table, name, "", compression, warnings, limits)


def _finish(
    table: RawTable, name: str, file_format: str, compression: str, warnings: list[str], limits: ReadLimits
) -> RawTable:
    if file_format != "parquet":
        table = drop_repeated_headers(table, limits)
    if table.rows_in > limits.max_rows:
        raise IngestError(
            f"The table has {table.rows_in:,} rows, over the {limits.max_rows:,}-row limit.",
            f"数据表有 {table.rows_in:,} 行，超过 {limits.max_rows:,} 行的上限。",
        )
    if table.rows_in == 0:
        raise IngestError("The table has a header but no data rows.", "数据表只有表头，没有数据行。")
    check_table_shape(table)
    fmt = file_format or ("tsv" if table.delimiter == "\t" else "csv")
    return RawTable(
        frame=table.frame,
        lines=table.lines,
        source_name=name,
        file_format=fmt,
        compression=compression,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        header_row=table.header_row,
        rejects=table.rejects,
        warnings=tuple(warnings) + table.warnings,
    )


# --- delimited text --------------------------------------------------------------------------------
def _read_text(
    raw: bytes,
    encoding: str | None,
    delimiter: str | None,
    limits: ReadLimits,
    *,
    fast: bool = True,
    has_header: bool = True,
) -> RawTable:
    """Decode and parse delimited text (parsers in core.ingest.textparse). `fast` tries `_parse_fast` first;
    the strict row-by-row parse (`fast=False`) is the reference and handles every file the fast
    parse declines."""
    decoded = decode_text(raw, encoding)
    text = decoded.text
    if not text or text.isspace():  # = not text.strip(), without copying the text
        raise IngestError("The file is empty.", "文件是空的。")
    if looks_binary(text):
        raise IngestError(
            "The file is not text (binary data). Upload CSV, TSV, Excel .xlsx or Parquet.",
            "文件不是文本（二进制数据）。请上传 CSV、TSV、Excel .xlsx 或 Parquet。",
        )
    warnings = [decoded.warning] if decoded.warning else []
    if "\x00" in text:
        warnings.append(f"Removed {text.count(chr(0)):,} NUL characters.")
        text = text.replace("\x00", "")
    lines = _split_lines(text)
    delimiter, header, header_index, start, prelude_warnings = text_prelude(
        lines, delimiter, limits, has_header
    )
    warnings.extend(prelude_warnings)
    parsed = None
    if fast and not decoded.has_invalid_bytes:
        parsed = _parse_fast(text, lines, start, delimiter, len(header), limits)
    if parsed is not None:
        names, name_warnings = _column_names(header, limits)
        return RawTable(
            frame=pd.DataFrame(dict(zip(names, parsed[0], strict=True))),
            lines=parsed[1],
            encoding=decoded.encoding,
            delimiter=delimiter,
            header_row=header_index + 1 if has_header else 0,
            rejects=pd.DataFrame([], columns=list(REJECT_COLUMNS)),
            warnings=tuple(warnings + name_warnings),
        )
    rows, row_lines, rejects = _parse_rows(lines, start, delimiter, len(header), limits)
    if decoded.has_invalid_bytes:
        rows, row_lines, bad = _drop_invalid_bytes(rows, row_lines, lines, delimiter)
        rejects.extend(bad)
        if bad:
            shown = ", ".join(str(b[0]) for b in bad[:10])
            warnings.append(
                f"{len(bad)} line(s) have bytes that are not valid UTF-8 (lines {shown}); they were rejected. "
                "If the file uses another encoding, choose it explicitly."
            )
    frame, name_warnings = frame_from_rows(header, rows, limits)
    rejects.sort(key=lambda r: r[0])
    return RawTable(
        frame=frame,
        lines=np.asarray(row_lines, dtype=np.int64),
        encoding=decoded.encoding,
        delimiter=delimiter,
        header_row=header_index + 1 if has_header else 0,
        rejects=pd.DataFrame(rejects, columns=list(REJECT_COLUMNS)),
        warnings=tuple(warnings + name_warnings),
    )


def text_prelude(
    lines: list[str], delimiter: str | None, limits: ReadLimits, has_header: bool = True
) -> tuple[str, list[str], int, int, list[str]]:
    """Delimiter, header fields, header line index, index of the first body line and warnings, from
    the first lines of a text (only the first ~150 lines are looked at; shared by the path reader)."""
    warnings: list[str] = []
    start = 0
    sep = excel_sep_line(lines[0]) if lines else None
    if sep:
        start = 1
    delimiter = delimiter or sep or sniff_delimiter(lines[start : start + 100])
    check_delimiter(delimiter)
    # Header: skip empty lines and title lines above it.
    sample = lines[start : start + 50]
    try:
        sample_rows = list(csv.reader(sample, delimiter=delimiter))
    except csv.Error:
        sample_rows = [line.split(delimiter) for line in sample]
    if not has_header:
        header_index = start + next(
            (i for i, row in enumerate(sample_rows) if any(c.strip() for c in row)), 0
        )
        header = positional_header(sample_rows)
        header_lines = 0
    else:
        header_index = start + find_header(sample_rows)
    if has_header and header_index > start:
        warnings.append(
            f"Skipped {header_index - start} line(s) above the header; the header is line {header_index + 1}."
        )
    try:
        if has_header:
            reader = csv.reader(itertools.islice(lines, header_index, None), delimiter=delimiter, strict=True)
            header = next(reader)
            header_lines = reader.line_num
    except (csv.Error, StopIteration) as exc:
        raise IngestError("The header line cannot be read.", "无法读取表头行。") from exc
    if len(header) > limits.max_columns:
        raise IngestError(
            f"The table has {len(header):,} columns, over the {limits.max_columns:,}-column limit.",
            f"数据表有 {len(header):,} 列，超过 {limits.max_columns:,} 列的上限。",
        )
    start = header_index + header_lines
    return delimiter, header, header_index, start, warnings


def check_delimiter(delimiter: str) -> None:
    """IngestError unless `delimiter` can separate fields: one character, not a quote or line end."""
    if len(delimiter) != 1:
        raise IngestError(
            f"The delimiter must be one character, got '{delimiter}'.",
            f"分隔符必须是单个字符，收到“{delimiter}”。",
        )
    if delimiter in '"\r\n':
        en, zh = ("a double quote", "双引号") if delimiter == '"' else ("a line end", "换行符")
        raise IngestError(
            f"The delimiter cannot be {en}: quotes wrap fields and line ends separate rows. "
            "Use , ; | or \\t (TAB), or leave it out to detect it.",
            f"分隔符不能是{zh}：引号用于包裹字段，换行用于分隔行。请使用 , ; | 或 \\t（制表符），或不指定以自动识别。",
        )


# --- parquet ---------------------------------------------------------------------------------------
def _read_parquet(raw: bytes | str) -> RawTable:
    """Columns converted one at a time (one column's Python objects alive at once); a column whose
    values Python cannot represent (timestamps past year 9999) is read as Arrow's text instead."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw) if isinstance(raw, bytes) else raw)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(
            f"The Parquet file cannot be read ({exc}).", f"无法读取 Parquet 文件（{exc}）。"
        ) from exc
    return parquet_text(table)


def parquet_text(table) -> RawTable:
    """An Arrow table as a RawTable of exact strings (rows numbered 1..n, no header line)."""
    from core.ingest.columnar import arrow_text

    columns = {}
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if (text := arrow_text(column)) is not None:  # string/integer/whole-second columns in Arrow
            columns[str(name)] = text
            continue
        try:
            cells = [cell_to_str(v) for v in column.to_pylist()]
        except (ValueError, OverflowError):
            cells = _wide_text(column)
        columns[str(name)] = pd.array(cells, dtype="str")
        del cells
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    return RawTable(frame=frame, lines=np.arange(1, len(frame) + 1, dtype=np.int64), header_row=0)


def _wide_text(column) -> list[str]:
    """Cells of a column Python's datetime cannot hold (years past 9999 or before 1) as text; dates
    and timestamps in ISO form with the year written out (`97038-01-01T00:00:00`), so the timestamp
    parser can reject them as out of range rather than unreadable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = column.is_valid().to_numpy(zero_copy_only=False)
    kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        unit = kind.unit if pa.types.is_timestamp(kind) else "D" if kind == pa.date32() else "ms"
        ints = pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        text = np.datetime_as_string(ints.astype(f"datetime64[{unit}]"), unit="D" if unit == "D" else "s")
    else:
        text = np.asarray(pc.fill_null(column.cast(pa.string(), safe=False), "").to_pylist(), dtype=object)
    return [str(t) if ok else "" for t, ok in zip(text, valid, strict=True)]

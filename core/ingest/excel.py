"""Excel .xlsx -> RawTable (called after the zip-bomb/entity pre-check in `sniffing.check_xlsx`)."""

from __future__ import annotations

import io

import numpy as np

from core.errors import IngestError
from core.ingest.rawtable import RawTable, cell_to_str, frame_from_rows, positional_header
from core.ingest.sniffing import ReadLimits, find_header
from core.ingest.workbook import formulas_error, formulas_without_values, hidden_sheets


def read_xlsx(
    raw: bytes, *, sheet: str | None = None, has_header: bool = True, limits: ReadLimits | None = None
) -> RawTable:
    """The named sheet, or the first sheet with data; line numbers are sheet row numbers (1-based).
    Without a header row (`has_header=False`) the columns are named "1", "2", ... by position."""
    limits = limits or ReadLimits()
    sheets = _read_sheets(raw)
    names = [name for name, _ in sheets]
    warnings: list[str] = []
    if sheet is not None:
        chosen = next(((n, rows) for n, rows in sheets if n == sheet), None)
        if chosen is None:
            raise IngestError(
                f"The workbook has no sheet '{sheet}'. Sheets: {', '.join(names)}.",
                f"工作簿中没有工作表“{sheet}”。现有工作表：{', '.join(names)}。",
            )
    else:
        with_data = [(n, rows) for n, rows in sheets if any(any(c.strip() for c in r) for r in rows)]
        hidden = hidden_sheets(raw)
        if skipped := [n for n, _ in with_data if n in hidden]:
            warnings.append(
                f"Skipped hidden sheet(s) {', '.join(skipped)}; name one with --sheet to read it."
            )
            with_data = [(n, rows) for n, rows in with_data if n not in hidden]
        if not with_data:
            if count := formulas_without_values(raw):
                raise formulas_error(names[0], count)
            raise IngestError(
                "The workbook has no data in any visible sheet.", "工作簿的所有可见工作表都没有数据。"
            )
        chosen = with_data[0]
        if len(with_data) > 1:
            others = ", ".join(n for n, _ in with_data[1:])
            warnings.append(
                f"Read sheet '{chosen[0]}', the first with data; other sheets with data: {others}."
            )
    name, rows = chosen
    if not rows or not any(any(c.strip() for c in r) for r in rows):
        raise IngestError(f"Sheet '{name}' is empty.", f"工作表“{name}”是空的。")
    if has_header:
        header_index = find_header(rows[:50])
        header, body_start = rows[header_index], header_index + 1
    else:
        header_index = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
        header, body_start = positional_header(rows[header_index : header_index + 50]), header_index
    if has_header and header_index:
        warnings.append(
            f"Skipped {header_index} row(s) above the header; the header is row {header_index + 1}."
        )
    while header and not header[-1].strip():  # trailing unnamed, empty columns of the used range
        header = header[:-1]
    width = len(header)
    body, lines = [], []
    for offset, row in enumerate(rows[body_start:], start=body_start + 1):
        cells = (row + [""] * width)[:width]
        if any(c.strip() for c in cells):
            body.append(cells)
            lines.append(offset)
    if count := formulas_without_values(raw):
        if not body:
            raise formulas_error(name, count)
        warnings.append(
            f"{count:,} cells are formulas saved without their values and were read as empty; open the "
            "file in Excel and save it (or export CSV) to keep them."
        )
    frame, name_warnings = frame_from_rows(header, body, limits)
    return RawTable(
        frame=frame,
        lines=np.asarray(lines, dtype=np.int64),
        sheet=name,
        header_row=header_index + 1 if has_header else 0,
        warnings=tuple(warnings + name_warnings),
    )


def _read_sheets(raw: bytes) -> list[tuple[str, list[list[str]]]]:
    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError:  # pragma: no cover - openpyxl fallback (uses defusedxml when installed)
        return _read_sheets_openpyxl(raw)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        return [
            (
                name,
                [
                    [cell_to_str(v) for v in row]
                    for row in workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                ],
            )
            for name in workbook.sheet_names
        ]
    except (CalamineError, ValueError, OSError) as exc:
        raise IngestError(
            f"The Excel file cannot be read ({exc}).", f"无法读取 Excel 文件（{exc}）。"
        ) from exc


def _read_sheets_openpyxl(raw: bytes) -> list[tuple[str, list[list[str]]]]:  # pragma: no cover
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    return [
        (ws.title, [[cell_to_str(v) for v in row] for row in ws.iter_rows(values_only=True)])
        for ws in workbook.worksheets
    ]

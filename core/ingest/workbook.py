"""What a workbook's cells cannot say by themselves: which sheets are hidden, and which cells are
formulas saved without their computed value (files written by scripts that never ran Excel), so a
formulas-only sheet is explained instead of reading as empty."""

from __future__ import annotations

import io
import re
import zipfile

from core.errors import IngestError

# a cell holding a formula and no cached value: <c ..><f>..</f></c>, <f/>, or an empty <v/> / <v></v>
_FORMULA_NO_VALUE = re.compile(rb"<c\b[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


def hidden_sheets(raw: bytes) -> set[str]:
    """Names of the hidden and very hidden sheets of a workbook (empty when it cannot tell)."""
    try:
        from python_calamine import CalamineWorkbook, SheetVisibleEnum

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        return {m.name for m in workbook.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    except Exception:  # visibility is a refinement; the reader itself reports real damage
        return set()


def formulas_without_values(raw: bytes) -> int:
    """Cells, over all worksheets, that are formulas with no saved value (they read as empty)."""
    count = 0
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                xml = archive.read(info)
                if b"<f" in xml:
                    count += len(_FORMULA_NO_VALUE.findall(xml))
    return count


def formulas_error(sheet: str, count: int) -> IngestError:
    """The sheet reads as empty because its cells are formulas saved without values."""
    return IngestError(
        f"Sheet '{sheet}' has no readable data: {count:,} of its cells are formulas saved without their "
        "computed values (the file was written by a program that does not calculate). Open it in Excel "
        "and save it, or export it as CSV, then upload that.",
        f"工作表“{sheet}”没有可读的数据：其中 {count:,} 个单元格是未保存计算结果的公式（文件由不进行计算的程序生成）。"
        "请在 Excel 中打开并保存，或导出为 CSV 后再上传。",
    )

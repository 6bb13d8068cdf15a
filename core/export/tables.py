"""Spreadsheet exports: the members CSV and the Excel workbook, both formula-proof.

Every text cell passes through `neutralise` (RELIABILITY.md family 13); numbers stay numbers.
Excel is written by xlsxwriter with string conversions off, so even a missed cell stays text.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.export.labels import sentiment_basis

if TYPE_CHECKING:
    from core.export.view import ExportView

NO_RECOMMENDATIONS_NOTE = (
    "Per-user recommendations were not requested for this export. Turn on 'Per-user recommendations' "
    "on the Export page, or pass --recommendations N to `python -m core analyze`."
)
REVENUE_COLUMNS = ("revenue", "orders", "revenue_per_user", "avg_order_value")  # raw values, unrounded

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
EXCEL_MAX_CELL = 32_767  # characters per cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula (also after leading whitespace)."""
    text = str(value)
    if not text:
        return text
    stripped = text.lstrip(" \u3000\u00a0")
    if text[0] in "\t\r\n" or stripped.startswith(_FORMULA_START):
        return "'" + text
    if stripped.startswith("{") and stripped[1:].lstrip().startswith("="):
        return "'" + text
    return text


def _cell(value: Any) -> Any:
    """Numbers (not bools) stay numeric; None/NaN become empty; everything else is neutralised text."""
    if type(value) is str:  # the common case first
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(float(value)) else float(value)
    if isinstance(value, list | tuple | dict):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str))
    return neutralise(str(value))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every non-numeric column neutralised cell by cell."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            out[column] = [_cell(v) for v in out[column].tolist()]
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def members_csv_bytes(view: ExportView) -> bytes:
    """members.csv: UTF-8 with BOM (Chinese Excel opens it right), CRLF, text neutralised."""
    return frame_csv_bytes(view.members)


def frame_csv_bytes(frame: pd.DataFrame) -> bytes:
    from core.export.fast import csv_bytes, is_large

    if is_large(len(frame)):  # column-wise (pyarrow), same cells: minutes -> seconds at 1M rows
        return csv_bytes(frame, neutralise)
    buffer = io.StringIO()
    neutralise_frame(frame).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


# ----------------------------------------------------------------------------------------- Excel
def excel_bytes(view: ExportView, *, max_rows: int = EXCEL_MAX_ROWS) -> bytes:
    """report.xlsx: Summary, Segments, Members, Keywords, Recommendations, [Trends], [Evaluation], Data quality."""
    import tempfile
    from pathlib import Path

    import xlsxwriter

    tables = _tables(view)
    notes = [
        f"Sheet {name}: {len(frame):,} rows exceed the Excel limit; the first {max_rows - 2:,} are shown. "
        "The full list is in members.csv."
        for name, frame in tables.items()
        if len(frame) > max_rows - 1
    ]
    summary = [*(("Note", n) for n in notes), *_summary_rows(view)]  # notes first: never cut off
    options = {
        "constant_memory": True,  # rows stream to disk: a million members do not sit in memory
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": False,
    }
    with tempfile.TemporaryDirectory(prefix="il-xlsx-") as tmp:
        path = Path(tmp) / "report.xlsx"
        book = xlsxwriter.Workbook(str(path), options)
        fmt = {
            "header": book.add_format({"bold": True, "bg_color": "#DDE7F0", "bottom": 1, "text_wrap": True}),
            "note": book.add_format({"italic": True, "font_color": "#9C4A00"}),
        }
        _write_sheet(book, fmt, "Summary", pd.DataFrame(summary, columns=["item", "value"]), max_rows)
        for name, frame in tables.items():
            _write_sheet(book, fmt, name, frame, max_rows)
        book.close()
        return path.read_bytes()


def _write_sheet(book: Any, fmt: dict[str, Any], name: str, frame: pd.DataFrame, max_rows: int) -> None:
    sheet = book.add_worksheet(name)
    columns = [str(c) for c in frame.columns]
    # Widths from the first rows, set before streaming (constant_memory writes rows in order).
    sample = neutralise_frame(frame.head(500)) if len(frame) else frame
    for c, column in enumerate(sample.columns):
        longest = max([len(str(column))] + [len(str(v)) for v in sample.iloc[:, c].tolist()])
        sheet.set_column(c, c, min(max(longest, 8), 60) + 2)
    sheet.freeze_panes(1, 0)
    for col, title in enumerate(columns):
        sheet.write_string(0, col, _clip(neutralise(title)), fmt["header"])
    truncated = len(frame) > max_rows - 1
    rows = frame.head(max_rows - 2) if truncated else frame
    # Column by column into cells (a list per column: no per-row pandas objects), then row by row
    # (constant_memory streams rows in order).
    cells = [[_cell(v) for v in rows.iloc[:, c].tolist()] for c in range(rows.shape[1])]
    write_string, write_number = sheet.write_string, sheet.write_number
    for r, record in enumerate(zip(*cells, strict=True), start=1):
        for c, cell in enumerate(record):
            if type(cell) is str:
                if cell:
                    write_string(r, c, cell if len(cell) <= EXCEL_MAX_CELL else _clip(cell))
            else:
                write_number(r, c, cell)
    if truncated:
        sheet.write_string(
            len(rows) + 1,
            0,
            f"Truncated: {len(frame):,} rows do not fit in Excel; the full list is in members.csv.",
            fmt["note"],
        )


def _clip(text: str) -> str:
    return text if len(text) <= EXCEL_MAX_CELL else text[: EXCEL_MAX_CELL - 1] + "…"


def _tables(view: ExportView) -> dict[str, pd.DataFrame]:
    from core.export.fast import is_large, top_members_sheets

    if is_large(view.n_users):  # a sheet per segment with its most typical members, capped and said so
        members, recommendations = top_members_sheets(view)
    else:
        members = {"Members": view.members}
        recommendations = view.recommendations
    tables = {
        "Segments": segment_dictionary(view),
        **members,
        "Keywords": pd.DataFrame(
            [
                (s.segment_id, s.name, rank, term, float(score))
                for s in view.segments
                for rank, (term, score) in enumerate(s.keywords, start=1)
            ],
            columns=["segment_id", "segment_name", "rank", "keyword", "score"],
        ),
        "Recommendations": recommendations
        if len(recommendations)
        else pd.DataFrame({"note": [NO_RECOMMENDATIONS_NOTE]}),
    }
    if view.trends is not None:
        tables["Trends"] = view.trends
    if view.evaluation is not None:
        tables["Evaluation"] = evaluation_frame(view.evaluation)
    tables["Data quality"] = pd.DataFrame(_quality_rows(view), columns=["item", "value"])
    return tables


def segment_dictionary(view: ExportView) -> pd.DataFrame:
    """One row per exported segment: id, name, size, share, keywords, sentiment, top items, stability."""
    rows = []
    for s in view.segments:
        rows.append(
            {
                "segment_id": s.segment_id,
                "segment_name": s.name,
                "users": s.size,
                "share": round(float(s.share), 4),
                "keywords": "; ".join(term for term, _ in s.keywords),
                "positive": s.sentiment.get("positive"),
                "neutral": s.sentiment.get("neutral"),
                "negative": s.sentiment.get("negative"),
                "mean_sentiment": s.sentiment.get("mean_score"),
                "sentiment_source": sentiment_basis(s),  # the page and the HTML report say the same
                "mean_rating": s.mean_rating,
                "top_items": "; ".join(str(i.get("text") or i.get("item_id", "")) for i in s.top_items[:10]),
                "stability": s.stability,
                **{key: (s.revenue or {}).get(key) for key in REVENUE_COLUMNS},
            }
        )
    return pd.DataFrame(rows)


def evaluation_frame(evaluation: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """An evaluation result as one readable sheet: per table its title, a verdict on its first row,
    marketer labels (`core.recommend.readable`); any other dict flattens into metric/value rows."""
    if isinstance(evaluation.get("recommenders"), dict):
        from core.recommend.readable import readable_tables

        frames = []
        for readable in readable_tables(evaluation, lang):
            frame = readable.frame.copy()
            frame.insert(0, "Table" if lang != "zh" else "表", readable.title)
            frame["Verdict" if lang != "zh" else "结论"] = [readable.verdict] + [""] * (len(frame) - 1)
            frames.append(frame)
        if frames:
            return pd.concat(frames, ignore_index=True)
    rows: list[tuple[str, Any]] = []
    for key, value in _flatten(evaluation, ""):
        rows.append((key, value))
    return pd.DataFrame(rows, columns=["metric", "value"])


def _flatten(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, pd.DataFrame):
        for index, record in value.iterrows():
            for column, cell in record.items():
                yield f"{prefix}[{index}].{column}", cell
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _summary_rows(view: ExportView) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("Run", view.run_id),
        ("Users segmented", view.n_users),
        ("Segments shown", len(view.segments)),
        ("Model", str(view.embedding_info.get("model_id", view.settings.get("model")))),
        ("Method", str(view.settings.get("method"))),
        ("Seed", view.settings.get("seed")),
    ]
    rows += [(f"Quality: {k}", float(v)) for k, v in view.quality.items()]
    rows += [(f"Privacy: {g['guard']}", f"{g['on']} ({g['detail']})") for g in view.privacy]
    rows += [("Warning", w) for w in view.warnings]
    return rows


def _quality_rows(view: ExportView) -> Sequence[tuple[str, Any]]:
    report = view.ingest.to_dict()
    rows: list[tuple[str, Any]] = []
    for key, value in report.items():
        if isinstance(value, dict):
            rows += [(f"{key}: {k}", v) for k, v in value.items()] or [(key, "")]
        elif isinstance(value, list):
            rows += [(key, v) for v in value] or [(key, "")]
        else:
            rows.append((key, value))
    rows.append(("reconciled (rows in = kept + rejected)", view.ingest.reconciled))
    return rows

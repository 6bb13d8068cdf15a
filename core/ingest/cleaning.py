"""`RawTable` + `ColumnMapping` -> `Dataset` (events, items, report, rejected rows); contract in core/data.py.

Every row ends either kept or rejected with one reason (the first check it fails, in the order of
`CHECK_ORDER`), so rows_in == rows_kept + sum(rows_rejected) always.

Item text, the items-table join and derived item ids live in core.ingest.items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.data import INTERNAL_EVENT_COLUMNS, Dataset, IngestReport
from core.errors import IngestError
from core.ingest.columns import attribute_names
from core.ingest.converters import (
    Converted,
    parse_event_types,
    parse_numbers,
    parse_ratings,
    parse_timestamps,
)
from core.ingest.ids import whitespace_variants
from core.ingest.items import CONTROL_CHARS, build_items, index_items_table, join_text, text_id
from core.ingest.rawtable import RawTable
from core.ingest.schema import (
    ColumnMapping,
    column_list,
    require_text_column,
    require_user_column,
)
from core.notes import Note

CHECK_ORDER = (
    "cancelled_invoice",
    "negative_quantity",
    "missing_user",
    "non_product_code",
    "nonpositive_price",
    "non_finite_quantity",
    "bad_quantity",
    "non_finite_price",
    "bad_price",
    "timestamp_out_of_range",
    "bad_timestamp",
    "non_finite_rating",
    "bad_rating",
    "unknown_event_type",
    "unknown_item",
    "missing_text",
    "duplicate",
)
# Online Retail's service codes (postage, discount, manual, fees, ...); DCGS* codes are products.
NON_PRODUCT_CODES = re.compile(r"^(?:POST|D|M|C2|DOT|BANK CHARGES|AMAZONFEE|CRUK|S|PADS|B|m|gift_0001_.*)$")
_DISTINCTIVE_CODES = ("POST", "DOT", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "C2")


@dataclass(frozen=True)
class CleaningOptions:
    """What to drop; every value and its effect goes into `IngestReport.cleaning`."""

    drop_duplicates: bool = True  # exact duplicate source rows (first kept)
    drop_cancellations: bool = True  # invoice starting with "C" (Online Retail)
    drop_negative_quantity: bool = True  # returns and stock adjustments
    drop_non_product_codes: bool = True  # POST, D, M, BANK CHARGES, ... when the item column has them
    drop_nonpositive_price: bool = True  # price <= 0 when a price column exists
    drop_unknown_event_types: bool = True  # else they become "view"
    extra_event_types: tuple[tuple[str, str], ...] = ()  # (source value, canonical type)
    bulk_failure_share: float = 0.5  # a typed column failing on more than this share is unmapped
    review_text_cap: int = 1_000  # characters of joined reviews used as item text
    max_rejected_rows: int = 10_000  # rows kept in Dataset.rejected
    max_examples: int = 20  # source lines per reason in the report


def clean(
    raw: RawTable,
    mapping: ColumnMapping,
    *,
    items: RawTable | None = None,
    items_overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    options: CleaningOptions | None = None,
) -> Dataset:
    """Map, convert and filter `raw` into the canonical events/items tables with a full report.
    `items_overrides` ({canonical: source}) fix the items table's item_id/text columns."""
    opts = options or CleaningOptions()
    frame, n = raw.frame, len(raw.frame)
    _check_columns(mapping, list(frame.columns), "events", raw.header_row)
    require_user_column(mapping, list(frame.columns), header_row=raw.header_row)
    if items is None:
        require_text_column(mapping, list(frame.columns), header_row=raw.header_row)
    report = IngestReport(
        source_name=raw.source_name,
        file_format=raw.file_format,
        compression=raw.compression,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        header_row=raw.header_row,
        rows_in=raw.rows_in,
        warnings=list(raw.warnings),
    )
    reason = np.full(n, "", dtype=object)
    effects: dict[str, object] = {}

    def reject(name: str, mask: np.ndarray | pd.Series) -> None:
        hit = np.asarray(mask, dtype=bool) & (reason == "")
        reason[hit] = name

    def col(name: str | None, *, exact: bool = False) -> pd.Series:
        if not name:
            return pd.Series("", index=frame.index, dtype="str")
        cells = frame[name].astype("str")
        return cells if exact else cells.str.strip()

    # 1. Typed conversions (a column that mostly fails is unmapped with a warning, never bulk NaT).
    typed: dict[str, Converted] = {}
    converters = {
        "quantity": lambda s: parse_numbers(s, what="quantity"),
        "price": lambda s: parse_numbers(s, what="price"),
        "timestamp": parse_timestamps,
        "rating": parse_ratings,
        "event_type": lambda s: parse_event_types(s, extra=dict(opts.extra_event_types)),
    }
    for canonical, convert in converters.items():
        source = getattr(mapping, canonical)
        if not source:
            continue
        result = convert(frame[source])
        present = int((~result.empty).sum())
        unreadable = int(result.unreadable.sum())  # out-of-range or non-finite values were read
        if present and unreadable > opts.bulk_failure_share * present:
            examples = ", ".join(f"'{v}'" for v in list(result.reasons)[:3])
            report.warnings.append(
                Note(
                    f"Column '{source}' could not be read as {canonical} ({unreadable:,} of {present:,} "
                    f"values, e.g. {examples}); it is kept as an attribute. Map another column or fix its format.",
                    f"列“{source}”无法按{_ZH_ROLE[canonical]}读取（{present:,} 个值中有 {unreadable:,} 个，"
                    f"例如 {examples}），已作为属性保留。请映射其他列或修正其格式。",
                )
            )
            mapping = _unmap(mapping, canonical)
            continue
        typed[canonical] = result
        report.warnings.extend(result.notes)
        if result.empty.any() and canonical in ("timestamp", "rating"):
            report.warnings.append(
                Note(
                    f"{int(result.empty.sum()):,} rows have no {canonical} (kept, left empty).",
                    f"{int(result.empty.sum()):,} 行没有{_ZH_ROLE[canonical]}（已保留，留空）。",
                )
            )

    # 2. Business checks, in CHECK_ORDER.
    quantity = typed["quantity"].values.to_numpy(float) if "quantity" in typed else np.full(n, np.nan)
    price = typed["price"].values.to_numpy(float) if "price" in typed else np.full(n, np.nan)
    if mapping.invoice and opts.drop_cancellations:
        reject("cancelled_invoice", col(mapping.invoice).str.upper().str.startswith("C"))
    if opts.drop_negative_quantity:
        reject("negative_quantity", quantity < 0)
    user = col(mapping.user_id, exact=True)  # ids exactly as written: " u1" is not "u1"
    reject("missing_user", user.str.strip() == "")
    item = col(mapping.item_id, exact=True)
    if mapping.item_id and opts.drop_non_product_codes and item.isin(_DISTINCTIVE_CODES).any():
        reject("non_product_code", item.str.fullmatch(NON_PRODUCT_CODES).fillna(False))
    if opts.drop_nonpositive_price:
        reject("nonpositive_price", price <= 0)
    for canonical, name in (
        ("quantity", "bad_quantity"),
        ("price", "bad_price"),
        ("timestamp", "bad_timestamp"),
        ("rating", "bad_rating"),
    ):
        if canonical in typed:
            for special, mask in typed[canonical].failed_as:
                reject(special, mask)
            reject(name, typed[canonical].failed)
    if "event_type" in typed:
        if opts.drop_unknown_event_types:
            reject("unknown_event_type", typed["event_type"].failed)
        else:
            typed["event_type"].values[typed["event_type"].failed] = "view"

    # 3. Text: the events' own text columns, or an items table joined on item_id.
    item_text = join_text(frame, mapping.text)
    review = col(mapping.review).str.replace(CONTROL_CHARS, "", regex=True)
    items_table = None
    if items is not None:
        items_table = index_items_table(items, report, items_overrides)
        if not mapping.item_id:
            raise IngestError(
                "An items table was given but the events have no item column to join on. Name it with --map item_id=COLUMN.",
                "提供了商品表，但行为数据中没有可关联的商品列。请用 --map item_id=列名 指定。",
                code="no_join_column",
                details={"columns": ", ".join(list(frame.columns)[:30])},
            )
        joined = item.map(items_table["text"])
        known = joined.notna().to_numpy(bool)
        report.items_unmatched_events = int((~known & (reason == "") & (item != "").to_numpy(bool)).sum())
        report.items_matched_events = int((known & (reason == "")).sum())
        item_text = pd.Series(np.where(known, joined.fillna(""), item_text), index=frame.index, dtype="str")
        if not mapping.text and not mapping.review:
            reject("unknown_item", ~known)
    reject("missing_text", ((item_text == "") & (review == "")).to_numpy(bool))
    if opts.drop_duplicates:
        reject("duplicate", frame.duplicated(keep="first").to_numpy(bool))

    # 4. Assemble kept events and items.
    keep = reason == ""
    if not keep.any():
        counts = pd.Series(reason).value_counts()
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        raise IngestError(
            f"No usable rows: all {n:,} rows were rejected ({summary}).",
            f"没有可用的行：全部 {n:,} 行都被拒绝（{summary}）。",
        )
    if not mapping.item_id:
        basis = item_text.where(item_text != "", review)
        item = basis.map(text_id)
    events, renamed = _events_frame(frame, mapping, keep, user, item, review, typed, raw.lines)
    report.warnings.extend(renamed)
    for name, what in (("user_id", "user"), ("item_id", "item")):
        if (warning := whitespace_variants(events[name], what)) is not None:
            report.warnings.append(warning)
    items_df = build_items(
        events["item_id"], item_text[keep], review[keep], items_table, opts.review_text_cap
    )
    if not mapping.text and items_table is None:
        report.warnings.append(
            Note(
                "No item text column: each item's text is its reviews joined (first 1,000 characters).",
                "没有商品文本列：每个商品的文本取其评价拼接而成（前 1,000 个字符）。",
            )
        )

    # 5. Report.
    rejected_counts = pd.Series(reason[~keep]).value_counts()
    parse_counts = raw.rejects["reason"].value_counts() if len(raw.rejects) else pd.Series(dtype=int)
    report.rows_rejected = {str(k): int(v) for k, v in pd.concat([parse_counts, rejected_counts]).items()}
    report.rows_kept = int(keep.sum())
    report.rejected_examples = _examples(raw, reason, opts.max_examples)
    report.mapping = mapping.as_dict()
    report.attributes = [c for c in events.columns if c not in _CANONICAL_OUT]
    effects.update({k: v for k, v in asdict(opts).items()})
    effects["event_type_default"] = "" if mapping.event_type else events["event_type"].iat[0]
    report.cleaning = effects
    report.n_users = int(events["user_id"].nunique())
    report.n_items = len(items_df)
    report.n_events = len(events)
    for canonical, result in typed.items():
        for why in list(result.reasons.values())[:3]:
            report.warnings.append(f"{canonical}: {why}")
    assert report.reconciled, "every row must be kept or rejected exactly once"
    rejected = _rejected_frame(raw, reason, typed, opts.max_rejected_rows)
    return Dataset(events=events, items=items_df, report=report, rejected=rejected)


_CANONICAL_OUT = INTERNAL_EVENT_COLUMNS
_ZH_ROLE = {
    "quantity": "数量",
    "price": "单价",
    "timestamp": "时间",
    "rating": "评分",
    "event_type": "行为类型",
}


def _check_columns(mapping: ColumnMapping, columns: list[str], what: str, header_row: int) -> None:
    missing = sorted(c for c in mapping.source_columns() if c not in columns)
    if missing:
        shown_en, shown_zh = column_list(columns, header_row=header_row)
        raise IngestError(
            f"The {what} table has no column {', '.join(missing)}. Columns: {shown_en}.",
            f"数据表中没有列 {', '.join(missing)}。现有列：{shown_zh}。",
        )


def _unmap(mapping: ColumnMapping, canonical: str) -> ColumnMapping:
    from dataclasses import replace

    return replace(mapping, **{canonical: None})  # type: ignore[arg-type]


def _events_frame(frame, mapping, keep, user, item, review, typed, lines) -> tuple[pd.DataFrame, list[str]]:
    n_kept = int(keep.sum())
    default_type = (
        "purchase" if (mapping.quantity or mapping.price) else "rating" if mapping.rating else "view"
    )
    out = pd.DataFrame(
        {
            "user_id": user[keep].array,  # .array: str columns stay Arrow-backed (no object round trip)
            "item_id": item[keep].array,
            "event_type": typed["event_type"].values[keep].to_numpy()
            if "event_type" in typed
            else np.full(n_kept, default_type),
            "timestamp": typed["timestamp"].values[keep].to_numpy()
            if "timestamp" in typed
            else np.full(n_kept, np.datetime64("NaT"), dtype="datetime64[ns]"),
        }
    )
    for name in ("rating", "quantity", "price"):
        out[name] = typed[name].values[keep].to_numpy(float) if name in typed else np.full(n_kept, np.nan)
    out["review"] = review[keep].array
    if mapping.label:
        out["label"] = frame[mapping.label].astype("str").str.strip()[keep].array
    used = mapping.source_columns() - ({mapping.invoice} if mapping.invoice else set())
    names, renamed = attribute_names([c for c in frame.columns if c not in used], _CANONICAL_OUT)
    for name, out_name in names.items():
        out[out_name] = frame[name].astype("str")[keep].array
    out["source_row"] = lines[keep].astype(np.int64)
    for name in ("user_id", "item_id", "event_type", "review"):
        out[name] = out[name].astype("str")
    return out, renamed


def _examples(raw: RawTable, reason: np.ndarray, cap: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for name, lines in raw.rejects.groupby("reason")["line"] if len(raw.rejects) else []:
        out[str(name)] = [int(v) for v in lines.iloc[:cap]]
    rejected = pd.DataFrame({"reason": reason, "line": raw.lines})
    for name, lines in rejected[rejected["reason"] != ""].groupby("reason", sort=False)["line"]:
        out[str(name)] = [int(v) for v in lines.iloc[:cap]]
    return out


def _rejected_frame(raw: RawTable, reason: np.ndarray, typed: dict[str, Converted], cap: int) -> pd.DataFrame:
    """Rejected rows for download: line, reason, detail, then the source cells (capped per reason).
    Rows are picked before any copy, so 5M rejected rows cost index arrays, not a 5M-row frame."""
    mask = reason != ""
    parse = raw.rejects.rename(columns={"raw": "raw_line"})
    row_reasons = list(pd.unique(reason[mask]))
    per_reason = max(cap // max(len(set(row_reasons) | set(parse["reason"])), 1), 1)
    picked = np.zeros(len(reason), dtype=bool)
    for name in row_reasons:
        picked[np.flatnonzero(reason == name)[:per_reason]] = True
    rows = raw.frame[picked].copy()
    rows.insert(0, "reason", reason[picked])
    rows.insert(0, "line", raw.lines[picked])
    parse = parse.groupby("reason", sort=False).head(per_reason) if len(parse) else parse
    combined = pd.concat([parse, rows], ignore_index=True).sort_values("line", kind="stable").head(cap)
    return combined.fillna("").reset_index(drop=True)

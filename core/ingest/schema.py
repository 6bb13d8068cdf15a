"""Canonical column names and the mapping from source columns to them (synonym tables: core.ingest.synonyms)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from core.errors import IngestError, InterestLensError
from core.ingest.synonyms import EVENT_SYNONYMS, SYNONYMS

CANONICAL = tuple(SYNONYMS)
REQUIRED = ("user_id",)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SEPARATORS = re.compile(r"[\s_\-.]+")


def normalize_header(name: str) -> str:
    """Comparable form of a header: NFKC (full-width -> half-width), no zero-width chars, casefolded,
    spaces/underscores/hyphens/dots removed. `" User_ID "` and `"ｕｓｅｒ ｉｄ"` -> `"userid"`."""
    text = unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", str(name)))
    return _SEPARATORS.sub("", text.strip().casefold())


_LOOKUP: dict[str, tuple[str, int]] = {}
for _canonical, _names in SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(normalize_header(_name), (_canonical, _rank))


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical name -> source column (None = absent). `text` may join several source columns."""

    user_id: str | None = None
    item_id: str | None = None
    text: tuple[str, ...] = ()
    review: str | None = None
    event_type: str | None = None
    timestamp: str | None = None
    rating: str | None = None
    quantity: str | None = None
    price: str | None = None
    label: str | None = None
    invoice: str | None = None

    def as_dict(self) -> dict[str, str]:
        """{canonical: source} for the report; several text columns are joined with " + "."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                if value:
                    out[f.name] = " + ".join(value)
            elif value:
                out[f.name] = value
        return out

    def source_columns(self) -> set[str]:
        """Every source column used by the mapping."""
        used = set(self.text)
        used.update(v for f in fields(self) if isinstance(v := getattr(self, f.name), str) and v)
        return used

    def with_overrides(
        self,
        overrides: Mapping[str, str | Sequence[str] | None],
        columns: Sequence[str],
        *,
        header_row: int = 1,
    ) -> ColumnMapping:
        """A new mapping with the caller's choices applied. A value of None or "" unmaps the name;
        for `text`, a list or a "a + b" / "a,b" string names several columns. Unknown names raise."""
        changes: dict[str, object] = {}
        available = list(columns)
        for canonical, source in overrides.items():
            if canonical not in SYNONYMS:
                raise IngestError(
                    f"Unknown column role '{canonical}'. Use one of: {', '.join(CANONICAL)}.",
                    f"未知的列角色“{canonical}”。可用：{', '.join(CANONICAL)}。",
                    code="unknown_role",
                    details={"role": canonical},
                )
            names = _split_sources(source, available) if source else []
            for name in names:
                if name not in available:
                    shown_en, shown_zh = column_list(available, header_row=header_row)
                    raise IngestError(
                        f"Column '{name}' (given for {canonical}) is not in the file. Columns: {shown_en}.",
                        f"文件中没有列“{name}”（指定为 {canonical}）。现有列：{shown_zh}。",
                        code="column_not_found",
                        details={"column": name, "role": canonical, "columns": shown_en},
                    )
            if canonical == "text":
                changes["text"] = tuple(names)
            else:
                if len(names) > 1:
                    raise IngestError(
                        f"Only one column can be {canonical}; got {', '.join(names)}.",
                        f"{canonical} 只能对应一列，收到：{', '.join(names)}。",
                        code="one_column_only",
                        details={"role": canonical, "columns": ", ".join(names)},
                    )
                changes[canonical] = names[0] if names else None
        # A column now assigned explicitly is removed from any role it had by inference.
        claimed: set[str] = set()
        for v in changes.values():
            claimed.update((v,) if isinstance(v, str) else tuple(v) if isinstance(v, tuple) else ())
        base = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in changes}
        for name, value in base.items():
            if isinstance(value, tuple):
                changes[name] = tuple(v for v in value if v not in claimed)
            elif value in claimed:
                changes[name] = None
        return replace(self, **changes)  # type: ignore[arg-type]


MAX_SHOWN_HEADER_ROW = 10  # a "header" found further down may be any line of a file that is no table


def column_list(columns: Sequence[str], *, header_row: int = 1) -> tuple[str, str]:
    """(English, Chinese) list of column names for a message. The names are quoted only when they
    surely are a header: never for a table of one column (its name is the file's first line) or a
    header found below row MAX_SHOWN_HEADER_ROW (title lines skipped: the file may be no table)."""
    if len(columns) == 1:
        return "1 (no delimiter found)", "1 列（未找到分隔符）"
    if header_row > MAX_SHOWN_HEADER_ROW:
        return (
            f"{len(columns)} (names not shown: the header was found far down)",
            f"{len(columns)} 列（表头位置靠后，未显示列名）",
        )
    names = ", ".join(str(c) for c in list(columns)[:30])
    return names, names


def _split_sources(source: str | Sequence[str], available: Sequence[str]) -> list[str]:
    if not isinstance(source, str):
        return [str(s) for s in source]
    if source in available:
        return [source]
    parts = re.split(r"\s*\+\s*|\s*,\s*", source.strip())
    return [p for p in parts if p]


def infer_mapping(columns: Iterable[str], *, skip: Iterable[str] = ()) -> ColumnMapping:
    """Guess the canonical role of each column from its header (EN/ZH synonyms).

    Every header matching a text synonym joins `text`, in source order (e.g. title + genres). Two
    headers that normalise to the same best synonym of a single-column role are ambiguous: IngestError
    asks the caller to choose with an override.
    """
    columns = list(columns)
    skipped = set(skip)
    best: dict[str, tuple[int, str]] = {}
    text: list[str] = []
    for column in columns:
        hit = _LOOKUP.get(normalize_header(column))
        if hit is None:
            continue
        canonical, rank = hit
        if canonical in skipped:
            continue
        if canonical == "text":
            text.append(column)
            continue
        current = best.get(canonical)
        if current is None or rank < current[0]:
            best[canonical] = (rank, column)
        elif rank == current[0]:
            raise IngestError(
                f"Columns '{current[1]}' and '{column}' both look like {canonical}. "
                f"Choose one, e.g. --map {canonical}={current[1]}.",
                f"列“{current[1]}”和“{column}”都像是 {canonical}，请指定其一，例如 --map {canonical}={current[1]}。",
                code="ambiguous_column",
                details={"role": canonical, "first": current[1], "second": column},
            )
    return ColumnMapping(text=tuple(text), **{name: col for name, (_, col) in best.items()})  # type: ignore[arg-type]


def resolve_mapping(
    columns: Sequence[str],
    overrides: Mapping[str, str | Sequence[str] | None] | None = None,
    *,
    lenient: bool = False,
    header_row: int = 1,
) -> ColumnMapping:
    """The mapping a table is read with: inferred from the headers, then the caller's `overrides`.

    `lenient=True` (for a form that proposes a mapping) never raises: overrides naming a column
    the table lacks are dropped, and a role two headers claim equally is left unmapped.
    """
    columns = [str(c) for c in columns]
    overrides = dict(overrides or {})
    if lenient:
        overrides = {k: v for k, v in overrides.items() if k in SYNONYMS and _present(v, columns)}
    skip = set(overrides)
    while True:
        try:
            mapping = infer_mapping(columns, skip=skip)
            break
        except IngestError as error:
            if not lenient or error.details.get("role") in skip:
                raise
            skip.add(str(error.details["role"]))
    return mapping.with_overrides(overrides, columns, header_row=header_row) if overrides else mapping


def _present(source: str | Sequence[str] | None, columns: list[str]) -> bool:
    return not source or all(name in columns for name in _split_sources(source, columns))


def require_user_column(mapping: ColumnMapping, columns: Sequence[str], *, header_row: int = 1) -> None:
    """IngestError naming the available columns (see `column_list`) when no user column is mapped."""
    if mapping.user_id is None and len(columns) == 1:  # its one "column name" is the first line
        raise IngestError(
            "The file has a single column (no comma, tab, semicolon or pipe between fields), so it has no "
            "user column and does not look like a table. Upload CSV, TSV, Excel .xlsx or Parquet, or name "
            "the delimiter (--delimiter).",
            "文件只有一列（字段之间没有逗号、制表符、分号或竖线），没有用户列，看起来不是数据表。"
            "请上传 CSV、TSV、Excel .xlsx 或 Parquet，或指定分隔符（--delimiter）。",
        )
    if mapping.user_id is None:
        shown_en, shown_zh = column_list(columns, header_row=header_row)
        raise IngestError(
            f"No user column found (looked for user_id, customer, 用户ID, ...). Columns: {shown_en}. "
            "Name it with --map user_id=COLUMN.",
            f"未找到用户列（如 user_id、customer、用户ID）。现有列：{shown_zh}。请用 --map user_id=列名 指定。",
            code="no_user_column",
            details={"columns": shown_en},
        )


def require_text_column(mapping: ColumnMapping, columns: Sequence[str], *, header_row: int = 1) -> None:
    """IngestError naming the available columns when neither an item text nor a review column is
    mapped (without an items table every row would be rejected as missing_text)."""
    if mapping.text or mapping.review:
        return
    shown_en, shown_zh = column_list(columns, header_row=header_row)
    raise IngestError(
        f"No text column found (looked for title, description, content, review, 标题, 内容, 评论, ...). "
        f"Columns: {shown_en}. Name the column that holds the item or post text with --map text=COLUMN "
        "(or --map review=COLUMN for review text).",
        f"未找到文本列（如 title、description、content、review、标题、内容、评论）。现有列：{shown_zh}。"
        "请用 --map text=列名 指定商品或帖子文本所在的列（评价文本用 --map review=列名）。",
        code="no_text_column",
        details={"columns": shown_en},
    )


# --- event types -----------------------------------------------------------------------------------
EVENT_LOOKUP: dict[str, str] = {
    normalize_header(s): canonical for canonical, names in EVENT_SYNONYMS.items() for s in names
}


def normalize_event_type(value: str, extra: Mapping[str, str] | None = None) -> str | None:
    """`"加入购物车"` -> `"cart"`; None when the value is not a known event type."""
    key = normalize_header(value)
    if extra:
        for source, target in extra.items():
            if normalize_header(source) == key:
                return target
    return EVENT_LOOKUP.get(key)


def parse_mapping_overrides(pairs: Sequence[str], *, flag: str = "--map") -> dict[str, str]:
    """`["canonical=source", ...]` (the CLI's `--map` or `--items-map`, named by `flag` in errors) ->
    {canonical: source}; the source is kept exactly."""
    out: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        if not sep or not canonical.strip():
            raise InterestLensError(
                f"{flag} expects canonical=column, got '{pair}'.",
                f"{flag} 的格式应为 角色=列名，收到“{pair}”。",
            )
        out[canonical.strip()] = source
    return out

"""The Data page's mapping editor: read options, column previews and the column roles of the events
table and of the items table, for the file being mapped (loaded, held back, or failed to load).

The read options (encoding, delimiter, "first row is data") are live widgets, so the columns shown
below them always belong to the file as it would be read now; the roles are one form. Submitting
returns the complete options for `app_pages/data.py` to ingest with. Widget keys carry the file's
hash and its columns, so a new file never shows the previous file's columns or choices.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import InterestLensError
from core.ingest.schema import resolve_mapping
from ui import cached
from ui.i18n import lang, t
from ui.widgets import error_text, escape_md, select, table

AUTO = "__auto__"
NONE = "__none__"
ENCODINGS = [AUTO, "utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "latin-1", "cp1252"]
DELIMITERS = {AUTO: None, ",": ",", ";": ";", "\\t": "\t", "|": "|", " ": " "}
ROLE_ORDER = ("user_id", "item_id", "text", "review", "event_type", "timestamp", "rating", "quantity",
              "price", "label", "invoice")  # fmt: skip
TYPED_ROLES = (
    "event_type",
    "timestamp",
    "rating",
    "quantity",
    "price",
)  # unmapped by cleaning when unreadable
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def column_previews(frame: pd.DataFrame, *, n: int = 3) -> pd.DataFrame:
    """One row per column: its name and its first `n` distinct non-empty values."""
    rows = []
    for name in frame.columns:
        cells = frame[name].astype("str").str.strip()
        values = cells[cells != ""].drop_duplicates().iloc[:n]
        rows.append(
            {t("data.col_name"): str(name), t("data.col_samples"): " · ".join(v[:60] for v in values)}
        )
    return pd.DataFrame(rows)


def looks_headerless(columns: list[str]) -> bool:
    """Every header is a number: the first row is probably data (MovieLens u.data)."""
    return bool(columns) and all(_NUMBER.fullmatch(c.strip()) for c in columns)


def _scope(draft: dict[str, Any], columns: list[str]) -> str:
    return f"me_{draft['key'][:10]}_{hashlib.sha1(chr(0).join(columns).encode()).hexdigest()[:6]}"


def _read_controls(draft: dict[str, Any], *, items: bool) -> dict[str, Any]:
    """Encoding, delimiter and header switch of one table (live widgets); returns their values."""
    options = draft.get("options") or {}
    prefix = "items_" if items else ""
    base = f"me_{draft['key'][:10]}_{prefix}"
    cols = st.columns(3)
    encoding = AUTO
    if not items:
        encoding = select(t("data.encoding"), {e: t("data.auto") if e == AUTO else e for e in ENCODINGS},
                          key=f"{base}encoding", default=options.get("encoding") or AUTO, container=cols[0])  # fmt: skip
    current = next((k for k, v in DELIMITERS.items() if v == options.get(f"{prefix}delimiter")), AUTO)
    shown = {d: t("data.auto") if d == AUTO else t("data.space") if d == " " else t("data.delim_tab") if d == "\\t"
             else d for d in DELIMITERS}  # fmt: skip
    delimiter = select(t("data.delimiter"), shown, key=f"{base}delimiter", default=current, container=cols[1])
    no_header = cols[2].toggle(t("data.first_row_data"), value=not options.get(f"{prefix}has_header", True),
                               key=f"{base}no_header", help=t("data.first_row_help"))  # fmt: skip
    return {
        f"{prefix}encoding": None if encoding == AUTO else encoding,
        f"{prefix}delimiter": DELIMITERS[delimiter],
        f"{prefix}has_header": not no_header,
    }


def _read(
    raw: bytes, filename: str, read: dict[str, Any], prefix: str = "", *, shown: str = ""
) -> pd.DataFrame | None:
    """The table as it would be read with these options, or None after saying why it cannot be
    (unless that is the message `shown` above the editor already)."""
    try:
        table_ = cached.read_preview(raw, filename, encoding=read.get(f"{prefix}encoding"),
                                     delimiter=read.get(f"{prefix}delimiter"), has_header=read[f"{prefix}has_header"])  # fmt: skip
    except InterestLensError as error:
        if error.message_en != shown:
            st.error(error_text(error), icon="⚠️")
        return None
    return table_.frame


def _defaults(columns: list[str], overrides: dict[str, Any] | None, report: Any) -> dict[str, Any]:
    """What the form starts from: the mapping the file is (or would be) read with, so the form and
    the report agree; typed roles the cleaning had to unmap show as not used."""
    mapping = resolve_mapping(columns, overrides, lenient=True)
    values = {role: getattr(mapping, role) for role in ROLE_ORDER}
    if report is not None:
        for role in TYPED_ROLES:
            if role not in report.mapping:
                values[role] = None
    return values


def _role_inputs(
    roles: tuple[str, ...], columns: list[str], defaults: dict[str, Any], scope: str, *, width: int = 4
) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    grid = st.columns(width)
    for i, role in enumerate(roles):
        cell = grid[i % width]
        label = t(f"data.role.{role}")
        if role == "text":
            default = [c for c in (defaults.get("text") or ()) if c in columns]
            chosen[role] = cell.multiselect(label, columns, default=default, key=f"{scope}_{role}",
                                            placeholder=t("data.unmapped"))  # fmt: skip
        else:
            value = defaults.get(role) if defaults.get(role) in columns else NONE
            picked = select(label, {NONE: t("data.unmapped"), **{c: c for c in columns}}, key=f"{scope}_{role}",
                            default=value, container=cell)  # fmt: skip
            chosen[role] = None if picked == NONE else picked
    return chosen


def render_editor(draft: dict[str, Any], *, report: Any = None, shown: str = "") -> dict[str, Any] | None:
    """The editor for `draft` ({"source", "options", "key"}); the new options when submitted, else None.
    `report`: the IngestReport of the draft when it was read (so the form shows what was used);
    `shown`: the English text of the error already on the page (not repeated)."""
    source, options = draft["source"], draft.get("options") or {}
    # 1. Events table: read options, then its columns as they would be read.
    st.markdown(f"**{t('data.map_events_title')}**")
    read = _read_controls(draft, items=False)
    frame = _read(source["events"], source["filename"], read, shown=shown)
    items_frame, items_read = None, {}
    if source.get("items") is not None:
        st.markdown(f"**{t('data.map_items_title')}**")
        items_read = _read_controls(draft, items=True)
        items_frame = _read(source["items"], source.get("items_filename") or "items", items_read, "items_",
                            shown=shown)  # fmt: skip
    if frame is None:
        return None
    columns = [str(c) for c in frame.columns]
    if read["has_header"] and looks_headerless(columns):
        st.info(t("data.header_hint"), icon="💡")
    read_with = {"encoding": options.get("encoding"), "delimiter": options.get("delimiter"),
                 "has_header": options.get("has_header", True)}  # fmt: skip
    same_read = read == read_with  # the report belongs to the table shown
    # 2. Roles of the events' columns (and the items table's), one form.
    with st.form(f"mapping_{draft['key'][:10]}"):
        st.caption(t("data.mapping_caption"))
        table(column_previews(frame), height=min(38 + 35 * len(columns), 260))
        scope = _scope(draft, columns)
        events_defaults = _defaults(columns, options.get("mapping"), report if same_read else None)
        chosen = _role_inputs(ROLE_ORDER, columns, events_defaults, scope)
        items_chosen: dict[str, Any] = {}
        if items_frame is not None:
            items_columns = [str(c) for c in items_frame.columns]
            st.caption(t("data.items_mapping_caption"))
            table(column_previews(items_frame), height=min(38 + 35 * len(items_columns), 220))
            items_defaults = _defaults(items_columns, options.get("items_mapping"), None)
            items_chosen = _role_inputs(("item_id", "text"), items_columns, items_defaults,
                                        _scope(draft, items_columns) + "_items", width=2)  # fmt: skip
        submitted = st.form_submit_button(t("data.reread"), type="primary")
    if not submitted:
        return None
    new_options: dict[str, Any] = {**read, "mapping": chosen}
    if source.get("items") is not None:
        new_options.update(items_delimiter=items_read.get("items_delimiter"),
                           items_has_header=items_read.get("items_has_header", True))  # fmt: skip
        if items_chosen:
            new_options["items_mapping"] = items_chosen
    return new_options


def plausibility_warning(findings: list[dict[str, Any]]) -> bool:
    """The blocking warning for a dataset held back by the plausibility checks; True when the user
    chooses to use it anyway."""
    zh = lang() == "zh"
    lines = "\n".join(f"- {escape_md(f['zh'] if zh else f['en'], max_len=600)}" for f in findings)
    st.warning(f"**{t('data.pending_title')}**\n\n{lines}\n\n{t('data.pending_body')}", icon="⚠️")
    return st.button(t("data.accept_warnings"), key="accept_warnings")

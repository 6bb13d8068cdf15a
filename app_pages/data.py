"""Data page: upload or sample data, preview, read options and column mapping, ingest report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import InterestLensError
from ui import cached, state
from ui.charts import PALETTE, bars
from ui.i18n import t
from ui.project import open_project_section
from ui.widgets import escape_md, file_name, log_unexpected, safe_csv, select, show_error, table

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVENTS = ROOT / "sample_data" / "events.csv"
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"]
AUTO = "__auto__"
NONE = "__none__"
ENCODINGS = [AUTO, "utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "latin-1", "cp1252"]
DELIMITERS = {AUTO: None, ",": ",", ";": ";", "\\t": "\t", "|": "|"}
ROLE_ORDER = ("user_id", "item_id", "text", "review", "event_type", "timestamp", "rating", "quantity",
              "price", "label", "invoice")  # fmt: skip


def sample_source() -> dict[str, Any] | None:
    if not SAMPLE_EVENTS.is_file():
        return None
    source: dict[str, Any] = {
        "events": SAMPLE_EVENTS.read_bytes(),
        "filename": SAMPLE_EVENTS.name,
        "label": "sample",
    }
    return source


def source_key(source: dict[str, Any], options: dict[str, Any] | None = None) -> str:
    return cached.upload_key(
        source["events"],
        source["filename"],
        items=source.get("items"),
        items_filename=source.get("items_filename"),
        options=options,
    )


def ingest(source: dict[str, Any], options: dict[str, Any] | None = None) -> bool:
    """Load a source into the session; on failure show why and keep the previous dataset/results."""
    options = options or {}
    attempt = source_key(source, options)
    try:
        key, dataset = cached.load(
            source["events"],
            source["filename"],
            items=source.get("items"),
            items_filename=source.get("items_filename"),
            mapping_overrides=options.get("mapping") or None,
            encoding=options.get("encoding"),
            delimiter=options.get("delimiter"),
        )
    except InterestLensError as error:
        state.put(state.DATA_ERROR, {"key": attempt, "error": error})
        return False
    except Exception as error:  # an unexpected failure must not lose the session's results
        log_unexpected(error)
        state.put(state.DATA_ERROR, {"key": attempt, "error": error})
        return False
    if key != state.get(state.DATASET_KEY):
        state.put(state.ANALYSIS, None)  # the previous run belongs to another dataset
        state.put(state.ADHOC, None)
    state.put(state.DATASET, dataset)
    state.put(state.DATASET_KEY, key)
    state.put(state.DATASET_LABEL, source.get("label", "upload"))
    state.put(state.SOURCE, {**source, "options": options, "key": source_key(source)})
    state.put(state.DATA_ERROR, None)
    return True


def upload_section() -> None:
    left, right = st.columns([3, 2])
    with left:
        events_file = st.file_uploader(t("data.upload_events"), type=UPLOAD_TYPES, key="upload_events",
                                       help=t("data.upload_help"))  # fmt: skip
        items_file = st.file_uploader(t("data.upload_items"), type=UPLOAD_TYPES, key="upload_items",
                                      help=t("data.items_help"))  # fmt: skip
    with right:
        st.markdown(f"**{t('data.sample_title')}**")
        st.caption(t("data.sample_caption"))
        sample = sample_source()
        clicked = st.button(t("data.use_sample"), type="primary", disabled=sample is None, key="use_sample")
        if clicked and sample is not None and ingest(sample):
            st.rerun()
        if sample is None:
            st.caption(t("data.sample_missing"))
    if events_file is None:
        return
    source = {
        "events": events_file.getvalue(),
        "filename": events_file.name,
        "label": "upload",
    }
    if items_file is not None:
        source.update(items=items_file.getvalue(), items_filename=items_file.name)
    key = source_key(source)
    if key != state.get(state.LAST_UPLOAD):  # a new file in the uploader (not a rerun of the same one)
        state.put(state.LAST_UPLOAD, key)
        if ingest(source):
            st.rerun()


def error_section() -> None:
    failed = state.get(state.DATA_ERROR)
    if not failed:
        return
    show_error(failed["error"])
    if state.get(state.DATASET) is not None:
        st.caption(t("data.kept_previous"))


def options_section(source: dict[str, Any]) -> None:
    """Detected encoding, delimiter and mapping, each overridable; re-reads on submit."""
    options = source.get("options", {})
    report = state.get(state.DATASET).report
    with st.expander(t("data.options_title"), expanded=False):
        columns: list[str] = []
        inferred: dict[str, Any] = {}
        try:
            from core.ingest.schema import infer_mapping

            raw = cached.read_preview(source["events"], source["filename"], encoding=options.get("encoding"),
                                      delimiter=options.get("delimiter"))  # fmt: skip
            frame = raw_frame(raw)
            columns = [str(c) for c in frame.columns]
            inferred = {k: v for k, v in vars(infer_mapping(columns)).items()}
            st.caption(t("data.raw_preview"))
            table(frame.head(50).astype(str), height=240)
        except InterestLensError as error:
            show_error(error)
        with st.form("read_options"):
            c1, c2 = st.columns(2)
            auto_enc = t("data.auto_value", value=report.encoding)
            encoding = select(t("data.encoding"), {e: auto_enc if e == AUTO else e for e in ENCODINGS},
                              key="read_encoding", default=options.get("encoding") or AUTO, container=c1)  # fmt: skip
            current_delim = next((k for k, v in DELIMITERS.items() if v == options.get("delimiter")), AUTO)
            auto_delim = t("data.auto_value", value=repr(report.delimiter))
            delimiter = select(t("data.delimiter"), {d: auto_delim if d == AUTO else d for d in DELIMITERS},
                               key="read_delimiter", default=current_delim, container=c2)  # fmt: skip
            st.caption(t("data.mapping_caption"))
            overrides: dict[str, Any] = {}
            grid = st.columns(4)
            for i, role in enumerate(ROLE_ORDER):
                if role not in inferred:
                    continue
                cell = grid[i % 4]
                chosen = (options.get("mapping") or {}).get(role, inferred.get(role))
                if role == "text":
                    default = [c for c in (chosen or ()) if c in columns]
                    picked = cell.multiselect(role, columns, default=default, key=f"map_{role}")
                    if tuple(picked) != tuple(inferred.get("text") or ()):
                        overrides[role] = list(picked)
                else:
                    choices = {NONE: t("data.unmapped"), **{c: c for c in columns}}
                    value = chosen if chosen in columns else NONE
                    picked = select(role, choices, key=f"map_{role}", default=value, container=cell)
                    if (None if picked == NONE else picked) != inferred.get(role):
                        overrides[role] = None if picked == NONE else picked
            submitted = st.form_submit_button(t("data.reread"))
        if submitted:
            new_options = {
                "encoding": None if encoding == AUTO else encoding,
                "delimiter": DELIMITERS[delimiter],
                "mapping": overrides,
            }
            bare = {k: v for k, v in source.items() if k not in ("options", "key")}
            if ingest(bare, new_options):
                st.rerun()
            else:
                error_section()


def _index(values: list[str], value: str | None) -> int:
    return values.index(value) if value in values else 0


def raw_frame(raw: Any) -> pd.DataFrame:
    """The DataFrame inside a core.ingest.read.RawTable."""
    frame = getattr(raw, "frame", None)
    if frame is None:
        frame = raw.data
    return frame


def report_section() -> None:
    dataset = state.get(state.DATASET)
    report = dataset.report
    st.subheader(t("data.report_title"))
    rejected_total = sum(report.rows_rejected.values())
    cols = st.columns(6)
    cols[0].metric(t("metric.rows_in"), f"{report.rows_in:,}")
    cols[1].metric(t("metric.rows_kept"), f"{report.rows_kept:,}")
    cols[2].metric(t("metric.rows_rejected"), f"{rejected_total:,}")
    cols[3].metric(t("metric.users"), f"{dataset.events['user_id'].nunique():,}")
    cols[4].metric(t("metric.items"), f"{len(dataset.items):,}")
    cols[5].metric(t("metric.format"), escape_md(f"{report.file_format or '?'} · {report.encoding or '?'}"))
    st.caption(t("data.detected", encoding=escape_md(report.encoding or "?"), delimiter=escape_md(repr(report.delimiter)),
                 mapping=escape_md(", ".join(f"{k} ← {v}" for k, v in report.mapping.items()), max_len=400)))  # fmt: skip
    if report.attributes:
        st.caption(t("data.attributes", names=escape_md(", ".join(report.attributes), max_len=300)))
    for warning in report.warnings:
        st.warning(escape_md(warning, max_len=400))
    if rejected_total:
        reasons = sorted(report.rows_rejected.items(), key=lambda kv: -kv[1])
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(bars([r for r, _ in reasons], [float(n) for _, n in reasons], colors=PALETTE[5],
                                 value_format=",.0f", height=60 + 40 * len(reasons)), key="rejected_chart")  # fmt: skip
        with right:
            table(pd.DataFrame(reasons, columns=[t("data.reason"), t("data.count")]))
            if dataset.rejected is not None and len(dataset.rejected):
                st.download_button(t("data.download_rejected"), safe_csv(dataset.rejected),
                                   file_name=file_name(None, f"rejected-{state.get(state.DATASET_KEY)[:8]}", "csv"),
                                   mime="text/csv", on_click="ignore", key="dl_rejected")  # fmt: skip
    else:
        st.success(t("data.all_kept"))


def preview_section() -> None:
    dataset = state.get(state.DATASET)
    st.subheader(t("data.preview_title"))
    tab_events, tab_items = st.tabs([t("data.tab_events"), t("data.tab_items")])
    with tab_events:
        table(dataset.events.head(500), height=300)
    with tab_items:
        table(dataset.items.head(500), height=300)


def render() -> None:
    st.title(t("data.title"))
    st.caption(t("data.intro"))
    upload_section()
    error_section()
    if state.get(state.DATASET) is None:
        st.info(t("data.empty"), icon="📂")
        open_project_section()
        return
    report_section()
    preview_section()
    source = state.get(state.SOURCE)
    if source.get("events") is not None:
        options_section(source)
    st.page_link("app_pages/segments.py", label=t("data.next"), icon="➡️")
    open_project_section()


render()

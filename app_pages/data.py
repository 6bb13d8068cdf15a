"""Data page: upload or sample data, preview, read options and column mapping, ingest report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import InterestLensError
from core.notes import in_language
from ui import cached, mapping_editor, state
from ui.charts import PALETTE, bars
from ui.i18n import STRINGS, lang, t
from ui.project import open_project_section
from ui.saved_run import open_run_section
from ui.widgets import escape_md, file_name, localized, log_unexpected, safe_csv, show_error, table

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVENTS = ROOT / "sample_data" / "events.csv"
# The samples "Use sample data" offers: the English shop and the Chinese one (sample_data/generate.py).
SAMPLES = {"en": SAMPLE_EVENTS, "zh": ROOT / "sample_data" / "events_zh.csv"}
# The uploader filters by name: every ending a delimited table is commonly saved under.
UPLOAD_TYPES = ["csv", "tsv", "txt", "data", "dat", "xlsx", "parquet", "gz", "zip"]


def sample_source(which: str = "en") -> dict[str, Any] | None:
    path = SAMPLES.get(which, SAMPLE_EVENTS)
    if not path.is_file():
        return None
    source: dict[str, Any] = {
        "events": path.read_bytes(),
        "filename": path.name,
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
    """Load a source into the session; on failure show why and keep the previous dataset/results.

    The source becomes the draft the mapping editor shows, whether it loads or not. A dataset the
    plausibility checks doubt is held back (state.PENDING) until the user accepts it."""
    options = options or {}
    bare = {k: v for k, v in source.items() if k not in ("options", "key")}
    state.put(state.DRAFT, {"source": bare, "options": options, "key": source_key(bare)})
    state.put(state.PENDING, None)
    attempt = source_key(bare, options)
    try:
        key, dataset = cached.load(
            bare["events"],
            bare["filename"],
            items=bare.get("items"),
            items_filename=bare.get("items_filename"),
            mapping_overrides=options.get("mapping") or None,
            encoding=options.get("encoding"),
            delimiter=options.get("delimiter"),
            has_header=options.get("has_header", True),
            items_mapping_overrides=options.get("items_mapping") or None,
            items_delimiter=options.get("items_delimiter"),
            items_has_header=options.get("items_has_header", True),
        )
    except InterestLensError as error:
        state.put(state.DATA_ERROR, {"key": attempt, "error": error})
        return False
    except Exception as error:  # an unexpected failure must not lose the session's results
        log_unexpected(error)
        state.put(state.DATA_ERROR, {"key": attempt, "error": error})
        return False
    state.put(state.DATA_ERROR, None)
    if dataset.report.plausibility:
        state.put(state.PENDING, {"key": key, "dataset": dataset, "source": bare, "options": options})
        return True
    accept(key, dataset, bare, options)
    return True


def accept(key: str, dataset: Any, source: dict[str, Any], options: dict[str, Any]) -> None:
    """Make `dataset` the session's dataset (a new one clears the results of the previous)."""
    state.put(state.PENDING, None)
    if key != state.get(state.DATASET_KEY):
        state.put(state.ANALYSIS, None)  # the previous run belongs to another dataset
        state.put(state.ADHOC, None)
    state.put(state.DATASET, dataset)
    state.put(state.DATASET_KEY, key)
    state.put(state.DATASET_LABEL, source.get("label", "upload"))
    state.put(state.SOURCE, {**source, "options": options, "key": source_key(source)})


def upload_section() -> None:
    left, right = st.columns([3, 2])
    with left:
        events_file = st.file_uploader(t("data.upload_events"), type=UPLOAD_TYPES, key="upload_events",
                                       help=t("data.upload_help"))  # fmt: skip
        items_file = st.file_uploader(t("data.upload_items"), type=UPLOAD_TYPES, key="upload_items",
                                      help=t("data.items_help"))  # fmt: skip
        # The browser refuses larger files before they reach us: say so, and where to go instead.
        st.caption(t("run_open.upload_limit", limit=f"{int(st.get_option('server.maxUploadSize')):,}"))
    with right:
        st.markdown(f"**{t('data.sample_title')}**")
        st.caption(t("zhs.sample_caption"))
        english, chinese = st.columns(2)
        clicked = {
            "en": english.button(t("data.use_sample"), type="primary", disabled=not SAMPLES["en"].is_file(),
                                 key="use_sample"),
            "zh": chinese.button(t("zhs.use_sample_zh"), disabled=not SAMPLES["zh"].is_file(), key="use_sample_zh"),
        }  # fmt: skip
        chosen = next((which for which, on in clicked.items() if on), None)
        sample = sample_source(chosen) if chosen else None
        if sample is not None and ingest(sample):
            st.rerun()
        if not SAMPLES["en"].is_file():
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


def pending_section() -> None:
    """The plausibility warning of a held-back dataset, with its override."""
    pending = state.get(state.PENDING)
    if not pending:
        return
    if mapping_editor.plausibility_warning(pending["dataset"].report.plausibility):
        accept(pending["key"], pending["dataset"], pending["source"], pending["options"])
        st.rerun()
    if state.get(state.DATASET) is not None:
        st.caption(t("data.kept_previous"))


def mapping_section(*, expanded: bool) -> None:
    """The mapping editor for the file in hand (loaded, held back or failed); re-reads on submit."""
    draft = state.get(state.DRAFT)
    if not draft or draft["source"].get("events") is None:
        return
    pending, dataset = state.get(state.PENDING), state.get(state.DATASET)
    loaded = (
        dataset is not None
        and not state.get(state.DATA_ERROR)
        and state.get(state.SOURCE).get("key") == draft["key"]
    )
    report = pending["dataset"].report if pending else dataset.report if loaded else None
    with st.expander(t("data.options_title"), expanded=expanded):
        if expanded:
            st.caption(t("data.map_failed"))
        failed = state.get(state.DATA_ERROR)
        shown = getattr(failed["error"], "message_en", "") if failed else ""
        options = mapping_editor.render_editor(draft, report=report, shown=shown)
    if options is not None:
        ingest(draft["source"], options)
        st.rerun()  # one message at the top, for this attempt only


def role_name(role: str) -> str:
    """A canonical column role as the report line shows it: the id in English, worded in Chinese."""
    return t(f"col.{role}") if lang() == "zh" and f"col.{role}" in STRINGS else role


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
    st.caption(t("data.detected", encoding=escape_md(report.encoding or "?"), delimiter=escape_md(t("data.delim_tab") if report.delimiter == "\t" else repr(report.delimiter)),
                 mapping=escape_md(", ".join(f"{role_name(k)} ← {v}" for k, v in report.mapping.items()), max_len=400)))  # fmt: skip
    if report.attributes:
        st.caption(t("data.attributes", names=escape_md(", ".join(report.attributes), max_len=300)))
    for finding in report.plausibility:
        text = finding["zh"] if lang() == "zh" else finding["en"]
        st.warning(t("data.accepted_warning", text=escape_md(text, max_len=600)), icon="⚠️")
    for warning in report.warnings:
        st.warning(escape_md(in_language(warning, lang()), max_len=400))
    if rejected_total:
        reasons = sorted(report.rows_rejected.items(), key=lambda kv: -kv[1])
        if lang() == "zh":  # core's reason codes, worded by the page
            reasons = [(t(f"reason.{r}") if f"reason.{r}" in STRINGS else r, n) for r, n in reasons]
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(bars([r for r, _ in reasons], [float(n) for _, n in reasons], colors=PALETTE[4],
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
        table(localized(dataset.events.head(500)), height=300)
    with tab_items:
        table(localized(dataset.items.head(500)), height=300)


def render() -> None:
    st.title(t("data.title"))
    st.caption(t("data.intro"))
    upload_section()
    error_section()
    pending_section()
    # A file that failed or is held back gets its mapping editor right here, open.
    stuck = bool(state.get(state.DATA_ERROR) or state.get(state.PENDING))
    if stuck:
        mapping_section(expanded=True)
    if state.get(state.DATASET) is None:
        if not stuck:
            st.info(t("data.empty"), icon="📂")
        open_run_section()
        open_project_section()
        return
    report_section()
    preview_section()
    if not stuck:
        mapping_section(expanded=False)
    st.page_link("app_pages/segments.py", label=t("data.next"), icon="➡️")
    open_run_section()
    open_project_section()


render()

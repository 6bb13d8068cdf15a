"""Activate page: segment sizes over time, lookalikes of a segment or a seed list, control groups,
and what a refresh on new data changes. Computation is in core.activate (memoised by ui.cached)."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from ui import cached, charts
from ui.i18n import STRINGS, lang, t
from ui.widgets import (
    file_name,
    require_analysis,
    run_safely,
    safe_csv,
    segment_label,
    segment_options,
    table,
)

SEED_CSV_MAX_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"]  # as the Data page


def _trends(analysis) -> None:
    from core.activate.trends import UNASSIGNED

    st.subheader(t("act.trends_title"))
    with st.spinner(t("act.trends_running")):
        found = run_safely(lambda: cached.trends(analysis))
    if found is None:
        st.info(t("act.trends_none"))
        return
    unit = t(f"act.unit_{found.granularity}")
    st.caption(t("act.trends_intro", unit=unit, n=len(found.periods)))
    names = {s.segment_id: segment_label(analysis, s.segment_id) for s in analysis.segments}
    names[UNASSIGNED] = t("act.unassigned")
    figure = charts.trends_figure(found.sizes, names, x_title=t(f"act.axis_{found.granularity}"),
                                  y_title=t("act.axis_users"))  # fmt: skip
    st.plotly_chart(figure, key="act_trends_chart")
    st.markdown(f"**{t('act.keywords_title', first=found.periods[0], last=found.periods[-1])}**")
    keywords = found.keywords.assign(
        segment_name=[names.get(int(s), "") for s in found.keywords["segment_id"]]
    )
    columns = {
        c: t(f"act.col_{c}") for c in ("segment_name", "first_keywords", "last_keywords", "gained", "lost")
    }
    table(keywords[list(columns)].rename(columns=columns), key="act_keywords")


def _seeds(analysis) -> frozenset[str] | None:
    # Labels as options (a format_func kept from another language would not match after a switch).
    choices = [t("act.seed_segment"), t("act.seed_upload")]
    source = st.radio(t("act.seed_source"), choices, horizontal=True, key=f"act_seed_source_{lang()}")
    if source == choices[0]:
        options = segment_options(analysis)
        picked = st.selectbox(
            t("act.seed_segment_pick"), list(options), format_func=options.get, key="act_seed_seg"
        )
        members = analysis.members()
        return frozenset(members.loc[members["segment_id"] == picked, "user_id"].astype(str))
    upload = st.file_uploader(t("act.seed_upload_label"), type=["csv"], key="act_seed_file",
                              help=t("act.seed_upload_help"))  # fmt: skip
    if upload is None:
        return None
    raw = upload.getvalue()
    if len(raw) > SEED_CSV_MAX_BYTES:
        st.error(t("act.seed_too_big"))
        return None
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError):
        st.error(t("act.seed_unreadable"))
        return None
    if "user_id" not in frame.columns:
        st.error(t("act.seed_no_column"))
        return None
    return frozenset(u for u in frame["user_id"].str.strip() if u)


def _lookalikes(analysis) -> None:
    st.subheader(t("act.look_title"))
    st.caption(t("act.look_intro"))
    seeds = _seeds(analysis)
    top = int(st.number_input(t("act.look_top"), min_value=1, max_value=100_000, value=100, key="act_top"))
    if not seeds:
        return
    known = set(analysis.profiles.user_ids.astype(str))
    st.caption(t("act.look_seeds", n=len(seeds & known), missing=len(seeds - known)))
    ranked = run_safely(lambda: cached.lookalikes(analysis, seeds, top))
    if ranked is None:
        return
    table(ranked.rename(columns={"user_id": t("col.user_id"), "score": t("col.score")}), key="act_look_table")
    st.download_button(t("act.look_download"), safe_csv(ranked), file_name=file_name(analysis, "lookalikes", "csv"),
                       mime="text/csv", on_click="ignore", key="act_look_dl", icon=":material/download:")  # fmt: skip


def _refresh() -> None:
    st.subheader(t("act.refresh_title"))
    st.caption(t("act.refresh_intro"))
    c1, c2 = st.columns(2)
    bundle_file = c1.file_uploader(t("act.refresh_bundle"), type=["zip"], key="act_refresh_bundle")
    events_file = c2.file_uploader(t("act.refresh_events"), type=UPLOAD_TYPES, key="act_refresh_events")
    if bundle_file is None or events_file is None:
        return
    bundle = run_safely(lambda: cached.open_bundle(bundle_file.getvalue()))
    if bundle is None:
        return
    with st.spinner(t("act.refresh_running")):
        result = run_safely(lambda: cached.refresh(bundle, events_file.getvalue(), events_file.name))
    if result is None:
        return
    changes = result.changes["change"].value_counts()
    st.caption(t("act.refresh_totals", before=len(result.before), after=len(result.after),
                 entered=int(changes.get("entered", 0)), left=int(changes.get("left", 0)),
                 moved=int(changes.get("moved", 0))))  # fmt: skip
    per_segment = result.per_segment.copy()
    per_segment["reconciled"] = [t("act.yes") if ok else t("act.no") for ok in per_segment["reconciled"]]
    columns = {c: t(f"act.col_{c}") for c in per_segment.columns if f"act.col_{c}" in STRINGS}
    table(per_segment.rename(columns=columns), key="act_refresh_table")
    st.download_button(t("act.refresh_download"), safe_csv(result.changes),
                       file_name=file_name(None, "changes", "csv"), mime="text/csv", on_click="ignore",
                       key="act_refresh_dl", icon=":material/download:")  # fmt: skip


def render() -> None:
    st.title(t("act.title"))
    st.caption(t("act.intro"))
    analysis = require_analysis()
    if analysis is None:
        return
    _trends(analysis)
    _lookalikes(analysis)
    st.subheader(t("act.control_title"))
    st.caption(t("act.control_note"))
    _refresh()


render()

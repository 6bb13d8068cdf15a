""" "Open a saved project" on the Data page: a bundle's segments, names and assignments, and new users
assigned to those segments (core.export.bundle.load_bundle, core.export.assign.assign_new_users).

Kept apart from the upload and column-mapping code of app_pages/data.py: a bundle is a finished
project, not a dataset to map.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.export import numbers
from ui import cached, state
from ui.i18n import lang, t
from ui.widgets import escape_md, file_name, natural_order, run_safely, safe_csv, table

UPLOAD_TYPES = ["csv", "tsv", "txt", "data", "dat", "xlsx", "parquet", "gz", "zip"]


def open_project_section() -> None:
    """Upload a bundle.zip (Export page or `python -m core analyze`), see its segments and members,
    and assign the users of a new events file to its segments."""
    bundle = state.get(state.BUNDLE)
    with st.expander(t("proj.title"), expanded=bundle is not None, icon=":material/folder_open:"):
        st.caption(t("proj.intro"))
        upload = st.file_uploader(t("proj.upload"), type=["zip"], key="upload_bundle")
        if upload is not None:
            opened = run_safely(lambda: cached.open_bundle(upload.getvalue()))
            if opened is not None and opened is not bundle:
                state.put(state.BUNDLE, opened)
                bundle = opened
        if bundle is None:
            return
        _bundle_view(bundle)
        _assign_view(bundle)


def _bundle_view(bundle: Any) -> None:
    language = lang()
    assigned = bundle.assignments
    st.markdown(f"**{t('proj.opened', run=escape_md(bundle.run_id, max_len=40))}**")
    cols = st.columns(3)
    cols[0].metric(t("metric.segments"), numbers.count(len(bundle.segments), language))
    cols[1].metric(t("metric.users"), numbers.count(len(assigned), language, compact=True),
                   help=numbers.count(len(assigned), language))  # fmt: skip
    cols[2].metric(t("seg.seed"), str(bundle.seed))
    st.caption(t("proj.model_line", model=escape_md(bundle.model_id or "—", max_len=80),
                 created=escape_md(bundle.created, max_len=40)))  # fmt: skip
    segments = bundle.segments
    table(pd.DataFrame({
        t("col.segment"): segments["segment_id"].astype(int),
        t("prof.name_short"): segments["name"].astype(str),
        t("col.users"): segments["size"].astype(int),
        t("col.share"): [numbers.share(v, language) for v in segments["share"]],
        t("col.keywords"): [", ".join(k[:6]) for k in segments["keywords"]],
    }), column_config={t("col.keywords"): st.column_config.TextColumn(width="large")})  # fmt: skip
    names = bundle.segment_names
    members = assigned.assign(segment_name=[names.get(int(s), "Other") for s in assigned["segment_id"]])
    members = members.iloc[natural_order(members["user_id"])]
    st.caption(t("proj.members", n=numbers.count(len(members), language)))
    table(members.head(2000), height=260)
    st.download_button(t("proj.download_members"), safe_csv(members), key="dl_bundle_members",
                       file_name=file_name(None, "project-members", "csv"), mime="text/csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip


def _assign_view(bundle: Any) -> None:
    st.markdown(f"**{t('proj.assign_title')}**")
    st.caption(t("proj.assign_intro"))
    c1, c2 = st.columns(2)
    events = c1.file_uploader(t("data.upload_events"), type=UPLOAD_TYPES, key="bundle_events")
    items = c2.file_uploader(t("data.upload_items"), type=UPLOAD_TYPES, key="bundle_items")
    if events is None:
        return
    if not st.button(t("proj.assign"), type="primary", key="bundle_assign"):
        result = cached.peek_assignment(bundle, events.getvalue(), items.getvalue() if items else None)
    else:
        with st.spinner(t("proj.assigning")):
            result = run_safely(lambda: cached.assign_to_bundle(
                bundle, events.getvalue(), events.name,
                items=items.getvalue() if items else None, items_filename=items.name if items else None,
            ))  # fmt: skip
    if result is None:
        return
    language = lang()
    counts = result["segment_name"].value_counts()
    st.success(t("proj.assigned", n=numbers.count(len(result), language), k=len(counts)))
    table(counts.rename_axis(t("col.segment")).reset_index(name=t("col.users")))
    table(result.iloc[natural_order(result["user_id"])].head(2000), height=260)
    st.download_button(t("proj.download_assigned"), safe_csv(result), key="dl_bundle_assigned",
                       file_name=file_name(None, "assignments", "csv"), mime="text/csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip

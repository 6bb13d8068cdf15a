"""Export page: members CSV, Excel, HTML report and bundle, after the privacy guards."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ui import cached, state
from ui.i18n import t
from ui.widgets import file_name, require_analysis, run_safely, segment_label

KINDS = (
    ("members", "csv", "text/csv"),
    ("excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("html", "html", "text/html"),
    ("bundle", "zip", "application/zip"),
)


def renamed(analysis):
    """A copy of the analysis carrying the names the user gave its segments (the original is untouched)."""
    segments = [replace(s, name=segment_label(analysis, s.segment_id)) for s in analysis.segments]
    return replace(analysis, segments=segments)


def render() -> None:
    st.title(t("exp.title"))
    st.caption(t("exp.intro"))
    analysis = require_analysis()
    if analysis is None:
        return
    from core.export.privacy import PrivacySettings

    st.subheader(t("exp.privacy_title"))
    c1, c2, c3 = st.columns(3)
    pseudonymize = c1.toggle(t("exp.pseudonymize"), value=analysis.config.pseudonymize, help=t("exp.pseudonymize_help"),
                             key="exp_pseudo")  # fmt: skip
    min_size = c2.number_input(t("exp.min_size"), min_value=0, max_value=100_000,
                               value=int(analysis.config.min_segment_size), help=t("exp.min_size_help"), key="exp_min")  # fmt: skip
    scrub = c3.toggle(t("exp.scrub"), value=True, help=t("exp.scrub_help"), key="exp_scrub")
    small = [s for s in analysis.segments if s.size < min_size]
    if small and min_size > 1:
        st.caption(t("exp.small_note", n=len(small), size=int(min_size)))
    privacy = run_safely(lambda: PrivacySettings(pseudonymize=pseudonymize, min_segment_size=int(min_size),
                                                  scrub_pii=scrub, key=state.get(state.PSEUDONYM_KEY)))  # fmt: skip
    if privacy is None:
        return
    r1, r2 = st.columns(2)
    with_recs = r1.toggle(t("exp.with_recs"), value=False, help=t("exp.with_recs_help"), key="exp_recs")
    n_recs = int(r2.number_input(t("exp.n_recs"), min_value=1, max_value=20, value=5, key="exp_n_recs",
                                 disabled=not with_recs))  # fmt: skip
    k1, k2 = st.columns(2)
    control_pct = k1.number_input(t("act.control_share"), min_value=0, max_value=50, value=0, step=5,
                                  help=t("act.control_share_help"), key="exp_control")  # fmt: skip
    control_seed = k2.number_input(t("act.control_seed"), min_value=0, max_value=2**31 - 1, value=0,
                                   key="exp_control_seed", disabled=not control_pct)  # fmt: skip
    from core.export.control import ControlGroup

    control = ControlGroup(share=control_pct / 100, seed=int(control_seed)) if control_pct else None
    recommendations = None
    if with_recs:
        with st.spinner(t("exp.recs_running")):
            recommendations = run_safely(lambda: cached.member_recommendations(analysis, n_recs))
    run_key = f"{state.get(state.DATASET_KEY)}:{cached.config_key(analysis.config)}:{analysis.segmentation.k}"
    stored = state.get(state.EVALUATION).get(run_key)
    evaluation = stored.to_json() if stored is not None and hasattr(stored, "to_json") else None
    st.subheader(t("exp.files_title"))
    with st.spinner(t("exp.preparing")):
        files = run_safely(lambda: cached.export_files(renamed(analysis), privacy, evaluation=evaluation,
                                                        recommendations=recommendations, top_n=n_recs,
                                                        control=control))  # fmt: skip
    if files is None:
        return
    cols = st.columns(len(KINDS))
    for col, (kind, ext, mime) in zip(cols, KINDS, strict=True):
        with col:
            st.markdown(f"**{t(f'exp.{kind}')}**")
            st.caption(t(f"exp.{kind}_help"))
            st.download_button(t("exp.download"), files[kind], file_name=file_name(analysis, kind, ext), mime=mime,
                               on_click="ignore", key=f"dl_{kind}", icon=":material/download:")  # fmt: skip
            st.caption(f"{len(files[kind]) / 1024:,.0f} KiB")


render()

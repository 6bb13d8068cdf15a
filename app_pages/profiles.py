"""Profiles page: what each segment (or the map selection) is about, its members, and a comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.explain.insights import compare_segments
from core.export import numbers
from core.export.labels import sentiment_basis, sentiment_heading
from core.export.labels import source_of as sentiment_source
from ui import cached, state
from ui.charts import ADHOC_COLOR, bars, color, sentiment_figure
from ui.i18n import lang, t
from ui.widgets import (
    escape_md,
    item_texts,
    localized,
    natural_order,
    require_analysis,
    run_safely,
    segment_label,
    segment_options,
    select,
    table,
)

ADHOC_ID = -100  # select-box value of the map selection (never a real segment id)
MEMBER_ROWS = 5000  # rows shown in the member grid (the export has all)


def _rename(run_id: str, segment_id: int, widget_key: str) -> None:
    name = str(st.session_state.get(widget_key, "")).strip()
    if name:
        state.set_segment_name(run_id, segment_id, name[:80])


def member_frame(analysis, rows: np.ndarray) -> pd.DataFrame:
    """user id, segment, confidence, events and the "why" items (item text) for the given rows."""
    texts = item_texts(analysis)
    seg = analysis.segmentation
    return pd.DataFrame({
        t("col.user"): analysis.profiles.user_ids[rows].astype(str),
        t("col.segment"): seg.labels[rows],
        t("col.confidence"): np.round(seg.confidence[rows], 3),
        t("col.events"): analysis.profiles.event_counts[rows],
        t("col.why"): [" · ".join(texts.get(i, i) for i in analysis.profiles.top_items[r][:3]) for r in rows],
    })  # fmt: skip


def profile_view(analysis, profile, rows: np.ndarray, tint: str, *, segment_id: int | None) -> None:
    """Everything about one segment profile (a real segment or the ad-hoc selection)."""
    if segment_id is not None:
        key = f"name_{analysis.run_id}_{segment_id}"
        st.text_input(t("prof.name"), value=segment_label(analysis, segment_id), key=key, max_chars=80,
                      on_change=_rename, args=(analysis.run_id, segment_id, key))  # fmt: skip
    language = lang()
    sentiment = profile.sentiment or {}
    measured = sentiment_source(profile) != "none"
    cols = st.columns(5)
    cols[0].metric(t("metric.users"), numbers.count(profile.size, language, compact=True),
                   help=numbers.count(profile.size, language))  # fmt: skip
    cols[1].metric(t("metric.share"), numbers.share(profile.share, language))
    cols[2].metric(t("metric.mean_rating"), numbers.decimal(profile.mean_rating, language))
    cols[3].metric(t("metric.sentiment"),
                   numbers.decimal(sentiment.get("mean_score"), language, signed=True) if measured else "—",
                   help=f"{t('metric.sentiment_help')} {sentiment_basis(profile, language)}")  # fmt: skip
    cols[4].metric(t("metric.stability"), numbers.decimal(profile.stability, language),
                   help=t("metric.stability_help"))  # fmt: skip
    revenue_cards(profile.revenue, language)

    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('prof.keywords')}**")
        if profile.keywords:
            words = sorted(profile.keywords, key=lambda kw: -float(kw[1]))[:12]  # rank order, best on top
            st.plotly_chart(bars([w for w, _ in words], [float(s) for _, s in words], colors=tint,
                                 height=60 + 26 * len(words)), key=f"kw_{segment_id}")  # fmt: skip
        else:
            st.caption(t("prof.no_keywords"))
    with right:
        st.markdown(f"**{escape_md(sentiment_heading(profile, language))}**")
        if measured:
            st.plotly_chart(sentiment_figure(sentiment), key=f"sent_{segment_id}")
        st.caption(escape_md(sentiment_basis(profile, language), max_len=400))

    st.markdown(f"**{t('prof.top_items')}**")
    if profile.top_items:
        items = pd.DataFrame(profile.top_items)
        keep = [c for c in ("item_id", "text", "users", "share", "lift") if c in items.columns]
        table(localized(items[keep]), column_config={
            t("col.share"): st.column_config.ProgressColumn(t("col.share"), format="percent", min_value=0.0, max_value=1.0),
            t("col.lift"): st.column_config.NumberColumn(t("col.lift"), format="%.2f×", help=t("prof.lift_help")),
        })  # fmt: skip
    else:
        st.caption(t("prof.no_items"))

    if profile.composition:
        st.markdown(f"**{t('prof.composition')}**")
        attrs = list(profile.composition.items())[:3]
        for col, (attr, values) in zip(st.columns(len(attrs)), attrs, strict=True):
            with col:
                st.caption(escape_md(attr, max_len=60))
                st.plotly_chart(bars([str(v) for v, _ in values[:8]], [float(s) for _, s in values[:8]],
                                     colors=tint, value_format=".0%", height=100 + 26 * min(len(values), 8)),
                                key=f"comp_{segment_id}_{attr}")  # fmt: skip

    st.markdown(f"**{t('prof.representatives')}**")
    index = {u: i for i, u in enumerate(analysis.profiles.user_ids.astype(str))}
    reps = np.array([index[u] for u in profile.representative_users if u in index], dtype=int)
    if len(reps):
        table(member_frame(analysis, reps))
    st.markdown(f"**{t('prof.members')}**")
    shown = rows[natural_order(analysis.profiles.user_ids[rows])][:MEMBER_ROWS]  # ids 15 before 149
    table(member_frame(analysis, shown), height=320)
    if len(rows) > MEMBER_ROWS:
        st.caption(t("prof.members_cut", shown=f"{MEMBER_ROWS:,}", total=f"{len(rows):,}"))


REVENUE_FIELDS = ("revenue", "orders", "revenue_per_user", "avg_order_value")


def revenue_cards(revenue: dict[str, float] | None, language: str) -> None:
    """Revenue, orders, revenue per user and average order value, one full-width row so no value is
    cut off: compact on the card (431.7k / 43.2万), the exact figure (as in the Excel export) on hover."""
    if not revenue:
        return
    fields = [f for f in REVENUE_FIELDS if f in revenue]
    for col, field in zip(st.columns(len(fields)), fields, strict=True):
        value = revenue[field]
        fmt = numbers.count if field == "orders" else numbers.money
        col.metric(t(f"revenue.{field}"), fmt(value, language, compact=True), help=fmt(value, language))


def compare_view(analysis, options: dict[int, str]) -> None:
    st.subheader(t("prof.compare_title"))
    ids = list(options)
    if len(ids) < 2:
        st.caption(t("prof.compare_need_two"))
        return
    c1, c2 = st.columns(2)
    a = select(t("prof.compare_a"), options, key="cmp_a", default=ids[0], container=c1)
    b = select(t("prof.compare_b"), options, key="cmp_b", default=ids[1], container=c2)
    if a == b:
        st.caption(t("prof.compare_same"))
        return
    language = lang()
    by_id = {s.segment_id: s for s in analysis.segments}
    sa, sb = by_id[a], by_id[b]
    rows = {
        t("metric.users"): tuple(numbers.count(s.size, language) for s in (sa, sb)),
        t("metric.share"): tuple(numbers.share(s.share, language) for s in (sa, sb)),
        t("metric.mean_rating"): tuple(numbers.decimal(s.mean_rating, language) for s in (sa, sb)),
        t("metric.sentiment"): tuple(numbers.decimal(s.sentiment.get("mean_score"), language, signed=True)
                                     for s in (sa, sb)),
        t("col.keywords"): tuple(", ".join(k for k, _ in s.keywords[:6]) for s in (sa, sb)),
        t("prof.top_items"): tuple(" · ".join(str(i.get("text", i.get("item_id")))[:40] for i in s.top_items[:3]) for s in (sa, sb)),
    }  # fmt: skip
    frame = pd.DataFrame(rows, index=[segment_label(analysis, a), segment_label(analysis, b)]).T.reset_index()
    frame.columns = ["", f"#{a} {segment_label(analysis, a)}", f"#{b} {segment_label(analysis, b)}"]
    table(frame)
    diff = run_safely(lambda: cached.comparison(analysis, a, b, compare_segments))
    if diff is None:
        return
    st.caption(t("prof.compare_diff"))
    terms = max(len(diff.terms_a), len(diff.terms_b))
    pad = [("", float("nan"))] * terms
    table(pd.DataFrame({
        f"#{a} {segment_label(analysis, a)}": [w for w, _ in (diff.terms_a + pad)[:terms]],
        t("col.z_a"): [round(z, 2) for _, z in (diff.terms_a + pad)[:terms]],
        f"#{b} {segment_label(analysis, b)}": [w for w, _ in (diff.terms_b + pad)[:terms]],
        t("col.z_b"): [round(z, 2) for _, z in (diff.terms_b + pad)[:terms]],
    }))  # fmt: skip
    cols = st.columns(3)
    cols[0].metric(t("prof.sentiment_delta"), numbers.decimal(diff.sentiment_delta, language, signed=True))
    cols[1].metric(t("prof.rating_delta"), numbers.decimal(diff.rating_delta, language, signed=True))
    cols[2].metric(t("prof.item_overlap"), numbers.share(diff.item_jaccard, language, digits=0),
                   help=t("prof.item_overlap_help"))  # fmt: skip


def render() -> None:
    st.title(t("prof.title"))
    analysis = require_analysis()
    if analysis is None:
        return
    options = segment_options(analysis)
    adhoc = state.get(state.ADHOC)
    choices = dict(options)
    if adhoc and adhoc.get("run_id") == analysis.run_id:
        choices = {ADHOC_ID: t("prof.adhoc_option", n=f"{len(adhoc['user_ids']):,}"), **options}
    selected = select(t("prof.pick"), choices, key="profile_pick")
    labels = analysis.segmentation.labels
    if selected == ADHOC_ID:
        st.subheader(t("prof.adhoc_title"))
        index = {u: i for i, u in enumerate(analysis.profiles.user_ids.astype(str))}
        rows = np.array(sorted(index[u] for u in adhoc["user_ids"] if u in index), dtype=int)
        profile = run_safely(lambda: cached.adhoc_profile(analysis, adhoc["user_ids"]))
        if profile is None:
            return
        profile_view(analysis, profile, rows, ADHOC_COLOR, segment_id=None)
    else:
        profile = next(s for s in analysis.segments if s.segment_id == selected)
        st.markdown(f"### {escape_md(segment_label(analysis, selected), max_len=80)}")
        profile_view(
            analysis, profile, np.flatnonzero(labels == selected), color(selected), segment_id=selected
        )
    st.divider()
    compare_view(analysis, options)


render()

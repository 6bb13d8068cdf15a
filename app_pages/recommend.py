"""Recommendations page: top-N with reasons for a user or a segment; evaluation against baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.notes import in_language
from ui import cached, state
from ui.i18n import lang, t
from ui.widgets import (
    escape_md,
    item_texts,
    localized,
    require_analysis,
    run_safely,
    segment_options,
    select,
    table,
)

DEFAULT_RECOMMENDER = "hybrid"
SEGMENT_SAMPLE = 50  # members whose lists are pooled into a segment's list


def recommender_names() -> list[str]:
    from core.recommend.registry import RECOMMENDERS

    return list(RECOMMENDERS)


def recommendations_view(analysis) -> None:
    st.subheader(t("rec.top_title"))
    names = recommender_names()
    c1, c2, c3 = st.columns([2, 2, 1])
    mode = select(t("rec.for"), {m: t(f"rec.for_{m}") for m in ("user", "segment")}, key="rec_mode", radio=True,
                  horizontal=True, container=c1)  # fmt: skip
    shown = {n: method_label(n) for n in names}
    kind = select(t("rec.model"), shown, key="rec_model", default=DEFAULT_RECOMMENDER, container=c2)
    top_n = c3.number_input(t("rec.top_n"), min_value=1, max_value=50, value=10, key="rec_n")
    users = analysis.profiles.user_ids.astype(str)
    if mode == "user":
        query = st.text_input(t("rec.search"), key="rec_query", placeholder=t("rec.search_placeholder"))
        matches = (
            [u for u in users if query.strip().lower() in u.lower()][:200]
            if query.strip()
            else list(users[:200])
        )
        if not matches:
            st.caption(t("rec.no_match"))
            return
        user = st.selectbox(t("rec.user"), matches, key="rec_user")
        targets = [user]
    else:
        options = segment_options(analysis)
        segment = select(t("rec.segment"), options, key="rec_segment")
        members = users[analysis.segmentation.labels == segment]
        targets = list(
            members[np.argsort(-analysis.segmentation.confidence[analysis.segmentation.labels == segment])][
                :SEGMENT_SAMPLE
            ]
        )
    with st.spinner(t("rec.fitting")):
        result = run_safely(
            lambda: cached.recommender(analysis, kind).recommend(targets, n=int(top_n), with_reasons=True)
        )
    if result is None:
        return
    frame = result.to_frame()
    frame["reason"] = frame["reason"].map(lambda r: in_language(r, lang()))  # core's Note: worded here
    texts = item_texts(analysis)
    frame["text"] = frame["item_id"].map(lambda i: texts.get(i, ""))
    if mode == "user":
        if result.n_cold:
            st.caption(t("rec.cold"))
        table(localized(frame[["rank", "item_id", "text", "score", "reason"]].round({"score": 4})))
    else:
        pooled = (frame.groupby("item_id").agg(members=("user_id", "nunique"), best_rank=("rank", "min"),
                                                reason=("reason", _most_common))
                  .sort_values(["members", "best_rank"], ascending=[False, True]).head(int(top_n)).reset_index())  # fmt: skip
        pooled["text"] = pooled["item_id"].map(lambda i: texts.get(i, ""))
        st.caption(t("rec.segment_note", n=len(targets)))
        table(localized(pooled[["item_id", "text", "members", "best_rank", "reason"]]),
              column_config={t("col.reason"): st.column_config.TextColumn(width="large")})  # fmt: skip


def _most_common(reasons: pd.Series) -> str:
    """The reason most members got for an item (the segment's reason for recommending it)."""
    values = reasons.dropna().astype(str)
    values = values[values != ""]
    return str(values.mode().iat[0]) if len(values) else ""


def method_label(name: str) -> str:
    """The dropdown's label of a recommender: the same label the evaluation table shows."""
    from core.recommend.readable import METHOD_LABELS

    english, chinese = METHOD_LABELS.get(name, (name, name))
    return chinese if lang() == "zh" else english


def evaluation_view(analysis) -> None:
    st.subheader(t("rec.eval_title"))
    st.caption(t("rec.eval_intro"))
    try:
        import core.recommend.evaluation  # noqa: F401
    except ImportError:
        st.info(t("rec.eval_unavailable"), icon="⏳")
        return
    key = f"{state.get(state.DATASET_KEY)}:{cached.config_key(analysis.config)}:{analysis.segmentation.k}"
    stored = state.get(state.EVALUATION).get(key)
    if st.button(t("rec.eval_run"), type="primary" if stored is None else "secondary", key="eval_run"):
        bar = st.progress(0.0, text=t("rec.eval_running"))
        fresh = run_safely(
            lambda: cached.evaluation(
                analysis,
                state.get(state.DATASET_KEY),
                progress=lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0), text=m),
            )
        )
        bar.empty()
        if fresh is not None:
            stored = fresh
            results = dict(state.get(state.EVALUATION))
            results[key] = stored
            state.put(state.EVALUATION, results)
    if stored is None:
        st.caption(t("rec.eval_not_run"))
        return
    for readable in evaluation_tables(stored):
        st.markdown(f"**{escape_md(readable.title)}**")
        if readable.verdict:
            st.success(escape_md(readable.verdict, max_len=400), icon="✅")
        st.dataframe(
            _highlight(readable),
            hide_index=True,
            column_config={
                column: st.column_config.NumberColumn(column, help=help_text)
                for column, help_text in readable.tooltips.items()
            },
        )
    if note := sample_note(stored.split):
        st.caption(note)
    for note in getattr(stored, "notes", []):
        st.caption(escape_md(note, max_len=400))
    with st.expander(t("rec.metric_defs")):
        st.markdown(t("rec.metric_defs_body"))


def sample_note(split: dict) -> str:
    """How many test users were scored, and out of how many (when a sample was drawn)."""
    if not split.get("n_eval_users"):
        return ""
    scored = f"{int(split['n_eval_users']):,}"
    total = split.get("eval_users_sampled_from")
    if total:
        return t("rec.eval_sampled", n=scored, total=f"{int(total):,}")
    return t("rec.eval_all_users", n=scored)


def evaluation_tables(result) -> list:
    """core.recommend.evaluation.EvaluationResult as readable tables (labels, best values, verdicts)."""
    from core.recommend.readable import readable_tables

    return readable_tables(result.to_json(), lang())


def _highlight(readable):
    """The table with the best value of each metric column in bold on a green tint; shares as %."""
    frame = readable.frame
    method = frame.columns[0]

    def mark(column: pd.Series) -> list[str]:
        winner = readable.best.get(column.name)
        return [
            "font-weight: 700; background-color: rgba(46, 160, 67, 0.18)" if winner == who else ""
            for who in frame[method]
        ]

    formats = {c: "{:.1%}" for c in readable.percent_columns}
    formats.update({c: "{:.3f}" for c in readable.tooltips if c not in readable.percent_columns})
    return frame.style.apply(mark, subset=list(readable.best)).format(formats, na_rep="—")


def render() -> None:
    st.title(t("rec.title"))
    st.caption(t("rec.intro"))
    analysis = require_analysis()
    if analysis is None:
        return
    try:
        recommender_names()
    except ImportError:
        st.info(t("rec.unavailable"), icon="⏳")
    else:
        recommendations_view(analysis)
    st.divider()
    evaluation_view(analysis)


render()

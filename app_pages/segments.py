"""Segments page: run form with staged progress, K advisor, the interest map, segment sizes."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from core.config import DEFAULT_EVENT_WEIGHTS, AnalysisConfig
from core.errors import InterestLensError
from core.export import numbers
from core.notes import in_language
from ui import cached, state
from ui.charts import MAP_MAX_POINTS, bars, color, display_rows, esc, k_advice_figure, map_figure
from ui.i18n import lang, t
from ui.widgets import (
    escape_md,
    item_texts,
    localized,
    log_unexpected,
    segment_label,
    select,
    selected_users,
    show_error,
    table,
)

MODEL_CHOICES = ("default", "tfidf", "custom")
ADVISOR_METRICS = ["silhouette", "stability", "calinski_harabasz", "davies_bouldin", "min_share", "inertia"]


def methods() -> list[str]:
    try:
        from core.segment.clusterers import CLUSTERERS
    except ImportError:
        return ["kmeans"]
    return list(CLUSTERERS)


def run_form(base: AnalysisConfig, shown_k: int | None = None) -> AnalysisConfig | None:
    """The analysis settings; returns a config when the form was submitted. `shown_k`: the K of the
    result on screen, what the K box starts from when the advisor chose it."""
    with st.form("run_form"):
        c1, c2, c3 = st.columns(3)
        current_model = "default" if base.model is None else base.model if base.model == "tfidf" else "custom"
        model_choice = select(t("seg.model"), {m: t(f"seg.model_{m}") for m in MODEL_CHOICES}, key="run_model",
                              default=current_model, container=c1)  # fmt: skip
        custom = c1.text_input(t("seg.custom_model"), value=base.model if current_model == "custom" else "",
                               help=t("seg.custom_help"))  # fmt: skip
        found = cached.local_models()
        c1.caption(t("repr.found", models=", ".join(found[:8])) if found else t("repr.none_found"))
        representation = select(t("repr.label"), {r: t(f"repr.{r}") for r in ("hybrid", "sentence", "tfidf")},
                                key="run_representation", default=base.representation, container=c1)  # fmt: skip
        options = methods()
        method = c2.selectbox(
            t("seg.method"), options, index=options.index(base.method) if base.method in options else 0
        )
        auto_k = c2.checkbox(t("seg.k_auto"), value=base.k is None, help=t("seg.k_auto_help"))
        # Keyed: the widget keeps its identity (and the user's entry) when the result behind `value` changes.
        k = c2.number_input("K", min_value=2, max_value=60, value=min(max(int(base.k or shown_k or 6), 2), 60),
                            step=1, key="run_k")  # fmt: skip
        half_life = c3.number_input(t("seg.half_life"), min_value=0.0, max_value=3650.0,
                                    value=float(base.half_life_days or 0.0), step=15.0, help=t("seg.half_life_help"))  # fmt: skip
        seed = c3.number_input(t("seg.seed"), min_value=0, max_value=2**31 - 1, value=int(base.seed), step=1)
        use_ratings = c3.checkbox(t("seg.use_ratings"), value=base.use_ratings)
        three_d = c3.checkbox(t("seg.three_d"), value=base.projection_3d)
        with st.expander(t("seg.weights")):
            weights = dict(base.weights)
            cols = st.columns(len(DEFAULT_EVENT_WEIGHTS))
            for col, event in zip(cols, DEFAULT_EVENT_WEIGHTS, strict=True):
                weights[event] = col.number_input(t(f"event.{event}"), min_value=0.0, max_value=100.0,
                                                  value=float(weights.get(event, 1.0)), step=0.5, key=f"w_{event}")  # fmt: skip
        submitted = st.form_submit_button(t("seg.run"), type="primary")
    if not submitted:
        return None
    model = (
        None
        if model_choice == "default"
        else "tfidf"
        if model_choice == "tfidf"
        else (custom.strip() or None)
    )
    return base.with_(
        model=model,
        representation=representation,
        method=method,
        k=None if auto_k else int(k),
        half_life_days=float(half_life) or None,
        seed=int(seed),
        use_ratings=use_ratings,
        projection_3d=three_d,
        event_weights=weights,
    )


def run(config: AnalysisConfig) -> None:
    """Run (or reuse) the analysis with progress per stage; a failure keeps the previous result."""
    dataset = state.get(state.DATASET)
    previous = state.get(state.ANALYSIS)
    reused = cached.is_prepared(state.get(state.DATASET_KEY), config)
    embedder = cached.embedder_for(config)
    countdown = cached.run_countdown(dataset, embedder, config, prepared=reused)
    started = time.perf_counter()
    with st.status(t("seg.running"), expanded=True) as status:
        bar = st.progress(0.0, text=t("seg.starting"))

        def progress(fraction: float, message: str) -> None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            now = time.perf_counter()
            left = countdown.remaining(fraction, now) if countdown is not None else None
            text = in_language(message, lang())  # core's stage names carry their Chinese (core.notes.Note)
            if left is not None and countdown is not None and countdown.first_total is not None:
                text = t(
                    "seg.progress_eta", message=message, elapsed=f"{now - started:,.0f}", left=f"{left:,.0f}"
                )
            bar.progress(fraction, text=escape_md(text, max_len=300))

        try:
            analysis = cached.analyse(dataset, state.get(state.DATASET_KEY), config, progress=progress,
                                      previous=previous, embedder=embedder)  # fmt: skip
        except InterestLensError as error:
            status.update(label=t("seg.failed"), state="error", expanded=True)
            show_error(error)
            _kept(previous)
            return
        except Exception as error:  # out of memory, a bug: say so, keep what the user had
            log_unexpected(error)
            status.update(label=t("seg.failed"), state="error", expanded=True)
            show_error(error)
            _kept(previous)
            return
        took = time.perf_counter() - started
        estimated = countdown.first_total if countdown is not None else None
        key = "seg.done_reused" if reused else "seg.done"
        label = t(key, seconds=f"{took:,.1f}")
        if estimated is not None and not reused:
            label += t("seg.done_estimate", estimate=f"{estimated:,.0f}")
        status.update(label=label, state="complete", expanded=False)
    state.put(state.LAST_ACTION, {"run_id": analysis.run_id, "seconds": round(took, 1), "reused": reused,
                                  "estimated": estimated})  # fmt: skip
    if previous is not None and previous.dataset is analysis.dataset and previous.run_id != analysis.run_id:
        names = state.get(state.SEGMENT_NAMES).get(previous.run_id, {})
        for segment_id, name in names.items():  # ids were matched to the previous run by core
            if segment_id < analysis.segmentation.k:
                state.set_segment_name(analysis.run_id, segment_id, name)
    state.put(state.ANALYSIS, analysis)
    state.put(state.ADHOC, None)


def _kept(previous: object) -> None:
    if previous is not None:
        st.caption(t("seg.kept_previous"))


def estimate_note(config: AnalysisConfig) -> None:
    """Before a run: what it will cost on this machine, from the speed measured here (or a note that
    the estimate appears once the first texts are embedded)."""
    dataset = state.get(state.DATASET)
    if cached.is_prepared(state.get(state.DATASET_KEY), config):
        st.caption(t("seg.warm_note"))
        return
    plan = cached.run_plan(dataset, state.get(state.DATASET_KEY), config)
    n_users = f"{int(dataset.events['user_id'].nunique()):,}"
    if plan is None:
        st.caption(t("seg.estimate_pending", texts=f"{len(dataset.items):,}", users=n_users))
    else:
        st.caption(t("seg.estimate", seconds=f"{plan.total:,.0f}", texts=f"{plan.texts_to_embed:,}",
                     users=n_users, speed=f"{plan.chars_per_s:,.0f}"))  # fmt: skip


def summary(analysis) -> None:
    quality = analysis.quality
    cols = st.columns(6)
    cols[0].metric(t("metric.users"), f"{len(analysis.profiles):,}")
    cols[1].metric(t("metric.segments"), analysis.segmentation.k)
    cols[2].metric(t("metric.method"), escape_md(analysis.segmentation.method))
    cols[3].metric(t("metric.silhouette"), f"{quality['silhouette']:.3f}" if "silhouette" in quality else "—",
                   help=t("metric.silhouette_help"))  # fmt: skip
    if "ari" in quality:
        cols[4].metric("ARI", f"{quality['ari']:.3f}", help=t("metric.ari_help"))
    else:
        cols[4].metric(t("metric.davies_bouldin"), f"{quality.get('davies_bouldin', float('nan')):.2f}",
                       help=t("metric.davies_bouldin_help"))  # fmt: skip
    total = sum(v for k, v in analysis.timings.items() if k != "export")
    last = state.get(state.LAST_ACTION) or {}
    if last.get("run_id") == analysis.run_id:
        help_key = "metric.last_run_reused_help" if last.get("reused") else "metric.last_run_help"
        cols[5].metric(t("metric.last_run"), f"{last['seconds']:,.1f} s",
                       help=t(help_key, seconds=f"{last['seconds']:,.1f}", total=f"{total:,.1f}"))  # fmt: skip
    else:
        cols[5].metric(t("metric.run_time"), f"{total:,.1f} s", help=t("metric.run_time_help"))
    info = analysis.embedding_info
    if info.get("representation_reason"):
        why = info.get("representation_reason_zh") if lang() == "zh" else info.get("representation_reason")
        st.caption(t("repr.ran", why=escape_md(str(why), max_len=300)))
    language = analysis.dataset.report.language or info.get("language") or {}
    if language:
        from core.embed.language import LanguageProfile

        profile = LanguageProfile(**language)
        st.caption(t("repr.language", what=profile.describe_zh() if lang() == "zh" else profile.describe()))
    if info.get("max_tokens") and info.get("n_unique"):
        st.caption(t("embed.truncated", limit=f"{int(info['max_tokens']):,}",
                     n=f"{int(info.get('n_truncated') or 0):,}", total=f"{int(info['n_unique']):,}"))  # fmt: skip
    for warning in analysis.warnings:
        st.warning(escape_md(in_language(warning, lang()), max_len=400))
    if analysis.profiles.skipped_users:
        st.caption(t("seg.skipped_users", n=f"{len(analysis.profiles.skipped_users):,}"))


def advisor(analysis) -> None:
    st.subheader(t("seg.advisor_title"))
    advice = analysis.k_advice
    if advice is None:
        st.caption(t("seg.advisor_fixed", k=analysis.segmentation.k))
        return
    st.plotly_chart(k_advice_figure(advice, ADVISOR_METRICS), key="k_advice_chart")
    st.info(
        t("seg.advisor_reason", k=advice.recommended_k, reason=escape_md(advice.text(lang()), max_len=500)),
        icon="💡",
    )
    with st.expander(t("seg.advisor_table")):
        table(localized(advice.table.round(4)))
        st.caption(t("seg.advisor_metrics"))


def attribute_columns(analysis) -> list[str]:
    events = analysis.dataset.events
    names = [c for c in analysis.dataset.report.attributes if c in events.columns]
    if "label" in events.columns:
        names.insert(0, "label")
    return [c for c in names if events[c].nunique() <= 200][:20]


@st.fragment
def map_view(analysis) -> None:
    """The interest map; lasso/box selection becomes an ad-hoc segment (reruns only this fragment)."""
    st.subheader(t("seg.map_title"))
    names = {s.segment_id: segment_label(analysis, s.segment_id) for s in analysis.segments}
    c1, c2 = st.columns([1, 3])
    has_3d = analysis.coords3d is not None
    dims = c1.radio(t("seg.dims"), ["2D", "3D"], horizontal=True, key="map_dims", disabled=not has_3d,
                    help=None if has_3d else t("seg.dims_help"))  # fmt: skip
    colour_options = ["segment", "confidence", "events", *attribute_columns(analysis)]
    shown = {
        c: t(f"seg.color_{c}") if c in ("segment", "confidence", "events") else c for c in colour_options
    }
    colour_by = select(t("seg.color_by"), shown, key="map_color", container=c2)
    placed = np.flatnonzero(np.isfinite(analysis.coords).all(axis=1))  # a sampled map places only some
    rows = placed[display_rows(len(placed), seed=analysis.config.seed)]
    texts = item_texts(analysis)
    hover = [
        "<br>".join(esc(texts.get(item, item), 50) for item in items[:3])
        for items in analysis.profiles.top_items
    ]
    adhoc = state.get(state.ADHOC)
    chosen = set(adhoc["user_ids"]) if adhoc and adhoc.get("run_id") == analysis.run_id else None
    three_d = dims == "3D" and has_3d
    fig = map_figure(analysis, names=names, rows=rows, color_by=colour_by, three_d=three_d, hover_items=hover,
                     adhoc=chosen, value_title=shown[colour_by])  # fmt: skip
    if three_d:
        st.plotly_chart(fig, key="map_3d")
        event = None
    else:
        event = st.plotly_chart(fig, key="map_2d", on_select="rerun", selection_mode=("lasso", "box"))
    notes = []
    if analysis.projection_info.get("sampled"):
        notes.append(t("seg.map_fit_sampled", n=f"{int(analysis.projection_info.get('n_fit', 0)):,}"))
    if len(rows) < len(placed):
        notes.append(t("seg.map_sampled", shown=f"{len(rows):,}", total=f"{len(placed):,}",
                       limit=f"{MAP_MAX_POINTS:,}"))  # fmt: skip
    st.caption(" ".join(notes) or t("seg.map_hint"))
    selected = selected_users(event, analysis.profiles.user_ids)
    if selected:
        st.write(t("seg.selected", n=f"{len(selected):,}"))
        if st.button(t("seg.make_adhoc"), type="primary", key="make_adhoc"):
            state.put(state.ADHOC, {"run_id": analysis.run_id, "user_ids": selected})
            st.success(t("seg.adhoc_saved", n=f"{len(selected):,}"))
    if chosen:
        st.page_link("app_pages/profiles.py", label=t("seg.adhoc_link", n=f"{len(chosen):,}"), icon="🧭")


def sizes(analysis) -> None:
    st.subheader(t("seg.sizes_title"))
    ids = [s.segment_id for s in analysis.segments]
    labels = [f"#{i} {segment_label(analysis, i)}" for i in ids]
    st.plotly_chart(bars(labels, [float(s.size) for s in analysis.segments], colors=[color(i) for i in ids],
                         value_format=",.0f", height=80 + 32 * len(ids)), key="sizes_chart")  # fmt: skip
    language = lang()
    # Full width, keywords in a wide column: in a side column they were cut off.
    table(pd.DataFrame({
        t("col.segment"): labels,
        t("col.users"): [s.size for s in analysis.segments],
        t("col.share"): [numbers.share(s.share, language) for s in analysis.segments],
        t("col.keywords"): [", ".join(k for k, _ in s.keywords[:6]) for s in analysis.segments],
    }), column_config={t("col.keywords"): st.column_config.TextColumn(width=720),
                       t("col.segment"): st.column_config.TextColumn(width=260),
                       t("col.users"): st.column_config.NumberColumn(width=70),
                       t("col.share"): st.column_config.TextColumn(width=70)})  # fmt: skip


def render() -> None:
    st.title(t("seg.title"))
    st.caption(t("seg.intro"))
    dataset = state.get(state.DATASET)
    analysis = state.get(state.ANALYSIS)
    if dataset is None and analysis is None:
        st.info(t("empty.no_dataset"), icon="📂")
        st.page_link("app_pages/data.py", label=t("empty.go_data"), icon="📥")
        return
    if dataset is not None:
        base = analysis.config if analysis is not None else AnalysisConfig()
        estimate_note(base)
        try:
            config = run_form(base, analysis.segmentation.k if analysis is not None else None)
        except InterestLensError as error:
            show_error(error)
            config = None
        if config is not None:
            run(config)
    analysis = state.get(state.ANALYSIS)
    if analysis is None:
        st.info(t("empty.no_analysis_run"), icon="▶️")
        return
    summary(analysis)
    map_view(analysis)
    sizes(analysis)
    advisor(analysis)


render()

"""Plotly figures with one colour per segment everywhere (map, sizes, keywords, composition).

All user text that reaches a figure (hover, tick labels) is HTML-escaped: plotly renders a subset
of HTML in labels.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.i18n import STRINGS, t

if TYPE_CHECKING:
    from core.analysis import Analysis
    from core.segment.types import KAdvice

# Okabe-Ito + Tableau, ordered so that the first six segments share no near hue (no two blues
# before the seventh segment; CIE76 distance >= 33 between any two of the first six); cycles beyond 20.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#9C755F", "#56B4E9", "#66A61E",
    "#E7298A", "#7570B3", "#EDC948", "#76B7B2", "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1",
    "#FF9DA7", "#1B9E77", "#F0E442", "#17BECF",
)  # fmt: skip
# The values of an attribute (countries, ...): 12 hues picked from ColorBrewer Set1/Dark2, D3 and
# Kelly's colours so that no two are alike (CIE76 distance >= 31 between any two, >= 42 from the
# grey of "other" and from white; Kelly's list had a purple and a violet 15 apart, and two blues).
ATTRIBUTE_PALETTE = (
    "#0067A5", "#E41A1C", "#2CA02C", "#FF7F00", "#9467BD", "#A6761D", "#17BECF", "#CF1C90",
    "#F2B701", "#F97B72", "#000080", "#8DB600",
)  # fmt: skip
OTHER_COLOR = "#BAB0AC"
ADHOC_COLOR = "#111827"
LOWER_IS_BETTER = frozenset({"davies_bouldin", "inertia"})  # K-advisor metrics where less is better
MAP_MAX_POINTS = 20_000  # the browser stays responsive; the page says when the map is sampled


def color(segment_id: int) -> str:
    return PALETTE[int(segment_id) % len(PALETTE)]


def esc(text: object, max_len: int = 80) -> str:
    value = str(text)
    if len(value) > max_len:
        value = value[: max_len - 1] + "…"
    return html.escape(value)


def _layout(fig: go.Figure, *, height: int = 360, title: str = "") -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        title=esc(title) if title else None,
        # Above the plot: below it the legend covered the x-axis labels and title.
        # traceorder "normal": a stacked bar's legend reads in the order of its parts (plotly reverses it).
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.02,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
    )
    if fig.layout.showlegend is not False and len(fig.data) > 1:
        fig.update_layout(margin={"t": 40 + (30 if title else 0)})
    return fig


def display_rows(n_users: int, *, seed: int = 0) -> np.ndarray:
    """Row indices shown on the map: all, or a seeded sample of MAP_MAX_POINTS."""
    if n_users <= MAP_MAX_POINTS:
        return np.arange(n_users)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_users, size=MAP_MAX_POINTS, replace=False))


def user_attribute(analysis: Analysis, column: str) -> pd.Series:
    """Per user (profile row order): the most frequent value of an event attribute."""
    events = analysis.dataset.events
    modes = events.groupby("user_id", sort=False)[column].agg(
        lambda s: s.value_counts().index[0] if s.notna().any() else ""
    )
    return modes.reindex(pd.Index(analysis.profiles.user_ids.astype(str))).fillna("").astype(str)


def map_figure(
    analysis: Analysis,
    *,
    names: dict[int, str],
    rows: np.ndarray,
    color_by: str = "segment",
    three_d: bool = False,
    hover_items: list[str] | None = None,
    adhoc: set[str] | None = None,
    value_title: str | None = None,
) -> go.Figure:
    """Users on the 2-D/3-D projection; customdata = profile row index (for selections)."""
    coords = analysis.coords3d if three_d and analysis.coords3d is not None else analysis.coords
    users = analysis.profiles.user_ids.astype(str)
    hover = hover_items or [""] * len(users)
    labels = analysis.segmentation.labels
    fig = go.Figure()

    def add(
        mask_rows: np.ndarray, name: str, trace_color: str | None, values: np.ndarray | None = None
    ) -> None:
        text = [f"{esc(users[i], 40)}<br>{hover[i]}" for i in mask_rows]
        marker: dict[str, object] = {"size": 4 if three_d else 6, "opacity": 0.8}
        if values is not None:
            marker.update(color=values, colorscale="Viridis", showscale=True,
                          colorbar={"title": {"text": esc(value_title or name, 30), "side": "right"}})  # fmt: skip
        else:
            marker["color"] = trace_color
        common = {
            "name": esc(name, 40),
            "text": text,
            "hovertemplate": "%{text}<extra></extra>",
            "marker": marker,
        }
        if three_d and coords.shape[1] >= 3:
            fig.add_trace(go.Scatter3d(x=coords[mask_rows, 0], y=coords[mask_rows, 1], z=coords[mask_rows, 2],
                                       mode="markers", customdata=mask_rows, **common))  # fmt: skip
        else:
            fig.add_trace(go.Scattergl(x=coords[mask_rows, 0], y=coords[mask_rows, 1], mode="markers",
                                       customdata=mask_rows, **common))  # fmt: skip

    if color_by == "segment":
        for seg_id in sorted(names):
            add(rows[labels[rows] == seg_id], names[seg_id], color(seg_id))
    elif color_by in ("confidence", "events"):
        values = (
            analysis.segmentation.confidence if color_by == "confidence" else analysis.profiles.event_counts
        )
        add(rows, value_title or color_by, None, np.asarray(values)[rows])
    else:
        attr = user_attribute(analysis, color_by).to_numpy()
        top = pd.Series(attr[rows]).value_counts().index[:12].tolist()
        for i, value in enumerate(top):
            add(rows[attr[rows] == value], value or "—", ATTRIBUTE_PALETTE[i % len(ATTRIBUTE_PALETTE)])
        rest = rows[~np.isin(attr[rows], top)]
        if len(rest):
            add(rest, t("chart.other"), OTHER_COLOR)
    if adhoc:
        chosen = rows[np.isin(users[rows], list(adhoc))]
        add(chosen, t("chart.selection"), ADHOC_COLOR)
    fig.update_layout(
        dragmode="lasso" if not three_d else "orbit", xaxis={"visible": False}, yaxis={"visible": False}
    )
    return _layout(fig, height=560)


def k_advice_figure(advice: KAdvice, metrics: list[str]) -> go.Figure:
    """One line per metric (scaled to [0, 1] so they share an axis); the recommended K marked."""
    table = advice.table.sort_values("k")
    fig = go.Figure()
    for i, metric in enumerate(m for m in metrics if m in table.columns):
        values = table[metric].astype(float)
        if metric in LOWER_IS_BETTER:  # the axis says "1 = best" for every line
            values_for_axis = values.max() - values
        else:
            values_for_axis = values - values.min()
        span = values.max() - values.min()
        scaled = values_for_axis / span if span > 0 else values * 0 + 0.5
        name = t(f"chart.metric.{metric}") if f"chart.metric.{metric}" in STRINGS else metric
        fig.add_trace(go.Scatter(x=table["k"], y=scaled, mode="lines+markers", name=name,
                                 line={"color": PALETTE[i]}, customdata=values,
                                 hovertemplate=f"{esc(name)}: %{{customdata:.3f}} (K=%{{x}})<extra></extra>"))  # fmt: skip
    fig.add_vline(x=advice.recommended_k, line_dash="dash", line_color="#4F46E5",
                  annotation_text=f"K = {advice.recommended_k}", annotation_position="bottom right")  # fmt: skip
    fig.update_yaxes(title=t("chart.scaled"))
    fig.update_xaxes(title="K", dtick=1)
    fig = _layout(fig, height=360)
    fig.update_layout(margin={"t": 70})  # room for the legend above the plot and the "K = n" marker
    return fig


def bars(
    labels: list[str],
    values: list[float],
    *,
    colors: list[str] | str,
    horizontal: bool = True,
    height: int = 300,
    value_format: str = ".2f",
) -> go.Figure:
    """A bar chart of user-provided labels (escaped)."""
    shown = [esc(label, 40) for label in labels]
    if horizontal:
        bar = go.Bar(
            x=values,
            y=shown,
            orientation="h",
            marker_color=colors,
            hovertemplate=f"%{{y}}: %{{x:{value_format}}}<extra></extra>",
        )
    else:
        bar = go.Bar(
            x=shown,
            y=values,
            marker_color=colors,
            hovertemplate=f"%{{x}}: %{{y:{value_format}}}<extra></extra>",
        )
    fig = go.Figure(bar)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    if value_format == ",.0f":  # counts: whole-number ticks (three rejected rows read 0, 0.2, ..., 1)
        axis = {"tickformat": ",d", **({"dtick": 1} if max(values, default=0) < 10 else {})}
        (fig.update_xaxes if horizontal else fig.update_yaxes)(**axis)
    return _layout(fig, height=height)


def sentiment_figure(sentiment: dict[str, float]) -> go.Figure:
    parts = [("positive", "#059669"), ("neutral", "#9CA3AF"), ("negative", "#DC2626")]
    fig = go.Figure()
    for name, col in parts:
        share = float(sentiment.get(name, 0.0))
        shown = t(f"chart.sentiment.{name}")
        fig.add_trace(go.Bar(x=[share], y=[""], orientation="h", name=shown, marker_color=col,
                             hovertemplate=f"{shown}: %{{x:.0%}}<extra></extra>"))  # fmt: skip
    fig.update_layout(barmode="stack", xaxis={"tickformat": ".0%", "range": [0, 1]})
    return _layout(fig, height=150)


# --- h15-trends: segment sizes over time ----------------------------------------------------------
def trends_figure(sizes: pd.DataFrame, names: dict[int, str], *, x_title: str, y_title: str) -> go.Figure:
    """One line per segment: users per period. sizes: period, segment_id, users (core.activate.trends)."""
    fig = go.Figure()
    for segment_id, rows in sizes.groupby("segment_id", sort=True):
        sid = int(segment_id)  # type: ignore[call-overload]
        name = esc(names.get(sid, str(sid)), 40)
        fig.add_trace(
            go.Scatter(
                x=rows["period"].astype(str).tolist(),
                y=rows["users"].tolist(),
                mode="lines+markers",
                name=name,
                line={"color": color(sid) if sid >= 0 else OTHER_COLOR},
                hovertemplate="%{x}: %{y:,}<extra>" + name + "</extra>",
            )
        )
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(fig, height=380)

"""The self-contained HTML report: one file, no external requests, user text never becomes markup.

Jinja2 autoescapes every value; the only raw inserts are plotly.js itself and the figure JSON,
which is escaped here so `</script>` and `<!--` in user text cannot end the script element.
The Content-Security-Policy meta tag forbids every fetch (default-src 'none').
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.export import numbers
from core.export.labels import sentiment_sentence

if TYPE_CHECKING:
    from core.export.view import ExportView

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MAP_MAX_POINTS = 20_000
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)
_PALETTE = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#EECA3B", "#B279A2", "#FF9DA6",
    "#9D755D", "#BAB0AC", "#2F4B7C", "#A05195",
)  # fmt: skip


def html_report(view: ExportView, *, max_points: int = MAP_MAX_POINTS, seed: int | None = None) -> str:
    """Render report.html for an export view. The map shows at most `max_points` users (a seeded sample)."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # every value, including file names from the ingest report
        undefined=jinja2.StrictUndefined,
    )
    figure, sampled = map_figure_json(
        view, max_points=max_points, seed=view.settings.get("seed", 0) if seed is None else seed
    )
    context = {
        "csp": CSP,
        "view": view,
        "summary": executive_summary(view),
        "segments": [_card(s) for s in view.segments],
        "k_table": _k_table(view),
        "evaluation": _evaluation_rows(view.evaluation),
        "evaluation_tables": _evaluation_tables(view.evaluation),
        "ingest": view.ingest,
        "ingest_rows": _ingest_rows(view),
        "settings": sorted((k, _short(v)) for k, v in view.settings.items()),
        "privacy": view.privacy,
        "map_sampled": sampled,
        "map_shown": min(max_points, int(np.isfinite(view.members["x"].to_numpy(dtype=float)).sum())),
        "n_users": view.n_users,
        # Raw inserts, both from us: the plotly.js bundle and figure JSON escaped by _script_safe_json.
        "plotly_js": Markup(_plotly_js()),
        "figure_json": Markup(figure),
    }
    return env.get_template("report.html.j2").render(**context)


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    source = get_plotlyjs()
    if "</script" in source.lower():  # pragma: no cover - would need a new plotly bundle
        source = source.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return source


def _script_safe_json(payload: str) -> str:
    """JSON that may sit inside <script>: <, >, & and line separators as \\u escapes (JSON-equivalent)."""
    return (
        payload.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def map_figure_json(view: ExportView, *, max_points: int = MAP_MAX_POINTS, seed: int = 0) -> tuple[str, bool]:
    """Plotly figure JSON (SVG scatter, one trace per segment) and whether the users were sampled.

    Hover and legend text are HTML-escaped first: plotly renders a subset of HTML (<a href>, <b>) in
    labels, and user text must stay text there too.
    """
    members = view.members
    xs_all = members["x"].to_numpy(dtype=float)
    ys_all = members["y"].to_numpy(dtype=float)
    idx = np.flatnonzero(np.isfinite(xs_all) & np.isfinite(ys_all))  # a sampled map places only some
    sampled = len(idx) < len(members)
    if len(idx) > max_points:
        sampled = True
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_points, replace=False))
    labels = members["segment_id"].to_numpy()[idx]
    xs, ys = xs_all[idx], ys_all[idx]
    traces = []
    for i, s in enumerate(view.segments):
        mask = labels == s.segment_id
        if not mask.any():
            continue
        label = html.escape(s.name)
        traces.append(
            {
                "type": "scatter",  # SVG: scattergl's shader compiler needs eval, which the CSP forbids
                "mode": "markers",
                "name": label,
                "x": np.round(xs[mask], 3).tolist(),
                "y": np.round(ys[mask], 3).tolist(),
                "text": label,  # one string for every point of the trace (plotly broadcasts it)
                "hoverinfo": "text",
                "marker": {
                    "size": 5,
                    "opacity": 0.7,
                    "color": "#999999" if s.segment_id < 0 else _PALETTE[i % len(_PALETTE)],
                },
            }
        )
    layout = {
        "height": 560,
        "margin": {"l": 20, "r": 20, "t": 20, "b": 20},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "legend": {"itemsizing": "constant"},
        "hovermode": "closest",
        "plot_bgcolor": "#ffffff",
    }
    return _script_safe_json(json.dumps({"data": traces, "layout": layout}, ensure_ascii=False)), sampled


def executive_summary(view: ExportView) -> list[str]:
    """Plain sentences for the top of the report."""
    kept = [s for s in view.segments if s.segment_id >= 0]
    biggest = sorted(kept, key=lambda s: -s.size)[:3]
    lines = [f"{view.n_users:,} users were grouped into {len(kept)} interest segments."]
    if biggest:
        parts = ", ".join(f"“{s.name}” ({s.share:.0%})" for s in biggest)
        lines.append(f"The largest segments are {parts}.")
    other = [s for s in view.segments if s.segment_id < 0]
    if other:
        lines.append(f"{other[0].size:,} users in segments too small to show are counted under “Other”.")
    if "silhouette" in view.quality:
        lines.append(f"Separation (silhouette, -1 to 1): {view.quality['silhouette']:.2f}.")
    if view.k_advice is not None:
        lines.append(f"K advice: {view.k_advice.reason}")
    return lines


_REVENUE_LABELS = (
    ("revenue", "Revenue"),
    ("orders", "Orders"),
    ("revenue_per_user", "Revenue / user"),
    ("avg_order_value", "Avg order value"),
)


def _card(segment: Any) -> dict[str, Any]:
    sentiment = segment.sentiment or {}
    revenue = segment.revenue or {}
    return {
        "id": segment.segment_id,
        "name": segment.name,
        "size": segment.size,
        "share": segment.share,
        "keywords": [term for term, _ in segment.keywords],
        "sentiment": {
            k: sentiment.get(k) for k in ("positive", "neutral", "negative", "mean_score") if k in sentiment
        },
        "sentiment_line": sentiment_sentence(segment),  # the Profiles page says the same
        "mean_rating": None if segment.mean_rating is None else numbers.decimal(segment.mean_rating),
        "revenue": [
            (label, numbers.count(revenue[key]) if key == "orders" else numbers.money(revenue[key]))
            for key, label in _REVENUE_LABELS
            if key in revenue
        ],
        "top_items": [
            {
                "text": str(i.get("text") or i.get("item_id", "")),
                "users": i.get("users"),
                "lift": i.get("lift"),
            }
            for i in segment.top_items[:8]
        ],
        "stability": segment.stability,
        "quotes": [str(q) for q in segment.extra.get("example_reviews", [])][:3],
        "merged": segment.extra.get("merged_segments"),
    }


def _k_table(view: ExportView) -> dict[str, Any] | None:
    if view.k_advice is None:
        return None
    table = view.k_advice.table
    rows = [[_short(v) for v in record] for record in table.itertuples(index=False, name=None)]
    return {
        "columns": [str(c) for c in table.columns],
        "rows": rows,
        "recommended": view.k_advice.recommended_k,
    }


def _evaluation_rows(evaluation: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Metric/value rows of an evaluation that is not an `EvaluationResult` (no readable tables)."""
    if evaluation is None or isinstance(evaluation.get("recommenders"), dict):
        return []
    from core.export.tables import evaluation_frame

    return [(str(m), _short(v)) for m, v in evaluation_frame(evaluation).itertuples(index=False, name=None)]


def _evaluation_tables(evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The readable evaluation tables: title, verdict, headers with tooltips, cells marked best."""
    if evaluation is None or not isinstance(evaluation.get("recommenders"), dict):
        return []
    from core.recommend.readable import readable_tables

    out = []
    for readable in readable_tables(evaluation):
        method = readable.frame.columns[0]
        headers = [(str(c), readable.tooltips.get(str(c), "")) for c in readable.frame.columns]
        rows = []
        for record in readable.frame.to_dict(orient="records"):
            cells = []
            for column, value in record.items():
                best = readable.best.get(str(column)) == record[method] and column != method
                if isinstance(value, float):
                    text = (
                        "—"
                        if not np.isfinite(value)
                        else (f"{value:.1%}" if column in readable.percent_columns else f"{value:.3f}")
                    )
                else:
                    text = str(value)
                cells.append((text, best))
            rows.append(cells)
        out.append({"title": readable.title, "verdict": readable.verdict, "headers": headers, "rows": rows})
    return out


def _ingest_rows(view: ExportView) -> list[tuple[str, Any]]:
    report = view.ingest
    rows: list[tuple[str, Any]] = [
        ("Source", report.source_name),
        ("Format", " ".join(x for x in (report.file_format, report.compression, report.encoding) if x)),
        ("Rows read", f"{report.rows_in:,}"),
        ("Rows kept", f"{report.rows_kept:,}"),
    ]
    rows += [(f"Rejected: {reason}", f"{count:,}") for reason, count in report.rows_rejected.items()]
    rows += [("Users / items / events", f"{report.n_users:,} / {report.n_items:,} / {report.n_events:,}")]
    rows += [("Column mapping", ", ".join(f"{k} ← {v}" for k, v in report.mapping.items()))]
    rows += [("Warning", w) for w in report.warnings]
    return rows


def _short(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)[:300]
    return value

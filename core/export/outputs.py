"""The machine-readable results of `python -m core analyze`: segments.csv/json, summary.json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from core.analysis import Analysis
    from core.explain.insights import SegmentProfile
    from core.export.privacy import PrivacySettings


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(data: Any, path: Path) -> Path:
    path.write_text(json.dumps(_plain(data), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def segment_dictionary(segments: list[SegmentProfile]) -> list[dict[str, Any]]:
    """One entry per segment: what a marketer reads about it."""
    return [
        {
            "segment_id": s.segment_id,
            "name": s.name,
            "size": s.size,
            "share": round(s.share, 4),
            "keywords": [{"term": term, "score": round(float(score), 4)} for term, score in s.keywords],
            "sentiment": s.sentiment,
            "mean_rating": s.mean_rating,
            "top_items": s.top_items,
            "composition": {
                k: [{"value": v, "share": round(float(p), 4)} for v, p in vals]
                for k, vals in s.composition.items()
            },
            "revenue": s.revenue,
            "stability": s.stability,
            "representative_users": s.representative_users,
        }
        for s in segments
    ]


def summary(analysis: Analysis) -> dict[str, Any]:
    """Counts, K and why, quality, agreement with a label, timings per stage."""
    report = analysis.dataset.report
    advice = analysis.k_advice
    if analysis.k_reason:
        k_reason = analysis.k_reason
    elif advice is not None:
        k_reason = advice.reason
    elif analysis.config.method == "hdbscan":
        k_reason = f"HDBSCAN found {analysis.segmentation.k} dense groups."
    else:
        k_reason = f"K={analysis.segmentation.k} was set by the user."
    return {
        "run_id": analysis.run_id,
        "n_rows_in": report.rows_in,
        "n_events": report.n_events,
        "n_users": report.n_users,
        "n_users_segmented": len(analysis.profiles),
        "n_users_skipped": len(analysis.profiles.skipped_users),
        "n_items": report.n_items,
        "k": analysis.segmentation.k,
        "k_reason": k_reason,
        "k_advice": None if advice is None else advice.table.to_dict(orient="records"),
        "method": analysis.segmentation.method,
        "seed": analysis.config.seed,
        "quality": analysis.quality,
        "ari": analysis.quality.get("ari"),
        "nmi": analysis.quality.get("nmi"),
        "projection": analysis.projection_info,
        "embedding": analysis.embedding_info,
        "timings": analysis.timings,
        "config": analysis.config.to_dict(),
        "warnings": list(report.warnings) + list(analysis.warnings),
    }


def write_core_outputs(
    analysis: Analysis, out_dir: Path, *, privacy: PrivacySettings | None = None
) -> dict[str, Path]:
    """segments.csv, segments.json, summary.json and ingest_report.json into out_dir.

    segments.csv and segments.json go through the same privacy view as every other export
    (pseudonyms, minimum segment size, formula neutralisation).
    """
    from core.export.fast import is_large, write_csv
    from core.export.tables import neutralise, neutralise_frame
    from core.export.writer import build_view

    view = build_view(analysis, privacy=privacy)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    columns = ["user_id", "segment_id", "segment_name", "confidence", "x", "y"]
    written["segments.csv"] = out_dir / "segments.csv"
    if is_large(len(view.members)):  # column-wise, same cells (core/export/fast.py)
        write_csv(view.members[columns], written["segments.csv"], neutralise)
    else:
        neutralise_frame(view.members[columns]).to_csv(
            written["segments.csv"], index=False, encoding="utf-8-sig"
        )
    written["segments.json"] = write_json(segment_dictionary(view.segments), out_dir / "segments.json")
    written["summary.json"] = write_json(summary(analysis), out_dir / "summary.json")
    written["ingest_report.json"] = write_json(
        analysis.dataset.report.to_dict(), out_dir / "ingest_report.json"
    )
    return written

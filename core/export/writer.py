"""Everything an analysis exports, after the privacy guards: members CSV, Excel, HTML report, bundle.

`build_view` applies the guards once; every writer reads only the `ExportView`, so no writer can
forget a guard. `write_all` writes the four files under names from a template (never from user input).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.export.control import ControlGroup, control_flags
from core.export.privacy import (
    PrivacySettings,
    SizeGuard,
    apply_min_segment_size,
    privacy_summary,
    pseudonymize_ids,
    scrub_pii,
    scrub_segment,
)
from core.export.view import ExportView

if TYPE_CHECKING:
    from core.analysis import Analysis
    from core.explain.insights import SegmentProfile

FILE_NAMES = {"members": "members.csv", "excel": "report.xlsx", "html": "report.html", "bundle": "bundle.zip"}
TOP_N_RECOMMENDATIONS = 5
_SAFE_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,40}")


def build_view(
    analysis: Analysis,
    *,
    privacy: PrivacySettings | None = None,
    recommendations: Mapping[str, Sequence[str]] | None = None,
    evaluation: dict[str, Any] | None = None,
    top_n: int = TOP_N_RECOMMENDATIONS,
    control: ControlGroup | None = None,
    trends: Any = None,
) -> ExportView:
    """Apply the privacy guards to an analysis. recommendations: raw user_id -> item texts/ids, best first.

    control: hold out a seeded share of every segment (a boolean `control` column, core.export.control).
    trends: a core.activate.trends.Trends of this analysis, for the report's Trends sheet."""
    settings, key_source = (privacy or PrivacySettings.from_config(analysis.config)).resolved()
    seg = analysis.segmentation
    raw_ids = np.asarray(analysis.profiles.user_ids, dtype=object).astype(str)

    # 1. Minimum segment size: small segments become "Other" everywhere below.
    guard = (
        apply_min_segment_size(seg.labels, analysis.segments, min_size=settings.min_segment_size)
        if settings.min_segment_size > 1
        else SizeGuard(np.asarray(seg.labels, dtype=np.int64), list(analysis.segments), [], 0)
    )
    segments = [scrub_segment(s) for s in guard.segments] if settings.scrub_pii else guard.segments

    # 2. Pseudonyms for every user id that leaves (members, representative users, recommendations).
    shown = dict(zip(raw_ids.tolist(), raw_ids.tolist(), strict=True))
    if settings.pseudonymize:
        assert settings.key is not None
        shown = pseudonymize_ids(raw_ids.tolist(), settings.key)
        segments = [_with_pseudonyms(s, settings.key) for s in segments]
    names = {s.segment_id: s.name for s in segments}

    # 3. Members, with top-N recommendations as rec_1..rec_n.
    members = pd.DataFrame(
        {
            "user_id": [shown[u] for u in raw_ids],
            "segment_id": guard.labels.astype(np.int64),
            "segment_name": [names.get(int(label), "") for label in guard.labels],
            "confidence": np.round(np.asarray(seg.confidence, dtype=np.float64), 4),
            "x": np.round(np.asarray(analysis.coords[:, 0], dtype=np.float64), 4),
            "y": np.round(np.asarray(analysis.coords[:, 1], dtype=np.float64), 4),
        }
    )
    if control is not None and control.on:
        members["control"] = control_flags(raw_ids.tolist(), control)  # drawn on the raw id: stable per key
    recs = pd.DataFrame([], columns=["user_id", "rank", "item"])
    if recommendations:
        # Items repeat across users (100k users x 5 recommendations over ~20k items): scrub each
        # distinct item once, then place them with arrays (no per-user Python lists).
        clean = _scrub_text if settings.scrub_pii else str
        per_user = [list(recommendations.get(u, []))[:top_n] for u in raw_ids]
        lengths = np.fromiter((len(r) for r in per_user), dtype=np.int64, count=len(per_user))
        flat = [item for r in per_user for item in r]
        codes, distinct = pd.factorize(pd.Series(flat, dtype=object))
        items = np.asarray([clean(i) for i in distinct] + [""], dtype=object)[codes]
        missing = np.flatnonzero(codes < 0)  # None / NaN items: as str() writes each
        items[missing] = [clean(flat[i]) for i in missing]
        starts = np.cumsum(lengths) - lengths
        for rank in range(int(lengths.max(initial=0))):
            has = lengths > rank
            column = np.full(len(per_user), "", dtype=object)
            column[has] = items[starts[has] + rank]
            members[f"rec_{rank + 1}"] = column
        owners = np.repeat(np.asarray([shown[u] for u in raw_ids], dtype=object), lengths)
        ranks = np.arange(len(flat), dtype=np.int64) - np.repeat(starts, lengths) + 1
        recs = pd.DataFrame({"user_id": owners, "rank": ranks, "item": items})

    centroid_ids = np.arange(len(seg.centroids), dtype=np.int64)
    centroid_ids[np.isin(centroid_ids, guard.merged_ids)] = -1
    return ExportView(
        run_id=analysis.run_id,
        members=members,
        segments=segments,
        recommendations=recs,
        privacy=privacy_summary(settings, key_source=key_source, guard=guard),
        settings=analysis.config.to_dict(),
        k_advice=analysis.k_advice,
        quality=dict(analysis.quality),
        ingest=analysis.dataset.report,
        evaluation=evaluation,
        projection_info=dict(analysis.projection_info),
        embedding_info=dict(analysis.embedding_info),
        warnings=list(analysis.warnings),
        centroids=np.asarray(seg.centroids, dtype=np.float32),
        centroid_segment_ids=centroid_ids,
        n_users=len(raw_ids),
        n_segments=len(analysis.segments),
        profiles=np.asarray(analysis.profiles.vectors),
        representation_state=dict(analysis.representation_state),
        trends=None
        if trends is None
        else trends.sheet(merged_ids=list(guard.merged_ids), names=names, scrub=settings.scrub_pii),
    )


def _scrub_text(value: Any) -> str:
    return scrub_pii(str(value))


def _with_pseudonyms(segment: SegmentProfile, key: bytes) -> SegmentProfile:
    from dataclasses import replace

    from core.export.privacy import pseudonym

    return replace(segment, representative_users=[pseudonym(u, key) for u in segment.representative_users])


def write_all(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    privacy: PrivacySettings | None = None,
    recommendations: Mapping[str, Sequence[str]] | None = None,
    evaluation: dict[str, Any] | None = None,
    prefix: str = "",
    top_n: int = TOP_N_RECOMMENDATIONS,
    control: ControlGroup | None = None,
    trends: Any = None,
) -> dict[str, Path]:
    """Write members.csv, report.xlsx, report.html and bundle.zip into out_dir; returns kind -> path.

    File names come from FILE_NAMES (plus an optional [A-Za-z0-9_-] prefix such as the run id),
    never from the upload's name. Each file is written to a temporary name and renamed when complete.
    """
    from core.export.bundle import write_bundle
    from core.export.fast import is_large, write_csv
    from core.export.report import html_report
    from core.export.tables import excel_bytes, members_csv_bytes, neutralise

    if not _SAFE_PREFIX.fullmatch(prefix):
        raise ConfigError(
            "The file name prefix may only use letters, digits, '-' and '_' (40 at most).",
            "文件名前缀只能包含字母、数字、“-”和“_”（最多 40 个字符）。",
        )
    view = build_view(
        analysis,
        privacy=privacy,
        recommendations=recommendations,
        evaluation=evaluation,
        top_n=top_n,
        control=control,
        trends=trends,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payloads = {
        "members": lambda: members_csv_bytes(view),
        "excel": lambda: excel_bytes(view),
        "html": lambda: html_report(view).encode("utf-8"),
    }
    written: dict[str, Path] = {}
    for kind in (*payloads, "bundle"):
        path = out / f"{prefix}{FILE_NAMES[kind]}"
        tmp = path.with_name(path.name + ".part")
        if kind == "bundle":
            write_bundle(view, tmp)  # streamed: at 1M users its profiles alone are 1.3 GB
        elif kind == "members" and is_large(len(view.members)):
            write_csv(view.members, tmp, neutralise)  # to the file in batches: no 0.3 GB of bytes twice
        else:
            tmp.write_bytes(payloads[kind]())
        os.replace(tmp, path)
        written[kind] = path
    return written

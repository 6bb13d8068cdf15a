"""`python -m core refresh`: re-run a saved analysis on new data, keeping segment identities, and say
who entered, left or moved.

Identity: the new segments are matched to the bundle's (Hungarian on centroid cosine similarity,
core.segment.stability, through the pipeline's `previous=`), with the bundle's K. When the new run's
vectors live in another space (TF-IDF refits its vocabulary), the previous centroids are rebuilt in the
new space from the new profiles of the bundle's members, so matching still compares like with like.
Changes are computed in the exported id space (pseudonyms when the bundle used them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.analysis import Analysis
    from core.data import Dataset
    from core.embed.embedding import Embedder
    from core.export.bundle import Bundle
    from core.export.privacy import PrivacySettings
    from core.progress import Progress

CHANGE_COLUMNS = ["user_id", "from_segment", "to_segment", "change"]
NAME_MIN_SIMILARITY = 0.5  # a matched segment keeps the bundle's name (as the stability matcher's floor)


@dataclass(frozen=True)
class _Previous:
    """The part of an Analysis that `segment_and_describe(previous=...)` reads for matching."""

    segmentation: Any
    profiles: Any = None
    config: Any = None
    k_advice: Any = None


@dataclass(frozen=True, eq=False)
class RefreshResult:
    analysis: Analysis
    before: pd.DataFrame  # user_id, segment_id (exported, as in the bundle)
    after: pd.DataFrame  # user_id, segment_id (exported)
    changes: pd.DataFrame  # CHANGE_COLUMNS
    per_segment: pd.DataFrame  # segment_id, name, size_before, entries, exits, size_after, reconciled
    matched: dict[int, float]  # new segment id -> centroid similarity with the bundle's same id


def bundle_embedder(bundle: Bundle) -> Embedder:
    """The embedder a refresh uses: the bundle's model (TF-IDF is refitted on the new data)."""
    from core.embed.embedding import make_embedder
    from core.export.assign import bundle_model

    if bundle.model_id.lower().startswith("tfidf") or (bundle.config.model or "") == "tfidf":
        return make_embedder("tfidf")
    return make_embedder(
        bundle_model(bundle)[0],
        device="auto",
        backend=bundle.config.backend,
        max_tokens=bundle.config.max_tokens,
    )


def export_ids(raw_ids: list[str], privacy: PrivacySettings) -> list[str]:
    """Raw user ids as the bundle shows them: pseudonyms with the resolved key when they are on."""
    if not privacy.pseudonymize:
        return raw_ids
    from core.export.privacy import pseudonymize_ids

    assert privacy.key is not None
    mapping = pseudonymize_ids(raw_ids, privacy.key)
    return [mapping[u] for u in raw_ids]


def refresh_privacy(bundle: Bundle, privacy: PrivacySettings | None = None) -> PrivacySettings:
    """The bundle's guards; with pseudonyms, the key must be the one the bundle was made with (env)."""
    from core.export.privacy import KEY_ENV, PrivacySettings

    settings = privacy or PrivacySettings.from_config(bundle.config)
    resolved, source = settings.resolved()
    if resolved.pseudonymize and source == "generated":
        raise ConfigError(
            f"This bundle's user ids are pseudonyms; set {KEY_ENV} to the key it was made with, so old and "
            "new users can be compared.",
            f"该项目包的用户 ID 已假名化；请将 {KEY_ENV} 设为生成时的密钥，以便比较新旧用户。",
            code="refresh_needs_key",
        )
    return resolved


def _previous_centroids(
    bundle: Bundle, user_ids: list[str], vectors: np.ndarray, same_space: bool
) -> np.ndarray:
    """(k_bundle, dim) unit rows, row i = the bundle's segment i, in the new run's vector space."""
    if same_space and bundle.centroids.shape[1] == vectors.shape[1]:
        return np.asarray(bundle.centroids, dtype=np.float32)
    row_of = {u: i for i, u in enumerate(user_ids)}
    assigned = bundle.assignments
    out = np.zeros((len(bundle.centroids), vectors.shape[1]), dtype=np.float32)
    for row, segment_id in enumerate(bundle.centroid_ids.tolist()):
        if segment_id < 0:
            continue  # merged into "Other" on export: its members are not known apart
        rows = [
            row_of[u] for u in assigned.loc[assigned["segment_id"] == segment_id, "user_id"] if u in row_of
        ]
        if rows:
            mean = vectors[rows].mean(axis=0)
            norm = float(np.linalg.norm(mean))
            out[row] = mean / norm if norm > 0 else mean
    return out


def membership_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Users whose exported segment differs: entered (new), left (gone) or moved. Ids as strings."""
    both = pd.merge(
        before[["user_id", "segment_id"]].rename(columns={"segment_id": "from_segment"}),
        after[["user_id", "segment_id"]].rename(columns={"segment_id": "to_segment"}),
        on="user_id",
        how="outer",
    )
    changed = both[both["from_segment"].ne(both["to_segment"])].copy()
    change = np.where(
        changed["from_segment"].isna(), "entered", np.where(changed["to_segment"].isna(), "left", "moved")
    )
    changed["change"] = change
    for column in ("from_segment", "to_segment"):
        changed[column] = changed[column].astype("Int64")
    order = {"entered": 0, "moved": 1, "left": 2}
    changed = changed.sort_values(
        by=["change", "user_id"], key=lambda s: s.map(order) if s.name == "change" else s
    )
    return changed[CHANGE_COLUMNS].reset_index(drop=True)


def segment_summary(
    before: pd.DataFrame, after: pd.DataFrame, changes: pd.DataFrame, names: dict[int, str]
) -> pd.DataFrame:
    """Per segment: size before and after, entries (new users and moves in), exits (gone and moves out)."""
    ids = sorted(set(before["segment_id"].tolist()) | set(after["segment_id"].tolist()))
    size_before = before["segment_id"].value_counts()
    size_after = after["segment_id"].value_counts()
    entries = changes.loc[changes["change"] != "left", "to_segment"].value_counts()
    exits = changes.loc[changes["change"] != "entered", "from_segment"].value_counts()
    rows = []
    for s in ids:
        b, a = int(size_before.get(s, 0)), int(size_after.get(s, 0))
        e, x = int(entries.get(s, 0)), int(exits.get(s, 0))
        rows.append(
            {
                "segment_id": int(s),
                "name": names.get(int(s), "Other"),
                "size_before": b,
                "entries": e,
                "exits": x,
                "size_after": a,
                "change": a - b,
                "reconciled": b + e - x == a,
            }
        )
    return pd.DataFrame(rows)


def refresh_analysis(
    bundle: Bundle,
    dataset: Dataset,
    *,
    embedder: Embedder | None = None,
    privacy: PrivacySettings | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Re-run the bundle's analysis on `dataset` with the bundle's K and settings, ids matched to it."""
    from core.analysis import Analysis
    from core.export.writer import build_view
    from core.pipeline import embed_and_profile, segment_and_describe
    from core.progress import no_progress, scaled
    from core.segment.types import Segmentation

    report = progress or no_progress
    settings = refresh_privacy(bundle, privacy)
    k = int(len(bundle.centroids))
    config = bundle.config.with_(k=k if bundle.config.method != "hdbscan" else bundle.config.k)
    model = embedder or bundle_embedder(bundle)
    prepared = embed_and_profile(dataset, config, progress=scaled(report, 0.0, 0.6), embedder=model)

    # 1. The bundle's segments as a previous segmentation, in the new vector space.
    vectors = np.asarray(prepared.profiles.vectors, dtype=np.float32)
    shown = export_ids([str(u) for u in prepared.profiles.user_ids], settings)
    model_id = str(prepared.embedding_info.get("model_id", ""))
    same_space = not model_id.lower().startswith("tfidf") and not bundle.model_id.lower().startswith("tfidf")
    centroids = _previous_centroids(bundle, shown, vectors, same_space)
    previous_seg = Segmentation(
        method=config.method,
        k=k,
        seed=config.seed,
        labels=np.zeros(0, dtype=np.int64),
        centroids=centroids,
        confidence=np.zeros(0),
        distance=np.zeros(0),
        sizes=np.zeros(k, dtype=np.int64),
    )
    analysis = segment_and_describe(
        prepared,
        config,
        progress=scaled(report, 0.6, 1.0),
        embedder=model,
        previous=cast(Analysis, _Previous(segmentation=previous_seg)),
    )

    # 2. Matched segments keep the bundle's names (a person may have renamed them).
    names = bundle.segment_names
    new_centroids = np.asarray(analysis.segmentation.centroids, dtype=np.float32)
    matched: dict[int, float] = {}
    segments = []
    for segment in analysis.segments:
        sid = int(segment.segment_id)
        if sid < len(centroids) and sid < len(new_centroids):
            similarity = float(new_centroids[sid] @ centroids[sid])
            if similarity >= NAME_MIN_SIMILARITY:
                matched[sid] = round(similarity, 4)
                if sid in names and names[sid] != "Other":
                    segment = replace(segment, name=names[sid])
        segments.append(segment)
    analysis = replace(analysis, segments=segments)

    # 3. Membership before and after, in the exported space (size guard, pseudonyms).
    view = build_view(analysis, privacy=settings)
    before = bundle.assignments[["user_id", "segment_id"]].copy()
    after = view.members[["user_id", "segment_id"]].copy()
    changes = membership_changes(before, after)
    all_names = {
        **{int(k_): v for k_, v in names.items()},
        **{int(s.segment_id): s.name for s in view.segments},
    }
    per_segment = segment_summary(before, after, changes, all_names)
    return RefreshResult(
        analysis=analysis,
        before=before,
        after=after,
        changes=changes,
        per_segment=per_segment,
        matched=matched,
    )


def refresh_summary(result: RefreshResult) -> dict[str, Any]:
    """refresh.json: totals, per-segment reconciliation and which ids were matched."""
    counts = result.changes["change"].value_counts()
    return {
        "run_id": result.analysis.run_id,
        "users_before": len(result.before),
        "users_after": len(result.after),
        "entered": int(counts.get("entered", 0)),
        "left": int(counts.get("left", 0)),
        "moved": int(counts.get("moved", 0)),
        "reconciled": bool(result.per_segment["reconciled"].all()),
        "matched_segments": {str(k): v for k, v in result.matched.items()},
        "segments": result.per_segment.to_dict(orient="records"),
    }

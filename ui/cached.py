"""The only place with caching (DESIGN.md "Rules of the house", RELIABILITY.md "Known traps").

- Models: `st.cache_resource`, bounded. A TF-IDF embedder learns from the texts it embeds, so it is
  never shared between sessions: it is built fresh for every preparation.
- Everything derived from an upload lives in a small LRU store inside `st.session_state` (ui/store.py:
  scoped to one browser session and gone with it), keyed by the SHA-256 of the uploaded bytes plus
  the options/config. `st.cache_data` is never used for uploads: it is global to all users and
  samples large DataFrames when hashing, so two uploads could collide.
- Re-running with another K or method reuses the prepared embeddings and profiles: the preparation
  key holds only the config fields that shape the vectors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.progress import Progress, scaled

# Re-exported: pages build their keys through ui.cached.
from ui.store import config_key as config_key
from ui.store import has as has
from ui.store import memo as memo
from ui.store import sha256 as sha256
from ui.store import upload_key as upload_key

if TYPE_CHECKING:
    from core.analysis import Analysis
    from core.config import AnalysisConfig
    from core.data import Dataset

log = logging.getLogger(__name__)

# Config fields that change embeddings/profiles (core.pipeline.embed_and_profile); everything else
# (method, K, seed, projection, naming, privacy, ...) only changes the cheap second stage.
PREPARE_FIELDS = (
    "model",
    "representation",
    "device",
    "backend",
    "event_weights",
    "half_life_days",
    "use_ratings",
)
PREPARE_SHARE = 0.75  # of a run's progress bar: embeddings and profiles (the rest: segments, map, insights)


# --- models ---------------------------------------------------------------------------------
@st.cache_resource(max_entries=2, show_spinner=False)
def shared_embedder(model: str | None, device: str = "auto", backend: str = "auto") -> Any:
    """A sentence-transformers embedder shared by all sessions (stateless apart from a text cache)."""
    from core.embed.embedding import make_embedder

    return make_embedder(model, device=device, backend=backend)


@st.cache_resource(max_entries=1, show_spinner=False)
def start_map_warm_up() -> bool:
    """Once per server process: compile (or load from numba's disk cache) UMAP's kernels in the
    background, so the first map a person asks for does not wait for the JIT."""
    import os
    import threading

    if os.environ.get("INTEREST_LENS_NO_WARMUP"):
        return False
    from core.segment.projection import warm_up

    threading.Thread(target=warm_up, name="umap-warm-up", daemon=True).start()
    return True


@st.cache_data(ttl=300, show_spinner=False)
def local_models() -> list[str]:
    """Sentence-transformers models in this machine's Hugging Face cache (no download)."""
    from core.embed.local_models import local_sentence_models

    return local_sentence_models()


def embedder_for(config: AnalysisConfig) -> Any:
    from core.embed.hybrid import HybridEmbedder, make_representation

    if (config.model or "").lower() == "tfidf" or config.representation != "hybrid":
        if config.representation == "sentence" and (config.model or "").lower() != "tfidf":
            return make_representation(config.model, "sentence", device=config.device, backend=config.backend)
        return make_representation(config.model, config.representation)  # TF-IDF: fitted per corpus
    # The sentence model is shared by all sessions; the TF-IDF half is fitted on this session's corpus.
    return HybridEmbedder(shared_embedder(config.model, config.device, config.backend), seed=config.seed)


# --- ingestion ------------------------------------------------------------------------------
def read_preview(
    raw: bytes,
    filename: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
) -> Any:
    """core.ingest.read.read_table, memoised per upload + options."""
    from core.ingest.read import read_table

    options = {"encoding": encoding, "delimiter": delimiter, "has_header": has_header}
    key = upload_key(raw, filename, options=options)
    return memo("raw", key, lambda: read_table(raw, filename, **options))


def load(
    events: bytes,
    filename: str,
    *,
    items: bytes | None = None,
    items_filename: str | None = None,
    mapping_overrides: dict[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    items_mapping_overrides: dict[str, Any] | None = None,
    items_delimiter: str | None = None,
    items_has_header: bool = True,
) -> tuple[str, Dataset]:
    """core.ingest.dataset.load_dataset, memoised; returns (dataset key, dataset)."""
    from core.ingest.dataset import load_dataset

    options = {"mapping": mapping_overrides or {}, "encoding": encoding, "delimiter": delimiter,
               "has_header": has_header, "items_mapping": items_mapping_overrides or {},
               "items_delimiter": items_delimiter, "items_has_header": items_has_header}  # fmt: skip
    key = upload_key(events, filename, items=items, items_filename=items_filename, options=options)
    kwargs: dict[str, Any] = {"filename": filename, "has_header": has_header}
    if items:
        kwargs.update(items=items, items_filename=items_filename, items_delimiter=items_delimiter,
                      items_has_header=items_has_header, items_mapping_overrides=items_mapping_overrides or None)  # fmt: skip
    if mapping_overrides:
        kwargs["mapping_overrides"] = mapping_overrides
    if encoding:
        kwargs["encoding"] = encoding
    if delimiter:
        kwargs["delimiter"] = delimiter
    dataset = memo("dataset", key, lambda: load_dataset(events, **kwargs))
    return key, dataset


# --- analysis -------------------------------------------------------------------------------
def is_prepared(dataset_key: str, config: AnalysisConfig) -> bool:
    return has("prepared", f"{dataset_key}:{config_key(config, PREPARE_FIELDS)}")


def analyse(
    dataset: Dataset,
    dataset_key: str,
    config: AnalysisConfig,
    *,
    progress: Progress | None = None,
    previous: Analysis | None = None,
    embedder: Any = None,
) -> Analysis:
    """The full analysis; embeddings/profiles are reused when only K, method, seed etc. changed.

    `previous` (the run on screen) lets core match segment ids so edited names carry over.
    """
    from core.pipeline import embed_and_profile, segment_and_describe

    def _run() -> Analysis:
        model = embedder if embedder is not None else embedder_for(config)
        prep_key = f"{dataset_key}:{config_key(config, PREPARE_FIELDS)}"
        prepared = memo(
            "prepared",
            prep_key,
            lambda: embed_and_profile(
                dataset, config, progress=scaled(progress, 0.0, PREPARE_SHARE), embedder=model
            ),
        )
        same_data = previous is not None and previous.dataset is dataset
        # A TF-IDF embedder is fitted on the corpus it embeds: a fresh one must not embed keywords.
        tfidf = (config.model or "").lower() == "tfidf"
        return segment_and_describe(
            prepared,
            config,
            progress=scaled(progress, PREPARE_SHARE, 1.0),
            embedder=None if tfidf else model,
            previous=previous if same_data else None,
        )

    return memo("analysis", f"{dataset_key}:{config_key(config)}", _run)


def run_plan(dataset: Dataset, dataset_key: str, config: AnalysisConfig) -> Any:
    """core.estimate's plan for a first run, from the speed measured on this machine by the shared
    embedder (its last embedding), or None while nothing has been measured. The model is not loaded
    for this: a cold server says the estimate comes with the first texts embedded."""
    from core.estimate import estimate_run, run_work, speed_of

    if (config.model or "").lower() == "tfidf":
        return None
    embedder = embedder_for(config)
    speed = speed_of(embedder)
    if not speed:
        return None
    key = f"{dataset_key}:{config_key(config, PREPARE_FIELDS)}:{config.k is None}"  # a cache lookup per text
    work = memo("run_work", key, lambda: run_work(dataset, embedder, auto_k=config.k is None))
    return estimate_run(work, speed)


def run_countdown(dataset: Dataset, embedder: Any, config: AnalysisConfig, *, prepared: bool) -> Any:
    """A core.estimate.Countdown for a run about to start; it re-plans whenever the embedder measures
    its speed (after the first small block of texts), so the time left tightens as the run goes."""
    from core.estimate import REFERENCE_CHARS_PER_S, Countdown, estimate_run, run_work, speed_of, stage_starts

    work = run_work(dataset, embedder, auto_k=config.k is None, prepared=prepared)
    return Countdown(
        estimate_run(work, speed_of(embedder) or REFERENCE_CHARS_PER_S),
        stage_starts(PREPARE_SHARE),
        replan=lambda: estimate_run(work, speed) if (speed := speed_of(embedder)) else None,
    )


def evaluation(analysis: Analysis, dataset_key: str, *, progress: Progress | None = None) -> Any:
    """core.recommend.evaluation.evaluate_dataset for this dataset + config (same K), memoised per session.

    Reuses the analysis's item embeddings (no model call) and the dataset already read; scores a
    seeded sample of APP_EVAL_USERS test users so Online Retail finishes in seconds, not minutes."""
    from core.recommend.evaluation import APP_EVAL_USERS, evaluate_dataset

    config = analysis.config
    key = f"{dataset_key}:{config_key(config)}:{analysis.segmentation.k}"
    return memo(
        "evaluation",
        key,
        lambda: evaluate_dataset(
            analysis.dataset,
            segments=analysis.segmentation.k,
            seed=config.seed,
            item_vectors=analysis.item_vectors,
            tfidf_vectors=tfidf_vectors(analysis, dataset_key),
            config=config,
            max_eval_users=APP_EVAL_USERS,
            progress=progress,
        ),
    )


def tfidf_vectors(analysis: Analysis, dataset_key: str) -> Any:
    """TF-IDF vectors of the dataset's item texts (the evaluation's baseline), once per dataset."""
    from core.embed.embedding import make_embedder

    texts = analysis.dataset.items["text"].astype(str).tolist()
    return memo("tfidf", dataset_key, lambda: make_embedder("tfidf").embed(texts))


def adhoc_profile(analysis: Analysis, user_ids: list[str]) -> Any:
    """The full SegmentProfile of a map selection: segment 0 of a two-way split (selection / rest)."""
    import numpy as np

    from core.explain.insights import describe_segments
    from core.segment.types import Segmentation

    def _describe() -> Any:
        chosen = np.isin(analysis.profiles.user_ids.astype(str), np.asarray(user_ids, dtype=str))
        labels = np.where(chosen, 0, 1).astype(np.int64)
        vectors = analysis.profiles.vectors
        split = Segmentation(
            method="selection",
            k=2,
            seed=analysis.config.seed,
            labels=labels,
            centroids=_unit_means(vectors, labels),
            confidence=np.ones(len(labels)),
            distance=np.zeros(len(labels)),
            sizes=np.bincount(labels, minlength=2).astype(np.int64),
        )
        profiles = describe_segments(
            analysis.dataset,
            analysis.profiles,
            split,
            item_ids=analysis.item_ids,
            item_vectors=analysis.item_vectors,
            n_keywords=analysis.config.n_keywords,
            min_keyword_users=analysis.config.min_keyword_users,
        )
        return profiles[0]

    key = f"{analysis.run_id}:{sha256(chr(0).join(sorted(user_ids)).encode())}"
    return memo("adhoc", key, _describe)


def _unit_means(vectors: Any, labels: Any) -> Any:
    """(2, dim) float32: L2-normalised mean vector of each side of a selection."""
    import numpy as np

    means = np.stack(
        [
            vectors[labels == side].mean(axis=0) if (labels == side).any() else np.zeros(vectors.shape[1])
            for side in (0, 1)
        ]
    ).astype(np.float32)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def comparison(analysis: Analysis, a: int, b: int, compare: Callable[..., Any]) -> Any:
    """core.explain.insights.compare_segments for two segments of a run, memoised per session."""
    return memo(
        "compare",
        f"{analysis.run_id}:{a}:{b}",
        lambda: compare(
            analysis.dataset,
            analysis.profiles,
            analysis.segmentation,
            a,
            b,
            segment_profiles=analysis.segments,
            min_keyword_users=analysis.config.min_keyword_users,
        ),
    )


def recommender(analysis: Analysis, name: str) -> Any:
    """A core.recommend.members recommender of the given kind fitted on the run's events, memoised per run."""
    from core.recommend.registry import RECOMMENDERS

    def _fit() -> Any:
        items = analysis.dataset.items.set_index("item_id")
        texts = (
            items["text"].reindex(analysis.item_ids).fillna("").astype(str).tolist()
            if "text" in items
            else None
        )
        names = [s.name for s in analysis.segments]
        return RECOMMENDERS[name]().fit(
            analysis.dataset.events,
            item_ids=analysis.item_ids,
            item_vectors=analysis.item_vectors,
            profiles=analysis.profiles,
            segmentation=analysis.segmentation,
            segment_names=names,
            item_texts=texts,
        )

    return memo("recommend", f"{analysis.run_id}:{name}", _fit)


def member_recommendations(analysis: Analysis, n: int) -> dict[str, list[str]]:
    """core.recommend.members.recommend_for_members (top-n item texts per user), memoised per run."""
    from core.recommend.members import recommend_for_members

    return memo("member_recs", f"{analysis.run_id}:{n}", lambda: recommend_for_members(analysis, n=n))


def export_files(
    analysis: Analysis,
    privacy: Any,
    *,
    evaluation: Any = None,
    recommendations: Any = None,
    top_n: int = 5,
    control: Any = None,
) -> dict[str, bytes]:
    """members CSV, Excel, HTML report and bundle bytes for a (renamed) analysis + privacy settings."""
    from core.export.bundle import bundle_bytes
    from core.export.report import html_report
    from core.export.tables import excel_bytes, members_csv_bytes
    from core.export.writer import build_view

    def _build() -> dict[str, bytes]:
        view = build_view(
            analysis,
            privacy=privacy,
            evaluation=evaluation,
            recommendations=recommendations,
            top_n=top_n,
            control=control,
            trends=trends(analysis),  # the report's Trends sheet (None without timestamps)
        )
        return {
            "members": members_csv_bytes(view),
            "excel": excel_bytes(view),
            "html": html_report(view).encode("utf-8"),
            "bundle": bundle_bytes(view),
        }

    names = json.dumps([s.name for s in analysis.segments], ensure_ascii=False)
    key = f"{analysis.run_id}:{sha256((repr(privacy) + str(privacy.key) + names + str(recommendations is not None) + str(top_n) + repr(control)).encode())}"
    return memo("export", key, _build)


# --- h14-dash: finished runs opened from a folder (ui/saved_run.py) ----------------------------
def open_saved_run(path: str, *, progress: Progress | None = None) -> tuple[str, Analysis]:
    """core.export.snapshot.load_analysis of the folder at `path`, memoised per folder + manifest
    version; returns (dataset key, analysis). The run's profiles are stored as this dataset's
    preparation, so a re-run with another K, method or seed on the Segments page does not re-embed."""
    from core.analysis import Prepared
    from core.export.snapshot import MANIFEST, find_saved, load_analysis

    folder = find_saved(path).resolve()
    stat = (folder / MANIFEST).stat()
    key = "saved:" + sha256(f"{folder}\0{stat.st_mtime_ns}\0{stat.st_size}".encode())[:40]
    analysis: Analysis = memo("saved", key, lambda: load_analysis(folder, progress=progress))
    config = analysis.config
    memo("analysis", f"{key}:{config_key(config)}", lambda: analysis)
    memo("prepared", f"{key}:{config_key(config, PREPARE_FIELDS)}", lambda: Prepared(
        dataset=analysis.dataset, item_ids=analysis.item_ids, item_vectors=analysis.item_vectors,
        profiles=analysis.profiles, embedding_info=analysis.embedding_info, timings=dict(analysis.timings),
        representation_state=analysis.representation_state,
    ))  # fmt: skip
    return key, analysis


# --- saved projects (bundles) ---------------------------------------------------------------
def open_bundle(raw: bytes) -> Any:
    """core.export.bundle.load_bundle on uploaded bytes, memoised per upload (the same object comes back)."""
    from core.export.bundle import load_bundle

    return memo("bundle", sha256(raw), lambda: load_bundle(raw))


def _assignment_key(bundle: Any, events: bytes, items: bytes | None) -> str:
    return f"{bundle.run_id}:{sha256(events)}:{sha256(items) if items else ''}"


def peek_assignment(bundle: Any, events: bytes, items: bytes | None) -> Any:
    """The assignment already computed for these files in this session, or None."""
    key = _assignment_key(bundle, events, items)
    return memo("bundle_assign", key, lambda: None) if has("bundle_assign", key) else None


def assign_to_bundle(
    bundle: Any,
    events: bytes,
    filename: str,
    *,
    items: bytes | None = None,
    items_filename: str | None = None,
) -> Any:
    """core.export.assign.assign_new_users for an uploaded events file (and items table), with the
    bundle's model (shared, so it is loaded once), memoised per bundle + upload."""
    from core.export.assign import assign_new_users, embedder_for_bundle

    def _assign() -> Any:
        _, dataset = load(events, filename, items=items, items_filename=items_filename)
        config = bundle.config
        if bundle.model_id.lower().startswith("tfidf"):  # core explains why that cannot be done
            return assign_new_users(bundle, dataset)
        # The model the bundle was made with (None = the default model, shared with the analyses).
        embedder = embedder_for_bundle(bundle, shared_embedder(config.model, config.device, config.backend))
        return assign_new_users(bundle, dataset, embedder=embedder)

    return memo("bundle_assign", _assignment_key(bundle, events, items), _assign)


# --- h15-trends: the Activate page --------------------------------------------------------------
def trends(analysis: Analysis) -> Any:
    """core.activate.trends.try_trends (None without timestamps), memoised per run."""
    from core.activate.trends import try_trends

    return memo("trends", analysis.run_id, lambda: try_trends(analysis))


def lookalikes(analysis: Analysis, seeds: frozenset[str], top: int) -> Any:
    """core.activate.lookalike.lookalikes on the analysis' profiles, memoised per run + seeds + N."""
    from core.activate.lookalike import lookalikes as rank

    digest = sha256("\n".join(sorted(seeds)).encode())
    key = f"{analysis.run_id}:{digest}:{top}"
    ids = analysis.profiles.user_ids
    return memo("lookalike", key, lambda: rank(ids, analysis.profiles.vectors, set(seeds), top))


def refresh(bundle: Any, events: bytes, filename: str) -> Any:
    """core.activate.refresh.refresh_analysis of a saved bundle on an uploaded events file, memoised
    per bundle + upload (the bundle's model, shared; TF-IDF is refitted on the new data)."""
    from core.activate.refresh import bundle_embedder, refresh_analysis

    def _run() -> Any:
        _, dataset = load(events, filename)
        config = bundle.config
        tfidf = bundle.model_id.lower().startswith("tfidf") or (config.model or "") == "tfidf"
        embedder = (
            bundle_embedder(bundle) if tfidf else shared_embedder(config.model, config.device, config.backend)
        )
        return refresh_analysis(bundle, dataset, embedder=embedder)

    return memo("refresh", f"{bundle.run_id}:{sha256(events)}", _run)

"""Every st.session_state key the app uses, with its default, in one place.

Pages read and write state only through these names, so a typo is an AttributeError here,
not a silently empty page. Nothing is kept at module level: defaults are built per session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import streamlit as st

# --- keys --------------------------------------------------------------------------------
LANGUAGE = "language"  # "en" | "zh" (bound to the sidebar switch)
SESSION_ID = "session_id"  # random per browser session: scopes every upload-derived cache
CACHE = "_session_cache"  # ui.cached's bounded per-session store: {bucket: OrderedDict}

DATASET = "dataset"  # core.data.Dataset currently loaded, or None
DATASET_KEY = "dataset_key"  # sha256(events bytes + items bytes + overrides) of DATASET
DATASET_LABEL = "dataset_label"  # "sample" or "upload" (never the uploaded filename in file names)
SOURCE = "source"  # dict: events bytes/filename, items bytes/filename of DATASET (for re-mapping)
LAST_UPLOAD = "last_upload"  # key of the last file seen in the uploader (reruns do not re-ingest it)
DATA_ERROR = "data_error"  # last ingest error (InterestLensError) or None
DRAFT = (
    "draft"  # {"source": ..., "options": ..., "key": ...}: the file the mapping editor shows (loaded or not)
)
PENDING = "pending"  # {"key", "dataset", "source", "options"}: read, but held back by plausibility findings

ANALYSIS = "analysis"  # core.analysis.Analysis currently shown, or None
RUN_ERROR = "run_error"  # last failed run (InterestLensError or str) or None
SEGMENT_NAMES = "segment_names"  # {run_id: {segment_id: name}} edited by the user
ADHOC = "adhoc"  # {"run_id": str, "user_ids": list[str]} from a map selection, or None
EVALUATION = "evaluation"  # {dataset_key+config hash: result} (also cached in ui.cached)
EXPORT_RUN = "export_run"  # per-session random suffix: keeps download names unique per session
PICKS = "picks"  # {widget base key: last chosen value} for ui.widgets.select
PSEUDONYM_KEY = "pseudonym_key"  # HMAC key for pseudonyms in this session's exports (never shown)
LAST_ACTION = "last_action"  # {"run_id", "seconds", "reused", "estimated"} of the last Run press, or None
BUNDLE = "bundle"  # core.export.bundle.Bundle opened on the Data page ("Open a saved project"), or None

_DEFAULTS: dict[str, Callable[[], Any]] = {
    LANGUAGE: lambda: "en",
    SESSION_ID: lambda: secrets.token_hex(8),
    CACHE: dict,
    DATASET: lambda: None,
    DATASET_KEY: lambda: "",
    DATASET_LABEL: lambda: "",
    SOURCE: dict,
    LAST_UPLOAD: lambda: "",
    DATA_ERROR: lambda: None,
    DRAFT: lambda: None,
    PENDING: lambda: None,
    ANALYSIS: lambda: None,
    RUN_ERROR: lambda: None,
    SEGMENT_NAMES: dict,
    ADHOC: lambda: None,
    EVALUATION: dict,
    EXPORT_RUN: lambda: secrets.token_hex(3),
    PICKS: dict,
    PSEUDONYM_KEY: lambda: secrets.token_bytes(32),
    LAST_ACTION: lambda: None,
    BUNDLE: lambda: None,
}


def init_state() -> None:
    """Set every missing key to a fresh default (called first thing on every run)."""
    for key, factory in _DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = factory()


def get(key: str) -> Any:
    """The value of a known key (its default when a page runs before app.py, as in tests)."""
    if key not in _DEFAULTS:
        raise KeyError(f"unknown session key {key!r}: add it to ui/state.py")
    if key not in st.session_state:
        st.session_state[key] = _DEFAULTS[key]()
    return st.session_state[key]


def put(key: str, value: Any) -> None:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown session key {key!r}: add it to ui/state.py")
    st.session_state[key] = value


def segment_name(run_id: str, segment_id: int, default: str) -> str:
    """The user's name for a segment of a run, else the generated one."""
    return get(SEGMENT_NAMES).get(run_id, {}).get(int(segment_id), default)


def set_segment_name(run_id: str, segment_id: int, name: str) -> None:
    names = dict(get(SEGMENT_NAMES))
    per_run = dict(names.get(run_id, {}))
    per_run[int(segment_id)] = name
    names[run_id] = per_run
    put(SEGMENT_NAMES, names)

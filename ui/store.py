"""Session-scoped keys and the per-session LRU store behind ui/cached.py.

Everything derived from an upload is kept here, inside `st.session_state` (scoped to one browser
session, gone with it), keyed by the SHA-256 of the uploaded bytes plus the options/config, and
bounded per kind. `st.cache_data` is never used for uploads (RELIABILITY.md, "Known traps").
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from ui import state

if TYPE_CHECKING:
    from core.config import AnalysisConfig

BOUNDS = {
    "raw": 2,
    "dataset": 2,
    "prepared": 2,
    "analysis": 6,
    "evaluation": 4,
    "tfidf": 1,
    "recommend": 8,
    "adhoc": 4,
    "compare": 8,
    "export": 2,
    "saved": 1,  # h14-dash: an opened finished run (ui/saved_run.py); large, so only the last
}


# --- keys ---------------------------------------------------------------------------------
def sha256(data: bytes | None) -> str:
    return hashlib.sha256(data or b"").hexdigest()


def upload_key(
    events: bytes,
    filename: str,
    *,
    items: bytes | None = None,
    items_filename: str | None = None,
    options: dict[str, Any] | None = None,
) -> str:
    """SHA-256 over both files' bytes, their extensions (they pick the parser) and the read options."""
    meta = {
        "ext": _extension(filename),
        "items_ext": _extension(items_filename or ""),
        "events": sha256(events),
        "items": sha256(items) if items else "",
        "options": options or {},
    }
    return sha256(json.dumps(meta, sort_keys=True, default=str).encode())


def config_key(config: AnalysisConfig, names: tuple[str, ...] | None = None) -> str:
    """A stable digest of (part of) a config."""
    wanted = names or tuple(f.name for f in fields(config))
    values = {name: getattr(config, name) for name in wanted}
    return sha256(json.dumps(values, sort_keys=True, default=repr).encode())[:16]


def _extension(filename: str) -> str:
    name = filename.lower()
    for ext in (".csv.gz", ".tsv.gz", ".txt.gz", ".csv.zip"):
        if name.endswith(ext):
            return ext
    return name[name.rfind(".") :] if "." in name else ""


# --- the per-session LRU store --------------------------------------------------------------
def _bucket(name: str) -> OrderedDict[str, Any]:
    store = state.get(state.CACHE)
    if name not in store:
        store[name] = OrderedDict()
    return store[name]


def memo(bucket: str, key: str, compute: Callable[[], Any]) -> Any:
    """Return the stored value for key, or compute, store (evicting the oldest) and return it.

    A failing compute stores nothing, so the previous results stay and a retry recomputes.
    """
    store = _bucket(bucket)
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = compute()
    store[key] = value
    while len(store) > BOUNDS.get(bucket, 2):
        store.popitem(last=False)
    return value


def has(bucket: str, key: str) -> bool:
    return key in _bucket(bucket)

"""Small rendering helpers shared by the pages: safe text, errors, file names, estimates."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import streamlit as st

from core.errors import InterestLensError
from ui import state
from ui.i18n import STRINGS, lang, t

T = TypeVar("T")

if TYPE_CHECKING:
    from core.analysis import Analysis

log = logging.getLogger(__name__)

# Every ASCII character that Markdown, Streamlit directives (:red[..], :emoji:, $math$) or HTML
# could give a meaning to. CommonMark lets any ASCII punctuation be backslash-escaped.
_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^%@/])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "{")


def escape_md(text: Any, *, max_len: int = 200) -> str:
    """User text made inert for Markdown-rendering places (labels, headings, metric labels).

    Newlines and control characters become spaces; long text is cut with an ellipsis.
    """
    value = "" if text is None else str(text)
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()
    if len(value) > max_len:
        value = value[: max_len - 1] + "…"
    return _MD_SPECIALS.sub(r"\\\1", value)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell that a spreadsheet would run as a formula starts with `'`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    out.columns = ["'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM so Excel reads Chinese) with formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def localized(frame: pd.DataFrame) -> pd.DataFrame:
    """In Chinese, the frame with its canonical column names (item_id, rank, reason, ...) worded by
    `col.<name>` in ui/i18n.py; in English (and for columns from the user's file) unchanged."""
    if lang() != "zh":
        return frame
    names = {c: t(f"col.{c}") for c in frame.columns if isinstance(c, str) and f"col.{c}" in STRINGS}
    return frame.rename(columns=names) if names else frame


def table(frame: pd.DataFrame, *, height: int | str = "auto", key: str | None = None, **kwargs: Any) -> None:
    """User data as a grid: cells are rendered as text, never Markdown/HTML."""
    st.dataframe(frame, hide_index=True, height=height, key=key, **kwargs)


def select(
    label: str,
    options: dict[Any, str],
    *,
    key: str,
    default: Any = None,
    radio: bool = False,
    container: Any = None,
    **kwargs: Any,
) -> Any:
    """A select box (or radio) over {value: display text}; returns the chosen value.

    The displayed strings are the widget's options and part of its key, so a language switch or a
    renamed segment makes a fresh widget instead of a stale selection (Streamlit keeps a select
    box's value as its formatted text). The last choice is remembered per key and restored.
    """
    values, shown = list(options), list(options.values())
    picks = state.get(state.PICKS)
    remembered = picks.get(key, default)
    index = values.index(remembered) if remembered in values else 0
    variant = hashlib.sha1("\x00".join(shown).encode()).hexdigest()[:8]
    host = container if container is not None else st
    widget = host.radio if radio else host.selectbox
    choice = widget(label, shown, index=index, key=f"{key}_{variant}", **kwargs)
    value = values[shown.index(choice)] if choice in shown else values[index]
    if picks.get(key) != value:
        state.put(state.PICKS, {**picks, key: value})
    return value


def error_text(error: BaseException) -> str:
    """A failure in the page's own words (Markdown-safe). Core errors with a `code` that has an
    `error.<code>` string are worded by the UI (core's text may name CLI flags such as --map)."""
    if not isinstance(error, InterestLensError):
        return t("error.unexpected")
    key = f"error.{error.code}"
    if error.code and key in STRINGS:
        values = {
            name: escape_md(t(f"data.role.{value}") if name == "role" and f"data.role.{value}" in STRINGS else value,
                            max_len=400)
            for name, value in error.details.items()
        }  # fmt: skip
        return t(key, **values)
    return escape_md(error.message(lang()), max_len=1000)


def show_error(error: BaseException) -> None:
    """A user-facing message for a failure; never a traceback in the browser."""
    st.error(error_text(error), icon="⚠️")


def log_unexpected(error: BaseException) -> None:
    log.error("unexpected failure", exc_info=error)


def run_safely(compute: Callable[[], T]) -> T | None:
    """Run a core computation for a page. On failure show a bilingual message (details go to the
    server log, never to the browser) and return None, so the page keeps what it showed before."""
    try:
        return compute()
    except InterestLensError as error:
        show_error(error)
    except Exception as error:  # out of memory, a bug: say so, keep what the user had
        log_unexpected(error)
        show_error(error)
    return None


def file_name(analysis: Analysis | None, kind: str, ext: str) -> str:
    """`interest-lens_<kind>_<run id>_<per-export id>.<ext>`: never the uploaded file name."""
    run = analysis.run_id if analysis is not None else "data"
    run = re.sub(r"[^A-Za-z0-9_-]", "", str(run))[:24] or "run"
    return f"interest-lens_{kind}_{run}_{state.get(state.EXPORT_RUN)}.{ext}"


def estimate_seconds(n_texts: int, n_users: int, model: str | None) -> float:
    """A rough cold-run estimate on CPU (embedding dominates; clustering/UMAP grow with users)."""
    per_text = 0.0002 if (model or "").lower() == "tfidf" else 0.004
    return 3.0 + n_texts * per_text + n_users * 0.0015


def empty_state(message_key: str, *, icon: str = "ℹ️") -> None:
    st.info(t(message_key), icon=icon)


def item_texts(analysis: Analysis) -> dict[str, str]:
    items = analysis.dataset.items
    if "text" not in items.columns:
        return {}
    return dict(zip(items["item_id"].astype(str), items["text"].astype(str), strict=False))


def segment_label(analysis: Analysis, segment_id: int) -> str:
    """The (possibly user-edited) name of a segment, as plain text."""
    default = next((s.name for s in analysis.segments if s.segment_id == segment_id), f"Segment {segment_id}")
    return state.segment_name(analysis.run_id, segment_id, default)


def segment_options(analysis: Analysis) -> dict[int, str]:
    """segment id -> "#id name" for select boxes (their options are plain text, so no escaping)."""
    return {
        s.segment_id: f"#{s.segment_id} {segment_label(analysis, s.segment_id)[:60]}"
        for s in analysis.segments
    }


def require_analysis() -> Analysis | None:
    """The current analysis, or an empty state pointing to the Segments page."""
    analysis = state.get(state.ANALYSIS)
    if analysis is None:
        empty_state("empty.no_analysis")
        if st.button(t("empty.go_segments")):
            st.switch_page("app_pages/segments.py")
    return analysis


def selected_users(event: Any, user_ids: Any) -> list[str]:
    """User ids picked by a lasso/box on the map (points carry their profile row in customdata)."""
    if not event:
        return []
    points = event.get("selection", {}).get("points", [])
    rows = sorted({int(p["customdata"]) for p in points if p.get("customdata") is not None})
    return [str(user_ids[r]) for r in rows if 0 <= r < len(user_ids)]


_DIGITS = re.compile(r"(\d+)")


def natural_key(value: Any) -> tuple[Any, ...]:
    """Sort key that orders digit runs as numbers: "15" before "149", "u2" before "u10"."""
    parts = _DIGITS.split(str(value))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts if p)


def natural_order(values: Any) -> list[int]:
    """Positions that put `values` (user ids, item ids) in natural order."""
    keys = [natural_key(v) for v in values]
    return sorted(range(len(keys)), key=keys.__getitem__)

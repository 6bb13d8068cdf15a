""" "Open a finished run" on the Data page: a folder written by `python -m core analyze --out DIR`
(its analysis/ subfolder, core.export.snapshot) becomes the session's analysis as if it had just
been computed, so Segments, Profiles, Recommend and Export show it without recomputing.

The dashboard runs next to the CLI, so the folder is named by its path on this machine. The path is
hostile text: it is only ever handed to core.export.snapshot.find_saved (which accepts a directory
holding our manifest and nothing else) and is escaped wherever it is shown.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from core.errors import InterestLensError
from core.export import numbers
from core.notes import in_language
from ui import cached, state
from ui.i18n import lang, t
from ui.widgets import escape_md, log_unexpected, show_error

MAX_PATH = 4096  # characters; longer text is no path on any file system we run on


def open_run_section() -> None:
    """A path box and an Open button; on success the run replaces the session's dataset and results."""
    opened = state.get(state.DATASET_LABEL) == "saved"
    with st.expander(t("run_open.title"), expanded=opened, icon=":material/folder_open:"):
        st.caption(t("run_open.intro"))
        with st.form("open_run_form", border=False):
            path = st.text_input(t("run_open.path"), key="open_run_path", max_chars=MAX_PATH,
                                 placeholder=t("run_open.placeholder"), help=t("run_open.path_help"))  # fmt: skip
            submitted = st.form_submit_button(t("run_open.button"), type="primary")
        if submitted:
            _open(path)
        analysis = state.get(state.ANALYSIS)
        if opened and analysis is not None:
            st.success(t("run_open.opened", run=escape_md(analysis.run_id, max_len=60),
                         users=numbers.count(len(analysis.profiles), lang()), k=analysis.segmentation.k))  # fmt: skip
            st.page_link("app_pages/segments.py", label=t("data.next"), icon="➡️")


def _open(path: str) -> None:
    """Load the run with a progress bar; a failure shows why and keeps what the session had."""
    started = time.perf_counter()
    with st.status(t("run_open.loading"), expanded=True) as status:
        bar = st.progress(0.0, text=t("run_open.loading"))

        def progress(fraction: float, message: str) -> None:
            text = escape_md(in_language(message, lang()), max_len=200)
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

        try:
            key, analysis = cached.open_saved_run(path, progress=progress)
        except InterestLensError as error:
            _failed(status, error, path)
            return
        except Exception as error:  # out of memory, a bug: logged; the browser gets no traceback
            log_unexpected(error)
            _failed(status, error, path)
            return
        status.update(label=t("run_open.done", seconds=f"{time.perf_counter() - started:,.1f}"),
                      state="complete", expanded=False)  # fmt: skip
    # As if this run had just been computed on its own data.
    for name, value in ((state.DATASET, analysis.dataset), (state.DATASET_KEY, key),
                        (state.DATASET_LABEL, "saved"), (state.SOURCE, {"label": "saved", "key": key}),
                        (state.ANALYSIS, analysis), (state.ADHOC, None), (state.DRAFT, None),
                        (state.PENDING, None), (state.DATA_ERROR, None), (state.LAST_ACTION, None)):  # fmt: skip
        state.put(name, value)
    st.rerun()


def _failed(status: Any, error: BaseException, path: str) -> None:
    status.update(label=t("run_open.failed"), state="error", expanded=True)
    show_error(error)
    st.caption(t("run_open.path_was", path=escape_md(path, max_len=300)))
    if state.get(state.ANALYSIS) is not None:
        st.caption(t("data.kept_previous"))

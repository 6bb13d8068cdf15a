"""Interest Lens: router and frame. `streamlit run app.py`.

Sets the page config, initialises session state, draws the shared sidebar (language, current
dataset and run) and hands over to the selected page in app_pages/.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` from another directory still finds core/ and ui/
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core.export import numbers  # noqa: E402
from ui import state  # noqa: E402
from ui.cached import start_map_warm_up  # noqa: E402
from ui.i18n import LANGUAGES, lang, t  # noqa: E402
from ui.widgets import escape_md  # noqa: E402

st.set_page_config(page_title="Interest Lens", page_icon="🔎", layout="wide")
state.init_state()
start_map_warm_up()

PAGES_DIR = ROOT / "app_pages"


def language_switch() -> None:
    with st.sidebar:
        st.segmented_control(
            t("sidebar.language"),
            options=list(LANGUAGES),
            format_func=LANGUAGES.get,
            key=state.LANGUAGE,
            required=True,
        )


def sidebar_status() -> None:
    """Drawn after the page so a dataset loaded or a run finished in this run shows at once."""
    with st.sidebar:
        dataset = state.get(state.DATASET)
        st.subheader(t("sidebar.dataset"))
        if dataset is None:
            st.caption(t("sidebar.no_dataset"))
        else:
            report = dataset.report
            name = t("sidebar.sample") if state.get(state.DATASET_LABEL) == "sample" else report.source_name
            st.caption(escape_md(name, max_len=60))
            c1, c2 = st.columns(2)
            c1.metric(t("metric.rows"), numbers.count(report.rows_kept, lang(), compact=True))
            c2.metric(
                t("metric.users"), numbers.count(dataset.events["user_id"].nunique(), lang(), compact=True)
            )
        analysis = state.get(state.ANALYSIS)
        st.subheader(t("sidebar.run"))
        if analysis is None:
            st.caption(t("sidebar.no_run"))
        else:
            cfg = analysis.config
            st.caption(
                t("sidebar.run_line", run=analysis.run_id, k=analysis.segmentation.k, method=cfg.method)
            )
            model = analysis.embedding_info.get("model_id") or cfg.model or "all-MiniLM-L6-v2"
            st.caption(t("sidebar.model_line", model=escape_md(model, max_len=60)))


pages = [
    st.Page(PAGES_DIR / "data.py", title=t("nav.data"), icon="📥", url_path="data", default=True),
    st.Page(PAGES_DIR / "segments.py", title=t("nav.segments"), icon="🗺️", url_path="segments"),
    st.Page(PAGES_DIR / "profiles.py", title=t("nav.profiles"), icon="🧭", url_path="profiles"),
    st.Page(PAGES_DIR / "recommend.py", title=t("nav.recommend"), icon="🎯", url_path="recommend"),
    st.Page(PAGES_DIR / "export.py", title=t("nav.export"), icon="📤", url_path="export"),
    st.Page(PAGES_DIR / "activate.py", title=t("nav.activate"), icon="🚀", url_path="activate"),
]
current = st.navigation(pages)
language_switch()
current.run()
sidebar_status()

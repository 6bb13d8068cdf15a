""" "Open a finished run" (ui/saved_run.py): a folder saved by `python -m core analyze` opens on the
Data page, and Segments (map on its sample), Profiles, Recommend and Export show it without the
pipeline running; a hostile or wrong path gets a message, and the 中文 UI stays Chinese."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.export.snapshot import save_analysis
from tests.app.conftest import no_exceptions
from tests.app.factory import make_analysis
from tests.app.test_zh_complete import PAGES, data_words, english_words, visible_strings

N_FIT = 40  # users on the saved run's map (the other 20 have no x/y, as in a sampled large run)


@pytest.fixture
def finished(tmp_path: Path):
    """(the original analysis, the out folder a CLI run would leave, with analysis/ inside)."""
    original = make_analysis()
    coords = original.coords.copy()
    coords[N_FIT:] = np.nan
    original = replace(original, coords=coords, coords3d=None,
                       projection_info={"method": "umap", "sampled": True, "n_fit": N_FIT})  # fmt: skip
    out = tmp_path / "out"
    save_analysis(original, out / "analysis")
    return original, out


@pytest.fixture(autouse=True)
def _no_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a finished run must never recompute it: every pipeline entry point fails loudly."""
    import core.pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline ran")

    for name in ("run_analysis", "embed_and_profile", "segment_and_describe"):
        monkeypatch.setattr(core.pipeline, name, refuse)


def _open(app: AppTest, path: str, *, language: str = "en") -> AppTest:
    app.session_state["language"] = language
    at = app.switch_page("app_pages/data.py").run()
    at.text_input(key="open_run_path").input(path)
    button = "打开运行结果" if language == "zh" else "Open run"
    next(b for b in at.button if b.label == button).click().run()
    return at


def test_a_finished_run_opens_and_every_page_shows_it_without_recomputing(app: AppTest, finished) -> None:
    original, out = finished
    at = _open(app, str(out))
    no_exceptions(at)
    analysis = at.session_state["analysis"]
    assert analysis is not None and analysis.run_id == original.run_id
    assert at.session_state["dataset_label"] == "saved"
    assert any("is open: 60 users in 3 segments" in s.value for s in at.success)
    at = at.switch_page("app_pages/segments.py").run()
    no_exceptions(at)
    assert any(f"seeded sample of {N_FIT} users" in c.value for c in at.caption)
    # the saved profiles are this dataset's preparation: another K would not re-embed
    assert any("Embeddings for these settings are ready" in c.value for c in at.caption)
    assert at.get("plotly_chart"), "the map and charts are drawn"
    at = at.switch_page("app_pages/profiles.py").run()
    no_exceptions(at)
    assert any("Tea fans" in str(h.value) for h in (*at.subheader, *at.markdown, *at.text_input))
    at = at.switch_page("app_pages/recommend.py").run()
    no_exceptions(at)
    assert at.dataframe, "recommendations for the first user"
    at = at.switch_page("app_pages/export.py").run()
    no_exceptions(at)
    assert len(at.get("download_button")) == 4
    assert at.session_state["analysis"] is analysis


def test_the_inner_analysis_folder_opens_too(app: AppTest, finished) -> None:
    original, out = finished
    at = _open(app, str(out / "analysis"))
    no_exceptions(at)
    assert at.session_state["analysis"].run_id == original.run_id


def test_a_folder_that_is_not_a_run_says_so_and_keeps_the_session(seeded, analysis, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    at = _open(seeded, str(tmp_path))
    no_exceptions(at)
    assert at.error and "no saved analysis" in at.error[0].value
    assert at.session_state["analysis"] is analysis
    assert any("previously loaded" in c.value for c in at.caption)


def test_a_hostile_path_is_shown_inert(app: AppTest) -> None:
    hostile = "**bold** ![px](http://example.invalid/px.png) <script>x</script> :red[x]"
    at = _open(app, hostile)
    no_exceptions(at)
    assert at.error and "not a folder" in at.error[0].value
    shown = next(c.value for c in at.caption if c.value.startswith("Path given"))
    assert "\\*\\*bold\\*\\*" in shown and "\\!\\[px\\]" in shown and "\\<script\\>" in shown
    assert "\\:red\\[x\\]" in shown
    assert at.session_state["analysis"] is None


def test_the_events_uploader_names_the_limit_and_the_cli(app: AppTest) -> None:
    at = app.run()
    caption = next(c.value for c in at.caption if "uploads files up to" in c.value)
    assert "500 MB" in caption and "python -m core analyze PATH --out DIR" in caption
    assert "Open a finished run" in caption


def test_opening_and_every_page_are_chinese(app: AppTest, finished) -> None:
    original, out = finished
    at = app
    at.session_state["language"] = "zh"
    at = at.run()
    found = english_words(visible_strings(at), data_words(original))  # the empty Data page
    assert not found, found
    at = _open(app, str(out), language="zh")
    no_exceptions(at)
    analysis = at.session_state["analysis"]
    allowed = data_words(analysis) | {
        w.casefold() for w in str(out).replace("/", " ").replace("-", " ").split()
    }
    seen = {}
    for page in PAGES:
        at = at.switch_page(page).run()
        no_exceptions(at)
        if found := english_words(visible_strings(at), allowed):
            seen[page] = found
    assert not seen, seen
    bad = _open(app, str(out / "nothing-here"), language="zh")
    assert bad.error and "不是本机上的文件夹" in bad.error[0].value

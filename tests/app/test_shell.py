"""The frame: navigation, sidebar, language switch, one place for strings, safe text helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app.conftest import no_exceptions
from ui.i18n import STRINGS
from ui.widgets import escape_md, neutralise_formulas

ROOT = Path(__file__).resolve().parents[2]
UI_SOURCES = [
    ROOT / "app.py",
    *sorted((ROOT / "app_pages").glob("*.py")),
    *sorted((ROOT / "ui").glob("*.py")),
]


def test_empty_app_opens_on_the_data_page_with_a_helpful_empty_state(app):
    at = app.run()
    no_exceptions(at)
    assert at.title[0].value == "Data"
    assert any("sample data" in i.value for i in at.info)
    assert any("No data loaded" in c.value for c in at.sidebar.caption)


def test_language_switch_translates_page_and_sidebar(seeded):
    at = seeded.run()
    at.sidebar.segmented_control[0].set_value("zh").run()
    no_exceptions(at)
    assert at.title[0].value == "数据"
    assert any("运行" in c.value for c in at.sidebar.caption)
    at.switch_page("app_pages/segments.py").run()
    assert at.title[0].value == "分群"
    at.sidebar.segmented_control[0].set_value("en").run()
    assert at.title[0].value == "Segments"


def test_sidebar_shows_dataset_and_run(seeded, analysis):
    at = seeded.run()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert analysis.run_id.split("-")[0] in captions and "K = 3" in captions and "kmeans" in captions
    assert [m.value for m in at.sidebar.metric] == [f"{analysis.dataset.report.rows_kept:,}", "60"]


def test_every_string_key_used_in_the_ui_exists_in_both_languages():
    dynamic = {
        "event.": ["view", "click", "favorite", "cart", "purchase", "rating", "review"],
        "seg.model_": ["default", "tfidf", "custom"],
        "seg.color_": ["segment", "confidence", "events"],
        "rec.for_": ["user", "segment"],
        "exp.": ["members", "excel", "html", "bundle"],
    }
    used: set[str] = set()
    for path in UI_SOURCES:
        text = path.read_text(encoding="utf-8")
        used.update(re.findall(r"\bt\(\s*\"([a-z_]+\.[a-z_0-9.]+)\"", text))
        used.update(re.findall(r"empty_state\(\"([a-z_.]+)\"", text))
    for prefix, names in dynamic.items():
        used.update(prefix + n for n in names)
    used.update(f"exp.{k}_help" for k in dynamic["exp."])
    missing = sorted(k for k in used if k not in STRINGS)
    assert not missing
    assert all(en.strip() and zh.strip() for en, zh in STRINGS.values())
    assert len(used) > 150  # the scan really found the page strings


@pytest.mark.parametrize(
    "hostile",
    [
        "**bold**",
        "![x](http://evil/px.png)",
        "<img src=x onerror=alert(1)>",
        ":red[hi]",
        "$x^2$",
        "[a](javascript:x)",
    ],
)
def test_escape_md_leaves_no_active_markdown(hostile):
    escaped = escape_md(hostile)
    assert re.search(r"(?<!\\)[*\[\]()<>$:!_`]", escaped) is None, escaped
    assert escaped.replace("\\", "") == hostile


def test_formula_cells_are_neutralised_for_csv():
    import pandas as pd

    frame = pd.DataFrame({"a": ["=1+1", "+cmd", "-2+3", "@SUM(1)", "\t=1", "ok"]})
    out = neutralise_formulas(frame)["a"].tolist()
    assert out[:5] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(1)", "'\t=1"] and out[5] == "ok"
    assert frame["a"].iloc[0] == "=1+1"  # input untouched

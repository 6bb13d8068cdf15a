"""The evaluation as people read it: labels, best value per column, a verdict, in the app's tables,
the HTML report and Excel (issue 13)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from core.export.report import html_report
from core.export.tables import excel_bytes
from core.export.writer import build_view
from core.recommend.readable import METHOD_LABELS, readable_tables
from tests.core.analysis_factory import make_analysis

EVALUATION = {
    "recommenders": {
        "popular": {"hr@10": 0.125, "ndcg@10": 0.05, "mrr": 0.04, "coverage": 0.01, "fit_seconds": 0.1},
        "item_knn": {"hr@10": 0.2254, "ndcg@10": 0.09, "mrr": 0.08, "coverage": 0.30, "fit_seconds": 2.0},
        "segment_popular": {
            "hr@10": 0.205,
            "ndcg@10": 0.08,
            "mrr": 0.07,
            "coverage": 0.05,
            "fit_seconds": 0.3,
        },
        "hybrid": {"hr@10": 0.2214, "ndcg@10": 0.10, "mrr": 0.09, "coverage": 0.20, "fit_seconds": 3.0},
    },
    "segmentations": {
        "ours": {"hr@10": 0.20, "ndcg@10": 0.08, "n_segments": 6},
        "rfm_kmeans": {"hr@10": 0.13, "ndcg@10": 0.05, "n_segments": 6},
        "tfidf": {"hr@10": 0.21, "ndcg@10": 0.085, "n_segments": 6},
        "random": {"hr@10": 0.12, "ndcg@10": 0.05, "n_segments": 6},
        "single": {"hr@10": 0.125, "ndcg@10": 0.05, "n_segments": 1},
    },
    "segmentations_fine": {},
    "split": {"kind": "temporal", "top_k": 10, "k": 6, "seed": 42},
}


def test_verdicts_say_what_the_numbers_mean_in_both_languages() -> None:
    en = {t.key: t for t in readable_tables(EVALUATION, "en")}
    assert en["recommenders"].verdict == (
        "Recommending by segment (Hybrid (segment + content)) finds 77% more next items than best-sellers;"
        " Item-to-item (baseline) does better still on this data."
    )
    assert en["segmentations"].verdict.startswith("At K=6, our segments find 1.60x the next items")
    assert "Keyword (TF-IDF) segments did better" in en["segmentations"].verdict
    zh = {t.key: t for t in readable_tables(EVALUATION, "zh")}
    assert (
        "多命中 77%" in zh["recommenders"].verdict
        and "物品协同（基线）表现更好" in zh["recommenders"].verdict
    )
    assert list(zh["recommenders"].frame.columns)[0] == "方法"


def test_labels_are_the_dropdowns_and_the_best_value_per_column_is_marked() -> None:
    table = readable_tables(EVALUATION)[0]
    assert table.frame["Method"].tolist() == [METHOD_LABELS[n][0] for n in EVALUATION["recommenders"]]
    assert table.best["Users with a hit in their top 10"] == "Item-to-item (baseline)"
    assert table.best["Training time (s)"] == "Most popular (baseline)"  # lower is better
    assert "hr@10" in table.tooltips["Users with a hit in their top 10"]  # the metric name on hover
    assert not any("@" in c or "_" in c for c in table.frame.columns)  # no raw metric keys shown


@pytest.fixture(scope="module")
def view():
    return build_view(make_analysis(), evaluation=EVALUATION)


def test_report_shows_tables_with_verdicts_not_flat_keys(view) -> None:
    html = html_report(view)
    section = html[
        html.index('<section id="evaluation">') : html.index("</section>", html.index('id="evaluation"'))
    ]
    assert section.count("<table>") == 2
    assert "finds 77% more next items than best-sellers" in section
    assert '<td class="best"><strong>22.5%</strong></td>' in section
    assert 'title="hr@10' in section
    assert "recommenders.popular" not in section and "hr@10</td>" not in section


def test_excel_evaluation_sheet_is_a_readable_table(view) -> None:
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(view)))
    rows = list(book["Evaluation"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("Table", "Method") and "Verdict" in header
    methods = [r[1] for r in rows[1:]]
    assert "Hybrid (segment + content)" in methods and "Our interest segments" in methods
    verdicts = [r[header.index("Verdict")] for r in rows[1:] if r[header.index("Verdict")]]
    assert len(verdicts) == 2 and verdicts[0].startswith("Recommending by segment")

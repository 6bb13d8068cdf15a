"""HTML report and Excel (issue 12): revenue figures one per row in a segment card (side by side the
last column was cut off), and sentiment from ratings worded the same in HTML and Excel."""

from __future__ import annotations

import re
from dataclasses import replace

from core.export.report import html_report
from core.export.writer import build_view
from tests.core.analysis_factory import make_analysis


def test_revenue_figures_are_one_per_row():
    analysis = make_analysis()
    revenue = {"revenue": 431687.58, "orders": 1208.0, "revenue_per_user": 695.52, "avg_order_value": 357.36}
    segment = replace(analysis.segments[0], revenue=revenue)
    html = html_report(build_view(replace(analysis, segments=[segment, *analysis.segments[1:]])))
    table = re.search(r'<table class="revenue">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr><th>([^<]+)</th><td class=\"num\">([^<]+)</td></tr>", table.group(1))
    assert [label for label, _ in rows] == ["Revenue", "Orders", "Revenue / user", "Avg order value"]
    assert dict(rows)["Revenue"] == "431,687.58" and dict(rows)["Orders"] == "1,208"


def test_ratings_only_sentiment_reads_the_same_in_excel_and_html():
    """Issue 12 point 4: MovieLens-like data (ratings, no review text) says "ratings" in every sink."""
    import io

    import openpyxl

    from core.export.labels import sentiment_basis, sentiment_sentence
    from core.export.tables import excel_bytes

    sentiment = {"positive": 0.54, "neutral": 0.38, "negative": 0.08, "mean_score": 0.33, "n_texts": 7199.0,
                 "n_from_text": 0.0, "n_from_ratings": 7199.0}  # fmt: skip
    analysis = make_analysis()
    segment = replace(analysis.segments[0], sentiment=sentiment, extra={"sentiment_source": "ratings"})
    view = build_view(replace(analysis, segments=[segment, *analysis.segments[1:]]))
    assert sentiment_sentence(segment) in html_report(view)
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(view)), read_only=True)
    rows = list(book["Segments"].iter_rows(values_only=True))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["sentiment_source"] == sentiment_basis(segment)
    assert "7,199 ratings (no review text" in exported["sentiment_source"]
    assert exported["mean_sentiment"] == 0.33

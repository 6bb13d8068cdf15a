"""core.export.numbers and core.export.labels: the figures people read, checked against the exports."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import openpyxl
import pytest

from core.export import numbers
from core.export.labels import sentiment_basis, sentiment_sentence, source_of
from core.export.report import html_report
from core.export.tables import excel_bytes
from core.export.writer import build_view
from tests.core.analysis_factory import make_analysis


@pytest.mark.parametrize(
    ("value", "lang", "compact", "expected"),
    [
        (1208.0, "en", False, "1,208"),  # a count never gets decimals
        (1208, "en", True, "1,208"),  # below 10,000 nothing is hidden
        (431_687.58, "en", True, "432k"),  # the card that said 43.2k
        (431_687.58, "zh", True, "43.2万"),
        (43_168.2, "en", True, "43.2k"),
        (1_234_567, "en", True, "1.23M"),
        (987_654_321, "zh", True, "9.88亿"),
        (-12_345, "en", True, "-12.3k"),
        (float("nan"), "en", True, "—"),
        (None, "zh", False, "—"),
    ],
)
def test_counts(value, lang, compact, expected):
    assert numbers.count(value, lang, compact=compact) == expected


@pytest.mark.parametrize(
    ("value", "lang", "compact", "expected"),
    [
        (431_687.58, "en", False, "431,687.58"),
        (431_687.58, "en", True, "432k"),
        (431_687.58, "zh", True, "43.2万"),
        (357.26, "en", True, "357.26"),
        (9_999.5, "zh", True, "9,999.50"),
    ],
)
def test_money(value, lang, compact, expected):
    assert numbers.money(value, lang, compact=compact) == expected


def test_shares_and_decimals():
    assert numbers.share(0.1234) == "12.3%"
    assert numbers.share(0.5, "zh", digits=0) == "50%"
    assert numbers.decimal(0.31, signed=True) == "+0.31"
    assert numbers.decimal(-0.125, signed=True, digits=1) == "-0.1"
    assert numbers.decimal(None) == "—"


_UNITS = {"k": 1e3, "M": 1e6, "B": 1e9, "万": 1e4, "亿": 1e8}


def _parse(text: str) -> float:
    match = re.fullmatch(r"(-?[\d,.]+)(k|M|B|万|亿)?", text)
    assert match, text
    return float(match.group(1).replace(",", "")) * _UNITS.get(match.group(2) or "", 1.0)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("raw", [431_687.58, 57_020.5, 2_345_678.9, 8_765.43, 19_999_999.0])
def test_card_matches_excel_raw_value(raw, lang):
    """The compact card value read back is the Excel figure to within the shown precision (0.5% at most)."""
    analysis = make_analysis()
    revenue = {"revenue": raw, "orders": 1208.0, "revenue_per_user": raw / 15, "avg_order_value": raw / 1208}
    analysis = replace(
        analysis, segments=[replace(analysis.segments[0], revenue=revenue), *analysis.segments[1:]]
    )
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(build_view(analysis))), read_only=True)
    rows = list(book["Segments"].iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    exported = dict(zip(header, first, strict=True))
    assert exported["revenue"] == pytest.approx(raw)
    card = numbers.money(exported["revenue"], lang, compact=True)
    assert _parse(card) == pytest.approx(raw, rel=0.005)
    assert numbers.money(exported["revenue"], lang) == f"{raw:,.2f}"
    assert numbers.count(exported["orders"], lang) == "1,208"


def _with_sentiment(sentiment, source):
    analysis = make_analysis()
    segment = replace(analysis.segments[0], sentiment=sentiment, extra={"sentiment_source": source})
    return analysis, segment


def test_no_sentiment_has_no_number_anywhere():
    analysis, segment = _with_sentiment({"n_texts": 0.0}, "none")
    assert source_of(segment) == "none"
    assert "0.00" not in sentiment_sentence(segment) and "%" not in sentiment_sentence(segment)
    analysis = replace(analysis, segments=[segment, *analysis.segments[1:]])
    view = build_view(analysis)
    html = html_report(view)
    assert sentiment_sentence(segment) in html
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(view)), read_only=True)
    rows = list(book["Segments"].iter_rows(values_only=True))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["mean_sentiment"] is None and exported["positive"] is None
    assert exported["sentiment_source"] == sentiment_basis(segment)


def test_ratings_only_sentiment_says_ratings():
    sentiment = {"positive": 0.6, "neutral": 0.3, "negative": 0.1, "mean_score": 0.4, "n_texts": 4671.0,
                 "n_from_text": 0.0, "n_from_ratings": 4671.0}  # fmt: skip
    analysis, segment = _with_sentiment(sentiment, "ratings")
    line = sentiment_sentence(segment)
    assert "4,671 ratings" in line and "review text" in line and "reviews" not in line.split(":")[0]
    assert "评分" in sentiment_sentence(segment, "zh")
    view = build_view(replace(analysis, segments=[segment, *analysis.segments[1:]]))
    assert line in html_report(view)

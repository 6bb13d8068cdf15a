from __future__ import annotations

import pytest

from core.data import EVENT_TYPES
from core.errors import IngestError
from core.ingest.schema import ColumnMapping, infer_mapping, normalize_event_type, normalize_header


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" User_ID ", "userid"), ("user\u200bid", "userid"), ("ＵｓｅｒＩＤ", "userid"), ("用户 ID", "用户id")],
)
def test_normalize_header(raw: str, expected: str) -> None:
    assert normalize_header(raw) == expected


def test_online_retail_columns() -> None:
    cols = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    m = infer_mapping(cols)
    assert m.as_dict() == {
        "user_id": "CustomerID",
        "item_id": "StockCode",
        "text": "Description",
        "timestamp": "InvoiceDate",
        "quantity": "Quantity",
        "price": "UnitPrice",
        "invoice": "InvoiceNo",
    }


def test_chinese_columns() -> None:
    m = infer_mapping(["用户ID", "商品ID", "商品名称", "行为类型", "时间", "评分", "评价内容", "标签"])
    assert (m.user_id, m.item_id, m.text, m.event_type, m.timestamp, m.rating, m.review, m.label) == (
        "用户ID",
        "商品ID",
        ("商品名称",),
        "行为类型",
        "时间",
        "评分",
        "评价内容",
        "标签",
    )


def test_several_text_columns_and_amazon() -> None:
    assert infer_mapping(["movieId", "title", "genres"]).text == ("title", "genres")
    m = infer_mapping(["reviewerID", "asin", "overall", "unixReviewTime", "reviewText", "category"])
    assert (m.user_id, m.item_id, m.rating, m.timestamp, m.review, m.text) == (
        "reviewerID",
        "asin",
        "overall",
        "unixReviewTime",
        "reviewText",
        (),
    )


def test_overrides() -> None:
    cols = ["user", "title", "notes"]
    m = infer_mapping(cols).with_overrides({"text": "title + notes", "label": None}, cols)
    assert m.text == ("title", "notes") and m.user_id == "user"
    moved = infer_mapping(cols).with_overrides({"review": "title"}, cols)
    assert moved.review == "title" and moved.text == ()
    with pytest.raises(IngestError, match="not in the file"):
        infer_mapping(cols).with_overrides({"user_id": "nope"}, cols)
    with pytest.raises(IngestError, match="Unknown column role"):
        infer_mapping(cols).with_overrides({"colour": "title"}, cols)
    assert ColumnMapping().as_dict() == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("浏览", "view"),
        ("点击", "click"),
        ("加购", "cart"),
        ("加入购物车", "cart"),
        ("收藏", "favorite"),
        ("购买", "purchase"),
        ("下单", "purchase"),
        ("评分", "rating"),
        ("评价", "review"),
        (" Add_To_Cart ", "cart"),
        ("PV", "view"),
        ("teleport", None),
    ],
)
def test_event_types(value: str, expected: str | None) -> None:
    assert normalize_event_type(value) == expected
    assert expected is None or expected in EVENT_TYPES

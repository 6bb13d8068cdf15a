from __future__ import annotations

import pandas as pd

from core.data import CORE_EVENT_COLUMNS
from core.ingest.cleaning import CleaningOptions, clean
from core.ingest.dataset import load_dataset
from core.ingest.read import read_table
from core.ingest.schema import infer_mapping

RETAIL = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n"
    "536380,22086,PAPER CHAIN KIT,-3,2010-12-01 09:41:00,0,,United Kingdom\n"
    "536381,22086,PAPER CHAIN KIT,3,2010-12-01 09:41:00,2.1,,United Kingdom\n"
    "536382,POST,POSTAGE,1,2010-12-01 09:45:00,18,12583,France\n"
    "536383,DCGS0003,BOXED GLASS ASHTRAY,1,2010-12-01 09:45:00,3.2,12583,France\n"
    "536384,22633,HAND WARMER UNION JACK,6,2010-12-01 09:46:00,0,13047,United Kingdom\n"
    "536385,22632,,6,2010-12-01 09:47:00,1.85,13047,United Kingdom\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
)


def _retail():
    raw = read_table(RETAIL.encode(), "retail.csv")
    return clean(raw, infer_mapping(raw.frame.columns))


def test_online_retail_style_rows_get_one_reason_each() -> None:
    data = _retail()
    assert data.report.rows_rejected == {
        "cancelled_invoice": 1,
        "negative_quantity": 1,
        "missing_user": 1,
        "non_product_code": 1,
        "nonpositive_price": 1,
        "missing_text": 1,
        "duplicate": 1,
    }
    assert data.report.reconciled and data.report.rows_kept == 2
    assert data.events["item_id"].tolist() == ["85123A", "DCGS0003"]  # DCGS* codes are products
    assert data.events["event_type"].tolist() == ["purchase", "purchase"]  # quantity/price, no event column
    assert data.events["InvoiceNo"].tolist() == ["536365", "536383"]  # the invoice stays an attribute
    assert data.events["Country"].tolist() == ["United Kingdom", "France"]
    assert data.items.set_index("item_id").loc["85123A", "text"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert data.report.rejected_examples["duplicate"] == [10]
    assert set(data.rejected.columns) >= {"line", "reason", "StockCode"}
    assert sorted(data.rejected["line"]) == [3, 4, 5, 6, 8, 9, 10]


def test_options_switch_checks_off_and_are_reported() -> None:
    raw = read_table(RETAIL.encode(), "retail.csv")
    opts = CleaningOptions(drop_duplicates=False, drop_non_product_codes=False, drop_nonpositive_price=False)
    data = clean(raw, infer_mapping(raw.frame.columns), options=opts)
    assert "duplicate" not in data.report.rows_rejected and data.report.rows_kept == 5
    assert data.report.cleaning["drop_duplicates"] is False


def test_events_contract() -> None:
    data = _retail()
    assert list(data.events.columns[: len(CORE_EVENT_COLUMNS)]) == list(CORE_EVENT_COLUMNS)
    assert str(data.events["timestamp"].dtype).startswith("datetime64")
    assert data.events["source_row"].tolist() == [2, 7]
    assert data.report.n_users == 2 and data.report.n_items == 2 and data.report.n_events == 2


def test_movielens_ratings_join_movies() -> None:
    ratings = b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n2,1,5.0,964982224\n2,99,3.0,964982224\n"
    movies = b'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n3,"Grumpier Old Men (1995)",Comedy|Romance\n'
    data = load_dataset(ratings, filename="ratings.csv", items=movies, items_filename="movies.csv")
    items = data.items.set_index("item_id")["text"]
    assert items["1"] == "Toy Story (1995). Adventure, Animation, Children"
    assert data.events["event_type"].unique().tolist() == ["rating"]
    assert data.events["rating"].tolist() == [4.0, 0.5, 5.0]
    assert str(data.events["timestamp"].iloc[0]) == "2000-07-30 18:45:03"
    assert data.report.rows_rejected == {"unknown_item": 1} and data.report.items_unmatched_events == 1
    assert data.report.items_source == "movies.csv" and data.report.items_rows_in == 2


def test_reviews_become_item_text_when_there_is_no_item_text() -> None:
    raw = read_table(
        b"reviewerID,asin,overall,reviewText\na,X1,5,Great boots\nb,X1,4,Warm and dry\nc,X2,1,Broke fast\n",
        "r.csv",
    )
    data = clean(raw, infer_mapping(raw.frame.columns))
    text = data.items.set_index("item_id")["text"]
    assert text["X1"] == "Great boots Warm and dry" and text["X2"] == "Broke fast"
    assert any("reviews joined" in w for w in data.report.warnings)


def test_no_item_column_derives_ids_from_text_and_chinese_event_types() -> None:
    raw = read_table(
        "用户,商品名称,行为类型\nu1,登山鞋,浏览\nu2,登山鞋,加入购物车\nu3,帐篷,下单\n".encode(), "zh.csv"
    )
    data = clean(raw, infer_mapping(raw.frame.columns))
    assert data.events["event_type"].tolist() == ["view", "cart", "purchase"]
    assert data.events["item_id"].iloc[0] == data.events["item_id"].iloc[1] and data.events["item_id"].iloc[
        0
    ].startswith("t:")


def test_unknown_event_types_are_rejected_with_the_value() -> None:
    raw = read_table(b"user,title,event\nu1,Boots,view\nu2,Tent,teleport\nu3,Stove,buy\n", "e.csv")
    data = clean(raw, infer_mapping(raw.frame.columns))
    assert data.report.rows_rejected == {"unknown_event_type": 1}
    assert any("teleport" in w for w in data.report.warnings)
    kept = clean(
        raw,
        infer_mapping(raw.frame.columns),
        options=CleaningOptions(extra_event_types=(("teleport", "click"),)),
    )
    assert kept.events["event_type"].tolist() == ["view", "click", "purchase"]


def test_input_is_not_mutated() -> None:
    raw = read_table(RETAIL.encode(), "retail.csv")
    before = raw.frame.copy()
    clean(raw, infer_mapping(raw.frame.columns))
    pd.testing.assert_frame_equal(raw.frame, before)

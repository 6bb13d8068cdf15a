"""Text-column header synonyms in both languages, and the error when no text column is found
(issue 11, item 5): a file headed `内容` used to reject every row as missing_text."""

from __future__ import annotations

import pytest

from core.cli import main
from core.errors import IngestError
from core.ingest.dataset import load_dataset
from core.ingest.schema import infer_mapping

POSTS = "用户ID,行为,内容\n" + "".join(
    f"u{u},浏览,{text}\n"
    for u in range(30)
    for text in (
        "这款面霜保湿效果很好，冬天用刚刚好",
        "跑鞋很轻，鞋底回弹不错，适合长跑",
        "咖啡豆香气浓郁，酸度适中",
    )
)


def test_a_file_headed_neirong_maps_its_text() -> None:
    data = load_dataset(POSTS.encode(), filename="posts.csv")
    assert data.report.mapping["text"] == "内容"
    assert data.report.rows_rejected == {}  # it used to be {"missing_text": 90}
    assert data.report.rows_kept == 30 * 3 and len(data.items) == 3
    assert "跑鞋很轻" in " ".join(data.items["text"])


@pytest.mark.parametrize(
    "header",
    ["内容", "正文", "标题", "文章", "描述", "商品标题", "帖子", "商品名称",
     "content", "Body", "headline", "post", "product_name", "Title", "description"],
)  # fmt: skip
def test_text_headers_in_both_languages(header: str) -> None:
    assert infer_mapping(["user_id", header]).text == (header,)


@pytest.mark.parametrize("header", ["评论内容", "评论", "review_text", "Review Text", "comment"])
def test_review_headers_in_both_languages(header: str) -> None:
    assert infer_mapping(["user_id", header]).review == header


NO_TEXT = b"user_id,sku_code,blurb\nu1,a,green tea\nu2,b,running shoes\n"


def test_no_text_column_names_the_columns_and_how_to_map_one() -> None:
    with pytest.raises(IngestError) as caught:
        load_dataset(NO_TEXT, filename="shop.csv")
    error = caught.value
    assert error.code == "no_text_column" and error.details["columns"] == "user_id, sku_code, blurb"
    assert "user_id, sku_code, blurb" in error.message_en and "--map text=COLUMN" in error.message_en
    assert "user_id, sku_code, blurb" in error.message_zh and "--map text=列名" in error.message_zh


def test_cli_says_how_to_map_the_text_column_and_the_map_works(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "shop.csv"
    path.write_bytes(NO_TEXT)
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert (
        "Columns: user_id, sku_code, blurb" in err and "--map text=COLUMN" in err and "--map text=列名" in err
    )
    assert main(["ingest", str(path), "--map", "text=blurb"]) == 0
    assert "text=blurb" in capsys.readouterr().out

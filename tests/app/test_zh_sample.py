"""Data page: beside "Use sample data" (the English sample) a 中文示例 button; the Chinese one loads with every
Chinese header mapped, its `标签` column as the label, and no rejected rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exceptions

ZH_SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "events_zh.csv"


@pytest.mark.skipif(not ZH_SAMPLE.exists(), reason="Chinese sample missing (make sample-data)")
@pytest.mark.parametrize("language", ["en", "zh"])
def test_chinese_sample_loads_with_chinese_mapping_and_no_rejected_rows(app: AppTest, language: str) -> None:
    app.session_state["language"] = language
    at = app.run()
    button = at.button(key="use_sample_zh")
    assert button.label == ("中文示例 (Chinese sample)" if language == "en" else "中文示例")
    button.click().run()
    no_exceptions(at)
    dataset = at.session_state["dataset"]
    report = dataset.report
    assert report.source_name == "events_zh.csv"
    assert report.mapping == {
        "user_id": "用户ID",
        "item_id": "商品ID",
        "text": "商品标题",
        "review": "评价内容",
        "event_type": "行为",
        "timestamp": "时间",
        "rating": "评分",
        "quantity": "数量",
        "price": "价格",
        "label": "标签",
    }
    assert report.rows_rejected == {} and report.rows_kept == report.rows_in > 3000
    assert dataset.has_labels
    assert set(dataset.events["label"]) == {"母婴", "数码", "美妆", "运动户外", "家居", "零食"}
    assert set(dataset.events["event_type"]) == {"view", "cart", "favorite", "purchase", "review"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows rejected" if language == "en" else "拒绝行数"] == "0"


def test_english_sample_stays_the_default(app: AppTest) -> None:
    at = app.run()
    at.button(key="use_sample").click().run()
    no_exceptions(at)
    assert at.session_state["dataset"].report.source_name == "events.csv"

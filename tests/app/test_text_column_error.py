"""No text column recognised (issue 11, item 5): the Data page names the columns it saw and points to
the mapping editor's "Item text" in the page's words (no CLI flag), in English and Chinese; choosing
the column there loads the file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exceptions
from tests.app.test_mapping_editor import pick, upload

NO_TEXT = b"user,code,blurb\nu1,a,green tea\nu2,b,running shoes\nu3,a,green tea\n"


@pytest.mark.parametrize(
    ("language", "role", "reread"),
    [("en", "Item text (one or more)", "Re-read with these settings"), ("zh", "商品文本（可多列）", "按这些设置重新读取")],
)  # fmt: skip
def test_no_text_column_is_explained_and_mapped_in_the_page(
    app: AppTest, language: str, role: str, reread: str
) -> None:
    app.session_state["language"] = language
    at = upload(app.run(), ("shop.csv", NO_TEXT))
    no_exceptions(at)
    assert at.session_state["dataset"] is None and len(at.error) == 1
    message = at.error[0].value
    assert "user, code, blurb" in message and "--map" not in message and "missing_text" not in message
    assert ("“Item text”" if language == "en" else "“商品文本”") in message
    pick(at, role, ["blurb"])
    at = next(b for b in at.button if b.label == reread).click().run()
    no_exceptions(at)
    dataset = at.session_state["dataset"]
    assert dataset is not None and sorted(dataset.items["text"]) == ["green tea", "running shoes"]

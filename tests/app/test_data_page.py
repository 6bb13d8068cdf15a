"""Data page: report of a loaded dataset, bad uploads keep the previous state, sample data."""

from __future__ import annotations

import importlib.util

import pytest

from tests.app.conftest import no_exceptions

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
HAS_INGEST = importlib.util.find_spec("core.ingest.dataset") is not None


def test_report_shows_counts_reasons_and_rejected_download(seeded, analysis):
    at = seeded.run()
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    report = analysis.dataset.report
    assert metrics["Rows read"] == f"{report.rows_in:,}"
    assert metrics["Rows kept"] == f"{report.rows_kept:,}"
    assert metrics["Rows rejected"] == "3"
    assert any(
        d.value.shape[0] == 2 and "missing user_id" in d.value.iloc[:, 0].tolist() for d in at.dataframe
    )
    assert at.get("download_button")  # rejected rows


def test_bad_upload_shows_error_and_keeps_previous_dataset_and_results(seeded, analysis):
    at = seeded.run()
    at.file_uploader(key="upload_events").set_value(("photo.csv", PNG, "text/csv")).run()
    no_exceptions(at)
    assert at.error, "a bad file must show an error"
    assert at.session_state["dataset"] is analysis.dataset
    assert at.session_state["analysis"] is analysis
    assert any("previously loaded" in c.value for c in at.caption)
    if HAS_INGEST:
        assert "went wrong" not in at.error[0].value  # a domain message, not the generic one
    at.run()  # a rerun does not re-read the same bad file, and still shows why it failed
    assert at.error and at.session_state["analysis"] is analysis


def test_bad_upload_message_follows_the_language(seeded):
    if not HAS_INGEST:
        pytest.skip("core.ingest.dataset not available yet")
    at = seeded.run()
    at.sidebar.segmented_control[0].set_value("zh").run()
    at.file_uploader(key="upload_events").set_value(("x.csv", b"", "text/csv")).run()
    assert at.error and any("\u4e00" <= ch <= "\u9fff" for ch in at.error[0].value)


@pytest.mark.skipif(not HAS_INGEST, reason="core.ingest.dataset not available yet")
def test_good_upload_replaces_dataset_and_clears_the_old_run(seeded):
    csv = "user_id,item_id,title,rating\n007,a,green tea,5\nNA,b,running shoes,4\n007,b,running shoes,3\n"
    at = seeded.run()
    at.file_uploader(key="upload_events").set_value(("shop.csv", csv.encode(), "text/csv")).run()
    no_exceptions(at)
    dataset = at.session_state["dataset"]
    assert sorted(dataset.events["user_id"].unique()) == ["007", "NA"]
    assert at.session_state["analysis"] is None

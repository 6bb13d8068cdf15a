"""Privacy guards: pseudonyms, minimum segment size, PII scrub, and the summary shown in reports."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.export.privacy import (
    KEY_ENV,
    OTHER_SEGMENT_ID,
    PrivacySettings,
    apply_min_segment_size,
    privacy_summary,
    pseudonym,
    pseudonymize_ids,
    scrub_pii,
)
from core.export.writer import build_view
from tests.core.analysis_factory import TINY_KEYWORD, TINY_NAME, TINY_USERS, make_analysis


@pytest.fixture(scope="module")
def analysis():
    return make_analysis()


def test_pseudonyms_are_stable_per_key_and_differ_across_keys() -> None:
    ids = ["007", "7", "NA", "用户甲", "=1+1"]
    first = pseudonymize_ids(ids, b"key-one")
    again = pseudonymize_ids(list(reversed(ids)), b"key-one")
    other = pseudonymize_ids(ids, b"key-two")
    assert first == again
    assert all(first[u] != other[u] for u in ids)
    assert len(set(first.values())) == len(ids)  # "007" and "7" stay distinct
    assert all(p.startswith("u_") and len(p) == 14 for p in first.values())


def test_pseudonym_is_hmac_sha256_of_the_exact_id() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"007", hashlib.sha256).hexdigest()[:12]
    assert pseudonym("007", b"k") == "u_" + expected


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "team-secret")
    settings, source = PrivacySettings(pseudonymize=True).resolved()
    assert source == "env" and settings.key == b"team-secret"
    assert "team-secret" not in repr(settings)


def test_generated_key_differs_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    first, source = PrivacySettings(pseudonymize=True).resolved()
    second, _ = PrivacySettings(pseudonymize=True).resolved()
    assert source == "generated" and first.key != second.key and len(first.key or b"") == 32


def test_pseudonymised_view_hides_every_raw_id_and_the_key(analysis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k-123456")
    view = build_view(analysis, privacy=PrivacySettings(pseudonymize=True))
    raw = {str(u) for u in analysis.profiles.user_ids}
    assert not raw & set(view.members["user_id"])
    assert all(u.startswith("u_") for u in view.members["user_id"])
    for segment in view.segments:
        assert not raw & set(segment.representative_users)
    assert view.privacy[0]["on"] == "on" and "k-123456" not in str(view.privacy)


def test_min_segment_size_merges_small_segments_into_other(analysis) -> None:
    guard = apply_min_segment_size(analysis.segmentation.labels, analysis.segments, min_size=10)
    assert guard.merged_ids == [3] and guard.merged_users == 4
    assert OTHER_SEGMENT_ID in guard.labels and 3 not in guard.labels
    other = guard.segments[-1]
    assert (other.segment_id, other.name, other.size) == (OTHER_SEGMENT_ID, "Other", 4)
    assert other.keywords == [] and other.top_items == [] and other.representative_users == []
    assert [s.segment_id for s in guard.segments] == [0, 1, 2, OTHER_SEGMENT_ID]
    # The input labels are untouched.
    assert (analysis.segmentation.labels == 3).sum() == 4


@pytest.mark.parametrize(("min_size", "merged"), [(0, []), (5, [3]), (12, [2, 3]), (100, [0, 1, 2, 3])])
def test_min_segment_size_threshold_counts_distinct_users(analysis, min_size: int, merged: list[int]) -> None:
    guard = apply_min_segment_size(analysis.segmentation.labels, analysis.segments, min_size=min_size)
    assert guard.merged_ids == merged
    assert int(np.sum(guard.labels == OTHER_SEGMENT_ID)) == guard.merged_users


def test_small_segment_details_never_reach_the_view(analysis) -> None:
    view = build_view(analysis, privacy=PrivacySettings(min_segment_size=10))
    text = repr([vars(s) for s in view.segments])
    assert TINY_NAME not in text and TINY_KEYWORD not in text
    assert not any(u in text for u in TINY_USERS)  # not listed as examples anywhere
    assert set(view.members["segment_id"]) == {0, 1, 2, OTHER_SEGMENT_ID}
    assert set(view.members.loc[view.members["segment_id"] == -1, "segment_name"]) == {"Other"}
    assert list(view.centroid_segment_ids) == [0, 1, 2, -1]


def test_negative_min_segment_size_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        PrivacySettings(min_segment_size=-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail a.b+c@example.co.uk now", "mail [email] now"),
        ("call +86 138-1234-5678 today", "call [phone] today"),
        ("手机13812345678谢谢", "手机[phone]谢谢"),
        ("tel 0086 139 1234 5678", "tel [phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("(555) 123-4567", "[phone]"),
        ("+1-202-555-0143", "[phone]"),
        ("bought on 2024-01-05 for 1299.00", "bought on 2024-01-05 for 1299.00"),
        ("order 12345678 arrived, 5 stars", "order 12345678 arrived, 5 stars"),
        ("12:00 - 13:00, size 42", "12:00 - 13:00, size 42"),
        ("", ""),
    ],
)
def test_scrub_pii(text: str, expected: str) -> None:
    assert scrub_pii(text) == expected


def test_scrub_reaches_quotes_item_texts_and_recommendations(analysis) -> None:
    recs = {str(analysis.profiles.user_ids[0]): ["ring 13812345678 for a deal"]}
    view = build_view(analysis, recommendations=recs)
    text = repr([vars(s) for s in view.segments]) + view.members.to_csv()
    assert "jane.doe@example.com" not in text and "138-1234-5678" not in text and "13812345678" not in text
    assert "[email]" in text and "[phone]" in text


def test_summary_states_every_guard() -> None:
    rows = privacy_summary(PrivacySettings(pseudonymize=False, min_segment_size=0, scrub_pii=False))
    assert [r["on"] for r in rows] == ["off", "off", "off"]
    rows = privacy_summary(PrivacySettings(pseudonymize=True), key_source="generated")
    assert [r["on"] for r in rows] == ["on", "on", "on"] and "not stored" in rows[0]["detail"]

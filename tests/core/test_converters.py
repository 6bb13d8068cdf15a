"""The typed converters on values where a vectorised shortcut could differ from the per-value rules:
full-width digits and spaces (NFKC), ASCII separators that Python's strip removes, null tokens in
any case, and a large column of distinct values (the vectorised path)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.ingest.converters import parse_event_types, parse_numbers, parse_timestamps


def test_timestamps_normalise_full_width_and_strip_like_python() -> None:
    values = ["２０２４-０１-０５", "\u30002024-01-05\u3000", "\x1c2024-01-05\x1f", " 2024-01-05 "]
    result = parse_timestamps(pd.Series(values, dtype="str"))
    assert not result.failed.any()
    assert (result.values == pd.Timestamp("2024-01-05")).all()


def test_null_tokens_in_any_case_are_empty_not_failed() -> None:
    values = ["NULL", "None", "n/A", "无", "空", "-", "?", "nan", "", "2024-01-05"]
    result = parse_timestamps(pd.Series(values, dtype="str"))
    assert result.empty.tolist() == [True] * 9 + [False]
    assert not result.failed.any()
    # full-width letters are not a null token: NFKC is for reading values, casefold alone decides nulls
    odd = parse_timestamps(pd.Series(["ＮＵＬＬ"], dtype="str"))
    assert odd.failed.tolist() == [True] and not odd.empty.any()


def test_only_failing_values_get_reasons() -> None:
    result = parse_timestamps(pd.Series(["2024-02-30", "97038-01-01", "2024-01-05", "garbage"], dtype="str"))
    assert result.failed.tolist() == [True, True, False, True]
    assert set(result.reasons) == {"2024-02-30", "97038-01-01", "garbage"}
    assert "outside the supported range" in result.reasons["97038-01-01"]
    assert dict(result.failed_as)["timestamp_out_of_range"].tolist() == [False, True, False, False]
    numbers = parse_numbers(pd.Series(["1.5", "inf", "x", "NA"], dtype="str"), what="price")
    assert numbers.failed.tolist() == [False, True, True, False] and numbers.empty.tolist()[3]
    assert parse_event_types(pd.Series(["buy", "zap"], dtype="str")).reasons == {
        "zap": "unknown event type 'zap'"
    }


def test_many_distinct_timestamps_read_exactly() -> None:
    rng = np.random.default_rng(0)
    stamps = pd.to_datetime(1.7e9 + rng.integers(0, 3 * 10**7, 200_000), unit="s")
    result = parse_timestamps(pd.Series(stamps.astype(str), dtype="str"))
    assert (result.values.to_numpy() == stamps.to_numpy()).all()
    assert not result.failed.any() and result.reasons == {}

"""Typed conversion of text columns, with a reason for every value that cannot be read.

Each converter works on the column's unique values (fast on large files) and returns a `Converted`:
typed values, which rows are empty (kept as null) and which failed (the caller rejects them), one
example reason per failing value, and the assumptions it made (rating scale, day/month order, epoch
unit, decimal comma) for the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.ingest.schema import normalize_event_type
from core.notes import Note

NULL_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "无", "空"})


@dataclass(frozen=True, eq=False)
class Converted:
    values: pd.Series  # (n,) typed: float64 or datetime64 or str, aligned with the input
    empty: np.ndarray  # (n,) bool: no value (null, row kept)
    failed: np.ndarray  # (n,) bool: a value that cannot be read (row rejected)
    reasons: dict[str, str]  # failing source value -> why (one entry per distinct value)
    notes: tuple[str, ...] = ()  # assumptions made, for the report
    # (reject reason, (n,) bool subset of `failed`): readable values that cannot be used (a year 9999
    # date, an infinite price), rejected under their own reason before the generic one
    failed_as: tuple[tuple[str, np.ndarray], ...] = ()

    @property
    def unreadable(self) -> np.ndarray:
        """(n,) bool: failed for being unreadable, not for a `failed_as` reason."""
        special = np.zeros(len(self.failed), dtype=bool)
        for _, mask in self.failed_as:
            special |= mask
        return self.failed & ~special


def _by_unique(
    series: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]]
) -> tuple[pd.Series, np.ndarray, np.ndarray, dict[str, str], np.ndarray]:
    """Run `parse(uniques) -> (values, reason or None)` on unique stripped values, map back to rows.
    The last result is (n,) int: each row's position among the uniques (maps a per-unique mask to rows)."""
    codes, uniques = pd.factorize(series.astype("str").str.strip(), sort=False)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    values, reasons = parse(uniq)
    is_empty = _null_tokens(uniq)
    failed_u = reasons.notna().to_numpy(bool) & ~is_empty
    out = values.iloc[codes].reset_index(drop=True)
    out.index = series.index
    out[is_empty[codes]] = None if out.dtype == object else np.nan
    reason_map = {str(uniq[i]): str(reasons[i]) for i in np.flatnonzero(failed_u)}
    return out, is_empty[codes], failed_u[codes], reason_map, codes


_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)(?:\(.*\))?", re.IGNORECASE)


def _non_finite_text(value: str) -> bool:
    """`inf`, `-Infinity`, `1e400`, `-nan`: text that reads as a number that is not finite (a bare
    `nan` is a null token, see NULL_TOKENS)."""
    text = value.strip()
    if _NON_FINITE.fullmatch(text):
        return True
    try:
        return not np.isfinite(float(text))
    except (ValueError, OverflowError):
        return False


def _null_tokens(uniq: pd.Series) -> np.ndarray:
    """(n,) bool: `v.casefold() in NULL_TOKENS` per value, vectorised where casefold = lower (ASCII)."""
    text = uniq.astype("str")
    plain = _plain_ascii(text)
    empty = text.str.lower().isin(NULL_TOKENS).to_numpy(bool).copy()
    for i in np.flatnonzero(~plain):
        empty[i] = uniq.iat[i].casefold() in NULL_TOKENS
    return empty


def _plain_ascii(text: pd.Series) -> np.ndarray:
    """(n,) bool: ASCII without the separators \\x1c-\\x1f, which Python's `str.strip` removes and
    Arrow's does not: on these values NFKC, casefold and strip are plain ASCII operations."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ascii_ = pc.string_is_ascii(pa.array(text.array)).to_numpy(zero_copy_only=False)
    return ascii_ & ~text.str.contains(r"[\x1c-\x1f]", regex=True).to_numpy(bool)


def _why(
    uniq: pd.Series, values: pd.Series, special: Iterable[bool], special_why: str, unreadable_why: str
) -> pd.Series:
    """Per unique value: `special_why` (readable but unusable) where `special`, `unreadable_why` where
    no value came out, else None; both are templates with `{u}` for the source value. Only the failing
    values are formatted (on a large file nearly every value reads)."""
    bad = np.fromiter(special, dtype=bool, count=len(uniq))
    missing = values.isna().to_numpy(bool)
    out = np.full(len(uniq), None, dtype=object)
    for i in np.flatnonzero(bad):
        out[i] = special_why.format(u=uniq.iat[i])
    for i in np.flatnonzero(missing & ~bad):
        out[i] = unreadable_why.format(u=uniq.iat[i])
    return pd.Series(out, dtype=object)


# --- ratings ---------------------------------------------------------------------------------------
_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_RATING_SUFFIX = re.compile(r"\s*(星|颗星|分|stars?|points?|pts|/\s*(5|10|100)(\.0)?)$")


def _rating_number(value: str) -> float | None:
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    text = _RATING_SUFFIX.sub("", text).strip()
    if text in _WORDS:
        return float(_WORDS[text])
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def parse_ratings(series: pd.Series) -> Converted:
    """`five`, `4星`, `５` -> numbers; the scale (5, 10 or 100) is inferred from the values; values
    outside it, negatives and unreadable text fail; `N/A` and empty are null."""

    non_finite_u: list[bool] = []

    def parse(uniq: pd.Series) -> tuple[pd.Series, pd.Series]:
        nums = uniq.map(_rating_number)
        non_finite_u.extend(
            _non_finite_text(_RATING_SUFFIX.sub("", unicodedata.normalize("NFKC", u))) for u in uniq
        )
        reasons = _why(
            uniq, nums, non_finite_u, "rating '{u}' is not a finite number", "unreadable rating '{u}'"
        )
        return nums.astype("float64"), reasons

    values, empty, failed, reasons, codes = _by_unique(series, parse)
    non_finite = np.asarray(non_finite_u, dtype=bool)[codes] & failed
    numbers = values.to_numpy(float)
    readable = ~empty & ~failed
    positive = numbers[readable & (numbers > 0)]
    scale = next((s for s in (5, 10, 100) if positive.size and np.mean(positive <= s) >= 0.95), 100)
    whole = bool(positive.size) and bool(np.all(positive == np.round(positive)))
    low = (1.0 if whole else 0.5) if scale == 5 else 0.0  # whole stars are 1-5; half stars start at 0.5
    out_of_range = readable & ((numbers < low) | (numbers > scale))
    for raw_value in pd.unique(series[out_of_range].astype("str").str.strip()):
        reasons[str(raw_value)] = f"rating {raw_value} is outside the {low:g}-{scale} scale"
    numbers = np.where(out_of_range, np.nan, numbers)
    notes = (
        (Note(f"rating scale inferred as {low:g}-{scale}", f"评分范围推断为 {low:g}-{scale}"),)
        if positive.size
        else ()
    )
    return Converted(
        pd.Series(numbers, index=series.index),
        empty,
        failed | out_of_range,
        reasons,
        notes,
        failed_as=(("non_finite_rating", non_finite),),
    )


# --- numbers ---------------------------------------------------------------------------------------
_CURRENCY = re.compile(r"[£$€¥￥\s]|RMB|CNY|元")


def parse_numbers(series: pd.Series, *, what: str = "number") -> Converted:
    """Plain numbers; currency signs dropped; a column whose only separator is `,` reads it as a
    decimal comma (noted)."""
    text = series.astype("str").str.strip()
    sample = text[text != ""]
    decimal_comma = (
        bool(len(sample))
        and not sample.str.contains(".", regex=False).any()
        and sample.str.fullmatch(r"[+-]?[£$€¥￥]?\d+(,\d+)?").all()
        and sample.str.contains(",", regex=False).any()
    )

    def parse(uniq: pd.Series) -> tuple[pd.Series, pd.Series]:
        cleaned = uniq.astype("str").map(lambda v: _CURRENCY.sub("", unicodedata.normalize("NFKC", v)))
        if decimal_comma:
            cleaned = cleaned.str.replace(",", ".", regex=False)
        nums = pd.to_numeric(cleaned, errors="coerce").astype("float64")
        non_finite_u.extend(np.isinf(nums) | cleaned.map(_non_finite_text).to_numpy(bool))
        nums[np.asarray(non_finite_u)] = np.nan
        reasons = _why(
            uniq, nums, non_finite_u, what + " '{u}' is not a finite number", "unreadable " + what + " '{u}'"
        )
        return nums, reasons

    non_finite_u: list[bool] = []
    values, empty, failed, reasons, codes = _by_unique(series, parse)
    non_finite = np.asarray(non_finite_u, dtype=bool)[codes] & failed
    notes = (
        (Note(f"decimal comma read in the {what} column", f"{what} 列中的小数逗号已按小数点读取"),)
        if decimal_comma
        else ()
    )
    return Converted(
        values.astype("float64"),
        empty,
        failed,
        reasons,
        notes,
        failed_as=((f"non_finite_{what}", non_finite),),
    )


# --- timestamps ------------------------------------------------------------------------------------
_FORMATS = (
    "ISO8601",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y年%m月%d日%H时%M分",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%m %d, %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%B %d, %Y",
)
_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
# datetime64[ns], the events' timestamp type, spans 1677-09-21 .. 2262-04-11
_MIN_SECONDS = pd.Timestamp.min.value / 1e9
_MAX_SECONDS = pd.Timestamp.max.value / 1e9
_RANGE = f"{pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d}"


def parse_timestamps(series: pd.Series) -> Converted:
    """Explicit formats tried per unique value (never pandas' guess from the first row): ISO 8601
    (zones -> UTC), `2024/01/04 12:00`, `2024年1月5日`, epoch seconds/milliseconds, `dd/mm/yyyy` or
    `mm/dd/yyyy` (decided from values > 12; month-first is assumed and noted when none decides).
    Result: naive UTC datetime64. Impossible dates such as `2024-02-30` fail with a reason."""
    notes: list[str] = []

    beyond_u: list[bool] = []

    def parse(uniq: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = uniq.astype("str")
        odd = np.flatnonzero(~_plain_ascii(text))  # NFKC and strip change only non-ASCII values
        if len(odd):
            text.iloc[odd] = [unicodedata.normalize("NFKC", v).strip() for v in text.iloc[odd]]
        out = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
        # readable, but outside datetime64[ns]; ISO dates with a 5-digit or negative year are so outright
        beyond = text.str.match(r"(?:[+-]\d{4,}|\d{5,})-\d{2}-\d{2}").astype(bool)
        epoch = text.str.fullmatch(r"\d{9,13}(\.\d+)?")
        if epoch.any():
            numbers = pd.to_numeric(text[epoch], errors="coerce")
            millis = numbers >= 1e11
            fits = numbers.where(~millis, numbers / 1000).between(_MIN_SECONDS, _MAX_SECONDS)
            beyond[fits.index[~fits]] = True
            for unit, chosen in (("s", fits & ~millis), ("ms", fits & millis)):
                out[chosen.index[chosen]] = pd.to_datetime(numbers[chosen], unit=unit)
            notes.append(Note("numeric times read as Unix epoch (seconds; milliseconds when >= 1e11)",
                              "数字时间按 Unix 时间戳读取（秒；>= 1e11 时按毫秒）"))  # fmt: skip
        formats = list(_FORMATS)
        slashed = text.str.match(_SLASH.pattern).to_numpy(bool)  # Arrow's regex first: extract is per value
        slash = text[slashed].str.extract(_SLASH).dropna().astype(int)
        if len(slash):
            if (slash[0] > 12).any():
                order = "%d/%m/%Y"
            else:
                order = "%m/%d/%Y"
                if not (slash[1] > 12).any():
                    notes.append(Note("dates like 01/02/2024 are ambiguous; read as month/day/year (US order)",
                                      "01/02/2024 这类日期有歧义，已按 月/日/年（美式）读取"))  # fmt: skip
            formats += [order + t for t in (" %H:%M:%S", " %H:%M", "")]
            formats += [order.replace("/", ".") + t for t in (" %H:%M:%S", " %H:%M", "")]
        zoned = False
        for fmt in formats:
            todo = out.isna() & ~beyond & ~epoch & (text != "")
            if not todo.any():
                break
            # pandas picks the resolution (us for strings), so year 9999 parses here and is range-checked
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
            if fmt == "ISO8601" and parsed.notna().any():
                zoned = bool(text[todo][parsed.notna()].str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$").any())
            fits = parsed.isna() | parsed.between(pd.Timestamp.min, pd.Timestamp.max)
            beyond[fits.index[~fits]] = True
            out[fits.index[fits]] = parsed[fits].astype("datetime64[ns]")
        if zoned:
            notes.append(Note("times with a zone offset were converted to UTC; times without one are taken as UTC",
                              "带时区的时间已换算为 UTC；不带时区的时间按 UTC 处理"))  # fmt: skip
        beyond_u.extend(beyond.to_numpy(bool))
        reasons = _why(
            uniq,
            out,
            beyond,
            "timestamp '{u}' is outside the supported range (" + _RANGE + ")",
            "unreadable or impossible timestamp '{u}'",
        )
        return out, reasons

    values, empty, failed, reasons, codes = _by_unique(series, parse)
    beyond_rows = np.asarray(beyond_u, dtype=bool)[codes] & failed
    return Converted(
        values.astype("datetime64[ns]"),
        empty,
        failed,
        reasons,
        tuple(dict.fromkeys(notes)),
        failed_as=(("timestamp_out_of_range", beyond_rows),),
    )


# --- event types -----------------------------------------------------------------------------------
def parse_event_types(series: pd.Series, *, extra: Mapping[str, str] | None = None) -> Converted:
    """EN/ZH synonyms -> core.data.EVENT_TYPES; unknown values fail with the value in the reason."""

    def parse(uniq: pd.Series) -> tuple[pd.Series, pd.Series]:
        mapped = uniq.map(lambda v: normalize_event_type(str(v), extra))
        reasons = pd.Series(
            [f"unknown event type '{u}'" if pd.isna(m) else None for u, m in zip(uniq, mapped, strict=True)],
            dtype=object,
        )
        return mapped.astype(object), reasons

    values, empty, failed, reasons, _ = _by_unique(series, parse)
    return Converted(values, empty, failed, reasons)

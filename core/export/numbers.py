"""How numbers are shown to people: counts, money, shares and plain decimals, in English and 中文.

One place for every page, the HTML report and the CLI, so a card and an export can never disagree
on a magnitude. Separators come from Babel (CLDR data); compact forms use the locale's own units
(k / M / B in English; 万 / 亿 in Chinese) with three significant digits. Values below
`COMPACT_FROM` are always written out in full; counts never get decimals.
"""

from __future__ import annotations

import math
from typing import Any

from babel.numbers import format_decimal, format_percent

COMPACT_FROM = 10_000  # below this a compact form would hide digits for no gain in width
SIGNIFICANT = 3  # digits a compact value keeps: at most 0.5% from the exact figure
_LOCALES = {"en": "en", "zh": "zh_CN"}
# Compact units, largest first (CLDR short forms: K/M/B in English, 万/亿 in Chinese).
_UNITS = {
    "en": ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")),
    "zh": ((1e12, "万亿"), (1e8, "亿"), (1e4, "万")),
}
DASH = "—"


def _locale(lang: str) -> str:
    return _LOCALES.get(lang, "en")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _compact(value: float, lang: str) -> str:
    """Three significant digits in the locale's unit: 431,687 -> 432k / 43.2万; 2,345,678 -> 2.35M."""
    units = _UNITS.get(lang, _UNITS["en"])
    size, suffix = next(((u, name) for u, name in units if abs(value) >= u), units[-1])
    mantissa = value / size
    digits = len(str(int(abs(mantissa))))
    mantissa = round(mantissa, max(0, SIGNIFICANT - digits))
    bigger = [(u, name) for u, name in units if u > size]
    if bigger and abs(mantissa) * size >= bigger[-1][0]:  # 999,960 rounds up to 1M, not "1000k"
        size, suffix = bigger[-1]
        mantissa = round(value / size, SIGNIFICANT - 1)
    pattern = "#,##0." + "#" * SIGNIFICANT
    return format_decimal(mantissa, format=pattern, locale=_locale(lang)) + suffix


def count(value: Any, lang: str = "en", *, compact: bool = False) -> str:
    """A whole number: 1,208 (never 1,208.00); compact from 10,000: 43.2k / 4.3万. None/NaN -> —."""
    number = _finite(value)
    if number is None:
        return DASH
    whole = round(number)
    if compact and abs(whole) >= COMPACT_FROM:
        return _compact(whole, lang)
    return format_decimal(whole, format="#,##0", locale=_locale(lang))


def money(value: Any, lang: str = "en", *, compact: bool = False) -> str:
    """An amount with two decimals: 431,687.58; compact from 10,000: 431.7k / 43.2万. No currency sign:
    the data does not say which currency it is in."""
    number = _finite(value)
    if number is None:
        return DASH
    if compact and abs(number) >= COMPACT_FROM:
        return _compact(number, lang)
    return format_decimal(number, format="#,##0.00", locale=_locale(lang))


def share(value: Any, lang: str = "en", *, digits: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> 12.3%."""
    number = _finite(value)
    if number is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(number, format=pattern, locale=_locale(lang))


def decimal(value: Any, lang: str = "en", *, digits: int = 2, signed: bool = False) -> str:
    """A measured quantity (a mean rating, a stability): 4.27; signed: +0.31 / -0.12."""
    number = _finite(value)
    if number is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(number, format=pattern, locale=_locale(lang))

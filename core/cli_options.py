"""Command-line option types and checks: every value is validated while the arguments are parsed,
before any data is read, and a bad one ends the run with one `error: English / 中文` line, exit 2.

`Parser` is the argparse parser of `python -m core`: argparse's own errors (unknown option, missing
argument) take the same one-line form. The type functions below are argparse `type=` callables;
`writable_dir` and `writable_file` check output paths up front, so a run never computes for
minutes and then finds it cannot write.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pandas as pd


MAX_SEED = 2**32 - 1  # numpy and scikit-learn seeds are unsigned 32-bit
MAX_HALF_LIFE_DAYS = 365_000.0  # a thousand years: beyond that "no decay" (0) is what is meant
MAX_TOP_K = 1_000  # further bounded by the catalogue size at run time
MAX_K = 10**9  # really bounded by the number of users, checked when they are known


class OptionError(argparse.ArgumentTypeError):
    """A bad option value, with the Chinese text kept for the one-line error."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh


class Parser(argparse.ArgumentParser):
    """argparse with one bilingual `error:` line on stderr (exit 2) instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        exc = sys.exc_info()[1]  # argparse calls error() while handling an ArgumentError
        cause = getattr(exc, "__context__", None)
        if isinstance(cause, OptionError):
            zh = f"参数 {getattr(exc, 'argument_name', '') or ''}：{cause.message_zh}"
        else:
            zh = f"命令行参数无效：{message}"
        line = f"error: {message} (see {self.prog} --help) / {zh}"
        self.exit(2, " ".join(line.split()) + "\n")


def _bad(en: str, zh: str) -> OptionError:
    return OptionError(en, zh)


def _integer(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _bad(
            f"{name} must be a whole number, got {text[:40]!r}.", f"{name} 必须是整数，当前为 {text[:40]!r}。"
        ) from None


def seed(text: str) -> int:
    """A random seed: a whole number in 0..2^32-1."""
    value = _integer(text, "the seed")
    if not 0 <= value <= MAX_SEED:
        raise _bad(
            f"the seed must be between 0 and {MAX_SEED:,}, got {value}.",
            f"随机种子必须在 0 到 {MAX_SEED:,} 之间，当前为 {value}。",
        )
    return value


def half_life(text: str) -> float:
    """Recency half-life in days: a finite number >= 0 (0 = no decay)."""
    try:
        value = float(text)
    except ValueError:
        raise _bad(
            f"the half-life must be a number of days, got {text[:40]!r}.",
            f"半衰期必须是天数，当前为 {text[:40]!r}。",
        ) from None
    if not math.isfinite(value) or not 0 <= value <= MAX_HALF_LIFE_DAYS:
        raise _bad(
            f"the half-life must be between 0 (no decay) and {MAX_HALF_LIFE_DAYS:,.0f} days, got {text[:40]}.",
            f"半衰期必须在 0（不衰减）到 {MAX_HALF_LIFE_DAYS:,.0f} 天之间，当前为 {text[:40]}。",
        )
    return value


def bounded_int(name: str, low: int, high: int) -> Callable[[str], int]:
    """A type function for a whole number in [low, high]."""

    def parse(text: str) -> int:
        value = _integer(text, name)
        if not low <= value <= high:
            raise _bad(
                f"expected a whole number from {low:,} to {high:,}, got {value}.",
                f"应为 {low:,} 到 {high:,} 之间的整数，当前为 {value}。",
            )
        return value

    return parse


def k_or_auto(text: str) -> int | None:
    """A number of segments (2 or more; at most the number of users, checked later) or 'auto' (None)."""
    if text.strip().lower() == "auto":
        return None
    try:
        return bounded_int("K", 2, MAX_K)(text)
    except OptionError as exc:
        raise _bad(
            f"K must be between 2 and the number of users, or 'auto': {exc}",
            f"K 必须在 2 到用户数之间，或为 “auto”：{exc.message_zh}",
        ) from None


def cutoff(text: str) -> pd.Timestamp:
    """A cut-off date or time; one with a time-zone offset is converted to UTC (events are in UTC)."""
    import pandas as pd

    try:
        value = pd.Timestamp(text.strip())
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        value = pd.NaT
    if value is pd.NaT or pd.isna(value):
        raise _bad(
            f"the cut-off {text[:40]!r} is not a date; use e.g. 2024-03-01 or 2024-03-01T12:00+08:00.",
            f"截止日期 {text[:40]!r} 不是日期；请使用如 2024-03-01 或 2024-03-01T12:00+08:00。",
        )
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value


def _nearest_existing(path: Path) -> Path:
    for parent in (path, *path.parents):
        if parent.exists():
            return parent
    return Path(".")


def _check_creatable(path: Path, what_en: str, what_zh: str, *, inside: bool = False) -> None:
    """Probe the nearest existing folder with a real (removed) temporary folder: permission bits
    say nothing for root, read-only mounts or /proc."""
    base = _nearest_existing(path if inside else path.parent)
    try:
        if not base.is_dir():
            raise NotADirectoryError(str(base))
        os.rmdir(tempfile.mkdtemp(prefix=".interest-lens-probe-", dir=base))
    except OSError:
        raise _bad(
            f"cannot write the {what_en} '{path}': '{base}' is not a writable folder.",
            f"无法写入{what_zh}“{path}”：“{base}”不是可写的文件夹。",
        ) from None


def writable_dir(text: str) -> Path:
    """An output folder: an existing writable folder, or one that can be created."""
    path = Path(text).expanduser()
    if not text.strip():
        raise _bad("the output folder is empty.", "输出文件夹为空。")
    if path.exists() and not path.is_dir():
        raise _bad(f"'{text}' is an existing file; give a folder.", f"“{text}”是已有文件，请指定文件夹。")
    # The run stages its files inside the folder (or beside it when it is new): probe exactly there.
    _check_creatable(path, "output folder", "输出文件夹", inside=True)
    return path


def writable_file(text: str) -> Path:
    """An output file: not a folder, and its folder exists or can be created, and is writable."""
    path = Path(text).expanduser()
    if not text.strip() or path.is_dir():
        raise _bad(
            f"'{text}' is a folder; give a file name such as assigned.csv.",
            f"“{text}”是文件夹，请指定文件名，如 assigned.csv。",
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise _bad(f"the output file '{text}' is not writable.", f"输出文件“{text}”不可写。")
    _check_creatable(path, "output file", "输出文件")
    return path


def existing_file(text: str) -> Path:
    """An input file that exists and is a regular file."""
    path = Path(text).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        what_zh = "是文件夹" if path.is_dir() else "不存在"
        raise _bad(f"the file '{text}' {what}.", f"文件“{text}”{what_zh}。")
    return path


def k_range(text: str) -> tuple[int, int]:
    """The K advisor's actionable range, `LOW-HIGH` (e.g. 4-12), for analyze and evaluate alike."""
    from core.config import parse_k_range

    try:
        return parse_k_range(text)
    except ValueError as exc:
        raise _bad(f"{exc}.", f"格式应为 4-12（{exc}）。") from None

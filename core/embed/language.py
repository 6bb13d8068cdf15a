"""Which script the item texts are written in: shares of Han (CJK), Latin and other letters.

`detect_language(texts)` counts letters only (digits, punctuation, spaces and emoji are ignored)
over a seeded sample of at most SAMPLE_TEXTS texts, and names a primary language:
    zh      Han characters are at least PRIMARY_SHARE of the letters
    en      Latin letters are at least PRIMARY_SHARE
    mixed   Han + Latin are at least PRIMARY_SHARE together, neither alone
    other   anything else (Cyrillic, Arabic, Thai, ...), or no letters at all ("none" then)
The Han share is what the hybrid representation's weighting rule reads (core/embed/hybrid.py).
Kana and Hangul count as "other": the Chinese word segmenter (jieba) does not read them.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

SAMPLE_TEXTS = 20_000  # texts looked at (seeded sample when there are more)
PRIMARY_SHARE = 0.6  # share of the letters a script needs to name the primary language

_HAN_RANGES = (
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2FA1F),  # Extensions B-F and compatibility supplement
)


def is_han(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN_RANGES)


@dataclass(frozen=True)
class LanguageProfile:
    """Shares of the letters in a dataset's item texts (they sum to 1 when there are letters)."""

    primary: str  # zh | en | mixed | other | none
    han_share: float
    latin_share: float
    other_share: float
    n_texts: int  # texts looked at
    n_letters: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: 'Chinese (zh): 82% Han, 15% Latin, 3% other letters'."""
        names = {"zh": "Chinese", "en": "English", "mixed": "Chinese and English", "other": "other scripts"}
        if self.primary == "none":
            return "no letters in the item texts"
        return (
            f"{names.get(self.primary, self.primary)} ({self.primary}): {self.han_share:.0%} Han, "
            f"{self.latin_share:.0%} Latin, {self.other_share:.0%} other letters"
        )

    def describe_zh(self) -> str:
        names = {"zh": "中文", "en": "英文", "mixed": "中英混合", "other": "其他文字"}
        if self.primary == "none":
            return "条目文本中没有文字"
        return (
            f"{names.get(self.primary, self.primary)}：汉字 {self.han_share:.0%}，"
            f"拉丁字母 {self.latin_share:.0%}，其他文字 {self.other_share:.0%}"
        )


def _primary(han: float, latin: float, letters: int) -> str:
    if letters == 0:
        return "none"
    if han >= PRIMARY_SHARE:
        return "zh"
    if latin >= PRIMARY_SHARE:
        return "en"
    if han + latin >= PRIMARY_SHARE and han > 0 and latin > 0:
        return "mixed"
    return "other"


def detect_language(texts: Sequence[object], *, seed: int = 0) -> LanguageProfile:
    """The script shares of `texts` (None/NaN skipped); cheap: a seeded sample of SAMPLE_TEXTS."""
    pool = [str(t) for t in texts if t is not None and not (isinstance(t, float) and t != t)]
    if len(pool) > SAMPLE_TEXTS:
        pool = random.Random(seed).sample(pool, SAMPLE_TEXTS)
    han = latin = other = 0
    for text in pool:
        for char in text:
            if not char.isalpha():
                continue
            if is_han(char):
                han += 1
            elif char.isascii() or unicodedata.name(char, "").startswith("LATIN"):
                latin += 1
            else:
                other += 1
    letters = han + latin + other
    total = max(letters, 1)
    return LanguageProfile(
        primary=_primary(han / total, latin / total, letters),
        han_share=round(han / total, 4),
        latin_share=round(latin / total, 4),
        other_share=round(other / total, 4),
        n_texts=len(pool),
        n_letters=letters,
    )

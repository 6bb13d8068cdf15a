"""Text helpers shared by every embedder: whitespace normalisation and de-duplication."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalise_text(text: object) -> str:
    """Collapse runs of whitespace to one space and strip; None/NaN become ""."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return " ".join(str(text).split())


def unique_texts(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(unique texts in first-seen order, (n,) int64 index of each input text in that list)."""
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64, count=len(texts))
    return list(index), inverse

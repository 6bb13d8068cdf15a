"""Domain errors with a message a person can act on, in English and Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InterestLensError(Exception):
    """Base error: carries a bilingual, user-facing message (no traceback is ever shown)."""

    def __init__(
        self,
        message_en: str,
        message_zh: str = "",
        *,
        code: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        # `code` names the failure for a UI that words it itself (the messages above may name CLI
        # flags); `details` holds the values such a message needs (column names, counts).
        self.code = code
        self.details: dict[str, Any] = dict(details or {})

    def bilingual(self) -> str:
        """Both languages on one line, as the CLI prints it."""
        if self.message_zh and self.message_zh != self.message_en:
            return f"{self.message_en} / {self.message_zh}"
        return self.message_en

    def message(self, lang: str = "en") -> str:
        return self.message_zh if lang.startswith("zh") else self.message_en

    def __str__(self) -> str:
        return self.bilingual()


class IngestError(InterestLensError):
    """The uploaded data cannot be read or has no usable rows."""


class ConfigError(InterestLensError):
    """An option is out of range or does not fit the data."""


class EmbeddingError(InterestLensError):
    """The model cannot be loaded or failed while embedding."""


class AnalysisError(InterestLensError):
    """A pipeline stage failed on otherwise valid input."""


class PlausibilityError(IngestError):
    """The file was read but the result looks like a wrong mapping (core.ingest.plausibility)."""

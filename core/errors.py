"""Domain errors with a message a person can act on, in English and Chinese."""

from __future__ import annotations


class InterestLensError(Exception):
    """Base error: carries a bilingual, user-facing message (no traceback is ever shown)."""

    def __init__(self, message_en: str, message_zh: str = "") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en

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

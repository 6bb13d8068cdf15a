"""A user-facing note in both languages (ingest notes, recommendation reasons): `Note(en, zh)` is the
English `str` (so the CLI, JSON report, exports and bundle read it as before) that also carries its Chinese wording in `.zh` for the page."""

from __future__ import annotations


class Note(str):
    """English text (the `str` value) with the same note in Chinese in `.zh`."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Note:
        note = super().__new__(cls, en)
        note.zh = zh
        return note

    def __reduce__(self) -> tuple[type[Note], tuple[str, str]]:  # pickled by Streamlit's cache
        return (Note, (str(self), self.zh))


def in_language(text: str, lang: str) -> str:
    """`text` in `lang` ("en"/"zh"): a Note's Chinese, else the text as it is."""
    return getattr(text, "zh", text) if lang.startswith("zh") else str(text)

"""User and item ids are kept exactly as written (`u1`, ` u1` and `u1<NBSP>` are three ids); this
module names the ids that differ only by whitespace, for a report warning."""

from __future__ import annotations

import pandas as pd

from core.notes import Note

_SHOWN = 5


def whitespace_variants(ids: pd.Series, what: str) -> str | None:  # a core.notes.Note
    """A warning listing ids (n,) str that equal another id once all whitespace (NBSP and full-width
    spaces included) is removed, or None when there are none."""
    unique = pd.Series(pd.unique(ids.astype("str")), dtype="str")
    squeezed = unique.str.replace(r"\s+", "", regex=True)
    clashing = squeezed.duplicated(keep=False)
    if not clashing.any():
        return None
    groups = unique[clashing].groupby(squeezed[clashing].to_numpy(), sort=False)
    shown = "; ".join(" / ".join(repr(v) for v in group) for _, group in list(groups)[:_SHOWN])
    what_zh = {"user": "用户", "item": "商品"}.get(what, what)
    return Note(
        f"{groups.ngroups:,} group(s) of {what} ids differ only by spaces; they are kept apart, exactly "
        f"as written (e.g. {shown}). Fix the source if they are the same {what}.",
        f"有 {groups.ngroups:,} 组{what_zh}ID 只差空格，已按原样分开保留（例如 {shown}）。"
        f"如果它们是同一{what_zh}，请修正源数据。",
    )

"""Output column names for the user's own columns, chosen so they can never collide with the names
the pipeline uses itself (core.data: the canonical columns, `source_row`, and every name starting
with `_`, which later stages add as scratch columns)."""

from __future__ import annotations

from collections.abc import Iterable

from core.data import INTERNAL_PREFIX


def attribute_names(columns: Iterable[str], reserved: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """{source column: output name} and one report warning per renamed column. A reserved name (or one
    starting with `_`) becomes `attr_<name>`, numbered when that is taken too; no two outputs clash."""
    columns = list(columns)
    taken = set(reserved)
    wanted = [c for c in columns if c not in taken and not c.startswith(INTERNAL_PREFIX)]
    taken.update(wanted)  # the user's own names win over the renamed ones
    names: dict[str, str] = {}
    warnings: list[str] = []
    for column in columns:
        if column in wanted:
            names[column] = column
            continue
        name = f"attr_{column}"
        k = 2
        while name in taken:
            name, k = f"attr_{column} ({k})", k + 1
        taken.add(name)
        names[column] = name
        warnings.append(
            f"Column '{column}' is kept as attribute '{name}': its name is used by Interest Lens itself."
        )
    return names, warnings

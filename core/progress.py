"""Progress reporting shared by every long-running core function."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """`progress(fraction, message)`: fraction in [0, 1] of the current stage."""

    def __call__(self, fraction: float, message: str) -> None: ...


def no_progress(fraction: float, message: str) -> None:
    """Default callback: ignore progress."""


def scaled(progress: Progress | None, start: float, end: float) -> Progress:
    """A callback mapping [0, 1] of a sub-step into [start, end] of the parent's range."""
    parent = progress or no_progress

    def _inner(fraction: float, message: str) -> None:
        parent(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return _inner

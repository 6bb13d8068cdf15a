"""Control groups: a random, seeded share of every segment held out of a campaign, so its uplift can
be measured later (members CSV / Excel / bundle assignments get a boolean `control` column).

A user is in control when a hash of (seed, user id) falls below the share: the draw is deterministic
per user and seed, independent of the segment and of the other users, so a refresh with the same seed
keeps exactly the same users in control. Each segment's control share is binomial around `share`
(standard deviation sqrt(share * (1 - share) / size)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import ConfigError

MAX_SHARE = 0.5


@dataclass(frozen=True)
class ControlGroup:
    share: float = 0.0  # 0 = no control group
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= MAX_SHARE:
            raise ConfigError(
                f"The control-group share must be between 0 and {MAX_SHARE}; got {self.share}.",
                f"对照组比例必须在 0 到 {MAX_SHARE} 之间，当前为 {self.share}。",
                code="control_share",
            )

    @property
    def on(self) -> bool:
        return self.share > 0


def draw(user_id: str, seed: int) -> float:
    """A uniform number in [0, 1) from (seed, user id): the same on every run and machine."""
    digest = hashlib.sha256(f"{seed}\x00{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def control_flags(user_ids: Sequence[str], group: ControlGroup) -> np.ndarray:
    """(n,) bool: which users are held out."""
    if not group.on:
        return np.zeros(len(user_ids), dtype=bool)
    return np.array([draw(str(u), group.seed) < group.share for u in user_ids], dtype=bool)

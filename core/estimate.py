"""How long a run will take on this machine, from its measured speed.

The embedding model's speed is measured on this machine: by the first, small block of a run's own
texts (`Embedder.chars_per_s`, a few seconds in), or by the last embedding in this process. Every
other stage is scaled by the same measurement: a machine (or a busy one) that embeds half as fast
also clusters and draws the map about half as fast. The per-stage costs below were measured on
Online Retail; docs/design-notes.md has estimate-versus-actual figures for Online Retail and MovieLens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.embed.embedding import PER_TEXT_CHARS

# Reference machine speed (characters of text embedded per second) at which the constants below
# hold; a measured speed s gives every non-embedding stage a factor REFERENCE / s. The constants are
# the geometric mean of two cold Online Retail runs on this shared 2-core machine under different
# loads (load average about 4 and about 15), each scaled to the reference speed.
REFERENCE_CHARS_PER_S = 1_000.0
PROFILE_S_PER_EVENT = 7.0e-7
ADVISOR_S_PER_USER = 3.7e-4  # K advisor: k-means for each K in 2..12 on at most ADVISOR_USERS
ADVISOR_USERS = 10_000
SEGMENT_S_PER_USER = 2.3e-4
MAP_S_PER_USER = 1.5e-3  # UMAP with compiled kernels, on at most MAP_USERS (the rest are transformed)
MAP_USERS = 20_000
MAP_COMPILE_S = 20.0  # numba compiles UMAP's kernels once per machine (then they load from disk)
INSIGHTS_S_PER_EVENT = 1.5e-5
INSIGHTS_S_FIXED = 2.0
KEYWORD_CHARS = 30 * 8 * (12 + PER_TEXT_CHARS)  # keyword candidates embedded: 30 terms x ~8 segments


@dataclass(frozen=True)
class RunEstimate:
    """Seconds per stage for one run, and the measured speed they come from."""

    stages: dict[str, float]  # embed, profiles, k_advice, segment, projection, insights
    chars_per_s: float
    texts_to_embed: int

    @property
    def total(self) -> float:
        return float(sum(self.stages.values()))

    def remaining(self, done: Sequence[str]) -> float:
        """Seconds left once the named stages have finished."""
        return float(sum(v for k, v in self.stages.items() if k not in set(done)))


def text_work(texts: Sequence[str]) -> int:
    """Characters of work for embedding these texts (the unit `Embedder.chars_per_s` counts in)."""
    return int(sum(len(t) + PER_TEXT_CHARS for t in texts))


@dataclass(frozen=True)
class RunWork:
    """What a run has to do, counted before it starts (no model call)."""

    chars_to_embed: int  # text_work of the texts the cache does not hold
    texts_to_embed: int
    n_users: int
    n_events: int
    auto_k: bool = True  # the K advisor runs
    map_compiled: bool = True  # UMAP's kernels are in numba's disk cache
    prepared: bool = False  # embeddings and profiles are reused (a K or method change)


def estimate_run(work: RunWork, chars_per_s: float) -> RunEstimate:
    """Seconds per stage for `work` on a machine that embeds `chars_per_s` characters per second
    (measured by `measure_speed` or by the last embedding, `Embedder.chars_per_s`)."""
    speed = max(float(chars_per_s), 1.0)
    factor = REFERENCE_CHARS_PER_S / speed
    stages = {
        "embed": 0.0 if work.prepared else work.chars_to_embed / speed,
        "profiles": 0.0 if work.prepared else PROFILE_S_PER_EVENT * work.n_events * factor,
        "k_advice": ADVISOR_S_PER_USER * min(work.n_users, ADVISOR_USERS) * factor if work.auto_k else 0.0,
        "segment": SEGMENT_S_PER_USER * work.n_users * factor,
        "projection": (
            MAP_S_PER_USER * min(work.n_users, MAP_USERS) + (0.0 if work.map_compiled else MAP_COMPILE_S)
        )
        * factor,
        "insights": (INSIGHTS_S_FIXED + INSIGHTS_S_PER_EVENT * work.n_events) * factor
        + KEYWORD_CHARS / speed,
    }
    return RunEstimate(
        stages=stages, chars_per_s=speed, texts_to_embed=0 if work.prepared else work.texts_to_embed
    )


# Where each stage starts, as a fraction of `core.pipeline.segment_and_describe`'s progress (the
# pipeline reports these same fractions) and of `embed_and_profile`'s.
PREPARE_STARTS = (("embed", 0.0), ("profiles", 0.92))
DESCRIBE_STARTS = (("k_advice", 0.0), ("segment", 0.3), ("projection", 0.45), ("insights", 0.7))


def stage_starts(prepare_share: float) -> list[tuple[str, float]]:
    """Stage starts on the 0..1 scale of a whole run whose first `prepare_share` is embed_and_profile."""
    rest = 1.0 - prepare_share
    return [(name, at * prepare_share) for name, at in PREPARE_STARTS] + [
        (name, prepare_share + at * rest) for name, at in DESCRIBE_STARTS
    ]


class Countdown:
    """Seconds left in a running analysis: the plan's later stages plus what is left of the current
    one (from its own progress when it reports any, else from the time spent in it). When the embedder
    measures a new speed the plan is recomputed, so the estimate tightens as the run goes."""

    def __init__(self, plan: RunEstimate, starts: list[tuple[str, float]], *, replan: Any = None) -> None:
        self.plan = plan
        self.starts = starts
        self.replan = replan  # () -> RunEstimate | None: a plan from the latest measured speed
        self.first_total: float | None = None  # the whole-run estimate once speed was first measured
        self.first_speed: float | None = None  # that first measured speed (characters per second)
        self._stage, self._stage_since = "", 0.0

    def remaining(self, fraction: float, now: float) -> float:
        if self.replan is not None:
            fresh = self.replan()
            if fresh is not None:
                self.plan = fresh
                if self.first_total is None:
                    self.first_total, self.first_speed = fresh.total, fresh.chars_per_s
        names = [name for name, _ in self.starts]
        current = next((i for i in range(len(self.starts) - 1, -1, -1) if fraction >= self.starts[i][1]), 0)
        name, start = self.starts[current]
        end = self.starts[current + 1][1] if current + 1 < len(self.starts) else 1.0
        if name != self._stage:
            self._stage, self._stage_since = name, now
        planned = self.plan.stages.get(name, 0.0)
        within = (fraction - start) / (end - start) if end > start else 0.0
        left_here = (
            planned * (1.0 - within) if within > 0.01 else max(planned - (now - self._stage_since), 0.0)
        )
        later = sum(self.plan.stages.get(n, 0.0) for n in names[current + 1 :])
        return float(left_here + later)


def map_kernels_compiled() -> bool:
    """Whether UMAP's numba kernels are already compiled on this machine (in numba's disk cache)."""
    from pathlib import Path

    from core.segment.projection import numba_cache_dir

    folder = Path(numba_cache_dir())
    return folder.is_dir() and any(folder.rglob("*.nbi"))


def run_work(dataset: Any, embedder: Any, *, auto_k: bool, prepared: bool = False) -> RunWork:
    """Count what running `dataset` with `embedder` involves (a cache lookup, no model call)."""
    texts = dataset.items["text"].astype(str).tolist()
    uncached = getattr(embedder, "uncached", None)
    missing = [] if prepared else list(uncached(texts) if uncached is not None else texts)
    return RunWork(
        chars_to_embed=text_work(missing),
        texts_to_embed=len(missing),
        n_users=int(dataset.events["user_id"].nunique()),
        n_events=len(dataset.events),
        auto_k=auto_k,
        map_compiled=map_kernels_compiled(),
        prepared=prepared,
    )


def speed_of(embedder: Any) -> float | None:
    """The embedder's last measured speed on this machine (characters per second), if any."""
    value = getattr(embedder, "chars_per_s", None)
    return float(value) if value else None

"""Every knob of an analysis in one frozen object (hashable, so the UI can key caches on it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "click": 1.0,
    "favorite": 2.0,
    "cart": 2.0,
    "purchase": 3.0,
    "rating": 2.0,
    "review": 3.0,
}

# Tokens per item text the sentence model reads (longer texts are cut, and counted: summary.json
# embedding.n_truncated / max_tokens). all-MiniLM-L6-v2 reads up to 256; its English WordPiece
# vocabulary makes each Han character one token, so a 150-character Chinese text is ~150 tokens.
# max_tokens "auto" (the default) = CHINESE_MAX_TOKENS when at least CHINESE_SHARE of the letters of
# the texts being embedded are Han (there the hybrid gives the sentence part little weight), else
# DEFAULT_MAX_TOKENS. Figures behind the choice: bench/longtext_bench.py (docs/benchmarks.md).
DEFAULT_MAX_TOKENS = 128
CHINESE_MAX_TOKENS = 64
CHINESE_SHARE = 0.5
AUTO_MAX_TOKENS = "auto"


def resolve_max_tokens(value: int | str | None, han_share: float) -> int | None:
    """The token limit `value` means for texts with this Han share (None = the model's own limit)."""
    if value == AUTO_MAX_TOKENS:
        return CHINESE_MAX_TOKENS if han_share >= CHINESE_SHARE else DEFAULT_MAX_TOKENS
    return None if value is None else int(value)


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of one analysis run. Same data + same config = same segments."""

    model: str | None = None  # None = bundled all-MiniLM-L6-v2; "tfidf"; any sentence-transformers name/path
    device: str = "auto"  # auto | cpu | cuda | mps
    backend: str = "auto"  # auto | torch | onnx | onnx-int8
    representation: str = "hybrid"  # hybrid | sentence | tfidf (core/embed/hybrid.py)
    max_tokens: int | str | None = AUTO_MAX_TOKENS  # "auto" | tokens per text | None = the model's limit
    event_weights: tuple[tuple[str, float], ...] = tuple(DEFAULT_EVENT_WEIGHTS.items())
    half_life_days: float | None = 90.0  # None = no recency decay
    use_ratings: bool = True
    method: str = "kmeans"  # key of core.segment.clustering.CLUSTERERS
    k: int | None = None  # None = ask the K advisor
    k_min: int = 4  # the actionable K range of the advisor (core.segment.k_advisor)
    k_max: int = 12
    min_segment_share: float = 0.02
    seed: int = 42
    projection: str = "umap"  # umap | pca
    projection_3d: bool = False  # also compute a 3-D map (one more projection fit)
    label_column: str | None = None
    n_keywords: int = 10
    min_keyword_users: int = 3
    min_segment_size: int = 10
    pseudonymize: bool = False
    extra: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.event_weights)

    def with_(self, **changes: Any) -> AnalysisConfig:
        if "event_weights" in changes and isinstance(changes["event_weights"], dict):
            changes["event_weights"] = tuple(changes["event_weights"].items())
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["event_weights"] = dict(self.event_weights)
        out["extra"] = dict(self.extra)
        return out


def parse_k_range(text: str) -> tuple[int, int]:
    """ "4-12" -> (4, 12): the advisor's actionable K range (CLI `--k-range`); ValueError when malformed."""
    low, sep, high = str(text).partition("-")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise ValueError(f"a K range looks like 4-12, got {text!r}")
    k_min, k_max = int(low), int(high)
    if not 2 <= k_min <= k_max:
        raise ValueError(f"a K range needs 2 <= low <= high, got {text!r}")
    return k_min, k_max

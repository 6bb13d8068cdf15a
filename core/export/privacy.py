"""Privacy guards applied before anything is exported: pseudonyms, a minimum segment size, a PII scrub.

Every guard works on copies: the Analysis itself is never changed, so the analyst's own view keeps
the exact ids while a shared report shows pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from core.explain.insights import SegmentProfile

KEY_ENV = "INTEREST_LENS_PSEUDONYM_KEY"
OTHER_SEGMENT_ID = -1
OTHER_SEGMENT_NAME = "Other"
PSEUDONYM_HEX = 12  # 48 bits: expected collisions stay below 1 in 500 for a million users

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Chinese mobile numbers: 1[3-9] + 9 digits, optionally +86/0086 and separators (space, dash, dot).
_CN_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)86[\s\-.]?)?1[3-9]\d(?:[\s\-.]?\d){8}(?!\d)")
# International / generic: an optional +country code, then 7-15 digits with separators or brackets.
_PHONE = re.compile(r"(?<![\w+(])(?:\+|00)?\(?\d[\d\s\-.()]{5,18}\d(?!\w)")


@dataclass(frozen=True)
class PrivacySettings:
    """Which guards an export applies. The key is never written anywhere (repr hides it too)."""

    pseudonymize: bool = False
    min_segment_size: int = 10  # distinct users; 0 or 1 switches the guard off
    scrub_pii: bool = True
    key: bytes | None = field(
        default=None, repr=False
    )  # None: env INTEREST_LENS_PSEUDONYM_KEY or a fresh one

    def __post_init__(self) -> None:
        if self.min_segment_size < 0:
            raise ConfigError(
                f"The minimum segment size must be 0 or more; got {self.min_segment_size}.",
                f"最小分群人数必须大于等于 0，当前为 {self.min_segment_size}。",
            )

    @classmethod
    def from_config(cls, config: AnalysisConfig, **overrides: Any) -> PrivacySettings:
        base = cls(pseudonymize=config.pseudonymize, min_segment_size=config.min_segment_size)
        return replace(base, **overrides)

    def resolved(self) -> tuple[PrivacySettings, str]:
        """A copy with a key when pseudonyms are on, and where the key came from (env | given | generated)."""
        if not self.pseudonymize:
            return self, ""
        if self.key is not None:
            return self, "given"
        env_key = os.environ.get(KEY_ENV, "")
        if env_key:
            return replace(self, key=env_key.encode("utf-8")), "env"
        return replace(self, key=secrets.token_bytes(32)), "generated"


def pseudonym(user_id: str, key: bytes, *, length: int = PSEUDONYM_HEX) -> str:
    """HMAC-SHA256 of the exact id string, shortened: "u_3f9a1c2e7b4d". Stable per key."""
    digest = hmac.new(key, str(user_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return "u_" + digest[:length]


def pseudonymize_ids(user_ids: Iterable[str], key: bytes) -> dict[str, str]:
    """Map every distinct id to its pseudonym; longer pseudonyms if two ids would collide."""
    unique = list(dict.fromkeys(str(u) for u in user_ids))
    for length in (PSEUDONYM_HEX, 20, 64):
        mapping = {u: pseudonym(u, key, length=length) for u in unique}
        if len(set(mapping.values())) == len(unique):
            return mapping
    raise AssertionError("SHA-256 collision")  # pragma: no cover


def scrub_pii(text: str) -> str:
    """Replace email addresses with [email] and phone numbers (incl. Chinese mobiles) with [phone]."""
    if not text:
        return text
    out = _EMAIL.sub("[email]", str(text))
    out = _CN_MOBILE.sub("[phone]", out)
    return _PHONE.sub(_phone_or_keep, out)


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    raw = match.group(0)
    # Dates (2024-01-05), prices (1299.00) and plain counts are not phone numbers.
    looks_phone = raw.startswith(("+", "00")) or bool(re.search(r"[\s\-.()]", raw.strip()))
    if 8 <= len(digits) <= 15 and looks_phone and not re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}", raw):
        return "[phone]"
    return raw


@dataclass(frozen=True, eq=False)
class SizeGuard:
    """Segments after the minimum-size guard."""

    labels: np.ndarray  # (n_users,) int64: small segments replaced by OTHER_SEGMENT_ID
    segments: list[SegmentProfile]  # kept segments in id order, then one "Other" when anything merged
    merged_ids: list[int]  # original ids of the merged segments (never exported)
    merged_users: int


def apply_min_segment_size(
    labels: np.ndarray, segments: list[SegmentProfile], *, min_size: int = 10
) -> SizeGuard:
    """Merge segments with fewer than `min_size` distinct users into "Other".

    labels: (n_users,) one row per distinct user. The merged segments' names, keywords, top items,
    representative users and quotes are dropped; "Other" shows only its size.
    """
    labels = np.asarray(labels, dtype=np.int64)
    ids, counts = np.unique(labels, return_counts=True)
    size_of = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    merged = sorted(s.segment_id for s in segments if size_of.get(s.segment_id, 0) < min_size)
    merged += sorted(set(size_of) - {s.segment_id for s in segments} - set(merged))  # labels with no profile
    if not merged:
        return SizeGuard(labels.copy(), list(segments), [], 0)
    mask = np.isin(labels, merged)
    new_labels = np.where(mask, OTHER_SEGMENT_ID, labels)
    kept = [s for s in segments if s.segment_id not in set(merged)]
    n_other = int(mask.sum())
    total = max(len(labels), 1)
    other = _other_profile(n_other, n_other / total, len(merged))
    return SizeGuard(new_labels, [*kept, other], merged, n_other)


def _other_profile(size: int, share: float, n_merged: int) -> SegmentProfile:
    """ "Other" copies nothing from the small segments it hides, only their total size."""
    from core.explain.insights import SegmentProfile

    return SegmentProfile(
        segment_id=OTHER_SEGMENT_ID,
        name=OTHER_SEGMENT_NAME,
        size=size,
        share=share,
        keywords=[],
        sentiment={},
        mean_rating=None,
        top_items=[],
        composition={},
        revenue=None,
        representative_users=[],
        stability=None,
        extra={"merged_segments": n_merged},
    )


def scrub_segment(segment: SegmentProfile) -> SegmentProfile:
    """A copy whose free text (name, keywords, item texts, quotes) has emails and phones removed."""
    return replace(
        segment,
        name=scrub_pii(segment.name),
        keywords=[(scrub_pii(term), score) for term, score in segment.keywords],
        top_items=[
            {k: scrub_pii(v) if isinstance(v, str) else v for k, v in item.items()}
            for item in segment.top_items
        ],
        composition={
            scrub_pii(attr): [(scrub_pii(str(value)), share) for value, share in values]
            for attr, values in segment.composition.items()
        },
        extra={k: _scrub_any(v) for k, v in segment.extra.items()},
    )


def _scrub_any(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_pii(value)
    if isinstance(value, list | tuple):
        return type(value)(_scrub_any(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _scrub_any(v) for k, v in value.items()}
    return value


def privacy_summary(
    settings: PrivacySettings, *, key_source: str = "", guard: SizeGuard | None = None
) -> list[dict[str, str]]:
    """One row per guard: name, on ("on"/"off") and a sentence on what it did. Never contains the key."""
    rows = []
    if settings.pseudonymize:
        where = {
            "env": f"key from the environment variable {KEY_ENV}",
            "given": "key supplied by the caller",
            "generated": "random key generated for this run and not stored",
        }.get(key_source, "keyed")
        rows.append({"guard": "Pseudonymous user ids (HMAC-SHA256)", "on": "on", "detail": where})
    else:
        rows.append({"guard": "Pseudonymous user ids (HMAC-SHA256)", "on": "off", "detail": "exact user ids"})
    if settings.min_segment_size > 1:
        detail = f"segments with fewer than {settings.min_segment_size} users are merged into Other"
        if guard is not None and guard.merged_ids:
            detail += f"; {len(guard.merged_ids)} segment(s), {guard.merged_users} user(s) merged"
        rows.append({"guard": "Minimum segment size", "on": "on", "detail": detail})
    else:
        rows.append({"guard": "Minimum segment size", "on": "off", "detail": "every segment shown"})
    rows.append(
        {
            "guard": "Email and phone scrub in quoted text",
            "on": "on" if settings.scrub_pii else "off",
            "detail": "emails -> [email], phone numbers -> [phone]"
            if settings.scrub_pii
            else "text as uploaded",
        }
    )
    return rows

"""The schema of a project bundle's members, checked on load: a tampered or damaged bundle is
refused with one clear message (an `IngestError`) and never reaches assignment half-valid.

Checked: every config value's type and range (weights, device, half-life, seed, method, ...),
segments and assignments, and centroids that can actually separate users (finite, unit length,
at least one, ids that match the segments).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.errors import IngestError

MAX_WEIGHTS = 100  # event types in a config's weights
UNIT_TOLERANCE = 1e-3  # centroid rows are L2-normalised when saved


def invalid(reason_en: str, reason_zh: str) -> IngestError:
    return IngestError(
        f"This is not a valid Interest Lens bundle: {reason_en}",
        f"这不是有效的 Interest Lens 项目包：{reason_zh}",
    )


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _choices() -> dict[str, tuple[str, ...]]:
    from core.embed.backends import BACKENDS, DEVICES
    from core.embed.hybrid import REPRESENTATIONS
    from core.segment.clusterers import CLUSTERERS
    from core.segment.projection import PROJECTIONS

    return {
        "representation": REPRESENTATIONS,
        "device": DEVICES,
        "backend": BACKENDS,
        "method": tuple(CLUSTERERS),
        "projection": tuple(PROJECTIONS),
    }


# field -> check of the JSON value (True = acceptable); fields not listed keep their default.
_INT_RANGES = {
    "k_min": (1, 10**6),
    "k_max": (1, 10**6),
    "seed": (0, 2**32 - 1),
    "n_keywords": (0, 10**4),
    "min_keyword_users": (0, 10**9),
    "min_segment_size": (0, 10**9),
}
_BOOLS = ("use_ratings", "projection_3d", "pseudonymize")
_OPTIONAL_STRINGS = ("model", "label_column")


def _field_ok(name: str, value: Any, choices: dict[str, tuple[str, ...]]) -> bool:
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        return _is_int(value) and low <= value <= high
    if name in _BOOLS:
        return type(value) is bool
    if name in _OPTIONAL_STRINGS:
        return value is None or isinstance(value, str)
    if name in choices:
        return isinstance(value, str) and (value in choices[name] or value.startswith("cuda:"))
    if name == "k":
        return value is None or (_is_int(value) and 1 <= value <= 10**9)
    if name == "max_tokens":
        return value is None or value == "auto" or (_is_int(value) and 8 <= value <= 10**6)
    if name == "half_life_days":
        return value is None or (_is_number(value) and 0 < value <= 365_000)
    if name == "min_segment_share":
        return _is_number(value) and 0 <= value <= 1
    if name == "event_weights":
        return (
            isinstance(value, dict)
            and len(value) <= MAX_WEIGHTS
            and all(isinstance(k, str) and _is_number(v) and v >= 0 for k, v in value.items())
        )
    if name == "extra":
        return isinstance(value, dict)
    return True


def config_values(raw: Any, known: set[str]) -> dict[str, Any]:
    """AnalysisConfig keyword arguments from config.json, every value's type and range checked."""
    if not isinstance(raw, dict):
        raise invalid("config.json is not an object.", "config.json 不是对象。")
    choices = _choices()
    values = {}
    for name, value in raw.items():
        if name not in known:
            continue
        if not _field_ok(name, value, choices):
            shown = repr(value)[:60]
            raise invalid(
                f"config.json has an invalid value for {name!r}: {shown}.",
                f"config.json 中 {name!r} 的值无效：{shown}。",
            )
        values[name] = value
    if "max_tokens" in known and "max_tokens" not in raw:
        values["max_tokens"] = None  # bundles made before the token limit read texts at the model's limit
    if isinstance(values.get("event_weights"), dict):
        values["event_weights"] = tuple((k, float(v)) for k, v in values["event_weights"].items())
    values["extra"] = tuple(sorted((str(k), v) for k, v in (values.get("extra") or {}).items()))
    if values.get("half_life_days") is not None:
        values["half_life_days"] = float(values["half_life_days"])
    return values


def check_centroids(centroids: np.ndarray, centroid_ids: np.ndarray, segment_ids: set[int]) -> None:
    """Centroids (n, dim) that can place users: finite unit rows (zero rows only beside real ones),
    ids (n,) pointing at saved segments, every saved segment but "Other" (-1) with its centroid."""
    if centroids.ndim != 2 or len(centroids) == 0 or centroids.shape[1] == 0:
        raise invalid("there are no segment centroids.", "没有分群中心向量。")
    if centroid_ids.shape != (len(centroids),):
        raise invalid("centroids do not match their ids.", "中心向量与编号不符。")
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.linalg.norm(centroids.astype(np.float64), axis=1)
    unit = np.abs(norms - 1.0) <= UNIT_TOLERANCE
    if not np.isfinite(centroids).all() or not (unit | (norms == 0)).all() or not unit.any():
        raise invalid(
            "the centroids are not unit vectors (zero, huge or not finite).",
            "中心向量不是单位向量（为零、过大或非有限值）。",
        )
    ids = centroid_ids.tolist()
    real = [i for i in ids if i != -1]
    if len(real) != len(set(real)):
        raise invalid("two centroids have the same segment id.", "两个中心向量的分群编号相同。")
    if not set(ids) <= segment_ids | {-1}:
        raise invalid("a centroid points to an unknown segment.", "中心向量指向未知分群。")
    if set(segment_ids) - {-1} - set(real):
        raise invalid("a segment has no centroid.", "某个分群没有中心向量。")


def check_profiles(profiles: np.ndarray, n_users: int, dim: int) -> None:
    """profiles.npy: one finite row per assignment, as wide as the centroids."""
    if profiles.ndim != 2 or profiles.shape != (n_users, dim) or not np.isfinite(profiles).all():
        raise invalid(
            "profiles.npy does not match the assignments and centroids.", "profiles.npy 与分配表或中心不符。"
        )


def segments_frame(raw: Any) -> pd.DataFrame:
    """segments.json -> segment_id, name, size, share, keywords."""
    rows = []
    if not isinstance(raw, list) or not raw:
        raise invalid("segments.json is not a non-empty list.", "segments.json 不是非空列表。")
    for item in raw:
        ok = (
            isinstance(item, dict)
            and _is_int(item.get("segment_id"))
            and isinstance(item.get("name"), str)
            and _is_int(item.get("size"))
            and _is_number(item.get("share"))
            and isinstance(item.get("keywords"), list)
            and all(isinstance(k, str) for k in item["keywords"])
        )
        if not ok:
            raise invalid("a segment entry is malformed.", "分群条目格式错误。")
        rows.append({k: item[k] for k in ("segment_id", "name", "size", "share", "keywords")})
    frame = pd.DataFrame(rows, columns=["segment_id", "name", "size", "share", "keywords"])
    if frame["segment_id"].duplicated().any():
        raise invalid("duplicate segment ids.", "分群编号重复。")
    return frame


def assignments_frame(raw: Any, known_ids: set[int]) -> pd.DataFrame:
    """assignments.json -> user_id (str), segment_id (int64), confidence (float64 in [0, 1])."""
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(c), list) for c in ("user_id", "segment_id", "confidence")
    ):
        raise invalid("assignments.json is malformed.", "assignments.json 格式错误。")
    users, labels, confidence = raw["user_id"], raw["segment_id"], raw["confidence"]
    if not len(users) == len(labels) == len(confidence):
        raise invalid("assignment columns differ in length.", "分配表各列长度不一致。")
    if not all(isinstance(u, str) for u in users) or not all(_is_int(s) for s in labels):
        raise invalid("assignment ids have the wrong type.", "分配表编号类型错误。")
    if not all(_is_number(c) and 0.0 <= c <= 1.0 for c in confidence):
        raise invalid("a confidence is outside [0, 1].", "置信度超出 [0, 1]。")
    if not set(labels) <= known_ids:
        raise invalid("an assignment points to an unknown segment.", "分配指向未知分群。")
    frame = pd.DataFrame(
        {
            "user_id": pd.array(users, dtype=object),
            "segment_id": np.asarray(labels, dtype=np.int64),
            "confidence": np.asarray(confidence, dtype=np.float64),
        }
    )
    if "control" in raw:  # optional: a held-out control group (core.export.control)
        control = raw["control"]
        if (
            not isinstance(control, list)
            or len(control) != len(users)
            or not all(type(c) is bool for c in control)
        ):
            raise invalid("the control column is malformed.", "对照组列格式错误。")
        frame["control"] = np.asarray(control, dtype=bool)
    return frame

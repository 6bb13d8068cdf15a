"""Train/test splits of canonical events for offline evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError

SPLITS = ("temporal", "random")


@dataclass(frozen=True, eq=False)
class Split:
    """Events divided into a training part and a held-out part (row subsets of the input)."""

    train: pd.DataFrame
    test: pd.DataFrame
    kind: str  # "temporal" | "random"
    info: dict[str, Any] = field(default_factory=dict)  # seed, test_size, cutoff, counts


def temporal_split(
    events: pd.DataFrame,
    *,
    test_size: int = 5,
    cutoff: str | pd.Timestamp | None = None,
    require_history: bool = True,
) -> Split:
    """Hold out each user's last `test_size` events by time, or everything at/after `cutoff`.

    Last-N: only users with more than `test_size` events get a test part (ties keep source order).
    Cut-off: train = timestamp < cutoff, test = timestamp >= cutoff; with `require_history`, test
    events of users with no training event are dropped and counted (`info["test_users_without_history"]`).
    """
    if "timestamp" not in events or events["timestamp"].isna().all():
        raise ConfigError(
            "A temporal split needs timestamps; use the random split instead.",
            "按时间切分需要时间戳;请改用随机切分。",
        )
    ev = events[events["timestamp"].notna()]
    info: dict[str, Any] = {"kind": "temporal"}
    if cutoff is not None:
        try:
            cut = pd.Timestamp(cutoff)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConfigError(
                f"The cut-off {str(cutoff)[:40]!r} is not a date.",
                f"截止日期 {str(cutoff)[:40]!r} 不是日期。",
            ) from exc
        if cut.tzinfo is not None:  # event times are UTC without a zone
            cut = cut.tz_convert("UTC").tz_localize(None)
        is_test = (ev["timestamp"] >= cut).to_numpy()
        train, test = ev[~is_test], ev[is_test]
        info["cutoff"] = str(cut)
        if require_history:
            has = test["user_id"].isin(set(train["user_id"]))
            info["test_users_without_history"] = int(test.loc[~has, "user_id"].nunique())
            test = test[has]
    else:
        order = ev.assign(_pos=np.arange(len(ev))).sort_values(
            ["user_id", "timestamp", "_pos"], kind="stable"
        )
        from_end = order.groupby("user_id").cumcount(ascending=False).to_numpy()
        sizes = order.groupby("user_id")["user_id"].transform("size").to_numpy()
        is_test = (from_end < test_size) & (sizes > test_size)
        train = ev.loc[order.index[~is_test]].sort_index()
        test = ev.loc[order.index[is_test]].sort_index()
        info["test_size"] = int(test_size)
        info["users_too_short"] = int((order.groupby("user_id").size() <= test_size).sum())
    return Split(train, test, "temporal", _counts(info, train, test))


def random_split(events: pd.DataFrame, *, test_size: int = 5, seed: int = 42) -> Split:
    """Hold out `test_size` random events per user (users with more than `test_size` events), seeded."""
    rng = np.random.default_rng(seed)
    keys = rng.random(len(events))
    order = events.assign(_key=keys).sort_values(["user_id", "_key"], kind="stable")
    pos = order.groupby("user_id").cumcount().to_numpy()
    sizes = order.groupby("user_id")["user_id"].transform("size").to_numpy()
    is_test = (pos < test_size) & (sizes > test_size)
    train = events.loc[order.index[~is_test]].sort_index()
    test = events.loc[order.index[is_test]].sort_index()
    info = {"kind": "random", "seed": int(seed), "test_size": int(test_size)}
    return Split(train, test, "random", _counts(info, train, test))


def make_split(
    events: pd.DataFrame,
    *,
    split: str = "temporal",
    test_size: int = 5,
    cutoff: str | pd.Timestamp | None = None,
    seed: int = 42,
) -> Split:
    """Dispatch on `split` ("temporal" | "random")."""
    if split == "temporal":
        return temporal_split(events, test_size=test_size, cutoff=cutoff)
    if split == "random":
        return random_split(events, test_size=test_size, seed=seed)
    raise ConfigError(f"Unknown split {split!r}; choose temporal or random.", f"未知的切分方式 {split!r}。")


def _counts(info: dict[str, Any], train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    info.update(
        n_train_events=len(train),
        n_test_events=len(test),
        n_train_users=int(train["user_id"].nunique()),
        n_test_users=int(test["user_id"].nunique()),
    )
    return info

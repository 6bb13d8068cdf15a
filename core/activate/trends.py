"""Segment trends: segment size per week or month, and how each segment's keywords changed.

Period: weeks (ISO, Monday to Sunday) when the timestamps span at most `WEEKLY_MAX_DAYS` (26 weeks),
else calendar months. For each period P:

- active users: users with at least one event in P;
- each active user's profile is built by core.embed.profiles.build_profiles from their events up to
  the end of P (the analysis' weights, half-life and ratings; recency measured from the end of P),
  and assigned to the nearest segment centroid (core.segment.clustering.assign, as the bundle does);
- an active user without a usable profile up to then (every event weighted 0, say) is counted under
  segment -2 "Unassigned", so the sizes of a period always add up to its active users.

Keyword changes: core.explain.keywords (c-TF-IDF with lift) over the first and the last period's
members and their events in that period; `gained` are keywords of the last period not in the first,
`lost` the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.analysis import Analysis

WEEKLY_MAX_DAYS = 26 * 7
UNASSIGNED = -2  # -1 is the export's "Other" (small segments merged)
UNASSIGNED_NAME = "Unassigned"
N_KEYWORDS = 8
REPORT_MAX_EVENTS = 2_000_000  # above, the report skips the Trends sheet (one profile build per period)
SIZE_COLUMNS = ["period", "period_start", "period_end", "segment_id", "segment_name", "users", "share"]
KEYWORD_COLUMNS = ["segment_id", "segment_name", "first_keywords", "last_keywords", "gained", "lost"]


@dataclass(frozen=True, eq=False)
class Trends:
    granularity: str  # "week" | "month"
    sizes: pd.DataFrame  # SIZE_COLUMNS, one row per (period, segment), periods in time order
    active_users: pd.Series  # period label -> active users
    keywords: pd.DataFrame  # KEYWORD_COLUMNS, one row per segment

    @property
    def periods(self) -> list[str]:
        return list(self.active_users.index)

    def sheet(self, *, merged_ids: list[int], names: dict[int, str], scrub: bool) -> pd.DataFrame:
        """The Excel report's Trends sheet (see `trends_sheet`); core.export calls this, not the module."""
        return trends_sheet(self, merged_ids=merged_ids, names=names, scrub=scrub)

    def wide(self) -> pd.DataFrame:
        """Users per period (rows) and segment name (columns): for a chart."""
        return self.sizes.pivot_table(
            index="period", columns="segment_name", values="users", aggfunc="sum", fill_value=0, sort=False
        )


def choose_granularity(stamps: pd.Series) -> str:
    """ "week" when the timestamps span at most 26 weeks, else "month"."""
    span = stamps.max() - stamps.min()
    return "week" if span <= pd.Timedelta(days=WEEKLY_MAX_DAYS) else "month"


def _no_timestamps() -> ConfigError:
    return ConfigError(
        "Trends need event timestamps spanning at least two weeks; this data has none (or one week).",
        "趋势需要跨至少两周的事件时间戳；当前数据没有时间戳（或只有一周）。",
        code="trends_no_timestamps",
    )


def segment_trends(analysis: Analysis, *, granularity: str | None = None) -> Trends:
    """Segment sizes per period and keyword changes between the first and the last period."""
    from core.embed.profiles import build_profiles
    from core.segment.clustering import assign

    events = analysis.dataset.events
    if "timestamp" not in events.columns:
        raise _no_timestamps()
    stamps = pd.to_datetime(events["timestamp"], errors="coerce")
    timed = events.loc[stamps.notna()].assign(_ts=stamps[stamps.notna()])
    if timed.empty:
        raise _no_timestamps()
    granularity = granularity or choose_granularity(timed["_ts"])
    if granularity not in ("week", "month"):
        raise ConfigError(
            f"Unknown trend period {granularity!r}; use week or month.",
            f"未知的趋势周期 {granularity!r}；请使用 week 或 month。",
        )
    freq = "W-SUN" if granularity == "week" else "M"
    timed = timed.assign(_period=timed["_ts"].dt.to_period(freq))
    periods = sorted(timed["_period"].unique())
    if len(periods) < 2:
        raise _no_timestamps()

    config = analysis.config
    segmentation = analysis.segmentation
    names = analysis.segment_names
    timed = timed.sort_values("_ts", kind="stable")
    rows: list[dict[str, object]] = []
    active: dict[str, int] = {}
    members: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # period -> (user ids, labels)
    for period in periods:
        label = str(period)
        end = period.end_time
        users = pd.unique(timed.loc[timed["_period"] == period, "user_id"].astype(str))
        history = timed[(timed["_ts"] <= end) & timed["user_id"].astype(str).isin(users)]
        profiles = build_profiles(
            history,
            analysis.item_ids,
            analysis.item_vectors,
            weights=config.weights,
            half_life_days=config.half_life_days,
            use_ratings=config.use_ratings,
            reference_time=end,
        )
        labels = assign(profiles.vectors, segmentation)[0] if len(profiles) else np.array([], dtype=np.int64)
        members[label] = (np.asarray(profiles.user_ids, dtype=object).astype(str), labels)
        counts = pd.Series(labels).value_counts()
        n_active = len(users)
        active[label] = n_active
        unassigned = n_active - len(profiles)
        ids = sorted(set(range(len(segmentation.centroids))))
        for segment_id in ids + ([UNASSIGNED] if unassigned else []):
            n = unassigned if segment_id == UNASSIGNED else int(counts.get(segment_id, 0))
            rows.append(
                {
                    "period": label,
                    "period_start": period.start_time.date().isoformat(),
                    "period_end": end.date().isoformat(),
                    "segment_id": segment_id,
                    "segment_name": UNASSIGNED_NAME
                    if segment_id == UNASSIGNED
                    else names.get(segment_id, f"Segment {segment_id}"),
                    "users": n,
                    "share": round(n / n_active, 4) if n_active else 0.0,
                }
            )
    first, last = str(periods[0]), str(periods[-1])
    keywords = _keyword_changes(analysis, timed, first, last, members)
    return Trends(
        granularity=granularity,
        sizes=pd.DataFrame(rows, columns=SIZE_COLUMNS),
        active_users=pd.Series(active, name="active_users"),
        keywords=keywords,
    )


def _period_keywords(
    analysis: Analysis, events: pd.DataFrame, user_ids: np.ndarray, labels: np.ndarray
) -> list[list[str]]:
    """Per segment, the keywords of these members from their events in the period."""
    from core.explain.keywords import build_term_index, segment_keywords

    k = len(analysis.segmentation.centroids)
    if len(user_ids) == 0:
        return [[] for _ in range(k)]
    row_of = pd.Index(user_ids)
    events = events.assign(_uidx=row_of.get_indexer(events["user_id"].astype(str)))
    events = events[events["_uidx"] >= 0]
    item_ids = np.asarray(pd.unique(events["item_id"].astype(str)), dtype=object)
    cols = pd.Index(item_ids).get_indexer(events["item_id"].astype(str))
    user_items = sp.csr_matrix(
        (np.ones(len(events)), (events["_uidx"].to_numpy(), cols)), shape=(len(user_ids), len(item_ids))
    )
    items = analysis.dataset.items
    text = items.drop_duplicates("item_id").set_index("item_id")["text"] if len(items) else None
    docs = (
        text.reindex(item_ids).fillna("").astype(str).tolist() if text is not None else [""] * len(item_ids)
    )
    index = build_term_index(docs, user_items)
    found = segment_keywords(index, labels, k, n_keywords=N_KEYWORDS, min_keyword_users=2)
    return [[term for term, _ in terms] for terms in found]


def _keyword_changes(
    analysis: Analysis,
    timed: pd.DataFrame,
    first: str,
    last: str,
    members: dict[str, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    per_period = {
        label: _period_keywords(analysis, timed[timed["_period"].astype(str) == label], *members[label])
        for label in (first, last)
    }
    names = analysis.segment_names
    rows = []
    for segment_id in range(len(analysis.segmentation.centroids)):
        before, after = per_period[first][segment_id], per_period[last][segment_id]
        rows.append(
            {
                "segment_id": segment_id,
                "segment_name": names.get(segment_id, f"Segment {segment_id}"),
                "first_keywords": "; ".join(before),
                "last_keywords": "; ".join(after),
                "gained": "; ".join(t for t in after if t not in before),
                "lost": "; ".join(t for t in before if t not in after),
            }
        )
    return pd.DataFrame(rows, columns=KEYWORD_COLUMNS)


def trends_sheet(
    trends: Trends, *, merged_ids: list[int], names: dict[int, str], scrub: bool
) -> pd.DataFrame:
    """The Excel report's Trends sheet, after the export's guards: sizes per period, then the keyword
    changes (first vs last period).

    Segments merged into "Other" by the minimum-size guard are summed into Other (-1) and their
    keywords are left out; names are the exported ones; with the PII scrub on, names and keywords
    are scrubbed. Cells are neutralised by the sheet writer like every other sheet."""
    from core.export.privacy import OTHER_SEGMENT_ID, OTHER_SEGMENT_NAME, scrub_pii

    clean = scrub_pii if scrub else str
    merged = set(merged_ids)
    sizes = trends.sizes.copy()
    sizes["segment_id"] = [OTHER_SEGMENT_ID if s in merged else s for s in sizes["segment_id"]]
    sizes = sizes.groupby(["period", "period_start", "period_end", "segment_id"], as_index=False, sort=False)[
        "users"
    ].sum()
    active = sizes.groupby("period", sort=False)["users"].transform("sum")
    sizes["share"] = (sizes["users"] / active.clip(lower=1)).round(4)

    def name(segment_id: int) -> str:
        if segment_id == OTHER_SEGMENT_ID:
            return OTHER_SEGMENT_NAME
        if segment_id == UNASSIGNED:
            return UNASSIGNED_NAME
        return clean(names.get(segment_id, f"Segment {segment_id}"))

    sizes.insert(4, "segment_name", [name(int(s)) for s in sizes["segment_id"]])
    sizes.insert(0, "granularity", trends.granularity)
    keywords = trends.keywords[~trends.keywords["segment_id"].isin(merged)].copy()
    keywords["segment_name"] = [name(int(s)) for s in keywords["segment_id"]]
    for column in KEYWORD_COLUMNS[2:]:
        keywords[column] = [clean(v) for v in keywords[column]]
    keywords.insert(0, "period", f"{trends.periods[0]} -> {trends.periods[-1]}")
    keywords.insert(0, "granularity", trends.granularity)
    return pd.concat([sizes, keywords], ignore_index=True, sort=False)


def try_trends(analysis: Analysis, *, max_events: int = REPORT_MAX_EVENTS) -> Trends | None:
    """segment_trends, or None when the data has no usable timestamps or more than `max_events`
    events (the report then has no Trends sheet)."""
    if len(analysis.dataset.events) > max_events:
        return None
    try:
        return segment_trends(analysis)
    except ConfigError as exc:
        if getattr(exc, "code", "") == "trends_no_timestamps":
            return None
        raise

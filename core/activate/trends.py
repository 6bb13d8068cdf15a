"""Segment trends: segment size per week or month, and how each segment's keywords changed.

Period: weeks (ISO, Monday to Sunday) when the timestamps span at most `WEEKLY_MAX_DAYS` (26 weeks),
else calendar months. For each period P:

- active users: users with at least one event in P;
- each active user's profile is the one core.embed.profiles.build_profiles makes from their events up
  to the end of P (the analysis' weights, half-life and ratings; recency measured from the end of P),
  assigned to the nearest segment centroid (core.segment.clustering.assign, as the bundle does);
  computed for every user in one pass over the events (`_ProfileWalk`), not one profile build per
  period: 100,000 users over 26 weeks take about a second instead of a dozen;
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
from core.notes import Note

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
    events = analysis.dataset.events
    if "timestamp" not in events.columns:
        raise _no_timestamps()
    stamps = pd.to_datetime(events["timestamp"], errors="coerce").reset_index(drop=True)
    valid = stamps.dropna()
    if valid.empty:
        raise _no_timestamps()
    granularity = granularity or choose_granularity(valid)
    if granularity not in ("week", "month"):
        raise ConfigError(
            f"Unknown trend period {granularity!r}; use week or month.",
            f"未知的趋势周期 {granularity!r}；请使用 week 或 month。",
        )
    freq = "W-SUN" if granularity == "week" else "M"
    valid = valid.sort_values(kind="stable")
    order = valid.index.to_numpy()  # rows of `events` with a timestamp, in time order
    ordinals = valid.dt.to_period(freq).array.asi8  # period ordinals, non-decreasing
    starts = np.flatnonzero(np.r_[True, ordinals[1:] != ordinals[:-1]])
    if len(starts) < 2:
        raise _no_timestamps()
    periods = [pd.Period(ordinal=int(ordinals[s]), freq=freq) for s in starts]
    bounds = np.r_[starts, len(order)]

    segmentation = analysis.segmentation
    names = analysis.segment_names
    k = len(segmentation.centroids)
    walk = _ProfileWalk(analysis, events, order, valid.reset_index(drop=True))
    rows: list[dict[str, object]] = []
    active: dict[str, int] = {}
    members: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # period -> (user ids, labels)
    for p, period in enumerate(periods):
        label = str(period)
        end = period.end_time
        users, labels = walk.step(bounds[p], bounds[p + 1], end)
        members[label] = (users, labels)
        counts = pd.Series(labels).value_counts()
        n_active = walk.n_active
        active[label] = n_active
        unassigned = n_active - len(users)
        for segment_id in list(range(k)) + ([UNASSIGNED] if unassigned else []):
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
    in_period = {
        first: events.iloc[order[bounds[0] : bounds[1]]],
        last: events.iloc[order[bounds[-2] : bounds[-1]]],
    }
    keywords = _keyword_changes(analysis, in_period, first, last, members)
    return Trends(
        granularity=granularity,
        sizes=pd.DataFrame(rows, columns=SIZE_COLUMNS),
        active_users=pd.Series(active, name="active_users"),
        keywords=keywords,
    )


_RATING_SCALES = ((1.0, 5.0), (1.0, 10.0), (0.0, 100.0))  # as core.embed.profiles.rating_factor infers


class _ProfileWalk:
    """Every user's segment at the end of each period, in one pass over the events in time order.

    The segment of a profile is its nearest centroid by cosine: the argmax of `raw @ centroids.T`
    (`raw` = the weighted sum of item vectors, the profile before normalising; a positive factor per
    user changes no argmax). That is linear in the events, so per user only k numbers are carried
    from period to period: Z = sum of weight * (item_vector @ centroids.T), the weights decayed from
    the end of the current period (Z is multiplied by the decay between two period ends). Per event
    this is build_profiles' weight: type weight * rating factor * 0.5 ** (age / half-life); its
    rescaling by the user's newest event is again a positive factor per user.

    The rating factor depends on the scale inferred from the ratings of the period's history (as
    build_profiles infers it from the events it is given): Z is carried for each scale that can
    occur, and the period's scale picks one. A user whose profile build_profiles would treat
    specially (no positive weight: the unsigned fallback; a vector that may be below its zero-norm
    threshold; no usable event) gets their full vector from their events up to the end of the
    period, by build_profiles' rules (`_exact`). Result: the same segments as one build_profiles per
    period (tests/core/test_trends.py checks it against that), up to float rounding, in one pass.
    """

    def __init__(
        self, analysis: Analysis, events: pd.DataFrame, order: np.ndarray, stamps: pd.Series
    ) -> None:
        """`order`: the rows of `events` with a timestamp, in time order; `stamps`: their timestamps."""
        from core.config import DEFAULT_EVENT_WEIGHTS

        config = analysis.config
        self.analysis = analysis
        self.half_life = config.half_life_days
        # Codes in sorted-id order: sorting codes sorts user ids (as build_profiles lists them).
        codes, self.user_values = pd.factorize(events["user_id"].astype(str), sort=True)
        self.user_codes = codes[order]
        n_users = len(self.user_values)
        item_codes, item_values = pd.factorize(events["item_id"].astype(str))
        known = pd.Index(np.asarray(analysis.item_ids, dtype=object)).get_indexer(item_values)
        self.items = np.append(known, -1)[item_codes[order]]  # code -1 (missing) -> -1
        type_weights = {**DEFAULT_EVENT_WEIGHTS, **config.weights}
        if "event_type" in events.columns:
            codes, values = pd.factorize(events["event_type"].astype(str))
            per_type = np.array([type_weights.get(t, 1.0) for t in values] + [1.0], dtype=np.float64)
            self.type_weight = per_type[codes[order]]
        else:
            self.type_weight = np.ones(len(order))
        self.start = stamps.iloc[0]
        self.days = (stamps - self.start).dt.total_seconds().to_numpy(np.float64) / 86400.0
        ratings = None
        if config.use_ratings and "rating" in events.columns:
            ratings = pd.to_numeric(events["rating"], errors="coerce").to_numpy(np.float64, na_value=np.nan)[
                order
            ]
            if np.isnan(ratings).all():
                ratings = None
        self.ratings = ratings
        top = float(np.nanmax(ratings)) if ratings is not None else 0.0
        self.n_scales = 1 if top <= 5 else 2 if top <= 10 else 3
        centroids = np.asarray(analysis.segmentation.centroids, dtype=np.float64)
        self.item_sims = np.asarray(analysis.item_vectors, dtype=np.float64) @ centroids.T  # (items, k)
        k = centroids.shape[0]
        self.z = np.zeros((self.n_scales, n_users, k))
        self.positive = np.zeros((self.n_scales, n_users), dtype=np.int64)  # known events weighing > 0
        self.newest = np.full(n_users, -np.inf)  # days of each user's newest event so far
        self.top_rating = np.full(n_users, np.nan)  # each user's highest rating so far
        self.end_days: float | None = None
        self.n_active = 0

    def _scale(self, users: np.ndarray) -> int:
        if self.ratings is None:
            return 0
        top = self.top_rating[users]
        if np.isnan(top).all():
            return 0  # no rating in the history: every factor is 1 on any scale
        high = float(np.nanmax(top))
        return 0 if high <= 5 else 1 if high <= 10 else 2

    def _factor(self, scale: int, rows: slice | np.ndarray) -> np.ndarray:
        """core.embed.profiles.rating_factor of these events on rating scale `scale` (NaN -> 1)."""
        if self.ratings is None:
            return np.ones(len(self.days[rows]))
        ratings = self.ratings[rows]
        low, high = _RATING_SCALES[scale]
        mid, half = (low + high) / 2, (high - low) / 2
        return np.where(np.isnan(ratings), 1.0, np.clip((ratings - mid) / half, -1.0, 1.0))

    def step(self, lo: int, hi: int, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Add the events [lo, hi) (one period) and return (user ids, segments) of its active users
        that have a profile, user ids sorted."""
        end_days = (end - self.start).total_seconds() / 86400.0
        if self.end_days is not None and self.half_life is not None:
            self.z *= np.exp2(-(end_days - self.end_days) / self.half_life)
        self.end_days = end_days
        codes = self.user_codes[lo:hi]
        active, local = np.unique(codes, return_inverse=True)
        self.n_active = len(active)
        items = self.items[lo:hi]
        known = items >= 0
        days = self.days[lo:hi]
        decay = np.ones(hi - lo) if self.half_life is None else np.exp2((days - end_days) / self.half_life)
        base = self.type_weight[lo:hi] * decay
        np.maximum.at(self.newest, codes, days)
        if self.ratings is not None:
            np.fmax.at(self.top_rating, codes, self.ratings[lo:hi])
        sims = self.item_sims[np.where(known, items, 0)]
        for s in range(self.n_scales):
            factor = self._factor(s, slice(lo, hi))
            w = np.where(known, base * factor, 0.0)
            for c in range(sims.shape[1]):
                self.z[s, active, c] += np.bincount(local, weights=w * sims[:, c], minlength=len(active))
            good = known & (self.type_weight[lo:hi] > 0) & (factor > 0)
            self.positive[s, active] += np.bincount(local, weights=good, minlength=len(active)).astype(
                np.int64
            )
        scale = self._scale(active)
        z = self.z[scale, active]
        labels = np.argmax(z, axis=1).astype(np.int64) if z.shape[1] else np.zeros(len(active), np.int64)
        # |raw| >= max |raw . c| (unit centroids): above build_profiles' threshold when this is.
        with np.errstate(divide="ignore"):
            log_top = np.log2(np.abs(z).max(axis=1)) if z.shape[1] else np.full(len(active), -np.inf)
        if self.half_life is not None:
            log_top = log_top + (end_days - self.newest[active]) / self.half_life
        special = (self.positive[scale, active] == 0) | (log_top <= np.log2(1e-5))
        keep = ~special
        kept, labels = active[keep], labels[keep]
        if special.any():
            extra, extra_labels = self._exact(active[special], hi, scale)
            kept, labels = np.concatenate([kept, extra]), np.concatenate([labels, extra_labels])
            order = np.argsort(kept, kind="stable")
            kept, labels = kept[order], labels[order]
        return np.asarray(self.user_values[kept], dtype=object), labels

    def _exact(self, codes: np.ndarray, hi: int, scale: int) -> tuple[np.ndarray, np.ndarray]:
        """(user codes, segments) of those of these users who have a profile, the profile made as
        build_profiles makes it from their events up to the period's end (rows [0, hi)) on the
        period's rating scale: the unsigned fallback when no weight is positive, the zero-norm rule."""
        from core.embed.profiles import _ZERO_NORM
        from core.segment.clustering import assign

        rows = np.flatnonzero(np.isin(self.user_codes[:hi], codes) & (self.items[:hi] >= 0))
        local = np.searchsorted(codes, self.user_codes[rows])  # codes are sorted (np.unique)
        base = self.type_weight[rows]
        if self.half_life is not None:
            base = base * np.exp2((self.days[rows] - self.newest[self.user_codes[rows]]) / self.half_life)
        signed = base * self._factor(scale, rows)
        positive = np.bincount(local, weights=np.maximum(signed, 0), minlength=len(codes))
        w = np.where((positive <= 0)[local], base, signed)  # no positive weight: engagement only
        use = w != 0
        matrix = sp.csr_matrix(
            (w[use], (local[use], self.items[rows][use])), shape=(len(codes), len(self.analysis.item_ids))
        )
        matrix.sum_duplicates()
        raw = np.asarray(matrix @ np.asarray(self.analysis.item_vectors, dtype=np.float32), dtype=np.float32)
        ok = np.linalg.norm(raw, axis=1) > _ZERO_NORM
        if not ok.any():
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        labels = assign(raw[ok], self.analysis.segmentation)[0]
        return codes[ok], np.asarray(labels, dtype=np.int64)


def _period_keywords(
    analysis: Analysis, periods: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]]
) -> list[list[list[str]]]:
    """Per period (its events, member ids, their segments), per segment, the keywords of these
    members from their events in the period.

    One term index over the items of all the periods, so a text is tokenised once: a term no member
    of a period reached counts 0 there and is never a keyword of it, and the vocabulary's order is
    the same, so each period's keywords are the ones of an index of its own."""
    from core.explain.keywords import TermIndex, build_term_index, segment_keywords

    k = len(analysis.segmentation.centroids)
    rows, items, offset = [], [], 0
    for events, user_ids, _ in periods:
        found = pd.Index(user_ids).get_indexer(events["user_id"].astype(str))
        keep = found >= 0
        rows.append(found[keep] + offset)
        items.append(events["item_id"].astype(str).to_numpy(dtype=object)[keep])
        offset += len(user_ids)
    if offset == 0:
        return [[[] for _ in range(k)] for _ in periods]
    all_items = np.concatenate(items)
    item_ids = np.asarray(pd.unique(all_items), dtype=object)
    cols = pd.Index(item_ids).get_indexer(all_items)
    user_items = sp.csr_matrix(
        (np.ones(len(cols)), (np.concatenate(rows), cols)), shape=(offset, len(item_ids))
    )
    catalogue = analysis.dataset.items
    text = catalogue.drop_duplicates("item_id").set_index("item_id")["text"] if len(catalogue) else None
    docs = (
        text.reindex(item_ids).fillna("").astype(str).tolist() if text is not None else [""] * len(item_ids)
    )
    index = build_term_index(docs, user_items)
    out: list[list[list[str]]] = []
    start = 0
    for _, user_ids, labels in periods:
        n = len(user_ids)
        if n == 0:
            out.append([[] for _ in range(k)])
            continue
        part = TermIndex(
            index.terms,
            index.doc_terms,
            index.user_terms[start : start + n],
            index.user_has_term[start : start + n],
        )
        found_terms = segment_keywords(part, labels, k, n_keywords=N_KEYWORDS, min_keyword_users=2)
        out.append([[term for term, _ in terms] for terms in found_terms])
        start += n
    return out


def _keyword_changes(
    analysis: Analysis,
    in_period: dict[str, pd.DataFrame],
    first: str,
    last: str,
    members: dict[str, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    found = _period_keywords(analysis, [(in_period[label], *members[label]) for label in (first, last)])
    per_period = {first: found[0], last: found[1]}
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


def trends_skipped(analysis: Analysis, *, max_events: int = REPORT_MAX_EVENTS) -> Note | None:
    """Why the report has no Trends sheet when it is for size (None otherwise): for the report's warnings."""
    n = len(analysis.dataset.events)
    if n <= max_events:
        return None
    return Note(
        f"The report has no Trends sheet: {n:,} events are over the {max_events:,} it computes weekly "
        "segment sizes for on one machine (memory). Analyse a shorter period to get it.",
        f"报告中没有“趋势”工作表：{n:,} 条行为超过单机按周计算分群规模的上限 {max_events:,} 条（内存限制）。"
        "请缩短时间范围后再分析。",
    )


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

"""Per-segment statistics for insights: top items with lift, attribute composition, revenue, sentiment shares."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.data import CORE_EVENT_COLUMNS
from core.explain.keywords import segment_sums
from core.explain.sentiment import sentiment_labels

_NOT_ATTRIBUTES = frozenset(CORE_EVENT_COLUMNS) | {"source_row", "_uidx", "_item"}
_INVOICE = re.compile(r"invoice|order|basket|transaction|发票|订单", re.I)


def top_items_with_lift(
    user_items: sp.csr_matrix,
    labels: np.ndarray,
    k: int,
    item_ids: np.ndarray,
    item_text: dict[str, str],
    *,
    n_items: int = 10,
    min_users: int = 3,
) -> list[list[dict[str, Any]]]:
    """Items over-represented in each segment. user_items: (n_users, n_items) {0,1}.

    lift = share of segment users who touched the item / share of all users. Items touched by fewer
    than `min_users` members are ignored (a lift of 10 from 1 user is noise); the rest rank by
    share * log2(lift), which favours items that are both common in the segment and distinctive.
    """
    n_users = max(len(labels), 1)
    seg_users = segment_sums(user_items, labels, k)  # (k, n_items)
    all_share = np.asarray(user_items.sum(axis=0)).ravel() / n_users
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    out = []
    for seg in range(k):
        share = seg_users[seg] / max(sizes[seg], 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(all_share > 0, share / all_share, 0.0)
            score = np.where((seg_users[seg] >= min_users) & (lift > 1.0), share * np.log2(lift), 0.0)
        order = [i for i in np.argsort(-score, kind="stable")[:n_items] if score[i] > 0]
        out.append(
            [
                {
                    "item_id": str(item_ids[i]),
                    "text": item_text.get(str(item_ids[i]), ""),
                    "users": int(seg_users[seg, i]),
                    "share": round(float(share[i]), 4),
                    "lift": round(float(lift[i]), 3),
                }
                for i in order
            ]
        )
    return out


def attribute_columns(events: pd.DataFrame, *, max_values: int = 50) -> list[str]:
    """Attribute columns (incl. label) with few distinct values, e.g. country."""
    cols = [c for c in events.columns if c not in _NOT_ATTRIBUTES and not _INVOICE.search(str(c))]
    return [c for c in cols if 1 <= events[c].nunique(dropna=True) <= max_values]


def composition(
    events: pd.DataFrame, labels: np.ndarray, k: int, *, n_values: int = 5
) -> list[dict[str, list[tuple[str, float]]]]:
    """Per segment, attribute -> top (value, share of members); each user counts once, with their most
    frequent value. events needs `_uidx` (row of the user in labels)."""
    out: list[dict[str, list[tuple[str, float]]]] = [{} for _ in range(k)]
    for col in attribute_columns(events):
        values = events[["_uidx", col]].dropna()
        values = values[values[col].astype(str).str.strip() != ""]
        if values.empty:
            continue
        per_user = values.groupby(["_uidx", col], sort=True).size().reset_index(name="n")
        per_user = per_user.sort_values(["_uidx", "n"], ascending=[True, False]).drop_duplicates("_uidx")
        per_user["seg"] = labels[per_user["_uidx"].to_numpy()]
        counts = per_user.groupby(["seg", col]).size()
        sizes = np.bincount(labels, minlength=k)
        for (seg, value), n in counts.items():  # type: ignore[misc]
            out[int(seg)].setdefault(col, []).append(
                (str(value), round(float(n) / max(int(sizes[int(seg)]), 1), 4))
            )
        for seg in range(k):
            if col in out[seg]:
                out[seg][col] = sorted(out[seg][col], key=lambda v: -v[1])[:n_values]
    return out


def revenue(events: pd.DataFrame, labels: np.ndarray, k: int) -> list[dict[str, float] | None]:
    """Per segment revenue, orders (distinct invoices when an invoice-like column exists, else events),
    revenue_per_user and avg_order_value; None when quantity x price is unavailable."""
    if "quantity" not in events or "price" not in events:
        return [None] * k
    amount = events["quantity"].to_numpy(np.float64) * events["price"].to_numpy(np.float64)
    ok = np.isfinite(amount)
    if not ok.any():
        return [None] * k
    frame = pd.DataFrame({"seg": labels[events["_uidx"].to_numpy()], "amount": amount})[ok]
    invoice = next((c for c in events.columns if c not in _NOT_ATTRIBUTES and _INVOICE.search(str(c))), None)
    if invoice is not None:
        frame["order"] = events.loc[ok, invoice].astype(str).to_numpy()
        orders = frame.groupby("seg")["order"].nunique()
    else:
        orders = frame.groupby("seg").size()
    totals = frame.groupby("seg")["amount"].sum()
    sizes = np.bincount(labels, minlength=k)
    out: list[dict[str, float] | None] = []
    for seg in range(k):
        total, n_orders = float(totals.get(seg, 0.0)), int(orders.get(seg, 0))
        out.append(
            {
                "revenue": round(total, 2),
                "orders": float(n_orders),
                "revenue_per_user": round(total / max(int(sizes[seg]), 1), 2),
                "avg_order_value": round(total / n_orders, 2) if n_orders else 0.0,
            }
        )
    return out


def sentiment_summary(scores: np.ndarray) -> dict[str, float]:
    """(n,) scores in [-1, 1] -> positive/neutral/negative shares, mean_score, n_texts.

    Nothing to measure gives only n_texts = 0: no shares or mean that a page could show as "+0.00"."""
    n = len(scores)
    if n == 0:
        return {"n_texts": 0.0}
    labels = sentiment_labels(scores)
    return {
        "positive": round(float(np.mean(labels == "positive")), 4),
        "neutral": round(float(np.mean(labels == "neutral")), 4),
        "negative": round(float(np.mean(labels == "negative")), 4),
        "mean_score": round(float(np.mean(scores)), 4),
        "n_texts": float(n),
    }

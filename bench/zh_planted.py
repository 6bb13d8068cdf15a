"""A Chinese planted-interest dataset from real Toutiao news headlines (for bench/representation_bench.py).

Source: the Toutiao news headline classification corpus (今日头条, collected 2018-05,
github.com/fate233/toutiao-text-classfication-dataset; its repository states no licence, so the
corpus stays out of this repository). Two 9,999-line splits of it (`toutiao_cat_data.dev.txt`,
`toutiao_cat_data.test.txt`, as published in github.com/RuoYe310/NLP_ML `data/`) are read from
ZH_CORPUS (default /work/data/toutiao/); without them the bench says so and skips.

Users: 1,500, each with one planted interest among the 10 largest categories (150 users each),
8-22 events, 80% of them on headlines of their interest and 20% on any other. 300 distinct headlines
per category (3,000 texts). The `label` column is the user's planted interest.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

ZH_CORPUS = Path(os.environ.get("ZH_CORPUS", "/work/data/toutiao"))
FILES = ("toutiao_cat_data.dev.txt", "toutiao_cat_data.test.txt")
CATEGORY_ZH = {
    "news_tech": "科技",
    "news_entertainment": "娱乐",
    "news_sports": "体育",
    "news_car": "汽车",
    "news_game": "游戏",
    "news_culture": "文化",
    "news_finance": "财经",
    "news_edu": "教育",
    "news_world": "国际",
    "news_military": "军事",
    "news_travel": "旅游",
    "news_agriculture": "三农",
    "news_house": "房产",
}


def corpus_present() -> bool:
    return all((ZH_CORPUS / name).is_file() for name in FILES)


def headlines() -> pd.DataFrame:
    """category, title: the corpus's distinct headlines (fields split on `_!_`)."""
    rows = []
    for name in FILES:
        for line in (ZH_CORPUS / name).read_text(encoding="utf-8").splitlines():
            parts = line.split("_!_")
            if len(parts) >= 4 and parts[3].strip():
                rows.append((parts[2], parts[3].strip()))
    frame = pd.DataFrame(rows, columns=["category", "title"]).drop_duplicates("title")
    return frame[frame["category"].isin(CATEGORY_ZH)].reset_index(drop=True)


def planted_events(
    *, n_users: int = 1500, n_categories: int = 10, per_category: int = 300, seed: int = 7
) -> pd.DataFrame:
    """user_id, item_id, event_type, timestamp, text, label (the user's planted interest, in Chinese)."""
    rng = np.random.default_rng(seed)
    heads = headlines()
    top = heads["category"].value_counts().index[:n_categories].tolist()
    pools = {
        c: heads[heads["category"] == c].sample(per_category, random_state=seed)["title"].tolist()
        for c in top
    }
    return events_from_pools(pools, top, n_users=n_users, rng=rng, id_prefix="zh")


def events_from_pools(
    pools: dict[str, list[str]], top: list[str], *, n_users: int, rng: np.random.Generator, id_prefix: str
) -> pd.DataFrame:
    """Users with one planted interest each: 8-22 events, 80% from their category's pool of texts."""
    item_id = {t: f"{id_prefix}{i:05d}" for i, t in enumerate(t for c in top for t in pools[c])}
    start = pd.Timestamp("2026-01-01")
    rows = []
    for u in range(n_users):
        interest = top[u % len(top)]
        for _ in range(int(rng.integers(8, 23))):
            cat = interest if rng.random() < 0.8 else top[int(rng.integers(len(top)))]
            pool = pools[cat]
            text = pool[int(rng.integers(len(pool)))]
            rows.append(
                (
                    f"u{u:05d}",
                    item_id[text],
                    ("view", "click", "favorite")[int(rng.integers(3))],
                    start + pd.Timedelta(minutes=int(rng.integers(0, 90 * 24 * 60))),
                    text,
                    CATEGORY_ZH[interest],
                )
            )
    return pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "timestamp", "text", "label"])


def long_texts(n: int = 600, *, seed: int = 7, low: int = 100, high: int = 200) -> list[str]:
    """n real-text passages of low-high characters: same-category headlines joined with '；'."""
    rng = np.random.default_rng(seed)
    heads = headlines()
    by_cat = {c: g["title"].tolist() for c, g in heads.groupby("category")}
    cats = sorted(by_cat)
    out: list[str] = []
    while len(out) < n:
        pool = by_cat[cats[int(rng.integers(len(cats)))]]
        text = ""
        while len(text) < low:
            text += ("；" if text else "") + pool[int(rng.integers(len(pool)))]
        out.append(text[:high])
    return out


if __name__ == "__main__":
    events = planted_events()
    print(len(events), events["user_id"].nunique(), events["item_id"].nunique())
    print(events.head())
    texts = long_texts(5)
    print([len(t) for t in texts], texts[0])

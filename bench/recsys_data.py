"""Datasets and cached embeddings for bench/recsys_bench.py (canonical events/items frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
NON_PRODUCT_CODES = {
    "POST",
    "D",
    "M",
    "C2",
    "DOT",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "S",
    "PADS",
    "B",
    "m",
}


def _canonical(events: pd.DataFrame) -> pd.DataFrame:
    for col in ("rating", "quantity", "price"):
        if col not in events:
            events[col] = np.nan
    events["review"] = ""
    return events.reset_index(drop=True)


def load_movielens() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ml-latest-small as (events, items): ratings are `rating` events; text = title + genres + tags."""
    root = DATASETS / "movielens_latest_small"
    ratings = pd.read_csv(root / "ratings.csv.gz")
    movies = pd.read_csv(root / "movies.csv.gz")
    tags = pd.read_csv(root / "tags.csv.gz")
    tag_text = tags.groupby("movieId")["tag"].apply(lambda s: ", ".join(sorted(set(map(str, s)))))
    genres = movies["genres"].str.replace("|", ", ", regex=False).str.replace("(no genres listed)", "")
    text = movies["title"] + ". " + genres
    text = text + movies["movieId"].map(tag_text).fillna("").map(lambda t: f". Tags: {t}" if t else "")
    items = pd.DataFrame({"item_id": movies["movieId"].astype(str), "text": text})
    events = pd.DataFrame(
        {
            "user_id": ratings["userId"].astype(str),
            "item_id": ratings["movieId"].astype(str),
            "event_type": "rating",
            "timestamp": pd.to_datetime(ratings["timestamp"], unit="s"),
            "rating": ratings["rating"].astype(float),
        }
    )
    used = set(events["item_id"])
    return _canonical(events), items[items["item_id"].isin(used)].reset_index(drop=True)


def load_online_retail() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Online Retail purchases with a customer id (no cancellations, adjustments or non-products)."""
    raw = pd.read_csv(
        DATASETS / "online_retail" / "online_retail.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
    )
    raw = raw[raw["CustomerID"].notna() & (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0)]
    raw = raw[~raw["InvoiceNo"].str.startswith(("C", "A"))]
    raw = raw[~raw["StockCode"].isin(NON_PRODUCT_CODES) & ~raw["StockCode"].str.startswith("gift_0001")]
    raw = raw[raw["Description"].notna()]
    events = pd.DataFrame(
        {
            "user_id": raw["CustomerID"].astype(str),
            "item_id": raw["StockCode"].astype(str),
            "event_type": "purchase",
            "timestamp": pd.to_datetime(raw["InvoiceDate"]),
            "quantity": raw["Quantity"].astype(float),
            "price": raw["UnitPrice"].astype(float),
            "Country": raw["Country"].astype(str),
        }
    )
    desc = (
        raw.assign(d=raw["Description"].str.strip()).groupby("StockCode")["d"].agg(lambda s: s.mode().iat[0])
    )
    items = pd.DataFrame({"item_id": desc.index.astype(str), "text": desc.to_numpy()})
    return _canonical(events), items


def cached_embed(texts: list[str], *, name: str = "minilm") -> np.ndarray:
    """(n, dim) float32 L2-normalised vectors from the product's own embedder (default backend).

    Its content-addressed cache (core/embed/cache.py) makes repeated bench runs embed nothing.
    """
    from core.embed.embedding import make_embedder

    vectors = make_embedder(None if name == "minilm" else name).embed(texts)
    return np.asarray(vectors, dtype=np.float32)


if __name__ == "__main__":
    for loader in (load_online_retail, load_movielens):
        ev, it = loader()
        print(loader.__name__, len(ev), ev["user_id"].nunique(), len(it))
        print(cached_embed(it["text"].tolist()).shape)

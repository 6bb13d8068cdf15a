"""Seeded synthetic behaviour logs for the scale benchmark: N users, 8 planted interests.

Each interest has its own vocabulary; every item is a unique title built from one interest's words
(`<brand> <adjective> <noun> <model number>`). Each user has one planted interest (column `label`)
and draws `events_per_user` events, 85% from items of that interest and 15% from any item, so the
segments are recoverable but not trivially so. Written column-wise with pyarrow (Parquet, or CSV
with `.csv`/`.csv.gz`), a million users in well under a minute.

    python -m bench.scale_data --users 100000 --events 1000000 --items 20000 --out /tmp/scale.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

INTERESTS: dict[str, tuple[list[str], list[str]]] = {
    "outdoor": (
        [
            "hiking boots",
            "tent",
            "trekking poles",
            "daypack",
            "sleeping bag",
            "camping stove",
            "headlamp",
            "rain shell",
        ],
        ["waterproof", "ultralight", "alpine", "trail", "insulated"],
    ),
    "baby": (
        [
            "diapers",
            "baby bottle",
            "baby wipes",
            "car seat",
            "stroller",
            "baby monitor",
            "teething ring",
            "crib",
        ],
        ["newborn", "organic", "gentle", "toddler", "infant"],
    ),
    "kitchen": (
        ["chef knife", "frying pan", "stock pot", "blender", "coffee grinder", "cutting board", "dutch oven"],
        ["stainless", "nonstick", "cast iron", "ceramic", "professional"],
    ),
    "gaming": (
        [
            "gaming mouse",
            "mechanical keyboard",
            "gaming headset",
            "controller",
            "graphics card",
            "gaming chair",
        ],
        ["rgb", "wireless", "esports", "low latency", "pro"],
    ),
    "beauty": (
        [
            "face serum",
            "moisturizer",
            "lipstick",
            "mascara",
            "sunscreen",
            "shampoo",
            "perfume",
            "nail polish",
        ],
        ["hydrating", "vegan", "matte", "fragrance free", "anti aging"],
    ),
    "fitness": (
        ["yoga mat", "dumbbells", "resistance bands", "protein powder", "running shorts", "kettlebell"],
        ["adjustable", "non slip", "sweat wicking", "heavy duty", "compact"],
    ),
    "books": (
        ["mystery novel", "history book", "cookbook", "poetry collection", "fantasy saga", "biography"],
        ["hardcover", "paperback", "illustrated", "bestselling", "annotated"],
    ),
    "garden": (
        ["garden hose", "pruning shears", "flower seeds", "lawn mower", "planter pot", "compost bin"],
        ["expandable", "organic", "terracotta", "cordless", "weatherproof"],
    ),
}
BRANDS = ["Acme", "Norda", "Vela", "Kito", "Lumo", "Orra", "Pexa", "Quill", "Rivo", "Sola", "Tavi", "Zeno"]
EVENT_TYPES = np.array(["view", "click", "cart", "purchase", "favorite"])
EVENT_P = np.array([0.55, 0.2, 0.12, 0.08, 0.05])


def generate(n_users: int, n_events: int, n_items: int, seed: int = 0):
    """A pyarrow Table of events: user_id, item_id, title, event_type, timestamp, label."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    names = list(INTERESTS)
    k = len(names)
    # Items: interest, then a unique title from that interest's words.
    item_interest = np.arange(n_items) % k
    titles = []
    for i, interest in enumerate(item_interest):
        nouns, adjectives = INTERESTS[names[interest]]
        j = i // k
        titles.append(
            f"{BRANDS[j % len(BRANDS)]} {adjectives[(j // 12) % len(adjectives)]} "
            f"{nouns[(j // 60) % len(nouns)]} {names[interest]} model {i}"
        )
    by_interest = [np.flatnonzero(item_interest == c) for c in range(k)]
    # Users: one planted interest each; events spread evenly (every user at least one event).
    user_interest = rng.integers(0, k, n_users)
    users = np.concatenate([np.arange(n_users), rng.integers(0, n_users, max(n_events - n_users, 0))])[
        :n_events
    ]
    users.sort(kind="stable")
    own = rng.random(n_events) < 0.85
    item = rng.integers(0, n_items, n_events)
    interest = user_interest[users]
    for c in range(k):
        pick = own & (interest == c)
        item[pick] = by_interest[c][rng.integers(0, len(by_interest[c]), int(pick.sum()))]
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    stamps = (start + rng.integers(0, 180 * 86400, n_events)).astype("datetime64[s]")
    user_ids = pa.array(np.char.add("u", users.astype(str)))
    item_ids = pa.array(np.char.add("i", item.astype(str)))
    title_dict = pa.array(titles)
    label_dict = pa.array(names)
    return pa.table(
        {
            "user_id": user_ids,
            "item_id": item_ids,
            "title": pa.DictionaryArray.from_arrays(pa.array(item, pa.int32()), title_dict).cast(pa.string()),
            "event_type": pa.array(EVENT_TYPES[rng.choice(len(EVENT_TYPES), n_events, p=EVENT_P)]),
            "timestamp": pa.array(stamps),
            "label": pa.DictionaryArray.from_arrays(pa.array(interest, pa.int32()), label_dict).cast(
                pa.string()
            ),
        }
    )


def write(table, out: Path) -> Path:
    """Parquet for `.parquet`, else CSV (gzip when the name ends in .gz)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        pq.write_table(table, out, row_group_size=1_000_000)
    else:
        table = table.set_column(
            table.schema.get_field_index("timestamp"),
            "timestamp",
            table["timestamp"].cast(pa.string()),
        )
        compression = "gzip" if out.suffix == ".gz" else None
        with (
            pa.CompressedOutputStream(out, compression) if compression else pa.OSFile(str(out), "wb") as sink
        ):
            pacsv.write_csv(table, sink)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write(generate(args.users, args.events, args.items, args.seed), args.out)
    print(args.out)


if __name__ == "__main__":
    main()

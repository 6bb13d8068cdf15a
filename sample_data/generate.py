"""Generate the sample behaviour log (seeded, deterministic): `python sample_data/generate.py`.

Writes, next to this file:
- events.csv: ~1,000 users of an online shop with 5 planted interest personas (column `label`),
  views/clicks/carts/favorites/purchases/reviews (some event types in Chinese), a few months of
  timestamps, ratings and short reviews (some Chinese, some negative), price, quantity, country, and
  a little realistic mess: one exact duplicate row, one row with no product name, one with no user.
- items.csv (item_id, product_name, category) and events_items_only.csv (events without product
  names, to be joined with items.csv): the items-table example.
- events_zh.csv and items_zh.csv: the Chinese sample (Chinese headers, titles, reviews, event types and
  a `标签` label column), written by generate_zh.py next to this file.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import generate_zh  # the sibling module: run as a script, this folder is on sys.path

HERE = Path(__file__).resolve().parent

PERSONAS: dict[str, dict[str, list[str]]] = {
    "outdoor": {
        "brands": ["TrailPeak", "Northridge", "Summit Co."],
        "products": [
            "Waterproof Hiking Boots",
            "Ultralight 2-Person Tent",
            "Trekking Poles (pair)",
            "35L Daypack",
            "Down Sleeping Bag -5C",
            "Camping Stove",
            "Headlamp 400 Lumen",
            "Insulated Water Bottle",
            "Merino Wool Hiking Socks",
            "Rain Shell Jacket",
            "Inflatable Sleeping Pad",
            "Trail Running Shoes",
            "Water Filter Straw",
            "Camping Hammock",
            "Compass and Map Case",
            "Fleece Mid-Layer",
            "Climbing Chalk Bag",
        ],
        "category": ["Outdoor & Hiking"],
        "reviews": [
            "Kept me dry on a 20 km hike",
            "Light enough for long trails",
            "Survived a rainy camping weekend",
            "徒步很好用，防水效果不错",
            "The zipper broke after two trips",
            "Great for backpacking",
        ],
    },
    "baby": {
        "brands": ["LittleNest", "BabyBloom", "Tiny Steps"],
        "products": [
            "Newborn Diapers Size 1",
            "Baby Bottle Set",
            "Organic Baby Wipes",
            "Convertible Car Seat",
            "Lightweight Stroller",
            "Baby Monitor with Camera",
            "Teething Toy Ring",
            "Swaddle Blankets (3-pack)",
            "Toddler Sippy Cup",
            "Baby Bath Tub",
            "Nursing Pillow",
            "Kids Picture Book Set",
            "Baby Formula Dispenser",
            "Crib Mattress",
            "Toddler Building Blocks",
            "Baby Carrier Wrap",
            "Infant Sleep Sack",
        ],
        "category": ["Baby & Kids"],
        "reviews": [
            "My baby loves it",
            "Gentle on newborn skin",
            "Our toddler plays with it every day",
            "宝宝很喜欢，质量放心",
            "Leaked overnight, disappointed",
            "Easy to fold for daycare runs",
        ],
    },
    "kitchen": {
        "brands": ["ChefCraft", "HomeHearth", "Copper & Oak"],
        "products": [
            "Cast Iron Skillet 26cm",
            "Chef's Knife 20cm",
            "Non-stick Frying Pan",
            "Dutch Oven 5L",
            "Bamboo Cutting Board",
            "Stand Mixer",
            "Digital Kitchen Scale",
            "Spice Rack with 20 Jars",
            "Silicone Baking Mat",
            "Pressure Cooker",
            "Rice Cooker",
            "Knife Sharpener",
            "Measuring Cups Set",
            "Pasta Maker",
            "Wok with Lid",
            "Sourdough Proofing Basket",
            "Stainless Steel Saucepan",
        ],
        "category": ["Home Cooking & Kitchen"],
        "reviews": [
            "Sears steak perfectly",
            "Makes weeknight dinners easy",
            "Bread came out great",
            "做饭很方便，锅很好用",
            "Coating peeled after a month",
            "Heats evenly on gas",
        ],
    },
    "gaming": {
        "brands": ["PixelForge", "VoltEdge", "NeonByte"],
        "products": [
            "Mechanical Gaming Keyboard",
            "Wireless Gaming Mouse",
            "27-inch 165Hz Monitor",
            "Gaming Headset 7.1",
            "Game Controller",
            "Graphics Card RTX",
            "1TB NVMe SSD",
            "Gaming Chair",
            "RGB Mouse Pad XL",
            "Streaming Webcam 1080p",
            "USB-C Docking Station",
            "Portable Game Console",
            "Wi-Fi 6 Router",
            "Capture Card",
            "Mechanical Keycap Set",
            "Noise Cancelling Earbuds",
            "Laptop Cooling Pad",
        ],
        "category": ["Gaming & Electronics"],
        "reviews": [
            "Low latency, great for FPS games",
            "Frame rate is smooth",
            "RGB lighting looks awesome",
            "打游戏很流畅，手感好",
            "Driver crashes constantly",
            "Fast shipping, works with my PC",
        ],
    },
    "beauty": {
        "brands": ["GlowLab", "PureBloom", "Silk & Dew"],
        "products": [
            "Hydrating Face Serum",
            "Vitamin C Moisturizer",
            "Gentle Foaming Cleanser",
            "SPF 50 Sunscreen",
            "Retinol Night Cream",
            "Hyaluronic Acid Toner",
            "Clay Face Mask",
            "Lip Balm Set",
            "Micellar Cleansing Water",
            "Eye Cream",
            "Sheet Masks (10-pack)",
            "Matte Liquid Lipstick",
            "Makeup Brush Set",
            "Exfoliating Peel Pads",
            "Facial Oil",
            "Setting Spray",
            "Hand Cream Trio",
        ],
        "category": ["Beauty & Skincare"],
        "reviews": [
            "My skin feels so soft",
            "No breakouts, gentle formula",
            "Smells lovely",
            "保湿效果很好，皮肤不干了",
            "Caused redness on my cheeks",
            "A little goes a long way",
        ],
    },
}
EVENT_TYPES = (
    ["view"] * 40 + ["click"] * 20 + ["cart"] * 12 + ["favorite"] * 8 + ["purchase"] * 12 + ["review"] * 8
)
CHINESE = {
    "view": "浏览",
    "click": "点击",
    "cart": "加入购物车",
    "favorite": "收藏",
    "purchase": "购买",
    "review": "评价",
}
COUNTRIES = ["United Kingdom"] * 6 + ["Germany", "France", "China", "China", "United States", "Spain"]
START = datetime(2024, 1, 1)


def build_catalogue(rng: random.Random) -> list[dict[str, str]]:
    items = []
    for p_index, (persona, spec) in enumerate(PERSONAS.items()):
        n = 0
        for product in spec["products"]:
            for brand in spec["brands"]:
                n += 1
                price = round(rng.uniform(8, 60) * (3 if persona == "gaming" else 1), 2)
                items.append(
                    {
                        "item_id": f"P{p_index + 1}{n:03d}",
                        "product_name": f"{brand} {product}",
                        "category": spec["category"][0],
                        "persona": persona,
                        "price": f"{price:.2f}",
                    }
                )
    return items


def build_events(
    rng: random.Random, items: list[dict[str, str]], n_users: int = 1000
) -> list[dict[str, str]]:
    by_persona: dict[str, list[dict[str, str]]] = {}
    for item in items:
        by_persona.setdefault(item["persona"], []).append(item)
    personas = list(PERSONAS)
    rows = []
    for u in range(n_users):
        persona = personas[u % len(personas)]
        secondary = rng.choice([p for p in personas if p != persona]) if rng.random() < 0.25 else None
        country = rng.choice(COUNTRIES)
        favourites = rng.sample(by_persona[persona], 12)
        t = START + timedelta(days=rng.uniform(0, 100))
        for _ in range(rng.randint(13, 23)):
            pool = by_persona[secondary] if secondary and rng.random() < 0.15 else favourites
            item = rng.choice(pool)
            event = rng.choice(EVENT_TYPES)
            t += timedelta(hours=rng.uniform(0.05, 60))
            rating = review = quantity = ""
            if event == "review":
                rating = str(rng.choice([5, 5, 4, 4, 4, 3, 2, 1]))
                review = rng.choice(PERSONAS[item["persona"]]["reviews"])
            if event == "purchase":
                quantity = str(rng.choice([1, 1, 1, 2, 3]))
            rows.append(
                {
                    "user_id": f"U{u + 1:04d}",
                    "item_id": item["item_id"],
                    "product_name": item["product_name"],
                    "category": item["category"],
                    "event_type": CHINESE[event] if country == "China" and rng.random() < 0.7 else event,
                    "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"),
                    "rating": rating,
                    "review": review,
                    "price": item["price"],
                    "quantity": quantity,
                    "country": country,
                    "label": persona,
                }
            )
    rows.insert(100, dict(rows[99]))  # one exact duplicate row
    rows[200] = {
        **rows[200],
        "product_name": "",
        "category": "",
        "review": "",
        "rating": "",
    }  # no text at all
    rows[300] = {**rows[300], "user_id": ""}  # one row with no user
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(seed: int = 7, out: Path = HERE) -> None:
    rng = random.Random(seed)
    items = build_catalogue(rng)
    events = build_events(rng, items)
    write_csv(
        out / "events.csv",
        events,
        [
            "user_id",
            "item_id",
            "product_name",
            "category",
            "event_type",
            "timestamp",
            "rating",
            "review",
            "price",
            "quantity",
            "country",
            "label",
        ],
    )
    write_csv(out / "items.csv", items, ["item_id", "product_name", "category"])
    write_csv(out / "events_items_only.csv", events, ["user_id", "item_id", "event_type", "timestamp"])
    generate_zh.main(out=out)


if __name__ == "__main__":
    main()

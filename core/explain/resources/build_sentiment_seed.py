"""Rebuild the template rows of sentiment_seed.csv (the hand-written rows are kept as they are).

Run: `.venv/bin/python core/resources/build_sentiment_seed.py [HAND_EN.txt HAND_ZH.txt]`.
Rows are `label|text` lines in the optional hand files. Nothing here comes from any evaluation set.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

SEED_CSV = Path(__file__).resolve().parent / "sentiment_seed.csv"

EN_PRODUCTS = [
    ("kitchen", "blender"),
    ("kitchen", "coffee maker"),
    ("kitchen", "kettle"),
    ("kitchen", "knife set"),
    ("electronics", "headphones"),
    ("electronics", "phone case"),
    ("electronics", "charger"),
    ("electronics", "smart watch"),
    ("fashion", "jacket"),
    ("fashion", "jeans"),
    ("fashion", "dress"),
    ("fashion", "sneakers"),
    ("fashion", "handbag"),
    ("beauty", "moisturizer"),
    ("beauty", "shampoo"),
    ("beauty", "lipstick"),
    ("beauty", "perfume"),
    ("beauty", "face mask"),
    ("gift", "gift card"),
    ("media", "magazine subscription"),
    ("media", "novel"),
    ("appliance", "dryer vent"),
    ("appliance", "water filter"),
    ("appliance", "ice maker"),
    ("home", "vacuum"),
    ("home", "lamp"),
    ("outdoor", "tent"),
    ("outdoor", "backpack"),
    ("outdoor", "sleeping bag"),
    ("toys", "board game"),
    ("toys", "toy car"),
    ("food", "coffee beans"),
    ("food", "tea"),
]
EN_POS_OPEN = [
    "Love this",
    "Really happy with this",
    "Great",
    "Excellent",
    "Very pleased with the",
    "Fantastic",
    "Highly recommend this",
    "So glad I bought this",
    "Nice",
    "Wonderful",
]
EN_POS_DETAIL = [
    "works perfectly",
    "great quality for the price",
    "exactly as pictured",
    "arrived quickly and well packed",
    "I use it every day",
    "worth every penny",
    "well made and sturdy",
    "my family loves it",
    "better than I expected",
    "easy to use and looks great",
    "would definitely buy again",
    "five stars from me",
]
EN_NEG_OPEN = [
    "Terrible",
    "Very disappointed with this",
    "Do not buy this",
    "Unhappy with the",
    "Awful",
    "Regret buying this",
    "Poor quality",
    "Not impressed with the",
    "Returned the",
    "Cheap",
]
EN_NEG_DETAIL = [
    "stopped working after a week",
    "it broke almost immediately",
    "flimsy material",
    "nothing like the picture",
    "I had to send it back",
    "a waste of money",
    "arrived damaged",
    "does not fit at all",
    "customer service ignored me",
    "would not recommend it",
    "never arrived",
    "it fell apart",
    "not worth the price",
    "it did not work at all",
    "worse than the cheap one I had before",
]
EN_NEU = [
    "The {p} is okay, nothing special.",
    "Average {p}, does the job.",
    "The {p} is fine but a bit overpriced.",
    "Haven't used the {p} much yet.",
    "The {p} works, though setup took a while.",
    "Decent {p}. Not great, not bad.",
    "It's an ordinary {p}.",
    "The {p} arrived. We will see how it holds up.",
]
EN_CONTRAST_POS = [
    "Took a while to arrive, but the {p} is excellent.",
    "A bit pricey, but this {p} is worth it.",
    "I was worried from the reviews, but my {p} works great.",
]
EN_CONTRAST_NEG = [
    "Looks nice, but the {p} broke after a week.",
    "The {p} seemed fine at first, then it stopped working.",
    "Pretty color, but the {p} is poorly made.",
    "Wanted to like this {p}, but it was a letdown.",
]

ZH_PRODUCTS = [
    ("kitchen", "破壁机"),
    ("kitchen", "咖啡机"),
    ("kitchen", "电热水壶"),
    ("electronics", "耳机"),
    ("electronics", "手机壳"),
    ("electronics", "充电器"),
    ("electronics", "手表"),
    ("fashion", "外套"),
    ("fashion", "牛仔裤"),
    ("fashion", "连衣裙"),
    ("fashion", "运动鞋"),
    ("fashion", "包包"),
    ("beauty", "面霜"),
    ("beauty", "洗发水"),
    ("beauty", "口红"),
    ("beauty", "香水"),
    ("beauty", "面膜"),
    ("gift", "礼品卡"),
    ("media", "杂志"),
    ("media", "小说"),
    ("appliance", "净水器滤芯"),
    ("appliance", "洗衣机配件"),
    ("home", "吸尘器"),
    ("home", "台灯"),
    ("outdoor", "帐篷"),
    ("outdoor", "登山包"),
    ("outdoor", "睡袋"),
    ("toys", "积木"),
    ("toys", "桌游"),
    ("food", "咖啡豆"),
    ("food", "茶叶"),
]
ZH_POS = [
    "这个{p}很好用，{d}。",
    "{p}收到了，{d}，好评！",
    "非常喜欢这款{p}，{d}。",
    "{p}质量不错，{d}。",
    "买了这个{p}很满意，{d}。",
]
ZH_POS_DETAIL = [
    "做工精细",
    "物流很快",
    "性价比很高",
    "和描述的一样",
    "家人都很喜欢",
    "会回购的",
    "推荐购买",
    "超出预期",
    "包装很好",
    "用起来很方便",
]
ZH_NEG = [
    "这个{p}太差了，{d}。",
    "{p}收到了，{d}，差评。",
    "很失望，{p}{d}。",
    "不推荐这个{p}，{d}。",
    "后悔买了这个{p}，{d}。",
]
ZH_NEG_DETAIL = [
    "用了几天就坏了",
    "质量很差",
    "和图片不一样",
    "退货了",
    "完全是浪费钱",
    "收到就是坏的",
    "客服不理人",
    "根本不能用",
    "做工粗糙",
    "一点用都没有",
    "不值这个价",
    "没几天就开裂了",
]
ZH_NEU = [
    "{p}一般般，能用。",
    "{p}还行吧，没什么特别的。",
    "{p}刚收到，还没用。",
    "这个{p}中规中矩。",
    "{p}凑合，价格有点贵。",
    "{p}用了一次，效果还不好说。",
]
ZH_CONTRAST_POS = ["物流有点慢，不过{p}很好用。", "价格有点贵，但是{p}质量真的好。"]
ZH_CONTRAST_NEG = ["{p}看着挺好看，但是用了一周就坏了。", "刚开始还行，后来{p}就不能用了。"]


def _template_rows(rng: random.Random) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(text: str, label: str, lang: str, domain: str) -> None:
        rows.append({"text": text, "label": label, "lang": lang, "domain": domain, "source": "template"})

    for domain, p in EN_PRODUCTS:
        for _ in range(3):
            add(f"{rng.choice(EN_POS_OPEN)} {p}, {rng.choice(EN_POS_DETAIL)}.", "positive", "en", domain)
            add(f"{rng.choice(EN_NEG_OPEN)} {p}, {rng.choice(EN_NEG_DETAIL)}.", "negative", "en", domain)
        add(rng.choice(EN_NEU).format(p=p), "neutral", "en", domain)
        add(rng.choice(EN_NEU).format(p=p), "neutral", "en", domain)
        add(rng.choice(EN_CONTRAST_POS).format(p=p), "positive", "en", domain)
        add(rng.choice(EN_CONTRAST_NEG).format(p=p), "negative", "en", domain)
    for domain, p in ZH_PRODUCTS:
        for _ in range(3):
            add(rng.choice(ZH_POS).format(p=p, d=rng.choice(ZH_POS_DETAIL)), "positive", "zh", domain)
            add(rng.choice(ZH_NEG).format(p=p, d=rng.choice(ZH_NEG_DETAIL)), "negative", "zh", domain)
        add(rng.choice(ZH_NEU).format(p=p), "neutral", "zh", domain)
        add(rng.choice(ZH_NEU).format(p=p), "neutral", "zh", domain)
        add(rng.choice(ZH_CONTRAST_POS).format(p=p), "positive", "zh", domain)
        add(rng.choice(ZH_CONTRAST_NEG).format(p=p), "negative", "zh", domain)
    seen: set[str] = set()
    return [r for r in rows if not (r["text"] in seen or seen.add(r["text"]))]  # type: ignore[func-returns-value]


def _read_hand_file(path: Path, lang: str) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, text = line.split("|", 1)
            rows.append({"text": text.strip(), "label": label, "lang": lang, "domain": "", "source": "hand"})
    return rows


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        hand = _read_hand_file(Path(argv[0]), "en") + _read_hand_file(Path(argv[1]), "zh")
    else:
        with SEED_CSV.open(encoding="utf-8", newline="") as fh:
            hand = [r for r in csv.DictReader(fh) if r["source"] == "hand"]
    rows = hand + _template_rows(random.Random(0))
    with SEED_CSV.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "label", "lang", "domain", "source"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows ({len(hand)} hand-written) to {SEED_CSV}")


if __name__ == "__main__":
    main()

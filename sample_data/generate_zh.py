"""Generate the Chinese sample behaviour log (seeded, deterministic): run by `sample_data/generate.py`.

Writes, next to this file:
- events_zh.csv: 900 users of an online shop with 6 planted interests (column `标签`: 母婴, 数码, 美妆,
  运动户外, 家居, 零食), Chinese headers (用户ID, 商品ID, 商品标题, 行为, 时间, 评分, 评价内容, 价格, 数量,
  城市, 标签), Chinese event types (浏览, 加购, 收藏, 购买, 评价), a few months of timestamps, and short
  Chinese reviews (positive and negative) on the 评价 rows. Every row is clean: ingest keeps all of them.
- items_zh.csv (商品ID, 商品标题, 类目): the catalogue, an items-table example in Chinese.

Titles are composed from per-interest brand-like words, attributes, products and sizes with several
title patterns, so no two interests share a template and the catalogue reads like a real shop's.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

# interest -> brand-like words, positive and negative reviews
INTERESTS: dict[str, dict[str, list[str]]] = {
    "母婴": {
        "brands": ["贝乐康", "童悦", "小鹿妈妈", "安贝儿", "启萌"],
        "positive": [
            "宝宝用了不红屁屁，很放心",
            "宝宝很喜欢，质量很好",
            "材质柔软，宝宝穿着舒服",
            "推车很轻，单手就能收",
            "孩子每天都要看这套绘本",
            "回购第三次了，宝妈推荐",
        ],
        "negative": ["有点漏尿，晚上不太敢用", "奶瓶有异味，洗了几遍还有", "尺码偏小，宝宝穿不上"],
    },
    "数码": {
        "brands": ["极客派", "星耀", "云驰", "酷声", "锐影"],
        "positive": [
            "音质很好，降噪效果明显",
            "打游戏很流畅，手感好",
            "续航很给力，一周一充",
            "充电速度快，发热不明显",
            "画面清晰，色彩很正",
            "连接稳定，没有断连",
        ],
        "negative": ["用了一周就断连，很失望", "充电发烫严重，不敢用了", "按键有点松，做工一般"],
    },
    "美妆": {
        "brands": ["花漾", "雪肌源", "柔光", "玉泽颜", "珂丽"],
        "positive": [
            "保湿效果很好，皮肤不干了",
            "涂上很滋润，不油腻",
            "颜色很显白，很好看",
            "用了一个月皮肤变亮了",
            "敏感肌用着也不刺激",
            "味道清香，吸收很快",
        ],
        "negative": ["用完脸上过敏起痘了", "有点搓泥，不太服帖", "颜色和图片差很多，不推荐"],
    },
    "运动户外": {
        "brands": ["山行者", "野径", "峰途", "疾风", "远征"],
        "positive": [
            "徒步很好用，防水效果不错",
            "爬山一天脚也不累",
            "露营下雨也没漏水",
            "很轻，背着不累",
            "跑步很舒服，回弹好",
            "透气速干，夏天运动正合适",
        ],
        "negative": ["鞋底开胶了，质量一般", "帐篷拉链坏了一次就不能用", "背包肩带太硬，磨肩膀"],
    },
    "家居": {
        "brands": ["木之家", "简悦", "暖居", "栖木", "净朗"],
        "positive": [
            "床品很柔软，睡得很舒服",
            "收纳很方便，家里整齐多了",
            "灯光很温馨，装在卧室刚好",
            "做工扎实，安装简单",
            "遮光效果好，白天也能睡",
            "颜值很高，和家里风格很搭",
        ],
        "negative": ["有很重的味道，晾了几天还在", "尺寸不对，和描述不一样", "用了不久就掉色起球"],
    },
    "零食": {
        "brands": ["三只松果", "良品坊", "味觉岛", "香脆屋", "甜蜜时光"],
        "positive": [
            "很好吃，一口气吃了半袋",
            "味道正宗，辣得过瘾",
            "包装很精致，送人很合适",
            "坚果很新鲜，颗粒饱满",
            "口感酥脆，孩子很爱吃",
            "甜度刚好，不腻",
        ],
        "negative": ["太咸了，吃不下去", "收到有几包漏气了", "日期不新鲜，有点受潮"],
    },
}
# interest -> product -> "attribute,attribute,...|size/spec,size/spec,..." (each product its own)
PRODUCTS = {
    "母婴": {
        "婴儿纸尿裤": "超薄透气,防红屁屁,新生儿|NB码 84片,M码 64片,L码 52片",
        "拉拉裤": "超薄透气,干爽,夜用|L码 42片,XL码 36片",
        "婴儿湿巾": "无添加,手口专用,加厚|80抽×6包,80抽×12包",
        "宝宝奶瓶": "防胀气,宽口径,新生儿|160ml,240ml",
        "婴儿推车": "轻便可折叠,高景观,可坐可躺|1辆装",
        "儿童安全座椅": "0-4岁,360度旋转,ISOFIX接口|1台装",
        "婴儿辅食米粉": "高铁,无添加,有机|1段 225g,2段 225g",
        "宝宝洗发沐浴露": "温和无泪,无添加,二合一|300ml,500ml",
        "婴儿连体衣": "纯棉,新生儿,四季款|59cm,66cm,73cm",
        "儿童绘本": "0-3岁,益智早教,双语|一套10册,一套20册",
        "宝宝牙胶": "食品级硅胶,安抚,可水煮|1个装,2个装",
        "婴儿背带": "透气,多功能,腰凳|1件装",
        "婴儿奶粉": "1段,2段,3段|800g,900g",
    },
    "数码": {
        "蓝牙耳机": "主动降噪,低延迟,半入耳式|黑色,白色",
        "机械键盘": "RGB背光,热插拔,青轴|87键,104键",
        "无线鼠标": "静音,轻量化,电竞级|黑色,白色",
        "移动电源": "Type-C快充,超薄,大容量|10000mAh,20000mAh",
        "智能手表": "心率血氧,超长续航,NFC|46mm,42mm",
        "平板电脑": "2K高刷,轻薄便携,护眼|8GB+128GB,8GB+256GB",
        "快充充电器": "氮化镓,多口,Type-C快充|65W,100W",
        "显示器": "2K高刷,IPS,电竞级|24英寸,27英寸",
        "游戏手柄": "无线,霍尔摇杆,震动|黑色,白色",
        "固态硬盘": "NVMe,高速,PCIe4.0|512GB,1TB,2TB",
        "无线路由器": "Wi-Fi 6,千兆,穿墙|AX3000,AX1800",
        "数据线": "Type-C快充,编织,磁吸|1米,1.5米,2米",
        "蓝牙音箱": "重低音,便携,防水|黑色,蓝色",
    },
    "美妆": {
        "保湿精华液": "玻尿酸,烟酰胺,修护|30ml,50ml",
        "补水面膜": "玻尿酸,舒缓,修护|10片装,5片装",
        "防晒霜": "SPF50+,清爽,防水防汗|50ml,30ml",
        "洁面乳": "氨基酸,温和,控油|100g,120g",
        "口红": "哑光,滋润,持久不脱色|#01 正红色,#03 豆沙色,#05 枫叶色",
        "粉底液": "持久不脱妆,遮瑕,控油|30ml #01 自然色,30ml #02 象牙白",
        "眼霜": "淡纹,紧致,修护|15g,20g",
        "爽肤水": "补水,敏感肌适用,收缩毛孔|150ml,200ml",
        "卸妆水": "温和无刺激,深层清洁,敏感肌适用|400ml,200ml",
        "身体乳": "烟酰胺,保湿,香氛|200g,400g",
        "眼影盘": "大地色,珠光,哑光|九色,十二色",
        "护手霜": "滋润,香氛,不油腻|30g×3支,50g",
        "面霜": "修护,保湿,抗初老|50g,30g",
    },
    "运动户外": {
        "登山鞋": "防水透气,防滑耐磨,高帮|39码,42码,44码",
        "冲锋衣": "防水透气,三合一,户外徒步|M,L,XL",
        "帐篷": "双层防雨,速开,户外露营|2-3人,3-4人",
        "登山杖": "碳纤维,超轻,可伸缩|一对装,单支",
        "跑步鞋": "专业跑步,缓震,轻量|40码,42码,43码",
        "瑜伽垫": "加厚,防滑,TPE|6mm,8mm",
        "速干T恤": "速干,透气,防紫外线|M,L,XL",
        "双肩背包": "户外徒步,大容量,防泼水|35L,45L",
        "睡袋": "保暖,可拼接,超轻|-5℃,5℃",
        "运动水壶": "大容量,防漏,便携|750ml,1000ml",
        "骑行头盔": "一体成型,透气,超轻|M,L",
        "护膝": "专业运动,加压,透气|一对装",
        "露营椅": "可折叠,铝合金,便携|1把装,2把装",
    },
    "家居": {
        "四件套": "纯棉,北欧风,水洗棉|1.5米床,1.8米床",
        "乳胶枕": "泰国天然,护颈,透气|1只装,一对装",
        "收纳箱": "可折叠,大容量,带盖|60L,35L",
        "香薰蜡烛": "助眠,无烟,植物精油|200g,礼盒装",
        "落地灯": "简约,护眼,遥控调光|1台装",
        "羽绒被": "加厚,白鸭绒,冬季|200×230cm,150×200cm",
        "浴巾": "纯棉,吸水,加厚|70×140cm,一条装",
        "拖把": "免手洗,平板,旋转|1拖4布",
        "置物架": "实木,免打孔,多层|三层,四层",
        "窗帘": "遮光,隔热,北欧风|2米宽,3米宽",
        "懒人沙发": "可拆洗,单人,榻榻米|灰色,米白色",
        "地毯": "防滑,客厅,简约|160×230cm,120×160cm",
        "餐具套装": "陶瓷,简约,家用|4人份,6人份",
    },
    "零食": {
        "每日坚果": "混合,独立小包装,无添加|30包,15包",
        "牛肉干": "手撕,香辣味,五香|250g,500g",
        "薯片": "原味,番茄味,酥脆|70g×6袋,量贩装",
        "芒果干": "无添加,果肉厚,酸甜|100g×3袋,500g",
        "巧克力": "黑巧,低糖,牛奶|礼盒装,100g",
        "辣条": "麻辣,网红,小包装|30包,1kg",
        "饼干": "苏打,全麦,奶香|1kg,组合装",
        "海苔": "即食,夹心,原味|40g×3罐,量贩装",
        "瓜子": "焦糖味,五香,山核桃味|500g,250g",
        "鸭脖": "麻辣,卤味,真空包装|250g,500g",
        "蛋黄酥": "流心,雪媚娘,手工|12枚,6枚",
        "肉松饼": "早餐,糕点,整箱|1kg,500g",
        "花生": "香酥,蒜香,麻辣|500g,组合装",
    },
}
PROMOS = ["【官方旗舰】", "【限时特惠】", "【新品】", "【爆款】", "【包邮】"]
PATTERNS = [
    "{brand}{attribute}{product} {spec}",
    "{promo}{brand} {product}{attribute} {spec}",
    "{brand}{year}新款{attribute}{product}{spec}",
    "{brand} {attribute}{attribute2}{product} {spec}",
    "{product} {brand}{attribute} {spec}",
]
# weights of the event types per event (browse most, review least)
EVENTS = ["浏览"] * 45 + ["加购"] * 15 + ["收藏"] * 12 + ["购买"] * 15 + ["评价"] * 13
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆"]
START = datetime(2024, 3, 1)
COLUMNS = ["用户ID", "商品ID", "商品标题", "行为", "时间", "评分", "评价内容", "价格", "数量", "城市", "标签"]
PRICE_RANGE = {
    "母婴": (29, 399),
    "数码": (39, 1999),
    "美妆": (49, 499),
    "运动户外": (19, 899),
    "家居": (15, 699),
    "零食": (9, 99),
}


def build_catalogue(rng: random.Random, per_interest: int = 45) -> list[dict[str, str]]:
    items = []
    for i_index, (interest, spec) in enumerate(INTERESTS.items()):
        seen: set[str] = set()
        products = sorted(PRODUCTS[interest].items())
        while len(seen) < per_interest:
            product, described = rng.choice(products)
            attributes, specs = (part.split(",") for part in described.split("|"))
            attribute, attribute2 = rng.sample(attributes, 2)
            title = rng.choice(PATTERNS).format(
                brand=rng.choice(spec["brands"]),
                product=product,
                attribute=attribute,
                attribute2=attribute2,
                spec=rng.choice(specs),
                promo=rng.choice(PROMOS),
                year=rng.choice(["2024", "2025"]),
            )
            if title in seen:
                continue
            seen.add(title)
            low, high = PRICE_RANGE[interest]
            items.append(
                {
                    "商品ID": f"SP{i_index + 1}{len(seen):03d}",
                    "商品标题": title,
                    "类目": interest,
                    "价格": f"{rng.uniform(low, high):.2f}",
                }
            )
    return items


def build_events(rng: random.Random, items: list[dict[str, str]], n_users: int = 900) -> list[dict[str, str]]:
    by_interest: dict[str, list[dict[str, str]]] = {}
    for item in items:
        by_interest.setdefault(item["类目"], []).append(item)
    interests = list(INTERESTS)
    rows = []
    for u in range(n_users):
        interest = interests[u % len(interests)]
        secondary = rng.choice([p for p in interests if p != interest]) if rng.random() < 0.25 else None
        city = rng.choice(CITIES)
        favourites = rng.sample(by_interest[interest], 10)
        t = START + timedelta(days=rng.uniform(0, 90))
        for _ in range(rng.randint(5, 10)):
            pool = by_interest[secondary] if secondary and rng.random() < 0.15 else favourites
            item = rng.choice(pool)
            event = rng.choice(EVENTS)
            t += timedelta(hours=rng.uniform(0.05, 72))
            rating = review = quantity = ""
            if event == "评价":
                rating = str(rng.choice([5, 5, 5, 4, 4, 3, 2, 1]))
                kind = "negative" if int(rating) <= 2 else "positive"
                review = rng.choice(INTERESTS[item["类目"]][kind])
            if event == "购买":
                quantity = str(rng.choice([1, 1, 1, 2, 3]))
            rows.append(
                {
                    "用户ID": f"YH{u + 1:04d}",
                    "商品ID": item["商品ID"],
                    "商品标题": item["商品标题"],
                    "行为": event,
                    "时间": t.strftime("%Y-%m-%d %H:%M:%S"),
                    "评分": rating,
                    "评价内容": review,
                    "价格": item["价格"],
                    "数量": quantity,
                    "城市": city,
                    "标签": interest,
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(seed: int = 11, out: Path = HERE) -> None:
    rng = random.Random(seed)
    items = build_catalogue(rng)
    events = build_events(rng, items)
    write_csv(out / "events_zh.csv", events, COLUMNS)
    write_csv(out / "items_zh.csv", items, ["商品ID", "商品标题", "类目"])


if __name__ == "__main__":
    main()

"""Places outside Zhejiang: a message about another province's office is none of our departments.

"上海的居住证积分" and "苏州的公积金贷款额度" are for Shanghai's and Suzhou's offices, while "户口在安徽，
在杭州上学" is ours. The router does not decide on the place alone: it gives the gate two signals
(another place is named; it is named and no Zhejiang place is) and the fitted weights decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Pattern, Tuple

from bot.text.regions import place_words

# Provincial-level divisions other than Zhejiang, then the cities citizens name most often.
PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
CITIES = (
    "石家庄 唐山 保定 邯郸 廊坊 太原 大同 沈阳 大连 长春 哈尔滨 南京 苏州 无锡 常州 南通 徐州 扬州 镇江 盐城 "
    "连云港 泰州 宿迁 淮安 昆山 江阴 张家港 常熟 合肥 芜湖 蚌埠 阜阳 安庆 黄山 六安 亳州 宿州 滁州 马鞍山 "
    "福州 厦门 泉州 漳州 莆田 宁德 南平 龙岩 三明 南昌 赣州 九江 上饶 景德镇 鹰潭 宜春 吉安 抚州 济南 青岛 "
    "烟台 潍坊 临沂 淄博 济宁 郑州 洛阳 开封 周口 南阳 商丘 信阳 驻马店 新乡 武汉 宜昌 襄阳 荆州 黄冈 孝感 "
    "十堰 恩施 长沙 株洲 湘潭 衡阳 岳阳 常德 邵阳 广州 深圳 东莞 佛山 珠海 中山 惠州 汕头 湛江 江门 茂名 "
    "梅州 海口 三亚 成都 绵阳 南充 宜宾 达州 泸州 乐山 贵阳 遵义 毕节 六盘水 昆明 大理 丽江 曲靖 西双版纳 "
    "西安 咸阳 宝鸡 延安 汉中 兰州 天水 西宁 银川 呼和浩特 包头 鄂尔多斯 南宁 桂林 柳州 北海 拉萨 乌鲁木齐 "
    "喀什 伊犁 台北 高雄 台中 浦东 雄安"
).split()


@lru_cache(maxsize=1)
def _patterns() -> Tuple[Pattern[str], Pattern[str]]:
    zhejiang = place_words()
    # A name that is also a Zhejiang place (none today) must never count as "elsewhere".
    other = sorted({p for p in PROVINCES + CITIES if p not in zhejiang}, key=len, reverse=True)
    inside = sorted(zhejiang, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, other))), re.compile("|".join(map(re.escape, inside)))


@dataclass(frozen=True)
class PlaceSignals:
    other: bool        # a place outside Zhejiang is named, other than as the citizen's origin
    zhejiang: bool     # a Zhejiang place is named
    possessive: bool   # "上海的居住证", "苏州那边": the matter itself is there
    mentions: int      # how often places outside Zhejiang are named (origins included)


# "我是四川过来的", "俺是河南来义乌打工的", "安徽户口在杭州": where the citizen comes from, not where
# the matter is.
_ORIGIN_BEFORE = ("是", "从", "系")
_ORIGIN_AFTER = ("人", "过来", "来的", "来", "户口", "户籍", "籍", "嚟", "搬")
_POSSESSIVE_AFTER = ("的", "那边", "那里", "那儿", "当地", "本地", "嘅")


def place_signals(normalized: str) -> PlaceSignals:
    """Where the places a normalised message names are, and how it names them."""
    other_re, zhejiang_re = _patterns()
    other = possessive = False
    mentions = 0
    for match in other_re.finditer(normalized):
        mentions += 1
        before = normalized[max(0, match.start() - 1):match.start()]
        after = normalized[match.end():match.end() + 2]
        possessive = possessive or after.startswith(_POSSESSIVE_AFTER)
        if not (before.endswith(_ORIGIN_BEFORE) or after.startswith(_ORIGIN_AFTER)):
            other = True
    return PlaceSignals(other, zhejiang_re.search(normalized) is not None, possessive, mentions)

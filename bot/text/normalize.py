"""Text normalisation shared by the index and the queries, so both sides look alike.

Order matters: HTML and entities go first (they hide real characters), then NFKC folds
full-width forms, then everything that is not a letter or digit becomes a single space, then
OpenCC turns Traditional into Simplified and written Cantonese and Wu become Mandarin (fold_dialect).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import opencc

MAX_CHARS = 500  # longer messages are letters, not queries: the head carries the request

_TAG_RE = re.compile(r"<[^<>]{0,200}>")
_NON_WORD_RE = re.compile(r"[\W_]+")  # punctuation, emoji, symbols, control characters
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# Cantonese written as spoken ("張社保卡唔見咗", "喺邊度辦", "幾耐攞到"), and the words Hong Kong and
# Taiwan write otherwise ("甚麼文件", "身分證"), folded to the Mandarin words
# the catalogue and every lexicon use. Each fold keeps the length (spans.locate maps positions one to
# one); words first, then single characters that are only Cantonese. 系 (係) is left: it is Mandarin too.
_DIALECT_WORDS = {"使唔使": "要不要", "点样": "怎样", "点算": "咋办", "边度": "哪里", "边个": "哪个", "几耐": "多久",
                  "跌咗": "丢了", "唔见": "不见", "冇咗": "没了",
                  # 咩嘢 / 乜嘢 as "what" ("咩嘢证明"); 咩 alone is read by the lexicons ("要准备啲咩")
                  "唔该": "谢谢", "咩嘢": "什么", "乜嘢": "什么", "做咩": "干啥",
                  "架车": "辆车",  # Cantonese counts a car with 架
                  # written so in Hong Kong and Taiwan, and left so by OpenCC: 甚麼, 身分證
                  "甚么": "什么", "身分": "身份"}
_DIALECT_WORDS_RE = re.compile("|".join(sorted(_DIALECT_WORDS, key=len, reverse=True)))
_DIALECT_CHARS = str.maketrans({"咗": "了", "唔": "不", "冇": "没", "嘅": "的", "喺": "在", "啲": "些", "佢": "他",
                                "哋": "们", "攞": "拿", "畀": "给", "睇": "看", "揾": "找", "嚟": "来", "谂": "想"})


# Wu (吴语) as Zhejiang's older citizens type it, the same way: 弗 (not: "收钱弗"), 渠 (he, she: "渠在
# 上海交的保险", but not a ditch or a channel: 渠道, 沟渠, 水渠), 听讲 (heard: "听讲老人好免费体检").
_WU = re.compile(r"弗|听讲|(?<![沟水灌干河明暗])渠(?![道系])")
_WU_WORDS = {"弗": "不", "听讲": "听说", "渠": "他"}


# Hakka and She (畲) as southern Zhejiang's villagers type them: 麼个 (what: "愛帶麼个"), 麼人 / 乜人
# (who: "麼人做得"), 𠊎 (I); not the 么 of 什么, 怎么, 这么, 那么, 多么, 要么.
_HAKKA = re.compile(r"(?<![什怎这那多要])么个|(?<![什怎这那多要])么人|乜人|\U0002028e")
_HAKKA_WORDS = {"么个": "什么", "么人": "啥人", "乜人": "啥人", "\U0002028e": "我"}


def fold_dialect(text: str) -> str:
    """Cantonese, Wu and Hakka words and characters as their Mandarin equivalents, length kept
    (simplified input)."""
    text = _DIALECT_WORDS_RE.sub(lambda m: _DIALECT_WORDS[m.group(0)], text).translate(_DIALECT_CHARS)
    text = _HAKKA.sub(lambda m: _HAKKA_WORDS[m.group(0)], text)
    return _WU.sub(lambda m: _WU_WORDS[m.group(0)], text)


def normalize(text: object, max_chars: int = MAX_CHARS) -> str:
    """Canonical matching form: simplified, half-width, lower-case, words separated by one space."""
    if not isinstance(text, str) or not text:
        return ""
    # Read a bounded head: a 1 MB paste must not cost more than a normal query.
    text = text[: max_chars * 4]
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = _NON_WORD_RE.sub(" ", text).strip()
    if not text:
        return ""
    if _CJK_RE.search(text):
        text = fold_dialect(_t2s().convert(text))
    text = text.lower()
    # Spaces between two CJK characters are noise ("身份证 过期"); keep them elsewhere.
    text = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", text)
    return text[:max_chars]


def latin_words(text: str) -> list[str]:
    """Runs of latin letters in a normalised text (pinyin abbreviations such as sfz, gjj)."""
    return _LATIN_RE.findall(text)


def folded_words(values: object, where: str) -> tuple[str, ...]:
    """A lexicon file's list of words, each as matching reads it (normalised, spaces dropped);
    a ValueError naming `where`, in Chinese for the clerk who edits the file, when it is not
    a list of words."""
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) and str(v) for v in values):
        raise ValueError(f"{where} 应为非空文字的列表")
    return tuple(normalize(str(v)).replace(" ", "") for v in values)


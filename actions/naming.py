"""The words of a text that may name a matter: its character pairs without an everyday asking
character, and a matter's own names and aliases as pairs (a bundle's members, a story's matters, a
follow-up's switch all compare the two)."""

from __future__ import annotations

from typing import Any, Dict, List

from bot.text.normalize import normalize


# Characters of everyday asking ("办下来", "要多久", "那个"): a pair of words holding one names no matter.
EVERYDAY_CHARS = frozenset("下来出去要能办的了吗啥几多少好在哪里个那这么什样怎咋可以不是有没会就还")


# The family a story is about ("老屋改到奶奶名下": 奶奶 names the heir, not the 销户 an alias tells of a
# grandmother).
_FAMILY_PAIRS = frozenset({"爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷", "爸爸", "妈妈", "父亲", "母亲", "老伴", "老公",
                           "老婆", "媳妇", "丈夫", "妻子", "儿子", "女儿", "孙子", "孙女", "家里", "老人"})

# Everyday pairs that name no member of a bundle ("能在网上一起办吗"), the family, and how the family
# is ("媳妇还在坐月子出不了门": the mother's confinement names no 新生儿医保, whatever alias speaks of 月子).
EVERYDAY_PAIRS = frozenset({"一起", "一下", "自己", "网上", "手机", "材料", "需要", "办理", "申请", "手续", "时间",
                            "地方", "坐月", "月子"}) | _FAMILY_PAIRS

# Who the citizen speaks of ("我们夫妻俩", "两口子", "我爸妈"): people, no matter's name, when they
# ask who must come.
PEOPLE_PAIRS = _FAMILY_PAIRS | frozenset({"爸妈", "父母", "夫妻", "妻俩", "两口", "口子", "家人", "我们", "他们", "咱们",
                                          "俺们", "两个", "三个"})


def bigrams(text: str) -> set:
    folded = normalize(text).replace(" ", "")
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def names_of(guide: Dict[str, Any]) -> List[str]:
    """A matter's name and aliases, as written."""
    return [guide["name"], *guide.get("aliases", [])]


def folded_names(guide: Dict[str, Any]) -> List[str]:
    """A matter's name and aliases normalised, spaces dropped: to be found in a message folded alike."""
    return [normalize(n).replace(" ", "") for n in names_of(guide)]


# A name or alias this long, found word for word, names its matter (shorter ones are everyday words).
NAMING_CHARS = 4


def named_word_for_word(guide: Dict[str, Any], folded: str) -> bool:
    """Whether a folded text holds one of the matter's names or aliases word for word."""
    return any(len(n) >= NAMING_CHARS and normalize(n).replace(" ", "") in folded for n in names_of(guide))


def naming_pairs(text: str) -> set:
    """The character pairs of a text that may name something: none holding an everyday character
    ("批下来", "要带啥" name nothing)."""
    return {b for b in bigrams(text) if not set(b) & EVERYDAY_CHARS}


def name_bigrams(guide: Dict[str, Any]) -> set:
    """The character pairs of a matter's name and aliases: the words that name it."""
    return set().union(*(bigrams(n) for n in names_of(guide)))

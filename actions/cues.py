"""Cue words (data/lexicon/cues.yml) that decide what a message is where the intent classifier
guesses: a failed trip, a request for a person, a ticket-status question, dropping a form,
declining to leave a phone, a complaint told as a story."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, List, Tuple

from bot.catalogue.lexicons import cue_pattern, cue_words
from bot.text.coming import who_comes
from bot.text.normalize import normalize
from bot.text.sentences import asking_sentence, asks, clauses, sentences, written_clauses


def said_words(text: str, kind: str) -> List[str]:
    """The cue words of `kind` the text holds."""
    folded = normalize(text).replace(" ", "")
    return [word for word in cue_words()[kind] if word and word in folded]


def says(text: str, kind: str) -> bool:
    """True when the text holds one of the cue words of `kind`."""
    return bool(said_words(text, kind))


# "那户口去哪里上", "那么医保呢", "那以后想用公积金贷款…": a message that turns to another topic.
TURNS_TO = re.compile(r"^(?:那么|那|还有)(?!个|些|边|里)")


def asks_in_person(text: str) -> bool:
    """Whether the citizen asks who must come in person or may go for someone: a cue word
    ("要本人去吗", "委托别人") or a person named coming or going for them ("他要去吗", "卖车的朋友要跟我
    一起去车管所吗", "好叫阿拉儿子代伊去伐")."""
    return says(text, "in_person") or bool(who_comes(normalize(text).replace(" ", "")))


# Words that hold a fear word and say none: 主要是 (要是), 只要是, 不要紧.
_NOT_FEARS = re.compile(r"主要是|只要是|不要紧")


def _occurrences(folded: str, kind: str) -> Iterator[Tuple[int, str]]:
    """(position, word) of every occurrence of a cue word of `kind` in a folded text."""
    for word in cue_words()[kind]:
        at = folded.find(word) if word else -1
        while at >= 0:
            yield at, word
            at = folded.find(word, at + 1)


def asks_to_act(text: str) -> bool:
    """The citizen asks someone to act (cues.yml complaint_request: 投诉, 举报, 管一管…) in their own
    name: not as the one complained of ("会被人举报要罚款", up to 3 characters before the word) and
    not as a fear ("怕人家投诉")."""
    folded = normalize(text).replace(" ", "")
    words = cue_words()
    for at, _word in _occurrences(folded, "complaint_request"):
        before = folded[max(0, at - 3):at]
        # (要是 in 主要是 is no "if": "我主要是要举报这个厂")
        window = _NOT_FEARS.sub("", folded[max(0, at - 4):at])
        if not any(a in before for a in words["acted_upon"]) and not any(f in window for f in words["feared"]):
            return True
    return False


def grieves(text: str) -> bool:
    """A grievance told (cues.yml grievance: 欠薪, 押金不退, 扰民, 投诉…); the words that ask someone
    to act count only as asks_to_act reads them ("会被人举报要罚款" tells no grievance)."""
    folded = normalize(text).replace(" ", "")
    words = cue_words()
    asking = set(words["complaint_request"])
    if any(w and w not in asking and w in folded for w in words["grievance"]):
        return True
    return any(w and w in asking and w in folded for w in words["grievance"]) and asks_to_act(text)


# Asking how many trips a matter takes: "要来回跑几次", "得跑几趟".
# How many trips it takes, asked before going: "要来回跑几次", "是不是跟新装电表一样要跑好几趟",
# "得跑两趟吗".
_ASKS_TRIPS = re.compile(r"(?:跑|去|来)(?:几|多少)(?:次|趟|回)"
                         r"|(?:是不是|是否|会不会|难道|要不要)[\u4e00-\u9fff]{0,12}?跑(?:好几|好多|很多|两|三|几)(?:次|趟|回)"
                         r"|(?:要|得|需要)(?:来回)?跑(?:好几|好多|很多|两|三)(?:次|趟|回)(?:吗|么|伐|呀|啊)")


def went_and_failed(text: str) -> bool:
    """兜底: the citizen says they went and could not get it done. An outcome word decides; a count
    of trips alone does when it is not feared ("怕跑好几趟", up to 4 characters before it) and the
    message does not complain about someone else ("找老板跑了好几趟" about unpaid wages)."""
    folded = normalize(text).replace(" ", "")
    sent_back = [m.span() for m in _SENT_BACK.finditer(folded)]
    if _unfeared(folded, "failed_trip", text) or any(
            not _feared_afar(folded, at, text) and not _not_the_citizens_failure(folded, at, end) for at, end in sent_back):
        # "白跑了一趟", not "怕白跑一趟"; "让我下次再来", not "最怕…又让我下次再来"
        return True
    if _ASKS_TRIPS.search(folded) and "了" not in folded:
        return False  # "要来回跑几次": how many trips it takes, asked before going
    return ((_unfeared(folded, "repeated_trips", text) or _counted_trips(folded) or _runaround_at_counters(text))
            and not says(text, "grievance") and not _trips_only_recalled(folded, text))


def _trips_only_recalled(folded: str, text: str) -> bool:
    """Every count of trips the message tells is in a clause that recalls another time or tells
    someone else's trips (cues.yml recalled, another_time, others_did: "…居住证要哪些材料 我怕又白跑
    一趟 上次换身份证就是这样跑了两回", "我朋友前年开的时候跑了好几趟"): told to explain a question,
    not a trip that failed now. A clause that opens with the trip itself has no subject of its own:
    it goes on from the clause before ("我记得老大那时候是去社区开的准生证，跑了好几次")."""
    found = [folded.find(w) for w in cue_words()["repeated_trips"] if w and w in folded]
    found += [m.start() for m in _COUNTED_TRIPS.finditer(folded)]
    if not found:
        return False
    def told_of_elsewhere(at: int) -> bool:
        start = _clause_start(text, at)
        if _TRIP_OPENS.match(folded, start) and start > 0:
            start = _clause_start(text, start - 1)
        return bool(_elsewhere().search(folded[start:at]))

    return all(told_of_elsewhere(at) for at in found)


@lru_cache(maxsize=1)
def _elsewhere() -> "re.Pattern[str]":
    """Another time or another person (cues.yml recalled, another_time, others_did), built once."""
    return re.compile("|".join(cue_pattern(kind).pattern for kind in ("recalled", "another_time", "others_did")))


# A clause that opens with the trip itself ("跑了好几次", "又去了两趟"): no subject of its own.
_TRIP_OPENS = re.compile(r"(?:又|还|也|都)?(?:跑|去|来)了")


def _runaround_at_counters(text: str) -> bool:
    """Sent from office to office, in a clause that does not say it was on the phone, by no private
    party named up to there ("物业说在等维修公司…推来推去": the property company's complaint)."""
    told = ""
    for clause in clauses(text):
        told += clause
        if says(clause, "runaround") and "电话" not in clause and _unfeared(clause, "runaround"):
            return not says(told, "private_parties")
    return False


# Sent back to come again: "让我回去弄好了再来", "叫我回医院改了再来" (not the question "要准备好了再来吗").
_SENT_BACK = re.compile(r"(?:让|叫|要)(?:我|我们)[\u4e00-\u9fff]{0,10}?再来(?![吗吧呢伐?？])")


# A count of trips with the place between: "去了医院两次", "跑了社保中心三趟".
_COUNTED_TRIPS = re.compile(r"(?:去|跑|来)了[\u4e00-\u9fff]{1,6}?(?:两|三|四|五|几|好几|[2-9])(?:次|趟|回)")


def _counted_trips(folded: str) -> bool:
    feared = cue_words()["feared"]
    return any(not any(f in folded[max(0, m.start() - 4):m.start()] for f in feared)
               and not _not_the_citizens_failure(folded, m.start(), m.end())
               for m in _COUNTED_TRIPS.finditer(folded))


# "来回跑一趟温州要四个小时": one round trip, what going would cost, not trips made.
_ONE_ROUND_TRIP = re.compile(r"(?:一|1)(?:趟|次|回)")


# "在外卖站点跑了三个多月", "跑了两年出租": a time spent working, not trips made.
_TIME_SPENT = re.compile(r"[十百\d]*(?:个多?月|多?个?年|个?多?星期|周)")


def _unfeared(folded: str, kind: str, text: str = "") -> bool:
    """Whether a cue word of `kind` occurs without a word of fear just before it, or further back in
    its clause (of `text`, the message as written, whose folded form `folded` is)."""
    feared = cue_words()["feared"]
    for at, word in _occurrences(folded, kind):
        # (a fear word may end on the cue's first character: "没空跑来跑去" is no 空跑)
        if not any(f in folded[max(0, at - 4):at + 1] for f in feared) and not _feared_afar(folded, at, text) \
                and not (kind == "repeated_trips" and (_ONE_ROUND_TRIP.match(folded, at + len(word))
                                                       or _TIME_SPENT.match(folded, at + len(word)))) \
                and not _not_the_citizens_failure(folded, at, at + len(word)):
            return True
    return False


FEAR_REACH = 20  # characters back from a cue that a fear of the same clause governs


def _feared_afar(folded: str, at: int, text: str) -> bool:
    """"最怕跑过去说材料不全又白跑一趟": a fear (cues.yml feared_afar) earlier in the cue's clause."""
    begin = max(at - FEAR_REACH, _clause_start(text, at))
    before = folded[begin:at]
    for fear in cue_words()["feared_afar"]:
        found = before.rfind(fear)
        if found >= 0 and not cue_pattern("fear_ends").search(before[found + len(fear):]):
            return True
    return False


# Done in the end: "跑了好几趟才弄好的" tells a trip that worked.
_DONE_AFTER = re.compile(r"[\u4e00-\u9fff]{0,6}?(?:才|总算|终于)(?:弄好|办好|办下来|办成|弄成|拿到|办完|弄完|批下来)")
# How often one can come: "一个月只能回来一两趟" is no coming back empty-handed.
_HOW_OFTEN = re.compile(r"[一两二三四五几1-9]{1,3}[趟次回]")


PARTY_REACH = 10  # characters back from a refusal that a private party named there owns it


def _not_the_citizens_failure(folded: str, start: int, end: int) -> bool:
    """A trip that is someone else's, told by hearsay with no "I" between ("我朋友说他前年交契税跑了
    好几趟"); one that got it done in the end ("跑了好几趟才弄好的"); how often one can come; or a
    refusal by a private party, not an office ("房东一开始说他不给登记")."""
    if _DONE_AFTER.match(folded, end) or (folded[start:end].endswith(("回来", "回去")) and _HOW_OFTEN.match(folded, end)):
        return True
    if any(p in folded[max(0, start - PARTY_REACH):start] for p in cue_words()["private_parties"]):
        return True  # "房东一开始说他不给登记": the landlord's no, not an office's
    before = folded[:start]
    heard = max((before.rfind(w) + len(w) for w in cue_words()["hearsay"] if w in before), default=-1)
    return heard >= 0 and not any(w in before[heard:] for w in cue_words()["first_person"])


def _clause_start(text: str, at: int) -> int:
    """Where the clause holding folded position `at` begins (0 for the first)."""
    return max([0] + [s for s in _clause_starts(text) if s <= at])


@lru_cache(maxsize=8)
def _clause_starts(text: str) -> Tuple[int, ...]:
    """Where each clause of the text begins in its folded form (clauses() concatenated): worked out
    only when a cue is found, once per message."""
    starts, at = [], 0
    for clause in clauses(text):
        starts.append(at)
        at += len(clause)
    return tuple(starts)


STORY_CHARS = 60  # a message this long is a story: what it asks is in its asking sentence


# Finding, calling or arranging a person to talk to: "给我找个管事的人聊聊", "安排一位工作
# 人员在线上跟我沟通", "换个负责的人来". Not "请工作人员来查" or "派人来看看" (a complaint's request).
_PERSON_SHAPE = re.compile(r"(?:找|寻|叫|安排|换|转|接)(?:个|一个|一位|位|名)?(?:你们)?(?:的)?"
                           r"(?:管事的|负责的|能做主的|懂行的|值班的|[\u4e00-\u9fff]{1,5}?的)?"
                           r"(?:人工|真人|活人|工作人员|工作人原|值班人员|同志|客服|专人|人|负责人|领导|职员)"
                           # 倾: Cantonese "搵个职员倾下"
                           r"(?:来?(?:跟我|和我|同我|与我|给我)?(?:聊|说|讲|谈|倾|沟通|对接|解释|打电话|回电话)"
                           r"|[\u4e00-\u9fff]{0,5}?(?:跟我|和我|同我|与我)(?:聊|说|讲|谈|沟通|对接|解释))")


# Talking with a person named as such: "我要跟你们工作人员直接说", "安排个工作人员给我打个电话讲讲",
# "我想直接跟承办人员谈", "有没有人能跟我说说", "有没得人直接跟我讲嘛". Not "让工作人员来查一下" (no talking to me).
_TALK_TO_PERSON = re.compile(
    r"(?:跟|和|同|与|让|叫|请|安排)(?:你们|您们)?(?:那边|这边)?(?:的)?[\u4e00-\u9fff]{0,4}?"
    r"(?:工作人员|工作人源|工作人原|承办人员|办事人员|值班人员|值班的同志|同志|经办人|职员|客服|专人|领导|负责人)(?:直接|当面|亲自)?"
    r"(?:跟我|和我|给我)?(?:打个?电话|回个?电话|来个?电话|接个?电话|通个?电话|通话|接一下|来接|说|谈|讲|聊|沟通|解释)"
    # "有没有人好直接讲给我听的" (Wu 好: can), "可唔可以有个职员直接同我讲" (Cantonese).
    r"|(?:有(?:没有|没得|没|冇|无)|(?:可不可以|可唔可以|能不能|能唔能|可以)有)(?:个|位|一个|一位)?[\u4e00-\u9fff]{0,4}?"
    # ("有没有上班的同志跟我说说": 同志, an elder's word for a clerk)
    r"(?:人|工作人员|工作人原|工作人源|职员|同志)(?:能|可以|好)?(?:直接|当面|亲自)?"
    # "有没有人好打个电话跟我讲讲": a call, then the talk
    r"(?:(?:打|回)个?电话)?(?:跟我|和我|同我|给我)?(?:说|讲|解释|聊|谈|倾|沟通)"  # 倾: Cantonese "同我倾吓"
    # "帮我转个上班的工作人员": put through to a person (转, 接), whatever words stand between.
    r"|(?:转|接)(?:个|一个|一位)[\u4e00-\u9fff]{0,4}?(?:工作人员|工作人源|工作人原|客服|真人|活人)"
    # "能不能让你们那边的人直接跟我对接一下": the office's people, whoever they are.
    r"|(?:让|叫|请|安排)你们(?:那边|这边|那里)?的?人(?:直接|当面|亲自)?(?:跟我|和我|给我|同我)?(?:对接|联系|打个?电话|回个?电话|说|讲|聊|沟通|解释)")
# "叫个人来", "你说不清楚，换个人来", "我找人": a person, the message ending on it (not "找人代办").
_SOMEONE = re.compile(r"(?:找|寻|叫|换|来)(?:个|一个|一位)?(?:别的)?人(?:来)?(?:吧|啊|呀|好吗|行吗)?$")
# The whole message is "人工" ("人工人工人工", "有没有人工？"), not "人工授精" or "人工费".
_BARE_HUMAN = re.compile(r"^(?:我|阿拉|要|请|转|找|寻|接|帮我|给我|有没有|能不能)*(?:人工)+(?:服务|客服|坐席)?(?:吗|呢|吧|啊|呀|伐)?$")


def _says_in_a_clause(text: str, kind: str) -> bool:
    """says, clause by clause: normalising joins "开车的活，人事让我…" into 活人."""
    return any(says(piece, kind) for piece in written_clauses(text))


# Someone found to go for the citizen ("找个人代我跑一趟可以不", "叫个亲戚帮我去办"): who may go, no
# one to talk to.
_PROXY = re.compile(r"(?:找|叫|请|让|托)(?:个|一个|位)?(?:人|别人|亲戚|朋友|熟人)(?:代|替|帮我?(?:跑|办|去|领|交))")


def _asks_for_person(part: str) -> bool:
    folded = normalize(part)
    if _PROXY.search(folded.replace(" ", "")):
        return False
    bare = re.sub(r"[^\w]", "", folded)
    return (_says_in_a_clause(part, "ask_person") or bool(_PERSON_SHAPE.search(folded.replace(" ", "")))
            or bool(_TALK_TO_PERSON.search(bare)) or bool(_SOMEONE.search(bare)) or bool(_BARE_HUMAN.match(bare)))


def speaks_of_person(text: str) -> bool:
    """Whether the message speaks of a person to talk to at all (人工, 工作人员, 客服, 领导…), not
    counting the words that only look like it (人工授精, 人工费): a handoff the intent classifier
    reads in a message without any is a guess, and a guess files no ticket."""
    for piece in written_clauses(text):
        folded = normalize(piece).replace(" ", "")
        for word in cue_words()["not_person"]:
            folded = folded.replace(word, "")
        if any(word and word in folded for word in cue_words()["person_words"]):
            return True
    return False


def asks_for_person(text: str) -> bool:
    """"让个真人来", "打字太累了找个人"; in a long story only its asking sentence counts ("社区的
    工作人员来走访，说可以办残疾人证……请问办理流程是怎样的" asks the steps, not for a person)."""
    if len(normalize(text).replace(" ", "")) < STORY_CHARS:
        return _asks_for_person(text)
    return _asks_for_person(asking_sentence(text) or (sentences(text) or [text])[-1])


def agrees(text: str) -> bool:
    """A plain yes or "同意" as the whole message ("好的，同意", "同意的", "好个，同意")."""
    folded = re.sub(r"[^\w]", "", normalize(text).replace(" ", ""))
    if folded in cue_words()["plain_yes"]:
        return True
    rest = re.sub(r"[我的了啊呀个哈]", "", folded.replace("同意", "", 1)) if "同意" in folded else None
    return rest is not None and (rest == "" or rest in cue_words()["plain_yes"])


def accepts_offer(text: str) -> bool:
    """Whether a reply to an offer ("需要的话，我可以把您的问题转给该部门") takes it: in words
    ("帮我问问", "转过去吧") or with a plain yes, the whole message ("好的", "要的"); a thank-you
    ("好的谢谢") closes instead."""
    folded = re.sub(r"[^\w]", "", normalize(text).replace(" ", ""))
    return says(text, "accept_offer") or folded in cue_words()["plain_yes"]


def asks_their_office(text: str) -> bool:
    """Whether a few words ask how to reach the office the conversation is about, spoken of as
    "they" (cues.yml their_office: "他们办公地址在哪", "你们礼拜六上班吗", "那边电话多少")."""
    folded = normalize(text).replace(" ", "")
    return len(folded) <= 16 and bool(cue_pattern("their_office").search(folded)
                                      and cue_pattern("office_contact").search(folded))


def asks_how_to_reach(text: str) -> bool:
    """A few words asking whom to call or where to go ("有没有电话可以打", "那我找谁"), or how to reach
    "them" (cues.yml asks_who, their_office)."""
    folded = normalize(text).replace(" ", "")
    # (not "不方便留电话，有结果你们怎么通知我": the citizen's own phone, declined)
    return len(folded) <= 16 and (asks(text) or "谁" in folded) and not says(text, "no_phone") and bool(
        asks_their_office(text) or cue_pattern("asks_who").search(folded))

"""好差评: the five-level rating at the end of a served conversation, and 差评 follow-up."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.conversation import channel_of, entity, idempotency_key, intent_of, is_button, text_of, Answering
from actions.cues import says
from actions.reading import asked_if_all
from actions.ticket_request import announce_ticket, department_for, ticket_request
from bot.text.regions import find_region
from bot.text.normalize import normalize
from bot.text.phones import contact_number
from bot.vocabulary import BAD_RATING_MAX, RATING_LEVELS, TicketKind

MIN_REASON_CHARS = 12  # a 差评 message this long carries its reason ("排了三个小时队…给个差评")
# Words citizens use, checked longest first ("非常不满意" before "不满意" before "满意").
_WORDS = [
    ("非常不满意", 1), ("很不满意", 1), ("太差", 1), ("垃圾", 1), ("一星", 1), ("很差", 1), ("真差", 1), ("特别差", 1),
    ("差劲", 1), ("太烂", 1), ("很烂", 1), ("1星", 1), ("2星", 2), ("3星", 3), ("4星", 4), ("5星", 5),
    ("不满意", 2), ("勿满意", 2), ("不太满意", 2), ("差评", 2), ("差平", 2), ("不好", 2), ("两星", 2), ("二星", 2),
    ("基本满意", 3), ("一般", 3), ("还行", 3), ("凑合", 3), ("还可以", 3), ("三星", 3),
    ("非常满意", 5), ("很满意", 5), ("五星", 5), ("特别满意", 5), ("太棒", 5),
    ("满意", 4), ("好评", 4), ("不错", 4), ("四星", 4), ("挺好", 4),
]


# "给两分", "打1分", "零分" (not "11分钟", "一分钱"): a score out of five.
# "1分", "给两分", and stars: "只给一颗星", "五星" (not "五星级").
_SCORE_RE = re.compile(r"(?<![0-9零一二两三四五六七八九十百])([0-5零一二两三四五])\s*(?:分(?![钟钱])|[颗个]?星(?!级))")
_SCORE_DIGITS = {"零": 1, "0": 1, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def score_in(text: str) -> Optional[int]:
    """A score given as such: at the start ("1分，地址都是错的", "五星") or after 给/打/评 ("给两分",
    "只给一颗星"); not a story's "一分不发"."""
    folded = normalize(text).replace(" ", "")
    for found in _SCORE_RE.finditer(folded):
        if found.start() == 0 or any(v in folded[max(0, found.start() - 2):found.start()] for v in "给打评"):
            value = found.group(1)
            return _SCORE_DIGITS.get(value) or int(value)
    return None


# What a rating message says besides the rating: "给个差评" gives no reason, "差评，答非所问" does.
_FILLER = re.compile(r"[给打个评价分吧了啊呀哦我就要真太很非常的呢嘛，。,.!！?？~～、\s0-9零一二两三四五星]")
MIN_REASON_WORDS = 3


def gives_reason(text: str) -> bool:
    """Whether a rating message carries its reason: long enough, or words beyond the rating's own."""
    folded = normalize(text).replace(" ", "")
    if len(folded) >= MIN_REASON_CHARS:
        return True
    for word, _ in sorted(_WORDS, key=lambda w: -len(w[0])):
        folded = folded.replace(word, "")
    return len(_FILLER.sub("", folded)) >= MIN_REASON_WORDS


def rating_level(tracker: Tracker) -> Optional[int]:
    value = entity(tracker, "rating")
    if value and value.strip().isdigit() and 1 <= int(value) <= 5:
        return int(value)
    score = score_in(text_of(tracker))
    if score is not None:
        return score
    text = normalize(text_of(tracker))
    for word, level in sorted(_WORDS, key=lambda w: -len(w[0])):
        if word in text:
            return level
    return None


class ActionRecordRating(Answering):
    def name(self) -> Text:
        return "action_record_rating"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        level = rating_level(tracker)
        if level is None and not is_button(tracker) and (entity(tracker, "matter") or entity(tracker, "aspect")):
            # "评残去哪评": a question the intent classifier took for a rating.
            return [FollowupAction("action_answer_matter")]
        if level is None:
            dispatcher.utter_message(response="utter_ask_rating")
            return [SlotSet("ticket_kind", None)]
        try:
            recorded = await hall().record_rating(
                {
                    "conversation_id": tracker.sender_id,
                    "level": level,
                    "matter": tracker.get_slot("current_matter"),
                    "ticket": tracker.get_slot("last_ticket"),
                    "channel": channel_of(tracker),
                    "idempotency_key": idempotency_key(tracker, "rating"),
                }
            )
        except HallUnavailable:
            recorded = True  # the rating is in the tracker; the hall's dashboard misses one, the citizen nothing
        if not recorded:
            # This service was rated already (typed again, or a replayed button): thanked once more,
            # no second rating and no second 差评 feedback ticket.
            dispatcher.utter_message(response="utter_thank")
            return [SlotSet("served", False), SlotSet("ticket_kind", None)]
        events: List[EventType] = [SlotSet("rating", str(level)), SlotSet("served", False), SlotSet("ticket_kind", None)]
        if level > BAD_RATING_MAX:
            dispatcher.utter_message(response="utter_rating_thanks", level_name=RATING_LEVELS[level])
            return events
        dispatcher.utter_message(response="utter_rating_bad", level_name=RATING_LEVELS[level])
        # ticket_kind=feedback: a rule starts feedback_form (the reason, then a phone for the call back).
        events = events[:-1] + [SlotSet("ticket_kind", TicketKind.FEEDBACK.value),
                                SlotSet("ticket_matter", tracker.get_slot("current_matter"))]
        text = text_of(tracker)
        phone = contact_number(text)
        if phone:
            events.append(SlotSet("contact_phone", phone))
        if text.startswith("/") or not gives_reason(text):
            return events  # the form asks what went wrong
        # A 差评 typed with its reason ("排了三个小时队…给个差评"): filed at once, so that no 差评 is
        # lost when the citizen leaves; a call-back phone, if they want one, is added after.
        reason = text.strip()[:1000]
        filed = await file_bad_rating(dispatcher, tracker, level, reason, phone)
        if not filed:  # the hall is down: the form keeps the reason and submits it later
            return events + [SlotSet("rating_reason", reason)]
        if phone:  # reason and phone told at once: nothing left to ask
            return [SlotSet("rating", str(level)), SlotSet("served", False), SlotSet("ticket_kind", None)] + filed
        return events + [SlotSet("rating_reason", reason)] + filed  # the form offers the call back


async def file_bad_rating(dispatcher: CollectingDispatcher, tracker: Tracker, level: int, reason: str,
                          phone: Optional[str] = None) -> List[EventType]:
    """Files the 差评's feedback ticket to the 政务服务办 as soon as its reason is known; [] when the
    hall cannot be reached (the feedback form then submits it as before)."""
    kind = TicketKind.FEEDBACK.value
    request = ticket_request(tracker, kind, department_for(kind, None), reason,
                             matter=tracker.get_slot("current_matter"), consent=True, rating=level, reason=reason)
    request["contact_phone"] = phone or tracker.get_slot("contact_phone") or None
    request["region"] = request["region"] or find_region(reason)
    try:
        ticket = await hall().create_ticket(request)
    except HallUnavailable:
        return []
    announce_ticket(dispatcher, ticket, request["contact_phone"])
    return [SlotSet("filed_ticket", ticket["number"]), SlotSet("last_ticket", ticket["number"])]


class ActionGoodbye(Action):
    """Thanks or goodbye: a served conversation ends with the 好差评 question."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        current = tracker.get_slot("current_matter")
        if (entity(tracker, "aspect") or entity(tracker, "matter") or not says(text_of(tracker), "closing")
                or (current and asked_if_all(tracker, current))):
            # "谢谢，那要带啥": a question with the thanks; "快到期了": no word of thanks or goodbye at
            # all, whatever the intent classifier says. The answering action takes it.
            return [FollowupAction("action_answer_matter")]
        if tracker.get_slot("served"):
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        dispatcher.utter_message(response="utter_thank" if intent_of(tracker) == "thank" else "utter_goodbye")
        return []

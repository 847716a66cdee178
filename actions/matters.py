"""action_answer_matter: answers about a matter, asks which one, or starts a ticket form.

The matcher (bot.nlu.matter_matcher) finds the matter; this action decides what to do with it:
service matters are answered (overview or one aspect), bundles as one, guidance and complaint
matters open the ticket form. Follow-ups ("那要多少钱？") answer for the current matter. How the
message is read in its conversation (its asking clause, what the previous turn offered, a story's
question) is actions.reading's; whether a follow-up stays on the matter in hand, and which offered
option an answer picks, actions.follow_ups'; a department as the answer, actions.departments'.
The message itself, read once for all the steps, is an actions.turn.Turn; _respond() runs the
steps in order, and the first that replies ends the turn.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import interruptions, render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import (
    ROUTER_SURE, channel_of, entity, intent_of, is_button, last_bot_response,
    previous_replies, text_of, user_texts, without_repeats, Answering,
)
from actions.forms import drops_form, pending_ticket, tells_more, photos_question, prefill_ticket_form, taken_in_passing, wants_submit
from actions.cues import STORY_CHARS, agrees, asks_for_person, says, went_and_failed
from actions.approved import serve_approved
from actions.feedback import ActionRecordRating, rating_level, score_in
from actions.bundles import TOGETHER, bundle_turn, member_among, named_bundle
from actions.documents import unnamed_document
from actions.handoff import ActionHandoff, called_off
from actions.departments import (
    accept_department_offer, complaint_route, department_answer, department_of, department_ticket, offer_callback,
    offer_department,
)
from actions.follow_ups import (
    FOLLOW_UP_QUESTION, MAX_CLARIFY, SHORT_QUESTION, SHORT_REPLY, asked_of_current, in_context, in_current_guide, needed_for, said_only_to_deny, stays,
)
from actions.outside import answered_outside, elsewhere_answer, still_outside
from actions.reading import (
    EVERYDAY_PAIRS, OVERRULE_OUTSIDE, asked_in_story, asked_which, asks_what_about, aspect_for, bigrams,
    department_offered, done_elsewhere, is_bare_followup, named_matters, needed_thing, offer_said_yes_to,
    only_particulars, only_told_had, read_with_previous, router_overrules, takes_offer, unsure_of,
)
from actions.ticket_request import FILED_REPLIES
from actions.turn import Turn
from actions.umbrellas import told_option, umbrella_options
from actions.tickets import (ActionOpenTicket, consent_answer, consent_pending, ActionReportFailedTrip, ActionTicketStatus, asks_ticket_status,
                             file_when_told, ticket_number)
from bot.text.phones import contact_number
from bot.text.regions import find_region
from bot.text.normalize import normalize
from bot.vocabulary import (FALLBACK_MATTER, TICKET_MATTER_KINDS, Aspect, MatterKind, TicketKind,
                             TicketStatus)

logger = logging.getLogger(__name__)

# Below the matcher's confidence but worth offering as options when the intent is about a matter.
PLAUSIBLE_SCORE = 0.3
# A department the router leans to this much answers a message no matter fits, when the likeliest
# of the weak matches is another department's.
ROUTER_LEANS = 0.7
ROUTER_UNSURE = 0.5  # a "none of ours" scored below this does not stop a plausible matter's answer
# When the router overrules the top match, a candidate of the router's department scoring this much
# is the matter meant (a runner-up, not a stray word).
IN_ROUTED_DEPARTMENT = 0.1
# A message this short that names no matter, after an answer, is a follow-up on it.
SHORT_FOLLOW_UP = 16
# report_failed_trip too: the classifier reads many long stories so, but 兜底 is decided by the
# citizen's words (went_and_failed, before the steps); a story that gets here asks about a matter.
MATTER_INTENTS = ("ask_matter", "ask_aspect", "request_guidance", "complain", "nlu_fallback", "consult_department",
                  "report_failed_trip")


# Asking whom or where to turn to, in a few words: "那具体找谁问", "打哪个电话".
_ASKS_WHO = re.compile(r"找谁|问谁|找哪|哪个电话|什么电话|电话多少|打哪|联系谁|哪里问|去哪问|在哪")


def plausible_beside(best: float, other: float) -> bool:
    """Whether a candidate is still a plausible reading beside the best one (as offered in step 6)."""
    return other >= PLAUSIBLE_SCORE or (best >= 0.1 and other >= best / 3)


class ActionAnswerMatter(Answering):
    def name(self) -> Text:
        return "action_answer_matter"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent, text = intent_of(tracker), text_of(tracker)
        # "哦不用了，我自己先问问，…" while a handoff waits: told, then the question answered.
        calling_off = await called_off(dispatcher, tracker)
        if pending_ticket(tracker) and wants_submit(tracker, intent):
            # "提交" after "工单系统暂时没有响应": submit the form the citizen already filled in.
            events = await ActionOpenTicket().open(dispatcher, tracker, None)
        elif (tracker.get_slot("last_ticket") and consent_pending(tracker)
              and (consent_answer(tracker) is not None or drops_form(text))):
            # "同意", "不同意", or "算了不用专家了…问下家庭农场咋登记": the answer kept on the
            # ticket just filed (a drop is a no), and a question asked with it answered too.
            agreed = consent_answer(tracker) is True and not drops_form(text)
            events = await ActionOpenTicket.record_consent(dispatcher, tracker, tracker.get_slot("last_ticket"), agreed)
            if interruptions.is_new_question(tracker):
                events += await interruptions.answer(dispatcher, tracker, continues=False)
        elif (tracker.get_slot("last_ticket") and set(FILED_REPLIES) & set(previous_replies(tracker))
              and only_particulars(text)):
            events = await ActionOpenTicket.add_particulars(dispatcher, tracker, tracker.get_slot("last_ticket"))
        elif (tracker.get_slot("last_ticket") and set(FILED_REPLIES) & set(previous_replies(tracker))
              and agrees(text)):
            events = await ActionOpenTicket.confirm(dispatcher, tracker.get_slot("last_ticket"))
        elif department_offered(tracker) and takes_offer(department_offered(tracker), text):
            # A yes ("好的 帮我问问"), a phone or "电话就不留了" right after "我可以把您的问题转给该部门":
            # the offer taken.
            events = await accept_department_offer(dispatcher, tracker, department_offered(tracker))
        elif (contact_number(text) and only_particulars(text) and not (tracker.active_loop or {}).get("name")
              and not pending_ticket(tracker) and (said_yes_to := offer_said_yes_to(tracker))):
            # "好的", then "18606589132" after "说“帮我问问”，我把您的问题转给…": the yes was for the offer.
            events = await accept_department_offer(dispatcher, tracker, said_yes_to)
        elif (contact_number(text) and only_particulars(text) and tracker.get_slot("current_matter")
              and not (tracker.active_loop or {}).get("name") and not pending_ticket(tracker)
              and (callback_from := await department_of(tracker.get_slot("current_matter")))):
            # "电话17858412093" after an answer, nothing pending: never the guide again; a call
            # back from the matter's department is offered, and filed only on a yes.
            events = await offer_callback(dispatcher, callback_from)
        elif intent != "rate" and asks_for_person(text) and not calling_off:
            # "让个真人来", "打字太累了找个人": a person, in whatever words.
            return await ActionHandoff().run(dispatcher, tracker, domain)
        elif ((says(text, "verdict") or score_in(text) is not None or last_bot_response(tracker) == "utter_ask_rating")
              and rating_level(tracker) is not None):
            # "…给个差评": a 好差评 in words; a 差评 goes on to its follow-up form. Said in so many
            # words it is the citizen's verdict, even on a runaround ("推来推去折腾了一上午…差评").
            events = await ActionRecordRating().run(dispatcher, tracker, domain)
        elif went_and_failed(text):
            # 兜底 only for a citizen who went and could not get it done.
            events = await ActionReportFailedTrip().run(dispatcher, tracker, domain)
        elif ticket_number(text) or (asks_ticket_status(text) and (not entity(tracker, "matter")
                                                                     or says(text, "own_ticket"))
                                     and not (answered_outside(tracker) and not tracker.get_slot("last_ticket"))):
            # A ticket number is never a matter's words, whatever letters it holds.
            events = await ActionTicketStatus().run(dispatcher, tracker, domain)
        elif ((intent == "greet" or (intent == "bot_challenge" and says(text, "bot_words")))
              and not entity(tracker, "aspect") and not entity(tracker, "matter")):
            # A question about the bot speaks of it; "有效期是一年吗" after an answer is a follow-up.
            dispatcher.utter_message(response="utter_greet" if intent == "greet" else "utter_bot_challenge")
            events = []
        else:
            events = await self._respond(dispatcher, tracker)
        # ticket_kind decides the next step (rules): set it on every turn, never leave a stale one.
        if not any(e.get("event") == "slot" and e.get("name") == "ticket_kind" for e in events):
            events.append(SlotSet("ticket_kind", None))
        return events

    async def _respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        """A message that is none of the special cases of decide(): its steps in order, the
        first that replies ends the turn (each returns its events, or None to pass it on)."""
        turn = Turn.read(tracker)
        steps = (self._small_talk, self._department_follow_up, self._in_bundle, self._bare_follow_up, self._alternatives_named,
                 self._lost_document, self._elsewhere, self._umbrella, self._meant, self._without_matter)
        try:
            for step in steps:
                events = await step(dispatcher, turn)
                if events is not None:
                    logger.debug("answered by %s", step.__name__)
                    return events
        except HallUnavailable:
            dispatcher.utter_message(response="utter_hall_unavailable")
            return []
        return await self._no_matter(dispatcher, turn)

    async def _small_talk(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        if (turn.intent == "deny" and says(turn.text, "closing") and turn.tracker.get_slot("served")
                and not turn.matter and not turn.aspect):
            # "没别的了" after being served: the conversation ends with the 好差评 question.
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        if (not turn.matter and not turn.aspect and turn.length <= SHORT_REPLY and says(turn.text, "closing")
                and not asked_which(turn.tracker)):
            # "知道了", "好的谢谢" in any intent: the end of a question, never a new one to route.
            dispatcher.utter_message(response="utter_ask_rating" if turn.tracker.get_slot("served")
                                     else "utter_anything_else")
            return []
        if turn.intent in ("affirm", "deny") and not turn.matter and not turn.aspect and not (
                await turn.picked() or await turn.refined()):
            # "好的" / "不用了" outside a question name no matter, whatever words they share
            # (but "租房的" after "哪一项？" picks an option, whatever the intent classifier says).
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return None

    @staticmethod
    async def _department_follow_up(dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """After "这件事由省医疗保障局负责…": a few words asking where, how or whom ("在哪开通",
        "那具体找谁问") are about that department's business, not a new question to route — its
        answer again (hotline, online entry, the offer to pass the question on)."""
        offered = department_offered(turn.tracker)
        if (turn.current or turn.matter or turn.button or not offered or "request_type" not in offered
                or turn.length > SHORT_QUESTION or not (turn.aspect or _ASKS_WHO.search(turn.text))):
            return None
        dept = offered["department"]
        return await department_answer(dispatcher, {"code": dept["code"], "score": dept.get("score"),
                                                    "type": offered.get("request_type")})

    async def _in_bundle(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """0. Inside a 一件事: a member named in a follow-up ("契税要交多少", "医保那个网上能弄吗")
        is that member; the whole asked again ("整个办下来要几天") is the bundle."""
        bundled = await bundle_turn(turn.tracker, turn.current, turn.aspect)
        if bundled is not None:
            return await self._answer(dispatcher, turn.tracker, bundled, turn.aspect or Aspect.OVERVIEW)
        # A question that names several members of one 一件事 and asks to do them together
        # ("执照 刻章 税务 社保开户这些 听说现在可以一起弄"): the 一件事, not its first member.
        named = await named_bundle(turn.tracker)
        if named:
            return await self._answer(dispatcher, turn.tracker, named, turn.aspect or Aspect.OVERVIEW)
        return None

    async def _bare_follow_up(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """1. A bare follow-up about the current matter ("那要多少钱？"): the aspect is all the
        message says, so a stray match on its words must not replace the matter."""
        if turn.current and turn.aspect and is_bare_followup(turn.tracker):
            return await self._answer(dispatcher, turn.tracker, turn.current, turn.aspect)
        return None

    async def _alternatives_named(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"低保还是临时救助，不知道哪个合适": the matters named, as options."""
        named = [] if (turn.button or len(turn.text) > STORY_CHARS
                       or not says(turn.text, "alternatives")) else await named_matters(turn.tracker)
        return await self._clarify(dispatcher, named) if len(named) >= 2 else None

    async def _lost_document(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"我的证丢了咋补办": the lost-document matters people most often mean, not whatever matters
        share 丢 and 补; the answer ("身份证") then means 补领. Only when the matcher is unsure:
        "食品经营许可证快到期了" names its document, and "補證" answers the question "which one?"
        just asked."""
        view = turn.view
        unnamed = (None if turn.button or asked_which(turn.tracker) or not (view.abstain or view.clarify)
                   or (turn.current and not view.abstain) else unnamed_document(turn.text))
        if unnamed and turn.current not in unnamed:
            return await self._clarify(dispatcher, unnamed, limit=len(unnamed))
        return None

    async def _elsewhere(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"苏州那边怎么补", "香港的身份证到期了": that place's own business, not Zhejiang's."""
        place = None if turn.button else done_elsewhere(turn.text)
        if not place:
            return None
        await hall().record_unmatched(turn.tracker.sender_id, turn.text, channel_of(turn.tracker))
        return await elsewhere_answer(dispatcher, place, turn.matter or next(iter(turn.ranked), None))

    async def _umbrella(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"社保要怎么转过去", "我要办注销": a topic named without saying which of its matters is
        meant (data/lexicon/umbrellas.yml): which one, not the one the words lean to."""
        # A follow-up is read with the matter in hand; asking to do several at once is a 一件事.
        if turn.current or turn.button or asked_which(turn.tracker) or not turn.ranked or TOGETHER.search(normalize(turn.text)):
            return None
        # The matcher's reading when it is sure; its first few when it is not ("家里的缴费户名还是我爸
        # 的，想过户到我名下" leans to 继承, then 电 and 水) or when it leans to a 一件事 ("读书的事体").
        first = await hall().guide(turn.ranked[0])
        unsure = turn.view.abstain or turn.view.clarify or (first and first["kind"] == MatterKind.BUNDLE)
        likeliest = turn.ranked[:MAX_CLARIFY - 1] if unsure else turn.ranked[:1]
        told = told_option(turn.text) if unsure and len(turn.text) <= STORY_CHARS else None
        if told in likeliest:
            # Unsure between close readings, but the words tell one of the topic's matters apart
            # ("孙子今年满16了还没办过身份证…要带点啥": 首次申领, not 临时身份证): that one.
            return await self._answer(dispatcher, turn.tracker, told, turn.aspect or Aspect.OVERVIEW,
                                      turn.ranked[:MAX_CLARIFY])
        options = umbrella_options(turn.text, likeliest, before=user_texts(turn.tracker)[-2:-1])
        if not options:
            return None
        return await self._clarify(dispatcher, options, limit=len(options))

    async def _meant(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """2. The matter meant: a button payload or a confident match, held against the
        conversation; 2b. a story's asking sentence; 3. the option picked; or the router's
        department when it overrules the match."""
        tracker, current = turn.tracker, turn.current
        code = turn.matter
        # "要出生证吗" after 出生落户: whether the matter in hand needs a thing another matter's words
        # name, whichever department the router gives that thing.
        asked = None if turn.button else needed_thing(turn.text)
        needed = (await needed_for(asked, code) if asked and code and current and code != current
                  and not says(turn.text, "switch") else None)
        overruled = self._overruled(turn, code, needed)
        remember = code or next(iter(turn.ranked), None)
        if overruled or code == FALLBACK_MATTER:
            # 兜底 is for a citizen who says they went and could not get it done (the cue words,
            # handled before); a story that only sounds like its aliases is routed by subject.
            code = None
        code, aspect = await self._held_to_conversation(turn, code, asked, needed)
        if code and not current and not turn.button and turn.length >= STORY_CHARS and await self._told_had(code, turn.text):
            # "残疾证是肢体二级，已经办好几年了…残联有补贴…我们这种能申请吗": what the story says it
            # already has is not what it asks; its asking sentence is read alone.
            code = await asked_in_story(turn.text)
        if not code and current and await asked_of_current(tracker, current):
            code = current  # "过期了一个月再续有影响吗，孩子明年要在这边读书": what it does to the matter in hand
        elif (not code and current and aspect and not turn.button and not says(turn.text, "switch")
              and turn.length <= (FOLLOW_UP_QUESTION if aspect == Aspect.CONDITIONS else SHORT_QUESTION)):
            # "我这种外地户口的能领吗" after 失业金: a situation asked of the matter in hand; "登记在派出所
            # 办吗" after 出生落户: an aspect in a few words, nothing else named for sure
            code = current
        # 2b. A long story the matcher is unsure of: what its asking sentence names, read alone.
        if not code and not current and not overruled and not says(turn.text, "grievance"):
            code = await asked_in_story(turn.text)
        # 3. A pick among the options we offered: by number or by words; or a short answer
        #    to "which one?" read together with what the citizen said before it
        #    ("我的证丢了咋补办" … "驾照": 驾驶证补领, not 驾驶证换证).
        if not code:
            code = await turn.picked()
        if overruled and not code and turn.routed_to and await department_of(current) == turn.routed_to:
            # Words of another department's matter in a follow-up on the current one, which the
            # router places in the current matter's department: still about the current matter.
            code = current
        if overruled and not code:
            # Another department's, or none of ours: say who handles it, and keep the matter
            # we matched one click away (in case the citizen does mean ours).
            routed = await self._routed_ticket(dispatcher, tracker, turn.view)
            if routed is not None:
                return routed
            # "宝宝刚满月，医保要怎么给他交": the words lean to 出生落户, the router is sure it is
            # 医保's; the matcher's own runner-up there is the matter meant.
            asks_which = bool(turn.view.clarify and turn.routed_to)
            code = None if asks_which else next(
                (m["matter"] for m in turn.view.matches if turn.routed_to
                 and m.get("department") == turn.routed_to and m["matter"] != FALLBACK_MATTER
                 and float(m.get("score") or 0) >= IN_ROUTED_DEPARTMENT), None)
            # Words that fit several matters ("办户口"): which one, among the router's
            # department's (step 4), rather than a guess or the department's card.
            if not code and not asks_which:
                await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
                return await department_answer(dispatcher, turn.route, also=remember)
        if not code and not aspect:
            code = await in_context(tracker) or await turn.refined()
        if turn.intent == "correct_matter" and not code:
            return await self._correct(dispatcher, tracker, turn.view, current, turn.candidates)
        if not code:
            return None
        if await self._complaint_about_service(turn, code):
            # "停水三天了…电话打不通…要投诉": a complaint whose words match a service (用水过户),
            # not a question about that service: it goes by its subject.
            routed = await self._routed_ticket(dispatcher, tracker, turn.view)
            if routed is not None:
                return routed
        # Keep the options around so that "不是这个" can offer the others.
        alternatives = turn.candidates if code in turn.candidates else turn.ranked[:MAX_CLARIFY]
        return await self._answer(dispatcher, tracker, code, aspect or Aspect.OVERVIEW, alternatives)

    @staticmethod
    async def _told_had(code: str, text: str) -> bool:
        guide = await hall().guide(code)
        # its name's words: a story's situation words fill the aliases ("脑瘫孩子办残疾证")
        return bool(guide) and only_told_had(text, bigrams(guide["name"]) - EVERYDAY_PAIRS)

    @staticmethod
    async def _complaint_about_service(turn: Turn, code: str) -> bool:
        """A message that asks someone to act (投诉, 举报, 管一管…), with no aspect asked, matched to
        a service matter that is not the one in hand."""
        if (turn.button or turn.aspect or code == turn.current or not says(turn.text, "complaint_request")
                or not says(turn.text, "grievance")):
            return False
        guide = await hall().guide(code)
        return bool(guide and guide["kind"] == MatterKind.SERVICE)

    @staticmethod
    def _overruled(turn: Turn, code: Optional[str], needed: Optional[str]) -> bool:
        """Whether the router's department (or none of ours) overrules the match. The router reads
        one message: not a few words after an answer ("租房的"), nor the conversation: the matter in
        hand matched again by the message's words ("申请资助要不要去开低保证明" after 学生资助, which
        the router gives to 民政 for its 低保)."""
        view = turn.view
        if turn.outside and turn.current and turn.aspect and turn.length <= SHORT_FOLLOW_UP:
            return False  # "手机上好不好弄" after an answer asks it of that matter, not of none of ours
        first_match = (float(view.matches[0]["score"]) if (
            code and view.matches and view.matches[0]["matter"] == code and not turn.current
            and not asked_which(turn.tracker) and not says(turn.text, "here")) else None)
        return bool(turn.alone and not turn.button and not needed and not (code and code == turn.current)
                    and router_overrules(turn.route, first_match))

    async def _held_to_conversation(
        self, turn: Turn, code: Optional[str], asked: Optional[Any], needed: Optional[str]
    ) -> Tuple[Optional[str], Optional[str]]:
        """The matter a match names, and the aspect asked, held against the conversation: an
        answer to "which one?", a follow-up that stays on the matter in hand."""
        tracker, current, aspect = turn.tracker, turn.current, turn.aspect
        if code and turn.candidates and code not in turn.candidates and asked_which(tracker) and not turn.button:
            # The answer to "which one?" is read with the question before it: "坏掉了，芯片读不出来"
            # after "社保卡" (申领、补换…) is 社保卡补换, not the 身份证 its words alone suggest.
            together = await read_with_previous(tracker)
            if together in turn.candidates:
                code = together
        if code and answered_outside(tracker):
            pass  # after "that is another place's business", a matter named is the one meant
        elif needed:
            code, aspect = current, needed
        elif asked and code and code == current:
            aspect = asked[1]  # "还需不需要开低保证明": what it needs
        elif code and current and code != current and await said_only_to_deny(tracker, code):
            code = current  # "医保关系不用转移过去吧？备案就够了对吗" after 异地就医备案
        elif code and current and aspect and code != current and await stays(tracker, current, code, aspect, turn.ranked):
            code = current
        elif code and current and code != current and await asked_of_current(tracker, current, code):
            code = current  # "卖家说房子以前抵押过…这样过户有没有影响" after 二手房过户: its question is 过户's
        elif code and current and code != current and await in_current_guide(tracker, current, code):
            code = current  # "要体检吗" after 驾驶证换证: its guide asks for the 体检, not 健康证明
        elif (code and current and code != current and not asks_what_about(turn.text)
              and await turn.combined() == current):
            code = current  # "养老的" after 社保转移: read with the question before, still its matter
        return code, aspect

    async def _without_matter(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """3b–6: no matter settled. A complaint goes by its subject; options are offered, or the
        department answers."""
        # 3b. A complaint told as a story, or a department's button: the department whose
        #     remit it is (the router), its complaint matter if it has one.
        routed = await self._routed_ticket(dispatcher, turn.tracker, turn.view)
        if routed is not None:
            return routed
        # Options to offer are the router's department's when it is sure of one ("公办养老院"
        # is 民政's, whatever 公租房 shares with its words); none of them: the department answers.
        follow_up = bool(turn.current and (turn.aspect or turn.intent == "ask_aspect"))
        sure = turn.route if (turn.routed_to and not follow_up and turn.alone
                              and turn.route_score >= ROUTER_SURE) else None
        offered = [c for c in turn.ranked if sure is None or turn.departments.get(c) == sure["code"]]
        if sure:
            events = await self._sure_department(dispatcher, turn, sure, offered)
            if events is not None:
                return events
        events = await self._close_candidates(dispatcher, turn, offered)
        if events is not None:
            return events
        # 5. An aspect question with no new matter: about the current one.
        if follow_up:
            return await self._answer(dispatcher, turn.tracker, turn.current, turn.aspect or Aspect.OVERVIEW)
        return await self._weak_matches(dispatcher, turn, offered)

    async def _sure_department(
        self, dispatcher: CollectingDispatcher, turn: Turn, sure: Dict[str, Any], offered: List[str]
    ) -> Optional[List[EventType]]:
        """The router is sure of a department: none of its matters among the candidates, its
        answer; the best of its own standing alone, that matter."""
        departments = turn.departments
        if turn.ranked and not offered:
            if await department_of(turn.current) == sure["code"]:
                # "二手房过户的时候，契税在哪交" after 契税: still the current matter's business.
                return await self._answer(dispatcher, turn.tracker, turn.current, turn.aspect or Aspect.OVERVIEW)
            await hall().record_unmatched(turn.tracker.sender_id, turn.text, channel_of(turn.tracker))
            return await department_answer(dispatcher, sure)
        everyone = [m for m in turn.view.matches if m["matter"] != FALLBACK_MATTER]
        scores = {m["matter"]: float(m.get("score") or 0.0) for m in everyone}
        if (turn.view.clarify and offered and len(everyone) >= 2 and everyone[0]["matter"] == offered[0]
                and departments.get(everyone[1]["matter"]) != sure["code"]
                and not (len(offered) >= 2 and plausible_beside(scores[offered[0]], scores[offered[1]]))):
            # "爷爷过世了…想把房子过到我爸名下": the close runner-up that made the matcher ask
            # was another department's (身后一件事), which the router rules out; among the
            # department's own matters the best one stands alone: its answer.
            return await self._answer(dispatcher, turn.tracker, offered[0], turn.aspect or Aspect.OVERVIEW, offered)
        return None

    async def _close_candidates(
        self, dispatcher: CollectingDispatcher, turn: Turn, ranked: List[str]
    ) -> Optional[List[EventType]]:
        """4. Close candidates: ask which one — unless it is a follow-up that stays on the current
        matter by the rules of step 2 ("发票要带伐" is no question of which 发票)."""
        if not (turn.view.clarify and len(ranked) >= 2):
            return None
        tracker, current, aspect = turn.tracker, turn.current, turn.aspect
        member = await member_among(current, ranked)
        if member:  # "落户口要带啥材料" after 新生儿出生一件事: that member of the bundle
            return await self._answer(dispatcher, tracker, member, aspect or Aspect.OVERVIEW)
        if current and current != ranked[0] and (
                (aspect and await stays(tracker, current, ranked[0], aspect, ranked))
                or await in_current_guide(tracker, current, ranked[0])):
            return await self._answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
        named = await named_matters(tracker)
        if current in ranked[:MAX_CLARIFY] and not set(named) - {current} and not says(turn.text, "switch"):
            # "备案了以后回宁波看病还能刷卡吗" after 异地就医备案: one of the readings is the matter
            # we are on, and no other is named in its own words: still about it.
            return await self._answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
        if len(named) == 1 and named[0] == ranked[0] and turn.length > SHORT_QUESTION:
            # "优待证到现在还没领，怎么领": the one option a question that tells more than a few
            # words names in its own words ("户口怎么上" names both 户口 matters alike).
            return await self._answer(dispatcher, tracker, named[0], aspect or Aspect.OVERVIEW, ranked)
        return await self._clarify(dispatcher, ranked)

    async def _weak_matches(
        self, dispatcher: CollectingDispatcher, turn: Turn, ranked: List[str]
    ) -> Optional[List[EventType]]:
        """6. Not confident, but the citizen clearly asks about some matter: the one plausible
        matter, the best few as options, or the department the router leans to."""
        tracker, view, current, route, intent = turn.tracker, turn.view, turn.current, turn.route, turn.intent
        aspect, departments = turn.aspect, turn.departments
        top = view.matches[0]["score"] if view.matches else 0.0
        plausible = [m["matter"] for m in view.matches if m["matter"] in ranked and plausible_beside(top, m["score"])]
        routed_to = turn.routed_to
        router_unsure = not routed_to and turn.route_score < ROUTER_UNSURE
        if asked_which(tracker) and turn.candidates and aspect and turn.length <= SHORT_QUESTION and not turn.button:
            # "手机上能申请吗" right after "您问的是哪一项？", no option picked: the aspect of the
            # likeliest option (offered first), the others kept for "不是这个" — not a new guess
            # on a few words.
            return await self._answer(dispatcher, tracker, turn.candidates[0], aspect, turn.candidates)
        if (current and view.abstain and current in [m["matter"] for m in view.matches[:MAX_CLARIFY]]
                and not set(await named_matters(tracker)) - {current} and not says(turn.text, "switch")):
            # Unsure, but one of the readings is the matter we are on and no other is named in its
            # own words ("备案地写杭州就可以了吧" after 异地就医备案): a follow-up on it.
            return await self._answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
        if (view.abstain and turn.alone and intent in MATTER_INTENTS and route
                and route.get("outside") and turn.route_score >= OVERRULE_OUTSIDE):
            # The matcher found no matter and the router is sure it is none of ours ("法院立案要
            # 带啥", "上海交的公积金怎么在上海提取", "征兵报名在哪报"): say so, rather than offer
            # matters of ours that only share its words; the likeliest stays one click away.
            await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
            return await department_answer(dispatcher, route, also=plausible[0] if plausible else None)
        if (intent in MATTER_INTENTS and intent != "consult_department" and len(plausible) == 1
                and (routed_to == departments.get(plausible[0]) or router_unsure)):
            # One plausible matter, in the department the router reads (or the router has no
            # idea), is no choice to offer ("车今年要年检了，怎么弄"): its answer. Not when the
            # router reads another department or is fairly sure it is none of ours ("想给我爸
            # 找家公办的敬老院住" is no 身后一件事), nor when asked which department: that is
            # answered below.
            return await self._answer(dispatcher, tracker, plausible[0], aspect or Aspect.OVERVIEW, ranked)
        if (view.abstain and turn.alone and intent in MATTER_INTENTS and routed_to
                and turn.route_score >= ROUTER_LEANS and plausible
                and departments.get(plausible[0]) != routed_to):
            # No matter of ours fits ("生育津贴怎么算，多久能拿到"), the likeliest of the weak ones
            # is another department's, and the router leans to one: that department's answer,
            # rather than a choice among matters that only share the message's words (出生一件事,
            # 生育登记); a matter of its own among them stays one click away.
            await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
            return await department_answer(dispatcher, route, also=next(
                (c for c in plausible if departments.get(c) == routed_to), None))
        if intent == "consult_department" and routed_to and len(plausible) == 1:
            plausible = []  # "找哪个部门申请": the department answers (7b)
        if intent in MATTER_INTENTS and plausible:
            return await self._clarify(dispatcher, plausible)
        return None

    async def _no_matter(self, dispatcher: CollectingDispatcher, turn: Turn) -> List[EventType]:
        """7. No matter: staff's approved answer to a question like it, a follow-up on the current
        matter in few words, or the department (or "none of ours") the router gives."""
        tracker, intent, view, current, route = turn.tracker, turn.intent, turn.view, turn.current, turn.route
        chat = intent in ("greet", "thank", "goodbye", "affirm", "deny")
        # 7a. Staff answered a question like this before: their approved answer, with its date.
        if not chat:
            approved = await serve_approved(dispatcher, turn.text)
            if approved is not None:
                return approved
        # 7b. No matter, but a department: which one handles it, what it covers, how to reach it.
        await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
        aspect = turn.aspect or Aspect.OVERVIEW
        if (not chat and turn.routed_to and current and not turn.matter
                and await department_of(current) == turn.routed_to):
            # The current matter's department, and no other matter named: a follow-up on it.
            return await self._answer(dispatcher, tracker, current, aspect)
        outside = turn.outside
        if (not chat and current and route is not None and not outside and view.abstain and not turn.matter
                and turn.route_score < ROUTER_SURE and not answered_outside(tracker)
                and turn.length <= SHORT_FOLLOW_UP):
            # "有效期是一年吗" after 健康证明: a few words naming nothing, which the router, reading
            # them alone, only guesses a department for: about the current matter.
            return await self._answer(dispatcher, tracker, current, aspect)
        if outside and not chat and not turn.matter and answered_outside(tracker):
            # "那你们就不能帮我催催他吗", "能帮我查一下法院的进度吗" after "not ours": still not ours.
            return still_outside(dispatcher)
        if outside and not chat and (current and view.abstain and turn.length <= SHORT_FOLLOW_UP):
            # A few words after an answer, naming nothing ("老的那张要交掉伐，我怕弄丢"): about the
            # current matter, not "none of our departments" (the router reads one message alone).
            return await self._answer(dispatcher, tracker, current, aspect)
        if outside and is_bare_followup(tracker):
            # "多少钱" with no matter before it: ask which matter, never "not ours".
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        if route is not None and not chat and not (outside and only_particulars(turn.text)):
            return await department_answer(dispatcher, route)
        if intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []

    async def _routed_ticket(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, view
    ) -> Optional[List[EventType]]:
        """A complaint with no matter named, or a department's button: its complaint matter
        answered, or a ticket to the department itself (actions.departments.complaint_route)."""
        routed = await complaint_route(tracker, view)
        if routed is None:
            return None
        if routed.matter:
            return await self._answer(dispatcher, tracker, routed.matter, Aspect.OVERVIEW)
        return await department_ticket(dispatcher, tracker, routed.kind, routed.department)

    async def _correct(self, dispatcher, tracker, view, current, candidates) -> List[EventType]:
        others = [c for c in candidates if c != current]
        if others:
            return await self._clarify(dispatcher, others, "utter_clarify_after_correction")
        dispatcher.utter_message(response="utter_rephrase_after_correction")
        return [SlotSet("current_matter", None)]

    async def _clarify(
        self, dispatcher: CollectingDispatcher, codes: List[str], question: str = "utter_clarify",
        limit: int = MAX_CLARIFY,
    ) -> List[EventType]:
        codes = list(dict.fromkeys(codes))[:limit]
        buttons, departments = [], {}
        for code in codes:
            guide = await hall().guide(code)
            if guide:
                dept = guide.get("department_name") or guide["department"]
                departments[guide["department"]] = dept
                buttons.append({"title": f"{guide['name']}（{dept}）", "payload": f'/choose{{"matter": "{code}"}}'})
        payload: Dict[str, Any] = {"clarify": codes}
        if len(departments) == 1:  # whichever the citizen picks, this department handles it
            [(code, name)] = departments.items()
            payload["department"] = {"code": code, "name": name}
        dispatcher.utter_message(response=question, buttons=buttons, json_message=payload)
        return [SlotSet("candidates", codes)]

    async def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, code: str, aspect: str,
        alternatives: Optional[List[str]] = None,
    ) -> List[EventType]:
        guide = await hall().guide(code)
        if guide is None:
            logger.warning("matcher returned unknown matter %s", code)
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        events: List[EventType] = [SlotSet("current_matter", code)]
        if alternatives is not None:
            events.append(SlotSet("candidates", [code] + [c for c in alternatives if c != code]))

        if guide["kind"] in TICKET_MATTER_KINDS:
            filed = await self._filed_for(tracker, code)
            if filed and tells_more(text_of(tracker)):
                # "等下地点说错了，是在杭州东站上的车": more of the story, onto the ticket filed.
                return events + await ActionOpenTicket.add_note(dispatcher, tracker, filed["number"])
            if filed:
                # One open ticket per matter and conversation: a second would be a double.
                dispatcher.utter_message(response="utter_ticket_already_filed", number=filed["number"],
                                         department_name=guide.get("department_name") or guide["department"],
                                         json_message={"ticket": filed["number"], "kind": filed["kind"],
                                                       "department": filed["department"], "matter": code})
                return events
            return events + await self._start_ticket(dispatcher, tracker, guide)
        aspect = aspect if aspect in render.ASPECTS else Aspect.OVERVIEW.value
        aspect = aspect_for(tracker, code, aspect)
        follow_up = aspect != Aspect.OVERVIEW and tracker.get_slot("current_matter") == code
        # A follow-up answers only what was asked, short, with the whole guide one tap away.
        more = [{"title": "查看完整指南", "payload": f'/ask_matter{{"matter": "{code}"}}'}] if follow_up else []
        if guide["kind"] == MatterKind.BUNDLE:
            text = render.bundle_text(guide) if aspect == Aspect.OVERVIEW else render.bundle_answer(guide, aspect)
        else:
            text = render.answer_text(guide, aspect)
        dispatcher.utter_message(text=text, buttons=more, json_message=render.matter_payload(guide, aspect))
        if not follow_up:
            await self._related(dispatcher, guide)
        if tracker.get_slot("current_matter") != code and not is_button(tracker) and unsure_of(tracker, code):
            # A guess the matcher is not sure of ("网约车的车要办什么证" read as the driver's
            # licence): a way out to the department, taken in its words, not by a yes to the guide.
            await offer_department(dispatcher, guide["department"], "utter_offer_department", "after_answer")
        return events + [SlotSet("served", True)]

    @staticmethod
    async def _related(dispatcher: CollectingDispatcher, guide: Dict[str, Any]) -> None:
        """增值服务: at most two next matters the citizen is likely to need."""
        buttons, codes = [], []
        for code in guide.get("related", [])[:2]:
            try:
                related = await hall().guide(code)
            except HallUnavailable:
                return
            if related:
                buttons.append({"title": related["name"], "payload": f'/ask_matter{{"matter": "{code}"}}'})
                codes.append(code)
        if buttons:
            dispatcher.utter_message(response="utter_related", buttons=buttons, json_message={"related": codes})

    @staticmethod
    async def _filed_for(tracker: Tracker, code: str) -> Optional[Dict[str, Any]]:
        """The open ticket this conversation last filed, when it is for this matter."""
        number = tracker.get_slot("last_ticket")
        if not number:
            return None
        try:
            tickets = await hall().lookup_tickets(tracker.sender_id, number=number)
        except HallUnavailable:
            return None
        return next((t for t in tickets if t.get("matter") == code and t.get("status") != TicketStatus.RESOLVED.value), None)

    @staticmethod
    async def _start_ticket(dispatcher: CollectingDispatcher, tracker: Tracker, guide: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(text=render.ticket_intro(guide), json_message=render.matter_payload(guide, Aspect.OVERVIEW))
        events = prefill_ticket_form(tracker, guide["kind"], guide["code"])
        if guide["kind"] == TicketKind.COMPLAINT:
            events += await file_when_told(dispatcher, tracker, TicketKind.COMPLAINT.value, guide["department"],
                                           guide["code"], events)
        return events




class ActionAnswerInForm(Action):
    """A question, a correction or an answer in other words in the middle of a form: answered (or
    taken as the answer), then the form asks its question again (data/rules/tickets.yml)."""

    def name(self) -> Text:
        return "action_answer_in_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text, requested = text_of(tracker), tracker.get_slot("requested_slot")
        # The answer, in words the intent classifier took for a question ("杭州萧山那边").
        if requested == "region" and find_region(text):
            return [SlotSet("region", find_region(text))]
        if requested == "contact_phone" and contact_number(text):
            return [SlotSet("contact_phone", contact_number(text))]
        if requested == "contact_phone" and says(text, "no_phone"):
            return []  # "我不留电话了，你们直接去查就行": the form takes it as the answer
        if requested == "contact_phone" and sum(ch.isdigit() for ch in text) >= 3:
            dispatcher.utter_message(response="utter_phone_invalid")  # a number, but not a phone's
            return []
        if photos_question(dispatcher, tracker, requested):
            return [SlotSet(requested, None)] if requested else []
        # A place when the phone was asked, a phone when the place was, more of the story.
        taken = taken_in_passing(dispatcher, tracker, requested)
        if taken is not None:
            return taken
        return without_repeats(tracker, await interruptions.answer(dispatcher, tracker))


"""action_answer_matter: answers about a matter, asks which one, or starts a ticket form.

The matcher (bot.nlu.matter_matcher) finds the matter; this action decides what to do with it:
service matters are answered (overview or one aspect), bundles as one, guidance and complaint
matters open the ticket form. Follow-ups ("那要多少钱？") answer for the current matter. Read
first, in decide(): an answer to what the bot just asked or offered, a person asked for, and a rating,
a failed trip, a ticket's status or a greeting said outright (actions.other_business). How the
message is read in its conversation (its asking clause, what the previous turn offered) is
actions.reading's; what a long story asks beside its background, actions.stories'; whether a
follow-up stays on the matter in hand, and which offered option an answer picks,
actions.follow_ups'; a department as the answer, actions.departments'; whether a match stands
against the router, 兜底 and the conversation, actions.matched'. The message itself, read
once for all the steps, is an actions.turn.Turn; _respond() runs the steps in order, and the first
that replies ends the turn. The steps that settle a matter are here; those for a message no matter
is settled for, actions.unsettled's; what is then said (the answer, the options, a complaint's
ticket), actions.replies'.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.bundles import bundle_turn, named_bundle
from actions.conversation import (
    ROUTER_SURE, Answering, aspect_asked_before, channel_of, intent_of, previous_bot_events, text_of, user_texts,
)
from actions.cues import STORY_CHARS, TURNS_TO, asks_for_person, asks_their_office, says
from actions.departments import (
    asks_office, complaint_rerouted, department_answer, department_of, department_spoken_of,
)
from actions.documents import bare_document, replacement_asked, unnamed_document
from actions.follow_ups import (
    FOLLOW_UP_QUESTION, MAX_CLARIFY, SHORT_FOLLOW_UP, SHORT_QUESTION, SHORT_REPLY, asked_of_current,
    asks_about_other, needed_for, on_current_act, sibling_in_situation,
)
from actions.handoff import ActionHandoff, called_off
from actions.matched import besides_fallback, complaint_about_service, held_to_conversation, match_overruled
from actions.naming import named_word_for_word
from actions.other_business import answer_to_us, said_outright
from actions.outside import elsewhere_answer, not_theirs_either
from actions.picking import in_context
from actions.reading import (
    asked_which, department_offered, done_elsewhere, is_bare_followup, named_matters, place_in_story,
)
from actions.replies import answer, clarify, correct, routed_ticket
from actions.stories import asked_besides_had, asked_in_routed_department, beside_told_had, read_story
from actions.story_clauses import asked_in_story, wish_reads, wished_in_story
from actions.turn import Turn
from actions.umbrellas import corrected_option, option_told_before, told_option, umbrella_options
from actions.unsettled import no_matter, without_matter
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from bot.text.sentences import asks
from bot.vocabulary import FALLBACK_DEPARTMENT, FALLBACK_MATTER, Aspect, MatterKind, RequestType

logger = logging.getLogger(__name__)

# When the router overrules the top match, a candidate of the router's department scoring this much
# is the matter meant (a runner-up, not a stray word).
IN_ROUTED_DEPARTMENT = 0.1
# "开店那个补贴呢 要啥条件" after 失业金: the matcher's first reading of the thing asked about counts
# when it is at least this likely (a few words brush against many matters).
ABOUT_OTHER_SCORE = 0.5


class ActionAnswerMatter(Answering):
    def name(self) -> Text:
        return "action_answer_matter"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent, text = intent_of(tracker), text_of(tracker)
        # "哦不用了，我自己先问问，…" while a handoff waits: told, then the question answered.
        calling_off = await called_off(dispatcher, tracker)
        events = await answer_to_us(dispatcher, tracker, intent, text)
        if events is None and intent != "rate" and asks_for_person(text) and not calling_off:
            # "让个真人来", "打字太累了找个人": a person, in whatever words.
            return await ActionHandoff().run(dispatcher, tracker, domain)
        if events is None:
            events = await said_outright(dispatcher, tracker, domain, intent, text)
        if events is None:
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
        steps = (self._small_talk, self._corrected, self._not_theirs_either, self._department_follow_up, self._in_bundle, self._what_if, self._bare_follow_up,
                 self._alternatives_named,
                 self._lost_document, self._elsewhere, self._had_aside, self._umbrella, self._meant, without_matter)
        try:
            for step in steps:
                events = await step(dispatcher, turn)
                if events is not None:
                    logger.debug("answered by %s", step.__name__)
                    return events
        except HallUnavailable:
            dispatcher.utter_message(response="utter_hall_unavailable")
            return []
        return await no_matter(dispatcher, turn)

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
                turn.length > SHORT_REPLY // 2 and asks(turn.text)) and not (
                await turn.picked() or await turn.refined()
                or (asked_which(turn.tracker) and await turn.combined())):
            # "好的" / "不用了" outside a question name no matter, whatever words they share
            # (but "租房的" after "哪一项？" picks an option, whatever the intent classifier says,
            # "用电的" after "过户要带些啥" names one we did not offer,
            # and "有补贴不" asks, whatever its 不).
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return None

    @staticmethod
    async def _not_theirs_either(dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"不是退役军人事务局管的吗" after "none of ours": that department's remit, still none of ours
        (the words of its matters the message holds name the department, not a matter asked)."""
        ranking = (turn.route or {}).get("ranking") or []
        named = turn.routed_to or (ranking[0].get("code") if ranking else None)
        return await not_theirs_either(dispatcher, turn.tracker, turn.text, named)

    @staticmethod
    async def _department_follow_up(dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """After "这件事由省医疗保障局负责…": a few words asking where, how or whom ("在哪开通",
        "那具体找谁问") are about that department's business, not a new question to route — its
        answer again (hotline, online entry, the offer to pass the question on)."""
        spoken_of = department_spoken_of(previous_bot_events(turn.tracker))
        if spoken_of and not turn.current and not turn.button and asks_their_office(turn.text):
            # "他们办公地址在哪" after the options of one department: that office, not a matter
            # whose words ("地址") brush the question.
            return await department_answer(dispatcher, {"code": spoken_of, "type": RequestType.CONSULT.value})
        offered = department_offered(turn.tracker)
        if (offered and not turn.current and not turn.button and turn.routed_to and not turn.outside
                and asks_office(turn.text)):
            # "那医保局呢 地址在哪" after 公积金中心's: the office it names, read by the router.
            return await department_answer(dispatcher, turn.route)
        if (turn.current or turn.matter or turn.button or not offered or "request_type" not in offered
                or turn.length > SHORT_QUESTION):
            return None
        dept = offered["department"]
        # A few words that ask ("有补贴不", "能不署名吗", "有合同样本不") name nothing else: still that
        # department's business, unless the router is sure of another.
        elsewhere = turn.routed_to and turn.routed_to != dept["code"] and turn.route_score >= ROUTER_SURE
        if not (turn.aspect or cue_pattern("asks_who").search(turn.text) or (asks(turn.text) and not elsewhere)):
            return None
        return await department_answer(dispatcher, {"code": dept["code"], "score": dept.get("score"),
                                                    "type": offered.get("request_type")})

    async def _in_bundle(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """0. Inside a 一件事: a member named in a follow-up ("契税要交多少", "医保那个网上能弄吗")
        is that member; the whole asked again ("整个办下来要几天") is the bundle."""
        bundled = await bundle_turn(turn.tracker, turn.current, turn.aspect)
        if bundled is not None:
            return await answer(dispatcher, turn.tracker, bundled, turn.aspect or Aspect.OVERVIEW)
        # A question that names several members of one 一件事 and asks to do them together
        # ("执照 刻章 税务 社保开户这些 听说现在可以一起弄"): the 一件事, not its first member.
        named = await named_bundle(turn.tracker)
        if named:
            return await answer(dispatcher, turn.tracker, named, turn.aspect or Aspect.OVERVIEW)
        return None

    async def _what_if(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """1. "那要是丢了呢" after 身份证换领: the same business in the situation named, 补领; "那户口
        在哪儿上" after 新生儿参保: the topic turned to, as the conversation told it."""
        if not turn.current or turn.button or says(turn.text, "switch"):
            return None
        if (turn.matter != turn.current and not asked_which(turn.tracker) and TURNS_TO.match(normalize(turn.text))
                and not turn.needed):
            # "那户口在哪儿上" after 新生儿参保, the baby's birth told before: the topic's matter told then.
            told = option_told_before(turn.text, user_texts(turn.tracker)[:-1])
            if told and told != turn.current:
                return await answer(dispatcher, turn.tracker, told, turn.aspect or Aspect.OVERVIEW)
        if turn.matter and await department_of(turn.matter) != await department_of(turn.current):
            return None  # "那上户口呢" after 出生医学证明: another department's matter, named
        sibling = await sibling_in_situation(turn.tracker, turn.current)
        if sibling is None:
            return None
        if sibling != next(iter(turn.ranked), None) and await self._names_another(turn):
            return None  # "那以后要是买房 想用公积金贷款 怎么贷" after 租房提取: 公积金贷款, named, not 购房提取
        return await answer(dispatcher, turn.tracker, sibling, turn.aspect or Aspect.OVERVIEW)

    async def _bare_follow_up(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """1b. A bare follow-up about the current matter ("那要多少钱？"): the aspect is all the
        message says, so a stray match on its words must not replace the matter."""
        if turn.current and turn.aspect and is_bare_followup(turn.tracker) and not await self._names_another(turn):
            return await answer(dispatcher, turn.tracker, turn.current, turn.aspect)
        return None

    @staticmethod
    async def _names_another(turn: Turn) -> bool:
        """Whether the matcher's best reading is another matter the message names word for word:
        "能先开个临时身份证吗" after 身份证补领 asks whether one may have 临时身份证, however much of
        it the words that ask (能…吗) span."""
        other = next(iter(turn.ranked), None)
        if not other or other == turn.current:
            return False
        guide = await hall().guide(other)
        return bool(guide) and named_word_for_word(guide, normalize(turn.text).replace(" ", ""))

    async def _alternatives_named(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"低保还是临时救助，不知道哪个合适": the matters named, as options."""
        named = [] if (turn.button or len(turn.text) > STORY_CHARS
                       or not says(turn.text, "alternatives")) else await named_matters(turn.tracker)
        return await clarify(dispatcher, named) if len(named) >= 2 else None

    async def _lost_document(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"我的证丢了咋补办": the lost-document matters people most often mean, not whatever matters
        share 丢 and 补; the answer ("身份证") then means 补领. Only when the matcher is unsure, or the
        document is spoken of by a generic word alone ("我爸的证过期了"):
        "食品经营许可证快到期了" names its document, and "補證" answers the question "which one?"
        just asked."""
        view = turn.view
        unnamed = (None if turn.button or asked_which(turn.tracker) or (turn.current and not view.abstain)
                   else unnamed_document(turn.text))
        if unnamed and not (view.abstain or view.clarify or bare_document(turn.text)):
            return None
        if unnamed and turn.current not in unnamed:
            return await clarify(dispatcher, unnamed, limit=len(unnamed))
        return None

    async def _corrected(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"不是补办，是到期了要换" after 身份证补领: the sibling of its topic the correction says is meant."""
        if not turn.current or turn.button:
            return None
        meant = corrected_option(turn.text, turn.current)
        if not meant:
            return None
        return await answer(dispatcher, turn.tracker, meant, turn.aspect or Aspect.OVERVIEW, [turn.current, meant])

    async def _elsewhere(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"苏州那边怎么补", "香港的身份证到期了": that place's own business, not Zhejiang's."""
        place = None if turn.button else done_elsewhere(turn.text)
        if not place or (turn.current and turn.aspect and place_in_story(turn.tracker, place)):
            # "上海那边还要去吗" after moving a pension from 上海, as told: a part of the matter in hand.
            return None
        await hall().record_unmatched(turn.tracker.sender_id, turn.text, channel_of(turn.tracker))
        # (a follow-up the matcher names nothing in surely stays on the matter in hand, not its lean)
        return await elsewhere_answer(dispatcher, place, turn.matter or turn.current or next(iter(turn.ranked), None))

    async def _had_aside(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """The matcher unsure of a message that tells a thing had: what its other clauses, read alone,
        surely name. A few lines that tell any thing had ("营业执照我已经拿到了，…卖吃的是不是还得另外办个
        许可"); a story only when its likeliest reading is the thing it tells had (its background
        else tells more than what it has)."""
        if (turn.current or turn.button or asked_which(turn.tracker) or not turn.ranked
                or not (turn.view.abstain or turn.view.clarify)):
            return None
        if turn.length >= STORY_CHARS:
            other = await beside_told_had(turn, turn.ranked[0])
        else:
            other = await asked_besides_had(turn)
        if not other:
            return None
        return await answer(dispatcher, turn.tracker, other, turn.aspect or Aspect.OVERVIEW, turn.ranked[:MAX_CLARIFY])

    async def _umbrella(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """"社保要怎么转过去", "我要办注销": a topic named without saying which of its matters is
        meant (data/lexicon/umbrellas.yml): which one, not the one the words lean to."""
        # A follow-up is read with the matter in hand; asking to do several at once is a 一件事.
        if turn.current or turn.button or asked_which(turn.tracker) or not turn.ranked or cue_pattern("done_together").search(normalize(turn.text)):
            return None
        # The matcher's reading when it is sure; its first few when it is not ("家里的缴费户名还是我爸
        # 的，想过户到我名下" leans to 继承, then 电 and 水) or when it leans to a 一件事 ("读书的事体").
        first = await hall().guide(turn.ranked[0])
        # A 一件事 read from a few words is a lean, not a reading; from a longer message that lists
        # its parts ("户口要销掉 丧葬费 还有房子 不知道从哪下手") it is what is asked.
        unsure = turn.view.abstain or turn.view.clarify or (
            first and first["kind"] == MatterKind.BUNDLE and turn.length <= SHORT_FOLLOW_UP)
        likeliest = turn.ranked[:MAX_CLARIFY - 1] if unsure else turn.ranked[:1]
        told = told_option(turn.text) if unsure and len(turn.text) <= STORY_CHARS else None
        if told in likeliest:
            # Unsure between close readings, but the words tell one of the topic's matters apart
            # ("孙子今年满16了还没办过身份证…要带点啥": 首次申领, not 临时身份证): that one.
            return await answer(dispatcher, turn.tracker, told, turn.aspect or Aspect.OVERVIEW,
                                      turn.ranked[:MAX_CLARIFY])
        options = umbrella_options(turn.text, likeliest, before=user_texts(turn.tracker)[-2:-1],
                                   unplaced=turn.view.abstain)
        if (options and unsure and turn.length > SHORT_FOLLOW_UP and match_overruled(turn, None, None)
                and sum([await department_of(o) == turn.routed_to for o in options]) < 2):
            # A question the router reads surely as a department that holds at most one of the
            # options ("俺家新买了个拖拉机，这玩意儿也得上牌不": farm machines are 农业农村's, not
            # 机动车登记's): the router's answer (step 2), not a choice among other departments'.
            # (A topic in a few words, "过户咋弄", is the router's to guess at, not to decide.)
            return None
        if not options:
            return None
        return await clarify(dispatcher, options, limit=len(options))

    async def _meant(self, dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
        """2. The matter meant: a button payload or a confident match, held against the
        conversation; 2b. a story's asking sentence; 3. the option picked; or the router's
        department when it overrules the match."""
        tracker, current = turn.tracker, turn.current
        code = turn.matter
        # "要出生证吗" after 出生落户: whether the matter in hand needs a thing another matter's words
        # name, whichever department the router gives that thing.
        asked = turn.needed
        needed = (await needed_for(asked, code) if asked and code and current and code != current
                  and not says(turn.text, "switch") else None)
        # (a complaint goes by subject; 兜底 and 好差评 are the service centre's, whatever they are about)
        guide = await hall().guide(code) if code else None
        complaint = bool(guide and guide["kind"] == MatterKind.COMPLAINT and guide["department"] != FALLBACK_DEPARTMENT)
        beside_current = bool(code and current and code != current
                              and await department_of(code) == await department_of(current))
        overruled = match_overruled(turn, code, needed, complaint=complaint,
                                    router_takes_complaints=complaint and await complaint_rerouted(
                                        turn.route, turn.departments.get(code)),
                                    beside_current=beside_current)
        if overruled and code and not current and await wish_reads(turn.text, code):
            overruled = False  # what the story asks for, read alone, is the matter matched
        remember = code or next(iter(turn.ranked), None)
        if overruled or code == FALLBACK_MATTER:
            # 兜底 is for a citizen who says they went and could not get it done (the cue words,
            # handled before); a story that only sounds like its aliases is routed by subject:
            # the matcher's best other reading when it is of the router's department ("…最怕跑过去
            # 说材料不全又白跑一趟 所以先问清楚 到底要准备哪些东西": 残疾人证).
            code = besides_fallback(turn) if code == FALLBACK_MATTER and not current else None
            overruled = overruled and code is None
        code, aspect = await held_to_conversation(turn, code, asked, needed)
        if code and not current and not turn.button and turn.length >= STORY_CHARS:
            code = await read_story(turn, code)  # its background is not what it asks
        elif code and (not current or code == current) and not turn.button:
            # "出生证明已经拿到了，现在要上户口"; "那拿到出生证明以后报户口去哪个派出所" after 出生证明
            code = await beside_told_had(turn, code) or code
        if code and code != current and not turn.button:
            # "身份证被偷了，下周要坐火车，补一个要多久": the lost card's replacement, not the temporary card
            code = await replacement_asked(turn.text, code, turn.ranked[:MAX_CLARIFY]) or code
        if (not code and current and aspect and not turn.button and turn.ranked and turn.ranked[0] != current
                and turn.scores.get(turn.ranked[0], 0.0) >= ABOUT_OTHER_SCORE
                and await asks_about_other(tracker, current, turn.ranked[0])):
            code = turn.ranked[0]  # "开店那个补贴呢 要啥条件" after 失业金: what about the other matter
        elif not code and current and not turn.button and await on_current_act(tracker, current, None):
            code = current  # "补的那张有效期是从新开始算吗" after 补领, the matcher unsure: its doing
        elif not code and current and await asked_of_current(tracker, current):
            code = current  # "过期了一个月再续有影响吗，孩子明年要在这边读书": what it does to the matter in hand
        elif (not code and current and aspect and not turn.button and not says(turn.text, "switch")
              and (turn.length <= (FOLLOW_UP_QUESTION if aspect == Aspect.CONDITIONS else SHORT_QUESTION)
                   or (turn.length < STORY_CHARS and turn.ranked[:1] == [current]))):
            # "我这种外地户口的能领吗" after 失业金: a situation asked of the matter in hand; "登记在派出所
            # 办吗" after 出生落户: an aspect in a few words, nothing else named for sure; or in more words
            # that the matcher, unsure, still ranks first ("我们不是二手房哈 是开发商那买的期房 要带啥材料")
            code = current
        # 2b. A long story the matcher is unsure of: what its asking sentence names, read alone,
        #     or the clauses that say what the citizen wants (a story typed without full stops).
        if not code and not current and not says(turn.text, "grievance"):
            if not overruled:
                code = await asked_in_story(turn.text) or await wished_in_story(turn.text, None, 0.0)
            else:
                # "…房产证找不到了…我听人说补房产证要登报…怎么办？": the whole story's words lean to
                # another department's matter (身份证 补领), the router reads it as 不动产's, and the
                # asking sentence alone names a matter of that department: that one.
                code = await asked_in_routed_department(turn)
                overruled = code is None
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
            routed = await routed_ticket(dispatcher, tracker, turn.view)
            if routed is not None:
                return routed
            # "宝宝刚满月，医保要怎么给他交": the words lean to 出生落户, the router is sure it is
            # 医保's; the matcher's own runner-up there is the matter meant.
            asks_which = bool(turn.view.clarify and turn.routed_to and sum(
                m.get("department") == turn.routed_to for m in turn.view.matches) >= 2)
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
            return await correct(dispatcher, current, turn.candidates)
        if not code:
            return None
        if await complaint_about_service(turn, code):
            # "停水三天了…电话打不通…要投诉": a complaint whose words match a service (用水过户),
            # not a question about that service: it goes by its subject.
            routed = await routed_ticket(dispatcher, tracker, turn.view)
            if routed is not None:
                return routed
        if not aspect and code in turn.candidates and asked_which(tracker):
            # "公司 不做了" picking 企业注销 after "想注销 要带啥": what was asked before the options.
            aspect = aspect_asked_before(tracker)
        # Keep the options around so that "不是这个" can offer the others.
        alternatives = turn.candidates if code in turn.candidates else turn.ranked[:MAX_CLARIFY]
        return await answer(dispatcher, tracker, code, aspect or Aspect.OVERVIEW, alternatives)

"""Steps 3b–7 of action_answer_matter, when no matter is settled: a complaint by its subject, the
options to choose from, the one plausible matter, the department the router gives, or "none of ours".

actions.matters runs these last, after the steps that settle a matter (a follow-up, a pick, a
confident match held against the conversation); what is then said is actions.replies'.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import hall
from actions.approved import serve_approved
from actions.bundles import holds_any, member_among
from actions.conversation import ROUTER_LEANS, ROUTER_SURE, channel_of
from actions.cues import STORY_CHARS, says
from actions.departments import asks_office, department_answer, department_of
from actions.follow_ups import (
    FOLLOW_UP_QUESTION, MAX_CLARIFY, SHORT_FOLLOW_UP, SHORT_QUESTION, in_current_guide, on_current_act, stays,
)
from actions.outside import answered_outside, still_outside
from actions.overrules import OVERRULE_ASKED_DEPARTMENT, OVERRULE_OUTSIDE_UNSURE
from actions.reading import asked_which, asks_what_about, is_bare_followup, named_matters, only_particulars
from actions.replies import answer, clarify, routed_ticket
from actions.turn import Turn
from bot.vocabulary import FALLBACK_MATTER, Aspect

# Below the matcher's confidence but worth offering as options when the intent is about a matter.
PLAUSIBLE_SCORE = 0.3
ROUTER_UNSURE = 0.5  # a "none of ours" scored below this does not stop a plausible matter's answer
# report_failed_trip too: the classifier reads many long stories so, but 兜底 is decided by the
# citizen's words (went_and_failed, before the steps); a story that gets here asks about a matter.
# A long story spreads the matcher's probability over the many things it tells: its likeliest
# reading this many times the next one's, in the department the router reads, is the matter it asks of
# (answered with the others one click away: a citizen who wrote a paragraph is answered, not asked again).
STORY_LEAD = 1.2
STORY_LEAD_IN_DEPARTMENT = 0.2  # ...and the score it needs when the router leans to its department
MATTER_INTENTS = ("ask_matter", "ask_aspect", "request_guidance", "complain", "nlu_fallback", "consult_department",
                  "report_failed_trip")


def plausible_beside(best: float, other: float) -> bool:
    """Whether a candidate is still a plausible reading beside the best one (as offered in step 6)."""
    return other >= PLAUSIBLE_SCORE or (best >= 0.1 and other >= best / 3)


async def without_matter(dispatcher: CollectingDispatcher, turn: Turn) -> Optional[List[EventType]]:
    """3b–6: no matter settled. A complaint goes by its subject; options are offered, or the
    department answers."""
    # 3b. A complaint told as a story, or a department's button: the department whose
    #     remit it is (the router), its complaint matter if it has one.
    routed = await routed_ticket(dispatcher, turn.tracker, turn.view)
    if routed is not None:
        return routed
    if turn.current and await on_current_act(turn.tracker, turn.current, next(iter(turn.ranked), None)):
        # "补出来的新证有效期是重新算还是…到期" after 身份证补领: about the replacement, whatever
        # readings 到期 and 照片 suggest.
        return await answer(dispatcher, turn.tracker, turn.current, turn.aspect or Aspect.OVERVIEW)
    if turn.routed_to and not turn.outside and not turn.current and asks_office(turn.text):
        # "长兴县医保局办事的地方在哪里 电话多少": how to reach the office, not which of its matters.
        return await department_answer(dispatcher, turn.route)
    # Options to offer are the router's department's when it is sure of one ("公办养老院"
    # is 民政's, whatever 公租房 shares with its words); none of them: the department answers.
    follow_up = bool(turn.current and (turn.aspect or turn.intent == "ask_aspect"))
    sure = turn.route if (turn.routed_to and not follow_up and turn.alone
                          and turn.route_score >= ROUTER_SURE) else None
    offered = [c for c in turn.ranked if sure is None or turn.departments.get(c) == sure["code"]]
    if len(offered) > 1 and not turn.current and turn.length >= STORY_CHARS:
        # "营业执照上个月已经办好了，个体户的…这个卖吃的证要什么材料": what the story tells as done is
        # not among what it may ask.
        done = await turn.told_done()
        offered = [c for c in offered if c not in done and not await holds_any(c, done)] or offered
    if sure:
        events = await _sure_department(dispatcher, turn, sure, offered)
        if events is not None:
            return events
    events = await _close_candidates(dispatcher, turn, offered)
    if events is not None:
        return events
    # 5. An aspect question with no new matter: about the current one.
    if follow_up:
        return await answer(dispatcher, turn.tracker, turn.current, turn.aspect or Aspect.OVERVIEW)
    return await _weak_matches(dispatcher, turn, offered)


async def _sure_department(
    dispatcher: CollectingDispatcher, turn: Turn, sure: Dict[str, Any], offered: List[str]
) -> Optional[List[EventType]]:
    """The router is sure of a department: none of its matters among the candidates, its
    answer; the best of its own standing alone, that matter."""
    departments = turn.departments
    if turn.ranked and not offered:
        if await department_of(turn.current) == sure["code"]:
            # "二手房过户的时候，契税在哪交" after 契税: still the current matter's business.
            return await answer(dispatcher, turn.tracker, turn.current, turn.aspect or Aspect.OVERVIEW)
        await hall().record_unmatched(turn.tracker.sender_id, turn.text, channel_of(turn.tracker))
        return await department_answer(dispatcher, sure)
    everyone = [m for m in turn.view.matches if m["matter"] != FALLBACK_MATTER]
    scores = turn.scores
    if (turn.view.clarify and offered and len(everyone) >= 2 and everyone[0]["matter"] == offered[0]
            and departments.get(everyone[1]["matter"]) != sure["code"]
            and not (len(offered) >= 2 and plausible_beside(scores[offered[0]], scores[offered[1]]))):
        # "爷爷过世了…想把房子过到我爸名下": the close runner-up that made the matcher ask
        # was another department's (身后一件事), which the router rules out; among the
        # department's own matters the best one stands alone: its answer.
        return await answer(dispatcher, turn.tracker, offered[0], turn.aspect or Aspect.OVERVIEW, offered)
    return None


async def _close_candidates(
    dispatcher: CollectingDispatcher, turn: Turn, ranked: List[str]
) -> Optional[List[EventType]]:
    """4. Close candidates: ask which one — unless it is a follow-up that stays on the current
    matter by the rules of step 2 ("发票要带伐" is no question of which 发票)."""
    if not (turn.view.clarify and len(ranked) >= 2):
        return None
    tracker, current, aspect = turn.tracker, turn.current, turn.aspect
    member = await member_among(current, ranked)
    if member:  # "落户口要带啥材料" after 新生儿出生一件事: that member of the bundle
        return await answer(dispatcher, tracker, member, aspect or Aspect.OVERVIEW)
    if current and current != ranked[0] and (
            (aspect and await stays(tracker, current, ranked[0], aspect, ranked))
            or await in_current_guide(tracker, current, ranked[0])):
        return await answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
    named = await named_matters(tracker)
    if current in ranked[:MAX_CLARIFY] and not set(named) - {current} and not says(turn.text, "switch"):
        # "备案了以后回宁波看病还能刷卡吗" after 异地就医备案: one of the readings is the matter
        # we are on, and no other is named in its own words: still about it.
        return await answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
    if len(named) == 1 and named[0] == ranked[0] and turn.length > SHORT_QUESTION:
        # "优待证到现在还没领，怎么领": the one option a question that tells more than a few
        # words names in its own words ("户口怎么上" names both 户口 matters alike).
        return await answer(dispatcher, tracker, named[0], aspect or Aspect.OVERVIEW, ranked)
    lead = _story_lead(turn, ranked)
    if lead:
        # "…出院的时候说没有备案…想问问要带哪些东西去报": one reading of a long story stands
        # well ahead: its answer, the others one click away, rather than a choice of four.
        return await answer(dispatcher, tracker, lead, aspect or Aspect.OVERVIEW, ranked)
    # A message that tells enough to be read on its own, of a department the router leans to: the
    # options worth a click are the two closest readings and the others of that department or still
    # plausible ("…能不能在杭州参加中考": 转学 and 入学, not 公积金转移 that shares a word of it).
    # A few words ("过户咋弄") keep every option: a weak one may be the one meant.
    if turn.length > FOLLOW_UP_QUESTION and turn.routed_to and turn.route_score >= ROUTER_LEANS:
        scores = turn.scores
        best = scores.get(ranked[0], 0.0)
        ranked = [c for i, c in enumerate(ranked) if i < 2 or turn.departments.get(c) == turn.routed_to
                  or plausible_beside(best, scores.get(c, 0.0))]
    return await clarify(dispatcher, ranked)


# The router's first department when its "none of ours" only narrowly won: it must rank this well
# (its share of the probability left by "none of ours").
LEANING_RANK = 0.4


def _leaning_department(turn: Turn, top: float) -> Optional[str]:
    """The department the router ranks first, when the matcher places the message nowhere (every
    reading under PLAUSIBLE_SCORE), the message stands alone and the router's "none of ours" is
    unsure (under ROUTER_UNSURE) while that department ranks at least LEANING_RANK."""
    route = turn.route or {}
    if not (turn.view.abstain and turn.alone and route.get("outside") and top < PLAUSIBLE_SCORE
            and turn.route_score < ROUTER_UNSURE and not is_bare_followup(turn.tracker)):
        return None
    ranking = route.get("ranking") or []
    first = ranking[0] if ranking else {}
    return first.get("code") if float(first.get("score") or 0.0) >= LEANING_RANK else None


def _story_lead(turn: Turn, ranked: List[str]) -> Optional[str]:
    """The likeliest reading of a long story when it stands well ahead of the next one and the
    router reads its department. When the router leans to a department, the readings of others
    are no rivals: "…住院要先弄个备案…这个到底在哪里弄" is 医保's, and of its readings 异地就医备案
    stands ahead of 零星报销."""
    if turn.length < STORY_CHARS or not ranked or not turn.routed_to:
        return None
    floor = PLAUSIBLE_SCORE
    if turn.route_score >= ROUTER_LEANS:
        ranked = [c for c in ranked if turn.departments.get(c) == turn.routed_to]
        # (the router's department and the lead within it together say what one plausible score
        # says alone: "…村里会计讲岁数大的老人国家每个月会发点钱…" is 民政's, and 高龄津贴 leads there)
        floor = STORY_LEAD_IN_DEPARTMENT
    if not ranked:
        return None
    scores = turn.scores
    best = scores.get(ranked[0], 0.0)
    runner_up = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    if best >= floor and best >= STORY_LEAD * runner_up and turn.routed_to == turn.departments.get(ranked[0]):
        return ranked[0]
    return None


async def _weak_matches(
    dispatcher: CollectingDispatcher, turn: Turn, ranked: List[str]
) -> Optional[List[EventType]]:
    """6. Not confident, but the citizen clearly asks about some matter: the one plausible
    matter, the best few as options, or the department the router leans to."""
    tracker, view, current, route, intent = turn.tracker, turn.view, turn.current, turn.route, turn.intent
    aspect, departments = turn.aspect, turn.departments
    top = view.matches[0]["score"] if view.matches else 0.0
    plausible = [m["matter"] for m in view.matches if m["matter"] in ranked and plausible_beside(top, m["score"])]
    if current in plausible and len(plausible) > 1 and says(turn.text, "switch"):
        # "店里顺便想卖点奶茶 是不是还要另外办个证" after 个体户执照: another one, not the one in hand.
        plausible = [c for c in plausible if c != current]
    routed_to = turn.routed_to
    router_unsure = not routed_to and turn.route_score < ROUTER_UNSURE
    if (asked_which(tracker) and turn.candidates and aspect and not turn.button
            and (turn.length <= SHORT_QUESTION
                 or (turn.length <= FOLLOW_UP_QUESTION and not await named_matters(tracker)))):
        # "手机上能申请吗", "阿拉自家在手机上弄得来伐" right after "您问的是哪一项？", no option
        # picked and no matter named: the aspect of the likeliest option (offered first), the
        # others kept for "不是这个" — not a new guess on a few words.
        return await answer(dispatcher, tracker, turn.candidates[0], aspect, turn.candidates)
    member = (await member_among(current, ranked[:1]) if current and ranked and plausible
              and plausible[0] == ranked[0] and top >= PLAUSIBLE_SCORE else None)
    if member:
        # "奶奶名下还有套老房子…要怎么弄到我爸名下" after 身后一件事: the likeliest reading, though
        # unsure, is a member of the 一件事 we are in: that member, not the whole again.
        return await answer(dispatcher, tracker, member, aspect or Aspect.OVERVIEW)
    if (current and asks_what_about(turn.text) and routed_to and turn.route_score >= ROUTER_SURE and not turn.button
            and await department_of(current) != routed_to):
        # "那房子过给我妈呢" after 死亡户口注销: what about a thing the router is sure is another
        # department's; its likeliest reading there, however weak, is the thing asked about.
        other = next((c for c in plausible if departments.get(c) == routed_to), None)
        if other:
            return await answer(dispatcher, tracker, other, aspect or Aspect.OVERVIEW, ranked)
    if (current and view.abstain and turn.length <= SHORT_FOLLOW_UP and not turn.button
            and not await named_matters(tracker) and not says(turn.text, "switch")):
        # A few words after an answer that the matcher cannot place and that name no matter
        # ("登记要不要先预约" after 结婚登记): about the matter in hand, not four strangers.
        return await answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
    if (current and view.abstain and current in [m["matter"] for m in view.matches[:MAX_CLARIFY]]
            and not set(await named_matters(tracker)) - {current} and not says(turn.text, "switch")):
        # Unsure, but one of the readings is the matter we are on and no other is named in its
        # own words ("备案地写杭州就可以了吧" after 异地就医备案): a follow-up on it.
        return await answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
    if (view.abstain and turn.alone and intent in MATTER_INTENTS and route
            and route.get("outside") and turn.route_score >= OVERRULE_OUTSIDE_UNSURE
            and not is_bare_followup(tracker)):
        # The matcher found no matter and the router is fairly sure it is none of ours ("法院立案要
        # 带啥", "上海交的公积金怎么在上海提取", "孙子想去当兵 要到哪里报名"): say so, rather than
        # offer matters of ours that only share its words; the likeliest stays one click away. (The
        # bar that stops an unsure matched matter stops an abstaining matcher's guesses too.) Not
        # an aspect asked alone ("多少钱", "要多久"): it names nothing the router could judge.
        await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
        return await department_answer(dispatcher, route, also=plausible[0] if plausible else None)
    # The one plausible matter scoring well, beside a router that only leans elsewhere (a long story
    # of a stroke, read as 民政's at 0.55, that asks for the 残疾人证 at 0.43): its answer too.
    router_leans_off = routed_to and turn.route_score < ROUTER_LEANS and top >= PLAUSIBLE_SCORE
    if (intent in MATTER_INTENTS and intent != "consult_department" and len(plausible) == 1
            and (routed_to == departments.get(plausible[0]) or router_unsure or router_leans_off)):
        # One plausible matter, in the department the router reads (or the router has no
        # idea), is no choice to offer ("车今年要年检了，怎么弄"): its answer. Not when the
        # router reads another department or is fairly sure it is none of ours ("想给我爸
        # 找家公办的敬老院住" is no 身后一件事), nor when asked which department: that is
        # answered below.
        return await answer(dispatcher, tracker, plausible[0], aspect or Aspect.OVERVIEW, ranked)
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
    if (view.abstain and turn.alone and routed_to and turn.route_score >= OVERRULE_ASKED_DEPARTMENT and plausible
            and says(turn.text, "which_department")):
        # "有没有老年食堂或者送饭上门的 找哪个部门问", no matter of ours sure: the department it asks
        # for, whatever the intent classifier reads, from the bar at which the router's reading of
        # such a question overrules even a matched matter; the likeliest matter of its own one click away.
        await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
        return await department_answer(dispatcher, route, also=next(
            (c for c in plausible if departments.get(c) == routed_to), None))
    if intent == "consult_department" and routed_to and len(plausible) == 1:
        plausible = []  # "找哪个部门申请": the department answers (7b)
    leaning = _leaning_department(turn, top)
    if leaning:
        # "听讲六十五岁以上的老人每年好免费体检一趟 我们村的在哪里检": no matter of ours comes near
        # (every reading weak), and the router, though its "none of ours" narrowly won, reads one
        # department well ahead: that department's answer, not a choice among strangers.
        await hall().record_unmatched(tracker.sender_id, turn.text, channel_of(tracker))
        return await department_answer(dispatcher, {"code": leaning, "score": turn.route_score,
                                                    "type": (route or {}).get("type")})
    if intent in MATTER_INTENTS and plausible:
        lead = _story_lead(turn, ranked)
        if lead:  # a long story's likeliest reading well ahead in the router's department (as in 4.)
            return await answer(dispatcher, tracker, lead, aspect or Aspect.OVERVIEW, plausible)
        return await clarify(dispatcher, plausible)
    return None


async def no_matter(dispatcher: CollectingDispatcher, turn: Turn) -> List[EventType]:
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
        return await answer(dispatcher, tracker, current, aspect)
    outside = turn.outside
    if (not chat and current and route is not None and not outside and view.abstain and not turn.matter
            and turn.route_score < ROUTER_SURE and not answered_outside(tracker)
            and turn.length <= SHORT_FOLLOW_UP):
        # "有效期是一年吗" after 健康证明: a few words naming nothing, which the router, reading
        # them alone, only guesses a department for: about the current matter.
        return await answer(dispatcher, tracker, current, aspect)
    if (outside or turn.route_score < ROUTER_UNSURE) and not chat and not turn.matter and answered_outside(tracker):
        # "那你们就不能帮我催催他吗", "能帮我查一下法院的进度吗" after "not ours": still not ours;
        # "那这个归哪里管的" too, which the router, reading a few words, only guesses a department for.
        return still_outside(dispatcher)
    if outside and not chat and (current and view.abstain and turn.length <= SHORT_FOLLOW_UP):
        # A few words after an answer, naming nothing ("老的那张要交掉伐，我怕弄丢"): about the
        # current matter, not "none of our departments" (the router reads one message alone).
        return await answer(dispatcher, tracker, current, aspect)
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

"""A matched matter weighed before it is answered (the helpers of action_answer_matter's step 2).

The matcher reads one message. Before its match is answered it is weighed: against the router
(`match_overruled`: the router's department, or none of ours, overrules a guessed match), against
兜底 (`besides_fallback`: the matcher's best other reading where no failed trip is told), as a
complaint told in a service's words (`complaint_about_service`), and against the conversation
(`held_to_conversation`: an answer to "which one?", a follow-up that stays on the matter in hand).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from actions.api.hall import hall
from actions.bundles import member_among
from actions.cues import asks_to_act, grieves, says
from actions.documents import denied_acts
from actions.follow_ups import (
    SHORT_FOLLOW_UP, SHORT_QUESTION, asked_of_current, in_current_guide, on_current_act, said_only_to_deny, stays,
)
from actions.outside import answered_outside
from actions.picking import denied_options
from actions.overrules import router_overrules
from actions.reading import asked_which, asks_what_about, named_matters, read_with_previous
from actions.story_clauses import STORY_QUESTION_LEAD
from actions.turn import Turn
from bot.vocabulary import FALLBACK_MATTER, MatterKind

# The matcher reading 兜底 where no failed trip is told: its best other reading, this good at least.
BESIDES_FALLBACK = 0.05


async def complaint_about_service(turn: Turn, code: str) -> bool:
    """A message that asks someone to act (投诉, 举报, 管一管…) in its own name, with no aspect
    asked, matched to a service matter that is not the one in hand, or to an expert's guidance
    of another department than the router reads ("…河里的鱼死了不少…我主要是要举报这个厂偷排污水":
    the factory's pollution, not the fish pond's disease)."""
    if turn.button or turn.aspect or code == turn.current or not asks_to_act(turn.text) or not grieves(turn.text):
        return False
    guide = await hall().guide(code)
    if guide and guide["kind"] == MatterKind.GUIDANCE:
        return bool(turn.routed_to and turn.routed_to != guide["department"])
    return bool(guide and guide["kind"] == MatterKind.SERVICE)


def besides_fallback(turn: Turn) -> Optional[str]:
    """The matcher's best reading besides 兜底, when the router gives its department and it
    leads the next reading clearly."""
    others = [m for m in turn.view.matches if m["matter"] != FALLBACK_MATTER]
    if not others or not turn.routed_to or others[0].get("department") != turn.routed_to:
        return None
    best = float(others[0].get("score") or 0.0)
    runner_up = float(others[1].get("score") or 0.0) if len(others) > 1 else 0.0
    return others[0]["matter"] if best >= BESIDES_FALLBACK and best >= STORY_QUESTION_LEAD * runner_up else None


def match_overruled(turn: Turn, code: Optional[str], needed: Optional[str], complaint: bool = False,
                    router_takes_complaints: bool = False, beside_current: bool = False) -> bool:
    """Whether the router's department (or none of ours) overrules the match. The router reads
    one message: not a few words after an answer ("租房的"), nor the conversation: the matter in
    hand matched again by the message's words ("申请资助要不要去开低保证明" after 学生资助, which
    the router gives to 民政 for its 低保). `beside_current`: the match is of the department of
    the matter in hand."""
    view = turn.view
    if turn.outside and turn.current and turn.aspect and turn.length <= SHORT_FOLLOW_UP:
        return False  # "手机上好不好弄" after an answer asks it of that matter, not of none of ours
    if turn.outside and beside_current:
        # "渠下个月还要去上海复查 这回想先备好案再去 怎么弄" after 医疗费用报销: another matter of the
        # same department, in a conversation about it; the place it names is where the care is,
        # not whose business it is (the router, reading one message, counts 上海 as none of ours).
        return False
    first_match = (float(view.matches[0]["score"]) if (
        code and view.matches and view.matches[0]["matter"] == code and not turn.current
        and not asked_which(turn.tracker) and not says(turn.text, "here")) else None)
    if (code is None and (view.clarify or view.abstain) and not turn.current and turn.length > SHORT_FOLLOW_UP and not asked_which(turn.tracker)
            and not says(turn.text, "here")):
        # The matcher names no matter in a question of some length, only options to choose from
        # ("…拖拉机也得上牌不" offers 机动车登记…): a guess at best, which the router's department
        # overrules as it does a guessed match (a topic in a few words, "过户咋弄", it does not).
        first_match = 0.0
    return bool(turn.alone and not turn.button and not needed and not (code and code == turn.current)
                and router_overrules(turn.route, first_match, asks_department=says(turn.text, "which_department"),
                                     complaint=complaint, names_outside=says(turn.text, "outside_bodies"),
                                     matched_department=turn.departments.get(code) if code else None,
                                     router_takes_complaints=router_takes_complaints))


async def held_to_conversation(
    turn: Turn, code: Optional[str], asked: Optional[Any], needed: Optional[str]
) -> Tuple[Optional[str], Optional[str]]:
    """The matter a match names, and the aspect asked, held against the conversation: an
    answer to "which one?", a follow-up that stays on the matter in hand."""
    tracker, current, aspect = turn.tracker, turn.current, turn.aspect
    denied = (await denied_options(tracker, turn.candidates)
              if code and turn.candidates and asked_which(tracker) and not turn.button else set())
    if code in denied:
        code = await turn.picked()  # "不是丢了 是从来没办过": not the option it denies
    if code and turn.candidates and code not in turn.candidates and asked_which(tracker) and not turn.button:
        # The answer to "which one?" is read with the question before it: "坏掉了，芯片读不出来"
        # after "社保卡" (申领、补换…) is 社保卡补换, not the 身份证 its words alone suggest.
        together = await read_with_previous(tracker)
        if together in denied:
            code = await turn.picked()
        elif together in turn.candidates:
            code = together
        elif aspect and turn.length <= SHORT_QUESTION and code not in await named_matters(tracker):
            # "手机上能搞伐" right after "哪一项？": an aspect of the likeliest option (offered
            # first), not of whatever matter a few words brush against.
            code = turn.candidates[0]
    if code and answered_outside(tracker):
        pass  # after "that is another place's business", a matter named is the one meant
    elif code and current and code != current and await member_among(current, [code]):
        pass  # "销户口去哪里" after 身后一件事: that member, though the 一件事's guide speaks of it
    elif needed:
        code, aspect = current, needed
    elif asked and code and code == current:
        aspect = asked[1]  # "还需不需要开低保证明": what it needs
    elif code and current and code != current and (await said_only_to_deny(tracker, code)
                                                   or code in denied_acts(turn.text)):
        code = current  # "医保关系不用转移过去吧？备案就够了对吗" after 异地就医备案; "…但是没丢" after 换证
    elif code and current and aspect and code != current and await stays(tracker, current, code, aspect, turn.ranked):
        code = current
    elif code and current and code != current and await asked_of_current(tracker, current, code):
        code = current  # "卖家说房子以前抵押过…这样过户有没有影响" after 二手房过户: its question is 过户's
    elif code and current and code != current and await in_current_guide(tracker, current, code):
        code = current  # "要体检吗" after 驾驶证换证: its guide asks for the 体检, not 健康证明
    elif code and current and code != current and await on_current_act(tracker, current, code):
        code = current  # "补的时候老照片还好用伐" after 身份证补领: its doing, whatever 照片 reads
    elif (code and current and code != current and not asks_what_about(turn.text)
          and await turn.combined() == current):
        code = current  # "养老的" after 社保转移: read with the question before, still its matter
    return code, aspect

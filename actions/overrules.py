"""Whether the department router's disagreement with the matched matter decides the answer: the
router reads one message against the departments' remits, the matcher against the matters' words,
and these bars (chosen on the fitting sets, each with its figures) say when the router wins."""

from __future__ import annotations

from typing import Any, Dict, Optional


# Below this the matcher's reading of a new matter is a guess worth a way out to its department.
UNSURE_MATCH = 0.9

# When the department router disagrees with the matched matter this confidently, its answer
# stands (a matter of ours matched on words of a story that is another department's, or nobody's:
# "上海那边怎么提取公积金", "法院判了不执行"). Chosen on the fitting sets only (blind_fit + dev
# matter queries, routing writers A and B): departments right 0.857 -> 0.908, matters 0.966 -> 0.965.
OVERRULE_OTHER_DEPARTMENT = 0.95
OVERRULE_OUTSIDE = 0.9
# …and "none of ours" this confidently when the matcher itself is unsure of its matter (below
# UNSURE_MATCH): "打官司赢了，法院判对方还钱…你们能帮我去催催不" is the court's, not 法律援助 (0.56).
# Chosen on the fitting sets (routing writers A, B, N and the matter fit queries, 4,406 messages):
# 14 messages of no department of ours now said so, none of ours lost.
OVERRULE_OUTSIDE_UNSURE = 0.75
# …and "none of ours" this confidently when the message names a body that is none of ours ("法院立案要带啥"
# is the court's, not 人民调解 at 0.95; "部队的探亲假" is the army's, not 退役报到).
OVERRULE_OUTSIDE_NAMED = 0.55
# …and another department this confidently when the matcher's score is a guess (below
# GUESSED_MATCH): 34 more of the same 4,406 fitting messages go to their department, 1 matter of
# ours is lost (灵活就业社保费, read as 人社's).
OVERRULE_OTHER_UNSURE = 0.7
GUESSED_MATCH = 0.7
# …and another department this confidently when the citizen asks which department it is ("烟花爆竹
# 零售许可找哪个部门办", "停水两天了找谁反映"): the router is what knows the departments' remits.
# Chosen on the 78 messages of the routing fitting sets (writers A, B, N) that ask so: their
# department right 49 -> 62 (the router's where it disagrees at this score), none lost; 0.5 adds none.
OVERRULE_ASKED_DEPARTMENT = 0.6
# …and another department this confidently when the matched matter is a complaint: complaints go
# by subject, which the router reads from the remits ("小区对面的厂天天冒黑烟…物业说管不了" is the
# factory's pollution, not the 物业 it names).
OVERRULE_COMPLAINT = 0.9


# A complaint's subject is the router's when it is this sure of its department and gives it this many
# times what it gives the matched complaint's ("…后厨地上一层油，还有老鼠…我想举报" is 市场监管's
# kitchen hygiene, whatever 油烟 the matcher hears in it).
COMPLAINT_ROUTER_SURE, COMPLAINT_ROUTER_LEAD = 0.6, 4.0


def router_sure_of_other(route: Optional[Dict[str, Any]], department: Optional[str]) -> bool:
    """Whether the router reads a complaint as another department's than `department`, surely and
    far ahead of it (COMPLAINT_ROUTER_SURE, COMPLAINT_ROUTER_LEAD)."""
    if not route or not department or route.get("outside") or route.get("code") in (None, department):
        return False
    first = float(route.get("score") or 0.0)
    theirs = next((float(r.get("score") or 0.0) for r in route.get("ranking") or [] if r.get("code") == department), 0.0)
    return first >= COMPLAINT_ROUTER_SURE and first >= COMPLAINT_ROUTER_LEAD * theirs


def router_overrules(route: Optional[Dict[str, Any]], matched: Optional[float] = None,
                     asks_department: bool = False, complaint: bool = False, names_outside: bool = False,
                     matched_department: Optional[str] = None, router_takes_complaints: bool = False) -> bool:
    """Whether the department router's disagreement with the matched matter decides the answer
    (`matched`: the matcher's score for that matter, when it is its best and the message opens a
    question rather than follows one up: the router reads one message alone; `asks_department`:
    the message asks which department handles it; `complaint`: the matched matter is a complaint;
    `names_outside`: the message names a body that is none of ours, cues.yml outside_bodies;
    `matched_department`: the matched matter's; `router_takes_complaints`: the router's department
    has complaint matters of its own — a complaint is its, when the router is sure of it, and not
    the matched complaint's; "…电镀厂往河里排黄水，鸭子死了好几只，我要投诉" stays 生态环境's, however
    sure the router is of the ducks' 农业农村)."""
    if not route or route.get("agrees_with_matter") is not False:
        return False
    if route.get("outside") or not route.get("code"):
        bar = OVERRULE_OUTSIDE_UNSURE if matched is not None and matched < UNSURE_MATCH else OVERRULE_OUTSIDE
        if names_outside:
            bar = min(bar, OVERRULE_OUTSIDE_NAMED)
    else:
        bar = OVERRULE_OTHER_UNSURE if matched is not None and matched < GUESSED_MATCH else OVERRULE_OTHER_DEPARTMENT
        if asks_department:
            bar = min(bar, OVERRULE_ASKED_DEPARTMENT)
        if complaint:
            bar = min(bar, OVERRULE_COMPLAINT)
            if router_takes_complaints and router_sure_of_other(route, matched_department):
                return True
    return float(route.get("score") or 0.0) >= bar

"""The conversations simulated citizens hold during `onetrip bench`.

Each scenario is a list of steps: what the citizen says and what the reply must contain. The
texts and expectations are the ones of tests/e2e/test_dialogue.py, so a benchmark run is also a
correctness check under load: a reply without the expected payload counts as an error.

A check gets the bot's messages and a per-conversation dict (to remember, e.g., the options a
clarification offered) and returns None when the reply is right, or a short reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

Messages = List[Dict[str, Any]]
Check = Callable[[Messages, Dict[str, Any]], Optional[str]]


@dataclass(frozen=True)
class Step:
    text: str  # may contain {phone}
    check: Optional[Check] = None  # None: any non-empty reply
    expect_reply: bool = True  # False: an empty reply is fine (and no check runs)


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: List[Step] = field(default_factory=list)


def customs(messages: Messages) -> List[Dict[str, Any]]:
    return [m["custom"] for m in messages if isinstance(m, dict) and isinstance(m.get("custom"), dict)]


def matter_is(code: str, aspect: Optional[str] = None) -> Check:
    def check(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
        found = next((c for c in customs(messages) if "matter" in c), None)
        if found is None:
            return f"no matter payload (expected {code})"
        if found.get("matter") != code:
            return f"matter {found.get('matter')} != {code}"
        if aspect and found.get("aspect") != aspect:
            return f"aspect {found.get('aspect')} != {aspect}"
        return None

    return check


def clarification(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
    offered = next((c["clarify"] for c in customs(messages) if "clarify" in c), None)
    if not offered or len(offered) < 2:
        return "no clarification with two or more options"
    state["clarify"] = list(offered)
    return None


def picked_second(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
    offered = state.get("clarify") or []
    if len(offered) < 2:
        return "nothing offered before"
    return matter_is(offered[1])(messages, state)


def ticket_of(kind: str, department: str) -> Check:
    def check(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
        ticket = next((c for c in customs(messages) if "ticket" in c), None)
        if ticket is None:
            return "no ticket payload"
        if (ticket.get("kind"), ticket.get("department")) != (kind, department):
            return f"ticket {ticket.get('kind')}/{ticket.get('department')} != {kind}/{department}"
        return None

    return check


def no_matter(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
    if any("matter" in c for c in customs(messages)):
        return "chit-chat answered with a matter"
    return None


def text_contains(*needles: str) -> Check:
    def check(messages: Messages, state: Dict[str, Any]) -> Optional[str]:
        text = "\n".join(str(m.get("text") or "") for m in messages)
        missing = [n for n in needles if n not in text]
        return f"reply lacks {missing}" if missing else None

    return check


REQUIREMENTS = Scenario(
    "requirements",
    [
        Step("办身份证换领要带什么", matter_is("gongan.id_card_renew", "materials")),
        Step("那要多少钱？", matter_is("gongan.id_card_renew", "fee")),
        Step("在哪里办？", matter_is("gongan.id_card_renew", "location")),
        Step("网上能办吗？", matter_is("gongan.id_card_renew", "online")),
        Step("要跑几次？", matter_is("gongan.id_card_renew", "visits")),
        Step("公积金能拿来交房租吗", matter_is("gjj.withdraw_rent")),
        Step("要带什么材料", matter_is("gjj.withdraw_rent")),
    ],
)

CLARIFICATION = Scenario(
    "clarification",
    [
        Step("你好", no_matter),
        Step("身份证", clarification),
        Step("2", picked_second),  # answered by number, as on channels without buttons
        Step("要带什么材料", picked_second),
        Step("孩子刚出生要办哪些手续", matter_is("yjs.newborn")),
    ],
)

GUIDANCE_TICKET = Scenario(
    "guidance_ticket",
    [
        Step("我家虾苗这几天死了好多", matter_is("nongye.aquaculture_guidance")),
        Step("南美白对虾，放苗半个月，这两天每天死几百尾，水有点发红"),
        Step("宁波象山"),
        Step("{phone}"),
        Step("同意", ticket_of("guidance", "nongye")),
    ],
)

ONETRIP = [REQUIREMENTS, CLARIFICATION, GUIDANCE_TICKET]


def baseline_of(scenarios: List[Scenario]) -> List[Scenario]:
    """The same messages for the bare Rasa bot: only a non-empty reply is expected."""
    return [Scenario(s.name, [Step(step.text) for step in s.steps]) for s in scenarios]


def phone_for(citizen: int, conversation: int, run_id: int = 0) -> str:
    """A unique, well-formed mainland mobile number per citizen and conversation."""
    serial = (run_id * 1_000_003 + citizen * 10_007 + conversation) % 100_000_000
    return f"139{serial:08d}"

"""One citizen message read in its conversation, once, for the steps of action_answer_matter.

What the matcher and the router said of it, what the conversation is on, and the readings that
cost a second parse (the option an answer picks, a short reply read with the message before it),
each made at most once however many steps ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set

from rasa_sdk import Tracker

from actions.conversation import MatchView, entity, intent_of, is_button, match_of, route_of, text_of
from actions.cues import says
from actions.follow_ups import SHORT_REPLY, short_reply_reading
from actions.picking import picked_option
from actions.reading import asked_if_all, asked_which, needed_thing, read_with_previous
from actions.story_clauses import told_done
from bot.text.normalize import normalize
from bot.vocabulary import FALLBACK_MATTER


@dataclass
class Turn:
    tracker: Tracker
    intent: str
    text: str
    view: MatchView
    aspect: Optional[str]  # the aspect entity as the NLU found it, or a paper asked whether needed
    needed: Optional[tuple]  # (the thing, Aspect) a typed message asks whether needed (reading.needed_thing)
    current: Optional[str]  # the matter the conversation is on
    candidates: List[str]  # the options offered last
    route: Optional[Dict[str, Any]]  # the department router's verdict
    _once: Dict[str, Optional[str]] = field(default_factory=dict, repr=False)
    _done: Optional[Set[str]] = field(default=None, repr=False)

    @classmethod
    def read(cls, tracker: Tracker) -> "Turn":
        intent, current = intent_of(tracker), tracker.get_slot("current_matter")
        if intent == "correct_matter" and not current:
            intent = "ask_matter"  # nothing was answered yet: nothing to correct ("问一下驾驶证的事")
        text, aspect = text_of(tracker), entity(tracker, "aspect")
        needed = None if is_button(tracker) else needed_thing(text)
        if aspect is None and needed and current and entity(tracker, "matter") in (None, current):
            # "要合同不", "厂都关了 还要厂里开证明吗" after an answer: whether a paper is needed asks
            # what to bring (or what must come first), though no aspect word is said. (Not when
            # the words name another matter: "燃气那个户名也要这样改吗" after 电 is 燃气's.)
            aspect = needed[1].value
        if aspect is None and current and entity(tracker, "matter") in (None, current):
            # "就这些?" after the materials: the same part asked again, not a goodbye.
            aspect = asked_if_all(tracker, current)
        return cls(tracker=tracker, intent=intent, text=text, view=match_of(tracker),
                   aspect=aspect, needed=needed, current=current,
                   candidates=tracker.get_slot("candidates") or [], route=route_of(tracker))

    @property
    def matter(self) -> Optional[str]:
        """The matter entity: a button's payload or the matcher's confident match."""
        return entity(self.tracker, "matter")

    @property
    def button(self) -> bool:
        return is_button(self.tracker)

    @property
    def length(self) -> int:
        """Characters said, spaces left out."""
        return len(normalize(self.text).replace(" ", ""))

    @property
    def alone(self) -> bool:
        """Whether the message is the router's to judge on its own: the first one, or more than
        a few words after an answer ("租房的" is not)."""
        return not self.current or self.length > SHORT_REPLY

    @property
    def ranked(self) -> List[str]:
        """The matcher's candidates, best first, 兜底 left out."""
        return [m["matter"] for m in self.view.matches if m["matter"] != FALLBACK_MATTER]

    @property
    def departments(self) -> Dict[str, Optional[str]]:
        """Each candidate's department."""
        return {m["matter"]: m.get("department") for m in self.view.matches}

    @property
    def scores(self) -> Dict[str, float]:
        """Each candidate's score."""
        return {m["matter"]: float(m.get("score") or 0.0) for m in self.view.matches}

    @property
    def routed_to(self) -> Optional[str]:
        return (self.route or {}).get("code")

    @property
    def outside(self) -> bool:
        """The router reads the message as none of our departments'."""
        return self.route is not None and bool(self.route.get("outside") or not self.route.get("code"))

    @property
    def route_score(self) -> float:
        return float((self.route or {}).get("score") or 0.0)

    async def picked(self) -> Optional[str]:
        """The option an answer to "which one?" picks."""
        if "picked" not in self._once:
            self._once["picked"] = (await picked_option(self.tracker, self.candidates, self.view)
                                    if self.candidates and asked_which(self.tracker) else None)
        return self._once["picked"]

    async def combined(self) -> Optional[str]:
        """A short reply (not a button, no "另外") read with the message before it."""
        if "combined" not in self._once:
            short = self.length <= SHORT_REPLY
            self._once["combined"] = (await read_with_previous(self.tracker) if short and not self.button
                                      and not says(self.text, "switch") else None)
        return self._once["combined"]

    async def refined(self) -> Optional[str]:
        """A short reply that narrows the current matter down ("租房的" after 公积金提取)."""
        if "refined" not in self._once:
            self._once["refined"] = await short_reply_reading(self.tracker, self.current, self.combined)
        return self._once["refined"]

    async def told_done(self) -> Set[str]:
        """The matters the message tells as already done (a parse per telling clause, once)."""
        if self._done is None:
            self._done = await told_done(self.text)
        return self._done

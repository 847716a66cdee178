"""Reading what the citizen said from the tracker: the matcher's result, entities, choices."""

from __future__ import annotations

import abc
import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.vocabulary import Channel


@dataclass
class MatchView:
    """The MatterMatcher's verdict on the latest message."""

    abstain: bool = True
    clarify: bool = False
    matches: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def top(self) -> Optional[str]:
        return self.matches[0]["matter"] if self.matches else None


def match_of(tracker: Tracker) -> MatchView:
    data = tracker.latest_message.get("matter_match") or {}
    return MatchView(
        abstain=bool(data.get("abstain", True)),
        clarify=bool(data.get("clarify", False)),
        matches=list(data.get("matches") or []),
    )


# A department the router is this sure of limits the options offered to its own matters, and
# names the matter meant when the matcher is unsure.
ROUTER_SURE = 0.9
# A department the router leans to this much answers a message no matter fits, when the likeliest
# of the weak matches is another department's; and names the matter meant by a digression in a form.
ROUTER_LEANS = 0.7


def route_of(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The department router's verdict on the latest message (bot.nlu.department_router): its
    department code (None outside every department), score and request type; None when absent."""
    route = tracker.latest_message.get("department_route")
    return route if isinstance(route, dict) else None


def entity(tracker: Tracker, name: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def intent_of(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def text_of(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or Channel.REST.value


def last_bot_response(tracker: Tracker) -> Optional[str]:
    """The domain response (`utter_…`) of the bot's last message, None for free text."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def bot_events_before(tracker: Tracker, turns_back: int) -> List[Dict[str, Any]]:
    """The bot's messages in answer to the citizen's message `turns_back` messages before the
    latest one (1: the previous one), latest first."""
    found: List[Dict[str, Any]] = []
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users > turns_back:
                break
        elif event.get("event") == "bot" and users == turns_back:
            found.append(event)
    return found


def previous_bot_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot's messages in answer to the citizen's previous message (between the last two user
    messages), latest first."""
    return bot_events_before(tracker, 1)


def previous_replies(tracker: Tracker) -> List[str]:
    """The domain responses (`utter_…`) of previous_bot_events."""
    return [(e.get("metadata") or {}).get("utter_action") or "" for e in previous_bot_events(tracker)]


def aspect_span(tracker: Tracker) -> Optional[Tuple[int, int]]:
    """Where the aspect entity of the latest message stands in its text, if it has one."""
    return next(((e["start"], e["end"]) for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == "aspect" and e.get("start") is not None), None)


def user_texts(tracker: Tracker) -> List[str]:
    return [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]


def _aspect_before(tracker: Tracker) -> Tuple[Optional[Dict[str, Any]], str]:
    """(the aspect entity of the citizen's message before the latest one, that message's text)."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None, ""
    entities = (users[-2].get("parse_data") or {}).get("entities") or []
    return next((e for e in entities if e.get("entity") == "aspect" and e.get("value")), None), users[-2].get("text") or ""


def aspect_asked_before(tracker: Tracker) -> Optional[str]:
    """The aspect the citizen's message before the latest one asked ("想注销 要带啥" before "公司")."""
    found, _ = _aspect_before(tracker)
    return str(found["value"]) if found else None


def aspect_words(tracker: Tracker) -> str:
    """The words that asked the aspect in the latest message ("一次搞定" of "…能不能一次搞定"), or ""."""
    span = aspect_span(tracker)
    return text_of(tracker)[span[0]:span[1]] if span else ""


def aspect_words_before(tracker: Tracker) -> Tuple[str, str]:
    """(the words that asked the aspect in the citizen's message before the latest one, that
    message): "咋补啊" of "证件掉了要咋补啊" before "身份证". Empty when it asked none."""
    found, text = _aspect_before(tracker)
    if not found or found.get("start") is None:
        return "", text
    return text[found["start"]:found["end"]], text


def user_text_back(tracker: Tracker, turns_back: int) -> str:
    """The citizen's message `turns_back` messages before the latest one ("" if none)."""
    texts = user_texts(tracker)
    return texts[-1 - turns_back] if len(texts) > turns_back else ""


def latest_user_timestamp(tracker: Tracker) -> float:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return float(event.get("timestamp") or 0)
    return 0.0


def idempotency_key(tracker: Tracker, purpose: str, anchor: Optional[float] = None) -> str:
    """Stable for one request: same conversation, same purpose, same triggering user message.

    Rasa may call an action again after a timeout or restart; the tracker is the same then, so the
    key is too, and the hall returns the ticket it already made instead of a second one. `anchor`
    replaces the triggering message's time when a request spans turns (a form re-submitted).
    """
    moment = latest_user_timestamp(tracker) if anchor is None else anchor
    raw = f"{tracker.sender_id}|{purpose}|{moment:.6f}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def is_button(tracker: Tracker) -> bool:
    """The message is a button's payload ("/choose{...}"), not typed words."""
    return text_of(tracker).startswith("/")


def without_repeats(tracker: Tracker, events: List[EventType]) -> List[EventType]:
    """The events without SlotSets that change nothing ("ticket_kind: null" on a turn that starts no
    form, the same matter again): each event is stored, replayed at every prediction and sent to the
    action server for the rest of the conversation. The dialogue state is the slots' values, so a
    SlotSet that leaves a value as it was changes no prediction; a slot set twice in one answer is
    read in order."""
    values = dict(tracker.slots)
    kept: List[EventType] = []
    for event in events:
        if event.get("event") == "slot":
            name, value = event.get("name"), event.get("value")
            if name in values and values[name] == value:
                continue
            values[name] = value
        elif event.get("event") in ("reset_slots", "restart", "session_started"):
            values = {}  # nothing after it is a repeat of what was before
        kept.append(event)
    return kept


class Answering(Action, metaclass=abc.ABCMeta):
    """An action whose events leave out the SlotSets that change nothing (`without_repeats`): its
    `decide` says what to do, `run` hands Rasa only what changes."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return without_repeats(tracker, await self.decide(dispatcher, tracker, domain))

    @abc.abstractmethod
    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """What to do for the message: the events, before those that change nothing are left out."""

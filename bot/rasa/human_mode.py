"""Human mode: while staff answer a conversation the bot stays silent, except for the words that
give the conversation back to it.

The service hall pauses the conversation (Rasa's ``ConversationPaused``, ``{"event": "pause"}``
through the HTTP API) when staff reply or a handoff waits for them, and resumes it when staff
release or resolve the ticket. A paused conversation keeps every citizen message in the tracker
(the hall shows them to staff) and Rasa predicts nothing for it. Rasa 3.6 lets only ``/restart``
through a pause; here "结束人工" / "转回机器人" (and a few variants) do too: the conversation is
resumed and ``action_human_mode_ended`` tells the citizen (``custom: {"human": null}``) and the hall.
While a handoff still waits for staff (none has written since), a message that calls the person
off also resumes it: alone ("算了不用了") it is told like "结束人工"; with a question after it
("哦不用了，我自己先问问，优待证怎么申请") the message runs as any other, and the answering action
says the handoff is called off before it answers (bot.text.calling_off).
Every other message of a paused conversation runs ``action_handoff_contact``, which stays silent
unless it is the call-back phone an after-hours handoff asked for.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import action_for_name_or_text
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ConversationResumed

from bot.handoffs import waiting_handoff
from bot.text.calling_off import QUESTION_CHARS, calls_off, releases, rest_after_calling_off

ENDED_ACTION = "action_human_mode_ended"
ANSWER_ACTION = "action_answer_matter"
CONTACT_ACTION = "action_handoff_contact"  # a call-back phone sent while a handoff waits
POLICY = "HumanMode"


def calls_off_waiting(text: Any, events: Any) -> bool:
    """Whether a message calls off a handoff that no staff member has answered yet (the events,
    newest first, as the actions read them)."""
    return calls_off(text) and waiting_handoff(e.as_dict() for e in reversed(events)) is not None


_rasa_loop = MessageProcessor._run_prediction_loop


async def _run_prediction_loop(self: MessageProcessor, output_channel: Any, tracker: Any) -> None:
    latest = tracker.latest_message
    if tracker.is_paused() and latest is not None and releases(latest.text):
        tracker.update(ConversationResumed())
        for name in (ENDED_ACTION, ACTION_LISTEN_NAME):
            action = action_for_name_or_text(name, self.domain, self.action_endpoint)
            await self._run_action(action, tracker, output_channel, self.nlg,
                                   PolicyPrediction.for_action_name(self.domain, name, POLICY))
        return
    if tracker.is_paused() and latest is not None and calls_off_waiting(latest.text, tracker.events):
        tracker.update(ConversationResumed())
        if len(rest_after_calling_off(latest.text)) < QUESTION_CHARS:
            for name in (ENDED_ACTION, ACTION_LISTEN_NAME):
                action = action_for_name_or_text(name, self.domain, self.action_endpoint)
                await self._run_action(action, tracker, output_channel, self.nlg,
                                       PolicyPrediction.for_action_name(self.domain, name, POLICY))
            return
        # "…，优待证怎么申请": the answering action says it is called off and answers; what follows
        # (a ticket form it may start) is predicted as after any answer. The policies never saw a
        # question right after a handoff, so the first action is not left to them.
        action = action_for_name_or_text(ANSWER_ACTION, self.domain, self.action_endpoint)
        await self._run_action(action, tracker, output_channel, self.nlg,
                               PolicyPrediction.for_action_name(self.domain, ANSWER_ACTION, POLICY))
        await _rasa_loop(self, output_channel, tracker)
        return
    if tracker.is_paused() and latest is not None and isinstance(latest.text, str) and not latest.text.startswith("/"):
        # Still silent for staff's sake; only the call-back phone a handoff asked for is answered.
        for name in (CONTACT_ACTION, ACTION_LISTEN_NAME):
            action = action_for_name_or_text(name, self.domain, self.action_endpoint)
            await self._run_action(action, tracker, output_channel, self.nlg,
                                   PolicyPrediction.for_action_name(self.domain, name, POLICY))
        return
    await _rasa_loop(self, output_channel, tracker)


def install() -> None:
    """Idempotent."""
    MessageProcessor._run_prediction_loop = _run_prediction_loop  # type: ignore[assignment]

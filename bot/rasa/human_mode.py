"""Human mode: while staff answer a conversation the bot stays silent, except for the words that
give the conversation back to it.

The service hall pauses the conversation (Rasa's ``ConversationPaused``, ``{"event": "pause"}``
through the HTTP API) when staff reply or a handoff waits for them, and resumes it when staff
release or resolve the ticket. A paused conversation keeps every citizen message in the tracker
(the hall shows them to staff) and Rasa predicts nothing for it. Rasa 3.6 lets only ``/restart``
through a pause; here "结束人工" / "转回机器人" (and a few variants) do too: the conversation is
resumed and ``action_human_mode_ended`` tells the citizen (``custom: {"human": null}``) and the hall.
Every other message of a paused conversation runs ``action_handoff_contact``, which stays silent
unless it is the call-back phone an after-hours handoff asked for.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.actions.action import action_for_name_or_text
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ConversationResumed

RELEASE_WORDS = {"结束人工", "结束人工服务", "转回机器人", "转机器人", "回到机器人", "退出人工", "退出人工服务"}
ENDED_ACTION = "action_human_mode_ended"
CONTACT_ACTION = "action_handoff_contact"  # a call-back phone sent while a handoff waits
POLICY = "HumanMode"
_PUNCTUATION = re.compile(r"[\s，。！？!?,.、~～…]+")


def releases(text: Any) -> bool:
    """Whether a citizen's message asks to leave human mode."""
    return isinstance(text, str) and _PUNCTUATION.sub("", text) in RELEASE_WORDS


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

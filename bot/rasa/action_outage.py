"""When the action server cannot be reached, Rasa 3.6 logs "Failed to execute custom action"
and answers the citizen nothing at all (`RemoteAction.run` raises, the processor drops the
action's events and goes on listening). Here an action run for a citizen's message that fails
that way answers with `utter_action_server_unavailable` (an apology and the 12345 hotline)
instead; the citizen's message itself is already in the tracker, so nothing is lost and they
can say it again. Form rejections (`ActionExecutionRejection`) are left to Rasa, as are the
actions the service hall triggers through `/execute` (a staff reply that cannot be relayed must
fail, so the hall keeps it to send again, not reach the citizen as an apology)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY = "utter_action_server_unavailable"
# Run by the service hall through Rasa's /execute endpoint (bot/hall/rasa_client.py).
HALL_TRIGGERED = {"action_relay_staff_message", "action_handoff_released", "action_ticket_resolved",
                  "action_ticket_transferred"}

# Run for every message of a conversation paused for staff (bot.rasa.human_mode): the message is
# for staff and already in the tracker; when this courtesy fails, the citizen gets no apology.
COURTESY = {"action_handoff_contact"}

_rasa_run = RemoteAction.run


async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    try:
        return await _rasa_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except (RasaException, asyncio.TimeoutError) as exc:
        if self.name() in HALL_TRIGGERED or APOLOGY not in domain.responses:
            raise
        if self.name() in COURTESY:
            logger.warning("action %s failed (%s); the message still waits for staff", self.name(), exc)
            return []
        logger.error("action %s failed (%s); the citizen is told to try again", self.name(), exc)
        message = await nlg.generate(APOLOGY, tracker, output_channel.name())
        return [create_bot_utterance(message)] if message else []


def install() -> None:
    """Idempotent."""
    RemoteAction.run = run  # type: ignore[assignment]

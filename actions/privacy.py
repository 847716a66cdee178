"""A citizen asks the bot to delete their conversation ("删除我的记录"), issue #17.

The hall deletes the transcript from the tracker store and anonymises its own rows (tickets,
ratings, questions) at once, and deletes this turn's events once Rasa has saved them (the hall's
event follower, bot.hall.stats); unless a ticket of the conversation is still open: then nothing is deleted
and the citizen is told when it will go (after the ticket closes and the retention period).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.conversation import is_button, text_of
from actions.cues import says


class ActionEraseConversation(Action):
    def name(self) -> Text:
        return "action_erase_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if not is_button(tracker) and not says(text_of(tracker), "erase_words"):
            # Nothing is deleted on a guess: "我要查一下我名下的不动产登记信息" speaks of "my
            # information" and asks a matter, whatever the intent classifier read.
            return [FollowupAction("action_answer_matter")]
        try:
            result = await hall().erase_conversation(tracker.sender_id)
        except HallUnavailable:
            dispatcher.utter_message(response="utter_erase_unavailable")
            return []
        if result.get("erased"):
            dispatcher.utter_message(response="utter_erased", json_message={"erased": True})
            # A new session, as action_session_start begins one: Rasa (and its tracker-store cache,
            # bot.rasa.tracker_store) keeps only the latest session, so the old transcript is gone
            # from memory too, and the conversation goes on afresh (listening, as after a session start).
            return [SessionStarted(), FollowupAction("action_listen")]
        numbers = "、".join(result.get("open_tickets") or [])
        days = result.get("retention_days") or 180
        dispatcher.utter_message(response="utter_erase_later", numbers=numbers, days=f"{float(days):g}",
                                 json_message={"erased": False, "open_tickets": result.get("open_tickets") or []})
        return []

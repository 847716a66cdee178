"""What a message is when it is not (only) a question about a matter, read before any matter is.

Two kinds, in the order action_answer_matter reads them (a person asked for comes between them,
actions.handoff's):

- `answer_to_us`: an answer to what the bot just asked or offered: "提交" after the hall did not
  respond, "同意" to the consent question, particulars or a yes after a ticket was filed, a yes or a
  phone after "我可以把您的问题转给该部门", a phone after an answer (a call back offered).
- `said_outright`: a rating in words, a trip that failed (兜底), a ticket's status, a greeting or a
  question about the bot.

Each returns the turn's events, or None when the message is not of its kind.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import interruptions
from actions.conversation import aspect_span, entity, last_bot_response, previous_replies
from actions.cues import agrees, says, went_and_failed
from actions.departments import accept_department_offer, department_of, offer_callback
from actions.feedback import ActionRecordRating, rating_level, score_in
from actions.form_slots import drops_form, pending_ticket, wants_submit
from actions.outside import answered_outside
from actions.reading import department_offered, offer_said_yes_to, only_particulars, takes_offer
from actions.ticket_request import FILED_REPLIES
from actions.tickets import (
    ActionOpenTicket, ActionReportFailedTrip, ActionTicketStatus, asks_ticket_status, consent_answer,
    consent_pending, status_words_only, ticket_number,
)
from bot.text.phones import contact_number


async def answer_to_us(dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[str],
                       text: str) -> Optional[List[EventType]]:
    """An answer to the question or offer of the bot's last turn, or None."""
    last_ticket = tracker.get_slot("last_ticket")
    in_loop = bool((tracker.active_loop or {}).get("name"))
    if pending_ticket(tracker) and wants_submit(tracker, intent):
        # "提交" after "工单系统暂时没有响应": submit the form the citizen already filled in.
        return await ActionOpenTicket().open(dispatcher, tracker, None)
    if last_ticket and consent_pending(tracker) and (consent_answer(tracker) is not None or drops_form(text)):
        # "同意", "不同意", or "算了不用专家了…问下家庭农场咋登记": the answer kept on the
        # ticket just filed (a drop is a no), and a question asked with it answered too.
        agreed = consent_answer(tracker) is True and not drops_form(text)
        events = await ActionOpenTicket.record_consent(dispatcher, tracker, last_ticket, agreed)
        if interruptions.is_new_question(tracker):
            events += await interruptions.answer(dispatcher, tracker, continues=False)
        return events
    just_filed = bool(last_ticket and set(FILED_REPLIES) & set(previous_replies(tracker)))
    if just_filed and only_particulars(text):
        return await ActionOpenTicket.add_particulars(dispatcher, tracker, last_ticket)
    if just_filed and agrees(text):
        return await ActionOpenTicket.confirm(dispatcher, last_ticket)
    offered = department_offered(tracker)
    if offered and takes_offer(offered, text, asks_aspect=bool(entity(tracker, "aspect"))):
        # A yes ("好的 帮我问问"), a phone or "电话就不留了" right after "我可以把您的问题转给该部门":
        # the offer taken.
        return await accept_department_offer(dispatcher, tracker, offered)
    if not (contact_number(text) and only_particulars(text) and not in_loop and not pending_ticket(tracker)):
        return None
    said_yes_to = offer_said_yes_to(tracker)
    if said_yes_to:
        # "好的", then "18606589132" after "说“帮我问问”，我把您的问题转给…": the yes was for the offer.
        return await accept_department_offer(dispatcher, tracker, said_yes_to)
    current = tracker.get_slot("current_matter")
    callback_from = await department_of(current) if current else None
    if callback_from:
        # "电话17858412093" after an answer, nothing pending: never the guide again; a call
        # back from the matter's department is offered, and filed only on a yes.
        return await offer_callback(dispatcher, callback_from)
    return None


async def said_outright(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                        intent: Optional[str], text: str) -> Optional[List[EventType]]:
    """A rating, a failed trip, a ticket's status or a greeting, said in so many words, or None."""
    if ((says(text, "verdict") or score_in(text) is not None or last_bot_response(tracker) == "utter_ask_rating")
            and rating_level(tracker) is not None):
        # "…给个差评": a 好差评 in words; a 差评 goes on to its follow-up form. Said in so many
        # words it is the citizen's verdict, even on a runaround ("推来推去折腾了一上午…差评").
        return await ActionRecordRating().run(dispatcher, tracker, domain)
    if went_and_failed(text):
        # 兜底 only for a citizen who went and could not get it done.
        return await ActionReportFailedTrip().run(dispatcher, tracker, domain)
    last_ticket = tracker.get_slot("last_ticket")
    if ticket_number(text) or (asks_ticket_status(text) and (not entity(tracker, "matter")
                                                             or says(text, "own_ticket")
                                                             or (last_ticket
                                                                 and status_words_only(text, aspect_span(tracker))))
                               and not (answered_outside(tracker) and not last_ticket)):
        # A ticket number is never a matter's words, whatever letters it holds; after a ticket
        # filed here, "投诉处理到哪一步了" asks of it, not of the 消费投诉 its words brush against.
        return await ActionTicketStatus().run(dispatcher, tracker, domain)
    if ((intent == "greet" or (intent == "bot_challenge" and says(text, "bot_words")))
            and not entity(tracker, "aspect") and not entity(tracker, "matter")):
        # A question about the bot speaks of it; "有效期是一年吗" after an answer is a follow-up.
        dispatcher.utter_message(response="utter_greet" if intent == "greet" else "utter_bot_challenge")
        return []
    return None

"""bot/rasa/validation.py accepts and rejects exactly the action-server responses that Rasa's own
`jsonschema.validate(result, schema)` does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.rasa import validation

SCHEMA = RemoteAction.action_response_format_spec()

REAL_EVENTS = [
    SlotSet("current_matter", "gongan.id_card_renew").as_dict(),
    SlotSet("candidates", ["a", "b"]).as_dict(),
    BotUttered("请带上身份证", {"buttons": [{"title": "好", "payload": "/affirm"}]}).as_dict(),
    ActiveLoop("ticket_form").as_dict(),
    ActiveLoop(None).as_dict(),
    FollowupAction("action_listen").as_dict(),
    ConversationPaused().as_dict(),
    ConversationResumed().as_dict(),
    AllSlotsReset().as_dict(),
    Restarted().as_dict(),
    SessionStarted().as_dict(),
    ActionExecuted("action_listen").as_dict(),
    UserUttered("你好", {"name": "greet", "confidence": 1.0}).as_dict(),
]

RESPONSES = [
    {},
    {"events": [], "responses": []},
    {"events": REAL_EVENTS, "responses": [{"text": "您好"}, {"custom": {"matter": "x"}}]},
    {"events": None},
    {"events": "x"},
    {"events": [1]},
    {"events": [{}]},
    {"events": [{"event": "nope"}]},
    {"events": [{"event": 3}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "yesterday"}]},
    {"events": [{"event": "slot", "name": 5, "value": 1}]},
    {"events": [{"event": "bot", "text": None}]},
    {"events": [{"event": "bot", "text": 7}]},
    {"events": [{"event": "action", "name": "x", "confidence": "high"}]},
    {"events": [{"event": "active_loop", "name": None}]},
    {"events": [{"event": "followup"}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": 1}}}]},
    {"events": [{"event": "slot", "name": "a", "value": 1, "metadata": "m"}]},
    {"responses": "x"},
    {"responses": [1]},
    {"responses": [{"text": 1}]},
    [],
    "x",
]


def _rasa_says(result) -> bool:
    try:
        jsonschema.validate(result, SCHEMA)
        return True
    except jsonschema.ValidationError:
        return False


def _ours_says(result) -> bool:
    try:
        validation.response_validator().validate(result)
        return True
    except jsonschema.ValidationError:
        return False


@pytest.mark.parametrize("result", RESPONSES + [{"events": [e]} for e in REAL_EVENTS])
def test_same_verdict_as_rasa(result):
    assert _ours_says(result) == _rasa_says(result)


def test_real_events_pass_and_errors_keep_rasas_wording():
    assert _ours_says({"events": REAL_EVENTS})
    validation.install()
    with pytest.raises(jsonschema.ValidationError) as caught:
        RemoteAction("action_x", None)._validate_action_result({"events": [{"event": "nope"}]})
    assert "Failed to validate Action server response from API" in caught.value.message

"""bot/rasa/turn_end.py answers "what after this action?" from the rules instead of running the
policies, and bot/rasa/graph_runner.py runs the model's graph without dask: both must answer what
Rasa answers. Conversations of every kind go through the running servers; then, in-process with
the stack's own model, each of their messages is parsed and each point where an action has just run
is predicted both ways."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.trackers import DialogueStateTracker
from stack import ROOT

from bot.rasa import graph_runner, turn_end

pytestmark = pytest.mark.e2e

CONVERSATIONS = [
    ["办身份证换领要带什么", "那要多少钱？", "在哪里办", "谢谢"],
    ["我家的虾苗生病了，大片死掉，想找专家看看", "南美白对虾，养了两亩", "13905710001", "同意"],
    ["我想投诉，楼下饭店后厨老鼠乱跑，太不卫生了", "不留电话"],
    ["上周去办居住证跑了两趟都没办成", "杭州西湖区", "13905710002", "同意"],
    ["公积金能拿来交房租吗", "转人工"],
    ["你好", "身份证", "1", "要几天"],
    ["社保卡丢了怎么补", "/rate{\"rating\": \"2\"}", "等太久了", "不留"],
    ["查一下我的工单", "算了"],
    ["我的证丢了咋补办", "驾驶证", "新的多久能拿到"],
]


def _events(stack, lines: List[str]) -> List[Dict[str, Any]]:
    me = "turnend-" + uuid.uuid4().hex[:8]
    for line in lines:
        stack.say(me, line)
    return stack.tracker(me)["events"]


def test_shortcuts_answer_what_rasa_answers(stack):
    conversations = [_events(stack, lines) for lines in CONVERSATIONS]
    processor = Agent.load(str(ROOT / "models" / "onetrip.tar.gz")).processor
    assert DaskGraphRunner.run is graph_runner.run, "bot.rasa is installed wherever the model loads"
    runner, domain = processor.graph_runner, processor.domain
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target

    def both(inputs: Dict[str, Any], target: str):
        return (graph_runner.run(runner, dict(inputs), [target])[target],
                graph_runner._rasa_run(runner, dict(inputs), [target])[target])

    # The graph without dask: every message parsed alike.
    texts = [e["text"] for events in conversations for e in events if e.get("event") == "user" and e.get("text")]
    assert len(texts) >= 25
    for text in texts:
        ours, rasas = both({PLACEHOLDER_MESSAGE: [UserMessage(text)],
                            PLACEHOLDER_TRACKER: DialogueStateTracker("t", domain.slots)}, nlu)
        assert ours[0].as_dict() == rasas[0].as_dict(), text

    policy = turn_end._rule_policy(processor)
    assert policy is not None, "the model's only policy is the RulePolicy"
    ends = turn_end.TurnEnds.of(policy)
    assert ends is not None and ends.listen_rules and ends.other_last_states
    shortcuts = fallbacks = 0
    for events in conversations:
        for end, event in enumerate(events):
            if event.get("event") != "action" or event.get("name") in ("action_listen", "action_session_start"):
                continue
            # The tracker as it stood when Rasa predicted what follows this action: up to the
            # action's own events, before the next action.
            cut = next((i for i in range(end + 1, len(events)) if events[i].get("event") == "action"), len(events))
            tracker = DialogueStateTracker.from_dict("t", events[:cut], domain.slots)
            if tracker.is_paused() or tracker.followup_action:
                continue
            # The graph without dask: the same prediction.
            ours, rasas = both({PLACEHOLDER_TRACKER: tracker}, core)
            assert (ours.max_confidence_index, ours.policy_name, ours.hide_rule_turn) == (
                rasas.max_confidence_index, rasas.policy_name, rasas.hide_rule_turn)
            # The turn's end read off the rules: the RulePolicy's own answer, or no shortcut.
            quick = ends.after_action(processor, tracker)
            if quick is None:
                fallbacks += 1
                continue
            shortcuts += 1
            assert (quick.max_confidence_index, quick.max_confidence, quick.policy_name, quick.hide_rule_turn) == (
                rasas.max_confidence_index, rasas.max_confidence, rasas.policy_name, rasas.hide_rule_turn
            ), (event.get("name"), domain.action_names_or_texts[rasas.max_confidence_index])
    # Both paths are exercised: the turns that end in listening, and those the rules continue
    # (a form after action_answer_matter, action_open_ticket after the form).
    assert shortcuts >= 10 and fallbacks >= 3, (shortcuts, fallbacks)

"""After a custom action, Rasa asks the policies what comes next: for OneTrip, whose every turn is
a rule ending in `action_listen`, that second prediction of each turn runs the whole core graph
(dask, the RulePolicy featurizing every state of the conversation twice, once with the message's
text and once with its intent) to learn that the bot now listens. It was about a third of the
Rasa server's CPU per message under load (docs/bench-compare-2026-12.md, "Re-run 2026-12-04 (b)").

Here the answer is read off the rules themselves when they leave no doubt, and Rasa's own
prediction runs otherwise. After an action, with no follow-up action and no active loop (so that
neither the loop's happy or unhappy path, nor Rasa's default actions, which follow only a user
message, are in play), the RulePolicy predicts `action_listen` exactly when a rule predicting it
applies and no rule predicting anything else does. A rule applies only if its last state matches
the conversation's current state (`RulePolicy._does_rule_match_state`), so:

- some one-state rule whose action is `action_listen` matches the current state (that rule applies:
  it has no earlier states to check), and
- no rule whose action is not `action_listen` has a last state that matches it (none of them can
  apply, whatever their earlier states),

then the RulePolicy's answer is `action_listen`, and it is given without running the graph.
Whenever either test fails (a form follows `action_answer_matter` because `ticket_kind` is set,
`action_handoff` follows `action_deactivate_loop`, no rule applies and the core fallback would
run), Rasa predicts as always. Rules written with a user's text (end-to-end) turn the shortcut off.
The prediction is recorded as the RulePolicy's, as Rasa would (same action, confidence 1.0, the
rule's `hide_rule_turn`): tests/integration/test_turn_end.py replays conversations both ways.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.core.policies.rule_policy import RULES, RULES_NOT_IN_STORIES, RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION, USER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

State = Dict[str, Any]


@dataclass(frozen=True)
class TurnEnds:
    """What a trained RulePolicy's rules say about the state after an action."""

    policy_name: str
    priority: int
    listen_rules: Tuple[Tuple[State, bool], ...]  # one-state rules predicting action_listen, hide_rule_turn
    other_last_states: Tuple[State, ...]  # last states of every rule predicting anything else

    @classmethod
    def of(cls, policy: RulePolicy) -> Optional["TurnEnds"]:
        rules: Dict[str, str] = policy.lookup.get(RULES) or {}
        hidden = set(policy.lookup.get(RULES_NOT_IN_STORIES) or [])
        listen: List[Tuple[State, bool]] = []
        other: List[State] = []
        for key, action in rules.items():
            states: List[State] = json.loads(key)
            if not states or any(TEXT in (state.get(USER) or {}) for state in states):
                return None  # end-to-end rules: Rasa's own prediction, always
            if action != ACTION_LISTEN_NAME:
                other.append(states[-1])
            elif len(states) == 1:
                listen.append((states[0], key in hidden))
        return cls(type(policy).__name__, policy.priority, tuple(listen), tuple(other))

    def after_action(self, processor: MessageProcessor, tracker: DialogueStateTracker) -> Optional[PolicyPrediction]:
        """`action_listen` when the rules leave no doubt that it comes next, else None."""
        latest = tracker.latest_action_name
        if (tracker.followup_action or tracker.active_loop_name or latest in (None, ACTION_LISTEN_NAME)):
            return None
        state = processor.domain.get_active_state(tracker)
        if not (state.get(PREVIOUS_ACTION) or {}).get("action_name"):
            return None
        if any(RulePolicy._does_rule_match_state(rule, state) for rule in self.other_last_states):
            return None
        for rule, hide in self.listen_rules:
            if RulePolicy._does_rule_match_state(rule, state):
                return PolicyPrediction(confidence_scores_for(ACTION_LISTEN_NAME, 1.0, processor.domain),
                                        self.policy_name, self.priority, hide_rule_turn=hide)
        return None


def _rule_policy(processor: MessageProcessor) -> Optional[RulePolicy]:
    """The model's RulePolicy, when it is the model's only policy."""
    nodes = getattr(processor.graph_runner, "_instantiated_nodes", None) or {}
    policies = [getattr(node, "_component", None) for node in nodes.values()]
    found = [p for p in policies if isinstance(p, Policy)]
    return found[0] if len(found) == 1 and isinstance(found[0], RulePolicy) else None


_rasa_predict = MessageProcessor._predict_next_with_tracker


def _predict_next_with_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> PolicyPrediction:
    # Read once per model, kept on its graph runner as graph_runner keeps its plans (a new model
    # is a new runner).
    kept = self.graph_runner.__dict__
    if "_onetrip_turn_ends" not in kept:
        policy = _rule_policy(self)
        kept["_onetrip_turn_ends"] = TurnEnds.of(policy) if policy is not None else None
    ends = kept["_onetrip_turn_ends"]
    prediction = ends.after_action(self, tracker) if ends is not None else None
    return prediction if prediction is not None else _rasa_predict(self, tracker)


def install() -> None:
    """Idempotent."""
    MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker  # type: ignore[assignment]

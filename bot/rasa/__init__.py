"""Rasa 3.6 extensions that make the embedded default fast enough to serve many citizens.

Rasa Open Source 3.6.21 is the last open-source release, so what is patched here will not move.
`install()` is called by every Rasa process of OneTrip (bot/nlu/__init__.py: Rasa imports the
custom components), whatever its endpoints; the stores are chosen in endpoints.yml.
Measured effect: docs/bench.md.
"""


def install() -> None:
    """Idempotent: cached action-response validation, event-class lookup, intent features, one
    HTTP session per endpoint, an apology when the action server is down, and human mode (the bot
    silent while staff answer, until "结束人工"), and the bot listening after an action without
    running the policies when the rules leave no doubt; the model's graph run in a fixed order
    instead of through dask's scheduler."""
    from bot.rasa import action_client, action_outage, classifier, events, graph_runner, human_mode, turn_end, validation

    graph_runner.install()
    validation.install()
    events.install()
    classifier.install()
    action_client.install()
    action_outage.install()
    human_mode.install()
    turn_end.install()

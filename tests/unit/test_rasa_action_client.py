"""bot/rasa/action_client.py: Rasa's endpoint requests share one session and its connections,
and still reach a server that was restarted."""

from __future__ import annotations

import socket

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import action_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _serve(port: int, peers: list) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        body = await request.json()
        return web.json_response({"events": [], "responses": [{"text": f"收到 {body['next_action']}"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_one_session_and_connection_for_many_calls_and_a_restart():
    action_client.install()
    port, peers = _free_port(), []
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Test": "1"})
    runner = await _serve(port, peers)
    try:
        for i in range(5):
            answer = await endpoint.request(json={"next_action": f"action_{i}"}, method="post")
            assert answer["responses"][0]["text"] == f"收到 action_{i}"
        assert len(set(peers)) == 1  # one kept-alive connection for the five calls
        async with endpoint.session() as first, EndpointConfig(endpoint.url, headers={"X-Test": "1"}).session() as same:
            assert first is same and not first.closed
    finally:
        await runner.cleanup()
    # The action server restarts on the same port: the next call gets a fresh connection.
    runner = await _serve(port, peers)
    try:
        answer = await endpoint.request(json={"next_action": "action_after_restart"}, method="post")
        assert answer["responses"][0]["text"] == "收到 action_after_restart"
    finally:
        await runner.cleanup()
        await action_client.close_sessions()


async def test_an_unreachable_action_server_gets_the_citizen_an_apology_but_not_on_a_paused_message():
    """bot/rasa/action_outage.py: a failed action answers with the hotline; the courtesy action run
    for messages meant for staff (action_handoff_contact) fails silently."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa import action_outage

    action_outage.install()
    domain = Domain.from_yaml("""
version: "3.1"
actions: [action_answer_matter, action_handoff_contact]
responses:
  utter_action_server_unavailable:
    - text: "系统暂时出了点问题，请拨打12345"
""")
    endpoint = EndpointConfig(f"http://127.0.0.1:{_free_port()}/webhook")
    tracker = DialogueStateTracker("t", domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    answered = await RemoteAction("action_answer_matter", endpoint).run(CollectingOutputChannel(), nlg, tracker, domain)
    assert [e.text for e in answered] == ["系统暂时出了点问题，请拨打12345"]
    quiet = await RemoteAction("action_handoff_contact", endpoint).run(CollectingOutputChannel(), nlg, tracker, domain)
    assert quiet == []

"""bot.channels.socketio: rooms per session id, one event per utterance, Redis across servers.

Two small Sanic servers run the channel's blueprint in subprocesses (no Rasa model needed): a
citizen's socket connects to server A; a message pushed through server B's output channel --
what `POST /conversations/{id}/execute?output_channel=latest` does on another Rasa server --
reaches it through Redis.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from bot.channels.socketio import SocketIOInput, issue_session_id, signed_session_id, valid_session_id

ROOT = Path(__file__).resolve().parents[2]
REDIS = shutil.which("redis-server")
# Both servers sign session ids with one key, as the Rasa servers of a deployment share RASA_TOKEN.
SERVER_ENV = {**os.environ, "ONETRIP_SESSION_KEY": "test-session-key", "ONETRIP_RATE_MESSAGES_SENDER": "3/60"}

SERVER = textwrap.dedent(
    """
    import sys
    from sanic import Sanic, response
    from bot.channels.socketio import SocketIOInput

    port, redis_url = int(sys.argv[1]), sys.argv[2]
    channel = SocketIOInput.from_credentials(
        {"session_persistence": True, **({"redis_url": redis_url} if redis_url else {})}
    )

    async def on_new_message(message):
        await message.output_channel.send_response(
            message.sender_id,
            {"text": "收到：" + message.text, "buttons": [{"title": "同意", "payload": "/affirm"}],
             "custom": {"ticket": "ZJ20261125-0001", "department": "zwfw", "kind": "guidance"}},
        )

    app = Sanic("socketio_test_%d" % port)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/" + channel.url_prefix())

    @app.get("/push/<sender>")
    async def push(request, sender):
        await channel.get_output_channel().send_text_message(sender, "工作人员回复")
        return response.json({"ok": True})

    app.run(host="127.0.0.1", port=port, access_log=False, motd=False)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture
def servers(tmp_path, request):
    """(url A, url B) of two channel servers; shared through Redis when the test asks for it."""
    redis_url = ""
    procs = []
    if getattr(request, "param", None) == "redis":
        if not REDIS:
            pytest.skip("redis-server is not installed")
        redis_port = free_port()
        procs.append(subprocess.Popen(
            [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    urls = []
    try:
        for _ in range(2):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, str(script), str(port), redis_url], cwd=ROOT, env=SERVER_ENV,
                stdout=(tmp_path / f"server-{port}.log").open("wb"), stderr=subprocess.STDOUT,
            )
            procs.append(proc)
            urls.append(f"http://127.0.0.1:{port}")
            wait_http(urls[-1] + "/webhooks/socketio/", proc)
        yield urls
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def citizen(url: str, proposed=None):
    """A socket.io client that asked for a session (proposing `proposed`, as the widget proposes
    the id it kept); returns (client, queue of bot events, the session id the server confirmed)."""
    import socketio

    client = socketio.AsyncClient()
    events: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", lambda data: events.put_nowait(data))
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    await client.connect(url, transports=["polling"])  # aiohttp 3.9 (pinned by rasa) lacks the ws client engineio wants
    await client.emit("session_request", {"session_id": proposed} if proposed else {})
    session_id = await asyncio.wait_for(confirmed, 10)
    assert valid_session_id(session_id) and (len(session_id) == 55 or proposed), session_id
    return client, events, session_id


def test_session_ids_are_checked():
    assert valid_session_id("0f3a9c2e4b5d4e6f8a9b0c1d2e3f4a5b")
    assert valid_session_id("web-abc_123")
    for bad in (None, 42, "", "short", "a" * 65, "../tracker", "<img>", "中文会话编号很长很长的"):
        assert not valid_session_id(bad)


def test_redis_url_is_optional(monkeypatch):
    monkeypatch.delenv("ONETRIP_SOCKETIO_REDIS_URL", raising=False)
    assert SocketIOInput.from_credentials({"session_persistence": True}).redis_url is None
    monkeypatch.setenv("ONETRIP_SOCKETIO_REDIS_URL", "redis://127.0.0.1:6399/1")
    assert SocketIOInput.from_credentials({}).redis_url == "redis://127.0.0.1:6399/1"
    channel = SocketIOInput.from_credentials({"redis_url": "redis://cache:6379/0"})
    assert channel.redis_url == "redis://cache:6379/0"
    assert channel.name() == "socketio"  # output_channel=latest finds it by this name


async def test_reply_is_one_event_in_the_session_room(servers):
    client, events, session = await citizen(servers[0])
    try:
        await client.emit("user_uttered", {"message": "<b>你好</b>", "session_id": session})
        event = await asyncio.wait_for(events.get(), 10)
        assert event["text"] == "收到：<b>你好</b>"
        assert event["quick_replies"] == [{"content_type": "text", "title": "同意", "payload": "/affirm"}]
        assert event["custom"]["ticket"] == "ZJ20261125-0001"
        assert isinstance(event["timestamp"], float)
        # A push to the session id (the conversation id) reaches the socket on the same server:
        # Rasa 3.6 never awaited enter_room, so this got lost.
        httpx.get(servers[0] + f"/push/{session}", timeout=10).raise_for_status()
        assert (await asyncio.wait_for(events.get(), 10))["text"] == "工作人员回复"
    finally:
        await client.eio.disconnect(abort=True)  # a long-poll would hold a clean disconnect ~25 s


@pytest.mark.parametrize("servers", ["redis"], indirect=True)
async def test_redis_shares_rooms_across_servers(servers):
    client, events, session = await citizen(servers[0])
    try:
        await asyncio.sleep(0.5)  # both servers subscribed
        httpx.get(servers[1] + f"/push/{session}", timeout=10).raise_for_status()
        assert (await asyncio.wait_for(events.get(), 10))["text"] == "工作人员回复"
    finally:
        await client.eio.disconnect(abort=True)  # a long-poll would hold a clean disconnect ~25 s


async def test_without_redis_servers_do_not_share(servers):
    client, events, session = await citizen(servers[0])
    try:
        httpx.get(servers[1] + f"/push/{session}", timeout=10).raise_for_status()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(events.get(), 1.5)
    finally:
        await client.eio.disconnect(abort=True)  # a long-poll would hold a clean disconnect ~25 s


# -- issue 19: conversation take-over, long messages, flooding (an attacker's socket) --------------


def test_session_ids_are_signed_by_the_server(monkeypatch):
    monkeypatch.setenv("ONETRIP_SESSION_KEY", "k1")
    issued = issue_session_id()
    assert valid_session_id(issued) and signed_session_id(issued) == issued
    forged = issued[:-1] + ("A" if issued[-1] != "A" else "B")
    for bad in (forged, "0f3a9c2e4b5d4e6f8a9b0c1d2e3f4a5b", "session-one-1234", issued.split("-")[0], None):
        assert signed_session_id(bad) is None
    monkeypatch.setenv("ONETRIP_SESSION_KEY", "another-deployment")
    assert signed_session_id(issued) is None


async def test_a_learned_or_chosen_session_id_is_not_joined(servers):
    victim, victim_events, victim_session = await citizen(servers[0])
    # The attacker proposes an id of their choosing, and the victim's own (forged by pattern).
    attacker, attacker_events, attacker_session = await citizen(servers[0], "victim-session-1234")
    try:
        assert attacker_session != "victim-session-1234" and attacker_session != victim_session
        # A message naming the victim's session goes into the attacker's own conversation.
        await attacker.emit("user_uttered", {"message": "偷看", "session_id": victim_session})
        assert (await asyncio.wait_for(attacker_events.get(), 10))["text"] == "收到：偷看"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(victim_events.get(), 1.0)
        # A staff reply to the victim reaches the victim only.
        httpx.get(servers[0] + f"/push/{victim_session}", timeout=10).raise_for_status()
        assert (await asyncio.wait_for(victim_events.get(), 10))["text"] == "工作人员回复"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(attacker_events.get(), 1.0)
        # The widget's reconnect: the id the server issued is accepted again.
        again, _, again_session = await citizen(servers[0], victim_session)
        assert again_session == victim_session
        await again.eio.disconnect(abort=True)
    finally:
        await victim.eio.disconnect(abort=True)
        await attacker.eio.disconnect(abort=True)


async def test_long_and_flooding_messages_get_a_reply_not_rasa(servers):
    client, events, session = await citizen(servers[0])
    try:
        await client.emit("user_uttered", {"message": "长" * 2001, "session_id": session})
        reply = await asyncio.wait_for(events.get(), 10)
        assert "太长" in reply["text"] and "2000" in reply["text"] and "收到" not in reply["text"]
        # The server's limit here is 3 messages a minute per sender (SERVER_ENV).
        texts = []
        for i in range(5):
            await client.emit("user_uttered", {"message": f"第{i}条", "session_id": session})
            texts.append((await asyncio.wait_for(events.get(), 10))["text"])
        assert sum(t.startswith("收到") for t in texts) == 2  # the long one took a token too
        assert all("太快" in t for t in texts if not t.startswith("收到"))
    finally:
        await client.eio.disconnect(abort=True)

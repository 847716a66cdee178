"""bootstrap.prepare, the users/catalogue CLI, the event-broker consumer."""

from __future__ import annotations

import asyncio
import io
import json
import shutil

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.cli import main
from bot.hall import models
from bot.hall.bootstrap import prepare, sync_catalogue
from bot.hall.db import make_engine
from bot.hall.events import EventHub
from bot.settings import get_settings
from tests.hall.conftest import CATALOGUE, SERVICE, ticket_body


@pytest.fixture
def cli(settings):
    get_settings.cache_clear()
    yield lambda *argv: main(list(argv))
    get_settings.cache_clear()


def test_prepare_is_idempotent(settings, sessions):
    password = prepare(settings)
    assert password and len(password) >= 12
    assert prepare(settings) is None
    with sessions() as s:
        assert s.execute(select(func.count(models.Matter.code))).scalar_one() == 5
        assert s.execute(select(models.User.role)).scalar_one() == "admin"
    engine = make_engine(settings.database_url)
    assert sync_catalogue(engine, settings) is False  # unchanged fingerprint: skipped
    engine.dispose()


def test_catalogue_change_is_reimported(settings, sessions, tmp_path, monkeypatch):
    copy = tmp_path / "cat"
    shutil.copytree(CATALOGUE, copy)
    monkeypatch.setenv("ONETRIP_CATALOGUE", str(copy))
    from bot.settings import load_settings

    s1 = load_settings()
    prepare(s1)
    path = copy / "matters" / "gongan.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("居民身份证有效期满换领", "身份证换领"), encoding="utf-8")
    engine = make_engine(s1.database_url)
    assert sync_catalogue(engine, s1) is True
    engine.dispose()
    with sessions() as s:
        assert s.get(models.Matter, "gongan.id_card_renew").name == "身份证换领"


def test_users_cli(cli, capsys, settings, monkeypatch):
    prepare(settings)
    assert cli("users", "add", "li", "--role", "staff", "--department", "gongan") == 0
    out = capsys.readouterr().out
    assert "已创建用户 li" in out and "初始密码" in out
    assert cli("users", "add", "li", "--role", "staff", "--department", "gongan") == 2
    assert "已存在" in capsys.readouterr().err
    assert cli("users", "add", "wu", "--role", "staff", "--department", "nowhere") == 2
    assert "未知部门" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-1\n"))  # --password: never in argv
    assert cli("users", "add", "boss", "--role", "supervisor", "--password") == 0
    assert "初始密码" not in capsys.readouterr().out


def test_catalogue_cli(cli, capsys, settings, tmp_path):
    assert cli("catalogue", "validate", str(CATALOGUE)) == 0
    assert "校验通过：4 个事项" in capsys.readouterr().out
    broken = tmp_path / "broken"
    shutil.copytree(CATALOGUE, broken)
    path = broken / "matters" / "scjg.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("visits: 0", "visits: 5").replace("phone: \"12315\"\n    ticket", "ticket"),
                    encoding="utf-8")
    assert cli("catalogue", "validate", str(broken)) == 2  # bad data: status 2, as `onetrip up` and `onetrip train`
    err = capsys.readouterr().err
    assert "到现场次数" in err and "咨询电话" in err
    assert cli("catalogue", "import", str(CATALOGUE)) == 0
    assert cli("catalogue", "import", str(CATALOGUE)) == 0  # idempotent
    assert "导入完成" in capsys.readouterr().out
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM matters")).scalar() == 5
    engine.dispose()


def test_event_hub_pushes_messages_of_open_tickets(client, app, settings):
    events_db = create_engine(settings.events_url)
    with events_db.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
                          "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"))
        conn.execute(text("INSERT INTO events (sender_id, data) VALUES ('c-1', :d)"),
                     {"d": json.dumps({"event": "user", "text": "旧消息"})})
    client.post("/api/tickets", json=ticket_body(conversation_id="c-1"), headers=SERVICE)
    hub = EventHub(app.state.hall)
    assert hub.poll_once() == []  # starts at the end: history comes from the tracker

    async def scenario():
        queue = hub.subscribe("c-1")
        with events_db.begin() as conn:
            for sender, event in (("c-1", {"event": "user", "text": "<b>还在吗</b>", "timestamp": 1.0}),
                                  ("c-1", {"event": "slot", "name": "x"}),
                                  ("someone-else", {"event": "user", "text": "不相干"})):
                conn.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                             {"s": sender, "d": json.dumps(event)})
        for message in hub.poll_once():
            hub.publish(message["conversation_id"], message)
        got = queue.get_nowait()
        assert queue.empty()
        hub.unsubscribe("c-1", queue)
        return got

    got = asyncio.run(scenario())
    assert got == {"conversation_id": "c-1", "who": "user", "author": "群众", "text": "<b>还在吗</b>", "timestamp": 1.0}
    events_db.dispose()

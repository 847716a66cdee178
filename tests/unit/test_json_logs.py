"""ONETRIP_LOG_FORMAT=json: masked JSON lines with the conversation id."""

from __future__ import annotations

import json
import logging

from bot import logs


def test_json_line_is_masked_and_names_the_conversation():
    record = logging.LogRecord("bot.channels.rest", logging.INFO, __file__, 1,
                               "citizen said %s", ("我的电话13812345678，身份证330102199001011234",), None)
    token = logs.conversation("c73896c578c04cd4")
    try:
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.CONVERSATION.reset(token)
    assert line["conversation"] == "c73896c578c04cd4" and line["level"] == "INFO"
    assert "13812345678" not in line["message"] and "330102199001011234" not in line["message"]


def test_install_only_when_asked(monkeypatch):
    monkeypatch.delenv("ONETRIP_LOG_FORMAT", raising=False)
    assert logs.install() is False
    monkeypatch.setenv("ONETRIP_LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = [(h, h.formatter) for h in root.handlers]
    try:
        assert logs.install() is True
        assert all(isinstance(h.formatter, logs.JsonFormatter) for h in root.handlers)
    finally:
        for handler, formatter in saved:
            handler.setFormatter(formatter)

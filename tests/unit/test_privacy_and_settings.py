"""Masking of personal numbers and the configuration the processes share."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import MaskingFilter, mask_phone, mask_text
from bot.settings import ensure_secrets, load_settings


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("电话13812345678", "电话138****5678"),
        ("打 +86 139 0571 2345 找我", "打 +86 139****2345 找我"),
        ("身份证330102199001011234", "身份证330102********1234"),
        ("身份证33010219900101123X", "身份证330102********123X"),
        ("工单ZJ20261124-0001", "工单ZJ20261124-0001"),  # ticket numbers are not personal
    ],
)
def test_mask_text(raw, masked):
    assert mask_text(raw) == masked


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


def test_logging_filter_masks_arguments(caplog):
    logger = logging.getLogger("onetrip.test")
    handler = logging.Handler()
    handler.addFilter(MaskingFilter())
    records = []
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        logger.warning("citizen said %s", "我的手机13812345678")
    finally:
        logger.removeHandler(handler)
    assert records[0].getMessage() == "citizen said 我的手机138****5678"


def test_secrets_are_created_once_and_private(tmp_path):
    first = ensure_secrets(tmp_path)
    second = ensure_secrets(tmp_path)
    assert first == second and len(first["RASA_TOKEN"]) >= 32
    assert (tmp_path / "secrets.env").stat().st_mode & 0o777 == 0o600


def test_ports_must_be_numbers(monkeypatch, tmp_path):
    monkeypatch.setenv("ONETRIP_VAR", str(tmp_path))
    monkeypatch.setenv("RASA_PORT", "abc")
    with pytest.raises(ValueError, match="RASA_PORT"):
        load_settings()


def test_defaults_point_everything_into_var(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "ONETRIP_TRACKER_URL", "ONETRIP_EVENTS_URL", "RASA_PORT", "HALL_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONETRIP_VAR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'hall.db'}"
    assert settings.tracker_url.endswith("tracker.db") and settings.rasa_port == 5005


def test_embeddings_are_kept_per_user_unless_a_cache_is_named(monkeypatch, tmp_path):
    # A vector depends only on the encoder and the text: a new clone reuses the user's ones.
    from bot.settings import embedding_cache_dir

    for name in ("ONETRIP_EMBEDDING_CACHE", "ONETRIP_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert embedding_cache_dir() == tmp_path / "home" / ".cache" / "onetrip"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embedding_cache_dir() == tmp_path / "xdg" / "onetrip"
    monkeypatch.setenv("ONETRIP_CACHE", str(tmp_path / "isolated"))  # tests and tools that isolate
    assert embedding_cache_dir() == tmp_path / "isolated"
    monkeypatch.setenv("ONETRIP_EMBEDDING_CACHE", str(tmp_path / "named"))
    assert embedding_cache_dir() == tmp_path / "named"

"""Configuration, read once from the environment (and var/secrets.env for generated secrets).

Every process (the supervisor, the hall, the action server, Rasa through endpoints.yml) reads the
same variables, so one table in the README documents them all.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parents[1]

# Secrets generated on the first run and kept in var/secrets.env (mode 0600).
GENERATED_SECRETS = ("RASA_TOKEN", "HALL_SERVICE_TOKEN", "HALL_SECRET_KEY", "WECHAT_TOKEN")
WECHAT_API_BASE = "https://api.weixin.qq.com"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _number(name: str, default: float) -> float:
    """A non-negative number from the environment; unset or unreadable gives the default."""
    raw = os.environ.get(name, "").strip()
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default


def process_env(**extra: str) -> Dict[str, str]:
    """This process's environment, for a child process, with `extra` on top."""
    return {**os.environ, **extra}


def limit_threads(threads: int) -> None:
    """OpenMP threads of this process's numeric libraries (set before they load)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)


# Tunables read where they are used (each call reads the environment anew, so a test or an
# operator can change one without restarting the module that caches the Settings).

def catalogue_max_age_days(default: int = 180) -> int:
    """How many days a guide's verified_on may age before validation asks for a re-check."""
    return int(_number("ONETRIP_CATALOGUE_MAX_AGE_DAYS", default))


def cache_dir() -> Path:
    """Where the matcher and the router keep their built indexes (ONETRIP_CACHE)."""
    return Path(_env("ONETRIP_CACHE", str(Path.cwd() / "var" / "cache")))


def embedding_cache_dir() -> Path:
    """Where sentence embeddings are kept (ONETRIP_EMBEDDING_CACHE).

    A vector depends only on the encoder and the text, so by default it is shared by every
    checkout of this user (``$XDG_CACHE_HOME/onetrip``, as pip and spaCy keep theirs): a new
    clone, a worktree or CI on the same machine does not embed the knowledge base again (about
    two minutes on two cores). A set ONETRIP_CACHE keeps them there instead, isolated."""
    explicit = _env("ONETRIP_EMBEDDING_CACHE", "") or _env("ONETRIP_CACHE", "")
    if explicit:
        return Path(explicit)
    base = _env("XDG_CACHE_HOME", "") or str(Path.home() / ".cache")
    return Path(base) / "onetrip"


def sla_file() -> str | None:
    """An optional YAML file overriding the SLA defaults (ONETRIP_SLA_FILE)."""
    return _env("ONETRIP_SLA_FILE", "") or None


def queue_update_seconds(default: float) -> float:
    """The shortest time between two queue updates told to one waiting citizen
    (ONETRIP_QUEUE_UPDATE_SECONDS, default 60): staff answering a burst of tickets must not become
    a burst of messages. Lower only for a test that cannot wait a minute."""
    return _number("ONETRIP_QUEUE_UPDATE_SECONDS", default)


def rabbitmq_credentials() -> tuple[str, str]:
    """User and password for an AMQP events URL, kept out of the URL itself."""
    return _env("ONETRIP_RABBITMQ_USER", ""), os.environ.get("ONETRIP_RABBITMQ_PASSWORD", "")


def events_exchange(default: str) -> str:
    return _env("ONETRIP_EVENTS_EXCHANGE", default)


def socketio_redis_url() -> str:
    """Redis shared by several Rasa servers' socket.io channels (ONETRIP_SOCKETIO_REDIS_URL)."""
    return _env("ONETRIP_SOCKETIO_REDIS_URL", "")


def wechat_db_url() -> str:
    """The WeChat channel's store: ONETRIP_WECHAT_DB, else var/wechat.db."""
    return _env("ONETRIP_WECHAT_DB", "") or f"sqlite:///{get_settings().var_dir / 'wechat.db'}"


def wechat_timing(name: str, default: float) -> float:
    """ONETRIP_WECHAT_<NAME> (seconds): PASSIVE_SECONDS, MAX_SKEW, RETRY_BASE, OUTBOX_POLL."""
    return _number(f"ONETRIP_WECHAT_{name}", default)


def admission(default_limit: int, default_patience: float) -> tuple[int, float]:
    """How many messages each server processes at once, and how long a message waits for a turn."""
    return (int(_number("ONETRIP_MAX_CONCURRENT_MESSAGES", default_limit)),
            _number("ONETRIP_ADMISSION_PATIENCE", default_patience))


def retention_days() -> tuple[float, float]:
    """How long personal data is kept (days): after a ticket closes (ONETRIP_RETENTION_TICKET_DAYS,
    default 180) and after the last message of a conversation without a ticket
    (ONETRIP_RETENTION_CONVERSATION_DAYS, default 30)."""
    return (_number("ONETRIP_RETENTION_TICKET_DAYS", 180.0),
            _number("ONETRIP_RETENTION_CONVERSATION_DAYS", 30.0))


def retention_interval_hours() -> float:
    """How often the hall runs the retention job (ONETRIP_RETENTION_INTERVAL_HOURS, default 24; 0 = never)."""
    return _number("ONETRIP_RETENTION_INTERVAL_HOURS", 24.0)


def stats_follow_interval() -> float:
    """Seconds between two reads of the tracker store's events for the figures (ONETRIP_STATS_INTERVAL)."""
    return _number("ONETRIP_STATS_INTERVAL", 2.0) or 2.0


def _trusted_proxies() -> tuple:
    """ONETRIP_TRUSTED_PROXIES: addresses or networks (comma or space separated) whose
    X-Forwarded-For / X-Forwarded-Proto the hall believes. Default none: the peer address counts."""
    raw = _env("ONETRIP_TRUSTED_PROXIES", "")
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"ONETRIP_TRUSTED_PROXIES: {item!r} is not an IP address or network")
    return tuple(networks)


def _choice(name: str, default: str, allowed: tuple) -> str:
    value = _env(name, default).lower()
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _port(name: str, default: int) -> int:
    raw = _env(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{name}={raw!r} is not a TCP port (1-65535)")
    return int(raw)


def read_env_file(path: Path) -> Dict[str, str]:
    values: Dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def ensure_secrets(var_dir: Path) -> Dict[str, str]:
    """Create var/secrets.env with random tokens once; return its values."""
    path = var_dir / "secrets.env"
    values = read_env_file(path)
    missing = [name for name in GENERATED_SECRETS if name not in values]
    if missing:
        for name in missing:
            # WeChat's 令牌 (Token) allows 3-32 letters and digits only.
            values[name] = secrets.token_hex(16) if name == "WECHAT_TOKEN" else secrets.token_urlsafe(32)
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(
                "# Generated by onetrip on first run. Keep private.\n"
                + "".join(f"{k}={v}\n" for k, v in sorted(values.items())),
                encoding="utf-8",
            )
            tmp.chmod(0o600)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
            raise
    return values


@dataclass(frozen=True)
class Settings:
    host: str
    rasa_port: int
    actions_port: int
    hall_port: int
    var_dir: Path
    catalogue_path: Path
    database_url: str
    tracker_url: str
    events_url: str
    rasa_url: str
    hall_url: str
    action_endpoint: str
    endpoints_file: Path
    credentials_file: Path
    model_path: Path
    rasa_token: str
    hall_service_token: str
    hall_secret_key: str
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_encoding_aes_key: str = ""
    wechat_api_base: str = WECHAT_API_BASE
    # Security of the hall (README "Security").
    trusted_proxies: tuple = ()          # ip_network objects; ONETRIP_TRUSTED_PROXIES
    secure_cookies: str = "auto"         # auto (when the request came over https) | on | off
    api_docs: bool = True                # /docs, /redoc, /openapi.json
    widget_frame_ancestors: str = "'self'"  # CSP frame-ancestors of / and /widget*

    def child_env(self) -> Dict[str, str]:
        """The environment every child process gets (endpoints.yml reads these)."""
        return {
            "ONETRIP_HOST": self.host,
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "HALL_PORT": str(self.hall_port),
            "ONETRIP_VAR": str(self.var_dir),
            "ONETRIP_CATALOGUE": str(self.catalogue_path),
            "DATABASE_URL": self.database_url,
            "ONETRIP_TRACKER_URL": self.tracker_url,
            "ONETRIP_EVENTS_URL": self.events_url,
            "RASA_URL": self.rasa_url,
            "HALL_URL": self.hall_url,
            "ONETRIP_ACTION_ENDPOINT": self.action_endpoint,
            "RASA_TOKEN": self.rasa_token,
            "HALL_SERVICE_TOKEN": self.hall_service_token,
            "HALL_SECRET_KEY": self.hall_secret_key,
            # credentials.yml's WeChat block: Rasa refuses unset ${VARS}, so empty means "not used".
            "WECHAT_TOKEN": self.wechat_token,
            "WECHAT_APP_ID": self.wechat_app_id,
            "WECHAT_APP_SECRET": self.wechat_app_secret,
            "WECHAT_ENCODING_AES_KEY": self.wechat_encoding_aes_key,
            "WECHAT_API_BASE": self.wechat_api_base,
        }


def load_settings(create_secrets: bool = False) -> Settings:
    host = _env("ONETRIP_HOST", "127.0.0.1")
    rasa_port = _port("RASA_PORT", 5005)
    actions_port = _port("ACTIONS_PORT", 5055)
    hall_port = _port("HALL_PORT", 8000)
    var_dir = Path(_env("ONETRIP_VAR", str(ROOT / "var"))).resolve()
    stored = ensure_secrets(var_dir) if create_secrets else read_env_file(var_dir / "secrets.env")

    def secret(name: str) -> str:
        return _env(name, stored.get(name, ""))

    return Settings(
        host=host,
        rasa_port=rasa_port,
        actions_port=actions_port,
        hall_port=hall_port,
        var_dir=var_dir,
        catalogue_path=Path(_env("ONETRIP_CATALOGUE", str(ROOT / "data" / "catalogue"))).resolve(),
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'hall.db'}"),
        tracker_url=_env("ONETRIP_TRACKER_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
        # Where the hall follows Rasa's events: by default the tracker store's own `events` table.
        events_url=_env("ONETRIP_EVENTS_URL", _env("ONETRIP_TRACKER_URL", f"sqlite:///{var_dir / 'tracker.db'}")),
        rasa_url=_env("RASA_URL", f"http://{host}:{rasa_port}"),
        hall_url=_env("HALL_URL", f"http://{host}:{hall_port}"),
        action_endpoint=_env("ONETRIP_ACTION_ENDPOINT", f"http://{host}:{actions_port}/webhook"),
        endpoints_file=Path(_env("ONETRIP_ENDPOINTS", str(ROOT / "endpoints.yml"))),
        credentials_file=Path(_env("ONETRIP_CREDENTIALS", str(ROOT / "credentials.yml"))),
        model_path=Path(_env("ONETRIP_MODEL", str(ROOT / "models" / "onetrip.tar.gz"))),
        rasa_token=secret("RASA_TOKEN"),
        hall_service_token=secret("HALL_SERVICE_TOKEN"),
        hall_secret_key=secret("HALL_SECRET_KEY"),
        wechat_token=secret("WECHAT_TOKEN"),
        wechat_app_id=_env("WECHAT_APP_ID", ""),
        wechat_app_secret=_env("WECHAT_APP_SECRET", ""),
        wechat_encoding_aes_key=_env("WECHAT_ENCODING_AES_KEY", ""),
        wechat_api_base=_env("WECHAT_API_BASE", WECHAT_API_BASE),
        trusted_proxies=_trusted_proxies(),
        secure_cookies=_choice("ONETRIP_SECURE_COOKIES", "auto", ("auto", "on", "off")),
        # The API documentation is on for the embedded default on loopback (make run), off when the
        # hall listens on other interfaces (deploy/), unless ONETRIP_API_DOCS says otherwise.
        api_docs=_choice("ONETRIP_API_DOCS", "on" if host in _LOOPBACK else "off", ("on", "off")) == "on",
        widget_frame_ancestors=_env("ONETRIP_WIDGET_FRAME_ANCESTORS", "'self'").replace(";", " ").replace(",", " "),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()


# --- chat abuse limits, socket.io sessions, observability (README "Security") ---------------------

def max_message_chars() -> int:
    """The longest citizen message any channel takes (ONETRIP_MAX_MESSAGE_CHARS, default 2000)."""
    return int(_number("ONETRIP_MAX_MESSAGE_CHARS", 2000)) or 2000


def _rate(name: str, default: str) -> tuple[float, float]:
    """"N/S": N messages per S seconds (a bucket of N that refills over S); "0" or "off": no limit."""
    raw = _env(name, default).lower()
    if raw in ("0", "off", "none"):
        return 0.0, 0.0
    count, _, period = raw.partition("/")
    try:
        n, s = float(count), float(period or 60)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected N/SECONDS, e.g. 30/60, or off")
    return (n, s) if n > 0 and s > 0 else (0.0, 0.0)


def chat_rate_limits() -> Dict[str, tuple]:
    """Token buckets per sender and per address for chat messages and for ticket look-ups:
    ONETRIP_RATE_MESSAGES_SENDER (default 60/60), ONETRIP_RATE_MESSAGES_ADDRESS (default 600/60),
    ONETRIP_RATE_LOOKUPS_SENDER (default 5/300), ONETRIP_RATE_LOOKUPS_ADDRESS (default 30/300)."""
    return {
        "messages_sender": _rate("ONETRIP_RATE_MESSAGES_SENDER", "60/60"),
        "messages_address": _rate("ONETRIP_RATE_MESSAGES_ADDRESS", "600/60"),
        "lookups_sender": _rate("ONETRIP_RATE_LOOKUPS_SENDER", "5/300"),
        "lookups_address": _rate("ONETRIP_RATE_LOOKUPS_ADDRESS", "30/300"),
    }


def rate_limit_redis_url() -> str:
    """Redis for the rate limits shared by several Rasa servers: ONETRIP_RATE_LIMIT_REDIS_URL,
    else ONETRIP_SOCKETIO_REDIS_URL; empty: one in-memory bucket per process."""
    return _env("ONETRIP_RATE_LIMIT_REDIS_URL", "") or socketio_redis_url()


def rasa_trusted_proxies() -> tuple:
    """The proxies whose X-Forwarded-For the Rasa channels believe (the same ONETRIP_TRUSTED_PROXIES)."""
    return _trusted_proxies()


def session_signing_key() -> bytes:
    """The key that signs socket.io session ids: ONETRIP_SESSION_KEY, else the Rasa token."""
    key = _env("ONETRIP_SESSION_KEY", "") or get_settings().rasa_token
    if not key:  # a bare channel (tests): a key of this process; ids do not survive a restart
        key = _PROCESS_KEY
    return key.encode("utf-8")


_PROCESS_KEY = secrets.token_urlsafe(32)


def wechat_nonce_seconds(default: float = 900.0) -> float:
    """How long a WeChat signature+timestamp+nonce is remembered (ONETRIP_WECHAT_NONCE_SECONDS)."""
    return _number("ONETRIP_WECHAT_NONCE_SECONDS", default)


def json_logs() -> bool:
    """ONETRIP_LOG_FORMAT=json: one JSON object per log line, masked, with the conversation id."""
    return _env("ONETRIP_LOG_FORMAT", "text").lower() == "json"


def metrics_enabled() -> bool:
    """ONETRIP_METRICS=off hides /metrics (on by default)."""
    return _env("ONETRIP_METRICS", "on").lower() not in ("off", "0", "no")

"""Passwords (argon2), signed bearer tokens, console sessions and the login rate limit."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Deque, Dict, Optional, Tuple

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from passlib.context import CryptContext

_passwords = CryptContext(schemes=["argon2"], deprecated="auto")

TOKEN_MAX_AGE = 12 * 3600
SESSION_MAX_AGE = 12 * 3600


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _passwords.verify(password, hashed)
    except (ValueError, TypeError):
        return False


# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    verify_password(password, _DUMMY_HASH)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def same_secret(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Signer:
    secret: str

    def _s(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=salt)

    def token(self, username: str) -> str:
        return self._s("hall-api-token").dumps({"u": username})

    def read_token(self, token: str) -> Optional[str]:
        try:
            return self._s("hall-api-token").loads(token, max_age=TOKEN_MAX_AGE)["u"]
        except (BadSignature, SignatureExpired, KeyError, TypeError):
            return None

    def session(self, username: str, csrf: str) -> str:
        return self._s("hall-console-session").dumps({"u": username, "c": csrf})

    def read_session(self, cookie: str) -> Optional[Tuple[str, str]]:
        try:
            data = self._s("hall-console-session").loads(cookie, max_age=SESSION_MAX_AGE)
            return data["u"], data["c"]
        except (BadSignature, SignatureExpired, KeyError, TypeError):
            return None


class LoginLimiter:
    """At most ``limit`` failed logins per ``window`` seconds for one username+IP (in memory:
    one hall process serves one service centre)."""

    def __init__(self, limit: int = 5, window: float = 60.0):
        self.limit, self.window = limit, window
        self._failures: Dict[Tuple[str, str], Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: Tuple[str, str], now: float) -> Deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, username: str, ip: str) -> bool:
        with self._lock:
            return len(self._prune((username.lower(), ip), time.monotonic())) >= self.limit

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._prune((username.lower(), ip), now).append(now)

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), ip), None)

"""Passwords (argon2id), signed bearer tokens and console sessions, the login limit.

* Passwords are hashed with argon2-cffi directly (argon2id). Hashes written by passlib
  (``$argon2id$v=19$...``, the same PHC format) still verify and are rehashed on the next login.
* Tokens and cookies are signed and expire after 12 h, and they carry the user's session
  generation: logout and a password reset increment it, so every earlier token and cookie of
  that user stops working at once, on every replica (it is checked on every request).
* Failed logins are stored in the database (``login_failures``), so every replica counts them:
  per address (whatever username it tries) and per account (from whatever address). An account
  with too many failures is locked for a while; its owner is told on the next login.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.hall import models

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)

TOKEN_MAX_AGE = 12 * 3600
SESSION_MAX_AGE = 12 * 3600

# --- passwords --------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
# The most common passwords of Chinese and international leaks that are long enough to pass the
# length rule, and a few that are not (so the message names the real problem).
COMMON_PASSWORDS = frozenset("""
12345678 123456789 1234567890 12345678910 0123456789 9876543210 1234567890a a1234567890
11111111 1111111111 00000000 0000000000 88888888 8888888888 66666666 6666666666 123123123
1234512345 1122334455 1qaz2wsx 1qaz2wsx3edc 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop qwerty123
qwerty12345 asdfghjkl zxcvbnm123 password password1 password12 password123 password1234
passw0rd123 p@ssw0rd123 admin123 admin12345 admin123456 administrator root123456 abc123456
abcd123456 abcd1234567 abc1234567 a123456789 aa123456789 qq123456789 woaini1314 woaini520
woaini1314520 5201314520 520131400 1314520520 iloveyou123 iloveyou1314 zhang123456
wang123456 li123456789 asd123456789 qwe123456789 zxc123456789 123456abc 123456abcd
1234567890abc 123qweasdzxc qweasdzxc123 888888888 999999999 gov123456 zhengwu123 onetrip123
""".split())


def password_problem(password: str, username: str = "") -> Optional[str]:
    """Why this password is refused (Chinese), or None when it is acceptable."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少{MIN_PASSWORD_LENGTH}位"
    if not text_is_valid(password):
        return "密码含有无效字符"
    lowered = password.lower()
    if username and lowered in (username.lower(), username.lower()[::-1]):
        return "密码不能与用户名相同"
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "密码过于常见或简单，请换一个更难猜的密码"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError, ValueError, TypeError, UnicodeError):
        return False


def needs_rehash(hashed: str) -> bool:
    try:
        return _hasher.check_needs_rehash(hashed)
    except (InvalidHashError, ValueError):
        return True


# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    verify_password(password, _DUMMY_HASH)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def same_secret(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def text_is_valid(text: str) -> bool:
    """False for text a database cannot store (a lone surrogate such as "\\ud800", NUL)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# --- tokens and cookies -----------------------------------------------------------------------

@dataclass(frozen=True)
class Signer:
    secret: str

    def _s(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=salt)

    def token(self, username: str, generation: int = 0) -> str:
        return self._s("hall-api-token").dumps({"u": username, "g": generation})

    def read_token(self, token: str) -> Optional[Tuple[str, int]]:
        """(username, session generation), or None when forged, expired or from before #19."""
        try:
            data = self._s("hall-api-token").loads(token, max_age=TOKEN_MAX_AGE)
            return str(data["u"]), int(data["g"])
        except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
            return None

    def session(self, username: str, csrf: str, generation: int = 0) -> str:
        return self._s("hall-console-session").dumps({"u": username, "c": csrf, "g": generation})

    def read_session(self, cookie: str) -> Optional[Tuple[str, str, int]]:
        """(username, csrf token, session generation), or None."""
        try:
            data = self._s("hall-console-session").loads(cookie, max_age=SESSION_MAX_AGE)
            return str(data["u"]), str(data["c"]), int(data["g"])
        except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
            return None


def end_sessions(user: models.User) -> None:
    """Every token and cookie issued to this user so far stops working (caller commits)."""
    user.session_gen = (user.session_gen or 0) + 1


def current_session(user: Optional[models.User], generation: int) -> bool:
    return user is not None and (user.session_gen or 0) == generation


# --- client address behind proxies ------------------------------------------------------------

def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def trusted(address: str, proxies: Sequence) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in net for net in proxies)


def real_client(peer: str, forwarded_for: Iterable[str], proxies: Sequence) -> str:
    """The client's address: the peer, unless the peer is a configured proxy; then the right-most
    X-Forwarded-For entry that is not a configured proxy (entries further left are whatever the
    client chose to send, so they are never believed)."""
    if not proxies or not trusted(peer, proxies):
        return peer
    chain = [part.strip() for header in forwarded_for for part in header.split(",") if part.strip()]
    for entry in reversed(chain):
        if not trusted(entry, proxies):
            return entry if _address(entry) is not None else peer
    return chain[0] if chain else peer


# --- the login limit --------------------------------------------------------------------------

@dataclass
class LoginLimiter:
    """Failed logins counted in the database: per address, per account, per both."""

    per_pair: int = 5             # one address trying one account
    pair_window: float = 60.0
    per_address: int = 20         # one address, whatever accounts it tries
    address_window: float = 600.0
    per_account: int = 10         # one account, from anywhere: then it is locked
    account_window: float = 900.0
    keep: float = 7 * 86400.0     # rows older than this are deleted

    @staticmethod
    def _key(username: str) -> str:
        return (username or "").strip().lower()[:80]

    def _count(self, db: Session, seconds: float, *where) -> int:
        since = _now() - dt.timedelta(seconds=seconds)
        return db.execute(select(func.count(models.LoginFailure.id))
                          .where(models.LoginFailure.at >= since, *where)).scalar_one()

    def blocked(self, db: Session, username: str, ip: str) -> Optional[str]:
        """Why this attempt is refused before the password is even checked, or None."""
        F = models.LoginFailure
        key = self._key(username)
        if self._count(db, self.address_window, F.ip == ip) >= self.per_address:
            return "此地址登录失败次数过多，请10分钟后再试"
        if self._count(db, self.pair_window, F.ip == ip, F.username == key) >= self.per_pair:
            return "登录失败次数过多，请1分钟后再试"
        since_login = _last_login(db, key)
        where = [F.username == key] + ([F.at > since_login] if since_login else [])
        if self._count(db, self.account_window, *where) >= self.per_account:
            return "该账号登录失败次数过多，已临时锁定，请15分钟后再试或联系管理员"
        return None

    def failed(self, db: Session, username: str, ip: str) -> None:
        now = _now()
        db.add(models.LoginFailure(at=now, username=self._key(username), ip=(ip or "")[:80]))
        db.execute(delete(models.LoginFailure).where(models.LoginFailure.at < now - dt.timedelta(seconds=self.keep)))

    def succeeded(self, db: Session, user: models.User) -> None:
        """Record the login; leave the owner a notice of the failures since the previous one."""
        F = models.LoginFailure
        where = [F.username == self._key(user.username)]
        if user.last_login_at:
            where.append(F.at > user.last_login_at)
        count, last_at = db.execute(select(func.count(F.id), func.max(F.at)).where(*where)).one()
        if count:
            last_ip = db.execute(select(F.ip).where(*where).order_by(F.at.desc()).limit(1)).scalar_one()
            from bot.hall.tickets import iso

            locked = "，账号曾因此被临时锁定" if count >= self.per_account else ""
            user.login_notice = (
                f"安全提示：自上次登录以来，您的账号有 {count} 次登录失败{locked}"
                f"（最近一次 {(iso(last_at) or '')[:16].replace('T', ' ')}，来自 {last_ip or '未知地址'}）。"
                "如果不是您本人操作，请联系管理员重置密码。"
            )
        user.last_login_at = _now()


def _last_login(db: Session, key: str) -> Optional[dt.datetime]:
    return db.execute(select(models.User.last_login_at).where(func.lower(models.User.username) == key)).scalar()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
